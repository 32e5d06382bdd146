"""The benign distribution the informed red team's accounts are drawn from.

Every attribute of an informed account is sampled from the benign accounts of the
background it is mixed into: a *persona* (one benign account, drawn at random among
the roles an operator can pose as) lends its tier, account age, organisation (a
shared one, such as a university's, is joined; a private one is replaced by a fresh
one), client software and its default system prompt, active hours, models and
request parameters.  What would link two accounts is never copied: every account
gets its own addresses (inside the persona's networks' /16, a fresh /24 or /48),
its own card (when the persona has one), key and sign-up time.  Requests per
account are drawn from the benign request counts of the same roles.

:meth:`BenignModel.from_background` reads a background's ``events`` and ``labels``
(the benign accounts only).
"""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals import EventBatch
from distillguard_lab.redteam.informed.events import Identity

DAY: Final = 86_400.0
HOUR: Final = 3_600.0
#: Samples kept per persona (parameters, models, hours).
_KEEP: Final = 64
#: Roles an operator can pose as by default: people and developers on public sign-up,
#: and members of a university programme.  (Enterprise contracts, production
#: applications and evaluation partners are not bought per account.)
DEFAULT_ROLES: Final = ("chat_user", "developer", "university_member")


@dataclass(frozen=True)
class Persona:
    """One benign account's attributes, as the informed accounts copy them."""

    account_id: str
    role: str
    tier: str | None
    #: Days from sign-up to its first request in the background.
    age_days: float
    org_id: str | None
    #: Accounts in its organisation (1: a private one).
    org_size: int
    user_agent: str
    ips: tuple[str, ...]
    has_payment: bool
    models: tuple[str, ...]
    params: tuple[dict[str, Any] | None, ...]
    #: Hour of day (UTC, fractional) of each sampled request.
    hours: tuple[float, ...]
    requests: int
    conversation_share: float
    #: Share of its requests that resend earlier turns (follow-ups in a conversation).
    followup_share: float
    system_prompt: str | None


