"""Find campaigns: link accounts, cluster the account graph, score each group's traffic.

1. **Link.** Every registered linker (:mod:`distillguard.campaigns.links`) lists the
   pairs of accounts that share one kind of evidence (addresses, networks, payment,
   rare client software, sign-up bursts, templates, near-duplicate prompts,
   synchronised activity).  A pair's edge weight is the sum over link types of the
   linker's weight times its strength, saturated at 1 per type so that no single kind
   of sharing dominates.
2. **Cluster.** Leiden community detection (igraph, modularity, weighted) splits the
   graph into groups.
3. **Score the group, not only its members.**  A group's profile is the merge of its
   members' profile parts (the same mergeable summaries an account has), scored by
   the same function as an account.  Pooled over hundreds of quiet accounts, a
   harvest that is invisible per account is loud: 25% chain-of-thought elicitation
   over 40,000 requests is not chance.  A group whose merged profile scores at the
   calibrated ``restrict`` threshold or above is a **campaign**.  An organisation, a
   university or the users of one app form groups too, but their pooled traffic looks
   like the benign baseline, so they are not reported.
4. **Lift members.**  Each member's score becomes at least the campaign's score times
   its *membership*: the share of its link weight that stays inside the campaign.  A
   loosely attached account is lifted less.  This is step 2 of the verdict pipeline
   (:meth:`distillguard.scoring.verdicts.Verdicts.lift`): :func:`find_campaigns`
   finds the campaigns, the pipeline lifts and judges the accounts once.

Everything is read through the store protocol (:class:`~distillguard.store.EventStore`).

>>> CampaignConfig().flag_verdict
'restrict'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.arrowsql import query
from distillguard.campaigns.links import LinkContext, Linker, available, create
from distillguard.campaigns.links.base import HOT_KEY_SCHEMA, HotKey
from distillguard.campaigns.task_pool import TaskPoolConfig, find_task_pools
from distillguard.errors import DistillguardError
from distillguard.scoring.features import shrunk
from distillguard.scoring.risk import Calibration, ScoringConfig, score_accounts
from distillguard.scoring.verdicts import Verdicts
from distillguard.store import EventFilter, EventStore, Window

#: Columns of the link table (one row per linked pair and link type).
LINK_SCHEMA: Final = pa.schema(
    [
        ("src", pa.string()),
        ("dst", pa.string()),
        ("link_type", pa.string()),
        ("strength", pa.float64()),
        ("shared", pa.int64()),
        ("weight", pa.float64()),
    ]
)

#: Link kinds that can merge two flagged groups into one campaign.
MERGE_KINDS: Final = frozenset({"infrastructure", "behaviour"})

CAPABILITIES: Final = ("coding", "math", "reasoning", "agentic", "writing", "other")


@dataclass(frozen=True)
class CampaignConfig:
    """How accounts are linked, clustered and judged."""

    #: Linker name -> parameters (``weight`` and the linker's own); None = all, defaults.
    links: dict[str, dict[str, Any]] | None = None
    #: Smallest group reported as a campaign.
    min_accounts: int = 3
    #: A group is a campaign when its merged profile reaches this verdict.
    flag_verdict: str = "restrict"
    #: Weight of the group-level term for reasoning demanded in system prompts.
    system_cot_weight: float = 3.0
    #: Groups held together by shared content, tested on what they were served
    #: (:mod:`distillguard.campaigns.task_pool`).
    task_pool: TaskPoolConfig = field(default_factory=TaskPoolConfig)
    #: Leiden resolution (higher: smaller groups).
    resolution: float = 1.0
    #: Leiden passes over the graph, each linear in its edges.  ``-1`` (until no
    #: vertex moves) takes a number of passes that grows with the graph: on the
    #: simulated ``mixed`` scenario at 500k events it took 1.1 s where 4 passes took
    #: 0.47 s and found the same campaigns (``benchmarks/bench_campaign_linear.py``).
    leiden_iterations: int = 4
    #: Edges lighter than this are dropped before clustering.
    min_edge_weight: float = 0.02
    #: Flagged groups linked by at least this share of the smaller one's internal
    #: weight are one campaign.
    merge_ratio: float = 0.1
    #: Link weight (context-only links aside) an account needs inside a campaign to
    #: be a member.
    min_member_weight: float = 1.0
    #: Distinct kinds of (non-context) links a member needs inside its campaign: one
    #: coincidence, such as a stranger who pasted the same public prompt the
    #: operator used as cover, is not membership.
    min_member_link_types: int = 2
    #: A member needs an infrastructure or behaviour link inside its campaign
    #: (content alone is shared by evaluation teams and operators alike).
    member_needs_infrastructure: bool = True
    seed: int = 1

    def linkers(self) -> list[Linker]:
        spec = self.links if self.links is not None else {n: {} for n in available()}
        out = []
        for name, params in spec.items():
            linker = create(name, **params)
            problems = linker.check()
            if problems:
                f, msg = problems[0]
                raise DistillguardError(f"linker {name}: {msg}", field=f"links.{name}.{f}")
            out.append(linker)
        return out


@dataclass
class CampaignResult:
    """Campaigns found, the accounts table with campaign columns, and the evidence."""

    campaigns: pa.Table
    accounts: pa.Table
    links: pa.Table
    #: account_id, group_id of every clustered account (campaigns and benign groups).
    groups: pa.Table
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class CampaignFinding:
    """Campaigns found, before any account is judged (see :func:`find_campaigns`)."""

    #: One row per campaign (:data:`CAMPAIGN_SCHEMA`).
    campaigns: pa.Table
    #: ``account_id, group_id, membership`` of every campaign member.
    members: pa.Table
    #: ``account_id`` (the campaign id), ``score``: each campaign scored as one account.
    scores: pa.Table
    links: pa.Table
    #: account_id, group_id of every clustered account (campaigns and benign groups).
    groups: pa.Table
    timings: dict[str, float] = field(default_factory=dict)
    #: Keys held by more accounts than their linker's cap, linked in rings
    #: (:data:`~distillguard.campaigns.links.base.HOT_KEY_SCHEMA`).
    hot_keys: pa.Table = field(default_factory=HOT_KEY_SCHEMA.empty_table)

    def lift(self, verdicts: Verdicts) -> None:
        """Step 2 of the verdict pipeline: lift the members in ``verdicts``."""
        verdicts.lift(self.members, self.scores)

    def result(self, accounts: pa.Table) -> CampaignResult:
        """With the judged ``accounts`` table (which has the campaign columns)."""
        return CampaignResult(self.campaigns, accounts, self.links, self.groups, self.timings)


def build_links(
    store: EventStore,
    linkers: Sequence[Linker],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    on_step: Callable[[str], None] | None = None,
    hot_keys: list[HotKey] | None = None,
) -> pa.Table:
    """Every linker's pairs, as :data:`LINK_SCHEMA` (``weight`` = linker weight x strength).

    The keys linked in rings rather than cliques are appended to ``hot_keys``.
    """
    ctx = LinkContext.read(store, Window(start, end))
    parts = []
    for linker in linkers:
        if on_step is not None:
            on_step(linker.name)
        pairs = linker.pairs(ctx)
        if pairs.num_rows == 0:
            continue
        strength = pc.min_element_wise(pairs["strength"], pa.scalar(1.0))
        parts.append(
            pa.table(
                {
                    "src": pairs["src"],
                    "dst": pairs["dst"],
                    "link_type": pa.array([linker.name] * pairs.num_rows, pa.string()),
                    "strength": pairs["strength"],
                    "shared": pairs["shared"],
                    "weight": pc.multiply(strength, pa.scalar(float(linker.weight))),
                }
            )
        )
    if hot_keys is not None:
        hot_keys.extend(ctx.hot_keys)
    if not parts:
        return LINK_SCHEMA.empty_table()
    # DuckDB returns grouped rows in any order; a fixed order makes the graph, and
    # so Leiden's groups and every float sum, repeatable.
    links = pa.concat_tables(parts).cast(LINK_SCHEMA)
    return links.sort_by([("src", "ascending"), ("dst", "ascending"), ("link_type", "ascending")])


def cluster(links: pa.Table, cfg: CampaignConfig) -> tuple[pa.Table, pa.Table]:
    """Leiden groups of the weighted account graph.

    Returns ``(groups, edges)``: ``account_id, group_id, membership`` for accounts in
    groups of at least ``cfg.min_accounts``, and the summed edges ``src, dst, weight``.
    """
    empty_groups = pa.table(
        {
            "account_id": pa.array([], pa.string()),
            "group_id": pa.array([], pa.string()),
            "membership": pa.array([], pa.float64()),
        }
    )
    if links.num_rows == 0:
        return empty_groups, pa.table({"src": [], "dst": [], "weight": []})
    edges = _summed(links)
    edges = edges.filter(pc.greater_equal(edges["weight"], cfg.min_edge_weight))
    if edges.num_rows == 0:
        return empty_groups, edges
    # Hashing, not sorting, the link ends: sorting millions of Python strings was the
    # costliest step of clustering.  Only the distinct accounts are sorted (group ids
    # hash each group's smallest account id).
    ends = pa.chunked_array([*edges["src"].chunks, *edges["dst"].chunks], pa.string())
    distinct = pc.unique(ends)
    sorted_names = distinct.take(pc.sort_indices(distinct))
    names = np.array(sorted_names.to_pylist(), dtype=object)
    codes = _codes(ends, sorted_names)
    m = edges.num_rows
    pairs = np.stack([codes[:m], codes[m:]], axis=1)
    weights = edges["weight"].to_numpy()
    full = _leiden(len(names), pairs, weights, cfg)
    # Operators are told apart by their machines: within each group of the full
    # graph, accounts whose infrastructure/behaviour links put them in different
    # groups are split.  Content links alone join accounts that share no machine
    # with anyone (a group with no infrastructure in common stays whole).
    infra_links = links.filter(pc.is_in(links["link_type"], pa.array(_merge_types(), pa.string())))
    infra = np.full(len(names), -1)
    if infra_links.num_rows:
        ie = _summed(infra_links)
        ie = ie.filter(pc.greater_equal(ie["weight"], cfg.min_edge_weight))
        if ie.num_rows:
            s_idx = _codes(ie["src"], sorted_names)
            d_idx = _codes(ie["dst"], sorted_names)
            part_i = _leiden(
                len(names), np.stack([s_idx, d_idx], axis=1), ie["weight"].to_numpy(), cfg
            )
            has_edge = np.zeros(len(names), dtype=bool)
            has_edge[s_idx] = has_edge[d_idx] = True
            big = np.bincount(part_i[has_edge], minlength=part_i.max() + 1) >= cfg.min_accounts
            infra = np.where(has_edge & big[part_i], part_i, -1)
    _, member = np.unique(np.stack([full, infra], axis=1), axis=0, return_inverse=True)
    member = member.ravel()
    sizes = np.bincount(member)
    # Membership: the share of an account's link weight that stays inside its group.
    inside = member[pairs[:, 0]] == member[pairs[:, 1]]
    tot = np.bincount(pairs.ravel(), weights=np.repeat(weights, 2), minlength=len(names))
    inw = np.bincount(
        pairs[inside].ravel(), weights=np.repeat(weights[inside], 2), minlength=len(names)
    )
    share = np.divide(inw, tot, out=np.zeros_like(tot), where=tot > 0)
    keep = sizes[member] >= cfg.min_accounts
    group_ids = _group_ids(names, member)
    groups = pa.table(
        {
            "account_id": pa.array(names[keep], pa.string()),
            "group_id": pa.array(group_ids[keep], pa.string()),
            "membership": pa.array(share[keep], pa.float64()),
        }
    )
    return groups, edges


def _summed(links: pa.Table) -> pa.Table:
    """One edge per pair, weights summed over link types, in a fixed order."""
    edges = (
        links.group_by(["src", "dst"], use_threads=False)
        .aggregate([("weight", "sum")])
        .rename_columns(["src", "dst", "weight"])
    )
    return edges.sort_by([("src", "ascending"), ("dst", "ascending")])


def _content_types() -> frozenset[str]:
    from distillguard.campaigns.links import REGISTRY

    return frozenset(n for n, c in REGISTRY.items() if c.kind == "content")


def _merge_types() -> list[str]:
    from distillguard.campaigns.links import REGISTRY

    return sorted(n for n, c in REGISTRY.items() if c.kind in MERGE_KINDS)


def _leiden(n: int, pairs: np.ndarray, weights: np.ndarray, cfg: CampaignConfig) -> np.ndarray:
    """Leiden (modularity) membership of ``n`` vertices, seeded for repeatable groups."""
    g = ig.Graph(n=n, edges=pairs.tolist(), directed=False)
    g.es["weight"] = weights.tolist()
    # igraph draws from Python's random module.
    state = random.getstate()
    random.seed(cfg.seed)
    try:
        part = g.community_leiden(
            objective_function="modularity",
            weights="weight",
            resolution=cfg.resolution,
            n_iterations=cfg.leiden_iterations,
        )
    finally:
        random.setstate(state)
    return np.asarray(part.membership)


def _group_ids(names: np.ndarray, member: np.ndarray) -> np.ndarray:
    """A stable id per group: a hash of its smallest account id (names are sorted)."""
    first: dict[int, str] = {}
    for name, gid in zip(names.tolist(), member.tolist(), strict=True):
        first.setdefault(gid, name)
    ids = {g: "cmp_" + hashlib.sha256(n.encode()).hexdigest()[:12] for g, n in first.items()}
    return np.array([ids[g] for g in member.tolist()], dtype=object)


def find_campaigns(
    store: EventStore,
    calibration: Calibration,
    *,
    cfg: CampaignConfig | None = None,
    scoring: ScoringConfig | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    on_step: Callable[[str], None] | None = None,
    profiles: pa.Table | None = None,
) -> CampaignFinding:
    """Link, cluster and score groups; return the campaigns and their members.

    ``profiles`` are the accounts' merged profiles over the same window, when the
    caller has them already (the scan does): task pools compare with them.
    """
    import time

    cfg = cfg or CampaignConfig()
    if cfg.flag_verdict not in calibration.thresholds:
        raise DistillguardError(
            f"unknown verdict {cfg.flag_verdict!r} (the calibration has "
            f"{', '.join(sorted(calibration.thresholds))})",
            field="flag_verdict",
        )
    if cfg.leiden_iterations == 0 or cfg.leiden_iterations < -1:
        raise DistillguardError(
            f"must be a positive number of passes or -1, got {cfg.leiden_iterations}",
            field="leiden_iterations",
        )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    hot: list[HotKey] = []
    links = build_links(store, cfg.linkers(), start=start, end=end, on_step=on_step, hot_keys=hot)
    hot_keys = hot_key_table(hot)
    timings["links_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    if on_step is not None:
        on_step("cluster")
    groups, _ = cluster(links, cfg)
    timings["cluster_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    if on_step is not None:
        on_step("score groups")
    threshold = calibration.thresholds[cfg.flag_verdict]
    w_sys = cfg.system_cot_weight
    window = Window(start, end)
    group_scores = _score_groups(store, groups, calibration, scoring, window, w_sys)
    flagged_ids = group_scores.filter(pc.greater_equal(group_scores["score"], threshold))[
        "account_id"
    ].to_pylist()
    members = merge_and_prune(groups, links, set(flagged_ids), cfg)
    # Merging and pruning change who is inside: score the campaigns as they now stand.
    flagged = _score_groups(store, members, calibration, scoring, window, w_sys)
    flagged = flagged.filter(pc.greater_equal(flagged["score"], threshold))
    members = members.filter(pc.is_in(members["group_id"], flagged["account_id"].cast(pa.string())))
    if cfg.task_pool.enabled:
        if on_step is not None:
            on_step("task pools")
        pools = find_task_pools(
            profiles if profiles is not None else store.profile_table(start, end),
            groups,
            links,
            _content_types(),
            threshold,
            cfg.task_pool,
            exclude=frozenset(members["account_id"].to_pylist()),
        )
        if pools.members.num_rows:
            cols = pools.flagged.column_names
            flagged = pa.concat_tables(
                [flagged.select(cols).cast(pools.flagged.schema), pools.flagged]
            )
            members = pa.concat_tables([members.cast(pools.members.schema), pools.members])
    campaigns = describe_campaigns(store, flagged, members, links, start, end, hot_keys)
    timings["score_s"] = time.perf_counter() - t2
    return CampaignFinding(
        campaigns=campaigns,
        members=members,
        scores=flagged,
        links=links,
        groups=groups,
        timings=timings,
        hot_keys=hot_keys,
    )


def hot_key_table(hot_keys: Sequence[HotKey]) -> pa.Table:
    """:data:`~distillguard.campaigns.links.base.HOT_KEY_SCHEMA` rows, most held first."""
    rows = sorted(hot_keys, key=lambda h: (-len(h.holders), h.link_type, h.key))
    return pa.table(
        {
            "link_type": pa.array([h.link_type for h in rows], pa.string()),
            "key": pa.array([h.key for h in rows], pa.string()),
            "accounts": pa.array([len(h.holders) for h in rows], pa.int64()),
            "holders": pa.array([list(h.holders) for h in rows], pa.list_(pa.string())),
        },
        schema=HOT_KEY_SCHEMA,
    )


def detect_campaigns(
    store: EventStore,
    accounts: pa.Table,
    calibration: Calibration,
    *,
    cfg: CampaignConfig | None = None,
    scoring: ScoringConfig | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    on_step: Callable[[str], None] | None = None,
) -> CampaignResult:
    """:func:`find_campaigns`, and ``accounts`` (an accounts table) with the members
    lifted and the campaign columns: the verdict pipeline resumed from that table
    (a scan runs the pipeline itself, see :mod:`distillguard.scan`)."""
    found = find_campaigns(
        store, calibration, cfg=cfg, scoring=scoring, start=start, end=end, on_step=on_step
    )
    verdicts = Verdicts.from_table(accounts, calibration)
    found.lift(verdicts)
    return found.result(verdicts.table())


def merge_and_prune(
    groups: pa.Table, links: pa.Table, flagged: set[str], cfg: CampaignConfig
) -> pa.Table:
    """Members of flagged groups, after merging groups that are one campaign and
    dropping accounts only loosely attached.

    Modularity splits one large, evenly linked network (a proxy pool shared by a
    thousand accounts) into several groups of similar size; two flagged groups are
    merged when the infrastructure and behaviour link weight between them is at
    least ``cfg.merge_ratio`` of the smaller group's internal weight of those kinds
    (content alone never merges: different operators harvest the same public sets).
    A member stays only if its link weight inside the (merged) campaign, not
    counting context-only links such as sign-up bursts,
    reaches ``cfg.min_member_weight`` and comes from at least
    ``cfg.min_member_link_types`` kinds of link: a stranger who signed up in the same
    hour, or sent one prompt the operator also sent, is not a member.  With
    ``cfg.member_needs_infrastructure`` a member also needs at least one
    infrastructure or behaviour link inside the campaign: content alone (the same
    public benchmark items, the same harness template) is what an evaluation team
    shares with an operator harvesting that benchmark, so it does not make a member.
    ``membership`` is recomputed inside the merged campaign.
    """
    from distillguard.campaigns.links import REGISTRY

    cols = {"account_id": pa.string(), "group_id": pa.string(), "membership": pa.float64()}
    empty = pa.table({k: pa.array([], t) for k, t in cols.items()})
    if not flagged or links.num_rows == 0:
        return empty
    sel = groups.filter(pc.is_in(groups["group_id"], pa.array(sorted(flagged), pa.string())))
    if sel.num_rows == 0:
        return empty
    # Array passes over the links (no Python loop per link: a large window has millions).
    # Sums run in link order, each link adding to its src then its dst, so every float
    # is what a plain loop over the links would give.
    names = sel["account_id"].combine_chunks()
    gnames, gcode = np.unique(
        np.asarray(sel["group_id"].to_numpy(zero_copy_only=False), dtype=object),
        return_inverse=True,
    )
    gcode = np.asarray(gcode, dtype=np.int64).ravel()
    si, di = _codes(links["src"], names), _codes(links["dst"], names)
    w = links["weight"].to_numpy()
    tdict = links["link_type"].combine_chunks().dictionary_encode()
    tnames = [str(t) for t in tdict.dictionary.to_pylist()]
    tcode = tdict.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    context = np.array(
        [bool(getattr(REGISTRY.get(t), "context_only", False)) for t in tnames], dtype=bool
    )[tcode]
    merging = np.array(
        [getattr(REGISTRY.get(t), "kind", "") in MERGE_KINDS for t in tnames], dtype=bool
    )[tcode]
    ga = np.where(si >= 0, gcode[np.maximum(si, 0)], -1)
    gb = np.where(di >= 0, gcode[np.maximum(di, 0)], -1)
    n_g = len(gnames)
    both = merging & (ga >= 0) & (gb >= 0)
    same = both & (ga == gb)
    within = np.bincount(ga[same], weights=w[same], minlength=n_g)
    cross = both & (ga != gb)
    lo, hi = np.minimum(ga[cross], gb[cross]), np.maximum(ga[cross], gb[cross])
    pair_code, pair_idx = np.unique(lo * n_g + hi, return_inverse=True)
    between = np.bincount(pair_idx.ravel(), weights=w[cross], minlength=len(pair_code))
    # Union-find over flagged groups (group codes follow the sorted group ids).
    parent = np.arange(n_g)

    def find(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = int(parent[g])
        return g

    for code, wt in zip(pair_code.tolist(), between.tolist(), strict=True):
        x, y = divmod(code, n_g)
        if wt >= cfg.merge_ratio * min(within[x], within[y]):
            rx, ry = find(x), find(y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)
    root = np.array([find(g) for g in range(n_g)], dtype=np.int64)
    acc_root = root[gcode]
    ma = np.where(si >= 0, acc_root[np.maximum(si, 0)], -1)
    mb = np.where(di >= 0, acc_root[np.maximum(di, 0)], -1)
    inside = (ma >= 0) & (ma == mb)
    n_acc = len(names)
    ends = np.stack([si, di], axis=1).ravel()
    w2 = np.repeat(w, 2)
    known = ends >= 0
    total = np.bincount(ends[known], weights=w2[known], minlength=n_acc)
    in2 = np.repeat(inside, 2)
    inside_w = np.bincount(ends[in2], weights=w2[in2], minlength=n_acc)
    ev2 = np.repeat(inside & ~context, 2)
    evidence_w = np.bincount(ends[ev2], weights=w2[ev2], minlength=n_acc)
    kind_codes = np.unique(ends[ev2] * max(len(tnames), 1) + np.repeat(tcode, 2)[ev2])
    kinds = np.bincount(kind_codes // max(len(tnames), 1), minlength=n_acc)
    anchor2 = np.repeat(inside & merging, 2)
    anchored = np.zeros(n_acc, dtype=bool)
    anchored[ends[anchor2]] = True
    keep = (
        (evidence_w >= cfg.min_member_weight)
        & (kinds >= cfg.min_member_link_types)
        & (anchored | (not cfg.member_needs_infrastructure))
        & (total > 0)
    )
    share = np.divide(inside_w, total, out=np.zeros_like(total), where=total > 0)
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        return empty
    out = pa.table(
        {
            "account_id": names.take(pa.array(idx)),
            "group_id": pa.array(gnames[acc_root[idx]].tolist(), pa.string()),
            "membership": pa.array(share[idx], pa.float64()),
        }
    )
    out = out.sort_by([("account_id", "ascending")])
    counts = out.group_by("group_id").aggregate([("account_id", "count")])
    big = counts.filter(pc.greater_equal(counts["account_id_count"], cfg.min_accounts))
    return out.filter(pc.is_in(out["group_id"], big["group_id"]))


def _score_groups(
    store: EventStore,
    groups: pa.Table,
    calibration: Calibration,
    scoring: ScoringConfig | None,
    window: Window,
    weight: float = 0.0,
) -> pa.Table:
    """Each group's merged profile scored like an account (``account_id`` = group id)."""
    if groups.num_rows == 0:
        # Scoring nothing would take medians of empty arrays.
        return pa.table(
            {
                "account_id": pa.array([], pa.string()),
                "risk": pa.array([], pa.float64()),
                "score": pa.array([], pa.float64()),
                "verdict": pa.array([], pa.string()),
                "reasons": pa.array([], pa.list_(pa.string())),
            }
        )
    profiles = store.profile_table(window.start, window.end, groups=groups)
    # A group's take is many accounts' take: not compared with one comparable account's.
    scored = score_accounts(profiles, calibration, scoring, take=False)
    if weight != 0 and len(scored):
        _add_system_cot(store, groups, scored, weight, window)
    return scored.table()


