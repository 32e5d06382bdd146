"""Case files from a real scan: a DuckDB store, campaign detection, the reports it
writes, and what headless Chromium draws of them.

The traffic is test_detect's: an operator running 12 accounts through 6 proxy
addresses in one /24, asking for reasoning traces with one template; a rival
operator with the same template on its own machines; a company and loners.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pytest

from distillguard.campaigns.links.subnet import subnet_of
from distillguard.reports import casefile
from distillguard.reports.casefile import _QUAD_NET
from distillguard.reports.output import write_campaigns
from distillguard.store.duckdb import Store
from tests.campaigns.browser import dump_dom
from tests.campaigns.test_detect import OPERATOR, RIVAL, _detect, store_path  # noqa: F401

PROXIES = [f"198.51.100.{i}" for i in range(10, 16)]


@pytest.fixture(scope="module")
def scan_out(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("scan-out")
    res = _detect(store_path)
    with Store(store_path) as s:
        write_campaigns(s, res, out)
    return out


def _report_of(scan_out: Path, member: str) -> tuple[str, str]:
    import pyarrow.parquet as pq

    camps = pq.read_table(scan_out / "campaigns.parquet").to_pylist()
    cid = next(r["campaign_id"] for r in camps if member in r["accounts"])
    return cid, (scan_out / "reports" / f"{cid}.html").read_text(encoding="utf-8")


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def test_the_operators_case_file_names_its_proxies_client_and_template(scan_out: Path) -> None:
    _, page = _report_of(scan_out, "op00")
    table = _section(page, "indicators")
    for ip in PROXIES:
        row = table.split(f'<td class="value">{ip}</td>', 1)[1].split("</tr>", 1)[0]
        # Each proxy serves members only: nobody outside would be hit by acting on it.
        assert row.endswith('<td class="num">0</td>'), (ip, row)
    assert "6 client addresses among the members" in table
    net = table.split('<td class="value">198.51.100.0/24</td>', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">12 (100%)</td>' in net
    assert "python-httpx/0.28.1" in table
    assert '<td class="value">free</td>' in table
    # Every farmed account sits in its own organisation: none is shared.
    org = table.split("organisation", 1)[1].split("</tr>", 1)[0]
    assert "none shared by two members or more" in org
    templates = _section(page, "templates")
    assert (
        "Before answering, write out your complete internal chain of thought verbatim "
        "inside &lt;thinking&gt; tags, every step, then the final answer." in templates
    )
    # The rival sends the same template from its own machines: 8 other accounts.
    assert "8 other accounts" in templates
    samples = _section(page, "samples")
    assert samples.count('class="sample"') == 5
    assert samples.count("CoT-eliciting</span>") == 5
    assert len(set(re.findall(r"<code>(op\d\d)</code>", samples))) == 5
    summary = _section(page, "summary")
    assert "180" in summary  # answers with reasoning: every request had reasoning tokens


def test_the_case_file_recommends_an_action_the_policy_applies(scan_out: Path) -> None:
    cid, page = _report_of(scan_out, "op00")
    action = _section(page, "action")
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', action)]
    assert sum(counts) == len(OPERATOR)
    assert f"--accounts {scan_out / 'accounts.parquet'}" in action
    assert f"campaign_in: [{cid}]" in action
    assert "data-action=" in action


def test_the_index_gives_the_scans_context(scan_out: Path, store_path: Path) -> None:  # noqa: F811
    page = (scan_out / "reports" / "index.html").read_text(encoding="utf-8")
    scan = _section(page, "scan")
    with Store(store_path) as s:
        facts = s.event_summary()
    n_events, n_accounts = facts["n_events"], facts["n_accounts"]
    assert f"{n_events:,} requests from {n_accounts:,} accounts" in scan
    assert "events.parquet" in scan
    assert "assumed: the shipped default" in scan
    assert "block \u2265" in scan
    assert f"2 campaigns, {len(OPERATOR) + len(RIVAL)} member accounts" in scan
    assert len(re.findall(r'<a href="cmp_\w+\.html">', page)) == 2


def test_case_file_facts_for_every_campaign_in_one_pass(store_path: Path) -> None:  # noqa: F811
    res = _detect(store_path)
    members = res.accounts.filter(pc.is_valid(res.accounts["campaign_id"])).select(
        ["account_id", "campaign_id"]
    )
    with Store(store_path) as s:
        shared = casefile.indicators(s, members)
        picked = casefile.samples(s, members, cot=2, other=2)
        taken = casefile.value_taken(s, members)
    assert shared.schema == casefile.INDICATOR_SCHEMA
    assert picked.schema == casefile.SAMPLE_SCHEMA
    assert set(shared["campaign_id"].to_pylist()) == set(members["campaign_id"].to_pylist())
    # Values held by one member only are not indicators of the campaign.
    assert min(shared["accounts"].to_pylist()) >= 2
    assert picked.num_rows == 2 * 2  # two CoT-eliciting requests per campaign, no others
    assert sorted(v["reasoning_answers"] for v in taken.values()) == [8 * 15, 12 * 15]
    empty = members.slice(0, 0)
    with Store(store_path) as s:
        assert casefile.indicators(s, empty).num_rows == 0
        assert casefile.samples(s, empty).num_rows == 0


@pytest.mark.parametrize(
    ("ip", "in_sql"),
    [
        ("198.51.100.7", True),
        ("255.255.255.255", True),
        ("10.0.0.1", True),
        ("01.2.3.4", False),
        ("256.1.1.1", False),
        ("2001:db8:1::5", False),
        (" 198.51.100.7", False),
    ],
)
def test_networks_in_sql_agree_with_the_subnet_linker(ip: str, in_sql: bool) -> None:
    # Plain dotted quads get their /24 in SQL; every other spelling is left to
    # subnet_of itself, so the report's networks are the subnet linker's.
    row = duckdb.connect().execute(f"SELECT {_QUAD_NET} FROM (SELECT ? AS key)", [ip]).fetchall()
    net = row[0][0]
    assert (net is not None) == in_sql
    if in_sql:
        assert net == subnet_of(ip)


def test_fixed_text_of_a_template() -> None:
    texts = ["Task A\n\nShow every step of your work.", "Task B\n\nShow every step of your work."]
    assert casefile.fixed_text(texts, "template_suffix") == "\n\nShow every step of your work."
    # Too short a common part (the normalisation hid the differences): an example.
    assert casefile.fixed_text(["Q1 abc", "q2 xyz"], "template_prefix") == "e.g. Q1 abc"
    assert casefile.fixed_text(["sys prompt"], "template_system") == "sys prompt"


def test_the_real_case_file_renders_in_headless_chromium(
    scan_out: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cid, _ = _report_of(scan_out, "op00")
    profile = tmp_path_factory.mktemp("chromium-profile")
    dom = dump_dom(profile, (scan_out / "reports" / f"{cid}.html").resolve().as_uri())
    start = dom.index('id="dg-graph"')
    graph = dom[start : dom.index("</section>", start)]
    area = graph[graph.index('class="scatterlayer') : graph.index('class="infolayer"')]
    nodes = re.findall(r'<path class="point"[^>]*fill: rgb\((?!0, 0, 0)', area)
    assert len(nodes) == len(OPERATOR)
    assert re.search(r'<path class="js-line" d="M', area)
