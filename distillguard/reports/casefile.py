"""What a campaign's case file needs from the store beyond ``campaigns.parquet``.

An analyst acts on values, not on link counts: the addresses, networks, payment
fingerprints, client strings and templates the members share (as the provider sees
them: campaign reports stay inside the provider, unlike the keyed hashes of
``distillguard intel export``), a few of the requests themselves, what the campaign
took, and what scan the report comes from.  Each function reads every campaign at
once (one read per kind of fact, whatever the number of campaigns), through the
store protocol (:class:`~distillguard.store.EventStore`), and works out the facts
over the Arrow tables it read (:mod:`distillguard.arrowsql`).

``members`` is always a table ``account_id, campaign_id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import pyarrow as pa

from distillguard.arrowsql import query
from distillguard.campaigns.links.subnet import subnet_of
from distillguard.store import EventFilter, EventStore, Window

#: Indicator kinds, in the order a report lists them, and the ``profile_keys`` kind
#: each is read from (``subnet`` is derived from ``ip``; ``org``/``tier`` from events).
INDICATOR_KINDS: Final = (
    "ip",
    "subnet",
    "payment",
    "user_agent",
    "org",
    "tier",
    "template_prefix",
    "template_suffix",
    "template_system",
)
_KEY_KIND: Final = {
    "ip": "ip",
    "payment": "payment",
    "user_agent": "user_agent",
    "template_prefix": "prefix",
    "template_suffix": "suffix",
    "template_system": "system",
}
TEMPLATE_KINDS: Final = ("template_prefix", "template_suffix", "template_system")
#: Templates listed per campaign and kind (the most widely shared first); their
#: text is recovered from the requests, so only the few that matter are read.
TOP_TEMPLATES: Final = 3
#: Requests read to recover a template's fixed text from its hash.
TEMPLATE_EXAMPLES: Final = 8
#: Characters of a sample prompt (the store keeps 2,000).
SAMPLE_CHARS: Final = 700

INDICATOR_SCHEMA: Final = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("kind", pa.string()),
        ("key", pa.string()),
        ("value", pa.string()),
        ("accounts", pa.int64()),
        ("requests", pa.int64()),
        ("outside_accounts", pa.int64()),
        ("n_values", pa.int64()),
    ]
)
SAMPLE_SCHEMA: Final = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("account_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("capability", pa.string()),
        ("cot", pa.bool_()),
        ("model", pa.string()),
        ("text", pa.string()),
        ("system", pa.string()),
    ]
)


def _member_events(
    store: EventStore, members: pa.Table, columns: list[str], window: Window
) -> pa.Table:
    """``columns`` of the members' events in the window."""
    ids = members["account_id"].to_pylist()
    return store.events(columns, EventFilter(window=window, accounts=ids))


#: A dotted quad as :func:`subnet_of` writes it back unchanged (no leading zeros).
_OCTET: Final = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_QUAD: Final = _OCTET + r"(\." + _OCTET + "){3}"
#: SQL giving the network of ``key`` for a plain dotted quad (NULL otherwise).
_QUAD_NET: Final = (
    f"CASE WHEN regexp_full_match(key, '{_QUAD}') "
    "THEN regexp_replace(key, '\\.[0-9]+$', '.0/24') END"
)


def _subnets(keys: pa.Table) -> pa.Table:
    """``ip -> net`` for the window's addresses that are not plain dotted quads.

    Plain IPv4 addresses (nearly all) get their /24 in SQL (:data:`_QUAD_NET`); the
    rest (IPv6, odd spellings) go through the subnet linker's own :func:`subnet_of`.
    """
    rows = query(
        "SELECT DISTINCT key FROM keys "
        f"WHERE kind = 'ip' AND NOT regexp_full_match(key, '{_QUAD}')",
        what="campaign addresses",
        keys=keys,
    )
    ips = [str(v) for v in rows.column(0).to_pylist()]
    return pa.table(
        {
            "ip": pa.array(ips, pa.string()),
            "net": pa.array([subnet_of(i) for i in ips], pa.string()),
        }
    )


