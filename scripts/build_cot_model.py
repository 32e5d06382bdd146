#!/usr/bin/env python
"""Build ``distillguard/signals/data/cot_model.npz``: the learned part of ``cot_elicitation``.

A logistic regression over the hashed n-gram features of
:mod:`distillguard.signals.cot_model`, trained on development data only:

* positives: real harvest tasks (half first put in an operator's harvest template)
  wrapped in the templates of every elicitation family of
  :mod:`distillguard_lab.sim.elicitation` (13 languages), of the extra development
  families of ``data/eval/cot/dev_families.yaml`` (33 languages) and of the spent
  former held-out sets v2 and v3 (``data/eval/cot/spent_v2.yaml``, ``spent_v3.yaml``,
  development data since their results were read; all read by
  :mod:`distillguard_lab.evaluate.cot_catalogs`), half of them lightly paraphrased
  (:func:`~distillguard_lab.sim.elicitation.paraphrase`), plus each family's templates
  with no task in them, and some wrappers inside an ordinary explanation ask ("I'm
  stuck on this homework question: ... Can you walk me through it?"), so that no
  conversational phrase around a demand for a full trace cancels it;
* negatives: ShareGPT user turns of the *calibration* half's first sub-half
  (:func:`calibration_subhalf` ``"fit"``), ordinary explanation asks wrapped around
  real questions (hard negatives), lm-eval chain-of-thought prompts alone and in the
  few-shot format (legitimate evaluation traffic), and harvest tasks with no
  elicitation wrapper, bare and in harvest templates (the task alone must not fire),
  the benign applications and explanation asks of ``dev_families.yaml`` (tutoring
  system prompts that "explain step by step to the student", support bots, ...), and
  the benign hard negatives of ``data/eval/cot/dev_negatives.yaml`` (hints
  that hold the answer back, rubric grading, how-to steps, code review, proof checks,
  ...; never the simulator's app templates, which measure the app flag rate).

The model's ``flag_logit`` is then set on the calibration half's *other* sub-half
(``"tune"``, never trained on) so that the combined signal flags at most
:data:`TARGET_FLAG_RATE` of it.  The ShareGPT *test* half is not read.

Usage::

    python scripts/build_cot_model.py [--out PATH] [--seed N] [--without-v2]
        [--without-v3] [--without-negatives]

``--without-v2`` / ``--without-v3`` build the models that ``scripts/cot_family_cv.py
--group v2`` / ``--group v3`` validate (that set left out of training).

The result is deterministic (same corpus, same seed: same bytes).  Beside the model it
writes its build record (``cot_model.build.json``, :mod:`distillguard.artefacts`): the
arguments, the SHA-256 of every data file it read (cue table, catalogs), a digest of
the corpus, the code, library versions and the commit; ``tests/test_artefacts.py``
rebuilds the model and compares both.  Cross-validation by held-out family and style:
``scripts/cot_family_cv.py``.
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

from distillguard.artefacts import (
    build_record,
    file_hashes,
    record_path,
    relative,
    table_digest,
    write_with_record,
)
from distillguard.signals import cot_model
from distillguard.signals.base import EventBatch
from distillguard.signals.cot_elicitation import CotElicitation
from distillguard.signals.cot_model import (
    DEFAULT_BITS,
    MODEL_FILE,
    CotModel,
    featurize,
    model_arrays,
    rounded,
)
from distillguard.signals.cue_table import DEFAULT_CUES
from distillguard_lab.evaluate import cot as cot_data
from distillguard_lab.evaluate import cot_catalogs
from distillguard_lab.sim import elicitation, templates
from distillguard_lab.sim.corpus import Corpus, cache_key, load_corpus

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "distillguard/signals/data" / MODEL_FILE
#: Source files whose logic shapes the model (recorded in its build record).
CODE = tuple(
    Path(__file__).resolve().parents[1] / p
    for p in (
        "scripts/build_cot_model.py",
        "distillguard/signals/cot_elicitation.py",
        "distillguard/signals/cot_model.py",
        "distillguard/signals/cue_table.py",
        "distillguard/signals/template_skeleton.py",
        "lab/distillguard_lab/evaluate/cot.py",
        "lab/distillguard_lab/evaluate/cot_catalogs.py",
        "lab/distillguard_lab/sim/elicitation.py",
        "lab/distillguard_lab/sim/templates.py",
    )
)
#: Libraries whose versions the build record notes.
PACKAGES = ("numpy", "scipy", "scikit-learn", "pyarrow")
#: Combined flag rate allowed on the "tune" sub-half of the ShareGPT calibration half.
TARGET_FLAG_RATE = 0.004
#: Combined flag rate allowed on harvest tasks sent bare (a held-apart tuning pool):
#: the task alone must not fire, but some benchmarks ask for reasoning themselves
#: ("Show your reasoning concisely, but step-by-step").
TARGET_PLAIN_RATE = 0.015
#: Inverse L2 strength of the logistic regression (chosen by scripts/cot_family_cv.py).
C_REG = 2.0
#: Weight of a negative example relative to a positive one: a false flag on real
#: traffic costs more (account scoring multiplies it) than one missed wrapper.
NEG_WEIGHT = 2.0
#: Weight of a harvest task with no elicitation (bare, and in a harvest template).  Each
#: training task is wrapped about TRAIN_PER_FAMILY * families / 3500 = 10 times, so its
#: own words lean positive unless its bare copies weigh as much: the model must learn
#: the wrapper, not the task ("Do not give any reasoning" is a benchmark's own text).
PLAIN_WEIGHT = 10.0
#: Training wrappers per family, and harvest tasks in the training pool.
TRAIN_PER_FAMILY = 300
#: Per family, its templates with the task left out (then paraphrased ones).
BARE_PER_FAMILY = 10
#: Per family, training wrappers put inside an ordinary explanation ask ("I'm stuck on
#: this homework question: ... Can you walk me through it?"): the asks are negatives
#: around plain questions, and must not cancel an elicitation wrapper they surround
#: (no phrase switches the signal off; issue 18).
ASK_PER_FAMILY = 15
TASK_POOL = 6500
#: Hard-negative examples per explanation-ask template.
HARD_PER_ASK = 60
#: Real questions put in each benign app's user template.
APP_PER_TEMPLATE = 60
#: Real questions put in each template of ``dev_negatives.yaml``.
NEG_PER_TEMPLATE = 30


# ------------------------------------------------------------------ data helpers
# The ShareGPT halves, harvest tasks, wrapping and lm-eval prompts are
# distillguard_lab.evaluate.cot's own (it loads the held-out set only when measuring it);
# the hard negatives here draw from a pool of their own, keyed by explanation ask.


def _sharegpt(corpus: Corpus) -> list[tuple[str, str]]:
    t = corpus.table
    rows = np.flatnonzero(pc.equal(t.column("source"), "sharegpt").to_numpy(zero_copy_only=False))
    conv = t.column("conversation_id").take(pa.array(rows)).to_pylist()
    return [(corpus.texts[int(r)], str(c or "")) for r, c in zip(rows, conv, strict=True)]


def wrap_tasks(
    tasks: Sequence[str], fam: elicitation.ElicitationFamily, rng: np.random.Generator
) -> list[str]:
    """The wrapped user texts of :func:`distillguard_lab.evaluate.cot.wrap_tasks`."""
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
    """``n`` training wrappers of ``fam``, half of them paraphrased,
    :data:`BARE_PER_FAMILY` wrappers with no task (the wrapper's words undiluted) and
    :data:`ASK_PER_FAMILY` wrappers inside an ordinary explanation ask."""
    rng = family_rng(seed, fam.id, "train")
    pick = [tasks[int(i)] for i in rng.choice(len(tasks), size=n, replace=False)]
    half = n // 2
    plain = wrap_tasks(pick[:half], fam, rng)
    para = wrap_tasks(pick[half:], paraphrased(fam, rng), rng)
    bare = [
        (t if k < len(fam.templates) else elicitation.paraphrase(t, rng, 0.7))
        .replace(elicitation.PLACEHOLDER, "")
        .strip()
        for k in range(BARE_PER_FAMILY)
        for t in [fam.templates[k % len(fam.templates)]]
    ]
    return plain + para + bare + in_asks(plain, family_rng(seed, fam.id, "asks"))


def explanation_asks() -> tuple[str, ...]:
    """Ordinary explanation asks with a ``{task}`` slot: the simulator's
    ``BENIGN_REASONING_ASKS`` and the benign asks of ``dev_families.yaml``."""
    return elicitation.BENIGN_REASONING_ASKS + tuple(cot_catalogs.dev_families().benign_asks)


def in_asks(wrapped: Sequence[str], rng: np.random.Generator) -> list[str]:
    """:data:`ASK_PER_FAMILY` of ``wrapped`` (elicitation wrappers around a task), each
    put in the task slot of a random explanation ask."""
    asks = explanation_asks()
    picks = rng.choice(len(wrapped), size=min(ASK_PER_FAMILY, len(wrapped)), replace=False)
    return [
        asks[int(rng.integers(len(asks)))].replace(elicitation.PLACEHOLDER, wrapped[int(i)])
        for i in picks
    ]


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


def around(template: str, pool: Sequence[str], rng: np.random.Generator, n: int) -> list[str]:
    """``template`` around ``n`` distinct real questions drawn from ``pool``."""
    picks = rng.choice(len(pool), size=n, replace=False)
    return [template.replace(elicitation.PLACEHOLDER, pool[int(i)]) for i in picks]


def hard_negatives_by_ask(pool: Sequence[str], seed: int, per_ask: int) -> dict[int, list[str]]:
    """Explanation asks (by index in BENIGN_REASONING_ASKS) around real questions."""
    rng = np.random.default_rng([seed, 3])
    return {
        a: around(ask, pool, rng, per_ask)
        for a, ask in enumerate(elicitation.BENIGN_REASONING_ASKS)
    }


def plain_negatives(tasks: Sequence[str], seed: int) -> tuple[list[str], list[str]]:
    """Harvest tasks with no elicitation: each bare, and inside a harvest template."""
    rng = np.random.default_rng([seed, 4])
    bare = list(tasks)
    wrapped = []
    for task in tasks:
        tmpl = templates.HARVEST_TEMPLATES[int(rng.integers(len(templates.HARVEST_TEMPLATES)))]
        wrapped.append(templates.fill(tmpl, task)[1])
    return bare, wrapped


def model_texts(texts: Sequence[str], sig: CotElicitation | None = None) -> pa.Array:
    """What the model reads: lower-cased user text, both ends of long texts, with the
    counter-cues' matches blanked out (:meth:`CotElicitation.model_text`)."""
    sig = sig or CotElicitation()
    batch = EventBatch(cot_data.events_from_texts(texts))
    _, hits, _ = sig.evidence(batch)
    return sig.model_text(batch, hits)


def design_matrix(texts: Sequence[str], bits: int = DEFAULT_BITS) -> sp.csr_matrix:
    """Rows of normalised hashed counts, exactly as :meth:`CotModel.logits_of` sums them."""
    feats = featurize(model_texts(texts), bits)
    norm = 1.0 / np.maximum(feats.counts(), 1.0) ** cot_model.NORM_POWER
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
    #: Held-out benign apps' (system prompts, user texts); empty when all are trained on.
    apps_eval: tuple[list[str], list[str]] = ([], [])
    #: Benign hard negatives by kind around other questions than the training ones.
    negatives_eval: dict[str, list[str]] = field(default_factory=dict)


def training_families(
    *, with_v2: bool = True, with_v3: bool = True
) -> tuple[elicitation.ElicitationFamily, ...]:
    """Every elicitation family the model trains on: the simulator's catalog, the extra
    development families, and the spent held-out sets v2 (``with_v2``) and v3
    (``with_v3``)."""
    fams = elicitation.FAMILIES + cot_catalogs.dev_families().catalog.families
    if with_v2:
        fams += cot_catalogs.spent_set("v2").families
    if with_v3:
        fams += cot_catalogs.spent_set("v3").families
    return fams


def negative_texts(
    pool: Sequence[str], seed: int, per_template: int = NEG_PER_TEMPLATE
) -> dict[str, list[str]]:
    """The benign hard negatives of ``dev_negatives.yaml`` by kind: each template
    around ``per_template`` real questions and once with no task, and the apps' system
    prompts (kind ``"systems"``)."""
    rng = np.random.default_rng([seed, 8])
    negatives = cot_catalogs.dev_negatives()
    out: dict[str, list[str]] = {k: [] for k in negatives.kinds}
    for fam in negatives.families:
        for t in fam.templates:
            out[fam.kind] += around(t, pool, rng, per_template)
            out[fam.kind].append(t.replace(elicitation.PLACEHOLDER, "").strip())
    out["systems"] = list(negatives.systems)
    return out


def app_negatives(
    pool: Sequence[str], seed: int, apps: Sequence[cot_catalogs.BenignApp]
) -> tuple[list[str], list[str]]:
    """Benign applications: their system prompts (what ``system_flags`` reads), and
    their user templates around real questions."""
    rng = np.random.default_rng([seed, 6])
    systems = [a.system for a in apps]
    users = [u for app in apps for u in around(app.user, pool, rng, APP_PER_TEMPLATE)]
    return systems, users


def benign_asks(pool: Sequence[str], seed: int) -> list[str]:
    """The extra explanation asks of ``dev_families.yaml`` around real questions."""
    rng = np.random.default_rng([seed, 7])
    asks = cot_catalogs.dev_families().benign_asks
    return [t for ask in asks for t in around(ask, pool, rng, HARD_PER_ASK)]


def split_apps(
    held: str,
) -> tuple[tuple[cot_catalogs.BenignApp, ...], tuple[cot_catalogs.BenignApp, ...]]:
    """(training, held-out) benign apps: ``held="none"`` trains on all, ``"odd"`` holds
    out every second app (cross-validation measures the flag rate on those)."""
    apps = cot_catalogs.dev_families().benign_apps
    if held == "none":
        return apps, ()
    return apps[0::2], apps[1::2]


def dev_data(
    corpus: Corpus,
    seed: int,
    *,
    with_v2: bool = True,
    with_v3: bool = True,
    held_apps: str = "none",
    negatives: bool = True,
) -> DevData:
    """Build the training set, evaluation wrappers and the threshold-tuning texts.

    ``with_v2=False`` leaves the spent v2 families out (to validate on them);
    ``held_apps="odd"`` leaves half of the benign apps out of training (their texts are
    then in :attr:`DevData.apps_eval`).
    """
    train_tasks, tune_tasks, eval_tasks = task_pools(corpus, seed)
    ts = TextSet()
    evals: dict[str, list[str]] = {}
    for fam in training_families(with_v2=with_v2, with_v3=with_v3):
        ts.add(family_positives(fam, train_tasks, TRAIN_PER_FAMILY, seed), 1, fam.id)
        evals[fam.id] = family_eval(fam, eval_tasks[:200], seed)
    ts.add(calibration_turns(corpus, "fit"), 0, "sharegpt_fit")
    pool = hard_negative_pool(corpus)
    hard = hard_negatives_by_ask(pool, seed, HARD_PER_ASK)
    for a, texts in hard.items():
        ts.add(texts, 0, f"ask{a}")
    ts.add(benign_asks(pool, seed), 0, "dev_asks")
    fit_apps, eval_apps = split_apps(held_apps)
    app_sys, app_user = app_negatives(pool, seed, fit_apps)
    ts.add(app_sys, 0, "app_systems")
    ts.add(app_user, 0, "app_users")
    eval_sys, eval_user = app_negatives(pool, seed + 1, eval_apps)
    neg_eval: dict[str, list[str]] = {}
    if negatives:
        for kind, texts in negative_texts(pool, seed).items():
            ts.add(texts, 0, f"neg_{kind}")
        neg_eval = negative_texts(pool, seed + 1, per_template=10)
    plain, fewshot = cot_data.lm_eval_cot_prompts(corpus, np.random.default_rng([seed, 5]))
    ts.add(plain, 0, "lm_eval_items")
    ts.add(fewshot, 0, "lm_eval_fewshot")
    bare, in_template = plain_negatives(train_tasks, seed)
    ts.add(bare, 0, "plain_tasks")
    ts.add(in_template, 0, "tasks_in_templates")
    return DevData(
        ts,
        evals,
        hard,
        calibration_turns(corpus, "tune"),
        list(tune_tasks),
        list(eval_tasks),
        apps_eval=(eval_sys, eval_user),
        negatives_eval=neg_eval,
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
    parser.add_argument("--without-v2", action="store_true", help="leave spent v2 out")
    parser.add_argument("--without-v3", action="store_true", help="leave spent v3 out")
    parser.add_argument(
        "--without-negatives", action="store_true", help="leave dev_negatives.yaml out"
    )
    args = parser.parse_args(argv)
    corpus = load_corpus()
    data = dev_data(
        corpus,
        args.seed,
        with_v2=not args.without_v2,
        with_v3=not args.without_v3,
        negatives=not args.without_negatives,
    )
    y = np.array(data.train.labels)
    print(f"training texts: {len(y)} ({int(y.sum())} positive)", file=sys.stderr)
    weight = sample_weights(y, np.array(data.train.groups))
    model = fit(design_matrix(data.train.texts), y, weight)
    model = set_flag_logit(
        model,
        [
            (model.logits(model_texts(data.tune)), cue_evidence(data.tune), TARGET_FLAG_RATE),
            (
                model.logits(model_texts(data.plain_tune)),
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
    blob = npz_bytes(model_arrays(model))
    record = build_record(
        args.out,
        blob,
        builder=relative(Path(__file__)),
        args={
            "seed": args.seed,
            "without_v2": args.without_v2,
            "without_v3": args.without_v3,
            "without_negatives": args.without_negatives,
        },
        inputs=model_inputs(
            corpus,
            with_v2=not args.without_v2,
            with_v3=not args.without_v3,
            negatives=not args.without_negatives,
        ),
        code=CODE,
        packages=PACKAGES,
    )
    write_with_record(args.out, blob, record)
    print(
        f"wrote {args.out} ({len(blob):,} bytes) and {record_path(args.out).name}",
        file=sys.stderr,
    )
    return 0


def model_inputs(
    corpus: Corpus, *, with_v2: bool = True, with_v3: bool = True, negatives: bool = True
) -> dict[str, object]:
    """What the model is built from, for its build record: the data files (cue table,
    the simulator's catalogs, the development catalogs it trains on) and the corpus."""
    sim_data = Path(elicitation.__file__).resolve().parent / "data"
    cot_dir = cot_catalogs.eval_data_dir() / cot_catalogs.COT_DIR
    files = [
        DEFAULT_CUES,
        sim_data / "elicitation.yaml",
        sim_data / "templates.yaml",
        cot_dir / "dev_families.yaml",
    ]
    files += [cot_dir / "dev_negatives.yaml"] if negatives else []
    files += [cot_catalogs.eval_data_dir() / cot_catalogs.SPENT_FILES["v2"]] if with_v2 else []
    files += [cot_catalogs.eval_data_dir() / cot_catalogs.SPENT_FILES["v3"]] if with_v3 else []
    return {
        "files": file_hashes(files),
        "corpus": {"cache_key": cache_key(), **table_digest(corpus.table)},
    }


def check_blind() -> None:
    """Fail if the held-out evaluation set was read: this work must stay blind to it."""
    if cot_catalogs.blind_reads():
        raise SystemExit(f"the held-out evaluation set ({cot_catalogs.HELDOUT_FILE}) was read")


if __name__ == "__main__":
    cot_catalogs.refuse_blind_reads()
    code = main()
    check_blind()
    sys.exit(code)
