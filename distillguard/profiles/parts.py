"""The profile every scan and gateway builds: each part, key kind and key statistic, once.

This is the one place a profile feature is declared.  The store's tables and
queries (:mod:`.sql`) and the gateway's fold and merge (:mod:`.fold`) are derived
from :data:`PROFILE`; ``tests/profiles`` fold random event streams both ways and
demand the same profiles.  ``docs/profiles.md`` walks through adding a part.

Parts name the event columns they read; a signal's output columns are such
columns, so which parts a signal feeds is read off here (:func:`feeds`), never
declared twice.
"""

from __future__ import annotations

from typing import Final

from distillguard.profiles.expr import (
    GAP,
    Expr,
    and_,
    col,
    eq,
    flag,
    gt,
    hour,
    is_null,
    ln1p,
    lt,
    ne,
    not_,
    not_null,
    or_,
    square,
)
from distillguard.profiles.spec import (
    Count,
    DistinctCount,
    KeyKind,
    KeyStat,
    Latest,
    Max,
    Min,
    Part,
    ProfileSpec,
    Sum,
    TopCount,
    TopCountIn,
)

#: A request that counts as chain-of-thought elicitation in a profile (benchmark
#: items that ask for step-by-step answers are evaluation traffic, not harvesting).
COT_REQUEST: Final[Expr] = and_(flag("cot_elicitation"), not_(flag("benchmark_match")))
#: A request whose system prompt demands the model's reasoning while its user text
#: does not (that one counts as ``cot_n``), benchmark items left out as above.
SYSTEM_COT_REQUEST: Final[Expr] = and_(
    flag("cot_elicitation_system"), not_(flag("cot_elicitation")), not_(flag("benchmark_match"))
)
CAPABILITIES: Final = ("coding", "math", "reasoning", "agentic", "writing")
#: Capabilities a distillation harvest targets (the ``target`` and ``harvest_value``
#: terms of scoring): what the harvested answers teach a student model.
TARGETED: Final = ("coding", "math", "reasoning", "agentic")
TARGET_REQUEST: Final[Expr] = or_(*(eq("capability", c) for c in TARGETED))
#: The served answer was laid out step by step (only where the log holds responses).
STEPS: Final[Expr] = flag("response_steps")
#: Harvest-parameter flags (``harvest_params`` outputs) counted per account-day.
HARVEST_FLAGS: Final = {
    "p_n_gt1": "param_n_gt1",
    "p_logprobs": "param_logprobs",
    "p_logit_bias": "param_logit_bias",
    "p_high_effort": "param_high_effort",
    "p_large_max_tokens": "param_large_max_tokens",
}
HOURS: Final = tuple(f"h{h:02d}" for h in range(24))
#: Template kinds whose keys are also counted over chain-of-thought requests only,
#: as kind ``cot_<kind>``: how much of one user-message template's traffic elicits
#: reasoning.  (A fixed system prompt is left out: harvest scripts send one too, and
#: it says nothing about where the flagged words came from.)
COT_KEY_KINDS: Final = ("prefix", "suffix")

PARTS: Final[tuple[Part, ...]] = (
    Count("n", doc="requests"),
    Count("n_ok", where=or_(is_null("status"), lt("status", 400)), doc="requests not refused"),
    Sum("prompt_tokens", col("prompt_tokens"), doc="prompt tokens"),
    Sum(
        "completion_tokens",
        col("completion_tokens"),
        doc="completion tokens returned (reasoning included, as OpenAI usage counts them)",
    ),
    Sum("reasoning_tokens", col("reasoning_tokens"), doc="of them, hidden reasoning tokens"),
    Count("cot_n", where=COT_REQUEST, doc="chain-of-thought elicitation (not benchmark items)"),
    Count(
        "cot_system_n",
        where=SYSTEM_COT_REQUEST,
        doc="the system prompt alone elicits chain-of-thought (not benchmark items)",
    ),
    Sum(
        "value_tokens",
        col("completion_tokens"),
        where=TARGET_REQUEST,
        doc="completion tokens served on coding, math, reasoning or tool use",
    ),
    Sum(
        "value_reasoning_tokens",
        col("reasoning_tokens"),
        where=and_(TARGET_REQUEST, or_(is_null("response_steps"), not_(STEPS))),
        doc="hidden reasoning tokens served on them (answers not laid out in steps)",
    ),
    Sum(
        "value_steps_tokens",
        col("completion_tokens"),
        where=and_(TARGET_REQUEST, STEPS),
        doc="completion tokens of step-by-step answers on them (responses logged)",
    ),
    Count("value_steps_n", where=and_(TARGET_REQUEST, STEPS), doc="step-by-step answers on them"),
    Count(
        "value_logged_n",
        where=and_(TARGET_REQUEST, not_null("response_steps")),
        doc="answers on them whose response text was logged",
    ),
    Sum("cot_score_sum", col("cot_elicitation_score"), doc="sum of elicitation scores"),
    *(Count(f"cap_{c}", where=eq("capability", c), doc=f"{c} requests") for c in CAPABILITIES),
    *(Count(p, where=flag(c), doc=f"requests with {c}") for p, c in HARVEST_FLAGS.items()),
    Sum("harvest_score_sum", col("harvest_params_score"), doc="sum of harvest-parameter scores"),
    Count("bench_n", where=flag("benchmark_match"), doc="public benchmark items"),
    Count("followup_n", where=gt("n_assistant", 0), doc="requests with earlier turns"),
    Count("system_n", where=ne("system_text", ""), doc="requests with a system prompt"),
    Count("conv_n", where=not_null("conversation_id"), doc="requests in a conversation"),
    *(
        Count(h, where=eq(hour("ts"), i), doc=f"requests in UTC hour {i}")
        for i, h in enumerate(HOURS)
    ),
    Min("first_ts", col("ts"), doc="first request"),
    Max("last_ts", col("ts"), doc="last request"),
    Count("gap_n", where=not_null(GAP), doc="gaps between requests of one day"),
    Sum("gap_sum", GAP, doc="sum of the gaps (seconds)"),
    Sum("gap_sq_sum", square(GAP), doc="sum of squared gaps"),
    Sum("gap_log_sum", ln1p(GAP), doc="sum of ln(gap + 1)"),
)

