"""The informed red team's wording and its rewording search against the shipped classifier.

The pieces (``data/informed.yaml``: intents that ask for the whole worked solution,
formats, openers, closers, layouts, system prompts, response-format schemas) are raw
material.  :class:`Rewording` combines them into candidate requests, asks the
installed ``cot_elicitation`` signal about each one (through
:class:`~distillguard_lab.redteam.informed.detector.Detector`, at generation time)
and keeps the combinations it stays silent on; every request it then emits is checked
again, whole, before it is sent.  Against a new version of the classifier the same
search finds other wordings, or fewer: nothing here was tuned by hand against a
particular version.

>>> ph = load_phrases()
>>> "en" in ph.intents and all(lang in ph.intents for lang in ph.languages)
True
>>> ask = Ask("en", 0, 1, 0, 1, 0)
>>> compose(ph, ask, "What is 2 + 2?").startswith("What is 2 + 2?")
True
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from distillguard.datafile import (
    check_keys,
    fail,
    load_data_file,
    no_duplicates,
    string_banks,
    string_list,
    value_at,
)
from distillguard.yamlio import YamlDoc

#: The informed red team's wording (a versioned data file).
DATA_FILE: Final = Path(__file__).resolve().parent.parent / "data" / "informed.yaml"

#: Banks every account language must have.
_PER_LANGUAGE: Final = (
    "intents",
    "formats",
    "openers",
    "closers",
    "system_prompts",
    "format_notes",
)
#: Banks whose items may be empty (the piece is left out).
_MAY_BE_EMPTY: Final = frozenset({"formats", "openers", "closers", "format_notes"})
#: A task shorter than this is not cut in two for a ``{head}...{tail}`` layout.
MIN_SPLIT_CHARS: Final = 400


@dataclass(frozen=True)
class SchemaWords:
    """Names in a response-format JSON schema that carries the reasoning."""

    names: tuple[str, ...]
    reasoning_fields: tuple[str, ...]
    reasoning_descriptions: tuple[str, ...]
    answer_fields: tuple[str, ...]


@dataclass(frozen=True)
class Phrases:
    """Every bank of ``informed.yaml``, validated."""

    languages: dict[str, float]
    intents: dict[str, tuple[str, ...]]
    formats: dict[str, tuple[str, ...]]
    openers: dict[str, tuple[str, ...]]
    closers: dict[str, tuple[str, ...]]
    layouts: tuple[str, ...]
    system_prompts: dict[str, tuple[str, ...]]
    format_notes: dict[str, tuple[str, ...]]
    schema: SchemaWords
    naive_asks: tuple[str, ...]

    def language_weights(self) -> tuple[list[str], npt.NDArray[np.float64]]:
        """Languages and their normalised weights."""
        langs = list(self.languages)
        w = np.array([self.languages[k] for k in langs], dtype=np.float64)
        return langs, w / w.sum()


def _layout_fields(doc: YamlDoc, path: tuple[str | int, ...], text: str) -> None:
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise fail(doc, path, f"not a str.format template ({exc})") from exc
    if names not in ({"task", "ask"}, {"head", "ask", "tail"}):
        raise fail(
            doc, path, f"must name {{task}} and {{ask}}, or {{head}}, {{ask}} and {{tail}}: {names}"
        )


def _banks(doc: YamlDoc, key: str, languages: Sequence[str]) -> dict[str, tuple[str, ...]]:
    bank = string_banks(doc, (key,), empty_items=key in _MAY_BE_EMPTY)
    for lang, items in bank.items():
        no_duplicates(doc, (key, lang), items, "variant")
        if not any(items):
            raise fail(doc, (key, lang), "needs at least one non-empty variant")
    for lang in languages:
        if lang not in bank:
            raise fail(doc, (key,), f"no variants for account language {lang!r}")
    return bank


def load_phrases(path: str | Path = DATA_FILE) -> Phrases:
    """Read and validate an informed wording file (errors name file, line and field)."""
    doc = load_data_file(path)
    top = check_keys(
        doc,
        (),
        ("version", "languages", *_PER_LANGUAGE, "layouts", "schema", "naive_asks"),
    )
    if top["version"] != 1:
        raise fail(doc, ("version",), f"unsupported version {top['version']!r} (expected 1)")
    langs = value_at(doc, ("languages",))
    if not isinstance(langs, dict) or not langs:
        raise fail(doc, ("languages",), "expected a non-empty mapping of language -> weight")
    weights: dict[str, float] = {}
    for lang, w in langs.items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not w > 0:
            raise fail(doc, ("languages", lang), f"weight must be a number > 0, got {w!r}")
        weights[str(lang)] = float(w)
    layouts = string_list(doc, ("layouts",))
    no_duplicates(doc, ("layouts",), layouts, "layout")
    for i, text in enumerate(layouts):
        _layout_fields(doc, ("layouts", i), text)
    if "{task}" not in layouts[0]:
        raise fail(doc, ("layouts", 0), "the first layout must hold the whole {task}")
    check_keys(
        doc,
        ("schema",),
        ("names", "reasoning_fields", "reasoning_descriptions", "answer_fields"),
    )
    schema = SchemaWords(
        *(
            string_list(doc, ("schema", k))
            for k in ("names", "reasoning_fields", "reasoning_descriptions", "answer_fields")
        )
    )
    naive = string_banks(doc, ("naive_asks",))
    return Phrases(
        languages=weights,
        intents=_banks(doc, "intents", list(weights)),
        formats=_banks(doc, "formats", list(weights)),
        openers=_banks(doc, "openers", list(weights)),
        closers=_banks(doc, "closers", list(weights)),
        layouts=layouts,
        system_prompts=_banks(doc, "system_prompts", list(weights)),
        format_notes=_banks(doc, "format_notes", list(weights)),
        schema=schema,
        naive_asks=tuple(a for v in naive.values() for a in v),
    )


# --------------------------------------------------------------------------- composing


@dataclass(frozen=True)
class Ask:
    """One combination of pieces: indices into the language's banks and the layouts."""

    lang: str
    intent: int
    format: int
    opener: int
    closer: int
    layout: int

    def key(self) -> str:
        """A stable name of the combination (for reports)."""
        return f"{self.lang}:i{self.intent}f{self.format}o{self.opener}c{self.closer}l{self.layout}"


