"""Ownership and quotas of the forum hub, over real HTTP on loopback.

The member that first adds an object id to a collection owns it: only it may add
versions (a revocation is one), and only it may delete them.  Each member may keep
a bounded number of object versions and bytes.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from distillguard.intel.client import HubClient
from distillguard.intel.errors import IntelError
from distillguard.intel.hashing import KeyRing
from distillguard.intel.hub_config import load_hub_config, load_hub_config_text
from distillguard.intel.taxii_server import (
    MEDIA_TYPE,
    OWNED_BY_ANOTHER,
    OWNER_UNKNOWN,
    ObjectStore,
    create_hub_app,
    serve_in_thread,
)
from tests.intel.conftest import KEYS
from tests.intel.test_taxii import indicators, raw

LATER = "2030-01-01T00:00:00.000Z"


def post(hub: str, member: str, objs: list[Any], collection: str = "tlp-amber") -> Any:
    r = raw(hub, "POST", f"collections/{collection}/objects/", KEYS[member],
            headers={"Content-Type": MEDIA_TYPE}, data=json.dumps({"objects": objs}))  # fmt: skip
    assert r.status_code == 202, r.text
    return r.json()


def get(hub: str, member: str, path: str) -> Any:
    r = raw(hub, "GET", path, KEYS[member])
    assert r.status_code == 200, r.text
    return r.json()


def test_another_member_cannot_add_a_version_or_revoke(hub: str, ring: KeyRing) -> None:
    ident, ind = indicators(1, ring)
    assert post(hub, "A", [ident, ind])["success_count"] == 2
    rewritten = {**ind, "modified": LATER, "pattern": "[ipv4-addr:value = '192.0.2.1']"}
    revoked = {**ind, "modified": "2031-01-01T00:00:00.000Z", "revoked": True}
    _, own = indicators(1, ring, start=7)  # B's own object in the same envelope
    status = post(hub, "B", [rewritten, revoked, own])
    # Partial success: B's own object is stored, the two versions of A's are refused.
    assert (status["success_count"], status["failure_count"]) == (1, 2)
    assert status["successes"] == [{"id": own["id"], "version": own["modified"]}]
    assert status["failures"] == [
        {"id": ind["id"], "version": v, "message": f"{ind['id']} version {v}: {OWNED_BY_ANOTHER}"}
        for v in (LATER, revoked["modified"])
    ]
    assert "owned by another member" in OWNED_BY_ANOTHER
    # Everyone's default read still returns A's version, and only it is stored.
    for member in ("A", "B", "C"):
        env = get(hub, member, f"collections/tlp-amber/objects/{ind['id']}/")
        assert env["objects"] == [ind]
        whole = get(hub, member, "collections/tlp-amber/objects/")["objects"]
        assert [o for o in whole if o["id"] == ind["id"]] == [ind]
    versions = get(hub, "A", f"collections/tlp-amber/objects/{ind['id']}/versions/")
    assert versions["versions"] == [ind["modified"]]
    # An identical copy of A's stored version changes nothing: a duplicate, not a refusal
    # (shared reference objects such as TLP markings come in every member's bundle).
    again = post(hub, "B", [ind])
    assert again["successes"] == [
        {"id": ind["id"], "version": ind["modified"], "message": "duplicate: already stored"}
    ]


def test_owner_still_adds_versions_revokes_and_deletes(hub: str, ring: KeyRing) -> None:
    ident, ind = indicators(1, ring)
    post(hub, "A", [ident, ind])
    post(hub, "B", [{**ind, "modified": LATER, "revoked": True}])  # refused
    newer = {**ind, "modified": "2029-01-01T00:00:00.000Z", "confidence": 90}
    assert post(hub, "A", [newer])["success_count"] == 1
    assert get(hub, "C", f"collections/tlp-amber/objects/{ind['id']}/")["objects"] == [newer]
    revoked = {**newer, "modified": LATER, "revoked": True}
    assert post(hub, "A", [revoked])["success_count"] == 1
    assert get(hub, "C", f"collections/tlp-amber/objects/{ind['id']}/")["objects"] == [revoked]
    # B may not delete it; A deletes every version.
    path = f"collections/tlp-amber/objects/{ind['id']}/"
    r = raw(hub, "DELETE", path, KEYS["B"])
    assert r.status_code == 403
    assert r.json()["description"] == (
        f"{ind['id']}: owned by another member: only its owner may delete it"
    )
    assert raw(hub, "DELETE", path, KEYS["A"]).status_code == 200
    assert raw(hub, "GET", path, KEYS["A"]).status_code == 404
    # Retracting does not free the id for another member to reuse under A's name.
    status = post(hub, "B", [{**ind, "modified": "2032-01-01T00:00:00.000Z"}])
    assert status["failure_count"] == 1
    assert OWNED_BY_ANOTHER in status["failures"][0]["message"]
    assert post(hub, "A", [ind])["success_count"] == 1


def test_ownership_is_per_collection(hub: str, ring: KeyRing) -> None:
    _, ind = indicators(1, ring)
    post(hub, "A", [ind], "tlp-amber")
    assert post(hub, "B", [{**ind, "modified": LATER}], "tlp-red")["success_count"] == 1
    assert post(hub, "B", [{**ind, "modified": LATER}], "tlp-amber")["failure_count"] == 1


def test_first_writer_in_one_envelope_owns_later_versions(hub: str, ring: KeyRing) -> None:
    _, ind = indicators(1, ring)
    status = post(hub, "B", [ind, {**ind, "modified": LATER}, ind])
    assert status["success_count"] == 3
    assert status["successes"][2]["message"] == "duplicate: already stored"
    assert post(hub, "A", [{**ind, "modified": "2031-01-01T00:00:00.000Z"}])["failure_count"] == 1


# --------------------------------------------------------------- legacy stores

#: The objects table as the hub wrote it before it recorded who added a version.
OLD_SCHEMA = """CREATE TABLE objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL, id TEXT NOT NULL, version TEXT NOT NULL,
    type TEXT NOT NULL, date_added TEXT NOT NULL, body TEXT NOT NULL,
    UNIQUE (collection, id, version))"""


def legacy_store(path: Path, rows: list[tuple[dict[str, Any], str | None]], cid: str) -> None:
    db = sqlite3.connect(path)
    db.execute(OLD_SCHEMA)
    if any(member is not None for _, member in rows):
        db.execute("ALTER TABLE objects ADD COLUMN member TEXT")
    for i, (obj, member) in enumerate(rows):
        values = [cid, obj["id"], obj["modified"], obj["type"], f"2026-01-01T00:00:0{i}.000000Z",
                  json.dumps(obj, sort_keys=True)]  # fmt: skip
        cols = "collection, id, version, type, date_added, body"
        if member is not None:
            values.append(member)
            cols += ", member"
        db.execute(f"INSERT INTO objects ({cols}) VALUES ({','.join('?' * len(values))})", values)
    db.commit()
    db.close()


@pytest.fixture
def amber_id() -> str:
    from tests.intel.conftest import HUB_YAML

    c = load_hub_config_text(HUB_YAML).collection("tlp-amber")
    assert c is not None
    return c.collection_id


@contextlib.contextmanager
def hub_on(path: Path, yaml_text: str | None = None) -> Iterator[str]:
    from tests.intel.conftest import HUB_YAML

    cfg = load_hub_config_text(yaml_text or HUB_YAML, "test-hub.yaml")
    with serve_in_thread(create_hub_app(cfg, ObjectStore(path))) as url:
        yield f"{url}/{cfg.api_root}/"


def test_legacy_objects_without_owner_are_frozen(
    tmp_path: Path, ring: KeyRing, amber_id: str
) -> None:
    _, ind = indicators(1, ring)
    db = tmp_path / "old.sqlite"
    legacy_store(db, [(ind, None)], amber_id)
    with hub_on(db) as hub:
        # Nobody may add versions: the first writer would otherwise claim any legacy id.
        for member in ("A", "B"):
            status = post(hub, member, [{**ind, "modified": LATER}])
            assert status["failures"] == [{
                "id": ind["id"], "version": LATER,
                "message": f"{ind['id']} version {LATER}: {OWNER_UNKNOWN}",
            }]  # fmt: skip
        # An identical copy is still only a duplicate, and nobody may delete it.
        assert post(hub, "B", [ind])["successes"][0]["message"] == "duplicate: already stored"
        r = raw(hub, "DELETE", f"collections/tlp-amber/objects/{ind['id']}/", KEYS["A"])
        assert r.status_code == 403
        assert "owner is unknown" in r.json()["description"]
        assert get(hub, "C", f"collections/tlp-amber/objects/{ind['id']}/")["objects"] == [ind]
    # The operator assigns the owner; from then on the owner's rules hold.
    store = ObjectStore(db)
    assert store.owner(amber_id, ind["id"]) == (True, None)
    store.assign_owner(amber_id, ind["id"], "provider-A")
    store.close()
    with hub_on(db) as hub:
        assert post(hub, "A", [{**ind, "modified": LATER}])["success_count"] == 1
        assert post(hub, "B", [{**ind, "modified": "2031-01-01T00:00:00.000Z"}])["failure_count"]


def test_legacy_rewrite_is_undone_by_the_owner(
    tmp_path: Path, ring: KeyRing, amber_id: str
) -> None:
    """A store written after deletes but before ownership, where B already rewrote A's
    object: the first writer owns it, and may delete B's version."""
    _, ind = indicators(1, ring)
    hijack = {**ind, "modified": LATER, "revoked": True}
    db = tmp_path / "old.sqlite"
    legacy_store(db, [(ind, "provider-A"), (hijack, "provider-B")], amber_id)
    with hub_on(db) as hub:
        path = f"collections/tlp-amber/objects/{ind['id']}/"
        assert raw(hub, "DELETE", path, KEYS["B"]).status_code == 403
        r = raw(hub, "DELETE", path + f"?match[version]={LATER}", KEYS["A"])
        assert r.status_code == 200, r.text
        assert get(hub, "C", path)["objects"] == [ind]
        assert post(hub, "B", [{**ind, "modified": "2031-01-01T00:00:00.000Z"}])["failure_count"]


