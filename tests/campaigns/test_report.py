"""Campaign case files: page structure, indicators, action, graph counts, caps,
escaping, determinism, the index; and what headless Chromium draws of them."""

from __future__ import annotations

import csv
import random
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from distillguard.errors import DistillguardError
from distillguard.gateway.policy import Subject, decide, load_policy_text
from distillguard.gateway.state import AccountView
from distillguard.reports.action import ActionsError, load_actions
from distillguard.reports.campaign import (
    PLOTLYJS_NAME,
    CampaignView,
    ScanContext,
    render_index,
    render_report,
)
from distillguard.reports.formatting import LINK_COLOURS, VERDICT_COLOURS
from tests.campaigns.browser import (
    chromatic_pixels,
    dump_dom,
    pixels_near,
    pixels_of_hue,
    screenshot,
    section_only,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")
LINK_TYPES = ("payment", "template", "subnet")
CAPABILITIES = {"coding": 5210, "math": 2875, "reasoning": 4120, "agentic": 640, "writing": 310}
SCRIPT_ID = "<script>alert(1)</script>"
# Would mark the page if any account id ever reached the DOM as markup.
PWN_ID = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
HOSTILE_UA = "<script>alert(2)</script>/1.0"
FORMULA_UA = '=HYPERLINK("http://example.invalid","x")'
TEMPLATE = "Before answering, write out your complete chain of thought inside <thinking> tags."
CONTEXT = ScanContext(
    generated_at=datetime(2025, 3, 3, 9, 30, tzinfo=UTC),
    n_events=1_000_000,
    n_accounts=26_275,
    first_ts=T0,
    last_ts=T0 + timedelta(days=2),
    verdicts={"allow": 25_000, "watch": 900, "restrict": 200, "block": 175},
    inputs=(
        {
            "path": "logs/day-1.parquet",
            "rows_good": 600_000,
            "rows_quarantined": 12,
            "loaded_at": datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
        },
    ),
    calibration={
        "source": "benign accounts of simulated standard seed 100",
        "benign_accounts": 77_480,
        "thresholds": {"watch": 0.46, "restrict": 0.84, "block": 1.08},
        "fpr": {"watch": 0.01, "restrict": 0.001, "block": 0.0002},
    },
    out_dir="scan-out",
    store="dg.duckdb",
    accounts_file="scan-out/accounts.parquet",
)


def make_view(
    campaign_id: str = "c1",
    *,
    n_accounts: int = 60,
    n_edges: int = 300,
    score: float = 0.91,
    seed: int = 0,
    n_core: int = 0,
    reasoning_tokens: int = 11_200_000,
) -> CampaignView:
    """A realistic campaign built by hand: two hostile ids among ordinary ones.

    With ``n_core``, four links in five join the first ``n_core`` accounts: the
    densely linked core a real hydra has.  Links come in either direction and some
    repeat, as hand-made or merged link tables do.
    """
    rng = random.Random(seed)
    ids = [f"acct-{i:05d}" for i in range(n_accounts - 2)] + [SCRIPT_ID, PWN_ID]
    verdicts = ["block", "restrict", "watch", "allow"]
    firsts = [T0 + timedelta(minutes=rng.randrange(0, 600)) for _ in ids]
    accounts = pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            "risk": pa.array([round(rng.random(), 3) for _ in ids], pa.float64()),
            "verdict": pa.array([rng.choice(verdicts) for _ in ids], pa.string()),
            "n": pa.array([rng.randrange(5, 2000) for _ in ids], pa.int64()),
            "first_ts": pa.array(firsts, TS),
            "last_ts": pa.array([f + timedelta(hours=rng.randrange(1, 47)) for f in firsts], TS),
        }
    )
    core = ids[:n_core]
    pairs = [
        tuple(rng.sample(core if core and rng.random() < 0.8 else ids, 2)) for _ in range(n_edges)
    ]
    edges = pa.table(
        {
            "src": pa.array([p[0] for p in pairs], pa.string()),
            "dst": pa.array([p[1] for p in pairs], pa.string()),
            "link_type": pa.array([rng.choice(LINK_TYPES) for _ in pairs], pa.string()),
            "weight": pa.array([round(rng.uniform(0.1, 1.0), 2) for _ in pairs], pa.float64()),
        }
    )
    evidence = pa.table(
        {
            "link_type": pa.array(list(LINK_TYPES), pa.string()),
            "pairs": pa.array([812, 455, 97], pa.int64()),
            "accounts": pa.array([58, 41, 17], pa.int64()),
            "weight": pa.array([1432.5, 611.25, 88.0], pa.float64()),
            "detail": pa.array(
                [
                    "3 card fingerprints shared by 58 accounts",
                    "same <b>skeleton</b> in 455 prompt pairs (Jaccard >= 0.9)",
                    "17 accounts from 2 /24 subnets within 6 h",
                ],
                pa.string(),
            ),
        }
    )
    hours = [T0 + timedelta(hours=h) for h in range(48)]
    counts = [int(200 + 180 * abs(((h % 24) - 12) / 12)) + rng.randrange(0, 40) for h in range(48)]
    timeline = pa.table(
        {
            "hour": pa.array(hours, TS),
            "n": pa.array(counts, pa.int64()),
            "n_cot": pa.array([c // 3 for c in counts], pa.int64()),
        }
    )
    indicators = pa.Table.from_pylist(
        [
            _ind("ip", "203.0.113.77", n_accounts - 2, 9_000, 0, 3),
            _ind("ip", "203.0.113.78", 40, 4_000, 2, 3),
            _ind("subnet", "203.0.113.0/24", n_accounts, 13_500, 5, 1),
            _ind("payment", "pm_3e3b0a0d0e7ca6c3", 31, 6_100, 0, 4),
            _ind("user_agent", HOSTILE_UA, 12, 2_200, 1_853, 2),
            _ind("user_agent", FORMULA_UA, 2, 10, 0, 2),
            _ind("tier", "research", n_accounts, 13_500, None, 1),
            _ind("template_prefix", TEMPLATE, 44, 5_400, 3, 2),
            _ind("template_system", "You are a data generation assistant.", 9, 800, 0, 1),
        ]
    )
    samples = pa.Table.from_pylist(
        [
            {
                "account_id": ids[i],
                "ts": T0 + timedelta(hours=i),
                "capability": "math",
                "cot": i < 2,
                "model": "reasoner-1",
                "text": f"{TEMPLATE}\n\nProblem {i}: prove that <b>{i}</b> + 1 > {i}." + "x" * 800,
                "system": "You are a data generation assistant." if i == 0 else None,
            }
            for i in (0, 1, n_accounts - 2)
        ]
    )
    return CampaignView(
        campaign_id=campaign_id,
        score=score,
        risk=1.0,
        verdict="block",
        reasons=(
            f"{n_accounts} accounts share 3 payment fingerprints",
            "62% of requests ask for step-by-step reasoning (baseline 4%)",
            f"account {SCRIPT_ID} opened 40 sibling accounts in 2 h",
        ),
        summary={
            "n_accounts": n_accounts,
            "n_events": sum(counts),
            "cot_events": sum(counts) // 3,
            "reasoning_answers": sum(counts) // 2,
            "first_ts": T0,
            "last_ts": T0 + timedelta(hours=47, minutes=59),
            "completion_tokens": 18_400_000,
            "reasoning_tokens": reasoning_tokens,
            "top_capability": "coding",
        },
        accounts=accounts,
        edges=edges,
        evidence=evidence,
        timeline=timeline,
        capabilities=dict(CAPABILITIES),
        indicators=indicators,
        samples=samples,
    )


def _ind(
    kind: str, value: str, accounts: int, requests: int, outside: int | None, n_values: int
) -> dict[str, Any]:
    return {
        "kind": kind,
        "value": value,
        "accounts": accounts,
        "requests": requests,
        "outside_accounts": outside,
        "n_values": n_values,
    }


def _pairs(view: CampaignView) -> dict[str, set[frozenset[str]]]:
    """Distinct account pairs per link type, counted independently of the report."""
    out: dict[str, set[frozenset[str]]] = {}
    for e in view.edges.to_pylist():
        if e["src"] != e["dst"]:
            out.setdefault(e["link_type"], set()).add(frozenset((e["src"], e["dst"])))
    return out


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


@pytest.fixture(scope="module")
def view() -> CampaignView:
    return make_view()


@pytest.fixture(scope="module")
def large_view() -> CampaignView:
    return make_view("c-large", n_accounts=1000, n_edges=20_000, score=0.64, seed=1, n_core=300)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, view: CampaignView) -> Path:
    out = tmp_path_factory.mktemp("reports")
    render_report(view, out, context=CONTEXT)
    render_index([view], out, context=CONTEXT)
    return out / "c1.html"


@pytest.fixture(scope="module")
def rendered_large(tmp_path_factory: pytest.TempPathFactory, large_view: CampaignView) -> Path:
    return render_report(large_view, tmp_path_factory.mktemp("reports-large"), context=CONTEXT)


# ------------------------------------------------------------------- page structure


def test_report_is_written_next_to_one_shared_plotlyjs(tmp_path: Path, view: CampaignView) -> None:
    first = render_report(view, tmp_path)
    second = render_report(make_view("c2", seed=2), tmp_path)
    assert first == tmp_path / "c1.html"
    assert second == tmp_path / "c2.html"
    js = tmp_path / PLOTLYJS_NAME
    assert js.stat().st_size > 1_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "c1.html",
        "c1.indicators.csv",
        "c2.html",
        "c2.indicators.csv",
        PLOTLYJS_NAME,
    ]
    page = first.read_text(encoding="utf-8")
    assert page.count(f'<script src="{PLOTLYJS_NAME}"') == 1
    assert len(page) < 400_000  # the library itself is not inlined
    # Nothing is fetched from a network when the page is viewed.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_report_shows_summary_reasons_and_figures(rendered: Path) -> None:
    page = rendered.read_text(encoding="utf-8")
    summary = _section(page, "summary")
    assert "Campaign <code>c1</code>" in summary
    assert "score 0.91" in summary
    assert "block threshold 1.08" in summary
    assert "risk 1.00" in summary
    assert "18,400,000" in summary  # completion tokens
    assert "11,200,000" in summary  # reasoning tokens
    assert "answers with reasoning" in summary
    assert "2025-03-01 00:00 UTC" in summary
    assert "1 d 23 h" in summary
    assert "62% of requests ask for step-by-step reasoning (baseline 4%)" in summary
    for div_id in ("dg-timeline", "dg-capabilities", "dg-graph"):
        assert page.count(f'id="{div_id}"') == 1
    evidence = _section(page, "evidence")
    assert evidence.count("<tr>") == 4  # header + 3 link types
    assert "3 card fingerprints shared by 58 accounts" in evidence
    assert "1,432" in evidence
    for link_type in LINK_TYPES:
        assert f"</span>{link_type}</td>" in evidence
        assert LINK_COLOURS[link_type] in evidence  # same swatch colour as the graph
    assert "data 2025-03-01 00:00 UTC" in page.split("<footer>", 1)[1]


