"""Per-campaign HTML reports and an index page that open from disk, without a server.

One report per campaign (``<campaign_id>.html``) shows the campaign's traffic
timeline, its capability mix, the account graph and the evidence that linked the
accounts; ``index.html`` lists every campaign.  All reports in a folder share ONE
``plotly.min.js`` next to them (loaded by a relative ``<script src>``), because a
run can produce hundreds of campaigns and plotly.js is ~4.8 MB.

Pages are deterministic: the same :class:`CampaignView` gives the same bytes (fixed
div ids, a seeded graph layout, no generation time), so reports can be diffed and
compared in tests.  Every value from the data (account ids, reasons, link details)
is HTML-escaped; ids are attacker-chosen strings.

Large campaigns are cut down so the page stays usable: the graph shows the
``max_nodes`` best-connected accounts and the ``max_edges`` heaviest links among
them, the account table the ``max_accounts`` riskiest accounts, and the page says
so ("showing 400 of 1,200 accounts").
"""

from __future__ import annotations

import html
import math
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import igraph
import plotly.graph_objects as go
import plotly.offline
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError
from distillguard.ingest.quarantine import atomic_open

__all__ = [
    "ACCOUNT_COLUMNS",
    "EDGE_COLUMNS",
    "EVIDENCE_COLUMNS",
    "PLOTLYJS_NAME",
    "SUMMARY_KEYS",
    "TIMELINE_COLUMNS",
    "CampaignView",
    "check_view",
    "render_index",
    "render_report",
]

#: Columns each table of a :class:`CampaignView` must have (extra columns are ignored).
ACCOUNT_COLUMNS: Final = ("account_id", "risk", "verdict", "n", "first_ts", "last_ts")
EDGE_COLUMNS: Final = ("src", "dst", "link_type", "weight")
EVIDENCE_COLUMNS: Final = ("link_type", "pairs", "accounts", "weight", "detail")
TIMELINE_COLUMNS: Final = ("hour", "n", "n_cot")
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
_LAYOUT_SEED: Final = 20240611
# Fruchterman-Reingold is O(n^2) per iteration; DrL scales to large graphs.
_FR_MAX_NODES: Final = 1000