KEYS: Final[tuple[KeyKind, ...]] = (
    KeyKind("prefix", col("template_prefix"), doc="user-text template prefixes"),
    KeyKind("suffix", col("template_suffix"), doc="user-text template suffixes"),
    KeyKind("system", col("template_system"), doc="system prompt templates"),
    KeyKind("ip", col("ip"), doc="client addresses"),
    KeyKind("user_agent", col("user_agent"), doc="client software"),
    KeyKind("api_key", col("api_key_id"), doc="API keys"),
    KeyKind("payment", col("payment_fingerprint"), doc="payment methods"),
    KeyKind("model", col("model"), doc="models asked"),
    *(
        KeyKind(
            f"cot_{k}",
            col(f"template_{k}"),
            where=COT_REQUEST,
            doc=f"template {k}es of chain-of-thought requests",
        )
        for k in COT_KEY_KINDS
    ),
)

KEY_STATS: Final[tuple[KeyStat, ...]] = (
    TopCount("top_prefix_n", "prefix", doc="requests with the most used prefix"),
    TopCount("top_suffix_n", "suffix", doc="requests with the most used suffix"),
    TopCount("top_system_n", "system", doc="requests with the most used system prompt"),
    DistinctCount("distinct_prefixes", "prefix"),
    DistinctCount("distinct_ips", "ip"),
    DistinctCount("distinct_user_agents", "user_agent"),
    DistinctCount("distinct_api_keys", "api_key"),
    DistinctCount("distinct_models", "model"),
    *(
        TopCountIn(
            f"top_{k}_cot_n",
            k,
            f"cot_{k}",
            doc=f"chain-of-thought requests inside the most used {k}",
        )
        for k in COT_KEY_KINDS
    ),
)

#: Account attributes.  The tier and organisation are those of the account's latest
#: request that names one (an upgraded account is judged on its current tier); the
#: sign-up time is the earliest one given.
ATTRIBUTES: Final[tuple[Part, ...]] = (
    Latest("tier", col("account_tier"), doc="tier of the latest request that names one"),
    Latest("org_id", col("org_id"), doc="organisation of the latest request that names one"),
    Latest("client_family", col("client_family"), doc="client family of the latest request"),
    Min("account_created_at", col("account_created_at"), doc="earliest sign-up time given"),
)

PROFILE: Final = ProfileSpec(PARTS, KEYS, KEY_STATS, ATTRIBUTES)


def feeds(signal: str, spec: ProfileSpec = PROFILE) -> tuple[str, ...]:
    """Names of the parts and key kinds that read an output column of ``signal``.

    >>> feeds("harvest_params")  # doctest: +NORMALIZE_WHITESPACE
    ('harvest_score_sum', 'p_high_effort', 'p_large_max_tokens', 'p_logit_bias',
     'p_logprobs', 'p_n_gt1')
    """
    from distillguard.signals import REGISTRY, available

    available()
    outputs = {f.name for f in REGISTRY[signal].outputs}
    readers = spec.readers()
    return tuple(sorted({name for c in outputs for name in readers.get(c, ())}))
