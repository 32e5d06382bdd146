"""Chain-of-thought elicitation: how distillation operators pull reasoning out of a model.

Public threat reports (Anthropic, OpenAI, Google, 2025-2026) describe "reasoning trace
coercion": harvested coding, math and reasoning tasks wrapped in instructions that force
the model to write out, reveal, re-format or grade its reasoning, so the operator gets
a full trace to train a copy on.  This module reads the simulator's catalog of such
wrappers (``data/elicitation.yaml``, validated at import), grouped into *families*: one
family is one operator's phrasing in one language, with a few paraphrases of it.
Families differ in wording on purpose (no shared "step by step" everywhere).

Every family here is development data (:data:`FAMILY_SPLIT` maps all of them to
``"dev"``): the 14 families once held out were spent on 2026-11-26, when their names
were seen during development.  The detector is now scored on a separate catalog written
blind to it (``data/eval/cot/heldout_v5.yaml`` in the repository, read only by
:mod:`distillguard_lab.evaluate.cot`), which lives outside the package on purpose: the
simulator must never generate held-out phrasings, because simulated traffic is used in
development.  A campaign's ``families: heldout`` is
therefore rejected (:func:`select_families`).

:data:`BENIGN_REASONING_ASKS` holds the hard negatives: ordinary people asking once, in
passing, for an explanation of their homework.

>>> import numpy as np
>>> fam = family("thinking_tags_en")
>>> (fam.style, fam.language, FAMILY_SPLIT[fam.id])
('tagged_reasoning', 'en', 'dev')
>>> prompt = wrap("What is 17 * 23?", fam, np.random.default_rng(0))
>>> "What is 17 * 23?" in prompt and "{task}" not in prompt
True
>>> paraphrase("Please solve {task} carefully.", np.random.default_rng(1), 0.0)
'Please solve {task} carefully.'
>>> paraphrase("Please solve {task} carefully.", np.random.default_rng(1), 1.0).count("{task}")
1
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from distillguard.datafile import (
    FieldError,
    build_records,
    check_keys,
    fail,
    load_data_file,
    no_duplicates,
    string_banks,
    string_list,
    string_map,
)
from distillguard.errors import ScenarioError
from distillguard.yamlio import YamlDoc

PLACEHOLDER = "{task}"

#: The catalog (a versioned data file beside this module): styles, families, the spent
#: v1 held-out ids, the paraphraser's synonyms and prefixes, and the benign asks.
DATA_FILE = Path(__file__).resolve().parent / "data" / "elicitation.yaml"
_DOC = load_data_file(DATA_FILE)

#: Elicitation styles, each a documented way of getting the reasoning out (name ->
#: what it asks for).
STYLE_DESCRIPTIONS: dict[str, str] = string_map(_DOC, ("styles",), snake_case_keys=True)
#: The style names, in catalog order (every family catalog, simulated or evaluation,
#: uses these).
STYLES: tuple[str, ...] = tuple(STYLE_DESCRIPTIONS)


@dataclass(frozen=True)
class ElicitationFamily:
    """One operator's elicitation phrasing in one language, with its paraphrases."""

    id: str
    style: str
    #: ISO 639-1 code of the wrapper text (the task inside may be in any language).
    language: str
    #: Paraphrases of the same request; each contains ``{task}`` exactly once.
    templates: tuple[str, ...]

    def __post_init__(self) -> None:
        # Checked for families read from a catalog file (the error names its line) and
        # for families built in code alike.
        if not _ID_RE.fullmatch(self.id):
            raise FieldError("id", f"family id {self.id!r} is not snake_case")
        if self.style not in STYLES:
            raise FieldError("style", f"family {self.id}: unknown style {self.style!r}")
        if len(self.templates) < 4:
            raise FieldError("templates", f"family {self.id}: needs at least 4 templates")
        for k, t in enumerate(self.templates):
            if t.count(PLACEHOLDER) != 1:
                raise FieldError(
                    f"templates[{k}]",
                    f"family {self.id}: template must hold {PLACEHOLDER} once: {t!r}",
                )


