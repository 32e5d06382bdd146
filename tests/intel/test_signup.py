"""The sign-up check (issue 19, item 4): our campaigns' index, peers' bundles, the endpoint.

Real parts: a DuckDB store loaded from a log, STIX bundles exported from a scanned
simulation as the other intel tests build them, the gateway on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from distillguard.cli import app
from distillguard.datafile import DataFileError
from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.keys import KeyInfo
from distillguard.gateway.signup_check import SignupConfig
from distillguard.gateway.watched import LiveIntel
from distillguard.intel.errors import IntelError
from distillguard.intel.export import ExportOptions, export_bundle, write_bundle
from distillguard.intel.hashing import KeyRing, new_key_file
from distillguard.intel.match import load_intel
from distillguard.intel.signup import (
    Applicant,
    OwnIndex,
    SignupChecker,
    build_own_index,
    load_signup_rules,
    load_signup_rules_text,
)
from distillguard.store.duckdb import Store
from distillguard_lab.mock_upstream import create_mock_app
from tests.gateway.helpers import serve
from tests.intel.conftest import Scanned

CAMPAIGN_IP, CAMPAIGN_CARD, CAMPAIGN_UA = "203.0.113.9", "pm-camp-77", "harvester/1.0 (batch)"
CAMPAIGNS = pa.table({
    "campaign_id": ["c-0001", "c-0002"],
    "accounts": [["c-a1", "c-a2"], ["c-w1"]],
    "verdict": ["block", "watch"],
})  # fmt: skip


def _events() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    members = [("c-a1", "203.0.113.9"), ("c-a2", "203.0.113.10"), ("c-w1", "192.0.2.50")]
    for i in range(12):
        acct, ip = members[i % 3]
        watched = acct == "c-w1"
        rows.append({
            "account_id": acct, "ip": ip,
            "user_agent": "watcher/2.0" if watched else CAMPAIGN_UA,
            "payment_fingerprint": "pm-watch" if watched else CAMPAIGN_CARD,
        })  # fmt: skip
    for i in range(12):
        rows.append({
            "account_id": f"b{i % 4}", "ip": f"198.51.100.{i % 4 + 1}",
            "user_agent": "openai-python/1.82.0", "payment_fingerprint": f"pm-b{i % 4}",
        })  # fmt: skip
    for i, r in enumerate(rows):
        r.update(event_id=f"e{i}", ts=f"2026-03-01T10:{i:02d}:00Z", model="m",
                 messages=[{"role": "user", "content": f"question number {i}"}])  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KeyRing]:
    """Our index, built from a real store and a scan's campaigns table, written and read."""
    root = tmp_path_factory.mktemp("signup")
    log = root / "events.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in _events()), encoding="utf-8")
    ring = KeyRing.from_secrets({"k1": "55" * 32})
    with Store(root / "s.duckdb") as store:
        store.load([log])
        index = build_own_index(store, CAMPAIGNS, ring)
    path = index.write(root / "signup-index.json")
    return path, ring


