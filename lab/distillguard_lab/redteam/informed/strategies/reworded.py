"""``reworded``: the worked solution asked for in words the classifier is silent on.

Every request asks, in the user turn and in the account's language, for the whole
worked solution with each step justified; the wording is whatever combination of
intent, format, opener, closer and layout the rewording search
(:class:`~distillguard_lab.redteam.informed.wording.Rewording`) found the installed
``cot_elicitation`` classifier silent on, and each request is checked again before
it is sent.  Accounts are benign personas with their own address, card and sign-up,
sized by self-scans to stay under the shipped thresholds.  No cover traffic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from distillguard_lab.redteam.informed import asks
from distillguard_lab.redteam.informed.base import Content, Context, Run, Strategy, register
from distillguard_lab.redteam.informed.events import Identity
from distillguard_lab.redteam.informed.tasks import TaskPool


@register
@dataclass
class Reworded(Strategy):
    name: ClassVar[str] = "reworded"
    description: ClassVar[str] = (
        "User-turn elicitation reworded until the shipped classifier is silent; benign "
        "personas, one identity per account, sized under the thresholds."
    )
    adapts_to: ClassVar[tuple[str, ...]] = (
        "cot_elicitation (rewording search, every request checked)",
        "calibration thresholds and scoring (self-scans)",
        "linkers and campaigns (self-scans; linked accounts re-identified)",
        "policy (personas the default policy degrades are redrawn)",
    )

    def languages(self, ctx: Context, run: Run, pool: TaskPool) -> dict[str, float]:
        return asks.reworded_languages(self, ctx, run)

    def contents(
        self, ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
    ) -> list[Content | None]:
        return asks.reworded(self, ctx, run, idents, tasks)
