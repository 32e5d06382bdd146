"""Harvest value: what an account was served, against comparable benign accounts.

A distillation operator can reword its elicitation, drop the harvest parameters and
spread its traffic until every signal stays quiet; what it cannot avoid is taking
the answers it came for, in volume: completion tokens on coding, math, reasoning
and tool use, and above all worked reasoning (hidden reasoning tokens, answers laid
out step by step where the log holds responses).  So the account's *take* is
evidence of its own, whatever the requests looked like.

Take differs by orders of magnitude between kinds of legitimate accounts (a browser
chat user and an SDK integration), so an account is compared with *comparable*
benign accounts: same tier, account-age bucket and client family (the ``cohort``
feature, :func:`~distillguard.scoring.features.cohort_key`).  The calibration
stores, per cohort with at least :data:`MIN_COHORT` benign accounts, the median and
99th percentile of the daily take (tokens per active day, so the reference does not
depend on how long a window is scanned); a cohort too small for a reference of its
own falls back to tier and age, then tier, then all benign accounts
(:func:`cohort_keys`).  Both takes are compared: all value tokens and the
reasoning-rich ones.  The evidence is how many decades the larger of the two lies
above its reference's 99th percentile, capped at :data:`CAP_DECADES`; the reason
states the ratio to the median ("took 4.1M reasoning tokens on coding, 38x the daily
median of comparable accounts").

Against an attacker who reads this: the cohort's attributes are cheap to choose, so an
operator will pick the cohort with the largest benign take (an enterprise SDK
integration) and stay under its 99th percentile per account.  That bounds what one
identity takes to what the heaviest 1% of comparable benign accounts take, and moves
the cost of the harvest to the number of accounts; it does not make any identity
invisible, and it adds to the other terms rather than replacing them.

>>> feats = {
...     "cohort": ["free|new|openai-python", "paid|old|browser"],
...     "value_per_day": np.array([100.0, 100_000.0]),
...     "rich_per_day": np.array([0.0, 80_000.0]),
... }
>>> ref = value_reference(feats, min_accounts=1)
>>> sorted(ref)[:3]
['*|*|*', 'free|*|*', 'free|new|*']
>>> cmp = compare_value(feats, ref)
>>> cmp.excess.tolist()
[0.0, 0.0]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

#: Benign accounts a cohort needs for a reference of its own.
MIN_COHORT: Final = 50
#: The quantile of comparable benign takes above which a take is evidence.
QUANTILE: Final = 0.99
#: Most decades above that quantile that count (a take 100x beyond the heaviest
#: comparable accounts is as telling as one 1,000x beyond).
CAP_DECADES: Final = 2.0
#: The two takes compared: feature name -> what the reason calls it.
MEASURES: Final = {"value_per_day": "value", "rich_per_day": "rich"}
#: Any value of a cohort attribute.
ANY: Final = "*"


def cohort_keys(cohort: str) -> tuple[str, ...]:
    """The reference keys an account's cohort falls back through, most specific first.

    >>> cohort_keys("free|new|openai-python")
    ('free|new|openai-python', 'free|new|*', 'free|*|*', '*|*|*')
    """
    tier, age, client = cohort.split("|")
    return (
        f"{tier}|{age}|{client}",
        f"{tier}|{age}|{ANY}",
        f"{tier}|{ANY}|{ANY}",
        f"{ANY}|{ANY}|{ANY}",
    )


def value_reference(
    feats: Mapping[str, Any],
    mask: npt.NDArray[np.bool_] | None = None,
    min_accounts: int = MIN_COHORT,
) -> dict[str, dict[str, float]]:
    """Per cohort key (every fallback level) with at least ``min_accounts`` benign
    accounts (``mask``: which rows of ``feats`` are benign; all by default): their
    number and the median and :data:`QUANTILE` of each daily take.  The key that
    matches every account is always kept."""
    cohorts: Sequence[str] = feats["cohort"]
    rows = range(len(cohorts)) if mask is None else np.flatnonzero(mask).tolist()
    members: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        for key in cohort_keys(cohorts[i]):
            members[key].append(i)
    everyone = cohort_keys(f"{ANY}|{ANY}|{ANY}")[-1]
    out: dict[str, dict[str, float]] = {}
    for key in sorted(members):
        idx = np.asarray(members[key], dtype=np.int64)
        if len(idx) < min_accounts and key != everyone:
            continue
        entry = {"accounts": float(len(idx))}
        for measure in MEASURES:
            values = np.asarray(feats[measure], dtype=np.float64)[idx]
            entry[f"{measure}_median"] = float(np.median(values))
            entry[f"{measure}_q99"] = float(np.quantile(values, QUANTILE))
        out[key] = entry
    return out


@dataclass(frozen=True)
class ValueComparison:
    """Each account's take against comparable benign accounts."""

    #: Decades the take lies above the reference's :data:`QUANTILE`, in [0, CAP].
    excess: F64
    #: The daily take over the reference's median ((1 + take) / (1 + median)).
    ratio: F64
    #: Which take the comparison is on (the one further above its reference).
    measure: list[str]
    #: The reference key the account was compared with.
    compared_with: list[str]
    #: The reference's median and quantile of that take.
    median: F64
    high: F64


