"""Calibrate the default thresholds on simulated runs (labelled; benign accounts only).

The product calibrates on logs a provider knows to be benign
(:func:`distillguard.calibrate.calibrate_on_logs`); the lab's simulated runs carry
labels, and only their benign accounts are used.  ``scripts/calibrate_defaults.py``
builds the shipped ``default_calibration.json`` with this.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from distillguard.calibrate import benign_features, fit_from_features
from distillguard.scoring.risk import BlockEvidence, Calibration


def calibrate_on_labelled(
    runs: Sequence[tuple[Path, pa.Table]],
    tmp: Path,
    *,
    fpr: dict[str, float] | None = None,
    source: str = "",
    block_evidence: BlockEvidence | None = None,
) -> Calibration:
    """Thresholds from simulated runs: (events file, labels) pairs, benign accounts only."""
    parts = []
    for i, (events, labels) in enumerate(runs):
        benign = {
            a
            for a, atk in zip(
                labels.column("account_id").to_pylist(),
                labels.column("is_attack").to_pylist(),
                strict=True,
            )
            if not atk
        }
        parts.append(benign_features(tmp / f"cal{i}.duckdb", [events], benign))
    return fit_from_features(parts, fpr, source, block_evidence)
