"""The red team's attack-traffic generator: seven distillation operations.

Each operation models a behaviour described in public reporting on distillation
campaigns (:attr:`Operation.behaviour` says which), and was written without
reading the simulator's attack code or any detector.  Tasks
are real prompts from the project's corpus (coding, math and reasoning items,
ShareGPT first turns); cover traffic is real ShareGPT conversations; all wording
wrapped around the tasks is the red team's own (:mod:`distillguard_lab.redteam.phrases`).

``generate(cfg, corpus)`` returns ``(events, labels)``: events in
:data:`~distillguard.schema.EVENT_SCHEMA`, labels in
:data:`~distillguard.schema.LABEL_SCHEMA` (every red-team account,
``is_attack=True``, ``role="attacker"``).  :func:`generate_all` also returns
per-event labels (:data:`~distillguard.schema.EVENT_LABEL_SCHEMA`).

>>> sorted(OPERATIONS)[:3]
['rt-assessor', 'rt-drizzle', 'rt-refiner']
>>> RedTeamConfig(days=0)
Traceback (most recent call last):
...
distillguard_lab.redteam.generator.RedTeamError: field days: must be > 0, got 0
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.schema import (
    EVENT_LABEL_SCHEMA,
    EVENT_SCHEMA,
    LABEL_SCHEMA,
    PARAM_FIELDS,
)
from distillguard_lab.redteam import phrases as ph
from distillguard_lab.redteam.identity import (
    AGENT_FRAMEWORKS,
    HUMAN_AGENTS,
    SDK_AGENTS,
    cloud_subnet_ips,
    hex_id,
    residential_pool,
)
from distillguard_lab.sim.corpus import Corpus

_T = TypeVar("_T")

DAY: Final = 86_400.0
HOUR: Final = 3_600.0
_TASK_CAPS: Final = ("coding", "math", "reasoning")
_MIN_TASK_CHARS: Final = 25
_MAX_TASK_CHARS: Final = 3_000
_DRAFT_CHARS: Final = 1_400


class RedTeamError(DistillguardError):
    """Invalid red-team configuration, corpus or background."""


@dataclass(frozen=True)
class Operation:
    """One distillation operation: what it does and the public behaviour it models."""

    id: str
    title: str
    behaviour: str
    #: Accounts at ``scale=1`` (a ~200,000-event background).
    accounts: int
    #: Requests per account, inclusive range (cover traffic included).
    requests: tuple[int, int]


OPERATIONS: Final[dict[str, Operation]] = {
    op.id: op
    for op in (
        Operation(
            "rt-socratic",
            "multi-turn verification harvesting",
            "A task is asked bare; follow-up turns make the model re-derive, verify and "
            "defend its previous answer, so each conversation yields several reasoning "
            "traces (reasoning-trace coercion spread over turns). Paid accounts on a few "
            "shared prepaid cards, residential proxies, Asian working hours.",
            60,
            (40, 120),
        ),
        Operation(
            "rt-toolsmith",
            "agentic tool-use trajectory harvesting",
            "Coding-agent trajectories: tools offered in every request, the growing "
            "trace of tool calls and tool results resent each step. Targets agentic "
            "coding and tool use; startup-credit accounts from two sign-up bursts, three "
            "shared cards, cloud egress, 24/7 workers.",
            25,
            (150, 400),
        ),
        Operation(
            "rt-drizzle",
            "low-and-slow hydra with system-prompt elicitation",
            "Hundreds of free accounts with 5-15 requests each over two weeks, evening "
            "timing in several time zones, browser and chat-app clients, no notable "
            "parameters; reasoning is requested once in a custom system prompt (many "
            "languages) and the user turn is the bare task; 20% cover.",
            400,
            (5, 15),
        ),
        Operation(
            "rt-relay",
            "reseller / obfuscated router",
            "A few established high-volume accounts that resell access: real end-user "
            "chats (about half the calls) mixed with customers' harvest tasks, rotating "
            "API keys and client software, a few cloud egress addresses, around the clock.",
            5,
            (1_200, 2_400),
        ),
        Operation(
            "rt-sampler",
            "synthetic-data vendor sampling benchmark paraphrases",
            "Research-program accounts in three fake labs run batch jobs: paraphrased "
            "benchmark tasks with n>1 samples, high temperature and top-k log-probs "
            "(rejection-sampling and logit distillation data).",
            30,
            (100, 300),
        ),
        Operation(
            "rt-assessor",
            "grading / reward-signal harvesting",
            "Pairwise and rubric grading of real question-answer pairs with a rationale "
            "before the score, JSON output, temperature 0: reward-model training data.",
            40,
            (60, 200),
        ),
        Operation(
            "rt-refiner",
            "critique-and-rewrite and reasoning translation",
            "Single-turn requests that paste a draft answer and ask for a critique plus a "
            "fully justified rewrite, or a translation of a worked solution that keeps "
            "every step; farmed education accounts.",
            50,
            (30, 90),
        ),
    )
}

#: Default window: inside the 14-day red-team background that starts 2026-03-02.
DEFAULT_START: Final = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
DEFAULT_DAYS: Final = 13.5


@dataclass(frozen=True)
class RedTeamConfig:
    """What to generate.  ``scale`` multiplies every operation's account count.

    >>> cfg = RedTeamConfig(seed=3, operations=("rt-drizzle",))
    >>> cfg.n_operations, cfg.accounts_of("rt-drizzle")
    (1, 400)
    >>> RedTeamConfig(operations=("nope",))
    Traceback (most recent call last):
    ...
    distillguard_lab.redteam.generator.RedTeamError: field operations: unknown operation 'nope'
    """

    seed: int = 0
    start: dt.datetime = DEFAULT_START
    days: float = DEFAULT_DAYS
    scale: float = 1.0
    operations: tuple[str, ...] = tuple(OPERATIONS)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise RedTeamError("must be timezone-aware", field="start")
        if not self.days > 0 or not math.isfinite(self.days):
            raise RedTeamError(f"must be > 0, got {self.days}", field="days")
        if not self.scale > 0 or not math.isfinite(self.scale):
            raise RedTeamError(f"must be > 0, got {self.scale}", field="scale")
        if not self.operations:
            raise RedTeamError("name at least one operation", field="operations")
        for op in self.operations:
            if op not in OPERATIONS:
                raise RedTeamError(f"unknown operation {op!r}", field="operations")
        if len(set(self.operations)) != len(self.operations):
            raise RedTeamError("an operation is named twice", field="operations")

    @property
    def n_operations(self) -> int:
        """How many operations run."""
        return len(self.operations)

    @property
    def t0(self) -> float:
        """Window start, epoch seconds."""
        return self.start.timestamp()

    @property
    def t1(self) -> float:
        """Window end, epoch seconds."""
        return self.t0 + self.days * DAY

    def accounts_of(self, op: str) -> int:
        """Accounts of operation ``op`` at this scale (at least one)."""
        return max(1, round(OPERATIONS[op].accounts * self.scale))


@dataclass(frozen=True)
class RedTeamData:
    """Everything one generation produces."""

    events: pa.Table
    labels: pa.Table
    event_labels: pa.Table


# --------------------------------------------------------------------------- corpus pools


@dataclass(frozen=True, eq=False)
class _Pools:
    """Row indices of the corpus, grouped the way the operations draw them."""

    texts: Sequence[str]
    systems: list[str | None]
    kinds: list[str]
    responses: list[str | None]
    capability: list[str]
    language: list[str]
    source: list[str]
    tasks: dict[str, npt.NDArray[np.int64]]
    benchmarks: dict[str, npt.NDArray[np.int64]]
    answered: npt.NDArray[np.int64]
    cover_first: npt.NDArray[np.int64]
    conversations: list[npt.NDArray[np.int64]]
    code: npt.NDArray[np.int64]

    @classmethod
    def build(cls, corpus: Corpus) -> _Pools:
        t = corpus.table
        texts = corpus.texts
        kind = np.array(t.column("kind").to_pylist(), dtype=object)
        cap = t.column("capability").to_pylist()
        capa = np.array(cap, dtype=object)
        source = t.column("source").to_pylist()
        srca = np.array(source, dtype=object)
        turn = np.array([-1 if v is None else v for v in t.column("turn").to_pylist()])
        responses = t.column("response").to_pylist()
        has_resp = np.array([bool(r) for r in responses])
        length = np.array([len(x) for x in texts])
        sized = (length >= _MIN_TASK_CHARS) & (length <= _MAX_TASK_CHARS)
        # A later ShareGPT turn ("then make it faster") is no task on its own.
        standalone = (kind != "chat_turn") | (turn <= 0)
        not_jail = kind != "jailbreak"
        tasks: dict[str, npt.NDArray[np.int64]] = {}
        benchmarks: dict[str, npt.NDArray[np.int64]] = {}
        for c in _TASK_CAPS:
            m = (capa == c) & sized & standalone & not_jail
            tasks[c] = np.flatnonzero(m).astype(np.int64)
            benchmarks[c] = np.flatnonzero(m & (kind == "benchmark")).astype(np.int64)
        any_task = np.concatenate(list(tasks.values()))
        if len(any_task) == 0:
            raise RedTeamError("the corpus has no coding, math or reasoning prompts")
        for c in _TASK_CAPS:
            if len(tasks[c]) == 0:
                tasks[c] = any_task
            if len(benchmarks[c]) == 0:
                benchmarks[c] = tasks[c]
        task_caps = np.isin(capa, list(_TASK_CAPS))
        answered = np.flatnonzero(has_resp & sized & standalone & task_caps).astype(np.int64)
        if len(answered) == 0:
            answered = np.flatnonzero(has_resp & sized).astype(np.int64)
        chat = (kind == "chat_turn") & sized & (srca == "sharegpt")
        cover_first = np.flatnonzero(chat & (turn <= 0)).astype(np.int64)
        if len(cover_first) == 0:
            cover_first = np.flatnonzero(sized & not_jail).astype(np.int64)
        if len(cover_first) == 0:
            cover_first = any_task
        convs = corpus.conversations()
        conversations = [
            convs.rows(k).astype(np.int64) for k in range(len(convs)) if 2 <= convs.lengths[k] <= 8
        ]
        code = np.flatnonzero(srca == "human_eval").astype(np.int64)
        if len(code) == 0:
            code = tasks["coding"]
        return cls(
            texts=texts,
            systems=t.column("system").to_pylist(),
            kinds=list(kind),
            responses=responses,
            capability=cap,
            language=t.column("language").to_pylist(),
            source=source,
            tasks=tasks,
            benchmarks=benchmarks,
            answered=answered,
            cover_first=cover_first,
            conversations=conversations,
            code=code,
        )

    def task_text(self, row: int) -> str:
        """A task as a harvester sends it: a benchmark item keeps its instructions.

        Benchmark items often hold their instructions in the benchmark's system
        prompt ("Calculate the runtime of the following recurrence ..."); a harvester
        who takes the item puts them into the one user turn it sends.
        """
        system = self.systems[row]
        if system and self.kinds[row] == "benchmark":
            return f"{system}\n\n{self.texts[row]}"
        return self.texts[row]


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class _Account:
    account_id: str
    campaign_id: str
    org_id: str
    keys: tuple[str, ...]
    tier: str
    created_at: float
    payment: str | None
    ips: tuple[str, ...]
    agents: tuple[str, ...]
    tz: float
    language: str


# --------------------------------------------------------------------------- timing

#: Relative activity per local hour (0-23).
_PROFILES: Final[dict[str, npt.NDArray[np.float64]]] = {
    # People at home: asleep at night, some daytime use, a peak 19:00-23:00.
    "evening": np.array(
        [3, 1.5, 0.8, 0.5, 0.4, 0.4, 0.8, 1.5, 2.5, 3, 3.5, 4, 4, 4, 4, 4, 4.5, 5, 6, 8, 9, 9, 8, 5]
    ),
    # Office work with a lunch dip.
    "office": np.array(
        [
            0.2,
            0.1,
            0.1,
            0.1,
            0.1,
            0.2,
            0.5,
            2,
            6,
            9,
            10,
            9,
            6,
            8,
            10,
            10,
            9,
            7,
            4,
            2,
            1,
            0.6,
            0.4,
            0.3,
        ]
    ),
    # A team that works long days into the night.
    "long_day": np.array(
        [2, 1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 3, 6, 8, 8, 7, 8, 8, 8, 8, 7, 6, 6, 6, 5, 4, 3]
    ),
    # Machines.
    "flat": np.ones(24),
    # A global user base seen from one timezone: shallow diurnal swing.
    "global": np.array(
        [6, 5.5, 5, 5, 5, 5.5, 6, 7, 8, 8.5, 9, 9, 9, 9, 9, 9, 9, 9, 8.5, 8, 7.5, 7, 6.5, 6]
    ),
}


def _times(
    rng: np.random.Generator,
    n: int,
    t0: float,
    t1: float,
    *,
    tz: float,
    profile: str,
    weekend: float = 1.0,
) -> npt.NDArray[np.float64]:
    """``n`` sorted times in ``[t0, t1)`` following a local-hour profile (rejection sampling).

    >>> rng = np.random.default_rng(0)
    >>> ts = _times(rng, 500, 0.0, 7 * DAY, tz=0.0, profile="office", weekend=0.2)
    >>> len(ts), bool(np.all(np.diff(ts) >= 0))
    (500, True)
    >>> hours = (ts / HOUR) % 24
    >>> bool(((hours >= 8) & (hours < 19)).mean() > 0.8)
    True
    """
    weights = _PROFILES[profile] / _PROFILES[profile].max()
    out: list[npt.NDArray[np.float64]] = []
    got = 0
    while got < n:
        cand = rng.uniform(t0, t1, size=max(64, 4 * (n - got)))
        local = cand / HOUR + tz
        p = weights[(local % 24).astype(np.int64)]
        if weekend != 1.0:
            # 1970-01-01 was a Thursday: day index 2 and 3 (mod 7) are Sat and Sun.
            dow = np.floor(local / 24).astype(np.int64) % 7
            p = np.where((dow == 2) | (dow == 3), p * weekend, p)
        keep = cand[rng.random(len(cand)) < p][: n - got]
        out.append(keep)
        got += len(keep)
    return np.sort(np.concatenate(out)) if out else np.zeros(0)


# --------------------------------------------------------------------------- the event log


@dataclass
class _Log:
    """Rows under construction, one list per column."""

    rows: dict[str, list[Any]] = field(default_factory=lambda: {n: [] for n in EVENT_SCHEMA.names})
    labels: dict[str, list[Any]] = field(
        default_factory=lambda: {n: [] for n in EVENT_LABEL_SCHEMA.names if n != "event_id"}
    )

    def add(
        self,
        rng: np.random.Generator,
        acct: _Account,
        ts: float,
        *,
        model: str,
        messages: list[dict[str, str | None]],
        params: dict[str, Any] | None,
        conversation_id: str | None = None,
        ip: str | None = None,
        agent: str | None = None,
        key: str | None = None,
        completion: int,
        reasoning: int | None,
        fail_rate: float = 0.01,
        cover: bool,
        source: str,
        capability: str,
        family: str | None,
        language: str,
    ) -> None:
        """Append one call (``ts`` in epoch seconds)."""
        chars = sum(len(m["content"] or "") for m in messages)
        if params and params.get("tools"):
            chars += len(params["tools"])
        status = 200
        if rng.random() < fail_rate:
            status = 429 if rng.random() < 0.8 else 500
            completion, reasoning = 0, (0 if reasoning is not None else None)
        r = self.rows
        r["event_id"].append(None)  # assigned in bulk at the end
        r["ts"].append(round(ts * 1e6))
        r["account_id"].append(acct.account_id)
        r["org_id"].append(acct.org_id)
        r["api_key_id"].append(key or acct.keys[0])
        r["ip"].append(ip or acct.ips[int(rng.integers(len(acct.ips)))])
        r["user_agent"].append(agent or acct.agents[0])
        r["payment_fingerprint"].append(acct.payment)
        r["account_created_at"].append(round(acct.created_at * 1e6))
        r["account_tier"].append(acct.tier)
        r["model"].append(model)
        r["messages"].append(messages)
        r["prompt"].append(None)
        r["params"].append(_params(params))
        r["conversation_id"].append(conversation_id)
        r["prompt_tokens"].append(chars // 4 + 4 * len(messages))
        r["completion_tokens"].append(completion)
        r["reasoning_tokens"].append(reasoning)
        r["response"].append(None)
        r["status"].append(status)
        lab = self.labels
        lab["account_id"].append(acct.account_id)
        lab["is_attack_request"].append(not cover)
        lab["is_cover"].append(cover)
        lab["source"].append(source)
        lab["capability"].append(capability)
        lab["elicitation_family"].append(family)
        lab["language"].append(language)

    def tables(self, rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
        """Events and event labels, sorted by time, with fresh unique event ids."""
        n = len(self.rows["ts"])
        ids = _unique_ids(rng, n)
        self.rows["event_id"] = ids
        ts = np.array(self.rows["ts"], dtype=np.int64)
        order = np.argsort(ts, kind="stable")
        arrays = []
        for f in EVENT_SCHEMA:
            col = self.rows[f.name]
            arrays.append(pa.array([col[i] for i in order], type=f.type))
        events = pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)
        lab = {"event_id": ids, **self.labels}
        label_arrays = [
            pa.array([lab[f.name][i] for i in order], type=f.type) for f in EVENT_LABEL_SCHEMA
        ]
        return events, pa.Table.from_arrays(label_arrays, schema=EVENT_LABEL_SCHEMA)


def _unique_ids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct ``ev_`` ids (64 random bits each; repeats are redrawn)."""
    seen: dict[str, None] = {}
    while len(seen) < n:
        raw = rng.bytes(8 * (n - len(seen))).hex()
        for i in range(0, len(raw), 16):
            seen["ev_" + raw[i : i + 16]] = None
    return list(seen)


