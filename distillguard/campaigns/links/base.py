"""Linkers: each finds pairs of accounts that share one kind of evidence.

A linker is a small dataclass registered under a stable snake_case name (its
fields are its parameters, as in a policy or scenario file).  It reads the store
through the store protocol (:class:`~distillguard.store.EventStore`, in its
:class:`LinkContext`) and returns one row per linked pair, ``src < dst``, with

- ``strength``: how much the pair shares, summed over shared keys, each key worth
  ``1 / log2(1 + df)`` where ``df`` is the number of accounts holding it (a proxy
  address shared by three accounts says more than one shared by three hundred);
- ``shared``: how many keys the pair shares.

A linker's ``weight`` scales its strength in the account graph.  Links are evidence
that accounts are *run together*, not that they are hostile: an organisation's
members, a university behind one address and the users of one popular app are
groups too.  Whether a group is a campaign is decided by what its traffic does
(:mod:`distillguard.campaigns.detect`), never by the links alone.

Candidate pairs come from buckets of bounded size: the pairs one key adds grow
linearly with its holders, never with their square, so the account graph has at
most a constant times as many edges as there are (account, key) holdings.  A key
held by at most ``max_pairs_df`` accounts links every pair of its holders (at most
``max_pairs_df**2 / 2`` pairs); a *hot key* held by more (a proxy pool's address, a
university's egress address, one template every account of an operation sends)
links its holders in a ring instead, each to its ``ring_neighbours`` next holders in
one fixed hash order: ``df * ring_neighbours`` pairs, and a group of any size stays
connected.  The hash order is the same for every key, so two accounts that hold many
hot keys together are neighbours in many rings and their link is as strong as the
keys say.  Each hot key is recorded with its holders (:class:`HotKey`, collected in
:attr:`LinkContext.hot_keys`) so that a campaign's evidence still names it.

>>> sorted(available())[:3]
['ip', 'near_duplicate', 'payment']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Final, TypeVar

import pyarrow as pa

from distillguard.arrowsql import query
from distillguard.errors import DistillguardError
from distillguard.store import EventStore, Window

#: Columns every linker returns.
PAIR_SCHEMA: Final = pa.schema(
    [
        ("src", pa.string()),
        ("dst", pa.string()),
        ("strength", pa.float64()),
        ("shared", pa.int64()),
    ]
)


#: Columns of the hot-key table: keys whose holders were linked in a ring.
HOT_KEY_SCHEMA: Final = pa.schema(
    [
        ("link_type", pa.string()),
        ("key", pa.string()),
        ("accounts", pa.int64()),
        ("holders", pa.list_(pa.string())),
    ]
)

#: Default bucket caps (see the module doc).  32 holders make at most 496 pairs; in
#: the simulated ``mixed`` scenario the operations' proxy addresses and templates are
#: held by up to thousands of accounts, so those are rings, while a household or a
#: small team sharing an address stays a clique.
MAX_PAIRS_DF: Final = 32
RING_NEIGHBOURS: Final = 8


@dataclass(frozen=True)
class HotKey:
    """A key held by more accounts than its linker's ``max_pairs_df``."""

    link_type: str
    key: str
    #: Its holders, sorted (``len(holders)`` is the key's account count).
    holders: tuple[str, ...]


@dataclass(frozen=True)
class LinkContext:
    """What linkers read: the store (through its protocol), the scan window, and the
    window's accounts with their organisation, tier and sign-up time."""

    store: EventStore
    window: Window
    #: ``account_id, org_id, tier, created_at`` of every account active in the window
    #: (:meth:`~distillguard.store.EventStore.account_attributes`).
    accounts: pa.Table
    #: Filled by the linkers as they run: the hot keys they linked in rings.
    hot_keys: list[HotKey] = field(default_factory=list, compare=False)

    @classmethod
    def read(cls, store: EventStore, window: Window | None = None) -> LinkContext:
        """The context of ``window`` (everything by default) in ``store``."""
        window = window or Window()
        return cls(store, window, store.account_attributes(window))

    @property
    def n_accounts(self) -> int:
        """Accounts active in the window (for document-frequency caps given as shares)."""
        return int(self.accounts.num_rows)


