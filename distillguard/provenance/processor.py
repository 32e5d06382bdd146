"""The watermark as a Hugging Face ``LogitsProcessor`` (imports torch and transformers).

::

    proc = WatermarkLogitsProcessor(key, config, prompt_length=enc["input_ids"].shape[1])
    model.generate(**enc, logits_processor=LogitsProcessorList([proc]), do_sample=True)

The bias is added to the raw logits, before temperature and top-p: transformers
runs custom processors before its warpers, as vLLM does, so the two serving
paths agree.  The processor keeps no state between calls (each call reads the
context from ``input_ids``), so one instance may serve concurrent ``generate``
calls that share a prompt length, or ``prompt_length=None`` for none.
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import LogitsProcessor

from distillguard.provenance.bias import bias_logits, repeated_context
from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig


class WatermarkLogitsProcessor(LogitsProcessor):
    """Adds ``config.delta`` to the green tokens of ``key`` after each row's context.

    ``prompt_length`` (the padded prompt width passed to ``generate``) tells where
    the answer starts; it is needed only for ``skip_repeated_context``.
    """

    def __init__(
        self, key: WatermarkKey, config: WatermarkConfig, prompt_length: int | None = None
    ) -> None:
        self.key = key
        self.config = config
        self.prompt_length = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        h = self.config.context_width
        ids = input_ids.detach().cpu().numpy()
        if ids.shape[1] < h:
            return scores
        skip = None
        if self.config.skip_repeated_context and self.prompt_length is not None:
            n_gen = ids.shape[1] - self.prompt_length
            skip = np.array([repeated_context(row.tolist(), n_gen, h) for row in ids])
        return bias_logits(self.key, self.config, ids[:, -h:], scores, skip)
