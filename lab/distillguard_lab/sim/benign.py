"""Benign populations: people chatting, developers, applications, evaluators, organisations.

Each generator creates its accounts and appends their requests to the shared
builder.  Content is real: ShareGPT conversations for people, real benchmark items
for evaluators, real text inside fixed templates for applications.  Several of
these look automated or templated on purpose; they are the hard negatives.
"""

from __future__ import annotations

import numpy as np

from distillguard_lab.sim import elicitation, templates
from distillguard_lab.sim.builder import Params
from distillguard_lab.sim.context import REASONING_MODELS, SimContext
from distillguard_lab.sim.identity import (
    Account,
    datacenter_block,
    hex_id,
    ips_in_block,
    past_signup,
    pick_user_agents,
    residential_ip,
    weighted_choice,
)
from distillguard_lab.sim.pools import Cursor
from distillguard_lab.sim.scenario import Population
from distillguard_lab.sim.timing import (
    US_PER_DAY,
    US_PER_S,
    allocate_volumes,
    burst_runs,
    draw_local_times,
    draw_timezones,
    poisson_times,
    profile,
    think_times_s,
)

_DEV_SYSTEMS = (
    None,
    None,
    "You are a helpful coding assistant.",
    "You are an expert software engineer. Answer with code when possible.",
    "You are a senior Python developer. Be concise.",
    "You help me debug. Explain the root cause first.",
)
_CHAT_SYSTEMS = (
    None,
    None,
    None,
    None,
    "You are a helpful assistant.",
    "You are ChatGPT, a large language model.",
)
_TOOLS = [
    {"type": "function", "function": {"name": "run_tests", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}},
]


def _new_account(
    ctx: SimContext, rng: np.random.Generator, pop: Population, role: str, **kw: object
) -> Account:
    tz = float(draw_timezones(rng, 1)[0])
    tier = weighted_choice(rng, pop.tiers)
    return Account(
        account_id=hex_id(rng, "acct_"),
        org_id=str(kw.get("org_id") or hex_id(rng, "org_", 6)),
        role=role,
        tier=tier,
        created_at_us=int(kw.get("created_at_us") or past_signup(rng, ctx.start_us)),  # type: ignore[call-overload]
        api_keys=[hex_id(rng, "key_", 6) for _ in range(int(rng.integers(1, 3)))],
        ips=list(kw.get("ips") or [residential_ip(rng) for _ in range(int(rng.integers(1, 4)))]),  # type: ignore[call-overload]
        user_agents=list(
            kw.get("user_agents")
            or pick_user_agents(rng, ("chat-apps", "openai-python", "openai-node"), 1)
        ),  # type: ignore[call-overload]
        payment=kw.get("payment", None if tier in ("free", "edu") else hex_id(rng, "pm_")),  # type: ignore[arg-type]
        tz=tz,
        model_weights=pop.models,
    )


def _new_this_week(
    ctx: SimContext, rng: np.random.Generator, pop: Population, acct_idx: int, first_event: int
) -> None:
    """Some accounts signed up this week: sign-up just before the first request.

    Called after the account's requests were added (from builder position
    ``first_event`` on); with probability ``pop.new_account_share`` its sign-up moves
    to minutes or hours (log-normal, median 30 minutes) before its first request.
    """
    if rng.random() >= pop.new_account_share or len(ctx.builder) <= first_event:
        return
    first = min(ctx.builder.ts[first_event:])
    lag_s = float(rng.lognormal(np.log(1800.0), 1.5))
    ctx.accounts[acct_idx].created_at_us = int(first - lag_s * US_PER_S)


def _person_params(rng: np.random.Generator, model: str, stream_rate: float, dev: bool) -> Params:
    p = Params()
    if rng.random() < 0.5:
        p.temperature = float(rng.choice([0.0, 0.2, 0.5, 0.6, 0.7, 0.8, 1.0]))
    if rng.random() < stream_rate:
        p.stream = True
    if rng.random() < (0.35 if dev else 0.15):
        p.max_tokens = int(rng.choice([512, 1024, 2048, 4096, 8192, 16000, 32000]))
    if model in REASONING_MODELS and rng.random() < 0.4:
        p.reasoning_effort = str(rng.choice(["low", "medium", "high"], p=[0.2, 0.5, 0.3]))
    if dev:
        if rng.random() < 0.08:
            p.tools = _TOOLS
        if rng.random() < 0.03:
            p.n = int(rng.choice([2, 3, 4, 5, 8]))
        if rng.random() < 0.03:
            p.logprobs = True
            p.top_logprobs = int(rng.choice([1, 2, 3, 5, 10, 20]))
    return p


