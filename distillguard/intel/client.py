"""Push bundles to the forum hub and pull what peers shared, with ``taxii2-client``.

A pull is resumable: after every page the objects are appended to the output file
(JSON Lines, one STIX object a line) and the cursor file is rewritten with the
page's ``X-TAXII-Date-Added-Last``.  The next pull asks for ``added_after`` that
time, so an interrupted pull loses at most one page and a repeated pull fetches
only what is new.  Within one pull, pages follow the server's ``next`` token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from taxii2client.exceptions import AccessError, TAXIIServiceException, ValidationError
from taxii2client.v21 import ApiRoot, Collection

from distillguard.ingest.quarantine import atomic_open
from distillguard.intel.errors import IntelError


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <api key>`` on every request."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.key}"
        return r


def _explain(exc: Exception, what: str) -> IntelError:
    """The hub's TAXII error message (title, description) as one line."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        resp = exc.response
        try:
            body = resp.json()
            detail = f"{body.get('title', '')}: {body.get('description', '')}".strip(": ")
        except ValueError:
            detail = resp.text[:200]
        return IntelError(f"{what}: hub answered {resp.status_code} ({detail})")
    if isinstance(exc, requests.ConnectionError):
        return IntelError(f"{what}: cannot reach the hub ({exc.__class__.__name__})")
    return IntelError(f"{what}: {exc}")


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

    def __init__(self, api_root: str, api_key: str, *, verify: bool = True) -> None:
        self.url = api_root.rstrip("/") + "/"
        self.auth = BearerAuth(api_key)
        self.verify = verify
        self._root: ApiRoot | None = None

    def _api_root(self) -> ApiRoot:
        if self._root is None:
            self._root = ApiRoot(self.url, auth=self.auth, verify=self.verify)
        return self._root

    def collections(self) -> list[Collection]:
        try:
            return list(self._api_root().collections)
        except (requests.RequestException, TAXIIServiceException, ValidationError) as exc:
            raise _explain(exc, "listing collections") from exc

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
                raise _explain(exc, f"pushing to {collection}") from exc
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
        report = PullReport(cursor=cursor)
        headers: dict[str, str] = {}

        def remember(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
            headers.clear()
            headers.update({k.lower(): v for k, v in resp.headers.items()})

        session = col._conn.session  # taxii2-client hides response headers; a hook sees them
        session.hooks["response"].append(remember)
        out_path = Path(out)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with out_path.open("a", encoding="utf-8") as fh:
                for envelope in self._pages(col, per_request, cursor, types):
                    objs = envelope.get("objects", [])
                    for obj in objs:
                        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
                        t = str(obj.get("type"))
                        report.by_type[t] = report.by_type.get(t, 0) + 1
                    fh.flush()
                    report.objects += len(objs)
                    report.pages += 1
                    last = headers.get("x-taxii-date-added-last")
                    if last:
                        report.cursor = last
                        write_cursor(cursor_path, col.id, last)
        finally:
            session.hooks["response"].remove(remember)
        return report

    @staticmethod
    def _pages(
        col: Collection, per_request: int, cursor: str | None, types: Sequence[str]
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
                raise _explain(exc, "pulling") from exc
            yield env
            if not env.get("more"):
                return
            nxt = env.get("next")
            if not nxt:
                raise IntelError("pulling: the hub said 'more' but gave no 'next' token")


def read_cursor(path: Path, collection_id: str) -> str | None:
    """The saved ``added_after`` of ``collection_id`` (None: start from the beginning)."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntelError(f"cursor file is not JSON ({exc})", path=path) from exc
    if not isinstance(data, dict):
        raise IntelError("cursor file must be a JSON object", path=path)
    value = data.get(collection_id)
    if value is not None and not isinstance(value, str):
        raise IntelError("cursor must be a timestamp string", path=path, field=collection_id)
    return value


def write_cursor(path: Path, collection_id: str, added_after: str) -> None:
    """Record the resume point of one collection (atomically; other collections kept)."""
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            data = loaded if isinstance(loaded, dict) else {}
        except (ValueError, UnicodeDecodeError):
            data = {}
    data[collection_id] = added_after
    with atomic_open(path) as fh:
        fh.write(json.dumps(data, indent=1) + "\n")