_ID_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

#: The scripts :func:`paraphrase` picks a polite prefix for (see :func:`_script`).
PREFIX_SCRIPTS: tuple[str, ...] = ("en", "zh", "ja", "ko", "ru", "ar", "hi")


@dataclass(frozen=True)
class ElicitationCatalog:
    """Everything the catalog file holds, validated."""

    styles: dict[str, str]
    families: tuple[ElicitationFamily, ...]
    #: Ids of the 14 families of the v1 held-out split, spent on 2026-11-26.
    spent_heldout_v1: frozenset[str]
    #: The paraphraser's one-directional swaps (lower-case key -> alternatives).
    synonyms: dict[str, tuple[str, ...]]
    #: Polite openers per script.
    prefixes: dict[str, tuple[str, ...]]
    #: Ordinary explanation asks (hard negatives), each holding ``{task}`` once.
    benign_reasoning_asks: tuple[str, ...]


def load_catalog(path: str | Path = DATA_FILE, doc: YamlDoc | None = None) -> ElicitationCatalog:
    """Read and validate a catalog file (errors name its file, line and field)."""
    doc = doc or load_data_file(path)
    keys = ("version", "styles", "families", "spent_heldout_v1", "synonyms", "prefixes")
    top = check_keys(doc, (), (*keys, "benign_reasoning_asks"))
    if top["version"] != 1:
        raise fail(doc, ("version",), f"unsupported version {top['version']!r} (expected 1)")
    styles = string_map(doc, ("styles",), snake_case_keys=True)
    if tuple(styles) != STYLES:
        raise fail(doc, ("styles",), f"the styles are {', '.join(STYLES)}, in this order")
    families = build_records(ElicitationFamily, doc, ("families",))
    for i, fam in enumerate(families):
        no_duplicates(doc, ("families", i, "templates"), fam.templates, "template")
    ids = {f.id for f in families}
    spent = string_list(doc, ("spent_heldout_v1",))
    no_duplicates(doc, ("spent_heldout_v1",), spent, "family id")
    for k, fid in enumerate(spent):
        if fid not in ids:
            raise fail(doc, ("spent_heldout_v1", k), f"unknown family id {fid!r}")
    synonyms = string_banks(doc, ("synonyms",))
    for key, alternatives in synonyms.items():
        if key != key.lower():
            raise fail(doc, ("synonyms", key), "a key is lower case (matching ignores case)")
        no_duplicates(doc, ("synonyms", key), alternatives, "alternative")
    prefixes = string_banks(doc, ("prefixes",))
    for script, options in prefixes.items():
        no_duplicates(doc, ("prefixes", script), options, "prefix")
    if set(prefixes) != set(PREFIX_SCRIPTS):
        raise fail(doc, ("prefixes",), f"needs exactly the scripts {', '.join(PREFIX_SCRIPTS)}")
    asks = string_list(doc, ("benign_reasoning_asks",))
    no_duplicates(doc, ("benign_reasoning_asks",), asks, "ask")
    for k, ask in enumerate(asks):
        if ask.count(PLACEHOLDER) != 1:
            raise fail(doc, ("benign_reasoning_asks", k), f"must hold {PLACEHOLDER} once")
    return ElicitationCatalog(styles, families, frozenset(spent), synonyms, prefixes, asks)


_CATALOG = load_catalog(DATA_FILE, _DOC)

FAMILIES: tuple[ElicitationFamily, ...] = _CATALOG.families

# Spent on 2026-11-26, now dev: the 14 families of the v1 held-out split (see the
# catalog file).  Kept (unused by the split) only as a record of which families docs
# and old reports called "held-out".
_SPENT_HELDOUT_V1: frozenset[str] = _CATALOG.spent_heldout_v1

