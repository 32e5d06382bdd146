"""Distillation campaigns: many accounts, one harvest.

Behaviour follows public threat reports (see ``docs/scenarios.md``): accounts
created in bursts on farmed tiers, shared proxies and payment methods, requests
load-balanced round-robin over the pool and kept under per-account rate limits,
real coding/math/reasoning tasks wrapped in narrow templates and chain-of-thought
elicitation (in several languages), harmless cover traffic, timing jitter,
paraphrased templates, and requests for many samples or logprobs.
"""

from __future__ import annotations

import numpy as np

from distillguard.errors import ScenarioError
from distillguard_lab.sim import elicitation, templates
from distillguard_lab.sim.builder import Params
from distillguard_lab.sim.context import REASONING_MODELS, SimContext
from distillguard_lab.sim.identity import (
    Account,
    datacenter_block,
    hex_id,
    ips_in_block,
    pick_user_agents,
    residential_ip,
    weighted_choice,
)
from distillguard_lab.sim.pools import Cursor
from distillguard_lab.sim.scenario import Campaign
from distillguard_lab.sim.timing import US_PER_DAY, US_PER_H, US_PER_S, profile


def _families(c: Campaign) -> list[elicitation.ElicitationFamily]:
    if isinstance(c.families, tuple):
        return [elicitation.family(f) for f in c.families]
    if c.families == "all":
        return list(elicitation.FAMILIES)
    return [f for f in elicitation.FAMILIES if elicitation.FAMILY_SPLIT[f.id] == c.families]


def _proxy_pool(rng: np.random.Generator, c: Campaign) -> list[str]:
    if c.proxy_kind == "residential":
        return [residential_ip(rng, 0.1) for _ in range(c.proxies)]
    ips: list[str] = []
    while len(ips) < c.proxies:
        ips += ips_in_block(rng, datacenter_block(rng), min(8, c.proxies - len(ips)))
    return ips


def _hour_weights(c: Campaign) -> np.ndarray:
    """Weights of the 24 UTC hours: the campaign's rhythm inside its active hours."""
    lo_h, hi_h = c.active_hours
    local = profile(c.hour_profile)
    w = np.zeros(24)
    for h in range(lo_h, hi_h):
        w[h] = local[int(np.floor(h + c.utc_offset)) % 24]
    out: np.ndarray = w / w.sum()
    return out


def _account_ips(rng: np.random.Generator, c: Campaign, proxies: list[str]) -> list[str]:
    """The addresses one account sends from: a few of the pool's, kept for good."""
    lo, hi = c.ips_per_account
    k = min(len(proxies), int(rng.integers(lo, hi + 1)))
    return [proxies[int(i)] for i in rng.choice(len(proxies), size=k, replace=False)]


