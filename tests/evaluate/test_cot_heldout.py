"""The held-out v4 elicitation catalog is well formed and apart from all development data."""

from __future__ import annotations

import pytest

from distillguard.evaluate.cot_heldout import (
    HELDOUT_FAMILIES,
    HELDOUT_VERSION,
    HELDOUT_WRITTEN,
    heldout_family,
)
from distillguard.evaluate.cot_spent_v2 import HELDOUT_V2
from distillguard.evaluate.cot_spent_v3 import HELDOUT_V3
from distillguard.sim.elicitation import FAMILIES, ElicitationFamily
from tests.evaluate.catalog import (
    check_apart,
    check_ids,
    check_no_giveaway_cue,
    check_size_styles_languages,
    check_wrap_keeps_braces,
    task_positions,
)


def test_ids_unique_versioned() -> None:
    check_ids(HELDOUT_FAMILIES, "v4")


def test_size_styles_and_languages() -> None:
    check_size_styles_languages(HELDOUT_FAMILIES, min_families=35, min_english=12, min_languages=17)


@pytest.mark.parametrize("fam", HELDOUT_FAMILIES, ids=lambda f: f.id)
def test_family_well_formed(fam: ElicitationFamily) -> None:
    # The task sits at the start, in the middle and at the end across each family's
    # paraphrases, so position alone gives nothing away.
    assert task_positions(fam) == {"start", "middle", "end"}, fam.id
    assert len(fam.templates) <= 6, fam.id


def test_no_id_or_template_copied_from_dev_v2_or_v3() -> None:
    check_apart(HELDOUT_FAMILIES, [FAMILIES, HELDOUT_V2, HELDOUT_V3])


def test_templates_not_all_sharing_one_cue() -> None:
    check_no_giveaway_cue(
        HELDOUT_FAMILIES,
        ("step by step", "reasoning", "chain of thought", "<thinking>", "json", "think"),
    )


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    fam = heldout_family("sql_insert_en_v4")
    assert any('{"' in t for t in fam.templates)
    assert any("{\n" in t for t in fam.templates)
    check_wrap_keeps_braces(fam)
    with pytest.raises(KeyError):
        heldout_family("distill_record_en_v3")  # a spent v3 family is not in v4


def test_version() -> None:
    assert HELDOUT_VERSION == "v4"
    assert HELDOUT_WRITTEN == "2026-11-27"


def test_heldout_is_what_evaluation_measures() -> None:
    from distillguard.evaluate import cot

    assert cot._heldout() == (HELDOUT_FAMILIES, "v4")
