"""Informed strategies: the base class, the registry, and what a strategy costs and takes.

A strategy is a dataclass whose fields are its parameters (budgets, sizes, how close
to the thresholds it dares to go), registered under a stable snake_case ``name``
(:func:`register`; :func:`available`, :func:`create`).  It says how one harvested
request is worded (:meth:`Strategy.contents`) and, optionally, which tasks it draws
(:meth:`Strategy.task_pool`) and who its accounts appear to be
(:meth:`Strategy.new_identity`); the base class does the rest (:meth:`Strategy.run`):

1. **Plan accounts** modelled on benign personas (:mod:`.benign`): requests per
   account from the benign counts, a share of real ShareGPT cover conversations,
   harvested tasks at the persona's hours, persona parameters the signals do not
   flag.
2. **Fit them under the thresholds** (adaptive strategies): the planned traffic is
   scanned by the shipped product (:meth:`~.detector.Detector.scan_own`: signals,
   profiles, scoring, calibration, linkers and campaigns, on the attacker's own
   traffic beside a proxy population it simulated itself, ``Context.population``, so
   that tests against the population are seen); an account scoring at or above the
   *aim* (``aim`` of the way from the shipped ``watch`` to the ``restrict``
   threshold), flagged, or linked into a
   campaign sends fewer harvested tasks (``shrink``) and, if linked, gets a new
   identity; up to ``rounds`` scans; what is still over is abandoned.
3. **Buy more accounts** until the harvest budget is met (``waves``), within
   ``max_accounts``.

Every account, address, card, sign-up, request and scan is counted
(:class:`StrategyReport`), with the value taken: requests for a fully worked
solution, distinct tasks, tokens returned.  Direction: a strategy *wins* when its
accounts stay below ``restrict`` while it takes its harvest.
"""

from __future__ import annotations

import datetime as dt
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Final, TypeVar

import numpy as np
import pyarrow as pa

from distillguard.errors import DistillguardError
from distillguard_lab.redteam.informed.benign import DEFAULT_ROLES, BenignModel, Persona
from distillguard_lab.redteam.informed.detector import FLAGGED, Detector
from distillguard_lab.redteam.informed.events import Account, Identity, Message, Request, tables
from distillguard_lab.redteam.informed.tasks import (
    CoverPool,
    TaskDraw,
    TaskPool,
    probe_sample,
    silent_pool,
)
from distillguard_lab.redteam.informed.wording import Phrases, Rewording
from distillguard_lab.sim.corpus import Corpus

#: Harvested answers must be allowed to be long: a persona's smaller cap is dropped.
MIN_MAX_TOKENS: Final = 2_048
_HOUR: Final = 3_600.0


class InformedError(DistillguardError):
    """Invalid informed red-team configuration or input."""


@dataclass(frozen=True)
class Content:
    """How one harvested request reads: its messages, extra parameters and family."""

    messages: list[Message]
    family: str
    params: dict[str, Any] | None = None


@dataclass
class Context:
    """What every strategy of one generation shares: the detector under test, the
    benign distribution, the corpus pools, the wording, the window and the scale."""

    detector: Detector
    benign: BenignModel
    corpus: Corpus
    tasks: TaskPool
    cover: CoverPool
    phrases: Phrases
    #: Window (epoch seconds) the traffic must lie in.
    t0: float
    t1: float
    #: Budgets are for a ~200,000-event background; they scale with this factor.
    scale: float = 1.0
    #: Results shared between strategies (the quiet pool is computed once).
    shared: dict[str, Any] = field(default_factory=dict)
    #: A proxy of the provider's other users the attacker simulated itself (public
    #: simulator, its own seed), scanned with its own traffic in self-scans.
    population: pa.Table | None = None


@dataclass
class StrategyReport:
    """What a strategy cost and what it took (plain JSON via :meth:`to_dict`)."""

    name: str
    cost: dict[str, Any]
    value: dict[str, Any]
    search: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "cost": self.cost, "value": self.value, "search": self.search}


@dataclass
class StrategyResult:
    """A strategy's accounts, its tables and its report."""

    accounts: list[Account]
    events: pa.Table
    labels: pa.Table
    event_labels: pa.Table
    report: StrategyReport


