"""Detected campaigns → a STIX 2.1 bundle a peer can match, with nothing raw in it.

For each campaign in a scan's ``campaigns.parquet`` (verdict ``block`` or
``restrict`` by default) the bundle holds:

- a ``campaign`` (counts, capabilities, evidence types, time span; name and id
  derived from a keyed hash of the local campaign id);
- ``attack-pattern`` objects for the techniques it used — MITRE ATLAS
  (AML.T0024.002 Extract AI Model, AML.T0040 AI Model Inference API Access,
  AML.T0021 Establish Accounts) and distillguard's own (chain-of-thought
  elicitation, harvest sampling parameters, templated task harvesting), with
  ``uses`` relationships;
- ``indicator`` objects, ``indicates`` the campaign: keyed hashes
  (:mod:`.hashing`) of the client addresses, networks, user agents, payment
  fingerprints and exact template hashes its accounts used *and no other account
  of the exporter used*, plus MinHash fingerprints of its template ends
  (:mod:`.fingerprints`).  Each carries a weight (how much a match means) in
  ``confidence`` and ``x_distillguard_weight``;
- a ``sighting`` of the campaign by the reporting provider's ``identity``;
- a TLP marking on every object: the export's level, except on the
  ``attack-pattern`` objects, which describe public techniques and carry TLP:WHITE,
  so that every member shares them byte for byte (the hub lets only the first
  member who added an object id add versions of it; identical copies are fine).

Before a bundle is returned its JSON text is searched for every raw identifier of
the campaign's accounts (:func:`assert_no_raw`); finding one is a bug and raises.

Object ids are UUIDv5 of stable inputs, and ``created``/``modified`` come from
the campaign's first and last request, so re-exporting an unchanged scan yields
identical objects (the hub de-duplicates them) and a campaign that grew gets new
versions of the same ids.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import stix2

from distillguard.arrowsql import query
from distillguard.fileio import atomic_open
from distillguard.intel.errors import IntelError
from distillguard.intel.fingerprints import FingerprintConfig, campaign_fingerprints
from distillguard.intel.hashing import KeyRing
from distillguard.store import EventFilter, EventStore
from distillguard.store.duckdb import Store

Tlp = Literal["white", "green", "amber", "red"]
TLP: Final[dict[str, Any]] = {
    "white": stix2.TLP_WHITE,
    "green": stix2.TLP_GREEN,
    "amber": stix2.TLP_AMBER,
    "red": stix2.TLP_RED,
}

#: Namespace of every deterministic object id distillguard writes.
NAMESPACE: Final = uuid.UUID("5b1d3f0e-7a8c-4c1e-9a57-d15711a6a4d0")
#: ``created`` of objects that do not come from a campaign (identity, techniques).
EPOCH: Final = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

#: Characters the template signal hashes at each end (``TemplateSkeleton.chars``).
TEMPLATE_CHARS: Final = 48

#: Indicator kinds: STIX pattern object path and default weight of a match.
#: An account is raised when the weights of the distinct kinds it matches reach 1.
KIND_PATTERN: Final[dict[str, tuple[str, float]]] = {
    "ip": ("x-distillguard-request:client_ip_hmac", 1.0),
    "payment": ("x-distillguard-account:payment_hmac", 1.0),
    "template_prefix": ("x-distillguard-request:template_prefix_hmac", 0.6),
    "template_suffix": ("x-distillguard-request:template_suffix_hmac", 0.6),
    "template_system": ("x-distillguard-request:template_system_hmac", 0.6),
    "fingerprint": ("x-distillguard-request:template_minhash", 0.5),
    "net": ("x-distillguard-request:client_net_hmac", 0.4),
    "user_agent": ("x-distillguard-request:user_agent_hmac", 0.2),
}


def check_tlp(level: str) -> Tlp:
    """``level`` as a TLP level, or a clear error.

    >>> check_tlp("AMBER")
    'amber'
    """
    low = level.lower()
    if low == "white":
        return "white"
    if low == "green":
        return "green"
    if low == "amber":
        return "amber"
    if low == "red":
        return "red"
    raise IntelError(f"unknown TLP level {level!r} (white, green, amber, red)", field="tlp")


@dataclass(frozen=True)
class Technique:
    """A technique an exported campaign may use."""

    key: str
    name: str
    source: str
    external_id: str
    description: str
    url: str | None = None

    def stix(self, marking: Any) -> Any:
        ref: dict[str, str] = {"source_name": self.source, "external_id": self.external_id}
        if self.url:
            ref["url"] = self.url
        return stix2.AttackPattern(
            id=f"attack-pattern--{uuid.uuid5(NAMESPACE, 'technique|' + self.key)}",
            created=EPOCH,
            modified=EPOCH,
            name=self.name,
            description=self.description,
            external_references=[ref],
            object_marking_refs=[marking],
            x_distillguard_technique=self.key,
            allow_custom=True,
        )


TECHNIQUES: Final[dict[str, Technique]] = {
    t.key: t
    for t in (
        Technique(
            "extract_model", "Extract AI Model", "mitre-atlas", "AML.T0024.002",
            "Querying a model's inference API to collect outputs for training a functional copy.",
            "https://atlas.mitre.org/techniques/AML.T0024.002",
        ),
        Technique(
            "api_access", "AI Model Inference API Access", "mitre-atlas", "AML.T0040",
            "Using the provider's public inference API as the channel of the attack.",
            "https://atlas.mitre.org/techniques/AML.T0040",
        ),
        Technique(
            "establish_accounts", "Establish Accounts", "mitre-atlas", "AML.T0021",
            "Many accounts (often on farmed free, education or startup programmes) "
            "spread the harvest below per-account limits.",
            "https://atlas.mitre.org/techniques/AML.T0021",
        ),
        Technique(
            "cot_elicitation", "Chain-of-thought elicitation", "distillguard", "DG-T0001",
            "Prompts that ask the model to reveal or reconstruct its step-by-step reasoning "
            "(reasoning trace coercion) so the traces can be distilled.",
        ),
        Technique(
            "harvest_params", "Harvest sampling parameters", "distillguard", "DG-T0002",
            "Requests for several samples (n > 1), log-probabilities or maximal reasoning "
            "effort per prompt: more training signal per call.",
        ),
        Technique(
            "templated_harvest", "Templated task harvesting", "distillguard", "DG-T0003",
            "One narrow prompt template wrapped around a stream of coding, math and "
            "reasoning tasks, shared by the campaign's accounts.",
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how."""

    provider: str
    tlp: Tlp = "amber"
    verdicts: tuple[str, ...] = ("block", "restrict")
    #: Non-campaign accounts allowed to share a network or user agent before it is dropped.
    max_outside_net_accounts: int = 2
    #: User agents used by more than this share of the exporter's other accounts are dropped.
    max_outside_ua_share: float = 0.002
    fingerprints: FingerprintConfig = field(default_factory=FingerprintConfig)
    #: Most campaign requests fingerprinted, and of the background sample.
    max_texts: int = 20_000
    background_texts: int = 20_000


