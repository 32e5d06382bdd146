"""Account-level evaluation: how well a scan's scores and verdicts separate attackers.

The batch scan writes one row per account (``account_id``, ``risk``, ``score``,
``verdict``, optionally ``reasons``); the simulator writes ground-truth labels
(:data:`distillguard.schema.LABEL_SCHEMA`).  :func:`evaluate_accounts` joins the
two on ``account_id`` and computes ranking metrics from the score (ROC AUC, TPR
at fixed benign false-positive rates) and operating metrics from the verdicts
(precision, recall, FPR, per benign role and per campaign), plus the misses an
analyst should look at.  Everything is plain numpy; every undefined metric is
``None``, never NaN, so :meth:`AccountReport.to_dict` is JSON-ready as is.
``docs/evaluation.md`` documents every key.

>>> import pyarrow as pa
>>> accounts = pa.table({
...     "account_id": ["a1", "a2", "b1", "b2"],
...     "risk": [0.9, 0.4, 0.3, 0.1],
...     "score": [0.9, 0.4, 0.3, 0.1],
...     "verdict": ["block", "watch", "allow", "allow"],
... })
>>> labels = pa.table({
...     "account_id": ["a1", "a2", "b1", "b2", "b3"],
...     "is_attack": [True, True, False, False, False],
...     "campaign_id": ["c1", "c1", None, None, None],
...     "role": ["attacker", "attacker", "chat_user", "developer", "chat_user"],
... })
>>> report = evaluate_accounts(accounts, labels)
>>> report.roc_auc, report.precision, report.recall, report.fpr
(1.0, 1.0, 0.5, 0.0)
>>> report.recall_by_campaign
{'c1': 0.5}
>>> report.n_accounts_missing  # b3 was never scored: it counts as score -inf, allow
1
>>> d = report.to_dict()
>>> d["tpr_at_fpr_0.01"], d["thresholds"]["tpr_at_fpr_0.01"]["threshold"]
(1.0, 0.4)
>>> [m["account_id"] for m in d["misses"]["false_negatives"]]
['a2']
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table
from rich.text import Text

from distillguard.errors import InputError
from distillguard.fileio import atomic_open

__all__ = [
    "FLAGGED_VERDICTS",
    "FPR_TARGETS",
    "KNOWN_VERDICTS",
    "MISS_LIMIT",
    "AccountReport",
    "Miss",
    "OperatingPoint",
    "evaluate_accounts",
    "render_report",
    "roc_auc",
    "tpr_at_fpr",
    "write_json",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Benign false-positive rates (0.1 % and 1 % of honest accounts) at which the
#: report gives the best achievable TPR; each becomes a ``tpr_at_fpr_<target>`` key.
FPR_TARGETS: Final = (0.001, 0.01)
#: Verdicts in escalation order; others a scorer emits are kept, listed after these.
KNOWN_VERDICTS: Final = ("allow", "watch", "restrict", "block")
#: At most this many false positives and false negatives are listed in a report.
MISS_LIMIT: Final = 50

#: Group names for label rows without a role / campaign (kept visible, not dropped).
NO_ROLE: Final = "(no role)"
NO_CAMPAIGN: Final = "(no campaign)"


def _metric_key(target: float) -> str:
    """``tpr_at_fpr_0.001`` for 0.001: the JSON key of a target's TPR."""
    return f"tpr_at_fpr_{target:g}"


def _finite_or_none(value: float) -> float | None:
    # JSON has no inf/NaN; a score of -inf means "never scored", which null says.
    return float(value) if math.isfinite(value) else None


def _ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is 0 (undefined)."""
    return numerator / denominator if denominator else None


# --------------------------------------------------------------------------- ranking


def _tally(scores: FloatArray, is_attack: BoolArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Distinct scores (ascending) and how many positives / negatives hold each.

    Working per distinct score rather than per account is what makes ties exact:
    accounts with equal scores are always on the same side of any threshold.
    """
    values, inverse = np.unique(scores, return_inverse=True)
    inverse = inverse.reshape(-1)
    pos = np.bincount(inverse[is_attack], minlength=len(values)).astype(np.int64)
    neg = np.bincount(inverse[~is_attack], minlength=len(values)).astype(np.int64)
    return values.astype(np.float64), pos, neg


