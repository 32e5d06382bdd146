"""The lab's provenance experiment, end to end at toy sizes with the tiny teacher.

(This tests :mod:`distillguard_lab.evaluate.provenance`; it lives beside the product's
provenance tests for their tiny-model fixtures.)  The numbers of a toy
run mean nothing; the test checks every stage runs, the results have their
shape, the cache is used on a second run, and the table prints.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from .conftest import words_text


def test_experiment_runs_at_toy_sizes(
    torch_mod: ModuleType,
    tiny_model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from distillguard_lab.evaluate import provenance as ep

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    tok.padding_side = "left"
    model: Any = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    teacher = ep.Teacher(model.eval(), tok)
    rng = np.random.default_rng(0)
    data = ep.ExperimentData(
        prompts=[words_text(rng, 8) for _ in range(12)],
        answers=[words_text(rng, 60) for _ in range(260)],
        code_prompts=["def w1 ( x ) :"] * 4,
        code_texts=[words_text(rng, 30) for _ in range(20)],
        tasks=[(words_text(rng, 5), "", ["w3"]) for _ in range(6)],
    )
    cfg = ep.ExperimentConfig(
        n_answers=8, n_plain=2, n_code=2, n_code_plain=2, n_tasks=6, max_new_tokens=40,
        pretrain_tokens=3000, finetune_tokens=2000, shares=(0.0, 0.2), paraphrase_share=0.2,
        data_shares=(0.1,), n_candidates=30, n_calibration=50, n_neutral=10, n_samples=4,
        lengths=(10, 30), student=ep.StudentConfig(vocab=150, hidden=16, layers=1, heads=2,
                                                   window=32, batch=16),
    )  # fmt: skip
    logs: list[str] = []
    res: dict[str, Any] = ep.run(cfg, data, teacher, tmp_path, teacher_id="tiny", log=logs.append)
    assert set(res["students"]) == {"wm 0%", "wm 20%", "paraphrased 20%"}
    assert res["target"] in {f"acct-{i:04d}" for i in range(30)}
    for arm in res["students"].values():
        assert arm["open_served_k1_n"] > 0
        assert 1 <= arm["attr_k1_target_rank"] <= 30
    assert 0.0 <= res["detection"]["calibration_prose"]["ks_p_key_per_text"] <= 1.0
    assert (tmp_path / "results.json").exists()
    rows = ep.table_rows(res, cfg)
    assert any(k.startswith("wm 20%: open p") for k, _ in rows)

    # A second run reads every teacher output from the cache: it generates nothing,
    # also when only a later stage's sizes changed.
    def no_generation(*args: Any, **kwargs: Any) -> list[str]:
        raise AssertionError("the teacher generated again instead of reading the cache")

    monkeypatch.setattr(ep, "generate", no_generation)
    again_cfg = dataclasses.replace(cfg, data_shares=(0.2,), n_samples=2)
    again = ep.run(again_cfg, data, teacher, tmp_path, teacher_id="tiny", log=logs.append)
    assert again["detection"] == res["detection"]
    # Different prompts are a different cache entry.
    other = dataclasses.replace(data, prompts=[words_text(rng, 8) for _ in range(12)])
    with pytest.raises(AssertionError, match="generated again"):
        ep.run(cfg, other, teacher, tmp_path, teacher_id="tiny", log=logs.append)
