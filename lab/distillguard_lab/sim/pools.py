"""Slices of the real-prompt corpus that each kind of simulated traffic draws from.

ShareGPT conversations are split by a hash of their id (independent of the seed)
into disjoint pools: people's own chats, text that applications process, and the
harmless cover traffic attackers mix in.  Disjoint pools mean a harvester's cover
traffic never copies a benign user's prompt verbatim, and two benign populations
never share text by construction.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from distillguard.errors import CorpusError

#: Evaluation suites that run as public benchmarks (legitimate evaluation users).
BENCHMARK_KINDS = frozenset({"benchmark", "writing"})
#: What harvesters draw their tasks from, by capability.
ATTACK_KINDS = frozenset({"benchmark", "seed_task", "self_instruct", "writing"})


def _bucket(key: str) -> int:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=2).digest()[0] % 20


@dataclass
class Pools:
    """Row indices into the corpus, grouped by use."""

    texts: list[str]
    systems: list[str | None]
    sources: list[str]
    capabilities: list[str]
    languages: list[str]
    responses: list[str | None]
    response_chars: list[int | None]
    chat_convs: list[list[int]] = field(default_factory=list)
    dev_convs: list[list[int]] = field(default_factory=list)
    cover_convs: list[list[int]] = field(default_factory=list)
    app_rows: list[int] = field(default_factory=list)
    #: App pool rows by capability, so a code-review app reviews code, a tutor gets maths.
    app_rows_by_cap: dict[str, list[int]] = field(default_factory=dict)
    benchmarks: dict[str, list[int]] = field(default_factory=dict)
    attack_tasks: dict[str, list[int]] = field(default_factory=dict)
    jailbreaks: list[int] = field(default_factory=list)
    #: Lengths (characters) of real assistant replies in people's chats, by the
    #: capability of the turn they answer: what an answer to such a task is like.
    answer_chars: dict[str, list[int]] = field(default_factory=dict)
    answer_chars_all: list[int] = field(default_factory=list)

    @classmethod
    def from_table(cls, table: pa.Table) -> Pools:
        needed = {"text", "source", "kind", "capability", "language", "conversation_id", "turn"}
        missing = needed - set(table.column_names)
        if missing:
            raise CorpusError(f"corpus table lacks columns {sorted(missing)}; rebuild it")
        n = table.num_rows

        def col(name: str) -> list[object]:
            return table.column(name).to_pylist() if name in table.column_names else [None] * n

        texts = [str(t) for t in col("text")]
        pools = cls(
            texts=texts,
            systems=col("system"),  # type: ignore[arg-type]
            sources=[str(s) for s in col("source")],
            capabilities=[str(c) for c in col("capability")],
            languages=[str(x) if x else "en" for x in col("language")],
            responses=col("response"),  # type: ignore[arg-type]
            response_chars=col("response_chars"),  # type: ignore[arg-type]
        )
        kinds = col("kind")
        conv_ids = col("conversation_id")
        turns = col("turn")
        convs: dict[str, list[tuple[int, int]]] = defaultdict(list)
        answers: dict[str, list[int]] = defaultdict(list)
        benchmarks: dict[str, list[int]] = defaultdict(list)
        attack: dict[str, list[int]] = defaultdict(list)
        for i in range(n):
            kind = kinds[i]
            if kind == "chat_turn" and conv_ids[i] is not None:
                convs[str(conv_ids[i])].append((int(turns[i] or 0), i))  # type: ignore[call-overload]
                if pools.response_chars[i]:
                    answers[pools.capabilities[i]].append(int(pools.response_chars[i]))  # type: ignore[arg-type]
            elif kind == "jailbreak":
                pools.jailbreaks.append(i)
            if kind in BENCHMARK_KINDS:
                benchmarks[pools.sources[i]].append(i)
            if kind in ATTACK_KINDS:
                attack[pools.capabilities[i]].append(i)
        for cid in sorted(convs):
            rows = [i for _, i in sorted(convs[cid])]
            b = _bucket(cid)
            if b < 2:
                pools.cover_convs.append(rows)
            elif b < 6:
                pools.app_rows.extend(rows)
            else:
                pools.chat_convs.append(rows)
                if any(pools.capabilities[i] == "coding" for i in rows):
                    pools.dev_convs.append(rows)
        by_cap: dict[str, list[int]] = defaultdict(list)
        for i in pools.app_rows:
            by_cap[pools.capabilities[i]].append(i)
        pools.app_rows_by_cap = dict(by_cap)
        pools.benchmarks = dict(benchmarks)
        # Capabilities with too few real replies (reasoning) fall back to all replies.
        pools.answer_chars = {k: v for k, v in answers.items() if len(v) >= 200}
        pools.answer_chars_all = [n for v in answers.values() for n in v]
        pools.attack_tasks = dict(attack)
        if not pools.chat_convs or not pools.attack_tasks:
            raise CorpusError("corpus has no ShareGPT conversations or no attack task sources")
        return pools


class Cursor:
    """Walks a pool in a seeded random order; after each full pass, reuse is varied.

    Returns ``(item, epoch)``; epoch 0 is the first, verbatim use.
    """

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        if size <= 0:
            raise CorpusError("an empty prompt pool was asked for items")
        self.size = size
        self.rng = rng
        self.order = rng.permutation(size)
        self.pos = 0
        self.epoch = 0

    def next(self) -> tuple[int, int]:
        if self.pos >= self.size:
            self.order = self.rng.permutation(self.size)
            self.pos = 0
            self.epoch += 1
        item = int(self.order[self.pos])
        self.pos += 1
        return item, self.epoch
