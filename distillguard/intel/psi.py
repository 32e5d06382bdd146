"""Private set intersection of exact identifiers between two providers (OpenMined PSI).

Keyed hashes let every forum member test guesses against what was shared.  When two
providers want only the identifiers they *both* hold — the addresses or cards one
operator used at both — without either learning the other's other values, they run
ECDH-based PSI: the *server* side encrypts its set under a secret key and sends a
compact setup message; the *client* sends its items blinded under its own key; the
server re-blinds them; the client learns which of its items are in the server's set
(and the server's set size), the server learns the client's set size and nothing else.

Values are canonicalised first (:func:`~distillguard.intel.hashing.canonical`) so both
sides agree on spelling.  Messages are protobuf bytes, so they can travel over any
channel (the hub, a file, HTTPS).

>>> server = PsiServer(["203.0.113.9", "198.51.100.7", "192.0.2.1"], kind="ip")
>>> client = PsiClient(["::ffff:203.0.113.9", "10.0.0.8"], kind="ip")
>>> setup = server.setup(client.size)
>>> response = server.process(client.request())
>>> sorted(client.intersection(setup, response))
['::ffff:203.0.113.9']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import private_set_intersection.python as psi

from distillguard.intel.errors import IntelError
from distillguard.intel.hashing import canonical

#: False-positive rate of the server's setup structure (a GCS filter).
FPR: Final = 1e-9


def _items(values: Iterable[str], kind: str) -> tuple[list[str], list[str]]:
    raw = [v for v in dict.fromkeys(values) if v]
    return raw, [f"{kind}\x00{canonical(kind, v)}" for v in raw]


class PsiServer:
    """The side that reveals nothing; it answers the client's request."""

    def __init__(self, values: Iterable[str], *, kind: str) -> None:
        self.kind = kind
        _, self._items = _items(values, kind)
        self._psi: Any = psi.server.CreateWithNewKey(True)

    def setup(self, client_size: int) -> bytes:
        """The setup message for a client with ``client_size`` items."""
        msg = self._psi.CreateSetupMessage(
            FPR, max(1, client_size), self._items, psi.DataStructure.GCS
        )
        return bytes(msg.SerializeToString())

    def process(self, request: bytes) -> bytes:
        """Answer a client's blinded request."""
        req = psi.Request()
        try:
            req.ParseFromString(request)
            return bytes(self._psi.ProcessRequest(req).SerializeToString())
        except Exception as exc:  # the binding raises plain RuntimeErrors on bad input
            raise IntelError(f"not a PSI request: {exc}") from exc


class PsiClient:
    """The side that learns which of its own values the server also holds."""

    def __init__(self, values: Iterable[str], *, kind: str) -> None:
        self.kind = kind
        self._raw, self._items = _items(values, kind)
        self._psi: Any = psi.client.CreateWithNewKey(True)

    @property
    def size(self) -> int:
        return len(self._items)

    def request(self) -> bytes:
        return bytes(self._psi.CreateRequest(self._items).SerializeToString())

    def intersection(self, setup: bytes, response: bytes) -> set[str]:
        """Our values (as we gave them) that are in the server's set."""
        s, r = psi.ServerSetup(), psi.Response()
        try:
            s.ParseFromString(setup)
            r.ParseFromString(response)
            idx = self._psi.GetIntersection(s, r)
        except Exception as exc:  # the binding raises plain RuntimeErrors on bad input
            raise IntelError(f"not a PSI setup/response pair: {exc}") from exc
        return {self._raw[i] for i in idx}


def intersect_locally(ours: Iterable[str], theirs: Iterable[str], *, kind: str) -> set[str]:
    """Both roles in one process (tests and the CLI demonstration)."""
    client = PsiClient(ours, kind=kind)
    server = PsiServer(theirs, kind=kind)
    return client.intersection(server.setup(client.size), server.process(client.request()))


def read_identifiers(path: str | Path) -> list[str]:
    """One identifier a line; blank lines and ``#`` comments skipped."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise IntelError("file not found", path=p) from exc
    except UnicodeDecodeError as exc:
        raise IntelError("not UTF-8 text", path=p) from exc
    return [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]
