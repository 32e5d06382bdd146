"""Fixtures for the provenance tests: a tiny tokenizer and tiny models built here.

No test reads a real model: the teacher is a randomly initialised Llama over a
word-level vocabulary of a few hundred words, small enough to generate and train
in seconds on a CPU.  torch and transformers come with the ``provenance`` extra
(``scripts/setup.sh --dev`` installs it); without them the tests that need them
skip on a developer's machine and fail under CI, so a CI that lost the extra
cannot pass silently.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import numpy as np
import pytest

#: Words of the tiny vocabulary (ids follow the special tokens).
WORDS = [f"w{i}" for i in range(250)] + ["def", "return", "(", ")", ":", "x", "+", "1"]
SPECIALS = ["<unk>", "<pad>", "<eos>", "<user>", "<system>", "<assistant>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}> {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<assistant> {% endif %}"
)


def need(module: str) -> ModuleType:
    """Import ``module`` or skip the test (fail under CI: the extra must be installed)."""
    try:
        mod: ModuleType = pytest.importorskip(module)
        return mod
    except pytest.skip.Exception:
        if os.environ.get("CI"):
            pytest.fail(
                f"{module} is not installed (scripts/setup.sh --dev installs the provenance extra)"
            )
        raise


@pytest.fixture(scope="session")
def torch_mod() -> ModuleType:
    need("transformers")
    torch = need("torch")
    # The models here are tiny: threads only add contention on a shared 2-core machine.
    torch.set_num_threads(1)
    return torch


@pytest.fixture(scope="session")
def tiny_tokenizer(torch_mod: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A word-level fast tokenizer with a chat template, saved and reloaded."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(SPECIALS + WORDS)}
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok: Any = cast(Any, PreTrainedTokenizerFast)(
        tokenizer_object=raw, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>"
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


@pytest.fixture(scope="session")
def tiny_model_dir(
    torch_mod: ModuleType, tiny_tokenizer: Any, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A random tiny Llama and its tokenizer, saved as a Hugging Face directory."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch_mod.manual_seed(0)
    conf = LlamaConfig(
        vocab_size=len(tiny_tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        eos_token_id=tiny_tokenizer.eos_token_id,
        pad_token_id=tiny_tokenizer.pad_token_id,
        bos_token_id=None,
    )
    model = LlamaForCausalLM(conf)
    out = tmp_path_factory.mktemp("tiny-model")
    model.save_pretrained(out)
    tiny_tokenizer.save_pretrained(out)
    return out


def words_text(rng: np.random.Generator, n: int) -> str:
    """``n`` random words of the tiny vocabulary."""
    return " ".join(WORDS[i] for i in rng.integers(0, 250, size=n))
