"""Calibrate risk and verdict thresholds on benign traffic (never on the test split).

Fitting sets the score thresholds and baseline rates; the evidence a block needs
(:class:`~distillguard.scoring.risk.BlockEvidence`) is policy, not fitted: pass the
rule to keep (for example the one of the file being replaced), or get the default.

Review feedback (:mod:`distillguard.review.feedback`) joins the fit: accounts a
reviewer cleared (``allow``, ``unblock``) are benign accounts like those of the
benign logs, their requests read from the logs that hold them (the scanned logs);
accounts a reviewer blocked are labelled attack examples, never fitted on (the
thresholds stay a benign false-positive rate), but scored under the new thresholds
so the report says how many confirmed harvesters each verdict would still reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.review.feedback import FeedbackTable, labels
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


@dataclass(frozen=True)
class FeedbackUse:
    """What a calibration took from review feedback."""

    #: Feedback tables read.
    tables: tuple[str, ...]
    #: Reviewed false positives added to the benign accounts (found in the reviewed logs).
    benign_added: tuple[str, ...]
    #: Reviewed false positives already among the benign logs' accounts.
    benign_already: int
    #: Labelled accounts (either label) without a request in the reviewed logs.
    not_found: int
    #: Confirmed harvesters scored (found in the reviewed logs).
    attack: int
    #: Share of them at each verdict or stronger under the new thresholds.
    attack_reached: dict[str, float] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {
            "tables": list(self.tables), "benign_added": list(self.benign_added),
            "benign_already": self.benign_already, "not_found": self.not_found,
            "attack": self.attack, "attack_reached": dict(self.attack_reached),
        }  # fmt: skip


def _select(feats: dict[str, Any], keep: Sequence[bool]) -> dict[str, Any]:
    mask = np.asarray(keep, dtype=bool)
    out: dict[str, Any] = {}
    for k, v in feats.items():
        if isinstance(v, np.ndarray) and v.shape[:1] == mask.shape:
            out[k] = v[mask]
        elif isinstance(v, list) and len(v) == len(mask):
            out[k] = [x for x, m in zip(v, mask, strict=True) if m]
        else:
            out[k] = v
    return out


def calibrate_with_feedback(
    logs: Sequence[Path],
    store_path: Path,
    *,
    feedback: Sequence[Path],
    reviewed_logs: Sequence[Path],
    reviewed_store: Path,
    fpr: dict[str, float] | None = None,
    block_evidence: BlockEvidence | None = None,
) -> tuple[Calibration, FeedbackUse]:
    """Thresholds from benign logs and reviewed false positives; the confirmed
    harvesters scored against them (see the module docstring)."""
    lab = labels([FeedbackTable(p) for p in feedback])
    feats = benign_features(store_path, logs)
    known = set(feats["account_id"])
    parts = [feats]
    added: list[str] = []
    attack_feats: dict[str, Any] | None = None
    found: set[str] = set()
    if (lab.benign or lab.attack) and not reviewed_logs:
        raise DistillguardError(
            "the feedback labels accounts: give the logs that hold their requests",
            field="reviewed-logs",
        )
    if reviewed_logs and (lab.benign or lab.attack):
        with Store(reviewed_store) as store:
            store.load(reviewed_logs)
            profiles = store.profile_table()
        if profiles.num_rows:
            rev = account_features(profiles)
            ids = rev["account_id"]
            found = set(ids) & (lab.benign | lab.attack)
            fresh = [a in lab.benign and a not in known for a in ids]
            if any(fresh):
                part = _select(rev, fresh)
                parts.append(part)
                added = list(part["account_id"])
            bad = [a in lab.attack for a in ids]
            if any(bad):
                attack_feats = _select(rev, bad)
    names = ", ".join(str(p) for p in logs)
    source = names
    if added:
        source += f"; {len(added)} reviewed false positive(s) from " + ", ".join(
            str(p) for p in feedback
        )
    cal = fit_from_features(parts, fpr, source, block_evidence)
    reached: dict[str, float] = {}
    n_attack = 0
    if attack_feats is not None:
        n_attack = len(attack_feats["account_id"])
        scores = total(
            evidence(
                attack_feats, ScoringConfig(), cal.base_rates,
                compare_value(attack_feats, cal.value_reference),
            ),
            n_attack,
        )  # fmt: skip
        reached = {v: float(np.mean(scores >= t)) for v, t in cal.thresholds.items()}
    use = FeedbackUse(
        tables=tuple(str(p) for p in feedback),
        benign_added=tuple(added),
        benign_already=len(lab.benign & known),
        not_found=len((lab.benign | lab.attack) - found - known),
        attack=n_attack,
        attack_reached=reached,
    )
    return cal, use
