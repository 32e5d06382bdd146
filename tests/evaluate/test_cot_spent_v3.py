"""The spent v3 elicitation catalog (development data) stays well formed."""

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

SPENT = spent_set("v3")
SPENT_V3 = SPENT.families
SPENT_V2 = spent_set("v2").families


def test_ids_unique_versioned() -> None:
    check_ids(SPENT_V3, "v3")


def test_size_styles_and_languages() -> None:
    check_size_styles_languages(SPENT_V3, min_families=30, min_english=12, min_languages=17)


@pytest.mark.parametrize("fam", SPENT_V3, ids=lambda f: f.id)
def test_family_well_formed(fam: ElicitationFamily) -> None:
    # The task sits at the start, in the middle and at the end across each family's
    # paraphrases, so position alone gives nothing away.
    assert task_positions(fam) == {"start", "middle", "end"}, fam.id


def test_no_id_or_template_copied_from_dev_or_v2() -> None:
    check_apart(SPENT_V3, [FAMILIES, SPENT_V2])


def test_templates_not_all_sharing_one_cue() -> None:
    check_no_giveaway_cue(
        SPENT_V3, ("step by step", "reasoning", "chain of thought", "<thinking>", "json", "think")
    )


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    fam = SPENT.family("distill_record_en_v3")
    assert any('{"' in t for t in fam.templates)
    check_wrap_keeps_braces(fam)
    with pytest.raises(KeyError):
        SPENT.family("cipher_trace_en_v2")  # a spent v2 family is not in v3


def test_version() -> None:
    assert (SPENT.version, SPENT.written, SPENT.status) == ("v3", "2026-11-27", "spent")
