"""One verdict pipeline: risk → campaign lift → intel, judged once.

Every verdict comes from here.  :func:`~distillguard.scoring.risk.score_accounts`
scores each account's own traffic (step 1, *risk*: a score and the reasons for it);
a scan then lets campaign detection lift the members of a campaign (step 2,
:meth:`Verdicts.lift`) and shared intel raise the accounts that match a peer's
indicators (step 3, :meth:`Verdicts.add_intel`).  A step raises the scores of the
accounts it concerns, and only theirs, adds its reason to them and records the
independent evidence it brings (``campaign``, ``intel``: what
:class:`~distillguard.scoring.risk.BlockEvidence` lets a block rest on); nothing
is scored again.  :meth:`Verdicts.judge` then applies the one verdict rule
(:meth:`~distillguard.scoring.risk.Calibration.judge`) once, to the final scores,
and says where a block was held back for want of evidence.

The batch scan runs all three steps; campaign detection runs step 1 on each
group's merged profile (plus a group-level term, :meth:`Verdicts.add_term`); the
gateway runs step 1 on its online profiles (campaigns and intel reach it as policy
conditions, see :mod:`distillguard.gateway.policy`).

>>> import numpy as np, pyarrow as pa
>>> from distillguard.scoring.risk import Calibration
>>> cal = Calibration.fit(np.linspace(0, 1, 1000))
>>> v = Verdicts(pa.table({"account_id": ["a", "b"]}), np.array([0.2, 5.0]),
...              [[Reason("2 requests")], [Reason("3 requests")]], np.array([2.0, 3.0]), cal)
>>> [(r.verdict, r.held) for r in v.judge()]
[('allow', False), ('restrict', True)]
>>> v.add_intel({"b": "matches indicators shared by provider-A"}, "block")
>>> r = v.judge()[1]
>>> r.verdict, sorted(r.evidence), [x.source for x in r.reasons]
('block', ['intel'], ['traffic', 'intel'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

if TYPE_CHECKING:
    from distillguard.scoring.risk import Calibration

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

#: How a reason line saying that a block was held back begins.
HELD_REASON: Final = "held at restrict"
#: Steps that give reasons: the account's own traffic (risk), a group-level term
#: (campaign scoring), campaign membership, a peer's intel, the block-evidence rule.
ReasonSource = Literal["traffic", "group", "campaign", "intel", "held"]

#: Campaign ids of task pools (:mod:`distillguard.campaigns.task_pool`) start with
#: this: their members are held together by content and their own take, which
#: restricts but is not the independent evidence a block on few requests needs.
TASK_POOL_PREFIX: Final = "pool_"


def _independent(campaign_ids: Sequence[str | None]) -> npt.NDArray[np.bool_]:
    """Which campaign memberships are independent evidence (``campaign``)."""
    return np.array(
        [c is not None and not c.startswith(TASK_POOL_PREFIX) for c in campaign_ids], dtype=bool
    )


#: Columns the pipeline writes into an accounts table (after ``account_id``).
VERDICT_COLUMNS: Final = ("risk", "score", "verdict", "reasons")
CAMPAIGN_COLUMNS: Final = ("campaign_id", "membership")


@dataclass(frozen=True)
class Reason:
    """One line of an account's reasons, and the step that gave it."""

    text: str
    source: ReasonSource = "traffic"


@dataclass(frozen=True)
class AccountVerdict:
    """One account's result: its final score, risk and verdict, and why."""

    account_id: str
    score: float
    risk: float
    verdict: str
    #: Requests of the account's own in the window.
    requests: float
    reasons: tuple[Reason, ...]
    #: Independent evidence (``campaign``, ``intel``) the account has.
    evidence: frozenset[str] = frozenset()
    #: The score reaches ``block`` but the evidence does not: held at ``restrict``.
    held: bool = False
    campaign_id: str | None = None
    #: Share of the account's link weight inside its campaign.
    membership: float = 0.0


