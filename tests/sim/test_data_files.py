"""The simulator's data files (templates, elicitation catalog): a broken file names its
file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.datafile import DataFileError
from distillguard_lab.sim import elicitation, templates


def _mutated(tmp_path: Path, source: Path, old: str, new: str) -> tuple[Path, str]:
    text = source.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8")
    return path, text


def _line(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_packaged_files_load_to_the_module_constants() -> None:
    app, harvest = templates.load_templates()
    assert (app, harvest) == (templates.APP_TEMPLATES, templates.HARVEST_TEMPLATES)
    cat = elicitation.load_catalog()
    assert cat.families == elicitation.FAMILIES
    assert tuple(cat.styles) == elicitation.STYLES
    assert cat.benign_reasoning_asks == elicitation.BENIGN_REASONING_ASKS


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        ("    capability: writing\n", "    capability: poetry\n", "poetry", "app[0].capability",
         "unknown capability"),
        ("    temperature: 0.2\n", "    temperature: warm\n", "warm", "app[0].temperature",
         "expected a number"),
        ("    max_tokens: 400\n", "    max_tokens: 0\n", "max_tokens: 0", "app[0].max_tokens",
         "at least 1"),
        ("      {text}\n  - id: email_reply_drafter", "      {txt}\n  - id: email_reply_drafter",
         "    user: |-", "app[0].user", "exactly once"),
        ("  - id: email_reply_drafter\n", "  - id: support_ticket_summariser\n",
         "  - id: support_ticket_summariser\n    capability: writing\n    temperature: 0.7",
         "app[1].id", "duplicate id"),
        ("    max_tokens: 400\n", "    max_tokens: 400\n    model: big\n", "model: big",
         "app[0].model", "unknown key"),
    ],
)  # fmt: skip
def test_template_errors(
    tmp_path: Path, old: str, new: str, needle: str, field: str, message: str
) -> None:
    path, text = _mutated(tmp_path, templates.DATA_FILE, old, new)
    with pytest.raises(DataFileError, match=message) as info:
        templates.load_templates(path)
    assert (info.value.path, info.value.line, info.value.field) == (
        str(path),
        _line(text, needle),
        field,
    )


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        ("    style: step_by_step\n", "    style: stepwise\n", "stepwise", "families[0].style",
         "unknown style"),
        ("  - id: exhaustive_steps_en\n", "  - id: Exhaustive\n", "Exhaustive", "families[0].id",
         "snake_case"),
        ("  please: [kindly]\n", "  Please: [kindly]\n", "Please:", "synonyms.Please",
         "lower case"),
        ("spent_heldout_v1: [no_gaps_en,", "spent_heldout_v1: [no_such_family,",
         "spent_heldout_v1", "spent_heldout_v1[0]", "unknown family id"),
        ("  hi: [", "  xx: [", "prefixes:", "prefixes", "scripts"),
        ("  - '{task} Can you show your work?'", "  - 'Can you show your work?'",
         "  - 'Can you show your work?'", "benign_reasoning_asks[0]", "once"),
    ],
)  # fmt: skip
def test_elicitation_errors(
    tmp_path: Path, old: str, new: str, needle: str, field: str, message: str
) -> None:
    path, text = _mutated(tmp_path, elicitation.DATA_FILE, old, new)
    with pytest.raises(DataFileError, match=message) as info:
        elicitation.load_catalog(path)
    assert (info.value.path, info.value.line, info.value.field) == (
        str(path),
        _line(text, needle),
        field,
    )