@dataclass
class Run:
    """One run of one strategy: its random stream, search statistics and scratch state
    (kept here, not on the strategy, which only holds its parameters)."""

    rng: np.random.Generator
    search: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, value: Any) -> None:
        """Record a search statistic in this run's report."""
        self.search[key] = value


@dataclass
class _Pending:
    account: int
    slot: int
    task: int


@dataclass
class Strategy(ABC):
    """An informed attack strategy (fields are parameters; see the module doc)."""

    name: ClassVar[str]
    description: ClassVar[str]
    #: What of the detector it reads and adapts to, in words (for reports and docs).
    adapts_to: ClassVar[tuple[str, ...]]
    #: Fit accounts under the thresholds with self-scans (the control does not).
    adaptive: ClassVar[bool] = True

    #: Harvested requests wanted, at scale 1.
    harvest: int = 3_000
    #: Share of each account's requests that are cover conversations.
    cover_share: float = 0.0
    #: Requests per account are drawn from the benign counts within these bounds.
    min_requests: int = 6
    max_requests: int = 60
    #: Where an account's self-scanned score must stay: this share of the way from
    #: the shipped watch threshold to the restrict threshold.
    aim: float = 0.5
    #: Accounts it may create, at scale 1.
    max_accounts: int = 2_000
    waves: int = 3
    rounds: int = 4
    #: Share of harvested requests an account over the aim keeps, per round.
    shrink: float = 0.6
    #: Benign roles its personas are drawn from.
    roles: tuple[str, ...] = DEFAULT_ROLES
    #: Rewording candidates tried per language.
    search_budget: int = 400
    #: Times one task may be harvested.
    max_task_uses: int = 3
    #: Send a harvested task as a follow-up inside a real conversation (after a
    #: ShareGPT turn and its answer) as often as the persona's requests are follow-ups.
    threaded: bool = False

    def check(self) -> list[tuple[str, str]]:
        """Problems with the parameters as (field, message)."""
        out = []
        if self.harvest < 1:
            out.append(("harvest", "must be >= 1"))
        if not 0.0 <= self.cover_share < 1.0:
            out.append(("cover_share", "must be in [0, 1)"))
        if not 1 <= self.min_requests <= self.max_requests:
            out.append(("min_requests", "must be >= 1 and <= max_requests"))
        if not 0.0 <= self.aim <= 1.0:
            out.append(("aim", "must be in [0, 1]"))
        if not 0.0 < self.shrink < 1.0:
            out.append(("shrink", "must be in (0, 1)"))
        for name in ("max_accounts", "waves", "rounds", "search_budget", "max_task_uses"):
            if getattr(self, name) < 1:
                out.append((name, "must be >= 1"))
        if not self.roles:
            out.append(("roles", "name at least one role"))
        return out

    # ------------------------------------------------------------------ hooks

    def task_pool(self, ctx: Context) -> TaskPool:
        """The tasks it harvests (default: every coding, math and reasoning task)."""
        return ctx.tasks

    def languages(self, ctx: Context, run: Run, pool: TaskPool) -> dict[str, float]:
        """Languages its accounts write in, with weights (default: the wording file's)."""
        del run, pool
        return dict(ctx.phrases.languages)

    @abstractmethod
    def contents(
        self,
        ctx: Context,
        run: Run,
        idents: Sequence[Identity],
        tasks: Sequence[str],
    ) -> list[Content | None]:
        """Each harvested request's content (None: this task cannot be sent unflagged)."""

    def new_identity(
        self, ctx: Context, run: Run, n_slots: int
    ) -> tuple[Identity, list[float], Persona | None]:
        """A fresh account modelled on a benign persona: identity and slot times.

        Personas whose account the shipped policy would degrade from its first to its
        last request (static rules on tier and age) are redrawn.
        """
        rng = run.rng
        table = run.cache.get("languages") or dict(ctx.phrases.languages)
        langs = list(table)
        weights = np.array([table[k] for k in langs], dtype=np.float64)
        weights = weights / weights.sum()
        for _ in range(32):
            persona = ctx.benign.sample(rng, self.roles)
            slots = ctx.benign.slot_times(rng, persona, n_slots, ctx.t0, ctx.t1)
            lang = langs[int(rng.choice(len(langs), p=weights))]
            ident = ctx.benign.identity(rng, persona, first_request=slots[0], language=lang)
            if not self._degraded(ctx, ident, slots):
                break
        return ident, slots, persona

    @staticmethod
    def _degraded(ctx: Context, ident: Identity, slots: Sequence[float]) -> bool:
        created = dt.datetime.fromtimestamp(ident.created_at, dt.UTC)
        for t in (slots[0], slots[-1]):
            at = dt.datetime.fromtimestamp(t, dt.UTC)
            if ctx.detector.degrading_rule(ident.tier, created, at) is not None:
                return True
        return False

    def rewording(self, ctx: Context, run: Run) -> Rewording:
        """This run's rewording search (made once per run; its statistics go in the report)."""
        found = run.cache.get("rewording")
        if isinstance(found, Rewording):
            return found
        made = Rewording(ctx.phrases, ctx.detector.cot_judge, run.rng, budget=self.search_budget)
        run.cache["rewording"] = made
        return made

    # ------------------------------------------------------------------ the run

    def run(self, ctx: Context, rng: np.random.Generator) -> StrategyResult:
        """Plan, fit and buy accounts until the harvest budget is met (module doc)."""
        problems = self.check()
        if problems:
            f, msg = problems[0]
            raise InformedError(f"{self.name}: {msg}", field=f)
        run = Run(rng)
        pool = self.task_pool(ctx)
        if self.adaptive:
            key = f"silent:{hash(pool.rows.tobytes())}"
            found = ctx.shared.get(key)
            if not isinstance(found, TaskPool):
                found = ctx.shared[key] = silent_pool(pool, ctx.detector)
            pool = found
        if len(pool) == 0:
            raise InformedError(f"{self.name}: the task pool is empty")
        run.cache["probes"] = probe_sample(pool, rng)
        run.cache["languages"] = self.languages(ctx, run, pool)
        run.note("languages", dict(run.cache["languages"]))
        draw = TaskDraw(pool, rng, self.max_task_uses)
        target = max(1, round(self.harvest * ctx.scale))
        cap = max(1, round(self.max_accounts * ctx.scale))
        accepted: list[Account] = []
        created = abandoned = scans = 0
        per_account = max(1.0, (self.min_requests + self.max_requests) / 2 * (1 - self.cover_share))
        for _ in range(self.waves if self.adaptive else 1):
            need = target - sum(a.harvest for a in accepted)
            if need <= 0 or created >= cap:
                break
            n_new = min(cap - created, math.ceil(need / per_account))
            new = _trim(self._plan(ctx, run, n_new, draw, pool), need, run.rng)
            created += len(new)
            if self.adaptive:
                kept, lost, n_scans = self._fit(ctx, run, accepted, new)
                accepted, abandoned, scans = kept, abandoned + lost, scans + n_scans
            else:
                accepted += new
            new_ids = {id(a) for a in new}
            fresh = [a for a in accepted if id(a) in new_ids]
            per_account = (
                max(1.0, float(np.mean([a.harvest for a in fresh]))) if fresh else per_account / 2
            )
        accepted = [a for a in accepted if a.requests]
        events, labels, event_labels = tables(accepted, self.name, rng)
        own = ctx.detector.scan_own(events, links=True) if accepted else None
        reword = run.cache.get("rewording")
        if isinstance(reword, Rewording):
            run.note("rewording", reword.stats.to_dict())
        report = self._report(ctx, run, accepted, pool, created, abandoned, scans + 1, own)
        return StrategyResult(accepted, events, labels, event_labels, report)

    def _plan(
        self,
        ctx: Context,
        run: Run,
        n: int,
        draw: TaskDraw,
        pool: TaskPool,
    ) -> list[Account]:
        rng = run.rng
        accounts: list[Account] = []
        personas: list[Persona | None] = []
        pending: list[_Pending] = []
        for _ in range(n):
            total = ctx.benign.request_count(rng, self.roles, self.min_requests, self.max_requests)
            n_cover = int(rng.binomial(total, self.cover_share)) if self.cover_share else 0
            n_harvest = max(1, total - n_cover)
            convs = self._cover_plan(ctx, rng, n_cover)
            kinds = ["h"] * n_harvest + ["c"] * len(convs)
            rng.shuffle(kinds)
            ident, slots, persona = self.new_identity(ctx, run, len(kinds))
            acct = Account(ident, slots)
            ci = 0
            for s, kind in enumerate(kinds):
                if kind == "c":
                    acct.requests.extend(
                        self._cover_requests(ctx, rng, ident, persona, s, convs[ci])
                    )
                    ci += 1
                else:
                    task = draw.take()
                    if task is not None:
                        pending.append(_Pending(len(accounts), s, task))
            accounts.append(acct)
            personas.append(persona)
        # Word every harvested request of the wave in one batch; a task that cannot
        # be sent unflagged is swapped for another, twice, then its slot stays empty.
        for _ in range(3):
            if not pending:
                break
            contents = self.contents(
                ctx,
                run,
                [accounts[p.account].identity for p in pending],
                [pool.texts[p.task] for p in pending],
            )
            retry: list[_Pending] = []
            params = self._persona_params(ctx, rng, [personas[p.account] for p in pending])
            for p, content, base in zip(pending, contents, params, strict=True):
                if content is None:
                    task = draw.take()
                    if task is not None:
                        retry.append(_Pending(p.account, p.slot, task))
                    continue
                acct = accounts[p.account]
                acct.requests.append(
                    self._harvest_request(ctx, rng, acct.identity, personas[p.account], p, pool,
                                          content, base)
                )  # fmt: skip
            pending = retry
        for acct in accounts:
            acct.requests.sort(key=lambda r: (r.slot, r.offset))
        return accounts

    def _persona_params(
        self, ctx: Context, rng: np.random.Generator, personas: Sequence[Persona | None]
    ) -> list[dict[str, Any] | None]:
        """A parameter set per request from its persona, unless a signal flags it."""
        picks: list[dict[str, Any] | None] = []
        for persona in personas:
            if persona is None or not persona.params:
                picks.append(None)
                continue
            p = persona.params[int(rng.integers(len(persona.params)))]
            picks.append(dict(p) if p else None)
        quiet = ctx.detector.quiet_params(picks) if picks else np.zeros(0, bool)
        out: list[dict[str, Any] | None] = []
        for p, ok in zip(picks, quiet, strict=True):
            if p is None or not ok:
                out.append(None)
                continue
            if p.get("max_tokens") is not None and p["max_tokens"] < MIN_MAX_TOKENS:
                p["max_tokens"] = None
            out.append(p)
        return out

    def _harvest_request(
        self,
        ctx: Context,
        rng: np.random.Generator,
        ident: Identity,
        persona: Persona | None,
        p: _Pending,
        pool: TaskPool,
        content: Content,
        base: dict[str, Any] | None,
    ) -> Request:
        model = self._model(rng, persona)
        params = {**(base or {}), **(content.params or {})} or None
        conv = (
            "conv_" + rng.bytes(6).hex()
            if persona is not None and rng.random() < persona.conversation_share
            else None
        )
        messages = content.messages
        if self.threaded and persona is not None and rng.random() < persona.followup_share:
            messages = self._threaded(ctx, rng, messages)
        return Request(
            slot=p.slot,
            offset=0.0,
            messages=messages,
            params=params,
            model=model,
            conversation_id=conv,
            completion=_tokens(rng, 900, 0.5),
            reasoning=_tokens(rng, 1_500, 0.7) if model.startswith("reasoner") else None,
            harvest=True,
            source=pool.source[p.task],
            capability=pool.capability[p.task],
            family=content.family,
            language=ident.language if ident.language != "en" else pool.language[p.task],
            row=int(pool.rows[p.task]),
        )

    @staticmethod
    def _threaded(ctx: Context, rng: np.random.Generator, messages: list[Message]) -> list[Message]:
        """``messages`` with a real conversation's first turn and its answer before the
        last user turn (the text the signals read as the request is unchanged)."""
        convs = ctx.cover.conversations
        if not convs:
            return messages
        row = int(convs[int(rng.integers(len(convs)))][0])
        answer = (ctx.cover.responses[row] or "Sure.")[:1_500]
        head = list(messages[:-1])
        return [
            *head,
            {"role": "user", "content": ctx.cover.texts[row]},
            {"role": "assistant", "content": answer},
            messages[-1],
        ]

    @staticmethod
    def _model(rng: np.random.Generator, persona: Persona | None) -> str:
        if persona is None or not persona.models:
            return "reasoner-1"
        return persona.models[int(rng.integers(len(persona.models)))]

    @staticmethod
    def _cover_plan(ctx: Context, rng: np.random.Generator, n: int) -> list[list[int]]:
        """Cover conversations (corpus rows of their turns) adding up to ``n`` requests."""
        out: list[list[int]] = []
        left = n
        convs = ctx.cover.conversations
        while left > 0 and convs:
            rows = convs[int(rng.integers(len(convs)))]
            take = [int(r) for r in rows[: min(left, len(rows))]]
            out.append(take)
            left -= len(take)
        return out

    def _cover_requests(
        self,
        ctx: Context,
        rng: np.random.Generator,
        ident: Identity,
        persona: Persona | None,
        slot: int,
        rows: list[int],
    ) -> list[Request]:
        cover = ctx.cover
        model = self._model(rng, persona)
        conv = (
            "conv_" + rng.bytes(6).hex()
            if persona is not None and rng.random() < max(persona.conversation_share, 0.5)
            else None
        )
        history: list[Message] = []
        if ident.system_prompt:
            history.append({"role": "system", "content": ident.system_prompt})
        out = []
        offset = 0.0
        for row in rows:
            turn: Message = {"role": "user", "content": cover.texts[row]}
            messages: list[Message] = [*history, turn]
            out.append(
                Request(
                    slot=slot,
                    offset=offset,
                    messages=messages,
                    params=None,
                    model=model,
                    conversation_id=conv,
                    completion=_tokens(rng, 350, 0.8),
                    reasoning=_tokens(rng, 400, 0.8) if model.startswith("reasoner") else None,
                    harvest=False,
                    source="sharegpt",
                    capability="other",
                    family=None,
                    language=cover.language[row],
                    row=row,
                )
            )
            reply: Message = {
                "role": "assistant",
                "content": (cover.responses[row] or "Sure.")[:1_500],
            }
            history = [*messages, reply]
            offset += float(rng.uniform(40.0, 600.0))
        return out

    def _fit(
        self,
        ctx: Context,
        run: Run,
        accepted: list[Account],
        new: list[Account],
    ) -> tuple[list[Account], int, int]:
        """Scan the attacker's own traffic; shrink, re-identify or abandon what is over."""
        rng = run.rng
        accounts = [a for a in accepted + new if a.requests]
        aim = ctx.detector.aim_score(self.aim)
        lost = scans = 0
        for r in range(self.rounds):
            if not accounts:
                break
            events, _, _ = tables(accounts, self.name, rng)
            own = ctx.detector.scan_own(events, population=ctx.population)
            scans += 1
            over: list[tuple[Account, bool]] = []
            for a in accounts:
                score, verdict, campaign = own.accounts.get(
                    a.identity.account_id, (0.0, "allow", None)
                )
                if score >= aim or verdict in FLAGGED or campaign is not None:
                    over.append((a, campaign is not None))
            if not over:
                break
            drop: set[int] = set()
            for a, linked in over:
                if r == self.rounds - 1:
                    drop.add(id(a))
                    continue
                if linked:
                    ident, slots, _ = self.new_identity(ctx, run, len(a.slots))
                    a.identity, a.slots = ident, slots
                a.shrink(rng, self.shrink)
                if a.harvest == 0:
                    drop.add(id(a))
            lost += len(drop)
            accounts = [a for a in accounts if id(a) not in drop]
        return accounts, lost, scans

    # ------------------------------------------------------------------ the report

    def _report(
        self,
        ctx: Context,
        run: Run,
        accounts: list[Account],
        pool: TaskPool,
        created: int,
        abandoned: int,
        scans: int,
        own: Any,
    ) -> StrategyReport:
        ips = {ip for a in accounts for ip in a.identity.ips}
        cards = {a.identity.payment for a in accounts if a.identity.payment}
        signups = {round(a.identity.created_at / 60) for a in accounts}
        harvest = [r for a in accounts for r in a.requests if r.harvest]
        cover = sum(a.cover for a in accounts)
        own_verdicts: dict[str, int] = {}
        own_campaigns = 0
        if own is not None:
            for _, verdict, campaign in own.accounts.values():
                own_verdicts[verdict] = own_verdicts.get(verdict, 0) + 1
                own_campaigns += campaign is not None
        params = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        params["roles"] = list(self.roles)
        n_h = len(harvest)
        search = dict(run.search)
        search["task_pool"] = dict(pool.notes)
        search["self_scan"] = {
            "verdicts": dict(sorted(own_verdicts.items())),
            "accounts_in_campaigns": own_campaigns,
            "links_between_own_accounts": dict(own.links) if own is not None else {},
        }
        return StrategyReport(
            name=self.name,
            cost={
                "accounts": len(accounts),
                "accounts_created": created,
                "accounts_abandoned": abandoned,
                "addresses": len(ips),
                "payment_methods": len(cards),
                "signups": len(signups),
                "requests": n_h + cover,
                "harvest_requests": n_h,
                "cover_requests": cover,
                "self_scans": scans if self.adaptive else 0,
                "accounts_per_10k_harvest": round(1e4 * len(accounts) / n_h, 1) if n_h else None,
                "parameters": params,
            },
            value={
                "reasoning_requests": n_h,
                "distinct_tasks": len({r.row for r in harvest}),
                "completion_tokens": int(sum(r.completion for r in harvest)),
                "reasoning_tokens": int(sum(r.reasoning or 0 for r in harvest)),
                "harvest_target": max(1, round(self.harvest * ctx.scale)),
            },
            search=search,
        )


