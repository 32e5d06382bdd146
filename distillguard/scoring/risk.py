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
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.scoring.features import (
    F64,
    FEATURES,
    PRIOR_REQUESTS,
    account_features,
    shrunk,
)
from distillguard.scoring.value import ValueComparison, compare_value, describe_value
from distillguard.scoring.verdicts import HELD_REASON, Reason, Verdicts

VERDICTS: Final = ("allow", "watch", "restrict", "block")
#: Benign false-positive rate each verdict is calibrated to (at most this share of
#: benign accounts get this verdict or a stronger one).
DEFAULT_FPR: Final[dict[str, float]] = {"watch": 0.01, "restrict": 0.001, "block": 0.0002}
#: Kinds of evidence from outside an account's own traffic that may back a block
#: (see :class:`BlockEvidence`).
INDEPENDENT_KINDS: Final = ("campaign", "intel")
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
            "system_cot": 0.3,
            "harvest": 3.0,
            "harvest_value": 0.3,
            "target": 0.2,
            "single_turn": 0.1,
            "template": 0.1,
            "benchmark": -3.0,
            "volume": 0.0,
            "new_account": 0.4,
            "farmed_tier": 0.2,
        }
    )


@dataclass(frozen=True)
class BlockEvidence:
    """What a ``block`` needs besides a score at the block threshold.

    The score measures how far an account's harvesting rates exceed the benign
    baseline.  From a handful of requests it can pass the block threshold on a few
    odd ones (three reasoning questions from a student on a free tier), and what
    such an account can take is as small as its traffic, while refusing a real user
    every request is a real cost.  So a block must rest on evidence sufficient in
    amount: at least ``min_requests`` requests of the account's own (by default the
    prior's weight, :data:`~distillguard.scoring.features.PRIOR_REQUESTS`: from there
    on the account's own requests outweigh the prior its rates are shrunk towards),
    or evidence of one of the ``independent`` kinds, which come from outside the
    account's own few requests: ``campaign`` (it is a member of a campaign, linked by
    infrastructure or behaviour, whose pooled traffic scored as harvesting) and
    ``intel`` (it matched a peer provider's indicators).  Short of that the verdict
    stops at ``restrict``: the account is still served, without reasoning traces,
    logprobs or many samples.

    Policy data: stored in the calibration file (``block_evidence``) and validated
    on load, so an operator changes it without changing code.

    >>> BlockEvidence().sufficient(np.array([5.0, 25.0]), {}).tolist()
    [False, True]
    >>> BlockEvidence().sufficient(np.array([5.0]), {"campaign": np.array([True])}).tolist()
    [True]
    """

    #: Requests of the account's own from which a block needs no other evidence.
    min_requests: int = int(PRIOR_REQUESTS)
    #: Kinds of independent evidence any one of which backs a block on fewer requests.
    independent: tuple[str, ...] = INDEPENDENT_KINDS

    def sufficient(
        self, requests: F64, kinds: Mapping[str, npt.NDArray[np.bool_]]
    ) -> npt.NDArray[np.bool_]:
        """Per account: is there enough evidence to block on?"""
        unknown = sorted(set(kinds) - set(INDEPENDENT_KINDS))
        if unknown:
            raise ValueError(f"unknown evidence kinds {unknown} (known: {INDEPENDENT_KINDS})")
        out: npt.NDArray[np.bool_] = np.asarray(requests, dtype=np.float64) >= self.min_requests
        for kind in self.independent:
            if kind in kinds:
                out = out | np.asarray(kinds[kind], dtype=bool)
        return out

    def describe(self) -> str:
        """The rule in words, for reasons and docs."""
        alt = " or ".join(
            {"campaign": "membership of a campaign", "intel": "a peer's indicators"}[k]
            for k in self.independent
        )
        return f"a block needs {self.min_requests:,} requests" + (f" or {alt}" if alt else "")

    @classmethod
    def from_dict(cls, d: object, source: str = "<calibration>") -> BlockEvidence:
        """Validate ``block_evidence`` as read from a calibration file."""
        where = "block_evidence"
        if not isinstance(d, Mapping):
            raise DistillguardError("must be an object", path=source, field=where)
        known = {f.name for f in fields(cls)}
        for key in d:
            if key not in known:
                raise DistillguardError(
                    f"unknown key (known: {', '.join(sorted(known))})",
                    path=source,
                    field=f"{where}.{key}",
                )
        n = d.get("min_requests", cls.min_requests)
        # bool is an int in Python; true/false is not a number of requests.
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise DistillguardError(
                f"must be a whole number >= 1, not {n!r}",
                path=source,
                field=f"{where}.min_requests",
            )
        kinds = d.get("independent", list(INDEPENDENT_KINDS))
        if not isinstance(kinds, list | tuple) or not all(isinstance(k, str) for k in kinds):
            raise DistillguardError(
                "must be a list of evidence kinds", path=source, field=f"{where}.independent"
            )
        for k in kinds:
            if k not in INDEPENDENT_KINDS:
                raise DistillguardError(
                    f"unknown evidence kind {k!r} (known: {', '.join(INDEPENDENT_KINDS)})",
                    path=source,
                    field=f"{where}.independent",
                )
        if len(set(kinds)) != len(kinds):
            raise DistillguardError("lists a kind twice", path=source, field=f"{where}.independent")
        return cls(min_requests=n, independent=tuple(kinds))