@dataclass(frozen=True)
class Linker(ABC):
    """One kind of evidence that two accounts are run together (high means linked)."""

    name: ClassVar[str]
    #: What the link means, for reports.
    description: ClassVar[str]
    #: ``infrastructure`` (addresses, payment, clients), ``content`` (what is sent),
    #: ``behaviour`` (when it is sent) or ``context``.  Only infrastructure and
    #: behaviour merge groups: two operators harvesting the same public task sets
    #: share content, not machines.
    kind: ClassVar[str] = "infrastructure"
    #: Context links help clustering but do not make an account a campaign member.
    context_only: ClassVar[bool] = False
    weight: float = 1.0
    #: Keys held by more accounts than this are hot keys, linked in a ring.
    max_pairs_df: int = MAX_PAIRS_DF
    #: How many next holders each holder of a hot key is linked to.
    ring_neighbours: int = RING_NEIGHBOURS

    @abstractmethod
    def pairs(self, ctx: LinkContext) -> pa.Table:
        """Linked pairs as :data:`PAIR_SCHEMA`, ``src < dst``, one row per pair."""

    def check(self) -> list[tuple[str, str]]:
        """Problems with the parameters as (field, message)."""
        out = [] if self.weight >= 0 else [("weight", "must be >= 0")]
        if self.max_pairs_df < 2:
            out.append(("max_pairs_df", "must be >= 2"))
        if self.ring_neighbours < 1:
            out.append(("ring_neighbours", "must be >= 1"))
        return out

    def key_pairs(
        self,
        ctx: LinkContext,
        holders: pa.Table,
        *,
        min_df: int = 2,
        max_df: int | None = None,
        same_org_factor: float = 1.0,
    ) -> pa.Table:
        """:func:`shared_key_pairs` under this linker's name and bucket caps."""
        return shared_key_pairs(
            ctx,
            holders,
            what=self.name,
            min_df=min_df,
            max_df=max_df,
            max_pairs_df=int(self.max_pairs_df),
            ring_neighbours=int(self.ring_neighbours),
            same_org_factor=same_org_factor,
        )


L = TypeVar("L", bound=type[Linker])
REGISTRY: dict[str, type[Linker]] = {}


def register(cls: L) -> L:
    if cls.name in REGISTRY:
        raise DistillguardError(f"linker {cls.name!r} is registered twice")
    REGISTRY[cls.name] = cls
    return cls


def available() -> list[str]:
    """Names of every registered linker."""
    return sorted(REGISTRY)


def create(name: str, **params: float | int | str) -> Linker:
    try:
        cls = REGISTRY[name]
    except KeyError as exc:
        raise DistillguardError(
            f"unknown linker {name!r} (known: {', '.join(available())})", field="links"
        ) from exc
    return cls(**params)  # type: ignore[arg-type]


def empty_pairs() -> pa.Table:
    return PAIR_SCHEMA.empty_table()


def holders_of(table: pa.Table, key: str = "key") -> pa.Table:
    """``account_id, key`` of ``table`` (its column ``key`` renamed ``key``)."""
    return pa.table({"account_id": table["account_id"], "key": table[key]})


