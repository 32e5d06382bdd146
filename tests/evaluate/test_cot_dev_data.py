"""The development catalogs (dev families, benign apps and asks, hard negatives)."""

from __future__ import annotations

from distillguard_lab.evaluate.cot_catalogs import dev_families, dev_negatives, spent_set
from distillguard_lab.sim.elicitation import FAMILIES, PLACEHOLDER, STYLES
from tests.evaluate.catalog import check_apart


def test_dev_families_widen_the_simulator_catalog() -> None:
    dev = dev_families()
    fams = dev.catalog.families
    assert dev.catalog.status == "dev"
    assert len(fams) >= 40
    assert len({f.language for f in fams}) >= 25
    assert {f.style for f in fams} == set(STYLES)
    assert all(f.id.endswith("_dev") for f in fams)
    check_apart(fams, [FAMILIES])
    assert not {f.id for f in fams} & {f.id for f in spent_set("v2").families}


def test_benign_apps_and_asks() -> None:
    dev = dev_families()
    assert len(dev.benign_apps) >= 20
    assert all(a.user.count(PLACEHOLDER) == 1 for a in dev.benign_apps)
    assert len({a.id for a in dev.benign_apps}) == len(dev.benign_apps)
    assert all(ask.count(PLACEHOLDER) == 1 for ask in dev.benign_asks)


def test_negatives() -> None:
    neg = dev_negatives()
    assert len(neg.families) >= 30
    assert len({f.language for f in neg.families}) >= 7
    assert all(t.count(PLACEHOLDER) == 1 for f in neg.families for t in f.templates)
    assert len({f.id for f in neg.families}) == len(neg.families)
    assert set(neg.kinds) == {f.kind for f in neg.families}
    assert neg.kinds[0] == "hint"
    assert len(neg.systems) >= 15