def _request_times(
    rng: np.random.Generator, ctx: SimContext, c: Campaign, counts: np.ndarray
) -> list[np.ndarray]:
    """Per-account sorted request times."""
    begin = ctx.start_us + int(c.start_day * US_PER_DAY)
    span_days = c.duration_days
    hour_w = _hour_weights(c)
    total = int(counts.sum())

    def active_times(n: int, t0: int, days: float) -> np.ndarray:
        day = rng.integers(0, max(int(np.ceil(days)), 1), size=n)
        hour = rng.choice(24, size=n, p=hour_w) + rng.random(n)
        t = t0 + day * US_PER_DAY + (hour * US_PER_H).astype(np.int64)
        return np.minimum(t, t0 + int(days * US_PER_DAY) - 1)

    jitter = (np.abs(rng.normal(0.0, c.jitter_s, size=total)) * US_PER_S).astype(np.int64)
    out: list[np.ndarray] = []
    if c.round_robin:
        # A load balancer hands the next task to the next account in the pool.
        times = np.sort(active_times(total, begin, span_days))
        order_acc = np.concatenate([np.full(int(k), i) for i, k in enumerate(counts)])
        order_round = np.concatenate([np.arange(int(k)) for k in counts])
        seq = np.lexsort((order_acc, order_round))  # by round, then account position
        assigned = np.empty(total, dtype=np.int64)
        assigned[seq] = times + jitter
        pos = 0
        for k in counts:
            out.append(np.sort(assigned[pos : pos + int(k)]))
            pos += int(k)
        return out
    # Independent workers: each account runs a scripted loop in sessions, paced
    # just under the operator's per-account ceiling.  The loop sends the next task
    # when the answer is in, so gaps vary as much as the latency of long reasoning
    # answers does (seconds to minutes): log-normal, sigma 0.7.
    pos = 0
    interval_s = 3600.0 / c.max_per_hour
    for k in counts:
        k = int(k)
        n_sessions = max(1, int(np.ceil(k / max(1.0, c.max_per_hour * 3))))
        starts = np.sort(active_times(n_sessions, begin, span_days))
        per = np.array_split(np.arange(k), n_sessions)
        ts = np.empty(k, dtype=np.int64)
        free_at = 0  # one worker per account: a session starts after the last one ended
        for s_start, idxs in zip(starts, per, strict=True):
            gaps = rng.lognormal(np.log(interval_s * 1.05), 0.7, size=len(idxs))
            at = max(int(s_start), free_at)
            ts[idxs] = at + (np.cumsum(gaps) * US_PER_S).astype(np.int64)
            free_at = int(ts[idxs[-1]]) + int(interval_s * US_PER_S)
        out.append(np.sort(ts + jitter[pos : pos + k]))
        pos += k
    return out


