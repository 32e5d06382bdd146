#!/usr/bin/env python
"""Build ``distillguard/signals/data/cot_model.npz``: the learned part of ``cot_elicitation``.

A logistic regression over the hashed n-gram features of
:mod:`distillguard.signals.cot_model`, trained on development data only:

* positives: real harvest tasks (half first put in an operator's harvest template)
  wrapped in the templates of every elicitation family of
  :mod:`distillguard.sim.elicitation` (13 languages), half of them lightly
  paraphrased (:func:`~distillguard.sim.elicitation.paraphrase`);
* negatives: ShareGPT user turns of the *calibration* half's first sub-half
  (:func:`calibration_subhalf` ``"fit"``), ordinary explanation asks wrapped around
  real questions (hard negatives), lm-eval chain-of-thought prompts alone and in the
  few-shot format (legitimate evaluation traffic), and harvest tasks with no
  elicitation wrapper, bare and in harvest templates (the task alone must not fire).

The model's ``flag_logit`` is then set on the calibration half's *other* sub-half
(``"tune"``, never trained on) so that the combined signal flags at most
:data:`TARGET_FLAG_RATE` of it.  The ShareGPT *test* half is not read.

Usage::

    python scripts/build_cot_model.py [--out PATH] [--seed N]

The result is deterministic (same corpus, same seed: same bytes).  Cross-validation
by held-out family and style: ``scripts/cot_family_cv.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression

from distillguard.evaluate import cot as cot_data
from distillguard.signals.base import EventBatch
from distillguard.signals.cot_elicitation import CotElicitation, scan_text
from distillguard.signals.cot_model import (
    DEFAULT_BITS,
    MODEL_FILE,
    CotModel,
    featurize,
    model_arrays,
    rounded,
)
from distillguard.sim import elicitation, templates
from distillguard.sim.corpus import Corpus, load_corpus

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "distillguard/signals/data" / MODEL_FILE
#: Combined flag rate allowed on the "tune" sub-half of the ShareGPT calibration half.
TARGET_FLAG_RATE = 0.0008
#: Combined flag rate allowed on harvest tasks sent bare (a held-apart tuning pool):
#: the task alone must not fire, but some benchmarks ask for reasoning themselves
#: ("Show your reasoning concisely, but step-by-step").
TARGET_PLAIN_RATE = 0.002
#: Inverse L2 strength of the logistic regression (chosen by scripts/cot_family_cv.py).
C_REG = 0.5
#: Weight of a negative example relative to a positive one: a false flag on real
#: traffic costs more (account scoring multiplies it) than one missed wrapper.
NEG_WEIGHT = 2.0
#: Weight of a harvest task with no elicitation (bare, and in a harvest template).  Each
#: training task is wrapped about TRAIN_PER_FAMILY * families / 3500 = 3.8 times, so its
#: own words lean positive unless its bare copies weigh as much: the model must learn
#: the wrapper, not the task ("Do not give any reasoning" is a benchmark's own text).
PLAIN_WEIGHT = 2.0
#: Training wrappers per family, and harvest tasks in the training pool.
TRAIN_PER_FAMILY = 300
TASK_POOL = 6500
#: Hard-negative examples per explanation-ask template.
HARD_PER_ASK = 60


# ------------------------------------------------------------------ data helpers
# The ShareGPT halves, harvest tasks, wrapping and lm-eval prompts are
# distillguard.evaluate.cot's own (it loads the held-out set only when measuring it);
# the hard negatives here draw from a pool of their own, keyed by explanation ask.


def _sharegpt(corpus: Corpus) -> list[tuple[str, str]]:
    t = corpus.table
    rows = np.flatnonzero(pc.equal(t.column("source"), "sharegpt").to_numpy(zero_copy_only=False))
    conv = t.column("conversation_id").take(pa.array(rows)).to_pylist()
    return [(corpus.texts[int(r)], str(c or "")) for r, c in zip(rows, conv, strict=True)]


def wrap_tasks(
    tasks: Sequence[str], fam: elicitation.ElicitationFamily, rng: np.random.Generator
) -> list[str]:
    """The wrapped user texts of :func:`distillguard.evaluate.cot.wrap_tasks`."""
    return cot_data.wrap_tasks(tasks, fam, rng)[0]


def hard_negatives(corpus: Corpus, n: int, rng: np.random.Generator) -> list[str]:
    """Explanation asks (random templates) around real short questions."""
    pool = hard_negative_pool(corpus)
    asks = elicitation.BENIGN_REASONING_ASKS
    out = []
    for i in rng.choice(len(pool), size=min(n, len(pool)), replace=False):
        ask = asks[int(rng.integers(len(asks)))]
        out.append(ask.replace(elicitation.PLACEHOLDER, pool[int(i)]))
    return out


@dataclass
class TextSet:
    """Texts with, per text, a label and a group (family id or negative kind)."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def add(self, texts: Sequence[str], label: int, group: str) -> None:
        self.texts += list(texts)
        self.labels += [label] * len(texts)
        self.groups += [group] * len(texts)


