"""``POST /admin/signup-check``: the sign-up check, for the provider's sign-up service.

Operator only (the admin token; off without one, like the review API), never
forwarded upstream.  The body names what the sign-up service knows of the new
account (``{"ip": ..., "payment": ..., "user_agent": ...}``, at least one); the
answer is the decision, its evidence score and reasons
(:meth:`~distillguard.intel.signup.SignupDecision.record`).  The check compares, as
keyed hashes, with the gateway's index of our own campaigns (``serve
--signup-index``) and the peers' indicators it follows (``serve --intel``), with the
rules of ``signup_rules.yaml``; nothing raw is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Final

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from distillguard.gateway.proxy import error_response
from distillguard.gateway.watched import LiveIntel
from distillguard.intel.errors import IntelError
from distillguard.intel.hashing import KeyRing
from distillguard.intel.signup import (
    OwnIndex,
    SignupChecker,
    SignupRules,
    applicant_from,
    load_signup_rules,
)

PATH: Final = b"/admin/signup-check"
#: Largest body read (a few identifiers).
MAX_BODY: Final = 16_384


@dataclass
class SignupConfig:
    """The gateway's sign-up check: our campaigns' index, its key ring, the rules."""

    index: OwnIndex | None = None
    ring: KeyRing | None = None
    rules: SignupRules = field(default_factory=load_signup_rules)


async def signup_check(
    request: Request,
    cfg: SignupConfig | None,
    intel: LiveIntel | None,
    admin: bool,
    *,
    enabled: bool = True,
) -> Response:
    """The endpoint (see the module docstring)."""
    if request.method != "POST":
        return error_response(
            405, f"{request.method} is not allowed on {PATH.decode()}",
            type_="invalid_request_error", code="method_not_allowed", headers={"allow": "POST"},
        )  # fmt: skip
    if not enabled:
        return error_response(
            403, "the sign-up check is off: the gateway has no admin token (serve --admin-token)",
            type_="permission_error", code="forbidden",
        )  # fmt: skip
    if not admin:
        return error_response(
            401, "the sign-up check needs the admin token", type_="invalid_request_error",
            code="invalid_admin_token", headers={"www-authenticate": "Bearer"},
        )  # fmt: skip
    peers = intel.matcher.intel if intel is not None and intel.matcher is not None else None
    own = cfg.index if cfg is not None else None
    ring = (cfg.ring if cfg is not None else None) or (intel.ring if intel is not None else None)
    if ring is None or (own is None and peers is None):
        return error_response(
            503, "no sign-up check on this gateway (serve --signup-index and/or --intel)",
            type_="server_error", code="not_configured",
        )  # fmt: skip
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return error_response(
                    413, f"the request body is larger than {MAX_BODY} bytes",
                    type_="invalid_request_error", code="request_too_large",
                )  # fmt: skip
    except ClientDisconnect:
        return error_response(
            499, "the client went away while sending", type_="invalid_request_error",
            code="client_disconnected",
        )  # fmt: skip
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return error_response(
            400, "the body must be a JSON object", type_="invalid_request_error",
            code="invalid_json",
        )  # fmt: skip
    rules = cfg.rules if cfg is not None else load_signup_rules()
    try:
        applicant = applicant_from(data)
        checker = SignupChecker(rules, ring, own=own, peers=peers)
    except IntelError as exc:
        return error_response(
            400, exc.message, type_="invalid_request_error", code="invalid_request",
            param=exc.field,
        )  # fmt: skip
    return JSONResponse(checker.check(applicant).record())
