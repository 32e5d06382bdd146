"""Pulled indicators → matched accounts: the store, the scan hook, sightings, the watchlist."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import stix2
from typer.testing import CliRunner

from distillguard.cli import app
from distillguard.gateway.policy import load_policy
from distillguard.intel.export import ExportOptions, export_bundle, write_bundle
from distillguard.intel.hashing import KeyRing, new_key_file
from distillguard.intel.match import load_intel, match_store, sightings
from distillguard.store.duckdb import Store
from tests.intel.conftest import Scanned


def renamed(events: pa.Table, prefix: str) -> pa.Table:
    """The same traffic under new account, org, key and event ids (another provider)."""
    for col in ("account_id", "org_id", "api_key_id", "event_id"):
        i = events.schema.get_field_index(col)
        events = events.set_column(
            i, col, pc.binary_join_element_wise(pa.scalar(prefix), events[col], "")
        )
    return events


@pytest.fixture(scope="module")
def shared(
    scanned: dict[str, Scanned], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """provider-A's bundle of the standard scan, and provider-B's logs of the same operators."""
    root = tmp_path_factory.mktemp("match")
    keys = root / "forum-keys.yaml"
    ring = new_key_file(keys, "k1")
    s = scanned["standard"]
    bundle = write_bundle(
        export_bundle(s.out, s.store, ring, ExportOptions(provider="provider-A")),
        root / "bundle.json",
    )
    logs = root / "b-events.parquet"
    pq.write_table(renamed(s.events, "B-"), logs)
    return {"keys": keys, "bundle": bundle, "logs": logs, "root": root}


def test_store_matches_the_campaign_and_no_benign_account(
    scanned: dict[str, Scanned], shared: dict[str, Path]
) -> None:
    s = scanned["standard"]
    exported = {
        a for r in pq.read_table(s.out / "campaigns.parquet").to_pylist() for a in r["accounts"]
    }
    attack = {r["account_id"] for r in s.labels.to_pylist() if r["is_attack"]}
    with Store(shared["root"] / "b.duckdb") as store:
        store.load([shared["logs"]])
        found = match_store(store, load_intel(shared["bundle"]), KeyRing.load(shared["keys"]))
    matched = {m.account_id.removeprefix("B-") for m in found}
    assert exported
    assert exported <= matched
    assert matched <= attack, f"benign accounts matched: {matched - attack}"
    assert all(m.provider == "provider-A" and m.weight >= 1.0 for m in found)
    # Our own indicators are not evidence against us.
    with Store(shared["root"] / "b.duckdb") as store:
        own = load_intel(shared["bundle"], own="provider-A")
        assert match_store(store, own, KeyRing.load(shared["keys"])) == []


def test_scan_with_intel_raises_matched_accounts(shared: dict[str, Path]) -> None:
    out = shared["root"] / "scan-b"
    r = CliRunner().invoke(
        app,
        ["scan", str(shared["logs"]), "--store", str(shared["root"] / "scan-b.duckdb"),
         "--out", str(out), "--no-reports", "-q", "--intel", str(shared["bundle"]),
         "--intel-keys", str(shared["keys"])],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    matches = pq.read_table(out / "intel_matches.parquet").to_pylist()
    assert matches
    acc = {row["account_id"]: row for row in pq.read_table(out / "accounts.parquet").to_pylist()}
    for m in matches:
        row = acc[m["account_id"]]
        assert row["verdict"] == "block"
        assert any(
            x.startswith("matches indicators shared by provider-A in campaign provider-A/campaign-")
            for x in row["reasons"]
        )


def test_match_cli_writes_watchlist_policy_and_sightings(shared: dict[str, Path]) -> None:
    root = shared["root"]
    store = root / "scan-b.duckdb"
    if not store.exists():
        with Store(store) as s:
            s.load([shared["logs"]])
    r = CliRunner().invoke(
        app,
        ["intel", "match", str(shared["bundle"]), "--store", str(store), "--keys",
         str(shared["keys"]), "--provider", "provider-B", "--out", str(root / "m.parquet"),
         "--policy", str(root / "policy.yaml"), "--sightings", str(root / "sightings.json")],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    matched = {m["account_id"] for m in pq.read_table(root / "m.parquet").to_pylist()}
    policy = load_policy(root / "policy.yaml")
    assert policy.rules[0].name == "intel-match"
    assert set(policy.watchlists["intel"]) == matched
    text = (root / "sightings.json").read_text()
    bundle = stix2.parse(text, allow_custom=True)
    sights = [o for o in bundle.objects if o.type == "sighting"]
    assert sights
    assert all(o.sighting_of_ref.startswith("indicator--") for o in sights)
    assert not any(a in text for a in matched)


def test_sightings_count_accounts_without_naming_them(shared: dict[str, Path]) -> None:
    intel = load_intel(shared["bundle"])
    with Store(shared["root"] / "b.duckdb") as store:
        found = match_store(store, intel, KeyRing.load(shared["keys"]))
    objs = sightings(found, intel, "provider-B")
    text = json.dumps([json.loads(o.serialize()) for o in objs])
    assert max(o.count for o in objs if o.type == "sighting") <= len(found)
    assert not any(m.account_id in text for m in found)


def test_bad_intel_file(tmp_path: Path) -> None:
    from distillguard.intel.errors import IntelError

    p = tmp_path / "intel.jsonl"
    p.write_text('{"type": "identity"}\nnot json\n')
    with pytest.raises(IntelError) as err:
        load_intel(p)
    assert err.value.line == 2
    r = CliRunner().invoke(app, ["intel", "match", str(tmp_path / "missing.jsonl"),
                                 "--store", str(tmp_path / "none.duckdb")])  # fmt: skip
    assert r.exit_code == 2
    assert "no such store" in r.output
