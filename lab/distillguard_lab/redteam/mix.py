"""Merge red-team attack traffic into a benign-only simulator background.

The result has the layout of ``distillguard simulate`` output (``events.parquet``,
``labels.parquet``, ``event_labels.parquet``, ``summary.json``), so every tool
that reads a simulation reads it too.  The background comes from
``background.yaml`` beside this file: the ``standard`` scenario's benign
populations over 14 days, no campaigns.

>>> BACKGROUND_SCENARIO.name
'background.yaml'
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.fileio import atomic_open
from distillguard.ingest import write_events, write_labels
from distillguard.schema import EVENT_COLUMNS, EVENT_LABEL_SCHEMA, EVENT_SCHEMA, LABEL_SCHEMA
from distillguard_lab.redteam.generator import (
    DAY,
    HOUR,
    RedTeamConfig,
    RedTeamError,
    generate_all,
)
from distillguard_lab.sim.corpus import Corpus

#: The benign-only scenario the red team is mixed into.
BACKGROUND_SCENARIO: Final = Path(__file__).with_name("background.yaml")
#: Background size that :attr:`RedTeamConfig.scale` ``= 1`` is sized for.
REFERENCE_EVENTS: Final = 200_000
#: Red-team traffic starts this long after the background's first event and ends
#: this long before its last, so it lies inside the background's window.
_MARGIN_S: Final = 6 * HOUR


@dataclass(frozen=True)
class MixResult:
    """Where the mixed data set went and what it holds."""

    out_dir: Path
    written: list[Path] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _read(path: Path, what: str) -> pa.Table:
    if not path.is_file():
        raise RedTeamError(f"background has no {what}", path=path)
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise RedTeamError(f"cannot read {what}: {exc}", path=path) from exc


def _span(events: pa.Table) -> tuple[dt.datetime, dt.datetime]:
    mm = pc.min_max(events.column("ts"))
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is None or hi is None:
        raise RedTeamError("no events")
    return lo, hi


def background_window(background_dir: str | Path) -> tuple[dt.datetime, dt.datetime]:
    """First and last event time of a background simulation directory."""
    path = Path(background_dir) / "events.parquet"
    return _span(_read(path, "events.parquet").select(["ts"]))


def _conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    missing = [n for n in schema.names if n not in table.column_names]
    if missing:
        raise RedTeamError(f"{what} lacks column(s) {', '.join(missing)}")
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise RedTeamError(f"{what} does not fit its schema: {exc}") from exc


def _check_disjoint(a: pa.Table, b: pa.Table, column: str, what: str) -> None:
    clash = pc.is_in(b.column(column), value_set=a.column(column).combine_chunks())
    n = pc.sum(clash).as_py() or 0
    if n:
        raise RedTeamError(f"{n} red-team {what} also occur in the background", field=column)


def _summary(
    events: pa.Table,
    labels: pa.Table,
    background: dict[str, Any],
    rt_events: pa.Table,
    rt_event_labels: pa.Table | None,
) -> dict[str, Any]:
    """The simulator's summary keys, recomputed over the mixed data set."""
    role_of = dict(zip(labels["account_id"].to_pylist(), labels["role"].to_pylist(), strict=True))
    camp_of = dict(
        zip(labels["account_id"].to_pylist(), labels["campaign_id"].to_pylist(), strict=True)
    )
    per_account = Counter(events["account_id"].to_pylist())
    roles: dict[str, dict[str, int]] = {}
    for acct, role in role_of.items():
        r = roles.setdefault(role, {"accounts": 0, "events": 0})
        r["accounts"] += 1
        r["events"] += per_account.get(acct, 0)
    cover: Counter[str] = Counter()
    if rt_event_labels is not None:
        for acct, is_cover in zip(
            rt_event_labels["account_id"].to_pylist(),
            rt_event_labels["is_cover"].to_pylist(),
            strict=True,
        ):
            if is_cover:
                cover[camp_of[acct]] += 1
    campaigns: dict[str, dict[str, Any]] = {}
    for acct in rt_events["account_id"].unique().to_pylist():
        cid = camp_of[acct]
        d = campaigns.setdefault(
            cid, {"accounts": 0, "events": 0, "cover_share": 0.0, "max_requests_per_account": 0}
        )
        d["accounts"] += 1
        d["events"] += per_account[acct]
        d["max_requests_per_account"] = max(d["max_requests_per_account"], per_account[acct])
    for cid, d in campaigns.items():
        d["cover_share"] = cover[cid] / d["events"] if d["events"] else 0.0
    attack_accounts = sum(bool(v) for v in labels["is_attack"].to_pylist())
    lo, hi = _span(events)
    return {
        "scenario": "redteam-mix",
        "seed": background.get("seed"),
        "events": events.num_rows,
        "accounts": labels.num_rows,
        "attack_accounts": attack_accounts,
        "attack_account_share": attack_accounts / max(1, labels.num_rows),
        "attack_event_share": rt_events.num_rows / max(1, events.num_rows),
        "roles": dict(sorted(roles.items())),
        "campaigns": dict(sorted(campaigns.items())),
        "time_span": [str(lo), str(hi)],
        "background": background,
    }