@dataclass
class Calibration:
    """Benign score quantiles and verdict thresholds (score units) with their FPRs,
    and the evidence a block needs (:class:`BlockEvidence`)."""

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
    #: What a block needs besides the score (policy data, not fitted).
    block_evidence: BlockEvidence = field(default_factory=BlockEvidence)
    #: What comparable benign accounts take (:mod:`distillguard.scoring.value`):
    #: cohort key (tier | age bucket | client family, ``*`` for any) -> benign
    #: accounts, median and 99th percentile of the daily take.  Empty: no
    #: ``harvest_value`` term (a calibration written before it existed).
    value_reference: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        benign_scores: F64,
        fpr: dict[str, float] | None = None,
        source: str = "",
        base_rates: dict[str, float] | None = None,
        block_evidence: BlockEvidence | None = None,
        value_reference: dict[str, dict[str, float]] | None = None,
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
            block_evidence=block_evidence or BlockEvidence(),
            value_reference=dict(value_reference or {}),
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

    def judge(
        self,
        scores: F64,
        requests: F64,
        kinds: Mapping[str, npt.NDArray[np.bool_]] | None = None,
    ) -> tuple[list[str], npt.NDArray[np.bool_]]:
        """Verdicts, and which accounts were held at ``restrict`` for want of evidence.

        The one definition of a verdict: the strongest whose score threshold the
        account reaches, except that ``block`` also needs the evidence
        :attr:`block_evidence` asks for (``requests`` of the account's own, or
        ``kinds``: independent evidence per account, such as campaign membership).
        """
        scores = np.asarray(scores, dtype=np.float64)
        requests = np.asarray(requests, dtype=np.float64)
        if requests.shape != scores.shape:
            raise ValueError(f"{len(requests)} request counts for {len(scores)} scores")
        enough = self.block_evidence.sufficient(requests, kinds or {})
        out = []
        held = np.zeros(len(scores), dtype=bool)
        for i, s in enumerate(scores):
            v = "allow"
            for verdict in ("watch", "restrict", "block"):
                if verdict in self.thresholds and s >= self.thresholds[verdict]:
                    v = verdict
            if v == "block" and not enough[i]:
                v, held[i] = "restrict", True
            out.append(v)
        return out, held

    def verdicts(
        self,
        scores: F64,
        requests: F64,
        kinds: Mapping[str, npt.NDArray[np.bool_]] | None = None,
    ) -> list[str]:
        """The verdicts of :meth:`judge`."""
        return self.judge(scores, requests, kinds)[0]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, d: object, source: str = "<calibration>") -> Calibration:
        """A calibration from its JSON object, ``block_evidence`` validated."""
        if not isinstance(d, dict):
            raise DistillguardError("not a calibration file: not a JSON object", path=source)
        d = dict(d)
        # Files written before the evidence rule existed get the default rule.
        rule = BlockEvidence.from_dict(d.pop("block_evidence", {}), source)
        try:
            return cls(**d, block_evidence=rule)
        except TypeError as exc:
            raise DistillguardError(f"not a calibration file: {exc}", path=source) from exc

    @classmethod
    def from_json(cls, text: str, source: str = "<calibration>") -> Calibration:
        try:
            d = json.loads(text)
        except ValueError as exc:
            raise DistillguardError(f"not a calibration file: {exc}", path=source) from exc
        return cls.from_dict(d, source)

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
    "system_cot": "_system_cot_n",
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


#: Terms that count as elicitation: the benchmark discount never cancels them.
ELICITATION_TERMS: Final = ("cot", "system_cot")
#: Behavioural terms in proportion to which account context (age, tier) counts: the
#: request-level tells.  System-prompt elicitation and harvest value are left out:
#: new applications legitimately send "show the steps" system prompts and take a lot
#: (on development seeds standard-300 and stealth-300, counting them here put new
#: applications at ``restrict`` on them alone).
CORE_TERMS: Final = ("cot", "harvest")


