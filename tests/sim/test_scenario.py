"""Scenario files: shipped ones load and keep their documented promises; bad ones say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.errors import DistillguardError, ScenarioError
from distillguard_lab.sim.scenario import load_scenario, shipped_scenarios
from distillguard_lab.sim.simulator import plan_run

GOOD = """\
name: tiny
description: a tiny scenario
events: 1000
populations:
  - {role: chat_user, accounts: 10, share: 1.0}
campaigns:
  - id: c1
    accounts: 3
    requests_per_account: [5, 10]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "scenario.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_scenarios_are_the_four_levels() -> None:
    assert set(shipped_scenarios()) == {"easy", "standard", "stealth", "mixed"}


@pytest.mark.parametrize("name", ["easy", "standard", "stealth", "mixed"])
def test_shipped_scenarios_load_and_attackers_are_a_minority(name: str) -> None:
    s = load_scenario(name)
    benign = sum(p.accounts for p in s.populations)
    attack = sum(c.accounts for c in s.campaigns)
    assert s.campaigns, "every shipped scenario has at least one campaign"
    assert attack / (attack + benign) <= 0.10


def test_stealth_promises() -> None:
    s = load_scenario("stealth")
    assert len(s.campaigns) == 1
    c = s.campaigns[0]
    assert c.accounts >= 1000
    assert c.requests_per_account[1] <= 50
    assert c.cover_fraction >= 0.5
    assert c.jitter_s > 0
    assert c.proxy_kind == "residential"
    assert c.proxies >= c.accounts


def test_standard_has_about_20000_benign_accounts_and_several_campaigns() -> None:
    s = load_scenario("standard")
    assert 18_000 <= sum(p.accounts for p in s.populations) <= 22_000
    assert len(s.campaigns) >= 3


def test_mixed_holds_every_campaign() -> None:
    ids = {c.id for c in load_scenario("mixed").campaigns}
    for name in ("easy", "standard", "stealth"):
        assert {c.id for c in load_scenario(name).campaigns} <= ids


def test_user_file_loads(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, GOOD))
    assert s.name == "tiny"
    assert s.campaigns[0].requests_per_account == (5, 10)


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        (GOOD.replace("accounts: 3", "accounts: three"), 8, "campaigns[0].accounts", "integer"),
        (GOOD.replace("[5, 10]", "[10, 5]"), 9, "campaigns[0].requests_per_account", "upper bound"),
        (GOOD.replace("role: chat_user", "role: robot"), 5, "populations[0].role", "one of"),
        (GOOD + "    colour: red\n", 10, "campaigns[0].colour", "unknown key"),
        (GOOD.replace("events: 1000\n", ""), None, None, "missing required key 'events'"),
        (GOOD.replace("share: 1.0", "share: 1.5"), 5, "populations[0].share", "(0, 1]"),
        (GOOD + "    cover_fraction: 1.0\n", 10, "campaigns[0].cover_fraction", "< 1"),
        (GOOD + "    ips_per_account: [3, 1]\n", 10, "campaigns[0].ips_per_account", "upper"),
        (GOOD + "    hour_profile: night\n", 10, "campaigns[0].hour_profile", "one of"),
        (GOOD + "    utc_offset: 20\n", 10, "campaigns[0].utc_offset", "[-12, 14]"),
        (GOOD + "    signup_burst_hours: 100\n", 10, "campaigns[0].signup_burst_hours", "start"),
        (
            GOOD.replace("share: 1.0}", "share: 1.0, new_account_share: 2}"),
            5,
            "populations[0].new_account_share",
            "[0, 1]",
        ),
    ],
)
def test_bad_scenarios_name_file_line_and_field(
    tmp_path: Path, text: str, line: int | None, field: str | None, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert err.path == str(path)
    if line is not None:
        assert err.line == line
    assert err.field == field
    assert words in str(err)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  - id: c1", "  - id: [c1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.line is not None
    assert "invalid YAML" in str(info.value)


def test_missing_scenario_lists_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="shipped scenario"):
        load_scenario(tmp_path / "nope.yaml")


def test_plan_scales_accounts_not_behaviour() -> None:
    s = load_scenario("standard")
    plan = plan_run(s, events=s.events // 10)
    assert plan.scale == pytest.approx(0.1)
    assert plan.population_accounts[0] == round(s.populations[0].accounts / 10)
    with pytest.raises(DistillguardError):
        plan_run(s, events=0)
