"""harvest_params: each harvest-friendly parameter, and the weighted score."""

from __future__ import annotations

from typing import Any

import pytest

from distillguard.signals.harvest_params import HarvestParams
from tests.signals.helpers import chat

SIG = HarvestParams()


@pytest.mark.parametrize(
    ("params", "flag"),
    [
        ({"n": 2}, "param_n_gt1"),
        ({"logprobs": True}, "param_logprobs"),
        ({"top_logprobs": 5}, "param_logprobs"),
        ({"logit_bias": '{"50256": -100}'}, "param_logit_bias"),
        ({"reasoning_effort": "high"}, "param_high_effort"),
        ({"reasoning_effort": "HIGH"}, "param_high_effort"),
        ({"max_tokens": 8192}, "param_large_max_tokens"),
    ],
)
def test_each_flag(params: dict[str, Any], flag: str) -> None:
    out = SIG.compute_one(chat("hi", **params))
    assert out[flag] is True
    assert sum(out[k] is True for k in out if k.startswith("param_")) == 1
    assert 0 < out["harvest_params_score"] < 1


@pytest.mark.parametrize(
    "params",
    [
        {"n": 1},
        {"logprobs": False, "top_logprobs": 0},
        {"logit_bias": "{}"},
        {"logit_bias": " null "},
        {"reasoning_effort": "medium"},
        {"max_tokens": 8191},
        {},
    ],
)
def test_benign_values(params: dict[str, Any]) -> None:
    out = SIG.compute_one(chat("hi", **params))
    assert not any(v for k, v in out.items() if k.startswith("param_"))
    assert out["harvest_params_score"] == 0.0


def test_all_set_scores_one_and_threshold_field() -> None:
    every: dict[str, Any] = {
        "n": 5,
        "logprobs": True,
        "logit_bias": '{"1": 2}',
        "reasoning_effort": "high",
        "max_tokens": 32000,
    }
    assert SIG.compute_one(chat("hi", **every))["harvest_params_score"] == pytest.approx(1.0)
    assert (
        HarvestParams(large_max_tokens=64000).compute_one(chat("hi", max_tokens=32000))[
            "param_large_max_tokens"
        ]
        is False
    )
