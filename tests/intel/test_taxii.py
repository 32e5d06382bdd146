"""The forum hub over real HTTP on loopback, driven by taxii2-client and raw requests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import requests
import stix2

from distillguard.intel.client import HubClient, read_cursor
from distillguard.intel.errors import IntelError
from distillguard.intel.hashing import KeyRing
from distillguard.intel.taxii_server import MEDIA_TYPE
from tests.intel.conftest import KEYS

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def indicators(n: int, ring: KeyRing, start: int = 0) -> list[dict[str, Any]]:
    ident = stix2.Identity(name="provider-A", identity_class="organization")
    out: list[dict[str, Any]] = [json.loads(ident.serialize())]
    for i in range(start, start + n):
        h = ring.hash("ip", f"198.51.{i // 250}.{i % 250}")
        ind = stix2.Indicator(
            created_by_ref=ident.id, pattern=f"[x-distillguard-request:client_ip_hmac = '{h}']",
            pattern_type="stix", valid_from=T0, x_distillguard_kind="ip",
            x_distillguard_value=h, allow_custom=True,
        )  # fmt: skip
        out.append(json.loads(ind.serialize()))
    return out


def raw(hub: str, method: str, path: str, key: str | None, **kw: Any) -> requests.Response:
    headers = {"Accept": MEDIA_TYPE, **kw.pop("headers", {})}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return requests.request(method, hub + path, headers=headers, timeout=10, **kw)


def test_discovery_and_collections_follow_grants(hub: str) -> None:
    base = hub.removesuffix("forum/")
    r = raw(base, "GET", "taxii2/", KEYS["A"])
    assert r.status_code == 200
    assert r.headers["content-type"] == MEDIA_TYPE
    assert r.json()["api_roots"] == [hub]
    seen = {c.alias: (c.can_read, c.can_write) for c in HubClient(hub, KEYS["B"]).collections()}
    assert seen == {
        "tlp-amber": (True, True), "feed-a": (True, False), "tlp-red": (True, True),
    }  # fmt: skip
    assert [c.alias for c in HubClient(hub, KEYS["C"]).collections()] == ["tlp-amber"]


def test_authentication_required(hub: str) -> None:
    r = raw(hub, "GET", "collections/", None)
    assert r.status_code == 401
    assert "authentication" in r.json()["title"]
    assert raw(hub, "GET", "collections/", "not-a-member-key").status_code == 401
    with pytest.raises(IntelError, match="401"):
        HubClient(hub, "not-a-member-key").collections()


def test_push_pull_roundtrip_and_duplicates(hub: str, ring: KeyRing, tmp_path: Path) -> None:
    objs = indicators(40, ring)
    a = HubClient(hub, KEYS["A"])
    first = a.push(objs, "tlp-amber")
    assert (first.added, first.duplicates, first.failures) == (41, 0, [])
    again = a.push(objs, "tlp-amber")
    assert (again.added, again.duplicates) == (0, 41)
    out = tmp_path / "pulled.jsonl"
    rep = HubClient(hub, KEYS["C"]).pull("tlp-amber", out)
    assert rep.objects == 41
    assert rep.by_type == {"identity": 1, "indicator": 40}
    pulled = [json.loads(line) for line in out.read_text().splitlines()]
    assert {o["id"] for o in pulled} == {o["id"] for o in objs}


def test_member_cannot_write_or_read_without_grant(hub: str, ring: KeyRing, tmp_path: Path) -> None:
    objs = indicators(2, ring)
    HubClient(hub, KEYS["A"]).push(objs, "feed-a")
    # B may read A's feed but not write into it.
    r = raw(hub, "POST", "collections/feed-a/objects/", KEYS["B"],
            headers={"Content-Type": MEDIA_TYPE}, data=json.dumps({"objects": objs}))  # fmt: skip
    assert r.status_code == 403
    assert "may not write" in r.json()["description"]
    assert HubClient(hub, KEYS["B"]).pull("feed-a", tmp_path / "b.jsonl").objects == 3
    # C was granted neither.
    for method in ("GET", "POST"):
        body = json.dumps({"objects": objs})
        ct = {"Content-Type": MEDIA_TYPE}
        r = raw(hub, method, "collections/feed-a/objects/", KEYS["C"], headers=ct, data=body)
        assert r.status_code == 403
    with pytest.raises(IntelError, match="no collection 'tlp-red' visible"):
        HubClient(hub, KEYS["C"]).pull("tlp-red", tmp_path / "c.jsonl")


def test_member_cannot_impersonate_another(ring: KeyRing) -> None:
    from distillguard.intel.hub_config import load_hub_config_text
    from distillguard.intel.taxii_server import ObjectStore, create_hub_app, serve_in_thread

    objs = indicators(1, ring)
    cfg = load_hub_config_text(
        "collections: [{alias: c, title: c}]\n"
        f"members: [{{name: B, api_key: {KEYS['B']}, read: [c], write: [c],"
        " identity: 'identity--00000000-0000-4000-8000-000000000000'}]\n"
    )
    with serve_in_thread(create_hub_app(cfg, ObjectStore())) as url:
        rep = HubClient(f"{url}/forum/", KEYS["B"]).push(objs, "c")
    assert rep.added == 1  # the identity itself has no creator
    assert len(rep.failures) == 1
    assert "is not B's identity" in rep.failures[0]["message"]


def test_bad_input_is_refused_with_clear_errors(hub: str, ring: KeyRing) -> None:
    good = indicators(1, ring)
    bad_pattern = dict(good[1], id="indicator--6b0d6b2a-9d1f-4f62-8a55-0c2b4b2f0c11",
                       pattern="[x-foo:bar = ")  # fmt: skip
    wrong_type = {"type": "not-a-stix-type", "id": "not-a-stix-type--1", "spec_version": "2.1"}
    nested = {"type": "bundle", "id": "bundle--6b0d6b2a-9d1f-4f62-8a55-0c2b4b2f0c12"}
    old = dict(good[1], spec_version="2.0", id="indicator--6b0d6b2a-9d1f-4f62-8a55-0c2b4b2f0c13")
    objs: list[Any] = [*good, bad_pattern, wrong_type, nested, old, "not an object"]
    rep = HubClient(hub, KEYS["A"]).push(objs, "tlp-amber")
    assert rep.added == 2
    messages = [f["message"] for f in rep.failures]
    assert len(messages) == 5
    # Each message names the object (id and version, or its place) before the reason.
    assert messages[0].startswith(f"{bad_pattern['id']} version {bad_pattern['modified']}: ")
    assert "invalid STIX" in messages[0]
    assert "pattern" in messages[0]
    assert messages[1] == (
        "not-a-stix-type--1: type 'not-a-stix-type' is not a STIX 2.1 object type"
    )
    assert messages[2].startswith(f"{nested['id']}: ")
    assert "cannot be nested" in messages[2]
    assert messages[3].startswith(f"{old['id']} version {old['modified']}: ")
    assert "spec_version" in messages[3]
    assert messages[4] == "objects[6] (no id): not a JSON object"
    ct = {"Content-Type": MEDIA_TYPE}
    r = raw(hub, "POST", "collections/tlp-amber/objects/", KEYS["A"], headers=ct, data="{nope")
    assert r.status_code == 400
    assert r.json()["title"] == "the body is not JSON"
    r = raw(hub, "POST", "collections/tlp-amber/objects/", KEYS["A"], headers=ct, data="[]")
    assert r.status_code == 400
    assert r.json()["title"] == "not an envelope"
    r = raw(hub, "POST", "collections/tlp-amber/objects/", KEYS["A"],
            headers={"Content-Type": "application/json"}, data="{}")  # fmt: skip
    assert r.status_code == 415
    r = raw(hub, "GET", "collections/tlp-amber/objects/?limit=0", KEYS["A"])
    assert r.status_code == 400
    assert "limit" in r.json()["title"]
    r = raw(hub, "GET", "collections/tlp-amber/objects/?added_after=yesterday", KEYS["A"])
    assert r.status_code == 400
    r = raw(hub, "GET", "collections/tlp-amber/objects/?next=garbage", KEYS["A"])
    assert r.status_code == 400
    # A time whose offset takes it out of the representable range (was a 500).
    for t in ("0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00"):
        r = raw(hub, "GET", f"collections/tlp-amber/objects/?added_after={t}", KEYS["A"])
        assert r.status_code == 400, t
    # Each match value is an SQL parameter: their number is capped.
    many = ",".join(f"indicator--{i}" for i in range(1001))
    r = raw(hub, "GET", "collections/tlp-amber/objects/", KEYS["A"], params={"match[id]": many})
    assert r.status_code == 400
    assert r.json()["title"] == "too many values in 'match[id]'"
    r = raw(hub, "GET", "collections/nope/", KEYS["A"])
    assert r.status_code == 404
    r = raw(hub, "GET", "collections/", KEYS["A"], headers={"Accept": "text/html"})
    assert r.status_code == 406


def test_oversized_requests_are_refused(hub: str, ring: KeyRing) -> None:
    big = indicators(2000, ring)  # under max_objects, over 1 MB
    with pytest.raises(IntelError, match="413"):
        HubClient(hub, KEYS["A"]).push(big, "tlp-amber", chunk=5000)
    many = indicators(1, ring)[:1] * 3001
    r = raw(hub, "POST", "collections/tlp-amber/objects/", KEYS["A"],
            headers={"Content-Type": MEDIA_TYPE}, data=json.dumps({"objects": many}))  # fmt: skip
    assert r.status_code == 413


def test_status_resource_only_for_poster(hub: str, ring: KeyRing) -> None:
    r = raw(hub, "POST", "collections/tlp-amber/objects/", KEYS["A"],
            headers={"Content-Type": MEDIA_TYPE},
            data=json.dumps({"objects": indicators(3, ring)}))  # fmt: skip
    assert r.status_code == 202
    status = r.json()
    assert status["status"] == "complete"
    assert status["success_count"] == 4
    assert raw(hub, "GET", f"status/{status['id']}/", KEYS["A"]).json() == status
    assert raw(hub, "GET", f"status/{status['id']}/", KEYS["B"]).status_code == 404


def test_pagination_and_resume(hub: str, ring: KeyRing, tmp_path: Path) -> None:
    a = HubClient(hub, KEYS["A"])
    a.push(indicators(249, ring), "tlp-amber")
    out, cursor = tmp_path / "pulled.jsonl", tmp_path / "cursor.json"
    b = HubClient(hub, KEYS["B"])
    rep = b.pull("tlp-amber", out, cursor_file=cursor, per_request=100)
    assert (rep.objects, rep.pages) == (250, 3)
    cid = b.collection("tlp-amber").id
    saved = read_cursor(cursor, cid)
    assert saved == rep.cursor
    assert saved is not None
    # Nothing new: nothing fetched.
    assert b.pull("tlp-amber", out, cursor_file=cursor).objects == 0
    # New objects (and one new version of an old one) arrive; the next pull gets only them.
    a.push(indicators(10, ring, start=1000), "tlp-amber")
    rep2 = b.pull("tlp-amber", out, cursor_file=cursor, per_request=4)
    assert rep2.objects == 11
    assert rep2.pages == 3
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert len(ids) == 261
    # A cursor in the middle resumes there: everything after it, exactly once.
    c = HubClient(hub, KEYS["C"])
    env = c.collection("tlp-amber").get_objects(limit=100)
    assert env["more"] is True
    assert env["next"]
    page2 = c.collection("tlp-amber").get_objects(limit=100, next=env["next"])
    assert not {o["id"] for o in env["objects"]} & {o["id"] for o in page2["objects"]}
    typed = c.collection("tlp-amber").get_objects(type="identity")
    assert [o["type"] for o in typed["objects"]] == ["identity", "identity"]


def test_bad_cursor_file(hub: str, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.json"
    cursor.write_text("{not json")
    with pytest.raises(IntelError, match="cursor file is not JSON") as err:
        HubClient(hub, KEYS["A"]).pull("tlp-amber", tmp_path / "o.jsonl", cursor_file=cursor)
    assert err.value.path == str(cursor)


def test_hub_config_errors_name_file_line_field(tmp_path: Path) -> None:
    from distillguard.intel.hub_config import load_hub_config

    p = tmp_path / "hub.yaml"
    p.write_text(
        "collections:\n  - {alias: a, title: A}\nmembers:\n"
        "  - name: x\n    api_key: long-enough-key\n    read: [b]\n"
    )
    with pytest.raises(IntelError) as err:
        load_hub_config(p)
    assert (err.value.line, err.value.field) == (6, "members[0].read[0]")
    assert "no collection 'b'" in str(err.value)


def test_object_versions_and_delete_with_taxii2_client(hub: str, ring: KeyRing) -> None:
    ident, ind = indicators(1, ring)
    newer = {**ind, "modified": "2030-01-01T00:00:00.000Z", "revoked": True}
    HubClient(hub, KEYS["A"]).push([ident, ind, newer], "tlp-amber")
    # taxii2-client's own Collection objects (HubClient.collection returns them).
    a = HubClient(hub, KEYS["A"]).collection("tlp-amber")
    b = HubClient(hub, KEYS["B"]).collection("tlp-amber")
    cid = a.id
    assert a.object_versions(ind["id"])["versions"] == [ind["modified"], newer["modified"]]
    assert b.object_versions(ind["id"], version="first")["versions"] == [ind["modified"]]
    # B may write to the collection but may not retract what A shared.
    with pytest.raises(requests.HTTPError, match="403"):
        b.delete_object(ind["id"])
    # An empty version filter selects nothing rather than everything.
    path = f"collections/{cid}/objects/{ind['id']}/?match[version]="
    r = raw(hub, "DELETE", path, KEYS["A"])
    assert r.status_code == 400
    assert r.json()["title"] == "empty 'match[version]'"
    # A retracts the first version, then the object.
    a.delete_object(ind["id"], version=ind["modified"])
    assert a.object_versions(ind["id"])["versions"] == [newer["modified"]]
    a.delete_object(ind["id"])
    gone = f"collections/{cid}/objects/{ind['id']}/"
    assert raw(hub, "GET", gone + "versions/", KEYS["A"]).status_code == 404
    assert raw(hub, "DELETE", gone, KEYS["A"]).status_code == 404
    # C may write to the collection, but not delete A's identity.
    r = raw(hub, "DELETE", f"collections/{cid}/objects/{ident['id']}/", KEYS["C"])
    assert r.status_code == 403
    assert (
        r.json()["description"]
        == f"{ident['id']}: owned by another member: only its owner may delete it"
    )
    # A collection a member may not write is refused before anything is looked up.
    feed = HubClient(hub, KEYS["A"]).collection("feed-a").id
    r = raw(hub, "DELETE", f"collections/{feed}/objects/{ident['id']}/", KEYS["B"])
    assert r.status_code == 403
