"""MinHash signatures and LSH: determinism, accuracy, bucketing, agreement with datasketch."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard import minhash
from distillguard.errors import DistillguardError
from distillguard.minhash import (
    SENTINEL,
    LSHConfig,
    MinHashConfig,
    Shingle,
    candidate_pairs,
    jaccard,
    near_duplicate_groups,
    shingle_hash,
    shingles,
    signatures,
    threshold_for,
)

WORDS = [
    *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"),
    *("lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi"),
    *("chi", "psi", "omega", "solve", "explain", "write", "code", "python", "function"),
    *("list", "the", "following", "problem", "answer", "step", "reason", "why", "how"),
    *("what", "data", "model", "train"),
]
SHINGLES: tuple[Shingle, ...] = ("word", "char")

TEXTS = [
    "You are an expert programmer. Solve the following problem:\n\nReverse a list.",
    "Écris un poème sur l'automne — avec des rimes ☃ et des émojis 🍂",
    "short",
    "",
    None,
    "   \t\n  ",
]


def real_ish(n: int, seed: int = 0) -> list[str]:
    """``n`` texts of 8-60 random words from a small vocabulary."""
    rnd = random.Random(seed)
    return [" ".join(rnd.choices(WORDS, k=rnd.randint(8, 60))) for _ in range(n)]


def exact_jaccard(a: str, b: str, cfg: MinHashConfig) -> float:
    sa, sb = set(shingles(a, cfg)), set(shingles(b, cfg))
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def reference_signature(text: str | None, cfg: MinHashConfig) -> npt.NDArray[np.uint32]:
    """A row computed the slow way: :func:`shingles`, :func:`shingle_hash`, per shingle."""
    sh = shingles(text, cfg)
    if not sh:
        return np.full(cfg.num_perm, SENTINEL, dtype=np.uint32)
    a, b = minhash._permutations(cfg)
    h = minhash._fmix32(np.array([shingle_hash(s) for s in sh], dtype=np.uint32))
    return np.asarray((a[:, None] * h[None, :] + b[:, None]).min(axis=1), dtype=np.uint32)


# --------------------------------------------------------------------------- signatures


def test_shape_dtype_and_determinism() -> None:
    cfg = MinHashConfig(num_perm=32)
    first = signatures(TEXTS, cfg)
    assert first.shape == (len(TEXTS), 32)
    assert first.dtype == np.uint32
    assert np.array_equal(first, signatures(TEXTS, cfg))
    assert np.array_equal(first, signatures(pa.array(TEXTS), cfg))
    assert np.array_equal(first, signatures(pa.chunked_array([TEXTS[:2], TEXTS[2:]]), cfg))


def test_deterministic_across_processes() -> None:
    script = (
        "import hashlib, sys\n"
        "from tests.test_minhash import TEXTS\n"
        "from distillguard.minhash import signatures\n"
        "print(hashlib.sha256(signatures(TEXTS).tobytes()).hexdigest())\n"
    )
    # A different hash seed in the child: salted hash() anywhere would show.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == hashlib.sha256(signatures(TEXTS).tobytes()).hexdigest()


def test_identical_after_normalisation() -> None:
    sig = signatures(["Solve THIS  problem\tnow please", "solve this problem now please  "])
    assert np.array_equal(sig[0], sig[1])
    assert jaccard(sig[0], sig[1]) == 1.0


def test_disjoint_texts_estimate_low() -> None:
    rnd = random.Random(1)
    a = " ".join(f"a{rnd.randrange(10**6)}" for _ in range(80))
    b = " ".join(f"b{rnd.randrange(10**6)}" for _ in range(80))
    sig = signatures([a, b], MinHashConfig(num_perm=128))
    assert jaccard(sig[0], sig[1]) < 0.05


@pytest.mark.parametrize("shingle", SHINGLES)
def test_estimate_close_to_exact_jaccard(shingle: Shingle) -> None:
    cfg = MinHashConfig(num_perm=256, shingle=shingle, k=3 if shingle == "word" else 5)
    rnd = random.Random(7)
    pairs = []
    for keep in np.linspace(0.0, 1.0, 11):
        base = [f"w{rnd.randrange(10**5)}" for _ in range(120)]
        other = [w if rnd.random() < keep else f"z{rnd.randrange(10**5)}" for w in base]
        pairs.append((" ".join(base), " ".join(other)))
    sigs = signatures([t for p in pairs for t in p], cfg)
    for i, (a, b) in enumerate(pairs):
        est = float(jaccard(sigs[2 * i], sigs[2 * i + 1]))
        assert abs(est - exact_jaccard(a, b, cfg)) <= 0.15, (i, est)


def test_matches_reference_row_by_row() -> None:
    texts = [*TEXTS, *real_ish(50)]
    for cfg in (MinHashConfig(num_perm=16), MinHashConfig(num_perm=16, shingle="char", k=4)):
        sigs = signatures(texts, cfg)
        for text, row in zip(texts, sigs, strict=True):
            assert np.array_equal(row, reference_signature(text, cfg)), text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(st.characters(codec="utf-8"), max_size=40),
            st.text(st.sampled_from("ab cD\t\néß☃🍂"), max_size=40),
        ),
        max_size=8,
    ),
    st.sampled_from(SHINGLES),
    st.integers(1, 4),
)
def test_property_vectorised_equals_reference(
    texts: list[str | None], shingle: Shingle, k: int
) -> None:
    cfg = MinHashConfig(num_perm=8, shingle=shingle, k=k, max_chars=30)
    sigs = signatures(texts, cfg)
    for text, row in zip(texts, sigs, strict=True):
        assert np.array_equal(row, reference_signature(text, cfg))


def test_chunked_and_threaded_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [*real_ish(400), None, "", *real_ish(300, seed=3)]
    whole = signatures(texts, threads=1)
    monkeypatch.setattr(minhash, "CHUNK_BYTES", 2000)
    monkeypatch.setattr(minhash, "CHUNK_SHINGLES", 100)
    assert np.array_equal(whole, signatures(texts, threads=1))
    assert np.array_equal(whole, signatures(texts, threads=2))


def test_none_and_empty_match_nothing() -> None:
    sigs = signatures([None, "", "  \n ", "real text here", None])
    assert (sigs[[0, 1, 2, 4]] == SENTINEL).all()
    assert not (sigs[3] == SENTINEL).any()
    assert jaccard(sigs[0], sigs[1]) == 0.0
    assert candidate_pairs(sigs).pairs.shape == (0, 2)
    assert near_duplicate_groups(sigs, LSHConfig(), 0.5).tolist() == [0, 1, 2, 3, 4]
    assert signatures([]).shape == (0, 64)


def test_max_chars_truncates() -> None:
    cfg = MinHashConfig(max_chars=20)
    head = "one two three four five "  # 24 characters: only the first 20 count
    sigs = signatures([head + "six seven", head + "eight nine"], cfg)
    assert np.array_equal(sigs[0], sigs[1])


def test_jaccard_shapes() -> None:
    sigs = signatures(real_ish(5))
    many = jaccard(sigs, sigs[0])
    assert isinstance(many, np.ndarray)
    assert many.shape == (5,)
    assert many[0] == 1.0
    assert isinstance(jaccard(sigs[0], sigs[1]), float)


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"num_perm": 0}, "num_perm"),
        ({"shingle": "sentence"}, "shingle"),
        ({"k": 0}, "k"),
        ({"seed": -1}, "seed"),
        ({"max_chars": 0}, "max_chars"),
        ({"num_perm": 2.5}, "num_perm"),
    ],
)
def test_minhash_config_validation(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DistillguardError) as err:
        MinHashConfig(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


@pytest.mark.parametrize(("kwargs", "field"), [({"bands": 0}, "bands"), ({"rows": -2}, "rows")])
def test_lsh_config_validation(kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(DistillguardError) as err:
        LSHConfig(**kwargs)
    assert err.value.field == field


def test_bands_times_rows_must_equal_num_perm() -> None:
    sigs = signatures(["a b c"], MinHashConfig(num_perm=64))
    with pytest.raises(DistillguardError) as err:
        candidate_pairs(sigs, LSHConfig(bands=10, rows=4))
    assert err.value.field == "bands"
    with pytest.raises(DistillguardError) as err:
        near_duplicate_groups(sigs, LSHConfig(), threshold=1.5)
    assert err.value.field == "threshold"


def test_threshold_for() -> None:
    assert threshold_for(16, 4) == pytest.approx(0.5)
    assert threshold_for(1, 64) == 1.0


# --------------------------------------------------------------------------- LSH


def test_lsh_finds_planted_near_duplicate() -> None:
    texts = real_ish(5000)
    words = texts[17].split()
    words[len(words) // 2] = "planted"
    texts[4321] = " ".join(words)
    cfg = MinHashConfig(num_perm=128)
    sigs = signatures(texts, cfg)
    res = candidate_pairs(sigs, LSHConfig(bands=32, rows=4))
    pairs = res.pairs
    assert pairs.dtype == np.int64
    assert pairs.ndim == 2
    assert pairs.shape[1] == 2
    assert (pairs[:, 0] < pairs[:, 1]).all()
    assert len(np.unique(pairs, axis=0)) == len(pairs)
    assert [17, 4321] in pairs.tolist()
    groups = near_duplicate_groups(sigs, LSHConfig(bands=32, rows=4), threshold=0.7)
    assert groups[4321] == groups[17] == 17
    # Random texts from a 50-word vocabulary share few word 3-grams: nearly all singletons.
    assert len(np.unique(groups)) > 4900


def test_big_buckets_are_capped_to_a_star() -> None:
    texts = ["the same boilerplate prompt every account sends"] * 500 + real_ish(300)
    texts[0] = "The SAME boilerplate prompt every account sends"  # distinct raw, same signature
    sigs = signatures(texts)
    res = candidate_pairs(sigs, LSHConfig(), max_bucket=200)
    assert res.capped_buckets == 16  # one per band
    star = res.pairs[res.pairs[:, 1] < 500]
    assert star.tolist() == [[0, j] for j in range(1, 500)]
    full = candidate_pairs(sigs, LSHConfig(), max_bucket=1000)
    assert full.capped_buckets == 0
    assert (full.pairs[:, 1] < 500).sum() == 500 * 499 // 2
    groups = near_duplicate_groups(sigs, LSHConfig(), threshold=0.9)
    assert (groups[:500] == 0).all()


def test_groups_chain_through_near_duplicates() -> None:
    sigs = np.array(
        [[1, 2, 3, 4], [9, 9, 9, 9], [1, 2, 3, 5], [1, 2, 6, 5], [8, 2, 6, 5]], dtype=np.uint32
    )
    groups = near_duplicate_groups(sigs, LSHConfig(bands=2, rows=2), threshold=0.7)
    assert groups.tolist() == [0, 1, 0, 0, 0]


def test_components_on_random_graph() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    u, v = rng.integers(0, n, 1500), rng.integers(0, n, 1500)
    labels = minhash._components(n, u.astype(np.int64), v.astype(np.int64))
    # Reference: a plain Python union-find.
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(u.tolist(), v.tolist(), strict=True):
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    assert labels.tolist() == [find(x) for x in range(n)]


# --------------------------------------------------------------------------- datasketch


def test_agrees_with_datasketch() -> None:
    ds = pytest.importorskip(
        "datasketch", reason="datasketch (a dev dependency) is needed to compare against it"
    )
    texts = [*real_ish(20, seed=5), *TEXTS[:3]]
    cfg = MinHashConfig(num_perm=128)
    sigs = signatures(texts, cfg)
    # Same shingle hash: datasketch's affine32 scheme gives our signatures bit for bit.
    for text, row in zip(texts, sigs, strict=True):
        m = ds.MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=shingle_hash)
        m.update_batch(shingles(text, cfg))
        assert np.array_equal(m.hashvalues, row)
    # Its own SHA-1 shingle hash: different values, same estimates up to sampling noise.
    base = real_ish(1, seed=5)[0].split()
    variants = [" ".join(base[: len(base) - d]) for d in (0, 2, 5, 10)]
    ours = signatures(variants, cfg)
    theirs = []
    for text in variants:
        m = ds.MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        m.update_batch([s.encode("utf-8") for s in shingles(text, cfg)])
        theirs.append(m)
    for i in range(1, len(variants)):
        assert abs(jaccard(ours[0], ours[i]) - theirs[0].jaccard(theirs[i])) <= 0.2
