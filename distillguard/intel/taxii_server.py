"""The forum hub: a TAXII 2.1 server on Starlette.

Endpoints (TAXII 2.1, sections 4 and 5), all under ``application/taxii+json;version=2.1``:

- ``GET /taxii2/`` — server discovery;
- ``GET /{api_root}/`` — API root information;
- ``GET /{api_root}/collections/`` and ``/collections/{id}/`` — the collections the
  caller may read or write, with ``can_read``/``can_write``;
- ``GET /{api_root}/collections/{id}/objects/`` — ``added_after``, ``limit``, ``next``,
  ``match[type]``, ``match[id]``, ``match[version]`` (``last`` by default, ``first``,
  ``all`` or a timestamp); an envelope with ``more``/``next`` and the
  ``X-TAXII-Date-Added-First``/``-Last`` headers;
- ``GET /{api_root}/collections/{id}/objects/{object_id}/``, its ``/versions/``, and
  ``/manifest/``; ``DELETE …/objects/{object_id}/`` (the owner only);
- ``POST /{api_root}/collections/{id}/objects/`` — an envelope (or a STIX bundle);
  every object is validated with the ``stix2`` library; the answer is a status
  resource (202) listing successes and failures, each with a message;
- ``GET /{api_root}/status/{id}/`` — that status again (only to whoever posted).

Authentication: ``Authorization: Bearer <api key>`` (or HTTP Basic with the key as
password, which ``taxii2-client``'s ``user``/``password`` send).  Members, keys and
per-collection read/write grants come from a YAML file (:mod:`.hub_config`); a
member may not read a collection it was not granted (403), may not write into one
it may only read (403), and, when its ``identity`` is configured, may not post
objects ``created_by`` anyone else.

Ownership: the member that first adds an object id to a collection owns it; only it
may add versions (a revocation is one) or delete versions.  Another member's version
of the id is listed in the status ``failures`` ("owned by another member"); the rest
of the envelope is stored.  Quotas: a member may keep ``quota_objects`` object
versions and ``quota_bytes`` bytes; an envelope whose new versions would exceed either
is refused whole (413 ``quota exceeded``).  Every refused object's message names the
object (id and version, or its place in the envelope) and the reason.  The routes,
auth, media types and error bodies are described in ``hub_openapi.yaml``.

Storage is one SQLite file (``:memory:`` for tests); an envelope is stored in one
transaction.  An object version — the pair ``(id, modified)`` — is stored once per
collection: posting it again is reported as a success with the message ``duplicate:
already stored`` and changes nothing.
``date_added`` is strictly increasing, so ``added_after`` plus the last value a
client saw is an exact resume point, and ``next`` tokens are the row after which
the next page starts.

Why not medallion (the OASIS reference server): it is Flask/WSGI, its backends
are an in-memory JSON file or MongoDB, and permissions are per user of a whole
server; the hub needs per-member collection grants, size limits, STIX validation
with clear errors and an ASGI app that runs beside the gateway in one event loop
and in tests without a second web framework.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import stix2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from distillguard.intel.hub_config import CollectionConfig, HubConfig, MemberConfig

MEDIA_TYPE: Final = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE: Final = "application/stix+json;version=2.1"

#: Object types accepted (STIX 2.1 SDOs, SROs, SCOs and markings; no nested bundles).
_SDO = (
    "attack-pattern campaign course-of-action grouping identity incident indicator "
    "infrastructure intrusion-set location malware malware-analysis note observed-data "
    "opinion report threat-actor tool vulnerability"
)
_OTHER = "relationship sighting marking-definition language-content"
_SCO = (
    "artifact autonomous-system directory domain-name email-addr email-message file "
    "ipv4-addr ipv6-addr mac-addr mutex network-traffic process software url user-account "
    "windows-registry-key x509-certificate"
)
STIX_TYPES: Final = frozenset(f"{_SDO} {_OTHER} {_SCO}".split())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fmt(t: dt.datetime) -> str:
    """STIX timestamp with microseconds (fixed width, so strings sort as times)."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_ts(s: str) -> dt.datetime | None:
    """``s`` as a UTC time, or None when it is not one this hub can represent."""
    try:
        t = dt.datetime.fromisoformat(s.strip().replace("Z", "+00:00"))
        # An offset can push year 1 or 9999 out of range: found by schemathesis (a 500).
        return t.astimezone(dt.UTC) if t.tzinfo else t.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        return None


