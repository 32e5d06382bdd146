"""Template skeleton: hashes of the fixed parts around a request's variable text.

Harvesting operators send one narrow template around each harvested task ("You are
an expert competitive programmer. Solve the following problem.\\n\\n{task}"), so the
first and last few dozen characters of their requests repeat across every request of
every account they run, while the task in the middle varies.  This signal reduces a
request to three short hashes: of its normalised first characters, last characters
and system prompt.  Being templated is *not* evidence of an attack on its own (app
integrations are templated too); profiles count how widely a hash is shared across
accounts and how narrow an account's set of hashes is.

The text helpers here (:func:`normalise`, :func:`md5_16`) are also what
:mod:`distillguard.signals.benchmark_match` and ``scripts/build_benchmark_fingerprints.py``
use, so a benchmark fingerprint built offline and a request hashed at scan time
agree byte for byte.

>>> normalise(pa.array(["  Hello   World 2024!\\n\\tBye 7 ", None])).to_pylist()
['hello world 0! bye 0', None]
>>> md5_16(pa.array(["abc", None])).to_pylist()
['900150983cd24fb0', None]
>>> sig = TemplateSkeleton()
>>> out = sig.compute_one({"messages": [{"role": "user", "content": "Solve: 2 + 2"}]})
>>> out["template_prefix"] == out["template_suffix"], out["template_system"]
(True, None)
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals.base import EventBatch, Signal, register

#: Batches at least this long hash their prefixes and suffixes on two threads.
PARALLEL_MIN_ROWS = 20_000

#: Raw characters normalised per hashed end, as a multiple of the hashed length.
WINDOW_FACTOR = 2

#: Batches at least this long are hashed by DuckDB (vectorised MD5, both cores);
#: shorter ones by :mod:`hashlib`, which has no per-call setup.  Same bytes either way.
DUCKDB_MIN_ROWS = 2048

# Whitespace runs of two or more, or any single non-space whitespace character.  The
# obvious ``\s+`` rewrites every single space in the text too and is five times slower.
_WS_RUNS = r"\s{2,}|[\t\n\r\f\v]"

_CACHE: weakref.WeakKeyDictionary[EventBatch, dict[Hashable, pa.Array]] = (
    weakref.WeakKeyDictionary()
)


def batch_cached(batch: EventBatch, key: Hashable, make: Callable[[], pa.Array]) -> pa.Array:
    """``make()``, computed once per batch and key and shared by every signal.

    Several signals need the same derived text (a normalised prefix, the scan window);
    an :class:`EventBatch` lives for one batch, so a weak-keyed cache frees it with it.
    """
    slot = _CACHE.setdefault(batch, {})
    if key not in slot:
        slot[key] = make()
    return slot[key]


def normalise(text: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Lower-case, every run of ASCII digits to ``0``, whitespace runs to one space, trimmed.

    Nulls stay null.  Unicode text is lower-cased per code point; only ASCII digits and
    ASCII whitespace are folded (RE2's ``\\d`` and ``\\s``).
    """
    arr = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring_regex(arr, r"[0-9]+", "0")
    arr = pc.replace_substring_regex(arr, _WS_RUNS, " ")
    return pc.utf8_trim_whitespace(arr)


def normalised_head(text: pa.Array, chars: int) -> pa.Array:
    """The first ``chars`` code points of :func:`normalise` of each text.

    Only a raw window of ``WINDOW_FACTOR * chars`` code points is normalised (the whole
    text can be megabytes); whitespace and digit runs shrink that window, so the result
    is shorter than ``chars`` only for texts that open with long runs of them.
    """
    window = pc.utf8_slice_codeunits(text, 0, WINDOW_FACTOR * chars)
    return pc.utf8_slice_codeunits(normalise(window), 0, chars)


def normalised_tail(text: pa.Array, chars: int) -> pa.Array:
    """The last ``chars`` code points of :func:`normalise` of each text (see the head)."""
    return pc.utf8_slice_codeunits(normalise(tail_window(text, WINDOW_FACTOR * chars)), -chars)


def tail_window(text: pa.Array, chars: int) -> pa.Array:
    """The last ``chars`` code points of each text.

    A negative-offset slice walks every text's UTF-8 bytes, so only the texts longer
    than the window are sliced; the others are already their own tail.
    """
    length = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    long_rows = np.flatnonzero(np.nan_to_num(length.astype(float)) > chars)
    if len(long_rows) == 0:
        return text
    tails = pc.utf8_slice_codeunits(text.take(pa.array(long_rows)), -chars)
    n = len(text)
    mask = np.zeros(n, dtype=bool)
    mask[long_rows] = True
    order = np.where(mask, n + np.cumsum(mask) - 1, np.arange(n))
    return pa.concat_arrays([text, tails]).take(pa.array(order))


