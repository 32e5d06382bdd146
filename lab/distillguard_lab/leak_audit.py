"""Leak audit: does one plain per-account aggregate give the simulator's attackers away?

A simulator whose attackers differ from benign users in one plain field (more
addresses per account, younger accounts, more tokens) lets any detector score
perfectly for the wrong reason.  This audit computes, straight from the log columns
(never the detector's signals or scores), one row of plain aggregates per account
(:data:`FEATURES`: volume, days, addresses, clients, account age, tier, payment and
address reuse, token volumes, request parameters, timing, message shape) and, for
each, the single-feature ROC AUC of attack against benign accounts, taken in the
better direction (``max(AUC, 1 - AUC)``).  A feature that reaches
:data:`THRESHOLD` is a leak unless ``data/attacker_tells.yaml`` lists it for that
scenario with a public source: then it is a documented attacker tell, which a
scenario may keep on purpose (``easy``'s loud harvesters).

Numeric features are ranked as they are (ties count half; a missing value sorts
below every value, and then above, and the better of the two counts).  Categorical
features (tier, most-used model and client) are ranked by their attack rate (the
best any ordering of the categories can do), each account's own label left out so
that a rare category does not separate by construction.  Each feature is also
measured for every campaign alone against all benign accounts, so that one
campaign's giveaway is not hidden by the others (reported; a failure only when the
caller asks for it, as ``distillguard leak-audit --campaigns`` does).

>>> import pyarrow as pa
>>> auc, direction = feature_auc(pa.array([5.0, 4.0, 1.0, 2.0]), [True, True, False, False])
>>> auc, direction
(1.0, 'higher')
>>> feature_auc(pa.array(["free", "paid", "paid", "free"]), [True, False, False, True])[0]
1.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.datafile import (
    FieldError,
    build_records,
    check_keys,
    fail,
    load_data_file,
    string_map,
)
from distillguard.errors import DistillguardError
from distillguard.schema import EVENT_SCHEMA
from distillguard_lab.evaluate.metrics import roc_auc

#: A single plain feature at or above this AUC is a leak unless it is a documented tell.
THRESHOLD: Final = 0.995

#: The allowed attacker tells (scenario, feature, why, source): a data file.
TELLS_FILE: Final = Path(__file__).resolve().parent / "data" / "attacker_tells.yaml"

Kind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class Feature:
    """One plain per-account aggregate: a column of :func:`account_aggregates`."""

    name: str
    kind: Kind
    group: str
    description: str


def _f(name: str, group: str, description: str, kind: Kind = "numeric") -> Feature:
    return Feature(name=name, kind=kind, group=group, description=description)


#: Every audited aggregate, in the order of the table.  The SQL in
#: :data:`_AGGREGATES_SQL` computes exactly these columns (a test checks).
FEATURES: Final[tuple[Feature, ...]] = (
    _f("requests", "volume", "requests sent"),
    _f("active_days", "volume", "distinct UTC days with a request"),
    _f("active_hours", "volume", "distinct UTC clock hours with a request"),
    _f("span_days", "volume", "days from the first to the last request"),
    _f("requests_per_active_day", "volume", "requests / active days"),
    _f("max_requests_per_hour", "volume", "most requests in one clock hour"),
    _f("first_seen_days", "volume", "days from the log's first request to the account's"),
    _f("account_age_days", "identity", "days from sign-up to the account's first request"),
    _f("tier", "identity", "account tier", "categorical"),
    _f("has_org", "identity", "1 if the account names an organisation"),
    _f("org_accounts", "identity", "accounts that share the account's organisation"),
    _f("has_payment", "identity", "1 if a payment fingerprint is logged"),
    _f("payment_accounts", "identity", "accounts that share the account's payment method"),
    _f("signup_hour_accounts", "identity", "accounts created in the same clock hour"),
    _f("distinct_ips", "network", "distinct client addresses"),
    _f("distinct_subnets", "network", "distinct client /24 (IPv4) or /48 (IPv6) networks"),
    _f("ipv6_share", "network", "share of requests from IPv6 addresses"),
    _f("ip_accounts", "network", "most accounts seen on any one of the account's addresses"),
    _f("subnet_accounts", "network", "most accounts seen on any one of the account's networks"),
    _f("distinct_user_agents", "client", "distinct user-agent strings"),
    _f("top_user_agent", "client", "most used user-agent string", "categorical"),
    _f("distinct_api_keys", "client", "distinct API keys"),
    _f("distinct_models", "client", "distinct models asked"),
    _f("top_model", "client", "most asked model", "categorical"),
    _f("prompt_tokens_mean", "tokens", "mean prompt tokens per request"),
    _f("prompt_tokens_sum", "tokens", "total prompt tokens"),
    _f("completion_tokens_mean", "tokens", "mean completion tokens per request"),
    _f("completion_tokens_sum", "tokens", "total completion tokens"),
    _f("reasoning_tokens_mean", "tokens", "mean reasoning tokens per request (missing = 0)"),
    _f("reasoning_tokens_sum", "tokens", "total reasoning tokens"),
    _f("reasoning_share", "tokens", "share of requests that report reasoning tokens"),
    _f("n_gt1_share", "params", "share of requests with n > 1"),
    _f("n_mean", "params", "mean n (missing = 1)"),
    _f("logprobs_share", "params", "share of requests asking for logprobs"),
    _f("temperature_set_share", "params", "share of requests that set a temperature"),
    _f("temperature_mean", "params", "mean temperature where set"),
    _f("distinct_temperatures", "params", "distinct temperature values"),
    _f("top_p_share", "params", "share of requests that set top_p"),
    _f("max_tokens_set_share", "params", "share of requests that set max_tokens"),
    _f("max_tokens_mean", "params", "mean max_tokens where set"),
    _f("distinct_max_tokens", "params", "distinct max_tokens values"),
    _f("stream_share", "params", "share of streamed requests"),
    _f("tools_share", "params", "share of requests that send tools"),
    _f("effort_set_share", "params", "share of requests that set reasoning_effort"),
    _f("effort_high_share", "params", "share of requests with reasoning_effort high"),
    _f("hour_entropy", "timing", "entropy (bits) of the UTC hour-of-day histogram"),
    _f("gap_median_s", "timing", "median seconds between consecutive requests"),
    _f("gap_cv", "timing", "coefficient of variation of the gaps"),
    _f("gap_min_s", "timing", "smallest gap between consecutive requests"),
    _f("night_share", "timing", "share of requests at 00-06 UTC"),
    _f("system_share", "messages", "share of requests with a system message"),
    _f("messages_mean", "messages", "mean messages per request"),
    _f("multi_turn_share", "messages", "share of requests that resend an assistant turn"),
    _f("conversation_share", "messages", "share of requests with a conversation id"),
    _f("distinct_conversations", "messages", "distinct conversation ids"),
    _f("user_chars_mean", "messages", "mean characters of the last user message"),
    _f("system_chars_mean", "messages", "mean characters of the system message (0 if none)"),
    _f("distinct_prompt_share", "messages", "distinct last user messages / requests"),
    _f("distinct_system_prompts", "messages", "distinct system messages"),
    _f("error_share", "status", "share of requests with a status other than 200"),
    _f("rate_limited_share", "status", "share of requests answered 429"),
)
FEATURE_NAMES: Final = tuple(f.name for f in FEATURES)
_BY_NAME: Final = {f.name: f for f in FEATURES}

#: One row per account of every feature, over a relation ``events`` in the event schema.
_AGGREGATES_SQL: Final = r"""
WITH ev AS (
    SELECT
        account_id, ts, epoch_us(ts) AS t_us, org_id, api_key_id, ip, user_agent,
        payment_fingerprint, account_created_at, account_tier, model,
        CASE
            WHEN ip IS NULL THEN NULL
            WHEN contains(ip, ':') THEN array_to_string(string_split(ip, ':')[1:3], ':')
            ELSE regexp_replace(ip, '\.[0-9]+$', '')
        END AS subnet,
        params.n AS n, params.logprobs AS logprobs, params.temperature AS temperature,
        params.top_p AS top_p, params.max_tokens AS max_tokens, params.stream AS stream,
        params.tools AS tools, params.reasoning_effort AS effort,
        coalesce(len(messages), 0) AS n_msgs,
        len(list_filter(coalesce(messages, []), lambda m: m.role IN ('system', 'developer')))
            AS n_system,
        len(list_filter(coalesce(messages, []), lambda m: m.role = 'assistant')) AS n_assistant,
        coalesce(
            list_filter(coalesce(messages, []), lambda m: m.role = 'user')[-1].content, prompt, ''
        ) AS user_text,
        list_filter(coalesce(messages, []), lambda m: m.role IN ('system', 'developer'))[1].content
            AS system_text,
        conversation_id, prompt_tokens, completion_tokens, reasoning_tokens, status
    FROM events
),
base AS (
    SELECT
        account_id,
        count(*)::DOUBLE AS requests,
        count(DISTINCT date_trunc('day', ts))::DOUBLE AS active_days,
        count(DISTINCT date_trunc('hour', ts))::DOUBLE AS active_hours,
        (max(t_us) - min(t_us)) / 86400e6 AS span_days,
        count(*) / count(DISTINCT date_trunc('day', ts)) AS requests_per_active_day,
        (min(t_us) - (SELECT min(t_us) FROM ev)) / 86400e6 AS first_seen_days,
        (min(t_us) - epoch_us(min(account_created_at))) / 86400e6 AS account_age_days,
        mode(account_tier) AS tier,
        (count(org_id) > 0)::DOUBLE AS has_org,
        mode(org_id) AS org,
        (count(payment_fingerprint) > 0)::DOUBLE AS has_payment,
        mode(payment_fingerprint) AS payment,
        date_trunc('hour', min(account_created_at)) AS signup_hour,
        count(DISTINCT ip)::DOUBLE AS distinct_ips,
        count(DISTINCT subnet)::DOUBLE AS distinct_subnets,
        avg(CASE WHEN contains(ip, ':') THEN 1.0 ELSE 0.0 END) AS ipv6_share,
        count(DISTINCT user_agent)::DOUBLE AS distinct_user_agents,
        mode(user_agent) AS top_user_agent,
        count(DISTINCT api_key_id)::DOUBLE AS distinct_api_keys,
        count(DISTINCT model)::DOUBLE AS distinct_models,
        mode(model) AS top_model,
        avg(prompt_tokens) AS prompt_tokens_mean,
        sum(prompt_tokens)::DOUBLE AS prompt_tokens_sum,
        avg(completion_tokens) AS completion_tokens_mean,
        sum(completion_tokens)::DOUBLE AS completion_tokens_sum,
        avg(coalesce(reasoning_tokens, 0)) AS reasoning_tokens_mean,
        coalesce(sum(reasoning_tokens), 0)::DOUBLE AS reasoning_tokens_sum,
        avg(CASE WHEN reasoning_tokens IS NOT NULL THEN 1.0 ELSE 0.0 END) AS reasoning_share,
        avg(CASE WHEN n > 1 THEN 1.0 ELSE 0.0 END) AS n_gt1_share,
        avg(coalesce(n, 1)) AS n_mean,
        avg(CASE WHEN logprobs THEN 1.0 ELSE 0.0 END) AS logprobs_share,
        avg(CASE WHEN temperature IS NOT NULL THEN 1.0 ELSE 0.0 END) AS temperature_set_share,
        avg(temperature) AS temperature_mean,
        count(DISTINCT temperature)::DOUBLE AS distinct_temperatures,
        avg(CASE WHEN top_p IS NOT NULL THEN 1.0 ELSE 0.0 END) AS top_p_share,
        avg(CASE WHEN max_tokens IS NOT NULL THEN 1.0 ELSE 0.0 END) AS max_tokens_set_share,
        avg(max_tokens) AS max_tokens_mean,
        count(DISTINCT max_tokens)::DOUBLE AS distinct_max_tokens,
        avg(CASE WHEN stream THEN 1.0 ELSE 0.0 END) AS stream_share,
        avg(CASE WHEN tools IS NOT NULL THEN 1.0 ELSE 0.0 END) AS tools_share,
        avg(CASE WHEN effort IS NOT NULL THEN 1.0 ELSE 0.0 END) AS effort_set_share,
        avg(CASE WHEN effort = 'high' THEN 1.0 ELSE 0.0 END) AS effort_high_share,
        avg(CASE WHEN hour(ts) < 6 THEN 1.0 ELSE 0.0 END) AS night_share,
        avg(CASE WHEN n_system > 0 THEN 1.0 ELSE 0.0 END) AS system_share,
        avg(n_msgs) AS messages_mean,
        avg(CASE WHEN n_assistant > 0 THEN 1.0 ELSE 0.0 END) AS multi_turn_share,
        avg(CASE WHEN conversation_id IS NOT NULL THEN 1.0 ELSE 0.0 END) AS conversation_share,
        count(DISTINCT conversation_id)::DOUBLE AS distinct_conversations,
        avg(length(user_text)) AS user_chars_mean,
        avg(coalesce(length(system_text), 0)) AS system_chars_mean,
        count(DISTINCT user_text) / count(*) AS distinct_prompt_share,
        count(DISTINCT system_text)::DOUBLE AS distinct_system_prompts,
        avg(CASE WHEN coalesce(status, 200) <> 200 THEN 1.0 ELSE 0.0 END) AS error_share,
        avg(CASE WHEN status = 429 THEN 1.0 ELSE 0.0 END) AS rate_limited_share
    FROM ev
    GROUP BY account_id
),
per_hour AS (
    SELECT account_id, max(c)::DOUBLE AS max_requests_per_hour
    FROM (SELECT account_id, date_trunc('hour', ts), count(*) AS c FROM ev GROUP BY ALL)
    GROUP BY account_id
),
hour_entropy AS (
    SELECT account_id, -sum(p * log2(p)) AS hour_entropy
    FROM (
        SELECT account_id, count(*) / sum(count(*)) OVER (PARTITION BY account_id) AS p
        FROM ev GROUP BY account_id, hour(ts)
    )
    GROUP BY account_id
),
gaps AS (
    SELECT account_id, median(gap) AS gap_median_s, min(gap) AS gap_min_s,
           stddev_pop(gap) / nullif(avg(gap), 0) AS gap_cv
    FROM (
        SELECT account_id,
               (t_us - lag(t_us) OVER (PARTITION BY account_id ORDER BY t_us)) / 1e6 AS gap
        FROM ev
    )
    WHERE gap IS NOT NULL
    GROUP BY account_id
),
org_n AS (SELECT org, count(*)::DOUBLE AS n FROM base WHERE org IS NOT NULL GROUP BY org),
pay_n AS (
    SELECT payment, count(*)::DOUBLE AS n FROM base WHERE payment IS NOT NULL GROUP BY payment
),
signup_n AS (
    SELECT signup_hour, count(*)::DOUBLE AS n FROM base WHERE signup_hour IS NOT NULL GROUP BY 1
),
ip_pairs AS (SELECT DISTINCT account_id, ip FROM ev WHERE ip IS NOT NULL),
ip_n AS (SELECT ip, count(*) AS n FROM ip_pairs GROUP BY ip),
ip_max AS (
    SELECT account_id, max(n)::DOUBLE AS ip_accounts FROM ip_pairs JOIN ip_n USING (ip)
    GROUP BY account_id
),
net_pairs AS (SELECT DISTINCT account_id, subnet FROM ev WHERE subnet IS NOT NULL),
net_n AS (SELECT subnet, count(*) AS n FROM net_pairs GROUP BY subnet),
net_max AS (
    SELECT account_id, max(n)::DOUBLE AS subnet_accounts FROM net_pairs JOIN net_n USING (subnet)
    GROUP BY account_id
)
SELECT
    b.*,
    h.max_requests_per_hour,
    e.hour_entropy,
    g.gap_median_s, g.gap_cv, g.gap_min_s,
    CASE WHEN b.org IS NULL THEN 0.0 ELSE o.n END AS org_accounts,
    CASE WHEN b.payment IS NULL THEN 0.0 ELSE p.n END AS payment_accounts,
    s.n AS signup_hour_accounts,
    coalesce(i.ip_accounts, 0.0) AS ip_accounts,
    coalesce(nm.subnet_accounts, 0.0) AS subnet_accounts
