"""Accounts, requests and the event tables the informed red team writes.

An :class:`Account` is an identity (:class:`Identity`: what the provider sees at sign
up and on every request) and the requests it sends (:class:`Request`).  Requests sit
in *slots* (a time each) with an offset inside the slot, so a conversation's
follow-ups stay minutes after its first turn when the account's times are drawn
again.  :func:`tables` turns accounts into events (:data:`~distillguard.schema.
EVENT_SCHEMA`), account labels and per-event labels, in the layout
``distillguard simulate`` writes.

>>> params_struct({"n": 2, "response_format": {"type": "json_object"}})["extra"]
'{"response_format": {"type": "json_object"}}'
>>> params_struct(None) is None
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from distillguard.schema import EVENT_LABEL_SCHEMA, EVENT_SCHEMA, LABEL_SCHEMA, PARAM_FIELDS

Message = dict[str, str | None]


def params_struct(p: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Request parameters as the ``params`` struct (unknown ones as JSON in ``extra``)."""
    if not p:
        return None
    extra = {k: v for k, v in p.items() if k not in PARAM_FIELDS and v is not None}
    if isinstance(p.get("extra"), str):
        try:
            old = json.loads(p["extra"])
        except ValueError:
            old = None
        if isinstance(old, dict):
            extra = {**old, **extra}
    out = {k: p.get(k) for k in PARAM_FIELDS if k != "extra"}
    out["extra"] = json.dumps(extra, sort_keys=True) if extra else None
    if all(v is None for v in out.values()):
        return None
    return out


@dataclass(frozen=True)
class Identity:
    """Who an account appears to be: one address set, card and sign-up of its own."""

    account_id: str
    org_id: str | None
    api_key: str
    tier: str | None
    #: Sign-up time, epoch seconds.
    created_at: float
    payment: str | None
    ips: tuple[str, ...]
    user_agent: str
    #: The client's default system prompt, sent with every request (None: none).
    system_prompt: str | None
    language: str
    #: The benign account this identity was modelled on (never written to events).
    persona: str
    #: That account's role.
    persona_role: str


@dataclass
class Request:
    """One call an account makes (time = its slot's time + ``offset`` seconds)."""

    slot: int
    offset: float
    messages: list[Message]
    params: dict[str, Any] | None
    model: str
    conversation_id: str | None
    completion: int
    reasoning: int | None
    #: True: a harvested task (the value); False: cover traffic.
    harvest: bool
    source: str
    capability: str
    family: str | None
    language: str
    #: Corpus row of the task or cover turn.
    row: int


@dataclass(eq=False)
class Account:
    """An identity, its slot times and its requests."""

    identity: Identity
    slots: list[float]
    requests: list[Request] = field(default_factory=list)

    @property
    def harvest(self) -> int:
        return sum(r.harvest for r in self.requests)

    @property
    def cover(self) -> int:
        return sum(not r.harvest for r in self.requests)

    def times(self) -> list[float]:
        return [self.slots[r.slot] + r.offset for r in self.requests]

    def shrink(self, rng: np.random.Generator, factor: float) -> None:
        """Keep a random ``factor`` of the harvest requests (cover kept whole)."""
        idx = [i for i, r in enumerate(self.requests) if r.harvest]
        keep = int(np.floor(len(idx) * factor))
        drop = set(rng.choice(idx, size=len(idx) - keep, replace=False).tolist()) if idx else set()
        self.requests = [r for i, r in enumerate(self.requests) if i not in drop]


def _unique_ids(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    seen: dict[str, None] = {}
    while len(seen) < n:
        raw = rng.bytes(8 * (n - len(seen))).hex()
        for i in range(0, len(raw), 16):
            seen[prefix + raw[i : i + 16]] = None
    return list(seen)


def tables(
    accounts: Sequence[Account], campaign: str, rng: np.random.Generator
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``(events, labels, event_labels)`` of ``accounts``, events in time order."""
    cols: dict[str, list[Any]] = {n: [] for n in EVENT_SCHEMA.names}
    lab: dict[str, list[Any]] = {n: [] for n in EVENT_LABEL_SCHEMA.names}
    ts_all: list[int] = []
    for acct in accounts:
        ident = acct.identity
        for r, t in zip(acct.requests, acct.times(), strict=True):
            us = round(t * 1e6)
            chars = sum(len(m["content"] or "") for m in r.messages)
            ts_all.append(us)
            cols["ts"].append(us)
            cols["account_id"].append(ident.account_id)
            cols["org_id"].append(ident.org_id)
            cols["api_key_id"].append(ident.api_key)
            cols["ip"].append(ident.ips[int(rng.integers(len(ident.ips)))])
            cols["user_agent"].append(ident.user_agent)
            cols["payment_fingerprint"].append(ident.payment)
            cols["account_created_at"].append(round(ident.created_at * 1e6))
            cols["account_tier"].append(ident.tier)
            cols["model"].append(r.model)
            cols["messages"].append(r.messages)
            cols["prompt"].append(None)
            cols["params"].append(params_struct(r.params))
            cols["conversation_id"].append(r.conversation_id)
            cols["prompt_tokens"].append(chars // 4 + 4 * len(r.messages))
            cols["completion_tokens"].append(r.completion)
            cols["reasoning_tokens"].append(r.reasoning)
            cols["response"].append(None)
            cols["status"].append(200)
            lab["account_id"].append(ident.account_id)
            lab["is_attack_request"].append(r.harvest)
            lab["is_cover"].append(not r.harvest)
            lab["source"].append(r.source)
            lab["capability"].append(r.capability)
            lab["elicitation_family"].append(r.family)
            lab["language"].append(r.language)
    n = len(ts_all)
    ids = _unique_ids(rng, n, "ev_")
    cols["event_id"] = ids
    lab["event_id"] = ids
    order = np.argsort(np.array(ts_all, dtype=np.int64), kind="stable")
    take = pa.array(order)
    events = pa.Table.from_arrays(
        [pa.array(cols[f.name], type=f.type) for f in EVENT_SCHEMA], schema=EVENT_SCHEMA
    ).take(take)
    event_labels = pa.Table.from_arrays(
        [pa.array(lab[f.name], type=f.type) for f in EVENT_LABEL_SCHEMA],
        schema=EVENT_LABEL_SCHEMA,
    ).take(take)
    ids_acct = [a.identity.account_id for a in accounts]
    labels = pa.table(
        {
            "account_id": pa.array(ids_acct, pa.string()),
            "is_attack": pa.array([True] * len(ids_acct), pa.bool_()),
            "campaign_id": pa.array([campaign] * len(ids_acct), pa.string()),
            "role": pa.array(["attacker"] * len(ids_acct), pa.string()),
        },
        schema=LABEL_SCHEMA,
    )
    return events, labels, event_labels


__all__ = ["Account", "Identity", "Message", "Request", "params_struct", "tables"]
