"""Every shipped artefact has a build record that describes its bytes, and rebuilds to them.

Measured on 2 CPU cores: the CoT model rebuilds in about 12 s, the benchmark
fingerprints in about 3 s (both byte-identical).  The default calibration simulates
and scans 2.3 million events (8 minutes), so its record is checked against what the
builder would use now, and the builder's code path runs on a small case twice (about
30 s): same simulated inputs, same record, and a calibration equal to 1e-9 relative
(DuckDB's parallel sums change the last bits of a few floats from run to run; a full
rebuild on 2026-12-07 matched the shipped file to 3.2e-15 relative, thresholds
bit-identical).
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from types import ModuleType

import pytest

from distillguard.artefacts import (
    comparable,
    read_record,
    record_path,
    sha256_file,
    stale_inputs,
    table_digest,
)
from distillguard.scoring.risk import Calibration
from distillguard_lab.sim.corpus import Corpus, cache_key

ROOT = Path(__file__).resolve().parents[1]
COT_MODEL = ROOT / "distillguard/signals/data/cot_model.npz"
FINGERPRINTS = ROOT / "distillguard/signals/data/benchmark_fingerprints.npz"
CALIBRATION = ROOT / "distillguard/scoring/default_calibration.json"
ARTEFACTS = (COT_MODEL, FINGERPRINTS, CALIBRATION)


def _close(a: object, b: object) -> bool:
    """Equal, floats to 1e-9 relative."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("artefact", ARTEFACTS, ids=lambda p: p.name)
def test_record_describes_the_shipped_bytes(artefact: Path) -> None:
    record = read_record(artefact)
    assert record["sha256"] == sha256_file(artefact), "artefact changed without its record"
    assert (ROOT / record["builder"]).is_file()
    assert record["commit"], "record has no commit"
    # A data input (cue table, catalog, scenario, another artefact) that changed since
    # the build means the artefact is stale: rebuild it.
    assert stale_inputs(record) == []
    assert {"python", "numpy"} <= set(record["versions"])


def test_records_are_packaged_beside_their_artefacts() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["distillguard"]
    for artefact in ARTEFACTS:
        rel = record_path(artefact).relative_to(ROOT / "distillguard")
        assert any(rel.match(g) for g in globs), rel


def _rebuild(script: str, out: Path) -> None:
    subprocess.run(
        [sys.executable, f"scripts/{script}.py", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize(
    ("artefact", "script"),
    [(COT_MODEL, "build_cot_model"), (FINGERPRINTS, "build_benchmark_fingerprints")],
    ids=["cot_model", "benchmark_fingerprints"],
)
def test_rebuild_gives_the_same_bytes_and_record(
    corpus: Corpus, tmp_path: Path, artefact: Path, script: str
) -> None:
    out = tmp_path / artefact.name
    _rebuild(script, out)
    assert out.read_bytes() == artefact.read_bytes()
    # Same inputs, code and library versions; only the commit may differ.
    fresh, shipped = read_record(out), read_record(artefact)
    assert comparable(fresh)["inputs"] == comparable(shipped)["inputs"]
    assert comparable(fresh)["args"] == comparable(shipped)["args"]
    assert fresh["sha256"] == shipped["sha256"]


def test_calibration_record_is_what_the_builder_would_use() -> None:
    builder = _script("calibrate_defaults")
    record = read_record(CALIBRATION)
    args = record["args"]
    assert [tuple(r) for r in args["runs"]] == list(builder.CALIBRATION_RUNS)
    assert args["events"] is None  # each scenario's own size
    rule = asdict(Calibration.load(CALIBRATION).block_evidence)
    assert args["block_evidence"] == json.loads(json.dumps(rule))
    runs = record["inputs"]["runs"]
    assert [(r["scenario"], r["seed"]) for r in runs] == list(builder.CALIBRATION_RUNS)
    assert all(len(r["events_sha256"]) == 64 for r in runs)
    expected = {str(p.relative_to(ROOT)) for p in builder.SIGNAL_FILES}
    expected |= {
        str(builder.scenario_file(s).relative_to(ROOT)) for s, _ in builder.CALIBRATION_RUNS
    }
    assert set(record["inputs"]["files"]) == expected
    assert record["inputs"]["corpus"]["cache_key"] == cache_key()
    cal = Calibration.load(CALIBRATION)
    assert cal.source == "benign accounts of simulated " + ", ".join(
        f"{s} seed {n}" for s, n in builder.CALIBRATION_RUNS
    )


@pytest.mark.corpus
def test_recorded_corpus_is_the_corpus(corpus: Corpus) -> None:
    digest = table_digest(corpus.table)
    for artefact in ARTEFACTS:
        recorded = read_record(artefact)["inputs"]["corpus"]
        assert recorded == {"cache_key": cache_key(), **digest}, artefact.name


@pytest.mark.corpus
@pytest.mark.slow
def test_calibration_builder_reproduces_a_small_case(corpus: Corpus, tmp_path: Path) -> None:
    outs = []
    for k in range(2):
        out = tmp_path / f"try{k}" / "default_calibration.json"
        subprocess.run(
            [
                sys.executable,
                "scripts/calibrate_defaults.py",
                "--out",
                str(out),
                "--sim-dir",
                str(tmp_path / f"sims{k}"),
                "--runs",
                "easy:5,stealth:6",
                "--events",
                "3000",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        outs.append(out)
    first, second = outs
    # DuckDB's parallel sums change the last bits of some floats from run to run (as
    # in scripts/golden.py): equal to 1e-9 relative, everything else exactly.
    assert _close(json.loads(first.read_text()), json.loads(second.read_text()))
    rec = read_record(first)
    assert {k: v for k, v in comparable(rec).items() if k != "sha256"} == {
        k: v for k, v in comparable(read_record(second)).items() if k != "sha256"
    }
    assert rec["args"]["runs"] == [["easy", 5], ["stealth", 6]]
    assert rec["args"]["events"] == 3000
    run = rec["inputs"]["runs"][0]
    assert run["events_sha256"] == sha256_file(tmp_path / "sims0" / "easy-5" / "events.parquet")
    assert Calibration.load(first).benign_accounts > 0
