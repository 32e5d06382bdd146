"""The batch job: load logs into the store, build profiles, judge every account.

The flow, in :func:`scan`:

1. **load** (:func:`load_logs`): read and validate the logs (:mod:`distillguard.ingest`,
   bad rows quarantined), compute every request's signals (:mod:`distillguard.signals`),
   store the events and recompute the profile parts of the account-days they touched
   (:class:`~distillguard.store.duckdb.Store`);
2. **profiles**: each account's parts merged over the window;
3. **verdicts**, one pipeline (:mod:`distillguard.scoring.verdicts`): risk from the
   account's own traffic, then campaign membership lifts members
   (:mod:`distillguard.campaigns.detect`), then a peer's intel raises matched accounts
   (:mod:`distillguard.intel.match`); judged once;
4. **value taken** (:mod:`distillguard.economics`): each account's and campaign's
   tokens at the price table's list prices (``value_usd``, ``reasoning_value_usd``);
5. **outputs**: ``accounts.parquet`` (and JSON/CSV), campaigns and their case files,
   intel matches, quarantined rows.

Everything after loading reads the store through its protocol
(:class:`~distillguard.store.EventStore`).

>>> ScanOptions().store.name
'distillguard.duckdb'
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from distillguard import __version__
from distillguard.campaigns.detect import CampaignFinding, find_campaigns
from distillguard.economics.prices import PriceTable, load_prices
from distillguard.economics.value import (
    put_value_columns,
    value_by_account,
    value_by_campaign,
    with_value,
)
from distillguard.errors import DistillguardError, InputError
from distillguard.fileio import atomic_open
from distillguard.ingest import (
    QuarantineRecord,
    detect_format,
    write_quarantine,
)
from distillguard.reports.output import write_campaigns
from distillguard.scoring.model import Model
from distillguard.scoring.risk import Calibration, score_accounts
from distillguard.store.duckdb import LoadReport, Store
from distillguard.store.loading import load_logs


@dataclass(frozen=True)
class ScanOptions:
    """Where things go; defaults run on one machine."""

    store: Path = Path("distillguard.duckdb")
    out: Path = Path("scan-out")
    formats: tuple[str, ...] = ("parquet",)
    calibration: Path | None = None
    model: Path | None = None
    fmt: str | None = None
    #: Link accounts into campaigns (and lift members' risk).
    campaigns: bool = True
    #: Write one HTML report per campaign under ``out/reports``.
    reports: bool = True
    #: Indicators pulled from a sharing forum (``distillguard intel pull``): accounts
    #: matching a peer's campaign are raised (see :mod:`distillguard.intel.match`).
    intel: Path | None = None
    #: The forum key ring for ``intel`` (default: ``$DISTILLGUARD_FORUM_KEYS``).
    intel_keys: Path | None = None
    #: List prices the value taken is priced at (default: the shipped ``prices.yaml``).
    prices: Path | None = None


@dataclass
class ScanResult:
    accounts: pa.Table
    load: LoadReport
    written: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: ``campaigns.parquet`` rows (None when campaign detection was off).
    campaigns: pa.Table | None = None
    #: Where this load's quarantined rows were written (None when there were none).
    quarantine: Path | None = None
    #: The price table the value columns used.
    prices: PriceTable | None = None

    def _value(self) -> dict[str, object] | None:
        """Value taken at list price: all accounts', and the campaigns' members'."""
        if self.prices is None or "value_usd" not in self.accounts.column_names:
            return None
        total = sum(self.accounts.column("value_usd").to_pylist())
        rich = sum(self.accounts.column("reasoning_value_usd").to_pylist())
        out: dict[str, object] = {
            "prices": self.prices.source,
            "currency": self.prices.currency,
            "value_usd": round(total, 2),
            "reasoning_value_usd": round(rich, 2),
        }
        if self.campaigns is not None and "value_usd" in self.campaigns.column_names:
            out["campaigns_value_usd"] = round(
                sum(self.campaigns.column("value_usd").to_pylist()), 2
            )
        return out

    def _harvest_cost(self) -> dict[str, object] | None:
        """The attacker's cost of a million reasoning-rich answers under the shipped
        policy and trust table, at this scan's prices (docs/policy.md)."""
        if self.prices is None:
            return None
        from distillguard.gateway.harvest_cost import harvest_cost, load_identity_costs
        from distillguard.gateway.policy import load_policy
        from distillguard.gateway.trust import load_trust

        est = harvest_cost(load_policy(), load_trust(), self.prices, load_identity_costs())
        return {"policy": "shipped", **est.record()}

    def summary(self) -> dict[str, object]:
        """The run as plain data (``scan --json``): what was read, decided and written,
        and how long each stage took.  Keys are documented in ``docs/scan.md``."""
        verdicts: dict[str, int] = {}
        if "verdict" in self.accounts.column_names:
            for v in self.accounts.column("verdict").to_pylist():
                verdicts[v] = verdicts.get(v, 0) + 1
        return {
            "version": __version__,
            "files": {path: dict(counts) for path, counts in self.load.files.items()},
            "events_inserted": self.load.inserted,
            "events_already_stored": self.load.duplicates,
            "rows_quarantined": len(self.load.quarantined),
            "quarantine_file": None if self.quarantine is None else str(self.quarantine),
            "accounts": self.accounts.num_rows,
            "verdicts": {v: verdicts.get(v, 0) for v in ("block", "restrict", "watch", "allow")},
            "campaigns": None if self.campaigns is None else self.campaigns.num_rows,
            "value_taken": self._value(),
            "harvest_cost": self._harvest_cost(),
            "outputs": [str(p) for p in self.written],
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


class NothingReadError(InputError):
    """Inputs were given but not one row of them was valid (the store is not rescored)."""


def quarantine_summary(records: Sequence[QuarantineRecord], rows: int, path: Path) -> str:
    """One line: how many rows were quarantined, the commonest reason, and where they are.

    >>> r = QuarantineRecord("a.jsonl", 2, "ts", "not a timestamp", "{}")
    >>> print(quarantine_summary([r, r], 10, Path("out/q.jsonl")))  # doctest: +NORMALIZE_WHITESPACE
    quarantined 2 of 10 rows (2 field ts: not a timestamp); each with file, row, field and
    reason in out/q.jsonl
    """
    reasons: dict[str, int] = {}
    for r in records:
        key = f"field {r.field}: {r.reason}"
        reasons[key] = reasons.get(key, 0) + 1
    top, n = max(reasons.items(), key=lambda kv: kv[1])
    more = f", {len(reasons) - 1} other reason(s)" if len(reasons) > 1 else ""
    return (
        f"quarantined {len(records):,} of {rows:,} rows ({n:,} {top}{more}); "
        f"each with file, row, field and reason in {path}"
    )


def _remove_store(path: Path) -> None:
    """Delete a store this scan created and could not fill (DuckDB's WAL too)."""
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def scan(
    inputs: Sequence[str | Path],
    options: ScanOptions,
    *,
    on_progress: Callable[[str, int], None] | None = None,
) -> ScanResult:
    """Load ``inputs`` (idempotent, incremental), then score every account in the store.

    Every input is checked before the store is opened, and a store this call creates
    is removed again when the load fails: a missing or unreadable input leaves nothing
    behind.  Inputs of which no row is valid raise :class:`NothingReadError` after the
    quarantined rows are written to ``out/quarantine.jsonl``.
    """
    for path in inputs:
        detect_format(path, options.fmt)
    new_store = not options.store.exists()
    try:
        return _scan(inputs, options, on_progress)
    except BaseException:
        if new_store:
            _remove_store(options.store)
        raise


def _scan(
    inputs: Sequence[str | Path],
    options: ScanOptions,
    on_progress: Callable[[str, int], None] | None,
) -> ScanResult:
    timings: dict[str, float] = {}
    cfg = None
    if options.model is not None:
        model = Model.load(options.model)
        cfg, cal = model.config(), model.cal()
    if options.calibration is not None or options.model is None:
        cal = Calibration.load(options.calibration)
    t0 = time.perf_counter()
    campaigns = None
    extra: list[Path] = []
    with Store(options.store) as store:
        report = load_logs(store, inputs, fmt=options.fmt, on_progress=on_progress)
        timings["load_s"] = time.perf_counter() - t0
        quarantine = _write_quarantine(report, options.out)
        if inputs and not any(f["good"] for f in report.files.values()):
            raise _nothing_read(inputs, report, quarantine)
        t1 = time.perf_counter()
        profiles = store.profile_table()
        timings["profiles_s"] = time.perf_counter() - t1
        # The verdict pipeline: risk, campaign lift, intel; judged once.
        t2 = time.perf_counter()
        verdicts = score_accounts(profiles, cal, cfg)
        timings["score_s"] = time.perf_counter() - t2
        found: CampaignFinding | None = None
        if options.campaigns:
            t3 = time.perf_counter()
            found = find_campaigns(store, cal, scoring=cfg, profiles=profiles)
            found.lift(verdicts)
            timings["campaigns_s"] = time.perf_counter() - t3
        intel_written = None
        if options.intel is not None:
            from distillguard.intel.match import check_verdict, intel_reasons, match_intel_file

            t4 = time.perf_counter()
            matches, intel_written = match_intel_file(
                store, options.intel, options.intel_keys, options.out
            )
            if matches and len(verdicts):
                check_verdict(cal, "block")
                verdicts.add_intel(intel_reasons(matches), "block")
            timings["intel_s"] = time.perf_counter() - t4
        t5 = time.perf_counter()
        accounts = verdicts.table()
        timings["score_s"] += time.perf_counter() - t5
        t7 = time.perf_counter()
        prices = load_prices(options.prices)
        values = value_by_account(store.usage_by_model(), prices)
        accounts = with_value(accounts, values)
        timings["value_s"] = time.perf_counter() - t7
        if found is not None:
            t6 = time.perf_counter()
            result = found.result(accounts)
            result.campaigns = _campaign_value(result.campaigns, result.accounts, values)
            campaigns = result.campaigns
            extra = write_campaigns(
                store, result, options.out, reports=options.reports, calibration=cal
            )
            timings["campaigns_s"] += time.perf_counter() - t6
        if intel_written is not None:
            extra.append(intel_written)
    written = write_accounts(accounts, options.out, options.formats) + extra
    if quarantine is not None:
        written.append(quarantine)
    timings["total_s"] = time.perf_counter() - t0
    return ScanResult(
        accounts=accounts,
        load=report,
        written=written,
        timings=timings,
        campaigns=campaigns,
        quarantine=quarantine,
        prices=prices,
    )


def _campaign_value(campaigns: pa.Table, accounts: pa.Table, values: pa.Table) -> pa.Table:
    """``campaigns`` with the value its members took (the sum of theirs)."""
    if "campaign_id" not in accounts.column_names:
        return campaigns
    of = {
        a: c
        for a, c in zip(
            accounts.column("account_id").to_pylist(),
            accounts.column("campaign_id").to_pylist(),
            strict=True,
        )
        if c is not None
    }
    return put_value_columns(campaigns, "campaign_id", value_by_campaign(values, of))


def _write_quarantine(report: LoadReport, out: Path) -> Path | None:
    if not report.quarantined:
        return None
    path = out / "quarantine.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    write_quarantine(report.quarantined, path)
    return path


def _nothing_read(
    inputs: Sequence[str | Path], report: LoadReport, quarantine: Path | None
) -> NothingReadError:
    where = str(inputs[0]) if len(inputs) == 1 else None
    if quarantine is None:
        files = "the input is" if len(inputs) == 1 else f"all {len(inputs)} inputs are"
        return NothingReadError(f"no rows to scan: {files} empty", path=where)
    summary = quarantine_summary(report.quarantined, len(report.quarantined), quarantine)
    return NothingReadError(f"no valid rows to scan: {summary}", path=where)


def write_accounts(accounts: pa.Table, out: Path, formats: Sequence[str]) -> list[Path]:
    """Write ``accounts.parquet`` (always) and ``.json`` / ``.csv`` when asked."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    path = out / "accounts.parquet"
    with atomic_open(path, "wb") as fh:
        pq.write_table(accounts, fh, compression="zstd")
    written.append(path)
    rows = None
    for fmt in formats:
        if fmt == "parquet":
            continue
        rows = rows if rows is not None else accounts.to_pylist()
        if fmt == "json":
            p = out / "accounts.json"
            p.write_text(json.dumps(rows, indent=1, default=str) + "\n", encoding="utf-8")
        elif fmt == "csv":
            p = out / "accounts.csv"
            with p.open("w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=accounts.column_names)
                w.writeheader()
                for r in rows:
                    w.writerow(
                        {k: "; ".join(v) if isinstance(v, list) else v for k, v in r.items()}
                    )
        else:
            raise DistillguardError(
                f"unknown output format {fmt!r} (parquet, json, csv)", field="format"
            )
        written.append(p)
    return written
