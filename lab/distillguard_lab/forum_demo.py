"""Three providers, one campaign: what sharing indicators buys (``distillguard forum-demo``).

The traffic (:file:`forum_scenario.yaml`, simulated from real prompts) has one
distillation campaign among ordinary users.  Its accounts and the ordinary
accounts are split between providers A, B and C and renamed per provider; at B
and C the campaign starts two days after A, from the same operator's proxies,
cards, client software and templates.

Everything runs for real, on loopback: one forum hub (the TAXII 2.1 server of
:mod:`.taxii_server`, under uvicorn), one mock model API (``distillguard
mock-upstream``) and, per provider and arm, a ``distillguard serve`` gateway
process with the shipped policy, its own in-memory state, audit log and online
scorer.  Every request of the traffic is sent over HTTP to its provider's
gateways (in time order, with the logged time and address in the replay headers
that ``--trust-client-headers`` honours), and the gateways' answers are counted.
Pushes and pulls go through ``taxii2-client``.  Time runs day by day:

1. the day's requests go to both arms' gateways of each provider;
2. each provider runs the real batch scan (:func:`distillguard.scan.scan`,
   incremental load, campaign detection) on its day's logs and writes
   ``accounts.parquet``, which its gateways follow (``serve --accounts``) and load
   before the next day;
3. *with sharing* only: each provider exports its ``block`` campaigns as a STIX
   bundle and pushes it, pulls what the others shared into the file its gateway
   follows (``serve --intel``), where every later request is matched against the
   peers' indicators (an account that matches is stopped on that very request),
   and matches its whole store against them (payment fingerprints are visible only
   there), raising the matched accounts in the accounts file its gateway follows.

Reported per provider and arm: ``answered`` (campaign requests answered in full:
not refused, not throttled, no reasoning stripped), ``requests_per_account_to_stop``
(mean over the campaign's accounts of the position of the first request that was
refused, throttled or stripped; all of an account's requests if none was) and
``benign_denied`` (ordinary users' requests refused).  ``reduction_factor`` is the
smaller, over B and C, of answered without sharing over answered with sharing
(with a floor of one answered request, so stopping everything is not infinite).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import hashlib
import json
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.gateway.watched import mtime_ns
from distillguard.ingest.writers import json_rows
from distillguard.intel.client import HubClient
from distillguard.intel.errors import IntelError
from distillguard.intel.export import ExportOptions, export_bundle
from distillguard.intel.hashing import KeyRing, new_key_file
from distillguard.intel.hub_config import load_hub_config_text
from distillguard.intel.match import IntelSet, load_intel, match_store, raise_accounts
from distillguard.intel.taxii_server import (
    ObjectStore,
    create_hub_app,
    free_port,
    serve_in_thread,
)
from distillguard_lab.replay import gateway_request, outcome, write_keys_table

PROVIDERS: Final = ("A", "B", "C")
#: Days the campaign reaches B and C after A.
LAG_DAYS: Final = 2
US_PER_DAY: Final = 86_400_000_000


def provider_name(p: str) -> str:
    return f"provider-{p}"


@dataclass
class Arm:
    """One provider's gateway in one arm (with or without sharing), and what it did."""

    provider: str
    sharing: bool
    home: Path
    port: int
    #: The batch results this arm's gateway follows: the scan's own
    #: ``accounts.parquet`` without sharing, the intel-raised copy with sharing.
    accounts_file: Path
    proc: subprocess.Popen[bytes] | None = None
    #: account → [requests seen, first stop position or 0, full answers]
    accounts: dict[str, list[int]] = field(default_factory=dict)
    benign_denied: int = 0
    benign_requests: int = 0
    errors: int = 0
    error_kinds: collections.Counter[str] = field(default_factory=collections.Counter)
    #: Mean time the gateway added before forwarding (ms, from its ``/metrics``).
    decision_ms: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def intel_file(self) -> Path:
        return self.home / "pulled.jsonl"

    def start(self, upstream: str, keys: Path, ring: Path) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable, "-m", "distillguard", "serve", "--upstream", upstream,
            "--keys", str(keys), "--port", str(self.port),
            "--audit", str(self.home / "audit.jsonl"), "--trust-client-headers",
            "--decision-header", "--scorer", "inline", "--accounts", str(self.accounts_file),
            "--reload-every", "0.1", "--keep-alive", "120",
        ]  # fmt: skip
        if self.sharing:
            args += ["--intel", str(self.intel_file), "--intel-keys", str(ring),
                     "--intel-provider", provider_name(self.provider)]  # fmt: skip
        with (self.home / "gateway.log").open("wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: the audit log is flushed
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def record(self, acct: str, attack: bool, result: str) -> None:
        if result == "error":
            self.errors += 1
            return
        if attack:
            st = self.accounts.setdefault(acct, [0, 0, 0])
            st[0] += 1
            if result != "full" and st[1] == 0:
                st[1] = st[0]
            if result == "full":
                st[2] += 1
        else:
            self.benign_requests += 1
            if result == "denied":
                self.benign_denied += 1


def _mean_ms(metrics: str, name: str) -> float | None:
    """Mean of a Prometheus histogram in milliseconds (``_sum`` / ``_count``)."""
    got: dict[str, float] = {}
    for line in metrics.splitlines():
        for part in ("sum", "count"):
            if line.startswith(f"{name}_{part} "):
                got[part] = float(line.split()[1])
    if not got.get("count"):
        return None
    return round(1000 * got["sum"] / got["count"], 3)


async def _wait_ready(client: httpx.AsyncClient, arms: list[Arm], timeout: float = 60.0) -> None:
    """Until every gateway answers and has loaded the current versions of its files."""
    deadline = time.monotonic() + timeout
    for arm in arms:
        while True:
            if arm.proc is not None and arm.proc.poll() is not None:
                log = (arm.home / "gateway.log").read_text(errors="replace")[-2000:]
                raise IntelError(f"gateway {arm.provider} exited: {log}")
            try:
                h = (await client.get(f"{arm.url}/healthz")).json()
                want = [("accounts", arm.accounts_file)]
                if arm.sharing:
                    want.append(("intel", arm.intel_file))
                if all(h.get(k, {}).get("mtime_ns") == mtime_ns(f) for k, f in want):
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise IntelError(f"gateway {arm.provider} did not load its files in {timeout} s")
            await asyncio.sleep(0.05)


async def _send(
    client: httpx.AsyncClient, arm: Arm, rows: list[dict[str, Any]], attackers: set[str],
    concurrency: int,
) -> None:  # fmt: skip
    """Send one day's requests to one gateway, in time order with a window in flight."""
    sem = asyncio.Semaphore(concurrency)

    async def one(row: dict[str, Any]) -> str:
        path, body, headers = gateway_request(row)
        async with sem:
            r = None
            for attempt in range(2):
                try:
                    r = await client.post(arm.url + path, json=body, headers=headers)
                    break
                except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                    # A connection closed under the request (a keep-alive connection the
                    # server closed as we reused it, or a reset on a loaded machine): sent
                    # once more, as the OpenAI client does; counted by kind, so a gateway
                    # that drops connections shows in the report.  A ReadError may follow
                    # a request the gateway did decide: one request counted twice.
                    arm.error_kinds[type(exc).__name__ + (" (retried)" if not attempt else "")] += 1
                except httpx.HTTPError as exc:
                    arm.error_kinds[f"{type(exc).__name__}: {exc}"[:200]] += 1
                    return "error"
            if r is None:
                return "error"
            return outcome(
                r.status_code, r.headers.get("x-distillguard-action"),
                r.headers.get("x-distillguard-modified"), "",
            )  # fmt: skip

    results = await asyncio.gather(*(one(r) for r in rows))
    for row, res in zip(rows, results, strict=True):
        acct = row["account_id"]
        arm.record(acct, acct in attackers, res)


def _shared_accounts(home: Path, accounts: pa.Table, intel: IntelSet, ring: KeyRing,
                     calibration: Any) -> pa.Table:  # fmt: skip
    """The scan's accounts raised by matches of the whole store against pulled intel."""
    from distillguard.store.duckdb import Store

    if not intel.indicators:
        return accounts
    with Store(home / "store.duckdb") as store:
        found = match_store(store, intel, ring)
    return raise_accounts(accounts, found, calibration)


def _split(events: pa.Table, labels: pa.Table, seed: int) -> dict[str, pa.Table]:
    """Events per provider: accounts split and renamed, B and C's campaign started later."""
    lab = {r["account_id"]: bool(r["is_attack"]) for r in labels.to_pylist()}
    attackers = sorted(a for a, is_a in lab.items() if is_a)
    owner: dict[str, str] = {a: PROVIDERS[i % 3] for i, a in enumerate(attackers)}
    for a, is_a in lab.items():
        if not is_a:
            h = int(hashlib.sha256(f"{seed}|{a}".encode()).hexdigest()[:8], 16)
            owner[a] = PROVIDERS[h % 3]
    accts = events.column("account_id").to_pylist()
    prov = np.array([owner[a] for a in accts])
    attack = np.array([lab[a] for a in accts])
    out: dict[str, pa.Table] = {}
    for p in PROVIDERS:
        t = events.filter(pa.array(prov == p))
        att = attack[prov == p]
        if p != "A":
            shift = pa.array(np.where(att, LAG_DAYS * US_PER_DAY, 0), pa.int64())
            ts = pc.add(t["ts"].cast(pa.int64()), shift).cast(t.schema.field("ts").type)
            t = t.set_column(t.schema.get_field_index("ts"), "ts", ts)
            created = t["account_created_at"]
            cshift = pc.add(created.cast(pa.int64()), shift).cast(created.type)
            t = t.set_column(t.schema.get_field_index("account_created_at"), "account_created_at",
                             cshift)  # fmt: skip
        for col in ("account_id", "org_id", "api_key_id", "event_id"):
            i = t.schema.get_field_index(col)
            renamed = pc.binary_join_element_wise(pa.scalar(f"{p}-"), t[col].cast(pa.string()), "")
            t = t.set_column(i, col, renamed)
        out[p] = t.sort_by("ts")
    return out


def _hub_yaml(keys: dict[str, str]) -> str:
    lines = [
        "title: distillguard forum demo hub",
        "collections:",
        "  - {alias: tlp-amber, title: 'TLP:AMBER, forum members'}",
        "members:",
    ]
    for p in PROVIDERS:
        lines.append(
            f"  - {{name: {provider_name(p)}, api_key: '{keys[p]}', "
            "read: [tlp-amber], write: [tlp-amber]}"
        )
    return "\n".join(lines) + "\n"


def run_forum_demo(
    workdir: Path,
    *,
    seed: int = 11,
    events: int | None = None,
    concurrency: int = 8,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the demo under ``workdir``; return the report (see the module docstring)."""
    from distillguard.scan import ScanOptions, scan, write_accounts
    from distillguard.scoring.risk import Calibration
    from distillguard_lab.sim.corpus import load_corpus
    from distillguard_lab.sim.pools import Pools
    from distillguard_lab.sim.scenario import load_scenario
    from distillguard_lab.sim.simulator import simulate

    def step(msg: str) -> None:
        if on_step is not None:
            on_step(msg)

    t_start = time.perf_counter()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    ref = resources.files("distillguard_lab") / "forum_scenario.yaml"
    scen_path = workdir / "forum_scenario.yaml"
    scen_path.write_text(ref.read_text(encoding="utf-8"), encoding="utf-8")
    scenario = load_scenario(scen_path)
    step("simulating traffic from real prompts")
    result = simulate(scenario, Pools.from_table(load_corpus().table), seed=seed, events=events)
    labels = result.labels
    per_provider = _split(result.events, labels, seed)
    attackers = {f"{p}-{r['account_id']}" for r in labels.to_pylist() if r["is_attack"]
                 for p in PROVIDERS}  # fmt: skip
    start = scenario.start
    n_days = int(np.ceil(scenario.days))

    ring_path = workdir / "forum-keys.yaml"
    ring = new_key_file(ring_path, "forum-demo")
    calibration = Calibration.load()
    api_keys = {p: secrets.token_urlsafe(24) for p in PROVIDERS}
    hub_cfg = load_hub_config_text(_hub_yaml(api_keys), "<forum demo hub>")
    intel: dict[str, IntelSet] = {p: IntelSet() for p in PROVIDERS}
    #: Each provider's accounts from its latest batch scan.
    latest: dict[str, pa.Table] = {}
    hub_log: list[dict[str, Any]] = []
    timings: dict[str, float] = {"gateways_s": 0.0, "scan_s": 0.0, "share_s": 0.0}
    arms = {
        (p, sharing): Arm(
            p, sharing, workdir / p / ("with-sharing" if sharing else "without"), free_port(),
            workdir / p / ("with-sharing" if sharing else "scan") / "accounts.parquet",
        )
        for p in PROVIDERS for sharing in (False, True)
    }  # fmt: skip
    for p in PROVIDERS:
        (workdir / p).mkdir()
        write_keys_table(per_provider[p], workdir / p / "keys.csv")

    async def decision_times() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            for arm in arms.values():
                text = (await client.get(f"{arm.url}/metrics")).text
                arm.decision_ms = _mean_ms(text, "distillguard_gateway_decision_seconds")

    async def traffic(today: dict[str, list[dict[str, Any]]]) -> None:
        # Readiness on connections of its own: a connection left idle while other
        # gateways load their files could be closed by the server (keep-alive
        # timeout) just as a request reuses it.
        async with httpx.AsyncClient(timeout=30) as probe:
            await _wait_ready(probe, list(arms.values()))
        # Idle connections expire on the client before the gateway's keep-alive
        # timeout (5 s) closes them: with equal timeouts a request can reuse a
        # connection the server is closing (seen as a ReadError on a loaded machine).
        limits = httpx.Limits(max_connections=6 * concurrency + 6, keepalive_expiry=2.0)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            await asyncio.gather(*(
                _send(client, arm, today[p], attackers, concurrency)
                for (p, _), arm in arms.items() if today.get(p)
            ))  # fmt: skip

    with contextlib.ExitStack() as stack:
        hub_url = stack.enter_context(
            serve_in_thread(create_hub_app(hub_cfg, ObjectStore(workdir / "hub.sqlite")))
        )
        up_port = free_port()
        with (workdir / "mock-upstream.log").open("wb") as up_log:
            up = subprocess.Popen(
                [sys.executable, "-m", "distillguard", "mock-upstream", "--port", str(up_port)],
                stdout=up_log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        stack.callback(up.wait, 30)
        stack.callback(up.terminate)
        step("starting six gateways (three providers, with and without sharing)")
        for (p, _), arm in arms.items():
            arm.start(f"http://127.0.0.1:{up_port}", workdir / p / "keys.csv", ring_path)
            stack.callback(arm.stop)
        clients = {p: HubClient(f"{hub_url}/forum/", api_keys[p]) for p in PROVIDERS}
        for day in range(n_days):
            lo = start + dt.timedelta(days=day)
            hi = lo + dt.timedelta(days=1)
            today: dict[str, pa.Table] = {}
            for p in PROVIDERS:
                t = per_provider[p]
                mask = pc.and_(
                    pc.greater_equal(t["ts"], pa.scalar(lo)), pc.less(t["ts"], pa.scalar(hi))
                )
                today[p] = t.filter(mask)
            t0 = time.perf_counter()
            asyncio.run(traffic({p: list(json_rows(t)) for p, t in today.items() if t.num_rows}))
            timings["gateways_s"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            for p in PROVIDERS:
                if today[p].num_rows == 0:
                    continue
                day_file = workdir / p / "logs" / f"day{day}.parquet"
                day_file.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(today[p], day_file)
                # Writes scan/accounts.parquet, which the plain arm's gateway follows.
                latest[p] = _scan_day(scan, ScanOptions, day_file, workdir / p).accounts
            timings["scan_s"] += time.perf_counter() - t0
            step(f"day {day + 1}/{n_days}: traffic through the gateways, batch scans done")
            # Sharing at the end of the day: export, push, pull, batch match.
            t0 = time.perf_counter()
            for p in PROVIDERS:
                camps = workdir / p / "scan" / "campaigns.parquet"
                if not camps.exists():
                    continue
                verdicts = pq.read_table(camps, columns=["verdict"]).column(0).to_pylist()
                if "block" not in verdicts:
                    continue
                exported = export_bundle(
                    workdir / p / "scan", workdir / p / "store.duckdb", ring,
                    ExportOptions(provider=provider_name(p), verdicts=("block",)),
                )  # fmt: skip
                bundle = json.loads(exported.to_json())
                (workdir / p / "bundles").mkdir(exist_ok=True)
                (workdir / p / "bundles" / f"day{day}.json").write_text(
                    json.dumps(bundle), encoding="utf-8"
                )
                pushed = clients[p].push(bundle["objects"], "tlp-amber")
                hub_log.append(
                    {"day": day + 1, "provider": provider_name(p), "pushed": pushed.total,
                     "added": pushed.added, "duplicates": pushed.duplicates,
                     "failures": len(pushed.failures)}
                )  # fmt: skip
            for p in PROVIDERS:
                arm = arms[(p, True)]
                t1 = time.perf_counter()
                rep = clients[p].pull("tlp-amber", arm.intel_file)
                if rep.objects:
                    hub_log.append({"day": day + 1, "provider": provider_name(p),
                                    "pulled": rep.objects,
                                    "pull_s": round(time.perf_counter() - t1, 3)})  # fmt: skip
                if arm.intel_file.exists() and arm.intel_file.stat().st_size:
                    intel[p] = load_intel(arm.intel_file, own=provider_name(p))
                if p in latest:
                    shared = _shared_accounts(workdir / p, latest[p], intel[p], ring, calibration)
                    write_accounts(shared, arm.home, ())
            timings["share_s"] += time.perf_counter() - t0
        asyncio.run(decision_times())
        for arm in arms.values():
            arm.stop()
    report = _report(arms, attackers)
    report["hub"] = hub_log
    report["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    report["timings_s"]["total_s"] = round(time.perf_counter() - t_start, 2)
    report["events"] = {p: per_provider[p].num_rows for p in PROVIDERS}
    report["requests_sent"] = 2 * sum(per_provider[p].num_rows for p in PROVIDERS)
    report["seed"] = seed
    return report


def _scan_day(scan: Any, options: Any, day_file: Path, home: Path) -> Any:
    """The real batch scan of one day's logs (incremental load into the provider's store)."""
    import warnings

    opts = options(store=home / "store.duckdb", out=home / "scan", reports=False)
    try:
        with warnings.catch_warnings():
            # numpy warns on the empty group table of a day without any campaign.
            warnings.simplefilter("ignore", RuntimeWarning)
            return scan([day_file], opts)
    except pa.ArrowTypeError:
        # Campaign detection fails on a store where no group is flagged (reported to the
        # lead); the load is already committed, so score without campaigns this time.
        (home / "scan" / "campaigns.parquet").unlink(missing_ok=True)
        return scan([], options(store=opts.store, out=opts.out, reports=False, campaigns=False))


def _intel_matches(arm: Arm) -> dict[str, str]:
    """Accounts the arm's gateway stopped on shared intel, with the reason.

    Request-time matches come from the gateway's audit log (records with ``intel``);
    whole-store matches from the ``accounts.parquet`` it followed.
    """
    found: dict[str, str] = {}
    audit = arm.home / "audit.jsonl"
    if audit.exists():
        with audit.open(encoding="utf-8") as fh:
            for line in fh:
                if '"intel"' in line:
                    rec = json.loads(line)
                    if rec.get("intel"):
                        found.setdefault(str(rec["account"]), "request: " + str(rec["intel"]))
    if arm.sharing and arm.accounts_file.exists():
        t = pq.read_table(arm.accounts_file, columns=["account_id", "reasons"])
        for acct, reasons in zip(t["account_id"].to_pylist(), t["reasons"].to_pylist(),
                                 strict=True):  # fmt: skip
            for r in reasons or ():
                if r.startswith("matches indicators shared by"):
                    found.setdefault(str(acct), "batch: " + r)
    return found


def _report(arms: dict[tuple[str, bool], Arm], attackers: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"with_sharing": {}, "without_sharing": {}}
    for (p, sharing), arm in sorted(arms.items()):
        accts = arm.accounts
        stop = [st[1] if st[1] else st[0] for st in accts.values()]
        matched = _intel_matches(arm)
        out["with_sharing" if sharing else "without_sharing"][p] = {
            "answered": int(sum(st[2] for st in accts.values())),
            "requests_per_account_to_stop": round(float(np.mean(stop)), 2) if stop else None,
            "benign_denied": arm.benign_denied,
            "campaign_accounts": len(accts),
            "campaign_requests": int(sum(st[0] for st in accts.values())),
            "accounts_never_stopped": sum(1 for st in accts.values() if not st[1]),
            "benign_requests": arm.benign_requests,
            "intel_matched_benign_accounts": len(set(matched) - attackers),
            "intel_matched_campaign_accounts": len(set(matched) & attackers),
            "transport_errors": arm.errors,
            "transport_error_kinds": dict(arm.error_kinds),
            "gateway_decision_ms_mean": arm.decision_ms,
        }
        if sharing:
            out.setdefault("benign_matches", {})[p] = {
                a: r for a, r in sorted(matched.items()) if a not in attackers
            }
    ratios = [
        out["without_sharing"][p]["answered"] / max(out["with_sharing"][p]["answered"], 1)
        for p in ("B", "C")
    ]
    out["reduction_factor"] = round(min(ratios), 2)
    return out
