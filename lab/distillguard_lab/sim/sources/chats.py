"""LangKit's reference chats: short prompt/response pairs used to calibrate monitors."""

from __future__ import annotations

from typing import Final

from distillguard.errors import CorpusError
from distillguard_lab.sim.sources._common import PackageData, PromptRow, guess_capability

LANGKIT_MEMBER: Final = "langkit/whylogs/reference_chats.json"


def langkit_chat_rows(pkg: PackageData) -> list[PromptRow]:
    """User prompts of every chat list in ``reference_chats.json``.

    The lists are ``archived_chats``, ``pos`` and ``neg``, read in file order.
    """
    data = pkg.read_json(LANGKIT_MEMBER)
    if not isinstance(data, dict):
        raise CorpusError(
            "expected a JSON object of chat lists", path=f"{pkg.origin}!{LANGKIT_MEMBER}"
        )
    rows = []
    for key in data:  # file order: archived_chats, pos, neg
        chats = data[key]
        if not isinstance(chats, list):
            continue
        for chat in chats:
            prompt = chat.get("prompt") if isinstance(chat, dict) else None
            if not isinstance(prompt, str):
                continue
            response = chat.get("response")
            rows.append(
                PromptRow(
                    text=prompt,
                    source="langkit_chat",
                    kind="chat_turn",
                    capability=guess_capability(prompt),
                    response_chars=len(response) if isinstance(response, str) else None,
                )
            )
    return rows