def split_task(task: str) -> tuple[str, str] | None:
    """``task`` cut in two at the line or sentence break nearest its middle, if any.

    >>> split_task("short")
    >>> head, tail = split_task("a" * 300 + "\\n" + "b" * 300)
    >>> len(head), len(tail)
    (300, 300)
    """
    if len(task) < MIN_SPLIT_CHARS:
        return None
    mid = len(task) // 2
    best = -1
    for sep in ("\n", ". "):
        for pos in (task.rfind(sep, 0, mid), task.find(sep, mid)):
            if pos > 0 and (best < 0 or abs(pos - mid) < abs(best - mid)):
                best = pos
    if best <= 0 or best >= len(task) - 2:
        return None
    cut = best + 1
    return task[:cut].rstrip(), task[cut:].lstrip()


#: Languages written without spaces between sentences.
_NO_SPACES: Final = frozenset({"zh", "ja"})


def _join(lang: str, *parts: str) -> str:
    return ("" if lang in _NO_SPACES else " ").join(p for p in parts if p)


def compose(ph: Phrases, ask: Ask, task: str) -> str:
    """The user turn ``ask`` makes of ``task``.

    A ``{head}..{tail}`` layout puts the request inside the task, cut near its middle;
    a task too short to cut gets the first layout.
    """
    body = _join(
        ask.lang,
        ph.intents[ask.lang][ask.intent],
        ph.formats[ask.lang][ask.format],
        ph.closers[ask.lang][ask.closer],
    )
    layout = ph.layouts[ask.layout]
    if "{head}" in layout:
        parts = split_task(task)
        if parts is None:
            text = ph.layouts[0].format(task=task, ask=body)
        else:
            text = layout.format(head=parts[0], tail=parts[1], ask=body)
    else:
        text = layout.format(task=task, ask=body)
    opener = ph.openers[ask.lang][ask.opener]
    return _join(ask.lang, opener, text)


