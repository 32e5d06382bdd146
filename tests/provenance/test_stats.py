"""Exact binomial p-values, their log10 bound, randomized p-values and Holm."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from distillguard.provenance.stats import (
    binom_pvalue,
    bonferroni,
    holm,
    ks_uniform,
    log10_pvalue,
    log10_pvalues,
    pvalues,
    randomized_pvalues,
)


def _exact(k: int, n: int, gamma: Fraction) -> Fraction:
    return sum(
        (Fraction(math.comb(n, i)) * gamma**i * (1 - gamma) ** (n - i) for i in range(k, n + 1)),
        Fraction(0),
    )


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (40, 100), (90, 200)])
def test_pvalue_is_the_exact_tail(k: int, n: int) -> None:
    want = float(_exact(k, n, Fraction(1, 4)))
    assert binom_pvalue(k, n, 0.25) == pytest.approx(want, rel=1e-9)
    assert float(pvalues([k], [n], 0.25)[0]) == pytest.approx(want, rel=1e-9)


def test_log10_falls_back_to_a_valid_bound() -> None:
    # 3000 green of 3000 at gamma 0.25: the true log10 p is 3000 * log10(0.25).
    true = 3000 * math.log10(0.25)
    got = log10_pvalue(3000, 3000, 0.25)
    assert got >= true - 1e-6  # a bound never claims more than the truth
    assert got == pytest.approx(true, rel=1e-6)  # and here it is tight
    assert log10_pvalues(np.array([3000]), 3000, 0.25)[0] == pytest.approx(got)


def test_randomized_pvalues_are_uniform_under_the_null() -> None:
    rng = np.random.default_rng(0)
    n = rng.integers(5, 60, size=4000)
    k = rng.binomial(n, 0.25)
    assert ks_uniform(randomized_pvalues(k, n, 0.25, rng)) > 0.01
    # The plain p-values of short texts are conservative, not uniform.
    assert ks_uniform(pvalues(k, n, 0.25)) < 0.01


def _holm_loop(p: list[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def test_holm_matches_the_textbook_procedure() -> None:
    rng = np.random.default_rng(3)
    p = list(rng.random(50) ** 3)
    assert np.allclose(holm(p), _holm_loop(p))
    assert np.allclose(bonferroni([0.01, 0.5]), [0.02, 1.0])
