"""Fit evidence weights on labelled traffic (optional; the default needs no labels).

The supervised model is the same score with learned weights: a logistic
regression over the evidence terms (each term computed with weight 1), fitted by
iteratively reweighted least squares with a small ridge penalty.  Keeping the
model in the same form keeps reasons meaningful: each reason is still one term.

>>> import numpy as np
>>> X = np.array([[0.0], [0.1], [2.0], [2.2]])
>>> y = np.array([0.0, 0.0, 1.0, 1.0])
>>> w, b = fit_logistic(X, y)
>>> bool(w[0] > 0)
True
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard.scoring.features import account_features
from distillguard.scoring.model import Model
from distillguard.scoring.risk import Calibration, ScoringConfig, base_rates, evidence
from distillguard.scoring.value import compare_value, value_reference

F64 = npt.NDArray[np.float64]


def fit_logistic(X: F64, y: F64, ridge: float = 1e-2, iters: int = 50) -> tuple[F64, float]:
    """Weights and intercept of an L2-penalised logistic regression (IRLS)."""
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    pen = ridge * np.eye(d + 1)
    pen[-1, -1] = 0.0  # the intercept is not shrunk
    for _ in range(iters):
        z = A @ beta
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        w = np.maximum(p * (1 - p), 1e-9)
        grad = A.T @ (y - p) - pen @ beta
        hess = (A * w[:, None]).T @ A + pen
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def train(profiles: pa.Table, labels: pa.Table, source: str = "") -> Model:
    """Fit weights on accounts present in both ``profiles`` and ``labels``."""
    label_of = dict(
        zip(
            labels.column("account_id").to_pylist(),
            labels.column("is_attack").to_pylist(),
            strict=True,
        )
    )
    feats = account_features(profiles)
    ids = feats["account_id"]
    assert isinstance(ids, list)  # account_features returns ids as a list
    unit = ScoringConfig(weights=dict.fromkeys(ScoringConfig().weights, 1.0))
    keep_ids = {a for a, atk in label_of.items() if not atk}
    benign = np.asarray([a in keep_ids for a in ids])
    base = base_rates(feats, benign)
    reference = value_reference(feats, benign)
    terms = evidence(feats, unit, base, compare_value(feats, reference))
    names = list(terms)
    X = np.stack([terms[k] for k in names], axis=1)
    keep = np.asarray([a in label_of for a in ids])
    if keep.sum() < 10:
        raise DistillguardError(
            "fewer than 10 labelled accounts match the scanned ones", field="labels"
        )
    y = np.asarray([1.0 if label_of.get(a) else 0.0 for a in ids])
    if y[keep].min() == y[keep].max():
        raise DistillguardError("labels need both attack and benign accounts", field="labels")
    w, _ = fit_logistic(X[keep], y[keep])
    weights = {k: float(v) for k, v in zip(names, w, strict=True)}
    score = X @ w
    cal = Calibration.fit(
        score[keep & (y == 0)],
        source=f"benign accounts of {source}",
        base_rates=base,
        value_reference=reference,
    )
    return Model(weights=weights, calibration=asdict(cal), trained_on=source)
