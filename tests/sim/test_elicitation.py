"""The chain-of-thought elicitation catalog: well-formed, covering, split, deterministic."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from distillguard.errors import ScenarioError
from distillguard_lab.sim import elicitation as el
from distillguard_lab.sim.elicitation import (
    BENIGN_REASONING_ASKS,
    FAMILIES,
    FAMILY_SPLIT,
    STYLES,
    family,
    paraphrase,
    select_families,
    wrap,
)
from distillguard_lab.sim.scenario import load_scenario

REQUIRED_LANGUAGES = {"en", "zh", "ru", "es", "de", "fr", "ja", "ko", "pt", "ar", "vi", "hi", "tr"}
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
ALL_TEMPLATES = [t for f in FAMILIES for t in f.templates]


def test_family_ids_unique_snake_case_and_named_by_language() -> None:
    ids = [f.id for f in FAMILIES]
    assert len(ids) == len(set(ids))
    for f in FAMILIES:
        assert SNAKE.fullmatch(f.id), f.id
        # The suffix names the language, so logs and reports read at a glance.
        assert f.id.endswith("_" + f.language), f.id


def test_styles_valid_and_all_used() -> None:
    assert len(STYLES) == len(set(STYLES))
    assert {f.style for f in FAMILIES} == set(STYLES)


@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.id)
def test_family_well_formed(fam: el.ElicitationFamily) -> None:
    assert len(fam.templates) >= 4
    assert len(set(fam.templates)) == len(fam.templates)
    for t in fam.templates:
        assert t.count("{task}") == 1
        # No other braces: callers may use str.format, and braces would be a giveaway.
        assert t.replace("{task}", "").count("{") == 0
        assert t.replace("{task}", "").count("}") == 0
        assert t.strip() == t


def test_counts_and_language_coverage() -> None:
    assert len(FAMILIES) >= 30
    assert {f.language for f in FAMILIES} >= REQUIRED_LANGUAGES
    english = [f for f in FAMILIES if f.language == "en"]
    assert len(english) >= 13
    assert {f.style for f in english} == set(STYLES)
    for style in STYLES:
        langs = {f.language for f in FAMILIES if f.style == style}
        assert len(langs) >= 3, style


def test_templates_not_all_sharing_one_cue() -> None:
    # Held-out evaluation is meaningless if one phrase gives every family away.
    for cue in ("step by step", "reasoning", "chain of thought", "<thinking>", "json"):
        share = sum(cue in t.lower() for t in ALL_TEMPLATES) / len(ALL_TEMPLATES)
        assert share < 0.25, cue


def test_holdout_split_is_all_dev_since_v1_was_spent() -> None:
    # The v1 held-out split was spent on 2026-11-26: every simulator family is dev data.
    assert set(FAMILY_SPLIT) == {f.id for f in FAMILIES}
    assert set(FAMILY_SPLIT.values()) == {"dev"}
    assert set(FAMILY_SPLIT) >= el._SPENT_HELDOUT_V1


def test_simulator_never_sees_the_evaluation_catalogs() -> None:
    # Simulated traffic is development data, so no module under distillguard/sim may
    # load the evaluation catalogs (data/eval/cot/, read by distillguard_lab.evaluate).
    # (Docstrings may name them; imports may not.  That importing the package never
    # opens the blind set is tested in tests/evaluate/test_eval_data.py.)
    sim_dir = Path(el.__file__).parent
    for path in sim_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any("evaluate" in n or "catalog" in n for n in names), path


def test_campaign_families_heldout_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "name: tiny\ndescription: tiny\nevents: 1000\npopulations:\n"
        "  - {role: chat_user, accounts: 10, share: 1.0}\ncampaigns:\n"
        "  - id: c1\n    accounts: 3\n    requests_per_account: [5, 10]\n"
        "    families: heldout\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="spent") as info:
        load_scenario(path)
    assert info.value.field == "campaigns[0].families"
    assert "never simulated" in str(info.value)
    # dev (now everything) and explicit id lists still load.
    for value in ("dev", "all", "[self_check_en, no_gaps_en]"):
        path.write_text(path.read_text(encoding="utf-8").replace("heldout", value))
        load_scenario(path)
        path.write_text(path.read_text(encoding="utf-8").replace(value, "heldout"))


def test_family_lookup() -> None:
    assert family("thinking_tags_en").style == "tagged_reasoning"
    with pytest.raises(ScenarioError, match="unknown elicitation family"):
        family("no_such_family")


def test_select_families() -> None:
    assert select_families() == FAMILIES
    assert select_families("dev") == FAMILIES
    with pytest.raises(ScenarioError, match="spent"):
        select_families("heldout")
    assert all(f.language == "ru" for f in select_families("all", "ru"))
    assert select_families(("self_check_en", "self_check_ru")) == (
        family("self_check_en"),
        family("self_check_ru"),
    )
    with pytest.raises(ScenarioError):
        select_families("test")
    with pytest.raises(ScenarioError):
        select_families(("nope",))


def test_wrap_fills_and_is_deterministic() -> None:
    fam = family("exhaustive_steps_en")
    task = "Compute f(x) = {x: x**2}[x] for x = 3."  # braces must survive
    a = wrap(task, fam, np.random.default_rng(7))
    b = wrap(task, fam, np.random.default_rng(7))
    assert a == b
    assert task in a
    assert "{task}" not in a
    outs = {wrap(task, fam, np.random.default_rng(seed)) for seed in range(40)}
    # Different seeds reach different paraphrases of the family.
    assert len(outs) == len(fam.templates)


@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.id)
def test_wrap_every_family(fam: el.ElicitationFamily) -> None:
    out = wrap("TASK-TEXT", fam, np.random.default_rng(0))
    assert out.count("TASK-TEXT") == 1
    assert out.replace("TASK-TEXT", "{task}") in fam.templates


def test_paraphrase_deterministic_and_seed_dependent() -> None:
    text = family("exhaustive_steps_en").templates[0]
    assert paraphrase(text, np.random.default_rng(3), 0.8) == paraphrase(
        text, np.random.default_rng(3), 0.8
    )
    outs = {paraphrase(text, np.random.default_rng(s), 0.8) for s in range(20)}
    assert len(outs) > 5
    assert text not in outs or len(outs) > 1


def test_paraphrase_strength_bounds() -> None:
    text = "Please solve {task} carefully."
    assert paraphrase(text, np.random.default_rng(0), 0.0) == text
    for bad in (-0.1, 1.5):
        with pytest.raises(ScenarioError, match="strength"):
            paraphrase(text, np.random.default_rng(0), bad)


def test_paraphrase_changes_more_with_strength() -> None:
    text = family("self_check_en").templates[1]
    changed_low = sum(paraphrase(text, np.random.default_rng(s), 0.1) != text for s in range(50))
    changed_high = sum(paraphrase(text, np.random.default_rng(s), 1.0) != text for s in range(50))
    assert changed_high > changed_low


def test_paraphrase_keeps_placeholders_everywhere() -> None:
    texts = ALL_TEMPLATES + list(BENIGN_REASONING_ASKS)
    for seed, text in enumerate(texts):
        out = paraphrase(text, np.random.default_rng(seed), 1.0)
        assert out.count("{task}") == 1, (text, out)
    # Any {name} placeholder survives, so app templates with {text} can be paraphrased.
    out = paraphrase("Please explain {text} then {task}.", np.random.default_rng(1), 1.0)
    assert "{text}" in out
    assert "{task}" in out


def test_paraphrase_swaps_keep_case() -> None:
    text = "Please solve the following problem. Do not skip anything: {task}"
    outs = [paraphrase(text, np.random.default_rng(s), 1.0) for s in range(30)]
    assert any("Kindly" in o or "kindly" in o for o in outs)
    for o in outs:
        # Swaps only replace whole words: no "kindlyse" or broken placeholder.
        assert o.count("{task}") == 1
        assert "{" not in o.replace("{task}", "")


def test_paraphrase_prefix_matches_script() -> None:
    zh = family("step_by_step_zh").templates[0]
    for s in range(60):
        out = paraphrase(zh, np.random.default_rng(s), 1.0)
        assert not re.search(r"[A-Za-z]{3,}", out.replace("{task}", "")), out


def test_benign_asks() -> None:
    assert len(BENIGN_REASONING_ASKS) >= 40
    assert len(set(BENIGN_REASONING_ASKS)) == len(BENIGN_REASONING_ASKS)
    for ask in BENIGN_REASONING_ASKS:
        assert ask.count("{task}") == 1
        assert ask.replace("{task}", "").count("{") == 0
    non_ascii = [a for a in BENIGN_REASONING_ASKS if not a.isascii()]
    assert len(non_ascii) >= 10  # several languages
    # Benign asks are conversational one-liners, not copies of elicitation templates.
    assert not set(BENIGN_REASONING_ASKS) & set(ALL_TEMPLATES)


def test_paraphrase_bare_placeholder_gets_no_greeting() -> None:
    # The filler's language is unknown, so no prefix that could clash with it.
    outs = {paraphrase("{text}", np.random.default_rng(s), 1.0) for s in range(50)}
    assert outs == {"{text}"}
