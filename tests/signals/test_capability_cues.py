"""The capability cue table is data: validated on load, errors name file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.datafile import DataFileError
from distillguard.signals.capability import CUES_FILE, KNOWN, ORDER, load_cues


def test_the_shipped_table_loads_in_tie_break_order() -> None:
    cues = load_cues()
    assert tuple(cues) == ORDER
    assert set(ORDER) == KNOWN
    assert ORDER[0] == "coding"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = CUES_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "cues.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("name: math", "name: maths", "capabilities[1].name", "unknown or repeated"),
        ("        ```|", "        ```|(", "capabilities[0].patterns", "not a valid pattern"),
        ("version: 1", "version: 2", "version", "unknown version"),
        ("    patterns:\n", "    pattern:\n", "capabilities[0]", "missing required key"),
    ],
)
def test_a_broken_table_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(DataFileError, match=message) as err:
        load_cues(path)
    assert err.value.path == str(path)
    assert err.value.field == field
    assert err.value.line is not None
