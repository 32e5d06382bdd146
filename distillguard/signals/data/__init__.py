"""Package data of the request-level signals (benchmark fingerprints).

Rebuild with ``python scripts/build_benchmark_fingerprints.py``.
"""
