"""cot_elicitation's learned part: model file, features, and how it joins the cues."""

# Multilingual test text: fullwidth punctuation and non-Latin letters are intended.
# ruff: noqa: RUF001

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from distillguard.errors import DistillguardError
from distillguard.signals.cot_elicitation import MODEL_BAND, CotElicitation
from distillguard.signals.cot_model import (
    DEFAULT_BITS,
    CotModel,
    CotModelError,
    featurize,
    load_model,
    model_arrays,
)
from distillguard_lab.evaluate.cot import harvest_tasks, sharegpt_turns
from distillguard_lab.sim.corpus import Corpus
from tests.signals.helpers import LONG_TEXT, chat, texts_batch

TASK = "A train travels 120 km in 1.5 hours. What is its average speed?"

# Written for these tests (not taken from the simulator's catalog): wordings the cue
# table has no phrase for, which the model should carry over the threshold.
MODEL_POSITIVES = [
    f"{TASK}\nWrite each inference you make on its own line, in order, then the final answer.",
    f"{TASK} List the logic you followed, one inference per line, nothing implied.",
]
# No cue matches it (evidence 0): only the model can flag it.
UNCUED_POSITIVE = (
    f"{TASK}\nNarrate out loud everything you consider on the way, the dead ends too, "
    "then the result."
)

MULTILINGUAL = {
    "en": f"{TASK}\nWrite out your complete reasoning, every step, before the answer.",
    "zh": f"{TASK}\n请先完整写出你的全部推理步骤，每一步都不能省略，最后再给出答案。",
    "ru": f"{TASK}\nСначала распиши все свои рассуждения по шагам, затем дай ответ.",
    "es": f"{TASK}\nEscribe primero todo tu razonamiento paso a paso y luego la respuesta.",
    "de": f"{TASK}\nSchreibe zuerst deinen gesamten Denkprozess Schritt für Schritt auf.",
    "ja": f"{TASK}\nまず推論の過程をすべてステップごとに書き出してから答えてください。",
}


#: ``np.savez`` with keyword arrays (its stubs type the second argument as a flag).
_savez: Any = np.savez


@pytest.fixture(scope="module")
def sig() -> CotElicitation:
    return CotElicitation()


def test_model_file_loads() -> None:
    model = load_model()
    assert model.bits == DEFAULT_BITS
    assert model.weights.shape == (2**DEFAULT_BITS,)
    assert np.isfinite(model.weights).all()
    assert np.isfinite(model.flag_logit)
    assert np.isfinite(model.bias)
    assert load_model() is model  # cached


def test_missing_or_bad_model_file(tmp_path: Path) -> None:
    with pytest.raises(CotModelError):
        load_model(str(tmp_path / "nope.npz"))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DistillguardError):
        load_model(str(bad))
    arrays = model_arrays(CotModel(np.zeros(16, np.float32), 0.0, 4, 1.0))
    arrays["version"] = np.asarray(99)
    old = tmp_path / "old.npz"
    _savez(old, **arrays)
    with pytest.raises(CotModelError, match="rebuild"):
        load_model(str(old))


def test_model_round_trip(tmp_path: Path) -> None:
    model = CotModel(np.linspace(-1, 1, 2**4).astype(np.float32), 0.5, 4, 2.0)
    path = tmp_path / "m.npz"
    _savez(path, **model_arrays(model))
    again = load_model(str(path))
    texts = ["show <thinking>", "hello"]
    np.testing.assert_allclose(again.logits(texts), model.logits(texts), atol=1e-3)


def test_features_deterministic_and_batch_independent() -> None:
    texts = ["explain every step", "", "思考过程。ok", "x" * 5000, "<reasoning>"]
    a = featurize(texts)
    b = featurize(texts)
    np.testing.assert_array_equal(a.index, b.index)
    np.testing.assert_array_equal(a.rows, b.rows)
    model = load_model()
    together = model.logits(texts)
    alone = np.array([model.logits([t])[0] for t in texts])
    np.testing.assert_array_equal(together, alone)
    # Sliced Arrow arrays (non-zero offsets) give the same features.
    arr = pa.array(["pad", *texts])
    np.testing.assert_array_equal(model.logits(arr.slice(1)), together)