def indicators(
    store: EventStore,
    members: pa.Table,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    top: int | None = None,
    top_templates: int = TOP_TEMPLATES,
) -> pa.Table:
    """The values members share, per campaign and kind, as :data:`INDICATOR_SCHEMA`.

    Every value held by at least two members is listed (``top`` per kind when given:
    a proxy pool can be 1,500 addresses, and acting on it needs them all), the most
    widely held first; templates only ``top_templates`` per kind.
    ``outside_accounts`` counts the window's other accounts holding the value (what
    acting on it would also hit), ``n_values`` the distinct values of that kind
    among the campaign's members.  For template kinds ``key`` is the template hash
    and ``value`` its fixed text, recovered from the requests that carry it.
    """
    if members.num_rows == 0:
        return INDICATOR_SCHEMA.empty_table()
    window = Window(start, end)
    key_kinds = ", ".join(f"'{k}'" for k in _KEY_KIND.values())
    to_report = " ".join(f"WHEN '{v}' THEN '{k}'" for k, v in _KEY_KIND.items())
    templates = ", ".join(f"'{k}'" for k in TEMPLATE_KINDS)
    keys = store.key_counts(list(_KEY_KIND.values()), window)
    sql = f"""
        WITH pk AS (SELECT * FROM keys),
        k AS (
            SELECT account_id, CASE kind {to_report} END AS kind, key, n
            FROM pk WHERE kind IN ({key_kinds})
            UNION ALL
            SELECT account_id, 'subnet', net, n FROM (
                SELECT pk.account_id, coalesce({_QUAD_NET.replace("key", "pk.key")}, s.net) AS net,
                       pk.n
                FROM pk LEFT JOIN dg_subnets s ON pk.key = s.ip WHERE pk.kind = 'ip'
            ) WHERE net IS NOT NULL
        ),
        e AS (SELECT account_id, org_id, account_tier FROM member_events),
        mk AS (
            SELECT m.campaign_id, k.kind, k.key,
                   count(DISTINCT k.account_id) AS accounts, sum(k.n) AS requests
            FROM k JOIN dg_members m USING (account_id) GROUP BY ALL
            UNION ALL
            SELECT m.campaign_id, x.kind, x.key, count(DISTINCT x.account_id), count(*)
            FROM (SELECT account_id, 'org' AS kind, org_id AS key FROM e WHERE org_id IS NOT NULL
                  UNION ALL
                  SELECT account_id, 'tier', account_tier FROM e WHERE account_tier IS NOT NULL) x
            JOIN dg_members m USING (account_id) GROUP BY ALL
        ),
        ranked AS (
            SELECT *, count(*) OVER (PARTITION BY campaign_id, kind) AS n_values,
                   row_number() OVER (PARTITION BY campaign_id, kind
                                      ORDER BY accounts DESC, requests DESC, key) AS rk
            FROM mk
        ),
        top AS (
            SELECT * FROM ranked
            WHERE accounts >= 2
              AND rk <= CASE WHEN kind IN ({templates}) THEN {int(top_templates)}
                             ELSE {"rk" if top is None else int(top)} END
        ),
        wanted AS (SELECT DISTINCT kind, key FROM top WHERE kind NOT IN ('org', 'tier')),
        holders AS (
            SELECT k.kind, k.key, count(DISTINCT k.account_id) AS holders
            FROM k SEMI JOIN wanted w ON k.kind = w.kind AND k.key = w.key GROUP BY ALL
        )
        SELECT top.campaign_id, top.kind, top.key, top.key AS value,
               top.accounts, top.requests,
               CASE WHEN top.kind IN ('org', 'tier') THEN NULL
                    ELSE holders.holders - top.accounts END AS outside_accounts,
               top.n_values
        FROM top LEFT JOIN holders ON holders.kind = top.kind AND holders.key = top.key
        ORDER BY top.campaign_id, top.kind, top.rk
    """
    member_ids = members.select(["account_id", "campaign_id"])
    table = query(
        sql,
        what="campaign indicators",
        keys=keys,
        member_events=_member_events(
            store, member_ids, ["account_id", "org_id", "account_tier"], window
        ),
        dg_members=member_ids,
        dg_subnets=_subnets(keys),
    ).cast(INDICATOR_SCHEMA)
    texts = _template_texts(store, table, member_ids, window)
    if not texts:
        return table
    values = [
        texts.get((c, k, key), v)
        for c, k, key, v in zip(
            table["campaign_id"].to_pylist(),
            table["kind"].to_pylist(),
            table["key"].to_pylist(),
            table["value"].to_pylist(),
            strict=True,
        )
    ]
    return table.set_column(3, "value", pa.array(values, pa.string()))