FROM base b
LEFT JOIN per_hour h USING (account_id)
LEFT JOIN hour_entropy e USING (account_id)
LEFT JOIN gaps g USING (account_id)
LEFT JOIN org_n o ON o.org = b.org
LEFT JOIN pay_n p ON p.payment = b.payment
LEFT JOIN signup_n s ON s.signup_hour = b.signup_hour
LEFT JOIN ip_max i USING (account_id)
LEFT JOIN net_max nm USING (account_id)
ORDER BY account_id
"""

#: Event columns the aggregates read (only these are loaded from a file).
EVENT_COLUMNS: Final = (
    "account_id",
    "ts",
    "org_id",
    "api_key_id",
    "ip",
    "user_agent",
    "payment_fingerprint",
    "account_created_at",
    "account_tier",
    "model",
    "messages",
    "prompt",
    "params",
    "conversation_id",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "status",
)


def _connect() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect(":memory:")
    db.execute("SET threads = 2").fetchall()
    db.execute("SET TimeZone = 'UTC'").fetchall()
    db.execute("SET enable_progress_bar = false").fetchall()
    return db


def _aggregate(db: duckdb.DuckDBPyConnection) -> pa.Table:
    try:
        table = db.sql(_AGGREGATES_SQL).to_arrow_table()
    except duckdb.Error as exc:
        raise DistillguardError(f"cannot compute the leak audit's aggregates: {exc}") from exc
    return table.select(["account_id", *FEATURE_NAMES])


def account_aggregates(events: pa.Table) -> pa.Table:
    """One row per account: ``account_id`` and every feature of :data:`FEATURES`.

    ``events`` is in the event schema (:data:`distillguard.schema.EVENT_SCHEMA`).

    >>> import datetime as dt
    >>> t0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    >>> events = pa.table({
    ...     "account_id": ["a", "a", "b"],
    ...     "ts": [t0, t0 + dt.timedelta(hours=25), t0],
    ...     "ip": ["1.2.3.4", "1.2.3.5", "1.2.3.4"],
    ...     "model": ["m", "m", "m"],
    ...     "messages": [[{"role": "user", "content": "hi"}]] * 3,
    ... })
    >>> row = account_aggregates(events).to_pylist()[0]
    >>> row["requests"], row["active_days"], row["distinct_ips"], row["distinct_subnets"]
    (2.0, 2.0, 2.0, 1.0)
    >>> row["ip_accounts"], row["subnet_accounts"], row["gap_median_s"]
    (2.0, 2.0, 90000.0)
    """
    db = _connect()
    try:
        db.register("raw", _conform(events))
        db.execute("CREATE VIEW events AS SELECT * FROM raw").fetchall()
        return _aggregate(db)
    finally:
        db.close()


def _conform(events: pa.Table) -> pa.Table:
    """``events`` with every column the SQL reads (absent optional ones as nulls)."""
    n = events.num_rows
    cols = []
    for name in EVENT_COLUMNS:
        tp = EVENT_SCHEMA.field(name).type
        if name in events.column_names:
            cols.append(events.column(name).cast(tp))
        else:
            cols.append(pa.nulls(n, tp))
    return pa.table(dict(zip(EVENT_COLUMNS, cols, strict=True)))


def file_aggregates(events_path: str | Path) -> pa.Table:
    """:func:`account_aggregates` of an ``events.parquet`` file, read by DuckDB."""
    path = Path(events_path)
    if not path.is_file():
        raise DistillguardError("no such events file", path=path)
    names = set(pq.read_schema(path).names)
    missing = {"account_id", "ts"} - names
    if missing:
        raise DistillguardError(f"events file lacks columns {sorted(missing)}", path=path)
    if not set(EVENT_COLUMNS) <= names:
        return account_aggregates(
            pq.read_table(path, columns=[c for c in EVENT_COLUMNS if c in names])
        )
    db = _connect()
    try:
        quoted = str(path).replace("'", "''")
        db.execute(
            f"CREATE VIEW events AS SELECT {', '.join(EVENT_COLUMNS)} FROM read_parquet('{quoted}')"
        ).fetchall()
        return _aggregate(db)
    finally:
        db.close()


# --------------------------------------------------------------------------- AUC


BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def _numeric_auc(values: FloatArray, y: BoolArray) -> tuple[float, str]:
    """Best-direction AUC of a numeric column; NaN (missing) tried lowest and highest."""
    missing = np.isnan(values)
    best = (0.5, "none")
    fills = [0.0] if not missing.any() else [-math.inf, math.inf]
    for fill in fills:
        x = np.where(missing, fill, values)
        auc = roc_auc(x, y)
        if auc is None:
            continue
        for score, direction in ((auc, "higher"), (1.0 - auc, "lower")):
            if score > best[0]:
                best = (score, direction)
    return best


def _categorical_auc(values: Sequence[Any], y: BoolArray) -> tuple[float, str]:
    """AUC of categories ranked by their attack rate, each account's own label left out.

    Ranking categories by their attack rate is the best any ordering can do; leaving
    the account itself out of its category's rate (with one pseudo-account at the
    overall rate) keeps a category that holds a single attack account from looking
    like a perfect separator.
    """
    keys = ["\x00missing" if v is None else str(v) for v in values]
    uniq, inverse = np.unique(np.asarray(keys, dtype=object), return_inverse=True)
    inverse = inverse.reshape(-1)
    pos = np.bincount(inverse[y], minlength=len(uniq)).astype(np.float64)
    tot = np.bincount(inverse, minlength=len(uniq)).astype(np.float64)
    prior = float(y.mean()) if len(y) else 0.0
    # The other (n - 1) accounts of the category plus one pseudo-account at the prior.
    rate = (pos[inverse] - y.astype(np.float64) + prior) / tot[inverse]
    auc = roc_auc(rate, y)
    return (0.5, "none") if auc is None else (auc, "category")


def feature_auc(values: pa.Array | pa.ChunkedArray, is_attack: Iterable[bool]) -> tuple[float, str]:
    """``(max(AUC, 1 - AUC), direction)`` of one feature against the labels.

    Direction is ``higher`` or ``lower`` (where attack accounts sit) for numbers,
    ``category`` for strings, ``none`` when undefined (one class empty).
    """
    y = np.asarray(list(is_attack), dtype=np.bool_)
    if len(values) != len(y):
        raise ValueError(f"{len(values)} values but {len(y)} labels")
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return _categorical_auc(values.to_pylist(), y)
    x = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    x = np.asarray(x, dtype=np.float64)
    return _numeric_auc(x, y)


# --------------------------------------------------------------------------- tells


@dataclass(frozen=True)
class Where:
    """Where a tell may show: a scenario, or only one campaign of it."""

    scenario: str
    #: Only this campaign's accounts (``None``: the scenario's attackers as a whole).
    campaign: str | None = None


@dataclass(frozen=True)
class Tell:
    """A documented attacker behaviour, and the plain features it shows in."""

    id: str
    #: What the operator does and why it shows in these features.
    why: str
    #: An id under ``sources``: the public report that documents the behaviour.
    source: str
    features: tuple[str, ...]
    where: tuple[Where, ...]

    def __post_init__(self) -> None:
        if not self.why.strip():
            raise FieldError("why", "must say why this is a real attacker tell")
        if not self.features:
            raise FieldError("features", "must name at least one feature")
        for i, name in enumerate(self.features):
            if name not in _BY_NAME:
                raise FieldError(f"features[{i}]", f"unknown feature {name!r}")
        if not self.where:
            raise FieldError("where", "must name at least one scenario")

    def allows(self, scenario: str, feature: str, campaign: str | None = None) -> bool:
        """Whether this tell covers ``feature`` in ``scenario`` (for ``campaign``).

        A tell listed for a whole scenario covers each of its campaigns too.
        """
        return feature in self.features and any(
            w.scenario == scenario and w.campaign in (None, campaign) for w in self.where
        )


@dataclass(frozen=True)
class Tells:
    """The allowed tells and the sources they cite."""

    sources: dict[str, str]
    tells: tuple[Tell, ...]

    def find(self, scenario: str, feature: str, campaign: str | None = None) -> Tell | None:
        """The tell that allows ``feature`` in ``scenario`` (for ``campaign``), if any."""
        for t in self.tells:
            if t.allows(scenario, feature, campaign):
                return t
        return None

    def citation(self, tell: Tell) -> str:
        return self.sources[tell.source]


def load_tells(path: str | Path = TELLS_FILE) -> Tells:
    """The allowed tells of a data file, validated: every tell cites a listed source.

    >>> tells = load_tells()
    >>> all(t.source in tells.sources for t in tells.tells)
    True
    """
    doc = load_data_file(path)
    top = check_keys(doc, (), ("version", "sources", "tells"))
    if top["version"] != 1:
        raise fail(doc, ("version",), f"unsupported version {top['version']!r} (expected 1)")
    sources = string_map(doc, ("sources",), snake_case_keys=True)
    tells = build_records(Tell, doc, ("tells",)) if top["tells"] else ()
    for i, t in enumerate(tells):
        if t.source not in sources:
            raise fail(
                doc, ("tells", i, "source"), f"unknown source {t.source!r} (list it under sources)"
            )
    return Tells(sources=sources, tells=tells)


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class FeatureResult:
    """One feature's separation in one scenario, overall and per campaign."""

    feature: str
    auc: float
    direction: str
    attack_median: float | None
    benign_median: float | None
    #: Each campaign's accounts alone against every benign account (two campaigns or more).
    campaign_aucs: dict[str, float] = field(default_factory=dict)
    #: The documented tell that allows it for the scenario's attackers, if any.
    tell: Tell | None = None
    #: Campaign id -> the tell that allows it for that campaign.
    campaign_tells: dict[str, Tell] = field(default_factory=dict)

    @property
    def worst_campaign(self) -> tuple[str | None, float]:
        """The campaign this feature separates best, and its AUC."""
        if not self.campaign_aucs:
            return None, 0.5
        cid = max(sorted(self.campaign_aucs), key=lambda c: self.campaign_aucs[c])
        return cid, self.campaign_aucs[cid]

    def leaks(self, threshold: float) -> bool:
        """Whether it separates the scenario's attackers at ``threshold`` without a tell."""
        return self.auc >= threshold and self.tell is None

    def campaign_leaks(self, threshold: float) -> list[str]:
        """Campaigns it separates at ``threshold`` without a tell."""
        return [
            c
            for c, auc in sorted(self.campaign_aucs.items())
            if auc >= threshold and c not in self.campaign_tells
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "group": _BY_NAME[self.feature].group,
            "auc": round(self.auc, 6),
            "direction": self.direction,
            "attack_median": self.attack_median,
            "benign_median": self.benign_median,
            "campaign_aucs": {c: round(a, 6) for c, a in sorted(self.campaign_aucs.items())},
            "tell": None if self.tell is None else self.tell.id,
            "campaign_tells": {c: t.id for c, t in sorted(self.campaign_tells.items())},
        }


