"""Generate the informed red team against the installed detector, and mix it in.

:func:`generate_informed` runs the configured strategies (all registered ones by
default) against a benign background's distribution and window;
:func:`build_informed_dataset` simulates the background
(``lab/distillguard_lab/redteam/background.yaml``), generates, and writes the mixed
data set in the layout of ``distillguard simulate`` (``events.parquet``,
``labels.parquet``, ``event_labels.parquet``, ``summary.json``) plus
``informed.json``: each strategy's cost, value and search statistics and the
detector version it adapted to.

Each strategy draws from its own random stream, seeded by the seed and its name, so
adding or dropping a strategy leaves the others unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.fileio import atomic_open
from distillguard_lab.redteam.informed.base import (
    Context,
    InformedError,
    StrategyReport,
    available,
    create,
)
from distillguard_lab.redteam.informed.benign import BenignModel
from distillguard_lab.redteam.informed.detector import Detector
from distillguard_lab.redteam.informed.tasks import CoverPool, TaskPool
from distillguard_lab.redteam.informed.wording import load_phrases
from distillguard_lab.redteam.mix import (
    BACKGROUND_SCENARIO,
    REFERENCE_EVENTS,
    MixResult,
    mix,
)
from distillguard_lab.sim.corpus import Corpus

#: Traffic starts this long after the background's first event and ends this long
#: before its last (as the blind red team's does).
MARGIN_S: Final = 6 * 3_600.0
_STREAM: Final = 0x1F0E3D


#: Events of the attacker's proxy population (a tenth of the reference background).
PROXY_EVENTS: Final = 20_000
#: The proxy population's simulator seed is the run's seed plus this.
PROXY_SEED_OFFSET: Final = 1_000_003


@dataclass(frozen=True)
class InformedConfig:
    """What to generate: strategies (default: all), per-strategy parameter overrides,
    the seed and the scale (1 for a ~200,000-event background)."""

    seed: int = 0
    strategies: tuple[str, ...] | None = None
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    scale: float = 1.0
    #: Events of the proxy population the attacker simulates for its self-scans
    #: (0: none, the self-scans see its own traffic only).
    proxy_events: int = PROXY_EVENTS

    def names(self) -> list[str]:
        known = available()
        names = list(self.strategies) if self.strategies is not None else known
        for n in [*names, *self.params]:
            if n not in known:
                raise InformedError(f"unknown strategy {n!r} (known: {', '.join(known)})")
        if len(set(names)) != len(names):
            raise InformedError("a strategy is named twice", field="strategies")
        if not names:
            raise InformedError("name at least one strategy", field="strategies")
        if not self.scale > 0:
            raise InformedError(f"must be > 0, got {self.scale}", field="scale")
        return names


@dataclass
class InformedData:
    """Events, labels and per-event labels of every strategy, and their reports."""

    events: pa.Table
    labels: pa.Table
    event_labels: pa.Table
    reports: dict[str, StrategyReport]
    detector: dict[str, Any]
    seconds: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "strategies": {n: r.to_dict() for n, r in self.reports.items()},
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def strategy_rng(seed: int, name: str) -> np.random.Generator:
    """The random stream of strategy ``name`` under ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([seed, _STREAM, zlib.crc32(name.encode())]))