def system_candidates(ph: Phrases, lang: str) -> list[str]:
    """System prompts to try in ``lang``: the written ones, then every intent with every
    format (the same request for a worked solution, as a standing instruction)."""
    out = list(ph.system_prompts[lang])
    out += [_join(lang, i, f) for i in ph.intents[lang] for f in ph.formats[lang]]
    return list(dict.fromkeys(out))


def random_ask(ph: Phrases, rng: np.random.Generator, lang: str) -> Ask:
    """A combination drawn uniformly from ``lang``'s banks."""

    def pick(bank: dict[str, tuple[str, ...]]) -> int:
        return int(rng.integers(len(bank[lang])))

    return Ask(
        lang,
        pick(ph.intents),
        pick(ph.formats),
        pick(ph.openers),
        pick(ph.closers),
        int(rng.integers(len(ph.layouts))),
    )


# --------------------------------------------------------------------------- the search

#: Per request (messages, params): (is the classifier silent?, its score in [0, 1]).
Judge = Callable[
    [Sequence[list[dict[str, str | None]]], Sequence[dict[str, Any] | None]],
    tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]],
]
_FIELDS: Final = ("intent", "format", "opener", "closer", "layout")


@dataclass
class RewordStats:
    """What the search cost and found (kept in each strategy's report)."""

    candidates_tried: int = 0
    candidates_silent: int = 0
    probe_texts: int = 0
    emitted: int = 0
    repicks: int = 0
    dropped: int = 0
    silent_by_language: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates_tried": self.candidates_tried,
            "candidates_silent": self.candidates_silent,
            "probe_texts": self.probe_texts,
            "emitted": self.emitted,
            "repicks": self.repicks,
            "dropped": self.dropped,
            "silent_by_language": dict(sorted(self.silent_by_language.items())),
        }


def mutate(ph: Phrases, rng: np.random.Generator, ask: Ask) -> Ask:
    """``ask`` with one piece (intent, format, opener, closer or layout) redrawn."""
    name = _FIELDS[int(rng.integers(len(_FIELDS)))]
    sizes = {
        "intent": len(ph.intents[ask.lang]),
        "format": len(ph.formats[ask.lang]),
        "opener": len(ph.openers[ask.lang]),
        "closer": len(ph.closers[ask.lang]),
        "layout": len(ph.layouts),
    }
    values = {f: getattr(ask, f) for f in _FIELDS}
    values[name] = int(rng.integers(sizes[name]))
    return Ask(ask.lang, **values)


