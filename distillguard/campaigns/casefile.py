"""What a campaign's case file needs from the store beyond ``campaigns.parquet``.

An analyst acts on values, not on link counts: the addresses, networks, payment
fingerprints, client strings and templates the members share (as the provider sees
them: campaign reports stay inside the provider, unlike the keyed hashes of
``distillguard intel export``), a few of the requests themselves, what the campaign
took, and what scan the report comes from.  Each function reads every campaign at
once (one query per kind of fact, whatever the number of campaigns).

``members`` is always a table ``account_id, campaign_id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

import pyarrow as pa

from distillguard.campaigns.links.subnet import subnet_of
from distillguard.errors import DistillguardError
from distillguard.ingest.store import Store, _window_clause

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


@contextmanager
def _registered(store: Store, **tables: pa.Table) -> Iterator[None]:
    con = store.con
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            con.unregister(name)


def _sql(store: Store, sql: str, params: list[Any], what: str) -> pa.Table:
    try:
        return store.con.sql(sql, params=params).to_arrow_table()
    except Exception as exc:
        raise DistillguardError(f"cannot read campaign {what}: {exc}", path=store.path) from exc


#: A dotted quad as :func:`subnet_of` writes it back unchanged (no leading zeros).
_OCTET: Final = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_QUAD: Final = _OCTET + r"(\." + _OCTET + "){3}"
#: SQL giving the network of ``key`` for a plain dotted quad (NULL otherwise).
_QUAD_NET: Final = (
    f"CASE WHEN regexp_full_match(key, '{_QUAD}') "
    "THEN regexp_replace(key, '\\.[0-9]+$', '.0/24') END"
)


def _subnets(store: Store, where: str, params: list[Any]) -> pa.Table:
    """``ip -> net`` for the window's addresses that are not plain dotted quads.

    Plain IPv4 addresses (nearly all) get their /24 in SQL (:data:`_QUAD_NET`); the
    rest (IPv6, odd spellings) go through the subnet linker's own :func:`subnet_of`.
    """
    rows = _sql(
        store,
        f"SELECT DISTINCT key FROM (SELECT * FROM profile_keys {where}) "
        f"WHERE kind = 'ip' AND NOT regexp_full_match(key, '{_QUAD}')",
        params,
        "addresses",
    )
    ips = [str(v) for v in rows.column(0).to_pylist()]
    return pa.table(
        {
            "ip": pa.array(ips, pa.string()),
            "net": pa.array([subnet_of(i) for i in ips], pa.string()),
        }
    )


def indicators(
    store: Store,
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
    where, params = _window_clause(start, end)
    key_kinds = ", ".join(f"'{k}'" for k in _KEY_KIND.values())
    to_report = " ".join(f"WHEN '{v}' THEN '{k}'" for k, v in _KEY_KIND.items())
    templates = ", ".join(f"'{k}'" for k in TEMPLATE_KINDS)
    ev_where = where.replace("day", "e.day")
    sql = f"""
        WITH pk AS (SELECT * FROM profile_keys {where}),
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
        e AS (
            SELECT e.account_id, e.org_id, e.account_tier
            FROM events e SEMI JOIN dg_members m ON e.account_id = m.account_id {ev_where}
        ),
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
    with _registered(
        store,
        dg_members=members.select(["account_id", "campaign_id"]),
        dg_subnets=_subnets(store, where, params),
    ):
        table = _sql(store, sql, params * 3, "indicators").cast(INDICATOR_SCHEMA)
        texts = _template_texts(store, table, start, end)
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
    store: Store, table: pa.Table, start: dt.date | None, end: dt.date | None
) -> dict[tuple[str, str, str], str]:
    """The fixed text of each listed template, from a few requests that carry it.

    The template hash covers the *normalised* first (or last) 48 characters, so the
    requests sharing it agree on their opening (closing) words: their longest common
    prefix (suffix) is the text the operator's script adds around every task.  When
    the normalisation hid differences (digits, case, spacing) and the common part is
    short, one request's opening is shown instead, marked as an example.
    """
    rows = [
        r
        for r in table.select(["campaign_id", "kind", "key"]).to_pylist()
        if r["kind"] in TEMPLATE_KINDS
    ]
    if not rows:
        return {}
    where, params = _window_clause(start, end)
    ev_where = where.replace("day", "e.day")
    cond = "AND" if ev_where else "WHERE"
    column = {
        "template_prefix": ("template_prefix", "user_text"),
        "template_suffix": ("template_suffix", "user_text"),
        "template_system": ("template_system", "system_text"),
    }
    parts = []
    for kind, (hash_col, text_col) in column.items():
        parts.append(
            f"""
            SELECT t.campaign_id, t.kind, t.key,
                   min_by(e.{text_col}, hash(e.event_id), {TEMPLATE_EXAMPLES}) AS texts
            FROM events e
            JOIN dg_members m ON e.account_id = m.account_id
            JOIN dg_templates t ON t.campaign_id = m.campaign_id AND t.kind = '{kind}'
                 AND t.key = e.{hash_col}
            {ev_where} {cond} e.{text_col} IS NOT NULL
            GROUP BY ALL
            """
        )
    wanted = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [("campaign_id", pa.string()), ("kind", pa.string()), ("key", pa.string())]
        ),
    )
    with _registered(store, dg_templates=wanted):
        found = _sql(store, " UNION ALL ".join(parts), params * 3, "templates")
    out: dict[tuple[str, str, str], str] = {}
    for r in found.to_pylist():
        texts = [str(t) for t in r["texts"] or [] if t]
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
    store: Store,
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
    where, params = _window_clause(start, end)
    ev_where = where.replace("day", "e.day")
    sql = f"""
        WITH ev AS (
            SELECT m.campaign_id, e.account_id, e.ts, e.capability,
                   coalesce(e.cot_elicitation, false) AS cot, e.model,
                   left(e.user_text, {SAMPLE_CHARS + 1}) AS text,
                   left(e.system_text, {SAMPLE_CHARS + 1}) AS system,
                   hash(e.event_id) AS h, e.event_id
            FROM events e JOIN dg_members m ON e.account_id = m.account_id {ev_where}
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
        SELECT campaign_id, account_id, ts, capability, cot, model, text, system
        FROM picked WHERE k <= CASE WHEN cot THEN {int(cot)} ELSE {int(other)} END
        ORDER BY campaign_id, cot DESC, k
    """
    with _registered(store, dg_members=members.select(["account_id", "campaign_id"])):
        return _sql(store, sql, params, "sample prompts").cast(SAMPLE_SCHEMA)


