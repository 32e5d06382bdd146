"""``distinct_tasks``: ``reworded``, with every task harvested once, against task pools.

Written against the task-pool rule (:mod:`distillguard.campaigns.task_pool`): the
rule tests groups held together by shared content, so this strategy shares none it
can avoid.  Each task is sent by one account only (``max_task_uses = 1``), so no two
accounts send the same task; what still links accounts is what the wording search
reuses (the same silent wordings, as templates).  The cost: a pool of distinct tasks
as large as the harvest, and one sample per task (no choice among several answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from distillguard_lab.redteam.informed.base import register
from distillguard_lab.redteam.informed.strategies.reworded import Reworded


@register
@dataclass
class DistinctTasks(Reworded):
    name: ClassVar[str] = "distinct_tasks"
    description: ClassVar[str] = (
        "Reworded elicitation, each task sent by one account only (no shared task links)."
    )
    adapts_to: ClassVar[tuple[str, ...]] = (
        *Reworded.adapts_to,
        "task pools (no task shared between accounts)",
    )

    max_task_uses: int = 1