def _params(p: dict[str, Any] | None) -> dict[str, Any] | None:
    """A request's parameters as the ``params`` struct (``None`` when nothing is set).

    >>> _params({"n": 4, "seed": 7})["extra"]
    '{"seed": 7}'
    >>> _params({}) is None
    True
    """
    if not p:
        return None
    extra = {k: v for k, v in p.items() if k not in PARAM_FIELDS}
    out = {k: p.get(k) for k in PARAM_FIELDS if k != "extra"}
    out["extra"] = json.dumps(extra, sort_keys=True) if extra else None
    if all(v is None for v in out.values()):
        return None
    return out


# --------------------------------------------------------------------------- text helpers


def _msg(role: str, content: str | None) -> dict[str, str | None]:
    return {"role": role, "content": content}


def _pick(rng: np.random.Generator, seq: Sequence[_T]) -> _T:
    return seq[int(rng.integers(len(seq)))]


def _pick_lang(rng: np.random.Generator, weights: dict[str, float]) -> str:
    langs = list(weights)
    p = np.array([weights[k] for k in langs], dtype=float)
    return langs[int(rng.choice(len(langs), p=p / p.sum()))]


_NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")
_DEF = re.compile(r"\bdef (\w+)\(")
_SWAPS: Final = (
    ("Calculate", "Compute"),
    ("calculate", "work out"),
    ("Write a function", "Implement a function"),
    ("Find ", "Determine "),
    ("find ", "determine "),
    ("Given", "Suppose we have"),
    ("Is the following statement true?", "Decide whether this statement holds:"),
    ("Return ", "Give back "),
)


