"""Append-only, hash-chained audit log of every gateway decision, with checkpoints.

Records are JSON lines.  Each carries ``prev``: the SHA-256 (hex) of the
previous line (without its newline); the first record's ``prev`` is 64 zeros.
Changing, inserting or deleting a record breaks the chain at the next record,
which :func:`verify` reports.

**Durability.**  :meth:`AuditLog.write` appends the line with one ``write(2)``
before it returns, so a record written before the gateway forwards a request
(or answers it) survives the gateway being killed, SIGKILL included: the
kernel holds it.  Surviving a power loss needs ``fsync``; the ``fsync`` policy
says when (see :data:`FSYNC_POLICIES`): ``interval`` (default) syncs in a
background thread at most ``fsync_s`` after a write, ``always`` makes
:meth:`AuditLog.sync` wait for the sync (the gateway awaits it before it
forwards or answers; concurrent requests share one ``fsync``), ``never`` leaves
it to the OS.

**Truncation.**  A chain alone cannot show that its end was cut off.  After
each sync the writer replaces a *checkpoint* file beside the log
(``<log>.head``, and any extra copies given): the number of records and bytes
covered, the hash of the last one, a sequence number, whether the log was
closed, and a MAC over all of it: HMAC-SHA256 under the audit key when one is
given, a plain SHA-256 otherwise.  :func:`verify` demands that the log still
holds every checkpointed record with the checkpointed hash.  What an attacker
with write access to the log directory can and cannot hide is in
``docs/security.md``.

A gateway that starts on a log shorter than its checkpoint says so in the
chain itself (a ``kind: audit_gap`` record), so the evidence outlives the next
checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from distillguard.errors import DistillguardError
from distillguard.fileio import atomic_open

GENESIS: Final = "0" * 64
#: When the log is fsynced: see the module docstring.
FSYNC_POLICIES: Final = ("interval", "always", "never")
FsyncPolicy = Literal["interval", "always", "never"]
#: Bytes of an audit key file's secret (hex in the file).
KEY_BYTES: Final = 32


class AuditError(DistillguardError):
    """The audit log cannot be written or read."""


def _digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def head_path(log: str | Path) -> Path:
    """Where the checkpoint of ``log`` is kept by default."""
    p = Path(log)
    return p.with_name(p.name + ".head")


def load_key(path: str | Path) -> bytes:
    """An audit key file: hex digits of a secret of at least 128 bits."""
    p = Path(path)
    try:
        text = p.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"cannot read the audit key: {exc}", path=p) from exc
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise AuditError("the audit key must be hex digits", path=p) from exc
    if len(key) < 16:
        raise AuditError("the audit key is shorter than 128 bits", path=p)
    return key


def write_key(path: str | Path) -> None:
    """Create a new random audit key file, readable by its owner only."""
    p = Path(path)
    if p.exists():
        raise AuditError("refusing to overwrite an existing key", path=p)
    with atomic_open(p, permissions=0o600) as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")


def _mac(body: dict[str, Any], key: bytes | None) -> str:
    data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint file says about its log."""

    records: int
    bytes: int
    last: str
    seq: int
    ts: str
    closed: bool
    alg: str

    def body(self) -> dict[str, Any]:
        return {
            "records": self.records, "bytes": self.bytes, "last": self.last, "seq": self.seq,
            "ts": self.ts, "closed": self.closed, "alg": self.alg,
        }  # fmt: skip


