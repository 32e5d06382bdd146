"""The chain-of-thought evaluation: splits, report shape and command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillguard_lab.evaluate import cot, cot_catalogs
from distillguard_lab.sim.corpus import Corpus

# The blind held-out set may not be written yet; these tests only check the report's
# shape (the path is checked, the file is not read).
needs_heldout = pytest.mark.skipif(
    not cot_catalogs.blind_path().is_file(),
    reason=f"the held-out set {cot_catalogs.HELDOUT_FILE} is not there yet",
)
SPENT_V2 = cot_catalogs.spent_set("v2").families
SPENT_V3 = cot_catalogs.spent_set("v3").families


def test_sharegpt_half_is_stable_and_balanced() -> None:
    halves = [cot.sharegpt_half(f"conv{i}") for i in range(4000)]
    assert set(halves) == {"calibration", "test"}
    assert 0.45 < halves.count("test") / len(halves) < 0.55
    assert halves == [cot.sharegpt_half(f"conv{i}") for i in range(4000)]


def test_events_from_texts() -> None:
    table = cot.events_from_texts(["a", "b"], ["sys", None])
    assert table.num_rows == 2
    assert table.column("messages").to_pylist()[0][0] == {"role": "system", "content": "sys"}


@pytest.mark.corpus
@needs_heldout
def test_small_evaluation(corpus: Corpus, tmp_path: Path) -> None:
    report = cot.evaluate_cot(seed=1, n_benign=300, n_tasks=12, corpus=corpus)
    d = report.to_dict()
    json.dumps(d)
    assert {r["family"] for r in d["heldout"]}
    assert all(r["split"] == "heldout" for r in d["heldout"])
    assert isinstance(d["heldout_version"], str)
    assert d["heldout_version"]
    assert all(r["split"] == "dev" for r in d["dev_development_data"])
    assert {r["split"] for r in d["spent_v2_development_data"]} == {"spent_v2"}
    assert {r["family"] for r in d["spent_v2_development_data"]} == {f.id for f in SPENT_V2}
    assert {r["family"] for r in d["spent_v3_development_data"]} == {f.id for f in SPENT_V3}
    assert {r["family"] for r in d["spent_v4_development_data"]} == {
        f.id for f in cot_catalogs.spent_set("v4").families
    }
    blind = {k for k in d["benign"] if k.startswith("heldout_negatives_")}
    assert set(d["benign"]) - blind == {
        "sharegpt_test",
        "hard_negatives_benign_asks",
        "lm_eval_cot_items",
        "lm_eval_cot_fewshot",
    }
    # The blind hard negatives of the held-out set, by kind, around 12 tasks each.
    assert "heldout_negatives_system" in blind
    assert len(blind) >= 5
    assert all(d["benign"][k]["n"] % 12 == 0 and d["benign"][k]["n"] > 0 for k in blind)
    pooled = sum(d["benign"][k]["flagged"] for k in blind) / sum(d["benign"][k]["n"] for k in blind)
    assert d["heldout_negatives_flag_rate"] == pytest.approx(pooled)
    assert d["benign"]["sharegpt_test"]["n"] == 300
    assert len(d["missed_heldout"]) <= cot.MAX_EXAMPLES
    assert all(len(x) <= cot.EXAMPLE_CHARS + 40 for x in d["flagged_benign"])
    table = report.table()
    assert "held-out families" in table
    assert "spent v2 families (DEVELOPMENT DATA" in table
    assert "spent v3 families (DEVELOPMENT DATA" in table
    assert "spent v4 families (DEVELOPMENT DATA" in table


@pytest.mark.corpus
@needs_heldout
def test_main_writes_json(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cot.json"
    assert cot.main(["--n-benign", "200", "--n-tasks", "5", "--json", str(out)]) == 0
    assert "benign flag rates" in capsys.readouterr().out
    assert json.loads(out.read_text())["n_tasks"] == 5