def _reference_for(cohort: str, reference: Mapping[str, Mapping[str, float]]) -> str:
    for key in cohort_keys(cohort):
        if key in reference:
            return key
    return ""


def compare_value(
    feats: Mapping[str, Any], reference: Mapping[str, Mapping[str, float]]
) -> ValueComparison:
    """Compare every account's daily takes with its cohort's reference (see module doc)."""
    cohorts: Sequence[str] = feats["cohort"]
    n = len(cohorts)
    keys = [_reference_for(c, reference) for c in cohorts]
    best = np.zeros(n)
    ratio = np.ones(n)
    measure = ["value"] * n
    median = np.zeros(n)
    high = np.zeros(n)
    first = True
    for feat, name in MEASURES.items():
        take = np.asarray(feats[feat], dtype=np.float64)
        med = np.array([reference[k][f"{feat}_median"] if k else np.nan for k in keys])
        q = np.array([reference[k][f"{feat}_q99"] if k else np.nan for k in keys])
        with np.errstate(invalid="ignore"):
            decades = np.log10((1.0 + take) / (1.0 + q))
        decades = np.nan_to_num(decades, nan=-np.inf)
        pick = decades > best if not first else np.ones(n, dtype=bool)
        best = np.where(pick, decades, best)
        ratio = np.where(pick, (1.0 + take) / (1.0 + np.nan_to_num(med)), ratio)
        median = np.where(pick, np.nan_to_num(med), median)
        high = np.where(pick, np.nan_to_num(q), high)
        measure = [name if p else m for p, m in zip(pick.tolist(), measure, strict=True)]
        first = False
    excess = np.clip(best, 0.0, CAP_DECADES)
    return ValueComparison(excess, ratio, measure, keys, median, high)


def tokens(x: float) -> str:
    """A token count for reading: 950, 12.3k, 4.1M.

    >>> tokens(950), tokens(12_345), tokens(4_100_000)
    ('950', '12.3k', '4.1M')
    """
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def describe_cohort(key: str) -> str:
    """A reference key in words.

    >>> describe_cohort("free|new|openai-python")
    'free tier, new accounts, openai-python clients'
    >>> describe_cohort("*|*|*")
    'all accounts'
    """
    tier, age, client = key.split("|")
    parts = []
    if tier != ANY:
        parts.append(f"{tier} tier" if tier != "-" else "no tier")
    if age != ANY:
        parts.append(f"{age} accounts")
    if client != ANY:
        parts.append(f"{client} clients")
    return ", ".join(parts) if parts else "all accounts"


def describe_value(feats: Mapping[str, Any], value: ValueComparison, i: int) -> str:
    """The reason line of account ``i``'s ``harvest_value`` term.

    >>> feats = {"active_days": [6], "_top_target": ["coding"], "value_tokens": [4.1e6],
    ...          "value_rich_tokens": [0.0], "steps_share": [-1.0]}
    >>> cmp = ValueComparison(np.array([1.2]), np.array([38.0]), ["value"],
    ...                       ["free|new|openai-python"], np.array([18e3]), np.array([45e3]))
    >>> describe_value(feats, cmp, 0)  # doctest: +NORMALIZE_WHITESPACE
    'took 4.1M tokens on coding and related tasks over 6 days (683.3k a day), 38x the
     daily median of comparable accounts (free tier, new accounts, openai-python clients;
     their 99th percentile is 2x)'
    """
    days = max(1, int(feats["active_days"][i]))
    target = feats["_top_target"][i]
    if value.measure[i] == "rich":
        taken = float(feats["value_rich_tokens"][i])
        what = f"{tokens(taken)} reasoning tokens"
        steps = float(feats["steps_share"][i])
        if steps >= 0:
            what += f" (step-by-step answers {steps:.0%} of those logged)"
    else:
        taken = float(feats["value_tokens"][i])
        what = f"{tokens(taken)} tokens"
    span = f"over {days} day{'s' if days > 1 else ''} ({tokens(taken / days)} a day)"
    cohort = describe_cohort(value.compared_with[i])
    median, high = float(value.median[i]), float(value.high[i])
    if median < 1.0:
        against = (
            f"while most comparable accounts ({cohort}) take none; their 99th percentile "
            f"is {tokens(high)} a day"
        )
    else:
        against = (
            f"{value.ratio[i]:.0f}x the daily median of comparable accounts ({cohort}; "
            f"their 99th percentile is {(1.0 + high) / (1.0 + median):.0f}x)"
        )
    return f"took {what} on {target} and related tasks {span}, {against}"


__all__ = [
    "CAP_DECADES",
    "MEASURES",
    "MIN_COHORT",
    "QUANTILE",
    "ValueComparison",
    "cohort_keys",
    "compare_value",
    "describe_cohort",
    "describe_value",
    "tokens",
    "value_reference",
]
