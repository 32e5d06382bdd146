"""``distillguard review list|show|appeal|act``: the review queue, appeals, actions.

Reads the scan's outputs (``--scan DIR``: ``accounts.parquet`` and
``campaigns.parquet``, with every verdict's reasons) or a running gateway's review
API (``--gateway URL`` and its admin token), and takes review actions through the
gateway (in every replica's views at once, audited, in the gateway's feedback
table) or into a local feedback table (``--feedback FILE``, and with ``--redis``
into the gateways' shared state as well).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from distillguard.cli.common import console, friendly
from distillguard.errors import DistillguardError
from distillguard.helpformat import App

review_app = App(
    help="Review flagged accounts and campaigns, look up appeals, take review actions.",
    no_args_is_help=True,
)

ScanOpt = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="Scan output directory (or its accounts.parquet)."),
]
GatewayOpt = Annotated[
    str | None,
    typer.Option(metavar="URL", help="A running gateway's base URL (its review API)."),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        envvar="DISTILLGUARD_ADMIN_TOKEN", metavar="TOKEN", help="The gateway's admin token."
    ),
]
FeedbackOpt = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="Feedback table (review actions, JSON Lines)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
_COLOURS = {"block": "bold red", "restrict": "red", "watch": "yellow", "allow": "green"}


def _call(
    gateway: str, token: str | None, method: str, path: str, body: object = None
) -> dict[str, Any]:
    """One review API call; an error answer becomes a DistillguardError."""
    import httpx

    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=gateway.rstrip("/"), timeout=60) as c:
            r = c.request(method, path, headers=headers, json=body)
    except httpx.HTTPError as exc:
        raise DistillguardError(f"cannot reach the gateway: {exc}", path=gateway) from exc
    try:
        doc = r.json()
    except ValueError as exc:
        raise DistillguardError(f"the gateway answered {r.status_code} without JSON") from exc
    if r.status_code >= 400:
        err = doc.get("error", {}) if isinstance(doc, dict) else {}
        raise DistillguardError(
            f"the gateway answered {r.status_code}: {err.get('message', doc)}",
            field=err.get("param"),
        )
    if not isinstance(doc, dict):
        raise DistillguardError("the gateway's answer is not a JSON object")
    return doc


def _one_source(scan: Path | None, gateway: str | None) -> None:
    if (scan is None) == (gateway is None):
        raise DistillguardError("give one of --scan and --gateway", field="scan")


def _latest(feedback: Path | None) -> dict[str, Any]:
    from distillguard.review.feedback import FeedbackTable

    if feedback is None:
        return {}
    return {
        a: {"action": act.action, "id": act.id, "reviewer": act.reviewer, "at": act.at}
        for a, act in FeedbackTable(feedback).latest().items()
    }


def _queue_row(r: dict[str, Any], reviews: dict[str, Any]) -> dict[str, Any]:
    return {
        "account_id": r["account_id"], "batch_verdict": r["verdict"], "batch_risk": r["risk"],
        "campaign_id": r["campaign_id"], "reasons": r["reasons"],
        "review": reviews.get(r["account_id"]),
    }  # fmt: skip


def _num(v: object) -> str:
    return f"{v:.4f}" if isinstance(v, int | float) else "—"


def _print(doc: object) -> None:
    print(json.dumps(doc, indent=1, default=str, ensure_ascii=False))


@review_app.command("list")
@friendly
def list_flagged(
    scan: ScanOpt = None,
    gateway: GatewayOpt = None,
    admin_token: TokenOpt = None,
    feedback: FeedbackOpt = None,
    limit: Annotated[int, typer.Option(help="Accounts to show.", min=1, max=1000)] = 50,
    json_out: JsonOpt = False,
) -> None:
    """The review queue: flagged accounts (riskiest first) with their reasons, and campaigns.

    Examples:
      distillguard review list --scan runs/scan --feedback runs/feedback.jsonl
      distillguard review list --gateway http://gw:8080 --json
    """
    from distillguard.review.flagged import read_flagged

    _one_source(scan, gateway)
    if gateway is not None:
        doc = _call(gateway, admin_token, "GET", f"/admin/review/flagged?limit={limit}")
        accounts, total, campaigns = doc["accounts"], doc["total"], doc["campaigns"]
    else:
        assert scan is not None
        got = read_flagged(scan)
        reviews = _latest(feedback)
        accounts = [_queue_row(r, reviews) for r in got.accounts[:limit]]
        total = len(got.accounts)
        campaigns = [{k: v for k, v in c.items() if k != "accounts"} for c in got.campaigns]
    if json_out:
        _print({"accounts": accounts, "total": total, "campaigns": campaigns})
        return
    t = Table(title=f"{len(accounts)} of {total:,} flagged accounts")
    for col in ("account", "verdict", "risk", "campaign", "review", "reasons"):
        t.add_column(col, overflow="fold")
    for r in accounts:
        v = r.get("batch_verdict") or r.get("verdict") or "—"
        risk = r.get("batch_risk") if r.get("batch_risk") is not None else r.get("risk")
        rev = r.get("review")
        t.add_row(
            r["account_id"], f"[{_COLOURS.get(v, '')}]{v}[/]",
            _num(risk), r.get("campaign_id") or "",
            "" if not rev else str(rev["action"]), "\n".join(r["reasons"][1:4]),
        )  # fmt: skip
    console.print(t)
    if campaigns:
        ct = Table(title=f"{len(campaigns)} campaign(s)")
        for col in ("campaign", "risk", "accounts", "evidence"):
            ct.add_column(col, overflow="fold")
        for c in campaigns:
            ev = ", ".join(str(e["link_type"]) for e in (c.get("evidence") or [])[:4])
            ct.add_row(str(c["campaign_id"]), _num(c.get("risk")), f"{c['n_accounts']:,}", ev)
        console.print(ct)


@review_app.command("show")
@friendly
def show(
    target: Annotated[str, typer.Argument(metavar="ID", help="An account or campaign id.")],
    scan: Annotated[
        Path, typer.Option(metavar="DIR", help="Scan output directory (or its accounts.parquet).")
    ],
    feedback: FeedbackOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """An account's or a campaign's evidence and review history.

    Examples:
      distillguard review show acct-42 --scan runs/scan --feedback runs/feedback.jsonl
    """
    from distillguard.review.feedback import FeedbackTable
    from distillguard.review.flagged import read_flagged

    got = read_flagged(scan)
    campaign = next((c for c in got.campaigns if c["campaign_id"] == target), None)
    accounts = [] if campaign is not None else read_flagged(scan, [target]).accounts
    if campaign is None and not accounts:
        raise DistillguardError(f"no account or campaign {target!r} in the scan", path=scan)
    history = [
        a.record()
        for a in (FeedbackTable(feedback).actions() if feedback is not None else [])
        if target in a.accounts or a.campaign_id == target
    ]
    doc: dict[str, Any] = {"account": accounts[0] if accounts else None, "campaign": campaign,
                           "history": history}  # fmt: skip
    if json_out:
        _print(doc)
        return
    subject = campaign if campaign is not None else accounts[0]
    kind = "campaign" if campaign is not None else "account"
    console.print(
        f"[bold]{kind} {target}[/]: verdict {subject['verdict']}, risk {_num(subject['risk'])}"
        + (f", campaign {subject['campaign_id']}" if kind == "account" and subject.get(
            "campaign_id") else "")
    )  # fmt: skip
    for reason in subject.get("reasons") or []:
        console.print(f"  - {reason}", highlight=False, soft_wrap=True)
    if campaign is not None:
        console.print(f"members ({campaign['n_accounts']:,}): " + ", ".join(campaign["accounts"]))
    for h in history:
        console.print(
            f"review {h['id']} {h['at']}: {h['action']} by {h['reviewer']}: {h['note']}"
            + (f" (appeal {h['reference']})" if h.get("reference") else ""),
            highlight=False,
            soft_wrap=True,
        )


@review_app.command("appeal")
@friendly
def appeal(
    reference: Annotated[
        str, typer.Argument(metavar="REFERENCE", help="The reference the user quotes (req_…).")
    ],
    audit: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", help="Gateway audit log(s) to search (repeatable)."),
    ] = None,
    gateway: GatewayOpt = None,
    admin_token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """What an appeal's reference names: the decision, why, and the reviews since.

    Examples:
      distillguard review appeal req_5f0c2a8e9b1d4c77 --audit /var/log/dg/audit-*.jsonl
      distillguard review appeal req_5f0c2a8e9b1d4c77 --gateway http://gw:8080
    """
    from distillguard.gateway.audit import records_of
    from distillguard.review.actions import check_reference

    ref = check_reference(reference)
    if (not audit) == (gateway is None):
        raise DistillguardError("give --audit or --gateway", field="audit")
    if gateway is not None:
        doc = _call(gateway, admin_token, "GET", f"/admin/review/appeal/{ref}")
    else:
        records = [r for p in audit or [] for r in records_of(p, ref)]
        decision = next((r for r in records if r.get("kind") == "decision"), None)
        if decision is None:
            raise DistillguardError(f"no decision with reference {ref} in the audit logs")
        doc = {
            "reference": ref, "account_id": decision.get("account"), "decision": decision,
            "outcome": next((r for r in records if r.get("kind") == "outcome"), None),
            "signals": next((r for r in records if r.get("kind") == "signals"), None),
            "reviews": [r for r in records if r.get("kind") == "review"],
        }  # fmt: skip
    if json_out:
        _print(doc)
        return
    d = doc["decision"]
    console.print(
        f"[bold]{ref}[/]: account {doc['account_id']}, {d.get('ts')}, {d.get('method')} "
        f"{d.get('path')}: {d.get('action')} (status {d.get('status', 'forwarded')}, "
        f"rule {d.get('rule')})",
        highlight=False,
    )
    for k in ("risk", "trust", "budgets", "review", "intel", "state"):
        if d.get(k) is not None:
            console.print(f"  {k}: {json.dumps(d[k], default=str)}", highlight=False)
    for r in doc.get("reviews") or []:
        console.print(
            f"  answered by review {r.get('id')}: {r.get('action')} by {r.get('reviewer')}: "
            f"{r.get('note')}",
            highlight=False,
        )
    if doc.get("review"):
        console.print(f"  review now: {json.dumps(doc['review'])}", highlight=False)


@review_app.command("act")
@friendly
def act(
    action: Annotated[
        str, typer.Argument(metavar="ACTION", help="allow, unblock, verify or block.")
    ],
    reviewer: Annotated[str, typer.Option(help="Who decides (recorded).")],
    note: Annotated[str, typer.Option(help="Why (recorded).")],
    account: Annotated[
        str | None, typer.Option(metavar="ID", help="The account to act on.")
    ] = None,
    campaign: Annotated[
        str | None, typer.Option(metavar="ID", help="The campaign whose members to act on.")
    ] = None,
    reference: Annotated[
        str | None, typer.Option(metavar="REF", help="The appeal this answers (req_…).")
    ] = None,
    gateway: GatewayOpt = None,
    admin_token: TokenOpt = None,
    feedback: FeedbackOpt = None,
    scan: ScanOpt = None,
    redis: Annotated[
        str | None,
        typer.Option(
            metavar="URL", help="With --feedback: also put the action in the gateways' state."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Take a review action on an account or a campaign's members.

    Through a gateway (--gateway): in every replica's views at once, audited, and in
    the gateway's feedback table.  Without one: into --feedback FILE, and with
    --redis into the gateways' shared state too (campaign members from --scan).

    Examples:
      distillguard review act unblock --account acct-42 --reviewer ana \\
          --note "teacher, class of 30 sharing prompts" --reference req_5f0c2a8e9b1d4c77 \\
          --gateway http://gw:8080
      distillguard review act block --campaign c-0007 --reviewer ana --note "confirmed" \\
          --scan runs/scan --feedback runs/feedback.jsonl --redis redis://127.0.0.1:6379/0
    """
    body: dict[str, Any] = {"action": action, "reviewer": reviewer, "note": note}
    if account is not None:
        body["account_id"] = account
    if campaign is not None:
        body["campaign_id"] = campaign
    if reference is not None:
        body["reference"] = reference
    if (gateway is None) == (feedback is None):
        raise DistillguardError("give one of --gateway and --feedback", field="gateway")
    if gateway is not None:
        doc = _call(gateway, admin_token, "POST", "/admin/review/actions", body)
        record = doc["action"]
    else:
        assert feedback is not None
        record = _act_locally(body, feedback, scan, redis)
        doc = {"action": record}
    if json_out:
        _print(doc)
        return
    console.print(
        f"review {record['id']}: {record['action']} on {len(record['accounts']):,} account(s) "
        f"by {record['reviewer']}" + (" (via the gateway)" if gateway else f"; in {feedback}"),
        highlight=False,
    )


def _act_locally(
    body: dict[str, Any], feedback: Path, scan: Path | None, redis: str | None
) -> dict[str, Any]:
    import asyncio

    from distillguard.gateway.redis_state import RedisState
    from distillguard.gateway.review import apply_review
    from distillguard.review.actions import parse_action
    from distillguard.review.feedback import FeedbackTable
    from distillguard.review.flagged import read_flagged

    members = read_flagged(scan).campaign_members() if scan is not None else {}
    action = parse_action(body, source="cli", members=members)
    if redis:
        # State first, like the gateway: an action recorded is one in force.
        async def push() -> None:
            state = RedisState(redis)
            try:
                await apply_review(state, action)
            finally:
                await state.close()

        asyncio.run(push())
    FeedbackTable(feedback).append(action)
    return action.record()
