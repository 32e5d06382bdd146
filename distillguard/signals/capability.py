"""Capability: what a request exercises (coding, math, reasoning, agentic, writing, other).

Distillation campaigns target capabilities (Anthropic's 2026 report: agentic
reasoning, tool use, coding); an account whose traffic is almost all one capability,
in the shape of benchmark-like tasks, looks different from a person's mixed use.
This signal labels each request so profiles can measure that mix.

Each capability has one RE2 alternation of cue tokens (code fences, keywords and
stack traces; equations, LaTeX and "solve/prove"; "which of the following" and
premises; tool and agent vocabulary; essays, emails and rewrites), in the main
languages.  A request scores the number of cue tokens per capability (capped) times
the capability's weight; sending the ``tools`` parameter adds to *agentic*.  The best
capability wins if its score reaches ``min_score``, else the request is *other*.
Ties go to the earlier capability in :data:`ORDER`.  ``capability_score`` is the
winner's share of the evidence, ``best / (best + runner_up + 1)``, in [0, 1].

The same lower-cased window as :mod:`~distillguard.signals.cot_elicitation` is
scanned (both ends of long prompts), and counted once per batch.

>>> sig = Capability()
>>> def cap(text: str, **params: object) -> str:
...     event = {"messages": [{"role": "user", "content": text}], "params": params or None}
...     return sig.compute_one(event)["capability"]
>>> cap("Why does my python script raise KeyError: 'id'? ```print(d['id'])```")
'coding'
>>> cap("Solve for x: 3x + 5 = 20")
'math'
>>> cap("Which of the following conclusions follows from the premises? (A) ... (B) ...")
'reasoning'
>>> cap("Book me a flight to Oslo", tools='[{"type": "function"}]')
'agentic'
>>> cap("Write a cover letter for a junior accountant position")
'writing'
>>> cap("What's the capital of Peru?")
'other'
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import ClassVar, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.datafile import check_keys, fail, load_data_file, string_list, value_at
from distillguard.signals.base import EventBatch, Signal, register
from distillguard.signals.cot_elicitation import python_regex, scan_text

#: The cue table (data, not code): capabilities in tie-break order and their patterns.
CUES_FILE: Final = Path(__file__).resolve().parent / "data" / "capability_cues.yaml"
#: The capabilities the signal weighs (one ``w_<name>`` setting each).
KNOWN: Final = frozenset({"coding", "math", "agentic", "reasoning", "writing"})


def load_cues(path: Path = CUES_FILE) -> dict[str, str]:
    """Capability -> RE2 pattern, in tie-break order, from a validated data file.

    Errors name the file, line and field (:class:`~distillguard.datafile.DataFileError`):
    unknown keys, a capability missing or unknown, a pattern that does not compile in
    RE2 or in Python's ``re``, a line beginning or ending with a space.
    """
    doc = load_data_file(path)
    top = check_keys(doc, (), ["version", "capabilities"])
    if top["version"] != 1:
        raise fail(doc, ("version",), f"unknown version {top['version']!r} (this reads 1)")
    items = value_at(doc, ("capabilities",))
    if not isinstance(items, list):
        raise fail(doc, ("capabilities",), "expected a list")
    out: dict[str, str] = {}
    for i, _ in enumerate(items):
        entry = check_keys(doc, ("capabilities", i), ["name", "patterns"])
        name = entry["name"]
        if name not in KNOWN or name in out:
            raise fail(doc, ("capabilities", i, "name"), f"unknown or repeated capability {name!r}")
        parts = string_list(doc, ("capabilities", i, "patterns"))
        for j, part in enumerate(parts):
            lines = part.split("\n")
            if any(ln != ln.strip() for ln in lines):
                raise fail(
                    doc, ("capabilities", i, "patterns", j), "a line begins or ends with a space"
                )
        pattern = "|".join("".join(part.split("\n")) for part in parts)
        try:
            pc.count_substring_regex(pa.array(["x"]), pattern)
            python_regex(pattern)
        except (pa.ArrowException, re.error) as exc:
            raise fail(doc, ("capabilities", i, "patterns"), f"not a valid pattern: {exc}") from exc
        out[name] = pattern
    if set(out) != KNOWN:
        raise fail(doc, ("capabilities",), f"missing capabilities: {sorted(KNOWN - set(out))}")
    return out


#: Cue tokens per capability (RE2, matched on lower-cased text and counted).
PATTERNS: Final[dict[str, str]] = load_cues()
#: Capabilities in tie-break order; "other" is the fallback.
ORDER: Final[tuple[str, ...]] = tuple(PATTERNS)
LABELS: Final[tuple[str, ...]] = (*ORDER, "other")


@cache
def _python_pattern(label: str) -> re.Pattern[str]:
    return python_regex(PATTERNS[label])


@register
@dataclass
class Capability(Signal):
    """The capability a request exercises, from weighted cue-token counts."""

    name: ClassVar[str] = "capability"
    description: ClassVar[str] = (
        "What a request exercises (coding, math, reasoning, agentic, writing, other) from "
        "keyword/syntax cues and the tools parameter; profiles measure each account's mix."
    )
    outputs: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(
            "capability",
            pa.string(),
            metadata={
                "description": "coding | math | reasoning | agentic | writing | other.  "
                "Neutral on its own: a narrow mix per account is what profiles weigh."
            },
        ),
        pa.field(
            "capability_score",
            pa.float64(),
            metadata={
                "description": "Confidence in the label, in [0, 1]: the winner's share "
                "best / (best + runner_up + 1).  Not a suspicion score."
            },
        ),
    )

    #: A capability needs at least this much evidence to beat "other".
    min_score: float = 1.0
    #: Cue tokens counted per capability at most (a long code dump is still just code).
    cap: int = 6
    #: Evidence the ``tools`` request parameter adds to "agentic".
    tools_weight: float = 3.0
    # Per-token weights: a fenced block or stack trace is near-certain coding; "writing"
    # tokens are the weakest (many requests mention an email in passing).
    w_coding: float = 1.0
    w_math: float = 1.0
    w_agentic: float = 1.2
    w_reasoning: float = 1.0
    w_writing: float = 1.1
    #: Weight of cue tokens in the system prompt (an app's instructions name its task).
    system_weight: float = 1.0
    #: Characters scanned at each end of a long request (shared with cot_elicitation).
    window: int = 320
    threads: int = 2
    #: Batches up to this size are counted with Python's ``re`` (see ``_counts``).
    small_batch: int = 64

    def evidence(self, batch: EventBatch) -> npt.NDArray[np.float64]:
        """Evidence per request (rows) and capability (columns, in :data:`ORDER`)."""
        scan = scan_text(batch, self.window)
        n = len(scan)
        ev = np.zeros((n, len(ORDER)), dtype=np.float64)
        if n == 0:
            return ev
        weights = {
            "coding": self.w_coding,
            "math": self.w_math,
            "agentic": self.w_agentic,
            "reasoning": self.w_reasoning,
            "writing": self.w_writing,
        }

        def count(label: str) -> npt.NDArray[np.float64]:
            arr = self._counts(scan, label)
            out: npt.NDArray[np.float64] = np.minimum(arr, self.cap) * weights[label]
            return out

        if self.threads > 1 and n >= 20_000:
            with ThreadPoolExecutor(self.threads) as pool:
                cols = list(pool.map(count, ORDER))
        else:
            cols = [count(label) for label in ORDER]
        for j, col in enumerate(cols):
            ev[:, j] = col
        if self.system_weight:
            ev += self.system_weight * self._system_evidence(batch, weights)
        tools = pc.utf8_trim_whitespace(batch.param("tools"))
        has_tools = pc.fill_null(
            pc.and_(
                pc.is_valid(tools), pc.invert(pc.is_in(tools, pa.array(["", "[]", "null", "{}"])))
            ),
            False,
        ).to_numpy(zero_copy_only=False)
        ev[:, ORDER.index("agentic")] += self.tools_weight * has_tools
        return ev

    def _counts(self, text: pa.Array, label: str) -> npt.NDArray[np.float64]:
        """Cue tokens of one capability in each text (RE2 in Arrow; Python for few rows)."""
        if len(text) <= self.small_batch:
            # Arrow compiles the pattern on every call: for the gateway's single events,
            # Python's re on a pattern compiled once per process is much cheaper.
            pattern = _python_pattern(label)
            return np.array(
                [0 if t is None else len(pattern.findall(t)) for t in text.to_pylist()],
                dtype=np.float64,
            )
        c = pc.fill_null(pc.count_substring_regex(text, PATTERNS[label]), 0)
        out: npt.NDArray[np.float64] = c.to_numpy(zero_copy_only=False).astype(np.float64)
        return out

    def _system_evidence(
        self, batch: EventBatch, weights: dict[str, float]
    ) -> npt.NDArray[np.float64]:
        # Few distinct system prompts per batch (one per product or operator): count
        # each distinct one once.
        system = pc.utf8_slice_codeunits(batch.system_text, 0, 2 * self.window)
        enc = pc.dictionary_encode(pc.utf8_lower(system))
        uniq = enc.dictionary
        idx = enc.indices.to_numpy(zero_copy_only=False)
        per = np.zeros((len(uniq), len(ORDER)), dtype=np.float64)
        for j, label in enumerate(ORDER):
            per[:, j] = np.minimum(self._counts(uniq, label), self.cap) * weights[label]
        out: npt.NDArray[np.float64] = per[idx]
        return out

    def compute(self, batch: EventBatch) -> dict[str, pa.Array]:
        ev = self.evidence(batch)
        n = len(ev)
        if n == 0:
            return {
                "capability": pa.array([], pa.string()),
                "capability_score": pa.array([], pa.float64()),
            }
        # argmax takes the first maximum: ties go to the earlier capability in ORDER.
        best_idx = np.argmax(ev, axis=1)
        best = ev[np.arange(n), best_idx]
        runner = np.sort(ev, axis=1)[:, -2]
        is_other = best < self.min_score
        labels = np.array(ORDER, dtype=object)[best_idx]
        labels[is_other] = "other"
        total = ev.sum(axis=1)
        score = np.where(is_other, 1.0 / (1.0 + total), best / (best + runner + 1.0))
        return {
            "capability": pa.array(labels.tolist(), pa.string()),
            "capability_score": pa.array(np.clip(score, 0.0, 1.0), pa.float64()),
        }