def test_case_file_names_the_shared_values(rendered: Path) -> None:
    page = rendered.read_text(encoding="utf-8")
    table = _section(page, "indicators")
    # The top address of the campaign, as the provider sees it, with its reach.
    row = table.split('<td class="value">203.0.113.77</td>', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["58 (97%)", "9,000", "0"]
    assert "203.0.113.0/24" in table
    assert "pm_3e3b0a0d0e7ca6c3" in table
    assert "3 client addresses among the members" in table
    assert "&lt;script&gt;alert(2)&lt;/script&gt;/1.0" in table
    assert "1,853" in table  # other accounts with that client: not safe to act on alone
    assert "none shared by two members or more" in table  # organisation
    templates = _section(page, "templates")
    assert "opens with" in templates
    assert "system prompt" in templates
    assert "&lt;thinking&gt; tags." in templates
    assert "You are a data generation assistant." in templates
    samples = _section(page, "samples")
    assert samples.count('class="sample"') == 3
    assert samples.count("CoT-eliciting</span>") == 2
    assert "prove that &lt;b&gt;0&lt;/b&gt; + 1 &gt; 0." in samples
    assert "x" * 700 not in samples.replace("x" * 650, "", 1) or "\u2026" in samples
    assert "<details><summary>system prompt</summary>" in samples


def test_every_shared_value_goes_to_a_csv_beside_the_report(
    tmp_path: Path, view: CampaignView
) -> None:
    page = render_report(view, tmp_path, shown_values=1).read_text(encoding="utf-8")
    table = _section(page, "indicators")
    assert "2 shared by two or more; 1 more shared in the CSV" in table  # addresses
    assert "203.0.113.78" not in table
    assert 'href="c1.indicators.csv"' in table
    assert view.indicators is not None
    with (tmp_path / "c1.indicators.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == view.indicators.num_rows
    assert {
        "kind": "ip",
        "value": "203.0.113.78",
        "member_accounts": "40",
        "requests": "4000",
        "other_accounts": "2",
    } in rows
    # An attacker's user agent cannot become a spreadsheet formula.
    assert "'" + FORMULA_UA in [r["value"] for r in rows]
    assert [r["other_accounts"] for r in rows if r["kind"] == "tier"] == [""]


def test_recommended_action_maps_every_member_to_a_policy_rule(
    rendered: Path, view: CampaignView
) -> None:
    page = rendered.read_text(encoding="utf-8")
    action = _section(page, "action")
    assert 'data-action="block"' in action
    assert "Block the campaign" in action
    verdicts = view.accounts["verdict"].to_pylist()
    n_block = verdicts.count("block")
    rows = _section(page, "action-table").split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = dict(
        re.findall(r"<td><code>([\w-]+)</code></td>.*?<td class=\"num\">([\d,]+)</td>", rows)
    )
    # The shipped policy: scan-blocked members stop at batch-block, the rest of the
    # campaign is throttled together by the campaign rule.
    assert found == {"batch-block": f"{n_block:,}", "campaign": f"{60 - n_block:,}"}
    assert "for the whole campaign together" in rows
    assert (
        "distillguard serve --upstream URL --keys keys.csv --accounts scan-out/accounts.parquet"
        in action
    )
    assert "distillguard sync --accounts scan-out/accounts.parquet --redis" in action
    assert "distillguard intel export scan-out --store dg.duckdb" in action
    # The rule offered for this campaign is one the gateway accepts, and blocks them all.
    rule_yaml = _section(page, "action").split('id="campaign-rule">', 1)[1].split("</pre>", 1)[0]
    policy = load_policy_text("rules:\n" + rule_yaml.replace("&quot;", '"'), "offered.yaml")
    member = AccountView(campaign_id="c1", batch_verdict="watch")
    subject = Subject("acct-00001", None, None, member)
    rule = decide(policy, subject, {}, datetime(2025, 3, 3, tzinfo=UTC))
    assert rule is not None
    assert rule.action == "block"


def test_the_action_follows_the_policy_file_given(tmp_path: Path, view: CampaignView) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "rules:\n"
        "  - name: campaigns-verify\n"
        "    when: {in_campaign: true}\n"
        "    action: require_verification\n",
        encoding="utf-8",
    )
    page = render_report(view, tmp_path / "r", policy_file=policy).read_text(encoding="utf-8")
    rows = _section(page, "action-table")
    assert "<code>campaigns-verify</code>" in rows
    assert ">60</td>" in rows
    assert "refused until verified" in rows
    assert str(policy) in _section(page, "action")


def test_the_actions_file_is_validated_with_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "actions.yaml"
    bad.write_text(
        "version: 1\nactions:\n  default:\n    title: Review\n    summary: scores $scor\n",
        encoding="utf-8",
    )
    with pytest.raises(ActionsError) as info:
        load_actions(bad)
    assert info.value.line == 5
    assert info.value.field == "actions.default.summary"
    assert "unknown placeholder $scor" in str(info.value)
    bad.write_text(
        "version: 1\nactions:\n  default:\n    title: Review\n    summary: x\n"
        "    rule: |\n      - name: r\n        action: explode\n",
        encoding="utf-8",
    )
    with pytest.raises(ActionsError, match="not a valid policy rule"):
        load_actions(bad)
    assert set(load_actions().actions) >= {"block", "restrict", "default"}


def test_report_escapes_account_ids_reasons_and_details(rendered: Path) -> None:
    page = rendered.read_text(encoding="utf-8")
    assert SCRIPT_ID not in page
    assert "<img src=x" not in page
    assert "<b>skeleton</b>" not in page
    assert "<thinking>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # account table and reason
    assert "same &lt;b&gt;skeleton&lt;/b&gt;" in page
    # Inside the figure JSON '<' is written as \u003c, so nothing can close a script.
    assert page.count("<script") == 1 + 3  # plotly.min.js + one per figure


# -------------------------------------------------------------------- account graph


def test_graph_states_links_per_type_and_distinct_pairs(rendered: Path, view: CampaignView) -> None:
    page = rendered.read_text(encoding="utf-8")
    graph = _section(page, "graph")
    assert 'data-mode="accounts"' in graph
    per_type = _pairs(view)
    distinct = set().union(*per_type.values())
    links = sum(len(p) for p in per_type.values())
    note = graph.split('id="graph-note">', 1)[1].split("</div>", 1)[0]
    assert f"60 accounts; {len(distinct):,} distinct linked pairs" in note
    assert f"{links:,} links of 3 types" in note
    # Hover labels: each account with its verdict, volume and links by type; each
    # drawn link's middle with the pair and every type that joins it.
    assert graph.count("linked accounts by type: ") == 60
    assert "acct-00003" in graph
    assert re.search(r"acct-\d{5} \\u2194 acct-\d{5}", graph)
    legend = graph.split('id="link-legend">', 1)[1].split("</ul>", 1)[0]
    for lt, pairs in per_type.items():
        assert f'data-link-type="{lt}"' in legend
        assert f"{lt} <b>{len(pairs):,}</b> pairs" in legend
        assert LINK_COLOURS[lt] in legend


def test_large_campaign_is_drawn_as_groups_and_says_so(
    rendered_large: Path, large_view: CampaignView
) -> None:
    page = rendered_large.read_text(encoding="utf-8")
    graph = _section(page, "graph")
    assert 'data-mode="groups"' in graph
    distinct = set().union(*_pairs(large_view).values())
    assert f"1,000 accounts; {len(distinct):,} distinct linked pairs" in graph
    assert "1,000 accounts are too many to draw one by one" in graph
    groups = sorted(set(re.findall(r"G(\d+) \\u00b7 \d", graph)), key=int)
    assert 2 <= len(groups) <= 30
    assert graph.count("links inside:") == len(groups)  # a hover label per group
    # Each account's group is named in the account table.
    table = _section(page, "account-table")
    assert "<th>group</th>" in table
    assert re.search(r'<td class="id">acct-\d{5}</td><td>G\d+</td>', table)
    assert "showing the top 200 of 1,000 accounts by risk" in page
    assert len(page) < 1_500_000


def test_small_campaign_keeps_each_accounts_strongest_links(tmp_path: Path) -> None:
    dense = make_view("dense", n_accounts=40, n_edges=4_000, seed=5)
    page = render_report(dense, tmp_path, neighbours=2).read_text(encoding="utf-8")
    graph = _section(page, "graph")
    assert 'data-mode="accounts"' in graph
    total = sum(len(p) for p in _pairs(dense).values())
    drawn = re.search(r"strongest links of each type, ([\d,]+) of ([\d,]+) links", graph)
    assert drawn is not None
    assert int(drawn.group(2).replace(",", "")) == total
    # At most 2 per account and type, from either end.
    assert int(drawn.group(1).replace(",", "")) <= 2 * 40 * len(LINK_TYPES)


def test_caps_are_configurable(tmp_path: Path, view: CampaignView) -> None:
    page = render_report(view, tmp_path, max_nodes=25, max_groups=4, max_accounts=5)
    text = page.read_text(encoding="utf-8")
    assert 'data-mode="groups"' in text
    assert "60 accounts are too many to draw one by one" in text
    assert "showing the top 5 of 60 accounts by risk" in text
    with pytest.raises(ValueError, match="at least 1"):
        render_report(view, tmp_path, max_nodes=0)


def test_report_is_deterministic(tmp_path: Path, large_view: CampaignView) -> None:
    a = render_report(large_view, tmp_path / "a", context=CONTEXT).read_bytes()
    b = render_report(large_view, tmp_path / "b", context=CONTEXT).read_bytes()
    assert a == b
    # A second render into the same folder keeps the shared plotly.min.js as it is.
    js = tmp_path / "a" / PLOTLYJS_NAME
    before = js.stat().st_mtime_ns
    render_report(large_view, tmp_path / "a", context=CONTEXT)
    assert js.stat().st_mtime_ns == before
    assert (tmp_path / "a" / "c-large.html").read_bytes() == a


def test_layout_does_not_disturb_global_random_state(
    tmp_path: Path, view: CampaignView, large_view: CampaignView
) -> None:
    random.seed(123)
    expected = random.random()
    random.seed(123)
    render_report(view, tmp_path)
    render_report(large_view, tmp_path)
    assert random.random() == expected


def test_edges_to_unknown_accounts_are_reported_not_drawn(
    tmp_path: Path, view: CampaignView
) -> None:
    extra = pa.table(
        {
            "src": ["acct-00000", "ghost"],
            "dst": ["ghost", "acct-00001"],
            "link_type": ["subnet", "subnet"],
            "weight": [1.0, 2.0],
        }
    )
    edges = pa.concat_tables([view.edges, extra])
    text = render_report(replace(view, edges=edges), tmp_path).read_text(encoding="utf-8")
    assert "2 links name accounts missing from the account table" in text


def test_empty_campaign_and_nulls_still_render(tmp_path: Path, view: CampaignView) -> None:
    empty = replace(
        view,
        accounts=view.accounts.slice(0, 0),
        edges=view.edges.slice(0, 0),
        evidence=view.evidence.slice(0, 0),
        timeline=view.timeline.slice(0, 0),
        indicators=view.indicators.slice(0, 0) if view.indicators is not None else None,
        samples=view.samples.slice(0, 0) if view.samples is not None else None,
        capabilities={},
        reasons=(),
    )
    text = render_report(empty, tmp_path).read_text(encoding="utf-8")
    assert "no evidence rows" in text
    assert "0 accounts; 0 distinct linked pairs" in text
    assert "no template is shared" in text
    assert "no member accounts" in text
    nulls = view.accounts.set_column(
        1, "risk", pa.array([None] * view.accounts.num_rows, pa.float64())
    )
    text = render_report(replace(view, accounts=nulls), tmp_path).read_text(encoding="utf-8")
    assert '<td class="num">\u2013</td>' in text
    bare = replace(view, indicators=None, samples=None, verdict=None, risk=None)
    text = render_report(bare, tmp_path).read_text(encoding="utf-8")
    assert "not available for this view" in text
    assert 'data-action="default"' in text


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("accounts", "verdict"),
        ("edges", "weight"),
        ("evidence", "detail"),
        ("timeline", "n_cot"),
        ("indicators", "outside_accounts"),
        ("samples", "text"),
    ],
)
def test_missing_column_names_table_and_column(
    tmp_path: Path, view: CampaignView, table: str, column: str
) -> None:
    broken = replace(view, **{table: getattr(view, table).drop_columns([column])})
    with pytest.raises(DistillguardError) as info:
        render_report(broken, tmp_path)
    assert info.value.field == column
    assert f"campaign c1: {table} table has no column '{column}'" in str(info.value)
    assert not (tmp_path / "c1.html").exists()


