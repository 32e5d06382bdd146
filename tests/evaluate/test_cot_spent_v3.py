"""The spent v3 elicitation catalog (development data) stays well formed."""

from __future__ import annotations

import pytest

from distillguard.evaluate.cot_spent_v2 import HELDOUT_V2
from distillguard.evaluate.cot_spent_v3 import (
    HELDOUT_V3,
    HELDOUT_WRITTEN,
    SPENT_VERSION,
    heldout_family,
)
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
    check_ids(HELDOUT_V3, "v3")


def test_size_styles_and_languages() -> None:
    check_size_styles_languages(HELDOUT_V3, min_families=30, min_english=12, min_languages=17)


@pytest.mark.parametrize("fam", HELDOUT_V3, ids=lambda f: f.id)
def test_family_well_formed(fam: ElicitationFamily) -> None:
    # The task sits at the start, in the middle and at the end across each family's
    # paraphrases, so position alone gives nothing away.
    assert task_positions(fam) == {"start", "middle", "end"}, fam.id


def test_no_id_or_template_copied_from_dev_or_v2() -> None:
    check_apart(HELDOUT_V3, [FAMILIES, HELDOUT_V2])


def test_templates_not_all_sharing_one_cue() -> None:
    check_no_giveaway_cue(
        HELDOUT_V3, ("step by step", "reasoning", "chain of thought", "<thinking>", "json", "think")
    )


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    fam = heldout_family("distill_record_en_v3")
    assert any('{"' in t for t in fam.templates)
    check_wrap_keeps_braces(fam)
    with pytest.raises(KeyError):
        heldout_family("cipher_trace_en_v2")  # a spent v2 family is not in v3


def test_version() -> None:
    assert SPENT_VERSION == "v3"
    assert HELDOUT_WRITTEN == "2026-11-27"