def _check_inputs(scores: FloatArray, is_attack: BoolArray) -> tuple[FloatArray, BoolArray]:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(is_attack, dtype=np.bool_).reshape(-1)
    if s.shape != y.shape:
        raise ValueError(f"{len(s)} scores but {len(y)} labels")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    return s, y


def roc_auc(scores: FloatArray, is_attack: BoolArray) -> float | None:
    """Area under the ROC curve, ties counted half (the Mann-Whitney U statistic).

    Equals P(score of a random attack > score of a random benign account) +
    0.5 · P(tie).  ``None`` when there are no positives or no negatives.

    >>> roc_auc(np.array([3.0, 2.0, 2.0, 1.0]), np.array([True, True, False, False]))
    0.875
    >>> roc_auc(np.array([1.0, 2.0]), np.array([True, True])) is None
    True
    """
    s, y = _check_inputs(scores, is_attack)
    _, pos, neg = _tally(s, y)
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    if n_pos == 0 or n_neg == 0:
        return None
    # Negatives strictly below each distinct score; a tie counts as half a win.
    # Doubled so the sum stays in exact integer arithmetic (average ranks, no floats).
    neg_below = np.cumsum(neg) - neg
    doubled_u = int(np.sum(pos * (2 * neg_below + neg)))
    return doubled_u / (2 * n_pos * n_neg)


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """The best score threshold whose benign FPR stays within ``target_fpr``.

    Flagged means ``score >= threshold``.  ``threshold`` is ``None`` when no
    threshold that flags anything stays within the target (then nothing is
    flagged: TPR 0, FPR 0).  ``tpr``/``fpr`` are ``None`` when undefined (no
    positives / no negatives); with no negatives the whole point is undefined.
    """

    target_fpr: float
    threshold: float | None
    tpr: float | None
    fpr: float | None
    true_positives: int
    false_positives: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the fields."""
        return {
            "target_fpr": self.target_fpr,
            "threshold": self.threshold,
            "tpr": self.tpr,
            "fpr": self.fpr,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
        }


def tpr_at_fpr(scores: FloatArray, is_attack: BoolArray, target: float) -> OperatingPoint:
    """The largest TPR of any threshold ``t`` (flag ``score >= t``) with FPR <= ``target``.

    Candidate thresholds are the distinct scores, so tied accounts are flagged
    together: a tie between attacks and benign accounts at the boundary cannot be
    split to sneak under the target.  Of the thresholds reaching the best TPR the
    highest one (fewest false positives) is reported.

    With 1000 benign accounts and ``target=0.001`` one false positive is allowed:

    >>> s = np.array([5.0, 4.0, 3.0] + [1.0] * 999)
    >>> y = np.array([False, True, True] + [False] * 999)
    >>> p = tpr_at_fpr(s, y, 0.001)
    >>> p.tpr, p.threshold, p.false_positives
    (1.0, 3.0, 1)
    >>> tpr_at_fpr(s, y, 0.0).tpr
    0.0
    """
    if not 0.0 <= target < 1.0:
        # target 1 would allow the "flag everything" threshold -inf, which JSON cannot carry.
        raise ValueError(f"target FPR must be in [0, 1), got {target}")
    s, y = _check_inputs(scores, is_attack)
    if np.isposinf(s).any():
        raise ValueError("scores contain +inf")
    values, pos, neg = _tally(s, y)
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    if n_neg == 0:
        return OperatingPoint(target, None, None, None, 0, 0)
    # Walk the distinct scores from the top: at step k the threshold is values[k]
    # and everything scoring >= it is flagged.
    values, pos, neg = values[::-1], pos[::-1], neg[::-1]
    tp = np.cumsum(pos)
    fp = np.cumsum(neg)
    # Divide rather than multiply target * n_neg: fp / n_neg and the literal
    # target are both correctly rounded, so an exact FPR of 0.001 compares equal.
    within = fp / n_neg <= target
    # fp only grows as the threshold falls, so the admissible thresholds are a prefix.
    n_ok = int(np.count_nonzero(within))
    best_tp = int(tp[:n_ok].max()) if n_ok else 0
    if best_tp == 0:
        return OperatingPoint(target, None, 0.0 if n_pos else None, 0.0, 0, 0)
    k = int(np.argmax(tp[:n_ok] == best_tp))  # first = highest threshold with best TP
    return OperatingPoint(
        target_fpr=target,
        threshold=float(values[k]),
        tpr=best_tp / n_pos,
        fpr=int(fp[k]) / n_neg,
        true_positives=best_tp,
        false_positives=int(fp[k]),
    )


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class Miss:
    """One misclassified account at the verdict threshold.

    ``score``/``risk`` are ``None`` when the account was never scored (missing from
    the scan, or a null / -inf score); ``missing`` says it was absent from the scan.
    """

    account_id: str
    role: str | None
    campaign_id: str | None
    score: float | None
    risk: float | None
    verdict: str
    reasons: tuple[str, ...]
    missing: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the fields."""
        return {
            "account_id": self.account_id,
            "role": self.role,
            "campaign_id": self.campaign_id,
            "score": self.score,
            "risk": self.risk,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "missing": self.missing,
        }