def test_missing_summary_key_and_unsafe_id_are_rejected(tmp_path: Path, view: CampaignView) -> None:
    summary = {k: v for k, v in view.summary.items() if k != "n_events"}
    with pytest.raises(DistillguardError, match="summary has no key 'n_events'"):
        render_report(replace(view, summary=summary), tmp_path)
    with pytest.raises(DistillguardError) as info:
        render_report(replace(view, campaign_id="../escape"), tmp_path)
    assert info.value.field == "campaign_id"
    assert not (tmp_path.parent / "escape.html").exists()


def test_duplicate_account_is_rejected(tmp_path: Path, view: CampaignView) -> None:
    accounts = pa.concat_tables([view.accounts, view.accounts.slice(0, 1)])
    with pytest.raises(DistillguardError, match="lists account 'acct-00000' twice"):
        render_report(replace(view, accounts=accounts), tmp_path)


# ---------------------------------------------------------------------------- index


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, view: CampaignView) -> Path:
    out = tmp_path_factory.mktemp("index")
    small = replace(make_view("c0-small", n_accounts=5, seed=3, reasoning_tokens=90_000_000))
    big = make_view("c-big", n_accounts=300, n_edges=900, seed=4, reasoning_tokens=400)
    for v in (view, small, big):
        render_report(v, out, context=CONTEXT)
    return render_index([big, view, small], out, context=CONTEXT)