#: Splits a campaign's ``families`` key may name (besides a list of family ids).
SPLITS: tuple[str, ...] = ("all", "dev")

#: Family id -> split.  Every family is ``"dev"`` (detectors may be written against it)
#: since the v1 held-out split was spent on 2026-11-26; the mapping is kept so callers
#: that group families by split keep working.
FAMILY_SPLIT: dict[str, str] = {f.id: "dev" for f in FAMILIES}

#: Why a ``"heldout"`` family split is refused; shared with scenario validation.
HELDOUT_REFUSED = (
    "the 'heldout' family split was spent on 2026-11-26 and is dev data now; the "
    "held-out test set (data/eval/cot/heldout_v5.yaml) is for evaluation only and is "
    "never simulated, so use all, dev or a list of family ids"
)

#: Languages that have at least one family.
LANGUAGES: tuple[str, ...] = tuple(sorted({f.language for f in FAMILIES}))

_BY_ID: dict[str, ElicitationFamily] = {f.id: f for f in FAMILIES}


def family(family_id: str) -> ElicitationFamily:
    """Return the family with this id; unknown ids are a scenario error, not a KeyError."""
    try:
        return _BY_ID[family_id]
    except KeyError:
        raise ScenarioError(f"unknown elicitation family {family_id!r}", field="families") from None


def select_families(
    split: str | tuple[str, ...] = "all", language: str | None = None
) -> tuple[ElicitationFamily, ...]:
    """Families in a split ("all" or "dev") or with the given ids; optionally one language.

    ``split`` takes the same values as a campaign's ``families`` key.  Since the v1
    held-out split was spent, "dev" is every family, the same as "all".  "heldout" is
    refused rather than mapped to anything: mapping it to the evaluation-only v2 set would
    leak test phrasings into simulated development traffic, and mapping it silently to
    dev families would pass off development data as a test.

    >>> select_families("dev") == select_families("all") == FAMILIES
    True
    >>> {f.language for f in select_families("dev", "zh")}
    {'zh'}
    >>> try:
    ...     select_families("heldout")
    ... except ScenarioError as exc:
    ...     print("spent" in str(exc))
    True
    """
    if isinstance(split, str):
        if split == "heldout":
            raise ScenarioError(HELDOUT_REFUSED, field="families")
        if split not in SPLITS:
            raise ScenarioError(
                f"unknown family split {split!r} (use all, dev or a list of family ids)",
                field="families",
            )
        fams = [f for f in FAMILIES if split == "all" or FAMILY_SPLIT[f.id] == split]
    else:
        fams = [family(fid) for fid in split]
    return tuple(f for f in fams if language is None or f.language == language)


def wrap(task: str, fam: ElicitationFamily, rng: np.random.Generator) -> str:
    """Wrap ``task`` in one of the family's templates, chosen with ``rng``.

    Filling uses ``str.replace`` rather than ``str.format`` so braces inside the task
    (code, JSON, LaTeX) pass through untouched.
    """
    template = fam.templates[int(rng.integers(len(fam.templates)))]
    return template.replace(PLACEHOLDER, task, 1)


# ---------------------------------------------------------------------- paraphrase

# One-directional swaps: each key is only listed where every alternative reads correctly
# in every context the catalogs use it (e.g. no "answer" -> "response", since "answer"
# is also a verb).  Matching is case-insensitive; the case of the first letter is kept.
_SYNONYMS: dict[str, tuple[str, ...]] = _CATALOG.synonyms


def _is_unspaced(s: str) -> bool:
    # CJK and Hangul have no spaces between words, so word boundaries cannot be required.
    return any(ord(c) >= 0x2E80 for c in s)


def _synonym_pattern() -> re.Pattern[str]:
    alts = []
    # Longest first, so "final answer" wins over a shorter key inside it.
    for key in sorted(_SYNONYMS, key=len, reverse=True):
        esc = re.escape(key)
        alts.append(esc if _is_unspaced(key) else rf"(?<!\w){esc}(?!\w)")
    return re.compile("|".join(alts), re.IGNORECASE)