class TaxiiError(Exception):
    """An error answered to the client as a TAXII error message."""

    def __init__(self, status: int, title: str, description: str = "") -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.description = description


def taxii_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A response with the TAXII media type (``body`` already JSON text or any JSON value)."""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return Response(text, status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {}))


def error_response(exc: TaxiiError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="taxii"'} if exc.status == 401 else None
    return taxii_response(
        {"title": exc.title, "description": exc.description, "http_status": str(exc.status)},
        exc.status,
        headers,
    )


@dataclass(frozen=True)
class Page:
    """One page of objects."""

    bodies: list[str]
    more: bool
    next: str | None
    first_added: str | None
    last_added: str | None


#: Why a version of another member's object is refused (the status names the object
#: and version around it).  The owner is not named: a member may write to a collection
#: it cannot read, and must not learn from a refusal who shared what there.
OWNED_BY_ANOTHER: Final = (
    "owned by another member: only the member that first added this object id to the "
    "collection may add versions of it or revoke it"
)
#: Objects stored before the hub recorded owners, whose first writer is not known.
OWNER_UNKNOWN: Final = (
    "owner unknown (stored before the hub recorded who added objects): nobody may add "
    "versions of it until the hub's operator assigns an owner"
)


@dataclass(frozen=True)
class Outcome:
    """What the store did with one posted object version."""

    id: str
    version: str
    #: A new version was stored (False: already there, or refused).
    added: bool
    #: Why it was refused; None when it was stored or was already there.
    refused: str | None = None


class QuotaExceededError(Exception):
    """Storing an envelope would take a member over one of its quotas; nothing was stored."""

    def __init__(self, member: str, what: str, limit: int, stored: int, adding: int) -> None:
        self.member = member
        self.what = what
        self.limit = limit
        self.stored = stored
        self.adding = adding
        super().__init__(
            f"{member} has {stored:,} {what} stored; this request would add {adding:,} "
            f"(total {stored + adding:,}) and its quota is {limit:,} {what}"
        )


class ObjectStore:
    """Objects per collection in SQLite; one lock serialises every access.

    ``owners`` records, per collection and object id, the member that first added
    the id; only it may add versions (or delete them).  The row outlives the object's
    versions, so retracting an object does not free its id for another member to
    reuse under the same name.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS objects (
                   seq INTEGER PRIMARY KEY AUTOINCREMENT,
                   collection TEXT NOT NULL, id TEXT NOT NULL, version TEXT NOT NULL,
                   type TEXT NOT NULL, date_added TEXT NOT NULL, body TEXT NOT NULL,
                   UNIQUE (collection, id, version))"""
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS objects_id ON objects (collection, id)")
        cols = {r[1] for r in self._db.execute("PRAGMA table_info(objects)")}
        if "member" not in cols:  # stores written before deletes existed: owner unknown
            self._db.execute("ALTER TABLE objects ADD COLUMN member TEXT")
        if "size" not in cols:  # stores written before quotas: measure what is there
            self._db.execute("ALTER TABLE objects ADD COLUMN size INTEGER")
            self._db.execute("UPDATE objects SET size = length(CAST(body AS BLOB))")
        # Covers the quota query: a member's count and bytes without reading bodies.
        self._db.execute("CREATE INDEX IF NOT EXISTS objects_member ON objects (member, size)")
        has_owners = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'owners'"
        ).fetchone()
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS owners (
                   collection TEXT NOT NULL, id TEXT NOT NULL, member TEXT,
                   PRIMARY KEY (collection, id))"""
        )
        if not has_owners:
            # A store from before ownership: the owner is whoever added the oldest stored
            # row of the id.  That row's member is NULL in stores from before deletes;
            # NULL stays "unknown", and nobody may add versions of such an object.  The
            # alternative, letting the first new writer claim it, would hand any legacy
            # object to whichever member posts its (readable) id first: exactly the
            # rewrite this table exists to stop.  An operator assigns real owners with
            # assign_owner().
            self._db.execute(
                """INSERT OR IGNORE INTO owners (collection, id, member)
                   SELECT o.collection, o.id, o.member FROM objects o
                   WHERE o.seq = (SELECT min(p.seq) FROM objects p
                                  WHERE p.collection = o.collection AND p.id = o.id)"""
            )
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS statuses (
                   id TEXT PRIMARY KEY, member TEXT NOT NULL, body TEXT NOT NULL)"""
        )
        row = self._db.execute("SELECT max(date_added) FROM objects").fetchone()
        self._last_added: str = row[0] or ""

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _next_added(self) -> str:
        # Strictly increasing, even when the clock repeats or steps back.
        t = _fmt(_now())
        if t <= self._last_added:
            last = _parse_ts(self._last_added)
            assert last is not None  # written by _fmt
            t = _fmt(last + dt.timedelta(microseconds=1))
        self._last_added = t
        return t

    def _owner(self, collection: str, oid: str) -> tuple[bool, str | None]:
        """``(known, member)``: whether the id has an owner row, and who it names."""
        row = self._db.execute(
            "SELECT member FROM owners WHERE collection = ? AND id = ?", (collection, oid)
        ).fetchone()
        return (False, None) if row is None else (True, row[0])

    def owner(self, collection: str, oid: str) -> tuple[bool, str | None]:
        """``(known, member)`` of one object id: ``(False, None)`` if it was never added,
        ``(True, None)`` if it was added before the hub recorded owners."""
        with self._lock:
            return self._owner(collection, oid)

    def assign_owner(self, collection: str, oid: str, member: str) -> None:
        """Set the owner of an object id (an operator's repair of a legacy store)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO owners (collection, id, member) VALUES (?, ?, ?)",
                (collection, oid, member),
            )

    def usage(self, member: str) -> tuple[int, int]:
        """``(object versions, bytes)`` ``member`` has stored, over all collections."""
        with self._lock:
            return self._usage(member)

    def _usage(self, member: str) -> tuple[int, int]:
        row = self._db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM objects WHERE member = ?", (member,)
        ).fetchone()
        return int(row[0]), int(row[1])

    def add(
        self,
        collection: str,
        objs: Sequence[tuple[str, str, str, str]],
        member: str,
        *,
        quota: tuple[int, int] | None = None,
    ) -> list[Outcome]:
        """Store ``(id, version, type, body)`` rows posted by ``member``, all or nothing.

        A new id is claimed by ``member``; a new version of an id someone else owns is
        refused (an identical copy of a stored version is reported as already there: it
        changes nothing, and shared reference objects such as TLP markings arrive in
        every member's bundles).  ``quota`` is ``(objects, bytes)``: if the new versions
        would take ``member`` over either, :class:`QuotaExceededError` is raised and nothing
        is stored.
        """
        out: list[Outcome] = []
        with self._lock:
            # IMMEDIATE: the quota read and the inserts see one state, even with a
            # second process writing the same file.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                owners: dict[str, tuple[bool, str | None]] = {}
                pending: set[tuple[str, str]] = set()
                claims: list[str] = []
                new_rows: list[tuple[str, str, str, str]] = []
                for oid, version, typ, body in objs:
                    if oid not in owners:
                        owners[oid] = self._owner(collection, oid)
                    known, owner = owners[oid]
                    if (oid, version) in pending:
                        out.append(Outcome(oid, version, added=False))
                        continue
                    if not known:
                        owners[oid] = (True, member)
                        claims.append(oid)
                    elif owner != member:
                        stored = self._db.execute(
                            "SELECT body FROM objects WHERE collection = ? AND id = ? "
                            "AND version = ?",
                            (collection, oid, version),
                        ).fetchone()
                        if stored is not None and stored[0] == body:
                            out.append(Outcome(oid, version, added=False))
                        else:
                            reason = OWNER_UNKNOWN if owner is None else OWNED_BY_ANOTHER
                            out.append(Outcome(oid, version, added=False, refused=reason))
                        continue
                    elif self._db.execute(
                        "SELECT 1 FROM objects WHERE collection = ? AND id = ? AND version = ?",
                        (collection, oid, version),
                    ).fetchone():
                        out.append(Outcome(oid, version, added=False))
                        continue
                    pending.add((oid, version))
                    new_rows.append((oid, version, typ, body))
                    out.append(Outcome(oid, version, added=True))
                if quota is not None and new_rows:
                    self._check_quota(member, quota, new_rows)
                self._db.executemany(
                    "INSERT INTO owners (collection, id, member) VALUES (?, ?, ?)",
                    [(collection, oid, member) for oid in claims],
                )
                self._db.executemany(
                    """INSERT INTO objects
                       (collection, id, version, type, date_added, body, member, size)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    [
                        (collection, oid, version, typ, self._next_added(), body, member,
                         len(body.encode()))
                        for oid, version, typ, body in new_rows
                    ],
                )  # fmt: skip
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return out

    def _check_quota(
        self, member: str, quota: tuple[int, int], rows: Sequence[tuple[str, str, str, str]]
    ) -> None:
        max_objects, max_bytes = quota
        stored_objects, stored_bytes = self._usage(member)
        if stored_objects + len(rows) > max_objects:
            raise QuotaExceededError(member, "objects", max_objects, stored_objects, len(rows))
        adding = sum(len(body.encode()) for *_, body in rows)
        if stored_bytes + adding > max_bytes:
            raise QuotaExceededError(member, "bytes", max_bytes, stored_bytes, adding)

    def page(
        self,
        collection: str,
        *,
        added_after: str | None,
        after_seq: int,
        limit: int,
        types: Sequence[str] = (),
        ids: Sequence[str] = (),
        version: str = "last",
    ) -> Page:
        where = ["o.collection = ?", "o.seq > ?"]
        params: list[Any] = [collection, after_seq]
        if added_after:
            where.append("o.date_added > ?")
            params.append(added_after)
        if types:
            where.append(f"o.type IN ({','.join('?' * len(types))})")
            params += list(types)
        if ids:
            where.append(f"o.id IN ({','.join('?' * len(ids))})")
            params += list(ids)
        versions = [v.strip() for v in version.split(",") if v.strip()] or ["last"]
        if "all" not in versions:
            alts = []
            for v in versions:
                if v == "last":
                    alts.append(
                        "o.version = (SELECT max(version) FROM objects p "
                        "WHERE p.collection = o.collection AND p.id = o.id)"
                    )
                elif v == "first":
                    alts.append(
                        "o.version = (SELECT min(version) FROM objects p "
                        "WHERE p.collection = o.collection AND p.id = o.id)"
                    )
                else:
                    alts.append("o.version = ?")
                    params.append(v)
            where.append("(" + " OR ".join(alts) + ")")
        sql = (
            f"SELECT o.seq, o.date_added, o.body FROM objects o WHERE {' AND '.join(where)} "
            "ORDER BY o.seq LIMIT ?"
        )
        params.append(limit + 1)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(
            bodies=[r[2] for r in rows],
            more=more,
            next=_encode_next(rows[-1][0]) if more and rows else None,
            first_added=rows[0][1] if rows else None,
            last_added=rows[-1][1] if rows else None,
        )

    def versions(self, collection: str, oid: str) -> list[tuple[str, str | None]]:
        """``(version, member who added it)`` of every stored version, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT version, member FROM objects WHERE collection = ? AND id = ? "
                "ORDER BY version",
                (collection, oid),
            ).fetchall()
        return [(str(r[0]), r[1]) for r in rows]

    def delete(self, collection: str, oid: str, versions: Sequence[str]) -> int:
        """Delete these versions of one object; how many rows went."""
        with self._lock:
            cur = self._db.execute(
                f"DELETE FROM objects WHERE collection = ? AND id = ? "
                f"AND version IN ({','.join('?' * len(versions))})",
                (collection, oid, *versions),
            )
        return int(cur.rowcount)

    def manifest(self, collection: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                """SELECT id, date_added, version FROM objects WHERE collection = ?
                   ORDER BY seq LIMIT ?""",
                (collection, limit),
            ).fetchall()
        return [
            {"id": r[0], "date_added": r[1], "version": r[2], "media_type": STIX_MEDIA_TYPE}
            for r in rows
        ]

    def save_status(self, sid: str, member: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO statuses VALUES (?, ?, ?)", (sid, member, json.dumps(body))
            )

    def status(self, sid: str) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT member, body FROM statuses WHERE id = ?", (sid,)
            ).fetchone()
        return None if row is None else (str(row[0]), json.loads(row[1]))


