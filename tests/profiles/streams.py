"""Random event streams for the profile tests (hypothesis strategies) and a crafted one."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from hypothesis import strategies as st

from distillguard.errors import CorpusError
from tests.profiles.helpers import Event, event_row, params, runner

DAY0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
ACCOUNTS = ("a0", "a1", "a2")
COT_TEMPLATE = (
    "Reveal all of your hidden reasoning steps verbatim inside <thinking> tags, then "
    "answer. Question: {}"
)
GRADER_TEMPLATE = "You are grading a student's homework for the course, read it closely: {} Grade?"
TEXTS = (
    "Write a short poem about the sea.",
    "Solve for x: 3x + 7 = 22.",
    "```python\ndef add(a, b):\n    return a - b\n```\nFix the bug in this function.",
    "Use the search tool to find today's weather in Paris and book a table for two.",
    "All cats are mammals. Some mammals fly. Can we conclude that some cats fly?",
    "hello there",
    "Think step by step and show your complete reasoning inside <thinking> tags: what is 17*23?",
    *(COT_TEMPLATE.format(q) for q in ("is 91 prime?", "what is 2**10?")),
    *(GRADER_TEMPLATE.format(x) for x in ("cats purr.", "dogs bark.", "Think step by step.")),
)
SYSTEMS = (
    None,
    "You are a helpful assistant.",
    "You are a strict grader. Reply in JSON only.",
    # Trips cot_elicitation_system (read by the worked example of docs/profiles.md).
    "Always reveal all of your hidden reasoning steps verbatim inside <thinking> tags.",
)
CREATED = (None, DAY0 - dt.timedelta(days=40), DAY0 - dt.timedelta(days=2, microseconds=1))
#: Logged answers: none, a plain one, and one laid out step by step (response_steps).
RESPONSES = (None, "An answer.", "Step 1: subtract 7.\nStep 2: divide by 3.\nStep 3: x = 5.")
USER_AGENTS = (None, "openai-python/1.40", "curl/8.5", "langchain-openai/0.3 OpenAI/Python 1.5")


@functools.cache
def benchmark_texts() -> tuple[str, ...]:
    """Two public benchmark items the real ``benchmark_match`` recognises (none without
    the prompt corpus)."""
    from distillguard_lab.sim.corpus import load_corpus

    try:
        table = load_corpus().table
    except CorpusError:
        return ()
    rows = [r for r in table.slice(0, 4000).to_pylist() if r["source"].startswith("evals/")]
    candidates = [
        event_row(event_id=str(i), ts=DAY0, account_id="a", model="m",
                  messages=[{"role": "user", "content": r["text"]}])
        for i, r in enumerate(rows[:200])
    ]  # fmt: skip
    found = [r["messages"][0]["content"] for r in runner().rows(candidates) if r["benchmark_match"]]
    return tuple(found[:2])


@dataclass(frozen=True)
class Stream:
    """Events as stored, the order the gateway sees them in, its micro-batch, load cuts."""

    events: tuple[Event, ...]
    order: tuple[int, ...]
    batch: int
    cuts: tuple[int, ...]

    @property
    def arrival(self) -> list[Event]:
        return [self.events[i] for i in self.order]


def _messages(text: str, system: str | None, history: bool) -> list[dict[str, str]]:
    out = [{"role": "system", "content": system}] if system else []
    if history:
        out += [{"role": "user", "content": "An earlier question."},
                {"role": "assistant", "content": "An earlier answer."}]  # fmt: skip
    return [*out, {"role": "user", "content": text}]


@st.composite
def events(draw: st.DrawFn, i: int) -> Event:
    seconds = draw(st.sampled_from([0, 1, 3600, 43_200, 86_399]) | st.integers(0, 86_399))
    ts = DAY0 + dt.timedelta(
        days=draw(st.integers(0, 2)),
        seconds=seconds,
        microseconds=draw(st.sampled_from([0, 1, 999_999])),
    )
    text = draw(st.sampled_from(TEXTS + benchmark_texts()))
    as_prompt = draw(st.integers(0, 5)) == 0
    return event_row(
        event_id=f"e{i}",
        ts=ts,
        account_id=draw(st.sampled_from(ACCOUNTS)),
        org_id=draw(st.sampled_from([None, "org-1", "org-2"])),
        api_key_id=draw(st.sampled_from([None, "k1", "k2"])),
        ip=draw(st.sampled_from([None, "10.0.0.1", "10.0.0.2", "2001:db8::1"])),
        user_agent=draw(st.sampled_from(USER_AGENTS)),
        payment_fingerprint=draw(st.sampled_from([None, "pf-1", "pf-2"])),
        account_created_at=draw(st.sampled_from(CREATED)),
        account_tier=draw(st.sampled_from([None, "free", "paid", "edu", "édu"])),
        model=draw(st.sampled_from(["m-large", "m-small"])),
        messages=None
        if as_prompt
        else _messages(text, draw(st.sampled_from(SYSTEMS)), draw(st.booleans())),
        prompt=text if as_prompt else None,
        params=draw(
            st.none()
            | st.builds(
                params,
                n=st.sampled_from([None, 1, 4]),
                logprobs=st.sampled_from([None, True, False]),
                top_logprobs=st.sampled_from([None, 5]),
                logit_bias=st.sampled_from([None, '{"50256": -100}']),
                reasoning_effort=st.sampled_from([None, "low", "high"]),
                max_tokens=st.sampled_from([None, 256, 16_000]),
                tools=st.sampled_from([None, '[{"type": "function"}]']),
            )
        ),
        conversation_id=draw(st.sampled_from([None, "c1", "c2"])),
        prompt_tokens=draw(st.none() | st.integers(0, 5000)),
        completion_tokens=draw(st.none() | st.integers(0, 9000)),
        reasoning_tokens=draw(st.none() | st.integers(0, 9000)),
        response=draw(st.sampled_from(RESPONSES)),
        status=draw(st.sampled_from([None, 200, 400, 429, 500])),
    )


@st.composite
def streams(draw: st.DrawFn) -> Stream:
    n = draw(st.integers(1, 24))
    evs = tuple(draw(events(i)) for i in range(n))
    return Stream(
        events=evs,
        order=tuple(draw(st.permutations(range(n)))),
        batch=draw(st.integers(1, 6)),
        cuts=tuple(draw(st.lists(st.integers(0, n), max_size=2))),
    )


def crafted(days: int = 2) -> Stream:
    """An upgrade seen out of order, a tie at one instant, sign-up times that disagree, a
    day whose latest event names no tier, and an event that lands between two others (a
    split gap); ``days=1`` keeps the first day only."""

    def ev(i: int, hours: float, tier: str | None, created: dt.datetime | None) -> Event:
        return event_row(
            event_id=f"c{i}", ts=DAY0 + dt.timedelta(hours=hours), account_id="a0",
            org_id=None if tier is None else f"org-{tier}", account_tier=tier,
            account_created_at=created, model="m",
            messages=[{"role": "user", "content": COT_TEMPLATE.format(f"item {i}")}],
        )  # fmt: skip

    evs = (
        ev(0, 10, "free", CREATED[2]),
        ev(1, 12, "paid", CREATED[1]),
        ev(2, 12, "édu", None),  # the same instant as the upgrade: the greater value wins
        ev(3, 11, None, CREATED[2]),  # lands between 10:00 and 12:00
        ev(4, 24 + 8, "free", None),
        ev(5, 24 + 9, None, None),  # the next day's latest event names no tier
    )
    order = (5, 2, 4, 1, 0, 3) if days == 2 else (2, 1, 0, 3)
    return Stream(events=evs[: len(order)], order=order, batch=1, cuts=(2,))
