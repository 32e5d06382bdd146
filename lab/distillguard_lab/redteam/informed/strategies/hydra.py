"""``hydra``: every lever at once, in many small accounts.

Quiet tasks only (as ``quiet_pool``), each account asking in one of the three ways
(reworded user turn, system prompt, response-format schema), a third of its requests
cover conversations, harvested tasks asked as follow-ups inside real conversations as
often as the persona's requests are follow-ups, few requests per account, and a lower
aim (further below the restrict threshold) than the single-lever strategies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from distillguard_lab.redteam.informed import asks
from distillguard_lab.redteam.informed.base import Content, Context, Run, Strategy, register
from distillguard_lab.redteam.informed.events import Identity
from distillguard_lab.redteam.informed.strategies.quiet_pool import shared_quiet_pool
from distillguard_lab.redteam.informed.tasks import TaskPool

_MODES = ("reworded", "system_prompt", "response_format")


@register
@dataclass
class Hydra(Strategy):
    name: ClassVar[str] = "hydra"
    description: ClassVar[str] = (
        "Quiet tasks, the three ways of asking mixed per account, cover, small accounts, a low aim."
    )
    adapts_to: ClassVar[tuple[str, ...]] = ("everything the single-lever strategies adapt to",)

    threaded: bool = True
    cover_share: float = 0.35
    min_requests: int = 4
    max_requests: int = 25
    aim: float = 0.25
    max_task_uses: int = 6

    def task_pool(self, ctx: Context) -> TaskPool:
        return shared_quiet_pool(ctx)

    def contents(
        self, ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
    ) -> list[Content | None]:
        modes = []
        for ident in idents:
            mode = run.cache.get(f"mode_of:{ident.account_id}")
            if not isinstance(mode, str):
                mode = _MODES[int(run.rng.integers(len(_MODES)))]
                if mode == "reworded" and not asks.has_silent_wording(
                    self, ctx, run, ident.language
                ):
                    mode = _MODES[1 + int(run.rng.integers(len(_MODES) - 1))]
                run.cache[f"mode_of:{ident.account_id}"] = mode
            modes.append(mode)
        out: list[Content | None] = [None] * len(idents)
        for mode in _MODES:
            idx = [i for i, m in enumerate(modes) if m == mode]
            if not idx:
                continue
            sub_i = [idents[i] for i in idx]
            sub_t = [tasks[i] for i in idx]
            if mode == "reworded":
                got = asks.reworded(self, ctx, run, sub_i, sub_t)
            elif mode == "system_prompt":
                got = asks.system_prompted(ctx, run, sub_i, sub_t)
            else:
                got = asks.response_formatted(ctx, run, sub_i, sub_t)
            for i, c in zip(idx, got, strict=True):
                out[i] = c
        return out