def _template_texts(
    store: EventStore, table: pa.Table, members: pa.Table, window: Window
) -> dict[tuple[str, str, str], str]:
    """The fixed text of each listed template, from a few requests that carry it.

    The template hash covers the *normalised* first (or last) 48 characters, so the
    requests sharing it agree on their opening (closing) words: their longest common
    prefix (suffix) is the text the operator's script adds around every task.  When
    the normalisation hid differences (digits, case, spacing) and the common part is
    short, one request's opening is shown instead, marked as an example.

    The requests are the :data:`TEMPLATE_EXAMPLES` of each template with the smallest
    hash of their event id (the same picks on every run); only their texts are read.
    """
    rows = [
        r
        for r in table.select(["campaign_id", "kind", "key"]).to_pylist()
        if r["kind"] in TEMPLATE_KINDS
    ]
    if not rows:
        return {}
    column = {
        "template_prefix": ("template_prefix", "user_text"),
        "template_suffix": ("template_suffix", "user_text"),
        "template_system": ("template_system", "system_text"),
    }
    # The store keeps every request's user and system text (empty when absent, never
    # null), so any request carrying the template is an example of it.
    parts = [
        f"""
        SELECT t.campaign_id, t.kind, t.key,
               min_by(e.event_id, hash(e.event_id), {TEMPLATE_EXAMPLES}) AS ids
        FROM events e
        JOIN dg_members m ON e.account_id = m.account_id
        JOIN dg_templates t ON t.campaign_id = m.campaign_id AND t.kind = '{kind}'
             AND t.key = e.{hash_col}
        GROUP BY ALL
        """
        for kind, (hash_col, _) in column.items()
    ]
    wanted = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [("campaign_id", pa.string()), ("kind", pa.string()), ("key", pa.string())]
        ),
    )
    events = _member_events(
        store, members, ["event_id", "account_id", *(h for h, _ in column.values())], window
    )
    found = query(
        " UNION ALL ".join(parts),
        what="campaign templates",
        events=events,
        dg_members=members,
        dg_templates=wanted,
    ).to_pylist()
    picked = sorted({i for r in found for i in r["ids"] or []})
    text = store.events(["event_id", "user_text", "system_text"], event_ids=picked)
    by_id = {r["event_id"]: r for r in text.to_pylist()}
    out: dict[tuple[str, str, str], str] = {}
    for r in found:
        col = column[r["kind"]][1]
        texts = [str(by_id[i][col]) for i in r["ids"] or [] if i in by_id and by_id[i][col]]
        if texts:
            out[(r["campaign_id"], r["kind"], r["key"])] = fixed_text(texts, r["kind"])
    return out


def fixed_text(
    texts: list[str], kind: str, *, min_chars: int = 20, example_chars: int = 160
) -> str:
    """The part of ``texts`` a template fixes: common prefix, suffix or whole text.

    >>> fixed_text(["Solve this step by step, please: 2+2", "Solve this step by step, please: 3*7"],
    ...            "template_prefix")
    'Solve this step by step, please: '
    >>> fixed_text(["a: Show all of your work below.", "b: Show all of your work below."],
    ...            "template_suffix")
    ': Show all of your work below.'
    >>> fixed_text(["Q1 abc", "q2 xyz"], "template_prefix")
    'e.g. Q1 abc'
    """
    if kind == "template_system":
        return texts[0]
    if kind == "template_suffix":
        rev = _common_prefix([t[::-1] for t in texts])[::-1]
        common, example = rev, "\u2026" + texts[0][-example_chars:]
    else:
        common = _common_prefix(texts)
        example = texts[0][:example_chars] + ("\u2026" if len(texts[0]) > example_chars else "")
    if len(common.strip()) >= min_chars or (len(texts) > 1 and common.strip() == texts[0].strip()):
        return common
    return "e.g. " + example


