"""Exact p-values for green counts, and family-wise error control.

Under the null hypothesis (the text or model never saw the key's watermark) each
distinct scored (context, token) pair is green with probability ``gamma``
independently, so the green count ``k`` of ``n`` pairs is Binomial(n, gamma) and
``P(X >= k)`` is an exact p-value.  Far in the tail it underflows to 0.0 in
floating point; :func:`log10_pvalue` then returns the Chernoff bound
``-n KL(k/n || gamma) / ln 10``, an upper bound on the true log10 p-value (so
still valid as evidence, just not tight).

>>> round(binom_pvalue(30, 40, 0.25), 12) < 1e-9
True
>>> binom_pvalue(0, 0, 0.25)
1.0
>>> [round(float(p), 3) for p in holm([0.01, 0.04, 0.03])]
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import stats as sst  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]


def binom_pvalue(k: int, n: int, gamma: float) -> float:
    """``P(Binomial(n, gamma) >= k)``: the exact one-sided p-value."""
    if n <= 0 or k <= 0:
        return 1.0
    return float(sst.binom.sf(k - 1, n, gamma))


def _kl(q: float, p: float) -> float:
    out = 0.0
    if q > 0:
        out += q * math.log(q / p)
    if q < 1:
        out += (1 - q) * math.log((1 - q) / (1 - p))
    return out


def log10_pvalue(k: int, n: int, gamma: float) -> float:
    """``log10`` of :func:`binom_pvalue`, or the Chernoff bound where it underflows."""
    p = binom_pvalue(k, n, gamma)
    if p > 0.0:
        return math.log10(p)
    return -n * _kl(k / n, gamma) / math.log(10)


def pvalues(k: npt.ArrayLike, n: npt.ArrayLike, gamma: float) -> FloatArray:
    """Exact p-values of arrays of green counts ``k`` out of ``n``."""
    ka = np.asarray(k, dtype=np.int64)
    na = np.broadcast_to(np.asarray(n, dtype=np.int64), ka.shape)
    out: FloatArray = np.where(na > 0, sst.binom.sf(ka - 1, np.maximum(na, 1), gamma), 1.0)
    return np.minimum(out, 1.0)


def log10_pvalues(k: npt.ArrayLike, n: npt.ArrayLike, gamma: float) -> FloatArray:
    """Vectorised :func:`log10_pvalue`."""
    ka = np.asarray(k, dtype=np.int64)
    na = np.broadcast_to(np.asarray(n, dtype=np.int64), ka.shape)
    p = pvalues(ka, na, gamma)
    out = np.empty(ka.shape, dtype=np.float64)
    pos = p > 0
    out[pos] = np.log10(p[pos])
    for idx in zip(*np.nonzero(~pos), strict=True):
        out[idx] = log10_pvalue(int(ka[idx]), int(na[idx]), gamma)
    return out


def randomized_pvalues(
    k: npt.ArrayLike, n: npt.ArrayLike, gamma: float, rng: np.random.Generator
) -> FloatArray:
    """``P(X > k) + U * P(X = k)``: exactly uniform under the null (for KS checks).

    The plain binomial p-value is discrete and conservative, so a KS test of short
    texts' p-values would reject uniformity for the wrong reason.
    """
    ka = np.asarray(k, dtype=np.int64)
    na = np.broadcast_to(np.asarray(n, dtype=np.int64), ka.shape)
    u = rng.random(ka.shape)
    out: FloatArray = sst.binom.sf(ka, na, gamma) + u * sst.binom.pmf(ka, na, gamma)
    return out


def z_score(k: int, n: int, gamma: float) -> float:
    """The normal-approximation z of ``k`` green out of ``n`` (for reading, not testing)."""
    if n <= 0:
        return 0.0
    return (k - gamma * n) / math.sqrt(n * gamma * (1 - gamma))


def bonferroni(p: Sequence[float] | FloatArray) -> FloatArray:
    """Bonferroni-adjusted p-values: ``min(1, m p)``."""
    arr = np.asarray(p, dtype=np.float64)
    out: FloatArray = np.minimum(arr * len(arr), 1.0)
    return out


def holm(p: Sequence[float] | FloatArray) -> FloatArray:
    """Holm step-down adjusted p-values (controls the family-wise error, any dependence)."""
    arr = np.asarray(p, dtype=np.float64)
    m = len(arr)
    order = np.argsort(arr, kind="stable")
    stepped = (m - np.arange(m)) * arr[order]
    adj_sorted = np.minimum(np.maximum.accumulate(stepped), 1.0)
    out = np.empty(m, dtype=np.float64)
    out[order] = adj_sorted
    return out


#: Family-wise corrections by name (``--method`` of ``watermark attribute``).
ADJUSTMENTS: Final[dict[str, Callable[[FloatArray], FloatArray]]] = {
    "holm": holm,
    "bonferroni": bonferroni,
}


def ks_uniform(p: Sequence[float] | FloatArray) -> float:
    """The Kolmogorov-Smirnov p-value of ``p`` against Uniform(0, 1)."""
    return float(sst.kstest(np.asarray(p, dtype=np.float64), "uniform").pvalue)
