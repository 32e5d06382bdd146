"""Writing files so that readers never see half of one.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> with atomic_open(p) as fh:
...     _ = fh.write("complete")
>>> p.read_text()
'complete'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _current_umask() -> int:
    # The only way to read the umask is to set it; put it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(
    path: str | Path, mode: str = "w", *, permissions: int | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; move it over ``path`` on success.

    Readers of ``path`` see either the old file or the complete new one, never
    a half-written file, and a failed write leaves no temporary file behind.
    ``permissions`` (e.g. ``0o600`` for a secret) replaces the mode ``open()``
    would have given the file.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
        # mkstemp makes the file owner-only; give it the mode open() would have.
        os.chmod(tmp, 0o666 & ~_current_umask() if permissions is None else permissions)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
