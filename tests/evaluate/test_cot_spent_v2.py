"""The held-out v2 elicitation catalog: well-formed, covering, apart from dev, evaluated.

These tests check the catalog's shape only.  None of them may assert anything about the
signal's recall on it: a test that pins held-out recall would be tuning the test set.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest

from distillguard.evaluate import cot
from distillguard.evaluate.cot_heldout import (
    HELDOUT_V2,
    HELDOUT_VERSION,
    heldout_family,
)
from distillguard.sim.corpus import Corpus
from distillguard.sim.elicitation import FAMILIES, PLACEHOLDER, STYLES, ElicitationFamily, wrap

REQUIRED_LANGUAGES = {
    "en",
    "zh",
    "ru",
    "es",
    "de",
    "fr",
    "ja",
    "ko",
    "pt",
    "ar",
    "vi",
    "hi",
    "tr",
    "it",
    "pl",
    "id",
    "nl",
}
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Any {name} placeholder; literal JSON braces such as {"input": str} do not match.
NAMED_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def test_ids_unique_versioned_and_apart_from_dev() -> None:
    ids = [f.id for f in HELDOUT_V2]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {f.id for f in FAMILIES}
    for f in HELDOUT_V2:
        assert SNAKE.fullmatch(f.id), f.id
        assert f.id.endswith(f"_{f.language}_v2"), f.id


def test_size_styles_and_languages() -> None:
    assert len(HELDOUT_V2) >= 24
    assert {f.style for f in HELDOUT_V2} == set(STYLES)
    langs = Counter(f.language for f in HELDOUT_V2)
    assert set(langs) >= REQUIRED_LANGUAGES
    assert langs["en"] >= 8
    # English alone covers every style, so an English-only detector cannot hide behind
    # the language mix.
    assert {f.style for f in HELDOUT_V2 if f.language == "en"} == set(STYLES)


@pytest.mark.parametrize("fam", HELDOUT_V2, ids=lambda f: f.id)
def test_family_well_formed(fam: ElicitationFamily) -> None:
    assert len(fam.templates) >= 5
    assert len(set(fam.templates)) == len(fam.templates)
    positions = set()
    for t in fam.templates:
        assert t.count(PLACEHOLDER) == 1
        assert NAMED_PLACEHOLDER.findall(t) == [PLACEHOLDER]
        assert t.strip() == t
        if t.startswith(PLACEHOLDER):
            positions.add("start")
        elif t.endswith(PLACEHOLDER):
            positions.add("end")
        else:
            positions.add("middle")
    # The task does not sit in the same place in every paraphrase.
    assert len(positions) >= 2, fam.id


def test_no_template_copied_from_dev() -> None:
    dev = {t for f in FAMILIES for t in f.templates}
    assert not dev & {t for f in HELDOUT_V2 for t in f.templates}


def test_templates_not_all_sharing_one_cue() -> None:
    # A held-out set that one phrase gives away measures that phrase, not recall.
    templates = [t for f in HELDOUT_V2 for t in f.templates]
    for cue in ("step by step", "reasoning", "chain of thought", "<thinking>", "json"):
        share = sum(cue in t.lower() for t in templates) / len(templates)
        assert share < 0.25, cue


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    fam = heldout_family("annotation_schema_en_v2")
    task = "Compute {x: x**2}[3]."
    for seed in range(20):
        text = wrap(task, fam, np.random.default_rng(seed))
        assert task in text
        assert PLACEHOLDER not in text
    with pytest.raises(KeyError):
        heldout_family("no_gaps_en")  # a spent v1 family is not in v2


def test_heldout_families_used_by_evaluation() -> None:
    assert cot.heldout_families() == HELDOUT_V2
    assert HELDOUT_VERSION == "v2"


@pytest.mark.corpus
def test_small_evaluation_reports_v2(corpus: Corpus) -> None:
    report = cot.evaluate_cot(seed=2, n_benign=100, n_tasks=4, corpus=corpus)
    d = report.to_dict()
    json.dumps(d)
    assert d["heldout_version"] == "v2"
    assert [r["family"] for r in d["heldout"]] == [f.id for f in HELDOUT_V2]
    assert all(r["split"] == "heldout" and r["n"] == 4 for r in d["heldout"])
    assert [r["family"] for r in d["dev_development_data"]] == [f.id for f in FAMILIES]
    assert d["heldout_recall"] is not None
    assert all(x.split("]")[0].endswith("_v2") for x in d["missed_heldout"])
    assert "held-out families v2" in report.table()