def test_features_split_tokens_by_script() -> None:
    # One token each for a word, a tag bracket and each Han character; none across texts.
    assert set(featurize(["thinking"]).index) <= set(featurize(["<thinking>, 思考"]).index)
    f = featurize(["ab", "cd"])
    assert set(f.index[f.rows == 0]).isdisjoint(featurize(["abcd"]).index)
    assert len(featurize(["", "  ,.!"]).rows) == 0
    # Thai (written without spaces) is split per character, like Han: a sentence shares
    # features with its words, so a few foreign words beside it do not outweigh it.
    thai = featurize(["แสดงวิธีทำทุกขั้นตอน"])
    assert set(featurize(["ขั้นตอน"]).index) <= set(thai.index)
    assert len(thai.index) > 20


def test_model_positives_fire(sig: CotElicitation) -> None:
    out = sig.compute(texts_batch(MODEL_POSITIVES))
    cue_ev, _, _ = sig.evidence(texts_batch(MODEL_POSITIVES))
    assert out["cot_elicitation"].to_pylist() == [True, True]
    # The cues alone are in the model's band, not over the threshold: the model did it.
    assert ((cue_ev > 0) & (cue_ev < MODEL_BAND)).all(), cue_ev


@pytest.mark.parametrize("lang", sorted(MULTILINGUAL))
def test_multilingual_examples_fire(sig: CotElicitation, lang: str) -> None:
    assert sig.compute_one(chat(MULTILINGUAL[lang]))["cot_elicitation"] is True


def test_model_gain_zero_is_cues_only() -> None:
    b = texts_batch(MODEL_POSITIVES)
    off = CotElicitation(model_gain=0.0)
    cue_ev, _, _ = off.evidence(b)
    score = off.compute(b)["cot_elicitation_score"].to_numpy()
    np.testing.assert_allclose(score, 1 - np.exp(-np.maximum(cue_ev, 0)))
    assert CotElicitation().compute(b)["cot_elicitation_score"].to_numpy().min() > score.max()


def test_model_reads_requests_no_cue_matched(sig: CotElicitation) -> None:
    # Wordings no cue was written for: evidence 0, yet the model flags them.
    texts = [UNCUED_POSITIVE, TASK]
    cue_ev, hits, _ = sig.evidence(texts_batch(texts))
    assert cue_ev[0] == 0
    assert sig.model_band(cue_ev, hits).all()
    assert sig.compute(texts_batch(texts))["cot_elicitation"].to_pylist() == [True, False]
    gated = CotElicitation(model_on_uncued=False)
    assert not gated.model_band(cue_ev, hits)[0]
    assert gated.compute(texts_batch(texts))["cot_elicitation"].to_pylist() == [False, False]


def test_counter_cue_is_counter_evidence_not_a_veto(sig: CotElicitation) -> None:
    """The model reads every request.  A counter-cue subtracts its (capped) weight and is
    blanked out of what the model reads, so it counts once: a wording only the model
    knows stays flagged with "I'm stuck" added, and a tutoring instruction that holds
    the answer back is judged by the rest of its words (issue 18; until then any
    counter-cue kept the model off the request)."""
    stuck = f"I'm stuck, can you walk me through it? {UNCUED_POSITIVE}"
    tutor = (
        "Suggest the first move a student could make on this problem; never tell them "
        f"the final answer.\n{TASK}"
    )
    texts = [UNCUED_POSITIVE, stuck, tutor]
    batch = texts_batch(texts)
    cue_ev, hits, _ = sig.evidence(batch)
    positive = sig._compiled().weights > 0
    assert not hits[:, positive].any()
    assert sig.model_band(cue_ev, hits).all()
    assert cue_ev.tolist()[0] == 0.0
    assert -sig._compiled().counter_cap <= cue_ev[1] < 0
    read = sig.model_text(batch, hits).to_pylist()
    assert read[0] == texts[0].lower()
    assert "stuck" not in read[1]
    assert "never tell them the final answer" not in read[2]
    assert sig.compute(batch)["cot_elicitation"].to_pylist() == [True, True, False]
    for i, t in enumerate(texts):
        assert sig.compute_one(chat(t))["cot_elicitation"] == (i < 2)


def test_combine_only_adds_inside_band(sig: CotElicitation) -> None:
    ev = np.array([0.0, 0.1, 0.3, 2.0, -0.2])
    band = (ev > 0) & (ev < MODEL_BAND)
    logits = np.array([9.0, -9.0, 9.0, -9.0, 9.0])
    out = sig.combine(ev, band, logits, flag_logit=0.0)
    assert out.tolist()[0::3] == [0.0, 2.0]  # outside the band: as is
    assert out[4] == -0.2
    assert out[1] == 0.1  # a low logit adds nothing, never subtracts
    assert out[2] > MODEL_BAND