def _conversation_sessions(
    ctx: SimContext,
    rng: np.random.Generator,
    acct_idx: int,
    volume: int,
    cursors: list[tuple[Cursor, list[list[int]], float]],
    prof_name: str,
    dev: bool,
    explain_rate: float,
    weekend_factor: float,
) -> None:
    """Spend ``volume`` requests on whole real conversations, turn after turn."""
    acct = ctx.accounts[acct_idx]
    b = ctx.builder
    prof = profile(prof_name)
    web_client = any(
        not ua.startswith(("OpenAI", "Async", "python", "curl")) for ua in acct.user_agents
    )
    left = volume
    weights = np.asarray([w for _, _, w in cursors])
    while left > 0:
        ci = int(rng.choice(len(cursors), p=weights / weights.sum()))
        cursor, convs, _ = cursors[ci]
        conv_i, epoch = cursor.next()
        rows = convs[conv_i][:left]
        left -= len(rows)
        start = int(
            draw_local_times(rng, 1, ctx.start_us, ctx.days, prof, acct.tz, weekend_factor)[0]
        )
        gaps = think_times_s(rng, len(rows))
        gaps[0] = 0.0
        times = start + (np.cumsum(gaps) * US_PER_S).astype(np.int64)
        model = weighted_choice(rng, acct.model_weights)
        system = (
            _DEV_SYSTEMS[int(rng.integers(len(_DEV_SYSTEMS)))]
            if dev
            else _CHAT_SYSTEMS[int(rng.integers(len(_CHAT_SYSTEMS)))]
        )
        conv_id = hex_id(rng, "conv_", 6) if web_client or rng.random() < 0.3 else None
        ip = acct.ips[int(rng.integers(len(acct.ips)))]
        key = acct.api_keys[int(rng.integers(len(acct.api_keys)))]
        ua = acct.user_agents[int(rng.integers(len(acct.user_agents)))]
        texts = [ctx.text_of(r, epoch, rng) for r in rows]
        for j, row in enumerate(rows):
            text = texts[j]
            family = None
            if explain_rate and rng.random() < explain_rate:
                ask = elicitation.BENIGN_REASONING_ASKS[
                    int(rng.integers(len(elicitation.BENIGN_REASONING_ASKS)))
                ]
                text = ask.replace("{task}", text)
                family = "benign_explain"
            msgs: list[tuple[str, str]] = [("system", system)] if system else []
            msgs += ctx.history(rows, texts, j)
            msgs.append(("user", text))
            params = _person_params(rng, model, 0.8 if web_client else 0.2, dev)
            b.add(
                ts=int(times[j]),
                account=acct_idx,
                api_key=key,
                ip=ip,
                user_agent=ua,
                model=model,
                messages=msgs,
                params=params,
                conversation_id=conv_id,
                completion_tokens=ctx.completion_tokens(row, rng),
                reasoning_tokens=ctx.reasoning_tokens(model, rng, params.reasoning_effort),
                status=200 if rng.random() > 0.004 else int(rng.choice([429, 500, 400])),
                is_attack=False,
                is_cover=False,
                source=ctx.pools.sources[row],
                capability=ctx.pools.capabilities[row],
                family=family,
                language=ctx.pools.languages[row],
            )


def chat_users(ctx: SimContext, rng: np.random.Generator, pop: Population, events: int) -> None:
    """People chatting through apps and SDKs: multi-turn, evenings, heavy-tailed volume."""
    vols = allocate_volumes(rng, events, pop.accounts, pop.volume_alpha)
    for v in vols:
        idx = ctx.add_account(_new_account(ctx, rng, pop, "chat_user"))
        first_event = len(ctx.builder)
        _conversation_sessions(
            ctx,
            rng,
            idx,
            int(v),
            [(ctx.chat_cursor, ctx.pools.chat_convs, 1.0)],
            "personal",
            dev=False,
            explain_rate=pop.explain_rate,
            weekend_factor=1.2,
        )
        _new_this_week(ctx, rng, pop, idx, first_event)