@dataclass
class ExportResult:
    """The bundle and what went into it."""

    bundle: Any
    campaigns: int
    indicators: dict[str, int]

    def to_json(self) -> str:
        return str(self.bundle.serialize(pretty=False, ensure_ascii=False))


def _oid(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join((kind, *parts)))}"


def identity(provider: str, marking: Any) -> Any:
    """The reporting provider's STIX identity."""
    return stix2.Identity(
        id=_oid("identity", provider),
        created=EPOCH,
        modified=EPOCH,
        name=provider,
        identity_class="organization",
        sectors=["technology"],
        object_marking_refs=[marking],
    )


def _ts(v: Any, default: dt.datetime) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v if v.tzinfo else v.replace(tzinfo=dt.UTC)
    return default


def _exclusive(
    store: EventStore, accounts: Sequence[str], column: str, mine: EventFilter | None = None
) -> list[tuple[str, int, int]]:
    """``(value, member accounts, member events)`` of values no other account used.

    ``mine`` narrows which of the members' events count (the members themselves always).
    """
    base = mine or EventFilter()
    member_values = store.value_counts(column, replace(base, accounts=accounts))
    other_values = store.value_counts(column, EventFilter(accounts=accounts, other_accounts=True))
    rows = query(
        """
        WITH mine AS (
            SELECT value AS v, count(DISTINCT account_id) AS a, sum(n) AS n
            FROM member_values WHERE value <> '' GROUP BY 1)
        SELECT v, a, n FROM mine WHERE v NOT IN (SELECT DISTINCT value FROM other_values)
        ORDER BY n DESC, v
        """,
        what=f"exclusive {column} values",
        member_values=member_values,
        other_values=other_values,
    ).to_pylist()
    return [(str(r["v"]), int(r["a"]), int(r["n"])) for r in rows]


