"""Benchmark match: the request is, word for word, a public benchmark item.

Researchers run public benchmarks (HumanEval, the OpenAI evals sets, lm-eval's
chain-of-thought exemplars, WritingBench, LongBench-Write) against the API all the
time, so a request whose text *is* a benchmark item is evidence of legitimate
evaluation traffic, not of harvesting.  (Operators harvest benchmarks too, but wrap
them in templates and elicitation, so their requests rarely match whole.)  Direction:
``benchmark_match`` is exculpatory; scoring weighs it, it accuses nobody.

Matching: the user text is normalised like :mod:`.template_skeleton` does it (lower
case, digit runs to ``0``, whitespace collapsed; see :func:`.normalise`), hashed with
MD5, and looked up among the hashes of every benchmark item.  The hashes ship with
the package (``data/benchmark_fingerprints.npz``, a few hundred KB: 64-bit hashes,
sorted, with a source index, plus the hashes of each item's normalised first
characters).  Only requests whose prefix hash is a benchmark prefix are normalised
whole, so a million chat requests cost one set lookup each.

Rebuild the file after the corpus changes (it needs the corpus, the scan does not)::

    python scripts/build_benchmark_fingerprints.py

>>> sig = BenchmarkMatch()
>>> out = sig.compute_one({"messages": [{"role": "user", "content": "Hello there"}]})
>>> out["benchmark_match"], out["benchmark_source"]
(False, None)
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError
from distillguard.signals.base import EventBatch, Signal, register
from distillguard.signals.template_skeleton import (
    WINDOW_FACTOR,
    batch_head,
    md5_16,
    normalise,
    prefix_hash,
)

#: File name of the packaged fingerprints (in ``distillguard/signals/data``).
FINGERPRINT_FILE = "benchmark_fingerprints.npz"
#: Normalised characters in a fingerprint's prefix hash (the template_skeleton prefix).
PREFIX_CHARS = 48
#: Corpus kinds whose items count as public benchmark items.
BENCHMARK_KINDS = ("benchmark", "writing")


class Fingerprints(NamedTuple):
    """Loaded fingerprint tables."""

    #: Sorted 64-bit hashes (first 16 hex digits of MD5) of normalised item texts.
    hashes: npt.NDArray[np.uint64]
    #: Index into :attr:`sources` for each hash.
    source_idx: npt.NDArray[np.int64]
    sources: tuple[str, ...]
    #: Hex prefix hashes of the items (an Arrow set for ``is_in``).
    prefixes: pa.Array
    prefix_chars: int


def hash_to_uint64(hexes: list[str]) -> npt.NDArray[np.uint64]:
    """16-hex-digit strings as unsigned 64-bit integers.

    >>> hash_to_uint64(["900150983cd24fb0"]).tolist()
    [10376663631224000432]
    """
    return np.array([int(h, 16) for h in hexes], dtype=np.uint64)


def default_path() -> Path:
    """The packaged fingerprint file."""
    ref = importlib.resources.files("distillguard.signals.data").joinpath(FINGERPRINT_FILE)
    return Path(str(ref))


@lru_cache(maxsize=4)
def load_fingerprints(path: str | None = None) -> Fingerprints:
    """Load (once per process and path) the fingerprint file."""
    file = Path(path) if path else default_path()
    if not file.exists():
        raise DistillguardError(
            "benchmark fingerprints missing: run scripts/build_benchmark_fingerprints.py",
            path=file,
        )
    with np.load(file, allow_pickle=False) as data:
        hashes = data["hashes"].astype(np.uint64)
        source_idx = data["source_idx"].astype(np.int64)
        sources = tuple(str(s) for s in data["sources"].tolist())
        prefixes = data["prefixes"].astype(np.uint64)
        prefix_chars = int(data["prefix_chars"])
    hex_prefixes = pa.array([format(int(p), "016x") for p in prefixes], pa.string())
    return Fingerprints(hashes, source_idx, sources, hex_prefixes, prefix_chars)


def build_fingerprints(texts: list[str], sources: list[str]) -> dict[str, npt.NDArray[np.generic]]:
    """The arrays of a fingerprint file for these benchmark items (used by the script).

    Duplicate normalised texts keep the alphabetically first source, so the file does
    not depend on corpus order.

    >>> texts = ["Solve 2+2, then show your work.", "solve  3+3, then show your WORK.",
    ...          "Name the capital of France in one word.", "x"]
    >>> fp = build_fingerprints(texts, ["b", "a", "c", "a"])
    >>> len(fp["hashes"]), fp["sources"].tolist()
    (2, ['a', 'c'])
    """
    arr = pa.array(texts, pa.string())
    norm = normalise(arr)
    full = md5_16(norm).to_pylist()
    heads = md5_16(pc.utf8_slice_codeunits(norm, 0, PREFIX_CHARS)).to_pylist()
    best: dict[str, str] = {}
    prefixes: set[str] = set()
    for h, p, src, text in zip(full, heads, sources, norm.to_pylist(), strict=True):
        # Very short items ("x", "[[5]]") would match ordinary chat; skip them.
        if h is None or p is None or text is None or len(text) < MIN_CHARS:
            continue
        if h not in best or src < best[h]:
            best[h] = src
        prefixes.add(p)
    names = sorted(set(best.values()))
    order = sorted(best, key=lambda h: int(h, 16))
    return {
        "hashes": hash_to_uint64(order),
        "source_idx": np.array([names.index(best[h]) for h in order], dtype=np.int16),
        "sources": np.array(names),
        "prefixes": np.sort(hash_to_uint64(sorted(prefixes))),
        "prefix_chars": np.array(PREFIX_CHARS),
    }


#: Items shorter than this (normalised) are left out: "[[5]]" or "at 00:05." would
#: match chat traffic by coincidence.
MIN_CHARS = 24


@register
@dataclass
class BenchmarkMatch(Signal):
    """Whether the user text is a public benchmark item (evidence of evaluation)."""

    name: ClassVar[str] = "benchmark_match"
    description: ClassVar[str] = (
        "The user text equals a public benchmark item (normalised): evidence of "
        "legitimate evaluation traffic, reported so scoring can weigh it."
    )
    outputs: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(
            "benchmark_match",
            pa.bool_(),
            metadata={
                "description": "True when the normalised user text equals a public "
                "benchmark item's.  Exculpatory: evidence of evaluation traffic."
            },
        ),
        pa.field(
            "benchmark_source",
            pa.string(),
            metadata={"description": "Which benchmark (corpus source name); null if none."},
        ),
    )

    #: Fingerprint file; None uses the one shipped with the package.
    fingerprints: str | None = None

    def compute(self, batch: EventBatch) -> dict[str, pa.Array]:
        fp = load_fingerprints(self.fingerprints)
        n = len(batch)
        matched = np.zeros(n, dtype=bool)
        source: list[str | None] = [None] * n
        if n == 0 or len(fp.hashes) == 0:
            return self._out(matched, source)
        user = batch.user_text
        # Candidates: the prefix is a benchmark prefix, or too little text survived
        # normalising the head window to be sure (a long run of leading whitespace).
        head_hash = prefix_hash(batch, fp.prefix_chars)
        cand = pc.fill_null(pc.is_in(head_hash, value_set=fp.prefixes), False)
        head = batch_head(batch, fp.prefix_chars)
        short_head = pc.and_(
            pc.less(pc.utf8_length(head), fp.prefix_chars),
            pc.greater(pc.utf8_length(user), WINDOW_FACTOR * fp.prefix_chars),
        )
        cand = pc.or_(cand, pc.fill_null(short_head, False))
        rows = np.flatnonzero(cand.to_numpy(zero_copy_only=False))
        if len(rows) == 0:
            return self._out(matched, source)
        full = md5_16(normalise(user.take(pa.array(rows))))
        hexes = full.to_pylist()
        keep = [i for i, h in enumerate(hexes) if h is not None]
        values = hash_to_uint64([hexes[i] for i in keep])
        pos = np.searchsorted(fp.hashes, values)
        pos_ok = np.minimum(pos, len(fp.hashes) - 1)
        hit = (pos < len(fp.hashes)) & (fp.hashes[pos_ok] == values)
        for k, i in enumerate(keep):
            if hit[k]:
                row = int(rows[i])
                matched[row] = True
                source[row] = fp.sources[int(fp.source_idx[pos_ok[k]])]
        return self._out(matched, source)

    @staticmethod
    def _out(matched: npt.NDArray[np.bool_], source: list[str | None]) -> dict[str, pa.Array]:
        return {
            "benchmark_match": pa.array(matched, pa.bool_()),
            "benchmark_source": pa.array(source, pa.string()),
        }