def _rows(page: str) -> list[str]:
    body = page.split('id="campaign-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a href="([^"]+)\.html">', body)


def test_index_ranks_by_value_taken_and_shows_the_scan(index: Path) -> None:
    page = index.read_text(encoding="utf-8")
    # Every campaign scores past the thresholds; the default order is what it took.
    assert _rows(page) == ["c0-small", "c1", "c-big"]
    assert 'data-key="reasoning" class="num" aria-sort="descending"' in page
    for key in ("accounts", "requests", "cot", "answers", "completion", "reasoning", "score"):
        assert f'data-key="{key}"' in page
    scan = _section(page, "scan")
    assert "2025-03-03 09:30 UTC" in scan  # written
    assert "1,000,000 requests from 26,275 accounts" in scan
    assert "logs/day-1.parquet" in scan
    assert "12 quarantined" in scan
    assert "block \u2265 1.08 (benign FPR 0.02%)" in scan
    assert "fitted on 77,480 benign accounts" in scan
    assert "3 campaigns, 365 member accounts (1.4% of accounts)" in scan
    foot = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert ">365</td>" in foot
    assert "block " in page.split('id="campaign-table"', 1)[1]  # the gateway action column
    # One inline script (sorting); no plotly, nothing loaded.
    assert page.count("<script") == 1
    assert "src=" not in page.split("<script", 1)[1].split(">", 1)[0]
    empty = render_index([], index.parent / "empty")
    assert empty.read_text(encoding="utf-8").count("no campaigns") == 1


