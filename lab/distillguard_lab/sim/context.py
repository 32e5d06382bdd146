"""State shared by the population and campaign generators of one simulation run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from distillguard_lab.sim.builder import EventBuilder
from distillguard_lab.sim.identity import Account
from distillguard_lab.sim.pools import Cursor, Pools
from distillguard_lab.sim.textvary import vary

#: Models offered by the simulated provider.  "reasoner" models return reasoning tokens.
REASONING_MODELS = frozenset({"reasoner-1", "reasoner-1-mini"})

HISTORY_EXCHANGES = 2  # chat clients commonly resend only the last few turns
HISTORY_CHARS = 1200


@dataclass
class SimContext:
    pools: Pools
    builder: EventBuilder
    start_us: int
    days: float
    chat_cursor: Cursor
    dev_cursor: Cursor
    cover_cursor: Cursor
    accounts: list[Account] = field(default_factory=list)
    #: How often each exact text has been handed out to benign or cover traffic.
    #: The corpus repeats some texts across conversations and the pools overlap
    #: (developers draw from chat conversations too), so reuse is counted per text,
    #: not per cursor: only the first use anywhere is verbatim.
    text_uses: dict[str, int] = field(default_factory=dict)

    @property
    def end_us(self) -> int:
        return self.start_us + int(self.days * 86_400_000_000)

    def add_account(self, account: Account) -> int:
        self.accounts.append(account)
        return len(self.accounts) - 1

    def fresh(self, text: str, rng: np.random.Generator) -> str:
        """``text`` on its first use, a varied copy on every later one."""
        k = self.text_uses.get(text, 0)
        self.text_uses[text] = k + 1
        return vary(text, k, rng)

    def text_of(self, row: int, epoch: int, rng: np.random.Generator) -> str:
        """Corpus row ``row`` as a fresh text (``epoch`` is ignored: see ``text_uses``)."""
        del epoch
        return self.fresh(self.pools.texts[row], rng)

    def completion_tokens(
        self, row: int | None, rng: np.random.Generator, median: float = 350.0
    ) -> int:
        if row is not None:
            rc = self.pools.response_chars[row]
            if rc:
                return max(1, int(rc) // 4)
        return max(1, int(rng.lognormal(np.log(median), 0.8)))

    def answer_tokens(self, capability: str, rng: np.random.Generator, factor: float = 1.0) -> int:
        """Tokens of an answer to a task of ``capability``: a real reply's length, scaled."""
        lengths = self.pools.answer_chars.get(capability) or self.pools.answer_chars_all
        if not lengths:
            return self.completion_tokens(None, rng, 350.0 * factor)
        return max(1, int(lengths[int(rng.integers(len(lengths)))] * factor) // 4)

    @staticmethod
    def reasoning_tokens(
        model: str, rng: np.random.Generator, effort: str | None, median: float = 700.0
    ) -> int | None:
        if model not in REASONING_MODELS:
            return None
        scale = {"low": 0.4, "medium": 1.0, "high": 2.2, None: 1.0}.get(effort, 1.0)
        return max(0, int(rng.lognormal(np.log(median * scale), 0.9)))

    def history(self, rows: list[int], texts: list[str], upto: int) -> list[tuple[str, str]]:
        """Previous exchanges of a conversation, as a chat client would resend them."""
        msgs: list[tuple[str, str]] = []
        for j in range(max(0, upto - HISTORY_EXCHANGES), upto):
            msgs.append(("user", texts[j][:HISTORY_CHARS]))
            reply = self.pools.responses[rows[j]]
            if reply:
                msgs.append(("assistant", reply[:HISTORY_CHARS]))
        return msgs
