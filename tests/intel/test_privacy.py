"""Nothing raw leaves: every exported bundle is searched for every raw value of the input.

For each small simulated scenario (standard, stealth, mixed) the scan's campaigns are
exported with every verdict, and the bundle's strings are searched for every client
address, user agent, payment fingerprint, account id, org id and API key id of the
input traffic, and for every 20-character piece of every user text and system prompt.
The fixed prose distillguard writes (technique descriptions, the campaign sentence)
is checked against its templates instead, so a prompt that happens to contain the
words "step-by-step reasoning" is not mistaken for a leak.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from distillguard.intel.client import HubClient
from distillguard.intel.export import TECHNIQUES, TLP, ExportOptions, export_bundle
from distillguard.intel.hashing import KeyRing
from distillguard.schema import EVENT_SCHEMA  # noqa: F401  (documents the columns used)
from tests.intel.conftest import KEYS, Scanned

WINDOW = 20
CAMPAIGN_SENTENCE = re.compile(
    r"Distillation campaign reported by [\w-]+: [\d,]+ accounts, [\d,]+ requests, "
    r"\d+% asking for step-by-step reasoning\."
)
FIXED = {t.description for t in TECHNIQUES.values()} | {
    "Harvest model outputs (answers and reasoning traces) to train a copy."
}


def _strings(obj: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v, key)
    elif isinstance(obj, str):
        yield key, obj


def _texts(events: Any) -> Iterator[str]:
    for msgs in events.column("messages").to_pylist():
        for m in msgs or []:
            if m["role"] in ("user", "system") and m["content"]:
                yield m["content"]
    for p in events.column("prompt").to_pylist():
        if p:
            yield p


def assert_no_raw(bundle: dict[str, Any], events: Any) -> int:
    """Fail on any raw value of ``events`` in ``bundle``; the number of strings searched."""
    searched: list[str] = []
    for key, s in _strings(bundle):
        if key in ("description", "objective"):
            assert s in FIXED or CAMPAIGN_SENTENCE.fullmatch(s), f"unexpected prose: {s!r}"
            continue
        searched.append(s)
    blob = "\x00".join(searched)
    for col in ("ip", "user_agent", "payment_fingerprint", "account_id", "org_id", "api_key_id"):
        for v in set(events.column(col).to_pylist()):
            if v:
                assert v not in blob, f"raw {col} {v!r} in the bundle"
    pieces = {blob[i : i + WINDOW] for i in range(max(0, len(blob) - WINDOW + 1))}
    for text in _texts(events):
        for i in range(0, max(1, len(text) - WINDOW + 1)):
            piece = text[i : i + WINDOW]
            if len(piece) == WINDOW:
                assert piece not in pieces, f"prompt text {piece!r} in the bundle"
    return len(searched)


@pytest.mark.parametrize("name", ["standard", "stealth", "mixed"])
def test_no_raw_identifier_or_prompt_text_in_bundle(
    name: str, scanned: dict[str, Scanned], ring: KeyRing
) -> None:
    s = scanned[name]
    result = export_bundle(
        s.out, s.store, ring,
        ExportOptions(provider="provider-A", verdicts=("block", "restrict", "watch", "allow")),
    )  # fmt: skip
    bundle = json.loads(result.to_json())
    n = assert_no_raw(bundle, s.events)
    assert n > 0
    if name != "stealth":  # the small stealth run may find nothing to share
        assert result.campaigns >= 1
        assert sum(result.indicators.values()) > 0
        assert result.indicators.get("ip", 0) + result.indicators.get("net", 0) > 0


def test_export_refuses_a_raw_value(ring: KeyRing) -> None:
    from distillguard.intel.errors import IntelError
    from distillguard.intel.export import assert_no_raw as guard

    with pytest.raises(IntelError, match="raw identifier"):
        guard('{"x": "203.0.113.9"}', {"203.0.113.9"})


def test_members_exporting_at_different_levels_share_one_hub(
    scanned: dict[str, Scanned], ring: KeyRing, hub: str
) -> None:
    """Public reference objects are the same from every member, so none is refused as taken."""

    s = scanned["mixed"]
    exports = (("A", ExportOptions(provider="provider-A", tlp="amber")),
               ("B", ExportOptions(provider="provider-B", tlp="green")))  # fmt: skip
    for member, opts in exports:
        result = export_bundle(s.out, s.store, ring, opts)
        objects = json.loads(result.to_json())["objects"]
        patterns = [o for o in objects if o["type"] == "attack-pattern"]
        assert patterns
        assert all(o["object_marking_refs"] == [TLP["white"].id] for o in patterns)
        report = HubClient(hub, KEYS[member]).push(objects, "tlp-amber")
        assert report.failures == [], report.failures
