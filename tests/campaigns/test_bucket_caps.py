"""Bucket caps: a key shared by many accounts costs pairs linear in its holders, and is
recorded as a hot key that campaign evidence names (issue 20 item 1)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from distillguard.campaigns.detect import CampaignConfig, build_links, find_campaigns
from distillguard.campaigns.links import LinkContext, available, create
from distillguard.campaigns.links.base import (
    HOT_KEY_SCHEMA,
    MAX_PAIRS_DF,
    RING_NEIGHBOURS,
    HotKey,
    shared_key_pairs,
)
from distillguard.errors import DistillguardError
from distillguard.scoring.risk import Calibration
from distillguard.store import Window
from distillguard.store.duckdb import Store
from tests.campaigns.test_detect import COMPANY, LONERS, OPERATOR, ORDINARY, RIVAL, traffic


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from distillguard.ingest import write_events

    d = tmp_path_factory.mktemp("caps")
    write_events(traffic(), d / "events.parquet")
    with Store(d / "s.duckdb") as s:
        s.load([d / "events.parquet"])
    return d / "s.duckdb"


def _ctx(store: Store) -> LinkContext:
    accounts = store.account_attributes()
    no_orgs = accounts.set_column(1, "org_id", pa.nulls(accounts.num_rows, pa.string()))
    return LinkContext(store, Window(), no_orgs)


@pytest.mark.parametrize("holders", [100, 400, 1600])
def test_a_hot_key_costs_linear_pairs_and_is_recorded(store_path: Path, holders: int) -> None:
    accounts = [f"acct{i:05d}" for i in range(holders)]
    table = pa.table(
        {
            "account_id": [*accounts, "lone1", "lone2"],
            "key": ["campus-nat"] * holders + ["pair-key", "pair-key"],
        }
    )
    with Store(store_path) as s:
        ctx = _ctx(s)
        pairs = shared_key_pairs(ctx, table, what="ip")
    # A clique would be holders**2 / 2 pairs; the ring is at most ring_neighbours each.
    assert pairs.num_rows <= holders * RING_NEIGHBOURS + 1
    assert pairs.num_rows >= holders - 1  # still connected: each to its next holder
    linked = set(pairs["src"].to_pylist()) | set(pairs["dst"].to_pylist())
    assert set(accounts) <= linked
    assert ctx.hot_keys == [HotKey("ip", "campus-nat", tuple(sorted(accounts)))]


def test_keys_up_to_the_cap_stay_cliques(store_path: Path) -> None:
    n = MAX_PAIRS_DF
    table = pa.table({"account_id": [f"a{i:03d}" for i in range(n)], "key": ["k"] * n})
    with Store(store_path) as s:
        ctx = _ctx(s)
        pairs = shared_key_pairs(ctx, table, what="ip")
    assert pairs.num_rows == n * (n - 1) // 2
    assert ctx.hot_keys == []


def test_caps_are_linker_parameters_and_checked(store_path: Path) -> None:
    assert create("ip").max_pairs_df == MAX_PAIRS_DF
    assert create("near_duplicate", max_bucket=50).check() == []
    with pytest.raises(DistillguardError, match=r"links\.ip\.max_pairs_df"):
        CampaignConfig(links={"ip": {"max_pairs_df": 1}}).linkers()
    with pytest.raises(DistillguardError, match=r"links\.subnet\.ring_neighbours"):
        CampaignConfig(links={"subnet": {"ring_neighbours": 0}}).linkers()
    with pytest.raises(DistillguardError, match=r"links\.sync\.max_bucket"):
        CampaignConfig(links={"sync": {"max_bucket": 1}}).linkers()
    with Store(store_path) as s, pytest.raises(DistillguardError, match="leiden_iterations"):
        find_campaigns(s, Calibration.load(), cfg=CampaignConfig(leiden_iterations=0))
    # The company's one egress address (20 accounts) is a hot key under a cap of 5.
    hot: list[HotKey] = []
    with Store(store_path) as s:
        links = build_links(s, [create("ip", max_pairs_df=5, ring_neighbours=2)], hot_keys=hot)
    egress = [h for h in hot if h.key == "203.0.113.5"]
    assert egress == [HotKey("ip", "203.0.113.5", tuple(COMPANY))]
    company = [r for r in links.to_pylist() if r["src"] in COMPANY]
    assert len(company) == 19 + 18  # a ring of 20 with two neighbours, not 190 pairs


def _small_caps() -> CampaignConfig:
    return CampaignConfig(links={n: {"max_pairs_df": 4, "ring_neighbours": 3} for n in available()})


def test_campaigns_survive_small_caps_and_name_their_hot_keys(store_path: Path) -> None:
    cal = Calibration.load()
    with Store(store_path) as s:
        found = find_campaigns(s, cal, cfg=_small_caps())
        again = find_campaigns(s, cal, cfg=_small_caps())
    camps = sorted(found.campaigns.to_pylist(), key=lambda r: -r["n_accounts"])
    assert [sorted(c["accounts"]) for c in camps] == [OPERATOR, RIVAL]
    assert found.hot_keys.schema == HOT_KEY_SCHEMA
    ip = next(e for e in camps[0]["evidence"] if e["link_type"] == "ip")
    # Every one of the operator's 6 proxy addresses is held by all 12 accounts.
    assert len(ip["hot_keys"]) == 6
    assert all(h["accounts"] == 12 and h["members"] == 12 for h in ip["hot_keys"])
    assert {h["key"] for h in ip["hot_keys"]} == {f"198.51.100.{i}" for i in range(10, 16)}
    assert (
        "6 hot keys linked in rings (one held by 12 of this campaign's accounts and 12 in all)"
        in ip["detail"]
    )
    # Determinism: the same rings, links, hot keys and campaigns on every run.
    assert found.links.equals(again.links)
    assert found.hot_keys.equals(again.hot_keys)
    assert found.campaigns.equals(again.campaigns)
    assert found.members.equals(again.members)


def test_default_caps_ring_only_the_crowd(store_path: Path) -> None:
    cal = Calibration.load()
    with Store(store_path) as s:
        found = find_campaigns(s, cal)
    # Under the default cap, the only hot keys are the ordinary requests that the
    # company and the loners (50 accounts) all send; each is named by its text.
    hot = found.hot_keys.to_pylist()
    assert {(h["link_type"], h["accounts"]) for h in hot} == {("near_duplicate", 50)}
    assert {h["key"].split(" (draft")[0] for h in hot} == set(ORDINARY)
    assert all(set(h["holders"]) == set(COMPANY + LONERS) for h in hot)
    # The operators hold none of them, so their evidence lists no hot key.
    for camp in found.campaigns.to_pylist():
        assert all(e["hot_keys"] == [] for e in camp["evidence"])
