"""The held-out v6 elicitation catalog and its hard negatives are well formed, blind and
apart from everything written before them (v2 to v5, the development catalogs and the
simulator's).

v6 is wired in but not measured yet: :func:`heldout` still reads v5 by default.  These
tests read the blind files (their templates, never a score of the signal on them).
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
    NegativeFamily,
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
V6 = heldout("v6")
V6_FAMILIES = V6.families
V6_NEGATIVES = heldout_negatives("v6")
V5_FAMILIES = heldout("v5").families
V5_NEGATIVES = heldout_negatives("v5")
DEV = dev_families()
DEV_NEGATIVES = dev_negatives()

#: Every earlier catalog of elicitation families: the simulator's, v2 to v5, dev.
EARLIER_FAMILIES = (
    FAMILIES,
    spent_set("v2").families,
    spent_set("v3").families,
    spent_set("v4").families,
    V5_FAMILIES,
    DEV.catalog.families,
)
#: Scripts other than the Latin one that v6 must cover (wrapper text, not tasks).
NON_LATIN = frozenset(["zh", "ja", "ko", "ru", "uk", "ar", "fa", "he", "hi", "th", "el"])
#: Two templates at least this similar (after :func:`_normalise`) count as a near copy.
NEAR_COPY = 0.8
#: Phrases that, shared by a quarter of the templates, would make the set measure them.
CUES = (
    "step by step",
    "reasoning",
    "chain of thought",
    "<thinking>",
    "json",
    "think",
    "step",
    "solution",
    "working",
    "line",
    "each",
    "every",
    "explain",
)
V6_FILES = ("cot/heldout_v6.yaml", "cot/heldout_v6_negatives.yaml")


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


def _negative_templates(families: Sequence[NegativeFamily]) -> list[str]:
    return [t for f in families for t in f.templates]


def _earlier_positive_texts() -> list[str]:
    texts = [t for fams in EARLIER_FAMILIES for t in _templates(fams)]
    return texts + list(BENIGN_REASONING_ASKS) + list(DEV.benign_asks)


# --------------------------------------------------------------------------- families


def test_version_and_default_still_v5() -> None:
    assert (V6.version, V6.written, V6.status) == ("v6", "2026-12-07", "heldout")
    # v6 is wired in but not measured: the default stays v5 until the lead switches it.
    assert cot_catalogs.DEFAULT_HELDOUT == "v5"
    assert heldout().version == "v5"
    assert set(cot_catalogs.HELDOUT_FILES) == {"v5", "v6"}
    assert set(cot_catalogs.HELDOUT_NEGATIVES_FILES) == {"v5", "v6"}
    assert cot_catalogs.HELDOUT_FILES["v6"] == V6_FILES[0]
    assert cot_catalogs.HELDOUT_NEGATIVES_FILES["v6"] == V6_FILES[1]
    with pytest.raises(KeyError, match="no held-out set 'v7'"):
        heldout("v7")
    with pytest.raises(KeyError, match="no held-out negatives 'v7'"):
        heldout_negatives("v7")


def test_ids_unique_versioned() -> None:
    check_ids(V6_FAMILIES, "v6")


def test_size_styles_and_languages() -> None:
    check_size_styles_languages(V6_FAMILIES, min_families=44, min_english=12, min_languages=22)
    langs = Counter(f.language for f in V6_FAMILIES)
    assert len(set(langs) & NON_LATIN) >= 10
    assert len(_templates(V6_FAMILIES)) >= 220
    assert all(len(f.templates) >= 5 for f in V6_FAMILIES)
    # No style rests on a single family.
    assert min(Counter(f.style for f in V6_FAMILIES).values()) >= 3


@pytest.mark.parametrize("fam", V6_FAMILIES, ids=lambda f: f.id)
def test_family_well_formed(fam: ElicitationFamily) -> None:
    # Exactly one {task} (and no other {name} placeholder), no duplicate, the task at
    # the start, in the middle and at the end across the family's paraphrases.
    assert task_positions(fam) == {"start", "middle", "end"}, fam.id
    assert len(fam.templates) <= 6, fam.id
    for t in fam.templates:
        assert t.count(PLACEHOLDER) == 1
        assert NAMED_PLACEHOLDER.findall(t) == [PLACEHOLDER]


def test_ids_and_templates_apart_from_every_earlier_catalog() -> None:
    check_apart(V6_FAMILIES, EARLIER_FAMILIES)
    v6_ids = {f.id for f in V6_FAMILIES}
    assert not v6_ids & {f.id for f in DEV_NEGATIVES.families}
    assert not v6_ids & {f.id for f in V5_NEGATIVES.families}
    # No family of v6 re-uses the stem of a v5 family's id (v5 ids end in _<lang>_v5).
    v5_stems = {f.id.rsplit("_", 1)[0] for f in V5_FAMILIES}
    assert not {f.id.rsplit("_", 1)[0] for f in V6_FAMILIES} & v5_stems


def test_no_template_is_a_near_copy_of_an_earlier_one() -> None:
    earlier = _earlier_positive_texts()
    normalised = {_normalise(t) for t in earlier}
    mine = _templates(V6_FAMILIES)
    assert not {_normalise(t) for t in mine} & normalised
    assert _near_copies(mine, earlier) == []


def test_families_are_not_copies_of_each_other() -> None:
    # Within v6, no template twice, and no near copy across two families.
    mine = [_normalise(t) for t in _templates(V6_FAMILIES)]
    assert len(mine) == len(set(mine))
    for k, fam in enumerate(V6_FAMILIES):
        others = _templates(V6_FAMILIES[k + 1 :])
        assert _near_copies(fam.templates, others) == [], fam.id


def test_templates_not_all_sharing_one_cue() -> None:
    check_no_giveaway_cue(V6_FAMILIES, CUES)


def test_wrap_keeps_braces_in_tasks_and_templates() -> None:
    fam = V6.family("quiz_distractors_en_v6")
    assert any('{"' in t for t in fam.templates)
    check_wrap_keeps_braces(fam)
    with pytest.raises(KeyError):
        V6.family("tool_schema_en_v5")  # a v5 family is not in v6


# -------------------------------------------------------------------------- negatives


def test_negatives_size_kinds_languages() -> None:
    families = V6_NEGATIVES.families
    assert len(_negative_templates(families)) >= 150
    assert len({f.language for f in families}) >= 15
    assert len(V6_NEGATIVES.kinds) >= 10
    assert len(V6_NEGATIVES.systems) >= 10
    # Every kind is written in at least two languages (cross-validation by kind).
    per_kind = Counter(f.kind for f in families)
    assert min(per_kind.values()) >= 2
    ids = [f.id for f in families]
    assert len(ids) == len(set(ids))
    for fam in families:
        assert SNAKE.fullmatch(fam.id), fam.id
        assert fam.id.endswith(f"_{fam.language}_v6_neg"), fam.id
        assert len(fam.templates) >= 4, fam.id
        for t in fam.templates:
            assert t.count(PLACEHOLDER) == 1
            assert NAMED_PLACEHOLDER.findall(t) == [PLACEHOLDER]
            assert t.strip() == t
    for system in V6_NEGATIVES.systems:
        assert PLACEHOLDER not in system


def test_negatives_apart_from_earlier_negatives_and_positives() -> None:
    mine = _negative_templates(V6_NEGATIVES.families)
    ids = {f.id for f in V6_NEGATIVES.families}
    assert not ids & {f.id for f in DEV_NEGATIVES.families}
    assert not ids & {f.id for f in V5_NEGATIVES.families}
    benign = _negative_templates(DEV_NEGATIVES.families) + list(DEV_NEGATIVES.systems)
    benign += _negative_templates(V5_NEGATIVES.families) + list(V5_NEGATIVES.systems)
    benign += list(BENIGN_REASONING_ASKS) + list(DEV.benign_asks)
    benign += [app.system for app in DEV.benign_apps]
    assert not set(V6_NEGATIVES.systems) & set(benign)
    assert _near_copies([*mine, *V6_NEGATIVES.systems], benign) == []
    # No negative is (nearly) one of the positives of v6 or of any earlier catalog.
    positives = _templates(V6_FAMILIES) + [t for fams in EARLIER_FAMILIES for t in _templates(fams)]
    assert not {_normalise(t) for t in mine} & {_normalise(t) for t in positives}
    assert _near_copies(mine, positives) == []


# ---------------------------------------------------------------------- blindness


def test_blind_paths_name_the_v6_files_and_the_manifest_pins_them() -> None:
    root = cot_catalogs.eval_data_dir()
    names = {p.relative_to(root).as_posix() for p in cot_catalogs.blind_paths()}
    assert set(V6_FILES) <= names
    assert set(V6_FILES) <= set(cot_catalogs.manifest_entries())
    assert cot_catalogs.manifest_problems() == []


def test_a_process_that_refuses_blind_reads_cannot_open_v6() -> None:
    check_blind_reads_refused("v6", "c.spent_set('v4'), c.dev_families(), c.dev_negatives()")


def test_nothing_but_heldout_v6_opens_the_v6_files() -> None:
    # Importing every product module and reading every other catalog never opens
    # the v6 files; a positive control reads them.
    check_only_heldout_opens(
        "v6",
        "c.dev_families(), c.dev_negatives(), "
        "c.spent_set('v2'), c.spent_set('v3'), c.spent_set('v4')\n"
        "c.heldout(), c.heldout_negatives()",
    )