def md5_16(text: pa.Array) -> pa.Array:
    """First 16 hex digits of the MD5 of each string's UTF-8 bytes; nulls stay null.

    MD5 is standard and stable, so hashes agree across runs, processes, machines and
    library versions (DuckDB's ``hash()`` and Python's ``hash()`` promise none of that).
    """
    if len(text) >= DUCKDB_MIN_ROWS:
        import duckdb

        # A fresh in-memory connection per call: cheap next to a big batch, and no
        # connection is shared between threads.
        con = duckdb.connect()
        try:
            tab = pa.table({"s": text})
            con.register("t", tab)
            out = con.sql("SELECT left(md5(s), 16) AS h FROM t").to_arrow_table()
        finally:
            con.close()
        return out.column("h").combine_chunks().cast(pa.string())
    return pa.array(
        [
            None if s is None else hashlib.md5(s.encode("utf-8")).hexdigest()[:16]
            for s in text.to_pylist()
        ],
        pa.string(),
    )


def md5_16_dedup(text: pa.Array) -> pa.Array:
    """:func:`md5_16`, hashing each distinct value once (for low-cardinality columns)."""
    enc = pc.dictionary_encode(text)
    return pc.take(md5_16(enc.dictionary), enc.indices)


def hash_nonempty(text: pa.Array, *, dedup: bool = False) -> pa.Array:
    """:func:`md5_16` of each text, null where the text is null or empty."""
    hashed = md5_16_dedup(text) if dedup else md5_16(text)
    empty = pc.fill_null(pc.equal(pc.utf8_length(text), 0), True)
    return pc.if_else(empty, pa.scalar(None, pa.string()), hashed)


def system_hash(system: pa.Array) -> pa.Array:
    """Hash of each normalised system prompt (null when none), each distinct one once.

    A batch carries few distinct system prompts (one per product or operator), so
    normalising and hashing the distinct values is nearly free.
    """
    enc = pc.dictionary_encode(system)
    hashed = hash_nonempty(normalise(enc.dictionary))
    return pc.take(hashed, enc.indices)


#: Characters of every user text's tail computed once per batch and shared (the scan
#: window of the phrasing signals, and the source of the hashed suffix).
SHARED_TAIL = 400


def batch_tail(batch: EventBatch, chars: int = SHARED_TAIL) -> pa.Array:
    """:func:`tail_window` of the batch's user texts, computed once per batch."""
    return batch_cached(batch, ("tail", chars), lambda: tail_window(batch.user_text, chars))


def batch_head(batch: EventBatch, chars: int) -> pa.Array:
    """:func:`normalised_head` of the batch's user texts, computed once per batch."""
    return batch_cached(
        batch, ("normalised_head", chars), lambda: normalised_head(batch.user_text, chars)
    )


def prefix_hash(batch: EventBatch, chars: int) -> pa.Array:
    """Hash of the normalised first ``chars`` characters of each event's user text."""
    return batch_cached(
        batch, ("template_prefix", chars), lambda: hash_nonempty(batch_head(batch, chars))
    )


@register
@dataclass
class TemplateSkeleton(Signal):
    """Hashes of the normalised user-text prefix, suffix and system prompt."""

    name: ClassVar[str] = "template_skeleton"
    description: ClassVar[str] = (
        "Hashes of a request's fixed parts (normalised first/last characters of the user "
        "text, system prompt): template reuse across accounts shows in profiles."
    )
    outputs: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(
            "template_prefix",
            pa.string(),
            metadata={
                "description": "16 hex digits of MD5 of the normalised first characters of "
                "the user text (null when empty); shared prefixes across accounts show a "
                "template.  Neutral on its own."
            },
        ),
        pa.field(
            "template_suffix",
            pa.string(),
            metadata={"description": "Same for the normalised last characters of the user text."},
        ),
        pa.field(
            "template_system",
            pa.string(),
            metadata={
                "description": "Same for the whole normalised system prompt; null when "
                "the request has none."
            },
        ),
    )

    #: Characters of normalised text hashed at each end of the user text.
    chars: int = 48
    #: Threads for big batches (the prefix and suffix are hashed side by side).
    threads: int = 2

    def _tail(self, batch: EventBatch) -> pa.Array:
        window = WINDOW_FACTOR * self.chars
        if window > SHARED_TAIL:
            return normalised_tail(batch.user_text, self.chars)
        # Cut the shared tail down: slicing 400-character strings is cheap.
        tail = pc.utf8_slice_codeunits(batch_tail(batch), -window)
        return pc.utf8_slice_codeunits(normalise(tail), -self.chars)

    def compute(self, batch: EventBatch) -> dict[str, pa.Array]:
        def suffix() -> pa.Array:
            return hash_nonempty(self._tail(batch))

        if self.threads > 1 and len(batch) >= PARALLEL_MIN_ROWS:
            # The head and tail pipelines are independent Arrow work outside the GIL.
            with ThreadPoolExecutor(2) as pool:
                tail_future = pool.submit(suffix)
                prefix = prefix_hash(batch, self.chars)
                tail = tail_future.result()
        else:
            prefix, tail = prefix_hash(batch, self.chars), suffix()
        return {
            "template_prefix": prefix,
            "template_suffix": tail,
            # System prompts repeat heavily (one per product or operator): hash each
            # distinct one once.
            "template_system": system_hash(batch.system_text),
        }
