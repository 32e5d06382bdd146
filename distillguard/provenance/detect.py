"""Detection on text: is this text (or this set of texts) watermarked with a key?

Texts are token id sequences under the tokenizer the watermark was generated
with.  A test pools the distinct (context, token) pairs of all its texts
(:mod:`.tuples`), counts the green ones and returns the exact binomial p-value:
the probability that text never watermarked with the key shows at least that
many green pairs.  Rejecting at ``p <= alpha`` has a false-positive rate of at
most ``alpha`` on *any* unwatermarked text, whatever its language or form: the
colours are pseudo-random functions of the key, which the text cannot depend on.
``docs/provenance.md`` shows the calibration on real ShareGPT answers and code.

>>> from distillguard.provenance.keys import WatermarkKey
>>> key, cfg = WatermarkKey("k", bytes(16)), WatermarkConfig()
>>> d = detect(key, cfg, [np.arange(100)])
>>> d.n_tokens, d.n_scored, d.p_value > 1e-3
(100, 99, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.stats import binom_pvalue, log10_pvalue, log10_pvalues, z_score
from distillguard.provenance.tuples import TupleSet


@dataclass(frozen=True)
class Detection:
    """The outcome of one test: ``n_green`` of ``n_scored`` distinct pairs were green."""

    n_tokens: int
    n_scored: int
    n_green: int
    gamma: float
    p_value: float
    log10_p: float

    @property
    def z(self) -> float:
        """Standard score of the green count (for reading; the test uses ``p_value``)."""
        return z_score(self.n_green, self.n_scored, self.gamma)

    @property
    def green_rate(self) -> float:
        """Share of scored pairs that are green (``gamma`` expected without the watermark)."""
        return self.n_green / self.n_scored if self.n_scored else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON and reports."""
        return {
            "n_tokens": self.n_tokens,
            "n_scored": self.n_scored,
            "n_green": self.n_green,
            "green_rate": round(self.green_rate, 6),
            "gamma": self.gamma,
            "z": round(self.z, 4),
            "p_value": self.p_value,
            "log10_p": round(self.log10_p, 4),
        }


def score_pairs(
    key: WatermarkKey, config: WatermarkConfig, pairs: TupleSet, n_tokens: int | None = None
) -> Detection:
    """Test a set of distinct pairs against one key."""
    n = len(pairs)
    k = int(pairs.green_counts([key], config)[0]) if n else 0
    return Detection(
        n_tokens=n if n_tokens is None else n_tokens,
        n_scored=n,
        n_green=k,
        gamma=config.gamma,
        p_value=binom_pvalue(k, n, config.gamma),
        log10_p=log10_pvalue(k, n, config.gamma) if n else 0.0,
    )


def text_pairs(config: WatermarkConfig, sequences: Sequence[npt.NDArray[np.integer]]) -> TupleSet:
    """The distinct scored pairs of texts, as the scheme's settings say."""
    return TupleSet.from_sequences(
        sequences, config.context_width, skip_repeated_context=config.skip_repeated_context
    )


def detect(
    key: WatermarkKey, config: WatermarkConfig, sequences: Sequence[npt.NDArray[np.integer]]
) -> Detection:
    """One pooled test over all ``sequences`` (a text, or a dataset of texts)."""
    pairs = text_pairs(config, sequences)
    return score_pairs(key, config, pairs, n_tokens=int(sum(len(s) for s in sequences)))


def detect_each(
    key: WatermarkKey, config: WatermarkConfig, sequences: Sequence[npt.NDArray[np.integer]]
) -> list[Detection]:
    """One test per text."""
    return [detect(key, config, [s]) for s in sequences]


def pvalue_curve(
    key: WatermarkKey, config: WatermarkConfig, pairs: TupleSet, points: int = 60
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """``log10`` p-value after the first ``n`` scored pairs, at up to ``points`` values of ``n``.

    Shows how much text a verdict needed (and that unwatermarked text wanders
    around 0 instead of falling).
    """
    if len(pairs) == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.float64)
    green = pairs.green([key], config)[0]
    cum = np.cumsum(green)
    ns = np.unique(np.linspace(1, len(pairs), num=min(points, len(pairs))).astype(np.int64))
    return ns, log10_pvalues(cum[ns - 1], ns, config.gamma)