@dataclass(frozen=True)
class ScenarioAudit:
    """Every feature's separation in one simulated scenario."""

    scenario: str
    seed: int | None
    events: int
    accounts: int
    attack_accounts: int
    results: tuple[FeatureResult, ...]
    threshold: float = THRESHOLD
    campaign_accounts: dict[str, int] = field(default_factory=dict)

    @property
    def leaks(self) -> list[str]:
        """Undocumented features that separate the scenario's attackers at the threshold."""
        return [r.feature for r in self.results if r.leaks(self.threshold)]

    @property
    def campaign_leaks(self) -> list[tuple[str, str]]:
        """(feature, campaign) for every undocumented per-campaign separation."""
        return [(r.feature, c) for r in self.results for c in r.campaign_leaks(self.threshold)]

    @property
    def max_auc(self) -> float:
        return max((r.auc for r in self.results), default=0.5)

    def sorted_results(self) -> list[FeatureResult]:
        return sorted(self.results, key=lambda r: (-r.auc, r.feature))

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "events": self.events,
            "accounts": self.accounts,
            "attack_accounts": self.attack_accounts,
            "campaign_accounts": dict(self.campaign_accounts),
            "threshold": self.threshold,
            "leaks": self.leaks,
            "campaign_leaks": [{"feature": f, "campaign": c} for f, c in self.campaign_leaks],
            "features": [r.to_dict() for r in self.sorted_results()],
        }