# --------------------------------------------------------------------- quotas

QUOTA_YAML = f"""
quota_objects: 3
collections:
  - {{alias: tlp-amber, title: "TLP:AMBER"}}
members:
  - {{name: provider-A, api_key: {KEYS["A"]}, read: [tlp-amber], write: [tlp-amber]}}
  - {{name: provider-B, api_key: {KEYS["B"]}, read: [tlp-amber], write: [tlp-amber],
     quota_objects: 100, quota_bytes: BYTES}}
  - {{name: provider-C, api_key: {KEYS["C"]}, read: [tlp-amber], write: [tlp-amber]}}
"""


def stored_size(obj: dict[str, Any]) -> int:
    """Bytes an object takes against a quota: its canonical JSON, UTF-8."""
    return len(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode())


def count(hub: str) -> int:
    return len(get(hub, "C", "collections/tlp-amber/objects/?match[version]=all")["objects"])


def test_object_quota(tmp_path: Path, ring: KeyRing) -> None:
    objs = indicators(4, ring)[1:]  # four indicators, no identity
    with hub_on(tmp_path / "hub.sqlite", QUOTA_YAML.replace("BYTES", "1000000")) as hub:
        assert post(hub, "A", objs[:2])["success_count"] == 2
        # At the limit: accepted.
        assert post(hub, "A", objs[2:3])["success_count"] == 1
        # Duplicates store nothing, so they do not count.
        assert post(hub, "A", objs[:3])["success_count"] == 3
        # One over: the whole envelope is refused, and nothing of it is stored.
        r = raw(hub, "POST", "collections/tlp-amber/objects/", KEYS["A"],
                headers={"Content-Type": MEDIA_TYPE},
                data=json.dumps({"objects": [objs[0], objs[3]]}))  # fmt: skip
        assert r.status_code == 413
        err = r.json()
        assert err["title"] == "quota exceeded"
        assert err["description"].startswith(
            "nothing was stored: provider-A has 3 objects stored; this request would add 1 "
            "(total 4) and its quota is 3 objects"
        )
        # A new version is an object version too.
        r = raw(hub, "POST", "collections/tlp-amber/objects/", KEYS["A"],
                headers={"Content-Type": MEDIA_TYPE},
                data=json.dumps({"objects": [{**objs[0], "modified": LATER}]}))  # fmt: skip
        assert r.status_code == 413
        assert count(hub) == 3
        # Other members are unaffected.
        assert post(hub, "C", indicators(3, ring, start=100)[1:])["success_count"] == 3
        # Deleting frees quota.
        gone = f"collections/tlp-amber/objects/{objs[0]['id']}/"
        assert raw(hub, "DELETE", gone, KEYS["A"]).status_code == 200
        assert post(hub, "A", objs[3:])["success_count"] == 1
        # The client reports it as one line naming the quota.
        one_more = indicators(1, ring, start=200)[1:]
        with pytest.raises(
            IntelError, match=r"413 \(quota exceeded: nothing was stored: provider-A"
        ):
            HubClient(hub, KEYS["A"]).push(one_more, "tlp-amber")


