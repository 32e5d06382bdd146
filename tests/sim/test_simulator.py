"""The simulator on real prompts: deterministic, consistent, and true to its scenarios."""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from distillguard.ingest import read_events
from distillguard.schema import EVENT_LABEL_SCHEMA, EVENT_SCHEMA, LABEL_SCHEMA
from distillguard_lab.sim.corpus import Corpus
from distillguard_lab.sim.pools import Pools
from distillguard_lab.sim.scenario import load_scenario
from distillguard_lab.sim.simulator import SimResult, simulate, write_result

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def pools(corpus: Corpus) -> Pools:
    return Pools.from_table(corpus.table)


_CACHE: dict[tuple[str, int, int], SimResult] = {}


def run(pools: Pools, name: str, events: int, seed: int = 11) -> SimResult:
    key = (name, events, seed)
    if key not in _CACHE:
        _CACHE[key] = simulate(load_scenario(name), pools, seed=seed, events=events)
    return _CACHE[key]


def roles(r: SimResult) -> dict[str, str]:
    """Account id → role, from the labels."""
    ids = r.labels.column("account_id").to_pylist()
    return dict(zip(ids, r.labels.column("role").to_pylist(), strict=True))


def user_texts(events: pa.Table) -> list[str]:
    out = []
    for msgs in events.column("messages").to_pylist():
        users = [m["content"] for m in msgs if m["role"] == "user"]
        out.append(users[-1] if users else "")
    return out


def test_same_seed_same_bytes_and_other_seed_differs(pools: Pools, tmp_path: Path) -> None:
    sc = load_scenario("easy")
    paths = []
    for i, seed in enumerate((5, 5, 6)):
        out = tmp_path / f"run{i}"
        write_result(simulate(sc, pools, seed=seed, events=4000), out)
        paths.append(out)
    for name in ("events.parquet", "labels.parquet", "event_labels.parquet"):
        assert (paths[0] / name).read_bytes() == (paths[1] / name).read_bytes(), name
    assert (paths[0] / "events.parquet").read_bytes() != (paths[2] / "events.parquet").read_bytes()


def test_exact_event_count_schema_and_time_order(pools: Pools) -> None:
    r = run(pools, "standard", 20_000)
    assert r.events.num_rows == 20_000
    assert r.events.schema.equals(EVENT_SCHEMA)
    assert r.labels.schema.equals(LABEL_SCHEMA)
    assert r.event_labels.schema.equals(EVENT_LABEL_SCHEMA)
    ts = r.events.column("ts").cast(pa.int64()).to_numpy()
    assert (np.diff(ts) >= 0).all()
    assert pc.count_distinct(r.events.column("event_id")).as_py() == r.events.num_rows


def test_labels_consistent_with_events(pools: Pools) -> None:
    r = run(pools, "standard", 20_000)
    labels = {row["account_id"]: row for row in r.labels.to_pylist()}
    ev_accounts = r.events.column("account_id").to_pylist()
    assert set(ev_accounts) == set(labels), "every labelled account has events and vice versa"
    for row in labels.values():
        assert row["is_attack"] == (row["campaign_id"] is not None)
        assert (row["role"] == "attacker") == row["is_attack"]
    assert r.event_labels.column("event_id").equals(r.events.column("event_id"))
    assert r.event_labels.column("account_id").equals(r.events.column("account_id"))
    for acc, is_attack_req in zip(
        ev_accounts, r.event_labels.column("is_attack_request").to_pylist(), strict=True
    ):
        assert is_attack_req == labels[acc]["is_attack"]
    covers = r.event_labels.column("is_cover").to_pylist()
    assert all(labels[a]["is_attack"] for a, c in zip(ev_accounts, covers, strict=True) if c)


def test_written_output_validates_cleanly_in_parquet_and_jsonl(
    pools: Pools, tmp_path: Path
) -> None:
    r = simulate(load_scenario("mixed"), pools, seed=3, events=6000)
    write_result(r, tmp_path, jsonl=True)
    for name in ("events.parquet", "events.jsonl"):
        res = read_events([tmp_path / name])
        assert res.quarantined == [], res.quarantined[:3]
        assert res.table.num_rows == 6000
    back = read_events([tmp_path / "events.jsonl"]).table
    assert back.column("event_id").equals(r.events.column("event_id"))
    assert back.column("messages").equals(r.events.column("messages"))


@pytest.mark.slow
def test_stealth_at_full_size_keeps_its_promises(pools: Pools) -> None:
    sc = load_scenario("stealth")
    r = run(pools, "stealth", sc.events)
    labels = r.labels.to_pylist()
    attack = {x["account_id"] for x in labels if x["is_attack"]}
    assert len(attack) >= 1000
    assert len(attack) / len(labels) <= 0.10
    per_acc: Counter[str] = Counter()
    cover: Counter[str] = Counter()
    blocks = set()
    for acc, is_cover, ip in zip(
        r.events.column("account_id").to_pylist(),
        r.event_labels.column("is_cover").to_pylist(),
        r.events.column("ip").to_pylist(),
        strict=True,
    ):
        if acc in attack:
            per_acc[acc] += 1
            cover[acc] += int(is_cover)
            addr = ipaddress.ip_address(ip)
            blocks.add(
                ipaddress.ip_network(f"{ip}/{24 if addr.version == 4 else 48}", strict=False)
            )
    assert max(per_acc.values()) <= 50
    assert min(cover[a] / per_acc[a] for a in attack) >= 0.5
    assert sum(cover.values()) / sum(per_acc.values()) >= 0.5
    assert len(blocks) >= 500, "diverse client addresses"


