"""The scored (context, token) pairs, de-duplicated, and their green counts.

Counting every position of a text would make repeated n-grams (code, lists,
boilerplate, a user who asks for the same line ten times) count many times with
one coin flip each: one green pair repeated 30 times looks like 30 successes and
the binomial p-value is no longer valid.  So every test scores each distinct
(context, token) pair once, across all texts of a test; the null distribution of
the green count is then exactly Binomial(n, gamma).

With ``skip_repeated_context`` set, only the first occurrence of each context is
scored (generation left later occurrences unbiased, so scoring them would only
dilute the signal).

>>> ts = TupleSet.from_sequences([np.array([5, 6, 5, 6, 5, 6, 7])], context_width=1)
>>> ts.contexts[:, 0].tolist(), ts.tokens.tolist()
([5, 6, 6], [6, 5, 7])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig, context_seeds_many, splitmix64

IntArray = npt.NDArray[np.int64]

#: Keys scored together in one vectorised block (bounds memory to ~keys x pairs words).
KEY_BLOCK = 64


def positions(tokens: npt.NDArray[np.integer], context_width: int) -> tuple[IntArray, IntArray]:
    """All (context, token) pairs of one token sequence, in order (not de-duplicated)."""
    x = np.asarray(tokens, dtype=np.int64)
    h = context_width
    if len(x) <= h:
        return np.empty((0, h), dtype=np.int64), np.empty(0, dtype=np.int64)
    ctx = np.lib.stride_tricks.sliding_window_view(x[:-1], h)
    return np.ascontiguousarray(ctx), x[h:].copy()


@dataclass(frozen=True)
class TupleSet:
    """Distinct (context, token) pairs in first-seen order.

    ``contexts`` is ``(n, h)``, ``tokens`` ``(n,)``; ``source`` gives, for each
    pair, the index of the sequence it was first seen in (for per-text curves).
    """

    contexts: IntArray
    tokens: IntArray
    source: IntArray

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def empty(cls, context_width: int) -> TupleSet:
        z = np.empty(0, dtype=np.int64)
        return cls(np.empty((0, context_width), dtype=np.int64), z, z.copy())

    @classmethod
    def from_pairs(
        cls,
        contexts: Iterable[IntArray],
        tokens: Iterable[IntArray],
        context_width: int,
        *,
        first_context_only: bool = False,
    ) -> TupleSet:
        """De-duplicate pairs given per sequence (``contexts[i]`` ``(m_i, h)``, ``tokens[i]``)."""
        ctx_parts: list[IntArray] = []
        tok_parts: list[IntArray] = []
        src_parts: list[IntArray] = []
        for i, (c, t) in enumerate(zip(contexts, tokens, strict=True)):
            ctx_parts.append(np.asarray(c, dtype=np.int64).reshape(-1, context_width))
            tok_parts.append(np.asarray(t, dtype=np.int64).reshape(-1))
            src_parts.append(np.full(len(tok_parts[-1]), i, dtype=np.int64))
        if not tok_parts or sum(len(t) for t in tok_parts) == 0:
            return cls.empty(context_width)
        ctx = np.concatenate(ctx_parts)
        tok = np.concatenate(tok_parts)
        src = np.concatenate(src_parts)
        key = ctx if first_context_only else np.concatenate([ctx, tok[:, None]], axis=1)
        # np.unique sorts; return_index gives each row's first position, sorted back
        # into reading order so curves over "pairs scored so far" follow the text.
        _, first = np.unique(key, axis=0, return_index=True)
        first.sort()
        return cls(ctx[first], tok[first], src[first])

    @classmethod
    def from_sequences(
        cls,
        sequences: Sequence[npt.NDArray[np.integer]],
        context_width: int,
        *,
        skip_repeated_context: bool = False,
    ) -> TupleSet:
        """The pairs of token sequences (texts), de-duplicated across all of them.

        The first ``h`` tokens of each sequence have no full context and are not scored.
        """
        pairs = [positions(s, context_width) for s in sequences]
        if skip_repeated_context:
            # Generation skips a context repeated *within one answer*; keep each
            # sequence's first occurrences, then de-duplicate pairs across sequences.
            kept_c: list[IntArray] = []
            kept_t: list[IntArray] = []
            for c, t in pairs:
                if len(t) == 0:
                    kept_c.append(c)
                    kept_t.append(t)
                    continue
                _, first = np.unique(c, axis=0, return_index=True)
                first.sort()
                kept_c.append(c[first])
                kept_t.append(t[first])
            pairs = list(zip(kept_c, kept_t, strict=True))
        return cls.from_pairs([c for c, _ in pairs], [t for _, t in pairs], context_width)

    def prefix(self, n: int) -> TupleSet:
        """The first ``n`` pairs."""
        return TupleSet(self.contexts[:n], self.tokens[:n], self.source[:n])

    def green(self, keys: Sequence[WatermarkKey], config: WatermarkConfig) -> npt.NDArray[np.bool_]:
        """Colour of every pair under every key: ``(len(keys), len(self))`` booleans."""
        out = np.zeros((len(keys), len(self)), dtype=np.bool_)
        if len(self) == 0 or not keys:
            return out
        # Seeds depend on the context only: hash each distinct context once per key.
        uctx, inverse = np.unique(self.contexts, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        for start in range(0, len(keys), KEY_BLOCK):
            block = list(keys[start : start + KEY_BLOCK])
            seeds = context_seeds_many(block, config, uctx)
            draws = splitmix64(seeds[:, inverse], self.tokens[np.newaxis, :])
            out[start : start + len(block)] = draws < config.threshold
        return out

    def green_counts(self, keys: Sequence[WatermarkKey], config: WatermarkConfig) -> IntArray:
        """Number of green pairs under each key."""
        counts: IntArray = self.green(keys, config).sum(axis=1).astype(np.int64)
        return counts