def _trim(accounts: list[Account], need: int, rng: np.random.Generator) -> list[Account]:
    """``accounts`` with harvested requests beyond ``need`` removed, last accounts first
    (an account left with none is not created)."""
    extra = sum(a.harvest for a in accounts) - need
    for acct in reversed(accounts):
        if extra <= 0:
            break
        h = acct.harvest
        if h == 0:  # the task pool ran dry before this account got a task
            continue
        cut = min(h, extra)
        acct.shrink(rng, (h - cut) / h)
        extra -= cut
    return [a for a in accounts if a.harvest > 0]


def _tokens(rng: np.random.Generator, median: float, sigma: float) -> int:
    return max(1, int(rng.lognormal(math.log(median), sigma)))


# --------------------------------------------------------------------------- registry

S = TypeVar("S", bound=type[Strategy])
#: Registered strategies by name, in registration order.
REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: S) -> S:
    """Class decorator: add a strategy to :data:`REGISTRY` under its ``name``."""
    name = cls.name
    if not name.isidentifier() or name != name.lower():
        raise ValueError(f"strategy name {name!r} must be snake_case")
    if name in REGISTRY and REGISTRY[name] is not cls:
        raise ValueError(f"strategy {name!r} registered twice")
    REGISTRY[name] = cls
    return cls


def available() -> list[str]:
    """Names of every registered strategy, sorted."""
    from distillguard_lab.redteam.informed import strategies as _load  # noqa: F401

    return sorted(REGISTRY)


def create(name: str, **params: Any) -> Strategy:
    """An instance of the strategy registered as ``name``."""
    available()
    try:
        cls = REGISTRY[name]
    except KeyError as exc:
        raise InformedError(
            f"unknown strategy {name!r} (known: {', '.join(REGISTRY)})", field="strategies"
        ) from exc
    return cls(**params)


__all__ = [
    "REGISTRY",
    "Content",
    "Context",
    "InformedError",
    "Run",
    "Strategy",
    "StrategyReport",
    "StrategyResult",
    "available",
    "create",
    "register",
]