def read_checkpoint(path: str | Path, key: bytes | None) -> Checkpoint:
    """Read and authenticate a checkpoint file; raise :class:`AuditError` if it is not one."""
    p = Path(path)
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AuditError("no checkpoint file: a cut-off end cannot be ruled out", path=p) from exc
    except (OSError, ValueError) as exc:
        raise AuditError(f"unreadable checkpoint: {exc}", path=p) from exc
    if not isinstance(obj, dict):
        raise AuditError("the checkpoint is not a JSON object", path=p)
    try:
        cp = Checkpoint(
            records=int(obj["records"]), bytes=int(obj["bytes"]), last=str(obj["last"]),
            seq=int(obj["seq"]), ts=str(obj["ts"]), closed=bool(obj["closed"]),
            alg=str(obj["alg"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditError(f"the checkpoint lacks a field or has a bad one: {exc}", path=p) from exc
    want = "hmac-sha256" if key is not None else "sha256"
    if cp.alg != want:
        hint = "give the audit key" if cp.alg == "hmac-sha256" else "it was written without a key"
        raise AuditError(f"the checkpoint is signed with {cp.alg}, not {want} ({hint})", path=p)
    if not hmac.compare_digest(str(obj.get("mac", "")), _mac(cp.body(), key)):
        raise AuditError("the checkpoint's MAC does not match (forged or altered)", path=p)
    return cp


def _scan(data: bytes) -> tuple[int, int, str, list[int]]:
    """(whole records, their byte length, hash of the last, end offset of each record)."""
    ends: list[int] = []
    start = 0
    last = GENESIS
    while (nl := data.find(b"\n", start)) >= 0:
        last = _digest(data[start:nl])
        start = nl + 1
        ends.append(start)
    return len(ends), start, last, ends


class AuditLog:
    """Writer of a hash-chained JSONL file and its checkpoints (see the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        *,
        fsync: FsyncPolicy = "interval",
        fsync_s: float = 0.05,
        key: bytes | None = None,
        heads: Sequence[str | Path] = (),
    ) -> None:
        if fsync not in FSYNC_POLICIES:
            raise AuditError(f"unknown fsync policy {fsync!r} ({', '.join(FSYNC_POLICIES)})")
        self.path = Path(path)
        self.fsync: FsyncPolicy = fsync
        self.fsync_s = fsync_s
        self.heads = [head_path(self.path), *(Path(h) for h in heads)]
        self._key = key
        self._lock = threading.Lock()
        self._dirty = threading.Condition(self._lock)
        self._fd = -1
        self._prev = GENESIS
        self._records = 0
        self._bytes = 0
        self._synced = 0
        self._seq = 0
        self._stop = False
        self._error: BaseException | None = None
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._thread: threading.Thread | None = None
        #: Problems found when the log was opened (also written into it as a record).
        self.gaps: list[str] = []

    @property
    def written(self) -> int:
        """Records in the log (those found at start included)."""
        return self._records

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> AuditLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        except OSError as exc:
            raise AuditError(f"cannot open audit log: {exc.strerror}", path=self.path) from exc
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read()
        records, good, last, ends = _scan(data)
        os.ftruncate(fd, good)  # drop a torn tail left by a power loss
        os.close(fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self._prev, self._records, self._bytes, self._synced = last, records, good, good
        gap = self._check_head(data, records, ends)
        if gap is not None:
            self.gaps.append(gap)
            self.write({"kind": "audit_gap", "ts": _now(), "reason": gap})
        # A checkpoint at once: the log is open again (an earlier one said closed), and a
        # gateway that never answers a request still leaves a checkpoint of its log.
        self._checkpoint(final=False)
        self._thread = threading.Thread(target=self._run, name="distillguard-audit", daemon=True)
        self._thread.start()
        return self

    def _check_head(self, data: bytes, records: int, ends: list[int]) -> str | None:
        p = self.heads[0]
        if not p.exists():
            return None if records == 0 else f"{records} records but no checkpoint file"
        try:
            cp = read_checkpoint(p, self._key)
        except AuditError as exc:
            return exc.message
        self._seq = cp.seq
        return _against(cp, data, records, ends)

    def close(self, timeout: float = 10.0) -> None:
        """Sync, write a final (``closed``) checkpoint and stop the thread."""
        if self._thread is None:
            return
        with self._lock:
            self._stop = True
            self._dirty.notify()
        self._thread.join(timeout)
        self._thread = None
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = -1
        if self._error is not None:
            raise AuditError(f"audit writer failed: {self._error}", path=self.path)

    # ------------------------------------------------------------------ writing
    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` (with ``prev``) to the log before returning."""
        with self._lock:
            if self._error is not None:
                raise AuditError(f"audit writer failed: {self._error}", path=self.path)
            rec = dict(record)
            rec["prev"] = self._prev
            line = json.dumps(rec, ensure_ascii=False, separators=(",", ":"), default=str)
            data = line.encode() + b"\n"
            try:
                view = memoryview(data)
                while view:
                    n = os.write(self._fd, view)
                    view = view[n:]
            except OSError as exc:
                # A partial line would break the chain for every later record.
                self._error = exc
                raise AuditError(f"cannot write the audit log: {exc}", path=self.path) from exc
            self._prev = _digest(data[:-1])
            self._records += 1
            self._bytes += len(data)
            self._dirty.notify()

    async def sync(self) -> None:
        """With ``fsync: always``, wait until everything written so far is fsynced."""
        if self.fsync != "always":
            return
        fut = asyncio.get_running_loop().create_future()
        with self._lock:
            if self._synced >= self._bytes:
                return
            self._waiters.append((self._bytes, fut))
            self._dirty.notify()
        await fut

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    while self._bytes == self._synced and not self._stop:
                        self._dirty.wait()
                    stop = self._stop
                if not stop and self.fsync != "always":
                    # Let writes gather: one sync (and one checkpoint) per interval.
                    with self._lock:
                        self._dirty.wait_for(lambda: self._stop, timeout=self.fsync_s)
                self._checkpoint(final=stop)
                if stop:
                    return
        except BaseException as exc:  # the thread must not die silently
            with self._lock:
                self._error = exc
            self._release(error=exc)

    def _checkpoint(self, *, final: bool) -> None:
        with self._lock:
            records, size, last = self._records, self._bytes, self._prev
        if self.fsync != "never" or final:
            os.fsync(self._fd)
        with self._lock:
            self._synced = size
        self._seq += 1
        cp = Checkpoint(
            records=records, bytes=size, last=last, seq=self._seq, ts=_now(), closed=final,
            alg="sha256" if self._key is None else "hmac-sha256",
        )  # fmt: skip
        body = {**cp.body(), "log": self.path.name}
        body["mac"] = _mac(cp.body(), self._key)
        text = json.dumps(body, separators=(",", ":")) + "\n"
        for p in self.heads:
            with atomic_open(p) as fh:
                fh.write(text)
                fh.flush()
                if self.fsync != "never":
                    os.fsync(fh.fileno())
        self._release()

    def _release(self, error: BaseException | None = None) -> None:
        with self._lock:
            ready = [(n, f) for n, f in self._waiters if error is not None or n <= self._synced]
            self._waiters = [w for w in self._waiters if w not in ready]
        failure = None
        if error is not None:
            failure = AuditError(f"audit writer failed: {error}", path=self.path)
        for _, fut in ready:
            with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits
                fut.get_loop().call_soon_threadsafe(_resolve, fut, failure)


def _resolve(fut: asyncio.Future[None], error: BaseException | None) -> None:
    if fut.done():
        return
    if error is None:
        fut.set_result(None)
    else:
        fut.set_exception(error)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _against(cp: Checkpoint, data: bytes, records: int, ends: list[int]) -> str | None:
    """Why the log does not hold what checkpoint ``cp`` covers (None: it does)."""
    if records < cp.records:
        return (
            f"the log holds {records} records, its checkpoint (seq {cp.seq}, {cp.ts}) "
            f"covers {cp.records}: its end was cut off"
        )
    if cp.records == 0:
        return None
    end = ends[cp.records - 1]
    start = ends[cp.records - 2] if cp.records > 1 else 0
    if end != cp.bytes or _digest(data[start : end - 1]) != cp.last:
        return (
            f"record {cp.records} is not the one the checkpoint (seq {cp.seq}, {cp.ts}) "
            "covers: the log was rewritten"
        )
    return None


def read_records(path: str | Path, kind: str | None = None) -> list[dict[str, Any]]:
    """The records of ``path`` (of one ``kind``: decision, outcome, signals), in order."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AuditError(f"cannot read audit log: {exc.strerror}", path=p) from exc
    out = []
    for i, line in enumerate(lines, start=1):
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise AuditError("not a JSON record", path=p, line=i) from exc
        if kind is None or rec.get("kind") == kind:
            out.append(rec)
    return out


def records_of(path: str | Path, request_id: str) -> list[dict[str, Any]]:
    """The records of one request (decision, outcome, signals), and the review
    records that answered it as an appeal, in order.

    Read a line at a time, and a line is parsed only when it names the id, so a
    long log is searched in one pass without holding it.
    """
    p = Path(path)
    needle = json.dumps(request_id).encode()
    out: list[dict[str, Any]] = []
    try:
        with p.open("rb") as fh:
            for i, line in enumerate(fh, start=1):
                if needle not in line:
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as exc:
                    if not line.endswith(b"\n"):
                        break  # torn by a crash: not a record
                    raise AuditError("not a JSON record", path=p, line=i) from exc
                if rec.get("request_id") == request_id or rec.get("reference") == request_id:
                    out.append(rec)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AuditError(f"cannot read audit log: {exc.strerror}", path=p) from exc
    return out


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`: records checked and the first problem, if any."""

    records: int
    ok: bool
    broken_line: int | None = None
    reason: str = ""
    torn_tail: bool = False
    #: Records covered by the checkpoint; those after it are chained but not checkpointed.
    checkpointed: int = 0
    #: ``audit_gap`` records in the chain: a gateway found its log cut off at start.
    gaps: list[str] = field(default_factory=list)


def verify(
    path: str | Path,
    *,
    key: bytes | None = None,
    heads: Sequence[str | Path] | None = None,
    require_head: bool = True,
) -> VerifyResult:
    """Check the chain of ``path`` and that no checkpointed record is missing.

    ``heads``: checkpoint files to check against (default: ``<log>.head``); every one
    must hold.  ``require_head=False`` checks the chain alone (logs from before
    checkpoints existed).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise AuditError(f"cannot read audit log: {exc.strerror}", path=p) from exc
    lines = data.split(b"\n")
    torn = lines[-1] != b""
    whole = lines[:-1]
    prev = GENESIS
    gaps: list[str] = []
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
        if rec.get("kind") == "audit_gap":
            gaps.append(f"line {i}: {rec.get('reason')}")
        prev = _digest(line)
    n = len(whole)
    checkpointed = 0
    if require_head:
        records, _, _, ends = _scan(data)
        for h in [head_path(p)] if heads is None else [Path(x) for x in heads]:
            try:
                cp = read_checkpoint(h, key)
            except AuditError as exc:
                return VerifyResult(n, False, None, str(exc), torn, gaps=gaps)
            problem = _against(cp, data, records, ends)
            if problem is None and cp.closed and records > cp.records:
                problem = (
                    f"{records - cp.records} records follow the checkpoint written when "
                    "the log was closed: they were added by something else"
                )
            if problem is not None:
                return VerifyResult(n, False, None, f"{h.name}: {problem}", torn, gaps=gaps)
            checkpointed = max(checkpointed, cp.records)
    if gaps:
        return VerifyResult(
            n, False, None, f"{len(gaps)} gap(s) recorded in the chain", torn, checkpointed, gaps
        )
    return VerifyResult(n, True, None, "", torn, checkpointed, gaps)