def _add_system_cot(
    store: EventStore, groups: pa.Table, scored: Verdicts, weight: float, window: Window
) -> None:
    """Add the group-level term for reasoning demanded in system prompts.

    One application putting "show your reasoning" in its system prompt is ordinary,
    so accounts are not scored on it; hundreds of linked accounts each carrying such
    a prompt are a harvest spread thin.  The term is the share of the group's
    *accounts* that send such a prompt: an operator puts one on every account (and may
    rotate its wording), while in a crowd of independent applications linked by
    common content a few busy apps (white-label copies of one product, say) must not
    speak for the rest by volume.
    The baseline is the share of accounts outside every group sending any such prompt.
    """
    events = store.events(
        ["account_id", "cot_elicitation_system", "cot_elicitation", "benchmark_match"],
        EventFilter(window=window),
    )
    rows = query(
        """
        WITH e AS (
            SELECT account_id,
                   cot_elicitation_system AND NOT cot_elicitation
                       AND NOT coalesce(benchmark_match, false) AS hit
            FROM events
        )
        SELECT coalesce(g.group_id, '') AS group_id, count(DISTINCT e.account_id) AS n,
               count(DISTINCT e.account_id) FILTER (WHERE hit) AS k
        FROM e LEFT JOIN sysgroups g USING (account_id) GROUP BY ALL
        """,
        what="system prompts",
        events=events,
        sysgroups=groups.select(["account_id", "group_id"]),
    ).to_pylist()
    counts = {str(r["group_id"]): (int(r["n"]), int(r["k"])) for r in rows}
    n0, k0 = counts.pop("", (0, 0))
    p0 = k0 / n0 if n0 else 0.0
    ids = scored.base["account_id"].to_pylist()
    n = np.array([counts.get(g, (0, 0))[0] for g in ids], dtype=np.float64)
    k = np.array([counts.get(g, (0, 0))[1] for g in ids], dtype=np.float64)
    term = weight * np.maximum(0.0, shrunk(k, n, p0) - p0)
    lines = {
        int(i): (
            f"{k[i] / n[i]:.0%} of its accounts send a system prompt demanding the "
            f"model's reasoning (accounts outside groups: {p0:.1%})"
        )
        for i in np.flatnonzero(term > 0.05)
    }
    scored.add_term(term, lines)


