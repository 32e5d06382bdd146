"""Near-duplicate prompt search: MinHash signatures and banded LSH, vectorised.

Campaigns show up as the same prompt text arriving from many accounts: one shared
template around varying tasks, the same harvested task sent from several accounts,
lightly paraphrased templates.  This module finds such near-duplicates among a
million prompts in seconds:

* :func:`signatures` turns each text into ``num_perm`` MinHash values (uint32) so that
  the fraction of equal slots of two rows estimates the Jaccard similarity of their
  shingle sets (:func:`jaccard`);
* :func:`candidate_pairs` buckets rows by bands of their signature (LSH) and returns
  the pairs that share a bucket;
* :func:`near_duplicate_groups` keeps the candidate pairs whose estimate reaches a
  threshold and labels the connected components.

The scheme is datasketch's ``affine32`` (datasketch >= 2.0): a 32-bit shingle hash is
pre-mixed with the MurmurHash3 finalizer, then permuted by ``a * h + b mod 2**32`` with
odd ``a``, and ``a``, ``b`` are drawn exactly as datasketch draws them from ``seed``.
Only the shingle hash differs (datasketch hashes each shingle with SHA-1 in Python; we
use a polynomial hash over the UTF-8 bytes computed with prefix sums), so feeding
datasketch our shingle hash (:func:`shingle_hash`) reproduces our signatures bit for
bit.  Nothing uses Python's salted :func:`hash`: signatures are identical across runs
and processes.

>>> cfg = MinHashConfig(num_perm=64)
>>> sigs = signatures(["Solve the following problem: 2 + 2 = ?",
...                    "solve the following  problem: 2 + 2 = ?",
...                    "Write a haiku about autumn leaves", None], cfg)
>>> sigs.shape, sigs.dtype.name
((4, 64), 'uint32')
>>> float(jaccard(sigs[0], sigs[1])), float(jaccard(sigs[0], sigs[2]))
(1.0, 0.0)
>>> bool((sigs[3] == SENTINEL).all()), float(jaccard(sigs[3], sigs[3]))
(True, 0.0)
>>> near_duplicate_groups(sigs, LSHConfig(bands=16, rows=4), threshold=0.8).tolist()
[0, 0, 2, 3]
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError

#: The value of every slot of an empty or missing text's signature; it matches nothing.
SENTINEL = np.uint32(0xFFFFFFFF)

#: Raw UTF-8 bytes normalised and shingled per task: bounds the per-byte prefix arrays
#: (about 40 bytes of working memory per text byte).
CHUNK_BYTES = 1 << 22

#: Shingles permuted at once: bounds the ``num_perm x shingles`` matrix (64 MB at 64).
CHUNK_SHINGLES = 1 << 18

#: Threads that compute chunks of :func:`signatures` (NumPy and Arrow kernels release
#: the GIL, so two threads use both cores of the target machine).
THREADS = min(2, os.cpu_count() or 1)

# Whitespace runs of two or more, or any single non-space whitespace character (ASCII
# only, as in :mod:`distillguard.signals.template_skeleton`): rewriting every single
# space, as ``\s+`` would, is several times slower.
_WS_RUNS = r"[\t\n\v\f\r ]{2,}|[\t\n\v\f\r]"

# Polynomial hash base (odd, so it is invertible mod 2**64) and its inverse: the hash
# of bytes[s:e] is (C[e] - C[s]) * P**-s with C the prefix sums of bytes[j] * P**j.
_P = 0x9E3779B97F4A7C15
_P_INV = pow(_P, -1, 1 << 64)

_U64 = np.uint64
_FMIX64 = (_U64(33), _U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53))
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))

Shingle = Literal["word", "char"]


# --------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class MinHashConfig:
    """How texts become signatures.

    ``shingle="word"`` hashes runs of ``k`` consecutive words, ``"char"`` runs of ``k``
    consecutive characters (spaces included); a text shorter than ``k`` units is one
    shingle.  Only the first ``max_chars`` characters of each text are used.

    >>> MinHashConfig(num_perm=0)
    Traceback (most recent call last):
    ...
    distillguard.errors.DistillguardError: field num_perm: must be between 1 and 4096, got 0
    """

    num_perm: int = 64
    shingle: Shingle = "word"
    k: int = 3
    seed: int = 1
    max_chars: int = 4000

    def __post_init__(self) -> None:
        _check_int("num_perm", self.num_perm, 1, 4096)
        if self.shingle not in ("word", "char"):
            raise DistillguardError(
                f"must be 'word' or 'char', got {self.shingle!r}", field="shingle"
            )
        _check_int("k", self.k, 1, 1000)
        # numpy's RandomState, which draws the permutations, takes 32-bit seeds.
        _check_int("seed", self.seed, 0, (1 << 32) - 1)
        _check_int("max_chars", self.max_chars, 1, 1 << 30)


@dataclass(frozen=True)
class LSHConfig:
    """Banding of a signature: ``bands * rows`` must equal the signature's ``num_perm``.

    Two rows become candidates when all ``rows`` slots of at least one band agree; the
    probability of that is ``1 - (1 - J**rows)**bands`` for Jaccard similarity ``J``,
    which rises steeply around :func:`threshold_for` ``(bands, rows)``.

    >>> LSHConfig(bands=16, rows=0)
    Traceback (most recent call last):
    ...
    distillguard.errors.DistillguardError: field rows: must be between 1 and 4096, got 0
    """

    bands: int = 16
    rows: int = 4

    def __post_init__(self) -> None:
        _check_int("bands", self.bands, 1, 4096)
        _check_int("rows", self.rows, 1, 4096)


def _check_int(field: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise DistillguardError(f"must be between {lo} and {hi}, got {value!r}", field=field)


def threshold_for(bands: int, rows: int) -> float:
    """The Jaccard similarity at which banded LSH starts to pair rows: ``(1/bands)**(1/rows)``.

    >>> round(threshold_for(16, 4), 3), round(threshold_for(32, 2), 3)
    (0.5, 0.177)
    """
    return float((1.0 / bands) ** (1.0 / rows))


# --------------------------------------------------------------------------- hashing


def _fmix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    s, m1, m2 = _FMIX64
    h = h ^ (h >> s)
    h = h * m1
    h = h ^ (h >> s)
    h = h * m2
    return h ^ (h >> s)


def _fmix32(h: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    s1, m1, s2, m2 = _FMIX32
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s1)


def _finish(poly: npt.NDArray[np.uint64], length: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    # Adding the length tells apart byte strings that differ only by trailing NULs;
    # the finalizer spreads the polynomial's weak low bits before we keep the high half.
    return (_fmix64(poly + length) >> _U64(32)).astype(np.uint32)


def shingle_hash(shingle: str) -> int:
    """The 32-bit hash :func:`signatures` gives one shingle (a scalar reference).

    Pass it to datasketch as ``MinHash(hashfunc=shingle_hash, seed=cfg.seed,
    num_perm=cfg.num_perm)`` and feed it :func:`shingles` to get our signature exactly.

    >>> shingle_hash("the quick brown"), shingle_hash("")
    (3191564369, 0)
    """
    poly = 0
    for j, byte in enumerate(shingle.encode("utf-8")):
        poly = (poly + byte * pow(_P, j, 1 << 64)) % (1 << 64)
    data = np.array([poly], dtype=np.uint64)
    length = np.array([len(shingle.encode("utf-8"))], dtype=np.uint64)
    return int(_finish(data, length)[0]) if length[0] else 0


def _permutations(cfg: MinHashConfig) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    # Drawn exactly as datasketch's affine32 scheme draws them, so our signatures are
    # datasketch's (given the same shingle hash): RandomState is stable across versions.
    gen = np.random.RandomState(cfg.seed)
    a = gen.randint(0, 1 << 31, cfg.num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, cfg.num_perm, dtype=np.uint32)
    return a, b


# --------------------------------------------------------------------------- text


def normalise(texts: pa.Array, max_chars: int) -> pa.Array:
    """The first ``max_chars`` characters, lower-cased, ASCII whitespace runs to one space,
    trimmed.  Nulls stay null.

    >>> normalise(pa.array(["  Hello\\t\\tWORLD  again ", None]), 100).to_pylist()
    ['hello world again', None]
    """
    arr = pc.utf8_slice_codeunits(texts, 0, max_chars)
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring_regex(arr, _WS_RUNS, " ")
    return pc.utf8_trim(arr, " ")


def shingles(text: str | None, cfg: MinHashConfig = MinHashConfig()) -> list[str]:
    """The shingles of one text, in order, with repeats (a slow reference).

    It is what :func:`signatures` hashes, for exact Jaccard in tests and for feeding
    other MinHash implementations the same sets.

    >>> shingles("The quick  brown FOX jumps")
    ['the quick brown', 'quick brown fox', 'brown fox jumps']
    >>> shingles("Hi you", MinHashConfig(shingle="char", k=4))
    ['hi y', 'i yo', ' you']
    >>> shingles("two words"), shingles("   "), shingles(None)
    (['two words'], [], [])
    """
    if text is None:
        return []
    norm = normalise(pa.array([text], type=pa.large_string()), cfg.max_chars)[0].as_py()
    if not norm:
        return []
    units = norm.split(" ") if cfg.shingle == "word" else list(norm)
    sep = " " if cfg.shingle == "word" else ""
    if len(units) < cfg.k:
        return [norm]
    return [sep.join(units[i : i + cfg.k]) for i in range(len(units) - cfg.k + 1)]


def _as_large_string(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
            raise DistillguardError(f"expected strings, got {texts.type}", field="texts")
        return texts.cast(pa.large_string())
    return pa.array(texts, type=pa.large_string())


def _chunks(raw: pa.Array, max_chars: int) -> Iterator[tuple[int, int]]:
    """Row ranges whose (truncated) UTF-8 bytes add up to about :data:`CHUNK_BYTES`."""
    nbytes = pc.binary_length(raw).fill_null(0).to_numpy(zero_copy_only=False)
    # A code point is at most 4 bytes, so this bounds each truncated text's size.
    cum = np.cumsum(np.minimum(nbytes.astype(np.int64), 4 * max_chars) + 1)
    start = 0
    while start < len(raw):
        base = cum[start - 1] if start else 0
        stop = int(np.searchsorted(cum, base + CHUNK_BYTES, side="right"))
        stop = max(stop, start + 1)
        yield start, stop
        start = stop


def _shingle_spans(
    norm: pa.Array, cfg: MinHashConfig
) -> tuple[
    npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
]:
    """The chunk's UTF-8 bytes, every shingle's byte span, and each text's shingle count.

    Shingles are byte ranges of the normalised text: a word k-gram runs from the start
    of its first word to the end of its last (words are separated by exactly one space
    after normalisation, so the range *is* the canonical shingle), a char k-gram from
    the first byte of its first code point to the first byte after its last.
    """
    norm = norm.fill_null("")
    offsets = np.frombuffer(norm.buffers()[1], dtype=np.int64)[
        norm.offset : norm.offset + len(norm) + 1
    ]
    base = int(offsets[0])
    data = norm.buffers()[2]
    raw = (
        np.frombuffer(data, dtype=np.uint8)[base : int(offsets[-1])]
        if data
        else np.zeros(0, np.uint8)
    )
    off = offsets - base
    total = len(raw)
    nonempty = off[1:] > off[:-1]
    if cfg.shingle == "word":
        spaces = np.flatnonzero(raw == 32)
        is_start = np.zeros(total + 1, dtype=bool)
        is_start[spaces + 1] = True
        is_start[off[:-1][nonempty]] = True
        is_end = np.zeros(total + 1, dtype=bool)
        is_end[spaces] = True
        is_end[off[1:][nonempty]] = True
        starts = np.flatnonzero(is_start[:total])
        ends = np.flatnonzero(is_end)
    else:
        # Continuation bytes of a multi-byte code point are 10xxxxxx.
        starts = np.flatnonzero((raw & 0xC0) != 0x80)
        # Texts are contiguous, so a char ends where the next one (maybe the next text's) starts.
        ends = np.append(starts[1:], total)
    first = np.searchsorted(starts, off)
    units = np.diff(first)  # units per text
    n_sh = np.where(units > 0, np.maximum(units - cfg.k + 1, 1), 0)
    # Shingle j of text t starts at unit first[t] + j and ends with unit
    # min(first[t] + j + k - 1, last unit of t): short texts become one whole shingle.
    text_of = np.repeat(np.arange(len(units)), n_sh)
    sh_first = np.cumsum(n_sh) - n_sh
    rank = np.arange(int(n_sh.sum()), dtype=np.int64) - sh_first[text_of]
    u0 = first[:-1][text_of] + rank
    u1 = np.minimum(u0 + cfg.k - 1, first[1:][text_of] - 1)
    return raw, starts[u0], ends[u1], n_sh


_TABLES: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]] | None = None


def _power_tables(n: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """``P**j`` and ``P**-j`` mod 2**64 for ``j < n`` (at least a chunk's worth, kept)."""
    global _TABLES
    tables = _TABLES
    if tables is None or len(tables[0]) < n:
        size = max(n, CHUNK_BYTES + 1)
        powers = np.full(size, _P, dtype=np.uint64)
        inv = np.full(size, _P_INV, dtype=np.uint64)
        powers[0] = inv[0] = 1
        # Wraps mod 2**64, as intended.  Two threads may both build it; either wins.
        tables = (np.cumprod(powers), np.cumprod(inv))
        _TABLES = tables
    return tables


def _hash_spans(
    raw: npt.NDArray[np.uint8], s: npt.NDArray[np.int64], e: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint32]:
    n = len(raw)
    powers, inv = _power_tables(n + 1)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(raw * powers[:n], out=prefix[1:])
    poly = (prefix[e] - prefix[s]) * inv[s]
    return _finish(poly, (e - s).astype(np.uint64))


def _minhash(
    h: npt.NDArray[np.uint32],
    n_sh: npt.NDArray[np.int64],
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
) -> npt.NDArray[np.uint32]:
    """Per-text minimum of ``a * fmix32(h) + b``, shape (texts, num_perm)."""
    out = np.full((len(n_sh), len(a)), SENTINEL, dtype=np.uint32)
    has = np.flatnonzero(n_sh > 0)
    if len(has) == 0:
        return out
    h = _fmix32(h)
    cum = np.cumsum(n_sh[has])
    lo = 0
    while lo < len(has):
        # Whole texts per block, so a text's shingles never straddle two blocks.
        start_sh = int(cum[lo - 1]) if lo else 0
        hi = int(np.searchsorted(cum, start_sh + CHUNK_SHINGLES, side="right"))
        hi = max(hi, lo + 1)
        block = h[start_sh : int(cum[hi - 1])]
        # (num_perm, shingles): reduceat along contiguous rows is ~5x faster than the transpose.
        mat = np.multiply(a[:, None], block[None, :])
        mat += b[:, None]
        seg = (cum[lo:hi] - n_sh[has[lo:hi]]) - start_sh
        out[has[lo:hi]] = np.minimum.reduceat(mat, seg, axis=1).T
        lo = hi
    return out


def _signatures_chunk(raw: pa.Array, cfg: MinHashConfig) -> npt.NDArray[np.uint32]:
    data, s, e, n_sh = _shingle_spans(normalise(raw, cfg.max_chars), cfg)
    a, b = _permutations(cfg)
    return _minhash(_hash_spans(data, s, e), n_sh, a, b)


def signatures(
    texts: Sequence[str | None] | pa.Array | pa.ChunkedArray,
    cfg: MinHashConfig = MinHashConfig(),
    *,
    threads: int = THREADS,
) -> npt.NDArray[np.uint32]:
    """MinHash signatures, shape ``(len(texts), cfg.num_perm)``, dtype uint32.

    Texts are truncated to ``cfg.max_chars`` characters, lower-cased and their
    whitespace collapsed, then shingled (:func:`shingles`).  A missing or empty text
    (after normalisation) gets a row of :data:`SENTINEL`, which matches nothing.
    Exact duplicates are hashed once.

    >>> sig = signatures(["Hello world, hello moon", "", None], MinHashConfig(num_perm=4))
    >>> sig.shape, bool((sig[1:] == SENTINEL).all()), bool((sig[0] == SENTINEL).any())
    ((3, 4), True, False)
    """
    arr = _as_large_string(texts)
    n = len(arr)
    if n == 0:
        return np.full((0, cfg.num_perm), SENTINEL, dtype=np.uint32)
    # Harvesting sends the same text from many accounts: hash each distinct text once.
    enc = pc.dictionary_encode(arr)
    uniq = enc.dictionary
    codes = enc.indices.to_numpy(zero_copy_only=False) if enc.null_count == 0 else None
    ranges = list(_chunks(uniq, cfg.max_chars))
    usig = np.empty((len(uniq), cfg.num_perm), dtype=np.uint32)

    def run(r: tuple[int, int]) -> None:
        usig[r[0] : r[1]] = _signatures_chunk(uniq.slice(r[0], r[1] - r[0]), cfg)

    if threads > 1 and len(ranges) > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(run, ranges))
    else:
        for r in ranges:
            run(r)
    if codes is not None and len(uniq) == n:
        # Dictionary codes follow first occurrence, so all-distinct input is the identity.
        return usig
    if codes is not None:
        return np.asarray(usig[codes], dtype=np.uint32)
    out = np.full((n, cfg.num_perm), SENTINEL, dtype=np.uint32)
    valid = enc.indices.is_valid().to_numpy(zero_copy_only=False)
    out[np.flatnonzero(valid)] = usig[enc.indices.drop_null().to_numpy()]
    return out


