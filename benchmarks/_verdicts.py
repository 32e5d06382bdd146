"""Accounts at each verdict level, per label role (the per-role FPR at each level).

For a benign role the share at a level is a false-positive rate at that level; for
``attacker`` it is the recall.  Levels are cumulative up to the level named
(``watch`` counts watch, restrict and block) except ``block``, the top.  A labelled
account the scan never wrote counts as ``allow``.  The last column counts blocks
resting on few requests (fewer than ``small``), the verdicts issue 16 was about.

Reads only the accounts table and the labels, so it measures any version of the
scan (the before/after comparison runs it on both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pyarrow as pa

LEVELS: Final = ("watch", "restrict", "block")
RANK: Final = {"allow": 0, "watch": 1, "restrict": 2, "block": 3}


def verdict_levels(accounts: pa.Table, labels: pa.Table, small: int = 20) -> dict[str, Any]:
    """Per role: ``accounts``, the share at each level or above, and ``block_small``."""
    seen = {
        r["account_id"]: (str(r["verdict"] or "allow"), float(r["requests"] or 0))
        for r in accounts.select(["account_id", "verdict", "requests"]).to_pylist()
    }
    counts: dict[str, dict[str, int]] = {}
    for r in labels.select(["account_id", "role", "is_attack"]).to_pylist():
        role = "attacker" if r["is_attack"] else str(r["role"] or "(no role)")
        verdict, n = seen.get(r["account_id"], ("allow", 0.0))
        c = counts.setdefault(role, {"accounts": 0, "block_small": 0, **dict.fromkeys(LEVELS, 0)})
        c["accounts"] += 1
        for level in LEVELS:
            c[level] += RANK.get(verdict, 0) >= RANK[level]
        c["block_small"] += verdict == "block" and n < small
    out: dict[str, Any] = {}
    for role in sorted(counts, key=lambda x: (x == "attacker", x)):
        c = counts[role]
        out[role] = {
            "accounts": c["accounts"],
            **{level: c[level] / c["accounts"] for level in LEVELS},
            "counts": {level: c[level] for level in LEVELS},
            "block_small": c["block_small"],
        }
    return out


def print_verdict_levels(levels: Mapping[str, Any], title: str, small: int = 20) -> None:
    """One row per role: accounts, share (count) at watch+, restrict+, block, small blocks."""
    print(f"\n{title}: share of accounts at each verdict level (count)")
    head = ("role", "accounts", ">= watch", ">= restrict", "block", f"block <{small} req")
    print(f"{head[0]:<18}" + "".join(f"{h:>16}" for h in head[1:]))
    for role, r in levels.items():
        cells = [str(r["accounts"])]
        cells += [f"{100 * r[lv]:.2f}% ({r['counts'][lv]})" for lv in LEVELS]
        cells.append(str(r["block_small"]))
        print(f"{role:<18}" + "".join(f"{c:>16}" for c in cells))