_VERDICT_ORDER: Final = ("block", "restrict", "watch", "allow")
_VERDICT_COLOURS: Final = {
    "block": "#c62828",
    "restrict": "#ef6c00",
    "watch": "#f9a825",
    "allow": "#2e7d32",
}
_UNKNOWN_COLOUR: Final = "#78909c"
# Cool hues for links so they never read as verdict colours.
_LINK_COLOURS: Final = (
    "#1e88e5",
    "#8e24aa",
    "#00897b",
    "#5d4037",
    "#d81b60",
    "#3949ab",
    "#7cb342",
    "#546e7a",
)
_CAPABILITY_ORDER: Final = ("coding", "math", "reasoning", "agentic", "writing", "other")
_CAPABILITY_COLOURS: Final = {
    "coding": "#3949ab",
    "math": "#00897b",
    "reasoning": "#8e24aa",
    "agentic": "#ef6c00",
    "writing": "#d81b60",
    "other": "#78909c",
}
_DASH: Final = "\u2013"  # shown for unknown values
_FONT: Final = "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True)
class CampaignView:
    """Everything a campaign report shows, already computed by campaign detection.

    ``summary`` has the keys in :data:`SUMMARY_KEYS` (``first_ts``/``last_ts`` are
    UTC datetimes); the tables have at least the columns in :data:`ACCOUNT_COLUMNS`,
    :data:`EDGE_COLUMNS`, :data:`EVIDENCE_COLUMNS` and :data:`TIMELINE_COLUMNS`.
    ``capabilities`` maps a capability (coding, math, reasoning, agentic, writing,
    other) to its number of requests.
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
    tables = (
        ("accounts", view.accounts, ACCOUNT_COLUMNS),
        ("edges", view.edges, EDGE_COLUMNS),
        ("evidence", view.evidence, EVIDENCE_COLUMNS),
        ("timeline", view.timeline, TIMELINE_COLUMNS),
    )
    for name, table, columns in tables:
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
    for key in SUMMARY_KEYS:
        if key not in view.summary:
            raise DistillguardError(f"campaign {cid}: summary has no key {key!r}", field=key)


def render_report(
    view: CampaignView,
    out_dir: Path,
    *,
    max_nodes: int = 400,
    max_edges: int = 3000,
    max_accounts: int = 200,
) -> Path:
    """Write ``out_dir/<campaign_id>.html`` (and ``plotly.min.js`` once); return its path.

    The graph shows at most ``max_nodes`` accounts (highest degree first) and
    ``max_edges`` links among them (heaviest first); the account table shows the
    ``max_accounts`` riskiest accounts.  Files appear atomically.
    """
    if min(max_nodes, max_edges, max_accounts) < 1:
        raise ValueError("max_nodes, max_edges and max_accounts must be at least 1")
    check_view(view)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_plotlyjs(out_dir)
    page = _report_page(view, max_nodes=max_nodes, max_edges=max_edges, max_accounts=max_accounts)
    target = out_dir / f"{view.campaign_id}.html"
    _write_text(target, page)
    return target


def render_index(views: Sequence[CampaignView], out_dir: Path) -> Path:
    """Write ``out_dir/index.html``: one row per campaign, riskiest first; return its path.

    Each campaign id links to the report :func:`render_report` writes for it.
    """
    for view in views:
        check_view(view)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    _write_text(target, _index_page(views))
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


# ---------------------------------------------------------------------- formatting


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fmt_int(value: object) -> str:
    """Thousands-separated integer, or an en dash when unknown.

    >>> _fmt_int(1234567), _fmt_int(None) == _DASH, _fmt_int(3.0)
    ('1,234,567', True, '3')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _DASH
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)


