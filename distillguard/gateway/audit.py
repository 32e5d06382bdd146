"""Append-only, hash-chained audit log of every gateway decision (JSON Lines).

Each record carries ``prev``: the SHA-256 (hex) of the previous record's line
(without its newline); the first record's ``prev`` is 64 zeros.  Changing,
inserting or deleting a record breaks the chain at the next record, which
:func:`verify` reports.

Writes go through a queue to one background thread, so the request path never
waits for the disk; the thread writes whatever has queued up, then ``fsync``s
once per batch (at least every ``flush_s`` seconds), so a crash loses at most
the last batch and leaves a valid prefix, possibly with one torn last line.
Reopening a log resumes its chain and cuts such a torn tail first.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from distillguard.errors import DistillguardError

GENESIS: Final = "0" * 64


class AuditError(DistillguardError):
    """The audit log cannot be written or read."""


def _digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _tail_state(path: Path) -> tuple[str, int]:
    """(hash of the last whole record, byte length of the whole records)."""
    if not path.exists():
        return GENESIS, 0
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1  # a torn last line (no newline) is not a record
    if end == 0:
        return GENESIS, 0
    start = data.rfind(b"\n", 0, end - 1) + 1
    return _digest(data[start : end - 1]), end


class AuditLog:
    """Background writer of a hash-chained JSONL file."""

    _STOP: Final = object()

    def __init__(self, path: str | Path, *, flush_s: float = 0.2, batch: int = 512) -> None:
        self.path = Path(path)
        self.flush_s = flush_s
        self.batch = batch
        self._q: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.written = 0

    def start(self) -> AuditLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prev, good = _tail_state(self.path)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        except OSError as exc:
            raise AuditError(f"cannot open audit log: {exc.strerror}", path=self.path) from exc
        os.ftruncate(fd, good)  # drop a torn tail left by a crash
        os.lseek(fd, good, os.SEEK_SET)
        self._thread = threading.Thread(
            target=self._run, args=(fd, prev), name="distillguard-audit", daemon=True
        )
        self._thread.start()
        return self

    def write(self, record: dict[str, Any]) -> None:
        """Queue ``record`` (never blocks; the thread adds ``prev``)."""
        self._q.put(record)

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued, fsync and stop the thread."""
        if self._thread is None:
            return
        self._q.put(self._STOP)
        self._thread.join(timeout)
        self._thread = None
        if self._error is not None:
            raise AuditError(f"audit writer failed: {self._error}", path=self.path)

    def _run(self, fd: int, prev: str) -> None:
        try:
            stop = False
            while not stop:
                try:
                    first = self._q.get(timeout=self.flush_s)
                except queue.Empty:
                    continue
                items = [first]
                while len(items) < self.batch:
                    try:
                        items.append(self._q.get_nowait())
                    except queue.Empty:
                        break
                out = bytearray()
                for item in items:
                    if item is self._STOP:
                        stop = True
                        continue
                    rec = dict(item)  # type: ignore[call-overload]  # records are dicts
                    rec["prev"] = prev
                    line = json.dumps(
                        rec, ensure_ascii=False, separators=(",", ":"), default=str
                    ).encode()
                    prev = _digest(line)
                    out += line + b"\n"
                if out:
                    os.write(fd, bytes(out))
                    os.fsync(fd)
                    self.written += out.count(b"\n")
        except BaseException as exc:  # the thread must not die silently
            self._error = exc
        finally:
            os.close(fd)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`: records checked and the first problem, if any."""

    records: int
    ok: bool
    broken_line: int | None = None
    reason: str = ""
    torn_tail: bool = False


def verify(path: str | Path) -> VerifyResult:
    """Check the chain of ``path``; report the first broken record (1-based line)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise AuditError(f"cannot read audit log: {exc.strerror}", path=p) from exc
    lines = data.split(b"\n")
    torn = lines[-1] != b""
    whole = lines[:-1]
    prev = GENESIS
    for i, line in enumerate(whole, start=1):
        try:
            rec = json.loads(line)
        except ValueError:
            return VerifyResult(i - 1, False, i, "not a JSON record", torn)
        if not isinstance(rec, dict) or rec.get("prev") != prev:
            why = "prev does not match the SHA-256 of the previous record"
            if i == 1:
                why = "first record does not start the chain"
            return VerifyResult(i - 1, False, i, why, torn)
        prev = _digest(line)
    return VerifyResult(len(whole), True, None, "", torn)
