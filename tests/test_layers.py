"""The import contracts hold, and every product module is under one of them.

The contracts themselves are in ``pyproject.toml`` (``[tool.importlinter]``) and
``.ci/run`` runs ``lint-imports`` as well; this test keeps them honest: a new
top-level module that no layer names would be free to import anything.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import distillguard

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(distillguard.__file__).resolve().parent
#: Where a product module may name the lab's label columns: the label file format.
LABEL_FORMAT = {"schema.py", "ingest/readers.py", "ingest/writers.py", "ingest/__init__.py"}


def _contracts() -> list[dict[str, object]]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = doc["tool"]["importlinter"]["contracts"]
    return contracts


def test_lint_imports_keeps_every_contract() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_every_top_level_module_is_in_a_layer() -> None:
    (layers,) = [c["layers"] for c in _contracts() if c["type"] == "layers"]
    assert isinstance(layers, list)
    named = {m.strip() for layer in layers for m in str(layer).replace(":", "|").split("|")}
    tops = {
        f"distillguard.{p.stem if p.is_file() else p.name}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert tops - named == set(), "add the new module to a layer in pyproject.toml"


def test_no_product_module_reads_labels() -> None:
    """Labels are the lab's: only the label file format itself names them."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in LABEL_FORMAT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
            text = node.value if isinstance(node, ast.Constant) else None
            if name in ("read_labels", "LABEL_SCHEMA", "EVENT_LABEL_SCHEMA") or text in (
                "is_attack",
                "is_attack_request",
            ):
                offenders.append(f"{rel}:{getattr(node, 'lineno', '?')}")
    assert offenders == []
