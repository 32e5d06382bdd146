"""A numpy stand-in for a language model: a random bigram table, watermarked or not.

Lets the statistical tests generate thousands of watermarked and clean token
sequences in milliseconds, without torch.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig, context_seeds, green_mask

IntArray = npt.NDArray[np.int64]


class Bigram:
    """Next-token log-probabilities per previous token (peaked, like real text)."""

    def __init__(self, vocab: int = 400, seed: int = 0, temperature: float = 1.5) -> None:
        rng = np.random.default_rng(seed)
        self.vocab = vocab
        self.logits = rng.normal(size=(vocab, vocab)) * temperature

    def generate(
        self,
        rng: np.random.Generator,
        n: int,
        key: WatermarkKey | None = None,
        config: WatermarkConfig | None = None,
    ) -> IntArray:
        """One sequence of ``n`` tokens (context width 1 watermark when ``key``)."""
        return self.generate_many(rng, 1, n, key, config)[0]

    def generate_many(
        self,
        rng: np.random.Generator,
        count: int,
        n: int,
        key: WatermarkKey | None = None,
        config: WatermarkConfig | None = None,
    ) -> list[IntArray]:
        """``count`` sequences of ``n`` tokens, sampled together (one step for all rows)."""
        cfg = config or WatermarkConfig()
        h = cfg.context_width
        out = np.empty((count, n), dtype=np.int64)
        out[:, :h] = rng.integers(self.vocab, size=(count, h))
        for t in range(h, n):
            rows = self.logits[out[:, t - 1]].copy()
            if key is not None:
                seeds = context_seeds(key, cfg, out[:, t - h : t])
                rows += cfg.delta * green_mask(seeds, self.vocab, cfg)
            p = np.exp(rows - rows.max(axis=1, keepdims=True))
            cdf = np.cumsum(p, axis=1)
            u = rng.random((count, 1)) * cdf[:, -1:]
            out[:, t] = np.minimum((cdf < u).sum(axis=1), self.vocab - 1)
        return list(out)
