"""Attribution: which accounts' answers does a dataset or a suspect model carry?

With per-account (or per-cohort) keys, every candidate account is one test of
the same scored pairs: the green count under that account's key.  Each test is
exact (:mod:`.stats`); over ``m`` candidates the family-wise error (the chance of
naming *any* account whose answers were not used) is held at ``alpha`` by Holm's
step-down correction (or Bonferroni), which is valid under any dependence between
the tests.  With 1,000 candidates and ``alpha = 1e-3`` an account is named only
when its own p-value is at most 1e-6.

The smallest Holm-adjusted p-value is also a global test: "this suspect learned
from the answers of at least one of these accounts".

>>> from distillguard.provenance.keys import ProviderSecret
>>> secret = ProviderSecret("wm1", bytes(32))
>>> keys = account_keys(secret, ["a", "b"])
>>> sorted(keys), keys["a"].key_id
(['a', 'b'], 'wm1/account:a')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.keys import ProviderSecret, Scope, WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.stats import ADJUSTMENTS, FloatArray, log10_pvalues, pvalues
from distillguard.provenance.tuples import IntArray, TupleSet


@dataclass(frozen=True)
class Attribution:
    """Per-candidate green counts, p-values and adjusted p-values over shared pairs."""

    candidates: list[str]
    n_scored: int
    n_green: IntArray
    p_values: FloatArray
    log10_p: FloatArray
    adjusted: FloatArray
    gamma: float
    alpha: float
    method: str

    @property
    def attributed(self) -> list[str]:
        """Candidates whose adjusted p-value is at most ``alpha``, strongest first."""
        hit = np.nonzero(self.adjusted <= self.alpha)[0]
        order = hit[np.argsort(self.log10_p[hit], kind="stable")]
        return [self.candidates[i] for i in order]

    @property
    def global_p(self) -> float:
        """Adjusted p-value of "at least one candidate's answers were learned"."""
        return float(self.adjusted.min()) if len(self.adjusted) else 1.0

    def rows(self, top: int | None = None) -> list[dict[str, Any]]:
        """Candidates as dicts, smallest p-value first (``top`` of them)."""
        order = np.argsort(self.log10_p, kind="stable")[:top]
        return [
            {
                "candidate": self.candidates[i],
                "n_scored": self.n_scored,
                "n_green": int(self.n_green[i]),
                "p_value": float(self.p_values[i]),
                "log10_p": round(float(self.log10_p[i]), 4),
                "adjusted_p": float(self.adjusted[i]),
                "attributed": bool(self.adjusted[i] <= self.alpha),
            }
            for i in order
        ]


def account_keys(
    secret: ProviderSecret, ids: Iterable[str], scope: Scope = "account"
) -> dict[str, WatermarkKey]:
    """The derived key of each account (or cohort) id."""
    return {i: secret.derive(scope, i) for i in ids}


def attribute(
    pairs: TupleSet,
    candidates: Mapping[str, WatermarkKey],
    config: WatermarkConfig,
    *,
    alpha: float = 1e-3,
    method: str = "holm",
) -> Attribution:
    """Test every candidate key on the same pairs; control the family-wise error at ``alpha``."""
    if method not in ADJUSTMENTS:
        raise ProvenanceError(f"unknown correction {method!r} (known: {', '.join(ADJUSTMENTS)})")
    if not candidates:
        raise ProvenanceError("no candidate accounts to test")
    if not 0.0 < alpha < 1.0:
        raise ProvenanceError("must be strictly between 0 and 1", field="alpha")
    names = list(candidates)
    counts = pairs.green_counts([candidates[n] for n in names], config)
    n = len(pairs)
    p = pvalues(counts, n, config.gamma)
    return Attribution(
        candidates=names,
        n_scored=n,
        n_green=counts,
        p_values=p,
        log10_p=log10_pvalues(counts, n, config.gamma),
        adjusted=ADJUSTMENTS[method](p),
        gamma=config.gamma,
        alpha=alpha,
        method=method,
    )
