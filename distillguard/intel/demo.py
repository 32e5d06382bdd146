"""Three providers, one campaign: what sharing indicators buys (``distillguard forum-demo``).

The traffic (:file:`forum_scenario.yaml`, simulated from real prompts) has one
distillation campaign among ordinary users.  Its accounts and the ordinary
accounts are split between providers A, B and C and renamed per provider; at B
and C the campaign starts two days after A, from the same operator's proxies,
cards, client software and templates.

Each provider has its own DuckDB store and gateway *decision path*; one forum hub
(the real TAXII 2.1 server, :mod:`.taxii_server`, under uvicorn on loopback) sits
between them and every push and pull goes through ``taxii2-client``.  Time runs
day by day:

1. every request of the day is decided in process with the gateway's own policy
   code (:func:`distillguard.gateway.policy.decide` on the shipped default policy,
   plus the ``intel-match`` watchlist rule of
   :mod:`distillguard.gateway.intel_watchlist`) against the account views of the
   last batch scan (``batch_verdict``, ``campaign_id``, as ``distillguard sync``
   writes them); throttles are token buckets on the simulated clock;
2. with sharing, each request's address, network, client and template ends are
   first matched against the indicators pulled so far
   (:class:`~distillguard.intel.match.IntelMatcher`): an account crossing the
   threshold joins the watchlist and is stopped on that very request;
3. at the end of the day every provider runs the real batch scan
   (:func:`distillguard.scan.scan`, incremental load, campaign detection) on the
   day's logs; with sharing it also matches its whole store against pulled
   indicators (payment fingerprints are visible only there), exports its
   ``block`` campaigns as a STIX bundle and pushes it, and pulls what the others
   shared.

The gateway's *online* scorer is not run (it would make the demo minutes longer
on two cores, and it is the same in both arms); decisions lag by up to a day of
batch scanning in both arms, which is what the comparison is about.

Reported per provider and arm: ``answered`` (campaign requests answered in full:
not refused, not throttled, no reasoning stripped), ``requests_per_account_to_stop``
(mean over the campaign's accounts of the position of the first request that was
refused, throttled or stripped; all of an account's requests if none was) and
``benign_denied`` (ordinary users' requests refused).  ``reduction_factor`` is the
smaller, over B and C, of answered without sharing over answered with sharing
(with a floor of one answered request, so stopping everything is not infinite).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.gateway.intel_watchlist import with_intel_watchlist
from distillguard.gateway.policy import Policy, Rule, Subject, decide, load_policy
from distillguard.intel.client import HubClient
from distillguard.intel.export import ExportOptions, export_bundle
from distillguard.intel.hashing import KeyRing, new_key_file
from distillguard.intel.hub_config import load_hub_config_text
from distillguard.intel.match import IntelMatcher, IntelSet, load_intel, match_store
from distillguard.intel.taxii_server import ObjectStore, create_hub_app, serve_in_thread

PROVIDERS: Final = ("A", "B", "C")
#: Days the campaign reaches B and C after A.
LAG_DAYS: Final = 2
US_PER_DAY: Final = 86_400_000_000


def provider_name(p: str) -> str:
    return f"provider-{p}"


@dataclass
class Buckets:
    """Token buckets on the simulated clock (the gateway's refill rule, replayed time)."""

    state: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str, rate: float, burst: float, now_s: float) -> bool:
        tokens, last = self.state.get(key, (burst, now_s))
        tokens = min(burst, tokens + max(0.0, now_s - last) * rate)
        ok = tokens >= 1.0
        self.state[key] = (tokens - 1.0 if ok else tokens, now_s)
        return ok


@dataclass
class Arm:
    """One provider's decision path in one arm (with or without sharing)."""

    provider: str
    sharing: bool
    policy: Policy
    buckets: Buckets = field(default_factory=Buckets)
    watch: set[str] = field(default_factory=set)
    matcher: IntelMatcher | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    #: account → [requests seen, first stop position or 0, full answers]
    accounts: dict[str, list[int]] = field(default_factory=dict)
    benign_denied: int = 0
    benign_requests: int = 0
    #: account → why it joined the watchlist (the match's reason).
    reasons: dict[str, str] = field(default_factory=dict)


def _degraded(rule: Rule | None) -> bool:
    return rule is not None and bool(
        rule.strip_reasoning or rule.strip_logprobs or rule.max_n or rule.max_tokens
    )


