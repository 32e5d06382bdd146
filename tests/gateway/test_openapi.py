"""Schemathesis against a live gateway (real HTTP, real mock upstream) with its OpenAPI file.

Generated requests, valid and invalid, must never make the gateway fail (5xx of its
own), and every answer must be one the description allows, in status, media type
and body.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml

from distillguard.gateway.app import GatewayConfig, create_app
from distillguard.gateway.audit import verify
from distillguard.gateway.keys import KeyInfo
from distillguard.gateway.signup_check import SignupConfig
from distillguard.intel.hashing import KeyRing
from distillguard.intel.signup import OwnIndex, OwnSource
from distillguard_lab.mock_upstream import create_mock_app
from tests.gateway.helpers import serve

KEY = "k-schema"


def spec() -> dict[str, Any]:
    text = (resources.files("distillguard.gateway") / "openapi.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    audit = tmp_path_factory.mktemp("openapi") / "audit.jsonl"
    with serve(create_mock_app()) as up:
        ring = KeyRing.from_secrets({"k1": "44" * 32})
        own = OwnIndex(
            "k1", {"ip": {ring.hash("ip", "203.0.113.9"): [OwnSource("c1", "block", 2)]}}
        )
        config = GatewayConfig(
            upstream=up, keys={KEY: KeyInfo("acct-schema", tier="paid")}, audit_path=audit,
            scorer="inline", feedback_path=audit.with_name("feedback.jsonl"),
            signup=SignupConfig(own, ring),
            # One bearer token for every request: the API key and the admin token
            # (the review API and the sign-up check, /admin/, need the latter).
            admin_token=KEY,
        )  # fmt: skip
        with serve(create_app(config)) as url:
            yield url, audit
    # Whatever was thrown at it, the audit chain holds.
    res = verify(audit)
    assert res.ok, res.reason


schema = schemathesis.openapi.from_dict(
    spec(),
    config=schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": f"Bearer {KEY}"},
            "generation": {
                "mode": "all",
                "max-examples": 20,
                "database": "none",
                # The same requests on every run: a failure is a bug to fix, not a flake.
                "deterministic": True,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


@schema.parametrize()
def test_the_gateway_conforms_to_its_description(
    case: schemathesis.Case[Any], live: tuple[str, Path]
) -> None:
    case.call_and_validate(base_url=live[0])


def test_the_description_lists_the_shipped_routes() -> None:
    from distillguard.gateway.policy import load_policy

    described = {(p, m.upper()) for p, ops in spec()["paths"].items() for m in ops}
    shipped = {(r.path, m) for r in load_policy().route_specs for m in r.methods}
    assert shipped <= described
