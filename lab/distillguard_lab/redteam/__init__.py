"""Independent red team: distillation traffic our simulator did not produce.

Written 2026-11-27 by a red-team author blind to the detectors.

**Independence rule.** Nothing in this package was designed from, or may be tuned
against, the simulator's attack code (``lab/distillguard_lab/sim/attack.py``,
``elicitation.py``, ``templates.py``, the campaign sections of
``lab/distillguard_lab/sim/scenarios/*.yaml``) or the detectors (``distillguard/signals/``,
``distillguard/scoring/``).  The author read only the event and label schemas,
the ingest writers and validators, the corpus loader (for real prompt text),
the CLI/scan/evaluation interfaces and the public threat description.  Keep it
that way: a change made because a detector missed something here turns this
benchmark into a tuning set; measure the detector, fix the detector, and leave
the red team alone (or have someone else blind write a new operation).

The attack behaviours come from public reporting on distillation campaigns
(multi-turn and system-prompt reasoning elicitation, agentic tool-use
harvesting, low-and-slow hydra clusters, resellers and routers, synthetic data
vendors sampling with logprobs, reward-signal grading, critique-and-rewrite
loops).  Tasks and cover traffic are real prompts from the project's corpus;
the wording around them is the red team's own.

The sub-package :mod:`distillguard_lab.redteam.informed` is the opposite by design
and sits outside this rule: its strategies are handed the detector under test and
search for evasions against whatever version is installed (see its docstring and
``docs/evaluation.md``, "Informed red team").  Nothing in this package imports it.

- :func:`generate` / :func:`generate_all`: the attack events and labels.
- :func:`mix`: merge them into a benign-only simulator background.
- ``python -m distillguard_lab.redteam --seed S --out DIR``: both, end to end.
- ``benchmarks/bench_redteam.py``: the detector measured on the result.
"""

from distillguard_lab.redteam.generator import (
    OPERATIONS,
    Operation,
    RedTeamConfig,
    RedTeamData,
    RedTeamError,
    generate,
    generate_all,
)
from distillguard_lab.redteam.mix import BACKGROUND_SCENARIO, MixResult, build_dataset, mix

__all__ = [
    "BACKGROUND_SCENARIO",
    "OPERATIONS",
    "MixResult",
    "Operation",
    "RedTeamConfig",
    "RedTeamData",
    "RedTeamError",
    "build_dataset",
    "generate",
    "generate_all",
    "mix",
]
