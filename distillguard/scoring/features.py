"""Account features derived from merged profile parts, compared with the population.

Rates from few requests are noisy: a chat user with one request that happens to
trip a signal has a 100% rate.  Every rate is therefore *shrunk* towards the
population rate with a prior worth :data:`PRIOR_REQUESTS` requests (a Beta prior),
so evidence grows with volume and a single odd request cannot make an account
look like a harvester.

>>> round(float(shrunk(np.array([1.0]), np.array([1.0]), 0.01)[0]), 3)
0.057
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillguard.profiles import COT_KEY_KINDS, TARGETED

F64 = npt.NDArray[np.float64]

#: Strength of the population prior, in requests.
PRIOR_REQUESTS: Final = 20.0
#: A template dominates an account when it carries at least this share of its requests.
DOMINANT_TEMPLATE: Final = 0.8
#: Chain-of-thought share inside a dominant template at which its flagged requests
#: count in full (see :func:`scattered_cot`).
TEMPLATE_COT_FULL: Final = 0.5
#: Tiers that public reports say were farmed for distillation (and many real users use).
FARMED_TIERS: Final = frozenset({"free", "edu", "research", "startup"})
HOURS: Final = tuple(f"h{h:02d}" for h in range(24))
#: Account age buckets (days from sign-up to the first request in the window), for
#: choosing comparable accounts: (upper bound, name), the last one open-ended.
AGE_BUCKETS: Final = ((30.0, "new"), (365.0, "recent"), (float("inf"), "old"))

#: Feature columns written to accounts.parquet, with a one-line meaning each.
FEATURES: Final[dict[str, str]] = {
    "requests": "requests in the window",
    "active_days": "UTC days with at least one request",
    "tokens_returned": "completion tokens returned (reasoning included, as OpenAI usage counts)",
    "tokens_per_request": "mean tokens returned per request",
    "reasoning_tokens": "of the tokens returned, hidden reasoning tokens",
    "cot_share": "share of requests eliciting chain-of-thought (benchmark items excluded)",
    "system_cot_share": "share of requests whose system prompt alone elicits chain-of-thought",
    "value_tokens": "completion tokens served on coding, math, reasoning or tool use",
    "value_rich_tokens": "of those, hidden reasoning and step-by-step answers (where logged)",
    "value_per_day": "value_tokens per active day",
    "rich_per_day": "value_rich_tokens per active day",
    "steps_share": "share of logged answers on those capabilities laid out step by step (-1: none)",
    "template_cot_share": "chain-of-thought share in the dominant template (all requests if none)",
    "cot_scattered": "chain-of-thought requests scattered in a fixed template, counted less",
    "target_share": "share of requests targeting coding, math, reasoning or tool use",
    "coding_share": "share of coding requests",
    "math_share": "share of math requests",
    "reasoning_share": "share of logical-reasoning requests",
    "agentic_share": "share of agentic/tool-use requests",
    "single_turn_share": "share of requests without earlier turns (no follow-ups)",
    "template_share": "largest share of requests with one template prefix or suffix",
    "prompt_diversity": "distinct template prefixes per request",
    "harvest_param_share": "mean harvest-parameter score per request (see harvest_params)",
    "benchmark_share": "share of requests that are public benchmark items (see benchmark_match)",
    "gap_cv": "coefficient of variation of gaps between requests (same day)",
    "hours_active": "distinct UTC hours of the day with activity",
    "account_age_days": "days from account creation to its first request in the window",
    "farmed_tier": "1 if the tier is one reported farmed (free, edu, research, startup)",
    "distinct_ips": "distinct client addresses",
    "client_family": "client software family of the latest request (see client_family)",
    "cohort": "comparable accounts: tier | age bucket | client family",
}  # fmt: skip


def shrunk(k: F64, n: F64, p0: float, strength: float = PRIOR_REQUESTS) -> F64:
    """Posterior-mean rate of ``k`` hits in ``n`` under a Beta prior centred on ``p0``."""
    out: F64 = (k + strength * p0) / (n + strength)
    return out


def scattered_cot(n: F64, tops: list[tuple[F64, F64]]) -> tuple[F64, F64]:
    """Chain-of-thought flags discounted as scattered in a fixed template, and its CoT share.

    ``tops`` holds, per template kind of the user message (prefix, suffix), the
    requests of the account's most used template and how many of them were flagged.  A template
    that asks for the model's reasoning does so on every request it wraps; an
    application whose one fixed template carries a few flagged requests (a grading
    app whose students paste "continue your reasoning") shows user content tripping
    the detector, not the template harvesting.  Inside a template that carries at
    least :data:`DOMINANT_TEMPLATE` of the requests, flags count in proportion to
    their share up to :data:`TEMPLATE_COT_FULL`; the rest are returned as
    *scattered*.  Every dominant kind must agree (the smallest discount wins): a
    harvester whose fixed prefix is bland but whose fixed suffix elicits reasoning
    keeps its full count.  System prompts are left out: a fixed one (harvest scripts
    send one too) says nothing about where the flagged words came from, and on
    red-team development traffic counting it discounted a covert operation's
    sparse elicitation.  The share is -1 where no template dominates.

    >>> n = np.array([200.0, 200.0, 10.0])
    >>> app = (np.array([200.0, 200.0, 2.0]), np.array([10.0, 190.0, 1.0]))
    >>> d, share = scattered_cot(n, [app])
    >>> d.round(1).tolist(), share.round(3).tolist()
    ([9.0, 0.0, 0.0], [0.05, 0.95, -1.0])
    """
    scattered = np.full(len(n), np.inf)
    share = np.full(len(n), -1.0)
    for top, cot in tops:
        cot = np.minimum(cot, top)
        dominant = top >= DOMINANT_TEMPLATE * n
        rate = cot / np.maximum(top, 1.0)
        d = cot * (1.0 - np.minimum(1.0, rate / TEMPLATE_COT_FULL))
        scattered = np.where(dominant, np.minimum(scattered, d), scattered)
        share = np.where(dominant, np.maximum(share, rate), share)
    out: F64 = np.where(np.isinf(scattered), 0.0, scattered)
    return out, share


def age_bucket(age_days: F64) -> list[str]:
    """The :data:`AGE_BUCKETS` name of each account age.

    >>> age_bucket(np.array([3.0, 30.0, 400.0]))
    ['new', 'recent', 'old']
    """
    out = []
    for a in np.asarray(age_days, dtype=np.float64).tolist():
        out.append(next(name for bound, name in AGE_BUCKETS if a < bound))
    return out


def cohort_key(tier: str, age: str, client: str) -> str:
    """The key of a set of comparable accounts; ``*`` stands for any value.

    >>> cohort_key("free", "new", "openai-python")
    'free|new|openai-python'
    """
    return f"{tier or '-'}|{age}|{client}"


def _col(t: pa.Table, name: str, default: float = 0.0) -> F64:
    if name not in t.column_names:
        return np.full(t.num_rows, default)
    arr = t.column(name).to_numpy(zero_copy_only=False)
    out: F64 = np.nan_to_num(np.asarray(arr, dtype=np.float64), nan=default)
    return out


def served(profiles: pa.Table) -> tuple[F64, F64]:
    """Requests (at least 1) and tokens served per profile row.

    Usage as OpenAI reports it: completion tokens include the reasoning tokens
    (docs/schema.md), so what an account was served is the completion tokens.
    """
    return np.maximum(_col(profiles, "n"), 1.0), _col(profiles, "completion_tokens")


def account_features(profiles: pa.Table) -> dict[str, F64 | list[str]]:
    """Feature arrays, one value per profile row (``_*_n`` are hit counts for the rates)."""
    n, comp = served(profiles)
    out: dict[str, F64 | list[str]] = {}
    out["account_id"] = profiles.column("account_id").to_pylist()
    out["requests"] = n
    out["active_days"] = _col(profiles, "active_days")
    reas = _col(profiles, "reasoning_tokens")
    out["tokens_returned"] = comp
    out["tokens_per_request"] = comp / n
    out["reasoning_tokens"] = reas
    cot = _col(profiles, "cot_n")
    caps = {c: _col(profiles, f"cap_{c}") for c in ("coding", "math", "reasoning", "agentic")}
    target = sum(caps.values())
    out["cot_share"] = cot / n
    scattered, tmpl_share = scattered_cot(
        n,
        [(_col(profiles, f"top_{k}_n"), _col(profiles, f"top_{k}_cot_n")) for k in COT_KEY_KINDS],
    )
    out["template_cot_share"] = np.where(tmpl_share < 0, cot / n, tmpl_share)
    out["cot_scattered"] = scattered
    out["target_share"] = np.asarray(target / n, dtype=np.float64)
    for c, v in caps.items():
        out[f"{c}_share"] = v / n
    sys_cot = _col(profiles, "cot_system_n")
    out["system_cot_share"] = sys_cot / n
    days = np.maximum(out["active_days"], 1.0)
    value = _col(profiles, "value_tokens")
    rich = _col(profiles, "value_reasoning_tokens") + _col(profiles, "value_steps_tokens")
    out["value_tokens"] = value
    out["value_rich_tokens"] = rich
    out["value_per_day"] = value / days
    out["rich_per_day"] = rich / days
    logged = _col(profiles, "value_logged_n")
    out["steps_share"] = np.where(
        logged > 0, _col(profiles, "value_steps_n") / np.maximum(logged, 1.0), -1.0
    )
    out["single_turn_share"] = 1.0 - _col(profiles, "followup_n") / n
    top = np.maximum(_col(profiles, "top_prefix_n"), _col(profiles, "top_suffix_n"))
    out["template_share"] = top / n
    out["prompt_diversity"] = _col(profiles, "distinct_prefixes") / n
    out["harvest_param_share"] = _col(profiles, "harvest_score_sum") / n
    out["benchmark_share"] = _col(profiles, "bench_n") / n
    gn = _col(profiles, "gap_n")
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(gn > 0, _col(profiles, "gap_sum") / np.maximum(gn, 1), np.nan)
        var = np.where(gn > 0, _col(profiles, "gap_sq_sum") / np.maximum(gn, 1) - mean**2, np.nan)
        cv = np.sqrt(np.maximum(var, 0.0)) / mean
    out["gap_cv"] = np.where(gn >= 3, np.nan_to_num(cv, nan=1.0), 1.0)
    hours = np.stack([_col(profiles, h) for h in HOURS], axis=1)
    out["hours_active"] = (hours > 0).sum(axis=1).astype(np.float64)
    first = profiles.column("first_ts").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    created_col = (
        profiles.column("account_created_at")
        if "account_created_at" in profiles.column_names
        else None
    )
    if created_col is not None:
        created = created_col.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
        first_us = np.asarray(first.to_numpy(zero_copy_only=False), dtype=np.float64)
        created_us = np.asarray(created.to_numpy(zero_copy_only=False), dtype=np.float64)
        age = (first_us - created_us) / 86_400e6
        out["account_age_days"] = np.where(np.isnan(age), 365.0, np.maximum(age, 0.0))
    else:
        out["account_age_days"] = np.full(profiles.num_rows, 365.0)
    tiers = (
        profiles.column("tier").to_pylist()
        if "tier" in profiles.column_names
        else [None] * profiles.num_rows
    )
    out["tier"] = [t or "" for t in tiers]
    out["farmed_tier"] = np.asarray([1.0 if t in FARMED_TIERS else 0.0 for t in tiers])
    out["distinct_ips"] = _col(profiles, "distinct_ips")
    clients = (
        profiles.column("client_family").to_pylist()
        if "client_family" in profiles.column_names
        else [None] * profiles.num_rows
    )
    out["client_family"] = [c or "none" for c in clients]
    ages = age_bucket(np.asarray(out["account_age_days"]))
    out["cohort"] = [
        cohort_key(t, a, c) for t, a, c in zip(out["tier"], ages, out["client_family"], strict=True)
    ]
    # The capability an account targets most, for reasons ("took ... on coding").
    order = np.stack([caps[c] for c in TARGETED], axis=1)
    out["_top_target"] = [TARGETED[int(i)] for i in np.argmax(order, axis=1)]
    out["_cot_n"] = cot - scattered
    out["_system_cot_n"] = sys_cot
    out["_target_n"] = np.asarray(target, dtype=np.float64)
    out["_single_n"] = (1.0 - _col(profiles, "followup_n") / n) * n
    out["_harvest_n"] = _col(profiles, "harvest_score_sum")
    out["_template_n"] = top
    return out
