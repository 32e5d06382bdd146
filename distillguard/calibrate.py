"""Calibrate risk and verdict thresholds on benign traffic (never on the test split).

Fitting sets the score thresholds and baseline rates; the evidence a block needs
(:class:`~distillguard.scoring.risk.BlockEvidence`) is policy, not fitted: pass the
rule to keep (for example the one of the file being replaced), or get the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.scoring.features import account_features
from distillguard.scoring.risk import (
    RATE_KEYS,
    BlockEvidence,
    Calibration,
    ScoringConfig,
    base_rates,
    evidence,
    total,
)
from distillguard.scoring.value import MEASURES, compare_value, value_reference
from distillguard.store.duckdb import Store


def benign_features(
    store_path: Path, logs: Sequence[Path], benign_ids: set[str] | None = None
) -> dict[str, Any]:
    """Features of the accounts in ``logs`` (all of them, or only ``benign_ids``)."""
    with Store(store_path) as store:
        store.load(logs)
        profiles = store.profile_table()
    if profiles.num_rows == 0:
        raise DistillguardError(
            "no accounts in the benign traffic", path=str(logs[0]) if logs else None
        )
    if benign_ids is not None:
        keep = np.asarray([a in benign_ids for a in profiles.column("account_id").to_pylist()])
        profiles = profiles.filter(pa.array(keep))
    return account_features(profiles)


def fit_from_features(
    parts: Sequence[dict[str, Any]],
    fpr: dict[str, float] | None,
    source: str,
    block_evidence: BlockEvidence | None = None,
) -> Calibration:
    """Baseline rates pooled over all benign accounts and the daily takes of comparable
    benign accounts (:func:`~distillguard.scoring.value.value_reference`), then score
    thresholds."""
    merged: dict[str, Any] = {}
    for key in ("requests", *RATE_KEYS.values(), *MEASURES):
        merged[key] = np.concatenate([np.asarray(p[key]) for p in parts])
    merged["cohort"] = [c for p in parts for c in p["cohort"]]
    base = base_rates(merged)
    reference = value_reference(merged)
    cfg = ScoringConfig()
    scores = [
        total(evidence(p, cfg, base, compare_value(p, reference)), len(p["requests"]))
        for p in parts
    ]
    return Calibration.fit(
        np.concatenate(scores),
        fpr,
        source=source,
        base_rates=base,
        block_evidence=block_evidence,
        value_reference=reference,
    )


def calibrate_on_logs(
    logs: Sequence[Path],
    store_path: Path,
    *,
    fpr: dict[str, float] | None = None,
    block_evidence: BlockEvidence | None = None,
) -> Calibration:
    """Thresholds from logs the user knows to be benign."""
    feats = benign_features(store_path, logs)
    return fit_from_features([feats], fpr, ", ".join(str(p) for p in logs), block_evidence)
