"""Build records of the artefacts the package ships (learned weights, fingerprints,
calibration): which builder made each one, from which inputs, at which commit.

Every built file ``X.ext`` has a record ``X.build.json`` beside it:

``artefact``, ``sha256``
    The file's name and the SHA-256 of its bytes (the record describes these bytes).
``builder``, ``args``
    The script that wrote it and the arguments that shape its content.
``inputs``
    What it was built from: ``files`` (repository path -> SHA-256 of data files and of
    other artefacts), and per builder ``corpus`` (:func:`table_digest` of the prompt
    corpus), simulated ``runs`` ...
``code``
    Repository path -> SHA-256 of the source files whose logic shapes the result.
``versions``
    Python and the libraries that compute it.
``commit``, ``uncommitted``
    ``git rev-parse HEAD`` when it was built, and which of the files above differed
    from that commit then (an honest record of a build from a working tree).
``note`` (optional)
    What a reader must know, e.g. that a rebuild matches to 1e-9 relative only.

The record holds no time stamp, so a rebuild from the same inputs writes the same
record; tests rebuild each artefact and compare bytes and records
(``tests/test_artefacts.py``).

>>> record_path(Path("data/cot_model.npz")).name
'cot_model.build.json'
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from distillguard.errors import DistillguardError

#: The repository root (the folder holding ``distillguard/``).
ROOT = Path(__file__).resolve().parents[1]
#: Keys of a record that depend on when and where it was built, not on the inputs.
VOLATILE = ("commit", "uncommitted")


def record_path(artefact: Path) -> Path:
    """Where the build record of ``artefact`` is (``name.build.json`` beside it)."""
    return artefact.with_name(f"{artefact.stem}.build.json")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_bytes(path.read_bytes())


def relative(path: Path, root: Path = ROOT) -> str:
    """``path`` relative to the repository root, in POSIX form."""
    return path.resolve().relative_to(root).as_posix()


def file_hashes(paths: Iterable[Path], root: Path = ROOT) -> dict[str, str]:
    """Repository path -> SHA-256 of each file."""
    return {relative(p, root): sha256_file(p) for p in sorted(set(paths))}


def table_digest(table: pa.Table) -> dict[str, Any]:
    """A content hash of an Arrow table (column names, types and values), its rows.

    Independent of the file it was read from (compression, row groups, library
    version): each column's values are hashed as canonical JSON.
    """
    h = hashlib.sha256()
    for field in table.schema:
        h.update(f"{field.name}:{field.type}\n".encode())
        values = table.column(field.name).to_pylist()
        h.update(json.dumps(values, ensure_ascii=False, default=str).encode("utf-8"))
    return {"rows": table.num_rows, "sha256": h.hexdigest()}


def versions(packages: Sequence[str]) -> dict[str, str]:
    """Python's version and each package's installed version."""
    out = {"python": platform.python_version()}
    for name in packages:
        out[name] = importlib.metadata.version(name)
    return out


def git_state(paths: Iterable[str], root: Path = ROOT) -> dict[str, Any]:
    """``commit`` (HEAD) and ``uncommitted`` (which of ``paths`` differ from it)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", *paths],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "uncommitted": None}
    changed = sorted({line[3:].split(" -> ")[-1] for line in status.splitlines() if line})
    return {"commit": head, "uncommitted": changed}


def build_record(
    artefact: Path,
    data: bytes,
    *,
    builder: str,
    args: Mapping[str, Any],
    inputs: Mapping[str, Any],
    code: Iterable[Path],
    packages: Sequence[str] = ("numpy", "pyarrow"),
    note: str | None = None,
    root: Path = ROOT,
) -> dict[str, Any]:
    """The record of ``artefact`` about to be written with bytes ``data``; ``note``
    says what a reader must know (e.g. how exactly a rebuild reproduces it)."""
    code_hashes = file_hashes(code, root)
    files = inputs.get("files", {})
    record: dict[str, Any] = {
        "artefact": artefact.name,
        "sha256": sha256_bytes(data),
        "builder": builder,
        "args": dict(args),
        "inputs": dict(inputs),
        "code": code_hashes,
        "versions": versions(packages),
    }
    if note:
        record["note"] = note
    record.update(git_state([builder, *code_hashes, *files], root))
    return record


def record_json(record: Mapping[str, Any]) -> str:
    return json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_with_record(artefact: Path, data: bytes, record: Mapping[str, Any]) -> None:
    """Write the artefact's bytes and, beside it, its record."""
    artefact.parent.mkdir(parents=True, exist_ok=True)
    artefact.write_bytes(data)
    record_path(artefact).write_text(record_json(record), encoding="utf-8")


def read_record(artefact: Path) -> dict[str, Any]:
    """The build record of ``artefact`` (error if missing or not a record)."""
    path = record_path(artefact)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DistillguardError("no build record", path=path) from exc
    except json.JSONDecodeError as exc:
        raise DistillguardError(f"not JSON ({exc.msg})", path=path, line=exc.lineno) from exc
    if not isinstance(record, dict) or record.get("artefact") != artefact.name:
        raise DistillguardError(f"not the build record of {artefact.name}", path=path)
    return record


def stale_inputs(record: Mapping[str, Any], root: Path = ROOT) -> list[str]:
    """Input files whose bytes changed since the record was written (rebuild needed)."""
    files: dict[str, str] = record.get("inputs", {}).get("files", {})
    out = []
    for name, digest in sorted(files.items()):
        path = root / name
        if not path.is_file():
            out.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            out.append(f"{name}: changed")
    return out


def comparable(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without the keys that depend on when it was built."""
    return {k: v for k, v in record.items() if k not in VOLATILE}
