"""Attribution over 1,000 candidate accounts at family-wise error 1e-3."""

from __future__ import annotations

import numpy as np
import pytest

from distillguard.provenance.attribution import account_keys, attribute
from distillguard.provenance.detect import text_pairs
from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.keys import ProviderSecret
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.stats import ks_uniform, randomized_pvalues

from ._sim import Bigram

SECRET = ProviderSecret("t", bytes(range(32)))
CFG = WatermarkConfig()
ACCOUNTS = [f"acct-{i:04d}" for i in range(1000)]


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return dict(account_keys(SECRET, ACCOUNTS))


def test_the_right_account_among_a_thousand(keys: dict[str, object]) -> None:
    model, rng = Bigram(seed=5), np.random.default_rng(5)
    target = "acct-0421"
    harvested = model.generate_many(rng, 6, 150, SECRET.derive("account", target))
    clean = model.generate_many(rng, 40, 150)
    att = attribute(text_pairs(CFG, harvested + clean), keys, CFG, alpha=1e-3)  # type: ignore[arg-type]
    assert att.attributed == [target]
    assert att.global_p <= 1e-3
    # The other 999 are the null: their p-values are independent and uniform.
    others = [i for i, a in enumerate(att.candidates) if a != target]
    rp = randomized_pvalues(att.n_green[others], att.n_scored, CFG.gamma, rng)
    assert ks_uniform(rp) > 0.01


def test_clean_data_names_nobody(keys: dict[str, object]) -> None:
    model, rng = Bigram(seed=6), np.random.default_rng(6)
    clean = model.generate_many(rng, 40, 150)
    for method in ("holm", "bonferroni"):
        att = attribute(text_pairs(CFG, clean), keys, CFG, alpha=1e-3, method=method)  # type: ignore[arg-type]
        assert att.attributed == []
        assert att.rows(top=3)[0]["p_value"] == float(att.p_values.min())


def test_bad_parameters() -> None:
    pairs = text_pairs(CFG, [np.arange(10)])
    keys = account_keys(SECRET, ["a"])
    with pytest.raises(ProvenanceError, match="unknown correction"):
        attribute(pairs, keys, CFG, method="sidak")
    with pytest.raises(ProvenanceError, match="no candidate"):
        attribute(pairs, {}, CFG)
    with pytest.raises(ProvenanceError) as err:
        attribute(pairs, keys, CFG, alpha=0.0)
    assert err.value.field == "alpha"
