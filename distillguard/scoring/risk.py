"""Score accounts, turn scores into calibrated risk and verdicts, and say why.

The score is a sum of evidence terms, each how far an account's (shrunk) rate of a
harvesting behaviour exceeds the benign baseline rate, weighted by how telling that
behaviour is (:class:`ScoringConfig`).  Chain-of-thought elicitation and harvesting
parameters carry most weight; capability targeting, single-turn use and template
reuse carry little, because legitimate applications show them all day.  Scores are ranked as they
are; *risk* is the score's position among known-benign accounts (the share of
calibration benign accounts scoring lower), so ``risk >= 0.999`` means "higher than
99.9% of benign accounts" and verdict thresholds are stated benign
false-positive rates.  No labels are needed: weights are priors from public
reports, and thresholds come from benign traffic only.

>>> cfg = ScoringConfig()
>>> cfg.weights["cot"] > cfg.weights["single_turn"]
True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.scoring.features import F64, FEATURES, account_features, shrunk

VERDICTS: Final = ("allow", "watch", "restrict", "block")
#: Benign false-positive rate each verdict is calibrated to (at most this share of
#: benign accounts get this verdict or a stronger one).
DEFAULT_FPR: Final[dict[str, float]] = {"watch": 0.01, "restrict": 0.001, "block": 0.0002}
#: Behavioural evidence at which account context (age, tier) counts in full.
CONTEXT_GATE: Final = 0.5
NEW_ACCOUNT_DAYS: Final = 30.0


def _excess(rate: F64, p0: float) -> F64:
    """How far ``rate`` exceeds the benign baseline ``p0`` (never negative).

    An absolute difference, not a ratio: 1% of an application's requests tripping
    a signal whose benign base rate is 0.07% is fifteen times the base rate but
    still ordinary, while a harvester's 30% is not.
    """
    out: F64 = np.maximum(0.0, rate - p0)
    return out


@dataclass(frozen=True)
class ScoringConfig:
    """Weights of each evidence term (priors; ``distillguard train`` can fit them)."""

    weights: dict[str, float] = field(
        default_factory=lambda: {
            "cot": 10.0,
            "harvest": 3.0,
            "target": 0.2,
            "single_turn": 0.1,
            "template": 0.1,
            "benchmark": -3.0,
            "volume": 0.0,
            "new_account": 0.4,
            "farmed_tier": 0.2,
        }
    )


@dataclass
class Calibration:
    """Benign score quantiles and verdict thresholds (score units) with their FPRs."""

    quantiles: list[float]
    levels: list[float]
    thresholds: dict[str, float]
    fpr: dict[str, float]
    source: str = ""
    benign_accounts: int = 0
    #: Per-request rates of each behaviour among benign accounts: the baseline
    #: every account is compared with.  Taken from benign traffic, not from the
    #: scanned population, so a large campaign cannot raise its own baseline.
    base_rates: dict[str, float] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        benign_scores: F64,
        fpr: dict[str, float] | None = None,
        source: str = "",
        base_rates: dict[str, float] | None = None,
    ) -> Calibration:
        """Thresholds that flag at most ``fpr[v]`` of ``benign_scores`` as ``v`` or stronger."""
        fpr = dict(fpr or DEFAULT_FPR)
        s = np.sort(np.asarray(benign_scores, dtype=np.float64))
        if len(s) == 0:
            raise DistillguardError("calibration needs at least one benign account")
        levels = np.concatenate([np.linspace(0, 0.99, 991), np.linspace(0.99, 1.0, 1001)[1:]])
        quantiles = np.quantile(s, levels)
        thresholds = {}
        for verdict, rate in fpr.items():
            # Flag strictly above the benign score at rank ceil((1 - rate) * n).
            k = int(np.floor(rate * len(s)))
            thresholds[verdict] = float(s[len(s) - k - 1]) + 1e-9 if k < len(s) else float(s[0])
        return cls(
            quantiles=[float(q) for q in quantiles],
            levels=[float(v) for v in levels],
            thresholds=thresholds,
            fpr=fpr,
            source=source,
            benign_accounts=len(s),
            base_rates=dict(base_rates or {}),
        )

    def risk(self, scores: F64) -> F64:
        """Share of calibration benign accounts scoring below each score."""
        q = np.asarray(self.quantiles)
        lv = np.asarray(self.levels)
        # Unique quantiles keep the interpolation monotone where benign scores tie.
        uq, idx = np.unique(q, return_index=True)
        last = np.searchsorted(q, uq, side="right") - 1
        out: F64 = np.interp(scores, uq, lv[last], left=0.0, right=1.0)
        del idx
        return out

    def verdicts(self, scores: F64) -> list[str]:
        out = []
        for s in scores:
            v = "allow"
            for verdict in ("watch", "restrict", "block"):
                if verdict in self.thresholds and s >= self.thresholds[verdict]:
                    v = verdict
            out.append(v)
        return out

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "<calibration>") -> Calibration:
        try:
            d = json.loads(text)
            return cls(**d)
        except (ValueError, TypeError) as exc:
            raise DistillguardError(f"not a calibration file: {exc}", path=source) from exc

    @classmethod
    def load(cls, path: str | Path | None = None) -> Calibration:
        """A user's calibration file, or the default shipped with the package."""
        if path is None:
            ref = resources.files("distillguard.scoring") / "default_calibration.json"
            return cls.from_json(ref.read_text(encoding="utf-8"), "<default calibration>")
        p = Path(path)
        try:
            return cls.from_json(p.read_text(encoding="utf-8"), str(p))
        except OSError as exc:
            raise DistillguardError(f"cannot read calibration: {exc.strerror}", path=p) from exc