def _common_prefix(texts: list[str]) -> str:
    first, last = min(texts), max(texts)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def samples(
    store: EventStore,
    members: pa.Table,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    cot: int = 5,
    other: int = 3,
) -> pa.Table:
    """A few requests per campaign, as :data:`SAMPLE_SCHEMA`.

    Up to ``cot`` requests flagged as chain-of-thought elicitation and ``other``
    requests that are not, at most one of each per account, picked by a hash of the
    event and account ids (the same picks on every run).
    """
    if members.num_rows == 0:
        return SAMPLE_SCHEMA.empty_table()
    member_ids = members.select(["account_id", "campaign_id"])
    window = Window(start, end)
    events = _member_events(
        store, member_ids, ["event_id", "account_id", "cot_elicitation"], window
    )
    picked = query(
        f"""
        WITH ev AS (
            SELECT m.campaign_id, e.account_id, coalesce(e.cot_elicitation, false) AS cot,
                   hash(e.event_id) AS h, e.event_id
            FROM events e JOIN dg_members m ON e.account_id = m.account_id
        ),
        one AS (
            SELECT * FROM ev
            QUALIFY row_number() OVER (PARTITION BY campaign_id, account_id, cot
                                       ORDER BY h, event_id) = 1
        ),
        picked AS (
            SELECT *, row_number() OVER (PARTITION BY campaign_id, cot
                                         ORDER BY hash(account_id, cot), account_id) AS k
            FROM one
        )
        SELECT campaign_id, account_id, cot, event_id, k
        FROM picked WHERE k <= CASE WHEN cot THEN {int(cot)} ELSE {int(other)} END
        """,
        what="campaign sample picks",
        events=events,
        dg_members=member_ids,
    )
    details = store.events(
        ["event_id", "ts", "capability", "model", "user_text", "system_text"],
        event_ids=picked["event_id"].to_pylist(),
        text_chars=SAMPLE_CHARS + 1,
    )
    return query(
        """
        SELECT p.campaign_id, p.account_id, d.ts, d.capability, p.cot, d.model,
               d.user_text AS text, d.system_text AS system
        FROM picked p JOIN details d USING (event_id)
        ORDER BY p.campaign_id, p.cot DESC, p.k
        """,
        what="campaign sample prompts",
        picked=picked,
        details=details,
    ).cast(SAMPLE_SCHEMA)


def value_taken(
    store: EventStore,
    members: pa.Table,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, dict[str, int]]:
    """Per campaign: ``reasoning_answers`` (answers that carried reasoning tokens)
    and ``prompt_tokens``."""
    if members.num_rows == 0:
        return {}
    member_ids = members.select(["account_id", "campaign_id"])
    events = _member_events(
        store, member_ids, ["account_id", "reasoning_tokens", "prompt_tokens"], Window(start, end)
    )
    table = query(
        """
        SELECT m.campaign_id,
               count(*) FILTER (WHERE coalesce(e.reasoning_tokens, 0) > 0) AS reasoning_answers,
               coalesce(sum(e.prompt_tokens), 0) AS prompt_tokens
        FROM events e JOIN dg_members m ON e.account_id = m.account_id
        GROUP BY m.campaign_id
        """,
        what="campaign traffic",
        events=events,
        dg_members=member_ids,
    )
    return {
        str(r["campaign_id"]): {
            "reasoning_answers": int(r["reasoning_answers"]),
            "prompt_tokens": int(r["prompt_tokens"]),
        }
        for r in table.to_pylist()
    }


def scan_facts(
    store: EventStore, *, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Any]:
    """The scanned window: ``n_events``, ``n_accounts``, ``first_ts``, ``last_ts`` and
    ``inputs`` (the files loaded into the store: path, rows, quarantined, loaded at)."""
    row = store.event_summary(EventFilter(window=Window(start, end)))
    return {**row, "inputs": store.loaded_files().to_pylist()}


def counts_by(table: pa.Table, column: str) -> Mapping[str, int]:
    """How many rows hold each value of ``column`` (nulls as ``unknown``)."""
    out: dict[str, int] = {}
    for v in table.column(column).to_pylist():
        key = "unknown" if v is None else str(v)
        out[key] = out.get(key, 0) + 1
    return out


__all__ = [
    "INDICATOR_KINDS",
    "INDICATOR_SCHEMA",
    "SAMPLE_SCHEMA",
    "TEMPLATE_KINDS",
    "counts_by",
    "fixed_text",
    "indicators",
    "samples",
    "scan_facts",
    "value_taken",
]