def developers(ctx: SimContext, rng: np.random.Generator, pop: Population, events: int) -> None:
    """Developers: coding-heavy conversations in office hours, SDK clients, bigger params."""
    vols = allocate_volumes(rng, events, pop.accounts, pop.volume_alpha)
    sdk = ("openai-python", "openai-node", "httpx", "requests", "frameworks", "curl", "go", "java")
    for v in vols:
        acct = _new_account(ctx, rng, pop, "developer", user_agents=pick_user_agents(rng, sdk, 2))
        idx = ctx.add_account(acct)
        first_event = len(ctx.builder)
        _conversation_sessions(
            ctx,
            rng,
            idx,
            int(v),
            [
                (ctx.dev_cursor, ctx.pools.dev_convs, 0.7),
                (ctx.chat_cursor, ctx.pools.chat_convs, 0.3),
            ],
            "office",
            dev=True,
            explain_rate=pop.explain_rate,
            weekend_factor=0.4,
        )
        _new_this_week(ctx, rng, pop, idx, first_event)


def app_integrations(
    ctx: SimContext, rng: np.random.Generator, pop: Population, events: int
) -> None:
    """Products calling the API around the clock with fixed templates filled with real text."""
    vols = allocate_volumes(rng, events, pop.accounts, pop.volume_alpha)
    pools = ctx.pools
    b = ctx.builder
    for v in vols:
        block = datacenter_block(rng)
        acct = _new_account(
            ctx,
            rng,
            pop,
            "app_integration",
            ips=ips_in_block(rng, block, int(rng.integers(1, 5))),
            user_agents=pick_user_agents(
                rng, ("openai-python", "openai-node", "httpx", "frameworks", "go", "java"), 1
            ),
        )
        idx = ctx.add_account(acct)
        n_t = int(rng.integers(1, 4))
        chosen = [
            templates.APP_TEMPLATES[int(i)]
            for i in rng.choice(len(templates.APP_TEMPLATES), size=n_t, replace=False)
        ]
        # Each product words its prompt its own way: paraphrase the shared template once,
        # and feed it its own users' text of the kind it handles.
        own = []
        for t in chosen:
            user_t = elicitation.paraphrase(t.user, rng, 0.3)
            rows = pools.app_rows_by_cap.get(t.capability, [])
            if len(rows) < 50:
                rows = pools.app_rows
            own.append((t, user_t, rows, Cursor(len(rows), rng)))
        model = weighted_choice(rng, acct.model_weights)
        times = np.sort(poisson_times(rng, int(v), ctx.start_us, ctx.days, profile("service")))
        first_event = len(b)
        for t_us in times:
            t, user_t, rows, cursor = own[int(rng.integers(len(own)))]
            pos, epoch = cursor.next()
            row = rows[pos]
            reply = pools.responses[row]
            if reply and rng.random() < 0.5:
                filler = ctx.fresh(reply, rng)  # e.g. summarise/translate a longer document
            else:
                filler = ctx.text_of(row, epoch, rng)
            user = user_t.replace("{text}", filler[:4000])
            msgs: list[tuple[str, str]] = [("system", t.system)] if t.system else []
            msgs.append(("user", user))
            params = Params(temperature=t.temperature, max_tokens=t.max_tokens)
            if t.capability == "agentic":
                params.tools = _TOOLS
            b.add(
                ts=int(t_us),
                account=idx,
                api_key=acct.api_keys[0],
                ip=acct.ips[int(rng.integers(len(acct.ips)))],
                user_agent=acct.user_agents[0],
                model=model,
                messages=msgs,
                params=params,
                conversation_id=None,
                completion_tokens=min(t.max_tokens, ctx.completion_tokens(None, rng, 180.0)),
                reasoning_tokens=ctx.reasoning_tokens(model, rng, None, 300.0),
                status=200 if rng.random() > 0.01 else 429,
                is_attack=False,
                is_cover=False,
                source=f"app:{t.id}",
                capability=t.capability,
                family=None,
                language=pools.languages[row],
            )
        _new_this_week(ctx, rng, pop, idx, first_event)


