"""The interaction-log schema: one row per API call, and the evaluation labels.

This module is the single source of truth for column names and Arrow types.
Readers normalise every input format onto :data:`EVENT_SCHEMA`; columns not named
here are kept after the canonical ones.  See ``docs/schema.md``.

>>> EVENT_SCHEMA.field("ts").type
TimestampType(timestamp[us, tz=UTC])
>>> sorted(REQUIRED_COLUMNS)
['account_id', 'event_id', 'model', 'ts']
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

#: Roles accepted in ``messages``.
MESSAGE_ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool", "function"})

MESSAGE_TYPE: Final = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES_TYPE: Final = pa.list_(MESSAGE_TYPE)

#: Request parameters with a fixed type.  Anything else a client sends is kept as
#: JSON text in ``extra`` so nothing is lost.  ``logit_bias`` and ``tools`` are JSON
#: text because their shape is open-ended.
PARAMS_TYPE: Final = pa.struct(
    [
        ("temperature", pa.float64()),
        ("top_p", pa.float64()),
        ("n", pa.int64()),
        ("max_tokens", pa.int64()),
        ("logprobs", pa.bool_()),
        ("top_logprobs", pa.int64()),
        ("logit_bias", pa.string()),
        ("reasoning_effort", pa.string()),
        ("stream", pa.bool_()),
        ("tools", pa.string()),
        ("extra", pa.string()),
    ]
)
PARAM_FIELDS: Final = tuple(f.name for f in PARAMS_TYPE)

TIMESTAMP_TYPE: Final = pa.timestamp("us", tz="UTC")

EVENT_SCHEMA: Final = pa.schema(
    [
        ("event_id", pa.string()),
        ("ts", TIMESTAMP_TYPE),
        ("account_id", pa.string()),
        ("org_id", pa.string()),
        ("api_key_id", pa.string()),
        ("ip", pa.string()),
        ("user_agent", pa.string()),
        ("payment_fingerprint", pa.string()),
        ("account_created_at", TIMESTAMP_TYPE),
        ("account_tier", pa.string()),
        ("model", pa.string()),
        ("messages", MESSAGES_TYPE),
        ("prompt", pa.string()),
        ("params", PARAMS_TYPE),
        ("conversation_id", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("reasoning_tokens", pa.int64()),
        ("response", pa.string()),
        ("status", pa.int64()),
    ]
)
EVENT_COLUMNS: Final = tuple(EVENT_SCHEMA.names)

#: Columns that must be present in every input file (``messages`` or ``prompt``
#: must be present as well: see :data:`CONTENT_COLUMNS`).
REQUIRED_COLUMNS: Final = frozenset({"event_id", "ts", "account_id", "model"})
#: At least one of these must be present and non-empty on every row.
CONTENT_COLUMNS: Final = ("messages", "prompt")
OPTIONAL_COLUMNS: Final = frozenset(EVENT_COLUMNS) - REQUIRED_COLUMNS - set(CONTENT_COLUMNS)

#: Account tiers we know; others are accepted and kept as given.
KNOWN_TIERS: Final = ("free", "paid", "edu", "research", "startup", "enterprise")

#: Evaluation labels, one row per account.  Detectors never read these.
LABEL_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("is_attack", pa.bool_()),
        ("campaign_id", pa.string()),
        ("role", pa.string()),
    ]
)

#: Per-request ground truth written by the simulator beside the labels (for
#: evaluating request-level signals).  Detectors never read these either.
EVENT_LABEL_SCHEMA: Final = pa.schema(
    [
        ("event_id", pa.string()),
        ("account_id", pa.string()),
        ("is_attack_request", pa.bool_()),
        ("is_cover", pa.bool_()),
        ("source", pa.string()),
        ("capability", pa.string()),
        ("elicitation_family", pa.string()),
        ("language", pa.string()),
    ]
)


def empty_events() -> pa.Table:
    """An empty table with the canonical event schema.

    >>> empty_events().num_rows
    0
    """
    return EVENT_SCHEMA.empty_table()
