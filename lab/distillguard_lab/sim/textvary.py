"""Light, deterministic variation of reused real prompts.

The real corpus is finite (about 54,000 distinct ShareGPT user turns) while a
million-event scenario needs more benign prompts than that.  The first use of a
prompt is verbatim; each later use is varied the way different people ask much
the same thing (a greeting, a dropped sentence, other numbers), so that reuse of
the corpus does not plant verbatim links between unrelated benign accounts.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np

_OPENERS: Final = (
    "Hi! ",
    "Hello, ",
    "Hey, ",
    "Quick question: ",
    "Please help: ",
    "Can you help me? ",
    "I need some help. ",
    "Hi there. ",
    "Question: ",
    "Good morning! ",
    "Hello! ",
    "",
)
_CLOSERS: Final = (
    " Thanks!",
    " Thank you.",
    " Thanks in advance.",
    " Please be concise.",
    " Keep it short.",
    " Be detailed.",
    " Any ideas?",
    "",
    " thx",
    " Cheers.",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_DIGITS = re.compile(r"\d+")


def vary(text: str, k: int, rng: np.random.Generator) -> str:
    """Return ``text`` unchanged for ``k == 0``, else a varied copy.

    >>> vary("Sort a list. Use Python. It has 10 items.", 0, np.random.default_rng(0))
    'Sort a list. Use Python. It has 10 items.'
    >>> vary("Sort a list. Use Python.", 1, np.random.default_rng(0)) != "Sort a list. Use Python."
    True
    """
    if k <= 0:
        return text
    out = text
    parts = _SENTENCE.split(out)
    if len(parts) >= 3 and rng.random() < 0.6:
        drop = int(rng.integers(1, len(parts)))
        parts = parts[:drop] + parts[drop + 1 :]
        out = " ".join(parts)
    if rng.random() < 0.5:
        out = _DIGITS.sub(
            lambda m: (
                str(int(m.group()) + int(rng.integers(1, 9))) if len(m.group()) < 7 else m.group()
            ),
            out,
        )
    opener = _OPENERS[int(rng.integers(len(_OPENERS)))]
    closer = _CLOSERS[int(rng.integers(len(_CLOSERS)))]
    if opener and out[:1].isupper() and rng.random() < 0.5:
        out = out[0].lower() + out[1:]
    out = opener + out + closer
    if out == text:
        out = text + " (again)" if k % 2 else "Re: " + text
    return out