def describe_campaigns(
    store: EventStore,
    flagged: pa.Table,
    members: pa.Table,
    links: pa.Table,
    start: dt.date | None,
    end: dt.date | None,
    hot_keys: pa.Table | None = None,
) -> pa.Table:
    """One row per campaign: size, traffic, span, capabilities, tokens, evidence, reasons.

    ``hot_keys`` (:func:`hot_key_table`) held by at least two members of a campaign are
    named in its evidence: linked in a ring, they add few pairs, but an analyst needs to
    see that 1,200 accounts share one address.
    """
    cap_counts = ", ".join(
        f"count(*) FILTER (WHERE capability = '{c}') AS cap_{c}" for c in CAPABILITIES
    )
    events = store.events(
        ["account_id", "ts", "completion_tokens", "reasoning_tokens", "cot_elicitation",
         "capability"],
        EventFilter(window=Window(start, end), accounts=members["account_id"].to_pylist()),
    )  # fmt: skip
    traffic = query(
        f"""
        SELECT m.group_id, count(*) AS n_events, min(ts) AS first_ts, max(ts) AS last_ts,
               coalesce(sum(completion_tokens), 0) AS completion_tokens,
               coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens,
               count(*) FILTER (WHERE cot_elicitation) AS cot_events,
               {cap_counts}
        FROM events e JOIN cmembers m USING (account_id)
        GROUP BY m.group_id
        """,
        what="campaign traffic",
        events=events,
        cmembers=members,
    )
    by_group = {r["group_id"]: r for r in traffic.to_pylist()}
    member_of = dict(
        zip(members["account_id"].to_pylist(), members["group_id"].to_pylist(), strict=True)
    )
    evidence = _evidence(links, member_of, hot_keys)
    accounts_of: dict[str, list[str]] = {}
    for a, g in member_of.items():
        accounts_of.setdefault(g, []).append(a)
    rows = []
    for r in flagged.to_pylist():
        gid = r["account_id"]
        t = by_group.get(gid, {})
        caps = [
            {"name": c, "n": int(t.get(f"cap_{c}", 0) or 0)}
            for c in CAPABILITIES
            if t.get(f"cap_{c}")
        ]
        caps.sort(key=lambda d: -int(d["n"]))
        ev = evidence.get(gid, [])
        accts = sorted(accounts_of.get(gid, []))
        reasons = [
            f"{len(accts):,} accounts linked by "
            + ", ".join(e["link_type"] for e in ev[:4])
            + f"; {int(t.get('n_events', 0)):,} requests together",
            # Medians in account reasons compare with accounts; here they would
            # compare with other groups, which says nothing.
            *(re.sub(r" \((?:population )?median [^)]*\)", "", x) for x in r["reasons"][1:]),
            *(e["detail"] for e in ev[:4]),
        ]
        rows.append(
            {
                "campaign_id": gid,
                "score": float(r["score"]),
                "risk": float(r["risk"]),
                "verdict": r["verdict"],
                "n_accounts": len(accts),
                "accounts": accts,
                "n_events": int(t.get("n_events", 0) or 0),
                "cot_events": int(t.get("cot_events", 0) or 0),
                "first_ts": t.get("first_ts"),
                "last_ts": t.get("last_ts"),
                "completion_tokens": int(t.get("completion_tokens", 0) or 0),
                "reasoning_tokens": int(t.get("reasoning_tokens", 0) or 0),
                "capabilities": caps,
                "evidence": ev,
                "reasons": reasons,
            }
        )
    rows.sort(key=lambda d: (-float(d["score"]), str(d["campaign_id"])))
    return pa.Table.from_pylist(rows, schema=CAMPAIGN_SCHEMA)


