"""TAXII pull speed: 10,000 indicators from the forum hub over loopback.

The hub (:mod:`distillguard.intel.taxii_server`, uvicorn in a background thread,
SQLite file store) holds ``--n`` real stix2 indicators (keyed-hash patterns, as
``distillguard intel export`` writes them); a member pulls the collection with
``taxii2-client`` through :class:`~distillguard.intel.client.HubClient` (pages of
``--page`` objects, objects appended to a JSON Lines file, cursor saved after
each page).  A second pull (nothing new) shows the cost of a resumed poll.

    .venv/bin/python benchmarks/bench_taxii.py [--n 10000] [--page 2000]

Target (issue 6): a pull of 10,000 indicators in <= 5 s on loopback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import stix2
from _table import print_table

from distillguard.intel.client import HubClient
from distillguard.intel.hashing import KeyRing
from distillguard.intel.hub_config import load_hub_config_text
from distillguard.intel.taxii_server import ObjectStore, create_hub_app, serve_in_thread

HUB = """
collections: [{alias: tlp-amber, title: "TLP:AMBER"}]
members:
  - {name: provider-A, api_key: bench-key-a, read: [tlp-amber], write: [tlp-amber]}
  - {name: provider-B, api_key: bench-key-b, read: [tlp-amber], write: [tlp-amber]}
"""


def make_indicators(n: int) -> list[dict[str, Any]]:
    ring = KeyRing.from_secrets({"bench": "42" * 32})
    ident = stix2.Identity(name="provider-A", identity_class="organization")
    t0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    out = [json.loads(ident.serialize())]
    for i in range(n):
        h = ring.hash("ip", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
        out.append(
            json.loads(
                stix2.Indicator(
                    created_by_ref=ident.id,
                    pattern=f"[x-distillguard-request:client_ip_hmac = '{h}']",
                    pattern_type="stix", valid_from=t0, indicator_types=["malicious-activity"],
                    confidence=100, object_marking_refs=[stix2.TLP_AMBER],
                    x_distillguard_kind="ip", x_distillguard_value=h, x_distillguard_weight=1.0,
                    x_distillguard_campaign="provider-A/campaign-bench", allow_custom=True,
                ).serialize()
            )
        )  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--page", type=int, default=2000)
    args = ap.parse_args()
    t = time.perf_counter()
    objs = make_indicators(args.n)
    build_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        app = create_hub_app(load_hub_config_text(HUB), ObjectStore(d / "hub.sqlite"))
        with serve_in_thread(app) as url:
            root = f"{url}/forum/"
            t = time.perf_counter()
            pushed = HubClient(root, "bench-key-a").push(objs, "tlp-amber")
            push_s = time.perf_counter() - t
            client = HubClient(root, "bench-key-b")
            t = time.perf_counter()
            rep = client.pull("tlp-amber", d / "pulled.jsonl", per_request=args.page)
            pull_s = time.perf_counter() - t
            t = time.perf_counter()
            again = client.pull("tlp-amber", d / "pulled.jsonl", per_request=args.page)
            poll_s = time.perf_counter() - t
        lines = sum(1 for _ in (d / "pulled.jsonl").open())
    assert rep.objects == len(objs) == lines
    assert again.objects == 0
    print_table(
        [
            ("indicators", f"{args.n:,} (+1 identity)"),
            ("build with stix2 (s)", f"{build_s:.2f}"),
            ("push, validated with stix2 (s)", f"{push_s:.2f} ({pushed.added:,} added)"),
            ("pull (s)", f"{pull_s:.2f} ({rep.pages} pages of <= {args.page:,})"),
            ("pull objects/s", f"{rep.objects / pull_s:,.0f}"),
            ("resumed poll, nothing new (s)", f"{poll_s:.3f}"),
            ("target: pull of 10,000 <= 5 s", "met" if pull_s <= 5 else "MISSED"),
        ]
    )


if __name__ == "__main__":
    main()