def jaccard(
    sig_a: npt.NDArray[np.uint32], sig_b: npt.NDArray[np.uint32]
) -> float | npt.NDArray[np.float64]:
    """Estimated Jaccard similarity: the fraction of slots that agree.

    1-D inputs give a float; 2-D inputs (or one 2-D, one 1-D) give one estimate per
    row.  :data:`SENTINEL` slots never agree, so empty texts are similar to nothing.

    >>> a = np.array([1, 2, 3, 4], dtype=np.uint32)
    >>> jaccard(a, np.array([1, 2, 0, 0], dtype=np.uint32))
    0.5
    >>> jaccard(np.stack([a, a]), a).tolist()
    [1.0, 1.0]
    """
    same = (sig_a == sig_b) & (sig_a != SENTINEL)
    est = same.mean(axis=-1)
    if np.ndim(est) == 0:
        return float(est)
    return np.asarray(est, dtype=np.float64)


# --------------------------------------------------------------------------- LSH


@dataclass(frozen=True, eq=False)
class LSHResult:
    """Candidate pairs from :func:`candidate_pairs`.

    ``pairs`` is ``(m, 2)`` int64, unique, ``i < j`` per row, sorted.
    ``capped_buckets`` counts the (band, bucket)s with more than ``max_bucket`` members,
    whose members were linked to the bucket's smallest row only.
    """

    pairs: npt.NDArray[np.int64]
    capped_buckets: int


