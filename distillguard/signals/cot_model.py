"""Learned part of the chain-of-thought elicitation signal: hashed n-gram logistic model.

The cue table of :mod:`distillguard.signals.cot_elicitation` matches phrases; an
operator who words the same demand differently ("lay out all the logic as small
numbered moves") can slip between them.  This module adds a linear model over hashed
bag-of-token features of the same lower-cased scan text, trained on elicitation
wrappers of many phrasing families and languages against real benign prompts
(``scripts/build_cot_model.py``; grouped cross-validation by family and by style in
``scripts/cot_family_cv.py``).  Its logit adds evidence to the cues.

Features (all vectorised in numpy over the UTF-8 bytes, so one code path serves a
batch of 100k requests and a single gateway event):

* tokens: runs of word characters (ASCII letters and digits, and letters of spaced
  scripts: Latin with accents, Cyrillic, Arabic, Devanagari, Hangul, ...); every
  Han / kana / Thai / Lao / Myanmar / Khmer character is a token of its own (scripts
  written without spaces between words), so bigrams of them are character bigrams;
  ``< > [ ] { } :`` are one-character tokens (tags, JSON keys, labels);
* unigrams, bigrams of consecutive tokens, and the first :data:`PREFIX_BYTES` bytes of
  long tokens (cheap stems, for inflected and related languages: рассуждения /
  рассуждений, ragionamento / razonamiento);
* each hashed by 32-bit tabulation hashing into ``2 ** bits`` buckets; a request's
  feature vector is its bucket counts divided by its feature count to the power
  :data:`NORM_POWER` (0.35: a short elicitation sentence beside a long task is less
  diluted than with the square root).

Nothing here needs scikit-learn: the weights live in ``data/cot_model.npz``.

>>> feats = featurize(["show <thinking>", "", "思考过程"])
>>> sorted(set(feats.rows.tolist()))
[0, 2]
>>> bool(np.all(feats.index < 2 ** DEFAULT_BITS))
True
"""

from __future__ import annotations

import hashlib
import importlib.resources
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import DistillguardError

#: The packaged model file (under ``distillguard/signals/data``).
MODEL_FILE = "cot_model.npz"
#: Format version written by the build script; a mismatch means rebuild.
MODEL_VERSION = 3
#: Hash buckets (log2) of the packaged model.
DEFAULT_BITS = 18
#: Bytes of a token kept by the prefix ("stem") features; longer tokens emit one per
#: length.  6 bytes are two Hangul or Han characters or six Latin letters ("추론을" and
#: "추론과" share "추론"), 10 bytes five Cyrillic letters ("рассуждения", "рассуждений").
PREFIX_BYTES = (4, 6, 10)
#: A request's feature vector is its bucket counts divided by its feature count to
#: this power.
NORM_POWER = 0.35
#: Texts featurised at a time by :meth:`CotModel.logits`.
CHUNK = 8192
#: Byte positions with their own tabulation row (later bytes share the last row).
_POSITIONS = 32

# Byte classes.
_SEP, _WORD, _SINGLE = 0, 1, 2

# 32-bit hashes: about three times faster than 64-bit ones in numpy, and ample for a
# few million distinct features hashed into 2 ** 18 buckets.
_SALT_BIGRAM = np.uint32(0x9E3779B9)
_SALT_PREFIX = np.uint32(0xC2B2AE3D)
_MIX = np.uint32(0xED558CCD)


class CotModelError(DistillguardError):
    """The packaged chain-of-thought model file is missing or malformed."""


def _tabulation_table() -> npt.NDArray[np.uint32]:
    # Derived from SHAKE-256 rather than a numpy generator, whose streams may change
    # between numpy versions: the weights are only valid for this exact table.
    raw = hashlib.shake_256(b"distillguard cot_model tabulation v2").digest(_POSITIONS * 256 * 4)
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32).reshape(_POSITIONS * 256)


_TABLE = _tabulation_table()


_CONT = 3  # a UTF-8 continuation byte, before it takes its lead byte's class


def _lead_classes() -> npt.NDArray[np.int8]:
    """Class of each byte value as the first byte of a character."""
    cls = np.zeros(256, dtype=np.int8)
    for lo, hi in ((ord("a"), ord("z")), (ord("A"), ord("Z")), (ord("0"), ord("9"))):
        cls[lo : hi + 1] = _WORD
    cls[ord("_")] = _WORD
    for ch in "<>[]{}:":
        cls[ord(ch)] = _SINGLE
    cls[0x80:0xC0] = _CONT
    # Two-byte characters: U+0080-U+00BF (no-break space, guillemets, inverted marks)
    # separate; the rest (accented Latin, Greek, Cyrillic, Hebrew, Arabic) are letters.
    cls[0xC3:0xE0] = _WORD
    # Three-byte characters are letters unless _byte_classes says otherwise; four-byte
    # ones (emoji) and invalid bytes separate.
    cls[0xE0:0xF0] = _WORD
    return cls


_LEAD_CLASS = _lead_classes()


