"""``response_format``: the worked solution demanded by a JSON schema.

Each account sends a ``response_format`` JSON schema with a required field for the
reasoning (an array of steps, described as "every intermediate step ... with its
justification") beside the answer, and the task in the user turn with at most a
short note ("Fill in every field.").  Each request is checked whole (parameters
included) against the installed classifier.  Benign personas, own identities, sized
by self-scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from distillguard_lab.redteam.informed import asks
from distillguard_lab.redteam.informed.base import Content, Context, Run, Strategy, register
from distillguard_lab.redteam.informed.events import Identity


@register
@dataclass
class ResponseFormat(Strategy):
    name: ClassVar[str] = "response_format"
    description: ClassVar[str] = (
        "Reasoning demanded by a response-format JSON schema with a reasoning field; "
        "benign personas, sized under the thresholds."
    )
    adapts_to: ClassVar[tuple[str, ...]] = (
        "every signal on the whole request, parameters included (checked silent)",
        "calibration thresholds, scoring, linkers (self-scans)",
    )

    def contents(
        self, ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
    ) -> list[Content | None]:
        return asks.response_formatted(ctx, run, idents, tasks)
