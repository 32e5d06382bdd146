"""Files the gateway follows while it runs: batch scan results and pulled intel.

A provider's batch scan rewrites ``accounts.parquet`` every few hours and
``distillguard intel pull`` appends to its pulled-objects file whenever a peer
shares; neither should need a gateway restart.  :class:`WatchedFile` remembers the
modification time it last loaded and reloads when that changes.  A file that is
absent (not scanned or pulled yet) or caught half-written (a failed parse) keeps
the previous contents and is retried at the next check, so the gateway never runs
on a half-read file and never stops because of one.

:class:`LiveIntel` is the per-request side of shared intelligence: every request's
address, network and client, and (once those make a match possible) its template
ends and text fingerprint, are folded into the account's evidence against the
peers' indicators (:class:`~distillguard.intel.match.IntelMatcher`); an account
that crosses the threshold is matched on that very request, and the gateway puts
it on the ``intel`` watchlist.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> w = WatchedFile(d / "accounts.parquet", lambda p: p.read_text())
>>> w.check(), w.value
(False, None)
>>> _ = (d / "accounts.parquet").write_text("v1")
>>> w.check(), w.value, w.loads
(True, 'v1', 1)
>>> w.check()
False
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from distillguard.intel.hashing import KeyRing
from distillguard.intel.match import AccountMatch, IntelMatcher, IntelSet, load_intel
from distillguard.signals import create
from distillguard.signals.base import EventBatch, Signal

log = logging.getLogger("distillguard.gateway")

T = TypeVar("T")


def mtime_ns(path: Path) -> int | None:
    """The file's ``st_mtime_ns``; None when it is missing."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _signature(path: Path) -> tuple[int, int, int] | None:
    """Modification time, size and inode; None when the file is missing.

    The time alone is not enough: a file truncated and rewritten within one tick of
    the file system's clock keeps its time, and a load caught between the two would
    never be redone.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass
class WatchedFile(Generic[T]):
    """A file loaded again whenever its modification time changes."""

    path: Path
    loader: Callable[[Path], T]
    value: T | None = None
    #: ``st_mtime_ns`` of the loaded version (None: nothing loaded yet).
    mtime_ns: int | None = None
    loads: int = 0
    #: The last load failure, kept for ``/healthz`` (None after a good load).
    error: str | None = None
    _loaded: tuple[int, int, int] | None = field(default=None, repr=False)

    def check(self) -> bool:
        """Reload if the file changed; True when a new version was loaded."""
        sig = _signature(self.path)
        if sig is None or sig == self._loaded:
            return False
        try:
            value = self.loader(self.path)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("cannot load %s (keeping the previous version): %s", self.path, exc)
            return False
        self.value, self.mtime_ns, self.error, self._loaded = value, sig[0], None, sig
        self.loads += 1
        return True

    def status(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "mtime_ns": self.mtime_ns,
            "size": None if self._loaded is None else self._loaded[1],
            "loads": self.loads,
            "error": self.error,
        }


@dataclass
class LiveIntel:
    """Pulled indicators matched on every request (see the module docstring)."""

    path: Path
    ring: KeyRing
    #: Our own provider name: indicators we shared ourselves are not matched.
    own: str | None = None
    min_weight: float = 1.0
    matcher: IntelMatcher | None = None
    file: WatchedFile[IntelSet] = field(init=False)
    _skeleton: Signal = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.file = WatchedFile(self.path, lambda p: load_intel(p, own=self.own))
        self._skeleton = create("template_skeleton")

    def check(self) -> bool:
        """Reload the indicators if the file changed; matched accounts stay matched."""
        if not self.file.check() or self.file.value is None:
            return False
        new = IntelMatcher(self.file.value, self.ring, min_weight=self.min_weight)
        if self.matcher is not None:
            new.adopt(self.matcher)
        self.matcher = new
        return True

    @property
    def active(self) -> bool:
        m = self.matcher
        return m is not None and bool(m.intel.hashed or m.intel.fingerprints)

    def observe(self, event: dict[str, Any]) -> AccountMatch | None:
        """Fold one request (a gateway event) into its account's evidence."""
        m = self.matcher
        if m is None:
            return None
        account = str(event["account_id"])
        done = m.matched(account)
        if done is not None:
            return done
        # Cheap evidence first (hashes of the address, network and client); content
        # (template hashes, MinHash fingerprints: about 2 ms) only once it could decide.
        found = m.observe(account, ip=event.get("ip"), user_agent=event.get("user_agent"))
        if found is not None or not m.content_can_decide(account):
            return found
        if not (any(k.startswith("template_") for k in m.intel.hashed) or m.intel.fingerprints):
            return None
        batch = EventBatch.from_event(event)
        template = {k: v[0].as_py() for k, v in self._skeleton.compute(batch).items()}
        hits = m.fingerprint_hits(batch.user_text)[0] if m.intel.fingerprints else []
        return m.observe(account, template=template, fingerprint_hits=hits)

    def status(self) -> dict[str, Any]:
        m = self.matcher
        return {
            **self.file.status(),
            "indicators": 0 if m is None else m.intel.indicators,
            "matched_accounts": 0 if m is None else len(m.matched_accounts()),
        }
