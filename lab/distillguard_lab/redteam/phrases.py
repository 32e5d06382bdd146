"""Red-team wording: every instruction an operation wraps around a real task.

Written from scratch for the red team, in several languages, without sight of the
simulator's templates or the detectors' phrase lists.  Each bank maps a language
code to variants; operations pick one variant per account (an operator's script
rarely changes its wording) or per request (a router passes through whatever its
customers wrote).  The banks are data: ``data/phrases.yaml``, read and validated at
import (a bank filled with ``str.format`` may only name the fields its operation
fills, and must name the ones it needs).

>>> sorted(SYSTEM_REASONING)[:3]
['ar', 'de', 'en']
>>> all("{task}" in v for vs in CRITIQUE_REWRITE.values() for v in vs)
True
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from distillguard.datafile import (
    check_keys,
    fail,
    load_data_file,
    no_duplicates,
    string_banks,
    string_list,
    string_map,
    value_at,
)
from distillguard.yamlio import PathKey, YamlDoc

#: The phrase banks (a versioned data file beside this module).
DATA_FILE: Final = Path(__file__).resolve().parent / "data" / "phrases.yaml"

#: Banks filled with ``str.format``: (fields it must name, fields it may name).
FORMAT_FIELDS: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "grading": (frozenset({"q", "a"}), frozenset({"q", "a", "b"})),
    "critique_rewrite": (frozenset({"task", "draft"}), frozenset({"task", "draft"})),
    "translate_reasoning": (
        frozenset({"lang", "task", "draft"}),
        frozenset({"lang", "task", "draft"}),
    ),
    "paraphrase_frames": (frozenset({"task"}), frozenset({"task"})),
    "agent_tasks": (frozenset({"task"}), frozenset({"task", "num"})),
}

#: The banks (YAML keys) in file order.
BANKS: Final = (
    "system_reasoning",
    "follow_ups",
    "openers",
    "suffixes",
    "grading",
    "critique_rewrite",
    "translate_reasoning",
    "language_names",
    "paraphrase_frames",
    "agent_system",
    "agent_tasks",
    "router_systems",
)


@dataclass(frozen=True)
class Phrases:
    """Every bank of a phrases file, validated (see the module constants below)."""

    system_reasoning: dict[str, tuple[str, ...]]
    follow_ups: dict[str, tuple[str, ...]]
    openers: dict[str, tuple[str, ...]]
    suffixes: dict[str, tuple[str, ...]]
    grading: dict[str, tuple[str, ...]]
    critique_rewrite: dict[str, tuple[str, ...]]
    translate_reasoning: tuple[str, ...]
    language_names: dict[str, str]
    paraphrase_frames: dict[str, tuple[str, ...]]
    agent_system: tuple[str, ...]
    agent_tasks: tuple[str, ...]
    router_systems: tuple[str | None, ...]


def _check_fields(doc: YamlDoc, bank: str, items: Iterable[tuple[PathKey, str]]) -> None:
    need, allowed = FORMAT_FIELDS[bank]
    for path, text in items:
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            raise fail(doc, path, f"not a str.format template ({exc})") from exc
        if names - allowed:
            unknown = sorted(names - allowed)
            raise fail(doc, path, f"unknown fields {unknown} (may name {sorted(allowed)})")
        if need - names:
            raise fail(doc, path, f"missing fields {sorted(need - names)}")


def _bank(doc: YamlDoc, key: str, *, empty_items: bool = False) -> dict[str, tuple[str, ...]]:
    bank = string_banks(doc, (key,), empty_items=empty_items)
    if not empty_items:  # openers repeat "" on purpose (no opener, weighted)
        for lang, variants in bank.items():
            no_duplicates(doc, (key, lang), variants, "variant")
    if key in FORMAT_FIELDS:
        _check_fields(
            doc, key, (((key, lang, i), t) for lang, ts in bank.items() for i, t in enumerate(ts))
        )
    return bank


def _list(doc: YamlDoc, key: str) -> tuple[str, ...]:
    items = string_list(doc, (key,))
    no_duplicates(doc, (key,), items, "variant")
    if key in FORMAT_FIELDS:
        _check_fields(doc, key, (((key, i), t) for i, t in enumerate(items)))
    return items


def _optional_strings(doc: YamlDoc, key: str) -> tuple[str | None, ...]:
    items = value_at(doc, (key,))
    if not isinstance(items, list) or not items:
        raise fail(doc, (key,), "expected a non-empty list")
    for i, item in enumerate(items):
        if item is not None and (not isinstance(item, str) or not item):
            raise fail(doc, (key, i), f"expected a non-empty string or null, got {item!r}")
    return tuple(items)


def load_phrases(path: str | Path = DATA_FILE) -> Phrases:
    """Read and validate a phrases file (errors name its file, line and field)."""
    doc = load_data_file(path)
    top = check_keys(doc, (), ("version", *BANKS))
    if top["version"] != 1:
        raise fail(doc, ("version",), f"unsupported version {top['version']!r} (expected 1)")
    return Phrases(
        system_reasoning=_bank(doc, "system_reasoning"),
        follow_ups=_bank(doc, "follow_ups"),
        openers=_bank(doc, "openers", empty_items=True),
        suffixes=_bank(doc, "suffixes"),
        grading=_bank(doc, "grading"),
        critique_rewrite=_bank(doc, "critique_rewrite"),
        translate_reasoning=_list(doc, "translate_reasoning"),
        language_names=string_map(doc, ("language_names",)),
        paraphrase_frames=_bank(doc, "paraphrase_frames"),
        agent_system=_list(doc, "agent_system"),
        agent_tasks=_list(doc, "agent_tasks"),
        router_systems=_optional_strings(doc, "router_systems"),
    )


_PHRASES = load_phrases()

#: Custom instructions that ask for the whole line of thought, sent as the system
#: prompt so the user turn carries only the bare task (the low-and-slow operation).
SYSTEM_REASONING: Final[dict[str, tuple[str, ...]]] = _PHRASES.system_reasoning
#: Follow-up turns that make the model re-derive, verify or defend its previous
#: answer (multi-turn harvesting: each follow-up yields a fresh reasoning trace).
FOLLOW_UPS: Final[dict[str, tuple[str, ...]]] = _PHRASES.follow_ups
#: Short openers for the first turn of a harvested conversation ("" for none).
OPENERS: Final[dict[str, tuple[str, ...]]] = _PHRASES.openers
#: Instructions appended by a router's harvesting customers, per request.
SUFFIXES: Final[dict[str, tuple[str, ...]]] = _PHRASES.suffixes
#: Grading requests: a score *with its rationale* (reward-model training data);
#: ``{q}``, ``{a}`` and (pairwise) ``{b}`` are filled in.
GRADING: Final[dict[str, tuple[str, ...]]] = _PHRASES.grading
#: Critique-and-rewrite requests around a task and a draft (``{task}``, ``{draft}``).
CRITIQUE_REWRITE: Final[dict[str, tuple[str, ...]]] = _PHRASES.critique_rewrite
#: Translating a worked solution; ``{lang}`` is the target language's name.
TRANSLATE_REASONING: Final[tuple[str, ...]] = _PHRASES.translate_reasoning
#: Target languages of :data:`TRANSLATE_REASONING`.
LANGUAGE_NAMES: Final[dict[str, str]] = _PHRASES.language_names
#: Ways a synthetic-data vendor frames a paraphrased benchmark task.
PARAPHRASE_FRAMES: Final[dict[str, tuple[str, ...]]] = _PHRASES.paraphrase_frames
#: System prompts of coding agents (the agentic operation); one per account.
AGENT_SYSTEM: Final[tuple[str, ...]] = _PHRASES.agent_system
#: How the agentic operation hands a coding task to its agent.
AGENT_TASKS: Final[tuple[str, ...]] = _PHRASES.agent_tasks
#: System prompts a router passes through from its own customers (None: none).
ROUTER_SYSTEMS: Final[tuple[str | None, ...]] = _PHRASES.router_systems