RATE_KEYS: Final = {
    "cot": "_cot_n",
    "target": "_target_n",
    "single_turn": "_single_n",
    "harvest": "_harvest_n",
    "template": "_template_n",
}


def base_rates(
    feats: dict[str, Any], mask: npt.NDArray[np.bool_] | None = None
) -> dict[str, float]:
    """Pooled per-request rates of each behaviour over the accounts in ``feats``
    (only those where ``mask`` is true, when given)."""

    def pooled(col: str) -> float:
        values = np.asarray(feats[col])
        return float(np.sum(values if mask is None else values[mask]))

    n = pooled("requests")
    return {k: pooled(col) / n if n else 0.0 for k, col in RATE_KEYS.items()}


def evidence(
    feats: dict[str, Any], cfg: ScoringConfig, base: dict[str, float] | None = None
) -> dict[str, F64]:
    """Each weighted evidence term per account (their sum is the score).

    ``base`` holds the benign baseline rates (from the calibration); without it the
    scanned population's pooled rates are used.
    """
    base = base or base_rates(feats)
    n = feats["requests"]
    w = cfg.weights
    terms: dict[str, F64] = {}
    excess: dict[str, F64] = {}
    for key, k_name in RATE_KEYS.items():
        p0 = float(base.get(key, 0.0))
        excess[key] = _excess(shrunk(feats[k_name], n, p0), p0)
        terms[key] = w.get(key, 0.0) * excess[key]
    terms["volume"] = w.get("volume", 0.0) * np.log10(n)
    # Account age and tier are context: they add to behavioural evidence of
    # harvesting but are not evidence by themselves (plenty of new startup accounts
    # run legitimate apps), so they count in proportion to that evidence.
    core = np.maximum(terms["cot"], 0.0) + np.maximum(terms["harvest"], 0.0)
    gate = np.minimum(1.0, core / CONTEXT_GATE)
    young = (feats["account_age_days"] < NEW_ACCOUNT_DAYS).astype(np.float64)
    terms["new_account"] = w.get("new_account", 0.0) * young * gate
    terms["farmed_tier"] = w.get("farmed_tier", 0.0) * feats["farmed_tier"] * gate
    # Public benchmark items explain what evaluation traffic looks like (targeted,
    # single-turn, templated, sampled with n > 1 and logprobs), so they may cancel
    # that evidence, but never chain-of-thought elicitation, and never push a score
    # below zero: otherwise a harvester earns a discount by mixing in benchmark items.
    discount = -w.get("benchmark", 0.0) * shrunk(feats["benchmark_share"] * n, n, 0.0)
    explained = sum(
        (np.maximum(terms[k], 0.0) for k in terms if k != "cot"), start=np.zeros(len(n))
    )
    terms["benchmark"] = -np.minimum(np.maximum(discount, 0.0), explained)
    return terms


