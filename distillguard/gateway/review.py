"""The operator's review API on the gateway: the queue, appeals and review actions.

Every path under ``/admin/`` is the operator's: the admin token required (``serve
--admin-token``; without one the API is off: a loopback caller is not enough to
decide who is served), default deny, the same canonical-path rule as
the model routes, OpenAI-style errors, and one ``kind: admin`` audit record per
call (who asked what, and the status), whatever the answer.

``GET /admin/review/flagged``
    The review queue: accounts the batch scan flagged (``serve --accounts``, with
    the scan's reasons) and those this replica saw flagged online or matched to
    shared intel, each with the review in force; the scan's campaigns.
``GET /admin/review/appeal/{reference}``
    What a refused user's reference (the ``reference`` of the error, the
    ``x-request-id``) names: the decision record (rule, budgets, trust, the
    account), its outcome and signals records, the reviews that answered it, the
    account's view now and its review history.  This replica's audit log is
    searched: ``distillguard review appeal --audit`` searches several.
``POST /admin/review/actions``
    A review action (:mod:`distillguard.review.actions`).  It is written to the
    account views in the shared state first (every replica decides on it from its
    next request), then to the audit log (``kind: review``) and the feedback table
    (:mod:`distillguard.review.feedback`), before the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from distillguard.errors import DistillguardError
from distillguard.gateway.audit import AuditError, records_of
from distillguard.gateway.paths import PathRefused, canonical_path, query_string
from distillguard.gateway.proxy import error_response
from distillguard.gateway.state import AccountView, State, StateUnavailable
from distillguard.review.actions import (
    ReviewAction,
    ReviewError,
    UnknownTarget,
    check_reference,
    parse_action,
    review_fields,
)
from distillguard.review.feedback import FeedbackTable
from distillguard.review.flagged import FLAGGING, Flagged, read_flagged

PREFIX: Final = b"/admin/"
FLAGGED: Final = "/admin/review/flagged"
APPEAL: Final = "/admin/review/appeal/"
ACTIONS: Final = "/admin/review/actions"
#: Largest review action body (a campaign's member list included).
MAX_BODY: Final = 8 * 1024 * 1024
MAX_LIMIT: Final = 1000
#: State meta key: set once the state holds the feedback table's reviews.
REVIEWS_META: Final = "reviews"
#: Views read or written per state call when an action names many accounts.
_CHUNK: Final = 500


def _views_of(known: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    return {a: dict(v) for a, v in known.items()}


@dataclass
class ReviewApi:
    """The ``/admin/`` endpoints; the gateway hands it what it needs."""

    state: State
    #: Write an audit record (and wait for its sync), or raise AuditError.
    write: Callable[[dict[str, Any]], Awaitable[None]]
    audit_path: Path | None
    feedback: FeedbackTable | None
    #: The batch scan's accounts file (``serve --accounts``), for reasons and campaigns.
    accounts_path: Path | None
    #: The online-notable views this replica knows (account → view).
    known: Callable[[], Mapping[str, Mapping[str, str]]]
    #: Remember views this replica just wrote (kept through a state outage).
    remember: Callable[[Mapping[str, Mapping[str, str]]], None]
    #: Whether an admin token is configured (without one the API is off).
    enabled: bool = True

    async def handle(self, request: Request, raw: bytes, admin: bool) -> Response:
        rid = "adm_" + uuid.uuid4().hex[:16]
        record: dict[str, Any] = {
            "kind": "admin", "ts": dt.datetime.now(dt.UTC).isoformat(), "request_id": rid,
            "method": request.method, "path": raw[:256].decode("ascii", "backslashreplace"),
            "client": request.client.host if request.client else None,
        }  # fmt: skip
        if not self.enabled:
            resp = error_response(
                403, "the review API is off: the gateway has no admin token (serve --admin-token)",
                type_="permission_error", code="forbidden",
            )  # fmt: skip
        elif not admin:
            resp = error_response(
                401, "the review API needs the admin token", type_="invalid_request_error",
                code="invalid_admin_token", headers={"www-authenticate": "Bearer"},
            )  # fmt: skip
        else:
            try:
                resp = await self._route(request, raw, record)
            except UnknownTarget as exc:
                resp = error_response(
                    404, exc.message, type_="invalid_request_error", code="unknown_campaign",
                    param=exc.field,
                )  # fmt: skip
            except ReviewError as exc:
                resp = error_response(
                    400, exc.message, type_="invalid_request_error", code="invalid_review",
                    param=exc.field,
                )  # fmt: skip
            except StateUnavailable:
                resp = error_response(
                    503, "the gateway cannot reach its state store", type_="server_error",
                    code="state_unavailable", headers={"retry-after": "1"},
                )  # fmt: skip
            except AuditError:
                resp = _audit_down()
            except DistillguardError as exc:  # the scan's files unreadable
                resp = error_response(
                    503, str(exc), type_="server_error", code="review_data_unavailable",
                    headers={"retry-after": "5"},
                )  # fmt: skip
        # A body left unread (refused before it was read) would reset the connection
        # and the client might never see the answer.
        await _drain(request)
        resp.headers["x-request-id"] = rid
        record["status"] = resp.status_code
        try:
            await self.write(record)
        except AuditError:
            return _audit_down()
        return resp

    async def _route(self, request: Request, raw: bytes, record: dict[str, Any]) -> Response:
        try:
            path = canonical_path(raw)
            query = query_string(request.scope.get("query_string", b""))
        except PathRefused as exc:
            return error_response(
                400, exc.message, type_="invalid_request_error", code="invalid_path"
            )
        record["path"] = path
        method = request.method
        if path == FLAGGED:
            return _only("GET", method, path) or await self.flagged(query)
        if path == ACTIONS:
            return _only("POST", method, path) or await self.act(request, record)
        if path.startswith(APPEAL) and "/" not in path[len(APPEAL) :]:
            return _only("GET", method, path) or await self.appeal(path[len(APPEAL) :])
        return error_response(
            404, f"no route {path} on this gateway", type_="invalid_request_error",
            code="unknown_route",
        )  # fmt: skip

    # ------------------------------------------------------------- the queue
    async def flagged(self, query: str) -> Response:
        limit, offset = _page(query)
        scan = Flagged([], [])
        if self.accounts_path is not None and self.accounts_path.exists():
            scan = await asyncio.to_thread(read_flagged, self.accounts_path)
        rows: dict[str, dict[str, Any]] = {}
        for r in scan.accounts:
            rows[r["account_id"]] = {
                "account_id": r["account_id"], "batch_verdict": r["verdict"],
                "batch_risk": r["risk"], "campaign_id": r["campaign_id"],
                "reasons": r["reasons"], "verdict": None, "risk": None, "intel": None,
            }  # fmt: skip
        online = []
        for account, view in _views_of(self.known()).items():
            typed = AccountView.parse(view)
            if typed.verdict not in FLAGGING and typed.intel is None:
                continue
            row = rows.get(account)
            if row is None:
                row = {
                    "account_id": account, "batch_verdict": typed.batch_verdict,
                    "batch_risk": typed.batch_risk, "campaign_id": typed.campaign_id,
                    "reasons": [],
                }  # fmt: skip
                online.append(row)
            row.update(verdict=typed.verdict, risk=typed.risk, intel=typed.intel)
        ordered = list(rows.values())
        ordered += sorted(online, key=lambda r: (-(r["risk"] or 0.0), r["account_id"]))
        page = ordered[offset : offset + limit]
        for r in page:
            r.setdefault("verdict", None)
            r.setdefault("risk", None)
            r.setdefault("intel", None)
        views = await self._read_views([r["account_id"] for r in page])
        for r in page:
            r["review"] = _review_of(views.get(r["account_id"], {}))
        campaigns = [{k: v for k, v in c.items() if k != "accounts"} for c in scan.campaigns]
        body = {
            "accounts": page, "total": len(ordered), "offset": offset, "limit": limit,
            "campaigns": campaigns,
        }  # fmt: skip
        return JSONResponse(body)

    # ------------------------------------------------------------- appeals
    async def appeal(self, reference: str) -> Response:
        try:
            ref = check_reference(reference)
        except ReviewError as exc:
            return error_response(
                400, exc.message, type_="invalid_request_error", code="invalid_reference",
                param="reference",
            )  # fmt: skip
        records = (
            await asyncio.to_thread(records_of, self.audit_path, ref)
            if self.audit_path is not None
            else []
        )
        decision = next((r for r in records if r.get("kind") == "decision"), None)
        if decision is None:
            where = "its audit log" if self.audit_path is not None else "no audit log"
            return error_response(
                404, f"no decision with reference {ref} on this gateway ({where})",
                type_="invalid_request_error", code="unknown_reference",
            )  # fmt: skip
        account = decision.get("account")
        view: dict[str, str] = {}
        history: list[dict[str, Any]] = []
        if isinstance(account, str):
            view = await self.state.view(account)
            if self.feedback is not None:
                acts = await asyncio.to_thread(self.feedback.actions)
                history = [a.record() for a in acts if account in a.accounts][-20:]
        body = {
            "reference": ref,
            "account_id": account,
            "decision": decision,
            "outcome": next((r for r in records if r.get("kind") == "outcome"), None),
            "signals": next((r for r in records if r.get("kind") == "signals"), None),
            "reviews": [r for r in records if r.get("kind") == "review"],
            "view": view,
            "review": _review_of(view),
            "history": history,
        }
        return JSONResponse(body)

    # ------------------------------------------------------------- actions
    async def act(self, request: Request, record: dict[str, Any]) -> Response:
        if self.feedback is None:
            return error_response(
                503, "review actions need a feedback table (serve --feedback FILE)",
                type_="server_error", code="feedback_unavailable",
            )  # fmt: skip
        body = await _json_body(request)
        members: dict[str, list[str]] = {}
        if isinstance(body, dict) and isinstance(body.get("campaign_id"), str):
            members = await self._members(body["campaign_id"])
        action = parse_action(body, source="gateway", members=members)
        record["review_id"] = action.id
        await self.restore()  # a state that lost the older reviews gets them first
        await self.apply(action)
        # Audited, then recorded for calibration; the action is already in force.
        await self.write({"kind": "review", "request_id": record["request_id"],
                          "ts": action.at, **action.record()})  # fmt: skip
        await asyncio.to_thread(self.feedback.append, action)
        found = None
        if action.reference is not None and self.audit_path is not None:
            recs = await asyncio.to_thread(records_of, self.audit_path, action.reference)
            found = any(r.get("kind") == "decision" for r in recs)
        return JSONResponse({"action": action.record(), "reference_found": found}, 201)

    async def restore(self) -> int:
        """Put the feedback table's reviews back into a state that lost them.

        A state that does not hold :data:`REVIEWS_META` never had them (new) or lost
        them (a Redis restarted without persistence): the latest action of every
        account is written again, its evidence read from the views as they are now.
        Returns the accounts written (0 when the state had them).
        """
        if self.feedback is None or await self.state.get_meta(REVIEWS_META) is not None:
            return 0
        latest = await asyncio.to_thread(self.feedback.latest)
        by_action: dict[str, list[str]] = {}
        actions: dict[str, ReviewAction] = {}
        for account, action in latest.items():
            by_action.setdefault(action.id, []).append(account)
            actions[action.id] = action
        n = 0
        for aid, accounts in by_action.items():
            part = dataclasses.replace(actions[aid], accounts=tuple(accounts))
            n += await apply_review(self.state, part, self.remember)
        await self.state.set_meta(REVIEWS_META, "1")
        return n

    async def apply(self, action: ReviewAction) -> None:
        """Put ``action`` in the views of its accounts (read, then written, in chunks)."""
        await apply_review(self.state, action, self.remember)

    async def _members(self, campaign: str) -> dict[str, list[str]]:
        if self.accounts_path is None or not self.accounts_path.exists():
            return {}
        scan = await asyncio.to_thread(read_flagged, self.accounts_path)
        return {campaign: scan.campaign_members().get(campaign, [])}

    async def _read_views(self, accounts: list[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for start in range(0, len(accounts), _CHUNK):
            part = accounts[start : start + _CHUNK]
            got = await asyncio.gather(*(self.state.view(a) for a in part))
            out.update(zip(part, got, strict=True))
        return out


async def apply_review(
    state: State,
    action: ReviewAction,
    remember: Callable[[Mapping[str, Mapping[str, str]]], None] | None = None,
) -> int:
    """Write ``action`` into the views of its accounts; every replica on ``state``
    decides on it from its next request.  Returns the accounts written."""
    accounts = list(action.accounts)
    for start in range(0, len(accounts), _CHUNK):
        part = accounts[start : start + _CHUNK]
        views = await asyncio.gather(*(state.view(a) for a in part))
        updates = {a: review_fields(action, v) for a, v in zip(part, views, strict=True)}
        await state.update_views(updates)
        if remember is not None:
            remember({a: {**v, **updates[a]} for a, v in zip(part, views, strict=True)})
    return len(accounts)


def _review_of(view: Mapping[str, str]) -> dict[str, Any] | None:
    typed = AccountView.parse(view)
    if typed.review is None:
        return None
    return {
        "action": typed.review, "id": typed.review_id,
        "in_force": typed.review_in_force() is not None,
    }  # fmt: skip


def _only(allowed: str, method: str, path: str) -> Response | None:
    if method == allowed:
        return None
    return error_response(
        405, f"{method} is not allowed on {path}", type_="invalid_request_error",
        code="method_not_allowed", headers={"allow": allowed},
    )  # fmt: skip


def _page(query: str) -> tuple[int, int]:
    from urllib.parse import parse_qs

    try:
        got = parse_qs(query, keep_blank_values=True, strict_parsing=False)
    except ValueError as exc:
        raise ReviewError("unreadable query string", field="query") from exc
    out = {"limit": 100, "offset": 0}
    for name in got:
        if name not in out:
            raise ReviewError(f"unknown query parameter {name!r}", field=name)
    for name in out:
        values = got.get(name)
        if not values:
            continue
        v = values[-1]
        if not v.isdigit() or len(v) > 9:
            raise ReviewError("must be a whole number", field=name)
        out[name] = int(v)
    if not 1 <= out["limit"] <= MAX_LIMIT:
        raise ReviewError(f"must be between 1 and {MAX_LIMIT}", field="limit")
    return out["limit"], out["offset"]


async def _json_body(request: Request) -> Any:
    import json

    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ReviewError("the body must be application/json", field="content-type")
    parts: list[bytes] = []
    got = 0
    try:
        async for chunk in request.stream():
            got += len(chunk)
            if got > MAX_BODY:
                raise ReviewError(f"the body is larger than {MAX_BODY} bytes", field="body")
            parts.append(chunk)
    except ClientDisconnect as exc:
        raise ReviewError("the client went away while sending", field="body") from exc
    try:
        return json.loads(b"".join(parts))
    except (ValueError, RecursionError) as exc:
        raise ReviewError("the body is not JSON", field="body") from exc


async def _drain(request: Request) -> None:
    budget = MAX_BODY
    with contextlib.suppress(ClientDisconnect, RuntimeError):
        # RuntimeError: Starlette's "Stream consumed" (the body was read).
        async for chunk in request.stream():
            budget -= len(chunk)
            if budget <= 0:
                return


def _audit_down() -> Response:
    return error_response(
        503, "the gateway cannot write its audit log", type_="server_error",
        code="audit_unavailable", headers={"retry-after": "5"},
    )  # fmt: skip