def calibration_subhalf(conversation_id: str) -> str:
    """``"fit"`` or ``"tune"``: a second hash split of the ShareGPT calibration half.

    The model trains on "fit" and its threshold is set on "tune", so the threshold
    is not tuned on texts the model has memorised.
    """
    digest = hashlib.sha1(conversation_id.encode("utf-8")).digest()
    return "fit" if digest[0] % 2 == 0 else "tune"


def calibration_turns(corpus: Corpus, sub: str) -> list[str]:
    """ShareGPT user turns of the calibration half's ``sub`` sub-half."""
    return [
        text
        for text, cid in _sharegpt(corpus)
        if cot_data.sharegpt_half(cid) == "calibration" and calibration_subhalf(cid) == sub
    ]


def family_rng(seed: int, fam_id: str, purpose: str) -> np.random.Generator:
    """One generator per (family, purpose): adding a family changes no other's texts."""
    key = int(hashlib.md5(f"{fam_id}/{purpose}".encode()).hexdigest()[:8], 16)
    return np.random.default_rng([seed, key])


def task_pools(corpus: Corpus, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Disjoint harvest-task pools: (training, threshold tuning, evaluation)."""
    tasks = cot_data.harvest_tasks(corpus, TASK_POOL, np.random.default_rng([seed, 1]))
    order = [tasks[int(i)] for i in np.random.default_rng([seed, 2]).permutation(len(tasks))]
    return order[:3500], order[3500:5500], order[5500:]


def paraphrased(
    fam: elicitation.ElicitationFamily, rng: np.random.Generator
) -> elicitation.ElicitationFamily:
    """The family with each template lightly reworded (synonyms, case, prefixes)."""
    return elicitation.ElicitationFamily(
        fam.id,
        fam.style,
        fam.language,
        tuple(elicitation.paraphrase(t, rng, 0.7) for t in fam.templates),
    )


def family_positives(
    fam: elicitation.ElicitationFamily, tasks: Sequence[str], n: int, seed: int
) -> list[str]:
    """``n`` training wrappers of ``fam``, half of them paraphrased."""
    rng = family_rng(seed, fam.id, "train")
    pick = [tasks[int(i)] for i in rng.choice(len(tasks), size=n, replace=False)]
    half = n // 2
    plain = wrap_tasks(pick[:half], fam, rng)
    para = wrap_tasks(pick[half:], paraphrased(fam, rng), rng)
    return plain + para


def family_eval(fam: elicitation.ElicitationFamily, tasks: Sequence[str], seed: int) -> list[str]:
    """Evaluation wrappers of ``fam`` (unparaphrased templates, evaluation tasks)."""
    return wrap_tasks(tasks, fam, family_rng(seed, fam.id, "eval"))


def hard_negative_pool(corpus: Corpus) -> list[str]:
    """Short ShareGPT and benchmark questions (what the hard negatives wrap)."""
    t = corpus.table
    src = t.column("source").combine_chunks()
    kind = t.column("kind").combine_chunks()
    short = pc.less_equal(pc.utf8_length(t.column("text").combine_chunks()), 600)
    mask = pc.and_(short, pc.or_(pc.equal(src, "sharegpt"), pc.equal(kind, "benchmark")))
    return [corpus.texts[int(i)] for i in np.flatnonzero(mask.to_numpy(zero_copy_only=False))]


def hard_negatives_by_ask(pool: Sequence[str], seed: int, per_ask: int) -> dict[int, list[str]]:
    """Explanation asks (by index in BENIGN_REASONING_ASKS) around real questions."""
    rng = np.random.default_rng([seed, 3])
    out: dict[int, list[str]] = {}
    for a, ask in enumerate(elicitation.BENIGN_REASONING_ASKS):
        picks = rng.choice(len(pool), size=per_ask, replace=False)
        out[a] = [ask.replace(elicitation.PLACEHOLDER, pool[int(i)]) for i in picks]
    return out


def plain_negatives(tasks: Sequence[str], seed: int) -> tuple[list[str], list[str]]:
    """Harvest tasks with no elicitation: each bare, and inside a harvest template."""
    rng = np.random.default_rng([seed, 4])
    bare = list(tasks)
    wrapped = []
    for task in tasks:
        tmpl = templates.HARVEST_TEMPLATES[int(rng.integers(len(templates.HARVEST_TEMPLATES)))]
        wrapped.append(templates.fill(tmpl, task)[1])
    return bare, wrapped


def scan_texts(texts: Sequence[str], window: int = 320) -> pa.Array:
    """What the signal scans: lower-cased user text, both ends of long texts."""
    return scan_text(EventBatch(cot_data.events_from_texts(texts)), window)


def design_matrix(texts: Sequence[str], bits: int = DEFAULT_BITS) -> sp.csr_matrix:
    """Rows of normalised hashed counts, exactly as :meth:`CotModel.logits_of` sums them."""
    feats = featurize(scan_texts(texts), bits)
    norm = 1.0 / np.sqrt(np.maximum(feats.counts(), 1.0))
    return sp.csr_matrix(
        (norm[feats.rows], (feats.rows, feats.index)), shape=(feats.n, 2**bits), dtype=np.float64
    )


def matrix_logits(model: CotModel, x: sp.csr_matrix) -> npt.NDArray[np.float64]:
    """The model's logits of design-matrix rows (same as :meth:`CotModel.logits`)."""
    out: npt.NDArray[np.float64] = model.bias + np.asarray(x @ model.weights.astype(np.float64))
    return out


def sample_weights(
    labels: npt.NDArray[np.int_],
    groups: npt.NDArray[np.str_],
    neg_weight: float = NEG_WEIGHT,
    plain_weight: float = PLAIN_WEIGHT,
) -> npt.NDArray[np.float64]:
    """Training weight of each example (see :data:`NEG_WEIGHT`, :data:`PLAIN_WEIGHT`)."""
    plain = np.isin(groups, ["plain_tasks", "tasks_in_templates"])
    out: npt.NDArray[np.float64] = np.where(
        labels == 1, 1.0, np.where(plain, plain_weight, neg_weight)
    )
    return out


def fit(
    x: sp.csr_matrix,
    y: npt.NDArray[np.int_],
    weight: npt.NDArray[np.float64],
    *,
    c: float = C_REG,
    bits: int = DEFAULT_BITS,
) -> CotModel:
    """Logistic regression; the weights are rounded as they will be stored."""
    lr = LogisticRegression(C=c, solver="liblinear", max_iter=200)
    lr.fit(x, y, sample_weight=weight)
    return CotModel(rounded(lr.coef_[0]), float(lr.intercept_[0]), bits, flag_logit=0.0)


def flags_of(sig: CotElicitation, evidence: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Flags of evidence totals, computed as :meth:`CotElicitation.compute` does."""
    out: npt.NDArray[np.bool_] = 1.0 - np.exp(-np.maximum(evidence, 0.0)) >= sig.threshold
    return out


def cue_evidence(
    texts: Sequence[str], sig: CotElicitation | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The cue table's evidence for each text, and whether the model runs on it."""
    sig = sig or CotElicitation()
    ev, hits, _ = sig.evidence(EventBatch(cot_data.events_from_texts(texts)))
    return ev, sig.model_band(ev, hits)


def set_flag_logit(
    model: CotModel,
    constraints: Sequence[
        tuple[npt.NDArray[np.float64], tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]], float]
    ],
    sig: CotElicitation | None = None,
) -> CotModel:
    """The model with the lowest ``flag_logit`` meeting every flag-rate constraint.

    Each constraint is (logits, :func:`cue_evidence`, highest combined flag rate) of
    one benign set: the ShareGPT "tune" sub-half, and unseen harvest tasks.
    """
    sig = sig or CotElicitation()
    lo, hi = -5.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        ok = all(
            flags_of(sig, sig.combine(ev, band, logits, mid)).mean() <= target
            for logits, (ev, band), target in constraints
        )
        if ok:
            hi = mid
        else:
            lo = mid
    return CotModel(model.weights, model.bias, model.bits, flag_logit=hi)