def total(terms: dict[str, F64], n: int) -> F64:
    """The score: the sum of the evidence terms (zeros for ``n`` accounts and no terms)."""
    if not terms:
        return np.zeros(n)
    out: F64 = np.sum(np.stack(list(terms.values())), axis=0)
    return out


def score_profiles(
    profiles: pa.Table, calibration: Calibration | None = None, cfg: ScoringConfig | None = None
) -> pa.Table:
    """``accounts`` table: id, score, risk, verdict, reasons and the features."""
    cfg = cfg or ScoringConfig()
    cal = calibration or Calibration.load()
    feats = account_features(profiles)
    terms = evidence(feats, cfg, cal.base_rates or None)
    score = total(terms, profiles.num_rows)
    risk = cal.risk(score)
    verdicts = cal.verdicts(score)
    reasons = explain(feats, terms)
    cols: dict[str, Any] = {
        "account_id": feats["account_id"],
        "risk": risk,
        "score": score,
        "verdict": verdicts,
        "reasons": pa.array(reasons, pa.list_(pa.string())),
        "tier": feats["tier"],
    }
    for name in FEATURES:
        cols[name] = feats[name]
    table = pa.table(cols)
    order = np.argsort(-score, kind="stable")
    return table.take(pa.array(order))


def _pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else f"{x:.1%}"


def explain(feats: dict[str, Any], terms: dict[str, F64]) -> list[list[str]]:
    """Human-readable reasons with numbers, strongest evidence first."""
    n = feats["requests"]
    med = {
        k: _pct(float(np.median(feats[k])))
        for k in ("cot_share", "target_share", "single_turn_share", "template_share")
    }
    med_h = float(np.median(feats["harvest_param_share"]))

    def line(term: str, i: int) -> str:
        f = {k: feats[k][i] for k in FEATURES if k in feats}
        if term == "cot":
            text = (
                f"{_pct(f['cot_share'])} ask for the model's step-by-step reasoning "
                f"(population median {med['cot_share']})"
            )
            if f["cot_scattered"] > 0:
                counted = feats["_cot_n"][i] / n[i]
                text += (
                    f"; scattered inside one fixed template ({_pct(f['template_cot_share'])} "
                    f"of its requests), counted as {_pct(counted)}"
                )
            return text
        if term == "target":
            return (
                f"{_pct(f['target_share'])} coding, math, reasoning or tool use "
                f"(population median {med['target_share']})"
            )
        if term == "single_turn":
            share = f["single_turn_share"]
            text = "no follow-up turns" if share >= 0.999 else f"{_pct(share)} single-turn"
            return f"{text} (population median {med['single_turn_share']} single-turn)"
        if term == "template":
            return (
                f"{_pct(f['template_share'])} of requests share one prompt template "
                f"(population median {med['template_share']})"
            )
        if term == "harvest":
            return (
                "harvest parameters (n>1, logprobs, logit_bias, high effort, huge max_tokens) "
                f"score {f['harvest_param_share']:.2f} per request (median {med_h:.2f})"
            )
        if term == "new_account":
            return f"account created {f['account_age_days']:.1f} days before its first request here"
        if term == "farmed_tier":
            return f"tier {feats['tier'][i]} (a tier reported farmed for distillation)"
        return (
            f"{_pct(f['benchmark_share'])} are public benchmark items as evaluation "
            "harnesses send them (evaluation traffic; lowers risk)"
        )

    shown = ("cot", "target", "single_turn", "template", "harvest", "new_account", "farmed_tier")
    out: list[list[str]] = []
    for i in range(len(n)):
        head = f"{int(n[i]):,} requests, {int(feats['tokens_returned'][i]):,} tokens returned"
        items = [(float(terms[t][i]), t) for t in shown if terms[t][i] > 0]
        # A farmed tier is context, not evidence on its own.
        if not any(w > 0.5 for w, t in items if t != "farmed_tier"):
            items = [(w, t) for w, t in items if t != "farmed_tier"]
        if terms["benchmark"][i] < 0:
            items.append((-float(terms["benchmark"][i]), "benchmark"))
        items.sort(key=lambda wt: -wt[0])
        out.append([head, *(line(t, i) for _, t in items[:5])])
    return out


__all__ = [
    "DEFAULT_FPR",
    "VERDICTS",
    "Calibration",
    "ScoringConfig",
    "evidence",
    "explain",
    "score_profiles",
    "total",
]