_SYNONYM_RE = _synonym_pattern()
# Any {name} placeholder: callers paraphrase templates with {task} or {text}.
_PLACEHOLDER_RE = re.compile(r"(\{[A-Za-z_][A-Za-z0-9_]*\})")

# Polite openers, per script, so a prefix never mixes languages with the text.
_PREFIXES: dict[str, tuple[str, ...]] = _CATALOG.prefixes


def _script(text: str) -> str | None:
    """Rough script of ``text``: enough to pick a matching polite prefix, or None."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    if re.search(r"[\u0400-\u04ff]", text):
        return "ru"
    if re.search(r"[\u0600-\u06ff]", text):
        return "ar"
    if re.search(r"[\u0900-\u097f]", text):
        return "hi"
    if text.isascii():
        return "en"
    # Latin script with accents: es, de, fr, pt, tr, vi are too alike to tell apart
    # cheaply, and a greeting in the wrong one would be a giveaway.
    return None


def _match_case(src: str, repl: str) -> str:
    if len(src) > 1 and src.isupper():
        return repl.upper()
    if src[:1].isupper():
        return repl[:1].upper() + repl[1:]
    return repl


def paraphrase(text: str, rng: np.random.Generator, strength: float) -> str:
    """Lightly reword ``text`` the way an operator tweaks a template between accounts.

    Synonym swaps, case, whitespace and final punctuation changes and an optional polite
    prefix; ``strength`` in [0, 1] scales how many are applied (0 returns ``text``).
    ``{name}`` placeholders are never touched.  Deterministic given the rng state.
    """
    if not 0.0 <= strength <= 1.0:
        raise ScenarioError(f"paraphrase strength must be in [0, 1], got {strength}")
    if strength == 0.0:
        return text
    parts = _PLACEHOLDER_RE.split(text)
    # split() with a capture group puts literal text at even indices, placeholders at odd.
    lit = list(range(0, len(parts), 2))

    def swap(m: re.Match[str]) -> str:
        if rng.random() >= 0.6 * strength:
            return m.group(0)
        alts = _SYNONYMS[m.group(0).lower()]
        return _match_case(m.group(0), alts[int(rng.integers(len(alts)))])

    for i in lit:
        parts[i] = _SYNONYM_RE.sub(swap, parts[i])

    # Decisions are drawn in a fixed order so the same rng state gives the same text.
    lower = rng.random() < 0.15 * strength
    squeeze = rng.random() < 0.3 * strength
    double_space = rng.random() < 0.2 * strength
    drop_stop = rng.random() < 0.3 * strength
    prefix_draw = rng.random() < 0.3 * strength
    prefix_idx = int(rng.integers(1 << 16))
    for i in lit:
        p = parts[i]
        if lower:  # lazy typing
            p = p.lower()
        if squeeze:
            p = p.replace("\n\n", "\n")
        if double_space:
            p = p.replace(". ", ".  ")
        parts[i] = p
    if drop_stop:
        last = parts[-1]
        stripped = last.rstrip()
        if stripped.endswith((".", "。")):
            parts[-1] = stripped[:-1] + last[len(stripped) :]
    literal = "".join(parts[i] for i in lit)
    # A bare placeholder says nothing about the language of what goes in it: no greeting.
    if prefix_draw and literal.strip():
        script = _script(literal)
        if script is not None:
            options = _PREFIXES[script]
            parts[0] = options[prefix_idx % len(options)] + parts[0]
    return "".join(parts)


# ------------------------------------------------------------- benign hard negatives

#: How ordinary users ask, once and conversationally, for an explanation of a homework or
#: learning question.  Hard negatives for the chain-of-thought detector.
BENIGN_REASONING_ASKS: tuple[str, ...] = _CATALOG.benign_reasoning_asks
