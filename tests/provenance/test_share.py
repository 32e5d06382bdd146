"""A provenance finding as STIX 2.1: valid, deterministic where it should be, no secrets."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import stix2

from distillguard.provenance.detect import detect, text_pairs
from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.keys import ProviderSecret
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.share import Finding, assert_no_secrets, finding_bundle, pairs_digest

SECRET = ProviderSecret("t", bytes(range(32)))
KEY = SECRET.derive("account", "acct-7")
CFG = WatermarkConfig()
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _finding() -> Finding:
    seqs = [np.arange(50)]
    return Finding(
        suspect="copycat-7b", test="open-weight", detection=detect(KEY, CFG, seqs), config=CFG,
        keys=[KEY], pairs_sha256=pairs_digest(text_pairs(CFG, seqs)), weights_sha256="ab" * 32,
        candidates=1000, attributed=1, alpha=1e-3, method="holm",
    )  # fmt: skip


def test_bundle_parses_and_carries_the_evidence() -> None:
    text = str(finding_bundle(_finding(), "ProviderA", now=NOW).serialize())
    parsed = stix2.parse(text, allow_custom=True)
    types = [o["type"] for o in parsed.objects]
    assert types == ["marking-definition", "identity", "software", "report"]
    report = json.loads(text)["objects"][-1]
    ev = report["x_distillguard_provenance"]
    assert ev["key_commitments"] == [KEY.commitment()]
    assert ev["candidates"] == 1000
    assert ev["family_wise_alpha"] == 1e-3
    assert "delta" not in ev  # how strongly we bias is ours to keep


def test_report_ids_are_stable_and_nothing_secret_leaks() -> None:
    a = json.loads(str(finding_bundle(_finding(), "ProviderA", now=NOW).serialize()))
    b = json.loads(str(finding_bundle(_finding(), "ProviderA", now=NOW).serialize()))
    assert [o["id"] for o in a["objects"]] == [o["id"] for o in b["objects"]]
    text = json.dumps(a)
    assert KEY.material.hex() not in text
    assert "acct-7" not in text.replace(KEY.key_id, "")
    assert_no_secrets(text, [KEY], ["acct-7"])
    with pytest.raises(ProvenanceError, match="leaked"):
        assert_no_secrets(text + KEY.material.hex(), [KEY], [])


def test_white_bundles_need_no_marking_object() -> None:
    text = str(finding_bundle(_finding(), "ProviderA", tlp="white", now=NOW).serialize())
    assert next(o["type"] for o in json.loads(text)["objects"]) == "identity"


def test_unknown_test_kind() -> None:
    with pytest.raises(ProvenanceError, match="unknown test"):
        Finding(suspect="x", test="vibes", detection=_finding().detection, config=CFG, keys=[])
