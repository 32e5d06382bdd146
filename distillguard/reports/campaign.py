"""Per-campaign case files (HTML) and an index page that open from disk, without a server.

One report per campaign (``<campaign_id>.html``) is what a trust-and-safety analyst
acts on: what the campaign took, the recommended action and the gateway rule each
member falls under (computed with the policy itself, :mod:`.report_action`), the
indicators the members share *as the provider sees them* (addresses, networks,
payment fingerprints, clients, template text: these pages stay inside the provider,
unlike ``distillguard intel export``), sample prompts, the timeline, the capability
mix, the account graph (:mod:`.report_graph`), the link evidence and the accounts.
``index.html`` lists every campaign, sortable by what it took and by size, under the
scan's context (when, which inputs, how many accounts and events, the calibration).

All reports in a folder share ONE ``plotly.min.js`` next to them (a relative
``<script src>``): a run can produce hundreds of campaigns and plotly.js is ~4.8 MB.
Nothing is fetched from a network.  Styles, the index's sorting script and the
recommended-action texts are data files in ``assets/``.

Pages are deterministic: the same :class:`CampaignView` and :class:`ScanContext`
give the same bytes (fixed div ids, seeded layouts and groups), so reports can be
diffed.  Every value from the data is HTML-escaped; ids and prompts are
attacker-chosen strings.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import plotly.graph_objects as go
import plotly.offline
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.fileio import atomic_open
from distillguard.gateway.policy import load_policy
from distillguard.reports.action import (
    SHIPPED_POLICY,
    Recommendation,
    load_actions,
    recommend,
)
from distillguard.reports.formatting import (
    DASH,
    FONT,
    VERDICT_ORDER,
    action_badge,
    asset,
    badge,
    esc,
    fmt_compact,
    fmt_int,
    fmt_num,
    fmt_risk,
    fmt_span,
    fmt_ts,
    link_colours,
    plural,
    utc,
)
from distillguard.reports.graph import GraphDrawing, draw_graph

__all__ = [
    "ACCOUNT_COLUMNS",
    "EDGE_COLUMNS",
    "EVIDENCE_COLUMNS",
    "INDICATOR_COLUMNS",
    "PLOTLYJS_NAME",
    "SAMPLE_COLUMNS",
    "SUMMARY_KEYS",
    "TIMELINE_COLUMNS",
    "CampaignView",
    "ScanContext",
    "check_view",
    "render_index",
    "render_report",
]

#: Columns each table of a :class:`CampaignView` must have (extra columns are ignored).
ACCOUNT_COLUMNS: Final = ("account_id", "risk", "verdict", "n", "first_ts", "last_ts")
EDGE_COLUMNS: Final = ("src", "dst", "link_type", "weight")
EVIDENCE_COLUMNS: Final = ("link_type", "pairs", "accounts", "weight", "detail")
TIMELINE_COLUMNS: Final = ("hour", "n", "n_cot")
INDICATOR_COLUMNS: Final = ("kind", "value", "accounts", "requests", "outside_accounts", "n_values")
SAMPLE_COLUMNS: Final = ("account_id", "ts", "capability", "cot", "text")
SUMMARY_KEYS: Final = (
    "n_accounts",
    "n_events",
    "first_ts",
    "last_ts",
    "completion_tokens",
    "reasoning_tokens",
    "top_capability",
)
#: The one plotly.js file shared by every report in a folder.
PLOTLYJS_NAME: Final = "plotly.min.js"

# Campaign ids become file names; anything else could escape out_dir.
_SAFE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

_CAPABILITY_ORDER: Final = ("coding", "math", "reasoning", "agentic", "writing", "other")
_CAPABILITY_COLOURS: Final = {
    "coding": "#3949ab",
    "math": "#00897b",
    "reasoning": "#8e24aa",
    "agentic": "#ef6c00",
    "writing": "#d81b60",
    "other": "#78909c",
}
#: Characters of a sample prompt or system prompt shown (the store keeps 2,000).
_SAMPLE_CHARS: Final = 700
#: How each indicator kind is named on the page, in the order the page lists them.
_INDICATOR_LABELS: Final = {
    "ip": ("client address", "client address", "client addresses"),
    "subnet": ("network (/24, /48)", "network", "networks"),
    "payment": ("payment fingerprint", "payment fingerprint", "payment fingerprints"),
    "user_agent": ("client (user agent)", "client", "clients"),
    "org": ("organisation", "organisation", "organisations"),
    "tier": ("account tier", "account tier", "account tiers"),
}
_TEMPLATE_LABELS: Final = {
    "template_prefix": "opens with",
    "template_suffix": "closes with",
    "template_system": "system prompt",
}


@dataclass(frozen=True)
class CampaignView:
    """Everything a campaign report shows, already computed by campaign detection.

    ``score`` is the campaign's pooled score in calibrated units (what the
    thresholds compare with), ``risk`` its benign quantile in [0, 1] (saturates at
    1.00 for any real campaign, so pages rank by score and value taken instead).
    ``summary`` has the keys in :data:`SUMMARY_KEYS` (``first_ts``/``last_ts`` UTC
    datetimes) and may have ``cot_events``, ``reasoning_answers``,
    ``prompt_tokens``, ``value_usd`` and ``reasoning_value_usd`` (dollars at list
    price, :mod:`distillguard.economics`).  The tables have at least the columns in
    :data:`ACCOUNT_COLUMNS`, :data:`EDGE_COLUMNS`, :data:`EVIDENCE_COLUMNS`,
    :data:`TIMELINE_COLUMNS`, and when given :data:`INDICATOR_COLUMNS` (``kind``
    one of ip, subnet, payment, user_agent, org, tier, template_prefix,
    template_suffix, template_system) and :data:`SAMPLE_COLUMNS`.
    ``capabilities`` maps a capability to its number of requests.
    """

    campaign_id: str
    score: float
    reasons: tuple[str, ...]
    summary: Mapping[str, object]
    accounts: pa.Table
    edges: pa.Table
    evidence: pa.Table
    timeline: pa.Table
    capabilities: Mapping[str, int]
    verdict: str | None = None
    risk: float | None = None
    indicators: pa.Table | None = None
    samples: pa.Table | None = None


@dataclass(frozen=True)
class ScanContext:
    """What scan the reports come from; shown on the index and used by the actions.

    ``inputs`` rows have ``path, rows_good, rows_quarantined, loaded_at``;
    ``calibration`` has ``source, benign_accounts, thresholds, fpr``.
    """

    generated_at: datetime | None = None
    n_events: int | None = None
    n_accounts: int | None = None
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    #: Accounts per verdict after campaigns lifted their members.
    verdicts: Mapping[str, int] = field(default_factory=dict)
    inputs: tuple[Mapping[str, object], ...] = ()
    calibration: Mapping[str, Any] | None = None
    #: The scan's day window, when it was limited.
    window: str | None = None
    out_dir: str = "OUT"
    store: str = "STORE"
    accounts_file: str = "OUT/accounts.parquet"

    def threshold(self, verdict: str | None) -> float | None:
        cal = self.calibration or {}
        value = (cal.get("thresholds") or {}).get(verdict or "")
        return float(value) if isinstance(value, int | float) else None


def _check_table(cid: str, name: str, table: object, columns: Sequence[str]) -> None:
    if not isinstance(table, pa.Table):
        raise DistillguardError(
            f"campaign {cid}: {name} is a {type(table).__name__}, not a pyarrow Table",
            field=name,
        )
    for column in columns:
        if column not in table.column_names:
            raise DistillguardError(
                f"campaign {cid}: {name} table has no column {column!r}", field=column
            )


def check_view(view: CampaignView) -> None:
    """Raise :class:`DistillguardError` if ``view`` lacks a column or summary key.

    The message names the campaign, the table and the column, and ``field`` is
    the column (or key) so callers can point at it.
    """
    cid = view.campaign_id
    if not isinstance(cid, str) or not _SAFE_ID.fullmatch(cid):
        raise DistillguardError(
            f"campaign {cid!r}: id must be 1-128 letters, digits, '.', '_' or '-' "
            "(it becomes a file name)",
            field="campaign_id",
        )
    _check_table(cid, "accounts", view.accounts, ACCOUNT_COLUMNS)
    _check_table(cid, "edges", view.edges, EDGE_COLUMNS)
    _check_table(cid, "evidence", view.evidence, EVIDENCE_COLUMNS)
    _check_table(cid, "timeline", view.timeline, TIMELINE_COLUMNS)
    if view.indicators is not None:
        _check_table(cid, "indicators", view.indicators, INDICATOR_COLUMNS)
    if view.samples is not None:
        _check_table(cid, "samples", view.samples, SAMPLE_COLUMNS)
    for key in SUMMARY_KEYS:
        if key not in view.summary:
            raise DistillguardError(f"campaign {cid}: summary has no key {key!r}", field=key)


def render_report(
    view: CampaignView,
    out_dir: Path,
    *,
    context: ScanContext | None = None,
    policy_file: Path | None = None,
    max_nodes: int = 150,
    max_edges: int = 1500,
    max_accounts: int = 200,
    neighbours: int = 4,
    max_groups: int = 30,
    shown_values: int = 8,
) -> Path:
    """Write ``out_dir/<campaign_id>.html`` (and ``plotly.min.js`` once); return its path.

    Campaigns of up to ``max_nodes`` accounts are drawn account by account, each
    account with its ``neighbours`` strongest links of each type and at most
    ``max_edges`` links in all; larger ones as at most ``max_groups`` groups of
    accounts.  The account table shows the ``max_accounts`` riskiest accounts.  The
    recommended action is computed with ``policy_file`` (default: the shipped
    gateway policy).  The page lists ``shown_values`` values per indicator kind;
    every one goes to ``<campaign_id>.indicators.csv`` beside it.  Files appear
    atomically.
    """
    if min(max_nodes, max_edges, max_accounts, neighbours, max_groups, shown_values) < 1:
        raise ValueError(
            "max_nodes, max_edges, max_accounts, neighbours, max_groups and shown_values "
            "must be at least 1"
        )
    check_view(view)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_plotlyjs(out_dir)
    page = _report_page(
        view,
        context or ScanContext(),
        policy_file,
        max_nodes=max_nodes,
        max_edges=max_edges,
        max_accounts=max_accounts,
        neighbours=neighbours,
        max_groups=max_groups,
        shown_values=shown_values,
    )
    if view.indicators is not None:
        _write_text(out_dir / indicators_csv_name(view.campaign_id), _indicators_csv(view))
    target = out_dir / f"{view.campaign_id}.html"
    _write_text(target, page)
    return target


def render_index(
    views: Sequence[CampaignView],
    out_dir: Path,
    *,
    context: ScanContext | None = None,
    policy_file: Path | None = None,
) -> Path:
    """Write ``out_dir/index.html``; return its path.

    One row per campaign, most reasoning tokens taken first (any column sorts with
    a click, or with ``index.html#sort=<key>``); each id links to the report
    :func:`render_report` writes for it.  The scan's context heads the page.
    """
    for view in views:
        check_view(view)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    _write_text(target, _index_page(views, context or ScanContext(), policy_file))
    return target


# --------------------------------------------------------------------------- files


@lru_cache(maxsize=1)
def _plotlyjs_bytes() -> bytes:
    return str(plotly.offline.get_plotlyjs()).encode("utf-8")


def _write_plotlyjs(out_dir: Path) -> None:
    # Rewriting 4.8 MB for every campaign would dominate a run; a same-size file
    # is the same plotly release (the size changes with every release).
    data = _plotlyjs_bytes()
    target = out_dir / PLOTLYJS_NAME
    if target.is_file() and target.stat().st_size == len(data):
        return
    with atomic_open(target, "wb") as out:
        out.write(data)


def _write_text(target: Path, text: str) -> None:
    with atomic_open(target, "wb") as out:
        out.write(text.encode("utf-8"))


# ------------------------------------------------------------------------- helpers


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _score_class(verdict: str | None, score: float) -> str:
    if verdict == "block":
        return "sev-high"
    if verdict == "restrict":
        return "sev-mid"
    if verdict is None:
        # Hand-made views without a verdict: fall back on the score as a risk.
        if score >= 0.8:
            return "sev-high"
        if score >= 0.5:
            return "sev-mid"
    return "sev-low"


def _verdict_rank(verdict: str) -> int:
    return VERDICT_ORDER.index(verdict) if verdict in VERDICT_ORDER else len(VERDICT_ORDER)


def _top_link_types(evidence: pa.Table, k: int | None = 3) -> list[str]:
    rows = evidence.select(["link_type", "weight"]).to_pylist()
    rows.sort(key=lambda r: (-(r["weight"] or 0.0), str(r["link_type"])))
    names = [str(r["link_type"]) for r in rows]
    return names if k is None else names[:k]


def _account_rows(view: CampaignView) -> list[dict[str, Any]]:
    accounts: list[dict[str, Any]] = view.accounts.select(list(ACCOUNT_COLUMNS)).to_pylist()
    seen: set[str] = set()
    for a in accounts:
        if a["account_id"] is None:
            raise DistillguardError(
                f"campaign {view.campaign_id}: accounts table has a null account_id",
                field="account_id",
            )
        a["account_id"] = str(a["account_id"])
        if a["account_id"] in seen:
            raise DistillguardError(
                f"campaign {view.campaign_id}: accounts table lists account "
                f"{a['account_id']!r} twice",
                field="account_id",
            )
        seen.add(a["account_id"])
        a["verdict"] = "unknown" if a["verdict"] is None else str(a["verdict"])
    return accounts


def _recommendation(
    view: CampaignView,
    accounts: Sequence[Mapping[str, Any]],
    context: ScanContext,
    policy_file: Path | None,
) -> Recommendation:
    verdict = view.verdict or "unknown"
    return recommend(
        campaign_id=view.campaign_id,
        verdict=verdict,
        score=view.score,
        threshold=context.threshold(verdict),
        members=accounts,
        accounts_file=context.accounts_file,
        out_dir=context.out_dir,
        store=context.store,
        policy=load_policy(policy_file),
        policy_name=SHIPPED_POLICY if policy_file is None else str(policy_file),
        book=load_actions(),
    )


# ------------------------------------------------------------------------- figures


def _base_layout(height: int) -> dict[str, Any]:
    return {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 40, "b": 48},
        "font": {"family": FONT, "size": 12, "color": "#263238"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        # Headless and touch browsers show the modebar all the time: keep it quiet.
        "modebar": {"bgcolor": "rgba(0,0,0,0)", "color": "#b0bec5", "activecolor": "#455a64"},
    }


def _timeline_figure(timeline: pa.Table) -> go.Figure:
    points: list[tuple[datetime, int, int]] = []
    for r in timeline.select(list(TIMELINE_COLUMNS)).to_pylist():
        hour = utc(r["hour"])
        if hour is not None:
            points.append((hour, int(r["n"] or 0), int(r["n_cot"] or 0)))
    points.sort()
    # Plotly has no time zones: give it UTC wall-clock strings and say so on the axis.
    x = [hour.strftime("%Y-%m-%d %H:%M") for hour, _, _ in points]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=x,
            y=[p[1] for p in points],
            name="all requests",
            marker={"color": "#90caf9"},
            hovertemplate="%{x|%Y-%m-%d %H:00} UTC<br>%{y:,} requests<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=x,
            y=[p[2] for p in points],
            name="CoT-elicitation requests",
            marker={"color": "#6a1b9a"},
            hovertemplate="%{x|%Y-%m-%d %H:00} UTC<br>%{y:,} CoT-eliciting<extra></extra>",
        )
    )
    fig.update_layout(
        **_base_layout(320),
        barmode="overlay",
        bargap=0.08,
        legend={"orientation": "h", "x": 0, "y": 1.1, "xanchor": "left", "yanchor": "bottom"},
        xaxis={"title": {"text": "hour (UTC)"}, "type": "date"},
        yaxis={"title": {"text": "requests per hour"}, "rangemode": "tozero"},
    )
    return fig


def _capability_order(capabilities: Mapping[str, int]) -> list[str]:
    known = [c for c in _CAPABILITY_ORDER if c in capabilities]
    return known + sorted(c for c in capabilities if c not in _CAPABILITY_ORDER)


def _capability_figure(capabilities: Mapping[str, int]) -> go.Figure:
    names = _capability_order(capabilities)
    counts = [int(capabilities[c] or 0) for c in names]
    total = sum(counts) or 1
    fig = go.Figure(
        go.Bar(
            x=names,
            y=counts,
            text=[f"{100 * c / total:.0f}%" for c in counts],
            textposition="outside",
            cliponaxis=False,
            marker={"color": [_CAPABILITY_COLOURS.get(c, "#78909c") for c in names]},
            hovertemplate="%{x}: %{y:,} requests<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_layout(
        **_base_layout(320),
        xaxis={"type": "category"},
        yaxis={"title": {"text": "requests"}, "rangemode": "tozero"},
    )
    return fig


def _figure_html(fig: go.Figure, div_id: str) -> str:
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={
                "responsive": True,
                "displaylogo": False,
                # Nothing on these pages may leave the provider: no "send to cloud".
                "showSendToCloud": False,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
            },
        )
    )


# --------------------------------------------------------------------------- pages


def _page(title: str, body: str, *, with_plotly: bool, script: str = "", wide: bool = False) -> str:
    head_script = (
        f'<script src="{PLOTLYJS_NAME}" charset="utf-8"></script>\n' if with_plotly else ""
    )
    tail_script = f"<script>\n{script}</script>\n" if script else ""
    main_class = ' class="wide"' if wide else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="distillguard">\n'
        f"<title>{esc(title)}</title>\n<style>\n{asset('report.css')}</style>\n"
        f"{head_script}</head>\n"
        f"<body>\n<main{main_class}>\n{body}\n</main>\n"
        f"{tail_script}</body>\n</html>\n"
    )


def _stat(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="s">{sub}</div>' if sub else ""
    return (
        f'<div class="stat"><div class="v">{value}</div><div class="k">{label}</div>'
        f"{sub_html}</div>"
    )


def _score_pill(view: CampaignView, context: ScanContext) -> str:
    parts = [badge(view.verdict)] if view.verdict else []
    parts.append(
        f'<span class="score {_score_class(view.verdict, view.score)}" '
        'title="pooled campaign score, in the calibrated units of the thresholds">'
        f"score {view.score:.2f}</span>"
    )
    threshold = context.threshold(view.verdict)
    if threshold is not None:
        parts.append(f'<span class="pill">{esc(view.verdict)} threshold {threshold:.2f}</span>')
    if view.risk is not None:
        parts.append(
            '<span class="pill" title="share of benign calibration accounts scoring lower">'
            f"risk {fmt_risk(view.risk)}</span>"
        )
    return "".join(parts)


def _value_stat(s: Mapping[str, object]) -> str:
    """Value taken at list price (the scan's price table), when the summary has it."""
    value, rich = _num(s.get("value_usd")), _num(s.get("reasoning_value_usd"))
    if value is None:
        return ""
    sub = esc(f"${rich:,.2f} of it for reasoning") if rich is not None else ""
    return _stat("value taken (list price)", esc(f"${value:,.2f}"), sub)


def _header(view: CampaignView, context: ScanContext) -> str:
    s = view.summary
    n_events = _num(s["n_events"])
    cot = _num(s.get("cot_events"))
    answers = _num(s.get("reasoning_answers"))

    def share(x: float | None) -> str:
        return f"{100 * x / n_events:.0f}% of requests" if x is not None and n_events else ""

    stats = "".join(
        [
            _stat("accounts", fmt_int(s["n_accounts"])),
            _stat("requests", fmt_int(s["n_events"])),
            _stat("CoT-eliciting requests", fmt_int(s.get("cot_events")), share(cot)),
            _stat("answers with reasoning", fmt_int(s.get("reasoning_answers")), share(answers)),
            _stat("completion tokens", fmt_int(s["completion_tokens"])),
            _stat("reasoning tokens", fmt_int(s["reasoning_tokens"])),
            _value_stat(s),
            _stat(
                "active span",
                esc(fmt_span(s["first_ts"], s["last_ts"])),
                f"from {esc(fmt_ts(s['first_ts']))}<br>to {esc(fmt_ts(s['last_ts']))}",
            ),
            _stat("top capability", esc(s["top_capability"])),
        ]
    )
    reasons = "".join(f"<li>{esc(r)}</li>" for r in view.reasons)
    reasons_html = (
        f'<h2>Why these accounts form a campaign</h2>\n<ul class="reasons">{reasons}</ul>'
        if reasons
        else ""
    )
    return (
        '<div class="crumb"><a href="index.html">\u2190 all campaigns</a></div>\n'
        '<section class="card" id="summary">\n<div class="head">'
        f"<h1>Campaign <code>{esc(view.campaign_id)}</code></h1>"
        f"{_score_pill(view, context)}</div>\n"
        f'<div class="stats">{stats}</div>\n{reasons_html}\n</section>'
    )


def _action_section(rec: Recommendation) -> str:
    outcome_rows = (
        "".join(
            "<tr>"
            f"<td><code>{esc(o.rule)}</code></td>"
            f"<td>{action_badge(o.action)}</td>"
            f'<td class="num">{fmt_int(o.accounts)}</td>'
            f"<td>{esc(', '.join(f'{n:,} {v}' for v, n in o.verdicts.items()))}</td>"
            f"<td><code>{esc(o.when)}</code></td>"
            f"<td>{esc(o.effect)}</td>"
            "</tr>\n"
            for o in rec.outcomes
        )
        or '<tr><td colspan="6">no member accounts</td></tr>\n'
    )
    steps = "".join(f"<li>{_inline_code(s)}</li>" for s in rec.steps)
    commands = "".join(
        f'<p class="note">{esc(label)}:</p><pre class="cmd">{esc(cmd)}</pre>'
        for label, cmd in rec.commands
    )
    rule = (
        "<h3>Rule that acts on this campaign alone</h3>"
        f'<pre id="campaign-rule">{esc(rec.rule)}</pre>'
        if rec.rule
        else ""
    )
    return (
        f'<section class="card" id="action" data-action="{esc(rec.key)}">'
        f"<h2>Recommended action</h2>\n<h1>{esc(rec.title)}</h1>\n"
        f'<p>{esc(rec.summary)}</p>\n<ol class="steps">{steps}</ol>\n'
        f"<h3>What the gateway does with this scan</h3>\n"
        f'<p class="note">Each member as {esc(rec.policy)} decides it once the scan\'s '
        "verdicts are pushed (first matching rule):</p>\n"
        '<table id="action-table">\n<thead><tr><th>rule</th><th>action</th>'
        '<th class="num">accounts</th><th>their verdicts</th><th>when</th>'
        f"<th>what it does</th></tr></thead>\n<tbody>\n{outcome_rows}</tbody>\n</table>\n"
        f"<h3>Apply it</h3>\n{commands}\n{rule}\n</section>"
    )


def _inline_code(text: str) -> str:
    """Escape ``text`` and set its `backticked` parts as code."""
    parts = esc(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _indicator_rows(view: CampaignView) -> list[dict[str, Any]]:
    if view.indicators is None:
        return []
    rows: list[dict[str, Any]] = view.indicators.select(list(INDICATOR_COLUMNS)).to_pylist()
    return rows


def indicators_csv_name(campaign_id: str) -> str:
    """File name of a campaign's full indicator list, beside its report."""
    return f"{campaign_id}.indicators.csv"


def _csv_cell(value: object) -> object:
    # Values are attacker-chosen (a user agent can be "=HYPERLINK(...)"): a leading
    # quote keeps a spreadsheet from reading one as a formula (OWASP CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _indicators_csv(view: CampaignView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "value", "member_accounts", "requests", "other_accounts"])
    for r in _indicator_rows(view):
        writer.writerow(
            [
                r["kind"],
                _csv_cell(r["value"]),
                r["accounts"],
                r["requests"],
                "" if r["outside_accounts"] is None else r["outside_accounts"],
            ]
        )
    return out.getvalue()


def _indicator_section(view: CampaignView, shown: int) -> str:
    if view.indicators is None:
        return (
            '<section class="card" id="indicators"><h2>Shared indicators</h2>'
            '<p class="note">not available for this view (no store was read)</p></section>'
        )
    n_members = _num(view.summary["n_accounts"])
    rows = _indicator_rows(view)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_kind.setdefault(str(r["kind"]), []).append(r)
    body = []
    for kind, (label, one, many) in _INDICATOR_LABELS.items():
        items = by_kind.get(kind, [])
        if not items:
            body.append(
                f'<tr class="none"><td>{esc(label)}</td><td colspan="4" class="note">'
                f"none shared by two members or more</td></tr>\n"
            )
            continue
        distinct = int(items[0]["n_values"] or 0)
        more = len(items) - shown
        listed = items[:shown]
        for i, r in enumerate(listed):
            head = ""
            if i == 0:
                rest = f"; {more:,} more shared in the CSV" if more > 0 else ""
                head = (
                    f'<td rowspan="{len(listed)}">{esc(label)}<div class="note">'
                    f"{plural(distinct, one, many)} among the members, "
                    f"{len(items):,} shared by two or more{rest}</div></td>"
                )
            members = fmt_int(r["accounts"])
            if n_members:
                members += f" ({100 * int(r['accounts'] or 0) / n_members:.0f}%)"
            outside = r["outside_accounts"]
            body.append(
                f'<tr data-kind="{esc(kind)}">{head}'
                f'<td class="value">{esc(r["value"])}</td>'
                f'<td class="num">{members}</td>'
                f'<td class="num">{fmt_int(r["requests"])}</td>'
                f'<td class="num">{fmt_int(outside) if outside is not None else DASH}</td>'
                "</tr>\n"
            )
    csv_name = esc(indicators_csv_name(view.campaign_id))
    return (
        '<section class="card" id="indicators"><h2>Shared indicators</h2>\n'
        '<p class="note">Values as this provider sees them (this page stays inside the '
        "provider; <code>distillguard intel export</code> shares keyed hashes only), the "
        "most widely shared first. <b>Other accounts</b> hold the value too: acting on it "
        f"outside the gateway would hit them. Every shared value: "
        f'<a href="{csv_name}" id="indicators-csv">{csv_name}</a>.</p>\n'
        '<table id="indicator-table">\n<thead><tr><th>indicator</th><th>value</th>'
        '<th class="num">member accounts</th><th class="num">requests</th>'
        '<th class="num">other accounts</th></tr></thead>\n'
        f"<tbody>\n{''.join(body)}</tbody>\n</table>\n</section>"
    )


def _template_section(view: CampaignView) -> str:
    if view.indicators is None:
        return ""
    rows = [r for r in _indicator_rows(view) if str(r["kind"]) in _TEMPLATE_LABELS]
    if not rows:
        return (
            '<section class="card" id="templates"><h2>Template text</h2>'
            '<p class="note">no template is shared by two members or more</p></section>'
        )
    order = list(_TEMPLATE_LABELS)
    rows.sort(key=lambda r: (order.index(str(r["kind"])), -(r["accounts"] or 0)))
    items = "".join(
        f'<div class="template" data-kind="{esc(r["kind"])}"><div class="meta note">'
        f"<b>{esc(_TEMPLATE_LABELS[str(r['kind'])])}</b> \u00b7 "
        f"{plural(int(r['accounts'] or 0), 'member account')} \u00b7 "
        f"{plural(int(r['requests'] or 0), 'request')}"
        + (
            f" \u00b7 {plural(int(r['outside_accounts']), 'other account')}"
            if r["outside_accounts"] is not None
            else ""
        )
        + f"</div><pre>{esc(r['value'])}</pre></div>\n"
        for r in rows
    )
    return (
        '<section class="card" id="templates"><h2>Template text</h2>\n'
        '<p class="note">The fixed text the operator wraps around each task: the common '
        "opening (closing) of requests sharing a template hash, or one request's when "
        "the normalisation hid differences (marked e.g.).</p>\n"
        f"{items}</section>"
    )


def _sample_section(view: CampaignView) -> str:
    if view.samples is None:
        return ""
    cols = [*SAMPLE_COLUMNS, *(c for c in ("model", "system") if c in view.samples.column_names)]
    rows = view.samples.select(cols).to_pylist()
    if not rows:
        return (
            '<section class="card" id="samples"><h2>Sample prompts</h2>'
            '<p class="note">no requests in the window</p></section>'
        )
    limit = _SAMPLE_CHARS
    items = []
    for r in rows:
        text = str(r["text"] or "")
        cut = text[:limit] + ("\u2026" if len(text) > limit else "")
        system = str(r.get("system") or "")
        system_html = (
            f"<details><summary>system prompt</summary><pre>{esc(system[:limit])}</pre></details>"
            if system
            else ""
        )
        tag = '<span class="tag">CoT-eliciting</span> ' if r["cot"] else ""
        model = f" \u00b7 {esc(r['model'])}" if r.get("model") else ""
        items.append(
            f'<div class="sample"><div class="meta">{tag}<code>{esc(r["account_id"])}</code>'
            f" \u00b7 {esc(fmt_ts(r['ts']))} \u00b7 {esc(r['capability'] or DASH)}{model}</div>"
            f"{system_html}<pre>{esc(cut)}</pre></div>\n"
        )
    return (
        '<section class="card" id="samples"><h2>Sample prompts</h2>\n'
        f'<p class="note">{plural(len(rows), "request")}, CoT-eliciting ones first, at most '
        "one of each kind per account (the last user message as stored).</p>\n"
        f"{''.join(items)}</section>"
    )


def _evidence_table(evidence: pa.Table, colours: Mapping[str, str]) -> str:
    rows = evidence.select(list(EVIDENCE_COLUMNS)).to_pylist()
    # Strongest evidence first; the sort is stable so equal weights keep input order.
    rows.sort(key=lambda r: -(r["weight"] or 0.0))
    body = "".join(
        "<tr>"
        f'<td class="id"><span class="swatch" '
        f'style="background:{colours.get(str(r["link_type"]), "#78909c")}"></span>'
        f"{esc(r['link_type'])}</td>"
        f'<td class="num">{fmt_int(r["pairs"])}</td>'
        f'<td class="num">{fmt_int(r["accounts"])}</td>'
        f'<td class="num">{fmt_num(r["weight"])}</td>'
        f"<td>{esc(r['detail'] if r['detail'] is not None else '')}</td>"
        "</tr>\n"
        for r in rows
    )
    if not rows:
        body = '<tr><td colspan="5">no evidence rows</td></tr>\n'
    return (
        '<table id="evidence-table">\n<thead><tr><th>link type</th><th class="num">pairs</th>'
        '<th class="num">accounts</th><th class="num">weight</th><th>detail</th></tr></thead>\n'
        f"<tbody>\n{body}</tbody>\n</table>"
    )


def _account_table(
    accounts: list[dict[str, Any]], max_accounts: int, group_of: Mapping[str, str]
) -> str:
    ranked = sorted(accounts, key=lambda a: (-(a["risk"] or 0.0), -(a["n"] or 0), a["account_id"]))
    shown = ranked[:max_accounts]
    note = ""
    if len(shown) < len(ranked):
        note = (
            f'<p class="note" id="accounts-note">showing the top {len(shown):,} of '
            f"{len(ranked):,} accounts by risk</p>\n"
        )
    group_head = "<th>group</th>" if group_of else ""
    body = "".join(
        "<tr>"
        f'<td class="id">{esc(a["account_id"])}</td>'
        + (f"<td>{esc(group_of.get(a['account_id'], DASH))}</td>" if group_of else "")
        + f"<td>{badge(str(a['verdict']))}</td>"
        f'<td class="num">{fmt_risk(a["risk"])}</td>'
        f'<td class="num">{fmt_int(a["n"])}</td>'
        f'<td class="num">{esc(fmt_ts(a["first_ts"]))}</td>'
        f'<td class="num">{esc(fmt_ts(a["last_ts"]))}</td>'
        "</tr>\n"
        for a in shown
    )
    return (
        f'{note}<div class="scroll"><table id="account-table">\n<thead><tr><th>account</th>'
        f'{group_head}<th>verdict</th><th class="num">risk</th><th class="num">requests</th>'
        '<th class="num">first seen</th><th class="num">last seen</th></tr></thead>\n'
        f"<tbody>\n{body}</tbody>\n</table></div>"
    )


def _graph_section(drawing: GraphDrawing, colours: Mapping[str, str]) -> str:
    per_type = drawing.facts.per_type()
    legend = "".join(
        f'<li data-link-type="{esc(lt)}"><span class="swatch" style="background:{colours[lt]}">'
        f"</span>{esc(lt)} <b>{n:,}</b> {'pair' if n == 1 else 'pairs'}</li>"
        for lt, n in per_type.items()
    )
    notes = "".join(f'<p class="note">{esc(n)}.</p>' for n in drawing.notes)
    figure = _figure_html(drawing.figure, "dg-graph")
    return (
        f'<section class="card" id="graph" data-mode="{drawing.mode}">'
        f'<h2>Account graph</h2>\n<div id="graph-note">{notes}</div>\n'
        f'<ul class="legend" id="link-legend">{legend}</ul>\n{figure}\n</section>'
    )


def _report_page(
    view: CampaignView,
    context: ScanContext,
    policy_file: Path | None,
    *,
    max_nodes: int,
    max_edges: int,
    max_accounts: int,
    neighbours: int,
    max_groups: int,
    shown_values: int,
) -> str:
    accounts = _account_rows(view)
    link_types = _top_link_types(view.evidence, k=None)
    drawing = draw_graph(
        accounts,
        view.edges,
        link_types,
        max_nodes=max_nodes,
        max_links=max_edges,
        neighbours=neighbours,
        max_groups=max_groups,
    )
    colours = link_colours([*link_types, *(t for t in drawing.facts.types if t not in link_types)])
    rec = _recommendation(view, accounts, context, policy_file)
    timeline = _figure_html(_timeline_figure(view.timeline), "dg-timeline")
    capabilities = _figure_html(_capability_figure(view.capabilities), "dg-capabilities")
    body = "\n".join(
        [
            _header(view, context),
            _action_section(rec),
            _indicator_section(view, shown_values),
            _template_section(view),
            _sample_section(view),
            '<div class="row">',
            f'<section class="card" id="timeline"><h2>Traffic per hour</h2>\n{timeline}\n'
            "</section>",
            f'<section class="card" id="capabilities"><h2>Capability mix</h2>\n{capabilities}\n'
            "</section>",
            "</div>",
            _graph_section(drawing, colours),
            '<section class="card" id="evidence"><h2>Link evidence</h2>\n'
            f"{_evidence_table(view.evidence, colours)}\n</section>",
            '<section class="card" id="accounts"><h2>Accounts</h2>\n'
            f"{_account_table(accounts, max_accounts, drawing.group_of)}\n</section>",
            f"<footer>distillguard campaign report \u00b7 {esc(view.campaign_id)}"
            f"{_context_footer(context)}</footer>",
        ]
    )
    return _page(f"Campaign {view.campaign_id} \u00b7 distillguard", body, with_plotly=True)


def _context_footer(context: ScanContext) -> str:
    parts = []
    if context.first_ts is not None:
        parts.append(f"data {fmt_ts(context.first_ts)} \u2013 {fmt_ts(context.last_ts)}")
    if context.generated_at is not None:
        parts.append(f"written {fmt_ts(context.generated_at)}")
    return "".join(f" \u00b7 {esc(p)}" for p in parts)


# --------------------------------------------------------------------------- index

#: Index columns: (sort key, header, numeric).  The page's default order is the
#: first key of _DEFAULT_SORT.
_INDEX_COLUMNS: Final = (
    ("campaign", "campaign", False),
    ("verdict", "verdict", False),
    ("score", "score", True),
    ("accounts", "accounts", True),
    ("requests", "requests", True),
    ("cot", "CoT-eliciting", True),
    ("answers", "answers with reasoning", True),
    ("completion", "completion tokens", True),
    ("reasoning", "reasoning tokens", True),
    ("first", "first seen (UTC)", True),
    ("span", "active", True),
    ("links", "top link types", False),
    ("action", "gateway action", False),
)
_DEFAULT_SORT: Final = ("reasoning", "completion", "requests")


def _index_values(v: CampaignView) -> dict[str, float]:
    s = v.summary
    first, last = utc(s["first_ts"]), utc(s["last_ts"])
    return {
        "score": v.score,
        "accounts": _num(s["n_accounts"]) or 0.0,
        "requests": _num(s["n_events"]) or 0.0,
        "cot": _num(s.get("cot_events")) or 0.0,
        "answers": _num(s.get("reasoning_answers")) or 0.0,
        "completion": _num(s["completion_tokens"]) or 0.0,
        "reasoning": _num(s["reasoning_tokens"]) or 0.0,
        "first": first.timestamp() if first else 0.0,
        "span": (last - first).total_seconds() if first and last else 0.0,
    }


def _scan_section(context: ScanContext, views: Sequence[CampaignView]) -> str:
    items: list[tuple[str, str]] = []
    if context.generated_at is not None:
        items.append(("written", esc(fmt_ts(context.generated_at))))
    if context.first_ts is not None or context.last_ts is not None:
        window = f"{fmt_ts(context.first_ts)} \u2013 {fmt_ts(context.last_ts)}"
        span = fmt_span(context.first_ts, context.last_ts)
        extra = f" (scan window {context.window})" if context.window else ""
        items.append(("traffic", esc(f"{window} ({span}){extra}")))
    if context.n_events is not None or context.n_accounts is not None:
        items.append(
            (
                "scanned",
                f"{fmt_int(context.n_events)} requests from {fmt_int(context.n_accounts)} accounts",
            )
        )
    if context.verdicts:
        mix = sorted(context.verdicts.items(), key=lambda x: (_verdict_rank(x[0]), x[0]))
        items.append(("account verdicts", " \u00b7 ".join(f"{badge(k)} {n:,}" for k, n in mix)))
    members = sum(int(_num(v.summary["n_accounts"]) or 0) for v in views)
    share = ""
    if context.n_accounts:
        share = f" ({100 * members / context.n_accounts:.1f}% of accounts)"
    items.append(
        (
            "campaigns",
            f"{plural(len(views), 'campaign')}, {plural(members, 'member account')}{share}",
        )
    )
    if context.inputs:
        rows = "".join(
            f"<li><code>{esc(r.get('path'))}</code>: {fmt_int(r.get('rows_good'))} rows read, "
            f"{fmt_int(r.get('rows_quarantined'))} quarantined, loaded "
            f"{esc(fmt_ts(r.get('loaded_at')))}</li>"
            for r in context.inputs
        )
        items.append((f"inputs ({len(context.inputs):,})", f'<ul class="reasons">{rows}</ul>'))
    cal = context.calibration
    if cal:
        thresholds = cal.get("thresholds") or {}
        fpr = cal.get("fpr") or {}
        parts = [
            f"{esc(k)} \u2265 {float(t):.2f}"
            + (f" (benign FPR {100 * float(fpr[k]):g}%)" if k in fpr else "")
            for k, t in sorted(thresholds.items(), key=lambda x: float(x[1]))
        ]
        source = cal.get("source") or "shipped defaults"
        benign = cal.get("benign_accounts")
        fitted = f", fitted on {fmt_int(benign)} benign accounts" if benign else ""
        items.append(("calibration", f"{esc(source)}{fitted}: {'; '.join(parts)}"))
    items.append(
        ("outputs", f"<code>{esc(context.out_dir)}</code>, store <code>{esc(context.store)}</code>")
    )
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    return f'<section class="card" id="scan"><h2>Scan</h2>\n<dl class="kv">{body}</dl>\n</section>'


def _index_page(
    views: Sequence[CampaignView], context: ScanContext, policy_file: Path | None
) -> str:
    values = {v.campaign_id: _index_values(v) for v in views}
    ranked = sorted(
        views, key=lambda v: (*(-values[v.campaign_id][k] for k in _DEFAULT_SORT), v.campaign_id)
    )
    rows = []
    totals: dict[str, float] = {}
    for v in ranked:
        s = v.summary
        val = values[v.campaign_id]
        for k in ("accounts", "requests", "cot", "answers", "completion", "reasoning"):
            totals[k] = totals.get(k, 0.0) + val[k]
        rec = _recommendation(v, _account_rows(v), context, policy_file)
        links = ", ".join(_top_link_types(v.evidence))
        verdict = v.verdict or ""
        cells = [
            f'<td class="cid" data-v="{esc(v.campaign_id)}">'
            f'<a href="{esc(v.campaign_id)}.html">{esc(v.campaign_id)}</a></td>',
            f'<td data-v="{esc(verdict)}">{badge(verdict) if verdict else DASH}</td>',
            f'<td class="num" data-v="{val["score"]!r}">'
            f'<span class="badge {_score_class(v.verdict, v.score)}">{v.score:.2f}</span></td>',
            *(
                f'<td class="num" data-v="{val[k]!r}">{fmt_int(val[k])}</td>'
                for k in ("accounts", "requests", "cot", "answers")
            ),
            *(
                f'<td class="num" data-v="{val[k]!r}" title="{fmt_int(val[k])}">'
                f"{fmt_compact(val[k])}</td>"
                for k in ("completion", "reasoning")
            ),
            f'<td class="num" data-v="{val["first"]!r}">'
            f"{esc(fmt_ts(s['first_ts']).removesuffix(' UTC'))}</td>",
            f'<td class="num" data-v="{val["span"]!r}">'
            f"{esc(fmt_span(s['first_ts'], s['last_ts']))}</td>",
            f'<td data-v="{esc(links)}">{esc(links)}</td>',
            f'<td data-v="{esc(rec.short)}">{esc(rec.short)}</td>',
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>\n")
    body_rows = "".join(rows) or (
        f'<tr><td colspan="{len(_INDEX_COLUMNS)}">no campaigns detected</td></tr>\n'
    )
    heads = "".join(
        f'<th data-key="{key}"'
        + (' class="num"' if numeric else "")
        + (' aria-sort="descending"' if key == _DEFAULT_SORT[0] else "")
        + f">{esc(label)}</th>"
        for key, label, numeric in _INDEX_COLUMNS
    )
    foot = ""
    if views:
        foot = (
            '<tfoot><tr><td colspan="3">all campaigns</td>'
            + "".join(
                f'<td class="num">{fmt_int(totals[k])}</td>'
                for k in ("accounts", "requests", "cot", "answers")
            )
            + "".join(
                f'<td class="num" title="{fmt_int(totals[k])}">{fmt_compact(totals[k])}</td>'
                for k in ("completion", "reasoning")
            )
            + '<td colspan="4"></td></tr></tfoot>\n'
        )
    body = (
        '<section class="card"><h1>Distillation campaigns</h1>\n'
        f'<p class="note">{plural(len(views), "campaign")}, most reasoning tokens taken first; '
        "click a column to sort by it (or open <code>index.html#sort=accounts</code>). "
        "Score: pooled campaign score against the calibrated thresholds; gateway action: "
        "what the gateway's policy does to the members once the scan is applied.</p>\n"
        "</section>\n"
        f"{_scan_section(context, views)}\n"
        '<section class="card"><div class="scroll">'
        f'<table id="campaign-table" data-sorted="{_DEFAULT_SORT[0]}">\n'
        f"<thead><tr>{heads}</tr></thead>\n<tbody>\n{body_rows}</tbody>\n{foot}</table>"
        "</div>\n</section>"
    )
    return _page(
        "Distillation campaigns \u00b7 distillguard",
        body,
        with_plotly=False,
        script=asset("index.js"),
        wide=True,
    )
