"""Column-wise accumulation of simulated events, turned into Arrow in one go.

Building per-row dicts and handing them to Arrow costs seconds per million rows;
appending to flat lists and assembling list/struct arrays from offsets does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from distillguard.schema import (
    EVENT_LABEL_SCHEMA,
    EVENT_SCHEMA,
    MESSAGE_TYPE,
    PARAMS_TYPE,
    TIMESTAMP_TYPE,
)
from distillguard_lab.sim.identity import Account


@dataclass
class Params:
    """Request parameters of one call (``None`` means the client did not send it)."""

    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    max_tokens: int | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    logit_bias: dict[str, float] | None = None
    reasoning_effort: str | None = None
    stream: bool | None = None
    tools: list[dict[str, Any]] | None = None


@dataclass
class EventBuilder:
    """Accumulates events and their ground truth column by column."""

    ts: list[int] = field(default_factory=list)
    account_idx: list[int] = field(default_factory=list)
    api_key: list[str] = field(default_factory=list)
    ip: list[str] = field(default_factory=list)
    user_agent: list[str] = field(default_factory=list)
    model: list[str] = field(default_factory=list)
    msg_offsets: list[int] = field(default_factory=lambda: [0])
    msg_roles: list[str] = field(default_factory=list)
    msg_contents: list[str] = field(default_factory=list)
    conversation_id: list[str | None] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)
    completion_tokens: list[int] = field(default_factory=list)
    reasoning_tokens: list[int | None] = field(default_factory=list)
    status: list[int] = field(default_factory=list)
    params: dict[str, list[Any]] = field(default_factory=lambda: {f.name: [] for f in PARAMS_TYPE})
    # ground truth
    is_attack: list[bool] = field(default_factory=list)
    is_cover: list[bool] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    capability: list[str] = field(default_factory=list)
    family: list[str | None] = field(default_factory=list)
    language: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ts)

    def add(
        self,
        *,
        ts: int,
        account: int,
        api_key: str,
        ip: str,
        user_agent: str,
        model: str,
        messages: list[tuple[str, str]],
        params: Params,
        conversation_id: str | None,
        completion_tokens: int,
        reasoning_tokens: int | None,
        status: int,
        is_attack: bool,
        is_cover: bool,
        source: str,
        capability: str,
        family: str | None,
        language: str,
    ) -> None:
        self.ts.append(ts)
        self.account_idx.append(account)
        self.api_key.append(api_key)
        self.ip.append(ip)
        self.user_agent.append(user_agent)
        self.model.append(model)
        chars = 0
        for role, content in messages:
            self.msg_roles.append(role)
            self.msg_contents.append(content)
            chars += len(content)
        self.msg_offsets.append(len(self.msg_roles))
        self.conversation_id.append(conversation_id)
        # ~4 characters per token for English; good enough for usage columns.
        self.prompt_tokens.append(max(1, chars // 4) + 3 * len(messages))
        self.completion_tokens.append(completion_tokens)
        self.reasoning_tokens.append(reasoning_tokens)
        self.status.append(status)
        p = self.params
        p["temperature"].append(params.temperature)
        p["top_p"].append(params.top_p)
        p["n"].append(params.n)
        p["max_tokens"].append(params.max_tokens)
        p["logprobs"].append(params.logprobs)
        p["top_logprobs"].append(params.top_logprobs)
        p["logit_bias"].append(
            None if params.logit_bias is None else json.dumps(params.logit_bias, sort_keys=True)
        )
        p["reasoning_effort"].append(params.reasoning_effort)
        p["stream"].append(params.stream)
        p["tools"].append(
            None if params.tools is None else json.dumps(params.tools, sort_keys=True)
        )
        p["extra"].append(None)
        self.is_attack.append(is_attack)
        self.is_cover.append(is_cover)
        self.source.append(source)
        self.capability.append(capability)
        self.family.append(family)
        self.language.append(language)

    def flush(self, accounts: list[Account]) -> dict[str, pa.Array]:
        """Turn what was added so far into Arrow columns and start afresh.

        Flushing after each population keeps Python objects for only one population
        alive at a time.  Columns prefixed ``gt_`` are ground truth for the labels.
        The event id is assigned later, once all events are in time order.
        """
        idx = np.asarray(self.account_idx, dtype=np.int64)

        def per_account(values: list[object], tp: pa.DataType) -> pa.Array:
            return pa.array(values, tp).take(pa.array(idx))

        n = len(self)
        acc_ids = per_account([a.account_id for a in accounts], pa.string())
        columns: dict[str, pa.Array] = {
            "ts": pa.array(self.ts, pa.int64()).cast(TIMESTAMP_TYPE),
            "account_id": acc_ids,
            "org_id": per_account([a.org_id for a in accounts], pa.string()),
            "api_key_id": pa.array(self.api_key, pa.string()),
            "ip": pa.array(self.ip, pa.string()),
            "user_agent": pa.array(self.user_agent, pa.string()),
            "payment_fingerprint": per_account([a.payment for a in accounts], pa.string()),
            "account_created_at": per_account([a.created_at_us for a in accounts], pa.int64()).cast(
                TIMESTAMP_TYPE
            ),
            "account_tier": per_account([a.tier for a in accounts], pa.string()),
            "model": pa.array(self.model, pa.string()),
            "messages": pa.ListArray.from_arrays(
                pa.array(self.msg_offsets, pa.int32()),
                pa.StructArray.from_arrays(
                    [
                        pa.array(self.msg_roles, pa.string()),
                        pa.array(self.msg_contents, pa.string()),
                    ],
                    fields=list(MESSAGE_TYPE),
                ),
            ),
            "prompt": pa.nulls(n, pa.string()),
            "params": pa.StructArray.from_arrays(
                [pa.array(self.params[f.name], f.type) for f in PARAMS_TYPE],
                fields=list(PARAMS_TYPE),
            ),
            "conversation_id": pa.array(self.conversation_id, pa.string()),
            "prompt_tokens": pa.array(self.prompt_tokens, pa.int64()),
            "completion_tokens": pa.array(self.completion_tokens, pa.int64()),
            "reasoning_tokens": pa.array(self.reasoning_tokens, pa.int64()),
            "response": pa.nulls(n, pa.string()),
            "status": pa.array(self.status, pa.int64()),
            "gt_is_attack_request": pa.array(self.is_attack, pa.bool_()),
            "gt_is_cover": pa.array(self.is_cover, pa.bool_()),
            "gt_source": pa.array(self.source, pa.string()),
            "gt_capability": pa.array(self.capability, pa.string()),
            "gt_elicitation_family": pa.array(self.family, pa.string()),
            "gt_language": pa.array(self.language, pa.string()),
        }
        fresh = EventBuilder()
        self.__dict__.update(fresh.__dict__)
        return columns


@dataclass
class OrderedEvents:
    """Flushed chunks plus the time order to read them in, without copying them all.

    A million events hold over a gigabyte of message text; reordering it in one go
    needs that twice or three times over.  Instead, batches are cut out in time
    order on demand (each batch takes its rows from whichever chunks hold them), so
    writers can stream and peak memory is the data plus one batch.
    """

    chunks: list[dict[str, pa.Array]]
    order: np.ndarray
    event_ids: pa.Array

    def __post_init__(self) -> None:
        lengths = [len(c["ts"]) for c in self.chunks]
        self._starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.order)

    def column(self, name: str) -> pa.ChunkedArray:
        """A column in generation order (for counts that do not care about order)."""
        return pa.chunked_array([c[name] for c in self.chunks])

    def batches(self, size: int = 128 * 1024) -> Iterator[tuple[pa.Table, pa.Table]]:
        """(events, event_labels) batches in time order."""
        names = list(self.chunks[0]) if self.chunks else []
        for lo in range(0, len(self.order), size):
            glob = self.order[lo : lo + size]
            chunk_of = np.searchsorted(self._starts, glob, side="right") - 1
            grouped = np.argsort(chunk_of, kind="stable")
            restore = np.empty_like(grouped)
            restore[grouped] = np.arange(len(grouped))
            g_sorted = glob[grouped]
            c_sorted = chunk_of[grouped]
            cols: dict[str, pa.Array] = {}
            bounds = np.searchsorted(c_sorted, np.arange(len(self.chunks) + 1))
            for name in names:
                pieces = []
                for c in range(len(self.chunks)):
                    a, b = int(bounds[c]), int(bounds[c + 1])
                    if a < b:
                        local = pa.array(g_sorted[a:b] - self._starts[c])
                        pieces.append(self.chunks[c][name].take(local))
                cols[name] = pa.concat_arrays(pieces).take(pa.array(restore))
            cols["event_id"] = self.event_ids.slice(lo, len(glob))
            events = pa.Table.from_arrays([cols[f.name] for f in EVENT_SCHEMA], schema=EVENT_SCHEMA)
            labels = pa.Table.from_arrays(
                [
                    cols["event_id"],
                    cols["account_id"],
                    *(cols["gt_" + f.name] for f in list(EVENT_LABEL_SCHEMA)[2:]),
                ],
                schema=EVENT_LABEL_SCHEMA,
            )
            yield events, labels
