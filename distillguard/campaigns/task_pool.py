"""Task pools: groups held together by the tasks they share, tested on what they were served.

An operator who has read the code gives every account its own address, card, sign-up
and client, keeps each account's elicitation below the thresholds and its volume
below what comparable accounts take.  What it cannot give up is the harvest itself:
the same pool of tasks (a task is often sent by several accounts, for several sampled
answers, or because the pool is smaller than the harvest), and long, worked answers.
Campaign detection already clusters accounts on shared content, but content alone
never makes a member (evaluation teams share benchmark items with operators), so such
a group is invisible however large it is.

This rule tests those groups as *populations*:

1. **Which groups.**  Groups of the account graph (:func:`~distillguard.campaigns.detect.
   cluster`) of at least ``min_accounts`` accounts whose internal link weight comes
   mostly (``content_share``) from content links: shared prompts, templates, source
   sets.  Groups held together by addresses or payment (an organisation, a
   university) are judged by the pooled score, not here.
2. **What is compared.**  Each account's *served rate*: completion tokens per
   request (reasoning included, as OpenAI usage counts them), shrunk towards the
   population median with a prior of ``prior_requests`` requests so that one long
   answer is not a rate, on a log scale, standardised against the scanned population
   (median and MAD, robust to the attackers in it) and clipped at ``clip`` so that a
   few extreme accounts cannot carry a group.
3. **The test.**  Under the null hypothesis a group's members are like any accounts
   of the population: the mean of ``k`` standardised rates has standard deviation
   ``sd / sqrt(k)`` (``sd`` of the clipped rates over the population).  A one-sided
   z-test per group; Benjamini-Hochberg over every group tested, at ``fdr``; and an
   effect of at least ``min_effect`` population deviations, so that a very large
   group of ordinary users is not flagged for a shift nobody would act on.
4. **Members.**  Inside a flagged group, only accounts whose own served rate is above
   the ``member_quantile`` of the accounts outside flagged groups, and that share
   content with at least ``min_member_links`` other members, are members: the group
   is convicted on its pooled take, each member on its own take plus its links, never
   on content alone.  Members are ranked by their own rate in the case file.

A task-pool campaign (id ``pool_...``) is scored at the calibration's ``restrict``
threshold (never higher): its members are restricted (reasoning stripped, logprobs
and samples capped), and a block still needs evidence of another kind (membership
in a task pool is not the independent ``campaign`` evidence of
:class:`~distillguard.scoring.risk.BlockEvidence`).

Against an operator who reads this: sending each task from one account only removes
the content links that form the group (a pool as large as the harvest, which is the
cost reported by the red team), and asking for short answers lowers the served rate
(what it takes per request, so more requests and accounts per answer of value).

>>> cfg = TaskPoolConfig()
>>> cfg.fdr, cfg.member_quantile
(0.001, 0.99)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats as sst  # type: ignore[import-untyped]

from distillguard.errors import DistillguardError
from distillguard.scoring.features import served
from distillguard.scoring.verdicts import TASK_POOL_PREFIX

F64 = npt.NDArray[np.float64]

#: MAD to standard deviation for normal data.
_MAD_SD: Final = 1.4826


@dataclass(frozen=True)
class TaskPoolConfig:
    """How content-linked groups are tested on what they were served."""

    enabled: bool = True
    #: Smallest group tested.
    min_accounts: int = 10
    #: Share of a group's internal link weight that must come from content links.
    content_share: float = 0.5
    #: False-discovery rate over the groups tested (Benjamini-Hochberg).
    fdr: float = 0.001
    #: Smallest group mean of the standardised served rate that is flagged.
    min_effect: float = 0.5
    #: A member's own served rate must exceed this quantile of the accounts outside
    #: flagged groups.
    member_quantile: float = 0.99
    #: Other members a member must share content with.
    min_member_links: int = 2
    #: Fewest members a flagged pool needs to be reported.
    min_members: int = 3
    #: Flagged groups linked by content weight of at least this share of the smaller
    #: one's internal content weight are one pool.
    merge_ratio: float = 0.1
    #: Requests of prior (at the population median) each account's rate is shrunk with.
    prior_requests: float = 2.0
    #: Standardised rates are clipped to [-clip, clip].
    clip: float = 4.0

    def check(self) -> list[tuple[str, str]]:
        """Problems as (field, message)."""
        out = []
        if self.min_accounts < 2:
            out.append(("min_accounts", "must be >= 2"))
        if not 0.0 <= self.content_share <= 1.0:
            out.append(("content_share", "must be in [0, 1]"))
        if not 0.0 < self.fdr < 1.0:
            out.append(("fdr", "must be in (0, 1)"))
        if not 0.0 < self.member_quantile < 1.0:
            out.append(("member_quantile", "must be in (0, 1)"))
        if self.min_member_links < 0:
            out.append(("min_member_links", "must be >= 0"))
        if self.prior_requests < 0 or self.clip <= 0 or self.min_effect < 0:
            out.append(("prior_requests", "prior, clip and min_effect must be positive"))
        return out


@dataclass
class TaskPoolFinding:
    """Flagged task-pool groups, their members, and the test of every group."""

    #: ``account_id`` (the group id), ``score``, ``risk``, ``verdict``, ``reasons``:
    #: shaped like the scored groups of campaign detection.
    flagged: pa.Table
    #: ``account_id, group_id, membership`` of the members.
    members: pa.Table
    #: One row per tested group: ``group_id, n_accounts, content_share, effect, z,
    #: p_value, flagged`` (the test rejects), ``pool`` (the reported task pool it is
    #: part of: flagged groups linked by content are one pool, which needs
    #: ``min_members`` members to be reported) and ``members`` (its accounts that are).
    tests: pa.Table


def served_rates(profiles: pa.Table, prior_requests: float) -> tuple[list[str], F64]:
    """Account ids and log served rate (completion tokens per request, shrunk towards
    the population median with ``prior_requests`` requests)."""
    ids = [str(a) for a in profiles.column("account_id").to_pylist()]
    n, tokens = served(profiles)
    if not len(n):
        return ids, n
    t0 = float(np.median(tokens / n))
    rate = (tokens + prior_requests * t0) / (n + prior_requests)
    return ids, np.log1p(rate)


def standardise(x: F64, clip: float) -> tuple[F64, float]:
    """Robust z-scores of ``x`` (median, MAD) clipped to ``[-clip, clip]``, and their
    standard deviation over ``x``.

    >>> u, sd = standardise(np.array([1.0, 2.0, 3.0, 100.0]), 4.0)
    >>> u.round(2).tolist(), round(sd, 2)
    ([-1.01, -0.34, 0.34, 4.0], 1.94)
    """
    med = float(np.median(x))
    mad = float(np.median(np.abs(x - med))) * _MAD_SD
    if mad <= 0:
        mad = float(np.std(x)) or 1.0
    u = np.clip((x - med) / mad, -clip, clip)
    return u, float(np.std(u)) or 1.0


def benjamini_hochberg(p: F64, q: float) -> npt.NDArray[np.bool_]:
    """Which hypotheses Benjamini-Hochberg rejects at false-discovery rate ``q``.

    >>> benjamini_hochberg(np.array([0.001, 0.2, 0.01, 0.04]), 0.05).tolist()
    [True, False, True, False]
    """
    if not len(p):
        return np.zeros(0, dtype=bool)
    adjusted = sst.false_discovery_control(p, method="bh")
    out: npt.NDArray[np.bool_] = np.asarray(adjusted <= q)
    return out


def find_task_pools(
    profiles: pa.Table,
    groups: pa.Table,
    links: pa.Table,
    content_types: frozenset[str],
    threshold: float,
    cfg: TaskPoolConfig,
    *,
    exclude: frozenset[str] = frozenset(),
) -> TaskPoolFinding:
    """Test the content-held ``groups`` (``account_id, group_id``) of the account graph
    on what their members were served (see the module doc).

    ``profiles`` are every scanned account's merged profiles (the population),
    ``links`` the link table, ``content_types`` the content linkers' names,
    ``threshold`` the score a flagged group gets (the calibration's ``restrict``);
    accounts in ``exclude`` (members of campaigns found otherwise) are never members.
    """
    problems = cfg.check()
    if problems:
        f, msg = problems[0]
        raise DistillguardError(f"task_pool: {msg}", field=f"task_pool.{f}")
    ids, x = served_rates(profiles, cfg.prior_requests)
    empty = _empty()
    if not cfg.enabled or groups.num_rows == 0 or not ids:
        return empty
    u, sd = standardise(x, cfg.clip)
    pos = {a: i for i, a in enumerate(ids)}
    group_of = dict(
        zip(groups["account_id"].to_pylist(), groups["group_id"].to_pylist(), strict=True)
    )
    internal, content, neighbours, between = _internal_weights(links, group_of, content_types)
    by_group: dict[str, list[int]] = {}
    for a, g in group_of.items():
        i = pos.get(a)
        if i is not None:
            by_group.setdefault(g, []).append(i)
    tested = [
        g
        for g, idx in sorted(by_group.items())
        if len(idx) >= cfg.min_accounts
        and internal.get(g, 0.0) > 0
        and content.get(g, 0.0) / internal[g] >= cfg.content_share
    ]
    if not tested:
        return empty
    effect = np.array([float(np.mean(u[by_group[g]])) for g in tested])
    k = np.array([len(by_group[g]) for g in tested], dtype=np.float64)
    z = effect * np.sqrt(k) / sd
    p = np.asarray(sst.norm.sf(z), dtype=np.float64)
    flag = benjamini_hochberg(p, cfg.fdr) & (effect >= cfg.min_effect)
    flagged_groups = {g for g, f in zip(tested, flag.tolist(), strict=True) if f}
    root = _merged(flagged_groups, between, content, cfg.merge_ratio)
    pools: dict[str, list[int]] = {}
    for g in sorted(flagged_groups):
        pools.setdefault(root[g], []).extend(by_group[g])
    outside = np.ones(len(ids), dtype=bool)
    for idx in pools.values():
        outside[idx] = False
    bar = float(np.quantile(u[outside], cfg.member_quantile)) if outside.any() else cfg.clip
    rows_m: list[tuple[str, str, float]] = []
    for r, idx in sorted(pools.items()):
        inside = {ids[i] for i in idx}
        for i in idx:
            a = ids[i]
            if a in exclude or u[i] <= bar:
                continue
            if len(neighbours.get(a, set()) & inside) < cfg.min_member_links:
                continue
            rows_m.append((a, _pool_id(r), 1.0))
    counts: dict[str, int] = {}
    for _, pid, _ in rows_m:
        counts[pid] = counts.get(pid, 0) + 1
    kept = {pid for pid, c in counts.items() if c >= cfg.min_members}
    rows_m = [row for row in rows_m if row[1] in kept]
    members = pa.table(
        {
            "account_id": pa.array([row[0] for row in rows_m], pa.string()),
            "group_id": pa.array([row[1] for row in rows_m], pa.string()),
            "membership": pa.array([row[2] for row in rows_m], pa.float64()),
        }
    )
    med_rate = float(np.expm1(np.median(x)))
    flagged_rows = []
    for r, idx in sorted(pools.items()):
        pid = _pool_id(r)
        if pid not in kept:
            continue
        parts = sorted(g for g in flagged_groups if root[g] == r)
        g_effect = float(np.mean(u[idx]))
        g_z = g_effect * math.sqrt(len(idx)) / sd
        g_rate = float(np.expm1(np.median(x[idx])))
        share = sum(content.get(g, 0.0) for g in parts) / sum(internal[g] for g in parts)
        merged = f", {len(parts)} groups linked by content" if len(parts) > 1 else ""
        flagged_rows.append(
            {
                "account_id": pid,
                "risk": g_effect,
                "score": threshold,
                "verdict": "restrict",
                "reasons": [
                    "task pool",
                    f"a task pool: {len(idx):,} accounts held together by shared content "
                    f"({share:.0%} of their link weight{merged})",
                    f"served a median {g_rate:,.0f} completion tokens per request, "
                    f"{g_rate / max(med_rate, 1e-9):.1f}x the population's {med_rate:,.0f} "
                    f"(z = {g_z:.1f}, p = {float(sst.norm.sf(g_z)):.1e}; each group flagged at a "
                    f"false-discovery rate of {cfg.fdr:g} over {len(tested):,} groups tested)",
                    f"{counts[pid]:,} of them took more per request than "
                    f"{cfg.member_quantile:.0%} of accounts outside flagged groups and share "
                    f"content with at least {cfg.min_member_links} of the others: the members",
                ],
            }
        )
    flagged = (
        pa.Table.from_pylist(flagged_rows, schema=empty.flagged.schema)
        if flagged_rows
        else empty.flagged
    )
    per_group: dict[str, int] = {}
    group_of_member = {a: group_of[a] for a, _, _ in rows_m}
    for a in group_of_member:
        per_group[group_of[a]] = per_group.get(group_of[a], 0) + 1
    tests = pa.table(
        {
            "group_id": pa.array(tested, pa.string()),
            "n_accounts": pa.array(k.astype(np.int64)),
            "content_share": pa.array([content[g] / internal[g] for g in tested], pa.float64()),
            "effect": pa.array(effect, pa.float64()),
            "z": pa.array(z, pa.float64()),
            "p_value": pa.array(p, pa.float64()),
            "flagged": pa.array(flag, pa.bool_()),
            "pool": pa.array([_pool_of(g, root, kept) for g in tested], pa.string()),
            "members": pa.array([per_group.get(g, 0) for g in tested], pa.int64()),
        }
    )
    return TaskPoolFinding(flagged, members, tests)


def _pool_of(group: str, root: Mapping[str, str], kept: set[str]) -> str | None:
    """The reported pool a tested group is part of (None: none)."""
    pid = _pool_id(root[group]) if group in root else None
    return pid if pid in kept else None


def _pool_id(group_id: str) -> str:
    """A task pool's campaign id: the group's, with the task-pool prefix."""
    return TASK_POOL_PREFIX + group_id.removeprefix("cmp_")


def _internal_weights(
    links: pa.Table, group_of: Mapping[str, str], content_types: frozenset[str]
) -> tuple[dict[str, float], dict[str, float], dict[str, set[str]], dict[tuple[str, str], float]]:
    """Per group: internal link weight, of it from content links; per account, the
    accounts of its own group it shares content with; per pair of groups, the content
    link weight between them."""
    internal: dict[str, float] = {}
    content: dict[str, float] = {}
    neighbours: dict[str, set[str]] = {}
    between: dict[tuple[str, str], float] = {}
    if links.num_rows == 0:
        return internal, content, neighbours, between
    mask = pc.is_in(links["src"], pa.array(list(group_of), pa.string()))
    sub = links.filter(mask)
    for a, b, t, w in zip(
        sub["src"].to_pylist(),
        sub["dst"].to_pylist(),
        sub["link_type"].to_pylist(),
        sub["weight"].to_pylist(),
        strict=True,
    ):
        g, h = group_of.get(a), group_of.get(b)
        if g is None or h is None:
            continue
        if g != h:
            if t in content_types:
                key = (g, h) if g < h else (h, g)
                between[key] = between.get(key, 0.0) + float(w)
            continue
        internal[g] = internal.get(g, 0.0) + float(w)
        if t in content_types:
            content[g] = content.get(g, 0.0) + float(w)
            neighbours.setdefault(a, set()).add(b)
            neighbours.setdefault(b, set()).add(a)
    return internal, content, neighbours, between


def _merged(
    flagged: set[str],
    between: Mapping[tuple[str, str], float],
    content: Mapping[str, float],
    ratio: float,
) -> dict[str, str]:
    """Each flagged group's pool: flagged groups linked by content weight of at least
    ``ratio`` of the smaller one's internal content weight are one pool (modularity
    splits one evenly linked pool into pieces, as it does an operator's network).
    The pool is named after its smallest group id."""
    parent = {g: g for g in flagged}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for (g, h), w in sorted(between.items()):
        small = min(content.get(g, 0.0), content.get(h, 0.0))
        if g in parent and h in parent and w >= ratio * small:
            rg, rh = find(g), find(h)
            if rg != rh:
                parent[max(rg, rh)] = min(rg, rh)
    return {g: find(g) for g in flagged}


def _empty() -> TaskPoolFinding:
    flagged = pa.table(
        {
            "account_id": pa.array([], pa.string()),
            "risk": pa.array([], pa.float64()),
            "score": pa.array([], pa.float64()),
            "verdict": pa.array([], pa.string()),
            "reasons": pa.array([], pa.list_(pa.string())),
        }
    )
    members = pa.table(
        {
            "account_id": pa.array([], pa.string()),
            "group_id": pa.array([], pa.string()),
            "membership": pa.array([], pa.float64()),
        }
    )
    tests = pa.table(
        {
            "group_id": pa.array([], pa.string()),
            "n_accounts": pa.array([], pa.int64()),
            "content_share": pa.array([], pa.float64()),
            "effect": pa.array([], pa.float64()),
            "z": pa.array([], pa.float64()),
            "p_value": pa.array([], pa.float64()),
            "flagged": pa.array([], pa.bool_()),
            "members": pa.array([], pa.int64()),
        }
    )
    return TaskPoolFinding(flagged, members, tests)


__all__ = [
    "TaskPoolConfig",
    "TaskPoolFinding",
    "benjamini_hochberg",
    "find_task_pools",
    "served_rates",
    "standardise",
]