@dataclass(frozen=True, slots=True)
class AccountReport:
    """Account-level detection metrics; :meth:`to_dict` is the JSON form.

    Fractions are ``None`` where undefined (e.g. ``precision`` when nothing is
    flagged, ``recall`` with no attack accounts, ``fpr`` with no benign ones).
    """

    roc_auc: float | None
    operating_points: tuple[OperatingPoint, ...]
    precision: float | None
    recall: float | None
    fpr: float | None
    #: Benign role -> share of that role's accounts flagged.
    fpr_by_role: dict[str, float]
    #: Campaign id -> share of its accounts flagged.
    recall_by_campaign: dict[str, float]
    positives: int
    negatives: int
    true_positives: int
    false_positives: int
    #: Every labelled account by role (attackers included) and how many were flagged.
    accounts_by_role: dict[str, int]
    flagged_by_role: dict[str, int]
    accounts_by_campaign: dict[str, int]
    flagged_by_campaign: dict[str, int]
    #: Verdict -> {"benign": n, "attack": n}.
    verdict_counts: dict[str, dict[str, int]]
    false_positives_listed: tuple[Miss, ...]
    false_negatives_listed: tuple[Miss, ...]
    n_accounts_missing: int
    n_accounts_unlabelled: int
    score_column: str
    flagged_verdicts: tuple[str, ...]

    @property
    def false_negatives(self) -> int:
        """Attack accounts not flagged."""
        return self.positives - self.true_positives

    def tpr_at(self, target: float) -> float | None:
        """TPR at one of :data:`FPR_TARGETS` (``KeyError`` for any other)."""
        for point in self.operating_points:
            if point.target_fpr == target:
                return point.tpr
        raise KeyError(target)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain dicts, lists, str, int, float and None (no NaN, no inf)."""
        out: dict[str, Any] = {"roc_auc": self.roc_auc}
        for point in self.operating_points:
            out[_metric_key(point.target_fpr)] = point.tpr
        out |= {
            "precision": self.precision,
            "recall": self.recall,
            "fpr": self.fpr,
            "fpr_by_role": dict(self.fpr_by_role),
            "recall_by_campaign": dict(self.recall_by_campaign),
            "thresholds": {
                "score_column": self.score_column,
                "flagged_verdicts": list(self.flagged_verdicts),
                **{_metric_key(p.target_fpr): p.to_dict() for p in self.operating_points},
            },
            "counts": {
                "accounts": self.positives + self.negatives,
                "positives": self.positives,
                "negatives": self.negatives,
                "true_positives": self.true_positives,
                "false_positives": self.false_positives,
                "false_negatives": self.false_negatives,
                "true_negatives": self.negatives - self.false_positives,
                "by_role": dict(self.accounts_by_role),
                "flagged_by_role": dict(self.flagged_by_role),
                "by_campaign": dict(self.accounts_by_campaign),
                "flagged_by_campaign": dict(self.flagged_by_campaign),
            },
            "verdict_counts": {v: dict(c) for v, c in self.verdict_counts.items()},
            "misses": {
                "limit": MISS_LIMIT,
                "n_false_positives": self.false_positives,
                "n_false_negatives": self.false_negatives,
                "false_positives": [m.to_dict() for m in self.false_positives_listed],
                "false_negatives": [m.to_dict() for m in self.false_negatives_listed],
            },
            "n_accounts_missing": self.n_accounts_missing,
            "n_accounts_unlabelled": self.n_accounts_unlabelled,
        }
        return out


# --------------------------------------------------------------------------- input


def _require(table: pa.Table, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputError(
            f"{what} table lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(table.column_names) or 'none'}"
        )


def _ids(table: pa.Table, what: str) -> pa.Array:
    """The ``account_id`` column as one string array, checked non-null and unique."""
    try:
        ids = pc.cast(table.column("account_id").combine_chunks(), pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"{what} account_id is not text: {exc}", field="account_id") from exc
    if ids.null_count:
        raise InputError(f"{what} table has {ids.null_count} null account_id", field="account_id")
    counts = pc.value_counts(ids)
    dup = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(dup):
        example = dup.field("values")[0].as_py()
        raise InputError(
            f"{what} table has {len(dup)} duplicated account_id (e.g. {example!r})",
            field="account_id",
        )
    return ids


def _strings(arr: pa.Array, fill: str) -> pa.Array:
    """A text column as a string array, nulls replaced by ``fill``."""
    return pc.fill_null(pc.cast(arr, pa.string()), fill)


def _reason_list(value: Any) -> tuple[str, ...]:
    """A ``reasons`` cell (list of text, one text, or structs) as a tuple of str."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    # Structured reasons (dicts) become compact JSON so the report stays JSON-ready.
    return tuple(
        item if isinstance(item, str) else json.dumps(item, sort_keys=True, default=str)
        for item in items
        if item is not None
    )


