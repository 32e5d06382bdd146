"""Run a scenario: build accounts and their traffic, write events and labels.

>>> from distillguard_lab.sim.scenario import load_scenario
>>> plan = plan_run(load_scenario("easy"), events=10_000)
>>> plan.scale
0.1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.errors import DistillguardError
from distillguard.schema import EVENT_LABEL_SCHEMA, EVENT_SCHEMA, LABEL_SCHEMA
from distillguard_lab.sim import attack, benign
from distillguard_lab.sim.builder import EventBuilder, OrderedEvents
from distillguard_lab.sim.context import SimContext
from distillguard_lab.sim.pools import Cursor, Pools
from distillguard_lab.sim.scenario import Scenario

#: Attack traffic is capped at this share of all events when ``--events`` is small.
MAX_ATTACK_SHARE = 0.7
#: Rows per Parquet row group (and per batch streamed to the writers).
ROW_GROUP = 128 * 1024


@dataclass(frozen=True)
class RunPlan:
    """Account and event counts after scaling a scenario to ``events``."""

    events: int
    scale: float
    population_accounts: tuple[int, ...]
    campaign_accounts: tuple[int, ...]


@dataclass
class SimResult:
    """What one simulation produced.

    ``events`` and ``event_labels`` are built in time order on first access; writers
    stream from ``ordered`` instead, so a million-event run never holds two copies.
    """

    ordered: OrderedEvents
    labels: pa.Table
    summary: dict[str, object] = field(default_factory=dict)

    @cached_property
    def _tables(self) -> tuple[pa.Table, pa.Table]:
        parts = list(self.ordered.batches())
        if not parts:
            return EVENT_SCHEMA.empty_table(), EVENT_LABEL_SCHEMA.empty_table()
        return (
            pa.concat_tables([e for e, _ in parts]),
            pa.concat_tables([lab for _, lab in parts]),
        )

    @property
    def events(self) -> pa.Table:
        return self._tables[0]

    @property
    def event_labels(self) -> pa.Table:
        return self._tables[1]


def plan_run(scenario: Scenario, events: int | None = None) -> RunPlan:
    """Scale account counts so that per-account behaviour stays as written."""
    total = scenario.events if events is None else events
    if total < 1:
        raise DistillguardError("--events must be >= 1", field="events")
    scale = total / scenario.events
    pops = tuple(max(1, round(p.accounts * scale)) for p in scenario.populations)
    camps = tuple(max(2, round(c.accounts * scale)) for c in scenario.campaigns)
    return RunPlan(events=total, scale=scale, population_accounts=pops, campaign_accounts=camps)


def _event_ids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.bytes(8 * n).hex()
    ids = ["ev_" + raw[16 * i : 16 * i + 16] for i in range(n)]
    if len(set(ids)) != n:  # 64 random bits: practically never, but never silently
        seen: set[str] = set()
        for i, e in enumerate(ids):
            while e in seen:
                e = "ev_" + rng.bytes(8).hex()
            ids[i] = e
            seen.add(e)
    return ids


def simulate(
    scenario: Scenario,
    pools: Pools,
    *,
    seed: int,
    events: int | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> SimResult:
    """Generate a whole scenario deterministically from ``seed``.

    ``on_progress(step, events_done)`` is called after each campaign and population.
    """
    plan = plan_run(scenario, events)
    root = np.random.SeedSequence([seed, 0x5D15])
    streams = root.spawn(3 + len(scenario.populations) + len(scenario.campaigns))
    rng_cursor = np.random.default_rng(streams[0])
    rng_ids = np.random.default_rng(streams[1])
    start_us = int(scenario.start.timestamp() * 1_000_000)
    ctx = SimContext(
        pools=pools,
        builder=EventBuilder(),
        start_us=start_us,
        days=scenario.days,
        chat_cursor=Cursor(len(pools.chat_convs), rng_cursor),
        dev_cursor=Cursor(len(pools.dev_convs), rng_cursor),
        cover_cursor=Cursor(len(pools.cover_convs), rng_cursor),
    )

    # Attack volume is fixed per account; benign traffic fills the rest.
    nominal_attack = sum(
        n * (c.requests_per_account[0] + c.requests_per_account[1]) / 2
        for c, n in zip(scenario.campaigns, plan.campaign_accounts, strict=True)
    )
    factor = min(1.0, MAX_ATTACK_SHARE * plan.events / nominal_attack) if nominal_attack else 1.0
    chunks: list[dict[str, pa.Array]] = []
    attack_events = 0
    for i, (c, n) in enumerate(zip(scenario.campaigns, plan.campaign_accounts, strict=True)):
        attack.campaign(
            ctx, np.random.default_rng(streams[3 + len(scenario.populations) + i]), c, n, factor
        )
        attack_events += len(ctx.builder)
        chunks.append(ctx.builder.flush(ctx.accounts))
        if on_progress is not None:
            on_progress(f"campaign {c.id}", sum(len(ch["ts"]) for ch in chunks))
    benign_events = max(plan.events - attack_events, sum(plan.population_accounts))
    share_sum = sum(p.share for p in scenario.populations)
    benign_done = 0
    for i, (pop, n) in enumerate(zip(scenario.populations, plan.population_accounts, strict=True)):
        rng = np.random.default_rng(streams[3 + i])
        if i == len(scenario.populations) - 1:
            pop_events = max(n, benign_events - benign_done)  # exactly --events in total
        else:
            pop_events = max(n, round(benign_events * pop.share / share_sum))
        benign_done += pop_events
        pop_scaled = pop if n == pop.accounts else replace(pop, accounts=n)
        if pop.role == "chat_user":
            benign.chat_users(ctx, rng, pop_scaled, pop_events)
        elif pop.role == "developer":
            benign.developers(ctx, rng, pop_scaled, pop_events)
        elif pop.role == "app_integration":
            benign.app_integrations(ctx, rng, pop_scaled, pop_events)
        elif pop.role == "eval_user":
            benign.eval_users(ctx, rng, pop_scaled, pop_events, scenario.shared_benchmark_prompts)
        else:
            benign.org_members(ctx, rng, pop_scaled, pop_events)
        chunks.append(ctx.builder.flush(ctx.accounts))
        if on_progress is not None:
            on_progress(f"{pop.role} population", sum(len(ch["ts"]) for ch in chunks))

    chunks = [c for c in chunks if len(c["ts"])]
    ts = np.concatenate([c["ts"].cast(pa.int64()).to_numpy() for c in chunks])
    order = np.argsort(ts, kind="stable")  # time order; ties keep generation order
    del ts
    ids = pa.array(_event_ids(rng_ids, len(order)), pa.string())
    ordered = OrderedEvents(chunks, order, ids)
    labels = pa.Table.from_pylist(
        [
            {
                "account_id": a.account_id,
                "is_attack": a.campaign_id is not None,
                "campaign_id": a.campaign_id,
                "role": a.role,
            }
            for a in ctx.accounts
        ],
        schema=LABEL_SCHEMA,
    )
    return SimResult(
        ordered=ordered, labels=labels, summary=summarize(scenario, seed, ordered, labels)
    )


def summarize(
    scenario: Scenario, seed: int, ordered: OrderedEvents, labels: pa.Table
) -> dict[str, object]:
    """Counts per role and per campaign, for the terminal and for ``summary.json``."""
    roles = labels.column("role").to_pylist()
    role_accounts = Counter(roles)
    acc_role = dict(zip(labels.column("account_id").to_pylist(), roles, strict=True))
    ev_accounts = ordered.column("account_id").to_pylist()
    role_events = Counter(acc_role[a] for a in ev_accounts)
    camp_of = dict(
        zip(
            labels.column("account_id").to_pylist(),
            labels.column("campaign_id").to_pylist(),
            strict=True,
        )
    )
    camps: dict[str, dict[str, float]] = {}
    cover = ordered.column("gt_is_cover").to_pylist()
    per_acc = Counter(ev_accounts)
    for a, is_cover in zip(ev_accounts, cover, strict=True):
        cid = camp_of[a]
        if cid is None:
            continue
        d = camps.setdefault(
            cid, {"accounts": 0, "events": 0, "cover_events": 0, "max_requests_per_account": 0}
        )
        d["events"] += 1
        d["cover_events"] += int(bool(is_cover))
    for a, cid in camp_of.items():
        if cid is not None:
            camps[cid]["accounts"] += 1
            camps[cid]["max_requests_per_account"] = max(
                camps[cid]["max_requests_per_account"], per_acc[a]
            )
    for d in camps.values():
        d["cover_share"] = round(d["cover_events"] / d["events"], 4) if d["events"] else 0.0
    n_acc = labels.num_rows
    n_attack = int(pc.sum(labels.column("is_attack").cast(pa.int64())).as_py() or 0)
    return {
        "scenario": scenario.name,
        "seed": seed,
        "events": len(ordered),
        "accounts": n_acc,
        "attack_accounts": n_attack,
        "attack_account_share": round(n_attack / n_acc, 4) if n_acc else 0.0,
        "attack_event_share": round(
            sum(1 for a in ev_accounts if camp_of[a]) / max(1, len(ev_accounts)), 4
        ),
        "time_span": _span(ordered),
        "roles": {
            r: {"accounts": role_accounts[r], "events": role_events.get(r, 0)}
            for r in sorted(role_accounts)
        },
        "campaigns": camps,
    }


def _span(ordered: OrderedEvents) -> list[str]:
    if not len(ordered):
        return []
    ts = ordered.column("ts")
    return [str(pc.min(ts).as_py()), str(pc.max(ts).as_py())]


def write_result(result: SimResult, out: Path, *, jsonl: bool = False) -> list[Path]:
    """Write events, labels and per-event labels (Parquet, optionally JSON Lines)."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    paths = {name: out / f"{name}.parquet" for name in ("events", "event_labels", "labels")}
    tmps = {name: p.with_name(f".{p.name}.tmp") for name, p in paths.items()}
    try:
        with (
            pq.ParquetWriter(tmps["events"], EVENT_SCHEMA, compression="zstd") as ev_w,
            pq.ParquetWriter(tmps["event_labels"], EVENT_LABEL_SCHEMA, compression="zstd") as lab_w,
        ):
            for events, event_labels in result.ordered.batches(ROW_GROUP):
                ev_w.write_table(events, row_group_size=ROW_GROUP)
                lab_w.write_table(event_labels, row_group_size=ROW_GROUP)
        pq.write_table(result.labels, tmps["labels"], compression="zstd")
        for name, p in paths.items():
            tmps[name].replace(p)
            written.append(p)
    finally:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)
    if jsonl:
        from distillguard.ingest.writers import write_events

        path = out / "events.jsonl"
        write_events(pq.read_table(paths["events"], memory_map=True), path, fmt="jsonl")
        written.append(path)
    summary = out / "summary.json"
    summary.write_text(
        json.dumps(result.summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    written.append(summary)
    return written
