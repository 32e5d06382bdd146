"""Shared structural checks of elicitation catalogs (the spent v2 set, the held-out v3)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from distillguard.sim.elicitation import PLACEHOLDER, ElicitationFamily

#: Languages every held-out catalog covers.
REQUIRED_LANGUAGES = frozenset(
    [
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
    ]
)
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Any {name} placeholder; literal JSON braces such as {"input": str} do not match.
NAMED_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def check_ids(families: Sequence[ElicitationFamily], version: str) -> None:
    ids = [f.id for f in families]
    assert len(ids) == len(set(ids))
    for f in families:
        assert SNAKE.fullmatch(f.id), f.id
        assert f.id.endswith(f"_{f.language}_{version}"), f.id


def task_positions(fam: ElicitationFamily) -> set[str]:
    """Where the task sits in the family's templates (each checked well formed)."""
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
    return positions


def cue_shares(families: Sequence[ElicitationFamily], cues: Sequence[str]) -> dict[str, float]:
    """Share of all templates containing each cue (lower case)."""
    templates = [t for f in families for t in f.templates]
    return {c: sum(c in t.lower() for t in templates) / len(templates) for c in cues}