def mix(
    background_dir: str | Path,
    redteam_events: pa.Table,
    redteam_labels: pa.Table,
    out_dir: str | Path,
    *,
    redteam_event_labels: pa.Table | None = None,
) -> MixResult:
    """Merge red-team events and labels into the background in ``background_dir``.

    Writes ``out_dir/events.parquet`` (sorted by ``ts``, ties by ``event_id``),
    ``labels.parquet``, ``event_labels.parquet`` (when the background has one and
    ``redteam_event_labels`` is given) and ``summary.json``.  Raises
    :class:`RedTeamError` when the red team's time window is not inside the
    background's, or an account or event id occurs in both.
    """
    bg_dir, out = Path(background_dir), Path(out_dir)
    bg_events = _conform(_read(bg_dir / "events.parquet", "events"), EVENT_SCHEMA, "background")
    bg_labels = _conform(_read(bg_dir / "labels.parquet", "labels"), LABEL_SCHEMA, "background")
    rt_events = _conform(redteam_events, EVENT_SCHEMA, "red-team events")
    rt_labels = _conform(redteam_labels, LABEL_SCHEMA, "red-team labels")
    if rt_events.num_rows == 0:
        raise RedTeamError("no red-team events to mix in")
    (blo, bhi), (rlo, rhi) = _span(bg_events), _span(rt_events)
    if rlo < blo or rhi > bhi:
        raise RedTeamError(
            f"red-team window {rlo} .. {rhi} is not inside the background's {blo} .. {bhi}",
            field="ts",
        )
    _check_disjoint(bg_labels, rt_labels, "account_id", "account ids")
    _check_disjoint(bg_events, rt_events, "event_id", "event ids")
    unlabelled = pc.invert(pc.is_in(rt_events["account_id"], value_set=rt_labels["account_id"]))
    if pc.any(unlabelled).as_py():
        raise RedTeamError("a red-team event's account has no label", field="account_id")

    events = pa.concat_tables([bg_events, rt_events]).sort_by(
        [("ts", "ascending"), ("event_id", "ascending")]
    )
    labels = pa.concat_tables([bg_labels, rt_labels])
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "events.parquet", out / "labels.parquet"]
    write_events(events.select(list(EVENT_COLUMNS)), written[0])
    write_labels(labels, written[1])

    bg_el_path = bg_dir / "event_labels.parquet"
    rt_el = None
    if redteam_event_labels is not None:
        rt_el = _conform(redteam_event_labels, EVENT_LABEL_SCHEMA, "red-team event labels")
        if bg_el_path.is_file():
            bg_el = _conform(_read(bg_el_path, "event labels"), EVENT_LABEL_SCHEMA, "background")
            merged = pa.concat_tables([bg_el, rt_el])
            # The same row order as events.parquet, as the simulator writes them.
            pos = pc.index_in(events["event_id"], value_set=merged["event_id"])
            written.append(out / "event_labels.parquet")
            write_labels(merged.take(pos), written[-1])

    bg_summary: dict[str, Any] = {}
    if (bg_dir / "summary.json").is_file():
        bg_summary = json.loads((bg_dir / "summary.json").read_text(encoding="utf-8"))
    summary = _summary(events, labels, bg_summary, rt_events, rt_el)
    path = out / "summary.json"
    with atomic_open(path) as fh:
        fh.write(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    written.append(path)
    return MixResult(out, written, summary)


def build_dataset(
    seed: int,
    out_dir: str | Path,
    *,
    events: int = REFERENCE_EVENTS,
    corpus: Corpus | None = None,
    operations: tuple[str, ...] | None = None,
) -> MixResult:
    """Simulate the benign background (``events`` events), generate the red team
    scaled to it inside its window, and mix both into ``out_dir``.

    The background uses simulator seed ``seed``; the red team uses its own
    generator seeded with ``seed`` (a different algorithm and stream).
    """
    from distillguard_lab.sim.corpus import load_corpus
    from distillguard_lab.sim.run import run_simulation

    if events <= 0:
        raise RedTeamError(f"must be > 0, got {events}", field="events")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".background-") as tmp:
        bg = Path(tmp)
        run_simulation(
            str(BACKGROUND_SCENARIO), seed=seed, events=events, out=bg, jsonl=False, progress=False
        )
        lo, hi = background_window(bg)
        days = ((hi - lo).total_seconds() - 2 * _MARGIN_S) / DAY
        kwargs: dict[str, Any] = {}
        if operations is not None:
            kwargs["operations"] = operations
        cfg = RedTeamConfig(
            seed=seed,
            start=lo + dt.timedelta(seconds=_MARGIN_S),
            days=days,
            scale=events / REFERENCE_EVENTS,
            **kwargs,
        )
        data = generate_all(cfg, corpus if corpus is not None else load_corpus())
        return mix(bg, data.events, data.labels, out, redteam_event_labels=data.event_labels)
