"""Sign-up check: score a new account against known harvest infrastructure.

When an account signs up, the provider knows its client address, payment method
and client software before it has sent one request.  An operator that was caught
before tends to come back through the same infrastructure: the same proxies and
networks, the same cards, the same harvest client.  This module compares them,
as keyed hashes (:mod:`.hashing`), with

- the provider's **own campaigns**: an index of the infrastructure values exclusive
  to the members of each campaign a scan found (:func:`build_own_index`, the same
  values ``distillguard intel export`` would share; stored as keyed hashes only,
  :class:`OwnIndex`), and
- **peers' shared indicators** (an :class:`~.match.IntelSet` pulled from the forum),

and decides with rules kept as data (``signup_rules.yaml``, :class:`SignupRules`):
per source campaign, the weights of the distinct kinds matched add up; the strongest
campaign's evidence is compared with ``deny_at`` and ``verify_at``.  Every match is a
reason an analyst can read ("the client address was used by 3 accounts of our
campaign c-0007 (block)").

>>> ring = KeyRing.from_secrets({"k1": "33" * 32})
>>> own = OwnIndex("k1", {"ip": {ring.hash("ip", "203.0.113.9"): [OwnSource("c-7", "block", 3)]}})
>>> checker = SignupChecker(load_signup_rules(), ring, own=own)
>>> d = checker.check(Applicant(ip="203.0.113.9"))
>>> d.decision, d.reasons[0]
('deny', 'client address used by 3 accounts of our campaign c-7 (verdict block)')
>>> checker.check(Applicant(ip="198.51.100.1")).decision
'allow'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow as pa

from distillguard.config import build
from distillguard.datafile import DataFileError, load_data_file, load_data_text
from distillguard.fileio import atomic_open
from distillguard.intel.errors import IntelError
from distillguard.intel.export import ExportOptions, campaign_values
from distillguard.intel.hashing import KeyRing
from distillguard.intel.match import IntelSet
from distillguard.store import EventStore
from distillguard.yamlio import YamlDoc

Decision = Literal["allow", "verify", "deny"]
#: Kinds a sign-up is checked on, and how a reason names each.
KINDS: Final = {
    "ip": "client address",
    "net": "network",
    "payment": "payment method",
    "user_agent": "client",
}
INDEX_VERSION: Final = 1


@dataclass(frozen=True)
class Applicant:
    """What the provider knows of a new account at sign-up (raw values, never stored)."""

    ip: str | None = None
    payment: str | None = None
    user_agent: str | None = None

    def values(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.ip:
            out += [("ip", self.ip), ("net", self.ip)]
        if self.payment:
            out.append(("payment", self.payment))
        if self.user_agent:
            out.append(("user_agent", self.user_agent))
        return out


@dataclass(frozen=True)
class KindWeights:
    """Evidence of one matched kind."""

    ip: float = 1.0
    payment: float = 1.0
    net: float = 0.4
    user_agent: float = 0.2

    def check(self) -> list[tuple[str, str]]:
        for name in KINDS:
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                return [(name, "must be a number of at least 0")]
        return []


@dataclass(frozen=True)
class SignupRules:
    """The sign-up check's rules (``signup_rules.yaml``; see the module docstring)."""

    weights: KindWeights = field(default_factory=KindWeights)
    own_verdicts: tuple[str, ...] = ("block", "restrict")
    own_factor: float = 1.0
    peer_factor: float = 1.0
    verify_at: float = 0.4
    deny_at: float = 1.0
    version: int = 1

    def check(self) -> list[tuple[str, str]]:
        if self.version != 1:
            return [("version", f"unsupported sign-up rules version {self.version} (reads 1)")]
        for name in ("own_factor", "peer_factor", "verify_at", "deny_at"):
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                return [(name, "must be a number of at least 0")]
        if self.verify_at <= 0:
            return [("verify_at", "must be above 0 (every sign-up would be verified)")]
        if self.deny_at < self.verify_at:
            return [("deny_at", "must be at least verify_at")]
        for i, v in enumerate(self.own_verdicts):
            if v not in ("allow", "watch", "restrict", "block"):
                return [(f"own_verdicts[{i}]", "must be one of allow, watch, restrict, block")]
        return []

    def decide(self, score: float) -> Decision:
        if score + 1e-9 >= self.deny_at:
            return "deny"
        if score + 1e-9 >= self.verify_at:
            return "verify"
        return "allow"


