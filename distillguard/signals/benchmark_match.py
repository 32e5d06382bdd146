"""Benchmark match: the request is a public benchmark item, as a harness sends it.

Researchers run public benchmarks (HumanEval, the OpenAI evals sets, lm-eval's
chain-of-thought exemplars, WritingBench, LongBench-Write) against the API all the
time, so a request whose text *is* a benchmark item is evidence of legitimate
evaluation traffic, not of harvesting.  (Operators harvest benchmarks too, but wrap
them in templates and elicitation.)  Direction: ``benchmark_match`` is exculpatory;
scoring weighs it as a discount that never cancels chain-of-thought evidence, and
it accuses nobody.

Evaluation harnesses do not always send an item byte for byte: they change
whitespace and case, letter or number the options differently, label the question
(``Question: … Answer:``) and send the benchmark's own instruction as the system
prompt, with items as short as ``[[71]]``.  A request matches when it is one of:

1. **exact**: the user text, normalised like :mod:`.template_skeleton` does it (lower
   case, digit runs to ``0``, whitespace collapsed; :func:`.normalise`), equals an
   item's (items under :data:`MIN_CHARS` are left out: they would match chat);
2. **item with its system prompt**: the normalised system prompt *and* user text
   equal a benchmark item's (short items count here: the benchmark's instruction
   makes them specific);
3. **reformatted** (first turns only): the *hard* normalisation
   (:func:`hard_normalise`: punctuation, option letters and harness labels such as
   ``question``/``answer`` dropped) equals
   an item's, or is a near duplicate of it: the MinHash estimate
   (:mod:`distillguard.minhash`, word 3-shingles) of their Jaccard
   similarity is at least :data:`NEAR_JACCARD` **and** the request has no more
   words than the item.

The last condition is the safety rule: a match may drop, reorder or reword a little
of an item but never *add* text, so "Think step by step and show your reasoning:"
around a benchmark item is not a benchmark match (its chain-of-thought elicitation
must stay visible; profiles count chain-of-thought only outside benchmark matches).
Few-shot prompts (several items with worked answers) add text too, and are not
matched.

Speed: candidates for 3. come from a 64-bit key of the first :data:`KEY_LETTERS`
letters of each request's normalised head (the one the exact match and
:mod:`.template_skeleton` share; ASCII letters plus non-ASCII bytes, digits, spaces
and punctuation skipped), computed with NumPy over the Arrow buffers; only
the few requests whose key is a benchmark item's key are normalised in full.
Candidates for 2. are requests whose system prompt is a benchmark's (system prompts
are hashed once per distinct value).

The fingerprints ship with the package (``data/benchmark_fingerprints.npz``, about
1.5 MB); rebuild them after the corpus changes (it needs the corpus, the scan does
not)::

    python scripts/build_benchmark_fingerprints.py

>>> sig = BenchmarkMatch()
>>> out = sig.compute_one({"messages": [{"role": "user", "content": "Hello there"}]})
>>> out["benchmark_match"], out["benchmark_source"]
(False, None)
>>> hard_normalise(pa.array(["Question: Is 7 prime?\\n(A) yes  (B) no\\nAnswer:"])).to_pylist()
['is prime yes no']
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError
from distillguard.minhash import MinHashConfig, jaccard, signatures
from distillguard.signals.base import EventBatch, Signal, register
from distillguard.signals.template_skeleton import (
    WINDOW_FACTOR,
    batch_head,
    md5_16,
    normalise,
    normalised_head,
    prefix_hash,
    system_hash,
)

#: File name of the packaged fingerprints (in ``distillguard/signals/data``).
FINGERPRINT_FILE = "benchmark_fingerprints.npz"
#: Normalised characters in a fingerprint's prefix hash (the template_skeleton prefix).
PREFIX_CHARS = 48
#: Corpus kinds whose items count as public benchmark items.
BENCHMARK_KINDS = ("benchmark", "writing")
#: Items shorter than this (normalised) are left out of user-text-only matching:
#: "[[5]]" or "at 00:05." would match chat traffic by coincidence.
MIN_CHARS = 24
#: Normalised system prompts shorter than this are generic, not a benchmark's own.
MIN_SYSTEM_CHARS: Final = 40
#: Letters in the candidate key of the reformatted match (read from the normalised
#: first :data:`PREFIX_CHARS` characters, which the exact match computes anyway).
KEY_LETTERS: Final = 16
#: MinHash of the hard-normalised texts (word 3-shingles).
NEAR_MINHASH: Final = MinHashConfig(num_perm=32, shingle="word", k=3, seed=7, max_chars=6000)
#: Estimated Jaccard similarity at which a request is a near duplicate of an item.
NEAR_JACCARD: Final = 0.7

#: Words an evaluation harness puts around an item ("Question: … Answer:"), dropped by
#: :func:`hard_normalise`.  None asks for reasoning.
FRAMING_WORDS: Final = frozenset(
    {"question", "answer", "options", "choices", "choice", "problem", "input", "output",
     "prompt", "query", "response", "solution", "final"}
)  # fmt: skip
# A harness label opening the text ("Question 3:", "Q:", "Problem."), skipped by the key.
_LEADING_LABEL = r"^(?:[^a-z0-9]*(?:question|q|problem)\s*[0-9]*\s*[:.)])+"
_NON_ALNUM = r"[^\p{L}\p{N}]+"
_P64: Final = np.uint64(0x9E3779B97F4A7C15)
_SPLIT = re.compile(" ")


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
    #: Hex hashes of the benchmarks' normalised system prompts (an Arrow set).
    systems: pa.Array = pa.array([], pa.string())
    #: Sorted hashes of normalised system prompt + user text, with their sources.
    pair_hashes: npt.NDArray[np.uint64] = np.zeros(0, np.uint64)
    pair_source_idx: npt.NDArray[np.int64] = np.zeros(0, np.int64)
    #: Sorted letter keys (:func:`letter_keys`) and the item each belongs to.
    keys: npt.NDArray[np.uint64] = np.zeros(0, np.uint64)
    key_item: npt.NDArray[np.int64] = np.zeros(0, np.int64)
    #: Per item (deduplicated by hard normalisation): hash of the hard-normalised
    #: text, its word count, source index and MinHash signature.
    item_hash: npt.NDArray[np.uint64] = np.zeros(0, np.uint64)
    item_words: npt.NDArray[np.int64] = np.zeros(0, np.int64)
    item_source_idx: npt.NDArray[np.int64] = np.zeros(0, np.int64)
    item_sigs: npt.NDArray[np.uint32] = np.zeros((0, NEAR_MINHASH.num_perm), np.uint32)


def hash_to_uint64(hexes: list[str]) -> npt.NDArray[np.uint64]:
    """16-hex-digit strings as unsigned 64-bit integers.

    >>> hash_to_uint64(["900150983cd24fb0"]).tolist()
    [10376663631224000432]
    """
    return np.array([int(h, 16) for h in hexes], dtype=np.uint64)


def _hex_set(values: npt.NDArray[np.uint64]) -> pa.Array:
    return pa.array([format(int(p), "016x") for p in values], pa.string())


def hard_normalise(text: pa.Array) -> pa.Array:
    """Case, digits, punctuation, one-character tokens (option letters) and harness
    labels (:data:`FRAMING_WORDS`) dropped; words joined by single spaces.

    Used only on candidate rows (it ends in a Python loop).  Nulls become empty.
    """
    arr = pc.utf8_lower(pc.fill_null(text, ""))
    arr = pc.replace_substring_regex(arr, r"[0-9]+", " ")
    arr = pc.replace_substring_regex(arr, _NON_ALNUM, " ")
    out = [
        " ".join(w for w in _SPLIT.split(s) if len(w) > 1 and w not in FRAMING_WORDS)
        for s in arr.to_pylist()
    ]
    return pa.array(out, pa.string())


def letter_keys(head: pa.Array, letters: int = KEY_LETTERS) -> npt.NDArray[np.uint64]:
    """A 64-bit key of the first ``letters`` letters of each normalised head
    (:func:`.normalised_head`), after a leading harness label ("question:", "q:").

    Letters are ASCII letters and every non-ASCII byte; digits, spaces and punctuation
    are skipped, so spacing, numbering and option-letter punctuation do not change the
    key.  Vectorised over the Arrow buffers of the (short, cached) heads.  Empty and
    null heads get key 0.

    >>> k = letter_keys(normalise(pa.array(["Q: Is 7 prime? (A) yes", "is  7 prime (a) Yes!",
    ...                                     "", None])))
    >>> bool(k[0] == k[1]), k[2:].tolist()
    (True, [0, 0])
    """
    arr = head.combine_chunks() if isinstance(head, pa.ChunkedArray) else head
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    window = pc.replace_substring_regex(arr, _LEADING_LABEL, "")
    window = pc.fill_null(window, "")
    if not pa.types.is_large_string(window.type):
        window = window.cast(pa.string())
    _, off_buf, data_buf = window.buffers()
    off_type = np.int64 if pa.types.is_large_string(window.type) else np.int32
    offsets = np.frombuffer(off_buf, dtype=off_type)[window.offset : window.offset + n + 1]
    offsets = offsets.astype(np.int64)
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    data = data[offsets[0] : offsets[-1]]
    offsets = offsets - offsets[0]
    # Heads are lower-cased already (normalise): letters are a-z and non-ASCII bytes.
    keep = ((data >= 97) & (data <= 122)) | (data >= 128)
    kept = data[keep]
    csum = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(keep, out=csum[1:])
    start = csum[offsets[:-1]]
    length = np.minimum(csum[offsets[1:]] - start, letters)
    cols = np.arange(letters, dtype=np.int64)
    valid = cols[None, :] < length[:, None]
    idx = np.where(valid, start[:, None] + cols[None, :], 0)
    mat = np.where(valid, kept[idx] if len(kept) else 0, 0).astype(np.uint64)
    powers = np.cumprod(np.full(letters, _P64, dtype=np.uint64), dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = (mat * powers[None, :]).sum(axis=1, dtype=np.uint64) + length.astype(np.uint64)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    return np.where(length > 0, h, np.uint64(0)).astype(np.uint64)


def _pair_text(system: pa.Array, user: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(normalise(system), normalise(user), "\n")


def default_path() -> Path:
    """The packaged fingerprint file."""
    ref = importlib.resources.files("distillguard.signals.data").joinpath(FINGERPRINT_FILE)
    return Path(str(ref))


@lru_cache(maxsize=4)
def load_fingerprints(path: str | None = None) -> Fingerprints:
    """Load (once per process and path) the fingerprint file.

    Files written before the reformatted and system-prompt matches (only the exact
    tables) still load; the newer matches are then off.
    """
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
        extra = {}
        if "item_hash" in data.files:
            extra = {
                "systems": _hex_set(data["systems"].astype(np.uint64)),
                "pair_hashes": data["pair_hashes"].astype(np.uint64),
                "pair_source_idx": data["pair_source_idx"].astype(np.int64),
                "keys": data["keys"].astype(np.uint64),
                "key_item": data["key_item"].astype(np.int64),
                "item_hash": data["item_hash"].astype(np.uint64),
                "item_words": data["item_words"].astype(np.int64),
                "item_source_idx": data["item_source_idx"].astype(np.int64),
                "item_sigs": data["item_sigs"].astype(np.uint32),
            }
    return Fingerprints(hashes, source_idx, sources, _hex_set(prefixes), prefix_chars, **extra)


def build_fingerprints(
    texts: list[str], sources: list[str], systems: list[str | None] | None = None
) -> dict[str, npt.NDArray[np.generic]]:
    """The arrays of a fingerprint file for these benchmark items (used by the script).

    Duplicates keep the alphabetically first source, so the file does not depend on
    corpus order.  ``systems`` are the items' system prompts (None: none).

    >>> texts = ["Solve 2+2, then show your work.", "solve  3+3, then show your WORK.",
    ...          "Name the capital of France in one word.", "x"]
    >>> fp = build_fingerprints(texts, ["b", "a", "c", "a"])
    >>> len(fp["hashes"]), fp["sources"].tolist(), len(fp["item_hash"])
    (2, ['a', 'b', 'c'], 2)
    """
    systems = systems if systems is not None else [None] * len(texts)
    arr = pa.array(texts, pa.string())
    norm = normalise(arr)
    full = md5_16(norm).to_pylist()
    heads = md5_16(pc.utf8_slice_codeunits(norm, 0, PREFIX_CHARS)).to_pylist()
    names = sorted(set(sources))

    def first(best: dict[str, str], key: str, src: str) -> None:
        if key not in best or src < best[key]:
            best[key] = src

    best: dict[str, str] = {}
    prefixes: set[str] = set()
    for h, p, src, text in zip(full, heads, sources, norm.to_pylist(), strict=True):
        # Very short items ("x", "[[5]]") would match ordinary chat; skip them.
        if h is None or p is None or text is None or len(text) < MIN_CHARS:
            continue
        first(best, h, src)
        prefixes.add(p)
    # Items with the benchmark's system prompt, whatever their length.  Generic
    # system prompts ("You are a helpful assistant.") say nothing about the benchmark.
    sys_len = pc.utf8_length(normalise(pa.array(systems, pa.string()))).to_pylist()
    has_sys = [i for i, n in enumerate(sys_len) if n is not None and n >= MIN_SYSTEM_CHARS]
    sys_arr = pa.array([systems[i] for i in has_sys], pa.string())
    user_arr = pa.array([texts[i] for i in has_sys], pa.string())
    pair_best: dict[str, str] = {}
    for h, i in zip(md5_16(_pair_text(sys_arr, user_arr)).to_pylist(), has_sys, strict=True):
        if h is not None:
            first(pair_best, h, sources[i])
    sys_hashes = {h for h in system_hash(sys_arr).to_pylist() if h is not None}
    # Reformatted matching: items deduplicated by their hard normalisation and key
    # (hard normalisation drops one-letter variables, so "if m = 0 * (u - y) then …"
    # items share one hard text but not one key).
    hard = hard_normalise(arr).to_pylist()
    all_keys = letter_keys(normalised_head(arr, PREFIX_CHARS))
    item_best: dict[tuple[str, int], str] = {}
    for text, key, src in zip(hard, all_keys.tolist(), sources, strict=True):
        if text is None or len(text) < MIN_CHARS or key == 0:
            continue
        if (text, key) not in item_best or src < item_best[(text, key)]:
            item_best[(text, key)] = src
    items = sorted(item_best)
    item_texts = [t for t, _ in items]
    item_hash = hash_to_uint64(md5_16(pa.array(item_texts, pa.string())).to_pylist())
    order = np.lexsort((np.arange(len(items)), item_hash))
    items = [items[i] for i in order]
    item_texts = [item_texts[i] for i in order]
    keys = np.array([k for _, k in items], dtype=np.uint64)
    key_order = np.lexsort((np.arange(len(keys)), keys))

    def table(best: dict[str, str]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int16]]:
        order = sorted(best, key=lambda h: int(h, 16))
        idx = np.array([names.index(best[h]) for h in order], dtype=np.int16)
        return hash_to_uint64(order), idx

    hashes, source_idx = table(best)
    pair_hashes, pair_source_idx = table(pair_best)
    return {
        "hashes": hashes,
        "source_idx": source_idx,
        "sources": np.array(names),
        "prefixes": np.sort(hash_to_uint64(sorted(prefixes))),
        "prefix_chars": np.array(PREFIX_CHARS),
        "systems": np.sort(hash_to_uint64(sorted(sys_hashes))),
        "pair_hashes": pair_hashes,
        "pair_source_idx": pair_source_idx,
        "keys": keys[key_order],
        "key_item": key_order.astype(np.int32),
        "item_hash": item_hash[order],
        "item_words": np.array([t.count(" ") + 1 for t in item_texts], dtype=np.int32),
        "item_source_idx": np.array([names.index(item_best[it]) for it in items], dtype=np.int16),
        "item_sigs": signatures(item_texts, NEAR_MINHASH),
    }


def _mark(
    rows: npt.NDArray[np.int64],
    texts: pa.Array,
    hashes: npt.NDArray[np.uint64],
    sources: npt.NDArray[np.int64],
    matched: npt.NDArray[np.bool_],
    src_idx: npt.NDArray[np.int64],
) -> None:
    """Mark the ``rows`` whose ``texts`` hash into ``hashes``, with their source."""
    keep, values = _hashes(texts)
    hit, pos = _lookup(hashes, values)
    hit_rows = rows[keep[hit]]
    matched[hit_rows] = True
    src_idx[hit_rows] = sources[pos[hit]]


def _lookup(
    table: npt.NDArray[np.uint64], values: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Which ``values`` are in the sorted ``table``, and where."""
    if len(table) == 0:
        return np.zeros(len(values), dtype=bool), np.zeros(len(values), dtype=np.int64)
    pos = np.searchsorted(table, values)
    pos_ok = np.minimum(pos, len(table) - 1)
    return (pos < len(table)) & (table[pos_ok] == values), pos_ok


