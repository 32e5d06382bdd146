"""Run campaign detection once on a loaded store and report it as JSON (one line).

Run by ``bench_campaign_linear.py`` in a child process whose ``PYTHONPATH`` picks the
code under test (the branch, or a copy of the baseline commit), so both versions are
measured the same way on the same store.

    python _campaign_child.py STORE LABELS MEMBERS_OUT
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.campaigns.detect import find_campaigns
from distillguard.scoring.risk import Calibration
from distillguard.store.duckdb import Store
from distillguard_lab.evaluate.campaigns import evaluate_campaigns


def main() -> None:
    store_path, labels_path, members_out = (Path(a) for a in sys.argv[1:4])
    with Store(store_path) as store:
        cal = Calibration.load(None)
        t0, c0 = time.perf_counter(), time.process_time()
        found = find_campaigns(store, cal)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    members = found.members.select(["account_id", "group_id"])
    pq.write_table(members, members_out)
    accounts = pa.table({"account_id": members["account_id"], "campaign_id": members["group_id"]})
    report = evaluate_campaigns(accounts, pq.read_table(labels_path))
    details = [
        e["detail"]
        for c in found.campaigns.to_pylist()
        for e in c["evidence"]
        if "hot key" in e["detail"]
    ]
    print(
        json.dumps(
            {
                "hot_key_details": details[:3],
                "campaign_s": wall,
                # CPU seconds of every thread: steadier than wall time on shared cores.
                "campaign_cpu_s": cpu,
                "timings": found.timings,
                "links": found.links.num_rows,
                "links_by_type": {
                    r["link_type"]: r["src_count"]
                    for r in found.links.group_by("link_type")
                    .aggregate([("src", "count")])
                    .to_pylist()
                },
                "hot_keys": found.hot_keys.num_rows if hasattr(found, "hot_keys") else None,
                "campaigns": found.campaigns.num_rows,
                "members": members.num_rows,
                "campaigns_found": report.campaigns_found,
                "campaign_purity": report.campaign_purity,
                "benign_groups_flagged": report.benign_groups_flagged,
            }
        )
    )


if __name__ == "__main__":
    main()