def paraphrase(rng: np.random.Generator, text: str) -> str:
    """A benchmark task reworded the way a data vendor augments it.

    Numbers are nudged (a new instance of the same problem), a few stock verbs
    are swapped, a Python function under test is renamed.

    >>> rng = np.random.default_rng(4)
    >>> out = paraphrase(rng, "def add(a, b):\\n    return a + b  # Calculate 12 + 30")
    >>> "def add(" in out
    False
    """

    def nudge(m: re.Match[str]) -> str:
        v = int(m.group(0))
        if len(m.group(0)) > 12 or rng.random() < 0.4:
            return m.group(0)
        step = max(1, int(abs(v) * 0.15))
        return str(max(0, v + int(rng.integers(-step, step + 1))))

    out = _NUMBER.sub(nudge, text)
    for a, b in _SWAPS:
        if a in out and rng.random() < 0.6:
            out = out.replace(a, b)
    names = _DEF.findall(out)
    if names:
        old = names[0]
        new = _pick(rng, ("solve", "solution", "compute", "f", "answer", "impl")) + "_" + old
        out = re.sub(rf"\b{re.escape(old)}\b", new, out)
    return out


def _fake_draft(rng: np.random.Generator, capability: str) -> str:
    """A short made-up attempt at a task (when the corpus has no real reply for it)."""
    a, b, c = (int(x) for x in rng.integers(2, 97, size=3))
    if capability == "coding":
        body = _pick(
            rng,
            (
                f"def solve(data):\n    out = []\n    for x in data:\n        if x % {a} == 0:\n"
                f"            out.append(x)\n    return out[:{b}]",
                f"def solve(s):\n    seen = set()\n    for ch in s:\n        if ch in seen:\n"
                f"            return ch\n        seen.add(ch)\n    return None  # {c}",
                f"def solve(n):\n    if n < {a}:\n        return n\n    return solve(n - 1) + "
                f"solve(n - 2)",
            ),
        )
        return f"```python\n{body}\n```\nThis should handle the main cases."
    if capability == "math":
        return _pick(
            rng,
            (
                f"Setting up the equation gives {a}x + {b} = {c * a}. Subtracting {b} and "
                f"dividing by {a}, x = {(c * a - b) / a:.2f}.",
                f"The pattern repeats every {a} terms, so after {b * a} terms the sum is "
                f"{b} times the first block, i.e. {b * c}.",
                f"Using the formula directly: the answer is {a * b - c}.",
            ),
        )
    return _pick(
        rng,
        (
            f"From the first two premises the conclusion follows, so the answer is "
            f"{_pick(rng, ('YES', 'NO', 'A', 'B', 'C', 'D', 'true', 'false'))}.",
            "The passage says the opposite of option B, so it must be option "
            f"{_pick(rng, ('A', 'C', 'D'))}.",
            "Only one arrangement satisfies all the clues; the answer is the third one.",
        ),
    )


