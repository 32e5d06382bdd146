"""response_steps: step-by-step structure in logged responses; null when not logged."""

from __future__ import annotations

import pytest

from distillguard.signals.response_steps import ResponseSteps
from tests.signals.helpers import batch

SIG = ResponseSteps()


@pytest.mark.parametrize(
    ("response", "steps"),
    [
        ("Step 1: subtract 5.\nStep 2: divide by 3.\nStep 3: x = 5.", True),
        ("1. Read the input.\n2. Sort it.\n3. Print the median.", True),
        ("**Step 1** expand\n**Step 2** collect\n**Step 3** solve", True),
        ("(1) Assume\n(2) Derive\n(3) Contradiction", True),
        ("<think>the user wants x</think>x = 5", True),
        ("x = 5", False),
        ("Here are two options:\n1. tea\n2. coffee", False),  # a short list is not a solution
        ("The answer is 42. Step 1 is easy.", False),
        ("", None),
        (None, None),
    ],
)
def test_steps(response: str | None, steps: bool | None) -> None:
    assert SIG.compute_one({"response": response})["response_steps"] is steps


def test_min_steps_setting() -> None:
    two = "1. tea\n2. coffee"
    assert ResponseSteps(min_steps=2).compute_one({"response": two})["response_steps"] is True


def test_batch_and_single_agree() -> None:
    responses = ["1. a\n2. b\n3. c", None, "x", "Step 1\nStep 2\nstep 3"]
    out = SIG.compute(batch([{"response": r} for r in responses]))["response_steps"].to_pylist()
    assert out == [SIG.compute_one({"response": r})["response_steps"] for r in responses]