@pytest.mark.parametrize("name", ["easy", "standard", "stealth", "mixed"])
def test_attack_accounts_are_a_small_minority(pools: Pools, name: str) -> None:
    r = run(pools, name, 12_000)
    is_attack = r.labels.column("is_attack").to_pylist()
    assert any(is_attack)
    assert sum(is_attack) / len(is_attack) <= 0.10


def test_benign_volume_is_heavy_tailed(pools: Pools) -> None:
    r = run(pools, "standard", 60_000)
    role = roles(r)
    vols = Counter(a for a in r.events.column("account_id").to_pylist() if role[a] == "chat_user")
    v = np.sort(np.asarray(list(vols.values())))[::-1]
    top1 = v[: max(1, len(v) // 100)].sum() / v.sum()
    assert top1 >= 0.08, f"top 1% of chat users send {top1:.1%}"
    assert v.max() >= 20 * np.median(v)
    assert np.median(v) <= 5


def test_benign_accounts_do_not_share_long_prompts_verbatim(pools: Pools) -> None:
    r = run(pools, "standard", 60_000)
    role = roles(r)
    owners: dict[str, set[str]] = defaultdict(set)
    for acc, text in zip(
        r.events.column("account_id").to_pylist(), user_texts(r.events), strict=True
    ):
        # Evaluation users share public benchmark items by design (documented).
        if role[acc] not in ("attacker", "eval_user") and len(text) >= 200:
            owners[text].add(acc)
    shared = [t for t, accs in owners.items() if len(accs) > 1]
    assert len(shared) <= 0.001 * len(owners), f"{len(shared)} long prompts shared verbatim"


def test_no_value_only_attack_traffic_carries(pools: Pools) -> None:
    r = run(pools, "mixed", 60_000)
    attack_req = np.asarray(r.event_labels.column("is_attack_request").to_pylist())
    params = r.events.column("params").combine_chunks()
    columns = {
        "account_tier": r.events.column("account_tier").to_pylist(),
        "model": r.events.column("model").to_pylist(),
        "user_agent": r.events.column("user_agent").to_pylist(),
        "status": r.events.column("status").to_pylist(),
    }
    for f in (
        "temperature",
        "n",
        "max_tokens",
        "logprobs",
        "top_logprobs",
        "reasoning_effort",
        "stream",
    ):
        columns[f"params.{f}"] = params.field(f).to_pylist()
    for name, values in columns.items():
        benign = {v for v, a in zip(values, attack_req, strict=True) if not a}
        only_attack = {v for v, a in zip(values, attack_req, strict=True) if a} - benign
        assert not only_attack, (
            f"{name}: values only attackers send: {sorted(map(str, only_attack))[:5]}"
        )


def test_stealth_accounts_were_created_in_a_burst_and_share_nothing_loud(pools: Pools) -> None:
    r = run(pools, "stealth", 30_000)
    camp = {x["account_id"] for x in r.labels.to_pylist() if x["is_attack"]}
    created = {}
    for acc, t in zip(
        r.events.column("account_id").to_pylist(),
        r.events.column("account_created_at").cast(pa.int64()).to_pylist(),
        strict=True,
    ):
        if acc in camp:
            created[acc] = t
    span_h = (max(created.values()) - min(created.values())) / 3.6e9
    sc = load_scenario("stealth").campaigns[0]
    assert span_h <= sc.signup_burst_hours


def test_attack_accounts_keep_a_few_addresses_and_share_their_pool(pools: Pools) -> None:
    r = run(pools, "standard", 20_000)
    camp = {x["account_id"]: x["campaign_id"] for x in r.labels.to_pylist() if x["is_attack"]}
    ips: dict[str, set[str]] = defaultdict(set)
    for acc, ip in zip(
        r.events.column("account_id").to_pylist(), r.events.column("ip").to_pylist(), strict=True
    ):
        if acc in camp:
            ips[acc].add(ip)
    scenario = {c.id: c for c in load_scenario("standard").campaigns}
    for acc, seen in ips.items():
        assert len(seen) <= scenario[camp[acc]].ips_per_account[1], acc
    users: Counter[str] = Counter(ip for seen in ips.values() for ip in seen)
    assert max(users.values()) > 1, "a campaign's accounts share its proxy pool"


def test_some_benign_accounts_signed_up_this_week_and_none_before_its_sign_up(
    pools: Pools,
) -> None:
    r = run(pools, "standard", 20_000)
    role = roles(r)
    first: dict[str, int] = {}
    created: dict[str, int] = {}
    for acc, t, c in zip(
        r.events.column("account_id").to_pylist(),
        r.events.column("ts").cast(pa.int64()).to_pylist(),
        r.events.column("account_created_at").cast(pa.int64()).to_pylist(),
        strict=True,
    ):
        first[acc] = min(t, first.get(acc, t))
        created[acc] = c
    assert all(created[a] <= first[a] for a in first), "no request before its sign-up"
    start = int(load_scenario("standard").start.timestamp() * 1_000_000)
    new = [a for a in first if role[a] != "attacker" and created[a] >= start - 86_400_000_000]
    benign = [a for a in first if role[a] != "attacker"]
    assert 0.03 <= len(new) / len(benign) <= 0.15
