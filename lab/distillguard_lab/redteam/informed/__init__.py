"""The informed red team: attack strategies handed the detector under test.

Where the blind red team (:mod:`distillguard_lab.redteam`) was written without sight
of the detector, these strategies are given it (Kerckhoffs: our code, models and
default calibration are public, the attacker has read them) and search for evasions
against it *at generation time*: they import the installed ``distillguard`` (signals
and the chain-of-thought classifier, calibration, scoring, linkers, policy; see
:class:`~.detector.Detector`), so they adapt to whatever version is being measured.

- :mod:`.strategies`: one strategy per module, registered by a stable snake_case
  name (:func:`available`, :func:`create`); :class:`~.base.Strategy` does the
  planning, the self-scans that fit accounts under the thresholds, and the costs.
- :mod:`.wording` and ``data/informed.yaml``: the rewording search and its material.
- :mod:`.benign`: personas sampled from the benign background.
- :func:`generate_informed`, :func:`build_informed_dataset`: events and labels in the
  layout ``distillguard simulate`` writes, mixed into the benign background.
- ``benchmarks/bench_informed_redteam.py``: the detector measured against them, on
  seeds the strategies were not developed on.
"""

from distillguard_lab.redteam.informed.base import (
    REGISTRY,
    Content,
    Context,
    InformedError,
    Run,
    Strategy,
    StrategyReport,
    StrategyResult,
    available,
    create,
    register,
)
from distillguard_lab.redteam.informed.detector import Detector
from distillguard_lab.redteam.informed.run import (
    InformedConfig,
    InformedData,
    build_informed_dataset,
    generate_informed,
)

__all__ = [
    "REGISTRY",
    "Content",
    "Context",
    "Detector",
    "InformedConfig",
    "InformedData",
    "InformedError",
    "Run",
    "Strategy",
    "StrategyReport",
    "StrategyResult",
    "available",
    "build_informed_dataset",
    "create",
    "generate_informed",
    "register",
]
