"""The spent v2 elicitation catalog (development data since 2026-11-27): well-formed."""

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

SPENT = spent_set("v2")
SPENT_V2 = SPENT.families


def test_ids_unique_versioned() -> None:
    check_ids(SPENT_V2, "v2")


def test_size_styles_and_languages() -> None:
    check_size_styles_languages(SPENT_V2, min_families=24, min_english=8)


@pytest.mark.parametrize("fam", SPENT_V2, ids=lambda f: f.id)
def test_family_well_formed(fam: ElicitationFamily) -> None:
    # The task does not sit in the same place in every paraphrase.
    assert len(task_positions(fam)) >= 2, fam.id


def test_no_id_or_template_copied_from_dev() -> None:
    check_apart(SPENT_V2, [FAMILIES])


def test_templates_not_all_sharing_one_cue() -> None:
    check_no_giveaway_cue(
        SPENT_V2, ("step by step", "reasoning", "chain of thought", "<thinking>", "json")
    )


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    check_wrap_keeps_braces(SPENT.family("annotation_schema_en_v2"))
    with pytest.raises(KeyError):
        SPENT.family("no_gaps_en")  # a spent v1 family is not in v2


def test_version() -> None:
    assert (SPENT.version, SPENT.written, SPENT.status) == ("v2", "2026-11-27", "spent")