def test_byte_quota(tmp_path: Path, ring: KeyRing) -> None:
    objs = indicators(3, ring)[1:]
    limit = stored_size(objs[0]) + stored_size(objs[1])
    with hub_on(tmp_path / "hub.sqlite", QUOTA_YAML.replace("BYTES", str(limit))) as hub:
        # Exactly at the limit: accepted.
        assert post(hub, "B", objs[:2])["success_count"] == 2
        r = raw(hub, "POST", "collections/tlp-amber/objects/", KEYS["B"],
                headers={"Content-Type": MEDIA_TYPE},
                data=json.dumps({"objects": objs[2:]}))  # fmt: skip
        assert r.status_code == 413
        size = stored_size(objs[2])
        assert r.json()["description"].startswith(
            f"nothing was stored: provider-B has {limit:,} bytes stored; this request would "
            f"add {size:,} (total {limit + size:,}) and its quota is {limit:,} bytes"
        )
        assert count(hub) == 2
        # A's quota is its own (objects: the hub default of 3).
        assert post(hub, "A", objs[2:])["success_count"] == 1


def test_quota_config_is_validated(tmp_path: Path) -> None:
    p = tmp_path / "hub.yaml"
    cases = {
        QUOTA_YAML.replace("BYTES", "0"): (8, "members[1].quota_bytes", "at least 1"),
        QUOTA_YAML.replace("BYTES", "lots"): (8, "members[1].quota_bytes", "integer"),
        QUOTA_YAML.replace("quota_objects: 3", "quota_objects: -1").replace("BYTES", "9"): (
            2, "quota_objects", "at least 1",
        ),
    }  # fmt: skip
    for text, (line, field, message) in cases.items():
        p.write_text(text)
        with pytest.raises(IntelError) as err:
            load_hub_config(p)
        assert (err.value.path, err.value.line, err.value.field) == (str(p), line, field)
        assert message in err.value.message
    p.write_text(QUOTA_YAML.replace("BYTES", "5000"))
    cfg = load_hub_config(p)
    a, b = cfg.members[0], cfg.members[1]
    assert cfg.quota(a) == (3, 1024 * 1024 * 1024)
    assert cfg.quota(b) == (100, 5000)


def test_refusals_over_http_are_explained(hub: str, ring: KeyRing) -> None:
    """Every refusal of an object says which object and why, through the client too."""
    ident, ind = indicators(1, ring)
    HubClient(hub, KEYS["A"]).push([ident, ind], "tlp-amber")
    rep = HubClient(hub, KEYS["B"]).push([{**ind, "modified": LATER}], "tlp-amber")
    assert rep.failures == [
        {"id": ind["id"], "message": f"{ind['id']} version {LATER}: {OWNED_BY_ANOTHER}"}
    ]
    with pytest.raises(requests.HTTPError, match="403"):
        HubClient(hub, KEYS["B"]).collection("tlp-amber").delete_object(ind["id"])
