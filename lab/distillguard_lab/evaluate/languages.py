"""Benign false positives by the language users write in.

A detector whose cues and model were built mostly on English can flag people who
write in other languages more often (issue 18 measured 5% of the non-English users of
ShareGPT's conversations at restrict or above, against 0.2-0.3% of English-speaking
ones).  So evaluations report the benign FPR per language as well as per role.

An account's language is the commonest language of its requests' last user message
(:func:`~distillguard_lab.sim.sources._common.detect_language`: the Unicode script,
and English against other Latin-script languages by common words); requests with no
letters (code, numbers) are not counted, and an account with none is ``unknown``.

>>> import pyarrow as pa
>>> ev = pa.table({"account_id": ["a", "a", "b"], "messages": [
...     [{"role": "user", "content": "Bonjour, je voudrais une recette de crêpes"}],
...     [{"role": "user", "content": "Merci pour la recette de ma grand-mère"}],
...     [{"role": "user", "content": "请帮我写一个排序函数"}]]})
>>> account_languages(ev)
{'a': 'other-latin', 'b': 'zh'}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

import pyarrow as pa

from distillguard_lab.evaluate.metrics import FLAGGED_VERDICTS
from distillguard_lab.sim.sources._common import detect_language


def account_languages(events: pa.Table) -> dict[str, str]:
    """Account id -> its commonest request language (see the module doc)."""
    counts: dict[str, Counter[str]] = {}
    ids = events.column("account_id").to_pylist()
    for acct, msgs in zip(ids, events.column("messages").to_pylist(), strict=True):
        text = next((m["content"] for m in reversed(msgs or []) if m.get("role") == "user"), None)
        lang = detect_language(text) if text else "unknown"
        c = counts.setdefault(acct, Counter())
        if lang != "unknown":
            c[lang] += 1
    return {a: (c.most_common(1)[0][0] if c else "unknown") for a, c in counts.items()}


def fpr_by_language(
    accounts: pa.Table,
    labels: pa.Table,
    languages: dict[str, str],
    flagged: Collection[str] = FLAGGED_VERDICTS,
) -> dict[str, dict[str, Any]]:
    """Per language of benign accounts: ``n``, ``flagged`` (verdict in ``flagged``) and
    ``fpr``.  A labelled benign account the scan never wrote counts as not flagged."""
    verdict = dict(
        zip(accounts["account_id"].to_pylist(), accounts["verdict"].to_pylist(), strict=True)
    )
    out: dict[str, dict[str, Any]] = {}
    for acct, attack in zip(
        labels["account_id"].to_pylist(), labels["is_attack"].to_pylist(), strict=True
    ):
        if attack:
            continue
        row = out.setdefault(languages.get(acct, "unknown"), {"n": 0, "flagged": 0})
        row["n"] += 1
        row["flagged"] += int(verdict.get(acct) in flagged)
    for row in out.values():
        row["fpr"] = row["flagged"] / row["n"]
    return dict(sorted(out.items(), key=lambda kv: -int(kv[1]["n"])))


__all__ = ["account_languages", "fpr_by_language"]
