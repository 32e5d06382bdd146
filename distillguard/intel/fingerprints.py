"""Similarity fingerprints of a campaign's prompt templates: MinHash signatures only.

An operator wraps every harvested task in the same few templates ("Solve this logic
puzzle. {task}", "…write out your complete chain of thought…"), so the opening and
closing characters of its requests repeat across its accounts while the task in the
middle varies.  We take the normalised first and last :attr:`FingerprintConfig.window`
characters of each campaign request (the *ends*), group near-identical ends with
MinHash LSH, keep the groups that recur across several of the campaign's accounts and
are rare in the exporter's other traffic, and export one MinHash signature per group.
A peer computes the same signature over the ends of its own requests and declares a
near match when the estimated Jaccard similarity reaches the fingerprint's threshold.

The permutations are seeded from the forum key (:meth:`KeyRing.derived_seed`), so an
outsider without the key cannot even test a guess.  What a curious *member* can
learn (``docs/intel.md``): whether a candidate text's ends are similar to a
fingerprint (a dictionary attack on templates), and, with a dictionary of character
5-grams, which of its guessed 5-grams are the minima of some slot — at most
``num_perm`` short fragments per fingerprint, never the task text in the middle.

>>> from distillguard.intel.hashing import KeyRing
>>> ring = KeyRing.from_secrets({"k1": "11" * 32})
>>> cfg = FingerprintConfig(min_accounts=1, min_events=2)
>>> texts = [f"Solve this logic puzzle carefully and show all work. Task {i}: "
...          f"x{'y' * i} + {i} \\n\\nThink step by step and write every step." for i in range(6)]
>>> fps = campaign_fingerprints(texts, ["a"] * 6, [], ring, cfg)
>>> sorted({f.part for f in fps}), all(len(f.signature) == cfg.num_perm for f in fps)
(['head', 'tail'], True)
>>> query = "Tell me: 7 * 8?\\n\\nThink step by step and write every step."
>>> match_texts([query, "What is a good name for a bakery?"], fps, ring).tolist()
[1, -1]
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillguard.intel.errors import IntelError
from distillguard.intel.hashing import KeyRing
from distillguard.minhash import (
    SENTINEL,
    LSHConfig,
    MinHashConfig,
    jaccard,
    near_duplicate_groups,
    signatures,
)
from distillguard.signals.template_skeleton import normalised_head, normalised_tail

Part = Literal["head", "tail"]
PARTS: Final[tuple[Part, ...]] = ("head", "tail")


@dataclass(frozen=True)
class FingerprintConfig:
    """How template ends are fingerprinted and which groups are exported."""

    #: Normalised characters at each end of a request.
    window: int = 48
    #: Character shingle length (short ends need short shingles).
    k: int = 5
    num_perm: int = 64
    bands: int = 16
    #: Estimated Jaccard at which two ends are the same template (grouping and matching).
    threshold: float = 0.5
    #: A group must span this many campaign accounts and requests to be exported.
    min_accounts: int = 2
    min_events: int = 5
    #: Drop a fingerprint that matches more than this share of the exporter's other traffic.
    max_background_share: float = 0.001
    #: Most fingerprints exported per campaign (largest groups first).
    max_fingerprints: int = 24
    #: Ends shorter than this (after normalisation) are too generic to fingerprint.
    min_chars: int = 24

    def minhash(self, ring: KeyRing, key_id: str | None = None) -> MinHashConfig:
        """The keyed MinHash configuration (seed derived from the forum key)."""
        return MinHashConfig(
            num_perm=self.num_perm,
            shingle="char",
            k=self.k,
            seed=ring.derived_seed("minhash-template", key_id),
            max_chars=self.window,
        )


@dataclass(frozen=True)
class Fingerprint:
    """One exported template end: its signature and how widely the campaign used it."""

    part: Part
    signature: npt.NDArray[np.uint32]
    events: int
    accounts: int
    key_id: str
    threshold: float
    window: int
    k: int

    def encode(self) -> str:
        """The signature as base64 of little-endian uint32 values."""
        return base64.b64encode(self.signature.astype("<u4").tobytes()).decode("ascii")

    @staticmethod
    def decode(text: str, num_perm: int) -> npt.NDArray[np.uint32]:
        """Inverse of :meth:`encode`, checking the length."""
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError) as exc:
            raise IntelError("MinHash signature is not base64") from exc
        if len(raw) != 4 * num_perm:
            raise IntelError(f"MinHash signature has {len(raw) // 4} slots, expected {num_perm}")
        return np.frombuffer(raw, dtype="<u4").astype(np.uint32)


def template_ends(texts: Sequence[str | None] | pa.Array, window: int) -> dict[Part, pa.Array]:
    """Normalised first and last ``window`` characters of each text."""
    arr = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.string())
    return {"head": normalised_head(arr, window), "tail": normalised_tail(arr, window)}


def _short(arr: pa.Array, min_chars: int) -> npt.NDArray[np.bool_]:
    lengths = np.array([len(s) if s else 0 for s in arr.to_pylist()])
    return np.asarray(lengths < min_chars)


def end_signatures(
    texts: Sequence[str | None] | pa.Array, ring: KeyRing, cfg: FingerprintConfig, key_id: str
) -> dict[Part, npt.NDArray[np.uint32]]:
    """Keyed MinHash signatures of each text's head and tail (too-short ends never match)."""
    mh = cfg.minhash(ring, key_id)
    out: dict[Part, npt.NDArray[np.uint32]] = {}
    for part, arr in template_ends(texts, cfg.window).items():
        sig = signatures(arr, mh)
        sig[_short(arr, cfg.min_chars)] = SENTINEL
        out[part] = sig
    return out