def _hashes(text: pa.Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """Rows with a non-null hash, and the hashes as integers."""
    hexes = md5_16(text).to_pylist()
    keep = [i for i, h in enumerate(hexes) if h is not None]
    return np.asarray(keep, dtype=np.int64), hash_to_uint64([hexes[i] for i in keep])


@register
@dataclass
class BenchmarkMatch(Signal):
    """Whether the user text is a public benchmark item (evidence of evaluation)."""

    name: ClassVar[str] = "benchmark_match"
    description: ClassVar[str] = (
        "The user text is a public benchmark item (exactly, with the benchmark's system "
        "prompt, or reformatted without added text): evidence of legitimate evaluation "
        "traffic, reported so scoring can weigh it."
    )
    outputs: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(
            "benchmark_match",
            pa.bool_(),
            metadata={
                "description": "True when the user text is a public benchmark item: equal "
                "after normalising, with the benchmark's system prompt, or reformatted "
                "(punctuation, option letters, harness labels, small edits) without "
                "added text.  Exculpatory: evidence of evaluation traffic."
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
        src_idx = np.full(n, -1, dtype=np.int64)
        if n == 0 or len(fp.hashes) == 0:
            return self._out(matched, src_idx, fp)
        user = batch.user_text
        self._exact(batch, fp, user, matched, src_idx)
        if len(fp.pair_hashes):
            self._with_system(batch, fp, user, matched, src_idx)
        if len(fp.item_hash):
            head = batch_head(batch, fp.prefix_chars)
            self._reformatted(fp, user, head, batch.n_assistant, matched, src_idx)
        return self._out(matched, src_idx, fp)

    @staticmethod
    def _exact(
        batch: EventBatch,
        fp: Fingerprints,
        user: pa.Array,
        matched: npt.NDArray[np.bool_],
        src_idx: npt.NDArray[np.int64],
    ) -> None:
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
            return
        _mark(rows, normalise(user.take(pa.array(rows))), fp.hashes, fp.source_idx, matched,
              src_idx)  # fmt: skip

    @staticmethod
    def _with_system(
        batch: EventBatch,
        fp: Fingerprints,
        user: pa.Array,
        matched: npt.NDArray[np.bool_],
        src_idx: npt.NDArray[np.int64],
    ) -> None:
        system = batch.system_text
        cand = pc.fill_null(pc.is_in(system_hash(system), value_set=fp.systems), False)
        rows = np.flatnonzero(cand.to_numpy(zero_copy_only=False) & ~matched)
        if len(rows) == 0:
            return
        take = pa.array(rows)
        _mark(rows, _pair_text(system.take(take), user.take(take)), fp.pair_hashes,
              fp.pair_source_idx, matched, src_idx)  # fmt: skip

    @staticmethod
    def _reformatted(
        fp: Fingerprints,
        user: pa.Array,
        head: pa.Array,
        n_assistant: pa.Array,
        matched: npt.NDArray[np.bool_],
        src_idx: npt.NDArray[np.int64],
    ) -> None:
        # Harnesses send items as first turns: follow-ups and exact matches are skipped.
        first_turn = pc.fill_null(pc.equal(n_assistant, 0), True).to_numpy(zero_copy_only=False)
        look = np.flatnonzero(first_turn & ~matched)
        if len(look) == 0:
            return
        keys = np.zeros(len(matched), dtype=np.uint64)
        keys[look] = letter_keys(head.take(pa.array(look)))
        in_table, _ = _lookup(fp.keys, keys[look])
        rows = look[in_table & (keys[look] != 0)]
        if len(rows) == 0:
            return
        hard = hard_normalise(user.take(pa.array(rows)))
        # Equal after hard normalisation.
        _mark(rows, hard, fp.item_hash, fp.item_source_idx, matched, src_idx)
        # Near duplicates of the items sharing the key, with no more words.
        rest = np.flatnonzero(~matched[rows])
        if len(rest) == 0:
            return
        sub = hard.take(pa.array(rest))
        words = np.asarray(
            [0 if s is None or s == "" else s.count(" ") + 1 for s in sub.to_pylist()],
            dtype=np.int64,
        )
        sigs = signatures(sub, NEAR_MINHASH)
        lo = np.searchsorted(fp.keys, keys[rows[rest]], side="left")
        hi = np.searchsorted(fp.keys, keys[rows[rest]], side="right")
        # Every (candidate, item sharing its key) pair at once.
        count = hi - lo
        pair_row = np.repeat(np.arange(len(rest)), count)
        pair_pos = np.repeat(hi - np.cumsum(count), count) + np.arange(int(count.sum()))
        items = fp.key_item[pair_pos]
        fits = (words[pair_row] > 0) & (words[pair_row] <= fp.item_words[items])
        pair_row, items = pair_row[fits], items[fits]
        if len(items) == 0:
            return
        est = np.asarray(jaccard(sigs[pair_row], fp.item_sigs[items]), dtype=np.float64)
        near = est >= NEAR_JACCARD
        # The first near item of each candidate (pairs are in candidate order).
        pair_row, items = pair_row[near], items[near]
        first = np.unique(pair_row, return_index=True)[1]
        hit_rows = rows[rest[pair_row[first]]]
        matched[hit_rows] = True
        src_idx[hit_rows] = fp.item_source_idx[items[first]]

    @staticmethod
    def _out(
        matched: npt.NDArray[np.bool_], src_idx: npt.NDArray[np.int64], fp: Fingerprints
    ) -> dict[str, pa.Array]:
        names = pa.array(fp.sources, pa.string())
        source = pc.take(names, pa.array(np.where(src_idx >= 0, src_idx, 0)))
        source = pc.if_else(pa.array(src_idx >= 0), source, pa.scalar(None, pa.string()))
        return {
            "benchmark_match": pa.array(matched, pa.bool_()),
            "benchmark_source": source,
        }
