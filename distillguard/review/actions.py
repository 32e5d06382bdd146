"""A review action: what a reviewer decided about accounts, by whom, and why.

``allow``
    A false positive: the account is decided as if it had no evidence against it
    (verdicts, risk, campaign and watchlists are not read; budgets still apply).
``unblock``
    The rules' refusals (block, require verification) are lifted; their other
    safeguards (throttles, stripped reasoning) stay.
``verify``
    The account is asked to verify itself (403 ``verification_required``).
``block``
    The account is blocked (403 ``account_blocked``): a confirmed harvester.

``allow`` and ``unblock`` hold until new evidence: a verdict (online or batch)
worse than the worst the account had when it was reviewed, or a campaign other
than the one it was in.  ``verify`` and ``block`` hold until the next review.

>>> a = parse_action({"action": "unblock", "reviewer": "ana", "note": "teacher",
...                   "account_id": "acct-1"}, source="cli")
>>> a.action, a.accounts, a.id.startswith("rev_")
('unblock', ('acct-1',), True)
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from distillguard.errors import DistillguardError
from distillguard.ingest.validate import id_problem

ReviewName = Literal["allow", "unblock", "verify", "block"]
REVIEW_ACTIONS: Final[tuple[ReviewName, ...]] = ("allow", "unblock", "verify", "block")
#: Actions that say the account was wrongly flagged (benign calibration data).
CLEARING: Final = frozenset({"allow", "unblock"})
#: The request id of a gateway decision: what a refused user quotes in an appeal.
REFERENCE: Final = re.compile(r"req_[0-9a-f]{16}")
MAX_ID: Final = 512
MAX_NOTE: Final = 4000
MAX_REVIEWER: Final = 200
#: Accounts one action may name (a campaign's members included).
MAX_ACCOUNTS: Final = 100_000
_VERDICT_RANK: Final = {"allow": 0, "watch": 1, "restrict": 2, "block": 3}


class ReviewError(DistillguardError):
    """A review action or a feedback table is invalid."""


class UnknownTarget(ReviewError):  # noqa: N818  (reads as a condition)
    """A review action names a campaign with no known members."""


@dataclass(frozen=True)
class ReviewAction:
    """One reviewer's decision about one or more accounts (a campaign's members)."""

    action: ReviewName
    reviewer: str
    note: str
    accounts: tuple[str, ...]
    campaign_id: str | None = None
    #: The appeal's reference (a refused request's id), when the action answers one.
    reference: str | None = None
    #: ``gateway`` (through the admin API) or ``cli`` (to the feedback table directly).
    source: str = "cli"
    id: str = field(default_factory=lambda: "rev_" + uuid.uuid4().hex[:16])
    at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    def record(self) -> dict[str, Any]:
        """The JSON form (feedback table rows, audit records, API answers)."""
        return {
            "id": self.id, "at": self.at, "action": self.action, "reviewer": self.reviewer,
            "note": self.note, "accounts": list(self.accounts), "campaign_id": self.campaign_id,
            "reference": self.reference, "source": self.source,
        }  # fmt: skip


def _text(body: Mapping[str, Any], name: str, limit: int) -> str:
    v = body.get(name)
    if not isinstance(v, str) or not v.strip():
        raise ReviewError("required: a non-empty string", field=name)
    if len(v) > limit:
        raise ReviewError(f"longer than {limit} characters", field=name)
    return v.strip()


def _id(v: object, name: str) -> str:
    # The readers' rule for ids (no control characters), and a bound.
    if not isinstance(v, str) or not v or len(v) > MAX_ID:
        raise ReviewError(f"must be an id of 1 to {MAX_ID} characters", field=name)
    why = id_problem(v, name)
    if why is not None:
        raise ReviewError(why, field=name)
    return v


def check_reference(ref: object, name: str = "reference") -> str:
    """An appeal reference as the user quotes it (``req_`` and 16 hex digits)."""
    if not isinstance(ref, str) or not REFERENCE.fullmatch(ref.strip()):
        raise ReviewError("must be a request id like req_5f0c2a8e9b1d4c77", field=name)
    return ref.strip()


def parse_action(
    body: object,
    *,
    source: str,
    members: Mapping[str, Sequence[str]] | None = None,
    id: str | None = None,
    at: str | None = None,
) -> ReviewAction:
    """A review action from its JSON form; ``members``: campaign id → its accounts.

    The target is ``account_id``, or ``campaign_id`` (every member: those in
    ``members`` and those listed in ``accounts``).
    """
    if not isinstance(body, Mapping):
        raise ReviewError("a review action is a JSON object")
    known = {"action", "reviewer", "note", "account_id", "campaign_id", "accounts", "reference"}
    extra = sorted(str(k) for k in body if k not in known)
    if extra:
        raise ReviewError(f"unknown field(s): {', '.join(extra)}", field=extra[0])
    action = body.get("action")
    if action not in REVIEW_ACTIONS:
        raise ReviewError(f"must be one of {', '.join(REVIEW_ACTIONS)}", field="action")
    reviewer = _text(body, "reviewer", MAX_REVIEWER)
    note = _text(body, "note", MAX_NOTE)
    # A target named is checked even when null: null is not "no target".
    if ("account_id" in body) == ("campaign_id" in body):
        raise ReviewError("give exactly one of account_id and campaign_id", field="account_id")
    account, campaign = body.get("account_id"), body.get("campaign_id")
    listed = body.get("accounts")
    if "accounts" in body and ("campaign_id" not in body or not isinstance(listed, list)):
        raise ReviewError("a list of a campaign's accounts, with campaign_id", field="accounts")
    targets: list[str]
    if "account_id" in body:
        targets = [_id(account, "account_id")]
    else:
        cid = _id(campaign, "campaign_id")
        given = [_id(a, f"accounts[{i}]") for i, a in enumerate(listed or [])]
        targets = sorted({*(members or {}).get(cid, ()), *given})
        if not targets:
            raise UnknownTarget(
                f"no accounts known in campaign {cid!r} (list them in accounts)",
                field="campaign_id",
            )
    if len(targets) > MAX_ACCOUNTS:
        raise ReviewError(f"more than {MAX_ACCOUNTS:,} accounts", field="accounts")
    ref = body.get("reference")
    extras: dict[str, Any] = {}
    if id is not None:
        extras["id"] = id
    if at is not None:
        extras["at"] = at
    return ReviewAction(
        action=action, reviewer=reviewer, note=note, accounts=tuple(targets),
        campaign_id=None if "campaign_id" not in body else str(campaign),
        reference=None if ref is None else check_reference(ref), source=source, **extras,
    )  # fmt: skip


def worst_verdict(view: Mapping[str, str]) -> str:
    """The worst of the online and batch verdicts of a stored view (``allow`` when none)."""
    got = [view.get("verdict") or "allow", view.get("batch_verdict") or "allow"]
    return max((v for v in got if v in _VERDICT_RANK), key=_VERDICT_RANK.__getitem__)


def verdict_rank(verdict: str | None) -> int:
    return _VERDICT_RANK.get(verdict or "allow", 0)


def review_fields(action: ReviewAction, view: Mapping[str, str]) -> dict[str, str]:
    """The view fields that carry ``action`` for an account whose stored view is ``view``.

    The evidence the reviewer saw (worst verdict, campaign) is kept with it: an
    ``allow`` or ``unblock`` lapses when the evidence gets worse than that.
    """
    return {
        "review": action.action,
        "review_id": action.id,
        "review_verdict": worst_verdict(view),
        "review_campaign": view.get("campaign_id") or "",
    }
