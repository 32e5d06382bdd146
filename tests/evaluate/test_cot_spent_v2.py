"""The spent v2 elicitation catalog (development data since 2026-11-27): well-formed."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from distillguard.evaluate.cot_spent_v2 import HELDOUT_V2, SPENT_VERSION, heldout_family
from distillguard.sim.elicitation import FAMILIES, PLACEHOLDER, STYLES, ElicitationFamily, wrap
from tests.evaluate.catalog import REQUIRED_LANGUAGES, check_ids, cue_shares, task_positions


def test_ids_unique_versioned_and_apart_from_dev() -> None:
    check_ids(HELDOUT_V2, "v2")
    ids = [f.id for f in HELDOUT_V2]
    assert not set(ids) & {f.id for f in FAMILIES}


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
    # The task does not sit in the same place in every paraphrase.
    assert len(task_positions(fam)) >= 2, fam.id


def test_no_template_copied_from_dev() -> None:
    dev = {t for f in FAMILIES for t in f.templates}
    assert not dev & {t for f in HELDOUT_V2 for t in f.templates}


def test_templates_not_all_sharing_one_cue() -> None:
    # A held-out set that one phrase gives away measures that phrase, not recall.
    for cue, share in cue_shares(
        HELDOUT_V2, ("step by step", "reasoning", "chain of thought", "<thinking>", "json")
    ).items():
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


def test_version() -> None:
    assert SPENT_VERSION == "v2"
