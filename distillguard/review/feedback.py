"""The feedback table: every review action, in the order taken, append-only.

A JSON Lines file, one action a line (:meth:`ReviewAction.record` and
``"v": 1``, the format's version), rather than a table in the scan's DuckDB
store: the writers are every gateway replica and the operator's CLI, at any time,
while DuckDB admits one writing process and a scan holds its store for its whole
run; and a review outlives the scan it answered (the next scan may start a new
store).  Appends take an exclusive ``flock`` and are one ``write(2)`` followed by
``fsync``, so replicas sharing a volume interleave whole lines and an action that
was answered is on disk.  A torn last line (a writer killed mid-write) is skipped
on reading; any other bad line is an error naming its line.

What ``distillguard calibrate --feedback`` takes from it (:func:`labels`): per
account, the **latest** action decides: ``allow`` or ``unblock`` make it a reviewed
false positive (benign calibration data), ``block`` a confirmed harvester (a
labelled attack example); ``verify`` labels nothing (the reviewer did not decide).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from distillguard.errors import DistillguardError
from distillguard.review.actions import CLEARING, ReviewAction, ReviewError, parse_action

#: The version of the feedback line format this build writes and reads.
FORMAT_VERSION: Final = 1


class FeedbackUnavailable(DistillguardError):  # noqa: N818  (reads as a condition)
    """The feedback table cannot be written (a disk, not a request, problem)."""


class FeedbackTable:
    """Append review actions to, and read them from, one JSON Lines file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def append(self, action: ReviewAction) -> None:
        """Write ``action`` durably (see the module docstring)."""
        line = json.dumps({"v": FORMAT_VERSION, **action.record()}, ensure_ascii=False) + "\n"
        data = line.encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
        except OSError as exc:
            raise FeedbackUnavailable(
                f"cannot open the feedback table: {exc}", path=self.path
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _torn_tail(fd):
                # A writer died mid-line: start ours on a line of its own.
                data = b"\n" + data
            os.write(fd, data)
            os.fsync(fd)
        except OSError as exc:
            raise FeedbackUnavailable(
                f"cannot write the feedback table: {exc}", path=self.path
            ) from exc
        finally:
            os.close(fd)  # releases the lock

    def actions(self) -> list[ReviewAction]:
        """Every action, in the order written (none when the file does not exist)."""
        return list(self._read())

    def _read(self) -> Iterator[ReviewAction]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            raise ReviewError(f"cannot read the feedback table: {exc}", path=self.path) from exc
        lines = text.split("\n")
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as exc:
                if i == len(lines):
                    return  # torn by a writer that died (no newline yet): not an action
                raise ReviewError("not a JSON record", path=self.path, line=i) from exc
            yield _from_record(rec, self.path, i)

    def latest(self) -> dict[str, ReviewAction]:
        """Per account, the last action that named it."""
        out: dict[str, ReviewAction] = {}
        for a in self._read():
            for account in a.accounts:
                out[account] = a
        return out


def _torn_tail(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def _from_record(rec: object, path: Path, line: int) -> ReviewAction:
    if not isinstance(rec, dict):
        raise ReviewError("a feedback line is a JSON object", path=path, line=line)
    if rec.get("v") != FORMAT_VERSION:
        raise ReviewError(
            f"feedback format version {rec.get('v')!r} (this build reads {FORMAT_VERSION})",
            path=path, line=line, field="v",
        )  # fmt: skip
    accounts = rec.get("accounts")
    body: dict[str, Any] = {
        k: rec.get(k) for k in ("action", "reviewer", "note", "campaign_id", "reference")
    }
    body = {k: v for k, v in body.items() if v is not None}
    if not isinstance(accounts, list) or not accounts:
        raise ReviewError("accounts: a non-empty list", path=path, line=line, field="accounts")
    if body.get("campaign_id") is None:
        if len(accounts) != 1:
            raise ReviewError("one account without a campaign", path=path, line=line)
        body["account_id"] = accounts[0]
    else:
        body["accounts"] = accounts
    try:
        return parse_action(
            body, source=str(rec.get("source") or "cli"), id=str(rec.get("id")),
            at=str(rec.get("at")),
        )  # fmt: skip
    except ReviewError as exc:
        raise ReviewError(exc.message, path=path, line=line, field=exc.field) from exc


@dataclass(frozen=True)
class Labels:
    """What review says about accounts, for calibration (see the module docstring)."""

    #: Reviewed false positives: benign calibration data.
    benign: frozenset[str]
    #: Confirmed harvesters (blocked on review): labelled attack examples.
    attack: frozenset[str]
    #: Confirmed campaigns (a ``block`` on a campaign).
    campaigns: frozenset[str]


def labels(tables: list[FeedbackTable]) -> Labels:
    """The labels of every account the tables name (the latest action decides)."""
    latest: dict[str, ReviewAction] = {}
    ordered = sorted((a for t in tables for a in t.actions()), key=lambda a: a.at)
    for a in ordered:
        for account in a.accounts:
            latest[account] = a
    benign = frozenset(k for k, a in latest.items() if a.action in CLEARING)
    attack = frozenset(k for k, a in latest.items() if a.action == "block")
    campaigns = frozenset(
        a.campaign_id for a in latest.values() if a.action == "block" and a.campaign_id
    )
    return Labels(benign, attack, campaigns)
