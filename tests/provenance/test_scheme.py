"""The green-list rule: share gamma, independence from the key, stability of the scheme."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped]

from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import (
    WatermarkConfig,
    context_seeds,
    context_seeds_many,
    green_mask,
    is_green,
)


def _key(i: int) -> WatermarkKey:
    return WatermarkKey(f"k{i}", hashlib.sha256(str(i).encode()).digest()[:16])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"gamma": 0.0}, "gamma"), ({"gamma": 1.0}, "gamma"), ({"delta": 0.0}, "delta"),
     ({"context_width": 0}, "context_width"), ({"context_width": 9}, "context_width")],
)  # fmt: skip
def test_config_refuses_bad_values(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ProvenanceError) as err:
        WatermarkConfig(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


@pytest.mark.parametrize("gamma", [0.1, 0.25, 0.5])
def test_green_share_is_gamma(gamma: float) -> None:
    cfg = WatermarkConfig(gamma=gamma)
    ctx = np.arange(200).reshape(-1, 1)
    mask = green_mask(context_seeds(_key(1), cfg, ctx), 5000, cfg)
    n, k = mask.size, int(mask.sum())
    # Two-sided exact binomial test at 1e-4: a biased rule fails, a fair one passes.
    assert stats.binomtest(k, n, gamma).pvalue > 1e-4


def test_mask_and_pairwise_colours_agree() -> None:
    cfg = WatermarkConfig(context_width=2)
    rng = np.random.default_rng(0)
    ctx = rng.integers(0, 1000, size=(50, 2))
    mask = green_mask(context_seeds(_key(2), cfg, ctx), 1000, cfg)
    tokens = rng.integers(0, 1000, size=50)
    assert np.array_equal(is_green(_key(2), cfg, ctx, tokens), mask[np.arange(50), tokens])


def test_keys_and_context_widths_give_unrelated_lists() -> None:
    cfg1, cfg2 = WatermarkConfig(context_width=1), WatermarkConfig(context_width=2)
    ctx = np.array([[7]])
    a = green_mask(context_seeds(_key(1), cfg1, ctx), 20000)
    b = green_mask(context_seeds(_key(2), cfg1, ctx), 20000)
    # Agreement of two independent gamma-lists is gamma^2 + (1-gamma)^2 = 0.625.
    assert abs(float((a == b).mean()) - 0.625) < 0.02
    c = context_seeds(_key(1), cfg2, np.array([[0, 7]]))
    assert int(c[0]) != int(context_seeds(_key(1), cfg1, ctx)[0])


def test_many_keys_match_one_key_at_a_time() -> None:
    cfg = WatermarkConfig()
    ctx = np.arange(30).reshape(-1, 1)
    keys = [_key(i) for i in range(5)]
    many = context_seeds_many(keys, cfg, ctx)
    for i, k in enumerate(keys):
        assert np.array_equal(many[i], context_seeds(k, cfg, ctx))


def test_the_scheme_is_pinned() -> None:
    # Detection must agree with answers served months ago: if this changes, the
    # colouring changed, and SCHEME_VERSION must be bumped with a migration note.
    cfg = WatermarkConfig()
    mask = green_mask(
        context_seeds(WatermarkKey("pin", bytes(range(16))), cfg, np.array([[42]])), 64
    )
    assert "".join("1" if g else "0" for g in mask[0]) == PINNED


def test_contexts_must_match_the_width() -> None:
    with pytest.raises(ProvenanceError, match="contexts must be"):
        context_seeds(_key(0), WatermarkConfig(context_width=2), np.array([[1]]))


PINNED = "1100001111100000000000000001000000000000100000010100000000110000"