# ------------------------------------------------------------------ headless Chromium


@pytest.fixture(scope="module")
def chromium_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chromium-profile")


def _div(dom: str, div_id: str) -> str:
    """The dumped DOM from the figure div ``div_id`` to the end of its section."""
    start = dom.index(f'id="{div_id}"')
    return dom[start : dom.index("</section>", start)]


def _rgb(colour: str) -> str:
    c = colour.lstrip("#")
    return f"rgb({int(c[0:2], 16)}, {int(c[2:4], 16)}, {int(c[4:6], 16)})"


def _plot_area(graph_dom: str) -> str:
    """The traces plotly drew, without the legend (whose swatches are paths too)."""
    start = graph_dom.index('class="scatterlayer')
    return graph_dom[start : graph_dom.index('class="infolayer"', start)]


def _drawn_lines(graph_dom: str, colour: str) -> int:
    """SVG line paths plotly drew in ``colour`` in the plot area (one per segment)."""
    graph_dom = _plot_area(graph_dom)
    return len(
        re.findall(
            r'<path class="js-line" d="M[^"]+"[^>]*stroke: ' + re.escape(_rgb(colour)), graph_dom
        )
    )


def _markers(graph_dom: str, colour: str) -> int:
    graph_dom = _plot_area(graph_dom)
    return len(re.findall(r'<path class="point"[^>]*fill: ' + re.escape(_rgb(colour)), graph_dom))


