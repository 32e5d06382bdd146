"""Write what campaign detection found: ``campaigns.parquet``, links and HTML reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.arrowsql import query
from distillguard.campaigns.detect import CampaignResult
from distillguard.fileio import atomic_open
from distillguard.reports import casefile
from distillguard.reports.campaign import CampaignView, ScanContext, render_index, render_report
from distillguard.scoring.risk import Calibration
from distillguard.store import EventFilter, EventStore, Window


def _write_parquet(table: pa.Table, path: Path) -> None:
    with atomic_open(path, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")


def campaign_links(result: CampaignResult) -> pa.Table:
    """Links between two members of the same campaign, with the campaign id."""
    members = result.accounts.filter(pc.is_valid(result.accounts["campaign_id"]))
    of = dict(
        zip(members["account_id"].to_pylist(), members["campaign_id"].to_pylist(), strict=True)
    )
    links = result.links
    if links.num_rows == 0 or not of:
        return links.append_column("campaign_id", pa.array([None] * links.num_rows, pa.string()))
    keys = pa.array(list(of), pa.string())
    vals = pa.array(list(of.values()), pa.string())
    src_c = pc.take(vals, pc.index_in(links["src"], value_set=keys))
    dst_c = pc.take(vals, pc.index_in(links["dst"], value_set=keys))
    same = pc.and_(pc.is_valid(src_c), pc.equal(src_c, dst_c))
    same = pc.fill_null(same, False)
    return links.filter(same).append_column("campaign_id", src_c.filter(same))


def views(
    store: EventStore,
    result: CampaignResult,
    links: pa.Table,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[CampaignView]:
    """One :class:`CampaignView` per campaign, read from the store."""
    camps = result.campaigns
    if camps.num_rows == 0:
        return []
    members = result.accounts.filter(pc.is_valid(result.accounts["campaign_id"]))
    vmembers = members.select(["account_id", "campaign_id"])
    events = store.events(
        ["account_id", "ts", "cot_elicitation"],
        EventFilter(window=Window(start, end), accounts=vmembers["account_id"].to_pylist()),
    )
    timeline = query(
        """
        SELECT m.campaign_id, time_bucket(INTERVAL 1 HOUR, ts) AS hour, count(*) AS n,
               count(*) FILTER (WHERE cot_elicitation) AS n_cot
        FROM events e JOIN vmembers m USING (account_id)
        GROUP BY ALL ORDER BY m.campaign_id, hour
        """,
        what="campaign timelines",
        events=events,
        vmembers=vmembers,
    )
    spans = query(
        """
        SELECT account_id, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
        FROM events e JOIN vmembers m USING (account_id)
        GROUP BY account_id
        """,
        what="campaign members' traffic",
        events=events,
        vmembers=vmembers,
    )
    span_of = {r["account_id"]: r for r in spans.to_pylist()}
    member_ids = members.select(["account_id", "campaign_id"])
    shared = casefile.indicators(store, member_ids, start=start, end=end)
    picked = casefile.samples(store, member_ids, start=start, end=end)
    taken = casefile.value_taken(store, member_ids, start=start, end=end)
    out = []
    for row in camps.to_pylist():
        cid = row["campaign_id"]
        acc = members.filter(pc.equal(members["campaign_id"], cid))
        ids = acc["account_id"].to_pylist()
        accounts = pa.table(
            {
                "account_id": pa.array(ids, pa.string()),
                "risk": acc["risk"],
                "verdict": acc["verdict"],
                "n": pa.array([int(span_of.get(a, {}).get("n", 0)) for a in ids], pa.int64()),
                "first_ts": pa.array(
                    [span_of.get(a, {}).get("first_ts") for a in ids], pa.timestamp("us", "UTC")
                ),
                "last_ts": pa.array(
                    [span_of.get(a, {}).get("last_ts") for a in ids], pa.timestamp("us", "UTC")
                ),
            }
        )
        e = links.filter(pc.equal(links["campaign_id"], cid))
        tl = timeline.filter(pc.equal(timeline["campaign_id"], cid))
        ev: list[dict[str, Any]] = row["evidence"] or []
        caps = {c["name"]: int(c["n"]) for c in row["capabilities"] or []}
        out.append(
            CampaignView(
                campaign_id=cid,
                score=float(row["score"]),
                risk=float(row["risk"]),
                verdict=row["verdict"],
                reasons=tuple(row["reasons"]),
                indicators=shared.filter(pc.equal(shared["campaign_id"], cid)),
                samples=picked.filter(pc.equal(picked["campaign_id"], cid)),
                summary={
                    "cot_events": row["cot_events"],
                    **taken.get(cid, {}),
                    "n_accounts": row["n_accounts"],
                    "n_events": row["n_events"],
                    "first_ts": row["first_ts"],
                    "last_ts": row["last_ts"],
                    "completion_tokens": row["completion_tokens"],
                    "reasoning_tokens": row["reasoning_tokens"],
                    "top_capability": max(caps, key=lambda k: caps[k]) if caps else "—",
                    **{k: row[k] for k in ("value_usd", "reasoning_value_usd") if k in row},
                },
                accounts=accounts,
                edges=pa.table(
                    {
                        "src": e["src"],
                        "dst": e["dst"],
                        "link_type": e["link_type"],
                        "weight": e["weight"],
                    }
                ),
                evidence=pa.table(
                    {
                        "link_type": pa.array([x["link_type"] for x in ev], pa.string()),
                        "pairs": pa.array([x["pairs"] for x in ev], pa.int64()),
                        "accounts": pa.array([x["accounts"] for x in ev], pa.int64()),
                        "weight": pa.array([x["weight"] for x in ev], pa.float64()),
                        "detail": pa.array([x["detail"] for x in ev], pa.string()),
                    }
                ),
                timeline=pa.table(
                    {
                        "hour": tl["hour"].cast(pa.timestamp("us", "UTC")),
                        "n": tl["n"].cast(pa.int64()),
                        "n_cot": tl["n_cot"].cast(pa.int64()),
                    }
                ),
                capabilities=caps,
            )
        )
    return out


def scan_context(
    store: EventStore,
    result: CampaignResult,
    out: Path,
    *,
    calibration: Calibration | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ScanContext:
    """What the reports say about the scan they come from.

    Without ``calibration`` the shipped default is shown, marked as assumed: the
    scan's own calibration (``--calibration``, ``--model``) is only known when passed.
    """
    facts = casefile.scan_facts(store, start=start, end=end)
    cal = calibration or Calibration.load()
    source = cal.source or "unnamed calibration"
    if calibration is None:
        source = f"assumed: the shipped default ({source})"
    window = None
    if start is not None or end is not None:
        window = f"{start or 'start'} to {end or 'end'}"
    return ScanContext(
        generated_at=now or dt.datetime.now(dt.UTC),
        n_events=int(facts["n_events"]),
        n_accounts=int(facts["n_accounts"]),
        first_ts=facts["first_ts"],
        last_ts=facts["last_ts"],
        verdicts=casefile.counts_by(result.accounts, "verdict")
        if "verdict" in result.accounts.column_names
        else {},
        inputs=tuple(facts["inputs"]),
        calibration={
            "source": source,
            "benign_accounts": cal.benign_accounts,
            "thresholds": dict(cal.thresholds),
            "fpr": dict(cal.fpr),
        },
        window=window,
        out_dir=str(out),
        store=store.location,
        accounts_file=str(out / "accounts.parquet"),
    )


def write_campaigns(
    store: EventStore,
    result: CampaignResult,
    out: Path,
    *,
    reports: bool = True,
    start: dt.date | None = None,
    end: dt.date | None = None,
    calibration: Calibration | None = None,
    policy_file: Path | None = None,
) -> list[Path]:
    """``campaigns.parquet``, ``campaign_links.parquet`` and ``reports/*.html``.

    ``calibration`` (the scan's) and ``policy_file`` (the gateway's, default the
    shipped policy) are named in the reports and decide their recommended actions.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    path = out / "campaigns.parquet"
    _write_parquet(result.campaigns, path)
    written.append(path)
    links = campaign_links(result)
    lpath = out / "campaign_links.parquet"
    _write_parquet(links, lpath)
    written.append(lpath)
    if reports:
        rdir = out / "reports"
        vs = views(store, result, links, start=start, end=end)
        context = scan_context(store, result, out, calibration=calibration, start=start, end=end)
        for v in vs:
            render_report(v, rdir, context=context, policy_file=policy_file)
        written.append(render_index(vs, rdir, context=context, policy_file=policy_file))
    return written