def _build_rules(doc: YamlDoc) -> SignupRules:
    if doc.data is None:
        raise DataFileError("empty sign-up rules file", path=doc.source)
    return build(SignupRules, doc, error=DataFileError)


def load_signup_rules_text(text: str, source: str = "<sign-up rules>") -> SignupRules:
    """Parse and validate sign-up rules (errors name ``source``, line and field)."""
    return _build_rules(load_data_text(text, source))


def load_signup_rules(path: str | Path | None = None) -> SignupRules:
    """A rules file, or the one shipped with the package (``signup_rules.yaml``)."""
    if path is not None:
        return _build_rules(load_data_file(path))
    return _shipped_rules()


@lru_cache(maxsize=1)
def _shipped_rules() -> SignupRules:
    ref = resources.files("distillguard.intel") / "signup_rules.yaml"
    return load_signup_rules_text(ref.read_text(encoding="utf-8"), "<shipped signup_rules.yaml>")


@dataclass(frozen=True)
class OwnSource:
    """One of our campaigns that used a value: its id, verdict and member accounts using it."""

    campaign_id: str
    verdict: str
    accounts: int


@dataclass
class OwnIndex:
    """Keyed hashes of our campaigns' infrastructure: kind -> hash -> campaigns.

    Written by ``distillguard accounts index`` (JSON, hashes only: the file may sit on
    a gateway without exposing one address or card).
    """

    key_id: str
    entries: dict[str, dict[str, list[OwnSource]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(v) for v in self.entries.values())

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": INDEX_VERSION,
                "key_id": self.key_id,
                "entries": {
                    kind: {
                        h: [[s.campaign_id, s.verdict, s.accounts] for s in srcs]
                        for h, srcs in sorted(table.items())
                    }
                    for kind, table in sorted(self.entries.items())
                },
            },
            indent=1,
        )

    def write(self, path: str | Path) -> Path:
        p = Path(path)
        with atomic_open(p, "w") as fh:
            fh.write(self.to_json() + "\n")
        return p

    @classmethod
    def load(cls, path: str | Path) -> OwnIndex:
        p = Path(path)
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IntelError("no such sign-up index", path=p) from exc
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise IntelError(f"not a sign-up index: {exc}", path=p) from exc
        if not isinstance(doc, dict) or doc.get("version") != INDEX_VERSION:
            raise IntelError(f"not a sign-up index of version {INDEX_VERSION}", path=p)
        try:
            entries = {
                str(kind): {
                    str(h): [OwnSource(str(c), str(v), int(n)) for c, v, n in srcs]
                    for h, srcs in table.items()
                }
                for kind, table in doc["entries"].items()
            }
            return cls(str(doc["key_id"]), entries)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IntelError(f"not a sign-up index: {exc}", path=p, field="entries") from exc


def build_own_index(
    store: EventStore, campaigns: pa.Table, ring: KeyRing, opts: ExportOptions | None = None
) -> OwnIndex:
    """The infrastructure exclusive to each campaign of a scan (``campaigns.parquet``).

    The values are those ``distillguard intel export`` would share (addresses and
    cards no other account used, networks and clients few others did), hashed under
    the ring's current key.
    """
    opts = opts or ExportOptions(provider="own")
    index = OwnIndex(ring.current)
    for c in campaigns.to_pylist():
        accounts = [str(a) for a in c.get("accounts") or []]
        if not accounts:
            continue
        src_id, verdict = str(c["campaign_id"]), str(c.get("verdict") or "watch")
        values = campaign_values(store, accounts, opts)
        for kind in KINDS:
            for value, n_accounts, _ in values.get(kind, []):
                h = ring.hash(kind, value)
                index.entries.setdefault(kind, {}).setdefault(h, []).append(
                    OwnSource(src_id, verdict, n_accounts)
                )
    return index