def evidence(
    feats: dict[str, Any],
    cfg: ScoringConfig,
    base: dict[str, float] | None = None,
    value: ValueComparison | None = None,
) -> dict[str, F64]:
    """Each weighted evidence term per account (their sum is the score).

    ``base`` holds the benign baseline rates (from the calibration); without it the
    scanned population's pooled rates are used.  ``value`` compares each account's
    take with comparable benign accounts (:func:`compare_value` against the
    calibration's ``value_reference``); without it there is no ``harvest_value`` term.
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
    # What the account was served, against comparable benign accounts: decades
    # above their 99th percentile (capped), whatever it asked and how.
    terms["harvest_value"] = (
        w.get("harvest_value", 0.0) * value.excess if value is not None else np.zeros(len(n))
    )
    # Account age and tier are context: they add to behavioural evidence of
    # harvesting but are not evidence by themselves (plenty of new startup accounts
    # run legitimate apps), so they count in proportion to that evidence.
    core = sum((np.maximum(terms[k], 0.0) for k in CORE_TERMS), start=np.zeros(len(n)))
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
        (np.maximum(terms[k], 0.0) for k in terms if k not in ELICITATION_TERMS),
        start=np.zeros(len(n)),
    )
    terms["benchmark"] = -np.minimum(np.maximum(discount, 0.0), explained)
    return terms


def total(terms: dict[str, F64], n: int) -> F64:
    """The score: the sum of the evidence terms (zeros for ``n`` accounts and no terms)."""
    if not terms:
        return np.zeros(n)
    out: F64 = np.sum(np.stack(list(terms.values())), axis=0)
    return out


def score_accounts(
    profiles: pa.Table,
    calibration: Calibration | None = None,
    cfg: ScoringConfig | None = None,
    *,
    take: bool = True,
) -> Verdicts:
    """Step 1 of the verdict pipeline (:mod:`distillguard.scoring.verdicts`): every
    account's score from its own traffic, the reasons for it and its features.

    ``take=False`` leaves out the ``harvest_value`` term: for profiles merged over
    several accounts (a campaign's group), whose take is many accounts' and is not to
    be compared with what one comparable account takes.
    """
    cfg = cfg or ScoringConfig()
    cal = calibration or Calibration.load()
    feats = account_features(profiles)
    value = compare_value(feats, cal.value_reference) if cal.value_reference and take else None
    terms = evidence(feats, cfg, cal.base_rates or None, value)
    score = total(terms, profiles.num_rows)
    cols: dict[str, Any] = {"account_id": feats["account_id"], "tier": feats["tier"]}
    for name in FEATURES:
        cols[name] = feats[name]
    cols["value_ratio"] = value.ratio if value is not None else pa.nulls(len(score), pa.float64())
    cols["value_compared_with"] = value.compared_with if value is not None else [None] * len(score)
    reasons = [[Reason(x) for x in lines] for lines in explain(feats, terms, value)]
    requests = np.asarray(feats["requests"], dtype=np.float64)
    return Verdicts(pa.table(cols), score, reasons, requests, cal)


def score_profiles(
    profiles: pa.Table, calibration: Calibration | None = None, cfg: ScoringConfig | None = None
) -> pa.Table:
    """``accounts`` table: id, score, risk, verdict, reasons and the features
    (:func:`score_accounts`, judged), highest score first."""
    return score_accounts(profiles, calibration, cfg).table()


def _pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else f"{x:.1%}"


def explain(
    feats: dict[str, Any], terms: dict[str, F64], value: ValueComparison | None = None
) -> list[list[str]]:
    """Human-readable reasons with numbers, strongest evidence first."""
    n = feats["requests"]
    med = {
        k: _pct(float(np.median(feats[k])))
        for k in (
            "cot_share",
            "system_cot_share",
            "target_share",
            "single_turn_share",
            "template_share",
        )
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
        if term == "system_cot":
            return (
                f"{_pct(f['system_cot_share'])} send a system prompt demanding the model's "
                f"step-by-step reasoning (population median {med['system_cot_share']})"
            )
        if term == "harvest_value" and value is not None:
            return describe_value(feats, value, i)
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

    shown = (
        "cot",
        "system_cot",
        "harvest_value",
        "target",
        "single_turn",
        "template",
        "harvest",
        "new_account",
        "farmed_tier",
    )
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
    "HELD_REASON",
    "INDEPENDENT_KINDS",
    "VERDICTS",
    "BlockEvidence",
    "Calibration",
    "ScoringConfig",
    "evidence",
    "explain",
    "score_accounts",
    "score_profiles",
    "total",
]