def value_taken(
    store: Store,
    members: pa.Table,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, dict[str, int]]:
    """Per campaign: ``reasoning_answers`` (answers that carried reasoning tokens)
    and ``prompt_tokens``."""
    if members.num_rows == 0:
        return {}
    where, params = _window_clause(start, end)
    ev_where = where.replace("day", "e.day")
    sql = f"""
        SELECT m.campaign_id,
               count(*) FILTER (WHERE coalesce(e.reasoning_tokens, 0) > 0) AS reasoning_answers,
               coalesce(sum(e.prompt_tokens), 0) AS prompt_tokens
        FROM events e JOIN dg_members m ON e.account_id = m.account_id {ev_where}
        GROUP BY m.campaign_id
    """
    with _registered(store, dg_members=members.select(["account_id", "campaign_id"])):
        table = _sql(store, sql, params, "traffic")
    return {
        str(r["campaign_id"]): {
            "reasoning_answers": int(r["reasoning_answers"]),
            "prompt_tokens": int(r["prompt_tokens"]),
        }
        for r in table.to_pylist()
    }


def scan_facts(
    store: Store, *, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Any]:
    """The scanned window: ``n_events``, ``n_accounts``, ``first_ts``, ``last_ts`` and
    ``inputs`` (the files loaded into the store: path, rows, quarantined, loaded at)."""
    where, params = _window_clause(start, end)
    row = _sql(
        store,
        f"SELECT count(*) AS n_events, count(DISTINCT account_id) AS n_accounts, "
        f"min(ts) AS first_ts, max(ts) AS last_ts FROM events {where}",
        params,
        "window",
    ).to_pylist()[0]
    files = _sql(
        store,
        "SELECT path, rows_good, rows_inserted, rows_quarantined, loaded_at FROM files "
        "ORDER BY loaded_at, path",
        [],
        "inputs",
    ).to_pylist()
    return {**row, "inputs": files}


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
