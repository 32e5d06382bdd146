"""Value taken: an account's or a campaign's tokens at the provider's list prices.

The input is each account's token totals per model (:meth:`EventStore.usage_by_model`:
the same sums as the profile parts ``prompt_tokens``, ``completion_tokens`` and
``reasoning_tokens``, split by model because prices differ by model).  Two numbers
per account: ``value_usd``, everything it was served and sent at list price, and
``reasoning_value_usd``, the part paid for its reasoning tokens (what a distiller
comes for).  A campaign's value is the sum over its members.

>>> import pyarrow as pa
>>> from distillguard.economics.prices import load_prices_text
>>> prices = load_prices_text("default: {input: 1, completion: 4, reasoning: 8}", "p.yaml")
>>> usage = pa.table({"account_id": ["a", "a"], "model": ["m1", "m2"],
...     "prompt_tokens": [1_000_000, 0], "completion_tokens": [1_000_000, 500_000],
...     "reasoning_tokens": [500_000, None]})
>>> value_by_account(usage, prices).to_pylist()
[{'account_id': 'a', 'value_usd': 9.0, 'reasoning_value_usd': 4.0}]
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from distillguard.economics.prices import PriceTable

#: Columns :func:`value_by_account` adds to an accounts table.
VALUE_COLUMNS = ("value_usd", "reasoning_value_usd")
SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("value_usd", pa.float64()),
        ("reasoning_value_usd", pa.float64()),
    ]
)


def value_by_account(usage: pa.Table, prices: PriceTable) -> pa.Table:
    """``account_id, value_usd, reasoning_value_usd`` of ``usage`` rows (one per account)."""
    total: dict[str, float] = {}
    rich: dict[str, float] = {}
    for r in usage.to_pylist():
        price = prices.price_for(r.get("model"))
        prompt = float(r.get("prompt_tokens") or 0)
        completion = float(r.get("completion_tokens") or 0)
        reasoning = float(r.get("reasoning_tokens") or 0)
        a = str(r["account_id"])
        total[a] = total.get(a, 0.0) + price.value(
            prompt=prompt, completion=completion, reasoning=reasoning
        )
        rich[a] = rich.get(a, 0.0) + price.value(completion=reasoning, reasoning=reasoning)
    ids = sorted(total)
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            "value_usd": pa.array([round(total[a], 6) for a in ids], pa.float64()),
            "reasoning_value_usd": pa.array([round(rich[a], 6) for a in ids], pa.float64()),
        },
        schema=SCHEMA,
    )


def with_value(accounts: pa.Table, values: pa.Table) -> pa.Table:
    """``accounts`` with the value columns (0 for an account without usage)."""
    of = {r["account_id"]: (r["value_usd"], r["reasoning_value_usd"]) for r in values.to_pylist()}
    return put_value_columns(accounts, "account_id", of)


def put_value_columns(
    table: pa.Table, key: str, per: Mapping[str, tuple[float, float]]
) -> pa.Table:
    """``table`` with the value columns (replaced if present) looked up by its ``key``
    column in ``per`` (0 for a key it lacks)."""
    ids = table.column(key).to_pylist()
    for i, name in enumerate(VALUE_COLUMNS):
        if name in table.column_names:
            table = table.drop_columns([name])
        col = pa.array([per.get(k, (0.0, 0.0))[i] for k in ids], pa.float64())
        table = table.append_column(name, col)
    return table


def value_by_campaign(
    values: pa.Table, campaign_of: Mapping[str, str]
) -> dict[str, tuple[float, float]]:
    """Campaign id -> (value_usd, reasoning_value_usd) summed over its members."""
    out: dict[str, tuple[float, float]] = {}
    for r in values.to_pylist():
        cid = campaign_of.get(r["account_id"])
        if cid is None:
            continue
        v, rv = out.get(cid, (0.0, 0.0))
        out[cid] = (v + r["value_usd"], rv + r["reasoning_value_usd"])
    return {c: (round(v, 6), round(rv, 6)) for c, (v, rv) in out.items()}