def _assistant_reply(rng: np.random.Generator, capability: str) -> str:
    """A made-up earlier model answer to keep in a conversation's history."""
    steps = int(rng.integers(2, 6))
    lines = [
        f"{i + 1}. "
        + _pick(
            rng,
            (
                "Restate the condition and isolate the unknown.",
                "Apply the definition to the first case.",
                "Check the boundary case separately.",
                "Combine the two partial results.",
                "Simplify and compare with the constraint.",
                "Handle the empty input before the loop.",
                "Eliminate the options that contradict the passage.",
            ),
        )
        for i in range(steps)
    ]
    return "\n".join(lines) + "\n\n" + _fake_draft(rng, capability)


def _draft_of(rng: np.random.Generator, pools: _Pools, row: int) -> str:
    """The corpus's real reply to ``row`` (cut), else a made-up attempt."""
    resp = pools.responses[row]
    if resp:
        return resp[:_DRAFT_CHARS]
    return _fake_draft(rng, pools.capability[row])


def _tokens(rng: np.random.Generator, median: float, sigma: float = 0.6) -> int:
    return max(1, int(rng.lognormal(math.log(median), sigma)))


def _reasoning(rng: np.random.Generator, model: str, median: float) -> int | None:
    return _tokens(rng, median, 0.8) if model.startswith("reasoner") else None


# --------------------------------------------------------------------------- context


@dataclass
class _Ctx:
    cfg: RedTeamConfig
    rng: np.random.Generator
    pools: _Pools
    log: _Log
    accounts: list[_Account] = field(default_factory=list)

    def task(self, weights: dict[str, float]) -> int:
        """A task row: capability by ``weights``, then uniformly within it."""
        cap = _pick_lang(self.rng, weights)
        rows = self.pools.tasks[cap]
        return int(rows[int(self.rng.integers(len(rows)))])

    def account(
        self,
        op: str,
        *,
        tier: str,
        created_at: float,
        payment: str | None,
        ips: Sequence[str],
        agents: Sequence[str],
        tz: float,
        language: str = "en",
        org: str | None = None,
        n_keys: int = 1,
    ) -> _Account:
        rng = self.rng
        # Sign-up cannot follow the first call; operators use accounts soon after.
        created_at = min(created_at, self.cfg.t0 - HOUR)
        acct = _Account(
            account_id=hex_id(rng, "acct_", 16),
            campaign_id=op,
            org_id=org or hex_id(rng, "org_", 12),
            keys=tuple(hex_id(rng, "key_", 12) for _ in range(n_keys)),
            tier=tier,
            created_at=created_at,
            payment=payment,
            ips=tuple(ips),
            agents=tuple(agents),
            tz=tz,
            language=language,
        )
        self.accounts.append(acct)
        return acct

    def requests(self, op: str) -> int:
        lo, hi = OPERATIONS[op].requests
        return int(self.rng.integers(lo, hi + 1))

    def label_lang(self, acct_lang: str, row: int) -> str:
        return acct_lang if acct_lang != "en" else self.pools.language[row]


def _cards(ctx: _Ctx, n: int) -> list[str]:
    return [hex_id(ctx.rng, "pm_", 16) for _ in range(n)]


