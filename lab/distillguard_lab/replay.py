"""Replay simulated events through a running gateway and measure what attackers got.

The events are read as ``scan`` reads them (any log format, ``messages`` and
``params`` as objects or as JSON text; bad rows are skipped, as ``scan``
quarantines them).  Each event becomes the OpenAI request it logged
(``event_to_openai_record``),
sent with the account's key (``sk-sim-{account_id}``; write the matching keys
table with ``distillguard replay EVENTS --write-keys keys.csv``) in time order,
with the event's time in ``x-distillguard-ts`` and its address in
``x-forwarded-for`` (the gateway honours them with ``--trust-client-headers``).

A *full answer* is a 200 the policy did not modify: the gateway must run with
``--decision-header`` so the replay can tell (without it, a 200 whose body still
carries reasoning counts as full).  Reported per campaign and overall:
``harvest_fraction`` (attacker requests that got a full answer) and
``benign_denied_fraction`` (benign requests refused: 4xx/5xx).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.errors import InputError
from distillguard.gateway.keygen import write_keys_table as write_table
from distillguard.ingest import read_events
from distillguard.ingest.openai_form import event_to_openai_record
from distillguard.ingest.validate import RowError, normalize_messages, normalize_params
from distillguard.ingest.writers import json_rows


def sim_key(account_id: str) -> str:
    return f"sk-sim-{account_id}"


def _read(path: Path) -> pa.Table:
    # The log reader, not pq.read_table: it accepts every form the schema documents
    # (JSON text for messages and params among them) and gives them one shape.
    return read_events(path).table


def write_keys_table(events: str | Path | pa.Table, out: str | Path) -> int:
    """A keys table (CSV or Parquet by suffix) for every account in ``events``."""
    t = (events if isinstance(events, pa.Table) else _read(Path(events))).sort_by("ts")
    cols = ["account_id", "org_id", "account_tier", "account_created_at"]
    t = t.select([c for c in cols if c in t.column_names])
    seen: dict[str, dict[str, Any]] = {}
    for row in t.to_pylist():
        seen.setdefault(row["account_id"], row)
    rows = [
        {
            "api_key": sim_key(a),
            "account_id": a,
            "org_id": r.get("org_id"),
            "tier": r.get("account_tier"),
            "created_at": r["account_created_at"].isoformat()
            if r.get("account_created_at")
            else None,
        }
        for a, r in seen.items()
    ]
    return write_table(rows, out)


def _labels(events: Path) -> tuple[dict[str, tuple[bool, str | None]], dict[str, bool]]:
    labels_path = events.parent / "labels.parquet"
    ev_labels_path = events.parent / "event_labels.parquet"
    if not labels_path.exists():
        raise InputError("labels.parquet not found beside the events", path=labels_path)
    acct = {
        r["account_id"]: (bool(r["is_attack"]), r.get("campaign_id"))
        for r in pq.read_table(labels_path).to_pylist()
    }
    per_event: dict[str, bool] = {}
    if ev_labels_path.exists():
        t = pq.read_table(ev_labels_path, columns=["event_id", "is_attack_request"])
        per_event = dict(
            zip(t.column(0).to_pylist(), (bool(x) for x in t.column(1).to_pylist()), strict=True)
        )
    return acct, per_event


def _as_objects(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with ``messages`` and ``params`` as objects when they are JSON text."""
    fixed = dict(row)
    try:
        if isinstance(row.get("messages"), str):
            fixed["messages"] = normalize_messages(row["messages"])
        if isinstance(row.get("params"), str):
            fixed["params"] = normalize_params(row["params"])
    except RowError as problem:
        raise InputError(
            f"event {row.get('event_id')!r}: {problem.reason}", field=problem.field
        ) from problem
    return fixed


