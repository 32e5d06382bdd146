"""Detection on token sequences: valid p-values without the watermark, power with it."""

from __future__ import annotations

import numpy as np

from distillguard.provenance.detect import detect, detect_each, pvalue_curve, text_pairs
from distillguard.provenance.keys import ProviderSecret
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.stats import ks_uniform, randomized_pvalues
from distillguard.provenance.tuples import TupleSet

from ._sim import Bigram

SECRET = ProviderSecret("t", bytes(range(32)))
KEY = SECRET.derive("account", "a")
CFG = WatermarkConfig()


def test_unwatermarked_text_gives_uniform_pvalues() -> None:
    # The p-value is exact over the key's randomness: a fresh key per text gives
    # independent, uniform p-values.  (One key over many texts correlates them,
    # because texts share frequent pairs whose colours that key fixes.)
    model, rng = Bigram(seed=1), np.random.default_rng(1)
    seqs = model.generate_many(rng, 300, 120)
    dets = [detect(SECRET.derive("account", str(i)), CFG, [s]) for i, s in enumerate(seqs)]
    rp = randomized_pvalues([d.n_green for d in dets], [d.n_scored for d in dets], 0.25, rng)
    assert ks_uniform(rp) > 0.01
    assert min(d.p_value for d in detect_each(KEY, CFG, seqs)) > 1e-5


def test_watermarked_text_is_detected_and_other_keys_are_not() -> None:
    model, rng = Bigram(seed=2), np.random.default_rng(2)
    seqs = model.generate_many(rng, 20, 200, KEY)
    assert all(d.p_value < 1e-6 for d in detect_each(KEY, CFG, seqs))
    other = SECRET.derive("account", "b")
    assert min(d.p_value for d in detect_each(other, CFG, seqs)) > 1e-4


def test_repeated_pairs_count_once() -> None:
    # A text that repeats one pair 500 times: 500 coin flips would be fake evidence.
    seq = np.array([5, 6] * 500)
    pairs = text_pairs(CFG, [seq])
    assert len(pairs) == 2
    d = detect(KEY, CFG, [seq])
    assert d.n_scored == 2
    assert d.n_tokens == 1000


def test_pairs_are_deduplicated_across_texts() -> None:
    a, b = np.array([1, 2, 3, 4]), np.array([9, 1, 2, 3])
    ts = TupleSet.from_sequences([a, b], 1)
    assert ts.tokens.tolist() == [2, 3, 4, 1]
    assert ts.source.tolist() == [0, 0, 0, 1]


def test_skip_repeated_context_scores_first_occurrences() -> None:
    cfg = WatermarkConfig(skip_repeated_context=True)
    seq = np.array([1, 2, 1, 3, 1, 4])
    pairs = text_pairs(cfg, [seq])
    assert pairs.contexts[:, 0].tolist() == [1, 2, 3]
    assert pairs.tokens.tolist() == [2, 1, 1]


def test_curve_falls_for_watermarked_text() -> None:
    model, rng = Bigram(seed=3), np.random.default_rng(3)
    seq = model.generate(rng, 300, KEY)
    n, lp = pvalue_curve(KEY, CFG, text_pairs(CFG, [seq]), points=10)
    assert n[-1] == len(text_pairs(CFG, [seq]))
    assert lp[-1] < lp[0]
    assert lp[-1] < -6


def test_short_and_empty_texts() -> None:
    assert detect(KEY, CFG, [np.array([3])]).p_value == 1.0
    assert detect(KEY, CFG, []).n_scored == 0
