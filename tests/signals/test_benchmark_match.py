"""benchmark_match: packaged fingerprints recognise public benchmark items."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from distillguard.signals.base import EventBatch
from distillguard.signals.benchmark_match import (
    BENCHMARK_KINDS,
    MIN_CHARS,
    BenchmarkMatch,
    build_fingerprints,
    default_path,
    hard_normalise,
    load_fingerprints,
)
from distillguard.signals.template_skeleton import normalise
from distillguard_lab.evaluate.cot import events_from_texts
from distillguard_lab.sim.corpus import Corpus
from tests.signals.helpers import batch, chat

SIG = BenchmarkMatch()


def test_packaged_file_is_small_sorted_and_consistent() -> None:
    path = default_path()
    assert path.exists()
    assert path.stat().st_size < 2_000_000
    fp = load_fingerprints()
    assert len(fp.hashes) > 1000
    assert (np.diff(fp.hashes.astype(np.float64)) >= 0).all()
    assert len(fp.source_idx) == len(fp.hashes)
    assert set(fp.source_idx.tolist()) <= set(range(len(fp.sources)))
    assert "human_eval" in fp.sources


def test_custom_file(tmp_path: Path) -> None:
    arrays = build_fingerprints(["Compute the determinant of this matrix please."], ["toy"])
    file = tmp_path / "fp.npz"
    np.savez(
        file,
        hashes=arrays["hashes"],
        source_idx=arrays["source_idx"],
        sources=arrays["sources"],
        prefixes=arrays["prefixes"],
        prefix_chars=arrays["prefix_chars"],
    )
    sig = BenchmarkMatch(fingerprints=str(file))
    hit = sig.compute_one(chat("compute the  determinant of THIS matrix please."))
    assert hit == {"benchmark_match": True, "benchmark_source": "toy"}
    assert (
        sig.compute_one(chat("compute the determinant of that matrix please."))["benchmark_match"]
        is False
    )


def test_no_match_for_chat() -> None:
    assert SIG.compute_one(chat("Hello! Can you help me plan a trip to Rome?")) == {
        "benchmark_match": False,
        "benchmark_source": None,
    }


@pytest.mark.corpus
def test_benchmark_items_match_with_their_source(corpus: Corpus) -> None:
    t = corpus.table
    rows = np.flatnonzero(
        pc.is_in(t.column("kind"), pa.array(BENCHMARK_KINDS)).to_numpy(zero_copy_only=False)
    )
    rows = np.random.default_rng(1).choice(rows, size=800, replace=False)
    sub = t.take(pa.array(rows))
    texts = sub.column("text").to_pylist()
    # Light reformatting (case, spacing, other numbers) still matches.
    variants = [("  " + x.upper().replace(" ", "  ") + "\n").replace("1", "7") for x in texts]
    out = SIG.compute(EventBatch(events_from_texts(texts + variants)))
    matched = out["benchmark_match"].to_numpy(zero_copy_only=False)
    # Items that normalise to under MIN_CHARS ("T(n) = 0T(n/0) + O(n^0)") are left out.
    norm_len = pc.utf8_length(normalise(pa.array(texts))).to_numpy(zero_copy_only=False)
    long_enough = np.concatenate([norm_len >= MIN_CHARS] * 2)
    assert matched[long_enough].mean() >= 0.99
    sources = out["benchmark_source"].to_pylist()[: len(texts)]
    truth = sub.column("source").to_pylist()
    agree = [s == w for s, w, ok in zip(sources, truth, long_enough, strict=False) if ok]
    assert np.mean(agree) >= 0.97  # the rest are duplicates listed under another set


@pytest.mark.corpus
def test_sharegpt_rarely_matches(corpus: Corpus) -> None:
    texts = corpus.by_source("sharegpt").texts[:5000]
    out = SIG.compute(EventBatch(events_from_texts(texts)))
    assert np.mean(out["benchmark_match"].to_numpy(zero_copy_only=False)) < 0.005


@pytest.mark.corpus
def test_packaged_file_is_up_to_date(corpus: Corpus) -> None:
    t = corpus.table.filter(pc.is_in(corpus.table.column("kind"), pa.array(BENCHMARK_KINDS)))
    fresh = build_fingerprints(
        t.column("text").to_pylist(), t.column("source").to_pylist(), t.column("system").to_pylist()
    )
    fp = load_fingerprints()
    assert np.array_equal(fresh["hashes"], fp.hashes), "run scripts/build_benchmark_fingerprints.py"
    assert tuple(fresh["sources"].tolist()) == fp.sources
    assert np.array_equal(fresh["pair_hashes"], fp.pair_hashes)
    assert np.array_equal(fresh["item_hash"], fp.item_hash)
    assert np.array_equal(fresh["keys"], fp.keys)
    assert np.array_equal(fresh["item_sigs"], fp.item_sigs)


# ----------------------------------------------------------------- reformatted items


def _benchmark_sample(corpus: Corpus, size: int, seed: int) -> pa.Table:
    t = corpus.table
    rows = np.flatnonzero(
        pc.is_in(t.column("kind"), pa.array(BENCHMARK_KINDS)).to_numpy(zero_copy_only=False)
    )
    rows = np.random.default_rng(seed).choice(rows, size=size, replace=False)
    return t.take(pa.array(rows))


def _long_enough(texts: list[str]) -> npt.NDArray[np.bool_]:
    hard = hard_normalise(pa.array(texts)).to_pylist()
    return np.asarray([len(h) >= MIN_CHARS for h in hard])


def _relabel_options(text: str) -> str:
    """ "(A) x" / "A) x" / "A. x" option labels written as "a: x" (another harness)."""
    return re.sub(
        r"(?m)(^|\s)\(?([A-Ea-e])[).:]\s", lambda m: f"{m.group(1)}{m.group(2).lower()}: ", text
    )


REFORMATS: dict[str, Callable[[str], str]] = {
    "question-answer labels": lambda x: f"Question: {x}\nAnswer:",
    "q-a labels, numbered": lambda x: f"Q 12: {x}\nA:",
    "whitespace": lambda x: "\n\n".join(" ".join(line.split()) for line in x.split("\n")),
    "options relettered": _relabel_options,
    "punctuation stripped": lambda x: re.sub(r"[^\w\s]", " ", x),
    "last sentence dropped": lambda x: x.rsplit(". ", 1)[0] if x.count(". ") >= 6 else x,
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(REFORMATS))
def test_reformatted_benchmark_items_match(corpus: Corpus, name: str) -> None:
    sub = _benchmark_sample(corpus, 600, 2)
    texts = sub.column("text").to_pylist()
    variants = [REFORMATS[name](x) for x in texts]
    out = SIG.compute(EventBatch(events_from_texts(variants)))
    matched = out["benchmark_match"].to_numpy(zero_copy_only=False)
    ok = _long_enough(texts)
    # Stripping all punctuation shifts letters into formula-heavy items' key window.
    assert matched[ok].mean() >= (0.95 if name == "punctuation stripped" else 0.97), name
    sources = out["benchmark_source"].to_pylist()
    truth = sub.column("source").to_pylist()
    agree = [s == w for s, w, m, k in zip(sources, truth, matched, ok, strict=True) if m and k]
    assert np.mean(agree) >= 0.95


@pytest.mark.corpus
def test_added_text_is_not_a_benchmark_match(corpus: Corpus) -> None:
    """Wrapping an item in an instruction (e.g. to elicit reasoning) adds words: no match,
    so profiles still count the request's chain-of-thought elicitation."""
    texts = _benchmark_sample(corpus, 400, 3).column("text").to_pylist()
    wrappers = (
        "Think step by step and show all of your reasoning before answering. {x}",
        "{x}\n\nExplain your reasoning in detail, step by step, then give the answer.",
        "You are an expert. Solve the following problem carefully: {x} Justify each step.",
    )
    for w in wrappers:
        out = SIG.compute(EventBatch(events_from_texts([w.format(x=x) for x in texts])))
        assert np.mean(out["benchmark_match"].to_numpy(zero_copy_only=False)) < 0.01, w