def test_own_campaigns_decide_with_reasons(own: tuple[Path, KeyRing]) -> None:
    path, ring = own
    text = path.read_text(encoding="utf-8")
    for raw in (CAMPAIGN_IP, CAMPAIGN_CARD, CAMPAIGN_UA, "203.0.113.0/24"):
        assert raw not in text  # keyed hashes only
    checker = SignupChecker(load_signup_rules(), ring, own=OwnIndex.load(path))

    def check(**kw: str) -> tuple[str, float, tuple[str, ...]]:
        d = checker.check(Applicant(**kw))
        return d.decision, round(d.score, 6), d.reasons

    # The address (1.0) and its network (0.4): deny.
    decision, score, reasons = check(ip=CAMPAIGN_IP)
    assert (decision, score) == ("deny", 1.4)
    assert reasons == (
        "client address used by 1 account of our campaign c-0001 (verdict block)",
        "network used by 2 accounts of our campaign c-0001 (verdict block)",
    )
    assert check(payment=CAMPAIGN_CARD)[:2] == ("deny", 1.0)
    # Another address in the campaign's network: verify.
    assert check(ip="203.0.113.77")[:2] == ("verify", 0.4)
    # The harvest client alone is weak; with the network it is worth a check.
    assert check(user_agent=CAMPAIGN_UA)[:2] == ("allow", 0.2)
    assert check(user_agent=CAMPAIGN_UA, ip="203.0.113.77")[:2] == ("verify", 0.6)
    # A benign account's infrastructure, and a campaign only watched, decide nothing.
    assert check(ip="198.51.100.2", user_agent="openai-python/1.82.0") == ("allow", 0.0, ())
    assert check(ip="192.0.2.50", payment="pm-watch")[:2] == ("allow", 0.0)
    rec = checker.check(Applicant(ip="198.51.100.2")).record()
    assert rec["reasons"] == ["no match with known harvest infrastructure"]
    assert (rec["decision"], rec["score"], rec["evidence"]) == ("allow", 0.0, [])
    # The rules are data: count watched campaigns too, and deny from 0.5.
    rules = load_signup_rules_text(
        "version: 1\nown_verdicts: [block, watch]\nverify_at: 0.3\ndeny_at: 0.5\n", "r.yaml"
    )
    strict = SignupChecker(rules, ring, own=OwnIndex.load(path))
    assert strict.check(Applicant(ip="203.0.113.77")).decision == "verify"
    assert strict.check(Applicant(payment="pm-watch")).decision == "deny"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 1\nverify_at: 0.8\ndeny_at: 0.5\n", "r.yaml:3: field deny_at"),
        ("version: 1\nweights: {ip: -1}\n", "r.yaml:2: field weights.ip"),
        ("version: 1\nweights: {email: 1}\n", "r.yaml:2: field weights.email"),
        ("version: 1\nown_verdicts: [evil]\n", "r.yaml:2: field own_verdicts[0]"),
    ],
)
def test_rule_errors_name_file_line_and_field(text: str, where: str) -> None:
    with pytest.raises(DataFileError) as err:
        load_signup_rules_text(text, "r.yaml")
    assert str(err.value).startswith(where), str(err.value)


def test_an_index_needs_its_key(own: tuple[Path, KeyRing], tmp_path: Path) -> None:
    path, _ = own
    other = KeyRing.from_secrets({"k9": "66" * 32})
    with pytest.raises(IntelError, match="hashed under key 'k1'"):
        SignupChecker(load_signup_rules(), other, own=OwnIndex.load(path))
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "key_id": "k1", "entries": {"ip": {"h": [1]}}}')
    with pytest.raises(IntelError, match="not a sign-up index"):
        OwnIndex.load(bad)