def campaign_fingerprints(
    texts: Sequence[str | None] | pa.Array,
    accounts: Sequence[str],
    background: Sequence[str | None] | pa.Array,
    ring: KeyRing,
    cfg: FingerprintConfig = FingerprintConfig(),
) -> list[Fingerprint]:
    """Fingerprints of the template ends a campaign's accounts share.

    ``texts``/``accounts``: the campaign's requests and who sent each;
    ``background``: a sample of the exporter's other requests (precision filter).
    """
    if len(texts) != len(accounts):
        raise IntelError("texts and accounts differ in length")
    if len(texts) == 0:
        return []
    kid = ring.current
    sigs = end_signatures(texts, ring, cfg, kid)
    bg = end_signatures(background, ring, cfg, kid) if len(background) else None
    acct = np.asarray(accounts, dtype=object)
    lsh = LSHConfig(bands=cfg.bands, rows=cfg.num_perm // cfg.bands)
    found: list[Fingerprint] = []
    for part in PARTS:
        sig = sigs[part]
        valid = ~(sig == SENTINEL).all(axis=1)
        labels = near_duplicate_groups(sig, lsh, threshold=cfg.threshold)
        labels = np.where(valid, labels, -1)
        uniq, counts = np.unique(labels[labels >= 0], return_counts=True)
        for g in uniq[np.argsort(-counts, kind="stable")]:
            rows = np.flatnonzero(labels == g)
            n_acc = len(set(acct[rows].tolist()))
            if len(rows) < cfg.min_events or n_acc < cfg.min_accounts:
                continue
            rep = _medoid(sig[rows[:64]])
            if bg is not None:
                hits = np.asarray(jaccard(bg[part], rep)) >= cfg.threshold
                if hits.mean() > cfg.max_background_share:
                    continue
            found.append(
                Fingerprint(
                    part=part,
                    signature=rep,
                    events=len(rows),
                    accounts=n_acc,
                    key_id=kid,
                    threshold=cfg.threshold,
                    window=cfg.window,
                    k=cfg.k,
                )
            )
    found.sort(key=lambda f: -f.events)
    return found[: cfg.max_fingerprints]


def _medoid(sig: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """The row most similar, on average, to the others (a group's representative)."""
    if len(sig) == 1:
        return np.asarray(sig[0], dtype=np.uint32).copy()
    sims = (sig[:, None, :] == sig[None, :, :]).mean(axis=2)
    return np.asarray(sig[int(np.argmax(sims.sum(axis=1)))], dtype=np.uint32).copy()


def fingerprint_hits(
    texts: Sequence[str | None] | pa.Array,
    fingerprints: Sequence[Fingerprint],
    ring: KeyRing,
) -> npt.NDArray[np.bool_]:
    """``(texts, fingerprints)`` boolean matrix: which fingerprints each text's ends match.

    Fingerprints are grouped by (key id, window, k, slots) so each local text is hashed
    once per distinct configuration; fingerprints under a key this ring lacks match
    nothing.
    """
    out = np.zeros((len(texts), len(fingerprints)), dtype=bool)
    if len(texts) == 0 or not fingerprints:
        return out
    groups: dict[tuple[str, int, int, int], list[int]] = {}
    for i, f in enumerate(fingerprints):
        groups.setdefault((f.key_id, f.window, f.k, len(f.signature)), []).append(i)
    for (kid, window, k, num_perm), idx in groups.items():
        if kid not in ring.keys:
            continue
        cfg = FingerprintConfig(window=window, k=k, num_perm=num_perm, bands=1)
        sigs = end_signatures(texts, ring, cfg, kid)
        for i in idx:
            f = fingerprints[i]
            out[:, i] = np.asarray(jaccard(sigs[f.part], f.signature)) >= f.threshold
    return out


def match_texts(
    texts: Sequence[str | None] | pa.Array,
    fingerprints: Sequence[Fingerprint],
    ring: KeyRing,
) -> npt.NDArray[np.int64]:
    """Index of the first fingerprint each text's ends match, or -1."""
    hits = fingerprint_hits(texts, fingerprints, ring)
    if hits.shape[1] == 0:
        return np.full(len(texts), -1, dtype=np.int64)
    first: npt.NDArray[np.int64] = np.where(hits.any(axis=1), hits.argmax(axis=1), -1)
    return first.astype(np.int64)
