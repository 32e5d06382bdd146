"""Development measurement of ``cot_elicitation`` (never the held-out set).

Recall per split of development families (the simulator's ``dev`` split, spent v2 and
v3; in-sample for a model trained on them: use ``scripts/cot_family_cv.py`` for
out-of-family estimates) and flag rates on benign sets: the ShareGPT *calibration*
half (and its "tune" sub-half, which the model never trains on), the hard negatives
of :func:`distillguard_lab.evaluate.cot.hard_negatives`, lm-eval CoT items, the held-out
question draws of ``dev_negatives.yaml`` by kind.

Usage::

    PYTHONPATH=. python scripts/cot_dev_eval.py [--model PATH] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_cot_model import (
    calibration_turns,
    check_blind,
    hard_negative_pool,
    negative_texts,
)

from distillguard.signals.cot_elicitation import CotElicitation
from distillguard_lab.evaluate import cot, cot_catalogs
from distillguard_lab.sim.corpus import load_corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model", type=str, default=None)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-recall", action="store_true")
    args = parser.parse_args(argv)
    sig = CotElicitation(model_path=args.model)
    corpus = load_corpus()
    out: dict[str, float] = {}

    def rate(name: str, texts: list[str]) -> None:
        _, flags = cot.score_texts(sig, texts)
        out[name] = float(flags.mean()) if len(flags) else float("nan")
        print(f"{name:28s} n={len(texts):6d} flagged {out[name]:.3%}", flush=True)

    rate("sharegpt_calibration", cot.sharegpt_turns(corpus, "calibration"))
    rate("sharegpt_cal_tune", calibration_turns(corpus, "tune"))
    rng = np.random.default_rng(0)
    rate("hard_negatives", cot.hard_negatives(corpus, 2000, rng))
    plain, fewshot = cot.lm_eval_cot_prompts(corpus, rng)
    rate("lm_eval_items", plain)
    rate("lm_eval_fewshot", fewshot)
    neg = negative_texts(hard_negative_pool(corpus), 1, per_template=10)
    for kind, texts in neg.items():
        rate(f"dev_negatives_{kind}", texts)
    rate("dev_negatives_all", [t for ts in neg.values() for t in ts])
    if not args.no_recall:
        for split in ("dev", "spent_v2", "spent_v3"):
            res, _ = cot.family_recall(sig, corpus, split)
            n = sum(r.n for r in res)
            k = sum(r.detected for r in res)
            out[f"recall_{split}"] = k / n
            print(f"recall {split:10s} {k / n:.1%} ({len(res)} families)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    cot_catalogs.refuse_blind_reads()
    code = main()
    check_blind()
    sys.exit(code)
