"""Pulled indicators → accounts of ours that match a peer's campaign.

An :class:`IntelSet` holds the indicators pulled from the hub, by kind: keyed
hashes (client address, network, user agent, payment fingerprint, exact template
hashes) and MinHash template fingerprints, each tied to the sharing provider and
campaign.  Matching hashes *our* values with the same forum key (under every key
id the indicators use, so rotation is seamless) and compares.

An account's evidence for one shared campaign is the sum of the weights of the
distinct indicator *kinds* it matched (an address 1.0, a payment fingerprint 1.0,
an exact template 0.6, a template fingerprint 0.5, a network 0.4, a user agent
0.2 — the exporter's ``x_distillguard_weight``), with all content kinds together
capped at 0.6; it is a match when that reaches ``min_weight`` (1.0).  One of the
operator's own addresses or cards is enough; content alone (a public template,
a public benchmark task the campaign also harvested) or a common client library
never is.

Two ways to match:

- :func:`match_store` over a scan's store, read through the store protocol
  (``distillguard scan --intel``, ``distillguard intel match``); a scan then raises
  the matched accounts in step 3 of the verdict pipeline
  (:meth:`~distillguard.scoring.verdicts.Verdicts.add_intel`);
- :class:`IntelMatcher`, one request at a time (what a gateway does: the account is
  raised on the request that crosses the threshold).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillguard.fileio import atomic_open
from distillguard.intel.errors import IntelError
from distillguard.intel.export import KIND_PATTERN
from distillguard.intel.fingerprints import Fingerprint, fingerprint_hits
from distillguard.intel.hashing import KeyRing, canonical, key_id_of
from distillguard.scoring.verdicts import Verdicts
from distillguard.store import EventFilter, EventStore

#: Hashed kinds and the events column each is computed from.
COLUMN_OF: Final[dict[str, str]] = {
    "ip": "ip",
    "net": "ip",
    "user_agent": "user_agent",
    "payment": "payment_fingerprint",
    "template_prefix": "template_prefix",
    "template_suffix": "template_suffix",
    "template_system": "template_system",
}

#: Words for reasons ("3 addresses, template fingerprint").
NOUNS: Final[dict[str, tuple[str, str]]] = {
    "ip": ("address", "addresses"),
    "net": ("network", "networks"),
    "user_agent": ("user agent", "user agents"),
    "payment": ("payment method", "payment methods"),
    "template_prefix": ("template opening", "template openings"),
    "template_suffix": ("template ending", "template endings"),
    "template_system": ("system prompt", "system prompts"),
    "fingerprint": ("template fingerprint", "template fingerprints"),
}


@dataclass(frozen=True)
class Source:
    """Who shared an indicator, for which campaign."""

    provider: str
    campaign: str
    campaign_id: str | None
    indicator_id: str
    weight: float


@dataclass
class IntelSet:
    """Indicators by kind and value, and template fingerprints."""

    hashed: dict[str, dict[str, list[Source]]] = field(default_factory=dict)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    fingerprint_sources: list[Source] = field(default_factory=list)
    key_ids: set[str] = field(default_factory=set)
    indicators: int = 0

    def __len__(self) -> int:
        return self.indicators


def read_objects(path: str | Path) -> list[dict[str, Any]]:
    """STIX objects from a pulled JSON Lines file or a bundle / envelope JSON file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise IntelError("file not found", path=p) from exc
    except UnicodeDecodeError as exc:
        raise IntelError("not UTF-8 text", path=p) from exc
    stripped = text.lstrip()
    if stripped.startswith("{") and '"objects"' in stripped[:2000]:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("objects"), list):
            return [o for o in data["objects"] if isinstance(o, dict)]
    out: list[dict[str, Any]] = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise IntelError(f"not JSON: {exc}", path=p, line=i) from exc
        if not isinstance(obj, dict):
            raise IntelError("expected a STIX object", path=p, line=i)
        out.append(obj)
    return out