def _fmt_num(value: object) -> str:
    """A weight or ratio, short: integers plainly, small values to 3 significant digits.

    >>> _fmt_num(12.0), _fmt_num(0.4567), _fmt_num(1234.5), _fmt_num(None) == _DASH
    ('12', '0.457', '1,234', True)
    """
    if value is None:
        return _DASH
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return _DASH
    if x.is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    # Naive timestamps in distillguard are UTC by convention (see schema).
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _fmt_ts(value: object) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM UTC``.

    >>> _fmt_ts(datetime(2025, 3, 1, 14, 5, tzinfo=UTC))
    '2025-03-01 14:05 UTC'
    >>> _fmt_ts(None) == _DASH
    True
    """
    ts = _utc(value)
    return _DASH if ts is None else ts.strftime("%Y-%m-%d %H:%M UTC")


def _fmt_span(first: object, last: object) -> str:
    """The duration between two timestamps, to the two largest units.

    >>> from datetime import timedelta
    >>> t0 = datetime(2025, 3, 1, tzinfo=UTC)
    >>> _fmt_span(t0, t0 + timedelta(days=2, hours=5, minutes=3))
    '2 d 5 h'
    >>> _fmt_span(t0, t0 + timedelta(minutes=42)), _fmt_span(None, t0) == _DASH
    ('42 min', True)
    """
    a, b = _utc(first), _utc(last)
    if a is None or b is None:
        return _DASH
    minutes = max(0, int((b - a).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def _fmt_risk(value: object) -> str:
    """A risk in [0, 1] to two decimals.

    >>> _fmt_risk(0.876), _fmt_risk(None) == _DASH
    ('0.88', True)
    """
    if not isinstance(value, int | float) or math.isnan(value):
        return _DASH
    return f"{value:.2f}"


def _score_class(score: float) -> str:
    if score >= 0.8:
        return "sev-high"
    if score >= 0.5:
        return "sev-mid"
    return "sev-low"


def _verdict_colour(verdict: str) -> str:
    return _VERDICT_COLOURS.get(verdict, _UNKNOWN_COLOUR)


def _link_colours(link_types: Sequence[str]) -> dict[str, str]:
    return {lt: _LINK_COLOURS[i % len(_LINK_COLOURS)] for i, lt in enumerate(link_types)}


def _top_link_types(evidence: pa.Table, k: int = 3) -> list[str]:
    rows = evidence.select(["link_type", "weight"]).to_pylist()
    rows.sort(key=lambda r: (-(r["weight"] or 0.0), str(r["link_type"])))
    return [str(r["link_type"]) for r in rows[:k]]


# ------------------------------------------------------------------------- figures


def _base_layout(height: int) -> dict[str, Any]:
    return {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 16, "b": 48},
        "font": {"family": _FONT, "size": 12, "color": "#263238"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        # Headless and touch browsers show the modebar all the time: keep it quiet.
        "modebar": {"bgcolor": "rgba(0,0,0,0)", "color": "#b0bec5", "activecolor": "#455a64"},
    }


def _timeline_figure(timeline: pa.Table) -> go.Figure:
    points: list[tuple[datetime, int, int]] = []
    for r in timeline.select(list(TIMELINE_COLUMNS)).to_pylist():
        hour = _utc(r["hour"])
        if hour is not None:
            points.append((hour, int(r["n"] or 0), int(r["n_cot"] or 0)))
    points.sort()
    # Plotly has no time zones: give it UTC wall-clock strings and say so on the axis.
    x = [hour.strftime("%Y-%m-%d %H:%M") for hour, _, _ in points]
    n = [p[1] for p in points]
    n_cot = [p[2] for p in points]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=x,
            y=n,
            name="all requests",
            marker={"color": "#90caf9"},
            hovertemplate="%{x|%Y-%m-%d %H:00} UTC<br>%{y:,} requests<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=x,
            y=n_cot,
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
    fig.update_layout(margin={"t": 40})
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
            marker={"color": [_CAPABILITY_COLOURS.get(c, _UNKNOWN_COLOUR) for c in names]},
            hovertemplate="%{x}: %{y:,} requests<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_layout(
        **_base_layout(320),
        xaxis={"type": "category"},
        yaxis={"title": {"text": "requests"}, "rangemode": "tozero"},
    )
    fig.update_layout(margin={"t": 40})
    return fig


@dataclass(frozen=True)
class _GraphPart:
    """The part of the account graph that is drawn, and what was left out."""

    nodes: list[dict[str, Any]]  # account rows, in drawing order
    edges: list[dict[str, Any]]  # edge rows among ``nodes``, heaviest first
    total_nodes: int
    total_edges: int  # drawable edges in the whole campaign, before either cap
    unknown_edges: int  # edges naming an account that is not in the account table


def _select_graph(
    accounts: list[dict[str, Any]], edges: pa.Table, max_nodes: int, max_edges: int
) -> _GraphPart:
    ids = pa.array([a["account_id"] for a in accounts], pa.string())
    src = pc.cast(edges.column("src"), pa.string())
    dst = pc.cast(edges.column("dst"), pa.string())
    # Filtering and sorting in Arrow: a big hydra can have millions of pairwise links.
    known = pc.and_(pc.is_in(src, value_set=ids), pc.is_in(dst, value_set=ids))
    known = pc.fill_null(known, False)
    drawable = pc.and_(known, pc.fill_null(pc.not_equal(src, dst), False))
    unknown_edges = edges.num_rows - int(pc.sum(pc.cast(known, pa.int64())).as_py() or 0)
    links = pa.table(
        {
            "src": src,
            "dst": dst,
            "link_type": pc.fill_null(pc.cast(edges.column("link_type"), pa.string()), "unknown"),
            "weight": pc.cast(edges.column("weight"), pa.float64()),
        }
    ).filter(drawable)

    degree: dict[str, int] = {}
    if links.num_rows:
        endpoints = pa.chunked_array(links.column("src").chunks + links.column("dst").chunks)
        for item in pc.value_counts(endpoints).to_pylist():
            degree[item["values"]] = int(item["counts"])
    order = sorted(
        accounts,
        key=lambda a: (-degree.get(a["account_id"], 0), -(a["risk"] or 0.0), a["account_id"]),
    )
    nodes = order[:max_nodes]
    kept = pa.array([a["account_id"] for a in nodes], pa.string())
    among = links.filter(
        pc.and_(
            pc.is_in(links.column("src"), value_set=kept),
            pc.is_in(links.column("dst"), value_set=kept),
        )
    )
    sort_keys = [
        ("weight", "descending"),
        ("link_type", "ascending"),
        ("src", "ascending"),
        ("dst", "ascending"),
    ]
    heaviest = among.take(pc.sort_indices(among, sort_keys=sort_keys)[:max_edges])
    return _GraphPart(
        nodes=nodes,
        edges=heaviest.to_pylist(),
        total_nodes=len(accounts),
        total_edges=links.num_rows,
        unknown_edges=unknown_edges,
    )


@contextmanager
def _seeded_igraph(seed: int) -> Iterator[None]:
    # igraph draws from the `random` module by default; a private generator keeps
    # the layout reproducible without touching the caller's global random state.
    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _layout(part: _GraphPart) -> list[tuple[float, float]]:
    index = {a["account_id"]: i for i, a in enumerate(part.nodes)}
    graph = igraph.Graph(
        n=len(part.nodes), edges=[(index[e["src"]], index[e["dst"]]) for e in part.edges]
    )
    if graph.vcount() == 0:
        return []
    with _seeded_igraph(_LAYOUT_SEED):
        if graph.vcount() <= _FR_MAX_NODES:
            layout = graph.layout_fruchterman_reingold(niter=500, grid="nogrid")
        else:
            layout = graph.layout_drl()
    # Rounded so that float noise in the last bits cannot change the page bytes.
    return [(round(float(x), 3), round(float(y), 3)) for x, y in layout.coords]


def _graph_figure(part: _GraphPart, link_types: Sequence[str]) -> go.Figure:
    coords = _layout(part)
    pos = {a["account_id"]: coords[i] for i, a in enumerate(part.nodes)}
    fig = go.Figure()

    by_type: dict[str, list[dict[str, Any]]] = {}
    for e in part.edges:
        by_type.setdefault(e["link_type"], []).append(e)
    colours = _link_colours(
        [lt for lt in link_types if lt in by_type]
        + sorted(lt for lt in by_type if lt not in link_types)
    )
    for lt, colour in colours.items():
        xs: list[float | None] = []
        ys: list[float | None] = []
        for e in by_type[lt]:
            (x0, y0), (x1, y1) = pos[e["src"]], pos[e["dst"]]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=f"{lt} ({len(by_type[lt]):,})",
                line={"color": colour, "width": 1},
                opacity=0.45,
                hoverinfo="skip",
                legendgroup="links",
                legendgrouptitle={"text": "link type"},
            )
        )

    max_n = max([int(a["n"] or 0) for a in part.nodes] + [1])
    # Crowded graphs get smaller markers so the dense core stays legible.
    span = 20 * min(1.0, math.sqrt(100 / max(len(part.nodes), 1)))
    verdicts = [v for v in _VERDICT_ORDER if any(a["verdict"] == v for a in part.nodes)]
    verdicts += sorted({str(a["verdict"]) for a in part.nodes} - set(_VERDICT_ORDER))
    for verdict in verdicts:
        group = [a for a in part.nodes if str(a["verdict"]) == verdict]
        fig.add_trace(
            go.Scatter(
                x=[pos[a["account_id"]][0] for a in group],
                y=[pos[a["account_id"]][1] for a in group],
                mode="markers",
                name=f"{verdict} ({len(group):,})",
                marker={
                    # Area, not radius, tracks volume: sqrt keeps big harvesters readable.
                    "size": [
                        round(5 + span * math.sqrt(int(a["n"] or 0) / max_n), 1) for a in group
                    ],
                    "color": _verdict_colour(verdict),
                    "line": {"color": "#ffffff", "width": 0.8},
                },
                # Plotly renders a subset of HTML in hover labels: escape the ids.
                text=[
                    f"{_esc(a['account_id'])}<br>verdict: {_esc(verdict)}"
                    f"<br>risk: {_fmt_risk(a['risk'])}<br>requests: {_fmt_int(a['n'])}"
                    for a in group
                ],
                hoverinfo="text",
                legendgroup="verdicts",
                legendgrouptitle={"text": "verdict"},
            )
        )
    hidden_axis = {"visible": False, "showgrid": False, "zeroline": False}
    fig.update_layout(
        **_base_layout(640),
        xaxis=hidden_axis,
        # No fixed aspect ratio: a force layout has no meaningful axes, and the
        # stretched layout uses the page width instead of leaving it blank.
        yaxis=hidden_axis,
        legend={"x": 1.0, "xanchor": "left", "y": 1.0, "groupclick": "toggleitem"},
        hovermode="closest",
    )
    fig.update_layout(margin={"l": 8, "r": 8, "t": 36, "b": 8})
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
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
            },
        )
    )


# --------------------------------------------------------------------------- pages

_CSS: Final = """
:root { --ink: #263238; --muted: #607d8b; --line: #e3e8ec; --bg: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.45 -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 40px; }
a { color: #1565c0; text-decoration: none; } a:hover { text-decoration: underline; }
.crumb { font-size: 13px; margin-bottom: 8px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px;
        padding: 16px 20px; margin-bottom: 16px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
h1 { font-size: 22px; margin: 0; font-weight: 600; }
h1 code { font-size: 21px; }
h2 { font-size: 15px; margin: 0 0 10px; font-weight: 600; text-transform: uppercase;
     letter-spacing: .04em; color: var(--muted); }
code, .id { font-family: ui-monospace, 'SF Mono', Menlo, Consolas, monospace; }
.head { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
.score { font-size: 18px; font-weight: 700; padding: 4px 12px; border-radius: 999px; color: #fff; }
.sev-high { background: #c62828; } .sev-mid { background: #ef6c00; }
.sev-low { background: #f9a825; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
         gap: 10px; margin: 16px 0 12px; }
.stat { background: var(--bg); border-radius: 8px; padding: 10px 12px; }
.stat .v { font-size: 19px; font-weight: 600; font-variant-numeric: tabular-nums; }
.stat .k { font-size: 12px; color: var(--muted); }
.stat .s { font-size: 12px; color: var(--muted); }
ul.reasons { margin: 4px 0 0; padding-left: 20px; } ul.reasons li { margin: 3px 0; }
.row { display: grid; grid-template-columns: 2fr 1fr; gap: 16px; }
.row .card { min-width: 0; }
@media (max-width: 900px) { .row { grid-template-columns: 1fr; } }
.note { font-size: 13px; color: var(--muted); margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: #fafbfc; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { word-break: break-all; max-width: 360px; }
tbody tr:hover { background: #f7f9fb; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; color: #fff;
         font-size: 12px; font-weight: 600; }
.scroll { max-height: 560px; overflow: auto; }
footer { font-size: 12px; color: var(--muted); text-align: center; margin-top: 8px; }
"""


def _page(title: str, body: str, *, with_plotly: bool) -> str:
    script = f'<script src="{PLOTLYJS_NAME}" charset="utf-8"></script>\n' if with_plotly else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="distillguard">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n{script}</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _stat(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="s">{sub}</div>' if sub else ""
    return (
        f'<div class="stat"><div class="v">{value}</div><div class="k">{label}</div>'
        f"{sub_html}</div>"
    )


def _badge(verdict: str) -> str:
    return (
        f'<span class="badge" style="background:{_verdict_colour(verdict)}">{_esc(verdict)}</span>'
    )


def _header(view: CampaignView) -> str:
    s = view.summary
    completion = s["completion_tokens"]
    reasoning = s["reasoning_tokens"]
    share = ""
    if isinstance(completion, int | float) and isinstance(reasoning, int | float) and completion:
        share = f"{100 * reasoning / completion:.0f}% of completion tokens"
    stats = "".join(
        [
            _stat("accounts", _fmt_int(s["n_accounts"])),
            _stat("requests", _fmt_int(s["n_events"])),
            _stat(
                "active span",
                _esc(_fmt_span(s["first_ts"], s["last_ts"])),
                f"from {_esc(_fmt_ts(s['first_ts']))}<br>to {_esc(_fmt_ts(s['last_ts']))}",
            ),
            _stat("completion tokens", _fmt_int(completion)),
            _stat("reasoning tokens", _fmt_int(reasoning), share),
            _stat("top capability", _esc(s["top_capability"])),
        ]
    )
    reasons = "".join(f"<li>{_esc(r)}</li>" for r in view.reasons)
    reasons_html = (
        f'<h2>Why these accounts form a campaign</h2>\n<ul class="reasons">{reasons}</ul>'
        if reasons
        else ""
    )
    return (
        '<div class="crumb"><a href="index.html">← all campaigns</a></div>\n'
        '<section class="card" id="summary">\n<div class="head">'
        f"<h1>Campaign <code>{_esc(view.campaign_id)}</code></h1>"
        f'<span class="score {_score_class(view.score)}" title="campaign risk score">'
        f"risk {view.score:.2f}</span></div>\n"
        f'<div class="stats">{stats}</div>\n{reasons_html}\n</section>'
    )


def _evidence_table(evidence: pa.Table) -> str:
    rows = evidence.select(list(EVIDENCE_COLUMNS)).to_pylist()
    # Strongest evidence first; the sort is stable so equal weights keep input order.
    rows.sort(key=lambda r: -(r["weight"] or 0.0))
    body = "".join(
        "<tr>"
        f'<td class="id">{_esc(r["link_type"])}</td>'
        f'<td class="num">{_fmt_int(r["pairs"])}</td>'
        f'<td class="num">{_fmt_int(r["accounts"])}</td>'
        f'<td class="num">{_fmt_num(r["weight"])}</td>'
        f"<td>{_esc(r['detail'] if r['detail'] is not None else '')}</td>"
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


def _account_table(accounts: list[dict[str, Any]], max_accounts: int) -> str:
    ranked = sorted(accounts, key=lambda a: (-(a["risk"] or 0.0), -(a["n"] or 0), a["account_id"]))
    shown = ranked[:max_accounts]
    note = ""
    if len(shown) < len(ranked):
        note = (
            f'<p class="note" id="accounts-note">showing the top {len(shown):,} of '
            f"{len(ranked):,} accounts by risk</p>\n"
        )
    body = "".join(
        "<tr>"
        f'<td class="id">{_esc(a["account_id"])}</td>'
        f"<td>{_badge(str(a['verdict']))}</td>"
        f'<td class="num">{_fmt_risk(a["risk"])}</td>'
        f'<td class="num">{_fmt_int(a["n"])}</td>'
        f'<td class="num">{_esc(_fmt_ts(a["first_ts"]))}</td>'
        f'<td class="num">{_esc(_fmt_ts(a["last_ts"]))}</td>'
        "</tr>\n"
        for a in shown
    )
    return (
        f'{note}<div class="scroll"><table id="account-table">\n<thead><tr><th>account</th>'
        '<th>verdict</th><th class="num">risk</th><th class="num">requests</th>'
        '<th class="num">first seen</th><th class="num">last seen</th></tr></thead>\n'
        f"<tbody>\n{body}</tbody>\n</table></div>"
    )


def _graph_notes(part: _GraphPart) -> str:
    notes = []
    if len(part.nodes) < part.total_nodes:
        notes.append(
            f"showing {len(part.nodes):,} of {part.total_nodes:,} accounts (the most connected)"
        )
    if len(part.edges) < part.total_edges:
        notes.append(f"showing {len(part.edges):,} of {part.total_edges:,} links (the heaviest)")
    if part.unknown_edges:
        notes.append(
            f"{part.unknown_edges:,} links name accounts missing from the account table "
            "and are not drawn"
        )
    text = (
        "; ".join(notes) if notes else (f"{len(part.nodes):,} accounts, {len(part.edges):,} links")
    )
    return (
        f'<p class="note" id="graph-note">{_esc(text)}. Node size: requests; colour: '
        "verdict. Click a legend entry to hide it.</p>"
    )


def _report_page(view: CampaignView, *, max_nodes: int, max_edges: int, max_accounts: int) -> str:
    accounts = view.accounts.select(list(ACCOUNT_COLUMNS)).to_pylist()
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
    part = _select_graph(accounts, view.edges, max_nodes, max_edges)
    # Same link-type colours order as the evidence table ranks them.
    link_types = _top_link_types(view.evidence, k=view.evidence.num_rows)

    timeline = _figure_html(_timeline_figure(view.timeline), "dg-timeline")
    capabilities = _figure_html(_capability_figure(view.capabilities), "dg-capabilities")
    graph = _figure_html(_graph_figure(part, link_types), "dg-graph")
    body = "\n".join(
        [
            _header(view),
            '<div class="row">',
            f'<section class="card" id="timeline"><h2>Traffic per hour</h2>\n{timeline}\n'
            "</section>",
            f'<section class="card" id="capabilities"><h2>Capability mix</h2>\n{capabilities}\n'
            "</section>",
            "</div>",
            f'<section class="card" id="graph"><h2>Account graph</h2>\n{_graph_notes(part)}\n'
            f"{graph}\n</section>",
            '<section class="card" id="evidence"><h2>Evidence</h2>\n'
            f"{_evidence_table(view.evidence)}\n</section>",
            '<section class="card" id="accounts"><h2>Accounts</h2>\n'
            f"{_account_table(accounts, max_accounts)}\n</section>",
            f"<footer>distillguard campaign report · {_esc(view.campaign_id)}</footer>",
        ]
    )
    return _page(f"Campaign {view.campaign_id} · distillguard", body, with_plotly=True)


def _index_page(views: Sequence[CampaignView]) -> str:
    ranked = sorted(views, key=lambda v: (-v.score, v.campaign_id))
    rows = []
    for v in ranked:
        s = v.summary
        href = _esc(f"{v.campaign_id}.html")
        rows.append(
            "<tr>"
            f'<td class="id"><a href="{href}">{_esc(v.campaign_id)}</a></td>'
            f'<td class="num"><span class="badge {_score_class(v.score)}">{v.score:.2f}</span></td>'
            f'<td class="num">{_fmt_int(s["n_accounts"])}</td>'
            f'<td class="num">{_fmt_int(s["n_events"])}</td>'
            f'<td class="num">{_esc(_fmt_ts(s["first_ts"]))}</td>'
            f'<td class="num">{_esc(_fmt_span(s["first_ts"], s["last_ts"]))}</td>'
            f"<td>{_esc(', '.join(_top_link_types(v.evidence)))}</td>"
            "</tr>\n"
        )
    body_rows = "".join(rows) or '<tr><td colspan="7">no campaigns detected</td></tr>\n'
    n_accounts = sum(int(v.summary["n_accounts"] or 0) for v in views)  # type: ignore[call-overload]
    body = (
        '<section class="card"><h1>Distillation campaigns</h1>\n'
        f'<p class="note">{len(views):,} campaigns, {n_accounts:,} accounts, riskiest first.</p>\n'
        '<table id="campaign-table">\n<thead><tr><th>campaign</th><th class="num">risk</th>'
        '<th class="num">accounts</th><th class="num">requests</th>'
        '<th class="num">first seen</th><th class="num">span</th><th>top link types</th>'
        f"</tr></thead>\n<tbody>\n{body_rows}</tbody>\n</table>\n</section>"
    )
    return _page("Distillation campaigns · distillguard", body, with_plotly=False)
