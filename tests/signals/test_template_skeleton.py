"""template_skeleton: deterministic hashes of normalised prefixes, suffixes, systems."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pyarrow as pa

from distillguard.signals.template_skeleton import (
    DUCKDB_MIN_ROWS,
    TemplateSkeleton,
    md5_16,
    normalise,
    normalised_head,
    normalised_tail,
)
from tests.signals.helpers import batch, chat

SIG = TemplateSkeleton()
TEMPLATE = "You are an expert competitive programmer. Solve the following problem.\n\n{}"


def test_normalise() -> None:
    arr = pa.array(["  A\tB\n\nC  12 and 7.5 ", "ÄÖ Ünï", "", None])
    assert normalise(arr).to_pylist() == ["a b c 0 and 0.0", "äö ünï", "", None]


def test_head_and_tail_windows() -> None:
    text = pa.array(["X" * 10 + " middle " + "y" * 300 + " The END 42"])
    assert normalised_head(text, 12).to_pylist() == ["xxxxxxxxxx m"]
    assert normalised_tail(text, 10).to_pylist() == [" the end 0"]


def test_shared_template_shares_prefix_not_suffix() -> None:
    out = SIG.compute(
        batch(
            [
                chat(TEMPLATE.format("Sum the list [1, 2].")),
                chat(TEMPLATE.format("Reverse a string.")),
            ]
        )
    )
    p = out["template_prefix"].to_pylist()
    s = out["template_suffix"].to_pylist()
    assert p[0] == p[1]
    assert s[0] != s[1]
    assert all(isinstance(h, str) and len(h) == 16 for h in p + s)


def test_digits_and_case_do_not_split_a_template() -> None:
    a = SIG.compute_one(chat("Problem 12: SOLVE   it.\nFind x."))
    b = SIG.compute_one(chat("problem 7: solve it. find x."))
    assert a["template_prefix"] == b["template_prefix"]


def test_system_hash_and_nulls() -> None:
    out = SIG.compute(
        batch(
            [
                chat("hi", system="You are  HELPFUL."),
                chat("hi", system="you are helpful."),
                chat("hi"),
            ]
        )
    )
    sys_ = out["template_system"].to_pylist()
    assert sys_[0] == sys_[1]
    assert sys_[2] is None
    empty = SIG.compute_one({"messages": None, "prompt": None})
    assert empty == {"template_prefix": None, "template_suffix": None, "template_system": None}


def test_duckdb_and_hashlib_agree() -> None:
    texts = [f"text {i} ünï ✓" for i in range(DUCKDB_MIN_ROWS + 10)] + [None]
    big = md5_16(pa.array(texts, pa.string())).to_pylist()
    small = [None if t is None else hashlib.md5(t.encode()).hexdigest()[:16] for t in texts]
    assert big == small


def test_hash_stable_across_processes() -> None:
    here = SIG.compute_one(chat("Solve the following problem: 2 + 2"))["template_prefix"]
    code = (
        "from distillguard.signals.template_skeleton import TemplateSkeleton;"
        "print(TemplateSkeleton().compute_one({'messages': [{'role': 'user', "
        "'content': 'Solve the following problem: 2 + 2'}]})['template_prefix'])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert here == there == hashlib.md5(b"solve the following problem: 0 + 0").hexdigest()[:16]