def campaign_values(
    store: EventStore, accounts: Sequence[str], opts: ExportOptions
) -> dict[str, list[tuple[str, int, int]]]:
    """Raw values per indicator kind (these never leave: only their hashes do)."""
    from distillguard.intel.hashing import canonical

    out: dict[str, list[tuple[str, int, int]]] = {}
    out["ip"] = _exclusive(store, accounts, "ip")
    out["payment"] = _exclusive(store, accounts, "payment_fingerprint")
    # A template hash one account uses is its own habit, not the operator's; a
    # short text's "template" is the whole text (often a public task anyone may
    # send); public benchmark items are evaluation traffic everywhere.
    text_filter = EventFilter(exclude_benchmark=True, min_text_chars=2 * TEMPLATE_CHARS)
    for kind in ("template_prefix", "template_suffix"):
        out[kind] = [r for r in _exclusive(store, accounts, kind, text_filter) if r[1] >= 2]
    out["template_system"] = [
        r for r in _exclusive(store, accounts, "template_system") if r[1] >= 2
    ]
    # Networks and user agents are shared with strangers more often: count them.
    members = set(accounts)
    ips = store.value_counts("ip")
    nets: dict[str, tuple[set[str], int, int]] = {}
    seen: dict[str, set[str]] = {}
    for ip, account, n in zip(
        ips["value"].to_pylist(), ips["account_id"].to_pylist(), ips["n"].to_pylist(), strict=True
    ):
        net = canonical("net", str(ip))
        inside, outside, events = nets.get(net, (set(), 0, 0))
        if account in members:
            inside.add(str(ip))
            events += int(n)
            seen.setdefault(net, set()).add(str(account))
        else:
            outside += 1
        nets[net] = (inside, outside, events)
    member_accounts_by_net = {k: len(v) for k, v in seen.items()}
    out["net"] = [
        (net, member_accounts_by_net.get(net, 0), events)
        for net, (inside, outside, events) in nets.items()
        if inside and outside <= opts.max_outside_net_accounts
    ]
    others = store.event_summary(EventFilter(accounts=accounts, other_accounts=True))
    limit = max(1.0, opts.max_outside_ua_share * float(others["n_accounts"] or 0))
    agents = query(
        """
        WITH u AS (
            SELECT value AS user_agent, account_id,
                   account_id IN (SELECT account_id FROM members) AS member, n
            FROM agents WHERE value <> '')
        SELECT user_agent, count(*) FILTER (WHERE member) AS a,
               sum(n) FILTER (WHERE member) AS n, count(*) FILTER (WHERE NOT member) AS outside
        FROM u GROUP BY 1 HAVING count(*) FILTER (WHERE member) > 0
        """,
        what="campaign user agents",
        agents=store.value_counts("user_agent"),
        members=pa.table({"account_id": pa.array(list(accounts), pa.string())}),
    ).to_pylist()
    out["user_agent"] = [
        (str(r["user_agent"]), int(r["a"]), int(r["n"])) for r in agents if r["outside"] <= limit
    ]
    return out


