"""benchmark_match: packaged fingerprints recognise public benchmark items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from distillguard.evaluate.cot import events_from_texts
from distillguard.signals.base import EventBatch
from distillguard.signals.benchmark_match import (
    BENCHMARK_KINDS,
    MIN_CHARS,
    BenchmarkMatch,
    build_fingerprints,
    default_path,
    load_fingerprints,
)
from distillguard.signals.template_skeleton import normalise
from distillguard.sim.corpus import Corpus
from tests.signals.helpers import chat

SIG = BenchmarkMatch()


def test_packaged_file_is_small_sorted_and_consistent() -> None:
    path = default_path()
    assert path.exists()
    assert path.stat().st_size < 600_000
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
    fresh = build_fingerprints(t.column("text").to_pylist(), t.column("source").to_pylist())
    fp = load_fingerprints()
    assert np.array_equal(fresh["hashes"], fp.hashes), "run scripts/build_benchmark_fingerprints.py"
    assert tuple(fresh["sources"].tolist()) == fp.sources
