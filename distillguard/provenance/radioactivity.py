"""Radioactivity: was a suspect model trained on text watermarked with our key?

A student trained on watermarked answers learns that, after a context, green
tokens are likelier; it then favours them itself.  Two tests, one question:

- **open-weight suspect** (:func:`open_weight_test`): feed the suspect texts
  (teacher forcing), take its top-``k`` next-token predictions at each position,
  and score the distinct (context, predicted token) pairs.  Contexts are best
  the watermarked answers the provider served (the student saw them, or text
  like them); any text works.  Under the null (the suspect never learned from the
  key's watermark) its predictions do not depend on the key, and each distinct
  pair is green with probability ``gamma``: Binomial(n, gamma), exactly.
  One trap: teacher-forced on a *watermarked* text, even a clean model copies
  pairs that already occurred earlier in that text (an induction head repeats
  "A B ... A" → "B"), and those pairs are green because the text is.  So a
  predicted pair that already occurs in the prefix the suspect was shown is
  dropped (``filter_copied``).  Top-``k`` predictions at one position are
  different tokens, so they are distinct pairs with independent colours.
- **closed suspect** (:func:`closed_test`): all we have is its answers (its API);
  test them as text, pooled, as :func:`~distillguard.provenance.detect.detect` does.

The predictions come from :mod:`distillguard.provenance.suspect` (torch); this
module is numpy only.

>>> x = np.array([1, 2, 3, 1, 2])
>>> preds = np.array([[2], [3], [1], [2], [9]])  # row t: the guess for token t + 1
>>> pairs = teacher_forced_pairs([x], [preds], context_width=1)
>>> pairs.contexts[:, 0].tolist(), pairs.tokens.tolist()
([1, 2, 3, 2], [2, 3, 1, 9])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from distillguard.provenance.detect import Detection, detect, score_pairs
from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.tuples import IntArray, TupleSet


def teacher_forced_pairs(
    sequences: Sequence[npt.NDArray[np.integer]],
    predictions: Sequence[npt.NDArray[np.integer]],
    context_width: int,
    *,
    filter_copied: bool = True,
) -> TupleSet:
    """Distinct (context, predicted token) pairs of a teacher-forced pass.

    ``predictions[i]`` is ``(len(sequences[i]), k)``: row ``t`` holds the suspect's
    top-``k`` tokens for position ``t + 1`` after reading tokens ``0..t``; a
    negative id (a token the suspect cannot emit) is skipped.
    """
    h = context_width
    ctx_parts: list[IntArray] = []
    tok_parts: list[IntArray] = []
    for seq, pred in zip(sequences, predictions, strict=True):
        x = np.asarray(seq, dtype=np.int64)
        p = np.asarray(pred, dtype=np.int64).reshape(len(x), -1)
        ctxs: list[tuple[int, ...]] = []
        toks: list[int] = []
        seen: set[tuple[int, ...]] = set()
        for j in range(h, len(x) + 1):
            ctx = tuple(int(v) for v in x[j - h : j])
            for tok in p[j - 1]:
                t = int(tok)
                if t < 0 or (filter_copied and (*ctx, t) in seen):
                    continue
                ctxs.append(ctx)
                toks.append(t)
            if j < len(x):
                # The pair ending at position j is now part of the prefix the
                # suspect has read; later predictions that repeat it are copies.
                seen.add((*ctx, int(x[j])))
        ctx_parts.append(np.array(ctxs, dtype=np.int64).reshape(-1, h))
        tok_parts.append(np.array(toks, dtype=np.int64))
    return TupleSet.from_pairs(ctx_parts, tok_parts, h)


def open_weight_test(key: WatermarkKey, config: WatermarkConfig, pairs: TupleSet) -> Detection:
    """The radioactivity p-value of an open-weight suspect's teacher-forced pairs."""
    return score_pairs(key, config, pairs)


def closed_test(
    key: WatermarkKey, config: WatermarkConfig, samples: Sequence[npt.NDArray[np.integer]]
) -> Detection:
    """The radioactivity p-value of a closed suspect's sampled answers (token ids)."""
    return detect(key, config, samples)