def _param_shares(store: EventStore, accounts: Sequence[str]) -> tuple[float, float]:
    events = store.events(
        ["param_n_gt1", "param_logprobs", "cot_elicitation"], EventFilter(accounts=accounts)
    )
    row = query(
        """SELECT avg(CASE WHEN coalesce(param_n_gt1, false) OR coalesce(param_logprobs, false)
                          THEN 1.0 ELSE 0.0 END) AS harvest,
                  avg(CASE WHEN coalesce(cot_elicitation, false) THEN 1.0 ELSE 0.0 END) AS cot
           FROM events""",
        what="campaign parameter shares",
        events=events,
    ).to_pylist()[0]
    return float(row["harvest"] or 0.0), float(row["cot"] or 0.0)


def _raw_values(store: EventStore, accounts: Sequence[str]) -> set[str]:
    """The members' raw identifiers (ids, organisations, addresses, clients, payment)."""
    columns = ["account_id", "org_id", "ip", "user_agent", "payment_fingerprint"]
    events = store.events(columns, EventFilter(accounts=accounts))
    return {
        str(v)
        for c in columns
        for v in pc.unique(events[c]).to_pylist()
        if v is not None and len(str(v)) >= 6
    }


def _texts(
    store: EventStore, accounts: Sequence[str], opts: ExportOptions
) -> tuple[pa.Table, pa.Array]:
    mine = store.events(
        ["account_id", "user_text"],
        EventFilter(accounts=accounts, exclude_benchmark=True),
        order="time",
        limit=int(opts.max_texts),
    )
    # A deterministic sample of everyone else (hash order, not insertion order).
    other = store.events(
        ["user_text"],
        EventFilter(accounts=accounts, other_accounts=True),
        order="event_hash",
        limit=int(opts.background_texts),
    )
    return mine, other.column("user_text").combine_chunks()


def _indicator(
    *,
    provider: str,
    cname: str,
    kind: str,
    value: str,
    accounts: int,
    events: int,
    created: dt.datetime,
    modified: dt.datetime,
    ident: Any,
    marking: Any,
    extra: Mapping[str, Any] | None = None,
) -> Any:
    path, weight = KIND_PATTERN[kind]
    return stix2.Indicator(
        id=_oid("indicator", provider, cname, kind, value),
        created=created,
        modified=modified,
        created_by_ref=ident.id,
        name=f"{cname}: {kind.replace('_', ' ')}",
        indicator_types=["malicious-activity"],
        pattern=f"[{path} = '{value}']",
        pattern_type="stix",
        valid_from=created,
        confidence=round(weight * 100),
        object_marking_refs=[marking],
        x_distillguard_kind=kind,
        x_distillguard_value=value,
        x_distillguard_weight=weight,
        x_distillguard_campaign=cname,
        x_distillguard_accounts=accounts,
        x_distillguard_events=events,
        **(dict(extra) if extra else {}),
        allow_custom=True,
    )


