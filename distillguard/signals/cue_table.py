"""Cue tables: weighted groups of RE2 patterns, read from a versioned YAML file.

A signal that scans phrasing (:mod:`distillguard.signals.cot_elicitation`) keeps its
cues in a data file (``data/cot_cues.yaml``), not in Python.  The file holds:

``version``
    The format version (1).
``words``
    Named lists of literal words (gate stems, tag names, section labels).
``fragments``
    Named regex fragments that several patterns share.
``cues``
    The cue groups, in evaluation order: ``name``, ``weight`` (evidence added on a
    match; negative for counter-evidence), ``patterns`` (RE2 alternatives matched on
    lower-cased text) and either ``stems`` (a *trigger* cue: literal substrings, one
    of which is in every text it matches) or ``requires`` (a *dependent* cue: the cues
    beside which it is evaluated, or ``"*"`` for "wherever the model reads or any
    evidence", or ``gate`` for "every request that passed the gate").
``pairs``
    ``[cue, cue, bonus]``: evidence added when both cues match.
``counter_cap``
    The most evidence the counter-cues (negative weights) may take away from one
    request, all together (default :data:`DEFAULT_COUNTER_CAP`): counter-evidence
    lowers a score, it never switches the signal off, so stacking every
    conversational phrase in the table cannot hide a demand for a full trace.

A cue may list ``examples``: phrases it must match (lower-cased, in both engines).
They document the cue, are checked on load, and the counter-cues' examples are the
phrases ``tests/signals`` adds to elicitation requests to check that none hides one.

In a pattern, ``${name}`` stands for a fragment, or for a word list as an
alternation of its escaped words.  A pattern written over several lines (a YAML
``|-`` block) is one regex: its lines are joined with nothing between them, so a
line may not begin or end with a space (write the space inside a line).  A stem
entry is a word, a list of words, ``{words: NAME}`` (a word list), or ``{combos:
[PART, ...], sep: " "}`` (every concatenation of one item of each part, joined by
``sep``; a part is a list of words or the name of a word list).

The loader validates everything and names file, line and field on error: known keys
and types, unique snake_case names, patterns that compile in RE2 (Arrow) and in
Python's ``re`` (:func:`python_regex`, the small-batch engine), lower-case stems,
``requires`` naming earlier cues, counter-cues that run on any evidence last,
pairs of known cues without repeats, examples that match their cue, a positive
``counter_cap``.

>>> table = load_cue_table(DEFAULT_CUES)
>>> len(table.cues) > 40, table.cues[0].name
(True, 'hidden_reasoning')
>>> bad = "version: 1\\ncues:\\n  - {name: x, weight: 1, patterns: ['(a'], stems: [a]}\\n"
>>> try:
...     parse_cue_table(load_data_text(bad, "bad.yaml"))
... except DataFileError as exc:
...     print(exc.path, exc.line, exc.field)
bad.yaml 3 cues[0].patterns[0]
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.config import dotted
from distillguard.datafile import (
    NAME_RE,
    DataFileError,
    check_keys,
    fail,
    load_data_file,
    load_data_text,
    no_duplicates,
    sha256_file,
    string_list,
    value_at,
)
from distillguard.yamlio import PathKey, YamlDoc

#: ``requires`` value of a (negative) cue evaluated wherever the positive evidence is
#: above 0 and, when the learned model reads requests no cue matched, on those too: a
#: counter-cue keeps the model off every request it matches.
ANY_EVIDENCE = "*"
#: ``requires`` value of a cue evaluated on every request that passed the gate.  Such a
#: cue adds no stems, so it does not widen the gate (which would run every trigger cue
#: on more requests); in exchange it can only match requests the gate already passes.
GATED = "gate"

#: The packaged chain-of-thought cue table.
DEFAULT_CUES = Path(__file__).resolve().parent / "data" / "cot_cues.yaml"
#: Format version this loader reads.
FORMAT_VERSION = 1
#: Counter-evidence cap of a table that names none: the weight of the strongest
#: counter-cue of the packaged table ("do not give any reasoning").
DEFAULT_COUNTER_CAP = 0.6

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Cue:
    """One cue group: a weight and RE2 alternatives matched against lower-cased text.

    A *trigger* cue lists ``stems``: literal substrings one of which occurs in every
    text the cue matches (the gate is their union).  A *dependent* cue lists
    ``requires`` instead: it is only evaluated where one of those cues matched.
    """

    name: str
    #: Evidence added when the cue matches (negative for counter-evidence).
    weight: float
    #: Alternatives (RE2 syntax, lower case: the text is lower-cased before matching).
    patterns: tuple[str, ...]
    stems: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    #: Phrases the cue matches (checked on load; documentation and test material).
    examples: tuple[str, ...] = ()

    @property
    def counter(self) -> bool:
        """Counter-evidence: a negative cue evaluated wherever the model reads."""
        return ANY_EVIDENCE in self.requires

    @property
    def regex(self) -> str:
        return "|".join(f"(?:{p})" for p in self.patterns)


@dataclass(frozen=True)
class CueTable:
    """A loaded cue table: cues in evaluation order and the pair bonuses."""

    cues: tuple[Cue, ...]
    pairs: tuple[tuple[str, str, float], ...]
    #: Where it was read from, and the SHA-256 of the file's bytes.
    source: str
    sha256: str
    #: The most evidence all counter-cues together take from one request.
    counter_cap: float = DEFAULT_COUNTER_CAP

    @property
    def counter_examples(self) -> tuple[str, ...]:
        """The examples of every counter-cue, in table order."""
        return tuple(e for c in self.cues if c.counter for e in c.examples)


def python_regex(pattern: str) -> re.Pattern[str]:
    """An RE2 pattern of a cue table as a Python ``re`` pattern with the same matches.

    ``re.ASCII`` gives ``\\b``, ``\\w`` and ``\\s`` RE2's ASCII meaning; RE2's
    ``\\x{hhhh}`` is written ``\\uhhhh``.  (RE2's ``\\s`` leaves out the vertical tab,
    Python's includes it: the one difference, immaterial for prompts.)

    >>> bool(python_regex(r"\\bstep\\b|[\\x{4e00}-\\x{9fff}]").search("一"))
    True
    """
    converted = re.sub(r"\\x\{([0-9a-fA-F]{4})\}", r"\\u\1", pattern)
    return re.compile(converted, re.ASCII)


@functools.cache
def load_cue_table(path: str | Path = DEFAULT_CUES) -> CueTable:
    """Read and validate a cue table (once per process and path)."""
    doc = load_data_file(path)
    table = parse_cue_table(doc)
    return dataclasses.replace(table, sha256=sha256_file(path))


def parse_cue_table(doc: YamlDoc) -> CueTable:
    """Validate a parsed cue table (see module doc); ``sha256`` is left empty."""
    top = check_keys(doc, (), ("version", "cues"), ("words", "fragments", "pairs", "counter_cap"))
    if top["version"] != FORMAT_VERSION:
        raise fail(doc, ("version",), f"unsupported version {top['version']!r} (expected 1)")
    words = _named(doc, "words", lambda p: _unique_words(doc, p))
    fragments = _named(doc, "fragments", lambda p: _string(doc, p))
    for name in set(words) & set(fragments):
        raise fail(doc, ("fragments", name), f"{name!r} is also a word list")
    subst = {n: "|".join(re.escape(w) for w in ws) for n, ws in words.items()}
    for name in fragments:
        subst[name] = _joined(doc, ("fragments", name))
        if _PLACEHOLDER.search(subst[name]):
            raise fail(doc, ("fragments", name), "a fragment may not use ${...}")
    items = value_at(doc, ("cues",))
    if not isinstance(items, list) or not items:
        raise fail(doc, ("cues",), "expected a non-empty list of cues")
    cues: list[Cue] = []
    index: dict[str, int] = {}
    for i in range(len(items)):
        cue = _cue(doc, ("cues", i), subst, words, index, cues)
        index[cue.name] = i
        cues.append(cue)
    _check_requires(doc, cues, index)
    pairs = _pairs(doc, index)
    cap = top.get("counter_cap", DEFAULT_COUNTER_CAP)
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not cap > 0:
        raise fail(doc, ("counter_cap",), f"expected a positive number, got {cap!r}")
    return CueTable(tuple(cues), pairs, doc.source, "", float(cap))


def _check_requires(doc: YamlDoc, cues: list[Cue], index: dict[str, int]) -> None:
    """Trigger cues all run before any dependent, and dependents in table order, so a
    dependent may require any trigger but only a dependent earlier in the table."""
    for i, cue in enumerate(cues):
        for k, req in enumerate(cue.requires):
            if req in (ANY_EVIDENCE, GATED):
                continue
            here: PathKey = ("cues", i, "requires", k)
            j = index.get(req)
            if j is None:
                raise fail(doc, here, f"unknown cue {req!r}")
            if cues[j].requires and j >= i:
                raise fail(doc, here, f"{req!r} is a dependent cue that runs after this one")
            if ANY_EVIDENCE in cues[j].requires:
                raise fail(doc, here, f"{req!r} is a counter-cue (they run last)")


def _unique_words(doc: YamlDoc, path: PathKey) -> tuple[str, ...]:
    words = string_list(doc, path)
    no_duplicates(doc, path, words, "word")
    return words


def _string(doc: YamlDoc, path: PathKey) -> str:
    value = value_at(doc, path)
    if not isinstance(value, str) or not value:
        raise fail(doc, path, f"expected a non-empty string, got {value!r}")
    return value


def _named(doc: YamlDoc, key: str, read: Any) -> dict[str, Any]:
    if not isinstance(doc.data, dict) or key not in doc.data:
        return {}
    value = doc.data[key]
    if not isinstance(value, dict):
        raise fail(doc, (key,), "expected a mapping of names")
    out = {}
    for name in value:
        if not NAME_RE.fullmatch(name):
            raise fail(doc, (key, name), f"name {name!r} is not snake_case")
        out[name] = read((key, name))
    return out


def _joined(doc: YamlDoc, path: PathKey) -> str:
    """A pattern's text: the lines of a multi-line block joined with nothing between."""
    text = _string(doc, path)
    lines = text.split("\n")
    if len(lines) > 1:
        first = doc.line_of(path)
        for k, line in enumerate(lines):
            if line != line.strip() or not line:
                raise DataFileError(
                    "a line of a multi-line pattern may not be empty, begin or end with "
                    "whitespace (its lines are joined with nothing between them)",
                    path=doc.source,
                    line=None if first is None else first + 1 + k,
                    field=dotted(path),
                )
    return "".join(lines)


def _pattern(doc: YamlDoc, path: PathKey, subst: dict[str, str]) -> str:
    raw = _joined(doc, path)

    def put(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in subst:
            raise fail(doc, path, f"unknown fragment or word list ${{{name}}}")
        return subst[name]

    return _PLACEHOLDER.sub(put, raw)


def _check_compiles(doc: YamlDoc, path: PathKey, cue: Cue) -> None:
    """The cue's regex compiles in Python's ``re`` (the small-batch engine; the compiled
    pattern stays in ``re``'s cache for it) and in RE2; on failure, the pattern at fault
    is named."""
    try:
        python_regex(cue.regex)
        pc.match_substring_regex(pa.array([""], pa.string()), cue.regex)
    except (re.error, pa.ArrowInvalid):
        pass
    else:
        return
    for k, pattern in enumerate(cue.patterns):
        here = (*path, "patterns", k)
        try:
            python_regex(pattern)
        except re.error as exc:
            raise fail(doc, here, f"not a valid regex ({exc})") from exc
        try:
            pc.match_substring_regex(pa.array([""], pa.string()), pattern)
        except pa.ArrowInvalid as exc:
            raise fail(doc, here, f"not a valid RE2 regex ({exc})") from exc
    raise fail(doc, (*path, "patterns"), "the patterns do not compile together")


def _stems(doc: YamlDoc, path: PathKey, words: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    items = value_at(doc, path)
    if not isinstance(items, list) or not items:
        raise fail(doc, path, "expected a non-empty list of stems")
    out: list[str] = []
    for i, item in enumerate(items):
        here = (*path, i)
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, list):
            out += string_list(doc, here)
        elif isinstance(item, dict) and "words" in item:
            check_keys(doc, here, ("words",))
            out += _word_list(doc, (*here, "words"), words)
        elif isinstance(item, dict) and "combos" in item:
            spec = check_keys(doc, here, ("combos",), ("sep",))
            sep = spec.get("sep", " ")
            if not isinstance(sep, str):
                raise fail(doc, (*here, "sep"), f"expected a string, got {sep!r}")
            parts = value_at(doc, (*here, "combos"))
            if not isinstance(parts, list) or len(parts) < 2:
                raise fail(doc, (*here, "combos"), "expected a list of at least two parts")
            lists = [
                _word_list(doc, (*here, "combos", k), words)
                if isinstance(part, str)
                else string_list(doc, (*here, "combos", k))
                for k, part in enumerate(parts)
            ]
            out += [sep.join(combo) for combo in itertools.product(*lists)]
        else:
            raise fail(doc, here, "expected a stem, a list of stems, {words: ...} or {combos: ...}")
    for stem in out:
        if not stem:
            raise fail(doc, path, "a stem may not be empty")
        if stem != stem.lower():
            raise fail(doc, path, f"stem {stem!r} is not lower case (the text is lower-cased)")
    return tuple(out)


def _word_list(doc: YamlDoc, path: PathKey, words: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    name = value_at(doc, path)
    if not isinstance(name, str) or name not in words:
        raise fail(doc, path, f"unknown word list {name!r}")
    return words[name]


def _cue(
    doc: YamlDoc,
    path: PathKey,
    subst: dict[str, str],
    words: dict[str, tuple[str, ...]],
    index: dict[str, int],
    earlier: list[Cue],
) -> Cue:
    spec = check_keys(doc, path, ("name", "weight", "patterns"), ("stems", "requires", "examples"))
    name = spec["name"]
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise fail(doc, (*path, "name"), f"cue name {name!r} is not snake_case")
    if name in index or name in (ANY_EVIDENCE, GATED):
        raise fail(doc, (*path, "name"), f"duplicate cue name {name!r}")
    weight = spec["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight == 0:
        raise fail(doc, (*path, "weight"), f"expected a non-zero number, got {weight!r}")
    n_patterns = value_at(doc, (*path, "patterns"))
    if not isinstance(n_patterns, list) or not n_patterns:
        raise fail(doc, (*path, "patterns"), "expected a non-empty list of patterns")
    patterns = tuple(_pattern(doc, (*path, "patterns", k), subst) for k in range(len(n_patterns)))
    for k, p in enumerate(patterns):
        if p in patterns[:k]:
            raise fail(doc, (*path, "patterns", k), "duplicate pattern")
    if ("stems" in spec) == ("requires" in spec):
        raise fail(doc, path, "a cue has either stems (a trigger) or requires (a dependent)")
    stems: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    if "stems" in spec:
        stems = _stems(doc, (*path, "stems"), words)
    else:
        requires = string_list(doc, (*path, "requires"))
    if ANY_EVIDENCE in requires and (weight >= 0 or len(requires) > 1):
        raise fail(doc, (*path, "requires"), '"*" is for negative cues (counter-evidence) alone')
    if earlier and ANY_EVIDENCE in earlier[-1].requires and ANY_EVIDENCE not in requires:
        raise fail(doc, path, 'the "*" counter-cues must come last in the table')
    examples = string_list(doc, (*path, "examples")) if "examples" in spec else ()
    cue = Cue(name, float(weight), patterns, stems, requires, examples)
    _check_compiles(doc, path, cue)
    _check_examples(doc, path, cue)
    return cue


def _check_examples(doc: YamlDoc, path: PathKey, cue: Cue) -> None:
    """Every example matches its cue, lower-cased, in Python's ``re`` and in RE2."""
    if not cue.examples:
        return
    lowered = [e.lower() for e in cue.examples]
    rx = python_regex(cue.regex)
    re2 = pc.match_substring_regex(pa.array(lowered, pa.string()), cue.regex).to_pylist()
    for k, (text, hit) in enumerate(zip(lowered, re2, strict=True)):
        if rx.search(text) is None or not hit:
            raise fail(doc, (*path, "examples", k), f"the cue does not match {text!r}")


def _pairs(doc: YamlDoc, index: dict[str, int]) -> tuple[tuple[str, str, float], ...]:
    if not isinstance(doc.data, dict) or "pairs" not in doc.data:
        return ()
    items = doc.data["pairs"]
    if not isinstance(items, list):
        raise fail(doc, ("pairs",), "expected a list of [cue, cue, bonus]")
    out: list[tuple[str, str, float]] = []
    seen: set[frozenset[str]] = set()
    for i, item in enumerate(items):
        here: PathKey = ("pairs", i)
        if not isinstance(item, list) or len(item) != 3:
            raise fail(doc, here, f"expected [cue, cue, bonus], got {item!r}")
        a, b, bonus = item
        for k, name in enumerate((a, b)):
            if name not in index:
                raise fail(doc, (*here, k), f"unknown cue {name!r}")
        if a == b:
            raise fail(doc, here, "a pair needs two different cues")
        if isinstance(bonus, bool) or not isinstance(bonus, int | float) or bonus <= 0:
            raise fail(doc, (*here, 2), f"expected a positive number, got {bonus!r}")
        key = frozenset((a, b))
        if key in seen:
            raise fail(doc, here, f"duplicate pair {a!r}, {b!r}")
        seen.add(key)
        out.append((a, b, float(bonus)))
    return tuple(out)


__all__ = [
    "ANY_EVIDENCE",
    "DEFAULT_COUNTER_CAP",
    "DEFAULT_CUES",
    "GATED",
    "Cue",
    "CueTable",
    "load_cue_table",
    "load_data_text",
    "parse_cue_table",
    "python_regex",
]