@dataclass
class Rewording:
    """Search for user-turn wordings the installed classifier stays silent on.

    ``judge(messages, params)`` is the detector's answer per request: silent or not,
    and its score.  :meth:`search` evaluates up to ``budget`` combinations per
    language, each on ``probes`` probe tasks: a random first generation, then
    generations of one-piece mutations of the combinations whose worst score over the
    probes is lowest (the score guides the search; the flag decides).  Every
    combination silent on all its probes is kept.  :meth:`wrap` gives each task a kept
    combination and checks the whole request again, re-picking up to ``retries``
    times before giving the task up (``None``).
    """

    phrases: Phrases
    judge: Judge
    rng: np.random.Generator
    budget: int = 400
    probes: int = 6
    retries: int = 6
    #: Combinations per generation, and parents kept from each.
    generation: int = 100
    parents: int = 20
    stats: RewordStats = field(default_factory=RewordStats)
    _pools: dict[str, list[Ask]] = field(default_factory=dict)

    def _evaluate(
        self, cands: Sequence[Ask], probes: Sequence[str]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        k = len(probes)
        msgs: list[list[dict[str, str | None]]] = [
            [{"role": "user", "content": compose(self.phrases, a, t)}]
            for a in cands
            for t in probes
        ]
        silent, score = self.judge(msgs, [None] * len(msgs))
        self.stats.candidates_tried += len(cands)
        self.stats.probe_texts += len(msgs)
        per_probe = np.asarray(silent, dtype=bool).reshape(len(cands), k)
        ok: npt.NDArray[np.bool_] = np.array(per_probe.all(axis=1), dtype=np.bool_)
        worst: npt.NDArray[np.float64] = (
            np.asarray(score, dtype=np.float64).reshape(len(cands), k).max(axis=1)
        )
        return ok, worst

    def search(self, lang: str, probe_tasks: Sequence[str]) -> list[Ask]:
        """The combinations of ``lang`` silent on every probe task (searched once)."""
        if lang in self._pools:
            return self._pools[lang]
        k = min(self.probes, len(probe_tasks))
        if k == 0:
            self._pools[lang] = []
            return []
        picks = self.rng.choice(len(probe_tasks), size=k, replace=False)
        probes = [probe_tasks[int(i)] for i in picks]
        seen: dict[Ask, tuple[bool, float]] = {}

        def run(cands: list[Ask]) -> None:
            cands = [c for c in dict.fromkeys(cands) if c not in seen]
            if not cands:
                return
            ok, worst = self._evaluate(cands, probes)
            for c, o, w in zip(cands, ok, worst, strict=True):
                seen[c] = (bool(o), float(w))

        run([random_ask(self.phrases, self.rng, lang) for _ in range(self.generation)])
        stale = 0
        while len(seen) < self.budget and stale < 5:
            before = len(seen)
            best = sorted(seen, key=lambda a: seen[a][1])[: self.parents]
            room = min(self.generation, self.budget - len(seen))
            children = [
                mutate(self.phrases, self.rng, best[int(self.rng.integers(len(best)))])
                for _ in range(room)
            ]
            run(children[: room // 2 + 1] + [random_ask(self.phrases, self.rng, lang)
                                             for _ in range(room - room // 2 - 1)])  # fmt: skip
            stale = stale + 1 if len(seen) == before else 0
        pool = [a for a, (ok, _) in seen.items() if ok]
        self.stats.candidates_silent += len(pool)
        self.stats.silent_by_language[lang] = len(pool)
        self._pools[lang] = pool
        return pool

    def wrap(
        self,
        tasks: Sequence[str],
        langs: Sequence[str],
        systems: Sequence[str | None],
        probe_tasks: Sequence[str],
    ) -> list[tuple[list[dict[str, str | None]], Ask] | None]:
        """Messages for each task (system prompt kept) that the classifier is silent on."""
        n = len(tasks)
        out: list[tuple[list[dict[str, str | None]], Ask] | None] = [None] * n
        todo = list(range(n))
        for attempt in range(self.retries + 1):
            batch: list[int] = []
            msgs: list[list[dict[str, str | None]]] = []
            asks: list[Ask] = []
            for i in todo:
                pool = self.search(langs[i], probe_tasks)
                if not pool:
                    continue
                ask = pool[int(self.rng.integers(len(pool)))]
                m: list[dict[str, str | None]] = []
                if systems[i]:
                    m.append({"role": "system", "content": systems[i]})
                m.append({"role": "user", "content": compose(self.phrases, ask, tasks[i])})
                batch.append(i)
                msgs.append(m)
                asks.append(ask)
            if not batch:
                break
            silent, _ = self.judge(msgs, [None] * len(msgs))
            todo = []
            for j, i in enumerate(batch):
                if silent[j]:
                    out[i] = (msgs[j], asks[j])
                else:
                    todo.append(i)
            if attempt > 0:
                self.stats.repicks += len(batch)
            if not todo:
                break
        self.stats.dropped += sum(o is None for o in out)
        self.stats.emitted += sum(o is not None for o in out)
        return out


__all__ = [
    "DATA_FILE",
    "Ask",
    "Phrases",
    "RewordStats",
    "Rewording",
    "SchemaWords",
    "compose",
    "load_phrases",
    "mutate",
    "random_ask",
    "split_task",
    "system_candidates",
]
