"""A scoring model file: evidence weights and the calibration that goes with them.

``distillguard scan --model FILE`` scores with these weights instead of the
defaults.  The model keeps the score's form (a weighted sum of evidence terms), so
each reason is still one term.  Models are fitted on labelled traffic by the lab
(``distillguard train``, :mod:`distillguard_lab.train`); the product only reads them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from distillguard.errors import DistillguardError
from distillguard.scoring.risk import Calibration, ScoringConfig


@dataclass
class Model:
    """Learned weights plus the calibration fitted on the training data's benign accounts."""

    weights: dict[str, float]
    calibration: dict[str, Any]
    trained_on: str

    def config(self) -> ScoringConfig:
        return ScoringConfig(weights=dict(self.weights))

    def cal(self) -> Calibration:
        return Calibration.from_dict(self.calibration, f"model trained on {self.trained_on}")

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Model:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise DistillguardError(f"not a distillguard model file: {exc}", path=path) from exc
