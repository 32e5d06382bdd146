"""The gateway: an ASGI reverse proxy that scores accounts online and applies policy.

``POST /v1/chat/completions`` and ``POST /v1/completions`` are authenticated
(API key → account through the keys table), validated, decided by the policy and
forwarded (streamed or not), with output safeguards applied on the way back.
Every other path is passed through untouched.  ``/healthz`` and ``/metrics``
(Prometheus) are the gateway's own.

Per request the gateway does one state read (the account view), at most one
token-bucket update, and the forwarding; signals, profile folding, scoring and
the audit record happen in the background (:mod:`.scorer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from distillguard.errors import DistillguardError
from distillguard.gateway.audit import AuditLog
from distillguard.gateway.intel_watchlist import INTEL_WATCHLIST
from distillguard.gateway.keys import KeyInfo, key_id
from distillguard.gateway.policy import Policy, Rule, Subject, decide, load_policy
from distillguard.gateway.proxy import (
    error_response,
    request_headers,
    response_headers,
    stream_response,
    upstream_failure,
)
from distillguard.gateway.scorer import Pending, Scorer, make_scorer
from distillguard.gateway.state import MemoryState, State, StateUnavailable
from distillguard.gateway.strip import SSEStripper, strip_response
from distillguard.gateway.sync import account_views, push_views
from distillguard.gateway.upstream import HttpxResponse, Upstream, UpstreamError, make_upstream
from distillguard.gateway.watched import LiveIntel, WatchedFile
from distillguard.ingest.openai_form import openai_record_to_event
from distillguard.ingest.validate import RowError, normalize_messages, normalize_params
from distillguard.scoring.risk import Calibration

Finish = Callable[[Response, str, "dict[str, Any] | None"], Response]

MODEL_PATHS = {"/v1/chat/completions": "chat", "/v1/completions": "completions"}

log = logging.getLogger("distillguard.gateway")


@dataclass
class GatewayConfig:
    """Everything the gateway needs; ``create_app`` owns the objects once started."""

    upstream: str
    keys: Mapping[str, KeyInfo] = field(default_factory=dict)
    policy: Policy = field(default_factory=load_policy)
    state: State = field(default_factory=MemoryState)
    audit_path: Path | None = None
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
    #: Seconds between checks of the followed files.
    reload_s: float = 5.0


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
            "Time the gateway adds before forwarding (auth, parse, state, policy)",
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


class Gateway:
    """Request handling; per-request values live in locals, never on ``self``."""

    def __init__(self, config: GatewayConfig) -> None:
        self.cfg = config
        self.policy = config.policy
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
        self._follow_task: asyncio.Task[None] | None = None
        self.metrics = Metrics()
        self.audit = AuditLog(config.audit_path) if config.audit_path is not None else None
        self.client: httpx.AsyncClient | None = None
        self.up: Upstream | None = None
        self.scorer: Scorer | None = None
        self.upstream = config.upstream.rstrip("/")

    # ------------------------------------------------------------- lifecycle
    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if self.audit is not None:
            self.audit.start()
        timeout = httpx.Timeout(self.cfg.upstream_timeout_s, connect=self.cfg.connect_timeout_s)
        limits = httpx.Limits(max_connections=512, max_keepalive_connections=128)
        # httpx for the rare pass-through paths; the model calls use the lean pool.
        self.client = httpx.AsyncClient(timeout=timeout, limits=limits)
        self.up = make_upstream(
            self.upstream, kind=self.cfg.upstream_client,
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
        )
        self.scorer.start()
        await self.follow_files()
        if self.accounts is not None or self.cfg.intel is not None:
            self._follow_task = asyncio.create_task(self._follow())
        try:
            yield
        finally:
            if self._follow_task is not None:
                self._follow_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._follow_task
            await self.scorer.stop()
            await self.client.aclose()
            await self.up.aclose()
            if self.audit is not None:
                self.audit.close()
            await self.cfg.state.close()

    async def follow_files(self) -> None:
        """Load the followed files that changed (parsing runs in a worker thread)."""
        if self.accounts is not None and await asyncio.to_thread(self.accounts.check):
            views = self.accounts.value or {}
            try:
                await push_views(self.cfg.state, views)
            except StateUnavailable:
                self.accounts.mtime_ns = None  # push again at the next check
                self._state_seen(False)
        if self.cfg.intel is not None:
            await asyncio.to_thread(self.cfg.intel.check)

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.reload_s)
            try:
                await self.follow_files()
            except Exception:  # a bad version must not end the follower
                log.exception("following the batch and intel files failed")

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

    # ------------------------------------------------------------- endpoints
    async def healthz(self, request: Request) -> Response:
        try:
            await self.cfg.state.ping()
            state = "up"
        except StateUnavailable:
            state = "down"
        self._state_seen(state == "up")
        degraded = state == "down" and self.policy.state_failure == "closed"
        body: dict[str, Any] = {
            "status": "degraded" if degraded else "ok", "state": state,
            "state_backend": self.cfg.state.name,
        }  # fmt: skip
        if self.accounts is not None:
            body["accounts"] = self.accounts.status()
        if self.cfg.intel is not None:
            body["intel"] = self.cfg.intel.status()
        return JSONResponse(body, status_code=503 if degraded else 200)

    async def metrics_endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def passthrough(self, request: Request) -> Response:
        assert self.client is not None  # set by lifespan before any request
        url = self.upstream + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        rid = "req_" + uuid.uuid4().hex[:16]
        headers = request_headers(request.headers.items(), self.cfg.upstream_key, rid)
        try:
            up = await self.client.send(
                self.client.build_request(
                    request.method, url, headers=headers, content=await request.body()
                ),
                stream=True,
            )
        except httpx.HTTPError as exc:
            return upstream_failure(exc)
        wrapped = HttpxResponse(up)
        return stream_response(wrapped, None, None, lambda ok: None,
                               response_headers(wrapped.headers))  # fmt: skip

    async def model_call(self, request: Request) -> Response:
        t0 = time.perf_counter()
        kind = MODEL_PATHS[request.url.path]
        rid = "req_" + uuid.uuid4().hex[:16]
        now, replayed = _now(request, self.cfg.trust_client_headers)
        record: dict[str, Any] = {
            "ts": now.isoformat(), "request_id": rid, "path": request.url.path,
        }  # fmt: skip

        def finish(resp: Response, action: str, event: dict[str, Any] | None = None) -> Response:
            record["action"] = action
            record["status"] = resp.status_code
            self.metrics.decisions.labels(action).inc()
            if self.scorer is not None:
                self.scorer.submit(Pending(record, event))
            return resp

        # --- who is calling
        api_key = _bearer(request.headers.get("authorization"))
        info = self.cfg.keys.get(api_key) if api_key else None
        unknown = info is None
        if info is None:
            if self.policy.unknown_keys == "reject" or api_key is None:
                record.update(account=None, rule=None)
                return finish(
                    error_response(
                        401, "unknown or missing API key", type_="invalid_request_error",
                        code="invalid_api_key",
                    ),
                    "reject_key",
                )  # fmt: skip
            info = KeyInfo(
                account_id="unknown_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
            )
        record["account"] = info.account_id

        # --- what is asked
        raw_body = await request.body()
        body, fields, problem = self._parse(raw_body, kind)
        if problem is not None:
            record["rule"] = None
            return finish(problem, "bad_request")
        assert body is not None
        assert fields is not None

        # --- account state and policy
        state_ok = True
        try:
            view = await self.cfg.state.view(info.account_id)
        except StateUnavailable:
            state_ok, view = False, {}
            self._state_seen(False)
        record["state"] = "ok" if state_ok else "unavailable"
        if not state_ok and self.policy.state_failure == "closed":
            record["rule"] = None
            return finish(self._state_closed(), "state_unavailable")
        subject = Subject(
            account_id=info.account_id, tier=info.tier, created_at=info.created_at,
            view=view, unknown_key=unknown, state_ok=state_ok,
        )  # fmt: skip
        event = self._event(fields, rid, now, info, api_key, request)
        if INTEL_WATCHLIST in self.watch:
            await self._match_intel(info.account_id, view, event, record)
        rule = decide(self.policy, subject, self.watch, now)
        record["rule"] = rule.name if rule else None
        record["risk"] = view.get("risk")
        action = rule.action if rule else "allow"
        # Refused requests are scored too: what an account asks says as much when it
        # is refused, and a benign account refused on early, partial evidence must be
        # able to recover as its profile fills (otherwise a refusal is permanent).
        if rule is not None and action in ("block", "require_verification"):
            denied = self._denied(rule)
            return finish(
                denied,
                action,
                self._refused(event, denied),
            )
        if rule is not None and action == "throttle" and rule.throttle is not None:
            th = rule.throttle
            campaign = view.get("campaign_id")
            bucket = (
                f"c:{campaign}" if th.per == "campaign" and campaign else f"a:{info.account_id}"
            )
            try:
                # A replay is throttled on the logged time, not on how fast it replays.
                at = now.timestamp() if replayed else None
                allowed = await self.cfg.state.take(bucket, th.rate, th.burst, at=at)
            except StateUnavailable:
                allowed = self.policy.state_failure == "open"
                record["state"] = "unavailable"
            if not allowed:
                retry = max(1, int(1 / th.rate))
                limited = error_response(
                    429, rule.message or "rate limit reached for this account",
                    type_="rate_limit_error", code="rate_limited",
                    headers={"retry-after": str(retry)},
                )  # fmt: skip
                return finish(limited, "throttle_denied", self._refused(event, limited))
        modified = self._modify(body, rule, kind)
        record["modified"] = modified
        self.metrics.latency.observe(time.perf_counter() - t0)

        # --- forward
        # An unmodified request goes upstream as the client sent it (no re-serialising).
        content = json.dumps(body).encode() if modified else raw_body
        resp = await self._forward(
            request, body, content, rule, rid, event, modified, record, finish
        )
        self.metrics.total.observe(time.perf_counter() - t0)
        return resp

    # ------------------------------------------------------------- helpers
    def _parse(
        self, raw: bytes, kind: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, Response | None]:
        """(body, event fields, None), or (None, None, a 400 naming the parameter)."""

        def bad(
            message: str, param: str | None = None, code: str = "invalid_request"
        ) -> tuple[None, None, Response]:
            return (
                None,
                None,
                error_response(400, message, type_="invalid_request_error", code=code, param=param),
            )

        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return bad("the request body is not valid JSON", code="invalid_json")
        if not isinstance(body, dict):
            return bad("the request body must be a JSON object")
        if not isinstance(body.get("model"), str) or not body["model"]:
            return bad("'model' is required and must be a string", "model")
        if kind == "chat":
            msgs = body.get("messages")
            if not isinstance(msgs, list) or not msgs:
                return bad("'messages' must be a non-empty list", "messages")
        else:
            prompt = body.get("prompt")
            if not (isinstance(prompt, str) or (isinstance(prompt, list) and prompt)):
                return bad("'prompt' must be a string or a list of strings", "prompt")
        for name in ("n", "max_tokens", "max_completion_tokens"):
            v = body.get(name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                return bad(f"'{name}' must be a positive integer", name)
        if "stream" in body and not isinstance(body["stream"], bool):
            return bad("'stream' must be true or false", "stream")
        # The log readers' own rules: a request the scan could not read is refused here.
        try:
            fields = self._event_fields(kind, body)
        except RowError as exc:
            return bad(exc.message, exc.field)
        return body, fields, None

    @staticmethod
    def _event_fields(kind: str, body: dict[str, Any]) -> dict[str, Any]:
        request = {k: v for k, v in body.items() if k not in ("stream_options", "user")}
        prompt = request.get("prompt")
        if kind == "completions" and isinstance(prompt, list):
            # A batch of prompts is one call here: ask about all of it.
            if not all(isinstance(p, str) for p in prompt):
                raise RowError("prompt", "token-id prompts are not supported")
            request["prompt"] = "\n".join(prompt)
        fields = openai_record_to_event({"request": request})
        messages = fields.get("messages")
        fields["messages"] = normalize_messages(messages) if messages is not None else None
        params = fields.get("params")
        fields["params"] = normalize_params(params) if params is not None else None
        return fields

    @staticmethod
    def _refused(event: dict[str, Any], resp: Response) -> dict[str, Any]:
        """The event of a refused request: what was asked, nothing returned."""
        event["status"] = resp.status_code
        return event

    def _event(
        self,
        fields: dict[str, Any],
        rid: str,
        now: dt.datetime,
        info: KeyInfo,
        api_key: str | None,
        request: Request,
    ) -> dict[str, Any]:
        ip = request.client.host if request.client else None
        if self.cfg.trust_client_headers:
            fwd = request.headers.get("x-forwarded-for")
            if fwd:
                ip = fwd.split(",")[0].strip()
        return {
            "event_id": rid,
            "ts": now,
            "account_id": info.account_id,
            "org_id": info.org_id,
            "api_key_id": key_id(api_key) if api_key else None,
            "ip": ip,
            "user_agent": request.headers.get("user-agent"),
            "account_created_at": info.created_at,
            "account_tier": info.tier,
            "model": fields.get("model"),
            "messages": fields.get("messages"),
            "prompt": fields.get("prompt"),
            "params": fields.get("params"),
            "conversation_id": request.headers.get("x-conversation-id"),
        }

    @staticmethod
    def _modify(body: dict[str, Any], rule: Rule | None, kind: str) -> list[str]:
        if rule is None:
            return []
        done: list[str] = []
        if rule.max_tokens is not None:
            for name in ("max_tokens", "max_completion_tokens"):
                v = body.get(name)
                if v is not None and v > rule.max_tokens:
                    body[name] = rule.max_tokens
                    done.append(f"cap_{name}")
            if body.get("max_tokens") is None and body.get("max_completion_tokens") is None:
                body["max_tokens"] = rule.max_tokens
                done.append("cap_max_tokens")
        if rule.max_n is not None and (body.get("n") or 1) > rule.max_n:
            body["n"] = rule.max_n
            done.append("cap_n")
        if rule.strip_logprobs and (body.get("logprobs") or body.get("top_logprobs")):
            body.pop("logprobs", None)
            body.pop("top_logprobs", None)
            done.append("strip_logprobs")
        if rule.strip_reasoning:
            done.append("strip_reasoning")
        return done

    def _denied(self, rule: Rule) -> Response:
        if rule.action == "block":
            return error_response(
                403, rule.message or "this account is blocked for suspected terms violations",
                type_="permission_error", code="account_blocked",
            )  # fmt: skip
        return error_response(
            403, rule.message or "additional verification is required for this account",
            type_="permission_error", code="verification_required",
        )  # fmt: skip

    @staticmethod
    def _state_closed() -> Response:
        return error_response(
            503, "the gateway cannot reach its state store", type_="server_error",
            code="state_unavailable", headers={"retry-after": "1"},
        )  # fmt: skip

    async def _forward(
        self,
        request: Request,
        body: dict[str, Any],
        content: bytes,
        rule: Rule | None,
        rid: str,
        event: dict[str, Any],
        modified: list[str],
        record: dict[str, Any],
        finish: Finish,
    ) -> Response:
        assert self.up is not None  # set by lifespan before any request
        action = rule.action if rule else "allow"
        headers = request_headers(request.headers.items(), self.cfg.upstream_key, rid)
        headers["content-type"] = "application/json"
        reasoning = bool(rule and rule.strip_reasoning)
        logprobs = bool(rule and rule.strip_logprobs)
        extra = {}
        if self.cfg.decision_header:
            extra = {"x-distillguard-action": action, "x-distillguard-modified": ",".join(modified)}
        try:
            up = await self.up.send("POST", request.url.path, list(headers.items()), content)
        except UpstreamError as exc:
            failed = upstream_failure(exc)
            self.metrics.upstream_errors.labels(str(failed.status_code)).inc()
            event["status"] = failed.status_code
            return finish(failed, action, event)
        out_headers = {**response_headers(up.headers), **extra}
        if body.get("stream") and up.status_code < 400:
            stripper = SSEStripper(reasoning=reasoning, logprobs=logprobs)
            active = reasoning or logprobs
            event["status"] = up.status_code

            def closed(ok: bool) -> None:
                usage = stripper.usage or {}
                event["prompt_tokens"] = usage.get("prompt_tokens")
                event["completion_tokens"] = usage.get("completion_tokens")
                if not ok:
                    record["stream"] = "interrupted"
                finish(Response(status_code=up.status_code), action, event)

            out_headers.pop("content-length", None)
            return stream_response(
                up, stripper.feed if active else None, stripper.close if active else None,
                closed, out_headers,
            )  # fmt: skip
        try:
            raw = await up.aread()
        except UpstreamError as exc:
            failed = upstream_failure(exc)
            event["status"] = failed.status_code
            return finish(failed, action, event)
        event["status"] = up.status_code
        if up.status_code < 400:
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                usage = obj.get("usage")
                if isinstance(usage, dict):
                    event["prompt_tokens"] = usage.get("prompt_tokens")
                    event["completion_tokens"] = usage.get("completion_tokens")
                    details = usage.get("completion_tokens_details")
                    if isinstance(details, dict):
                        event["reasoning_tokens"] = details.get("reasoning_tokens")
                if (reasoning or logprobs) and strip_response(
                    obj, reasoning=reasoning, logprobs=logprobs
                ):
                    raw = json.dumps(obj, ensure_ascii=False).encode()
        return finish(Response(raw, status_code=up.status_code, headers=out_headers), action, event)


def create_app(config: GatewayConfig) -> Starlette:
    """The gateway as a Starlette app (run it with uvicorn)."""
    gw = Gateway(config)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(
        routes=[
            Route("/healthz", gw.healthz, methods=["GET"]),
            Route("/metrics", gw.metrics_endpoint, methods=["GET"]),
            Route("/v1/chat/completions", gw.model_call, methods=["POST"]),
            Route("/v1/completions", gw.model_call, methods=["POST"]),
            Route("/{path:path}", gw.passthrough, methods=methods),
        ],
        lifespan=gw.lifespan,
    )
    app.state.gateway = gw
    return app


__all__ = ["DistillguardError", "Gateway", "GatewayConfig", "create_app"]
