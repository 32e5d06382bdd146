"""The gateway: an ASGI reverse proxy that scores accounts online and applies policy.

Default deny.  Every request but the gateway's own ``/healthz`` and ``/metrics``
goes through the same steps, in this order, and is refused at the first that
fails: the API key (401); the path, put in canonical form (400, see
:mod:`.paths`); the allow-list of routes in the policy (404, or 405 for another
method; see :mod:`.routes`); the body size (413); the body itself and the
policy's limits (400).  Then the account's view is read, the rules decide, the
decision is written to the audit log, and only then is the request forwarded:
to exactly the canonical path that was decided, with headers the gateway sets
(:mod:`.proxy`).  The provider's upstream key is attached to nothing else.

Model routes (chat, completions, responses) are scored, decided by the rules,
capped and stripped; ``plain`` routes are refused for accounts the rules block or
send to verification and otherwise forwarded unchanged.

Audit records, per request (:mod:`.audit`; all chained in one log):

- ``decision``: written before anything is forwarded or refused, with the
  status when it is a refusal;
- ``outcome``: a forwarded request's status and token counts, written before the
  answer is handed over (a stream: when it ends);
- ``signals``: the request's signal values, once its micro-batch is scored
  (:mod:`.scorer`), within the scorer's window plus the scoring time.

Extraction budgets (:mod:`.guard`, :mod:`.budgets`, trust levels in :mod:`.trust`)
are checked on model routes, atomically for all the budgets that apply.  On a store
where it saves a round trip (Redis) the check is made in the same state call that
reads the account view (:meth:`.State.view_and_budgets`): the budgets the view will
decide are guessed from the account's last request and the check stands when the
guess was right (:func:`.guard.adopt`); otherwise, after the rules, a second call
checks the real ones (in memory: only that one, after the rules).  A request the
rules then refuse gives its reservation back.  The value the answer gave is measured
at the outcome (the upstream's usage, asked for on every stream, or the gateway's
own ``chars/4`` count) and spent in the background.

Per request the gateway does one state call (the account view, on Redis with the
budget check of a model route), at most one more budget check, at most one token-bucket
update, and the forwarding; signals, profile folding, scoring and budget spends
happen in the background.

The operator's ``POST /admin/signup-check`` (:mod:`.signup_check`) is the gateway's
own too: answered under the admin token, never forwarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from distillguard.economics.prices import PriceTable, load_prices
from distillguard.errors import DistillguardError
from distillguard.gateway.audit import AuditError, AuditLog, FsyncPolicy
from distillguard.gateway.guard import Applied, BudgetGuard, Hit, Ticket, adopt, refusal_message
from distillguard.gateway.harvest_cost import harvest_cost, load_identity_costs
from distillguard.gateway.intel_watchlist import INTEL_WATCHLIST
from distillguard.gateway.keys import KeyInfo, key_id
from distillguard.gateway.model_request import apply_rule, bad_request, parse_request
from distillguard.gateway.paths import PathRefused, canonical_path, query_string
from distillguard.gateway.policy import Policy, Rule, Subject, decide, load_policy
from distillguard.gateway.proxy import (
    content_encoded,
    error_response,
    request_headers,
    response_headers,
    stream_response,
    upstream_failure,
)
from distillguard.gateway.review import PREFIX as REVIEW_PREFIX
from distillguard.gateway.review import ReviewApi
from distillguard.gateway.routes import METHODS, Limits, Router, RouteSpec
from distillguard.gateway.scorer import Pending, Scorer, make_scorer
from distillguard.gateway.signup_check import PATH as SIGNUP_PATH
from distillguard.gateway.signup_check import SignupConfig, signup_check
from distillguard.gateway.state import (
    AccountView,
    BudgetRead,
    BudgetSpend,
    MemoryState,
    State,
    StateUnavailable,
)
from distillguard.gateway.strip import Measured, SSEStripper, seen_in_body, strip_response
from distillguard.gateway.sync import account_views, push_views
from distillguard.gateway.trust import TrustFacts, TrustTable, load_trust
from distillguard.gateway.upstream import Upstream, UpstreamError, UpstreamResponse, make_upstream
from distillguard.gateway.watched import LiveIntel, WatchedFile
from distillguard.ingest.validate import (
    id_problem,
)
from distillguard.review.feedback import FeedbackTable
from distillguard.scoring.risk import Calibration
from distillguard.signals import Signal, create

log = logging.getLogger("distillguard.gateway")

#: State meta key: which version of the followed accounts file the state holds.
BATCH_VIEWS_META: Final = "batch_views"
#: View fields that make an account worth remembering through a state outage.
_NOTABLE: Final = frozenset({"restrict", "block"})
#: Accounts whose last notable view this replica keeps for outages.
_VIEW_CACHE: Final = 100_000
#: Accounts whose last budget inputs this replica keeps to guess the next check.
_GUESS_CACHE: Final = 65_536
#: An oversized body is read and dropped up to this many times the limit (see
#: ``Gateway._read_body``); beyond that the connection is closed on it.
_DRAIN_FACTOR: Final = 4
#: Length of a refused raw path kept in the audit record.
_PATH_IN_AUDIT: Final = 256


@dataclass
class GatewayConfig:
    """Everything the gateway needs; ``create_app`` owns the objects once started."""

    upstream: str
    keys: Mapping[str, KeyInfo] = field(default_factory=dict)
    policy: Policy = field(default_factory=load_policy)
    #: Trust levels that scale the policy's budgets (the shipped ``trust.yaml`` by default).
    trust: TrustTable = field(default_factory=load_trust)
    #: List prices of the value-served metric (the shipped ``prices.yaml`` by default).
    prices: PriceTable = field(default_factory=load_prices)
    #: The operator's sign-up check (``POST /admin/signup-check``; see :mod:`.signup_check`).
    signup: SignupConfig | None = None
    state: State = field(default_factory=MemoryState)
    audit_path: Path | None = None
    #: When the audit log is fsynced (``interval``, ``always``, ``never``; see :mod:`.audit`).
    audit_fsync: FsyncPolicy = "interval"
    #: Longest time between a record and its fsync under ``interval``.
    audit_fsync_s: float = 0.05
    #: Secret that signs the audit checkpoints (None: unkeyed SHA-256 checkpoints).
    audit_key: bytes | None = None
    #: Extra copies of the audit checkpoint (e.g. on another volume).
    audit_heads: tuple[Path, ...] = ()
    calibration: Calibration = field(default_factory=Calibration.load)
    #: Key the gateway sends upstream (None: forward the client's Authorization).
    upstream_key: str | None = None
    upstream_timeout_s: float = 120.0
    connect_timeout_s: float = 5.0
    #: Honour ``x-distillguard-ts`` and ``x-forwarded-for`` (replays, trusted LBs only).
    trust_client_headers: bool = False
    #: Add ``x-distillguard-action``/``-modified`` headers (replays and debugging;
    #: they tell an attacker what the policy did, so off by default).
    decision_header: bool = False
    #: Bearer token for ``/metrics`` and the details of ``/healthz`` (None: loopback only).
    admin_token: str | None = None
    scorer_batch: int = 256
    #: How long the scorer lets a micro-batch gather (decision lag vs. CPU per event).
    scorer_window_s: float = 0.05
    #: ``process``: score in a separate lower-priority process (keeps the GIL free for
    #: requests); ``inline``: in this process, in a thread.
    scorer: str = "process"
    max_queue: int = 10_000
    #: ``auto`` (lean httptools pool when installed), ``fast`` or ``httpx``.
    upstream_client: str = "auto"
    #: Batch scan results (``accounts.parquet``) loaded at start and again whenever the
    #: file changes (checked every ``reload_s``): the scan's verdicts without a restart.
    accounts_path: Path | None = None
    #: Pulled intel matched on every request (``serve --intel``); see :mod:`.watched`.
    intel: LiveIntel | None = None
    #: Seconds between checks of the followed files (and of the state's copy of them).
    reload_s: float = 5.0
    #: The feedback table review actions land in (``serve --feedback``; see
    #: :mod:`distillguard.review.feedback`).  None: ``POST /admin/review/actions`` answers 503.
    feedback_path: Path | None = None


class Metrics:
    """Prometheus metrics in a registry of this app's own (several apps per process in tests)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "distillguard_gateway_decisions", "Decisions by action", ["action"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "distillguard_gateway_decision_seconds",
            "Time the gateway adds before forwarding (auth, parse, state, policy, audit)",
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.1, 1.0),
            registry=self.registry,
        )
        self.total = Histogram(
            "distillguard_gateway_request_seconds",
            "Whole request time as the gateway sees it (upstream included, to the headers)",
            registry=self.registry,
        )
        self.state_up = Gauge(
            "distillguard_gateway_state_up", "1 when the state store answered last time",
            registry=self.registry,
        )  # fmt: skip
        self.dropped = Counter(
            "distillguard_gateway_scoring_dropped", "Events not scored (queue full)",
            registry=self.registry,
        )  # fmt: skip
        self.upstream_errors = Counter(
            "distillguard_gateway_upstream_errors", "Upstream failures", ["code"],
            registry=self.registry,
        )  # fmt: skip
        self.unreadable = Counter(
            "distillguard_gateway_unreadable_events",
            "Upstream stream events dropped because they could not be checked",
            registry=self.registry,
        )
        self.budget_responses = Counter(
            "distillguard_gateway_budget_responses",
            "Requests that met a budget response, by budget and response",
            ["budget", "response"],
            registry=self.registry,
        )
        self.budget_errors = Counter(
            "distillguard_gateway_budget_errors",
            "Budget checks or spends the state store did not take",
            ["stage"],
            registry=self.registry,
        )
        self.value_served = Counter(
            "distillguard_gateway_value_served_usd",
            "Value served to clients in dollars at list price (the price table), by the "
            "request's capability (unlabelled: not scored)",
            ["capability"],
            registry=self.registry,
        )
        self.harvest_cost = Gauge(
            "distillguard_gateway_harvest_cost_usd",
            "What one million reasoning-rich answers cost an operator under this gateway's "
            "budgets and trust table, by sign-up path (identity_costs.yaml; docs/policy.md)",
            ["path"],
            registry=self.registry,
        )
        self.state_up.set(1)


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _now(request: Request, trust: bool) -> tuple[dt.datetime, bool]:
    """The request's time, and whether it came from a trusted header (a replay)."""
    if trust:
        given = request.headers.get("x-distillguard-ts")
        if given:
            with contextlib.suppress(ValueError):
                t = dt.datetime.fromisoformat(given.replace("Z", "+00:00"))
                return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)), True
    return dt.datetime.now(dt.UTC), False


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class _Call:
    """One request as it is decided (a local of the handler, never shared)."""

    rid: str
    now: dt.datetime
    replayed: bool
    record: dict[str, Any]
    t0: float
    info: KeyInfo | None = None
    api_key: str | None = None
    unknown: bool = False
    path: str = ""
    target: str = ""
    #: The request's budgets between their check and the outcome.
    ticket: Ticket | None = None
    #: Budgets checked with the view, before it was read (see :func:`.guard.adopt`).
    guessed: list[Applied] = field(default_factory=list)
    pre_read: BudgetRead | None = None
    #: Why that check failed (the store was down).
    pre_error: str | None = None
    #: Whether the answer's reasoning is withheld (the final rule strips it).
    withheld: bool = False


