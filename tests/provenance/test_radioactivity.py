"""Radioactivity of a tiny student trained on watermarked text, and the null."""

from __future__ import annotations

from types import ModuleType
from typing import Any, cast

import numpy as np
import pytest

from distillguard.provenance.keys import ProviderSecret, WatermarkKey
from distillguard.provenance.radioactivity import (
    closed_test,
    open_weight_test,
    teacher_forced_pairs,
)
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.stats import ks_uniform, randomized_pvalues
from distillguard.provenance.suspect import predict_top_k

from ._sim import Bigram

SECRET = ProviderSecret("t", bytes(range(32)))
KEY = SECRET.derive("account", "harvester")
CFG = WatermarkConfig()
VOCAB = 120


def _student(torch: ModuleType, seqs: list[np.ndarray], seed: int) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=VOCAB, hidden_size=48, intermediate_size=96, num_hidden_layers=1,
            num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
            bos_token_id=None, eos_token_id=None, pad_token_id=None,
        )
    )  # fmt: skip
    data = torch.from_numpy(np.stack(seqs))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(3):
        for start in range(0, len(data), 32):
            x = data[start : start + 32]
            loss = model(input_ids=x, labels=x).loss
            torch.autograd.backward(loss)
            opt.step()
            opt.zero_grad()
    return cast(Any, model).eval()


@pytest.fixture(scope="module")
def students(torch_mod: ModuleType) -> dict[str, Any]:
    teacher, rng = Bigram(vocab=VOCAB, seed=11), np.random.default_rng(11)
    marked = teacher.generate_many(rng, 300, 48, KEY)
    clean = teacher.generate_many(rng, 300, 48)
    served = teacher.generate_many(rng, 60, 48, KEY)
    return {
        "radioactive": _student(torch_mod, marked, 1),
        "clean": _student(torch_mod, clean, 1),
        "served": served,
        "rng": rng,
    }


def _pairs(model: Any, served: list[np.ndarray], k: int = 1) -> Any:
    preds = predict_top_k(model, served, top_k=k, batch_size=16)
    return teacher_forced_pairs(served, preds, CFG.context_width)


def test_open_weight_student_is_radioactive(students: dict[str, Any]) -> None:
    hot = open_weight_test(KEY, CFG, _pairs(students["radioactive"], students["served"], k=3))
    cold = open_weight_test(KEY, CFG, _pairs(students["clean"], students["served"], k=3))
    assert hot.p_value < 1e-6
    assert cold.p_value > 1e-3


def test_clean_student_pvalues_are_uniform_over_keys(students: dict[str, Any]) -> None:
    pairs = _pairs(students["clean"], students["served"])
    keys = [WatermarkKey(f"r{i}", students["rng"].bytes(16)) for i in range(300)]
    counts = pairs.green_counts(keys, CFG)
    assert ks_uniform(randomized_pvalues(counts, len(pairs), CFG.gamma, students["rng"])) > 0.01


def test_closed_suspect_samples(torch_mod: ModuleType, students: dict[str, Any]) -> None:
    def samples(model: Any) -> list[np.ndarray]:
        torch_mod.manual_seed(0)
        start = torch_mod.from_numpy(np.stack([s[:2] for s in students["served"][:30]]))
        out = model.generate(
            input_ids=start, attention_mask=torch_mod.ones_like(start), max_new_tokens=40,
            min_new_tokens=40, do_sample=True, top_k=0,
        )  # fmt: skip
        return [row.numpy() for row in out]

    assert closed_test(KEY, CFG, samples(students["radioactive"])).p_value < 1e-6
    assert closed_test(KEY, CFG, samples(students["clean"])).p_value > 1e-3


def test_vocabulary_maps_translate_predictions(
    torch_mod: ModuleType, students: dict[str, Any]
) -> None:
    # A suspect whose ids are a permutation of ours gives the same pairs once mapped.
    perm = np.random.default_rng(0).permutation(VOCAB)
    inverse = np.argsort(perm)
    model = students["clean"]
    seqs = students["served"][:5]
    plain = predict_top_k(model, seqs, top_k=2)
    # Feeding ids through perm to a model that expects ours: map in with inverse.
    mapped = predict_top_k(
        model, [perm[s] for s in seqs], top_k=2, input_map=inverse, output_map=perm
    )
    for a, b in zip(plain, mapped, strict=True):
        assert np.array_equal(perm[a], b)
