"""``system_prompt``: the worked solution demanded once, in the account's system prompt.

Each account sends one system prompt in its language that asks for complete worked
solutions (the search prefers those the classifier's system-prompt flag is silent
on; when none is, any: the shipped scoring does not count a system prompt against
the account that sends it), and bare tasks in the user turn, each checked unflagged.
Benign personas, own identities, sized by self-scans.
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
class SystemPrompt(Strategy):
    name: ClassVar[str] = "system_prompt"
    description: ClassVar[str] = (
        "Reasoning demanded in the system prompt, bare tasks in the user turn; benign "
        "personas, sized under the thresholds."
    )
    adapts_to: ClassVar[tuple[str, ...]] = (
        "cot_elicitation_system (silent system prompts preferred)",
        "cot_elicitation on the bare task (flagged tasks skipped)",
        "calibration thresholds, scoring, linkers (self-scans)",
    )

    def contents(
        self, ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
    ) -> list[Content | None]:
        return asks.system_prompted(ctx, run, idents, tasks)