def _latest(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest version of each object id (pulls append; versions accumulate)."""
    best: dict[str, dict[str, Any]] = {}
    for o in objects:
        oid = o.get("id")
        if not isinstance(oid, str):
            continue
        cur = best.get(oid)
        if cur is None or str(o.get("modified", "")) >= str(cur.get("modified", "")):
            best[oid] = o
    return list(best.values())


def load_intel(
    objects: Iterable[dict[str, Any]] | str | Path, *, own: str | None = None
) -> IntelSet:
    """An :class:`IntelSet` from STIX objects (or a file of them).

    ``own``: our provider name; indicators we shared ourselves are skipped.  Revoked
    indicators and those past ``valid_until`` are skipped.
    """
    objs = read_objects(objects) if isinstance(objects, str | Path) else list(objects)
    objs = _latest(objs)
    names = {o["id"]: str(o.get("name", "")) for o in objs if o.get("type") == "identity"}
    campaigns = {o["id"]: o for o in objs if o.get("type") == "campaign"}
    by_name = {str(c.get("name")): cid for cid, c in campaigns.items()}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    out = IntelSet()
    for o in objs:
        if o.get("type") != "indicator" or o.get("revoked"):
            continue
        until = o.get("valid_until")
        if isinstance(until, str) and until[:19] < now:
            continue
        kind = o.get("x_distillguard_kind")
        value = o.get("x_distillguard_value")
        if kind not in KIND_PATTERN or not isinstance(value, str):
            continue  # someone else's indicator type: not ours to interpret
        provider = names.get(str(o.get("created_by_ref")), str(o.get("created_by_ref", "?")))
        if own is not None and provider == own:
            continue
        cname = str(o.get("x_distillguard_campaign", "unknown campaign"))
        weight = float(o.get("x_distillguard_weight", KIND_PATTERN[kind][1]))
        src = Source(provider, cname, by_name.get(cname), str(o["id"]), weight)
        out.indicators += 1
        if kind == "fingerprint":
            mh = o.get("x_distillguard_minhash")
            if not isinstance(mh, dict):
                continue
            try:
                sig = Fingerprint.decode(value, int(mh["num_perm"]))
                fp = Fingerprint(
                    part=mh["part"], signature=sig, events=int(o.get("x_distillguard_events", 0)),
                    accounts=int(o.get("x_distillguard_accounts", 0)), key_id=str(mh["key_id"]),
                    threshold=float(mh["threshold"]), window=int(mh["window"]), k=int(mh["k"]),
                )  # fmt: skip
            except (KeyError, TypeError, ValueError, IntelError):
                continue
            if fp.part not in ("head", "tail"):
                continue
            out.fingerprints.append(fp)
            out.fingerprint_sources.append(src)
            out.key_ids.add(fp.key_id)
            continue
        out.hashed.setdefault(kind, {}).setdefault(value, []).append(src)
        out.key_ids.add(key_id_of(value))
    return out


@dataclass
class AccountMatch:
    """One of our accounts matching one shared campaign."""

    account_id: str
    provider: str
    campaign: str
    weight: float
    #: kind → distinct matched values (hashes; for fingerprints, fingerprint indexes).
    kinds: dict[str, set[str]] = field(default_factory=dict)
    events: int = 0

    def reason(self) -> str:
        parts = []
        for kind in sorted(self.kinds, key=lambda k: -KIND_PATTERN[k][1]):
            n = len(self.kinds[kind])
            one, many = NOUNS[kind]
            parts.append(f"{n} {many}" if n > 1 else one if kind == "fingerprint" else f"1 {one}")
        return (
            f"matches indicators shared by {self.provider} in campaign {self.campaign} "
            f"({', '.join(parts)})"
        )

    def row(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "provider": self.provider,
            "campaign": self.campaign,
            "weight": round(self.weight, 4),
            "kinds": sorted(self.kinds),
            "values": sum(len(v) for v in self.kinds.values()),
            "events": self.events,
            "reason": self.reason(),
        }


MATCH_SCHEMA: Final = pa.schema(
    [
        ("account_id", pa.string()),
        ("provider", pa.string()),
        ("campaign", pa.string()),
        ("weight", pa.float64()),
        ("kinds", pa.list_(pa.string())),
        ("values", pa.int64()),
        ("events", pa.int64()),
        ("reason", pa.string()),
    ]
)


#: Kinds that describe prompt content: anyone can copy a public template or send the
#: same public task, so together they count at most :data:`CONTENT_CAP`.
CONTENT_KINDS: Final = frozenset(
    ("template_prefix", "template_suffix", "template_system", "fingerprint")
)
CONTENT_CAP: Final = 0.6


def combined_weight(weights: Mapping[str, float]) -> float:
    """Evidence of the distinct kinds matched; content alone never reaches 1.

    >>> combined_weight({"template_prefix": 0.6, "fingerprint": 0.5})
    0.6
    >>> combined_weight({"net": 0.4, "template_prefix": 0.6, "fingerprint": 0.5})
    1.0
    """
    content = sum(w for k, w in weights.items() if k in CONTENT_KINDS)
    infra = sum(w for k, w in weights.items() if k not in CONTENT_KINDS)
    return round(infra + min(content, CONTENT_CAP), 6)


class _Evidence:
    """Accumulates account → (provider, campaign) → kind → matched values."""

    def __init__(self) -> None:
        self.by: dict[str, dict[tuple[str, str], dict[str, set[str]]]] = {}
        self.events: dict[tuple[str, str, str], int] = {}
        self.weights: dict[tuple[str, str, str], dict[str, float]] = {}

    def add(self, account: str, kind: str, value: str, sources: Sequence[Source], n: int) -> None:
        per = self.by.setdefault(account, {})
        for s in sources:
            per.setdefault((s.provider, s.campaign), {}).setdefault(kind, set()).add(value)
            key = (account, s.provider, s.campaign)
            w = self.weights.setdefault(key, {})
            w[kind] = max(w.get(kind, 0.0), s.weight)
            self.events[key] = self.events.get(key, 0) + n

    def best(self, account: str, min_weight: float) -> AccountMatch | None:
        """The account's strongest campaign match at or above ``min_weight``."""
        found: AccountMatch | None = None
        for (provider, campaign), kinds in self.by.get(account, {}).items():
            key = (account, provider, campaign)
            w = combined_weight(self.weights.get(key, {}))
            if w + 1e-9 < min_weight:
                continue
            m = AccountMatch(account, provider, campaign, w, kinds, self.events.get(key, 0))
            if found is None or (m.weight, m.events) > (found.weight, found.events):
                found = m
        return found

    def matches(self, min_weight: float) -> list[AccountMatch]:
        found = [self.best(a, min_weight) for a in self.by]
        return sorted((m for m in found if m is not None), key=lambda m: (-m.weight, m.account_id))


def _hash_values(
    ring: KeyRing, kind: str, values: Iterable[str], key_ids: Iterable[str]
) -> dict[str, list[str]]:
    """``{hash: [raw values]}`` under every usable key id."""
    out: dict[str, list[str]] = {}
    usable = [k for k in key_ids if k in ring.keys]
    for v in set(values):
        if not v:
            continue
        for kid in usable:
            out.setdefault(ring.hash(kind, v, kid), []).append(v)
    return out


def match_store(
    store: EventStore,
    intel: IntelSet,
    ring: KeyRing,
    *,
    min_weight: float = 1.0,
    accounts: Sequence[str] | None = None,
) -> list[AccountMatch]:
    """Accounts in a store (:class:`~distillguard.store.EventStore`) that match ``intel``
    (only ``accounts``, when given)."""
    ev = _Evidence()
    for kind, column in COLUMN_OF.items():
        table = intel.hashed.get(kind)
        if not table:
            continue
        counts = store.value_counts(column, EventFilter(accounts=accounts))
        rows = list(
            zip(
                counts["account_id"].to_pylist(),
                counts["value"].to_pylist(),
                counts["n"].to_pylist(),
                strict=True,
            )
        )
        canon = {r[1]: canonical(kind, str(r[1])) for r in rows} if kind == "net" else None
        values = canon.values() if canon is not None else (str(r[1]) for r in rows)
        hashed = _hash_values(ring, kind, values, intel.key_ids)
        wanted = {v for h, vs in hashed.items() if h in table for v in vs}
        lookup = {v: h for h, vs in hashed.items() if h in table for v in vs}
        for account, raw, n in rows:
            v = canon[raw] if canon is not None else str(raw)
            if v in wanted:
                h = lookup[v]
                ev.add(str(account), kind, h, table[h], int(n))
    if intel.fingerprints:
        t = store.events(
            ["account_id", "user_text"], EventFilter(accounts=accounts, exclude_benchmark=True)
        )
        _match_fingerprints(
            ev, intel, ring, t.column("account_id").to_pylist(), t.column("user_text")
        )
    return ev.matches(min_weight)


def _match_fingerprints(
    ev: _Evidence,
    intel: IntelSet,
    ring: KeyRing,
    accounts: Sequence[str],
    texts: pa.ChunkedArray | pa.Array,
) -> None:
    arr = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    hits = _fingerprint_hits(intel, ring, arr)
    for i, f_idx in zip(*np.nonzero(hits), strict=True):
        ev.add(str(accounts[int(i)]), "fingerprint", str(int(f_idx)),
               [intel.fingerprint_sources[int(f_idx)]], 1)  # fmt: skip


def _fingerprint_hits(intel: IntelSet, ring: KeyRing, texts: pa.Array) -> npt.NDArray[np.bool_]:
    """``(texts, fingerprints)`` boolean matrix of near matches."""
    return fingerprint_hits(texts, intel.fingerprints, ring)


class IntelMatcher:
    """Per-request matching with evidence accumulated per account (one process).

    >>> from distillguard.intel.hashing import KeyRing
    >>> ring = KeyRing.from_secrets({"k1": "22" * 32})
    >>> intel = IntelSet(hashed={"ip": {ring.hash("ip", "203.0.113.9"): [
    ...     Source("provider-A", "provider-A/campaign-1", None, "indicator--x", 1.0)]}},
    ...     key_ids={"k1"})
    >>> m = IntelMatcher(intel, ring)
    >>> m.observe("acct_9", ip="198.51.100.1") is None
    True
    >>> m.observe("acct_9", ip="203.0.113.9").reason()
    'matches indicators shared by provider-A in campaign provider-A/campaign-1 (1 address)'
    """

    def __init__(self, intel: IntelSet, ring: KeyRing, *, min_weight: float = 1.0) -> None:
        self.intel = intel
        self.ring = ring
        self.min_weight = min_weight
        self.key_ids = [k for k in intel.key_ids if k in ring.keys]
        self._ev = _Evidence()
        self._matched: dict[str, AccountMatch] = {}
        self._cache: dict[tuple[str, str], list[str]] = {}

    def _hashes(self, kind: str, value: str) -> list[str]:
        key = (kind, value)
        got = self._cache.get(key)
        if got is None:
            got = [self.ring.hash(kind, value, kid) for kid in self.key_ids]
            if len(self._cache) > 200_000:  # bounded: addresses are unbounded in the wild
                self._cache.clear()
            self._cache[key] = got
        return got

    def matched(self, account_id: str) -> AccountMatch | None:
        """The account's match so far (None: not matched)."""
        return self._matched.get(account_id)

    def content_can_decide(self, account_id: str) -> bool:
        """Whether content evidence could still lift the account to a match.

        Content alone is capped below the threshold (:func:`combined_weight`), so it
        matters only once infrastructure evidence (an address, network, client or
        card) of the same campaign reaches ``min_weight - CONTENT_CAP``.  The gateway
        skips the costlier content checks (template hashes, fingerprints) until then.
        """
        need = self.min_weight - CONTENT_CAP - 1e-9
        for provider, campaign in self._ev.by.get(account_id, {}):
            weights = self._ev.weights.get((account_id, provider, campaign), {})
            if sum(w for k, w in weights.items() if k not in CONTENT_KINDS) >= need:
                return True
        return False

    def matched_accounts(self) -> dict[str, AccountMatch]:
        """Every account matched so far."""
        return dict(self._matched)

    def adopt(self, old: IntelMatcher) -> None:
        """Keep ``old``'s matches (a matcher built on newer intel replaces it)."""
        for account, m in old._matched.items():
            self._matched.setdefault(account, m)

    def observe(
        self,
        account_id: str,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        payment: str | None = None,
        template: Mapping[str, str | None] | None = None,
        fingerprint_hits: Iterable[int] = (),
    ) -> AccountMatch | None:
        """Fold one request's identifiers; the account's match once it crosses the threshold.

        ``template``: the request's ``template_prefix``/``_suffix``/``_system`` signal
        values; ``fingerprint_hits``: indexes of :attr:`IntelSet.fingerprints` its text
        matched (see :meth:`fingerprint_hits`).
        """
        values: list[tuple[str, str]] = []
        if ip:
            values += [("ip", ip), ("net", ip)]
        if user_agent:
            values.append(("user_agent", user_agent))
        if payment:
            values.append(("payment", payment))
        for kind, v in (template or {}).items():
            if v:
                values.append((kind, v))
        for kind, v in values:
            table = self.intel.hashed.get(kind)
            if not table:
                continue
            for h in self._hashes(kind, v):
                srcs = table.get(h)
                if srcs:
                    self._ev.add(account_id, kind, h, srcs, 1)
        for i in fingerprint_hits:
            self._ev.add(account_id, "fingerprint", str(i), [self.intel.fingerprint_sources[i]], 1)
        if account_id in self._matched:
            return self._matched[account_id]
        found = self._ev.best(account_id, self.min_weight)
        if found is not None:
            self._matched[account_id] = found
        return found

    def fingerprint_hits(self, texts: Sequence[str | None] | pa.Array) -> list[list[int]]:
        """For each text, the indexes of the fingerprints it matches (batch them: cheaper)."""
        if not self.intel.fingerprints:
            return [[] for _ in range(len(texts))]
        arr = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.string())
        hits = _fingerprint_hits(self.intel, self.ring, arr)
        return [np.flatnonzero(row).tolist() for row in hits]