# --------------------------------------------------------------------------- operations


def _op_socratic(ctx: _Ctx) -> None:
    op, rng, pools, cfg = "rt-socratic", ctx.rng, ctx.pools, ctx.cfg
    cards = _cards(ctx, 5)
    proxy = residential_pool(rng, 120)
    langs = {"en": 0.5, "zh": 0.2, "ru": 0.1, "es": 0.1, "ko": 0.05, "ja": 0.05}
    caps = {"math": 0.4, "reasoning": 0.35, "coding": 0.25}
    for _ in range(cfg.accounts_of(op)):
        paid = rng.random() < 0.7
        acct = ctx.account(
            op,
            tier="paid" if paid else "free",
            created_at=cfg.t0 - rng.uniform(5, 45) * DAY,
            payment=_pick(rng, cards) if paid else None,
            ips=proxy,
            agents=[_pick(rng, SDK_AGENTS[:7])],
            tz=8.0,
            language=_pick_lang(rng, langs),
        )
        target = ctx.requests(op)
        lengths: list[int] = []
        while sum(lengths) < target:
            lengths.append(int(rng.integers(3, 7)))
        starts = _times(
            rng, len(lengths), cfg.t0, cfg.t1 - 2 * HOUR, tz=acct.tz, profile="long_day"
        )
        for start, k in zip(starts, lengths, strict=True):
            conv = hex_id(rng, "conv_", 12)
            ip = _pick(rng, acct.ips)  # sticky per conversation, as proxy sessions are
            if rng.random() < 0.1 and pools.conversations:
                _chat_conversation(ctx, acct, start, conv, ip, model="chat-large", agent=None)
                continue
            row = ctx.task(caps)
            cap = pools.capability[row]
            opener = _pick(rng, ph.OPENERS[acct.language])
            history = [_msg("user", opener + pools.task_text(row))]
            model = "reasoner-1" if rng.random() < 0.8 else "chat-large"
            params: dict[str, Any] = {"max_tokens": 8192}
            if rng.random() < 0.5:
                params["temperature"] = 0.6
            if rng.random() < 0.4 and model == "reasoner-1":
                params["reasoning_effort"] = "high"
            t = float(start)
            for turn in range(k):
                ctx.log.add(
                    rng,
                    acct,
                    t,
                    model=model,
                    messages=list(history),
                    params=params,
                    conversation_id=conv,
                    ip=ip,
                    completion=_tokens(rng, 700 if turn == 0 else 900),
                    reasoning=_reasoning(rng, model, 1500),
                    cover=False,
                    source=pools.source[row],
                    capability=cap,
                    family=None if turn == 0 else "rt_followup_verify",
                    language=ctx.label_lang(acct.language if turn else "en", row),
                )
                reply = _draft_of(rng, pools, row) if turn == 0 else _assistant_reply(rng, cap)
                history.append(_msg("assistant", reply))
                history.append(_msg("user", _pick(rng, ph.FOLLOW_UPS[acct.language])))
                t += rng.uniform(15, 90)


def _chat_conversation(
    ctx: _Ctx,
    acct: _Account,
    start: float,
    conv: str,
    ip: str | None,
    *,
    model: str,
    agent: str | None,
    key: str | None = None,
    system: str | None = None,
    max_turns: int = 8,
) -> int:
    """Replay one real ShareGPT conversation turn by turn as cover; returns calls made."""
    rng, pools = ctx.rng, ctx.pools
    rows = pools.conversations[int(rng.integers(len(pools.conversations)))][:max_turns]
    history: list[dict[str, str | None]] = [_msg("system", system)] if system else []
    t = start
    for row in rows:
        history.append(_msg("user", pools.texts[int(row)]))
        ctx.log.add(
            rng,
            acct,
            t,
            model=model,
            messages=list(history),
            params={"stream": True} if rng.random() < 0.6 else None,
            conversation_id=conv,
            ip=ip,
            agent=agent,
            key=key,
            completion=_tokens(rng, 350),
            reasoning=_reasoning(rng, model, 400),
            cover=True,
            source=pools.source[int(row)],
            capability=pools.capability[int(row)],
            family=None,
            language=pools.language[int(row)],
        )
        history.append(_msg("assistant", pools.responses[int(row)] or _assistant_reply(rng, "x")))
        t += rng.uniform(40, 400)
    return len(rows)


