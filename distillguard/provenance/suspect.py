"""Loading models and tokenizers, and a suspect's teacher-forced predictions (torch).

Everything here imports torch or transformers inside the functions, so the
product imports this module cheaply and only pays for torch when a model is
actually read.  A model is a Hugging Face directory (``save_pretrained``) or a
GGUF file (transformers de-quantizes it; needs the ``gguf`` package).
Nothing is ever fetched from a model hub: paths must exist on disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from distillguard.provenance.errors import ProvenanceError

if TYPE_CHECKING:
    import torch


class Tokenizer(Protocol):
    """What the provenance tests need from a tokenizer."""

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, without special tokens."""
        ...

    def vocab(self) -> dict[str, int]:
        """Token string → id (to check two tokenizers agree)."""
        ...


class _HFTokenizer:
    def __init__(self, tok: Any) -> None:
        self.tok = tok

    def encode(self, text: str) -> list[int]:
        return list(self.tok.encode(text, add_special_tokens=False))

    def vocab(self) -> dict[str, int]:
        return dict(self.tok.get_vocab())


class _RawTokenizer:
    def __init__(self, tok: Any) -> None:
        self.tok = tok

    def encode(self, text: str) -> list[int]:
        return list(self.tok.encode(text, add_special_tokens=False).ids)

    def vocab(self) -> dict[str, int]:
        return dict(self.tok.get_vocab())


def _exists(path: str | Path, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise ProvenanceError(f"{what} not found (models are read from disk only)", path=p)
    return p


def load_tokenizer(path: str | Path) -> Tokenizer:
    """A tokenizer from ``tokenizer.json``, a GGUF file or a Hugging Face directory."""
    p = _exists(path, "tokenizer")
    try:
        if p.suffix == ".json":
            from tokenizers import Tokenizer as RawTokenizer

            return _RawTokenizer(RawTokenizer.from_file(str(p)))
        from transformers import AutoTokenizer

        if p.suffix == ".gguf":
            return _HFTokenizer(AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name))
        return _HFTokenizer(AutoTokenizer.from_pretrained(str(p)))
    except ImportError as exc:
        raise ProvenanceError(
            "reading a tokenizer needs the provenance extra "
            "(pip install 'distillguard[provenance]')"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ProvenanceError(f"cannot read a tokenizer: {exc}", path=p) from exc


def load_causal_lm(path: str | Path) -> tuple[Any, Tokenizer]:
    """A causal LM in evaluation mode (float32, CPU unless moved) and its tokenizer."""
    p = _exists(path, "model")
    try:
        import torch
        from transformers import AutoModelForCausalLM
    except ImportError as exc:
        raise ProvenanceError(
            "reading a model needs the provenance extra (pip install 'distillguard[provenance]')"
        ) from exc
    model: Any
    try:
        if p.suffix == ".gguf":
            model = AutoModelForCausalLM.from_pretrained(
                str(p.parent), gguf_file=p.name, dtype=torch.float32
            )
        else:
            model = AutoModelForCausalLM.from_pretrained(str(p), dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise ProvenanceError(f"cannot read a model: {exc}", path=p) from exc
    model.eval()
    return model, load_tokenizer(p)


def predict_top_k(
    model: Any,
    sequences: Sequence[npt.NDArray[np.integer]],
    *,
    top_k: int = 1,
    batch_size: int = 8,
    max_length: int = 512,
    input_map: npt.NDArray[np.int64] | None = None,
    output_map: npt.NDArray[np.int64] | None = None,
) -> list[npt.NDArray[np.int64]]:
    """The model's top-``k`` next-token ids after each prefix of each sequence.

    Row ``t`` of result ``i`` holds the ``k`` likeliest tokens for position ``t + 1``
    of ``sequences[i]``; rows past ``max_length`` are ``-1`` (not scored).  For a
    suspect whose vocabulary re-indexes the watermark tokenizer's,
    ``input_map`` maps watermark ids to the model's and ``output_map`` maps back
    (``-1``: a token with no watermark id).
    """
    import torch

    out: list[npt.NDArray[np.int64]] = [
        np.full((len(s), top_k), -1, dtype=np.int64) for s in sequences
    ]
    order = np.argsort([-len(s) for s in sequences], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = min(max(len(sequences[i]) for i in idx), max_length)
            if width == 0:
                continue
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                s = np.asarray(sequences[i], dtype=np.int64)[:width]
                ids[r, : len(s)] = s if input_map is None else input_map[s]
                mask[r, : len(s)] = 1
            logits = _logits(model, torch.from_numpy(ids), torch.from_numpy(mask))
            top = torch.topk(logits, top_k, dim=-1).indices.numpy()
            for r, i in enumerate(idx):
                n = min(len(sequences[i]), width)
                pred = top[r, :n]
                out[i][:n] = pred if output_map is None else output_map[pred]
    return out


def _logits(model: Any, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logits: torch.Tensor = model(input_ids=ids, attention_mask=mask).logits
    return logits.float()