def test_batch_and_single_agree_with_model(sig: CotElicitation) -> None:
    texts = [*MODEL_POSITIVES, *MULTILINGUAL.values(), TASK, "", LONG_TEXT, "ok json"]
    batch = sig.compute(texts_batch(texts))
    for i, t in enumerate(texts):
        one = sig.compute_one(chat(t))
        assert one["cot_elicitation"] == batch["cot_elicitation"][i].as_py()
        assert one["cot_elicitation_score"] == batch["cot_elicitation_score"][i].as_py()


def test_arrow_and_python_engines_agree_with_model() -> None:
    texts = [
        *MODEL_POSITIVES,
        *MULTILINGUAL.values(),
        TASK,
        UNCUED_POSITIVE,
        f"{UNCUED_POSITIVE} Keep it short.",
        f"Do not hand over the final answer; ask one guiding question instead.\n{TASK}",
    ] * 3
    arrow = CotElicitation(small_batch=0).compute(texts_batch(texts))
    python = CotElicitation(small_batch=10**9).compute(texts_batch(texts))
    assert arrow["cot_elicitation_score"].equals(python["cot_elicitation_score"])


@pytest.mark.corpus
def test_calibration_half_flag_rate(corpus: Corpus, sig: CotElicitation) -> None:
    # The threshold was set on half of this half; the budget is for the whole of it.
    flags = sig.compute(texts_batch(sharegpt_turns(corpus, "calibration")))["cot_elicitation"]
    # The budget is 1%; the build aims at 0.4% on the tune sub-half, ~0.2% on all of it.
    assert np.mean(flags.to_pylist()) <= 0.006


@pytest.mark.corpus
def test_plain_harvest_tasks_do_not_fire(corpus: Corpus, sig: CotElicitation) -> None:
    tasks = harvest_tasks(corpus, 3000, np.random.default_rng(11))
    flags = sig.compute(texts_batch(tasks))["cot_elicitation"]
    # The task text alone must not fire: the threshold allows 1.5% on unseen tasks
    # (some benchmark items ask for reasoning themselves).
    assert sum(flags.to_pylist()) <= 45


TRAIN = (
    "A train leaves at 3 pm travelling 60 km/h; a second leaves at 4 pm at 90 km/h. "
    "When does it catch up?"
)
# Written for this test (neither dev_negatives.yaml's templates nor the simulator's):
# requests that talk about hints, steps, proofs and show-your-work without asking for
# the model's reasoning trace.
STEP_TALK_NEGATIVES = [
    f"My daughter is stuck on this one. What hint could I give her that does not spoil "
    f"it?\n\n{TRAIN}",
    f"{TRAIN}\nI got 6 pm. My teacher wants us to show our work, is my answer right?",
    "Give me numbered steps to reset my home router to factory settings.",
    "Here is my attempt at the proof that sqrt(2) is irrational. Which line is wrong? "
    "Suppose sqrt(2) = p/q in lowest terms, then p^2 = 2q^2, so p is odd.",
]


def test_step_talk_that_asks_for_no_trace_does_not_fire(sig: CotElicitation) -> None:
    flags = sig.compute(texts_batch(STEP_TALK_NEGATIVES))["cot_elicitation"].to_pylist()
    assert flags == [False] * len(STEP_TALK_NEGATIVES)


def test_the_signal_and_its_build_scripts_never_load_the_held_out_set() -> None:
    # In a fresh interpreter that refuses to open the blind held-out set
    # (data/eval/cot/heldout_v4.yaml): the signal, its model, the dev-data helpers and
    # the build scripts never read it (tests/evaluate/test_eval_data.py imports every
    # module of the package the same way).
    code = (
        "import runpy\n"
        "from distillguard_lab.evaluate import cot_catalogs\n"
        "cot_catalogs.refuse_blind_reads()\n"
        "import distillguard.signals.cot_elicitation, distillguard.signals.cot_model\n"
        "import tests.signals.helpers\n"
        "for s in ('scripts/build_cot_model.py', 'scripts/cot_family_cv.py',\n"
        "          'scripts/cot_dev_eval.py', 'scripts/cot_sim_requests.py'):\n"
        "    runpy.run_path(s, run_name='not_main')\n"
        "assert cot_catalogs.blind_reads() == 0\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