def test_report_renders_in_headless_chromium_from_file_url(
    rendered: Path, view: CampaignView, chromium_profile: Path
) -> None:
    dom = dump_dom(chromium_profile, rendered.resolve().as_uri())
    # Plotly drew every figure, so plotly.min.js loaded from disk beside the page.
    for div_id in ("dg-timeline", "dg-capabilities", "dg-graph"):
        assert "main-svg" in _div(dom, div_id), div_id
    graph = _div(dom, "dg-graph")
    # One marker per account, in its verdict's colour; lines in every link type's colour.
    verdicts = view.accounts["verdict"].to_pylist()
    for verdict, colour in VERDICT_COLOURS.items():
        assert _markers(graph, colour) == verdicts.count(verdict), verdict
    # One SVG path per drawn link: as many as the note says are drawn.
    note = _section(rendered.read_text(encoding="utf-8"), "graph")
    cut = re.search(r"([\d,]+) of [\d,]+ links;", note)
    drawn = cut.group(1) if cut else str(sum(len(p) for p in _pairs(view).values()))
    lines = {t: _drawn_lines(graph, LINK_COLOURS[t]) for t in LINK_TYPES}
    assert sum(lines.values()) == int(drawn.replace(",", "")), lines
    for link_type in LINK_TYPES:
        assert lines[link_type] >= 1, link_type
        assert f"{link_type} \u00b7 " in graph  # legend entry with its pair count
    assert _div(dom, "dg-timeline").count('class="point"') == 2 * 48
    assert _div(dom, "dg-capabilities").count('class="point"') == len(CAPABILITIES)
    assert "3 card fingerprints shared by 58 accounts" in dom
    # Hostile ids stayed text: no element was created and no handler ran.
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "<script>alert(1)</script>" not in dom
    assert "<script>alert(2)</script>" not in dom