@dataclass(frozen=True)
class Evidence:
    """The applicant's matches against one campaign (ours or a peer's)."""

    source: str  # "own" or the sharing provider
    campaign: str
    kinds: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SignupDecision:
    """allow, verify or deny, with the evidence behind it."""

    decision: Decision
    score: float
    evidence: tuple[Evidence, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(r for e in self.evidence for r in e.reasons)

    def record(self) -> dict[str, Any]:
        """Plain data (``--json``, the gateway endpoint)."""
        return {
            "decision": self.decision,
            "score": round(self.score, 4),
            "reasons": list(self.reasons) or ["no match with known harvest infrastructure"],
            "evidence": [
                {"source": e.source, "campaign": e.campaign, "kinds": list(e.kinds),
                 "score": round(e.score, 4)}
                for e in self.evidence
            ],
        }  # fmt: skip


class SignupChecker:
    """Decides sign-ups against our index and peers' indicators (both optional)."""

    def __init__(
        self,
        rules: SignupRules,
        ring: KeyRing,
        *,
        own: OwnIndex | None = None,
        peers: IntelSet | None = None,
    ) -> None:
        self.rules = rules
        self.ring = ring
        self.own = own
        self.peers = peers
        self._peer_keys = sorted(k for k in peers.key_ids if k in ring.keys) if peers else []
        if own is not None and own.key_id not in ring.keys:
            raise IntelError(
                f"the sign-up index is hashed under key {own.key_id!r}, which the key ring "
                f"does not hold (it holds {', '.join(sorted(ring.keys))})"
            )

    def check(self, applicant: Applicant) -> SignupDecision:
        """The decision for one applicant: the strongest campaign's evidence decides."""
        found: dict[tuple[str, str], dict[str, str]] = {}  # (source, campaign) -> kind -> reason
        weights = self.rules.weights
        for kind, value in applicant.values():
            noun = KINDS[kind]
            if self.own is not None and kind in self.own.entries:
                for s in self.own.entries[kind].get(
                    self.ring.hash(kind, value, self.own.key_id), []
                ):
                    if s.verdict not in self.rules.own_verdicts:
                        continue
                    found.setdefault(("own", s.campaign_id), {})[kind] = (
                        f"{noun} used by {s.accounts} account{'s' if s.accounts != 1 else ''} "
                        f"of our campaign {s.campaign_id} (verdict {s.verdict})"
                    )
            table = self.peers.hashed.get(kind) if self.peers is not None else None
            for kid in self._peer_keys if table else ():
                assert table is not None
                for src in table.get(self.ring.hash(kind, value, kid), []):
                    found.setdefault((src.provider, src.campaign), {})[kind] = (
                        f"{noun} matches an indicator shared by {src.provider} "
                        f"(campaign {src.campaign})"
                    )
        evidence = []
        for (source, campaign), kinds in found.items():
            factor = self.rules.own_factor if source == "own" else self.rules.peer_factor
            score = factor * sum(getattr(weights, k) for k in kinds)
            ordered = sorted(kinds, key=lambda k: (-getattr(weights, k), k))
            evidence.append(
                Evidence(source, campaign, tuple(ordered), score, tuple(kinds[k] for k in ordered))
            )
        evidence.sort(key=lambda e: (-e.score, e.source, e.campaign))
        best = evidence[0].score if evidence else 0.0
        return SignupDecision(self.rules.decide(best), best, tuple(evidence))


def applicant_from(data: Mapping[str, Any], where: str = "request") -> Applicant:
    """An :class:`Applicant` from a JSON object (the gateway endpoint's body)."""
    known = ("ip", "payment", "user_agent")
    for k, v in data.items():
        if k not in known:
            raise IntelError(f"unknown field (known: {', '.join(known)})", path=where, field=k)
        if not isinstance(v, str) or not v:
            raise IntelError("expected a non-empty string", path=where, field=k)
    got = Applicant(
        ip=data.get("ip"), payment=data.get("payment"), user_agent=data.get("user_agent")
    )
    if not got.values():
        raise IntelError("give at least one of ip, payment, user_agent", path=where)
    return got


__all__: Sequence[str] = (
    "Applicant", "OwnIndex", "OwnSource", "SignupChecker", "SignupDecision", "SignupRules",
    "applicant_from", "build_own_index", "load_signup_rules", "load_signup_rules_text",
)  # fmt: skip
