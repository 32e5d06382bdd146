"""Client family: which kind of software sent the request, read from its user agent.

Context, not evidence: every family is used by legitimate users, and an operator who
has read this module sends whichever it likes.  Scoring uses it only to pick
*comparable* accounts (same tier, age and client family) when it asks whether an
account took much more than accounts like it (``harvest_value`` in
:mod:`distillguard.scoring.risk`): what a browser chat user takes and what an SDK
integration takes differ by orders of magnitude.

Families are broad on purpose (an exact version would split comparable accounts into
groups too small to compare with).  The first rule whose pattern is found in the
lower-cased user agent names the family; frameworks come before the SDKs they wrap
(``langchain-openai/0.3.1 OpenAI/Python 1.58.1`` is a framework).

>>> sig = ClientFamily()
>>> [sig.compute_one({"user_agent": ua})["client_family"] for ua in (
...     "OpenAI/Python 1.54.3", "langchain-openai/0.3.1 OpenAI/Python 1.58.1",
...     "Mozilla/5.0 (Macintosh) Chrome/131.0", "curl/8.5.0", "acme-bot/2", None)]
['openai-python', 'framework', 'browser', 'curl', 'other', 'none']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals.base import EventBatch, Signal, register

#: (family, RE2 pattern over the lower-cased user agent), first match wins.
FAMILIES: Final[tuple[tuple[str, str], ...]] = (
    (
        "framework",
        r"langchain|litellm|llama[-_ ]?index|autogen|crewai|haystack|dspy|semantic-kernel",
    ),
    ("openai-python", r"openai/python|openai-python"),
    ("openai-node", r"openai/js|openai/node|openai-node"),
    ("python-http", r"python-httpx|python-requests|aiohttp|python-urllib"),
    ("curl", r"^curl/|^wget/"),
    ("go", r"go-http-client|go-openai|^go/"),
    ("java", r"okhttp|java-http-client|^java/|apache-httpclient"),
    ("chat-app", r"chatbox|typingmind|librechat|open-webui|raycast|electron"),
    ("browser", r"^mozilla/"),
)
#: The family of a request with a user agent no rule matches, and of one with none.
OTHER: Final = "other"
NONE: Final = "none"


@register
@dataclass
class ClientFamily(Signal):
    """The broad family of client software, from the user agent (context only)."""

    name: ClassVar[str] = "client_family"
    description: ClassVar[str] = (
        "Broad family of the client software (SDK, framework, HTTP library, browser, chat "
        "app, ...) read from the user agent; context for comparing accounts, not evidence."
    )
    outputs: ClassVar[tuple[pa.Field, ...]] = (
        pa.field(
            "client_family",
            pa.string(),
            metadata={
                "description": "openai-python, openai-node, framework, python-http, curl, go, "
                "java, chat-app, browser, other, or none (no user agent); neutral."
            },
        ),
    )

    def compute(self, batch: EventBatch) -> dict[str, pa.Array]:
        ua = pc.utf8_lower(pc.fill_null(batch.column("user_agent").combine_chunks(), ""))
        out = pa.array([OTHER] * len(batch), pa.string())
        # Apply the rules last to first, so the first matching rule is the one kept.
        for family, pattern in reversed(FAMILIES):
            hit = pc.match_substring_regex(ua, pattern)
            out = pc.if_else(hit, pa.scalar(family), out)
        empty = pc.equal(pc.utf8_trim_whitespace(ua), "")
        return {"client_family": pc.if_else(empty, pa.scalar(NONE), out)}


__all__ = ["FAMILIES", "NONE", "OTHER", "ClientFamily"]