@dataclass
class DevData:
    """Every development text the build and the cross-validation use."""

    train: TextSet
    #: Evaluation wrappers per family id.
    evals: dict[str, list[str]]
    #: Hard negatives per ask index (the training set holds them too, tagged "ask<i>").
    hard: dict[int, list[str]]
    tune: list[str]
    #: Harvest tasks, bare, for the threshold (never trained on; must not fire).
    plain_tune: list[str]
    #: Evaluation-pool harvest tasks, bare (never trained on; must not fire).
    plain_eval: list[str]


def dev_data(corpus: Corpus, seed: int) -> DevData:
    """Build the training set, evaluation wrappers and the threshold-tuning texts."""
    train_tasks, tune_tasks, eval_tasks = task_pools(corpus, seed)
    ts = TextSet()
    evals: dict[str, list[str]] = {}
    for fam in elicitation.FAMILIES:
        ts.add(family_positives(fam, train_tasks, TRAIN_PER_FAMILY, seed), 1, fam.id)
        evals[fam.id] = family_eval(fam, eval_tasks[:200], seed)
    ts.add(calibration_turns(corpus, "fit"), 0, "sharegpt_fit")
    hard = hard_negatives_by_ask(hard_negative_pool(corpus), seed, HARD_PER_ASK)
    for a, texts in hard.items():
        ts.add(texts, 0, f"ask{a}")
    plain, fewshot = cot_data.lm_eval_cot_prompts(corpus, np.random.default_rng([seed, 5]))
    ts.add(plain, 0, "lm_eval_items")
    ts.add(fewshot, 0, "lm_eval_fewshot")
    bare, in_template = plain_negatives(train_tasks, seed)
    ts.add(bare, 0, "plain_tasks")
    ts.add(in_template, 0, "tasks_in_templates")
    return DevData(
        ts, evals, hard, calibration_turns(corpus, "tune"), list(tune_tasks), list(eval_tasks)
    )