@pytest.mark.corpus
def test_short_items_match_with_their_system_prompt(corpus: Corpus) -> None:
    t = corpus.table
    rows = t.filter(pc.is_in(t.column("kind"), pa.array(BENCHMARK_KINDS)))
    systems, texts = rows.column("system").to_pylist(), rows.column("text").to_pylist()
    short = [(s, x) for s, x in zip(systems, texts, strict=True) if s and len(x) < MIN_CHARS]
    assert len(short) > 100
    events = [chat(x, system=s) for s, x in short]
    out = SIG.compute(batch(events))
    assert np.mean(out["benchmark_match"].to_numpy(zero_copy_only=False)) >= 0.99
    # Without the benchmark's instruction, "[[71]]" is no evidence of anything.
    alone = SIG.compute(batch([chat(x) for _, x in short]))
    assert not any(alone["benchmark_match"].to_pylist())
    # Another system prompt does not make a short item a benchmark item either.
    other = SIG.compute(batch([chat(x, system="You are a helpful assistant.") for _, x in short]))
    assert not any(other["benchmark_match"].to_pylist())


def test_toy_reformatted_and_near_duplicate(tmp_path: Path) -> None:
    item = (
        "A train leaves the station at noon and travels east at a steady speed. "
        "Which statement about its distance from the station is true?\n"
        "(A) It grows linearly with time\n(B) It stays the same\n(C) It shrinks"
    )
    arrays = build_fingerprints([item], ["toy"])
    file = tmp_path / "fp.npz"
    np.savez(file, **arrays)  # type: ignore[arg-type]
    sig = BenchmarkMatch(fingerprints=str(file))
    relabel = item.replace("(A) ", "1. ").replace("(B) ", "2. ").replace("(C) ", "3. ")
    reworded = item.replace("steady", "constant")
    shortened = item.replace(" from the station", "")
    for text in (f"Question: {item}\nAnswer:", relabel, reworded, shortened):
        assert sig.compute_one(chat(text)) == {
            "benchmark_match": True,
            "benchmark_source": "toy",
        }, text
    for text in (
        item + " Think step by step.",
        "Let's think step by step. " + item,
        "A train leaves the station at noon. What is the capital of France?",
    ):
        assert sig.compute_one(chat(text))["benchmark_match"] is False, text


def test_old_files_without_reformat_tables_still_load(tmp_path: Path) -> None:
    arrays = build_fingerprints(["Compute the determinant of this matrix please."], ["toy"])
    file = tmp_path / "fp.npz"
    old: dict[str, Any] = {
        k: arrays[k] for k in ("hashes", "source_idx", "sources", "prefixes", "prefix_chars")
    }
    np.savez(file, **old)
    sig = BenchmarkMatch(fingerprints=str(file))
    assert sig.compute_one(chat("compute the determinant of THIS matrix please."))[
        "benchmark_match"
    ]
    assert not sig.compute_one(chat("Question: compute the determinant of this matrix please."))[
        "benchmark_match"
    ]