@dataclass
class _Judged:
    risk: F64
    verdicts: list[str]
    held: Mask
    reasons: list[list[Reason]]


class Verdicts:
    """Accounts on their way through the pipeline (one row per account of ``base``).

    ``base`` is the accounts' other columns (``account_id`` first: features, tier),
    ``score`` and ``reasons`` what step 1 found, ``requests`` the accounts' own
    request counts.  Rows are judged when a step has touched them: all of them after
    step 1; only those a later step concerns when the pipeline was resumed from an
    accounts table (:meth:`from_table`).
    """

    def __init__(
        self,
        base: pa.Table,
        score: F64,
        reasons: list[list[Reason]],
        requests: F64,
        calibration: Calibration,
    ) -> None:
        n = base.num_rows
        if not (len(score) == len(reasons) == len(requests) == n):
            raise ValueError(f"{len(score)} scores and {len(reasons)} reasons for {n} accounts")
        self.base = base
        self.calibration = calibration
        self.requests = np.asarray(requests, dtype=np.float64)
        self.score: F64 = np.array(score, dtype=np.float64)
        #: Reasons without the held-back line (judging adds it where it applies).
        self.reasons = [
            [r for r in lines if not r.text.startswith(HELD_REASON)] for lines in reasons
        ]
        #: Independent evidence per kind (``campaign``, ``intel``): a mask over accounts.
        self.evidence: dict[str, Mask] = {}
        #: Campaign of each account, once the campaign step ran (None before).
        self.campaign_id: list[str | None] | None = None
        self.membership: F64 | None = None
        #: Rows whose verdict is (re)computed by :meth:`judge`.
        self.touched: Mask = np.ones(n, dtype=bool)
        #: Scores after each step: the table is ordered by the last, ties by the
        #: earlier ones (as when each step sorted the table it was given).
        self._ranks: list[F64] = [self.score.copy()]
        self._pos: dict[str, int] | None = None

    def __len__(self) -> int:
        return int(self.base.num_rows)

    @classmethod
    def from_table(cls, accounts: pa.Table, calibration: Calibration) -> Verdicts:
        """Resume the pipeline from an accounts table (``score``, ``reasons``,
        ``requests``; campaign columns when it has them): rows no later step touches
        keep the verdict, risk and reasons they have, and the table's order is the
        last tie-break.  (Its reasons are attributed to the traffic step.)"""
        reasons = [
            [Reason(str(x)) for x in lines or []] for lines in accounts["reasons"].to_pylist()
        ]
        out = cls(
            accounts,
            accounts["score"].to_numpy().astype(np.float64),
            reasons,
            accounts["requests"].to_numpy().astype(np.float64),
            calibration,
        )
        out.touched[:] = False
        out._ranks = []
        if "campaign_id" in accounts.column_names:
            camp = accounts["campaign_id"].to_pylist()
            out.campaign_id = camp
            out.evidence["campaign"] = _independent(camp)
            if "membership" in accounts.column_names:
                out.membership = accounts["membership"].to_numpy().astype(np.float64)
        return out

    # ------------------------------------------------------------------ steps
    def position(self, account_id: str) -> int | None:
        """Row of ``account_id`` (None: not among these accounts)."""
        if self._pos is None:
            ids = self.base["account_id"].to_pylist()
            self._pos = {a: i for i, a in enumerate(ids)}
        return self._pos.get(account_id)

    def add_term(self, term: F64, lines: Mapping[int, str], *, at: int = 1) -> None:
        """Add ``term`` to every score (a group-level evidence term) and each line of
        ``lines`` (row → text) at position ``at`` of that row's reasons."""
        self.score = self.score + np.asarray(term, dtype=np.float64)
        for i, text in lines.items():
            self.reasons[i].insert(at, Reason(text, "group"))
        self.touched[:] = True
        self._ranks.append(self.score.copy())

    def lift(self, members: pa.Table, campaigns: pa.Table) -> None:
        """Step 2: campaign membership.

        ``members`` (``account_id, group_id, membership``) are the campaigns' members,
        ``campaigns`` (``account_id`` = campaign id, ``score``) their scores.  A
        member's score becomes at least the campaign's score times
        ``min(1, 2 * membership)`` (half or more of an account's link weight inside
        the campaign is full membership); the reason goes second when it lifted the
        score, last otherwise; membership is independent evidence (``campaign``),
        except in a task pool (ids starting with :data:`TASK_POOL_PREFIX`).
        Campaign columns from an earlier run are replaced.
        """
        n = len(self)
        previous = self.campaign_id
        camp: list[str | None] = [None] * n
        share = np.zeros(n)
        cscore = dict(
            zip(campaigns["account_id"].to_pylist(), campaigns["score"].to_pylist(), strict=True)
        )
        size: dict[str, int] = {}
        for gid in members["group_id"].to_pylist():
            size[gid] = size.get(gid, 0) + 1
        for a, gid, m in zip(
            members["account_id"].to_pylist(),
            members["group_id"].to_pylist(),
            members["membership"].to_pylist(),
            strict=True,
        ):
            i = self.position(a)
            if i is None:
                continue
            camp[i] = gid
            share[i] = m
            lifted = float(cscore[gid]) * min(1.0, 2.0 * float(m))
            line = Reason(
                f"member of campaign {gid} ({size[gid]:,} linked accounts, campaign score "
                f"{float(cscore[gid]):.2f}; {m:.0%} of this account's links are inside it)",
                "campaign",
            )
            if lifted > self.score[i]:
                self.score[i] = lifted
                self.reasons[i].insert(1, line)
            else:
                self.reasons[i].append(line)
            self.touched[i] = True
        member = np.array([c is not None for c in camp], dtype=bool)
        if previous is not None:
            self.touched |= np.array([c is not None for c in previous], dtype=bool)
        self.campaign_id, self.membership = camp, share
        self.evidence["campaign"] = member & _independent(camp)
        self._ranks.append(self.score.copy())

    def add_intel(self, matched: Mapping[str, str], verdict: str = "block") -> None:
        """Step 3: a peer's indicators.

        ``matched`` maps account ids to the match's reason.  A matched account's score
        becomes at least the calibration's threshold for ``verdict``; the reason goes
        second; the match is independent evidence (``intel``).
        """
        if not matched:
            return
        floor = float(self.calibration.thresholds[verdict])
        hit = np.zeros(len(self), dtype=bool)
        for account, text in matched.items():
            i = self.position(account)
            if i is None:
                continue
            hit[i] = True
            self.score[i] = max(float(self.score[i]), floor)
            lines = self.reasons[i]
            lines.insert(min(1, len(lines)), Reason(text, "intel"))
        self.evidence["intel"] = self.evidence.get("intel", np.zeros(len(self), bool)) | hit
        self.touched |= hit
        self._ranks.append(self.score.copy())

    # ------------------------------------------------------------------ judging
    def _judge(self) -> _Judged:
        cal = self.calibration
        rows = np.flatnonzero(self.touched)
        kinds = {k: m[rows] for k, m in self.evidence.items()}
        verdicts, held = cal.judge(self.score[rows], self.requests[rows], kinds)
        risk = cal.risk(self.score[rows])
        describe = cal.block_evidence.describe()
        out = [list(lines) for lines in self.reasons]
        for j in np.flatnonzero(held):
            i = int(rows[j])
            out[i].append(
                Reason(
                    f"{HELD_REASON}: the score reaches block on {int(self.requests[i]):,} "
                    f"requests, too few to block on alone ({describe})",
                    "held",
                )
            )
        return _Judged(risk, verdicts, held, out)

    def judge(self) -> list[AccountVerdict]:
        """Every account's result, in the order of :attr:`base` (rows untouched since
        :meth:`from_table` keep the values of that table)."""
        j = self._judge()
        rows = np.flatnonzero(self.touched)
        at = {int(i): k for k, i in enumerate(rows)}
        ids = self.base["account_id"].to_pylist()
        kept = None if len(rows) == len(self) else self.base.select(["risk", "verdict", "reasons"])
        kinds = sorted(self.evidence)
        out = []
        for i, account in enumerate(ids):
            k = at.get(i)
            reasons = j.reasons[i]
            if k is not None:
                risk, verdict, held = float(j.risk[k]), j.verdicts[k], bool(j.held[k])
            else:
                assert kept is not None  # rows are untouched only when resumed from a table
                risk, verdict = float(kept["risk"][i].as_py()), str(kept["verdict"][i].as_py())
                reasons = [
                    Reason(x, "held") if x.startswith(HELD_REASON) else Reason(x)
                    for x in kept["reasons"][i].as_py() or []
                ]
                held = any(r.source == "held" for r in reasons)
            out.append(
                AccountVerdict(
                    account_id=str(account),
                    score=float(self.score[i]),
                    risk=risk,
                    verdict=verdict,
                    requests=float(self.requests[i]),
                    reasons=tuple(reasons),
                    evidence=frozenset(k for k in kinds if self.evidence[k][i]),
                    held=held,
                    campaign_id=None if self.campaign_id is None else self.campaign_id[i],
                    membership=0.0 if self.membership is None else float(self.membership[i]),
                )
            )
        return out

    def order(self) -> npt.NDArray[np.intp]:
        """Rows by final score (highest first); ties by the scores of earlier steps,
        then by position."""
        idx = np.arange(len(self))
        if not self._ranks:
            return idx
        out: npt.NDArray[np.intp] = np.lexsort([idx, *(-s for s in self._ranks)])
        return out

    def table(self) -> pa.Table:
        """The accounts table: ``account_id, risk, score, verdict, reasons``, the other
        columns of :attr:`base`, then ``campaign_id, membership`` once the campaign
        step ran; ordered by :meth:`order`."""
        j = self._judge()
        rows = np.flatnonzero(self.touched)
        table = self.base
        n = len(self)
        if len(rows) == n:
            risk = pa.array(j.risk, pa.float64())
            verdict = pa.array(j.verdicts, pa.string())
            texts = [[r.text for r in lines] for lines in j.reasons]
        else:
            risk_np = table["risk"].to_numpy().astype(np.float64).copy()
            risk_np[rows] = j.risk
            risk = pa.array(risk_np, pa.float64())
            verdict_l = table["verdict"].to_pylist()
            for k, i in enumerate(rows.tolist()):
                verdict_l[i] = j.verdicts[k]
            verdict = pa.array(verdict_l, pa.string())
            touched = set(rows.tolist())
            old = table["reasons"].to_pylist()
            texts = [[r.text for r in j.reasons[i]] if i in touched else old[i] for i in range(n)]
        cols = {
            "risk": risk,
            "score": pa.array(self.score, pa.float64()),
            "verdict": verdict,
            "reasons": pa.array(texts, pa.list_(pa.string())),
        }
        for k, name in enumerate(VERDICT_COLUMNS, start=1):
            if name in table.column_names:
                table = table.set_column(table.schema.get_field_index(name), name, cols[name])
            else:
                table = table.add_column(k, name, cols[name])
        if self.campaign_id is not None:
            table = table.drop_columns([c for c in CAMPAIGN_COLUMNS if c in table.column_names])
            table = table.append_column("campaign_id", pa.array(self.campaign_id, pa.string()))
            membership = self.membership if self.membership is not None else np.zeros(n)
            table = table.append_column("membership", pa.array(membership, pa.float64()))
        return table.take(pa.array(self.order()))


__all__ = [
    "CAMPAIGN_COLUMNS",
    "HELD_REASON",
    "VERDICT_COLUMNS",
    "AccountVerdict",
    "Reason",
    "ReasonSource",
    "Verdicts",
]