def decide_request(arm: Arm, view: dict[str, str], row: dict[str, Any], now: dt.datetime) -> str:
    """``"full"``, ``"degraded"`` or ``"denied"`` for one request."""
    acct = row["account_id"]
    subject = Subject(
        account_id=acct, tier=row.get("account_tier"), created_at=row.get("account_created_at"),
        view=view, unknown_key=False, state_ok=True,
    )  # fmt: skip
    watch = {"intel": frozenset(arm.watch)} if acct in arm.watch else {"intel": frozenset()}
    rule = decide(arm.policy, subject, watch, now)
    if rule is None:
        return "full"
    if rule.action in ("block", "require_verification"):
        return "denied"
    if rule.action == "throttle" and rule.throttle is not None:
        th = rule.throttle
        camp = view.get("campaign_id")
        key = f"c:{camp}" if th.per == "campaign" and camp else f"a:{acct}"
        if not arm.buckets.take(key, th.rate, th.burst, now.timestamp()):
            return "denied"
    return "degraded" if _degraded(rule) else "full"


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


def _views(accounts: pa.Table) -> dict[str, dict[str, str]]:
    """Account views as ``distillguard sync`` writes them."""
    cols = ["account_id", "risk", "verdict"] + (
        ["campaign_id"] if "campaign_id" in accounts.column_names else []
    )
    return {
        str(r["account_id"]): {
            "batch_risk": repr(float(r["risk"] or 0.0)),
            "batch_verdict": str(r["verdict"]),
            "campaign_id": str(r.get("campaign_id") or ""),
        }
        for r in accounts.select(cols).to_pylist()
    }


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
    on_step: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the demo under ``workdir``; return the report (see the module docstring)."""
    from distillguard.scan import ScanOptions, scan
    from distillguard.signals import EventBatch, create
    from distillguard.sim.corpus import load_corpus
    from distillguard.sim.pools import Pools
    from distillguard.sim.scenario import load_scenario
    from distillguard.sim.simulator import simulate

    def step(msg: str) -> None:
        if on_step is not None:
            on_step(msg)

    t_start = time.perf_counter()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    ref = resources.files("distillguard.intel") / "forum_scenario.yaml"
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

    ring = new_key_file(workdir / "forum-keys.yaml", "forum-demo")
    api_keys = {p: secrets.token_urlsafe(24) for p in PROVIDERS}
    hub_cfg = load_hub_config_text(_hub_yaml(api_keys), "<forum demo hub>")
    base_policy = with_intel_watchlist(load_policy(), [])
    arms = {
        (p, sharing): Arm(p, sharing, base_policy) for p in PROVIDERS for sharing in (False, True)
    }
    views: dict[str, dict[str, dict[str, str]]] = {p: {} for p in PROVIDERS}
    intel: dict[str, IntelSet] = {p: IntelSet() for p in PROVIDERS}
    hub_log: list[dict[str, Any]] = []
    skeleton = create("template_skeleton")
    timings: dict[str, float] = {"scan_s": 0.0, "decide_s": 0.0, "share_s": 0.0}

    with serve_in_thread(create_hub_app(hub_cfg, ObjectStore(workdir / "hub.sqlite"))) as url:
        clients = {p: HubClient(f"{url}/forum/", api_keys[p]) for p in PROVIDERS}
        for day in range(n_days):
            lo = start + dt.timedelta(days=day)
            hi = lo + dt.timedelta(days=1)
            for p in PROVIDERS:
                t = per_provider[p]
                mask = pc.and_(
                    pc.greater_equal(t["ts"], pa.scalar(lo)), pc.less(t["ts"], pa.scalar(hi))
                )
                today = t.filter(mask)
                if today.num_rows == 0:
                    continue
                t0 = time.perf_counter()
                _decide_day(arms[(p, False)], arms[(p, True)], today, views[p], intel[p], ring,
                            attackers, skeleton, EventBatch)  # fmt: skip
                timings["decide_s"] += time.perf_counter() - t0
                day_file = workdir / p / "logs" / f"day{day}.parquet"
                day_file.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(today, day_file)
                t0 = time.perf_counter()
                res = _scan_day(scan, ScanOptions, day_file, workdir / p)
                timings["scan_s"] += time.perf_counter() - t0
                views[p] = _views(res.accounts)
            step(f"day {day + 1}/{n_days}: decided and scanned")
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
                pulled = workdir / p / "pulled.jsonl"
                t1 = time.perf_counter()
                rep = clients[p].pull("tlp-amber", pulled)
                if rep.objects:
                    hub_log.append({"day": day + 1, "provider": provider_name(p),
                                    "pulled": rep.objects,
                                    "pull_s": round(time.perf_counter() - t1, 3)})  # fmt: skip
                if pulled.exists() and pulled.stat().st_size:
                    intel[p] = load_intel(pulled, own=provider_name(p))
                    arm = arms[(p, True)]
                    arm.matcher = _carry(arm.matcher, intel[p], ring)
                    if intel[p].indicators:
                        from distillguard.ingest.store import Store

                        with Store(workdir / p / "store.duckdb") as store:
                            for m in match_store(store, intel[p], ring):
                                arm.watch.add(m.account_id)
                                arm.reasons.setdefault(m.account_id, "batch: " + m.reason())
            timings["share_s"] += time.perf_counter() - t0
    report = _report(arms, attackers)
    report["hub"] = hub_log
    report["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    report["timings_s"]["total_s"] = round(time.perf_counter() - t_start, 2)
    report["events"] = {p: per_provider[p].num_rows for p in PROVIDERS}
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


def _carry(old: IntelMatcher | None, intel: IntelSet, ring: KeyRing) -> IntelMatcher:
    """A matcher over the newest intel that keeps the accounts already matched."""
    new = IntelMatcher(intel, ring)
    if old is not None:
        new._matched.update(old._matched)
    return new


def _decide_day(
    plain: Arm,
    shared: Arm,
    today: pa.Table,
    views: dict[str, dict[str, str]],
    intel: IntelSet,
    ring: KeyRing,
    attackers: set[str],
    skeleton: Any,
    batch_cls: Any,
) -> None:
    rows = today.select(
        ["account_id", "ts", "ip", "user_agent", "account_tier", "account_created_at"]
    ).to_pylist()
    matcher = shared.matcher
    templates: dict[str, list[Any]] = {}
    hits: list[list[int]] = [[] for _ in rows]
    if matcher is not None and intel.indicators:
        batch = batch_cls(today)
        sk = skeleton.compute(batch)
        templates = {k: v.to_pylist() for k, v in sk.items()}
        hits = matcher.fingerprint_hits(batch.user_text)
    for i, row in enumerate(rows):
        acct = row["account_id"]
        now = row["ts"]
        view = views.get(acct, {})
        if matcher is not None and acct not in shared.watch:
            tmpl = {k: v[i] for k, v in templates.items()}
            m = matcher.observe(
                acct, ip=row.get("ip"), user_agent=row.get("user_agent"), template=tmpl,
                fingerprint_hits=hits[i],
            )  # fmt: skip
            if m is not None:
                shared.watch.add(acct)
                shared.reasons[acct] = "request: " + m.reason()
        for arm in (plain, shared):
            outcome = decide_request(arm, view, row, now)
            if acct in attackers:
                st = arm.accounts.setdefault(acct, [0, 0, 0])
                st[0] += 1
                if outcome != "full" and st[1] == 0:
                    st[1] = st[0]
                if outcome == "full":
                    st[2] += 1
            else:
                arm.benign_requests += 1
                if outcome == "denied":
                    arm.benign_denied += 1


def _report(arms: dict[tuple[str, bool], Arm], attackers: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"with_sharing": {}, "without_sharing": {}}
    for (p, sharing), arm in sorted(arms.items()):
        accts = arm.accounts
        stop = [st[1] if st[1] else st[0] for st in accts.values()]
        out["with_sharing" if sharing else "without_sharing"][p] = {
            "answered": int(sum(st[2] for st in accts.values())),
            "requests_per_account_to_stop": round(float(np.mean(stop)), 2) if stop else None,
            "benign_denied": arm.benign_denied,
            "campaign_accounts": len(accts),
            "campaign_requests": int(sum(st[0] for st in accts.values())),
            "accounts_never_stopped": sum(1 for st in accts.values() if not st[1]),
            "benign_requests": arm.benign_requests,
            "watchlisted_benign_accounts": len(arm.watch - attackers),
            "watchlisted_campaign_accounts": len(arm.watch & attackers),
        }
        if sharing:
            out.setdefault("benign_matches", {})[p] = {
                a: arm.reasons.get(a, "") for a in sorted(arm.watch - attackers)
            }
    ratios = [
        out["without_sharing"][p]["answered"] / max(out["with_sharing"][p]["answered"], 1)
        for p in ("B", "C")
    ]
    out["reduction_factor"] = round(min(ratios), 2)
    return out
