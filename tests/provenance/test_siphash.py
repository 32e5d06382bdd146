"""SipHash-2-4: the published test vectors and the vectorised form against the reference."""

from __future__ import annotations

import numpy as np
import pytest

from distillguard.provenance.siphash import key_words, siphash24, siphash24_bytes

KEY = bytes(range(16))


def test_reference_matches_the_published_vectors() -> None:
    # The SipHash paper's example (15-byte message) and the reference
    # implementation's first vector (empty message), as little-endian bytes.
    assert siphash24_bytes(KEY, bytes(range(15))) == 0xA129CA6149BE45E5
    assert siphash24_bytes(KEY, b"").to_bytes(8, "little").hex() == "310e0edd47db6f72"


@pytest.mark.parametrize("words", [1, 2, 3, 5])
def test_vectorised_matches_the_reference(words: int) -> None:
    rng = np.random.default_rng(words)
    msgs = rng.integers(0, 2**63, size=(20, words), dtype=np.int64).astype(np.uint64)
    keys = [rng.bytes(16) for _ in range(3)]
    for key in keys:
        k0, k1 = key_words(key)
        got = siphash24(k0, k1, msgs)
        for row, h in zip(msgs, got, strict=True):
            assert int(h) == siphash24_bytes(key, row.astype("<u8").tobytes())


def test_keys_broadcast_against_rows() -> None:
    rng = np.random.default_rng(1)
    msgs = rng.integers(0, 1000, size=(7, 2)).astype(np.uint64)
    keys = [rng.bytes(16) for _ in range(4)]
    k0 = np.concatenate([key_words(k)[0] for k in keys]).reshape(-1, 1)
    k1 = np.concatenate([key_words(k)[1] for k in keys]).reshape(-1, 1)
    many = siphash24(k0, k1, msgs[np.newaxis])
    assert many.shape == (4, 7)
    for i, key in enumerate(keys):
        a, b = key_words(key)
        assert np.array_equal(many[i], siphash24(a, b, msgs))


def test_a_key_is_sixteen_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        key_words(b"short")