def _band_keys(band: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
    # Distinct bands colliding in 64 bits (probability ~ rows**2 / 2**64) only add a
    # candidate that the Jaccard check drops.
    key = np.zeros(len(band), dtype=np.uint64)
    for c in range(band.shape[1]):
        key = _fmix64(key * _U64(0x100000001B3) + band[:, c].astype(np.uint64))
    return key


def _ranks(sizes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``0 .. size-1`` for each size, concatenated."""
    return np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def _pairs_in_buckets(
    order: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """All pairs (order[p], order[q]), p < q, within each bucket ``[start, start+size)``."""
    pos = np.repeat(starts, sizes) + _ranks(sizes)
    # Each position pairs with every later position of its bucket.
    later = np.repeat(starts + sizes, sizes) - pos - 1
    left = np.repeat(pos, later)
    return order[left], order[left + _ranks(later) + 1]


def _sorted_unique(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    # np.unique (NumPy 2.4) hashes integers and degrades badly on these structured pair
    # codes (seconds per million); an in-place sort is predictable and SIMD-fast.
    x = np.concatenate(parts) if len(parts) != 1 else parts[0].copy()
    x.sort()
    if len(x) < 2:
        return x
    keep = np.empty(len(x), dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def candidate_pairs(
    sigs: npt.NDArray[np.uint32], cfg: LSHConfig = LSHConfig(), *, max_bucket: int = 200
) -> LSHResult:
    """Pairs of rows that agree on all slots of at least one band.

    A bucket with more than ``max_bucket`` members (boilerplate every account sends)
    is not expanded into all its pairs, which grow quadratically: each member is paired
    with the bucket's smallest row instead, which keeps it connected for
    :func:`near_duplicate_groups`.  Rows that are all :data:`SENTINEL` are never paired.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [5, 6, 7, 8]], dtype=np.uint32)
    >>> res = candidate_pairs(sigs, LSHConfig(bands=2, rows=2))
    >>> res.pairs.tolist(), res.capped_buckets
    ([[0, 1], [0, 2]], 0)
    """
    if sigs.ndim != 2 or sigs.shape[1] != cfg.bands * cfg.rows:
        raise DistillguardError(
            f"bands * rows = {cfg.bands * cfg.rows} must equal num_perm, "
            f"the signature width {sigs.shape[-1]}",
            field="bands",
        )
    if max_bucket < 2:
        raise DistillguardError(f"must be at least 2, got {max_bucket}", field="max_bucket")
    n = len(sigs)
    live_mask = ~(sigs == SENTINEL).all(axis=1)
    live = np.flatnonzero(live_mask)
    all_live = len(live) == n
    acc = np.zeros(0, dtype=np.int64)
    pending: list[npt.NDArray[np.int64]] = []
    capped = 0
    for band in range(cfg.bands):
        key = _band_keys(sigs[:, band * cfg.rows : (band + 1) * cfg.rows])
        if not all_live:
            key = key[live]
        # Unstable (SIMD) argsort: faster than a stable one; pairs are ordered below.
        perm = np.argsort(key)
        sk = key[perm]
        order = perm if all_live else live[perm]
        change = np.flatnonzero(sk[1:] != sk[:-1]) + 1
        starts = np.concatenate(([0], change)).astype(np.int64)
        sizes = np.diff(np.append(starts, len(sk))).astype(np.int64)
        small = (sizes >= 2) & (sizes <= max_bucket)
        left, right = _pairs_in_buckets(order, starts[small], sizes[small])
        codes = [np.minimum(left, right) * n + np.maximum(left, right)]
        big = sizes > max_bucket
        if big.any():
            capped += int(big.sum())
            hub = np.repeat(np.minimum.reduceat(order, starts)[big], sizes[big])
            members = order[np.repeat(starts[big], sizes[big]) + _ranks(sizes[big])]
            codes.append((hub * n + members)[members != hub])
        pending.append(np.concatenate(codes))
        # Merge once the pending pairs outgrow the distinct ones: memory tracks distinct
        # pairs (not pairs x bands) and each pair is sorted a few times, not once a band.
        if sum(len(p) for p in pending) > max(len(acc), 1 << 22):
            acc = _sorted_unique([acc, *pending])
            pending = []
    acc = _sorted_unique([acc, *pending])
    pairs = np.empty((len(acc), 2), dtype=np.int64)
    np.divmod(acc, max(n, 1), out=(pairs[:, 0], pairs[:, 1]))
    return LSHResult(pairs=pairs, capped_buckets=capped)


def _components(
    n: int, u: npt.NDArray[np.int64], v: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Connected components: each node's label is its component's smallest node.

    Hook-and-compress: every edge whose ends have different roots hooks the larger root
    under the smaller one, then pointer jumping flattens the forest; repeat on the edges
    still crossing.  A handful of rounds in practice, each a few vector passes.
    """
    parent = np.arange(n, dtype=np.int64)
    while len(u):
        pu, pv = parent[u], parent[v]
        cross = pu != pv
        if not cross.any():
            break
        u, v, pu, pv = u[cross], v[cross], pu[cross], pv[cross]
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


