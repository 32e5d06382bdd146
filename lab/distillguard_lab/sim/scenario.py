"""Scenarios: who uses the API, who attacks it, and how — written as YAML.

A scenario names benign populations (real prompts, real usage shapes) and attack
campaigns (documented attacker behaviour).  Shipped scenarios live beside this
module; users may pass their own file.  Every key is documented in
``docs/scenarios.md``.

>>> sorted(shipped_scenarios())
['easy', 'mixed', 'standard', 'stealth']
>>> load_scenario("stealth").campaigns[0].requests_per_account[1] <= 50
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from distillguard.config import build
from distillguard.errors import ScenarioError
from distillguard.yamlio import load_yaml_file, load_yaml_text
from distillguard_lab.sim import elicitation
from distillguard_lab.sim.identity import USER_AGENTS

Role = Literal["chat_user", "developer", "app_integration", "eval_user", "org_member"]
Capability = Literal["coding", "math", "reasoning", "agentic", "writing", "other"]
Issue = tuple[str, str]

CAPABILITIES: tuple[str, ...] = ("coding", "math", "reasoning", "agentic", "writing", "other")


def _weights_issues(
    name: str, weights: dict[str, float], allowed: tuple[str, ...] | None
) -> list[Issue]:
    issues: list[Issue] = []
    if not weights:
        issues.append((name, "must not be empty"))
    for key, w in weights.items():
        if w < 0:
            issues.append((f"{name}.{key}", "weights must be >= 0"))
        if allowed is not None and key not in allowed:
            issues.append((f"{name}.{key}", f"unknown key (allowed: {', '.join(allowed)})"))
    if weights and sum(weights.values()) <= 0:
        issues.append((name, "weights must not all be zero"))
    return issues


def _range_issues(name: str, lo_hi: tuple[float, float], lo_min: float = 0.0) -> list[Issue]:
    lo, hi = lo_hi
    if lo < lo_min:
        return [(name, f"lower bound must be >= {lo_min}")]
    if hi < lo:
        return [(name, "upper bound must be >= lower bound")]
    return []


@dataclass(frozen=True)
class Population:
    """A benign population: real people and real software using the API."""

    role: Role
    accounts: int
    #: Share of the scenario's benign events this population sends.
    share: float
    #: Pareto tail index of per-account volume; smaller is heavier-tailed.
    volume_alpha: float = 1.2
    tiers: dict[str, float] = field(default_factory=lambda: {"free": 0.6, "paid": 0.4})
    models: dict[str, float] = field(default_factory=lambda: {"chat-large": 0.6, "reasoner-1": 0.4})
    #: org_member only: how many organisations and how big each is.
    orgs: int = 0
    org_size: tuple[int, int] = (5, 60)
    org_kind: Literal["company", "university"] = "company"
    #: Fraction of requests asking for an explanation the way students and learners do.
    explain_rate: float = 0.0
    #: Share of accounts that signed up this week: their first request follows sign-up
    #: within minutes to hours (a growing API always has new users; org members
    #: keep their organisation's onboarding burst instead).
    new_account_share: float = 0.08

    def check(self) -> list[Issue]:
        issues: list[Issue] = []
        if self.accounts < 1:
            issues.append(("accounts", "must be >= 1"))
        if not 0 < self.share <= 1:
            issues.append(("share", "must be in (0, 1]"))
        if self.volume_alpha <= 0:
            issues.append(("volume_alpha", "must be > 0"))
        issues += _weights_issues("tiers", self.tiers, None)
        issues += _weights_issues("models", self.models, None)
        if self.role == "org_member" and self.orgs < 1:
            issues.append(("orgs", "org_member populations need orgs >= 1"))
        issues += _range_issues("org_size", (float(self.org_size[0]), float(self.org_size[1])), 1)
        if not 0 <= self.explain_rate <= 1:
            issues.append(("explain_rate", "must be in [0, 1]"))
        if not 0 <= self.new_account_share <= 1:
            issues.append(("new_account_share", "must be in [0, 1]"))
        return issues


@dataclass(frozen=True)
class Campaign:
    """One distillation campaign: an operator harvesting answers through many accounts."""

    id: str
    accounts: int
    #: Requests per account, cover traffic included (drawn uniformly in the range).
    requests_per_account: tuple[int, int]
    #: Capabilities harvested, as weights.
    targets: dict[str, float] = field(
        default_factory=lambda: {"coding": 0.5, "math": 0.3, "reasoning": 0.2}
    )
    #: Fraction of harvest requests wrapped in a chain-of-thought elicitation.
    elicitation_rate: float = 0.8
    #: Which elicitation families: "all", "dev" (the same since the v1 held-out split was
    #: spent) or a list of family ids.  "heldout" is rejected: the held-out test families
    #: are evaluation-only and never simulated (see :mod:`distillguard_lab.sim.elicitation`).
    families: str | tuple[str, ...] = "all"
    #: Weights over family languages; families are drawn within a chosen language.
    languages: dict[str, float] = field(default_factory=lambda: {"en": 0.7, "zh": 0.15, "ru": 0.15})
    #: Fraction of each account's requests that are harmless cover traffic.
    cover_fraction: float = 0.0
    #: Egress addresses: how many, and what kind of network they sit in.
    proxies: int = 5
    proxy_kind: Literal["datacenter", "residential"] = "datacenter"
    #: Addresses each account sends from, drawn from the pool once ([lo, hi]; sticky
    #: sessions, as many as benign users have).  A large range approaches a proxy
    #: that rotates the exit address on every request.
    ips_per_account: tuple[int, int] = (1, 3)
    #: Distinct payment methods shared by the accounts (0: none, e.g. free/edu tiers).
    payment_methods: int = 2
    #: Accounts are created within this many hours of each other, this many days before activity.
    signup_burst_hours: float = 6.0
    signup_days_before: float = 3.0
    tiers: dict[str, float] = field(
        default_factory=lambda: {"free": 0.5, "edu": 0.3, "startup": 0.2}
    )
    models: dict[str, float] = field(default_factory=lambda: {"reasoner-1": 0.8, "chat-large": 0.2})
    #: Spread requests over accounts round-robin (a load balancer in front of the pool).
    round_robin: bool = True
    #: Per-account ceiling the operator keeps under (requests per hour).
    max_per_hour: float = 30.0
    #: Random delay added to every request time, in seconds (hides the scheduler's clock).
    jitter_s: float = 20.0
    #: Probability that an account uses a paraphrased copy of the harvest template.
    paraphrase: float = 0.3
    #: Request parameters that help harvesting, as rates.
    n_rate: float = 0.2
    n_max: int = 8
    logprobs_rate: float = 0.2
    high_effort_rate: float = 0.5
    max_tokens: int = 16000
    #: When the campaign runs, as day offsets from the scenario start.
    start_day: float = 0.0
    duration_days: float = 7.0
    #: Operator working hours in UTC ([0, 24] means around the clock).
    active_hours: tuple[int, int] = (0, 24)
    #: Daily rhythm of the scheduler within those hours: flat (a job queue that never
    #: sleeps) or a named profile (office, personal, service) in the operator's local
    #: time, ``utc_offset`` hours from UTC.
    hour_profile: Literal["flat", "office", "personal", "service"] = "flat"
    utc_offset: float = 0.0
    #: Completion length of a harvested answer: a real answer of the same capability
    #: (the corpus's ShareGPT replies) times this factor when elicitation asks for
    #: every step worked out, times 1 when not.
    elicited_answer_factor: float = 2.0
    user_agents: tuple[str, ...] = ("openai-python", "httpx")

    def check(self) -> list[Issue]:
        issues: list[Issue] = []
        if not self.id or not self.id.replace("-", "_").replace("_", "a").isalnum():
            issues.append(("id", "must be a non-empty id of letters, digits, - and _"))
        if self.accounts < 1:
            issues.append(("accounts", "must be >= 1"))
        issues += _range_issues(
            "requests_per_account",
            (float(self.requests_per_account[0]), float(self.requests_per_account[1])),
            1,
        )
        issues += _weights_issues("targets", self.targets, CAPABILITIES)
        issues += _weights_issues("languages", self.languages, None)
        issues += _weights_issues("tiers", self.tiers, None)
        issues += _weights_issues("models", self.models, None)
        for name in (
            "elicitation_rate",
            "cover_fraction",
            "paraphrase",
            "n_rate",
            "logprobs_rate",
            "high_effort_rate",
        ):
            if not 0 <= getattr(self, name) <= 1:
                issues.append((name, "must be in [0, 1]"))
        if self.cover_fraction >= 1:
            issues.append(("cover_fraction", "must be < 1"))
        if self.families == "heldout":
            issues.append(("families", elicitation.HELDOUT_REFUSED))
        elif isinstance(self.families, str) and self.families not in elicitation.SPLITS:
            issues.append(("families", "must be all, dev or a list of family ids"))
        if self.proxies < 1:
            issues.append(("proxies", "must be >= 1"))
        issues += _range_issues(
            "ips_per_account",
            (float(self.ips_per_account[0]), float(self.ips_per_account[1])),
            1,
        )
        if self.signup_burst_hours > 24 * self.signup_days_before:
            issues.append(
                (
                    "signup_burst_hours",
                    "the sign-up burst must end by the campaign's start "
                    "(<= 24 * signup_days_before)",
                )
            )
        if not -12 <= self.utc_offset <= 14:
            issues.append(("utc_offset", "must be in [-12, 14]"))
        if self.elicited_answer_factor <= 0:
            issues.append(("elicited_answer_factor", "must be > 0"))
        if self.payment_methods < 0:
            issues.append(("payment_methods", "must be >= 0"))
        if self.max_per_hour <= 0:
            issues.append(("max_per_hour", "must be > 0"))
        if self.n_max < 1:
            issues.append(("n_max", "must be >= 1"))
        if self.duration_days <= 0:
            issues.append(("duration_days", "must be > 0"))
        lo, hi = self.active_hours
        if not (0 <= lo < hi <= 24):
            issues.append(("active_hours", "must be [start, end] with 0 <= start < end <= 24"))
        if not self.user_agents:
            issues.append(("user_agents", "must not be empty"))
        for i, ua in enumerate(self.user_agents):
            if ua not in USER_AGENTS:
                issues.append(
                    (
                        f"user_agents[{i}]",
                        f"unknown client family (known: {', '.join(USER_AGENTS)})",
                    )
                )
        return issues


@dataclass(frozen=True)
class Scenario:
    """A whole simulated deployment: benign populations and attack campaigns."""

    name: str
    description: str
    #: Nominal number of events; ``--events`` scales account counts from this.
    events: int
    populations: tuple[Population, ...]
    campaigns: tuple[Campaign, ...] = ()
    start: dt.datetime = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    days: float = 7.0
    #: Evaluation users send public benchmark items verbatim (shared across accounts).
    shared_benchmark_prompts: bool = True

    def check(self) -> list[Issue]:
        issues: list[Issue] = []
        if self.events < 1:
            issues.append(("events", "must be >= 1"))
        if self.days <= 0:
            issues.append(("days", "must be > 0"))
        if not self.populations:
            issues.append(("populations", "need at least one benign population"))
        ids = [c.id for c in self.campaigns]
        for i, cid in enumerate(ids):
            if ids.index(cid) != i:
                issues.append((f"campaigns[{i}].id", f"duplicate campaign id {cid!r}"))
        for i, c in enumerate(self.campaigns):
            if c.start_day + c.duration_days > self.days + 1e-9:
                issues.append(
                    (f"campaigns[{i}].duration_days", "campaign runs past the end of the scenario")
                )
        return issues


def shipped_scenarios() -> dict[str, str]:
    """Names of the scenarios shipped with the package, mapped to their file names."""
    folder = resources.files("distillguard_lab.sim") / "scenarios"
    return {
        p.name.removesuffix(".yaml"): p.name for p in folder.iterdir() if p.name.endswith(".yaml")
    }


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a shipped scenario by name, or a user's scenario file by path."""
    shipped = shipped_scenarios()
    key = str(name_or_path)
    if key in shipped:
        ref = resources.files("distillguard_lab.sim") / "scenarios" / shipped[key]
        doc = load_yaml_text(ref.read_text(encoding="utf-8"), f"<shipped>/{shipped[key]}")
    else:
        path = Path(name_or_path)
        if not path.exists():
            names = ", ".join(sorted(shipped))
            raise ScenarioError(
                f"no such scenario file, and not a shipped scenario ({names})", path=path
            )
        doc = load_yaml_file(path, ScenarioError)
    return build(Scenario, doc, error=ScenarioError)