@pytest.fixture(scope="module")
def peers(scanned: dict[str, Scanned], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """provider-A's bundle of a scanned simulation (as `intel export` writes it)."""
    root = tmp_path_factory.mktemp("signup-peers")
    keys = root / "forum-keys.yaml"
    ring = new_key_file(keys, "k1")
    s = scanned["standard"]
    bundle = write_bundle(
        export_bundle(s.out, s.store, ring, ExportOptions(provider="provider-A")),
        root / "bundle.json",
    )
    return {"keys": keys, "bundle": bundle}


def _members_ip(s: Scanned) -> tuple[str, str]:
    """An address of an exported campaign's member, and one only benign accounts used."""
    camps = pq.read_table(s.out / "campaigns.parquet").to_pylist()
    members = {a for c in camps for a in c["accounts"]}
    ips: dict[str, set[str]] = {}
    for r in s.events.select(["account_id", "ip"]).to_pylist():
        ips.setdefault(str(r["ip"]), set()).add(str(r["account_id"]))
    attack = {r["account_id"] for r in s.labels.to_pylist() if r["is_attack"]}
    member_ip = next(ip for ip, accts in sorted(ips.items()) if accts and accts <= members)
    benign_ip = next(ip for ip, accts in sorted(ips.items()) if not accts & attack)
    return member_ip, benign_ip


def test_peers_shared_indicators_decide_a_sign_up(
    scanned: dict[str, Scanned], peers: dict[str, Path]
) -> None:
    ring = KeyRing.load(peers["keys"])
    checker = SignupChecker(load_signup_rules(), ring, peers=load_intel(peers["bundle"]))
    member_ip, benign_ip = _members_ip(scanned["standard"])
    d = checker.check(Applicant(ip=member_ip))
    assert d.decision == "deny"
    assert d.evidence[0].source == "provider-A"
    assert "client address matches an indicator shared by provider-A" in d.reasons[0]
    assert checker.check(Applicant(ip=benign_ip)).decision == "allow"
    # Our own indicators are not evidence (we know our campaigns from our index).
    mine = SignupChecker(load_signup_rules(), ring,
                         peers=load_intel(peers["bundle"], own="provider-A"))  # fmt: skip
    assert mine.check(Applicant(ip=member_ip)).decision == "allow"


def test_the_operator_endpoint_on_loopback(
    own: tuple[Path, KeyRing], scanned: dict[str, Scanned], peers: dict[str, Path],
    tmp_path: Path,
) -> None:  # fmt: skip
    path, own_ring = own
    ring = KeyRing.load(peers["keys"])
    # One ring for both: the forum key, and our own key for our index.
    both = KeyRing.from_secrets(
        {"k1": ring.keys["k1"].hex(), "own": own_ring.keys["k1"].hex()}, current="own"
    )
    with Store(path.parent / "s.duckdb") as store:
        index = build_own_index(store, CAMPAIGNS, both)  # under the current key, "own"
    live = LiveIntel(peers["bundle"], both)
    live.check()
    member_ip, _ = _members_ip(scanned["standard"])
    with serve(create_mock_app()) as up:
        cfg = GatewayConfig(
            upstream=up, keys={"k": KeyInfo("acct")}, audit_path=tmp_path / "audit.jsonl",
            scorer="inline", admin_token="admin-secret", intel=live,
            signup=SignupConfig(index, both),
        )  # fmt: skip
        with serve(create_app(cfg)) as url, httpx.Client(base_url=url, timeout=30) as c:
            admin = {"authorization": "Bearer admin-secret"}
            r = c.post("/admin/signup-check", json={"ip": CAMPAIGN_IP}, headers=admin)
            assert r.status_code == 200
            assert r.json()["decision"] == "deny"
            assert r.json()["evidence"][0] == {
                "source": "own", "campaign": "c-0001", "kinds": ["ip", "net"], "score": 1.4
            }  # fmt: skip
            r = c.post("/admin/signup-check", json={"ip": member_ip}, headers=admin)
            assert (r.json()["decision"], r.json()["evidence"][0]["source"]) == (
                "deny", "provider-A"
            )  # fmt: skip
            got = c.post("/admin/signup-check", json={"user_agent": "curl/8"}, headers=admin)
            assert got.json()["decision"] == "allow"
            # An API key is not the admin token; a bad body names its field.
            r = c.post("/admin/signup-check", json={"ip": CAMPAIGN_IP},
                       headers={"authorization": "Bearer k"})  # fmt: skip
            assert r.status_code == 401
            r = c.post("/admin/signup-check", json={"email": "x@y"}, headers=admin)
            assert (r.status_code, r.json()["error"]["param"]) == (400, "email")
            assert c.get("/admin/signup-check", headers=admin).status_code == 405


def test_accounts_check_cli(own: tuple[Path, KeyRing], tmp_path: Path) -> None:
    path, ring = own
    keys = tmp_path / "keys.yaml"
    keys.write_text(f"current: k1\nkeys:\n  k1: '{ring.keys['k1'].hex()}'\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["accounts", "check", "--ip", CAMPAIGN_IP, "--index", str(path),
                                 "--keys", str(keys), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert (got["decision"], got["score"]) == ("deny", 1.4)
    r = CliRunner().invoke(app, ["accounts", "check", "--index", str(path), "--keys", str(keys)])
    assert r.exit_code == 2
    assert "give at least one of --ip" in r.output


def test_accounts_index_then_check_on_a_scan(
    scanned: dict[str, Scanned], peers: dict[str, Path], tmp_path: Path
) -> None:
    s = scanned["standard"]
    idx = tmp_path / "signup-index.json"
    args = ["accounts", "index", "--scan-out", str(s.out), "--store", str(s.store),
            "--keys", str(peers["keys"]), "--out", str(idx)]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    member_ip, benign_ip = _members_ip(s)
    assert member_ip not in idx.read_text(encoding="utf-8")
    got = {}
    for ip in (member_ip, benign_ip):
        r = CliRunner().invoke(app, ["accounts", "check", "--ip", ip, "--index", str(idx),
                                     "--keys", str(peers["keys"]), "--json"])  # fmt: skip
        assert r.exit_code == 0, r.output
        got[ip] = json.loads(r.output)
    assert got[member_ip]["decision"] == "deny"
    assert got[member_ip]["evidence"][0]["source"] == "own"
    assert got[benign_ip]["decision"] == "allow"
