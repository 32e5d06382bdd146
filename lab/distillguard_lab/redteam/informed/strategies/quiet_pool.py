"""``quiet_pool``: only tasks the shipped signals find unremarkable, reworded.

The task pool is pre-filtered with the installed signals
(:func:`~distillguard_lab.redteam.informed.tasks.quiet_pool`): no signal flags the
task as it is (so no public benchmark item and no elicitation inside it), and sent
alone it adds nothing to an account's score that the pool's least telling task does
not (coding, math and reasoning tasks the capability signal labels as something
else).  The worked solution is asked for as in ``reworded``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from distillguard_lab.redteam.informed import asks
from distillguard_lab.redteam.informed.base import Content, Context, Run, Strategy, register
from distillguard_lab.redteam.informed.events import Identity
from distillguard_lab.redteam.informed.tasks import TaskPool, quiet_pool


def shared_quiet_pool(ctx: Context) -> TaskPool:
    """The quiet pool of ``ctx.tasks``, computed once per generation."""
    hit = ctx.shared.get("quiet_pool")
    if isinstance(hit, TaskPool):
        return hit
    pool = quiet_pool(ctx.tasks, ctx.detector)
    ctx.shared["quiet_pool"] = pool
    return pool


@register
@dataclass
class QuietPool(Strategy):
    name: ClassVar[str] = "quiet_pool"
    description: ClassVar[str] = (
        "Tasks pre-filtered with the shipped signals (no flag, no added score), reworded "
        "elicitation; benign personas, sized under the thresholds."
    )
    adapts_to: ClassVar[tuple[str, ...]] = (
        "every registered signal on the bare task (flagged tasks dropped)",
        "scoring (single-request probe accounts: tasks that add score dropped)",
        "cot_elicitation (rewording search), thresholds and linkers (self-scans)",
    )

    max_task_uses: int = 6

    def task_pool(self, ctx: Context) -> TaskPool:
        return shared_quiet_pool(ctx)

    def languages(self, ctx: Context, run: Run, pool: TaskPool) -> dict[str, float]:
        return asks.reworded_languages(self, ctx, run)

    def contents(
        self, ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
    ) -> list[Content | None]:
        return asks.reworded(self, ctx, run, idents, tasks)
