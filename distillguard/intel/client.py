"""Push bundles to the forum hub and pull what peers shared, with ``taxii2-client``.

A pull is resumable: after every page the objects are appended to the output file
(JSON Lines, one STIX object a line) and the cursor file is rewritten with the
page's ``X-TAXII-Date-Added-Last`` and the output file's length after the page.  The
next pull asks for ``added_after`` that time, so a repeated pull fetches only what is
new.  Within one pull, pages follow the server's ``next`` token.

When the hub goes down mid-pull, the pull stops with an :class:`IntelError` naming the
hub; the output holds whole pages only (a page is parsed in full before a byte of it
is written).  A pull killed while writing can leave part of a page past the recorded
length: the next pull cuts the file back to that length (keeping the cut bytes in
``OUT.cut``) before it resumes, so the output ends with the same objects, once each,
as a pull that never failed.  Every request has a timeout (``timeout``, 60 s).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import requests
from taxii2client.exceptions import (
    AccessError,
    InvalidJSONError,
    TAXIIServiceException,
    ValidationError,
)
from taxii2client.v21 import ApiRoot, Collection

from distillguard.fileio import atomic_open
from distillguard.intel.errors import IntelError


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <api key>`` on every request."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.key}"
        return r


class TimeoutAdapter(requests.adapters.HTTPAdapter):
    """Every request without a timeout of its own gets ``timeout`` seconds.

    taxii2-client sends its requests without one, and a hub that accepts a connection
    and never answers would otherwise hang a pull for ever.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        return super().send(
            request,
            stream=stream,
            timeout=self.timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def _explain(exc: Exception, what: str, hub: str) -> IntelError:
    """One line for a failed exchange with ``hub``: its TAXII error, or why it did not answer."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        resp = exc.response
        try:
            body = resp.json()
            detail = f"{body.get('title', '')}: {body.get('description', '')}".strip(": ")
        except ValueError:
            detail = resp.text[:200]
        return IntelError(f"{what}: the hub at {hub} answered {resp.status_code} ({detail})")
    if isinstance(exc, requests.Timeout):
        return IntelError(
            f"{what}: the hub at {hub} did not answer in time ({exc.__class__.__name__})"
        )
    if isinstance(exc, requests.ConnectionError):
        reason = "connection refused" if "refused" in str(exc).lower() else "connection failed"
        return IntelError(f"{what}: cannot reach the hub at {hub} ({reason}: is it running?)")
    if isinstance(exc, requests.RequestException | InvalidJSONError):
        return IntelError(
            f"{what}: the hub at {hub} broke off its answer (it may have gone down): "
            f"{exc.__class__.__name__}"
        )
    return IntelError(f"{what}: the hub at {hub}: {exc}")


@dataclass
class PushReport:
    """What one push did."""

    total: int = 0
    added: int = 0
    duplicates: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)


@dataclass
class PullReport:
    """What one pull fetched."""

    objects: int = 0
    pages: int = 0
    cursor: str | None = None
    by_type: dict[str, int] = field(default_factory=dict)


class HubClient:
    """A member's connection to one API root of the hub."""

    def __init__(
        self, api_root: str, api_key: str, *, verify: bool = True, timeout: float = 60.0
    ) -> None:
        self.url = api_root.rstrip("/") + "/"
        self.auth = BearerAuth(api_key)
        self.verify = verify
        self.timeout = timeout
        self._root: ApiRoot | None = None

    def _api_root(self) -> ApiRoot:
        if self._root is None:
            self._root = ApiRoot(self.url, auth=self.auth, verify=self.verify)
            adapter = TimeoutAdapter(self.timeout)
            for prefix in ("http://", "https://"):
                self._root._conn.session.mount(prefix, adapter)
        return self._root

    def collections(self) -> list[Collection]:
        try:
            return list(self._api_root().collections)
        except (requests.RequestException, TAXIIServiceException, ValidationError) as exc:
            # A failed listing must not be cached as "no collections" by taxii2-client.
            self._root = None
            raise _explain(exc, "listing collections", self.url) from exc

    def collection(self, name: str) -> Collection:
        """A collection by alias, id or title."""
        found = self.collections()
        for c in found:
            if name in (c.id, c.alias, c.title):
                return c
        known = ", ".join(str(c.alias or c.id) for c in found) or "none"
        raise IntelError(f"no collection {name!r} visible to this key (visible: {known})")

    def push(
        self, objects: Sequence[dict[str, Any]], collection: str, *, chunk: int = 5000
    ) -> PushReport:
        """Post ``objects`` in envelopes of at most ``chunk`` objects."""
        col = self.collection(collection)
        report = PushReport(total=len(objects))
        for start in range(0, len(objects), chunk):
            envelope = {"objects": list(objects[start : start + chunk])}
            try:
                status = col.add_objects(envelope, wait_for_completion=False)
            except (requests.RequestException, AccessError, TAXIIServiceException) as exc:
                raise _explain(exc, f"pushing to {collection}", self.url) from exc
            for s in status.successes:
                if "duplicate" in str(s.get("message", "")):
                    report.duplicates += 1
                else:
                    report.added += 1
            report.failures += [
                {"id": str(f.get("id", "")), "message": str(f.get("message", ""))}
                for f in status.failures
            ]
        return report

    def pull(
        self,
        collection: str,
        out: str | Path,
        *,
        cursor_file: str | Path | None = None,
        per_request: int = 2000,
        types: Sequence[str] = (),
    ) -> PullReport:
        """Append new objects of ``collection`` to ``out`` (JSON Lines), resuming at the cursor."""
        col = self.collection(collection)
        cursor_path = Path(cursor_file) if cursor_file else Path(str(out) + ".cursor.json")
        cursor = read_cursor(cursor_path, col.id)
        out_path = Path(out)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        _cut_unrecorded_tail(out_path, read_cursor_length(cursor_path, col.id, out_path))
        report = PullReport(cursor=cursor)
        headers: dict[str, str] = {}

        def remember(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
            headers.clear()
            headers.update({k.lower(): v for k, v in resp.headers.items()})

        session = col._conn.session  # taxii2-client hides response headers; a hook sees them
        session.hooks["response"].append(remember)
        try:
            with out_path.open("ab") as fh:
                for envelope in self._pages(col, per_request, cursor, types):
                    objs = envelope.get("objects", [])
                    # One write per page: a page is on disk whole or (after a crash) in
                    # a tail the next pull cuts off.
                    fh.write(
                        "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs).encode()
                    )
                    fh.flush()
                    # On disk before the cursor says so, or a power cut could lose a
                    # page that the cursor had already skipped.
                    os.fsync(fh.fileno())
                    for obj in objs:
                        t = str(obj.get("type"))
                        report.by_type[t] = report.by_type.get(t, 0) + 1
                    report.objects += len(objs)
                    report.pages += 1
                    last = headers.get("x-taxii-date-added-last")
                    if last:
                        report.cursor = last
                        write_cursor(cursor_path, col.id, last, out=out_path, length=fh.tell())
        except IntelError as exc:
            raise IntelError(
                f"{exc.message}; the {report.objects:,} objects pulled before it are saved "
                f"in {out_path}, and the next pull resumes after them"
            ) from exc
        finally:
            session.hooks["response"].remove(remember)
        return report

    def _pages(
        self, col: Collection, per_request: int, cursor: str | None, types: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if cursor:
            kwargs["added_after"] = cursor
        if types:
            kwargs["type"] = list(types)
        nxt: str | None = None
        while True:
            try:
                if nxt:
                    env = col.get_objects(limit=per_request, next=nxt, **kwargs)
                else:
                    env = col.get_objects(limit=per_request, **kwargs)
            except (requests.RequestException, AccessError, TAXIIServiceException) as exc:
                raise _explain(exc, f"pulling {col.alias or col.id}", self.url) from exc
            yield env
            if not env.get("more"):
                return
            nxt = env.get("next")
            if not nxt:
                raise IntelError("pulling: the hub said 'more' but gave no 'next' token")


def _cursor_data(path: Path) -> dict[str, Any] | None:
    """The cursor file's object (None: no file yet)."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntelError(f"cursor file is not JSON ({exc})", path=path) from exc
    if not isinstance(data, dict):
        raise IntelError("cursor file must be a JSON object", path=path)
    return data


def read_cursor(path: Path, collection_id: str) -> str | None:
    """The saved ``added_after`` of ``collection_id`` (None: start from the beginning)."""
    data = _cursor_data(path)
    if data is None:
        return None
    value = data.get(collection_id)
    if value is not None and not isinstance(value, str):
        raise IntelError("cursor must be a timestamp string", path=path, field=collection_id)
    return value


#: Key of the cursor file under which, per collection id, the output file and its
#: length after the last recorded page are kept (no collection id can collide with it).
LENGTHS_KEY = "lengths"


def read_cursor_length(path: Path, collection_id: str, out: Path) -> int | None:
    """``out``'s length (bytes) when the cursor of ``collection_id`` was last saved;
    None when unknown or recorded for another output file."""
    data = _cursor_data(path)
    lengths = data.get(LENGTHS_KEY) if data is not None else None
    entry = lengths.get(collection_id) if isinstance(lengths, dict) else None
    if not isinstance(entry, dict) or entry.get("file") != str(out.resolve()):
        return None
    value = entry.get("bytes")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise IntelError(
            "output length must be a non-negative integer",
            path=path,
            field=f"{LENGTHS_KEY}.{collection_id}.bytes",
        )
    return value


def _last_line_end(fh: BinaryIO, size: int, block: int = 1 << 16) -> int:
    """Offset just past the last newline of a file of ``size`` bytes (0: none)."""
    end = size
    while end > 0:
        start = max(0, end - block)
        fh.seek(start)
        found = fh.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


def _cut_unrecorded_tail(out: Path, length: int | None) -> None:
    """Drop what a killed pull wrote past the last page its cursor recorded.

    Without a recorded length (a cursor from an older version, or kept for another
    file), only a last line without its newline is dropped.  A file shorter than the
    recorded length was rotated or edited by its owner: it is left alone.  The bytes
    cut go to ``OUT.cut``: a tail is normally a page the next pull fetches again, but
    it could be lines someone appended by hand, and those must not just vanish.
    """
    if not out.exists():
        return
    size = out.stat().st_size
    with out.open("r+b") as fh:
        if length is None:
            length = _last_line_end(fh, size)
        if size <= length:
            return
        fh.seek(length)
        with atomic_open(out.with_name(out.name + ".cut"), "wb") as kept:
            kept.write(fh.read())
        fh.truncate(length)
        fh.flush()
        os.fsync(fh.fileno())


def write_cursor(
    path: Path,
    collection_id: str,
    added_after: str,
    *,
    out: Path | None = None,
    length: int | None = None,
) -> None:
    """Record the resume point of one collection and, with it, the length of the output
    file ``out`` (atomically; other collections kept)."""
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            data = loaded if isinstance(loaded, dict) else {}
        except (ValueError, UnicodeDecodeError):
            data = {}
    data[collection_id] = added_after
    lengths = data.get(LENGTHS_KEY)
    lengths = dict(lengths) if isinstance(lengths, dict) else {}
    if out is None or length is None:
        lengths.pop(collection_id, None)
    else:
        lengths[collection_id] = {"file": str(out.resolve()), "bytes": length}
    if lengths:
        data[LENGTHS_KEY] = lengths
    else:
        data.pop(LENGTHS_KEY, None)
    with atomic_open(path) as fh:
        fh.write(json.dumps(data, indent=1) + "\n")
