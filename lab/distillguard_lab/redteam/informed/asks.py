"""How informed strategies word a harvested request, each checked against the detector.

- :func:`reworded`: the request for the worked solution in the user turn, in a
  wording the rewording search found the classifier silent on;
- :func:`system_prompted`: the request in the account's system prompt (the search
  prefers system prompts the classifier's system-prompt flag is silent on), the user
  turn the bare task;
- :func:`response_formatted`: the request in a JSON schema sent as
  ``response_format`` (a required reasoning field described in full), the user turn
  the task and at most a short note;
- :func:`naive`: the control's wording, not checked.

Every checked request is checked whole (system prompt, user turn and parameters, as
the installed classifier reads them); one it flags is not sent (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from distillguard_lab.redteam.informed.base import Content, Context, Run, Strategy
from distillguard_lab.redteam.informed.events import Identity, Message
from distillguard_lab.redteam.informed.wording import system_candidates


def _client_system(ident: Identity) -> list[Message]:
    return [{"role": "system", "content": ident.system_prompt}] if ident.system_prompt else []


def reworded(
    strategy: Strategy,
    ctx: Context,
    run: Run,
    idents: Sequence[Identity],
    tasks: Sequence[str],
) -> list[Content | None]:
    """User-turn requests in wordings the classifier is silent on (module doc)."""
    search = strategy.rewording(ctx, run)
    probes = run.cache.get("probes") or list(tasks)
    wrapped = search.wrap(
        tasks,
        [i.language for i in idents],
        [i.system_prompt for i in idents],
        probe_tasks=probes,
    )
    out: list[Content | None] = []
    for w in wrapped:
        if w is None:
            out.append(None)
            continue
        messages, ask = w
        out.append(Content(messages, family=f"reworded:{ask.key()}"))
    return out


def reworded_languages(strategy: Strategy, ctx: Context, run: Run) -> dict[str, float]:
    """The wording file's languages in which the search found a silent wording (all of
    them, when it found none anywhere: the requests are then dropped and counted)."""
    search = strategy.rewording(ctx, run)
    probes = run.cache.get("probes") or []
    found = {lang: w for lang, w in ctx.phrases.languages.items() if search.search(lang, probes)}
    return found or dict(ctx.phrases.languages)


def has_silent_wording(strategy: Strategy, ctx: Context, run: Run, lang: str) -> bool:
    """Whether the search found a silent wording in ``lang``."""
    return bool(strategy.rewording(ctx, run).search(lang, run.cache.get("probes") or []))


def _system_prompts(ctx: Context, run: Run, lang: str) -> tuple[list[str], bool]:
    """``lang``'s system prompts the classifier is silent on (or all, when none is)."""
    key = f"system:{lang}"
    hit = run.cache.get(key)
    if hit is None:
        cands = system_candidates(ctx.phrases, lang)
        silent = ctx.detector.system_silent(cands)
        kept = [c for c, ok in zip(cands, silent, strict=True) if ok]
        hit = (kept, True) if kept else (cands, False)
        run.cache[key] = hit
        found = run.search.setdefault("system_prompts", {})
        found[lang] = {"candidates": len(cands), "silent": len(kept)}
    prompts, silent_found = hit
    return list(prompts), bool(silent_found)


def system_prompted(
    ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
) -> list[Content | None]:
    """The request in the account's system prompt; the user turn is the bare task."""
    msgs: list[list[Message]] = []
    for ident, task in zip(idents, tasks, strict=True):
        chosen = run.cache.get(f"system_of:{ident.account_id}")
        if not isinstance(chosen, str):
            prompts, _ = _system_prompts(ctx, run, ident.language)
            chosen = prompts[int(run.rng.integers(len(prompts)))]
            run.cache[f"system_of:{ident.account_id}"] = chosen
        msgs.append([{"role": "system", "content": chosen}, {"role": "user", "content": task}])
    ok = ctx.detector.cot_silent(msgs)
    return [
        Content(m, family="system_prompt") if good else None
        for m, good in zip(msgs, ok, strict=True)
    ]


def _schema(ctx: Context, rng: np.random.Generator) -> dict[str, Any]:
    words = ctx.phrases.schema

    def pick(items: Sequence[str]) -> str:
        return items[int(rng.integers(len(items)))]

    reasoning, answer = pick(words.reasoning_fields), pick(words.answer_fields)
    return {
        "type": "json_schema",
        "json_schema": {
            "name": pick(words.names),
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {
                    reasoning: {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": pick(words.reasoning_descriptions),
                    },
                    answer: {"type": "string"},
                },
                "required": [reasoning, answer],
                "additionalProperties": False,
            },
        },
    }


def response_formatted(
    ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
) -> list[Content | None]:
    """The request in a response-format schema with a reasoning field (one per account)."""
    msgs: list[list[Message]] = []
    params: list[dict[str, Any]] = []
    for ident, task in zip(idents, tasks, strict=True):
        fmt = run.cache.get(f"format_of:{ident.account_id}")
        if not isinstance(fmt, dict):
            fmt = _schema(ctx, run.rng)
            run.cache[f"format_of:{ident.account_id}"] = fmt
        notes = ctx.phrases.format_notes[ident.language]
        note = notes[int(run.rng.integers(len(notes)))]
        text = f"{task}\n\n{note}" if note else task
        msgs.append([*_client_system(ident), {"role": "user", "content": text}])
        params.append({"response_format": fmt})
    ok = ctx.detector.cot_silent(msgs, params)
    return [
        Content(m, family="response_format", params=p) if good else None
        for m, p, good in zip(msgs, params, ok, strict=True)
    ]


def naive(
    ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
) -> list[Content | None]:
    """The control's wording: a stock elicitation after the task, unchecked."""
    asks = ctx.phrases.naive_asks
    out: list[Content | None] = []
    for ident, task in zip(idents, tasks, strict=True):
        ask = asks[int(run.rng.integers(len(asks)))]
        text = f"{task}\n\n{ask}"
        out.append(Content([*_client_system(ident), {"role": "user", "content": text}], "naive"))
    return out


__all__ = [
    "has_silent_wording",
    "naive",
    "response_formatted",
    "reworded",
    "reworded_languages",
    "system_prompted",
]