def _group_counts(groups: pa.Array, mask: BoolArray) -> tuple[dict[str, int], dict[str, int]]:
    """Accounts per group name, and how many of them ``mask`` selects; sorted by name."""
    # Dictionary-encode in Arrow: sorting a million Python strings in numpy is slow.
    encoded = pc.dictionary_encode(groups)
    names = encoded.dictionary.to_pylist()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    total = np.bincount(codes, minlength=len(names))
    hit = np.bincount(codes[mask], minlength=len(names))
    order = sorted(range(len(names)), key=lambda k: names[k])
    return (
        {str(names[k]): int(total[k]) for k in order},
        {str(names[k]): int(hit[k]) for k in order},
    )


def _verdict_order(verdicts: Iterable[str]) -> list[str]:
    extra = sorted(set(verdicts) - set(KNOWN_VERDICTS))
    return [*KNOWN_VERDICTS, *extra]


#: Verdicts that count as flagged: those that cost an honest user something.
FLAGGED_VERDICTS: Final = frozenset({"restrict", "block"})


def evaluate_accounts(
    accounts: pa.Table,
    labels: pa.Table,
    *,
    score_column: str = "score",
    verdict_column: str = "verdict",
    flagged_verdicts: frozenset[str] = FLAGGED_VERDICTS,
) -> AccountReport:
    """Score a scan's per-account output against ground-truth labels.

    The labelled accounts are the population.  A labelled account the scan never
    wrote counts as score -inf, verdict ``allow`` (it was never seen as
    suspicious) and is counted in ``n_accounts_missing``; a scanned account with no
    label is ignored and counted in ``n_accounts_unlabelled``.  Ranking uses
    ``score_column`` (``risk`` when the scan has no such column); a null score
    reads as -inf, a null verdict as ``allow``.  Flagged means the verdict is in
    ``flagged_verdicts``.

    Raises :class:`~distillguard.errors.InputError` for missing columns, null or
    duplicated account ids, null ``is_attack``, and NaN or +inf scores.
    """
    _require(labels, ("account_id", "is_attack"), "labels")
    _require(accounts, ("account_id", verdict_column), "accounts")
    if score_column not in accounts.column_names:
        if "risk" not in accounts.column_names:
            raise InputError(
                f"accounts table has neither {score_column!r} nor 'risk' to rank by",
                field=score_column,
            )
        score_column = "risk"

    label_ids = _ids(labels, "labels")
    account_ids = _ids(accounts, "accounts")
    n = len(label_ids)

    is_attack_col = pc.cast(labels.column("is_attack"), pa.bool_())
    if is_attack_col.null_count:
        raise InputError(
            f"labels have {is_attack_col.null_count} null is_attack", field="is_attack"
        )
    is_attack = np.asarray(is_attack_col.to_numpy(zero_copy_only=False), dtype=np.bool_)

    def label_text(name: str) -> pa.Array:
        # role / campaign_id are optional in hand-built label tables.
        if name in labels.column_names:
            return pc.cast(labels.column(name).combine_chunks(), pa.string())
        return pa.nulls(n, pa.string())

    role_raw = label_text("role")
    campaign_raw = label_text("campaign_id")
    roles = _strings(role_raw, NO_ROLE)
    campaigns = _strings(campaign_raw, NO_CAMPAIGN)

    # Row of each labelled account in the scan; null where the scan lacks it.
    where = pc.index_in(label_ids, value_set=account_ids)
    present = np.asarray(where.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    n_missing = int(n - present.sum())
    unlabelled = pc.invert(pc.is_in(account_ids, value_set=label_ids))
    n_unlabelled = int(pc.sum(unlabelled).as_py() or 0)  # sum of nothing is null

    def scan_column(name: str) -> pa.Array:
        """A scan column aligned with the labels (null where the scan lacks the account)."""
        return pc.take(accounts.column(name).combine_chunks(), where)

    try:
        score_arr = pc.cast(scan_column(score_column), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"{score_column} is not numeric: {exc}", field=score_column) from exc
    scores = np.asarray(
        pc.fill_null(score_arr, -math.inf).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    if np.isnan(scores).any() or np.isposinf(scores).any():
        bad = int(np.count_nonzero(np.isnan(scores) | np.isposinf(scores)))
        raise InputError(
            f"{bad} labelled account(s) have a NaN or +inf {score_column}", field=score_column
        )
    risks: FloatArray | None = None
    if "risk" in accounts.column_names:
        risk_arr = pc.cast(scan_column("risk"), pa.float64())
        risks = np.asarray(risk_arr.to_numpy(zero_copy_only=False), dtype=np.float64)
    verdicts = _strings(scan_column(verdict_column), "allow")
    flagged_set = pa.array(sorted(flagged_verdicts), pa.string())
    flagged = np.asarray(
        pc.is_in(verdicts, value_set=flagged_set).to_numpy(zero_copy_only=False), dtype=np.bool_
    )
    # Taken lazily, row by row, for the few listed misses only: turning a million
    # reason lists into Python objects would dominate the run time.
    reasons_col = scan_column("reasons") if "reasons" in accounts.column_names else None

    benign = ~is_attack
    positives, negatives = int(is_attack.sum()), int(benign.sum())
    tp = int(np.count_nonzero(flagged & is_attack))
    fp = int(np.count_nonzero(flagged & benign))

    benign_total, benign_hit = _group_counts(roles.filter(pa.array(benign)), flagged[benign])
    camp_total, camp_hit = _group_counts(campaigns.filter(pa.array(is_attack)), flagged[is_attack])
    role_total, role_hit = _group_counts(roles, flagged)

    # Every account by verdict, and the attack ones among them.
    by_verdict, attack_by_verdict = _group_counts(verdicts, is_attack)
    verdict_counts = {
        v: {
            "benign": by_verdict.get(v, 0) - attack_by_verdict.get(v, 0),
            "attack": attack_by_verdict.get(v, 0),
        }
        for v in _verdict_order(by_verdict)
    }

    def misses(mask: BoolArray, worst_first: str) -> tuple[Miss, ...]:
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return ()
        # Arrow sorts the subset by (score, account_id) without a Python-level sort;
        # the id tie-break keeps the listing deterministic.
        sub = pa.table({"score": scores[idx], "id": label_ids.take(pa.array(idx))})
        order = pc.sort_indices(sub, sort_keys=[("score", worst_first), ("id", "ascending")])
        out: list[Miss] = []
        for i in idx[order.to_numpy()[:MISS_LIMIT]]:
            risk = None if risks is None else _finite_or_none(float(risks[i]))
            why = () if reasons_col is None else _reason_list(reasons_col[int(i)].as_py())
            out.append(
                Miss(
                    account_id=str(label_ids[i].as_py()),
                    role=role_raw[i].as_py(),
                    campaign_id=campaign_raw[i].as_py(),
                    score=_finite_or_none(float(scores[i])),
                    risk=risk,
                    verdict=str(verdicts[int(i)].as_py()),
                    reasons=why,
                    missing=not bool(present[i]),
                )
            )
        return tuple(out)

    return AccountReport(
        roc_auc=roc_auc(scores, is_attack),
        operating_points=tuple(tpr_at_fpr(scores, is_attack, t) for t in FPR_TARGETS),
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, positives),
        fpr=_ratio(fp, negatives),
        fpr_by_role={r: benign_hit[r] / benign_total[r] for r in benign_total},
        recall_by_campaign={c: camp_hit[c] / camp_total[c] for c in camp_total},
        positives=positives,
        negatives=negatives,
        true_positives=tp,
        false_positives=fp,
        accounts_by_role=role_total,
        flagged_by_role=role_hit,
        accounts_by_campaign=camp_total,
        flagged_by_campaign=camp_hit,
        verdict_counts=verdict_counts,
        # Benign accounts flagged, most confident mistakes first; attacks let
        # through, least suspicious (hardest to catch) first.
        false_positives_listed=misses(flagged & benign, "descending"),
        false_negatives_listed=misses(~flagged & is_attack, "ascending"),
        n_accounts_missing=n_missing,
        n_accounts_unlabelled=n_unlabelled,
        score_column=score_column,
        flagged_verdicts=tuple(sorted(flagged_verdicts)),
    )


# --------------------------------------------------------------------------- output


def write_json(report: AccountReport, path: str | Path) -> None:
    """Write ``report.to_dict()`` as indented JSON; the file appears atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # allow_nan=False: a NaN reaching here is a bug, and must not become invalid JSON.
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    with atomic_open(target, "w") as out:
        out.write(text + "\n")


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _reasons_text(reasons: tuple[str, ...], limit: int = 80) -> Text:
    text = "; ".join(reasons)
    # Text(), not a markup string: ids and reasons are data and may contain "[...]".
    return Text(text if len(text) <= limit else text[: limit - 1] + "…")


def render_report(report: AccountReport, console: Console, *, max_misses: int = 10) -> None:
    """Print the report as rich tables: headline, FPR by role, recall by campaign, misses."""
    head = Table(title="account-level detection", title_justify="left")
    head.add_column("metric")
    head.add_column("value", justify="right")
    head.add_column("what it means")
    head.add_row(
        "labelled accounts",
        f"{report.positives + report.negatives:,}",
        f"{report.positives:,} attack, {report.negatives:,} benign",
    )
    head.add_row("ROC AUC", _num(report.roc_auc), f"ranking by {report.score_column}")
    for p in report.operating_points:
        if p.threshold is None:
            how = "no threshold flags anything within this FPR"
        else:
            how = (
                f"{report.score_column} ≥ {p.threshold:.4g}: "
                f"{p.true_positives:,} attack, {p.false_positives:,} benign flagged"
            )
        head.add_row(f"TPR @ FPR ≤ {p.target_fpr:.1%}", _pct(p.tpr), how)
    verdicts = "/".join(report.flagged_verdicts)
    head.add_row(
        "precision", _pct(report.precision), f"of accounts with verdict {verdicts}, share attack"
    )
    head.add_row(
        "recall",
        _pct(report.recall),
        f"{report.true_positives:,} of {report.positives:,} attack accounts flagged",
    )
    head.add_row(
        "FPR",
        _pct(report.fpr, 2),
        f"{report.false_positives:,} of {report.negatives:,} benign accounts flagged",
    )
    head.add_row(
        "missing from scan",
        f"{report.n_accounts_missing:,}",
        "labelled but never scored (counted as allow)",
    )
    head.add_row("unlabelled", f"{report.n_accounts_unlabelled:,}", "scanned, no label: ignored")
    console.print(head)

    if report.fpr_by_role:
        roles = Table(title="false positives by benign role", title_justify="left")
        for col in ("role", "accounts", "flagged", "FPR"):
            roles.add_column(col, justify="left" if col == "role" else "right")
        for role, rate in sorted(report.fpr_by_role.items(), key=lambda kv: (-kv[1], kv[0])):
            total = report.accounts_by_role.get(role, 0)
            hit = report.flagged_by_role.get(role, 0)
            roles.add_row(Text(role), f"{total:,}", f"{hit:,}", _pct(rate, 2))
        console.print(roles)

    if report.recall_by_campaign:
        camps = Table(title="recall by campaign (worst first)", title_justify="left")
        for col in ("campaign", "accounts", "flagged", "recall"):
            camps.add_column(col, justify="left" if col == "campaign" else "right")
        for cid, rate in sorted(report.recall_by_campaign.items(), key=lambda kv: (kv[1], kv[0])):
            total = report.accounts_by_campaign[cid]
            camps.add_row(
                Text(cid), f"{total:,}", f"{report.flagged_by_campaign[cid]:,}", _pct(rate)
            )
        console.print(camps)

    vt = Table(title="verdicts", title_justify="left")
    for col in ("verdict", "benign", "attack"):
        vt.add_column(col, justify="left" if col == "verdict" else "right")
    for v, c in report.verdict_counts.items():
        label = Text(v, style="bold") if v in report.flagged_verdicts else Text(v)
        vt.add_row(label, f"{c['benign']:,}", f"{c['attack']:,}")
    console.print(vt)

    _render_misses(
        console,
        f"top false positives (benign flagged, {report.false_positives:,} in all)",
        "role",
        report.false_positives_listed[:max_misses],
    )
    _render_misses(
        console,
        f"top false negatives (attacks missed, {report.false_negatives:,} in all)",
        "campaign",
        report.false_negatives_listed[:max_misses],
    )


def _render_misses(console: Console, title: str, group: str, misses: tuple[Miss, ...]) -> None:
    if not misses:
        console.print(f"{title}: none", highlight=False)
        return
    table = Table(title=title, title_justify="left")
    for col in ("account", group, "score", "verdict", "reasons"):
        table.add_column(col, justify="right" if col == "score" else "left")
    for m in misses:
        where = m.role if group == "role" else m.campaign_id
        score = "not scanned" if m.missing else _num(m.score)
        table.add_row(
            Text(m.account_id), Text(where or "—"), score, Text(m.verdict), _reasons_text(m.reasons)
        )
    console.print(table)