CAMPAIGN_SCHEMA: Final = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("score", pa.float64()),
        ("risk", pa.float64()),
        ("verdict", pa.string()),
        ("n_accounts", pa.int64()),
        ("accounts", pa.list_(pa.string())),
        ("n_events", pa.int64()),
        ("cot_events", pa.int64()),
        ("first_ts", pa.timestamp("us", tz="UTC")),
        ("last_ts", pa.timestamp("us", tz="UTC")),
        ("completion_tokens", pa.int64()),
        ("reasoning_tokens", pa.int64()),
        ("capabilities", pa.list_(pa.struct([("name", pa.string()), ("n", pa.int64())]))),
        (
            "evidence",
            pa.list_(
                pa.struct(
                    [
                        ("link_type", pa.string()),
                        ("pairs", pa.int64()),
                        ("accounts", pa.int64()),
                        ("weight", pa.float64()),
                        ("detail", pa.string()),
                        (
                            "hot_keys",
                            pa.list_(
                                pa.struct(
                                    [
                                        ("key", pa.string()),
                                        ("accounts", pa.int64()),
                                        ("members", pa.int64()),
                                    ]
                                )
                            ),
                        ),
                    ]
                )
            ),
        ),
        ("reasons", pa.list_(pa.string())),
    ]
)


