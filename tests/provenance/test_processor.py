"""The transformers logits processor and the vLLM hook: same bias, detectable output."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from distillguard.provenance.bias import repeated_context
from distillguard.provenance.detect import detect
from distillguard.provenance.keys import ProviderSecret
from distillguard.provenance.scheme import WatermarkConfig, context_seeds, green_mask
from distillguard.provenance.vllm import request_processor

SECRET = ProviderSecret("t", bytes(range(32)))
KEY = SECRET.derive("account", "a")


def _processor() -> Any:
    from distillguard.provenance.processor import WatermarkLogitsProcessor

    return WatermarkLogitsProcessor


def test_bias_lands_on_green_tokens_only(torch_mod: ModuleType) -> None:
    cfg = WatermarkConfig(context_width=2, delta=3.0)
    ids = torch_mod.tensor([[5, 9, 11], [1, 2, 3]])
    scores = torch_mod.zeros((2, 50))
    out = _processor()(KEY, cfg)(ids, scores)
    want = green_mask(context_seeds(KEY, cfg, np.array([[9, 11], [2, 3]])), 50, cfg) * 3.0
    assert np.allclose(out.numpy(), want)


@pytest.mark.parametrize("skip", [False, True])
def test_vllm_hook_gives_the_same_logits(torch_mod: ModuleType, skip: bool) -> None:
    cfg = WatermarkConfig(skip_repeated_context=skip)
    prompt = [7, 8, 9]
    rng = np.random.default_rng(0)
    hook = request_processor(KEY, cfg)
    output: list[int] = []
    for _ in range(12):
        logits = torch_mod.from_numpy(rng.normal(size=40).astype(np.float32))
        ids = torch_mod.tensor([prompt + output])
        hf = _processor()(KEY, cfg, prompt_length=len(prompt))(ids, logits[None, :].clone())[0]
        vl = hook(prompt, output, logits.clone())
        assert torch_mod.equal(hf, vl)
        output.append(int(rng.integers(0, 4)))  # few distinct tokens: contexts repeat


def test_repeated_context_is_judged_on_the_answer_only() -> None:
    # Prompt [1, 2], answer [3, 1]: the next context (1) preceded no answer token
    # (the 1 in the prompt preceded the prompt's 2), so it is not a repeat.
    assert not repeated_context([1, 2, 3, 1], 2, 1)
    assert repeated_context([1, 2, 3, 1, 3, 1], 4, 1)
    assert not repeated_context([4], 0, 1)


def test_generated_text_carries_the_watermark(
    torch_mod: ModuleType, tiny_model_dir: Path, tiny_tokenizer: Any
) -> None:
    from transformers import AutoModelForCausalLM, LogitsProcessorList

    cfg = WatermarkConfig()
    model: Any = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model.eval()
    tok = tiny_tokenizer
    tok.padding_side = "left"
    enc = tok(["w1 w2 w3", "w4 w5"], return_tensors="pt", padding=True)
    width = enc["input_ids"].shape[1]

    def run(key_on: bool) -> list[np.ndarray]:
        procs = LogitsProcessorList([_processor()(KEY, cfg, prompt_length=width)] if key_on else [])
        torch_mod.manual_seed(0)
        out = model.generate(
            **enc, max_new_tokens=120, min_new_tokens=120, do_sample=True, top_k=0,
            logits_processor=procs, pad_token_id=tok.pad_token_id,
        )  # fmt: skip
        # Detection sees the text, re-tokenized, as a peer or a log would hold it.
        texts = tok.batch_decode(out[:, width:], skip_special_tokens=True)
        return [np.array(tok.encode(t, add_special_tokens=False)) for t in texts]

    marked, plain = run(True), run(False)
    assert all(detect(KEY, cfg, [s]).p_value < 1e-6 for s in marked)
    assert all(detect(KEY, cfg, [s]).p_value > 1e-4 for s in plain)
