"""Package data of the request-level signals.

* ``cot_cues.yaml``: the chain-of-thought cue table (a versioned data file, validated
  on load by :mod:`distillguard.signals.cue_table`).
* ``cot_model.npz``: the learned part of ``cot_elicitation``; rebuild with
  ``python scripts/build_cot_model.py``.
* ``benchmark_fingerprints.npz``: rebuild with
  ``python scripts/build_benchmark_fingerprints.py``.

Each built file has its build record beside it (``*.build.json``: builder, inputs with
their SHA-256, code, commit; :mod:`distillguard.artefacts`).
"""