@dataclass(frozen=True)
class _Inputs:
    """What the view decided about an account's last budgeted request."""

    view: AccountView
    withheld: bool
    max_n: int | None


class Gateway:
    """Request handling; per-request values live in locals, never on ``self``."""

    def __init__(self, config: GatewayConfig) -> None:
        self.cfg = config
        self.policy = config.policy
        self.router = Router(config.policy.route_specs)
        self.limits: Limits = config.policy.limits
        self.watch: dict[str, AbstractSet[str]] = dict(config.policy.watch_sets)
        #: Accounts matched to shared intel, here or on another replica (view ``intel``);
        #: the ``intel`` watchlist of the policy, grown while the gateway runs.
        self.intel_matched: set[str] = set(self.watch.get(INTEL_WATCHLIST, ()))
        if INTEL_WATCHLIST in self.watch:
            self.watch[INTEL_WATCHLIST] = self.intel_matched
        self.accounts: WatchedFile[dict[str, dict[str, str]]] | None = (
            WatchedFile(config.accounts_path, account_views)
            if config.accounts_path is not None
            else None
        )
        #: The last restricting view of accounts seen by this replica: what decides
        #: when the state store is down, so a blocked account stays blocked.
        self._known: OrderedDict[str, dict[str, str]] = OrderedDict()
        #: Token buckets of this replica alone, used while the shared store is down.
        self._local = MemoryState()
        self._follow_task: asyncio.Task[None] | None = None
        self.metrics = Metrics()
        costs = harvest_cost(self.policy, config.trust, config.prices, load_identity_costs())
        for p in costs.paths:
            self.metrics.harvest_cost.labels(p.path.name).set(round(p.total_usd, 2))
        self.audit = (
            AuditLog(
                config.audit_path, fsync=config.audit_fsync, fsync_s=config.audit_fsync_s,
                key=config.audit_key, heads=config.audit_heads,
            )
            if config.audit_path is not None
            else None
        )  # fmt: skip
        self.up: Upstream | None = None
        self.scorer: Scorer | None = None
        self.guard = BudgetGuard(config.policy.budgets)
        #: Budget spends under way (awaited at shutdown).
        self._tasks: set[asyncio.Task[None]] = set()
        #: Spends waiting for the next state call: (counter, sub-bucket) → [amount, ttl].
        self._spend_buf: dict[tuple[str, int], list[int]] = {}
        self._flushing = False
        self._capability: Signal | None = None
        self.review = ReviewApi(
            state=config.state, write=self._write, audit_path=config.audit_path,
            feedback=FeedbackTable(config.feedback_path) if config.feedback_path else None,
            accounts_path=config.accounts_path, known=lambda: self._known,
            remember=self._remember, enabled=config.admin_token is not None,
        )  # fmt: skip
        #: Each account's last budget inputs: the guess for its next check.
        self._inputs: dict[str, _Inputs] = {}

    # ------------------------------------------------------------- lifecycle
    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if self.audit is not None:
            self.audit.start()
        self.up = make_upstream(
            self.cfg.upstream, kind=self.cfg.upstream_client,
            timeout_s=self.cfg.upstream_timeout_s, connect_timeout_s=self.cfg.connect_timeout_s,
        )  # fmt: skip
        self.scorer = make_scorer(
            self.cfg.scorer,
            self.cfg.state,
            audit=self.audit,
            calibration=self.cfg.calibration,
            window_days=self.policy.window_days,
            max_queue=self.cfg.max_queue,
            batch=self.cfg.scorer_batch,
            window_s=self.cfg.scorer_window_s,
            on_state=self._state_seen,
            on_drop=self.metrics.dropped.inc,
            on_views=self._remember,
        )
        self.scorer.start()
        await self.follow_files()
        if self.accounts is not None or self.cfg.intel is not None or self.review.feedback:
            self._follow_task = asyncio.create_task(self._follow())
        try:
            yield
        finally:
            if self._follow_task is not None:
                self._follow_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._follow_task
            await self.scorer.stop()
            await self.settled()
            await self.up.aclose()
            if self.audit is not None:
                self.audit.close()
            await self.cfg.state.close()

    async def follow_files(self) -> None:
        """Load the followed files that changed, and give the state what it lost.

        The accounts file is pushed into the state when it changed, and also when
        the state no longer holds the version this gateway pushed (a Redis restarted
        without persistence): batch verdicts come back within ``reload_s``, and the
        reviews of the feedback table with them (:meth:`ReviewApi.restore`).
        """
        if self.accounts is not None:
            changed = await asyncio.to_thread(self.accounts.check)
            views = self.accounts.value
            if views is not None:
                if changed:
                    self._known_from_batch(views)
                token = str(self.accounts.mtime_ns)
                try:
                    state = self.cfg.state
                    if changed or await state.get_meta(BATCH_VIEWS_META) != token:
                        await push_views(state, views)
                        await state.set_meta(BATCH_VIEWS_META, token)
                except StateUnavailable:
                    self._state_seen(False)
        if self.review.feedback is not None:
            # After the batch views: a replayed review keeps the evidence it finds.
            try:
                await self.review.restore()
            except StateUnavailable:
                self._state_seen(False)
            except DistillguardError:  # an unreadable table must not end the follower
                log.exception("restoring the reviews from the feedback table failed")
        if self.cfg.intel is not None:
            await asyncio.to_thread(self.cfg.intel.check)

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.reload_s)
            try:
                await self.follow_files()
            except Exception:  # a bad version must not end the follower
                log.exception("following the batch and intel files failed")

    def _known_from_batch(self, views: Mapping[str, Mapping[str, str]]) -> None:
        # Known accounts take the new file's word either way (a verdict may drop).
        self._remember({a: v for a, v in views.items() if a in self._known})
        for account, view in views.items():
            if view.get("batch_verdict") in _NOTABLE or view.get("campaign_id"):
                self._remember({account: view})

    def _remember(self, updates: Mapping[str, Mapping[str, str]]) -> None:
        """Keep the views that restrict an account (see ``_known``)."""
        for account, view in updates.items():
            notable = (
                view.get("verdict") in _NOTABLE
                or view.get("batch_verdict") in _NOTABLE
                or bool(view.get("campaign_id"))
                or bool(view.get("intel"))
                or bool(view.get("review"))
            )
            old = self._known.get(account)
            if old is None and not notable:
                continue
            merged = {**(old or {}), **view}
            self._known[account] = merged
            self._known.move_to_end(account)
            if len(self._known) > _VIEW_CACHE:
                self._known.popitem(last=False)

    async def _match_intel(
        self, account_id: str, view: Mapping[str, str], event: dict[str, Any],
        record: dict[str, Any],
    ) -> None:  # fmt: skip
        """Put the account on the ``intel`` watchlist if it matches shared indicators."""
        if account_id in self.intel_matched:
            return
        if view.get("intel"):  # matched on another replica, or before a restart
            self.intel_matched.add(account_id)
            return
        intel = self.cfg.intel
        if intel is None or not intel.active:
            return
        m = intel.observe(event)
        if m is None:
            return
        self.intel_matched.add(account_id)
        record["intel"] = m.reason()
        with contextlib.suppress(StateUnavailable):
            await self.cfg.state.update_views({account_id: {"intel": m.campaign}})

    def _state_seen(self, ok: bool) -> None:
        self.metrics.state_up.set(1 if ok else 0)

    # ------------------------------------------------------------- own endpoints
    def _admin(self, request: Request, *, loopback: bool = True) -> bool:
        """The admin token was given; or, with ``loopback`` and no token configured,
        the caller is on this machine."""
        token = self.cfg.admin_token
        if token is None:
            return loopback and _loopback(request.client.host if request.client else None)
        given = _bearer(request.headers.get("authorization")) or ""
        return hmac.compare_digest(given.encode(), token.encode())

    async def healthz(self, request: Request) -> Response:
        try:
            await self.cfg.state.ping()
            state = "up"
        except StateUnavailable:
            state = "down"
        self._state_seen(state == "up")
        degraded = state == "down" and self.policy.state_failure == "closed"
        body: dict[str, Any] = {"status": "degraded" if degraded else "ok"}
        if self._admin(request):
            body.update(state=state, state_backend=self.cfg.state.name)
            if self.accounts is not None:
                body["accounts"] = self.accounts.status()
            if self.cfg.intel is not None:
                body["intel"] = self.cfg.intel.status()
            if self.audit is not None:
                body["audit"] = {"records": self.audit.written, "gaps": self.audit.gaps}
        return JSONResponse(body, status_code=503 if degraded else 200)

    async def metrics_endpoint(self, request: Request) -> Response:
        if not self._admin(request):
            return error_response(
                403, "metrics need the admin token", type_="permission_error", code="forbidden"
            )
        return Response(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # ------------------------------------------------------------- the way in
    async def entry(self, request: Request) -> Response:
        """Every request: the steps of the module docstring, in order."""
        raw = request.scope.get("raw_path") or request.scope["path"].encode()
        if raw in (b"/healthz", b"/metrics"):
            if request.method != "GET":
                return error_response(
                    405, f"{request.method} is not allowed on {raw.decode()}",
                    type_="invalid_request_error", code="method_not_allowed",
                    headers={"allow": "GET"},
                )  # fmt: skip
            return await (self.healthz if raw == b"/healthz" else self.metrics_endpoint)(request)
        if raw == SIGNUP_PATH:
            # The sign-up check: admin only (the token, never loopback alone).
            return await signup_check(
                request,
                self.cfg.signup,
                self.cfg.intel,
                self._admin(request, loopback=False),
                enabled=self.cfg.admin_token is not None,
            )
        if raw.startswith(REVIEW_PREFIX):
            # The operator's review API: admin only, never forwarded (gateway/review.py).
            # Review actions decide who is served: the token, never loopback alone.
            return await self.review.handle(request, raw, self._admin(request, loopback=False))
        t0 = time.perf_counter()
        now, replayed = _now(request, self.cfg.trust_client_headers)
        rid = "req_" + uuid.uuid4().hex[:16]
        record: dict[str, Any] = {
            "kind": "decision", "ts": now.isoformat(), "request_id": rid,
            "method": request.method,
            "path": raw[:_PATH_IN_AUDIT].decode("ascii", "backslashreplace"),
        }  # fmt: skip
        call = _Call(rid, now, replayed, record, t0)

        # --- who is calling
        api_key = _bearer(request.headers.get("authorization"))
        info = self.cfg.keys.get(api_key) if api_key else None
        if info is None:
            if self.policy.unknown_keys == "reject" or api_key is None:
                record["account"] = None
                return await self._refuse_unread(request,
                    call,
                    error_response(
                        401, "unknown or missing API key", type_="invalid_request_error",
                        code="invalid_api_key",
                    ),
                    "reject_key",
                )  # fmt: skip
            call.unknown = True
            info = KeyInfo(
                account_id="unknown_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
            )
        call.info, call.api_key = info, api_key
        record["account"] = info.account_id

        # --- where to
        try:
            call.path = canonical_path(raw)
            query = query_string(request.scope.get("query_string", b""))
        except PathRefused as exc:
            return await self._refuse_unread(
                request, call, bad_request(exc.message, code="invalid_path"), "bad_path"
            )
        record["path"] = call.path
        call.target = call.path + ("?" + query if query else "")
        route, elsewhere = self.router.match(call.path, request.method)
        if route is None:
            if elsewhere:
                allowed = ", ".join(m for m in METHODS if self.router.match(call.path, m)[0])
                resp = error_response(
                    405, f"{request.method} is not allowed on {call.path}",
                    type_="invalid_request_error", code="method_not_allowed",
                    headers={"allow": allowed},
                )  # fmt: skip
                return await self._refuse_unread(request, call, resp, "method_not_allowed")
            resp = error_response(
                404, f"no route {call.path} on this gateway", type_="invalid_request_error",
                code="unknown_route",
            )  # fmt: skip
            return await self._refuse_unread(request, call, resp, "unknown_route")
        record["route"] = route.kind

        # --- what is asked
        try:
            raw_body = await self._read_body(request)
        except ClientDisconnect:
            # Nobody to answer; the attempt is still on the record.
            gone = error_response(
                499, "the client went away while sending", type_="invalid_request_error",
                code="client_disconnected",
            )  # fmt: skip
            return await self._refuse(call, gone, "client_disconnected")
        if raw_body is None:
            resp = error_response(
                413, f"the request body is larger than {self.limits.max_body_bytes} bytes",
                type_="invalid_request_error", code="request_too_large",
            )  # fmt: skip
            return await self._refuse(call, resp, "too_large")
        if route.kind == "plain":
            return await self._plain(request, call, route, raw_body)
        return await self._model(request, call, route, raw_body)

    async def _refuse_unread(
        self, request: Request, call: _Call, resp: Response, action: str
    ) -> Response:
        """A refusal before the body was read: read it (to the size limit) and drop it.

        A server that answers and closes with the client's body unread resets the
        connection, and the client may never see the answer.
        """
        await self._drop(request, self.limits.max_body_bytes)
        return await self._refuse(call, resp, action)

    async def _read_body(self, request: Request) -> bytes | None:
        """The body, or None once it is larger than the limit (never buffered past it).

        Past the limit the rest is read and dropped, up to :data:`_DRAIN_FACTOR` times
        the limit, so the client sees the 413 instead of a reset connection; a client
        that asked ``Expect: 100-continue`` is answered before it sends anything.
        """
        limit = self.limits.max_body_bytes
        declared = request.headers.get("content-length")
        size = int(declared) if declared is not None and declared.strip().isdigit() else None
        if size is not None and size > limit:
            if "100-continue" not in request.headers.get("expect", "").lower():
                await self._drop(request, limit * _DRAIN_FACTOR)
            return None
        parts: list[bytes] = []
        got = 0
        # One iterator throughout: Starlette refuses a second stream() once the last
        # chunk has arrived, so the drain past the limit goes on with this one.
        stream = request.stream()
        async for chunk in stream:
            got += len(chunk)
            if got > limit:
                with contextlib.suppress(ClientDisconnect):
                    async for rest in stream:
                        got += len(rest)
                        if got >= limit * _DRAIN_FACTOR:
                            break
                return None
            parts.append(chunk)
        return b"".join(parts)

    @staticmethod
    async def _drop(request: Request, budget: int) -> None:
        with contextlib.suppress(ClientDisconnect, RuntimeError):
            # RuntimeError: Starlette's "Stream consumed" (nothing left to drop).
            async for chunk in request.stream():
                budget -= len(chunk)
                if budget <= 0:
                    return

    # ------------------------------------------------------------- audit
    async def _write(self, record: dict[str, Any]) -> None:
        if self.audit is not None:
            self.audit.write(record)
            await self.audit.sync()

    async def _refuse(
        self, call: _Call, resp: Response, action: str, event: dict[str, Any] | None = None
    ) -> Response:
        """Audit a refusal (decision with its status), then answer it."""
        self._release(call)  # what the budget check reserved, if it got that far
        # The id the user can quote (the error's ``reference`` where there is one).
        resp.headers["x-request-id"] = call.rid
        call.record["action"] = action
        call.record["status"] = resp.status_code
        call.record.setdefault("rule", None)
        self.metrics.decisions.labels(action).inc()
        try:
            await self._write(call.record)
        except AuditError:
            return self._audit_down()
        if event is not None and self.scorer is not None:
            # Refused requests are scored too: what an account asks says as much when
            # it is refused, and a benign account refused on early, partial evidence
            # must be able to recover as its profile fills.
            event["status"] = resp.status_code
            self.scorer.submit(Pending({"kind": "signals", "request_id": call.rid}, event))
        return resp

    def _outcome(
        self,
        call: _Call,
        status: int,
        event: dict[str, Any] | None,
        measured: Measured | None = None,
        **extra: Any,
    ) -> None:
        """Audit what a forwarded request got, spend its budgets, hand its event on.

        Token counts are the upstream's usage, or where it sent none the gateway's own
        count, named in ``estimated`` (``estimate: chars/4``).  With budgets, ``value``
        is what the client took in each budget unit (none of the reasoning when it was
        withheld); a refused or failed request takes nothing and gives its reservation
        back.
        """
        rec: dict[str, Any] = {"kind": "outcome", "request_id": call.rid, "status": status}
        if event is not None:
            event["status"] = status
            if measured is not None:
                event.update(measured.record())
            for k in ("prompt_tokens", "completion_tokens", "reasoning_tokens"):
                if event.get(k) is not None:
                    rec[k] = event[k]
        if measured is not None and measured.estimated:
            rec["estimated"] = list(measured.estimated)
            rec["estimate"] = "chars/4"
        ticket = call.ticket
        served: dict[str, int] | None = None
        if measured is not None and status < 400:
            served = measured.served(reasoning_withheld=call.withheld)
        if ticket is not None:
            if served is not None:
                rec["value"] = served
            self._spend(ticket.settle(served))
        rec.update(extra)
        if self.audit is not None:
            self.audit.write(rec)
        usd = 0.0
        if event is not None and served is not None and measured is not None:
            price = self.cfg.prices.price_for(event.get("model"))
            usd = price.value(
                prompt=measured.prompt_tokens or 0, completion=served["completion_tokens"],
                reasoning=served["reasoning_tokens"],
            )  # fmt: skip
        if event is not None and self.scorer is not None:
            told = None
            if usd or (ticket is not None and served and ticket.waiting(served)):
                told = functools.partial(self._scored, ticket, served or {}, event, usd)
            record = {"kind": "signals", "request_id": call.rid}
            self.scorer.submit(Pending(record, event, told))
        elif usd:
            self.metrics.value_served.labels("unlabelled").inc(usd)

    def _scored(
        self, ticket: Ticket | None, served: dict[str, int], event: dict[str, Any], usd: float,
        signals: dict[str, Any] | None,
    ) -> None:  # fmt: skip
        """Once the scorer has labelled a served request: its value, its named budgets."""
        label = signals.get("capability") if signals else None
        if usd:
            self.metrics.value_served.labels(label if isinstance(label, str) else "unlabelled").inc(
                usd
            )
        if ticket is not None and served and ticket.waiting(served):
            self._labelled(ticket, served, event, signals)

    @staticmethod
    def _audit_down() -> Response:
        return error_response(
            503, "the gateway cannot write its audit log", type_="server_error",
            code="audit_unavailable", headers={"retry-after": "5"},
        )  # fmt: skip

    # ------------------------------------------------------------- state
    async def _view(self, call: _Call) -> tuple[dict[str, str], bool] | Response:
        """(the account view, whether the store answered), or a 503 when failing closed."""
        assert call.info is not None
        account = call.info.account_id
        try:
            if call.guessed:
                counters = [a.counter for a in call.guessed]
                view, call.pre_read = await self.cfg.state.view_and_budgets(
                    account, counters, at=self._budget_at(call)
                )
            else:
                view = await self.cfg.state.view(account)
        except StateUnavailable as exc:
            self._state_seen(False)
            call.record["state"] = "unavailable"
            call.record["state_error"] = exc.message
            call.pre_error = exc.message
            if self.policy.state_failure == "closed":
                resp = error_response(
                    503, "the gateway cannot reach its state store", type_="server_error",
                    code="state_unavailable", headers={"retry-after": "1"},
                )  # fmt: skip
                return await self._refuse(call, resp, "state_unavailable")
            known = self._known.get(account)
            if known is not None:
                # Stale but known: a blocked or restricted account stays so.
                call.record["state"] = "unavailable: last known view"
                return dict(known), True
            return {}, False
        call.record["state"] = "ok"
        known = self._known.get(account)
        if known is not None:
            # A store restarted empty answers with less than this replica saw: what it
            # still says wins, what it forgot does not vanish (batch verdicts, blocks).
            view = {**known, **view}
        if account in self._known or view.get("batch_verdict") in _NOTABLE:
            self._remember({account: view})
        read = call.pre_read
        if read is not None and read.ok and any(a.counter.reserve for a in call.guessed):
            # Held until the budgets are decided; a refusal before then gives it back.
            call.ticket = Ticket(call.guessed, read.now, True)
        return view, True

    @staticmethod
    def _budget_at(call: _Call) -> float | None:
        # A replay spends on the logged time.
        return call.now.timestamp() if call.replayed else None

    def _guess(self, call: _Call, body: Mapping[str, Any]) -> list[Applied]:
        """The budgets this request will likely spend, from the account's last request.

        Checked in the call that reads the view (one round trip, not two); see
        :func:`.guard.adopt` for when the guess stands.
        """
        info = call.info
        assert info is not None
        last = self._inputs.get(info.account_id)
        view = last.view if last is not None else AccountView()
        n = _asked_n(body)
        if last is not None and last.max_n is not None:
            n = min(n, last.max_n)
        return self.guard.applicable(
            account_id=info.account_id, org_id=info.org_id, campaign_id=view.campaign_id,
            trust=self.cfg.trust.level_of(_facts(info), view, call.now), n=n,
            withheld=last is not None and last.withheld,
        )  # fmt: skip

    async def _take(self, bucket: str, rate: float, burst: float, call: _Call) -> bool:
        # A replay is throttled on the logged time, not on how fast it replays.
        at = call.now.timestamp() if call.replayed else None
        try:
            return await self.cfg.state.take(bucket, rate, burst, at=at)
        except StateUnavailable:
            # This replica's own buckets: the limit holds per replica during the outage.
            call.record["state"] = "unavailable"
            return await self._local.take(bucket, rate, burst, at=at)

    # ------------------------------------------------------------- plain routes
    async def _plain(
        self, request: Request, call: _Call, route: RouteSpec, raw_body: bytes
    ) -> Response:
        assert call.info is not None
        got = await self._view(call)
        if isinstance(got, Response):
            return got
        view, state_ok = got
        rule = decide(self.policy, self._subject(call, view, state_ok), self.watch, call.now)
        call.record["rule"] = rule.name if rule else None
        if rule is not None and rule.action in ("block", "require_verification"):
            return await self._refuse(call, self._denied(rule, call), rule.action)
        call.record["action"] = "forward"
        self.metrics.decisions.labels("forward").inc()
        try:
            await self._write(call.record)
        except AuditError:
            return self._audit_down()
        self.metrics.latency.observe(time.perf_counter() - call.t0)
        assert self.up is not None
        headers = self._headers(request, call)
        try:
            up = await self.up.send(request.method, call.target, list(headers.items()), raw_body)
        except UpstreamError as exc:
            failed = upstream_failure(exc)
            self._outcome(call, failed.status_code, None, error=type(exc).__name__)
            return failed
        out = {**response_headers(up.headers, encoded=True), "x-request-id": call.rid}

        def closed(ok: bool) -> None:
            if ok:
                self._outcome(call, up.status_code, None)
            else:
                self._outcome(call, up.status_code, None, stream="interrupted")

        return stream_response(up, None, None, closed, out)

    # ------------------------------------------------------------- model routes
    def _subject(self, call: _Call, view: Mapping[str, str], state_ok: bool) -> Subject:
        """What the rules see: the stored view parsed once into typed values."""
        info = call.info
        assert info is not None
        typed = AccountView.parse(view)
        if typed.invalid:
            # Read as unset (rules on them do not match); the record says so.
            call.record["view_invalid"] = list(typed.invalid)
        if typed.review is not None:
            # Which review decided, or that new evidence made it lapse.
            in_force = typed.review_in_force()
            call.record["review"] = {
                "action": typed.review, "id": typed.review_id, "in_force": in_force is not None,
            }  # fmt: skip
        return Subject(
            account_id=info.account_id, tier=info.tier, created_at=info.created_at,
            view=typed, unknown_key=call.unknown, state_ok=state_ok,
        )  # fmt: skip

    async def _model(
        self, request: Request, call: _Call, route: RouteSpec, raw_body: bytes
    ) -> Response:
        assert call.info is not None
        kind = route.kind
        body, fields, problem = parse_request(raw_body, kind, self.limits)
        conversation = request.headers.get("x-conversation-id")
        why = id_problem(conversation, "x-conversation-id") if conversation else None
        if problem is None and why is not None:
            # The scan quarantines such ids: a client must not get its own requests
            # left out of the evidence by choosing one.
            problem = bad_request(why, "x-conversation-id")
        if problem is not None:
            return await self._refuse(call, problem, "bad_request")
        assert body is not None
        assert fields is not None
        if self.guard.active and self.cfg.state.one_trip:
            call.guessed = self._guess(call, body)
        got = await self._view(call)
        if isinstance(got, Response):
            return got
        view, state_ok = got
        event = self._event(fields, call, request)
        if INTEL_WATCHLIST in self.watch:
            await self._match_intel(call.info.account_id, view, event, call.record)
        subject = self._subject(call, view, state_ok)
        rule = decide(self.policy, subject, self.watch, call.now)
        call.record["rule"] = rule.name if rule else None
        call.record["risk"] = view.get("risk")
        action = rule.action if rule else "allow"
        if rule is not None and action in ("block", "require_verification"):
            return await self._refuse(call, self._denied(rule, call), action, event)
        if rule is not None and action == "throttle" and rule.throttle is not None:
            campaign = view.get("campaign_id")
            per_campaign = rule.throttle.per == "campaign" and campaign
            bucket = f"c:{campaign}" if per_campaign else f"a:{call.info.account_id}"
            if not await self._take(bucket, rule.throttle.rate, rule.throttle.burst, call):
                retry = max(1, int(1 / rule.throttle.rate))
                limited = error_response(
                    429, rule.message or "rate limit reached for this account",
                    type_="rate_limit_error", code="rate_limited",
                    headers={"retry-after": str(retry)}, extra=self._why(call, "policy"),
                )  # fmt: skip
                return await self._refuse(call, limited, "throttle_denied", event)
        if self.guard.active:
            checked = await self._budgets(call, subject, body, rule, event)
            if isinstance(checked, Response):
                return checked
            rule = checked
        modified = apply_rule(body, rule, kind)
        hide_usage = self.policy.stream_usage and _ask_usage(body, kind)
        if hide_usage:
            # Streams are metered from the upstream's usage; the client that did not
            # ask for the extra chunk never sees it (see SSEStripper).
            call.record["usage_asked"] = True
        call.withheld = bool(rule and rule.strip_reasoning)
        if call.ticket is not None:
            call.ticket.withheld = call.withheld
        call.record["action"] = action
        call.record["modified"] = modified
        self.metrics.decisions.labels(action).inc()
        try:
            await self._write(call.record)
        except AuditError:
            self._release(call)
            return self._audit_down()
        self.metrics.latency.observe(time.perf_counter() - call.t0)
        # An unmodified request goes upstream as the client sent it (no re-serialising).
        content = json.dumps(body).encode() if modified or hide_usage else raw_body
        resp = await self._forward(request, call, content, rule, event, modified, hide_usage)
        self.metrics.total.observe(time.perf_counter() - call.t0)
        return resp

    # ------------------------------------------------------------- budgets
    async def _budgets(
        self, call: _Call, subject: Subject, body: dict[str, Any], rule: Rule | None,
        event: dict[str, Any],
    ) -> Rule | Response | None:  # fmt: skip
        """Check the budgets that apply: the rule with their response added, or a refusal."""
        info = call.info
        assert info is not None
        trust = self.cfg.trust.level_of(_facts(info), subject.evidence, call.now)
        n = _asked_n(body)
        if rule is not None and rule.max_n is not None:
            n = min(n, rule.max_n)
        withheld = bool(rule and rule.strip_reasoning)
        if subject.state_ok:
            self._keep_inputs(
                info.account_id, _Inputs(subject.evidence, withheld, rule.max_n if rule else None)
            )
        applied = self.guard.applicable(
            account_id=info.account_id, org_id=info.org_id,
            campaign_id=subject.evidence.campaign_id if subject.state_ok else None,
            trust=trust, n=n, withheld=withheld,
        )  # fmt: skip
        read: BudgetRead | None = None
        back: list[BudgetSpend] = []
        if call.pre_read is not None:
            read, back = adopt(call.guessed, call.pre_read, applied)
            # The guess's reservation now belongs to the real ticket, or is given back.
            call.ticket = None
            if read is not None or not applied:
                self._spend(back)
        if not applied:
            return rule
        call.record["trust"] = trust.name
        try:
            if call.pre_error is not None and call.guessed:
                raise StateUnavailable(call.pre_error)
            if read is None:
                if back:
                    # Before checking again, or this request would count its own guess.
                    await self.cfg.state.budget_spend(back)
                counters = [a.counter for a in applied]
                read = await self.cfg.state.budget_check(counters, at=self._budget_at(call))
        except StateUnavailable as exc:
            self._state_seen(False)
            self.metrics.budget_errors.labels("check").inc()
            call.record["budget_state"] = f"unavailable: {exc.message}"
            if self.policy.state_failure == "closed":
                down = error_response(
                    503, "the gateway cannot reach its state store", type_="server_error",
                    code="state_unavailable", headers={"retry-after": "1"},
                )  # fmt: skip
                return await self._refuse(call, down, "state_unavailable", event)
            return rule  # fail open: decided without budgets, and the record says so
        ticket = Ticket(applied, read.now, read.ok)
        call.ticket = ticket
        hits = self.guard.reached(applied, read)
        if not hits:
            return rule
        capability = None
        if any(h.applied.budget.capabilities is not None for h in hits):
            # Only for an account already at a response of a budget on named
            # capabilities: which capability this request is decides whether it counts.
            capability = await self._capability_of(event)
            ticket.capability = capability
            call.record["capability"] = capability
        response = self.guard.response(hits, capability)
        if not response.hits:
            return rule
        ticket.hits = list(response.hits)
        call.record["budgets"] = [h.record() for h in response.hits]
        for h in response.hits:
            self.metrics.budget_responses.labels(h.applied.budget.name, h.level.describe()).inc()
        if response.refuses:
            worst = response.worst()
            self._release(call)
            return await self._refuse(
                call, self._budget_denied(worst, call), f"budget_{worst.level.action}", event
            )
        for h in response.throttles():
            th = h.level.throttle
            assert th is not None
            b = h.applied.budget
            if not await self._take(f"budget:{b.name}:{b.per}:{h.applied.scope_id}",
                                    th.rate, th.burst, call):  # fmt: skip
                self._release(call)
                return await self._refuse(
                    call, self._budget_denied(h, call, retry=max(1, int(1 / th.rate))),
                    "budget_throttled", event,
                )  # fmt: skip
        return response.on(rule)

    async def _capability_of(self, event: dict[str, Any]) -> str | None:
        """The request's capability (the ``capability`` signal, in a worker thread)."""
        if self._capability is None:
            self._capability = create("capability")
        sig = self._capability
        try:
            got = await asyncio.to_thread(sig.compute_one, event)
        except Exception:  # an unlabelled request spends no budget on named capabilities
            log.exception("labelling a request's capability failed")
            return None
        label = got.get("capability")
        return label if isinstance(label, str) else None

    def _budget_denied(self, hit: Hit, call: _Call, retry: int | None = None) -> Response:
        action = hit.level.action
        why = self._why(call, "budget_exhausted")
        message = refusal_message(hit)
        if action == "block":
            return error_response(403, message, type_="permission_error",
                                  code="account_blocked", extra=why)  # fmt: skip
        if action == "require_verification":
            return error_response(403, message, type_="permission_error",
                                  code="verification_required", extra=why)  # fmt: skip
        return error_response(
            429, message, type_="rate_limit_error", code="rate_limited",
            headers={"retry-after": str(retry or 1)}, extra=why,
        )  # fmt: skip

    @staticmethod
    def _why(call: _Call, reason: str) -> dict[str, Any]:
        """``reason`` and ``reference`` (the decision record's request id) of a refusal."""
        return {"reason": reason, "reference": call.rid}

    def _keep_inputs(self, account_id: str, inputs: _Inputs) -> None:
        if self._inputs.get(account_id) == inputs:
            return
        if len(self._inputs) >= _GUESS_CACHE and account_id not in self._inputs:
            del self._inputs[next(iter(self._inputs))]  # the oldest entry
        self._inputs[account_id] = inputs

    def _release(self, call: _Call) -> None:
        """Give back what the request reserved (refused or failed before forwarding)."""
        if call.ticket is not None:
            self._spend(call.ticket.release())

    def _spend(self, spends: list[BudgetSpend]) -> None:
        """Spend in the background; the spends of one loop turn go in one state call."""
        for sp in spends:
            got = self._spend_buf.get((sp.key, sp.slot))
            if got is None:
                self._spend_buf[(sp.key, sp.slot)] = [sp.amount, sp.ttl]
            else:
                got[0] += sp.amount
                got[1] = max(got[1], sp.ttl)
        if self._spend_buf and not self._flushing:
            self._flushing = True
            task = asyncio.get_running_loop().create_task(self._flush_spends())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _flush_spends(self) -> None:
        await asyncio.sleep(0)  # let the other spends of this loop turn join
        buf, self._spend_buf = self._spend_buf, {}
        self._flushing = False
        spends = [BudgetSpend(k, slot, a, ttl) for (k, slot), (a, ttl) in buf.items() if a]
        if not spends:
            return
        try:
            await self.cfg.state.budget_spend(spends)
        except StateUnavailable as exc:
            self._state_seen(False)
            self.metrics.budget_errors.labels("spend").inc()
            log.warning("budget spend not recorded (%d counters): %s", len(spends), exc.message)

    async def settled(self) -> None:
        """Wait for every budget spend under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _labelled(
        self, ticket: Ticket, served: dict[str, int], event: dict[str, Any],
        signals: dict[str, Any] | None,
    ) -> None:  # fmt: skip
        """Spend budgets on named capabilities once the scorer has labelled the request."""
        label = signals.get("capability") if signals else None
        if isinstance(label, str):
            self._spend(ticket.labelled(served, label))
            return

        async def label_here() -> None:
            # Not scored (queue full, scorer down, shutdown): label it here.
            self._spend(ticket.labelled(served, await self._capability_of(event)))

        task = asyncio.get_running_loop().create_task(label_here())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _client_ip(self, request: Request) -> str | None:
        ip = request.client.host if request.client else None
        if self.cfg.trust_client_headers:
            fwd = request.headers.get("x-forwarded-for")
            given = fwd.split(",")[0].strip() if fwd else ""
            # Only an address: anything else would be quarantined by the scan, and
            # the request left out of the evidence.
            with contextlib.suppress(ValueError):
                ip = str(ipaddress.ip_address(given))
        return ip

    def _event(self, fields: dict[str, Any], call: _Call, request: Request) -> dict[str, Any]:
        info = call.info
        assert info is not None
        return {
            "event_id": call.rid,
            "ts": call.now,
            "account_id": info.account_id,
            "org_id": info.org_id,
            "api_key_id": key_id(call.api_key) if call.api_key else None,
            "ip": self._client_ip(request),
            "user_agent": request.headers.get("user-agent"),
            "account_created_at": info.created_at,
            "account_tier": info.tier,
            "model": fields.get("model"),
            "messages": fields.get("messages"),
            "prompt": fields.get("prompt"),
            "params": fields.get("params"),
            "conversation_id": request.headers.get("x-conversation-id"),
        }

    def _denied(self, rule: Rule, call: _Call) -> Response:
        why = self._why(call, "policy")
        if rule.action == "block":
            return error_response(
                403, rule.message or "this account is blocked for suspected terms violations",
                type_="permission_error", code="account_blocked", extra=why,
            )  # fmt: skip
        return error_response(
            403, rule.message or "additional verification is required for this account",
            type_="permission_error", code="verification_required", extra=why,
        )  # fmt: skip

    def _headers(self, request: Request, call: _Call) -> dict[str, str]:
        return request_headers(
            request.headers.items(), self.cfg.upstream_key, call.rid, self._client_ip(request)
        )

    async def _forward(
        self,
        request: Request,
        call: _Call,
        content: bytes,
        rule: Rule | None,
        event: dict[str, Any],
        modified: list[str],
        hide_usage: bool = False,
    ) -> Response:
        assert self.up is not None  # set by lifespan before any request
        action = rule.action if rule else "allow"
        headers = self._headers(request, call)
        headers["content-type"] = "application/json"
        reasoning = bool(rule and rule.strip_reasoning)
        logprobs = bool(rule and rule.strip_logprobs)
        active = reasoning or logprobs
        extra = {"x-request-id": call.rid}
        if self.cfg.decision_header:
            extra["x-distillguard-action"] = action
            extra["x-distillguard-modified"] = ",".join(modified)
        try:
            up = await self.up.send("POST", call.target, list(headers.items()), content)
        except UpstreamError as exc:
            return self._failed(call, exc, event)
        encoded = content_encoded(up.headers)
        if active and encoded and up.status_code < 400:
            # Safeguards cannot be applied to a body we cannot read: refuse it.
            await _close(up)
            return self._unreadable(call, event, "the upstream answered in a content-encoding")
        out_headers = {**response_headers(up.headers, encoded=encoded), **extra}
        # What the upstream sent decides how it is read, not what the client asked for:
        # a JSON answer to a streamed request (or the other way round) is still checked.
        if up.status_code < 400 and _event_stream(up.headers) and not encoded:
            # Every stream is read: its value is metered (usage, or the gateway's own
            # count), the usage chunk asked for on the client's behalf is hidden, and
            # it is stripped when the rule says so.
            stripper = SSEStripper(reasoning=reasoning, logprobs=logprobs, hide_usage=hide_usage)

            def closed(ok: bool) -> None:
                if stripper.unreadable:
                    self.metrics.unreadable.inc(stripper.unreadable)
                more: dict[str, Any] = {} if ok else {"stream": "interrupted"}
                if stripper.unreadable:
                    more["unreadable_events"] = stripper.unreadable
                measured = stripper.finish().measure()
                self._outcome(call, up.status_code, event, measured, **more)

            return stream_response(up, stripper.feed, stripper.close, closed, out_headers)
        if up.status_code < 400 and _event_stream(up.headers):
            # Encoded although identity was asked (and nothing to strip): relayed as it
            # is, its value unmeasured (the outcome record says so).
            def closed_raw(ok: bool) -> None:
                more: dict[str, Any] = {"value": "unmeasured: content-encoding"}
                if not ok:
                    more["stream"] = "interrupted"
                self._outcome(call, up.status_code, event, **more)

            return stream_response(up, None, None, closed_raw, out_headers)
        try:
            raw = await up.aread()
        except UpstreamError as exc:
            return self._failed(call, exc, event)
        measured = None
        if up.status_code < 400 and not encoded:
            try:
                obj = json.loads(raw)
            except (ValueError, RecursionError):
                obj = None
            if isinstance(obj, dict):
                measured = seen_in_body(obj).measure()
                if active and strip_response(obj, reasoning=reasoning, logprobs=logprobs):
                    raw = json.dumps(obj, ensure_ascii=False).encode()
            elif active:
                return self._unreadable(call, event, "the upstream answer is not a JSON object")
        self._outcome(call, up.status_code, event, measured)
        await self._synced()
        return Response(raw, status_code=up.status_code, headers=out_headers)

    async def _synced(self) -> None:
        if self.audit is not None:
            with contextlib.suppress(AuditError):  # the answer exists; say so below in logs
                await self.audit.sync()

    def _failed(self, call: _Call, exc: UpstreamError, event: dict[str, Any]) -> Response:
        failed = upstream_failure(exc)
        self.metrics.upstream_errors.labels(str(failed.status_code)).inc()
        self._outcome(call, failed.status_code, event, error=type(exc).__name__)
        return failed

    def _unreadable(self, call: _Call, event: dict[str, Any], why: str) -> Response:
        self.metrics.upstream_errors.labels("502").inc()
        self._outcome(call, 502, event, error=why)
        return error_response(
            502, f"{why}; the policy's safeguards cannot be applied to it",
            type_="upstream_error", code="upstream_unreadable",
        )  # fmt: skip


def _facts(info: KeyInfo) -> TrustFacts:
    return TrustFacts(
        tier=info.tier, created_at=info.created_at, org_id=info.org_id,
        verified=info.verified, paid_usd=info.paid_usd, chargebacks=info.chargebacks,
    )  # fmt: skip


def _asked_n(body: Mapping[str, Any]) -> int:
    asked = body.get("n")
    return asked if isinstance(asked, int) and not isinstance(asked, bool) else 1


def _ask_usage(body: dict[str, Any], kind: str) -> bool:
    """Ask a chat or completions stream for its usage; True when the client had not."""
    if kind == "responses" or body.get("stream") is not True:
        return False  # a Responses stream reports usage in response.completed
    opts = body.get("stream_options")
    if opts is None:
        opts = {}
    if not isinstance(opts, dict):
        return False  # the upstream refuses it; the gateway counts what comes
    if opts.get("include_usage") is True:
        return False
    body["stream_options"] = {**opts, "include_usage": True}
    return True


def _event_stream(headers: list[tuple[str, str]]) -> bool:
    return any(
        k == "content-type" and v.split(";")[0].strip().lower() == "text/event-stream"
        for k, v in headers
    )


async def _close(resp: UpstreamResponse) -> None:
    with contextlib.suppress(Exception):
        await resp.aclose()


def create_app(config: GatewayConfig) -> Starlette:
    """The gateway as a Starlette app (run it with uvicorn)."""
    gw = Gateway(config)
    app = Starlette(
        # One route for everything: paths are decided on the raw bytes the client sent
        # (see ``Gateway.entry``), never on a router's own reading of them.
        routes=[Route("/{path:path}", gw.entry, methods=list(METHODS))],
        lifespan=gw.lifespan,
    )
    app.state.gateway = gw
    return app


__all__ = ["DistillguardError", "Gateway", "GatewayConfig", "create_app"]
