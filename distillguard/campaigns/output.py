"""Write what campaign detection found: ``campaigns.parquet``, links and HTML reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.campaigns.detect import CampaignResult
from distillguard.campaigns.report import CampaignView, render_index, render_report
from distillguard.errors import DistillguardError
from distillguard.ingest.quarantine import atomic_open
from distillguard.ingest.store import Store, _window_clause


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
    store: Store,
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
    con = store.con
    con.register("vmembers", members.select(["account_id", "campaign_id"]))
    where, params = _window_clause(start, end)
    try:
        timeline = con.sql(
            f"""
            SELECT m.campaign_id, time_bucket(INTERVAL 1 HOUR, ts) AS hour, count(*) AS n,
                   count(*) FILTER (WHERE cot_elicitation) AS n_cot
            FROM (SELECT * FROM events {where}) e JOIN vmembers m USING (account_id)
            GROUP BY ALL ORDER BY m.campaign_id, hour
            """,
            params=params,
        ).to_arrow_table()
        spans = con.sql(
            f"""
            SELECT account_id, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
            FROM (SELECT * FROM events {where}) e JOIN vmembers m USING (account_id)
            GROUP BY account_id
            """,
            params=params,
        ).to_arrow_table()
    except Exception as exc:
        raise DistillguardError(f"cannot read campaign traffic: {exc}", path=store.path) from exc
    finally:
        con.unregister("vmembers")
    span_of = {r["account_id"]: r for r in spans.to_pylist()}
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
                score=float(row["risk"]),
                reasons=tuple(row["reasons"]),
                summary={
                    "n_accounts": row["n_accounts"],
                    "n_events": row["n_events"],
                    "first_ts": row["first_ts"],
                    "last_ts": row["last_ts"],
                    "completion_tokens": row["completion_tokens"],
                    "reasoning_tokens": row["reasoning_tokens"],
                    "top_capability": max(caps, key=lambda k: caps[k]) if caps else "—",
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


def write_campaigns(
    store: Store,
    result: CampaignResult,
    out: Path,
    *,
    reports: bool = True,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Path]:
    """``campaigns.parquet``, ``campaign_links.parquet`` and ``reports/*.html``."""
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
        for v in vs:
            render_report(v, rdir)
        written.append(render_index(vs, rdir))
    return written