def eval_users(
    ctx: SimContext, rng: np.random.Generator, pop: Population, events: int, shared: bool
) -> None:
    """Researchers running public benchmarks: bursty runs, temperature 0, verbatim items."""
    pools = ctx.pools
    b = ctx.builder
    suites = sorted(pools.benchmarks)
    if not suites:
        return
    vols = allocate_volumes(rng, events, pop.accounts, pop.volume_alpha)
    for v in vols:
        acct = _new_account(
            ctx,
            rng,
            pop,
            "eval_user",
            user_agents=pick_user_agents(rng, ("openai-python", "httpx", "frameworks"), 1),
        )
        if rng.random() < 0.5:
            acct.ips = ips_in_block(rng, datacenter_block(rng), 2)
        idx = ctx.add_account(acct)
        sizes: list[int] = []
        left = int(v)
        while left > 0:
            s = min(left, int(rng.integers(20, 400)))
            sizes.append(s)
            left -= s
        times = burst_runs(rng, sizes, ctx.start_us, ctx.days, profile("office"), acct.tz, 1.2)
        first_event = len(b)
        pos = 0
        for size in sizes:
            suite = suites[int(rng.integers(len(suites)))]
            items = pools.benchmarks[suite]
            first = int(rng.integers(len(items)))
            model = weighted_choice(rng, acct.model_weights)
            pass_at_k = suite == "human_eval" and rng.random() < 0.4
            with_logprobs = rng.random() < 0.2
            max_tokens = int(rng.choice([256, 512, 1024, 2048, 4096]))
            for j in range(size):
                row = items[(first + j) % len(items)]
                text = pools.texts[row] if shared else ctx.text_of(row, 1, rng)
                msgs: list[tuple[str, str]] = []
                if pools.systems[row]:
                    msgs.append(("system", str(pools.systems[row])))
                msgs.append(("user", text))
                params = Params(temperature=0.0, max_tokens=max_tokens)
                if pass_at_k:
                    params.n = int(rng.choice([5, 10, 20]))
                    params.temperature = 0.8
                if with_logprobs:
                    params.logprobs = True
                    params.top_logprobs = 5
                b.add(
                    ts=int(times[pos]),
                    account=idx,
                    api_key=acct.api_keys[0],
                    ip=acct.ips[int(rng.integers(len(acct.ips)))],
                    user_agent=acct.user_agents[0],
                    model=model,
                    messages=msgs,
                    params=params,
                    conversation_id=None,
                    completion_tokens=min(max_tokens, ctx.completion_tokens(row, rng, 250.0)),
                    reasoning_tokens=ctx.reasoning_tokens(model, rng, None),
                    status=200 if rng.random() > 0.02 else 429,
                    is_attack=False,
                    is_cover=False,
                    source=pools.sources[row],
                    capability=pools.capabilities[row],
                    family=None,
                    language=pools.languages[row],
                )
                pos += 1
        _new_this_week(ctx, rng, pop, idx, first_event)


def org_members(ctx: SimContext, rng: np.random.Generator, pop: Population, events: int) -> None:
    """Many accounts of one organisation behind one office or campus address.

    They share an address block, often a payment method, and were created in an
    onboarding burst: everything a naive hydra detector looks for, all legitimate.
    """
    university = pop.org_kind == "university"
    role = "university_member" if university else "org_member"
    lo, hi = pop.org_size
    sizes = rng.integers(lo, hi + 1, size=pop.orgs).astype(np.float64)
    sizes = np.maximum(1, np.round(sizes * pop.accounts / sizes.sum())).astype(np.int64)
    total_accounts = int(sizes.sum())
    vols = allocate_volumes(rng, events, total_accounts, pop.volume_alpha)
    k = 0
    for size in sizes:
        org_id = hex_id(rng, "org_", 6)
        office = ips_in_block(
            rng,
            datacenter_block(rng) if not university else residential_ip(rng, 0.0).rsplit(".", 1)[0],
            int(rng.integers(2, 8)),
        )
        card = None if university else hex_id(rng, "pm_")
        # Onboarding day (company) or start of term (university).
        # The burst ends 5 to 400 days before the week (never inside it: no member
        # may send a request before signing up).
        burst_len = (14 if university else 3) * US_PER_DAY
        burst_start = ctx.start_us - int(rng.uniform(5, 400) * US_PER_DAY) - burst_len
        for _ in range(int(size)):
            home = [residential_ip(rng)] if rng.random() < 0.4 else []
            acct = _new_account(
                ctx,
                rng,
                pop,
                role,
                org_id=org_id,
                ips=office + home,
                created_at_us=burst_start + int(rng.integers(0, burst_len)),
                payment=card,
                user_agents=pick_user_agents(
                    rng, ("chat-apps", "openai-python", "frameworks", "openai-node"), 1
                ),
            )
            idx = ctx.add_account(acct)
            dev_share = 0.3 if university else 0.5
            _conversation_sessions(
                ctx,
                rng,
                idx,
                int(vols[k]),
                [
                    (ctx.dev_cursor, ctx.pools.dev_convs, dev_share),
                    (ctx.chat_cursor, ctx.pools.chat_convs, 1 - dev_share),
                ],
                "office",
                dev=not university,
                explain_rate=pop.explain_rate,
                weekend_factor=0.5,
            )
            k += 1
