"""Headless Chromium for the report tests: one way to run it, read what it drew.

Reports are opened from ``file://`` URLs (as an analyst opens them), with the
network shut off.  What a page drew is read two ways: the DOM after its scripts ran
(``--dump-dom``: which SVG traces plotly made) and a screenshot (``--screenshot``:
which pixels are there).  The PNG reader is a small one of our own (zlib and the five
PNG row filters), so no image library is needed.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
)
U8 = np.ndarray[Any, np.dtype[np.uint8]]


def require_chromium() -> str:
    """The browser, or a failure under CI (``CI`` set) and a skip elsewhere."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium not installed; CI must run scripts/setup.sh --dev")
    pytest.skip("chromium not installed (scripts/setup.sh --dev installs it)")


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [require_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def dump_dom(profile: Path, url: str) -> str:
    """The page's DOM after its scripts ran."""
    return chromium(profile, "--dump-dom", url).stdout


def screenshot(profile: Path, url: str, out: Path, size: tuple[int, int]) -> U8:
    """Pixels (height x width x 3, RGB) of the page's top ``size`` (width, height)."""
    chromium(profile, f"--screenshot={out}", f"--window-size={size[0]},{size[1]}", url)
    return read_png(out)


def section_only(page: Path, section_id: str) -> Path:
    """A copy of ``page`` beside it showing only the card ``section_id``.

    A screenshot shows the top of a page, and the graph sits below the case file's
    text; hiding the other cards puts the chart itself at the top, so its pixels
    can be checked.  The chart code, data and plotly.js are the page's own.
    """
    style = (
        f"<style>main > :not(#{section_id}) {{ display: none !important; }} "
        f"#{section_id} > :not(.plotly-graph-div):not(div:has(.plotly-graph-div)) "
        "{ display: none !important; }</style>"
    )
    text = page.read_text(encoding="utf-8").replace("</head>", style + "</head>", 1)
    out = page.with_name(f"{page.stem}.{section_id}-only.html")
    out.write_text(text, encoding="utf-8")
    return out


def read_png(path: Path) -> U8:
    """An 8-bit RGB or RGBA, non-interlaced PNG as an RGB array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat = 8, []
    width = height = colour = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        chunk, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        pos += 12 + n
        if chunk == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0), (depth, interlace)
            assert colour in (2, 6), colour
        elif chunk == b"IDAT":
            idat.append(body)
    bpp = 4 if colour == 6 else 3
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    rows = raw.reshape(height, width * bpp + 1)
    out = np.zeros((height, width * bpp), dtype=np.uint8)
    prev = np.zeros(width * bpp, dtype=np.uint8)
    for y in range(height):
        kind, line = int(rows[y, 0]), rows[y, 1:]
        if kind == 0:
            cur = line.copy()
        elif kind == 1:  # Sub: a running sum per channel, vectorised
            total = np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.int64) & 0xFF
            cur = total.astype(np.uint8).ravel()
        elif kind == 2:
            cur = line + prev  # uint8 arithmetic wraps, as the filter does
        else:
            cur = _sequential(kind, line.tobytes(), prev.tobytes(), bpp)
        out[y] = cur
        prev = out[y]
    return out.reshape(height, width, bpp)[:, :, :3]


def _sequential(kind: int, line: bytes, prev: bytes, bpp: int) -> U8:
    """Average (3) and Paeth (4) rows: each byte depends on the one decoded before it."""
    cur = bytearray(len(line))
    for i, x in enumerate(line):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        if kind == 3:
            cur[i] = (x + ((a + b) >> 1)) & 0xFF
            continue
        c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        cur[i] = (x + pred) & 0xFF
    return np.frombuffer(bytes(cur), dtype=np.uint8)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``#1565c0`` -> ``(21, 101, 192)``."""
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def pixels_near(img: U8, colour: str, tolerance: int = 12) -> int:
    """How many pixels are within ``tolerance`` (per channel) of ``colour``."""
    target = np.array(hex_rgb(colour), dtype=np.int16)
    diff = np.abs(img.astype(np.int16) - target).max(axis=2)
    return int((diff <= tolerance).sum())


def chromatic_pixels(img: U8, min_chroma: int = 40) -> int:
    """Pixels with a clear hue (max - min channel), i.e. not white, grey or black text."""
    x = img.astype(np.int16)
    return int(((x.max(axis=2) - x.min(axis=2)) >= min_chroma).sum())


def _hue(rgb: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Hue in degrees of RGB rows (the HSV formula; undefined grey gives 0)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    d = np.where(mx - mn == 0, 1.0, mx - mn)
    h = np.where(mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4))
    out: np.ndarray[Any, np.dtype[np.float64]] = h * 60.0
    return out


def pixels_of_hue(img: U8, colour: str, tolerance: float = 8.0, min_chroma: int = 25) -> int:
    """Pixels of ``colour``'s hue, however light.

    A thin, half-transparent line is drawn blended with the white behind it and
    anti-aliased: its pixels are lighter than its colour but keep its hue.
    """
    x = img.astype(np.float64)
    chroma = x.max(axis=2) - x.min(axis=2)
    target = float(_hue(np.array(hex_rgb(colour), dtype=np.float64)))
    diff = np.abs(_hue(x) - target)
    diff = np.minimum(diff, 360.0 - diff)
    return int(((chroma >= min_chroma) & (diff <= tolerance)).sum())