def near_duplicate_groups(
    sigs: npt.NDArray[np.uint32],
    cfg: LSHConfig = LSHConfig(),
    threshold: float = 0.8,
    *,
    max_bucket: int = 200,
) -> npt.NDArray[np.int64]:
    """A group label per row: the smallest row index of its near-duplicate component.

    Components are over the :func:`candidate_pairs` whose estimated Jaccard is at least
    ``threshold``, so near-duplicates chain (A~B, B~C puts A and C together).  Rows
    without a near-duplicate, and empty texts, are their own group.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 3, 9], [1, 2, 8, 9], [5, 6, 7, 8]], dtype=np.uint32)
    >>> near_duplicate_groups(sigs, LSHConfig(bands=2, rows=2), threshold=0.7).tolist()
    [0, 0, 0, 3]
    """
    if not 0.0 <= threshold <= 1.0:
        raise DistillguardError(f"must be between 0 and 1, got {threshold}", field="threshold")
    pairs = candidate_pairs(sigs, cfg, max_bucket=max_bucket).pairs
    keep: list[npt.NDArray[np.int64]] = []
    # Estimates in blocks: a (pairs x num_perm) comparison for millions of pairs is GBs.
    step = max(1, (1 << 24) // max(sigs.shape[1], 1))
    for lo in range(0, len(pairs), step):
        blk = pairs[lo : lo + step]
        est = jaccard(sigs[blk[:, 0]], sigs[blk[:, 1]])
        keep.append(blk[np.asarray(est) >= threshold])
    edges = np.concatenate(keep) if keep else np.zeros((0, 2), dtype=np.int64)
    return _components(len(sigs), edges[:, 0], edges[:, 1])
