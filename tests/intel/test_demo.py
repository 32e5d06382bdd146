"""Three providers, one campaign: the forum demo end to end.

Simulated traffic, a real hub, and six real `serve` gateway processes on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from distillguard.cli import app
from distillguard_lab.sim.corpus import Corpus
from tests.intel.test_privacy import assert_no_raw


@pytest.mark.slow
def test_forum_demo_numbers_and_privacy(corpus: Corpus, tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    work = tmp_path / "work"
    r = CliRunner().invoke(
        app, ["forum-demo", "--json", str(out), "--workdir", str(work), "--events", "18000"]
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(out.read_text())
    with_, without = rep["with_sharing"], rep["without_sharing"]
    for p in ("A", "B", "C"):
        for arm in (with_, without):
            assert set(arm[p]) >= {"answered", "requests_per_account_to_stop", "benign_denied"}
        assert with_[p]["benign_denied"] <= without[p]["benign_denied"]
        for arm in (with_, without):
            assert arm[p]["transport_errors"] == 0, arm[p]["transport_error_kinds"]
        # No ordinary account is stopped on shared intel.
        assert with_[p]["intel_matched_benign_accounts"] == 0
        assert rep["benign_matches"][p] == {}
    for p in ("B", "C"):
        assert with_[p]["requests_per_account_to_stop"] <= 20
        # B's and C's gateways stopped the campaign's new accounts on the peers' intel.
        assert with_[p]["intel_matched_campaign_accounts"] == with_[p]["campaign_accounts"]
        assert without[p]["intel_matched_campaign_accounts"] == 0
        # Online scoring alone stops the campaign's accounts after a few requests each
        # (a quiet gateway scores within its window); sharing stops them on the first.
        assert with_[p]["answered"] <= 1
        assert with_[p]["answered"] < without[p]["answered"]
        assert with_[p]["requests_per_account_to_stop"] < without[p]["requests_per_account_to_stop"]
    assert rep["reduction_factor"] > 1
    # A detected and shared; B and C pulled.
    assert any(h.get("provider") == "provider-A" and h.get("added") for h in rep["hub"])
    # Every bundle any provider exported is free of every raw value of all the traffic.
    logs = pa.concat_tables(pq.read_table(f) for f in sorted(work.glob("*/logs/*.parquet")))
    bundles = sorted(work.glob("*/bundles/*.json"))
    assert bundles
    for b in bundles:
        assert_no_raw(json.loads(b.read_text()), logs)