def gateway_request(row: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """(path, JSON body, headers) of the request one logged event made, as a replay sends it.

    ``messages`` and ``params`` may be objects or JSON text, as in a log.
    """
    rec = event_to_openai_record(_as_objects(row))
    body = dict(rec["request"])
    path = "/v1/chat/completions" if body.get("messages") else "/v1/completions"
    headers = {
        "authorization": f"Bearer {sim_key(row['account_id'])}",
        "x-distillguard-ts": str(row["ts"]),
    }
    if row.get("ip"):
        headers["x-forwarded-for"] = row["ip"]
    if row.get("user_agent"):
        headers["user-agent"] = row["user_agent"]
    if row.get("conversation_id"):
        headers["x-conversation-id"] = row["conversation_id"]
    return path, body, headers


def outcome(status: int, action: str | None, modified: str | None, text: str) -> str:
    """``"full"``, ``"degraded"`` (answered, modified by the policy) or ``"denied"``.

    Without the gateway's ``--decision-header`` a 200 counts as full when its body
    still carries reasoning.
    """
    if status >= 400:
        return "denied"
    if action is not None:
        return "degraded" if modified else "full"
    return "full" if ("reasoning" in text or "<think>" in text) else "degraded"


async def replay_events(
    events: str | Path, gateway: str, *, concurrency: int = 8, limit: int | None = None
) -> dict[str, Any]:
    """Send ``events`` through ``gateway``; return the report (overall + ``by_campaign``)."""
    path = Path(events)
    table = _read(path).sort_by("ts")
    if limit is not None:
        table = table.slice(0, limit)
    acct_labels, ev_labels = _labels(path)
    stats: dict[str, dict[str, int]] = {}

    def bump(group: str, key: str) -> None:
        g = stats.setdefault(
            group, {"attack": 0, "attack_full": 0, "benign": 0, "benign_denied": 0}
        )
        g[key] += 1

    sem = asyncio.Semaphore(concurrency)
    t0 = time.perf_counter()
    # Idle connections expire on the client before the gateway's keep-alive timeout
    # (5 s) closes them, so no request reuses a connection the server is closing.
    limits = httpx.Limits(keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=gateway, timeout=60, limits=limits) as client:

        async def one(row: dict[str, Any]) -> None:
            path_, body, headers = gateway_request(row)
            async with sem:
                try:
                    r = await client.post(path_, json=body, headers=headers)
                    status, text = r.status_code, r.text
                    action = r.headers.get("x-distillguard-action")
                    modified = r.headers.get("x-distillguard-modified")
                except httpx.HTTPError:
                    status, text, action, modified = 599, "", None, None
            is_attack_acct, campaign = acct_labels.get(row["account_id"], (False, None))
            is_attack = ev_labels.get(row["event_id"], is_attack_acct) and is_attack_acct
            group = campaign if is_attack_acct and campaign else "benign"
            if is_attack:
                bump(group, "attack")
                if status == 200 and outcome(status, action, modified, text) == "full":
                    bump(group, "attack_full")
            elif not is_attack_acct:
                bump("benign", "benign")
                if status >= 400:
                    bump("benign", "benign_denied")

        # In time order: a window of requests in flight, never overtaking by more.
        rows = list(json_rows(table))
        await asyncio.gather(*(one(r) for r in rows))
    wall = time.perf_counter() - t0
    by_campaign = {
        c: {
            "attack_requests": g["attack"],
            "harvest_fraction": g["attack_full"] / g["attack"] if g["attack"] else None,
        }
        for c, g in sorted(stats.items())
        if c != "benign"
    }
    attack = sum(g["attack"] for c, g in stats.items() if c != "benign")
    full = sum(g["attack_full"] for c, g in stats.items() if c != "benign")
    benign = stats.get("benign", {"benign": 0, "benign_denied": 0})
    return {
        "events": len(rows),
        "wall_s": round(wall, 3),
        "requests_per_s": round(len(rows) / wall, 1) if wall else None,
        "attack_requests": attack,
        "harvest_fraction": full / attack if attack else None,
        "benign_requests": benign["benign"],
        "benign_denied_fraction": benign["benign_denied"] / benign["benign"]
        if benign["benign"]
        else None,
        "by_campaign": by_campaign,
    }


def render(report: dict[str, Any], console: Any) -> None:
    """Print the report as a table."""
    from rich.table import Table

    def pct(x: Any) -> str:
        return "-" if x is None else f"{x:.1%}"

    t = Table(title=f"replay: {report['events']:,} events, {report['requests_per_s']} req/s")
    t.add_column("campaign")
    t.add_column("attack requests", justify="right")
    t.add_column("harvest fraction", justify="right")
    for c, g in report["by_campaign"].items():
        t.add_row(c, f"{g['attack_requests']:,}", pct(g["harvest_fraction"]))
    t.add_row("[bold]all[/]", f"{report['attack_requests']:,}", pct(report["harvest_fraction"]))
    console.print(t)
    console.print(
        f"benign requests denied: {pct(report['benign_denied_fraction'])} "
        f"of {report['benign_requests']:,}"
    )