def matches_table(matches: Sequence[AccountMatch]) -> pa.Table:
    """Matches as a table (``intel_matches.parquet``)."""
    return pa.Table.from_pylist([m.row() for m in matches], schema=MATCH_SCHEMA)


def raise_accounts(
    accounts: pa.Table, matches: Sequence[AccountMatch], calibration: Any, verdict: str = "block"
) -> pa.Table:
    """Lift matched accounts of an accounts table to at least ``verdict`` and add the
    intel reason: step 3 of the verdict pipeline
    (:meth:`~distillguard.scoring.verdicts.Verdicts.add_intel`) resumed from the table.

    Score becomes at least the calibration's threshold for ``verdict``; risk and
    verdict follow from it through the one verdict rule, where a peer's match is
    independent evidence (kind ``intel``, as campaign membership is ``campaign``), so
    it backs a block on few requests unless the calibration's ``block_evidence`` says
    otherwise; the reason goes second (after the volume summary).  Other rows are
    left as they are.
    """
    if not matches or accounts.num_rows == 0:
        return accounts
    check_verdict(calibration, verdict)
    matched = intel_reasons(matches)
    ids = set(accounts["account_id"].to_pylist())
    if not any(a in ids for a in matched):
        return accounts
    verdicts = Verdicts.from_table(accounts, calibration)
    verdicts.add_intel(matched, verdict)
    return verdicts.table()


