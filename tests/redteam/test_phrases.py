"""The red team's phrase banks: the packaged file loads; a broken one names where."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.datafile import DataFileError
from distillguard_lab.redteam import phrases as ph


def test_packaged_file_loads_to_the_module_constants() -> None:
    loaded = ph.load_phrases()
    assert loaded.grading == ph.GRADING
    assert loaded.router_systems == ph.ROUTER_SYSTEMS
    assert None in ph.ROUTER_SYSTEMS
    assert "" in ph.OPENERS["en"]


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("      {q}\n", "      {question}\n", "grading.en[0]", "unknown fields"),
        ("    In the repository, implement the following",
         "    In the repository, implement {thing} the following", "agent_tasks[0]",
         "unknown fields"),
        ("router_systems:\n  - null", "router_systems:\n  - 7", "router_systems[0]",
         "string or null"),
        ("version: 1\n", "version: 1\nextra: []\n", "extra", "unknown key"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    text = ph.DATA_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "phrases.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError, match=message) as info:
        ph.load_phrases(path)
    assert info.value.path == str(path)
    assert info.value.field == field
    assert info.value.line is not None
