"""SipHash-2-4 over 64-bit words, vectorised with numpy.

The watermark's green lists must be unpredictable without the provider's key, so
the per-context seed is a keyed pseudo-random function: SipHash-2-4 (Aumasson and
Bernstein, 2012), designed as a PRF for short inputs with a 128-bit key.  The
inputs here are always whole 64-bit words (token ids), so the message is the
words in little-endian byte order and the final block carries only the length.

numpy ``uint64`` arrays wrap on overflow without a warning, which is what the ARX
rounds need; scalar ``np.uint64`` arithmetic would warn, so everything stays in
arrays.  :func:`siphash24_bytes` is a plain-Python reference for any byte string,
used by the tests to pin the vectorised version to the published test vector.

>>> key = bytes(range(16))
>>> hex(siphash24_bytes(key, bytes(range(15))))
'0xa129ca6149be45e5'
>>> k0, k1 = key_words(key)
>>> words = np.frombuffer(bytes(range(16)), dtype="<u8").reshape(1, 2)
>>> int(siphash24(k0, k1, words)[0]) == siphash24_bytes(key, bytes(range(16)))
True
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]

_MASK: Final = (1 << 64) - 1
_C0: Final = 0x736F6D6570736575
_C1: Final = 0x646F72616E646F6D
_C2: Final = 0x6C7967656E657261
_C3: Final = 0x7465646279746573


def key_words(key: bytes) -> tuple[U64, U64]:
    """The two little-endian 64-bit halves of a 16-byte key, as 1-element arrays."""
    if len(key) != 16:
        raise ValueError("a SipHash key is 16 bytes")
    k = np.frombuffer(key, dtype="<u8").astype(np.uint64)
    return k[0:1].copy(), k[1:2].copy()


def _rotl(x: U64, b: int) -> U64:
    return (x << np.uint64(b)) | (x >> np.uint64(64 - b))


def _round(v0: U64, v1: U64, v2: U64, v3: U64) -> tuple[U64, U64, U64, U64]:
    v0 = v0 + v1
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = v2 + v3
    v3 = _rotl(v3, 16) ^ v2
    v0 = v0 + v3
    v3 = _rotl(v3, 21) ^ v0
    v2 = v2 + v1
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash24(k0: U64, k1: U64, words: npt.NDArray[np.integer]) -> U64:
    """SipHash-2-4 of each row of ``words`` (shape ``(..., m)``, 64-bit words).

    ``k0`` and ``k1`` broadcast against ``words.shape[:-1]``: a ``(K, 1)`` key
    array against ``(n, m)`` words gives ``(K, n)`` hashes, one per key and row.
    """
    w = np.asarray(words).astype(np.uint64, copy=False)
    m = w.shape[-1]
    shape = np.broadcast_shapes(np.shape(k0), np.shape(k1), w.shape[:-1])
    k0b = np.broadcast_to(np.asarray(k0, dtype=np.uint64), shape)
    k1b = np.broadcast_to(np.asarray(k1, dtype=np.uint64), shape)
    v0 = k0b ^ np.uint64(_C0)
    v1 = k1b ^ np.uint64(_C1)
    v2 = k0b ^ np.uint64(_C2)
    v3 = k1b ^ np.uint64(_C3)
    for i in range(m):
        mi = np.broadcast_to(w[..., i], shape)
        v3 = v3 ^ mi
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
        v0 = v0 ^ mi
    b = np.uint64(((8 * m) & 0xFF) << 56)
    v3 = v3 ^ b
    v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0 = v0 ^ b
    v2 = v2 ^ np.uint64(0xFF)
    for _ in range(4):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    out: U64 = v0 ^ v1 ^ v2 ^ v3
    return out


def _rotl_int(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def siphash24_bytes(key: bytes, message: bytes) -> int:
    """Reference SipHash-2-4 of any byte string (plain Python, slow)."""
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:16], "little")
    v = [k0 ^ _C0, k1 ^ _C1, k0 ^ _C2, k1 ^ _C3]

    def rnd() -> None:
        v[0] = (v[0] + v[1]) & _MASK
        v[1] = _rotl_int(v[1], 13) ^ v[0]
        v[0] = _rotl_int(v[0], 32)
        v[2] = (v[2] + v[3]) & _MASK
        v[3] = _rotl_int(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & _MASK
        v[3] = _rotl_int(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & _MASK
        v[1] = _rotl_int(v[1], 17) ^ v[2]
        v[2] = _rotl_int(v[2], 32)

    full = len(message) // 8 * 8
    for i in range(0, full, 8):
        mi = int.from_bytes(message[i : i + 8], "little")
        v[3] ^= mi
        rnd()
        rnd()
        v[0] ^= mi
    last = int.from_bytes(message[full:], "little") | ((len(message) & 0xFF) << 56)
    v[3] ^= last
    rnd()
    rnd()
    v[0] ^= last
    v[2] ^= 0xFF
    for _ in range(4):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]