def check_verdict(calibration: Any, verdict: str) -> None:
    """Refuse a ``verdict`` to raise matched accounts to that the calibration lacks."""
    if verdict not in calibration.thresholds:
        raise IntelError(f"no calibrated threshold for verdict {verdict!r}", field="verdict")


def intel_reasons(matches: Sequence[AccountMatch]) -> dict[str, str]:
    """Matched account → the reason its match gives (what step 3 adds)."""
    return {m.account_id: m.reason() for m in matches}


def match_intel_file(
    store: EventStore,
    intel_path: str | Path,
    keys_path: str | Path | None,
    out: Path,
    *,
    own: str | None = None,
    min_weight: float = 1.0,
) -> tuple[list[AccountMatch], Path]:
    """The scan's intel step: match the store against pulled indicators and write the
    matches (``intel_matches.parquet``); the scan raises them in its verdict pipeline."""
    import pyarrow.parquet as pq

    ring = KeyRing.load(keys_path)
    intel = load_intel(intel_path, own=own)
    found = match_store(store, intel, ring, min_weight=min_weight)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "intel_matches.parquet"
    with atomic_open(path, "wb") as fh:
        pq.write_table(matches_table(found), fh)
    return found, path


def sightings(
    matches: Sequence[AccountMatch],
    intel: IntelSet,
    provider: str,
    *,
    tlp: str = "amber",
    when: dt.datetime | None = None,
) -> list[Any]:
    """STIX sightings of the peers' indicators our matches hit (push them back).

    One sighting per shared indicator that matched: ``count`` is how many of our
    accounts matched it; our account ids never appear.
    """
    import stix2

    from distillguard.intel.export import check_tlp, identity

    marking = {"white": stix2.TLP_WHITE, "green": stix2.TLP_GREEN, "amber": stix2.TLP_AMBER,
               "red": stix2.TLP_RED}[check_tlp(tlp)]  # fmt: skip
    me = identity(provider, marking)
    now = when or dt.datetime.now(dt.UTC)
    by_value: dict[tuple[str, str], list[Source]] = {}
    for kind, table in intel.hashed.items():
        for value, srcs in table.items():
            by_value[(kind, value)] = srcs
    counts: dict[str, set[str]] = {}
    for m in matches:
        for kind, values in m.kinds.items():
            for v in values:
                if kind == "fingerprint":
                    srcs = [intel.fingerprint_sources[int(v)]]
                else:
                    srcs = by_value.get((kind, v), [])
                for s in srcs:
                    if s.provider == m.provider and s.campaign == m.campaign:
                        counts.setdefault(s.indicator_id, set()).add(m.account_id)
    out: list[Any] = [marking, me]
    for ind, accts in sorted(counts.items()):
        out.append(
            stix2.Sighting(
                created_by_ref=me.id,
                sighting_of_ref=ind,
                where_sighted_refs=[me.id],
                count=len(accts),
                first_seen=now,
                last_seen=now,
                created=now,
                modified=now,
                object_marking_refs=[marking],
                x_distillguard_accounts=len(accts),
                allow_custom=True,
            )
        )
    return out
