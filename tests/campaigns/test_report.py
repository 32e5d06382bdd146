"""Campaign reports: page structure, caps, escaping, determinism, and a real browser render."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from distillguard.campaigns.report import (
    PLOTLYJS_NAME,
    CampaignView,
    render_index,
    render_report,
)
from distillguard.errors import DistillguardError

T0 = datetime(2025, 3, 1, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")
LINK_TYPES = ("shared_payment", "prompt_template", "ip_subnet")
CAPABILITIES = {"coding": 5210, "math": 2875, "reasoning": 4120, "agentic": 640, "writing": 310}
SCRIPT_ID = "<script>alert(1)</script>"
# Would mark the page if any account id ever reached the DOM as markup.
PWN_ID = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
)


def make_view(
    campaign_id: str = "c1",
    *,
    n_accounts: int = 60,
    n_edges: int = 300,
    score: float = 0.91,
    seed: int = 0,
    n_core: int = 0,
) -> CampaignView:
    """A realistic campaign built by hand: two hostile ids among ordinary ones.

    With ``n_core``, four links in five join the first ``n_core`` accounts: the
    densely linked core a real hydra has, which the graph cap must keep.
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
            "weight": pa.array([round(rng.uniform(0.1, 5.0), 2) for _ in pairs], pa.float64()),
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
    return CampaignView(
        campaign_id=campaign_id,
        score=score,
        reasons=(
            f"{n_accounts} accounts share 3 payment fingerprints",
            "62% of requests ask for step-by-step reasoning (baseline 4%)",
            f"account {SCRIPT_ID} opened 40 sibling accounts in 2 h",
        ),
        summary={
            "n_accounts": n_accounts,
            "n_events": sum(counts),
            "first_ts": T0,
            "last_ts": T0 + timedelta(hours=47, minutes=59),
            "completion_tokens": 18_400_000,
            "reasoning_tokens": 11_200_000,
            "top_capability": "coding",
        },
        accounts=accounts,
        edges=edges,
        evidence=evidence,
        timeline=timeline,
        capabilities=dict(CAPABILITIES),
    )


@pytest.fixture(scope="module")
def view() -> CampaignView:
    return make_view()


@pytest.fixture(scope="module")
def large_view() -> CampaignView:
    return make_view("c-large", n_accounts=1500, n_edges=6000, score=0.64, seed=1, n_core=300)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, view: CampaignView) -> Path:
    out = tmp_path_factory.mktemp("reports")
    render_report(view, out)
    render_index([view], out)
    return out / "c1.html"


# ------------------------------------------------------------------- page structure


def test_report_is_written_next_to_one_shared_plotlyjs(tmp_path: Path, view: CampaignView) -> None:
    first = render_report(view, tmp_path)
    second = render_report(make_view("c2", seed=2), tmp_path)
    assert first == tmp_path / "c1.html"
    assert second == tmp_path / "c2.html"
    js = tmp_path / PLOTLYJS_NAME
    assert js.stat().st_size > 1_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c1.html", "c2.html", PLOTLYJS_NAME]
    page = first.read_text(encoding="utf-8")
    assert page.count(f'<script src="{PLOTLYJS_NAME}"') == 1
    assert len(page) < 400_000  # the library itself is not inlined


def test_report_shows_summary_reasons_evidence_and_figures(rendered: Path) -> None:
    page = rendered.read_text(encoding="utf-8")
    assert "Campaign <code>c1</code>" in page
    assert "risk 0.91" in page
    assert "18,400,000" in page  # completion tokens
    assert "61% of completion tokens" in page  # reasoning share
    assert "2025-03-01 00:00 UTC" in page
    assert "1 d 23 h" in page
    assert "62% of requests ask for step-by-step reasoning (baseline 4%)" in page
    for div_id in ("dg-timeline", "dg-capabilities", "dg-graph"):
        assert page.count(f'id="{div_id}"') == 1
    evidence = page.split('id="evidence-table"', 1)[1].split("</table>", 1)[0]
    assert evidence.count("<tr>") == 4  # header + 3 link types
    assert "3 card fingerprints shared by 58 accounts" in evidence
    assert "1,432" in evidence
    for link_type in LINK_TYPES:
        assert f">{link_type}</td>" in evidence
    note = page.split('id="graph-note"', 1)[1].split("</p>", 1)[0]
    assert "60 accounts, 300 links" in note
    assert "showing" not in note


def test_report_escapes_account_ids_reasons_and_details(rendered: Path) -> None:
    page = rendered.read_text(encoding="utf-8")
    assert SCRIPT_ID not in page
    assert "<img src=x" not in page
    assert "<b>skeleton</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # account table and reason
    assert "same &lt;b&gt;skeleton&lt;/b&gt;" in page
    # Inside the figure JSON '<' is written as \u003c, so nothing can close a script.
    assert page.count("<script") == 1 + 3  # plotly.min.js + one per figure


