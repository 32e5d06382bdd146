"""Harvest parameters: request settings that make a response worth more as training data.

Distillation operators ask for several samples per prompt (``n``), token log
probabilities (soft labels for the student model), biased logits, maximal reasoning
effort and very long outputs.  Benign developers set each of these sometimes (pass@k
evaluation asks for ``n``, calibration research for logprobs), so the score is
evidence to weigh across an account's traffic, not a verdict on one request.

>>> sig = HarvestParams()
>>> out = sig.compute_one({"params": {"n": 4, "logprobs": True, "max_tokens": 16000}})
>>> out["param_n_gt1"], out["param_logprobs"], out["param_large_max_tokens"]
(True, True, True)
>>> round(out["harvest_params_score"], 2)
0.65
>>> sig.compute_one({"params": None})["harvest_params_score"]
0.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals.base import EventBatch, Signal, register


def _bool_field(name: str, description: str) -> pa.Field:
    return pa.field(name, pa.bool_(), metadata={"description": description})


def _flag(arr: pa.Array) -> pa.Array:
    """A boolean column with nulls (parameter not sent) read as false."""
    return pc.fill_null(arr, False)


@register
@dataclass
class HarvestParams(Signal):
    """Which harvest-friendly request parameters an event set, and a weighted score."""

    name: ClassVar[str] = "harvest_params"
    description: ClassVar[str] = (
        "Request parameters that make responses better training data (n > 1, logprobs, "
        "logit_bias, high reasoning effort, large max_tokens); evidence, not a verdict."
    )
    outputs: ClassVar[tuple[pa.Field, ...]] = (
        _bool_field("param_n_gt1", "n > 1: several samples of one prompt (suspicious-leaning)."),
        _bool_field(
            "param_logprobs",
            "logprobs true or top_logprobs > 0: soft labels for a student model.",
        ),
        _bool_field("param_logit_bias", "A non-empty logit_bias was sent."),
        _bool_field("param_high_effort", 'reasoning_effort == "high": longest reasoning.'),
        _bool_field("param_large_max_tokens", "max_tokens at or above the signal's threshold."),
        pa.field(
            "harvest_params_score",
            pa.float64(),
            metadata={
                "description": "Weighted share of the five flags set, in [0, 1]; high = "
                "more harvest-like.  Benign developers set these too: weigh per account."
            },
        ),
    )

    #: ``max_tokens`` at or above this is a large output budget.
    large_max_tokens: int = 8192
    # Weights: logprobs and n are the strongest distillation tells (soft labels,
    # rejection sampling); long outputs and high effort are common among benign users.
    w_n: float = 0.25
    w_logprobs: float = 0.25
    w_logit_bias: float = 0.2
    w_high_effort: float = 0.15
    w_large_max_tokens: float = 0.15

    def compute(self, batch: EventBatch) -> dict[str, pa.Array]:
        n = batch.param("n")
        top = batch.param("top_logprobs")
        bias = batch.param("logit_bias")
        effort = batch.param("reasoning_effort")
        max_tokens = batch.param("max_tokens")
        flags = {
            "param_n_gt1": _flag(pc.greater(n, 1)),
            "param_logprobs": _flag(
                pc.or_kleene(pc.equal(batch.param("logprobs"), True), pc.greater(top, 0))
            ),
            # logit_bias is JSON text: "{}", "null" or blanks mean none was set.
            "param_logit_bias": _flag(
                pc.and_(
                    pc.is_valid(bias),
                    pc.invert(
                        pc.is_in(pc.utf8_trim_whitespace(bias), pa.array(["", "{}", "null"]))
                    ),
                )
            ),
            "param_high_effort": _flag(pc.equal(pc.utf8_lower(effort), "high")),
            "param_large_max_tokens": _flag(pc.greater_equal(max_tokens, self.large_max_tokens)),
        }
        weights = (
            self.w_n,
            self.w_logprobs,
            self.w_logit_bias,
            self.w_high_effort,
            self.w_large_max_tokens,
        )
        total = sum(weights) or 1.0
        score = np.zeros(len(batch), dtype=np.float64)
        for w, arr in zip(weights, flags.values(), strict=True):
            score += w * arr.to_numpy(zero_copy_only=False)
        return {**flags, "harvest_params_score": pa.array(np.clip(score / total, 0.0, 1.0))}