def export_bundle(
    out_dir: str | Path, store_path: str | Path, ring: KeyRing, opts: ExportOptions
) -> ExportResult:
    """Build the bundle for the campaigns of a scan's output directory."""
    out = Path(out_dir)
    cpath = out / "campaigns.parquet"
    if not cpath.exists():
        raise IntelError("no campaigns.parquet (run `distillguard scan` first)", path=cpath)
    try:
        camps = pq.read_table(cpath).to_pylist()
    except (OSError, ValueError) as exc:
        raise IntelError(f"cannot read campaigns: {exc}", path=cpath) from exc
    if opts.tlp not in TLP:
        raise IntelError(f"unknown TLP level {opts.tlp!r} (white, green, amber, red)", field="tlp")
    marking = TLP[opts.tlp]
    ident = identity(opts.provider, marking)
    objects: list[Any] = [marking, ident]
    used_techniques: set[str] = set()
    counts: dict[str, int] = {}
    raw: set[str] = set()
    n_campaigns = 0
    if not Path(store_path).exists():
        raise IntelError("no such store", path=store_path)
    with Store(store_path) as store:
        for c in camps:
            if c["verdict"] not in opts.verdicts or not c["accounts"]:
                continue
            n_campaigns += 1
            objs, techniques, kinds, raw_c = _campaign_objects(store, c, ring, opts, ident, marking)
            objects += objs
            used_techniques |= techniques
            raw |= raw_c
            for k, n in kinds.items():
                counts[k] = counts.get(k, 0) + n
    # Public reference objects, the same from every member: TLP:WHITE whatever the
    # export's level (see the module docstring).
    white = TLP["white"]
    shared = [TECHNIQUES[k].stix(white) for k in sorted(used_techniques)]
    if shared and marking is not white:
        shared.insert(0, white)
    objects[2:2] = shared
    bundle = stix2.Bundle(
        objects=objects,
        id=f"bundle--{uuid.uuid4()}",
        allow_custom=True,
    )
    result = ExportResult(bundle=bundle, campaigns=n_campaigns, indicators=counts)
    assert_no_raw(result.to_json(), raw)
    return result