def _encode_next(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _decode_next(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "seq":
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise TaxiiError(
            400, "invalid 'next' token", "pass back the 'next' of the last page"
        ) from exc


def _failure(index: int, obj: Any, reason: str, version: str | None = None) -> dict[str, str]:
    """A status ``failures`` entry whose message names the object and the reason.

    The object is named by id and version when it has them, else by its place in the
    envelope, so a member with thousands of objects in one post finds the one refused.
    """
    oid = obj.get("id") if isinstance(obj, dict) else None
    if version is None and isinstance(obj, dict):
        v = obj.get("modified") or obj.get("created")
        version = v if isinstance(v, str) else None
    if isinstance(oid, str) and oid:
        name = f"{oid} version {version}" if version else oid
        item = {"id": oid, "message": f"{name}: {reason}"}
        if version:
            item["version"] = version
        return item
    return {"id": "", "message": f"objects[{index}] (no id): {reason}"}


def validate_object(obj: Any) -> tuple[str, str, str] | str:
    """``(id, version, type)`` of a valid STIX 2.1 object, else the reason it is refused."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    typ, oid = obj.get("type"), obj.get("id")
    if not isinstance(typ, str) or not isinstance(oid, str):
        return "missing 'type' or 'id'"
    if typ == "bundle":
        return "bundles cannot be nested: post the bundle's objects"
    if typ not in STIX_TYPES and not typ.startswith("x-"):
        return f"type {typ!r} is not a STIX 2.1 object type"
    if not oid.startswith(typ + "--"):
        return f"id {oid!r} does not match type {typ!r}"
    if obj.get("spec_version") != "2.1":
        return "spec_version must be '2.1' (this hub takes STIX 2.1 only)"
    try:
        stix2.parse(obj, allow_custom=True, version="2.1")
    except (stix2.exceptions.STIXError, ValueError, TypeError, KeyError) as exc:
        return f"invalid STIX: {exc}"
    version = obj.get("modified") or obj.get("created") or ""
    return oid, str(version), typ


#: Most comma-separated values in one ``match[...]`` filter.  Each is an SQL parameter
#: and SQLite refuses a statement with more than 32,766; today uvicorn's 64 KiB request
#: line stops such a URL first, but the hub should not rely on its server for that.
MAX_MATCH_VALUES: Final = 1000


def _match(request: Request, field: str) -> list[str]:
    """The values of ``match[field]`` (empty: no filter); 400 when it is given but holds
    none (an empty filter read as "no filter" would make a DELETE erase every version)
    or holds too many."""
    name = f"match[{field}]"
    if name not in request.query_params:
        return []
    values = [v.strip(" ") for v in request.query_params[name].split(",")]
    values = [v for v in values if v]
    if not values:
        raise TaxiiError(400, f"empty '{name}'", "omit it, or give comma-separated values")
    if len(values) > MAX_MATCH_VALUES:
        raise TaxiiError(
            400, f"too many values in 'match[{field}]'", f"at most {MAX_MATCH_VALUES:,}"
        )
    return values


class Hub:
    """Request handling for one hub configuration and store."""

    def __init__(self, config: HubConfig, store: ObjectStore) -> None:
        self.cfg = config
        self.store = store
        self.root = config.api_root

    # ------------------------------------------------------------- helpers
    def _member(self, request: Request) -> MemberConfig:
        header = request.headers.get("authorization", "")
        scheme, _, cred = header.partition(" ")
        key: str | None = None
        if scheme.lower() == "bearer":
            key = cred.strip()
        elif scheme.lower() == "basic":
            try:
                _, _, key = base64.b64decode(cred.strip()).decode().partition(":")
            except (ValueError, binascii.Error, UnicodeDecodeError):
                key = None
        if not key:
            raise TaxiiError(401, "authentication required", "send 'Authorization: Bearer <key>'")
        member = self.cfg.member_for_key(key)
        if member is None:
            raise TaxiiError(401, "unknown API key")
        return member

    def _accept(self, request: Request) -> None:
        accept = request.headers.get("accept", "*/*").replace(" ", "").lower()
        ok = ("application/taxii+json" in accept and "version=2.0" not in accept) or (
            "*/*" in accept or "application/*" in accept
        )
        if not ok:
            raise TaxiiError(406, "not acceptable", f"this server answers {MEDIA_TYPE}")

    def _collection(self, request: Request, member: MemberConfig) -> CollectionConfig:
        if request.path_params.get("api_root") != self.root:
            raise TaxiiError(404, "no such API root")
        c = self.cfg.collection(request.path_params["cid"])
        if c is None:
            raise TaxiiError(404, "no such collection")
        if c.alias not in member.read and c.alias not in member.write:
            raise TaxiiError(403, "forbidden", f"{member.name} has no access to {c.alias}")
        return c

    def _collection_info(self, c: CollectionConfig, member: MemberConfig) -> dict[str, Any]:
        return {
            "id": c.collection_id,
            "title": c.title,
            "description": c.description,
            "alias": c.alias,
            "can_read": c.alias in member.read,
            "can_write": c.alias in member.write,
            "media_types": [STIX_MEDIA_TYPE],
        }

    # ------------------------------------------------------------- endpoints
    async def discovery(self, request: Request) -> Response:
        self._member(request)
        self._accept(request)
        base = str(request.base_url).rstrip("/")
        return taxii_response(
            {
                "title": self.cfg.title,
                "description": self.cfg.description,
                "default": f"{base}/{self.root}/",
                "api_roots": [f"{base}/{self.root}/"],
            }
        )

    async def api_root(self, request: Request) -> Response:
        self._member(request)
        self._accept(request)
        if request.path_params["api_root"] != self.root:
            raise TaxiiError(404, "no such API root")
        return taxii_response(
            {
                "title": self.cfg.title,
                "description": self.cfg.description,
                "versions": [MEDIA_TYPE],
                "max_content_length": self.cfg.max_content_length,
            }
        )

    async def collections(self, request: Request) -> Response:
        member = self._member(request)
        self._accept(request)
        if request.path_params["api_root"] != self.root:
            raise TaxiiError(404, "no such API root")
        visible = [
            self._collection_info(c, member)
            for c in self.cfg.collections
            if c.alias in member.read or c.alias in member.write
        ]
        return taxii_response({"collections": visible})

    async def collection(self, request: Request) -> Response:
        member = self._member(request)
        self._accept(request)
        return taxii_response(self._collection_info(self._collection(request, member), member))

    def _readable(self, request: Request) -> CollectionConfig:
        member = self._member(request)
        self._accept(request)
        c = self._collection(request, member)
        if c.alias not in member.read:
            raise TaxiiError(403, "forbidden", f"{member.name} may not read {c.alias}")
        return c

    def _limit(self, request: Request) -> int:
        raw = request.query_params.get("limit")
        if raw is None:
            return self.cfg.page_size
        try:
            n = int(raw)
        except ValueError as exc:
            raise TaxiiError(400, "invalid 'limit'", "must be a positive integer") from exc
        if n < 1:
            raise TaxiiError(400, "invalid 'limit'", "must be a positive integer")
        return min(n, self.cfg.page_size)

    async def get_objects(self, request: Request) -> Response:
        c = self._readable(request)
        q = request.query_params
        added_after = q.get("added_after")
        if added_after is not None:
            t = _parse_ts(added_after)
            if t is None:
                raise TaxiiError(400, "invalid 'added_after'", "must be an RFC 3339 timestamp")
            added_after = _fmt(t)
        after_seq = _decode_next(q["next"]) if q.get("next") else 0

        page = self.store.page(
            c.collection_id,
            added_after=added_after,
            after_seq=after_seq,
            limit=self._limit(request),
            types=_match(request, "type"),
            ids=_match(request, "id"),
            version=",".join(_match(request, "version")),
        )
        return self._envelope(page, request.path_params.get("oid"))

    async def get_object(self, request: Request) -> Response:
        c = self._readable(request)
        oid = request.path_params["oid"]
        page = self.store.page(
            c.collection_id,
            added_after=None,
            after_seq=0,
            limit=self._limit(request),
            ids=[oid],
            version=",".join(_match(request, "version")),
        )
        if not page.bodies:
            raise TaxiiError(404, "no such object", oid)
        return self._envelope(page, oid)

    def _envelope(self, page: Page, _oid: str | None) -> Response:
        head = {"more": page.more}
        if page.next:
            head["next"] = page.next  # type: ignore[assignment]
        # Stored bodies are JSON already: splice them instead of re-encoding 10,000 objects.
        text = json.dumps(head)[:-1] + ', "objects": [' + ",".join(page.bodies) + "]}"
        headers = {}
        if page.first_added:
            headers["X-TAXII-Date-Added-First"] = page.first_added
            headers["X-TAXII-Date-Added-Last"] = page.last_added or page.first_added
        return taxii_response(text if page.bodies else {"more": False}, headers=headers)

    async def manifest(self, request: Request) -> Response:
        c = self._readable(request)
        return taxii_response(
            {"objects": self.store.manifest(c.collection_id, self._limit(request))}
        )

    async def add_objects(self, request: Request) -> Response:
        member = self._member(request)
        c = self._collection(request, member)
        if c.alias not in member.write:
            raise TaxiiError(403, "forbidden", f"{member.name} may not write to {c.alias}")
        ctype = request.headers.get("content-type", "").replace(" ", "").lower()
        if not ctype.startswith("application/taxii+json") or "version=2.0" in ctype:
            raise TaxiiError(415, "unsupported media type", f"post {MEDIA_TYPE}")
        declared = request.headers.get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.cfg.max_content_length
        ):
            raise TaxiiError(
                413, "request too large", f"at most {self.cfg.max_content_length:,} bytes"
            )
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.cfg.max_content_length:
                raise TaxiiError(
                    413, "request too large", f"at most {self.cfg.max_content_length:,} bytes"
                )
        try:
            data = json.loads(bytes(body))
        except (ValueError, RecursionError) as exc:
            raise TaxiiError(400, "the body is not JSON", str(exc)[:200]) from exc
        if not isinstance(data, dict) or not isinstance(data.get("objects"), list):
            raise TaxiiError(400, "not an envelope", 'expected {"objects": [...]}')
        objs = data["objects"]
        if len(objs) > self.cfg.max_objects:
            raise TaxiiError(
                413, "too many objects", f"at most {self.cfg.max_objects:,} objects per request"
            )
        t0 = _fmt(_now())
        rows: list[tuple[str, str, str, str]] = []
        failures: list[dict[str, str]] = []
        for i, obj in enumerate(objs):
            checked = validate_object(obj)
            if isinstance(checked, str):
                failures.append(_failure(i, obj, checked))
                continue
            oid, version, typ = checked
            creator = obj.get("created_by_ref")
            if member.identity is not None and creator is not None and creator != member.identity:
                reason = f"created_by_ref {creator} is not {member.name}'s identity"
                failures.append(_failure(i, obj, reason, version))
                continue
            rows.append((oid, version, typ, json.dumps(obj, ensure_ascii=False, sort_keys=True)))
        try:
            outcomes = self.store.add(
                c.collection_id, rows, member.name, quota=self.cfg.quota(member)
            )
        except QuotaExceededError as exc:
            # The whole envelope, not the objects past the limit: which objects would
            # fit depends on their order, and a member retrying a partly stored
            # envelope could not tell what is missing.
            raise TaxiiError(
                413,
                "quota exceeded",
                f"nothing was stored: {exc}; delete objects or ask "
                "the hub's operator for a larger quota",
            ) from exc
        successes = []
        for o in outcomes:
            if o.refused is not None:
                failures.append(
                    {"id": o.id, "version": o.version,
                     "message": f"{o.id} version {o.version}: {o.refused}"}
                )  # fmt: skip
                continue
            item = {"id": o.id, "version": o.version}
            if not o.added:
                item["message"] = "duplicate: already stored"
            successes.append(item)
        sid = str(uuid.uuid4())
        status = {
            "id": sid,
            "status": "complete",
            "request_timestamp": t0,
            "total_count": len(objs),
            "success_count": len(successes),
            "successes": successes,
            "failure_count": len(failures),
            "failures": failures,
            "pending_count": 0,
            "pendings": [],
        }
        self.store.save_status(sid, member.name, status)
        return taxii_response(status, 202)

    def _selected_versions(
        self, request: Request, c: CollectionConfig
    ) -> list[tuple[str, str | None]]:
        """``(version, member who added it)`` of the path's object that ``match[version]``
        selects, oldest first (404: none)."""
        oid = request.path_params["oid"]
        added = self.store.versions(c.collection_id, oid)
        stored = [v for v, _ in added]
        if not stored:
            raise TaxiiError(404, "no such object", oid)
        wanted = _match(request, "version") or ["all"]
        if "all" in wanted:
            return added
        chosen = {stored[-1] for w in wanted if w == "last"} | {
            stored[0] for w in wanted if w == "first"
        }
        chosen |= {w for w in wanted if w in stored}
        if not chosen:
            raise TaxiiError(404, "no such version", f"{oid} has {', '.join(stored)}")
        return [(v, m) for v, m in added if v in chosen]

    async def object_versions(self, request: Request) -> Response:
        """``GET …/objects/{id}/versions/`` (TAXII 2.1, 5.8)."""
        c = self._readable(request)
        versions = [v for v, _ in self._selected_versions(request, c)]
        return taxii_response({"more": False, "versions": versions})

    async def delete_object(self, request: Request) -> Response:
        """``DELETE …/objects/{id}/`` (TAXII 2.1, 5.7): a member retracts what it shared.

        Needs write access to the collection, and only the object's owner (the member
        that first added its id) may delete it: one member cannot erase another's
        intelligence.
        """
        member = self._member(request)
        self._accept(request)
        c = self._collection(request, member)
        if c.alias not in member.write:
            raise TaxiiError(403, "forbidden", f"{member.name} may not write to {c.alias}")
        if c.alias not in member.read:
            raise TaxiiError(403, "forbidden", f"{member.name} may not read {c.alias}")
        oid = request.path_params["oid"]
        selected = self._selected_versions(request, c)
        _, owner = self.store.owner(c.collection_id, oid)
        if owner is not None and owner != member.name:
            raise TaxiiError(
                403, "forbidden", f"{oid}: owned by another member: only its owner may delete it"
            )
        if owner is None:
            # Owner unknown (a legacy store): a member may still retract what it added.
            others = [v for v, m in selected if m != member.name]
            if others:
                raise TaxiiError(
                    403, "forbidden",
                    f"{oid} version {others[0]}: not added by {member.name}, and the object's "
                    "owner is unknown (stored before the hub recorded owners)",
                )  # fmt: skip
        # The owner may delete every version, including any another member added before
        # the hub enforced ownership (a rewrite of its intelligence).
        self.store.delete(c.collection_id, oid, [v for v, _ in selected])
        return taxii_response({}, 200)

    async def status(self, request: Request) -> Response:
        member = self._member(request)
        self._accept(request)
        if request.path_params["api_root"] != self.root:
            raise TaxiiError(404, "no such API root")
        found = self.store.status(request.path_params["sid"])
        if found is None or found[0] != member.name:
            raise TaxiiError(404, "no such status")
        return taxii_response(found[1])


def _lifespan(hub: Hub) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            hub.store.close()

    return lifespan


def create_hub_app(config: HubConfig, store: ObjectStore | None = None) -> Starlette:
    """The hub as a Starlette app (run it with uvicorn)."""
    hub = Hub(config, store or ObjectStore())

    def wrap(handlers: Mapping[str, Any]) -> Any:
        async def endpoint(request: Request) -> Response:
            # One route per path, so a 405 lists every method of the path in `Allow`
            # (two routes on one path answered `Allow: GET, HEAD` for the path that also
            # takes POST: found by schemathesis).
            fn = handlers["GET" if request.method == "HEAD" else request.method]
            try:
                return await fn(request)  # type: ignore[no-any-return]
            except TaxiiError as exc:
                return error_response(exc)

        return endpoint

    r = "/{api_root}"
    c = r + "/collections/{cid}"
    routes = {
        "/taxii2/": {"GET": hub.discovery},
        r + "/": {"GET": hub.api_root},
        r + "/collections/": {"GET": hub.collections},
        c + "/": {"GET": hub.collection},
        c + "/objects/": {"GET": hub.get_objects, "POST": hub.add_objects},
        c + "/objects/{oid}/": {"GET": hub.get_object, "DELETE": hub.delete_object},
        c + "/objects/{oid}/versions/": {"GET": hub.object_versions},
        c + "/manifest/": {"GET": hub.manifest},
        r + "/status/{sid}/": {"GET": hub.status},
    }
    app = Starlette(
        routes=[Route(path, wrap(h), methods=list(h)) for path, h in routes.items()],
        lifespan=_lifespan(hub),
    )
    app.state.hub = hub
    return app


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a background thread; yields its base URL."""
    import time

    import uvicorn

    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on {host}:{port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