#: Hot keys listed per campaign and link type in the evidence (the count says the rest).
MAX_HOT_KEYS_LISTED: Final = 20


def _evidence(
    links: pa.Table, member_of: dict[str, str], hot_keys: pa.Table | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Per campaign and link type: linked pairs inside it, accounts touched, weight,
    and the hot keys its members hold.

    Vectorised over the links (one pass of array operations, no Python loop per link):
    the link table of a large window holds millions of rows.
    """
    from distillguard.campaigns.links import REGISTRY

    if links.num_rows == 0 or not member_of:
        return {}
    names = pa.array(list(member_of), pa.string())
    gnames, gcode = np.unique(np.array(list(member_of.values()), dtype=object), return_inverse=True)
    gcode = gcode.ravel()
    si = _codes(links["src"], names)
    di = _codes(links["dst"], names)
    gs = np.where(si >= 0, gcode[si], -1)
    gd = np.where(di >= 0, gcode[di], -1)
    inside = np.flatnonzero((gs >= 0) & (gs == gd))
    tdict = links["link_type"].combine_chunks().dictionary_encode()
    tnames = tdict.dictionary.to_pylist()
    tcode = tdict.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n_t, n_acc = max(len(tnames), 1), len(names)
    # One code per (campaign, link type) present, in order of first appearance (the
    # order the evidence is listed in when weights tie).
    combo = gs[inside] * n_t + tcode[inside]
    keys, first, idx = np.unique(combo, return_index=True, return_inverse=True)
    idx = idx.ravel()
    pairs = np.bincount(idx, minlength=len(keys))
    weight = np.bincount(idx, weights=links["weight"].to_numpy()[inside], minlength=len(keys))
    touched = np.unique(np.concatenate([idx * n_acc + si[inside], idx * n_acc + di[inside]]))
    n_accounts = np.bincount(touched // n_acc, minlength=len(keys))
    hot = _hot_evidence(hot_keys, names, gcode, gnames)
    out: dict[str, list[dict[str, Any]]] = {}
    for k in np.argsort(first, kind="stable").tolist():
        g, t = str(gnames[keys[k] // n_t]), str(tnames[keys[k] % n_t])
        desc = REGISTRY[t].description if t in REGISTRY else t
        n = int(n_accounts[k])
        held = hot.get((g, t), [])
        detail = f"{n:,} accounts {desc} ({int(pairs[k]):,} linked pairs)"
        if held:
            top = held[0]
            detail += (
                f"; {len(held):,} hot key{'s' if len(held) > 1 else ''} linked in rings "
                f"(one held by {top['members']:,} of this campaign's accounts and "
                f"{top['accounts']:,} in all)"
            )
        out.setdefault(g, []).append(
            {
                "link_type": t,
                "pairs": int(pairs[k]),
                "accounts": n,
                "weight": round(float(weight[k]), 3),
                "detail": detail,
                "hot_keys": held[:MAX_HOT_KEYS_LISTED],
            }
        )
    for evs in out.values():
        evs.sort(key=lambda d: -float(d["weight"]))
    return out


def _codes(column: pa.ChunkedArray | pa.Array, names: pa.Array) -> np.ndarray:
    """Index of each value in ``names``, -1 where absent."""
    found = pc.index_in(column, value_set=names)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _hot_evidence(
    hot_keys: pa.Table | None, names: pa.Array, gcode: np.ndarray, gnames: np.ndarray
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Per (campaign, link type): the hot keys at least two members hold, most held
    by members first, as ``{key, accounts, members}``."""
    if hot_keys is None or hot_keys.num_rows == 0:
        return {}
    holders = hot_keys["holders"].combine_chunks()
    row = np.asarray(pc.list_parent_indices(holders).to_numpy(zero_copy_only=False))
    acc = _codes(pc.list_flatten(holders), names)
    row, acc = row[acc >= 0], acc[acc >= 0]
    combo = row * len(gnames) + gcode[acc]
    keys, n = np.unique(combo, return_counts=True)
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    types = hot_keys["link_type"].to_pylist()
    values = hot_keys["key"].to_pylist()
    sizes = hot_keys["accounts"].to_pylist()
    for key, members in zip(keys.tolist(), n.tolist(), strict=True):
        if members < 2:
            continue
        r, g = divmod(key, len(gnames))
        out.setdefault((str(gnames[g]), types[r]), []).append(
            {"key": values[r], "accounts": int(sizes[r]), "members": int(members)}
        )
    for held in out.values():
        held.sort(key=lambda d: (-int(d["members"]), -int(d["accounts"]), str(d["key"])))
    return out


__all__ = [
    "CAMPAIGN_SCHEMA",
    "LINK_SCHEMA",
    "CampaignConfig",
    "CampaignFinding",
    "CampaignResult",
    "build_links",
    "cluster",
    "detect_campaigns",
    "find_campaigns",
]