def _campaign_objects(
    store: EventStore,
    c: Mapping[str, Any],
    ring: KeyRing,
    opts: ExportOptions,
    ident: Any,
    marking: Any,
) -> tuple[list[Any], set[str], dict[str, int], set[str]]:
    accounts = [str(a) for a in c["accounts"]]
    now = dt.datetime.now(dt.UTC)
    first = _ts(c.get("first_ts"), now)
    last = max(_ts(c.get("last_ts"), now), first)
    short = ring.hash("campaign", f"{opts.provider}|{c['campaign_id']}").split(":")[1][:12]
    cname = f"{opts.provider}/campaign-{short}"
    values = campaign_values(store, accounts, opts)
    harvest_share, cot_share = _param_shares(store, accounts)
    raw = _raw_values(store, accounts)
    texts, background = _texts(store, accounts, opts)
    fps = campaign_fingerprints(
        texts.column("user_text").combine_chunks(),
        [str(a) for a in texts.column("account_id").to_pylist()],
        background,
        ring,
        opts.fingerprints,
    )
    camp = stix2.Campaign(
        id=_oid("campaign", opts.provider, short),
        created=first,
        modified=last,
        created_by_ref=ident.id,
        name=cname,
        description=(
            f"Distillation campaign reported by {opts.provider}: {len(accounts):,} accounts, "
            f"{int(c.get('n_events') or 0):,} requests, {cot_share:.0%} asking for "
            "step-by-step reasoning."
        ),
        objective="Harvest model outputs (answers and reasoning traces) to train a copy.",
        first_seen=first,
        last_seen=last,
        object_marking_refs=[marking],
        x_distillguard_accounts=len(accounts),
        x_distillguard_events=int(c.get("n_events") or 0),
        x_distillguard_risk=float(c.get("risk") or 0.0),
        x_distillguard_verdict=str(c.get("verdict")),
        x_distillguard_cot_share=round(cot_share, 4),
        x_distillguard_harvest_param_share=round(harvest_share, 4),
        x_distillguard_completion_tokens=int(c.get("completion_tokens") or 0),
        x_distillguard_reasoning_tokens=int(c.get("reasoning_tokens") or 0),
        x_distillguard_capabilities=[
            {"name": str(x["name"]), "n": int(x["n"])} for x in (c.get("capabilities") or [])
        ],
        # Structured evidence only: the free-text details stay home.
        x_distillguard_evidence=[
            {
                "link_type": str(e["link_type"]),
                "accounts": int(e["accounts"]),
                "pairs": int(e["pairs"]),
                "weight": float(e["weight"]),
            }
            for e in (c.get("evidence") or [])
        ],
        allow_custom=True,
    )
    objs: list[Any] = [camp]
    techniques = {"extract_model", "api_access"}
    if len(accounts) > 1:
        techniques.add("establish_accounts")
    if cot_share >= 0.2:
        techniques.add("cot_elicitation")
    if harvest_share >= 0.2:
        techniques.add("harvest_params")
    kinds: dict[str, int] = {}
    common = {
        "provider": opts.provider, "cname": cname, "created": first, "modified": last,
        "ident": ident, "marking": marking,
    }  # fmt: skip
    for kind, rows in values.items():
        for value, n_acc, n_ev in rows:
            objs.append(
                _indicator(
                    kind=kind, value=ring.hash(kind, value), accounts=n_acc, events=n_ev, **common
                )
            )
            kinds[kind] = kinds.get(kind, 0) + 1
    if fps or any(values[k] for k in ("template_prefix", "template_suffix")):
        techniques.add("templated_harvest")
    for f in fps:
        objs.append(
            _indicator(
                kind="fingerprint",
                value=f.encode(),
                accounts=f.accounts,
                events=f.events,
                extra={
                    "x_distillguard_minhash": {
                        "part": f.part,
                        "window": f.window,
                        "k": f.k,
                        "shingle": "char",
                        "num_perm": len(f.signature),
                        "threshold": f.threshold,
                        "key_id": f.key_id,
                    }
                },
                **common,
            )
        )
        kinds["fingerprint"] = kinds.get("fingerprint", 0) + 1
    for obj in list(objs[1:]):
        objs.append(_relationship(obj.id, "indicates", camp.id, first, last, ident, marking))
    for key in sorted(techniques):
        tid = f"attack-pattern--{uuid.uuid5(NAMESPACE, 'technique|' + key)}"
        objs.append(_relationship(camp.id, "uses", tid, first, last, ident, marking))
    objs.append(
        stix2.Sighting(
            id=_oid("sighting", opts.provider, short),
            created=first,
            modified=last,
            created_by_ref=ident.id,
            sighting_of_ref=camp.id,
            where_sighted_refs=[ident.id],
            first_seen=first,
            last_seen=last,
            count=min(int(c.get("n_events") or 1), 999_999_999),
            object_marking_refs=[marking],
        )
    )
    return objs, techniques, kinds, raw


def _relationship(
    src: str, rel: str, dst: str, first: dt.datetime, last: dt.datetime, ident: Any, marking: Any
) -> Any:
    return stix2.Relationship(
        id=_oid("relationship", src, rel, dst),
        created=first,
        modified=last,
        created_by_ref=ident.id,
        relationship_type=rel,
        source_ref=src,
        target_ref=dst,
        object_marking_refs=[marking],
    )


def assert_no_raw(text: str, raw: Iterable[str]) -> None:
    """Raise if any raw value occurs in ``text`` (a last line of defence, not the design)."""
    for v in raw:
        if v and v in text:
            raise IntelError(
                "refusing to export: a raw identifier would leave in the bundle "
                "(a bug in distillguard; please report it)"
            )


def write_bundle(result: ExportResult, path: str | Path) -> Path:
    """Write the bundle as JSON (atomically)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(p) as fh:
        fh.write(result.to_json() + "\n")
    return p


def read_bundle(path: str | Path) -> dict[str, Any]:
    """A bundle file as a dict, with a clear error when it is not one."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IntelError("file not found", path=p) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntelError(f"not JSON: {exc}", path=p) from exc
    if not isinstance(data, dict) or not isinstance(data.get("objects"), list):
        raise IntelError("not a STIX bundle or TAXII envelope (no 'objects' list)", path=p)
    return data