def generate_informed(
    cfg: InformedConfig,
    corpus: Corpus,
    background_events: pa.Table,
    background_labels: pa.Table,
    *,
    detector: Detector | None = None,
    window: tuple[float, float] | None = None,
    population: pa.Table | None = None,
) -> InformedData:
    """Run the strategies of ``cfg`` against ``detector`` (default: the installed one);
    ``population`` is the attacker's own proxy of other users for its self-scans."""
    names = cfg.names()
    det = detector or Detector()
    if window is None:
        mm = pc.min_max(background_events["ts"])
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        window = (lo.timestamp() + MARGIN_S, hi.timestamp() - MARGIN_S)
    if not window[1] > window[0]:
        raise InformedError("the background's window is too short", field="ts")
    ctx = Context(
        detector=det,
        benign=BenignModel.from_background(background_events, background_labels),
        corpus=corpus,
        tasks=TaskPool.from_corpus(corpus),
        cover=CoverPool.from_corpus(corpus),
        phrases=load_phrases(),
        t0=window[0],
        t1=window[1],
        scale=cfg.scale,
        population=population,
    )
    parts: list[tuple[pa.Table, pa.Table, pa.Table]] = []
    reports: dict[str, StrategyReport] = {}
    seconds: dict[str, float] = {}
    for name in names:
        t = time.perf_counter()
        strategy = create(name, **dict(cfg.params.get(name, {})))
        res = strategy.run(ctx, strategy_rng(cfg.seed, name))
        parts.append((res.events, res.labels, res.event_labels))
        reports[name] = res.report
        seconds[name] = time.perf_counter() - t
    events = pa.concat_tables([p[0] for p in parts])
    labels = pa.concat_tables([p[1] for p in parts])
    event_labels = pa.concat_tables([p[2] for p in parts])
    if len(set(labels["account_id"].to_pylist())) != labels.num_rows:
        raise InformedError("an account id was drawn twice")
    if len(set(events["event_id"].to_pylist())) != events.num_rows:
        raise InformedError("an event id was drawn twice")
    order = pc.sort_indices(events, [("ts", "ascending"), ("event_id", "ascending")])
    return InformedData(
        events.take(order),
        labels,
        event_labels.take(order),
        reports,
        det.describe(),
        seconds,
    )


def build_informed_dataset(
    seed: int,
    out_dir: str | Path,
    *,
    events: int = REFERENCE_EVENTS,
    strategies: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    corpus: Corpus | None = None,
    detector: Detector | None = None,
) -> tuple[MixResult, InformedData]:
    """Simulate the benign background (``events`` events, simulator seed ``seed``),
    generate the informed strategies scaled to it, and mix both into ``out_dir``."""
    from distillguard_lab.sim.corpus import load_corpus
    from distillguard_lab.sim.run import run_simulation

    if events <= 0:
        raise InformedError(f"must be > 0, got {events}", field="events")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    corpus = corpus if corpus is not None else load_corpus()
    with tempfile.TemporaryDirectory(dir=out, prefix=".background-") as tmp:
        bg = Path(tmp)
        t = time.perf_counter()
        run_simulation(
            str(BACKGROUND_SCENARIO), seed=seed, events=events, out=bg, jsonl=False, progress=False
        )
        cfg = InformedConfig(
            seed=seed,
            strategies=tuple(strategies) if strategies is not None else None,
            params=dict(params or {}),
            scale=events / REFERENCE_EVENTS,
        )
        population = None
        if cfg.proxy_events > 0:
            # The attacker's own simulation of other users: the public simulator, a
            # seed of its own, never the provider's traffic.
            run_simulation(
                str(BACKGROUND_SCENARIO), seed=seed + PROXY_SEED_OFFSET,
                events=cfg.proxy_events, out=bg / "proxy", jsonl=False, progress=False,
            )  # fmt: skip
            population = pq.read_table(bg / "proxy" / "events.parquet")
        simulated = time.perf_counter() - t
        scratch = out / ".selfscan"
        det = detector or Detector(workdir=scratch)
        try:
            data = generate_informed(
                cfg,
                corpus,
                pq.read_table(bg / "events.parquet"),
                pq.read_table(bg / "labels.parquet"),
                detector=det,
                population=population,
            )
        finally:
            if detector is None:
                shutil.rmtree(scratch, ignore_errors=True)
        data.seconds["background"] = simulated
        result = mix(bg, data.events, data.labels, out, redteam_event_labels=data.event_labels)
    path = out / "informed.json"
    doc = {"seed": seed, "events": events, "generated_at": dt.datetime.now(dt.UTC).isoformat()}
    doc.update(data.to_dict())
    with atomic_open(path) as fh:
        fh.write(json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n")
    result.written.append(path)
    return result, data


__all__ = [
    "MARGIN_S",
    "InformedConfig",
    "InformedData",
    "build_informed_dataset",
    "generate_informed",
    "strategy_rng",
]
