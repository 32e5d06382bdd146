"""The one watermarking step both serving paths call: bias a batch of logits rows.

:mod:`.processor` (transformers) and :mod:`.vllm` (a vLLM server) differ only in
how they learn each row's context; both end here, so a model served either way
writes the same watermark.  torch is imported by the caller's module, not here:
this function receives the tensor and adds a tensor built from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig, context_seeds, green_mask

if TYPE_CHECKING:
    import torch


def bias_logits(
    key: WatermarkKey,
    config: WatermarkConfig,
    contexts: npt.NDArray[np.integer],
    logits: torch.Tensor,
    skip: npt.NDArray[np.bool_] | None = None,
) -> torch.Tensor:
    """``logits`` (``(B, V)``) with ``delta`` added to each row's green tokens.

    ``contexts`` is ``(B, h)``: the ``h`` token ids before the position each row
    samples.  Rows where ``skip`` is true are returned unchanged.
    """
    import torch

    seeds = context_seeds(key, config, contexts)
    mask = green_mask(seeds, int(logits.shape[-1]), config)
    if skip is not None:
        mask[np.asarray(skip, dtype=np.bool_)] = False
    bias = torch.from_numpy(mask).to(device=logits.device, dtype=logits.dtype)
    return logits + config.delta * bias


def repeated_context(tokens: Sequence[int], n_generated: int, context_width: int) -> bool:
    """Whether the context of the next position already preceded an earlier generated token.

    ``tokens`` is prompt and answer so far; the answer is its last ``n_generated``
    tokens.  Detection with ``skip_repeated_context`` scores first occurrences only,
    the same rule seen from the answer.
    """
    h = context_width
    end = len(tokens)
    if n_generated <= 0 or end < h:
        return False
    current = tuple(tokens[end - h : end])
    start = end - n_generated
    return any(tuple(tokens[e - h : e]) == current for e in range(max(start, h), end))
