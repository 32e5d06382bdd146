"""Shared structural checks of elicitation catalogs (the spent v2 and v3, the held-out v4)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from distillguard_lab.sim.elicitation import PLACEHOLDER, STYLES, ElicitationFamily, wrap

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


def check_apart(
    families: Sequence[ElicitationFamily], others: Sequence[Sequence[ElicitationFamily]]
) -> None:
    """No family id and no template shared with any catalog of ``others``."""
    ids = {f.id for f in families}
    templates = {t for f in families for t in f.templates}
    for other in others:
        assert not ids & {f.id for f in other}
        assert not templates & {t for f in other for t in f.templates}


def check_size_styles_languages(
    families: Sequence[ElicitationFamily],
    *,
    min_families: int,
    min_english: int,
    min_languages: int = 0,
) -> None:
    """Size, every style, the required languages, and English alone covering every
    style (so an English-only detector cannot hide behind the language mix)."""
    assert len(families) >= min_families
    assert {f.style for f in families} == set(STYLES)
    langs = Counter(f.language for f in families)
    assert set(langs) >= REQUIRED_LANGUAGES
    assert len(langs) >= min_languages
    assert langs["en"] >= min_english
    assert {f.style for f in families if f.language == "en"} == set(STYLES)


def check_no_giveaway_cue(families: Sequence[ElicitationFamily], cues: Sequence[str]) -> None:
    """A held-out set that one phrase gives away measures that phrase, not recall."""
    for cue, share in cue_shares(families, cues).items():
        assert share < 0.25, cue


def check_wrap_keeps_braces(fam: ElicitationFamily) -> None:
    """Braces in the task and the templates survive wrapping (``str.replace``)."""
    task = "Compute {x: x**2}[3]."
    for seed in range(20):
        text = wrap(task, fam, np.random.default_rng(seed))
        assert task in text
        assert PLACEHOLDER not in text


# ------------------------------------------------------------------------ blindness

#: A fresh interpreter records every open of the files named on its command line (an
#: audit hook) and imports every module of the product package; the caller's code runs
#: after this, with ``opened`` and ``c`` (the catalogs module) in scope.
_RECORD_OPENS = """
import importlib, os, pkgutil, sys
blind = {os.path.realpath(p) for p in sys.argv[1:]}
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.path.realpath(os.fsdecode(args[0])) in blind:
            opened.append(args[0])
sys.addaudithook(hook)
import distillguard
for m in pkgutil.walk_packages(distillguard.__path__, "distillguard."):
    if not m.name.endswith("__main__"):
        importlib.import_module(m.name)
from distillguard_lab.evaluate import cot_catalogs as c
"""


def _run(code: str, *args: str) -> str:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=root, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def check_only_heldout_opens(version: str, before: str) -> None:
    """Importing every product module and running ``before`` (reads of other catalogs)
    never opens held-out set ``version`` or its negatives; a positive control then
    reads both through :func:`heldout` and :func:`heldout_negatives`."""
    from distillguard_lab.evaluate import cot_catalogs

    root = cot_catalogs.eval_data_dir()
    paths = [
        str(root / cot_catalogs.HELDOUT_FILES[version]),
        str(root / cot_catalogs.HELDOUT_NEGATIVES_FILES[version]),
    ]
    code = (
        f"{_RECORD_OPENS}{before}\n"
        "assert opened == [], opened\n"
        "n = c.blind_reads()\n"
        f"c.heldout({version!r}), c.heldout_negatives({version!r})\n"
        "assert len(opened) == 2 and c.blind_reads() == n + 2, opened\n"
        "print('ok')\n"
    )
    assert _run(code, *paths).strip() == "ok"


def check_blind_reads_refused(version: str, before: str) -> None:
    """After ``refuse_blind_reads()``, ``before`` (reads of development data) still
    works, and every way to read held-out set ``version`` is refused."""
    code = (
        "from distillguard_lab.evaluate import cot_catalogs as c\n"
        "c.refuse_blind_reads()\n"
        f"{before}\n"
        f"for read in (lambda: c.heldout({version!r}), "
        f"lambda: c.heldout_negatives({version!r}),\n"
        f"             lambda: open(c.eval_data_dir() / 'cot/heldout_{version}.yaml'),\n"
        f"             lambda: open(c.eval_data_dir() / 'cot/heldout_{version}_negatives.yaml')):\n"
        "    try:\n"
        "        read()\n"
        "    except c.BlindReadError as exc:\n"
        "        print('refused', 'blind' in str(exc))\n"
    )
    assert _run(code).split("\n")[:4] == ["refused True"] * 4
