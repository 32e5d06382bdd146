"""Property tests of the path canonicaliser: one canonical form, and nothing changes it later."""

from __future__ import annotations

import string

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.gateway.paths import PathRefused, canonical_path, query_string
from distillguard.gateway.routes import Router, RouteSpec

SEGMENT_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,=:@"
segments = st.text(alphabet=SEGMENT_CHARS, min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)
canonical = st.lists(segments, max_size=5).map(lambda parts: "/" + "/".join(parts))


def _check_canonical(path: str) -> None:
    assert path.startswith("/")
    assert "//" not in path
    assert path == "/" or not path.endswith("/")
    parts = path.split("/")[1:]
    assert all(p not in (".", "..") for p in parts if path != "/")
    assert all(c in SEGMENT_CHARS or c == "/" for c in path)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=60).map(lambda b: b"/" + b))
def test_any_bytes_are_refused_or_canonical(raw: bytes) -> None:
    why = ""
    try:
        out = canonical_path(raw)
    except PathRefused as exc:
        why = exc.message
    if why:
        return
    _check_canonical(out)
    assert canonical_path(out.encode()) == out  # a fixed point


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=SEGMENT_CHARS + "/%;\\", max_size=40).map(lambda s: "/" + s))
def test_path_like_text_is_refused_or_canonical(text: str) -> None:
    try:
        out = canonical_path(text.encode())
    except PathRefused:
        return
    _check_canonical(out)


@st.composite
def noisy(draw: st.DrawFn) -> tuple[str, str]:
    """A canonical path, and a spelling of it with dot segments, slashes and escapes."""
    path = draw(canonical)
    out = []
    for part in path.split("/")[1:] if path != "/" else []:
        for _ in range(draw(st.integers(0, 2))):
            out.append(draw(st.sampled_from([".", "", "x/..", "%2E", "a/%2e%2E"])))
        chars = [
            f"%{ord(c):02{draw(st.sampled_from(['X', 'x']))}}" if draw(st.booleans()) else c
            for c in part
        ]
        out.append("".join(chars))
    tail = draw(st.sampled_from(["", "/", "/.", "//"]))
    return path, "/" + "/".join(out) + tail


@settings(max_examples=500, deadline=None)
@given(noisy())
def test_every_spelling_of_a_path_decides_as_that_path(case: tuple[str, str]) -> None:
    path, spelling = case
    assert canonical_path(spelling.encode()) == path


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=60).map(lambda b: b"/" + b))
def test_an_upstream_client_sends_the_decided_path_unchanged(raw: bytes) -> None:
    """The attack: a client library that normalises the path after the gateway decided."""
    try:
        out = canonical_path(raw)
    except PathRefused:
        return
    assert httpx.URL("http://upstream" + out).raw_path.decode() == out


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_queries_are_printable_or_refused(raw: bytes) -> None:
    try:
        q = query_string(raw)
    except PathRefused:
        assert any(b < 0x21 or b > 0x7E for b in raw)
        return
    assert q.encode() == raw


@pytest.mark.parametrize(
    ("route", "path", "hit"),
    [
        ("/v1/models/{model}", "/v1/models/a", True),
        ("/v1/models/{model}", "/v1/models", False),
        ("/v1/models/{model}", "/v1/models/a/b", False),
        ("/v1/chat/completions", "/V1/chat/completions", False),
    ],
)
def test_router_matches_whole_segments_case_sensitively(route: str, path: str, hit: bool) -> None:
    spec, _ = Router((RouteSpec(route, ("GET",)),)).match(path, "GET")
    assert (spec is not None) == hit