def _median(values: pa.ChunkedArray | pa.Array, mask: BoolArray) -> float | None:
    if pa.types.is_string(values.type):
        return None
    x = np.asarray(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False), np.float64)[mask]
    x = x[~np.isnan(x)]
    return round(float(np.median(x)), 4) if len(x) else None


def audit_aggregates(
    aggregates: pa.Table,
    labels: pa.Table,
    *,
    scenario: str,
    tells: Tells | None = None,
    seed: int | None = None,
    events: int = 0,
    threshold: float = THRESHOLD,
) -> ScenarioAudit:
    """Score every feature of ``aggregates`` against ``labels`` (the label schema).

    Accounts in the labels without events are left out (they have no aggregates).
    """
    for col in ("account_id", "is_attack"):
        if col not in labels.column_names:
            raise DistillguardError(f"labels lack column {col!r}")
    tells = tells if tells is not None else load_tells()
    lab_ids = labels.column("account_id").to_pylist()
    attack_of = dict(zip(lab_ids, labels.column("is_attack").to_pylist(), strict=True))
    camp_col = (
        labels.column("campaign_id").to_pylist()
        if "campaign_id" in labels.column_names
        else [None] * len(lab_ids)
    )
    camp_of = dict(zip(lab_ids, camp_col, strict=True))
    ids = aggregates.column("account_id").to_pylist()
    unknown = [a for a in ids if a not in attack_of]
    if unknown:
        raise DistillguardError(
            f"{len(unknown)} accounts with events have no label (first: {unknown[0]})"
        )
    y = np.asarray([bool(attack_of[a]) for a in ids], dtype=np.bool_)
    camps = np.asarray([camp_of[a] if attack_of[a] else None for a in ids], dtype=object)
    campaign_ids = sorted({c for c in camps if c is not None})
    results = []
    for feat in FEATURES:
        col = aggregates.column(feat.name)
        auc, direction = feature_auc(col, y)
        per_campaign: dict[str, float] = {}
        for cid in campaign_ids if len(campaign_ids) > 1 else ():
            keep = (camps == cid) | ~y
            per_campaign[cid] = feature_auc(col.filter(pa.array(keep)), y[keep])[0]
        results.append(
            FeatureResult(
                feature=feat.name,
                auc=auc,
                direction=direction,
                attack_median=_median(col, y),
                benign_median=_median(col, ~y),
                campaign_aucs=per_campaign,
                tell=tells.find(scenario, feat.name),
                campaign_tells={
                    c: t for c in per_campaign if (t := tells.find(scenario, feat.name, c))
                },
            )
        )
    return ScenarioAudit(
        scenario=scenario,
        seed=seed,
        events=events,
        accounts=len(ids),
        attack_accounts=int(y.sum()),
        results=tuple(results),
        threshold=threshold,
        campaign_accounts={c: int((camps == c).sum()) for c in campaign_ids},
    )


