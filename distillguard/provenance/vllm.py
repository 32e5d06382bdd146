"""The hook a vLLM server loads: a per-request logits processor.

vLLM is not a dependency (a provider's serving stack brings it).  Its per-request
logits processors are callables ``(prompt_token_ids, output_token_ids, logits)
-> logits`` on one request's 1-D logits row; the batch-level ``LogitsProcessor``
of vLLM's V1 engine wraps such callables with ``AdapterLogitsProcessor`` (return
:func:`request_processor` from ``new_req_logits_processor``; the per-request key
can come from the request's ``extra_args``).  ``docs/provenance.md`` shows the
ten lines of that adapter.  The callable is the same :func:`~.bias.bias_logits`
the transformers processor uses; the tests check both give identical logits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from distillguard.provenance.bias import bias_logits, repeated_context
from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig

if TYPE_CHECKING:
    import torch

RequestProcessor = Callable[[Sequence[int], Sequence[int], "torch.Tensor"], "torch.Tensor"]


def request_processor(key: WatermarkKey, config: WatermarkConfig) -> RequestProcessor:
    """A vLLM per-request logits processor that writes ``key``'s watermark."""
    h = config.context_width

    def process(
        prompt_token_ids: Sequence[int], output_token_ids: Sequence[int], logits: torch.Tensor
    ) -> torch.Tensor:
        tokens = [*prompt_token_ids, *output_token_ids]
        if len(tokens) < h:
            return logits
        skip = config.skip_repeated_context and repeated_context(tokens, len(output_token_ids), h)
        ctx = np.array([tokens[-h:]], dtype=np.int64)
        return bias_logits(key, config, ctx, logits[None, :], np.array([skip]))[0]

    return process
