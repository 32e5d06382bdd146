"""The account graph of a campaign report, readable at 5 accounts and at 5,000.

Two drawings, chosen by size:

- **Accounts** (up to ``max_nodes``): one node per account, one line colour per link
  type.  A dense campaign links nearly every pair (80 accounts behind one proxy pool
  are 3,160 pairs per link type), which draws as a solid disc; so each account keeps
  its ``neighbours`` strongest links *of each type* (a backbone), and the note says
  how many links that leaves out.  Hovering a node shows the account; hovering the
  middle of a link shows the pair and every type that joins it.
- **Groups** (beyond ``max_nodes``): accounts are collapsed into groups (Leiden on the
  campaign's own links, seeded), one node per group sized by its accounts, one line per
  link type between two groups (side by side), and a hover that lists the group's
  verdicts, requests and the links inside it.  The account table names each
  account's group.

Both state the link counts the same way, for the whole campaign: distinct account
pairs per link type and distinct pairs over all types (a pair that shares an
address and a template is one pair, linked twice).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import igraph
import numpy as np
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.reports.formatting import (
    VERDICT_ORDER,
    esc,
    fmt_int,
    fmt_risk,
    link_colours,
    plural,
    verdict_colour,
)

_LAYOUT_SEED: Final = 20240611
# Fruchterman-Reingold is O(n^2) per iteration; DrL scales to large graphs.
_FR_MAX_NODES: Final = 1000

I64 = np.ndarray[Any, np.dtype[np.int64]]
F64 = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class LinkFacts:
    """The campaign's links, de-duplicated, as integer pairs ``a < b`` per type."""

    ids: list[str]  # account ids; a node is an index into this list
    types: list[str]  # link types, strongest evidence first
    t: I64  # per unique (type, pair): type index
    a: I64
    b: I64
    w: F64  # summed weight of that type on that pair
    unknown_edges: int  # links naming an account missing from the account table
    rows: int  # drawable link rows as given (before de-duplication)

    @property
    def n(self) -> int:
        return len(self.ids)

    def pair_keys(self) -> I64:
        out: I64 = self.a * max(self.n, 1) + self.b
        return out

    @property
    def pairs(self) -> int:
        """Distinct account pairs, over all link types."""
        return len(np.unique(self.pair_keys()))

    def per_type(self) -> dict[str, int]:
        """Distinct account pairs per link type, in :attr:`types` order."""
        counts = np.bincount(self.t, minlength=len(self.types))
        return {lt: int(counts[i]) for i, lt in enumerate(self.types)}

    def degree_by_type(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """``[node, type]`` -> distinct neighbours linked by that type."""
        out = np.zeros((self.n, len(self.types)), dtype=np.int64)
        np.add.at(out, (self.a, self.t), 1)
        np.add.at(out, (self.b, self.t), 1)
        return out


def link_facts(ids: Sequence[str], edges: pa.Table, type_order: Sequence[str]) -> LinkFacts:
    """De-duplicate ``edges`` (``src, dst, link_type, weight``) among accounts ``ids``.

    Links in either direction, repeated, or of a type missing from ``type_order`` are
    all accepted: a pair counts once per type and its weights add up.
    """
    id_arr = pa.array(list(ids), pa.string())
    src = pc.index_in(pc.cast(edges.column("src"), pa.string()), value_set=id_arr)
    dst = pc.index_in(pc.cast(edges.column("dst"), pa.string()), value_set=id_arr)
    known = pc.fill_null(pc.and_(pc.is_valid(src), pc.is_valid(dst)), False)
    unknown = edges.num_rows - int(pc.sum(pc.cast(known, pa.int64())).as_py() or 0)
    s = src.filter(known).to_numpy(zero_copy_only=False).astype(np.int64)
    d = dst.filter(known).to_numpy(zero_copy_only=False).astype(np.int64)
    lt = pc.fill_null(pc.cast(edges.column("link_type"), pa.string()), "unknown").filter(known)
    weight = pc.fill_null(pc.cast(edges.column("weight"), pa.float64()), 0.0).filter(known)
    w = weight.to_numpy(zero_copy_only=False).astype(np.float64)
    loop = s == d
    s, d, w = s[~loop], d[~loop], w[~loop]
    names = lt.filter(pa.array(~loop)).to_pylist() if loop.any() else lt.to_pylist()
    present = set(names)
    types = [x for x in type_order if x in present] + sorted(present - set(type_order))
    code = {x: i for i, x in enumerate(types)}
    t = np.array([code[x] for x in names], dtype=np.int64)
    a, b = np.minimum(s, d), np.maximum(s, d)
    n = max(len(ids), 1)
    key = (t * n + a) * n + b
    uniq, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=w, minlength=len(uniq))
    return LinkFacts(
        ids=list(ids),
        types=types,
        t=(uniq // (n * n)).astype(np.int64),
        a=((uniq // n) % n).astype(np.int64),
        b=(uniq % n).astype(np.int64),
        w=summed.astype(np.float64),
        unknown_edges=unknown,
        rows=len(s),
    )


@dataclass(frozen=True)
class GraphDrawing:
    """The figure, what it shows, and what the page should say about it."""

    mode: Literal["accounts", "groups"]
    figure: go.Figure
    facts: LinkFacts
    #: Sentences about what is drawn (plain text; the page escapes it).
    notes: list[str]
    #: Account id -> group label (groups mode only).
    group_of: dict[str, str] = field(default_factory=dict)
    drawn_links: int = 0


@contextmanager
def seeded_igraph(seed: int) -> Iterator[None]:
    # igraph draws from the `random` module by default; a private generator keeps
    # layouts and communities reproducible without touching the caller's state.
    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _layout(
    n: int, pairs: list[tuple[int, int]], weights: list[float]
) -> list[tuple[float, float]]:
    if n == 0:
        return []
    if n == 1:
        return [(0.0, 0.0)]
    graph = igraph.Graph(n=n, edges=pairs)
    with seeded_igraph(_LAYOUT_SEED):
        if n <= _FR_MAX_NODES:
            layout = graph.layout_fruchterman_reingold(
                weights=weights or None, niter=500, grid="nogrid"
            )
        else:
            layout = graph.layout_drl(weights=weights or None)
    # Rounded so that float noise in the last bits cannot change the page bytes.
    return [(round(float(x), 3), round(float(y), 3)) for x, y in layout.coords]


def _backbone(f: LinkFacts, neighbours: int, max_links: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which unique links to draw: each node's ``neighbours`` strongest per type,
    then at most ``max_links``, shared fairly between the types."""
    keep = np.zeros(len(f.t), dtype=bool)
    for ti in range(len(f.types)):
        idx = np.flatnonzero(f.t == ti)
        if len(idx) == 0:
            continue
        node = np.concatenate([f.a[idx], f.b[idx]])
        other = np.concatenate([f.b[idx], f.a[idx]])
        w = np.concatenate([f.w[idx], f.w[idx]])
        which = np.concatenate([idx, idx])
        # Ties (a proxy pool links everyone equally) go to the next accounts in a
        # ring, not to the lowest ids: otherwise every account picks the same few
        # and the drawing becomes a star around them.
        ring = (other - node) % max(f.n, 1)
        order = np.lexsort((ring, -w, node))
        node_sorted = node[order]
        starts = np.searchsorted(node_sorted, node_sorted, side="left")
        rank = np.arange(len(order)) - starts
        keep[which[order[rank < neighbours]]] = True
    if int(keep.sum()) <= max_links:
        return keep
    # Fair shares: the weakest types must not vanish behind the strongest.
    share = max(1, max_links // max(1, len(f.types)))
    capped = np.zeros_like(keep)
    for ti in range(len(f.types)):
        idx = np.flatnonzero(keep & (f.t == ti))
        order = np.lexsort((f.b[idx], f.a[idx], -f.w[idx]))
        capped[idx[order[:share]]] = True
    return capped


def _base_layout(height: int) -> dict[str, Any]:
    from distillguard.reports.formatting import FONT

    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    return {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 36, "b": 8},
        "font": {"family": FONT, "size": 12, "color": "#263238"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "modebar": {"bgcolor": "rgba(0,0,0,0)", "color": "#b0bec5", "activecolor": "#455a64"},
        "xaxis": hidden,
        # No fixed aspect ratio: a force layout has no meaningful axes, and the
        # stretched layout uses the page width instead of leaving it blank.
        "yaxis": hidden,
        "legend": {"x": 1.0, "xanchor": "left", "y": 1.0, "groupclick": "toggleitem"},
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
    }


def _link_name(lt: str, pairs: int) -> str:
    return f"{lt} \u00b7 {plural(pairs, 'pair')}"


def draw_graph(
    accounts: Sequence[Mapping[str, Any]],
    edges: pa.Table,
    type_order: Sequence[str],
    *,
    max_nodes: int = 150,
    max_links: int = 1500,
    neighbours: int = 4,
    max_groups: int = 30,
) -> GraphDrawing:
    """The account graph of ``accounts`` (rows with ``account_id, verdict, risk, n``)."""
    ids = [str(a["account_id"]) for a in accounts]
    facts = link_facts(ids, edges, type_order)
    if len(ids) <= max_nodes:
        return _draw_accounts(accounts, facts, max_links=max_links, neighbours=neighbours)
    return _draw_groups(accounts, facts, max_groups=max_groups)


def count_notes(f: LinkFacts) -> list[str]:
    """The whole campaign's link counts, as the page states them."""
    notes = [
        f"{plural(f.n, 'account')}; {plural(f.pairs, 'distinct linked pair')} "
        f"({plural(sum(f.per_type().values()), 'link')} of {plural(len(f.types), 'type')}: "
        "a pair joined by several types counts once per type)"
    ]
    if f.unknown_edges:
        notes.append(
            f"{plural(f.unknown_edges, 'link')} name accounts missing from the account "
            "table and are not counted or drawn"
        )
    return notes


def _draw_accounts(
    accounts: Sequence[Mapping[str, Any]], f: LinkFacts, *, max_links: int, neighbours: int
) -> GraphDrawing:
    keep = _backbone(f, neighbours, max_links)
    per_type = f.per_type()
    colours = link_colours(f.types)
    drawn = np.flatnonzero(keep)
    pair_w: dict[tuple[int, int], float] = {}
    pair_types: dict[tuple[int, int], list[int]] = {}
    for i in drawn.tolist():
        p = (int(f.a[i]), int(f.b[i]))
        pair_w[p] = pair_w.get(p, 0.0) + float(f.w[i])
        pair_types.setdefault(p, []).append(int(f.t[i]))
    pairs = sorted(pair_w)
    coords = _layout(f.n, pairs, [max(pair_w[p], 1e-3) for p in pairs])
    fig = go.Figure()
    # Strongest evidence is drawn last, on top of the weaker types.
    for ti in reversed(range(len(f.types))):
        idx = drawn[f.t[drawn] == ti]
        xs: list[float | None] = []
        ys: list[float | None] = []
        for i in idx.tolist():
            (x0, y0), (x1, y1) = coords[int(f.a[i])], coords[int(f.b[i])]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        lt = f.types[ti]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=_link_name(lt, per_type[lt]),
                line={"color": colours[lt], "width": 1.4},
                opacity=0.6,
                hoverinfo="skip",
                legendgroup="links",
                legendgrouptitle={"text": "link type"},
                legendrank=ti,
            )
        )
    if pairs:
        fig.add_trace(
            go.Scatter(
                x=[(coords[a][0] + coords[b][0]) / 2 for a, b in pairs],
                y=[(coords[a][1] + coords[b][1]) / 2 for a, b in pairs],
                mode="markers",
                marker={"size": 7, "color": "rgba(0,0,0,0)"},
                text=[
                    f"{esc(f.ids[a])} \u2194 {esc(f.ids[b])}<br>"
                    + ", ".join(f.types[t] for t in sorted(pair_types[(a, b)]))
                    + f"<br>weight {pair_w[(a, b)]:.2f}"
                    for a, b in pairs
                ],
                hoverinfo="text",
                showlegend=False,
                name="links",
            )
        )
    degree = f.degree_by_type()
    max_n = max([int(a.get("n") or 0) for a in accounts] + [1])
    # Crowded graphs get smaller markers so the dense core stays legible.
    span = 20 * min(1.0, math.sqrt(100 / max(len(accounts), 1)))
    verdicts = [v for v in VERDICT_ORDER if any(str(a["verdict"]) == v for a in accounts)]
    verdicts += sorted({str(a["verdict"]) for a in accounts} - set(VERDICT_ORDER))
    index = {aid: i for i, aid in enumerate(f.ids)}
    for vi, verdict in enumerate(verdicts):
        group = [a for a in accounts if str(a["verdict"]) == verdict]
        rows = [index[str(a["account_id"])] for a in group]

        def links_of(i: int) -> str:
            parts = [
                f"{f.types[t]} {int(degree[i, t])}" for t in range(len(f.types)) if degree[i, t]
            ]
            return ", ".join(parts) or "none"

        fig.add_trace(
            go.Scatter(
                x=[coords[i][0] for i in rows],
                y=[coords[i][1] for i in rows],
                mode="markers",
                name=f"{verdict} ({len(group):,})",
                marker={
                    # Area, not radius, tracks volume: sqrt keeps big harvesters readable.
                    "size": [
                        round(6 + span * math.sqrt(int(a.get("n") or 0) / max_n), 1) for a in group
                    ],
                    "color": verdict_colour(verdict),
                    "opacity": 1.0,
                    "line": {"color": "#ffffff", "width": 0.8},
                },
                # Plotly renders a subset of HTML in hover labels: escape the ids.
                text=[
                    f"<b>{esc(a['account_id'])}</b><br>verdict: {esc(verdict)}"
                    f"<br>risk: {fmt_risk(a.get('risk'))}<br>requests: {fmt_int(a.get('n'))}"
                    f"<br>linked accounts by type: {links_of(i)}"
                    for a, i in zip(group, rows, strict=True)
                ],
                hoverinfo="text",
                legendgroup="verdicts",
                legendgrouptitle={"text": "verdict (node size: requests)"},
                legendrank=100 + vi,
            )
        )
    fig.update_layout(**_base_layout(640))
    notes = count_notes(f)
    total = len(f.t)
    if len(drawn) < total:
        notes.append(
            f"drawn: each account's {neighbours} strongest links of each type, "
            f"{len(drawn):,} of {total:,} links; hover a link's middle for its pair"
        )
    return GraphDrawing(mode="accounts", figure=fig, facts=f, notes=notes, drawn_links=len(drawn))


def _groups(f: LinkFacts, max_groups: int) -> tuple[I64, list[int], int]:
    """Group index per node (0 = largest), each group's size, and how many groups
    Leiden found.

    Leiden (modularity) on the summed links, seeded; groups beyond ``max_groups - 1``
    are pooled into one last group, so the drawing never has more than ``max_groups``.
    """
    n = f.n
    if len(f.t) == 0:
        membership = np.arange(n)
    else:
        keys = f.pair_keys()
        uniq, inverse = np.unique(keys, return_inverse=True)
        weights = np.bincount(inverse.ravel(), weights=f.w, minlength=len(uniq))
        graph = igraph.Graph(
            n=n, edges=np.stack([uniq // n, uniq % n], axis=1).tolist(), directed=False
        )
        with seeded_igraph(_LAYOUT_SEED):
            part = graph.community_leiden(
                objective_function="modularity",
                weights=np.maximum(weights, 1e-6).tolist(),
                n_iterations=-1,
            )
        membership = np.asarray(part.membership, dtype=np.int64)
    sizes = np.bincount(membership)
    # Largest first; ties by the smallest member, so labels do not depend on Leiden ids.
    first = np.full(len(sizes), n, dtype=np.int64)
    np.minimum.at(first, membership, np.arange(n))
    order = np.lexsort((first, -sizes))
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[order] = np.arange(len(sizes))
    group = rank[membership]
    if len(sizes) > max_groups:
        group = np.minimum(group, max_groups - 1)
    out_sizes = np.bincount(group).tolist()
    return group.astype(np.int64), [int(s) for s in out_sizes], len(sizes)


def _draw_groups(
    accounts: Sequence[Mapping[str, Any]], f: LinkFacts, *, max_groups: int
) -> GraphDrawing:
    group, sizes, n_found = _groups(f, max_groups)
    k = len(sizes)
    pooled = n_found > k
    labels = [f"G{i + 1}" for i in range(k)]
    if pooled:
        labels[-1] = f"G{k} (smaller groups pooled)"
    per_type = f.per_type()
    colours = link_colours(f.types)
    ga, gb = group[f.a], group[f.b]
    inside = ga == gb
    inside_counts = np.zeros((k, len(f.types)), dtype=np.int64)
    np.add.at(inside_counts, (ga[inside], f.t[inside]), 1)
    lo, hi = np.minimum(ga, gb)[~inside], np.maximum(ga, gb)[~inside]
    between_t = f.t[~inside]
    between: dict[tuple[int, int], dict[int, int]] = {}
    if len(lo):
        key = (lo * k + hi) * len(f.types) + between_t
        uniq, counts = np.unique(key, return_counts=True)
        for u, c in zip(uniq.tolist(), counts.tolist(), strict=True):
            t = u % len(f.types)
            pair = (u // len(f.types) // k, u // len(f.types) % k)
            between.setdefault(pair, {})[t] = c
    pairs = sorted(between)
    coords = _layout(k, pairs, [math.log1p(sum(between[p].values())) for p in pairs])
    xs_all = [c[0] for c in coords] or [0.0]
    ys_all = [c[1] for c in coords] or [0.0]
    extent = max(max(xs_all) - min(xs_all), max(ys_all) - min(ys_all), 1.0)
    gap = 0.005 * extent
    fig = go.Figure()
    segments: dict[int, tuple[list[float | None], list[float | None]]] = {}
    for g, h in pairs:
        (x0, y0), (x1, y1) = coords[g], coords[h]
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy) or 1.0
        px, py = -dy / norm, dx / norm
        types_here = sorted(between[(g, h)])
        for j, t in enumerate(types_here):
            off = (j - (len(types_here) - 1) / 2) * gap
            xs, ys = segments.setdefault(t, ([], []))
            xs += [x0 + px * off, x1 + px * off, None]
            ys += [y0 + py * off, y1 + py * off, None]
    for t in reversed(range(len(f.types))):
        if t not in segments:
            continue
        lt = f.types[t]
        fig.add_trace(
            go.Scatter(
                x=segments[t][0],
                y=segments[t][1],
                mode="lines",
                name=_link_name(lt, per_type[lt]),
                line={"color": colours[lt], "width": 2.5},
                opacity=0.75,
                hoverinfo="skip",
                legendgroup="links",
                legendgrouptitle={"text": "link type (pairs in all; lines between groups)"},
                legendrank=t,
            )
        )
    if pairs:
        fig.add_trace(
            go.Scatter(
                x=[(coords[g][0] + coords[h][0]) / 2 for g, h in pairs],
                y=[(coords[g][1] + coords[h][1]) / 2 for g, h in pairs],
                mode="markers",
                marker={"size": 9, "color": "rgba(0,0,0,0)"},
                text=[
                    f"{labels[g]} \u2194 {labels[h]}<br>"
                    + "<br>".join(
                        f"{f.types[t]}: {plural(c, 'pair')}"
                        for t, c in sorted(between[(g, h)].items())
                    )
                    for g, h in pairs
                ],
                hoverinfo="text",
                showlegend=False,
                name="links between groups",
            )
        )
    # Group facts: verdict mix, requests, riskiest members.
    index = {aid: i for i, aid in enumerate(f.ids)}
    verdict_mix: list[dict[str, int]] = [{} for _ in range(k)]
    requests = [0] * k
    members: list[list[Mapping[str, Any]]] = [[] for _ in range(k)]
    for a in accounts:
        g = int(group[index[str(a["account_id"])]])
        v = str(a["verdict"])
        verdict_mix[g][v] = verdict_mix[g].get(v, 0) + 1
        requests[g] += int(a.get("n") or 0)
        members[g].append(a)

    def majority(g: int) -> str:
        mix = verdict_mix[g]
        return max(sorted(mix), key=lambda v: (mix[v], -_verdict_rank(v)))

    max_size = max(sizes) if sizes else 1
    order = list(VERDICT_ORDER) + sorted({majority(g) for g in range(k)} - set(VERDICT_ORDER))
    for vi, verdict in enumerate(order):
        gs = [g for g in range(k) if majority(g) == verdict]
        if not gs:
            continue

        def hover(g: int) -> str:
            mix = ", ".join(
                f"{c:,} {esc(v)}"
                for v, c in sorted(verdict_mix[g].items(), key=lambda x: _verdict_rank(x[0]))
            )
            links = "<br>".join(
                f"&nbsp;&nbsp;{f.types[t]}: {plural(int(inside_counts[g, t]), 'pair')}"
                for t in range(len(f.types))
                if inside_counts[g, t]
            )
            top = sorted(members[g], key=lambda a: (-(a.get("risk") or 0.0), -(a.get("n") or 0)))
            names = ", ".join(esc(a["account_id"]) for a in top[:3])
            more = f" and {len(top) - 3:,} more" if len(top) > 3 else ""
            return (
                f"<b>{esc(labels[g])}</b>: {plural(sizes[g], 'account')} ({mix})"
                f"<br>{fmt_int(requests[g])} requests"
                f"<br>links inside:<br>{links or '&nbsp;&nbsp;none'}"
                f"<br>riskiest: {names}{more}"
            )

        fig.add_trace(
            go.Scatter(
                x=[coords[g][0] for g in gs],
                y=[coords[g][1] for g in gs],
                mode="markers+text",
                name=f"{verdict} (most members of {plural(len(gs), 'group')})",
                marker={
                    "size": [round(16 + 44 * math.sqrt(sizes[g] / max_size), 1) for g in gs],
                    "color": verdict_colour(verdict),
                    "opacity": 1.0,
                    "line": {"color": "#ffffff", "width": 1.5},
                },
                text=[f"G{g + 1} \u00b7 {sizes[g]:,}" for g in gs],
                textposition="top center",
                hovertext=[hover(g) for g in gs],
                hoverinfo="text",
                legendgroup="verdicts",
                legendgrouptitle={"text": "group (majority verdict; size: accounts)"},
                legendrank=100 + vi,
            )
        )
    fig.update_layout(**_base_layout(640))
    notes = count_notes(f)
    pooled_note = f", the smallest pooled into G{k}" if pooled else ""
    notes.append(
        f"{len(accounts):,} accounts are too many to draw one by one: shown as "
        f"{plural(k, 'group')} of linked accounts (Leiden on this campaign's "
        f"links{pooled_note}), a line per link type between two groups; hover a group for "
        "its verdicts and the links inside it. The account table names each account's group"
    )
    group_of = {aid: f"G{int(group[i]) + 1}" for i, aid in enumerate(f.ids)}
    return GraphDrawing(
        mode="groups",
        figure=fig,
        facts=f,
        notes=notes,
        group_of=group_of,
        drawn_links=sum(len(v) for v in between.values()),
    )


def _verdict_rank(v: str) -> int:
    return VERDICT_ORDER.index(v) if v in VERDICT_ORDER else len(VERDICT_ORDER)


__all__ = ["GraphDrawing", "LinkFacts", "count_notes", "draw_graph", "link_facts", "seeded_igraph"]
