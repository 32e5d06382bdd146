"""The held-out v5 elicitation catalog and its hard negatives are well formed, blind and
apart from everything written before them.

These tests read the blind files (their templates, never a score of the signal on them).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from distillguard_lab.evaluate import cot_catalogs
from distillguard_lab.evaluate.cot_catalogs import (
    dev_families,
    dev_negatives,
    heldout,
    heldout_negatives,
    spent_set,
)
from distillguard_lab.sim.elicitation import (
    BENIGN_REASONING_ASKS,
    FAMILIES,
    PLACEHOLDER,
    ElicitationFamily,
)
from tests.evaluate.catalog import (
    NAMED_PLACEHOLDER,
    SNAKE,
    check_apart,
    check_blind_reads_refused,
    check_ids,
    check_no_giveaway_cue,
    check_only_heldout_opens,
    check_size_styles_languages,
    check_wrap_keeps_braces,
    task_positions,
)

ROOT = Path(__file__).resolve().parents[2]
V5 = heldout("v5")
V5_FAMILIES = V5.families
V5_NEGATIVES = heldout_negatives("v5")
V4_FAMILIES = spent_set("v4").families
SPENT_V2 = spent_set("v2").families
SPENT_V3 = spent_set("v3").families
DEV = dev_families()
DEV_NEGATIVES = dev_negatives()

#: Every earlier catalog of elicitation families: the simulator's, v2, v3, v4, dev.
EARLIER_FAMILIES = (FAMILIES, SPENT_V2, SPENT_V3, V4_FAMILIES, DEV.catalog.families)
#: Scripts other than the Latin one that v5 must cover (wrapper text, not tasks).
NON_LATIN = frozenset(["zh", "ja", "ko", "ru", "uk", "ar", "fa", "he", "hi", "th"])
#: Two templates at least this similar (after :func:`_normalise`) count as a near copy.
NEAR_COPY = 0.8


def _normalise(text: str) -> str:
    """Lower case, no ``{task}``, punctuation and symbols as spaces, spaces collapsed
    (letters, combining marks and digits of every script kept)."""
    text = text.replace(PLACEHOLDER, " ").casefold()
    kept = (c if unicodedata.category(c)[0] in "LMN" else " " for c in text)
    return " ".join("".join(kept).split())


def _near_copies(ours: Iterable[str], theirs: Iterable[str]) -> list[tuple[float, str, str]]:
    """Pairs of ``ours`` x ``theirs`` that are equal or near copies once normalised."""
    mine = sorted({_normalise(t) for t in ours})
    found = []
    matcher = difflib.SequenceMatcher(autojunk=False)
    for other in {_normalise(t) for t in theirs}:
        matcher.set_seq2(other)  # b is cached across the inner loop
        for text in mine:
            matcher.set_seq1(text)
            if (
                matcher.real_quick_ratio() >= NEAR_COPY
                and matcher.quick_ratio() >= NEAR_COPY
                and (ratio := matcher.ratio()) >= NEAR_COPY
            ):
                found.append((ratio, text, other))
    return found


def _templates(families: Iterable[ElicitationFamily]) -> list[str]:
    return [t for f in families for t in f.templates]


def _earlier_positive_texts() -> list[str]:
    texts = [t for fams in EARLIER_FAMILIES for t in _templates(fams)]
    return texts + list(BENIGN_REASONING_ASKS) + list(DEV.benign_asks)


def _negative_templates(families: Sequence[cot_catalogs.NegativeFamily]) -> list[str]:
    return [t for f in families for t in f.templates]


# --------------------------------------------------------------------------- families


def test_version_and_default() -> None:
    assert (V5.version, V5.written, V5.status) == ("v5", "2026-12-07", "heldout")
    # v5 is the held-out set since 2026-12-07 (v4 is spent).
    assert heldout().version == "v5"
    assert cot_catalogs.DEFAULT_HELDOUT == "v5"
    for spent in ("v3", "v4"):
        with pytest.raises(KeyError, match=f"no held-out set '{spent}'"):
            heldout(spent)  # a spent set is not a held-out set
    with pytest.raises(KeyError, match="no held-out negatives"):
        heldout_negatives("v4")


def test_ids_unique_versioned() -> None:
    check_ids(V5_FAMILIES, "v5")


def test_size_styles_and_languages() -> None:
    check_size_styles_languages(V5_FAMILIES, min_families=40, min_english=12, min_languages=20)
    langs = Counter(f.language for f in V5_FAMILIES)
    assert len(set(langs) & NON_LATIN) >= 8
    templates = _templates(V5_FAMILIES)
    assert len(templates) >= 200
    assert all(len(f.templates) >= 5 for f in V5_FAMILIES)


@pytest.mark.parametrize("fam", V5_FAMILIES, ids=lambda f: f.id)
def test_family_well_formed(fam: ElicitationFamily) -> None:
    # Exactly one {task} (and no other {name} placeholder), no duplicate, the task at
    # the start, in the middle and at the end across the family's paraphrases.
    assert task_positions(fam) == {"start", "middle", "end"}, fam.id
    assert len(fam.templates) <= 6, fam.id
    for t in fam.templates:
        assert t.count(PLACEHOLDER) == 1
        assert NAMED_PLACEHOLDER.findall(t) == [PLACEHOLDER]


def test_ids_and_templates_apart_from_every_earlier_catalog() -> None:
    check_apart(V5_FAMILIES, EARLIER_FAMILIES)
    v5_ids = {f.id for f in V5_FAMILIES}
    assert not v5_ids & {f.id for f in DEV_NEGATIVES.families}


def test_no_template_is_a_near_copy_of_an_earlier_one() -> None:
    earlier = _earlier_positive_texts()
    normalised = {_normalise(t) for t in earlier}
    mine = _templates(V5_FAMILIES)
    assert not {_normalise(t) for t in mine} & normalised
    assert _near_copies(mine, earlier) == []


def test_families_are_not_copies_of_each_other() -> None:
    # Within v5, paraphrases differ too (no template twice under two families).
    mine = [_normalise(t) for t in _templates(V5_FAMILIES)]
    assert len(mine) == len(set(mine))


def test_templates_not_all_sharing_one_cue() -> None:
    check_no_giveaway_cue(
        V5_FAMILIES,
        ("step by step", "reasoning", "chain of thought", "<thinking>", "json", "think", "step"),
    )


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    fam = V5.family("tool_schema_en_v5")
    assert any('{"' in t for t in fam.templates)
    check_wrap_keeps_braces(fam)
    with pytest.raises(KeyError):
        V5.family("sql_insert_en_v4")  # a v4 family is not in v5


# -------------------------------------------------------------------------- negatives


def test_negatives_size_kinds_languages() -> None:
    families = V5_NEGATIVES.families
    templates = _negative_templates(families)
    assert len(templates) >= 150
    assert len({f.language for f in families}) >= 10
    assert len(V5_NEGATIVES.kinds) >= 10
    assert len(V5_NEGATIVES.systems) >= 10
    ids = [f.id for f in families]
    assert len(ids) == len(set(ids))
    for fam in families:
        assert SNAKE.fullmatch(fam.id), fam.id
        assert fam.id.endswith(f"_{fam.language}_v5_neg"), fam.id
        for t in fam.templates:
            assert t.count(PLACEHOLDER) == 1
            assert NAMED_PLACEHOLDER.findall(t) == [PLACEHOLDER]
            assert t.strip() == t


def test_negatives_apart_from_development_negatives_and_positives() -> None:
    mine = _negative_templates(V5_NEGATIVES.families)
    assert not {f.id for f in V5_NEGATIVES.families} & {f.id for f in DEV_NEGATIVES.families}
    benign = _negative_templates(DEV_NEGATIVES.families) + list(DEV_NEGATIVES.systems)
    benign += list(BENIGN_REASONING_ASKS) + list(DEV.benign_asks)
    benign += [app.system for app in DEV.benign_apps]
    assert not set(V5_NEGATIVES.systems) & set(benign)
    assert _near_copies([*mine, *V5_NEGATIVES.systems], benign) == []
    # No negative is (nearly) one of the positives of v5 or of any earlier catalog.
    positives = _templates(V5_FAMILIES) + [t for fams in EARLIER_FAMILIES for t in _templates(fams)]
    assert _near_copies(mine, positives) == []


# ---------------------------------------------------------------------- blindness


def test_blind_paths_name_every_blind_file_and_the_manifest_pins_them() -> None:
    root = cot_catalogs.eval_data_dir()
    names = {p.relative_to(root).as_posix() for p in cot_catalogs.blind_paths()}
    assert names == {
        "cot/heldout_v5.yaml",
        "cot/heldout_v5_negatives.yaml",
        "cot/heldout_v6.yaml",
        "cot/heldout_v6_negatives.yaml",
    }
    assert names <= set(cot_catalogs.manifest_entries())
    assert cot_catalogs.blind_path() == root / cot_catalogs.HELDOUT_FILE


def test_a_process_that_refuses_blind_reads_cannot_open_v5() -> None:
    check_blind_reads_refused("v5", "c.spent_set('v3'), c.dev_negatives()")


def test_nothing_but_heldout_v5_opens_the_v5_files() -> None:
    # Importing every product module and reading every other catalog never opens
    # the v5 files; a positive control reads them.
    check_only_heldout_opens(
        "v5",
        "c.dev_families(), c.dev_negatives(), "
        "c.spent_set('v2'), c.spent_set('v3'), c.spent_set('v4')",
    )
