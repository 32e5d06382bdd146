"""Evaluation data lives outside the package, is pinned by its manifest, and the blind
held-out set is read by the evaluation alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from distillguard.datafile import DataFileError
from distillguard_lab.evaluate import cot_catalogs

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "data" / "eval"


def test_manifest_pins_every_file() -> None:
    # A changed, added or removed catalog fails here until MANIFEST says so: a frozen
    # set (the blind v5 above all) cannot change by accident.
    assert cot_catalogs.manifest_problems(EVAL) == []
    assert set(cot_catalogs.manifest_entries(EVAL)) == {
        "cot/heldout_v5.yaml",
        "cot/heldout_v5_negatives.yaml",
        "cot/heldout_v6.yaml",
        "cot/heldout_v6_negatives.yaml",
        "cot/spent_v2.yaml",
        "cot/spent_v3.yaml",
        "cot/spent_v4.yaml",
        "cot/dev_families.yaml",
        "cot/dev_negatives.yaml",
    }


def test_manifest_catches_a_changed_file(tmp_path: Path) -> None:
    copy = tmp_path / "eval"
    shutil.copytree(EVAL, copy)
    target = copy / "cot" / "spent_v2.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (copy / "cot" / "extra.yaml").write_text("x: 1\n", encoding="utf-8")
    assert cot_catalogs.manifest_problems(copy) == [
        "cot/extra.yaml: not in MANIFEST",
        "cot/spent_v2.yaml: SHA-256 differs from MANIFEST",
    ]


def test_eval_data_is_outside_every_package() -> None:
    assert cot_catalogs.eval_data_dir() == EVAL
    assert not list(EVAL.rglob("*.py"))
    # Both distributions (the product and the lab) package only their own package.
    for project, package in ((ROOT, "distillguard"), (ROOT / "lab", "distillguard_lab")):
        config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        setuptools = config["tool"]["setuptools"]
        assert setuptools["packages"]["find"]["include"] == [package, f"{package}.*"]
        # Package data globs are relative to the package folder: none reaches data/eval.
        package_data = setuptools["package-data"][package]
        assert not any(".." in glob or glob.startswith("/") for glob in package_data)
        assert not (project / "MANIFEST.in").exists()


def test_eval_data_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cot_catalogs.EVAL_DATA_ENV, str(tmp_path))
    with pytest.raises(Exception, match="evaluation data not found"):
        cot_catalogs.eval_data_dir()
    shutil.copytree(EVAL, tmp_path, dirs_exist_ok=True)
    assert cot_catalogs.eval_data_dir() == tmp_path


# The fresh interpreter records every file opened (an audit hook), imports every module
# of the package and runs the model-building scripts' module code, then asserts the
# blind set was never opened; last, a positive control reads it through heldout().
_NEVER_OPENED = """
import importlib, os, pkgutil, runpy, sys
blind = os.path.realpath(sys.argv[1])
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.path.realpath(os.fsdecode(args[0])) == blind:
            opened.append(args[0])
sys.addaudithook(hook)
import distillguard
for m in pkgutil.walk_packages(distillguard.__path__, "distillguard."):
    if not m.name.endswith("__main__"):
        importlib.import_module(m.name)
for s in ("scripts/build_cot_model.py", "scripts/cot_family_cv.py",
          "scripts/cot_dev_eval.py", "scripts/cot_sim_requests.py",
          "scripts/build_benchmark_fingerprints.py", "scripts/calibrate_defaults.py"):
    runpy.run_path(s, run_name="not_main")
from distillguard_lab.evaluate import cot, cot_catalogs
cot_catalogs.dev_families(), cot_catalogs.dev_negatives(), cot_catalogs.spent_set("v2")
assert opened == [] and cot_catalogs.blind_reads() == 0, opened
cot._heldout()
assert len(opened) == 1 and cot_catalogs.blind_reads() == 1, opened
print("ok")
"""


def test_importing_every_module_never_opens_the_blind_set() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _NEVER_OPENED, str(EVAL / cot_catalogs.HELDOUT_FILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok"


def test_a_process_that_refuses_blind_reads_cannot_open_it() -> None:
    code = (
        "from distillguard_lab.evaluate import cot_catalogs\n"
        "cot_catalogs.refuse_blind_reads()\n"
        "cot_catalogs.spent_set('v3')\n"
        "try:\n"
        "    cot_catalogs.heldout()\n"
        "except cot_catalogs.BlindReadError as exc:\n"
        "    print('refused', 'blind' in str(exc))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "refused True"


# ------------------------------------------------------------------ loader errors


def _catalog_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (EVAL / cot_catalogs.SPENT_FILES["v2"]).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "spent.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        (
            "    style: tagged_reasoning\n",
            "    style: tagged_thinking\n",
            "tagged_thinking",
            "families[0].style",
            "unknown style",
        ),
        (
            "  - id: scratchpad_first_en_v2\n",
            "  - id: Scratchpad-First\n",
            "Scratchpad-First",
            "families[0].id",
            "snake_case",
        ),
        (
            "    language: en\n",
            "    language: en\n    languages: [en]\n",
            "languages:",
            "families[0].languages",
            "unknown key",
        ),
        (
            "\n        {task}\n",
            "\n        (no task)\n",
            "(no task)",
            "families[0].templates[0]",
            "{task} once",
        ),
    ],
)
def test_catalog_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, needle: str, field: str, message: str
) -> None:
    path = _catalog_with(tmp_path, old, new)
    with pytest.raises(DataFileError, match=message) as info:
        cot_catalogs.load_family_catalog(path, "spent")
    err = info.value
    assert err.path == str(path)
    assert err.field == field
    assert err.line is not None
    # The line is the record's field (for a template: where its block starts).
    assert abs(err.line - _line_of(path, needle)) <= 3


def test_catalog_duplicate_id_and_status(tmp_path: Path) -> None:
    path = _catalog_with(
        tmp_path, "  - id: inner_monologue_en_v2\n", "  - id: scratchpad_first_en_v2\n"
    )
    with pytest.raises(DataFileError, match="duplicate id 'scratchpad_first_en_v2'") as info:
        cot_catalogs.load_family_catalog(path, "spent")
    # The second occurrence is named.
    lines = path.read_text(encoding="utf-8").splitlines()
    line = info.value.line
    assert line is not None
    assert lines[line - 1] == "  - id: scratchpad_first_en_v2"
    assert line > _line_of(path, "  - id: scratchpad_first_en_v2")
    assert info.value.field == "families[1].id"
    with pytest.raises(DataFileError, match="expected status 'heldout'"):
        cot_catalogs.load_family_catalog(EVAL / cot_catalogs.SPENT_FILES["v2"], "heldout")
