"""``cover_traffic``: reworded harvest diluted in real conversations.

Most of each account's requests are real ShareGPT conversations (follow-ups with the
model's earlier answers resent as history), so every per-request rate an account is
judged on (elicitation, targeted capabilities, single-turn use, templates) sits near
the benign population's; the rest ask for worked solutions as in ``reworded``, as
follow-ups inside a real conversation as often as the persona's requests are
follow-ups.  Accounts are larger, within the benign request counts, and sized by self-scans.
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
class CoverTraffic(Strategy):
    name: ClassVar[str] = "cover_traffic"
    description: ClassVar[str] = (
        "Reworded harvest mixed into a majority of real ShareGPT conversations; benign "
        "personas, sized under the thresholds."
    )
    adapts_to: ClassVar[tuple[str, ...]] = (
        "per-account rates of the scoring (cover share)",
        "cot_elicitation (rewording search), thresholds and linkers (self-scans)",
    )

    threaded: bool = True
    cover_share: float = 0.6
    min_requests: int = 10
    max_requests: int = 120

    def languages(self, ctx: Context, run: Run, pool: TaskPool) -> dict[str, float]:
        return asks.reworded_languages(self, ctx, run)

    def contents(
        self, ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
    ) -> list[Content | None]:
        return asks.reworded(self, ctx, run, idents, tasks)
