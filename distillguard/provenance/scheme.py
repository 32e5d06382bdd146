"""The green-list rule: which tokens a key favours after a context.

A watermark key and the ``h`` tokens before a position (the *context*) pick a
pseudo-random subset of the vocabulary, the *green list*, holding each token with
probability ``gamma``; generation adds ``delta`` to the logits of green tokens,
so watermarked text holds more green tokens than ``gamma`` would predict.

How a token's colour is computed (scheme version 1):

1. ``seed = SipHash-2-4(key, [tag, ctx_1, ..., ctx_h])`` where ``tag`` packs the
   scheme version and ``h`` (so changing either gives unrelated lists), and the
   ``ctx_i`` are the token ids before the position.  The key is what makes the
   lists secret; the seed is a keyed PRF of the context.
2. ``u = splitmix64(seed, token)``: the token-th output of the SplitMix64
   generator seeded with ``seed`` (one add, two multiplies, three shifts).
3. green iff ``u < floor(gamma * 2**64)``.

Each token is coloured independently (not a fixed-size list drawn by a
permutation), so under the null hypothesis every distinct (context, token) pair
is green with probability ``gamma`` independently of the others: a count of green
pairs is exactly Binomial(n, gamma).  The step from the seed to a whole vocabulary's
colours is a few vectorised integer operations, so the logits processor costs
little next to a model's forward pass.

>>> from distillguard.provenance.keys import WatermarkKey
>>> key = WatermarkKey("demo", bytes(16))
>>> cfg = WatermarkConfig()
>>> mask = green_mask(context_seeds(key, cfg, np.array([[42]])), 50_000)
>>> mask.shape, 0.23 < float(mask.mean()) < 0.27
((1, 50000), True)
>>> bool(is_green(key, cfg, np.array([[42]]), np.array([7]))[0]) == bool(mask[0, 7])
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.siphash import U64, siphash24

if TYPE_CHECKING:
    from distillguard.provenance.keys import WatermarkKey

#: The version of the colouring rule; bump when any step above changes.
SCHEME_VERSION: Final = 1

_GOLDEN: Final = 0x9E3779B97F4A7C15
_M1: Final = 0xBF58476D1CE4E5B9
_M2: Final = 0x94D049BB133111EB


@dataclass(frozen=True)
class WatermarkConfig:
    """Parameters of the watermark; generation and detection must use the same ones.

    ``gamma``: share of the vocabulary that is green after any context.
    ``delta``: added to green logits (before temperature, as a logits processor
    runs before the samplers' warpers in transformers and vLLM).
    ``context_width``: ``h``, how many previous tokens seed the green list.  A
    small ``h`` makes the watermark more *radioactive* (a student learns
    (context, token) statistics for short contexts far better) and robust to
    edits, a large one makes the green lists harder to estimate from outputs.
    ``skip_repeated_context``: at generation, leave a position unbiased when its
    context already occurred earlier in the answer (avoids pushing the same
    green tokens into loops); detection then scores only first occurrences.
    """

    gamma: float = 0.25
    delta: float = 2.0
    context_width: int = 1
    skip_repeated_context: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.gamma < 1.0:
            raise ProvenanceError("must be strictly between 0 and 1", field="gamma")
        if not self.delta > 0.0:
            raise ProvenanceError("must be positive", field="delta")
        if not 1 <= self.context_width <= 8:
            raise ProvenanceError("must be between 1 and 8", field="context_width")

    @property
    def threshold(self) -> np.uint64:
        """``floor(gamma * 2**64)``: a token is green when its draw is below it."""
        return np.uint64(min(int(self.gamma * 2.0**64), 2**64 - 1))

    def as_dict(self) -> dict[str, Any]:
        """The parameters as plain values (for reports, JSON and STIX)."""
        return {
            "scheme_version": SCHEME_VERSION,
            "gamma": self.gamma,
            "delta": self.delta,
            "context_width": self.context_width,
            "skip_repeated_context": self.skip_repeated_context,
        }


def _tag(context_width: int) -> int:
    return (SCHEME_VERSION << 32) | context_width


def _with_tag(contexts: npt.NDArray[np.integer], context_width: int) -> U64:
    ctx = np.asarray(contexts)
    if ctx.ndim != 2 or ctx.shape[1] != context_width:
        raise ProvenanceError(
            f"contexts must be an (n, {context_width}) array of token ids, got {ctx.shape}"
        )
    tag = np.full((ctx.shape[0], 1), _tag(context_width), dtype=np.uint64)
    return np.concatenate([tag, ctx.astype(np.uint64)], axis=1)


def context_seeds(
    key: WatermarkKey, config: WatermarkConfig, contexts: npt.NDArray[np.integer]
) -> U64:
    """The seed of each context row (``(n, h)`` token ids) under one key: shape ``(n,)``."""
    k0, k1 = key.words
    return siphash24(k0, k1, _with_tag(contexts, config.context_width))


def context_seeds_many(
    keys: list[WatermarkKey], config: WatermarkConfig, contexts: npt.NDArray[np.integer]
) -> U64:
    """Seeds of every context under every key: shape ``(len(keys), n)``."""
    k0 = np.array([int(k.words[0][0]) for k in keys], dtype=np.uint64).reshape(-1, 1)
    k1 = np.array([int(k.words[1][0]) for k in keys], dtype=np.uint64).reshape(-1, 1)
    return siphash24(k0, k1, _with_tag(contexts, config.context_width)[np.newaxis, :, :])


def splitmix64(seeds: U64, tokens: npt.NDArray[np.integer]) -> U64:
    """The ``token``-th SplitMix64 output for ``seed`` (arrays broadcast)."""
    z = np.asarray(seeds, dtype=np.uint64) + _token_offsets(np.asarray(tokens))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    out: U64 = z ^ (z >> np.uint64(31))
    return out


def _token_offsets(tokens: npt.NDArray[np.integer]) -> U64:
    # (token + 1) * golden, wrapping: SplitMix64 advances its state by golden per draw.
    return (tokens.astype(np.uint64) + np.uint64(1)) * np.uint64(_GOLDEN)


@lru_cache(maxsize=8)
def _vocab_offsets(vocab_size: int) -> U64:
    offsets = _token_offsets(np.arange(vocab_size, dtype=np.uint64))
    offsets.setflags(write=False)
    return offsets


def green_mask(
    seeds: U64, vocab_size: int, config: WatermarkConfig | None = None
) -> npt.NDArray[np.bool_]:
    """The green list of each seed over the whole vocabulary: ``(n, vocab_size)`` booleans."""
    cfg = config or WatermarkConfig()
    z = np.asarray(seeds, dtype=np.uint64).reshape(-1, 1) + _vocab_offsets(vocab_size)[np.newaxis]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    z = z ^ (z >> np.uint64(31))
    mask: npt.NDArray[np.bool_] = z < cfg.threshold
    return mask


def is_green(
    key: WatermarkKey,
    config: WatermarkConfig,
    contexts: npt.NDArray[np.integer],
    tokens: npt.NDArray[np.integer],
) -> npt.NDArray[np.bool_]:
    """Whether each (context row, token) pair is green under ``key``."""
    seeds = context_seeds(key, config, contexts)
    out: npt.NDArray[np.bool_] = splitmix64(seeds, np.asarray(tokens)) < config.threshold
    return out
