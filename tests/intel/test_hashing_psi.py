"""Keyed hashes, key rotation and key files; private set intersection."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.intel.errors import IntelError
from distillguard.intel.hashing import KeyRing, canonical, new_key_file
from distillguard.intel.match import IntelMatcher, IntelSet, Source
from distillguard.intel.psi import PsiClient, PsiServer, intersect_locally, read_identifiers


def test_canonical_forms_agree() -> None:
    ring = KeyRing.from_secrets({"k": "01" * 32})
    assert ring.hash("ip", "2001:DB8::0:1") == ring.hash("ip", "2001:db8::1")
    assert ring.hash("net", "192.0.2.1") == ring.hash("net", "192.0.2.254")
    assert ring.hash("net", "192.0.2.1") != ring.hash("net", "192.0.3.1")
    assert canonical("net", "2001:db8:aa:bb::1") == "2001:db8:aa::/48"
    assert ring.hash("user_agent", "OpenAI/Python 1.8") == ring.hash(
        "user_agent", "openai/python  1.8"
    )
    # Kinds are domain-separated: the same text as two kinds hashes differently.
    assert ring.hash("payment", "x") != ring.hash("account", "x")
    with pytest.raises(IntelError, match="unknown identifier kind"):
        ring.hash("shoe_size", "42")


def test_different_keys_do_not_match_and_rotation_keeps_old_indicators(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    old = new_key_file(path, "2026q1")
    shared = old.hash("ip", "203.0.113.9")
    new = new_key_file(path, "2026q2", rotate=True)
    assert new.current == "2026q2"
    assert set(new.keys) == {"2026q1", "2026q2"}
    assert new.hash("ip", "203.0.113.9") != shared  # exports use the new key
    assert new.hash("ip", "203.0.113.9", "2026q1") == shared  # old indicators still match
    intel = IntelSet(hashed={"ip": {shared: [Source("p", "c", None, "indicator--1", 1.0)]}},
                     key_ids={"2026q1"})  # fmt: skip
    assert IntelMatcher(intel, KeyRing.load(path)).observe("a", ip="203.0.113.9") is not None
    other = KeyRing.from_secrets({"2026q1": "ff" * 32})
    assert IntelMatcher(intel, other).observe("a", ip="203.0.113.9") is None
    with pytest.raises(IntelError, match="key file exists"):
        new_key_file(path, "x")
    assert "ff" * 4 not in repr(other)
    assert "keys=" not in repr(other)


def test_key_file_errors_name_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "keys.yaml"
    p.write_text("current: k1\nkeys:\n  k1: 'zz'\n")
    with pytest.raises(IntelError) as err:
        KeyRing.load(p)
    assert (err.value.line, err.value.field) == (3, "keys.k1")
    p.write_text("current: k9\nkeys:\n  k1: '" + "00" * 32 + "'\n")
    with pytest.raises(IntelError, match="current key 'k9' is not in the ring"):
        KeyRing.load(p)
    p.write_text("keys:\n  k1: '0011'\n")
    with pytest.raises(IntelError, match="shorter than 128 bits"):
        KeyRing.load(p)
    with pytest.raises(IntelError, match="no forum key file"):
        KeyRing.load(None)


def test_psi_reveals_only_the_intersection() -> None:
    a = ["203.0.113.9", "198.51.100.7", "192.0.2.1", "2001:db8::5"]
    b = ["::ffff:198.51.100.7", "2001:0db8::5", "10.1.2.3", "10.9.9.9", "172.16.0.1"]
    assert intersect_locally(a, b, kind="ip") == {"198.51.100.7", "2001:db8::5"}
    client = PsiClient(b, kind="ip")
    server = PsiServer(a, kind="ip")
    setup = server.setup(client.size)
    request = client.request()
    # What crosses the wire: no value of either set, in any form a peer could read back.
    for blob in (setup, request):
        for v in (*a, *b):
            assert v.encode() not in blob
    got = client.intersection(setup, server.process(request))
    assert got == {"::ffff:198.51.100.7", "2001:0db8::5"}  # the client's own spellings
    with pytest.raises(IntelError, match="not a PSI request"):
        server.process(b"garbage")


def test_read_identifiers(tmp_path: Path) -> None:
    p = tmp_path / "ids.txt"
    p.write_text("# addresses\n203.0.113.9\n\n 198.51.100.7 \n")
    assert read_identifiers(p) == ["203.0.113.9", "198.51.100.7"]
    with pytest.raises(IntelError, match="file not found"):
        read_identifiers(tmp_path / "missing.txt")