_TOOL_DEFS: Final[tuple[dict[str, Any], ...]] = (
    {"name": "bash", "description": "Run a shell command in the sandbox and return stdout/stderr.",
     "parameters": {"type": "object", "properties": {"command": {"type": "string"},
                    "timeout": {"type": "integer"}}, "required": ["command"]}},
    {"name": "read_file", "description": "Read a file from the repository.",
     "parameters": {"type": "object", "properties": {"path": {"type": "string"},
                    "start_line": {"type": "integer"}, "end_line": {"type": "integer"}},
                    "required": ["path"]}},
    {"name": "write_file", "description": "Create or overwrite a file.",
     "parameters": {"type": "object", "properties": {"path": {"type": "string"},
                    "content": {"type": "string"}}, "required": ["path", "content"]}},
    {"name": "apply_patch", "description": "Apply a unified diff to the working tree.",
     "parameters": {"type": "object", "properties": {"patch": {"type": "string"}},
                    "required": ["patch"]}},
    {"name": "search_code", "description": "Search the repository with a regular expression.",
     "parameters": {"type": "object", "properties": {"pattern": {"type": "string"},
                    "glob": {"type": "string"}}, "required": ["pattern"]}},
    {"name": "run_tests", "description": "Run the test suite or a subset of it.",
     "parameters": {"type": "object", "properties": {"selector": {"type": "string"}}}},
    {"name": "list_dir", "description": "List a directory.",
     "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}},
    {"name": "python", "description": "Execute Python code in a persistent interpreter.",
     "parameters": {"type": "object", "properties": {"code": {"type": "string"}},
                    "required": ["code"]}},
    {"name": "web_search", "description": "Search the web and return the top results.",
     "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                    "required": ["query"]}},
    {"name": "git", "description": "Run a git subcommand (status, diff, log, commit).",
     "parameters": {"type": "object", "properties": {"args": {"type": "array",
                    "items": {"type": "string"}}}, "required": ["args"]}},
)  # fmt: skip

_PLANS: Final = (
    "Let me look at the repository layout first.",
    "I'll find where this function is defined.",
    "Running the tests to see what fails.",
    "The failure points at the edge case; I'll read that module.",
    "Now I'll apply the fix.",
    "Re-running the tests to confirm.",
    "Checking git status before summarising.",
)


def _tool_output(rng: np.random.Generator, pools: _Pools, step: int) -> str:
    """What a sandbox tool might have returned at ``step`` of a trajectory."""
    kind = step % 5 if rng.random() < 0.7 else int(rng.integers(5))
    if kind == 0:
        files = ["README.md", "pyproject.toml", "src/", "tests/", ".github/", "setup.cfg"]
        return "\n".join(files[: int(rng.integers(3, 7))])
    if kind == 1:
        row = int(pools.code[int(rng.integers(len(pools.code)))])
        return pools.texts[row][:1500]
    if kind == 2:
        failed, passed = int(rng.integers(0, 4)), int(rng.integers(5, 60))
        head = f"collected {failed + passed} items\n\n"
        if failed:
            return (
                head + f"FAILED tests/test_core.py::test_case_{int(rng.integers(1, 40))} - "
                f"AssertionError: assert {int(rng.integers(0, 99))} == "
                f"{int(rng.integers(0, 99))}\n{failed} failed, {passed} passed in "
                f"{rng.uniform(0.2, 9):.2f}s"
            )
        return head + f"{passed} passed in {rng.uniform(0.2, 9):.2f}s"
    if kind == 3:
        n = int(rng.integers(1, 5))
        return "\n".join(
            f"src/pkg/mod_{int(rng.integers(1, 9))}.py:{int(rng.integers(1, 400))}: match"
            for _ in range(n)
        )
    return "Patch applied. 1 file changed, " + f"{int(rng.integers(1, 30))} insertions(+)"


def _op_toolsmith(ctx: _Ctx) -> None:
    op, rng, pools, cfg = "rt-toolsmith", ctx.rng, ctx.pools, ctx.cfg
    cards = _cards(ctx, 3)
    subnets = [cloud_subnet_ips(rng, 4) for _ in range(6)]
    bursts = [cfg.t0 - 20 * DAY, cfg.t0 - 9 * DAY]
    for i in range(cfg.accounts_of(op)):
        net = subnets[int(rng.integers(len(subnets)))]
        acct = ctx.account(
            op,
            tier="startup",
            created_at=bursts[i % 2] + rng.uniform(0, 6 * HOUR),
            payment=_pick(rng, cards),
            ips=list(rng.choice(net, size=int(rng.integers(1, 3)), replace=False)),
            agents=[_pick(rng, AGENT_FRAMEWORKS)],
            tz=0.0,
            n_keys=2,
        )
        names = [d["name"] for d in _TOOL_DEFS]
        chosen = sorted(rng.choice(len(names), size=int(rng.integers(4, 9)), replace=False))
        tools = json.dumps([{"type": "function", "function": _TOOL_DEFS[j]} for j in chosen])
        system = _pick(rng, ph.AGENT_SYSTEM)
        target = ctx.requests(op)
        lengths: list[int] = []
        while sum(lengths) < target:
            lengths.append(int(rng.integers(3, 10)))
        starts = _times(rng, len(lengths), cfg.t0, cfg.t1 - HOUR, tz=0.0, profile="flat")
        model = "reasoner-1" if rng.random() < 0.6 else "chat-large"
        for start, k in zip(starts, lengths, strict=True):
            row = ctx.task({"coding": 1.0})
            task = _pick(rng, ph.AGENT_TASKS).format(
                task=pools.task_text(row), num=int(rng.integers(100, 9999))
            )
            history = [_msg("system", system), _msg("user", task)]
            conv = hex_id(rng, "conv_", 12)
            key = _pick(rng, acct.keys)
            t = float(start)
            for step in range(k):
                ctx.log.add(
                    rng,
                    acct,
                    t,
                    model=model,
                    messages=list(history),
                    params={
                        "tools": tools,
                        "temperature": 0.2,
                        "max_tokens": int(_pick(rng, (4096, 8192))),
                        "tool_choice": "auto",
                        "parallel_tool_calls": False,
                    },
                    conversation_id=conv,
                    key=key,
                    completion=_tokens(rng, 900 if step == k - 1 else 160),
                    reasoning=_reasoning(rng, model, 600),
                    fail_rate=0.02,
                    cover=False,
                    source=pools.source[row],
                    capability="agentic",
                    family=None,
                    language=pools.language[row],
                )
                # An assistant tool call carries no text (content null) unless the
                # agent narrates its plan, as the system prompt asks.
                plan = _pick(rng, _PLANS) if rng.random() < 0.5 else None
                history.append(_msg("assistant", plan))
                history.append(_msg("tool", _tool_output(rng, pools, step)))
                t += rng.uniform(3, 25)


def _op_drizzle(ctx: _Ctx) -> None:
    op, rng, pools, cfg = "rt-drizzle", ctx.rng, ctx.pools, ctx.cfg
    proxy = residential_pool(rng, 600)
    langs = {"en": 0.35, "zh": 0.15, "es": 0.08, "de": 0.05, "ru": 0.08, "ja": 0.05,
             "ko": 0.05, "pt": 0.05, "fr": 0.04, "vi": 0.03, "id": 0.03, "tr": 0.02,
             "ar": 0.02}  # fmt: skip
    zones = (-8.0, -5.0, -3.0, 0.0, 1.0, 3.0, 5.5, 7.0, 8.0, 9.0)
    caps = {"math": 0.4, "reasoning": 0.3, "coding": 0.3}
    for _ in range(cfg.accounts_of(op)):
        lang = _pick_lang(rng, langs)
        acct = ctx.account(
            op,
            tier="free",
            created_at=cfg.t0 - rng.uniform(3, 120) * DAY,
            payment=None,
            ips=list(rng.choice(proxy, size=int(rng.integers(1, 4)), replace=False)),
            agents=[_pick(rng, HUMAN_AGENTS)],
            tz=float(_pick(rng, zones)),
            language=lang,
        )
        system = _pick(rng, ph.SYSTEM_REASONING[lang])
        model = "reasoner-1" if rng.random() < 0.7 else "chat-large"
        stream = rng.random() < 0.7
        n = ctx.requests(op)
        for t in _times(rng, n, cfg.t0, cfg.t1, tz=acct.tz, profile="evening"):
            cover = rng.random() < 0.2
            if cover:
                row = int(pools.cover_first[int(rng.integers(len(pools.cover_first)))])
            else:
                row = ctx.task(caps)
            ctx.log.add(
                rng,
                acct,
                float(t),
                model=model,
                messages=[_msg("system", system), _msg("user", pools.task_text(row))],
                params={"stream": True} if stream else None,
                conversation_id=hex_id(rng, "conv_", 12),
                completion=_tokens(rng, 800),
                reasoning=_reasoning(rng, model, 1200),
                cover=cover,
                source=pools.source[row],
                capability=pools.capability[row],
                family=None if cover else "rt_system_prompt",
                language=ctx.label_lang(lang, row),
            )


def _op_relay(ctx: _Ctx) -> None:
    op, rng, pools, cfg = "rt-relay", ctx.rng, ctx.pools, ctx.cfg
    suffix_langs = {"en": 0.45, "zh": 0.2, "ru": 0.06, "es": 0.06, "de": 0.04, "pt": 0.04,
                    "ja": 0.05, "ko": 0.04, "vi": 0.03, "hi": 0.03}  # fmt: skip
    caps = {"coding": 0.4, "math": 0.3, "reasoning": 0.3}
    clients = SDK_AGENTS + HUMAN_AGENTS
    models = ("reasoner-1", "chat-large", "reasoner-1-mini", "chat-fast")
    for _ in range(cfg.accounts_of(op)):
        acct = ctx.account(
            op,
            tier=_pick(rng, ("enterprise", "paid")),
            created_at=cfg.t0 - rng.uniform(200, 600) * DAY,
            payment=_cards(ctx, 1)[0],
            ips=cloud_subnet_ips(rng, int(rng.integers(3, 7))),
            agents=clients,
            tz=0.0,
            n_keys=30,
        )
        n = ctx.requests(op)
        # Items are end-user conversations (several calls) or single harvest calls;
        # draw more start times than needed and stop at the account's volume.
        starts = _times(rng, n, cfg.t0, cfg.t1 - 3 * HOUR, tz=0.0, profile="global")
        made = 0
        for start in starts:
            if made >= n:
                break
            key, agent = _pick(rng, acct.keys), _pick(rng, clients)
            system = _pick(rng, ph.ROUTER_SYSTEMS)
            model = _pick(rng, models)
            if rng.random() < 0.3 and pools.conversations:
                made += _chat_conversation(
                    ctx, acct, float(start), hex_id(rng, "conv_", 12), None,
                    model=model, agent=agent, key=key, system=system, max_turns=4,
                )  # fmt: skip
                continue
            row = ctx.task(caps)
            elicit = rng.random() < 0.6
            lang = _pick_lang(rng, suffix_langs) if elicit else "en"
            text = pools.task_text(row) + (_pick(rng, ph.SUFFIXES[lang]) if elicit else "")
            messages = ([_msg("system", system)] if system else []) + [_msg("user", text)]
            params: dict[str, Any] = {}
            if rng.random() < 0.5:
                params["temperature"] = float(_pick(rng, (0.0, 0.3, 0.7, 1.0)))
            if rng.random() < 0.4:
                params["stream"] = True
            if rng.random() < 0.3:
                params["max_tokens"] = int(_pick(rng, (1024, 2048, 4096, 16384)))
            ctx.log.add(
                rng,
                acct,
                float(start),
                model=model,
                messages=messages,
                params=params,
                agent=agent,
                key=key,
                completion=_tokens(rng, 700),
                reasoning=_reasoning(rng, model, 1200),
                fail_rate=0.03,
                cover=False,
                source=pools.source[row],
                capability=pools.capability[row],
                family="rt_suffix" if elicit else None,
                language=ctx.label_lang(lang, row),
            )
            made += 1


def _op_sampler(ctx: _Ctx) -> None:
    op, rng, pools, cfg = "rt-sampler", ctx.rng, ctx.pools, ctx.cfg
    n_accounts = cfg.accounts_of(op)
    n_labs = min(3, n_accounts)
    caps = {"math": 0.45, "reasoning": 0.3, "coding": 0.25}
    frame_langs = {"en": 0.7, "zh": 0.1, "fr": 0.05, "es": 0.05, "de": 0.05, "ru": 0.05}
    for lab in range(n_labs):
        org = hex_id(rng, "org_", 12)
        egress = cloud_subnet_ips(rng, 2)
        signup = cfg.t0 - rng.uniform(10, 40) * DAY
        members = [
            ctx.account(
                op,
                tier="research" if rng.random() < 0.6 else "edu",
                created_at=signup + rng.uniform(0, 2 * DAY),
                payment=None,
                ips=egress,
                agents=[_pick(rng, ("python-httpx/0.27.2", "OpenAI/Python 1.54.3"))],
                tz=0.0,
                org=org,
            )
            for _ in range(n_accounts // n_labs + (lab < n_accounts % n_labs))
        ]
        remaining = {a.account_id: ctx.requests(op) for a in members}
        lang = _pick_lang(rng, frame_langs)
        model = _pick(rng, ("reasoner-1", "reasoner-1-mini"))
        while any(v > 0 for v in remaining.values()):
            # One batch job: a burst of requests rotated over the lab's accounts.
            t = rng.uniform(cfg.t0, cfg.t1 - 6 * HOUR)
            live = [a for a in members if remaining[a.account_id] > 0]
            for j in range(int(rng.integers(20, 81))):
                acct = live[j % len(live)]
                if remaining[acct.account_id] <= 0:
                    continue
                remaining[acct.account_id] -= 1
                benches = pools.benchmarks[_pick_lang(rng, caps)]
                row = int(benches[int(rng.integers(len(benches)))])
                text = _pick(rng, ph.PARAPHRASE_FRAMES[lang]).format(
                    task=paraphrase(rng, pools.task_text(row))
                )
                n = int(_pick(rng, (4, 8, 8, 16)))
                ctx.log.add(
                    rng,
                    acct,
                    t,
                    model=model,
                    messages=[_msg("user", text)],
                    params={
                        "n": n,
                        "temperature": round(float(rng.uniform(0.8, 1.2)), 1),
                        "top_p": 0.95,
                        "logprobs": True,
                        "top_logprobs": int(_pick(rng, (5, 10, 20))),
                        "max_tokens": 4096,
                    },
                    completion=n * _tokens(rng, 500),
                    reasoning=_reasoning(rng, model, 900 * n),
                    fail_rate=0.03,
                    cover=False,
                    source=pools.source[row],
                    capability=pools.capability[row],
                    family=None,
                    language=ctx.label_lang(lang, row),
                )
                t += rng.uniform(1, 5)


def _op_assessor(ctx: _Ctx) -> None:
    op, rng, pools, cfg = "rt-assessor", ctx.rng, ctx.pools, ctx.cfg
    proxy = residential_pool(rng, 200)
    signup = cfg.t0 - 15 * DAY
    langs = {"en": 0.55, "zh": 0.2, "ru": 0.1, "es": 0.08, "de": 0.07}
    for _ in range(cfg.accounts_of(op)):
        lang = _pick_lang(rng, langs)
        acct = ctx.account(
            op,
            tier=_pick(rng, ("paid", "paid", "startup")),
            created_at=signup + rng.uniform(0, 2 * DAY),
            payment=_cards(ctx, 1)[0],
            ips=proxy,
            agents=[_pick(rng, ("OpenAI/Python 1.68.2", "OpenAI/Python 1.59.7"))],
            tz=3.0,
            language=lang,
        )
        model = _pick(rng, ("reasoner-1", "chat-large"))
        n = ctx.requests(op)
        for t in _times(rng, n, cfg.t0, cfg.t1, tz=acct.tz, profile="office", weekend=0.3):
            row = int(pools.answered[int(rng.integers(len(pools.answered)))])
            template = _pick(rng, ph.GRADING[lang])
            other = int(pools.answered[int(rng.integers(len(pools.answered)))])
            b = (
                _draft_of(rng, pools, other)
                if rng.random() < 0.5
                else _fake_draft(rng, pools.capability[row])
            )
            text = template.format(q=pools.task_text(row), a=_draft_of(rng, pools, row), b=b)
            ctx.log.add(
                rng,
                acct,
                float(t),
                model=model,
                messages=[_msg("user", text)],
                params={
                    "temperature": 0.0,
                    "max_tokens": 1024,
                    "response_format": {"type": "json_object"},
                },
                completion=_tokens(rng, 350),
                reasoning=_reasoning(rng, model, 700),
                cover=False,
                source=pools.source[row],
                capability="grading",
                family="rt_grading_rationale",
                language=ctx.label_lang(lang, row),
            )


def _op_refiner(ctx: _Ctx) -> None:
    op, rng, pools, cfg = "rt-refiner", ctx.rng, ctx.pools, ctx.cfg
    proxy = residential_pool(rng, 80)
    term = cfg.t0 - 30 * DAY
    langs = {"en": 0.6, "zh": 0.2, "ru": 0.1, "ko": 0.1}
    targets = list(ph.LANGUAGE_NAMES)
    for _ in range(cfg.accounts_of(op)):
        lang = _pick_lang(rng, langs)
        acct = ctx.account(
            op,
            tier="edu",
            created_at=term + rng.uniform(-2, 2) * DAY,
            payment=None,
            ips=list(rng.choice(proxy, size=int(rng.integers(2, 6)), replace=False)),
            agents=[_pick(rng, HUMAN_AGENTS + SDK_AGENTS[:3])],
            tz=8.0,
            language=lang,
        )
        model = _pick(rng, ("reasoner-1", "chat-large", "reasoner-1-mini"))
        n = ctx.requests(op)
        for t in _times(rng, n, cfg.t0, cfg.t1, tz=acct.tz, profile="evening"):
            if rng.random() < 0.6 or not len(pools.answered):
                row = ctx.task({"math": 0.35, "coding": 0.35, "reasoning": 0.3})
                text = _pick(rng, ph.CRITIQUE_REWRITE[lang]).format(
                    task=pools.task_text(row), draft=_draft_of(rng, pools, row)
                )
                family, label_lang = "rt_critique_rewrite", ctx.label_lang(lang, row)
            else:
                row = int(pools.answered[int(rng.integers(len(pools.answered)))])
                target = _pick(rng, targets)
                text = _pick(rng, ph.TRANSLATE_REASONING).format(
                    lang=ph.LANGUAGE_NAMES[target],
                    task=pools.task_text(row),
                    draft=_draft_of(rng, pools, row),
                )
                family, label_lang = "rt_translate_reasoning", target
            ctx.log.add(
                rng,
                acct,
                float(t),
                model=model,
                messages=[_msg("user", text)],
                params={"temperature": 0.3, "max_tokens": 4096},
                completion=_tokens(rng, 1100),
                reasoning=_reasoning(rng, model, 900),
                cover=False,
                source=pools.source[row],
                capability=pools.capability[row],
                family=family,
                language=label_lang,
            )


#: The code of each operation, by id (same keys as :data:`OPERATIONS`).
_RUNNERS: Final[dict[str, Callable[[_Ctx], None]]] = {
    "rt-socratic": _op_socratic,
    "rt-toolsmith": _op_toolsmith,
    "rt-drizzle": _op_drizzle,
    "rt-relay": _op_relay,
    "rt-sampler": _op_sampler,
    "rt-assessor": _op_assessor,
    "rt-refiner": _op_refiner,
}


# --------------------------------------------------------------------------- entry points


def generate_all(cfg: RedTeamConfig, corpus: Corpus) -> RedTeamData:
    """Events, account labels and event labels of every configured operation."""
    root = np.random.SeedSequence([cfg.seed, 0x7ED7EA])
    pools = _Pools.build(corpus)
    log = _Log()
    accounts: list[_Account] = []
    # One child stream per operation: adding or dropping one leaves the others unchanged.
    children = dict(zip(OPERATIONS, root.spawn(len(OPERATIONS)), strict=True))
    for op in cfg.operations:
        ctx = _Ctx(cfg, np.random.default_rng(children[op]), pools, log)
        _RUNNERS[op](ctx)
        accounts.extend(ctx.accounts)
    ids = [a.account_id for a in accounts]
    if len(set(ids)) != len(ids):  # 64 random bits: a repeat means a bug, not bad luck
        raise RedTeamError("account id drawn twice")
    events, event_labels = log.tables(np.random.default_rng(root.spawn(1)[0]))
    labels = pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            "is_attack": pa.array([True] * len(ids), pa.bool_()),
            "campaign_id": pa.array([a.campaign_id for a in accounts], pa.string()),
            "role": pa.array(["attacker"] * len(ids), pa.string()),
        },
        schema=LABEL_SCHEMA,
    )
    return RedTeamData(events, labels, event_labels)


def generate(cfg: RedTeamConfig, corpus: Corpus) -> tuple[pa.Table, pa.Table]:
    """``(events, labels)`` of the configured operations (see :func:`generate_all`)."""
    data = generate_all(cfg, corpus)
    return data.events, data.labels
