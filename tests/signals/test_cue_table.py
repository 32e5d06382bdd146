"""The cue table file: the packaged one loads; a broken one names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.datafile import DataFileError, load_data_text
from distillguard.signals.cot_elicitation import CotElicitation, cue_table
from distillguard.signals.cue_table import (
    ANY_EVIDENCE,
    DEFAULT_COUNTER_CAP,
    DEFAULT_CUES,
    GATED,
    load_cue_table,
    parse_cue_table,
)

# A small valid table exercising every construct of the format.
GOOD = """\
version: 1
words:
  nouns: [reasoning, thinking]
  tags: [think, a.b]
fragments:
  noun: 'reasoning|thinking'
cues:
  - name: hidden
    weight: 1.3
    patterns:
      - '\\binternal (?:${noun})'
      - |-
        \\bhidden
        (?:${noun})\\b
    stems:
      - {words: nouns}
      - [internal, hidden]
      - {combos: [[raw, inner], nouns]}
  - name: tags
    weight: 1.0
    patterns: ['<(?:${tags})>']
    stems:
      - {combos: [["<", "["], [think, a.]], sep: ""}
  - name: json
    weight: 0.2
    patterns: ['\\bjson\\b']
    requires: [hidden]
  - name: broad
    weight: 0.01
    patterns: ['\\btrace\\b']
    requires: [gate]
  - name: brevity
    weight: -0.4
    patterns: ['\\bbriefly\\b']
    requires: ["*"]
    examples: [Answer briefly., briefly]
pairs:
  - [hidden, json, 0.5]
counter_cap: 0.3
"""


def _parse(text: str) -> None:
    parse_cue_table(load_data_text(text, "cues.yaml"))


def test_packaged_table_is_what_the_signal_uses() -> None:
    table = load_cue_table(DEFAULT_CUES)
    assert table is cue_table() is load_cue_table(DEFAULT_CUES)  # read once per process
    assert len(table.sha256) == 64
    names = [c.name for c in table.cues]
    comp = CotElicitation()._compiled()
    assert [c.name for c in comp.cues] == names
    assert len(comp.pairs) == len(table.pairs)
    assert table.cues[-1].requires == (ANY_EVIDENCE,)
    assert any(c.requires == (GATED,) for c in table.cues)


def test_format_constructs() -> None:
    table = parse_cue_table(load_data_text(GOOD, "cues.yaml"))
    hidden, tags, json_cue = table.cues[:3]
    assert hidden.patterns == (
        r"\binternal (?:reasoning|thinking)",
        r"\bhidden(?:reasoning|thinking)\b",
    )
    assert hidden.stems == (
        "reasoning",
        "thinking",
        "internal",
        "hidden",
        "raw reasoning",
        "raw thinking",
        "inner reasoning",
        "inner thinking",
    )
    # A word list in a pattern is the alternation of its escaped words.
    assert tags.patterns == (r"<(?:think|a\.b)>",)
    assert tags.stems == ("<think", "<a.", "[think", "[a.")
    assert json_cue.requires == ("hidden",)
    assert table.pairs == (("hidden", "json", 0.5),)
    assert table.counter_cap == 0.3
    assert table.counter_examples == ("Answer briefly.", "briefly")
    assert [c.counter for c in table.cues] == [False, False, False, False, True]


def test_counter_cap_defaults_when_absent() -> None:
    table = parse_cue_table(load_data_text(GOOD.replace("counter_cap: 0.3\n", ""), "cues.yaml"))
    assert table.counter_cap == DEFAULT_COUNTER_CAP


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        ("weight: 1.3\n", "weight: high\n", "high", "cues[0].weight", "non-zero number"),
        ("['\\bjson\\b']", "['(?=json)']", "(?=json)", "cues[2].patterns[0]", "RE2"),
        ("['\\bjson\\b']", "['(json']", "['(json']", "cues[2].patterns[0]", "not a valid regex"),
        ("(?:${noun})'", "(?:${nope})'", "${nope}", "cues[0].patterns[0]", "unknown fragment"),
        ("\\bhidden\n", "\\bhidden \n", "bhidden ", "cues[0].patterns[1]", "whitespace"),
        ("[internal, hidden]", "[internal, Hidden]", "    stems:", "cues[0].stems", "lower case"),
        ("[hidden]", "[nowhere]", "[nowhere]", "cues[2].requires[0]", "unknown cue"),
        ("[hidden]", "[broad]", "[broad]", "cues[2].requires[0]", "runs after"),
        ("- name: tags\n", "- name: hidden\n", "- name: hidden\n    weight: 1.0", "cues[1].name",
         "duplicate cue name"),
        ("weight: 0.2\n", "weight: 0.2\n    stems: [json]\n", "- name: json", "cues[2]",
         "either stems"),
        ("  - [hidden, json, 0.5]\n", "  - [hidden, json, 0.5]\n  - [json, hidden, 0.1]\n",
         "[json, hidden", "pairs[1]", "duplicate pair"),
        ("[hidden, json, 0.5]", "[hidden, nope, 0.5]", "nope", "pairs[0][1]", "unknown cue"),
        ("weight: -0.4\n", "weight: 0.4\n", '["*"]', "cues[4].requires", "negative"),
        ("version: 1\n", "version: 1\ncolour: blue\n", "colour", "colour", "unknown key"),
        ("version: 1\n", "version: 2\n", "version", "version", "unsupported version"),
        ("counter_cap: 0.3", "counter_cap: 0", "counter_cap: 0", "counter_cap", "positive"),
        ("counter_cap: 0.3", "counter_cap: no", "counter_cap: no", "counter_cap", "positive"),
        ("[Answer briefly., briefly]", "[Answer briefly., curtly]", "[Answer briefly.",
         "cues[4].examples[1]", "does not match 'curtly'"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_field(
    old: str, new: str, needle: str, field: str, message: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    with pytest.raises(DataFileError, match=message) as info:
        _parse(text)
    line = text[: text.index(needle)].count("\n") + 1
    assert (info.value.path, info.value.line, info.value.field) == ("cues.yaml", line, field)


def test_counter_cues_come_last() -> None:
    text = GOOD.replace(
        "pairs:\n", "  - name: late\n    weight: 0.3\n    patterns: [x]\n    stems: [x]\npairs:\n"
    )
    with pytest.raises(DataFileError, match="must come last") as info:
        _parse(text)
    assert info.value.field == "cues[5]"


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found"):
        load_cue_table(tmp_path / "none.yaml")
