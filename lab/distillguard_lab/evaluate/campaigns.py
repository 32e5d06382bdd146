"""Campaign-level evaluation: were the true campaigns found, and are the found ones pure?

- A true campaign counts as **found** when at least ``FOUND_SHARE`` (90%) of its
  accounts sit in one detected campaign.
- A detected campaign's **purity** is the share of its accounts that belong to its
  most common true campaign (benign accounts count against it).
- A detected campaign made mostly (more than half) of benign accounts is a **benign
  group flagged**: an organisation, university or app mistaken for a campaign.

Detected campaigns are read from the scan's ``campaign_id`` column.

>>> import pyarrow as pa
>>> labels = pa.table({"account_id": ["a", "b", "c", "d", "e"],
...     "is_attack": [True, True, True, False, False],
...     "campaign_id": ["x", "x", "x", None, None]})
>>> accounts = pa.table({"account_id": ["a", "b", "c", "d", "e"],
...     "campaign_id": ["k", "k", "k", "k", None]})
>>> r = evaluate_campaigns(accounts, labels)
>>> r.campaigns_found, r.campaign_purity, r.benign_groups_flagged
(1.0, 0.75, 0)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa
from rich.console import Console
from rich.table import Table
from rich.text import Text

from distillguard.errors import InputError

FOUND_SHARE: Final = 0.9
BENIGN: Final = "(benign)"


@dataclass(frozen=True)
class DetectedCampaign:
    campaign_id: str
    accounts: int
    #: True campaign (or "(benign)") -> accounts of it in this detected campaign.
    composition: dict[str, int]
    purity: float


@dataclass(frozen=True)
class TrueCampaign:
    campaign_id: str
    accounts: int
    #: Detected campaign holding most of its accounts, and how many it holds.
    best_match: str | None
    coverage: float
    found: bool


@dataclass(frozen=True)
class CampaignReport:
    campaigns_found: float | None
    campaign_purity: float | None
    benign_groups_flagged: int
    detected: tuple[DetectedCampaign, ...] = field(default_factory=tuple)
    true: tuple[TrueCampaign, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaigns_found": self.campaigns_found,
            "campaign_purity": self.campaign_purity,
            "benign_groups_flagged": self.benign_groups_flagged,
            "campaigns": {
                "detected": [
                    {
                        "campaign_id": d.campaign_id,
                        "accounts": d.accounts,
                        "purity": d.purity,
                        "composition": dict(d.composition),
                    }
                    for d in self.detected
                ],
                "true": [
                    {
                        "campaign_id": t.campaign_id,
                        "accounts": t.accounts,
                        "best_match": t.best_match,
                        "coverage": t.coverage,
                        "found": t.found,
                    }
                    for t in self.true
                ],
            },
        }


def evaluate_campaigns(accounts: pa.Table, labels: pa.Table) -> CampaignReport:
    """Campaign recall, purity and benign groups flagged (see the module doc)."""
    for name, table, cols in (
        ("labels", labels, ("account_id", "is_attack")),
        ("accounts", accounts, ("account_id", "campaign_id")),
    ):
        for c in cols:
            if c not in table.column_names:
                raise InputError(f"{name} table has no column {c!r}", field=c)
    truth: dict[str, str] = {}
    lab_camp = (
        labels["campaign_id"].to_pylist()
        if "campaign_id" in labels.column_names
        else [None] * labels.num_rows
    )
    for a, att, c in zip(
        labels["account_id"].to_pylist(), labels["is_attack"].to_pylist(), lab_camp, strict=True
    ):
        truth[a] = (c or "(unnamed campaign)") if att else BENIGN
    found_in: dict[str, Counter[str]] = {}
    for a, d in zip(
        accounts["account_id"].to_pylist(), accounts["campaign_id"].to_pylist(), strict=True
    ):
        if d is not None and a in truth:
            found_in.setdefault(d, Counter())[truth[a]] += 1
    detected = []
    for d, comp in sorted(found_in.items()):
        n = sum(comp.values())
        top = max((v for k, v in comp.items() if k != BENIGN), default=0)
        detected.append(DetectedCampaign(d, n, dict(comp.most_common()), top / n))
    sizes = Counter(v for v in truth.values() if v != BENIGN)
    true = []
    for c, n in sorted(sizes.items()):
        best, held = None, 0
        for d, comp in found_in.items():
            if comp.get(c, 0) > held:
                best, held = d, comp[c]
        cov = held / n
        true.append(TrueCampaign(c, n, best, cov, cov >= FOUND_SHARE))
    benign_groups = sum(1 for d in detected if d.composition.get(BENIGN, 0) * 2 > d.accounts)
    return CampaignReport(
        campaigns_found=(sum(t.found for t in true) / len(true)) if true else None,
        campaign_purity=(sum(d.purity for d in detected) / len(detected)) if detected else None,
        benign_groups_flagged=benign_groups,
        detected=tuple(detected),
        true=tuple(true),
    )


def render_campaign_report(report: CampaignReport, console: Console) -> None:
    """Rich tables: true campaigns (found or not) and detected campaigns (purity)."""

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    console.print(
        f"campaigns found {pct(report.campaigns_found)}, mean purity "
        f"{pct(report.campaign_purity)}, benign groups flagged {report.benign_groups_flagged}",
        highlight=False,
    )
    if report.true:
        t = Table(title="true campaigns", title_justify="left")
        for col in ("campaign", "accounts", "best match", "coverage", "found"):
            t.add_column(col)
        for c in report.true:
            t.add_row(
                Text(c.campaign_id),
                f"{c.accounts:,}",
                Text(c.best_match or "—"),
                pct(c.coverage),
                "yes" if c.found else "[red]no[/]",
            )
        console.print(t)
    if report.detected:
        t = Table(title="detected campaigns", title_justify="left")
        for col in ("campaign", "accounts", "purity", "made of"):
            t.add_column(col)
        for d in report.detected:
            comp = ", ".join(f"{k} {v:,}" for k, v in list(d.composition.items())[:4])
            t.add_row(Text(d.campaign_id), f"{d.accounts:,}", pct(d.purity), Text(comp))
        console.print(t)