def test_large_campaign_is_capped_and_says_so(tmp_path: Path, large_view: CampaignView) -> None:
    page = render_report(large_view, tmp_path).read_text(encoding="utf-8")
    note = page.split('id="graph-note"', 1)[1].split("</p>", 1)[0]
    assert "showing 400 of 1,500 accounts" in note
    assert "showing 3,000 of 6,000 links" in note
    assert "showing the top 200 of 1,500 accounts by risk" in page
    table = page.split('id="account-table"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 200
    # Riskiest first.
    risks = [float(r) for r in re.findall(r'<td class="num">(\d\.\d\d)</td>', table)]
    assert risks == sorted(risks, reverse=True)


def test_caps_are_configurable(tmp_path: Path, view: CampaignView) -> None:
    page = render_report(view, tmp_path, max_nodes=25, max_edges=10, max_accounts=5)
    text = page.read_text(encoding="utf-8")
    assert "showing 25 of 60 accounts" in text
    assert "showing 10 of 300 links" in text
    assert "showing the top 5 of 60 accounts by risk" in text
    with pytest.raises(ValueError, match="at least 1"):
        render_report(view, tmp_path, max_nodes=0)


def test_report_is_deterministic(tmp_path: Path, large_view: CampaignView) -> None:
    a = render_report(large_view, tmp_path / "a").read_bytes()
    b = render_report(large_view, tmp_path / "b").read_bytes()
    assert a == b
    # A second render into the same folder keeps the shared plotly.min.js as it is.
    js = tmp_path / "a" / PLOTLYJS_NAME
    before = js.stat().st_mtime_ns
    render_report(large_view, tmp_path / "a")
    assert js.stat().st_mtime_ns == before
    assert (tmp_path / "a" / "c-large.html").read_bytes() == a


def test_layout_does_not_disturb_global_random_state(tmp_path: Path, view: CampaignView) -> None:
    random.seed(123)
    expected = random.random()
    random.seed(123)
    render_report(view, tmp_path)
    assert random.random() == expected


def test_edges_to_unknown_accounts_are_reported_not_drawn(
    tmp_path: Path, view: CampaignView
) -> None:
    extra = pa.table(
        {
            "src": ["acct-00000", "ghost"],
            "dst": ["ghost", "acct-00001"],
            "link_type": ["ip_subnet", "ip_subnet"],
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
        capabilities={},
        reasons=(),
    )
    text = render_report(empty, tmp_path).read_text(encoding="utf-8")
    assert "no evidence rows" in text
    assert "0 accounts, 0 links" in text
    nulls = view.accounts.set_column(
        1, "risk", pa.array([None] * view.accounts.num_rows, pa.float64())
    )
    text = render_report(replace(view, accounts=nulls), tmp_path).read_text(encoding="utf-8")
    assert '<td class="num">\u2013</td>' in text


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("accounts", "verdict"),
        ("edges", "weight"),
        ("evidence", "detail"),
        ("timeline", "n_cot"),
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


def test_index_links_every_campaign_riskiest_first(
    tmp_path: Path, view: CampaignView, large_view: CampaignView
) -> None:
    low = replace(make_view("c0-low", seed=3), score=0.31)
    index = render_index([low, large_view, view], tmp_path)
    assert index == tmp_path / "index.html"
    page = index.read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">', page)
    assert links == ["c1.html", "c-large.html", "c0-low.html"]
    assert "3 campaigns, 1,620 accounts" in page
    assert "shared_payment, prompt_template, ip_subnet" in page
    assert "1 d 23 h" in page
    assert "<script" not in page  # the index needs no JavaScript
    assert render_index([], tmp_path).read_text(encoding="utf-8").count("no campaigns") == 1


# ------------------------------------------------------------------ headless Chromium


def _require_chromium() -> str:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium not installed; CI must run scripts/setup.sh --dev")
    pytest.skip("chromium not installed (scripts/setup.sh --dev installs it)")


@pytest.fixture(scope="module")
def chromium_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chromium-profile")


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [_require_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _div(dom: str, div_id: str) -> str:
    """The dumped DOM from the figure div ``div_id`` to the end of its section."""
    start = dom.index(f'id="{div_id}"')
    return dom[start : dom.index("</section>", start)]


def test_report_renders_in_headless_chromium_from_file_url(
    rendered: Path, chromium_profile: Path
) -> None:
    dom = _chromium(chromium_profile, "--dump-dom", rendered.resolve().as_uri()).stdout
    # Plotly drew every figure, so plotly.min.js loaded from disk beside the page.
    assert dom.count('class="main-svg"') >= 3
    for div_id in ("dg-timeline", "dg-capabilities", "dg-graph"):
        assert "main-svg" in _div(dom, div_id), div_id
    # One marker per drawn account, one bar per hour and trace, one per capability.
    assert _div(dom, "dg-graph").count('class="point"') == 60
    assert _div(dom, "dg-timeline").count('class="point"') == 2 * 48
    assert _div(dom, "dg-capabilities").count('class="point"') == len(CAPABILITIES)
    for link_type in LINK_TYPES:
        assert link_type in _div(dom, "dg-graph")  # legend entries
    assert 'id="evidence-table"' in dom
    assert "3 card fingerprints shared by 58 accounts" in dom
    # Hostile ids stayed text: no element was created and no handler ran.
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "<script>alert(1)</script>" not in dom


def test_report_screenshot_in_headless_chromium(rendered: Path, chromium_profile: Path) -> None:
    shot = rendered.parent / "c1.png"
    _chromium(
        chromium_profile,
        f"--screenshot={shot}",
        "--window-size=1400,2400",
        rendered.resolve().as_uri(),
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000
