"""Step-by-step structure in the response, where the log holds the response text.

What a harvest is after is worked reasoning: a solution laid out step by step is worth
more as training data than a bare answer, whether or not the request asked for it in
words a detector knows.  This signal reads what was *served*, not what was asked: a
response with at least ``min_steps`` enumerated steps ("Step 1", "1.", "2)", ...
at the start of a line), or with a reasoning block (``<think>``, ``<reasoning>``), is
step-structured.  Ordinary answers have lists too, so one such response says little;
the account-level ``harvest_value`` term (:mod:`distillguard.scoring.risk`) weighs
the step-structured share of what an account took on coding, math and reasoning
against comparable accounts.

Logs often omit response text (the gateway never keeps it): the output is then null,
and such requests count neither way.

>>> sig = ResponseSteps()
>>> steps = "Step 1: subtract 5.\\nStep 2: divide by 3.\\nStep 3: x = 5."
>>> [sig.compute_one({"response": r})["response_steps"] for r in (steps, "x = 5", None)]
[True, False, None]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals.base import EventBatch, Signal, register

#: A line that starts an enumerated step (the text is lower-cased first).
STEP_LINE: Final = r"(?m)^[ \t>*#_-]*(?:step\s*\d+|\d{1,2}[.):]\s|\(\d{1,2}\)\s|[a-h][.)]\s)"
#: A reasoning block in the answer text.
REASONING_BLOCK: Final = r"<(?:think|thinking|reasoning|scratchpad)>"


@register
@dataclass
class ResponseSteps(Signal):
    """Whether the logged response is laid out as enumerated steps (null when not logged)."""

    name: ClassVar[str] = "response_steps"
    description: ClassVar[str] = (
        "The response text (where logged) is laid out step by step: enumerated steps at "
        "the start of lines, or a reasoning block; null where the log has no response."
    )
    outputs: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(
            "response_steps",
            pa.bool_(),
            metadata={
                "description": "True when the served answer is step-structured (worth more "
                "as training data); null when the response was not logged.  Weighed per "
                "account against comparable accounts, not alone."
            },
        ),
    )

    #: Enumerated step lines that make a response step-structured.
    min_steps: int = 3
    #: Characters of the response read (steps start early in a worked solution).
    max_chars: int = 6000

    def compute(self, batch: EventBatch) -> dict[str, pa.Array]:
        resp = batch.column("response").combine_chunks()
        text = pc.utf8_lower(pc.utf8_slice_codeunits(resp, 0, self.max_chars))
        steps = pc.count_substring_regex(text, STEP_LINE)
        block = pc.match_substring_regex(text, REASONING_BLOCK)
        structured = pc.or_(pc.greater_equal(steps, self.min_steps), block)
        # Empty or missing responses: not logged.
        logged = pc.and_(pc.is_valid(resp), pc.greater(pc.utf8_length(pc.fill_null(resp, "")), 0))
        return {"response_steps": pc.if_else(logged, structured, pa.scalar(None, pa.bool_()))}


__all__ = ["REASONING_BLOCK", "STEP_LINE", "ResponseSteps"]