def campaign(
    ctx: SimContext, rng: np.random.Generator, c: Campaign, accounts: int, volume_factor: float
) -> None:
    """Create the campaign's accounts and append all of their requests."""
    pools = ctx.pools
    b = ctx.builder
    fams = _families(c)
    if not fams:
        raise ScenarioError(f"campaign {c.id}: no elicitation families selected", field="families")
    fam_by_lang: dict[str, list[elicitation.ElicitationFamily]] = {}
    for f in fams:
        fam_by_lang.setdefault(f.language, []).append(f)
    lang_w = {k: w for k, w in c.languages.items() if k in fam_by_lang} or {"en": 1.0}
    if not set(lang_w) & set(fam_by_lang):
        lang_w = {next(iter(fam_by_lang)): 1.0}
    targets = {k: w for k, w in c.targets.items() if pools.attack_tasks.get(k)}
    if not targets:
        raise ScenarioError(
            f"campaign {c.id}: the corpus has no tasks for targets {sorted(c.targets)}"
        )
    task_cursors = {k: Cursor(len(pools.attack_tasks[k]), rng) for k in targets}
    proxies = _proxy_pool(rng, c)
    cards = [hex_id(rng, "pm_") for _ in range(c.payment_methods)]
    burst0 = ctx.start_us + int((c.start_day - c.signup_days_before) * US_PER_DAY)
    harvest_ts = [
        templates.HARVEST_TEMPLATES[int(i)]
        for i in rng.choice(
            len(templates.HARVEST_TEMPLATES),
            size=min(3, len(templates.HARVEST_TEMPLATES)),
            replace=False,
        )
    ]

    lo, hi = c.requests_per_account
    counts = rng.integers(lo, hi + 1, size=accounts)
    if volume_factor < 1.0:
        counts = np.maximum(1, np.round(counts * volume_factor)).astype(np.int64)
    times = _request_times(rng, ctx, c, counts)
    operator_org = hex_id(rng, "org_", 6)

    for a in range(accounts):
        tier = weighted_choice(rng, c.tiers)
        payment = cards[int(rng.integers(len(cards)))] if cards else None
        # Farmed programs hand out separate organisations; some operators reuse one.
        org = operator_org if rng.random() < 0.1 else hex_id(rng, "org_", 6)
        acct = Account(
            account_id=hex_id(rng, "acct_"),
            org_id=org,
            role="attacker",
            tier=tier,
            created_at_us=burst0 + int(rng.uniform(0, c.signup_burst_hours) * US_PER_H),
            api_keys=[hex_id(rng, "key_", 6)],
            ips=_account_ips(rng, c, proxies),
            user_agents=pick_user_agents(rng, c.user_agents, 1),
            payment=payment,
            tz=0.0,
            model_weights=c.models,
            campaign_id=c.id,
        )
        idx = ctx.add_account(acct)
        k = int(counts[a])
        n_cover = int(np.ceil(c.cover_fraction * k)) if c.cover_fraction > 0 else 0
        cover_mask = np.zeros(k, dtype=bool)
        cover_mask[rng.choice(k, size=min(n_cover, k), replace=False)] = True
        tmpl = harvest_ts[int(rng.integers(len(harvest_ts)))]
        user_t = tmpl.user
        if rng.random() < c.paraphrase:
            user_t = elicitation.paraphrase(user_t.replace("{text}", "{task}"), rng, 0.6).replace(
                "{task}", "{text}"
            )
        lang = weighted_choice(rng, lang_w)
        acct_fams = fam_by_lang[lang]
        model = weighted_choice(rng, c.models)
        for j in range(k):
            ts = int(times[a][j])
            ip = acct.ips[int(rng.integers(len(acct.ips)))]
            if cover_mask[j]:
                conv_i, epoch = ctx.cover_cursor.next()
                row = pools.cover_convs[conv_i][0]
                text = ctx.text_of(row, epoch, rng)
                params = Params(
                    temperature=float(rng.choice([0.7, 1.0])) if rng.random() < 0.5 else None
                )
                cmodel = weighted_choice(rng, {"chat-large": 0.6, "reasoner-1-mini": 0.4})
                b.add(
                    ts=ts,
                    account=idx,
                    api_key=acct.api_keys[0],
                    ip=ip,
                    user_agent=acct.user_agents[0],
                    model=cmodel,
                    messages=[("user", text)],
                    params=params,
                    conversation_id=None,
                    completion_tokens=ctx.completion_tokens(row, rng),
                    reasoning_tokens=ctx.reasoning_tokens(cmodel, rng, None),
                    status=200,
                    is_attack=True,
                    is_cover=True,
                    source=pools.sources[row],
                    capability=pools.capabilities[row],
                    family=None,
                    language=pools.languages[row],
                )
                continue
            cap = weighted_choice(rng, targets)
            pos, epoch = task_cursors[cap].next()
            row = pools.attack_tasks[cap][pos]
            task = ctx.text_of(row, epoch, rng)
            user = user_t.replace("{text}", task)
            family = None
            if rng.random() < c.elicitation_rate:
                fam = acct_fams[int(rng.integers(len(acct_fams)))]
                user = elicitation.wrap(user, fam, rng)
                family = fam.id
            msgs: list[tuple[str, str]] = [("system", tmpl.system)] if tmpl.system else []
            msgs.append(("user", user))
            params = Params(max_tokens=c.max_tokens, temperature=float(rng.choice([0.6, 0.8, 1.0])))
            if rng.random() < c.n_rate:
                params.n = int(rng.choice([k for k in (2, 3, 4, 5, 8) if k <= c.n_max] or [1]))
            if rng.random() < c.logprobs_rate:
                params.logprobs = True
                params.top_logprobs = int(rng.choice([5, 10, 20]))
            if model in REASONING_MODELS and rng.random() < c.high_effort_rate:
                params.reasoning_effort = "high"
            b.add(
                ts=ts,
                account=idx,
                api_key=acct.api_keys[0],
                ip=ip,
                user_agent=acct.user_agents[0],
                model=model,
                messages=msgs,
                params=params,
                conversation_id=None,
                completion_tokens=min(
                    c.max_tokens,
                    ctx.answer_tokens(cap, rng, c.elicited_answer_factor if family else 1.0),
                ),
                reasoning_tokens=ctx.reasoning_tokens(model, rng, params.reasoning_effort, 1500.0),
                status=200 if rng.random() > 0.02 else 429,
                is_attack=True,
                is_cover=False,
                source=pools.sources[row],
                capability=cap,
                family=family,
                language=fam.language if family else pools.languages[row],
            )