def shared_key_pairs(
    ctx: LinkContext,
    holders: pa.Table,
    *,
    what: str,
    min_df: int = 2,
    max_df: int | None = None,
    max_pairs_df: int = MAX_PAIRS_DF,
    ring_neighbours: int = RING_NEIGHBOURS,
    same_org_factor: float = 1.0,
) -> pa.Table:
    """Pairs of accounts holding the same key.

    ``holders`` has columns ``account_id, key`` (duplicates allowed).  Keys held by
    fewer than ``min_df`` or more than ``max_df`` accounts are ignored; keys held by
    more than ``max_pairs_df`` link their holders in a ring (at most
    ``ring_neighbours`` pairs per holder) and are appended to ``ctx.hot_keys`` as
    ``what``'s.  Pairs inside one organisation (same non-null ``org_id``) count
    ``same_org_factor`` times.
    """
    cap = "" if max_df is None else f"AND df <= {int(max_df)}"
    sql = f"""
        WITH holders AS (
            SELECT DISTINCT account_id, CAST(key AS VARCHAR) AS key
            FROM holders WHERE key IS NOT NULL
        ),
        df AS (
            SELECT key, count(*) AS df FROM holders GROUP BY key
            HAVING count(*) >= {int(min_df)} {cap}
        ),
        h AS (
            SELECT holders.account_id, holders.key, df.df,
                   1.0 / log2(1 + df.df) AS w,
                   row_number() OVER (PARTITION BY holders.key
                                      ORDER BY hash(holders.account_id), holders.account_id) AS rn
            FROM holders JOIN df USING (key)
        ),
        small AS (
            SELECT a.account_id AS x, b.account_id AS y, a.w
            FROM h a JOIN h b ON a.key = b.key AND a.account_id < b.account_id
            WHERE a.df <= {int(max_pairs_df)}
        ),
        big AS (
            SELECT least(a.account_id, b.account_id) AS x,
                   greatest(a.account_id, b.account_id) AS y, a.w
            FROM h a JOIN h b ON a.key = b.key
                AND b.rn > a.rn AND b.rn <= a.rn + {int(ring_neighbours)}
            WHERE a.df > {int(max_pairs_df)}
        ),
        pairs AS (
            SELECT x, y, sum(w) AS strength, count(*) AS shared
            FROM (SELECT * FROM small UNION ALL SELECT * FROM big) GROUP BY x, y
        ),
        orgs AS (SELECT account_id, org_id FROM account_orgs)
        SELECT x AS src, y AS dst,
               strength * CASE WHEN ox.org_id IS NOT NULL AND ox.org_id = oy.org_id
                               THEN {float(same_org_factor)} ELSE 1.0 END AS strength,
               shared
        FROM pairs
        LEFT JOIN orgs ox ON ox.account_id = pairs.x
        LEFT JOIN orgs oy ON oy.account_id = pairs.y
    """
    held = holders.select(["account_id", "key"])
    table = query(
        sql,
        what=f"{what} links",
        holders=held,
        account_orgs=ctx.accounts.select(["account_id", "org_id"]),
    )
    ctx.hot_keys.extend(_hot_keys(held, what, min_df, max_df, max_pairs_df))
    return table.cast(PAIR_SCHEMA)


def _hot_keys(
    holders: pa.Table, what: str, min_df: int, max_df: int | None, max_pairs_df: int
) -> list[HotKey]:
    """The keys :func:`shared_key_pairs` links in a ring, with their holders."""
    hi = max(int(max_pairs_df), int(min_df) - 1)
    cap = "" if max_df is None else f"AND count(*) <= {int(max_df)}"
    rows = query(
        f"""
        WITH holders AS (
            SELECT DISTINCT account_id, CAST(key AS VARCHAR) AS key
            FROM holders WHERE key IS NOT NULL
        )
        SELECT key, list(account_id ORDER BY account_id) AS holders
        FROM holders GROUP BY key HAVING count(*) > {hi} {cap}
        ORDER BY key
        """,
        what=f"{what} hot keys",
        holders=holders,
    ).to_pylist()
    return [HotKey(what, str(r["key"]), tuple(r["holders"])) for r in rows]


__all__ = [
    "HOT_KEY_SCHEMA",
    "MAX_PAIRS_DF",
    "PAIR_SCHEMA",
    "REGISTRY",
    "RING_NEIGHBOURS",
    "HotKey",
    "LinkContext",
    "Linker",
    "available",
    "create",
    "empty_pairs",
    "holders_of",
    "register",
    "shared_key_pairs",
]
