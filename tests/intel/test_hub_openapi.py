"""The hub's OpenAPI description, and schemathesis against a live hub on loopback.

schemathesis generates requests from ``distillguard/intel/hub_openapi.yaml`` (its
examples, boundary values and random data, valid and invalid), sends them over real
HTTP to a hub under uvicorn, authenticated as a member, and checks every answer
against the description: no 5xx, documented status codes, media types, headers and
bodies, 401 without the key, 405 with a correct ``Allow`` for undeclared methods.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from importlib import resources
from typing import Any, Final

import pytest
import requests
import schemathesis
import yaml
from schemathesis.checks import positive_data_acceptance
from starlette.routing import Route

from distillguard.intel.hub_config import HubConfig, load_hub_config_text
from distillguard.intel.taxii_server import (
    MEDIA_TYPE,
    ObjectStore,
    create_hub_app,
    serve_in_thread,
)
from tests.intel.conftest import HUB_YAML, KEYS

#: Generated requests per operation and mode in the fuzzing phase (the examples and
#: coverage phases add their own, a bounded number): enough to reach the error paths
#: of every parameter, small enough that the whole run takes seconds.
MAX_EXAMPLES = 25


def hub_openapi() -> dict[str, Any]:
    text = resources.files("distillguard.intel").joinpath("hub_openapi.yaml").read_text()
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def test_description_covers_every_route(hub_config: HubConfig) -> None:
    store = ObjectStore()
    app = create_hub_app(hub_config, store)
    store.close()
    served = {
        (method, r.path.replace("{cid}", "{collection_id}").replace("{oid}", "{object_id}")
         .replace("{sid}", "{status_id}"))
        for r in app.routes if isinstance(r, Route)
        for method in (r.methods or ()) if method != "HEAD"
    }  # fmt: skip
    described = {
        (method.upper(), path)
        for path, ops in hub_openapi()["paths"].items()
        for method in ops
        if method in ("get", "post", "delete", "put", "patch")
    }
    assert served == described
    doc = hub_openapi()
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "basicAuth"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "401" in op["responses"], (method, path)
            for code, resp in op["responses"].items():
                content = resp.get("content") or doc["components"]["responses"][
                    resp["$ref"].rsplit("/", 1)[1]
                ].get("content")
                assert list(content) == [MEDIA_TYPE], (method, path, code)


def test_both_described_auth_schemes_work(hub: str) -> None:
    """Bearer is what schemathesis sends; HTTP Basic (any user, the key as password) too."""
    for auth in ((None, KEYS["C"]), ("anyone", KEYS["C"])):
        user, key = auth
        kw: dict[str, Any] = (
            {"headers": {"Authorization": f"Bearer {key}"}} if user is None
            else {"auth": (user, key)}
        )  # fmt: skip
        r = requests.get(hub + "collections/", timeout=10, **kw)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == MEDIA_TYPE
    r = requests.get(hub + "collections/", auth=("anyone", "wrong-key-123"), timeout=10)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="taxii"'


#: Objects the hub holds before schemathesis starts: three of A's (the member it
#: authenticates as), two of B's (so deletes meet another member's objects).  Fixed ids,
#: because the description is pinned to them when this module is imported.
PRELOADED: Final = {
    member: [
        {
            "type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, f'{member}/{i}')}",
            "created": "2026-03-02T00:00:00.000Z", "modified": "2026-03-02T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '198.51.100.{i}']", "pattern_type": "stix",
            "valid_from": "2026-03-02T00:00:00Z",
        }
        for i in range(first, first + n)
    ]
    for member, first, n in (("A", 1, 3), ("B", 10, 2))
}  # fmt: skip


def pinned_description(cfg: HubConfig) -> dict[str, Any]:
    """The description with path parameters pinned to what the test hub holds.

    Generated names would only ever meet 404s; negative generation still sends others.
    """
    raw = hub_openapi()
    params = raw["components"]["parameters"]
    params["ApiRoot"]["schema"] = {"type": "string", "enum": [cfg.api_root]}
    params["CollectionId"]["schema"] = {
        "type": "string",
        "enum": [c.collection_id for c in cfg.collections] + [c.alias for c in cfg.collections],
    }
    params["ObjectId"]["schema"] = {
        "type": "string",
        "enum": [o["id"] for objs in PRELOADED.values() for o in objs],
    }
    return raw


HUB = load_hub_config_text(HUB_YAML, "test-hub.yaml")
schema = schemathesis.openapi.from_dict(
    pinned_description(HUB),
    config=schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": f"Bearer {KEYS['A']}"},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                # The same requests on every run: a failure here is a bug to fix, never
                # a flake to retry.
                "deterministic": True,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


@pytest.fixture(scope="module")
def live_hub() -> Iterator[str]:
    """The test hub under uvicorn on loopback, holding :data:`PRELOADED`; its base URL."""
    with serve_in_thread(create_hub_app(HUB, ObjectStore())) as url:
        for member, objs in PRELOADED.items():
            r = requests.post(
                f"{url}/{HUB.api_root}/collections/tlp-amber/objects/",
                data=json.dumps({"objects": objs}),
                headers={"Content-Type": MEDIA_TYPE, "Authorization": f"Bearer {KEYS[member]}"},
                timeout=10,
            )
            assert r.status_code == 202, r.text
            assert r.json()["success_count"] == len(objs), r.text
        yield url


@schema.parametrize()
def test_hub_conforms_to_its_openapi_description(
    case: schemathesis.Case[Any], live_hub: str
) -> None:
    # A `next` token is opaque: the description cannot say which strings the hub
    # issued, so a well-formed string it never issued is rightly a 400.
    excluded = [positive_data_acceptance] if "next" in (case.query or {}) else []
    case.call_and_validate(base_url=live_hub, excluded_checks=excluded)