def _hex(rng: np.random.Generator, prefix: str, digits: int) -> str:
    return prefix + rng.bytes((digits + 1) // 2).hex()[:digits]


def fresh_ip(rng: np.random.Generator, like: str) -> str:
    """An address in the same /16 (IPv4) or /32 (IPv6) as ``like``, in another /24 or /48.

    >>> ip = fresh_ip(np.random.default_rng(0), "83.12.4.5")
    >>> ip.startswith("83.12.")
    True
    >>> fresh_ip(np.random.default_rng(0), "2a02:1:2::5").startswith("2a02:1:")
    True
    """
    try:
        addr = ipaddress.ip_address(like)
    except ValueError:
        addr = ipaddress.ip_address("100.64.0.1")
    if addr.version == 4:
        a, b = str(addr).split(".")[:2]
        return f"{a}.{b}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"
    head = [f"{int(g, 16):x}" for g in addr.exploded.split(":")[:2]]
    rest = [f"{int(g):x}" for g in rng.integers(0, 0x10000, size=6)]
    return ":".join([*head, *rest])


@dataclass(frozen=True, eq=False)
class BenignModel:
    """Personas of a background's benign accounts, with the population counts that
    say which attributes are common (held by many accounts) and which are rare."""

    personas: tuple[Persona, ...]
    #: Benign accounts per client software string and per default system prompt.
    agent_accounts: Mapping[str, int]
    system_accounts: Mapping[str, int]
    by_role: Mapping[str, npt.NDArray[np.int64]]

    @classmethod
    def from_background(cls, events: pa.Table, labels: pa.Table) -> BenignModel:
        """Personas of every benign labelled account with at least one request."""
        benign = labels.filter(pc.invert(pc.fill_null(labels["is_attack"], False)))
        role_of = dict(
            zip(benign["account_id"].to_pylist(), benign["role"].to_pylist(), strict=True)
        )
        ev = events.filter(pc.is_in(events["account_id"], value_set=benign["account_id"]))
        ev = ev.sort_by([("account_id", "ascending"), ("ts", "ascending")])
        batch = EventBatch(ev)
        system = batch.system_text.to_pylist()
        followup = [bool(x) for x in batch.n_assistant.to_pylist()]
        acct = ev["account_id"].to_pylist()
        ts = pc.cast(ev["ts"], pa.int64()).to_numpy(zero_copy_only=False) / 1e6
        created_col = pc.cast(ev["account_created_at"], pa.int64()).to_pylist()
        cols = {
            name: ev[name].to_pylist()
            for name in (
                "org_id",
                "ip",
                "user_agent",
                "payment_fingerprint",
                "account_tier",
                "model",
                "conversation_id",
            )
        }
        params = ev["params"].to_pylist()
        spans: dict[str, list[int]] = defaultdict(list)
        for i, a in enumerate(acct):
            spans[a].append(i)
        org_members: Counter[str] = Counter()
        agents: Counter[str] = Counter()
        systems: Counter[str] = Counter()
        for rows in spans.values():
            first = rows[0]
            if cols["org_id"][first]:
                org_members[cols["org_id"][first]] += 1
            for u in {cols["user_agent"][i] for i in rows if cols["user_agent"][i]}:
                agents[u] += 1
            for s in {system[i] for i in rows if system[i]}:
                systems[s] += 1
        personas = []
        for a, rows in spans.items():
            first = rows[0]
            created = created_col[first]
            age = (ts[first] - created / 1e6) / DAY if created is not None else 365.0
            sys_counts = Counter(system[i] for i in rows)
            top_system, _ = sys_counts.most_common(1)[0]
            ua_counts = Counter(cols["user_agent"][i] for i in rows if cols["user_agent"][i])
            sample = rows if len(rows) <= _KEEP else rows[:: max(1, len(rows) // _KEEP)][:_KEEP]
            org = cols["org_id"][first]
            personas.append(
                Persona(
                    account_id=a,
                    role=str(role_of.get(a)),
                    tier=cols["account_tier"][first],
                    age_days=float(max(0.0, age)),
                    org_id=org,
                    org_size=org_members.get(org, 1) if org else 1,
                    user_agent=ua_counts.most_common(1)[0][0] if ua_counts else "",
                    ips=tuple(dict.fromkeys(cols["ip"][i] for i in rows if cols["ip"][i]))[:8]
                    or ("100.64.0.1",),
                    has_payment=any(cols["payment_fingerprint"][i] for i in rows),
                    models=tuple(cols["model"][i] for i in sample),
                    params=tuple(params[i] for i in sample),
                    hours=tuple(float((ts[i] / HOUR) % 24) for i in sample),
                    requests=len(rows),
                    conversation_share=sum(bool(cols["conversation_id"][i]) for i in rows)
                    / len(rows),
                    followup_share=sum(followup[i] for i in rows) / len(rows),
                    system_prompt=top_system or None,
                )
            )
        by_role: dict[str, list[int]] = defaultdict(list)
        for p in personas:
            by_role[p.role].append(p.requests)
        return cls(
            personas=tuple(personas),
            agent_accounts=dict(agents),
            system_accounts=dict(systems),
            by_role={r: np.array(v, dtype=np.int64) for r, v in by_role.items()},
        )

    # ------------------------------------------------------------------ sampling

    def _pool(self, roles: Sequence[str]) -> list[Persona]:
        pool = [p for p in self.personas if p.role in roles]
        if not pool:
            raise ValueError(f"the background has no benign accounts of roles {list(roles)}")
        return pool

    def sample(
        self, rng: np.random.Generator, roles: Sequence[str] = DEFAULT_ROLES, *, min_agent: int = 5
    ) -> Persona:
        """A persona drawn uniformly among the benign accounts of ``roles``, whose client
        software at least ``min_agent`` benign accounts send (a rare one would link
        every account that copies it)."""
        pool = self._pool(roles)
        for _ in range(64):
            p = pool[int(rng.integers(len(pool)))]
            if self.agent_accounts.get(p.user_agent, 0) >= min_agent:
                return p
        return p

    def request_count(
        self, rng: np.random.Generator, roles: Sequence[str], lo: int, hi: int
    ) -> int:
        """Requests per account, drawn from the benign counts of ``roles`` in ``[lo, hi]``.

        Counts outside the range are redrawn; when none fall inside it, ``lo`` or ``hi``.
        """
        counts = np.concatenate([self.by_role.get(r, np.zeros(0, np.int64)) for r in roles])
        inside = counts[(counts >= lo) & (counts <= hi)]
        if len(inside) == 0:
            return int(lo if (counts < lo).mean() > 0.5 else hi) if len(counts) else lo
        return int(inside[int(rng.integers(len(inside)))])

    def identity(
        self,
        rng: np.random.Generator,
        persona: Persona,
        *,
        first_request: float,
        language: str,
        min_system: int = 5,
    ) -> Identity:
        """A new account modelled on ``persona``: its own key, card, addresses and sign-up."""
        n_ips = max(1, min(len(persona.ips), 4))
        picks = rng.choice(len(persona.ips), size=n_ips, replace=False)
        ips = tuple(fresh_ip(rng, persona.ips[int(i)]) for i in picks)
        age = persona.age_days * float(rng.uniform(0.9, 1.1)) + float(rng.uniform(0.0, 0.5))
        org = persona.org_id if persona.org_id and persona.org_size > 1 else _hex(rng, "org_", 12)
        system = persona.system_prompt
        if system is not None and self.system_accounts.get(system, 0) < min_system:
            system = None  # an application's own prompt: not a client default
        return Identity(
            account_id=_hex(rng, "acct_", 16),
            org_id=org,
            api_key=_hex(rng, "key_", 12),
            tier=persona.tier,
            created_at=first_request - age * DAY,
            payment=_hex(rng, "pm_", 16) if persona.has_payment else None,
            ips=ips,
            user_agent=persona.user_agent,
            system_prompt=system,
            language=language,
            persona=persona.account_id,
            persona_role=persona.role,
        )

    def slot_times(
        self, rng: np.random.Generator, persona: Persona, n: int, t0: float, t1: float
    ) -> list[float]:
        """``n`` sorted times in ``[t0, t1)``: a random day each, at one of the persona's
        active hours (give or take half an hour)."""
        if n <= 0:
            return []
        day0 = np.floor(t0 / DAY) * DAY
        out: list[float] = []
        hours = np.asarray(persona.hours or (12.0,), dtype=np.float64)
        for _ in range(200):
            need = n - len(out)
            if need <= 0:
                break
            days = rng.integers(0, int(np.ceil((t1 - day0) / DAY)) + 1, size=4 * need)
            h = hours[rng.integers(len(hours), size=4 * need)] + rng.normal(0.0, 0.5, 4 * need)
            cand = day0 + days * DAY + (h % 24) * HOUR
            ok = cand[(cand >= t0) & (cand < t1)][:need]
            out.extend(float(x) for x in ok)
        while len(out) < n:  # pragma: no cover - a window shorter than a day
            out.append(float(rng.uniform(t0, t1)))
        return sorted(out)


__all__ = ["DEFAULT_ROLES", "BenignModel", "Persona", "fresh_ip"]