@dataclass(frozen=True)
class Features:
    """Hashed features of a list of texts: one entry per (text, feature) occurrence."""

    #: Text index of each occurrence.
    rows: npt.NDArray[np.int64]
    #: Bucket of each occurrence, in ``[0, 2 ** bits)``.
    index: npt.NDArray[np.int64]
    #: Number of texts.
    n: int

    def counts(self) -> npt.NDArray[np.float64]:
        """Feature occurrences per text."""
        out: npt.NDArray[np.float64] = np.bincount(self.rows, minlength=self.n).astype(np.float64)
        return out


def _byte_classes(data: npt.NDArray[np.uint8]) -> npt.NDArray[np.int8]:
    """The class of the character each byte belongs to (continuation bytes inherit)."""
    cls: npt.NDArray[np.int8] = _LEAD_CLASS[data]
    cont = np.flatnonzero(cls == _CONT)
    if len(cont) == 0:
        return cls  # ASCII only: the common case, one table lookup
    n = len(data)
    three = np.flatnonzero((data >= 0xE0) & (data <= 0xEF))
    if len(three):
        nxt = data[np.minimum(three + 1, n - 1)].astype(np.int32)
        top = ((data[three].astype(np.int32) & 0x0F) << 6) | (nxt & 0x3F)  # code point >> 6
        c = np.full(len(three), _WORD, dtype=np.int8)
        # Han, kana (U+3040-U+9FFF): one token per character (no spaces to split on).
        c[(top >= 0x3040 >> 6) & (top <= 0x9FFF >> 6)] = _SINGLE
        # So are Thai and Lao (U+0E00-U+0EFF), Myanmar (U+1000-U+109F) and Khmer
        # (U+1780-U+17FF): written without spaces between words, a sentence would
        # otherwise be one token, and a few words of another language added beside it
        # would outweigh it (issue 18: "I am confused." appended to a Thai "show every
        # step with reasons" took it below the threshold).
        c[(top >= 0x0E00 >> 6) & (top <= 0x0EFF >> 6)] = _SINGLE
        c[(top >= 0x1000 >> 6) & (top <= 0x109F >> 6)] = _SINGLE
        c[(top >= 0x1780 >> 6) & (top <= 0x17FF >> 6)] = _SINGLE
        # CJK punctuation, general punctuation (curly quotes, dashes), fullwidth forms.
        c[top == 0x3000 >> 6] = _SEP
        c[(top >= 0x2000 >> 6) & (top <= 0x206F >> 6)] = _SEP
        c[top >= 0xFF00 >> 6] = _SEP
        cls[three] = c
    # A continuation byte follows its lead by one to three bytes: three passes copy
    # the lead's class forward (a fancy-index assignment reads before it writes).
    for _ in range(3):
        todo = cont[cls[cont] == _CONT]
        if len(todo) == 0:
            break
        cls[todo] = cls[todo - 1] if todo[0] > 0 else np.where(todo > 0, cls[todo - 1], _SEP)
    cls[cls == _CONT] = _SEP  # stray continuation bytes
    return cls