def test_large_report_renders_groups_in_headless_chromium(
    rendered_large: Path, chromium_profile: Path
) -> None:
    graph = _div(dump_dom(chromium_profile, rendered_large.resolve().as_uri()), "dg-graph")
    labels = re.findall(r">G(\d+) \u00b7 ([\d,]+)<", graph)
    assert len(labels) >= 2
    assert sum(int(n.replace(",", "")) for _, n in labels) == 1000  # every account in a group
    assert sum(_drawn_lines(graph, LINK_COLOURS[t]) for t in LINK_TYPES) >= 1


def _graph_pixels(page: Path, profile: Path, name: str) -> dict[str, int]:
    """What the graph card alone looks like on screen: pixels per colour that matters."""
    img = screenshot(
        profile, section_only(page, "graph").resolve().as_uri(), page.with_name(name), (1400, 760)
    )
    out = {f"link:{t}": pixels_of_hue(img, LINK_COLOURS[t]) for t in LINK_TYPES}
    out.update({f"verdict:{v}": pixels_near(img, c) for v, c in VERDICT_COLOURS.items()})
    out["chromatic"] = chromatic_pixels(img)
    return out


def _assert_chart_drawn(pixels: dict[str, int], verdicts: list[str]) -> None:
    """Fails on an empty or broken chart: its markers and lines must be on screen."""
    for v in VERDICT_COLOURS:
        if v in verdicts:
            assert pixels[f"verdict:{v}"] >= 40, (v, pixels)
    for t in LINK_TYPES:
        assert pixels[f"link:{t}"] >= 40, (t, pixels)
    assert pixels["chromatic"] >= 5_000, pixels


