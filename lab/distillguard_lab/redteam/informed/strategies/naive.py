"""``naive``: the control, an operator who has not read the detector.

Stock chain-of-thought instructions after each task, a handful of shared cards, one
cloud /24, one SDK client, accounts signed up in one burst two days before, free
tier, large accounts, no self-check.  It is here to show that the measurement
catches what it should: if this one gets through, the harness is broken, not the
attacker clever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from distillguard_lab.redteam.informed import asks
from distillguard_lab.redteam.informed.base import Content, Context, Run, Strategy, register
from distillguard_lab.redteam.informed.benign import DAY, Persona
from distillguard_lab.redteam.informed.events import Identity


@register
@dataclass
class Naive(Strategy):
    name: ClassVar[str] = "naive"
    description: ClassVar[str] = (
        "Control: stock elicitation, shared cards and network, one client, a sign-up "
        "burst; does not read the detector."
    )
    adapts_to: ClassVar[tuple[str, ...]] = ()
    adaptive: ClassVar[bool] = False

    harvest: int = 1_200
    min_requests: int = 30
    max_requests: int = 60
    cards: int = 3

    def new_identity(
        self, ctx: Context, run: Run, n_slots: int
    ) -> tuple[Identity, list[float], Persona | None]:
        rng = run.rng
        shared = run.cache.get("shared")
        if not isinstance(shared, dict):
            shared = {
                "cards": ["pm_" + rng.bytes(8).hex() for _ in range(self.cards)],
                "ips": [f"34.105.{int(rng.integers(256))}.{h}" for h in range(10, 14)],
            }
            run.cache["shared"] = shared
        slots = sorted(float(t) for t in rng.uniform(ctx.t0, ctx.t1, size=n_slots))
        ident = Identity(
            account_id="acct_" + rng.bytes(8).hex(),
            org_id="org_" + rng.bytes(6).hex(),
            api_key="key_" + rng.bytes(6).hex(),
            tier="free",
            created_at=ctx.t0 - 2 * DAY + float(rng.uniform(0, 3_600)),
            payment=shared["cards"][int(rng.integers(self.cards))],
            ips=tuple(shared["ips"]),
            user_agent="python-requests/2.31.0",
            system_prompt=None,
            language="en",
            persona="",
            persona_role="",
        )
        return ident, slots, None

    def contents(
        self, ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
    ) -> list[Content | None]:
        return asks.naive(ctx, run, idents, tasks)
