"""Task pools: the real coding, math and reasoning tasks the informed red team harvests,
and the ShareGPT conversations it sends as cover.

A task is sent as a harvester sends it: a benchmark item keeps its benchmark's
instruction (the item's system prompt) in the one user turn.  :func:`quiet_pool`
pre-filters a pool with the shipped signals: a task is kept only when no signal
flags it as it is (no elicitation in it, not a public benchmark item, no flag of any
registered signal) and when, sent alone, it adds nothing to an account's score that
the least telling tasks of the pool do not (capability targeting, for one): the
pool is what the installed detector considers unremarkable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from distillguard_lab.redteam.informed.detector import Detector
from distillguard_lab.sim.corpus import Corpus

#: Capabilities a distiller harvests.
HARVEST_CAPABILITIES: Final = ("coding", "math", "reasoning")
MIN_TASK_CHARS: Final = 25
MAX_TASK_CHARS: Final = 3_000
#: Tasks at least twice this long are "long" probes (see :func:`probe_sample`).
MIN_SPLIT: Final = 400
#: Score above the pool's least telling probe that still counts as "adds nothing".
QUIET_TOLERANCE: Final = 1e-6


@dataclass(frozen=True, eq=False)
class TaskPool:
    """Tasks as sent (``texts``) with their corpus rows, capability, source and language."""

    rows: npt.NDArray[np.int64]
    texts: tuple[str, ...]
    capability: tuple[str, ...]
    source: tuple[str, ...]
    language: tuple[str, ...]
    #: How the pool was built (sizes before and after each filter).
    notes: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def from_corpus(
        cls,
        corpus: Corpus,
        capabilities: Sequence[str] = HARVEST_CAPABILITIES,
        *,
        min_chars: int = MIN_TASK_CHARS,
        max_chars: int = MAX_TASK_CHARS,
    ) -> TaskPool:
        """Standalone tasks of ``capabilities`` (first turns of chats, benchmark items,
        seed tasks; no jailbreaks)."""
        t = corpus.table
        texts = corpus.texts
        kind = t.column("kind").to_pylist()
        cap = t.column("capability").to_pylist()
        turn = t.column("turn").to_pylist()
        system = t.column("system").to_pylist()
        source = t.column("source").to_pylist()
        lang = t.column("language").to_pylist()
        rows, out = [], []
        for i, text in enumerate(texts):
            if cap[i] not in capabilities or kind[i] == "jailbreak":
                continue
            if kind[i] == "chat_turn" and (turn[i] or 0) > 0:
                continue  # a later turn ("now make it faster") is no task on its own
            sent = f"{system[i]}\n\n{text}" if system[i] and kind[i] == "benchmark" else text
            if not min_chars <= len(sent) <= max_chars:
                continue
            rows.append(i)
            out.append(sent)
        return cls(
            rows=np.array(rows, dtype=np.int64),
            texts=tuple(out),
            capability=tuple(cap[i] for i in rows),
            source=tuple(source[i] for i in rows),
            language=tuple(lang[i] for i in rows),
            notes={"tasks": len(rows)},
        )

    def subset(self, keep: npt.NDArray[np.bool_], **notes: Any) -> TaskPool:
        idx = np.flatnonzero(keep)
        return TaskPool(
            rows=self.rows[idx],
            texts=tuple(self.texts[i] for i in idx),
            capability=tuple(self.capability[i] for i in idx),
            source=tuple(self.source[i] for i in idx),
            language=tuple(self.language[i] for i in idx),
            notes={**self.notes, **notes},
        )

    def sample(self, rng: np.random.Generator, n: int) -> list[str]:
        k = min(n, len(self))
        return [self.texts[int(i)] for i in rng.choice(len(self), size=k, replace=False)]


def silent_pool(pool: TaskPool, detector: Detector) -> TaskPool:
    """The tasks of ``pool`` the classifier is silent on when sent bare (a task that
    asks for its own worked solution, as many benchmark items do, cannot be hidden)."""
    msgs: list[list[dict[str, str | None]]] = [[{"role": "user", "content": t}] for t in pool.texts]
    silent = detector.cot_silent(msgs)
    return pool.subset(silent, silent_bare=int(silent.sum()))


def probe_sample(pool: TaskPool, rng: np.random.Generator, n: int = 64) -> list[str]:
    """``n`` tasks to try wordings on: half of them long, where there are long ones
    (a wording placed inside a task needs one long enough to hold it)."""
    long = [i for i, t in enumerate(pool.texts) if len(t) >= 2 * MIN_SPLIT]
    k = min(len(long), n // 2)
    picks = [long[int(i)] for i in rng.choice(len(long), size=k, replace=False)] if k else []
    rest = [i for i in range(len(pool)) if i not in set(picks)]
    m = min(len(rest), n - k)
    picks += [rest[int(i)] for i in rng.choice(len(rest), size=m, replace=False)] if m else []
    return [pool.texts[i] for i in picks]


def quiet_pool(pool: TaskPool, detector: Detector) -> TaskPool:
    """The tasks of ``pool`` the installed detector finds unremarkable (module doc)."""
    msgs: list[list[dict[str, str | None]]] = [[{"role": "user", "content": t}] for t in pool.texts]
    unflagged = ~detector.flagged_outputs(msgs)
    scores = detector.probe_scores(list(pool.texts))
    floor = float(np.nanmin(scores[unflagged])) if unflagged.any() else float(np.nanmin(scores))
    quiet = unflagged & (scores <= floor + QUIET_TOLERANCE)
    return pool.subset(
        quiet,
        unflagged=int(unflagged.sum()),
        quiet=int(quiet.sum()),
        probe_floor=floor,
    )


class TaskDraw:
    """Tasks without replacement (each at most ``max_uses`` times; then the pool is done)."""

    def __init__(self, pool: TaskPool, rng: np.random.Generator, max_uses: int = 1_000) -> None:
        self.pool = pool
        self.rng = rng
        self.max_uses = max_uses
        self.used: dict[int, int] = {}
        self._order: list[int] = []

    def take(self) -> int | None:
        """An index into the pool, or None when every task was used ``max_uses`` times."""
        for _ in range(2):
            while self._order:
                i = self._order.pop()
                if self.used.get(i, 0) < self.max_uses:
                    self.used[i] = self.used.get(i, 0) + 1
                    return i
            if len(self.pool) == 0 or all(
                self.used.get(i, 0) >= self.max_uses for i in range(len(self.pool))
            ):
                return None
            self._order = [int(i) for i in self.rng.permutation(len(self.pool))]
        return None


@dataclass(frozen=True, eq=False)
class CoverPool:
    """Real ShareGPT conversations (2 to 6 turns) sent as cover, with the model's real
    answers resent as history."""

    texts: list[str]
    responses: list[str | None]
    conversations: list[npt.NDArray[np.int64]]
    language: list[str]

    @classmethod
    def from_corpus(cls, corpus: Corpus) -> CoverPool:
        convs = corpus.conversations()
        keep = [
            convs.rows(k).astype(np.int64)
            for k in range(len(convs))
            if 1 <= convs.lengths[k] <= 6
            and all(len(corpus.texts[int(i)]) <= MAX_TASK_CHARS for i in convs.rows(k))
        ]
        return cls(
            texts=corpus.texts,
            responses=corpus.table.column("response").to_pylist(),
            conversations=keep,
            language=corpus.table.column("language").to_pylist(),
        )


__all__ = [
    "HARVEST_CAPABILITIES",
    "CoverPool",
    "TaskDraw",
    "TaskPool",
    "probe_sample",
    "quiet_pool",
    "silent_pool",
]
