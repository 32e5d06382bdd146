"""App and harvest prompt templates: well-formed, realistic, not trivially separable."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from distillguard.errors import ScenarioError
from distillguard_lab.sim.elicitation import paraphrase
from distillguard_lab.sim.templates import (
    APP_TEMPLATES,
    CAPABILITIES,
    HARVEST_TEMPLATES,
    PromptTemplate,
    fill,
    template,
)

SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
ALL = APP_TEMPLATES + HARVEST_TEMPLATES


def test_counts() -> None:
    assert len(APP_TEMPLATES) >= 40
    assert len(HARVEST_TEMPLATES) >= 12


def test_ids_unique_snake_case() -> None:
    ids = [t.id for t in ALL]
    assert len(ids) == len(set(ids))
    assert all(SNAKE.fullmatch(i) for i in ids)


@pytest.mark.parametrize("t", ALL, ids=lambda t: t.id)
def test_template_well_formed(t: PromptTemplate) -> None:
    assert t.user.count("{text}") == 1
    # No stray braces anywhere, so str.format(text=...) would work for callers too.
    assert t.user.replace("{text}", "").count("{") == 0
    assert "}" not in t.user.replace("{text}", "")
    if t.system is not None:
        assert t.system.strip()
        assert "{" not in t.system
        assert "}" not in t.system
    assert t.capability in CAPABILITIES
    assert 0.0 <= t.temperature <= 2.0
    assert t.max_tokens >= 1


def test_app_capabilities() -> None:
    caps = Counter(t.capability for t in APP_TEMPLATES)
    # Legit apps target coding and math too; an agentic app lists its tools.
    assert caps["coding"] >= 5
    assert caps["math"] >= 4
    assert caps["agentic"] >= 1
    assert {"writing", "other", "reasoning"} <= set(caps)


def test_harvest_capabilities() -> None:
    caps = {t.capability for t in HARVEST_TEMPLATES}
    assert {"coding", "math", "reasoning", "agentic"} <= caps


def test_not_separable_by_surface_cues() -> None:
    for group in (APP_TEMPLATES, HARVEST_TEMPLATES):
        # Both with and without a system prompt.
        assert any(t.system is None for t in group)
        assert any(t.system is not None for t in group)
        # Both with bare "{text}" user messages and with wrapped ones.
        assert any(t.user == "{text}" for t in group)
    app_len = [len(t.user) for t in APP_TEMPLATES]
    harvest_len = [len(t.user) for t in HARVEST_TEMPLATES]
    assert min(app_len) <= min(harvest_len)
    assert max(harvest_len) >= np.median(app_len)
    app_temp = [t.temperature for t in APP_TEMPLATES]
    harvest_temp = [t.temperature for t in HARVEST_TEMPLATES]
    assert min(app_temp) <= min(harvest_temp)
    assert max(app_temp) >= max(harvest_temp)
    # Output budgets overlap: some apps ask for long outputs, some operators for short.
    assert max(t.max_tokens for t in APP_TEMPLATES) > min(t.max_tokens for t in HARVEST_TEMPLATES)


def test_harvest_templates_carry_no_cot_elicitation() -> None:
    # Elicitation is layered on top by elicitation.wrap, never baked in here.
    for t in HARVEST_TEMPLATES:
        low = t.user.lower()
        for cue in ("step by step", "<thinking>", "chain of thought", "reasoning"):
            assert cue not in low, (t.id, cue)


def test_fill() -> None:
    t = template("bi_sql_generator")
    code = "SELECT {a} FROM t -- {text} stays literal"
    system, user = fill(t, code)
    assert system == t.system
    assert user.count(code) == 1
    assert "{text}" not in user.replace(code, "")
    assert fill(template("math_tutor_kids"), "2+2")[0] is None
    for tt in ALL:
        assert fill(tt, "X") == (tt.system, tt.user.format(text="X"))


def test_template_lookup() -> None:
    assert template("code_review_bot").capability == "coding"
    with pytest.raises(ScenarioError, match="unknown prompt template"):
        template("nope")


def test_constructor_rejects_malformed() -> None:
    with pytest.raises(ValueError, match="exactly once"):
        PromptTemplate("bad_one", None, "no placeholder", "coding", 0.0, 10)
    with pytest.raises(ValueError, match="capability"):
        PromptTemplate("bad_two", None, "{text}", "poetry", 0.0, 10)
    with pytest.raises(ValueError, match="snake_case"):
        PromptTemplate("Bad-Id", None, "{text}", "coding", 0.0, 10)


def test_paraphrased_templates_keep_text_placeholder() -> None:
    # How the simulator uses them: paraphrase with {text}, then fill.
    for seed, t in enumerate(ALL):
        out = paraphrase(t.user, np.random.default_rng(seed), 0.6)
        assert out.count("{text}") == 1, (t.id, out)