def audit_events(
    events: pa.Table,
    labels: pa.Table,
    *,
    scenario: str,
    tells: Tells | None = None,
    seed: int | None = None,
    threshold: float = THRESHOLD,
) -> ScenarioAudit:
    """:func:`audit_aggregates` of an in-memory event table."""
    return audit_aggregates(
        account_aggregates(events),
        labels,
        scenario=scenario,
        tells=tells,
        seed=seed,
        events=events.num_rows,
        threshold=threshold,
    )


def audit_dir(
    folder: str | Path,
    *,
    scenario: str | None = None,
    tells: Tells | None = None,
    threshold: float = THRESHOLD,
) -> ScenarioAudit:
    """Audit a folder that ``distillguard simulate`` wrote (events and labels)."""
    import json

    from distillguard.ingest import read_labels

    root = Path(folder)
    summary_path = root / "summary.json"
    summary: dict[str, Any] = {}
    if summary_path.is_file():
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    name = scenario or str(summary.get("scenario") or root.name)
    seed = summary.get("seed")
    labels = read_labels(root / "labels.parquet")
    events_path = root / "events.parquet"
    return audit_aggregates(
        file_aggregates(events_path),
        labels,
        scenario=name,
        tells=tells,
        seed=int(seed) if seed is not None else None,
        events=pq.read_metadata(events_path).num_rows,
        threshold=threshold,
    )


def audit_scenario(
    name: str | Path,
    *,
    seed: int,
    events: int | None,
    pools: Any = None,
    tells: Tells | None = None,
    threshold: float = THRESHOLD,
) -> ScenarioAudit:
    """Simulate scenario ``name`` in memory and audit it.

    ``pools`` (:class:`~distillguard_lab.sim.pools.Pools`) is built from the real-prompt
    corpus when not given.
    """
    from distillguard_lab.sim.corpus import load_corpus
    from distillguard_lab.sim.pools import Pools
    from distillguard_lab.sim.scenario import load_scenario
    from distillguard_lab.sim.simulator import simulate

    sc = load_scenario(name)
    if pools is None:
        pools = Pools.from_table(load_corpus(progress=False).table)
    result = simulate(sc, pools, seed=seed, events=events)
    return audit_events(
        result.events,
        result.labels,
        scenario=sc.name,
        tells=tells,
        seed=seed,
        threshold=threshold,
    )
