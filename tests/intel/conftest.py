"""Fixtures for the intel tests: a key ring, a hub on loopback, small scanned scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from distillguard.intel.hashing import KeyRing
from distillguard.intel.hub_config import HubConfig, load_hub_config_text
from distillguard.intel.taxii_server import ObjectStore, create_hub_app, serve_in_thread
from distillguard_lab.sim.corpus import Corpus

KEYS = {"A": "key-provider-a-0001", "B": "key-provider-b-0002", "C": "key-provider-c-0003"}

HUB_YAML = f"""
title: test hub
page_size: 500
max_content_length: 1000000
max_objects: 3000
collections:
  - {{alias: tlp-amber, title: "TLP:AMBER"}}
  - {{alias: feed-a, title: "provider-A's own feed"}}
  - {{alias: tlp-red, title: "TLP:RED, A and B only"}}
members:
  - {{name: provider-A, api_key: {KEYS["A"]}, read: [tlp-amber, feed-a, tlp-red],
     write: [tlp-amber, feed-a, tlp-red]}}
  - {{name: provider-B, api_key: {KEYS["B"]}, read: [tlp-amber, feed-a, tlp-red],
     write: [tlp-amber, tlp-red]}}
  - {{name: provider-C, api_key: {KEYS["C"]}, read: [tlp-amber], write: [tlp-amber]}}
"""


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.from_secrets({"k1": "5a" * 32})


@pytest.fixture
def hub_config() -> HubConfig:
    return load_hub_config_text(HUB_YAML, "test-hub.yaml")


@pytest.fixture
def hub(hub_config: HubConfig) -> Iterator[str]:
    """A fresh hub (in-memory store) under uvicorn on a free loopback port; its API root."""
    with serve_in_thread(create_hub_app(hub_config, ObjectStore())) as url:
        yield f"{url}/forum/"


@dataclass(frozen=True)
class Scanned:
    name: str
    events: pa.Table
    labels: pa.Table
    store: Path
    out: Path


def scan_scenario(name: str, corpus: Corpus, root: Path, *, events: int, seed: int) -> Scanned:
    from distillguard.scan import ScanOptions, scan
    from distillguard_lab.sim.pools import Pools
    from distillguard_lab.sim.scenario import load_scenario
    from distillguard_lab.sim.simulator import simulate, write_result

    sim = root / "sim"
    result = simulate(load_scenario(name), Pools.from_table(corpus.table), seed=seed, events=events)
    write_result(result, sim)
    store, out = root / "store.duckdb", root / "scan"
    scan([sim / "events.parquet"], ScanOptions(store=store, out=out, reports=False))
    return Scanned(name, result.events, result.labels, store, out)


@pytest.fixture(scope="session")
def scanned(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scanned]:
    """standard, stealth and mixed at a few thousand events, simulated and scanned once."""
    out = {}
    for name, events in (("standard", 4000), ("stealth", 4000), ("mixed", 5000)):
        out[name] = scan_scenario(
            name, corpus, tmp_path_factory.mktemp(f"intel-{name}"), events=events, seed=5
        )
    return out
