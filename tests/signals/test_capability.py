"""capability: labels from cue tokens; checked against the corpus' benchmark labels."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from distillguard.signals.base import EventBatch
from distillguard.signals.capability import LABELS, Capability
from distillguard_lab.evaluate.cot import events_from_texts
from distillguard_lab.sim import templates
from distillguard_lab.sim.corpus import Corpus
from tests.signals.helpers import batch, chat

CASES = [
    ("Traceback (most recent call last): KeyError: 'id' in my python script", "coding"),
    ("```js\nconst x = await fetch(url);\n```\nwhy is x undefined?", "coding"),
    ("Write a SQL query: SELECT * FROM users with an inner join on orders", "coding"),
    ("Solve for x: 3x + 5 = 20", "math"),
    ("Compute the integral of x^2 from 0 to 1 and prove the result.", "math"),
    (r"Find $\frac{1}{2} + \frac{1}{3}$", "math"),
    ("求解方程 x^2 - 5x + 6 = 0", "math"),
    (
        "All roses are flowers. Some flowers fade. Therefore some roses fade? True or false",
        "reasoning",
    ),
    ("Which of the following conclusions follows from the premises? (A) x (B) y", "reasoning"),
    ("Write a cover letter for a junior accountant position", "writing"),
    ("Proofread my essay and rewrite the introduction in a persuasive tone", "writing"),
    ("帮我写一篇关于秋天的文章", "writing"),
    ("You have access to tools. Call one tool at a time and plan the multi-step task.", "agentic"),
    ("What's the capital of Peru?", "other"),
    ("hello", "other"),
]


@pytest.fixture(scope="module")
def sig() -> Capability:
    return Capability()


@pytest.mark.parametrize(("text", "want"), CASES)
def test_hand_written(sig: Capability, text: str, want: str) -> None:
    assert sig.compute_one(chat(text))["capability"] == want


def test_tools_parameter_means_agentic(sig: Capability) -> None:
    out = sig.compute_one(chat("Find me a cheap flight to Oslo", tools='[{"type": "function"}]'))
    assert out["capability"] == "agentic"
    assert sig.compute_one(chat("Find me a cheap flight to Oslo", tools="[]"))["capability"] != (
        "agentic"
    )


def test_agent_harvest_templates_are_agentic(sig: Capability) -> None:
    for tid in ("agent_trajectory_harvest", "swe_agent_patch"):
        system, user = templates.fill(templates.template(tid), "Fix the failing test in utils.py")
        assert sig.compute_one(chat(user, system=system))["capability"] == "agentic", tid


def test_system_prompt_counts(sig: Capability) -> None:
    system = "Generate a cron expression with 5 fields from the given description."
    assert sig.compute_one(chat("At 04:05 every day.", system=system))["capability"] == "coding"


def test_labels_and_confidence(sig: Capability) -> None:
    out = sig.compute(batch([chat(t) for t, _ in CASES]))
    assert set(out["capability"].to_pylist()) <= set(LABELS)
    scores = out["capability_score"].to_numpy()
    assert ((scores >= 0) & (scores <= 1)).all()


def test_min_score_field(sig: Capability) -> None:
    text = "Solve this."
    assert Capability(min_score=100).compute_one(chat(text))["capability"] == "other"
    assert sig.compute_one(chat(text))["capability"] == "math"


@pytest.mark.corpus
def test_accuracy_on_benchmark_sources(corpus: Corpus, sig: Capability) -> None:
    """Per-source labels of benchmark rows (human_eval = coding, evals math sets = math...)."""
    t = corpus.table
    mask = pc.is_in(t.column("kind"), pa.array(["benchmark", "writing"]))
    rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
    rows = np.random.default_rng(0).choice(rows, size=3000, replace=False)
    sub = t.take(pa.array(rows))
    out = sig.compute(
        EventBatch(
            events_from_texts(sub.column("text").to_pylist(), sub.column("system").to_pylist())
        )
    )
    want = sub.column("capability").to_pylist()
    got = out["capability"].to_pylist()
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for w, g in zip(want, got, strict=True):
        totals[w] += 1
        hits[w] += w == g
    overall = sum(hits.values()) / sum(totals.values())
    per = {k: hits[k] / totals[k] for k in totals}
    assert overall >= 0.88, per
    for cap in ("coding", "math", "reasoning"):
        assert per[cap] >= 0.85, per
    assert per["writing"] >= 0.6, per


def test_small_batch_engine_matches_arrow() -> None:
    texts = [t for t, _ in CASES] * 3
    systems = ["You are a coding tutor. Explain the bug.", None, "Solve exam questions."] * 15
    big = Capability(small_batch=0).evidence(EventBatch(events_from_texts(texts, systems)))
    small = Capability(small_batch=10**9).evidence(EventBatch(events_from_texts(texts, systems)))
    np.testing.assert_array_equal(big, small)


@pytest.mark.corpus
def test_engines_agree_on_real_text(corpus: Corpus) -> None:
    texts = corpus.by_source("sharegpt").texts[:3000]
    big = Capability(small_batch=0).evidence(EventBatch(events_from_texts(texts)))
    small = Capability(small_batch=10**9).evidence(EventBatch(events_from_texts(texts)))
    np.testing.assert_array_equal(big, small)
