"""The store protocol: the DuckDB store implements it, and detection needs nothing else.

Every read is run against the DuckDB store and checked for the columns it promises
and the events it selects; then campaign detection, the case files, intel export
and intel matching run against a wrapper that exposes *only* the protocol's
methods, and must give what they give on the store itself.
"""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import stix2

from distillguard.arrowsql import query
from distillguard.campaigns.detect import find_campaigns
from distillguard.errors import DistillguardError
from distillguard.intel.export import ExportOptions, _campaign_objects, identity
from distillguard.intel.hashing import KeyRing
from distillguard.intel.match import IntelSet, Source, match_store
from distillguard.reports import casefile
from distillguard.reports.output import campaign_links, views
from distillguard.scoring.risk import Calibration, score_accounts
from distillguard.store import EventFilter, EventStore, Window
from distillguard.store.duckdb import Store
from tests.campaigns.test_detect import OPERATOR, T0, store_path  # noqa: F401

PROTOCOL = frozenset(n for n in dir(EventStore) if not n.startswith("_") and n not in dir(object))


class ProtocolOnly:
    """A store seen through the protocol alone: anything else is an error."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name not in PROTOCOL:
            raise AttributeError(f"{name!r} is not part of the store protocol")
        return getattr(self._store, name)


def test_the_duckdb_store_implements_the_protocol(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as s:
        assert isinstance(s, EventStore)
        assert isinstance(ProtocolOnly(s), EventStore)
    assert {"profile_table", "key_counts", "events", "value_counts"} <= PROTOCOL
    for name in PROTOCOL - {"location"}:
        want = inspect.signature(getattr(EventStore, name))
        got = inspect.signature(getattr(Store, name))
        assert list(got.parameters) == list(want.parameters), name


def test_reads_return_the_columns_they_promise(store_path: Path) -> None:  # noqa: F811
    with Store(store_path) as s:
        assert s.key_counts(["ip", "prefix"]).column_names == ["account_id", "kind", "key", "n"]
        attrs = s.account_attributes()
        assert attrs.column_names == ["account_id", "org_id", "tier", "created_at"]
        assert s.value_counts("ip").column_names == ["account_id", "value", "n"]
        assert s.activity(600).column_names == ["account_id", "slot", "n"]
        assert s.events(["event_id", "ts"]).column_names == ["event_id", "ts"]
        summary = s.event_summary()
        assert set(summary) == {"n_events", "n_accounts", "first_ts", "last_ts"}
        files = s.loaded_files()
        assert files.column_names[:2] == ["path", "rows_good"]
        assert s.location == str(store_path)
        per_account = s.value_counts("account_id")
    n_events = summary["n_events"]
    assert n_events == pc.sum(per_account["n"]).as_py() == files["rows_inserted"][0].as_py()
    assert summary["n_accounts"] == attrs.num_rows
    op = attrs.filter(pc.equal(attrs["account_id"], "op00")).to_pylist()[0]
    assert (op["org_id"], op["tier"]) == ("org-op0", "free")
    assert op["created_at"] == T0 - dt.timedelta(days=2)


def test_filters_select_the_events_they_say(store_path: Path) -> None:  # noqa: F811
    with Store(store_path) as s:
        every = s.events(["event_id", "account_id", "day", "user_text"])
        mine = s.events(["event_id"], EventFilter(accounts=OPERATOR))
        others = s.events(["event_id"], EventFilter(accounts=OPERATOR, other_accounts=True))
        day1 = Window(start=T0.date() + dt.timedelta(days=1))
        later = s.events(["day"], EventFilter(window=day1))
        long_texts = s.events(["user_text"], EventFilter(min_text_chars=60), text_chars=10)
        picked = s.events(["event_id"], event_ids=["e00000", "e00003", "nope"])
        first = s.events(["ts"], order="time", limit=5)
        hashed = s.events(["event_id"], order="event_hash", limit=5)
        per_day = s.key_counts(["ip"], day1)
        slots = s.activity(3600, day1)
    assert mine.num_rows + others.num_rows == every.num_rows
    assert mine.num_rows == 15 * len(OPERATOR)
    assert set(later["day"].to_pylist()) == {T0.date() + dt.timedelta(days=1)}
    assert pc.max(pc.utf8_length(long_texts["user_text"])).as_py() == 10
    n_long = pc.sum(pc.greater_equal(pc.utf8_length(every["user_text"]), 60)).as_py()
    assert long_texts.num_rows == n_long
    assert sorted(picked["event_id"].to_pylist()) == ["e00000", "e00003"]
    ts = first["ts"].to_pylist()
    assert ts == sorted(ts)
    assert len(ts) == 5
    assert hashed.num_rows == 5
    assert pc.sum(per_day["n"]).as_py() == pc.sum(slots["n"]).as_py() == later.num_rows


def test_a_bad_name_is_refused_not_run(store_path: Path) -> None:  # noqa: F811
    with Store(store_path) as s:
        with pytest.raises(DistillguardError, match="no column"):
            s.events(["account_id; DROP TABLE events"])
        with pytest.raises(DistillguardError, match="no column"):
            s.value_counts("nope")
        assert s.key_counts(["ip'; --"]).num_rows == 0
        assert s.key_counts([]).num_rows == 0
        assert s.event_summary()["n_events"] > 0


def test_detection_needs_nothing_but_the_protocol(store_path: Path, tmp_path: Path) -> None:  # noqa: F811
    cal = Calibration.load()
    ring = KeyRing.from_secrets({"k1": "11" * 32})
    opts = ExportOptions(provider="me")

    def run(store: Any) -> dict[str, Any]:
        found = find_campaigns(store, cal)
        verdicts = score_accounts(store.profile_table(), cal)
        found.lift(verdicts)
        result = found.result(verdicts.table())
        members = result.accounts.filter(pc.is_valid(result.accounts["campaign_id"]))
        members = members.select(["account_id", "campaign_id"])
        camp = result.campaigns.to_pylist()[0]
        marking = stix2.TLP_AMBER
        objs, techniques, kinds, raw = _campaign_objects(
            store, camp, ring, opts, identity("me", marking), marking
        )
        intel = IntelSet(
            hashed={"ip": {ring.hash("ip", "198.51.100.10"): [Source("p", "c", None, "i", 1.0)]}},
            key_ids={"k1"},
        )
        return {
            "campaigns": result.campaigns.to_pylist(),
            "accounts": result.accounts.to_pylist(),
            "indicators": casefile.indicators(store, members).to_pylist(),
            "samples": casefile.samples(store, members).to_pylist(),
            "taken": casefile.value_taken(store, members),
            "facts": casefile.scan_facts(store),
            "views": [
                (v.campaign_id, v.timeline.to_pylist(), v.accounts.to_pylist())
                for v in views(store, result, campaign_links(result))
            ],
            "export": (sorted(o.id for o in objs), sorted(techniques), kinds, sorted(raw)),
            "matches": [m.row() for m in match_store(store, intel, ring)],
        }

    with Store(store_path) as s:
        direct = run(s)
        seen = run(ProtocolOnly(s))
    assert direct["campaigns"]
    assert direct["matches"]
    assert seen == direct


def test_sql_over_arrow_never_shares_a_database() -> None:
    t = pa.table({"x": [3, 1, 2]})
    out = query("SELECT x FROM t ORDER BY x", what="an order", t=t)
    assert out["x"].to_pylist() == [1, 2, 3]
    # ``t`` was registered in that query's own database, gone with it.
    with pytest.raises(DistillguardError, match="cannot compute a read"):
        query("SELECT * FROM t", what="a read")