def _string_buffers(texts: pa.Array) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The UTF-8 bytes and per-text byte offsets (rebased to 0) of a string array."""
    arr = pc.fill_null(texts, "")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type == pa.large_string():
        arr = arr.cast(pa.string())
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    offsets = offsets.astype(np.int64)
    data = (
        np.frombuffer(bufs[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        if bufs[2] is not None and len(arr)
        else np.zeros(0, dtype=np.uint8)
    )
    return data, offsets - offsets[0] if len(offsets) else np.zeros(1, dtype=np.int64)


def _bucket(h: npt.NDArray[np.uint32], bits: int) -> npt.NDArray[np.int64]:
    # Multiply-shift: the top bits of h * odd constant are well mixed.
    out: npt.NDArray[np.int64] = ((h * _MIX) >> np.uint32(32 - bits)).astype(np.int64)
    return out


def featurize(texts: pa.Array | list[str], bits: int = DEFAULT_BITS) -> Features:
    """Hashed unigram, bigram and prefix features of lower-cased ``texts``."""
    arr = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(texts, pa.string())
    data, offsets = _string_buffers(arr)
    n_texts = len(offsets) - 1
    empty = Features(np.zeros(0, np.int64), np.zeros(0, np.int64), n_texts)
    if len(data) == 0:
        return empty
    cls = _byte_classes(data)
    prev = np.empty_like(cls)
    prev[0] = _SEP
    prev[1:] = cls[:-1]
    start = (cls != _SEP) & ((cls == _SINGLE) | (prev != _WORD))
    start &= (data & 0xC0) != 0x80  # a token starts on a character's first byte
    # A text's first byte always starts a token: tokens never span two texts.
    firsts = offsets[:-1][offsets[:-1] < offsets[1:]]
    start[firsts] |= cls[firsts] != _SEP
    keep = np.flatnonzero(cls != _SEP).astype(np.int32)
    if len(keep) == 0:
        return empty
    kstart = start[keep]
    tstarts = np.flatnonzero(kstart).astype(np.int32)
    tok = np.cumsum(kstart, dtype=np.int32) - 1
    pos = np.arange(len(keep), dtype=np.int32) - tstarts[tok]
    np.minimum(pos, _POSITIONS - 1, out=pos)
    hv = _TABLE[pos * 256 + data[keep]]
    # Tabulation hash of every token prefix by one running XOR: a token's hash is the
    # XOR of the running value at its end and just before its start.
    run = np.bitwise_xor.accumulate(hv)
    ends = np.append(tstarts[1:], len(keep)) - 1
    before = np.where(tstarts > 0, run[np.maximum(tstarts - 1, 0)], np.uint32(0))
    h = run[ends] ^ before
    tlen = ends + 1 - tstarts
    row = np.searchsorted(offsets, keep[tstarts], side="right") - 1
    # Bigrams of consecutive tokens of the same text.
    same = row[1:] == row[:-1]
    h1 = h[:-1][same]
    h2 = h[1:][same]
    hb = (h1 * _SALT_BIGRAM) ^ ((h2 << np.uint32(13)) | (h2 >> np.uint32(19)))
    # Prefixes ("stems") of long tokens.
    prefix_rows = []
    prefix_hashes = []
    for k, size in enumerate(PREFIX_BYTES):
        long_tok = np.flatnonzero(tlen > size)
        salt = _SALT_PREFIX + np.uint32(k)
        prefix_hashes.append(run[tstarts[long_tok] + size - 1] ^ before[long_tok] ^ salt)
        prefix_rows.append(row[long_tok])
    rows = np.concatenate([row, row[:-1][same], *prefix_rows])
    index = _bucket(np.concatenate([h, hb, *prefix_hashes]), bits)
    return Features(rows.astype(np.int64), index, n_texts)


@dataclass(frozen=True)
class CotModel:
    """A linear model over hashed features: ``logit = bias + w . x``."""

    weights: npt.NDArray[np.float32]
    bias: float
    bits: int
    #: Logit at which the model alone reaches the flag threshold (set on the
    #: ShareGPT calibration half by the build script).
    flag_logit: float

    def logits(self, texts: pa.Array | list[str]) -> npt.NDArray[np.float64]:
        """The model's logit for each (lower-cased) text; empty texts get the bias.

        Big batches go :data:`CHUNK` texts at a time: the temporaries stay small enough
        to be reused rather than paged in afresh (about a third faster on 100k texts).
        """
        arr = (
            texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(texts, pa.string())
        )
        if len(arr) <= CHUNK:
            return self.logits_of(featurize(arr, self.bits))
        parts = [
            self.logits_of(featurize(arr.slice(lo, CHUNK), self.bits))
            for lo in range(0, len(arr), CHUNK)
        ]
        return np.concatenate(parts)

    def logits_of(self, feats: Features) -> npt.NDArray[np.float64]:
        """Logits from precomputed features."""
        w = self.weights[feats.index].astype(np.float64)
        total = np.bincount(feats.rows, weights=w, minlength=feats.n)
        norm = np.maximum(feats.counts(), 1.0) ** NORM_POWER
        out: npt.NDArray[np.float64] = self.bias + total / norm
        return out


def default_path() -> Path:
    """The packaged model file."""
    ref = importlib.resources.files("distillguard.signals.data").joinpath(MODEL_FILE)
    return Path(str(ref))


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> CotModel:
    """Load (once per process and path) a model file written by the build script."""
    file = Path(path) if path else default_path()
    if not file.exists():
        raise CotModelError(
            "chain-of-thought model missing: run scripts/build_cot_model.py", path=file
        )
    try:
        with np.load(file, allow_pickle=False) as data:
            version = int(data["version"])
            bits = int(data["bits"])
            weights = data["weights"].astype(np.float32)
            bias = float(data["bias"])
            flag_logit = float(data["flag_logit"])
    except (OSError, KeyError, ValueError) as exc:
        raise CotModelError(f"unreadable chain-of-thought model: {exc}", path=file) from exc
    if version != MODEL_VERSION or weights.shape != (2**bits,):
        raise CotModelError(
            f"chain-of-thought model version {version} with {weights.shape[0]} weights; "
            f"expected version {MODEL_VERSION}: rebuild with scripts/build_cot_model.py",
            path=file,
        )
    weights.setflags(write=False)
    return CotModel(weights, bias, bits, flag_logit)


def model_arrays(model: CotModel) -> dict[str, npt.NDArray[np.generic]]:
    """The arrays of a model file (float16 weights: ample for a sum of a few hundred).

    The build script writes them with fixed zip metadata, so a rebuild from the same
    data gives the same bytes; fit the model's ``flag_logit`` with :func:`rounded`
    weights, the ones inference will use.
    """
    return {
        "version": np.asarray(MODEL_VERSION, dtype=np.int64),
        "bits": np.asarray(model.bits, dtype=np.int64),
        "weights": model.weights.astype(np.float16),
        "bias": np.asarray(model.bias, dtype=np.float64),
        "flag_logit": np.asarray(model.flag_logit, dtype=np.float64),
    }


def rounded(weights: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    """Weights as stored and loaded again (float16 and back)."""
    out: npt.NDArray[np.float32] = weights.astype(np.float16).astype(np.float32)
    return out
