"""The held-out v4 elicitation catalog is well formed and apart from all development data."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from distillguard.evaluate.cot_heldout import (
    HELDOUT_FAMILIES,
    HELDOUT_VERSION,
    HELDOUT_WRITTEN,
    heldout_family,
)
from distillguard.evaluate.cot_spent_v2 import HELDOUT_V2
from distillguard.evaluate.cot_spent_v3 import HELDOUT_V3
from distillguard.sim.elicitation import FAMILIES, PLACEHOLDER, STYLES, ElicitationFamily, wrap
from tests.evaluate.catalog import REQUIRED_LANGUAGES, check_ids, cue_shares, task_positions


def test_ids_unique_versioned_and_apart_from_dev_v2_and_v3() -> None:
    check_ids(HELDOUT_FAMILIES, "v4")
    ids = {f.id for f in HELDOUT_FAMILIES}
    assert not ids & {f.id for f in FAMILIES}
    assert not ids & {f.id for f in HELDOUT_V2}
    assert not ids & {f.id for f in HELDOUT_V3}


def test_size_styles_and_languages() -> None:
    assert len(HELDOUT_FAMILIES) >= 35
    assert {f.style for f in HELDOUT_FAMILIES} == set(STYLES)
    langs = Counter(f.language for f in HELDOUT_FAMILIES)
    assert set(langs) >= REQUIRED_LANGUAGES
    assert len(langs) >= 17
    assert langs["en"] >= 12
    # English alone covers every style, so an English-only detector cannot hide behind
    # the language mix.
    assert {f.style for f in HELDOUT_FAMILIES if f.language == "en"} == set(STYLES)


@pytest.mark.parametrize("fam", HELDOUT_FAMILIES, ids=lambda f: f.id)
def test_family_well_formed(fam: ElicitationFamily) -> None:
    # The task sits at the start, in the middle and at the end across each family's
    # paraphrases, so position alone gives nothing away.
    assert task_positions(fam) == {"start", "middle", "end"}, fam.id
    assert len(fam.templates) <= 6, fam.id


def test_no_template_copied_from_dev_v2_or_v3() -> None:
    v4 = {t for f in HELDOUT_FAMILIES for t in f.templates}
    assert not v4 & {t for f in FAMILIES for t in f.templates}
    assert not v4 & {t for f in HELDOUT_V2 for t in f.templates}
    assert not v4 & {t for f in HELDOUT_V3 for t in f.templates}


def test_templates_not_all_sharing_one_cue() -> None:
    # A held-out set that one phrase gives away measures that phrase, not recall.
    for cue, share in cue_shares(
        HELDOUT_FAMILIES,
        ("step by step", "reasoning", "chain of thought", "<thinking>", "json", "think"),
    ).items():
        assert share < 0.25, cue


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    fam = heldout_family("sql_insert_en_v4")
    assert any('{"' in t for t in fam.templates)
    assert any("{\n" in t for t in fam.templates)
    task = "Compute {x: x**2}[3]."
    for seed in range(20):
        text = wrap(task, fam, np.random.default_rng(seed))
        assert task in text
        assert PLACEHOLDER not in text
    with pytest.raises(KeyError):
        heldout_family("distill_record_en_v3")  # a spent v3 family is not in v4


def test_version() -> None:
    assert HELDOUT_VERSION == "v4"
    assert HELDOUT_WRITTEN == "2026-11-27"


def test_heldout_is_what_evaluation_measures() -> None:
    from distillguard.evaluate import cot

    assert cot._heldout() == (HELDOUT_FAMILIES, "v4")