def npz_bytes(arrays: dict[str, npt.NDArray[np.generic]]) -> bytes:
    """A compressed ``.npz`` with fixed timestamps and member order (reproducible bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    corpus = load_corpus()
    data = dev_data(corpus, args.seed)
    y = np.array(data.train.labels)
    print(f"training texts: {len(y)} ({int(y.sum())} positive)", file=sys.stderr)
    weight = sample_weights(y, np.array(data.train.groups))
    model = fit(design_matrix(data.train.texts), y, weight)
    model = set_flag_logit(
        model,
        [
            (model.logits(scan_texts(data.tune)), cue_evidence(data.tune), TARGET_FLAG_RATE),
            (
                model.logits(scan_texts(data.plain_tune)),
                cue_evidence(data.plain_tune),
                TARGET_PLAIN_RATE,
            ),
        ],
    )
    print(
        f"bias {model.bias:.3f}, flag_logit {model.flag_logit:.3f} "
        f"(tune sub-half: {len(data.tune)} texts)",
        file=sys.stderr,
    )
    args.out.write_bytes(npz_bytes(model_arrays(model)))
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


def check_blind() -> None:
    """Fail if the held-out evaluation set was loaded: this work must stay blind to it."""
    if "distillguard.evaluate.cot_heldout" in sys.modules:
        raise SystemExit(
            "the held-out evaluation set (distillguard.evaluate.cot_heldout) was loaded"
        )


if __name__ == "__main__":
    code = main()
    check_blind()
    sys.exit(code)
