"""Simulation as a job: load scenario and corpus, generate, write — with progress."""

from __future__ import annotations

from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from distillguard_lab.sim.corpus import load_corpus
from distillguard_lab.sim.pools import Pools
from distillguard_lab.sim.scenario import load_scenario
from distillguard_lab.sim.simulator import SimResult, plan_run, simulate, write_result


def run_simulation(
    scenario: str | Path,
    *,
    seed: int,
    events: int | None,
    out: Path,
    jsonl: bool,
    progress: bool,
) -> tuple[SimResult, list[Path]]:
    """Simulate ``scenario`` and write it under ``out``."""
    sc = load_scenario(scenario)
    total = plan_run(sc, events).events
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not progress, transient=True) as bar:
        task = bar.add_task("loading real-prompt corpus", total=None)
        corpus = load_corpus(progress=False)
        pools = Pools.from_table(corpus.table)
        bar.update(
            task, description=f"simulating {sc.name} (seed {seed})", total=total, completed=0
        )

        def step(name: str, done: int) -> None:
            bar.update(task, description=f"simulated {name}", completed=done)

        result = simulate(sc, pools, seed=seed, events=events, on_progress=step)
        bar.update(task, description=f"writing {len(result.ordered):,} events to {out}")
        written = write_result(result, out, jsonl=jsonl)
    return result, written
