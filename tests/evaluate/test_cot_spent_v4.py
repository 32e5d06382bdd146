"""The spent v4 elicitation catalog (the held-out set until 2026-12-07) is well formed
and apart from the other development data.
"""

from __future__ import annotations

import pytest

from distillguard_lab.evaluate.cot_catalogs import spent_set
from distillguard_lab.sim.elicitation import FAMILIES, ElicitationFamily
from tests.evaluate.catalog import (
    check_apart,
    check_ids,
    check_no_giveaway_cue,
    check_size_styles_languages,
    check_wrap_keeps_braces,
    task_positions,
)

HELDOUT = spent_set("v4")
HELDOUT_FAMILIES = HELDOUT.families
SPENT_V2 = spent_set("v2").families
SPENT_V3 = spent_set("v3").families


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
    check_apart(HELDOUT_FAMILIES, [FAMILIES, SPENT_V2, SPENT_V3])


def test_templates_not_all_sharing_one_cue() -> None:
    check_no_giveaway_cue(
        HELDOUT_FAMILIES,
        ("step by step", "reasoning", "chain of thought", "<thinking>", "json", "think"),
    )


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    fam = HELDOUT.family("sql_insert_en_v4")
    assert any('{"' in t for t in fam.templates)
    assert any("{\n" in t for t in fam.templates)
    check_wrap_keeps_braces(fam)
    with pytest.raises(KeyError):
        HELDOUT.family("distill_record_en_v3")  # a spent v3 family is not in v4


def test_version() -> None:
    assert (HELDOUT.version, HELDOUT.written, HELDOUT.status) == ("v4", "2026-11-27", "spent")


def test_more_than_v2_and_v3_and_apart_from_dev_families() -> None:
    # The checks the catalog module's doctests made.
    from distillguard_lab.evaluate.cot_catalogs import dev_families
    from distillguard_lab.sim.elicitation import STYLES

    assert len(HELDOUT_FAMILIES) >= 35
    assert {f.style for f in HELDOUT_FAMILIES} == set(STYLES)
    assert len({f.language for f in HELDOUT_FAMILIES}) >= 17
    dev_ids = {f.id for f in dev_families().catalog.families}
    assert not {f.id for f in HELDOUT_FAMILIES} & dev_ids
    assert HELDOUT.family("commit_log_en_v4").style == "encode_reasoning"