@pytest.mark.parametrize("which", ["small", "large"])
def test_graph_screenshot_shows_the_chart_and_catches_a_broken_one(
    which: str,
    rendered: Path,
    rendered_large: Path,
    view: CampaignView,
    large_view: CampaignView,
    chromium_profile: Path,
) -> None:
    page, v = (rendered, view) if which == "small" else (rendered_large, large_view)
    verdicts = v.accounts["verdict"].to_pylist()
    if which == "large":
        # Groups take their majority's colour: only those colours are expected.
        dom = _div(dump_dom(chromium_profile, page.resolve().as_uri()), "dg-graph")
        verdicts = [x for x, c in VERDICT_COLOURS.items() if _markers(dom, c)]
    _assert_chart_drawn(_graph_pixels(page, chromium_profile, f"{which}.png"), verdicts)
    # The same page with plotly.js broken draws no chart, and the check says so.
    broken = page.parent.parent / f"broken-{which}"
    broken.mkdir(exist_ok=True)
    shutil.copy(page, broken / page.name)
    (broken / PLOTLYJS_NAME).write_text("throw new Error('plotly.js did not load');\n")
    pixels = _graph_pixels(broken / page.name, chromium_profile, f"{which}-broken.png")
    with pytest.raises(AssertionError):
        _assert_chart_drawn(pixels, verdicts)
    assert all(n == 0 for k, n in pixels.items() if k.startswith("verdict:")), pixels


def test_report_screenshot_is_a_whole_page(rendered: Path, chromium_profile: Path) -> None:
    img = screenshot(
        chromium_profile, rendered.resolve().as_uri(), rendered.with_name("c1.png"), (1400, 2400)
    )
    assert img.shape == (2400, 1400, 3)
    # The header, the action's command blocks and the verdict badges are drawn.
    assert pixels_near(img, "#263238") > 10_000  # command blocks
    assert pixels_near(img, VERDICT_COLOURS["block"]) > 200


def test_index_sorts_in_headless_chromium(index: Path, chromium_profile: Path) -> None:
    def order(url: str) -> tuple[list[str], str]:
        dom = dump_dom(chromium_profile, url)
        sorted_by = re.search(r'data-sorted="([\w-]+)"', dom)
        assert sorted_by is not None
        return _rows(dom), sorted_by.group(1)

    url = index.resolve().as_uri()
    assert order(url) == (["c0-small", "c1", "c-big"], "reasoning")
    assert order(url + "#sort=accounts") == (["c-big", "c1", "c0-small"], "accounts")
    assert order(url + "#sort=accounts-asc") == (["c0-small", "c1", "c-big"], "accounts-asc")
    assert order(url + "#sort=campaign-asc")[0] == ["c-big", "c0-small", "c1"]
