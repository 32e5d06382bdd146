"""Airoboros: the self-instruct meta-prompts a real distillation pipeline sent.

``airoboros`` generates training data by asking a frontier model for batches of new
tasks ("Give me a numbered list of 10 new coding tasks …") and then for answers.
Its ``instructors/prompts/*.txt`` are those meta-prompts.  We take

* ``kind="seed_task"``: the example tasks embedded in them (``Example 3: …``
  blocks and plain example lists) plus the seed files, with the example answer's
  length when the template shows one;
* ``kind="self_instruct"``: each whole meta-prompt with its ``{placeholders}``
  filled with plausible values, exactly the text a harvester sends.
"""

from __future__ import annotations

import re
from typing import Final

from distillguard_lab.sim.sources._common import PackageData, PromptRow

PROMPTS_DIR: Final = "airoboros/instructors/prompts/"
SOURCE: Final = "airoboros"

#: Capability each template (file stem) harvests; ``other`` when not listed.
TEMPLATE_CAPABILITY: Final[dict[str, str]] = {
    "coding": "coding",
    "orca": "math",
    "cot": "reasoning",
    "cot_response": "reasoning",
    "riddle": "reasoning",
    "multiple_choice": "reasoning",
    "plan": "agentic",
    "agent": "agentic",
    "writing": "writing",
    "writing_response": "writing",
    "detailed_writing": "writing",
    "detailed_writing_response": "writing",
    "detailed_writing_seeds": "writing",
    "song": "writing",
    "roleplay": "writing",
    "rp_setting": "writing",
    "joke": "writing",
    "card": "writing",
    "character": "writing",
    "character_seeds": "writing",
    "experience": "writing",
    "wordgame": "writing",
}

_READABILITY = (
    "The output should be written in such a way as to have a Flesch-Kincaid readability "
    "score of 30 or lower - best understood by those with college education.  Only output "
    "the story - don't add any notes or information about Flesch-Kincaid scores."
)
_CHARACTER = (
    "Marisol is a retired marine biologist who now runs a small bookshop in a fishing town. "
    "She is warm, dryly funny and precise, and she answers questions with stories from "
    "thirty years at sea."
)
_CODING_LANGUAGES = (
    "Python",
    "JavaScript",
    "Go",
    "Rust",
    "Java",
    "C++",
    "TypeScript",
    "C#",
    "Bash",
    "SQL",
)
_TOPICS = (
    "astronomy",
    "medieval history",
    "marine biology",
    "jazz",
    "urban planning",
    "cryptography",
    "cooking",
    "volcanology",
    "linguistics",
    "architecture",
)

#: Values for the meta-prompts' ``{placeholders}``, in the style airoboros itself
#: formats them (see its ``instructors/*.py``).  Fixed so the corpus is deterministic.
PLACEHOLDER_VALUES: Final[dict[str, str]] = {
    "batch_size": "10",
    "language": "English",
    "languages": "\n".join(
        f" * task {i + 1} should ask the user to use {lang}"
        for i, lang in enumerate(_CODING_LANGUAGES)
    ),
    "related_software": "One of the tasks should require interacting with PostgreSQL.",
    "topic_avoidance": (
        "Avoid any tasks that would be related to politics, religion or other divisive topics."
    ),
    "topics": "\n".join(
        f' * instruction {i + 1} must be related to topic: "{topic}"'
        for i, topic in enumerate(_TOPICS)
    ),
    "topic": "lighthouses",
    "flesch": _READABILITY,
    "style_extra": "",
    "name": "Marisol",
    "description": _CHARACTER,
    "character": _CHARACTER,
    "characters": (
        f"Marisol: {_CHARACTER}\nTheo: A young journalist investigating the town's history."
    ),
    "question_count": "5",
    "question_type": "physical sensations and awareness of location",
    "examples": (
        "Can you feel the warmth of the sun on your skin?\n"
        "How far are you from the nearest ocean?\n"
        "What does the smell of old books remind you of?"
    ),
    "input_count": "2",
    "task_count": "2",
    "next_year": "2025",
    "styles": "news article, blog post",
    "reference_texts": "The random text blocks should not reference each other.",
    "target_selection": "the first text block",
    "format_task": "One of the tasks should ask for the output to be formatted as JSON.",
    "task_display_style": "Present the tasks as a numbered list.",
    "include_source": "\nWhat is your source?",
    "context": "",
    "options": "Each question should have 4 options, labelled A through D.",
    "answers": "Include the correct answer letter and text after each question.",
    "instruction": (
        "Write a short story about a lighthouse keeper who finds a message in a bottle, "
        "in exactly five paragraphs."
    ),
    "response": "The keeper found the bottle at dawn, wedged between two black rocks ...",
    "system_prompt": "- did the response stay consistent with the system prompt?",
    "threshold": "70",
    "word_count": "1500",
    "third": "500",
    "skip": "Do not create characters named Marisol.",
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_HEADING = re.compile(r"^Example (\d+)[.:]\s*(.*)$")
_RESPONSE_HEADING = re.compile(
    r"^(?:Example \d+ response|Response to example \d+):\s*(.*)$", re.IGNORECASE
)
_END = re.compile(r"^End of examples\.?\s*$", re.IGNORECASE)
_LIST_INTRO = re.compile(r"(?:examples|example (?:questions|prompts|tasks)):\s*$", re.IGNORECASE)
_MARKER = re.compile(r"^(QUESTION|PROMPT|Input):\s*", re.IGNORECASE)
_ANSWER = re.compile(r"^ANSWER:\s*", re.IGNORECASE | re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*]|\d+[.)])\s+")


def fill_placeholders(template: str, values: dict[str, str] | None = None) -> str:
    """Replace ``{name}`` placeholders; unknown names become empty.

    >>> fill_placeholders("Give me {batch_size} tasks in {language}.{missing}")
    'Give me 10 tasks in English.'
    """
    table = PLACEHOLDER_VALUES if values is None else values
    return _PLACEHOLDER.sub(lambda m: table.get(m.group(1), ""), template)


def _first_paragraph(text: str) -> str:
    return re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]


def extract_examples(template: str) -> list[tuple[str, str | None]]:
    """``(task, example answer or None)`` for the examples embedded in a meta-prompt.

    An ``Example N.`` / ``Example N:`` heading starts an example; it runs to the next
    heading or ``End of examples.``.  A task written on the heading line ends at the
    first blank line (what follows is the template's own instructions), while a
    heading on its own line introduces a multi-paragraph example.  ``QUESTION:`` /
    ``PROMPT:`` / ``Input:`` … ``ANSWER:`` and ``Example N response:`` split the task
    from its answer.

    >>> extract_examples("Tasks:\\nExample 1: Sort a list in Go.\\n\\nExample 2. Parse JSON\\n"
    ...                  "  - in Rust\\n\\nGive me {batch_size} more.")
    [('Sort a list in Go.', None), ('Parse JSON\\n  - in Rust', None)]
    >>> extract_examples("Example 1: QUESTION: 2+2?\\nANSWER: 4\\n\\nNow write more.")
    [('2+2?', '4')]
    """
    lines = template.splitlines()
    has_end = any(_END.match(line) for line in lines)
    headings = [i for i, line in enumerate(lines) if _HEADING.match(line)]
    out: list[tuple[str, str | None]] = []
    for k, start in enumerate(headings):
        match = _HEADING.match(lines[start])
        assert match is not None  # headings were found with the same pattern
        inline = match.group(2).strip()
        stop = headings[k + 1] if k + 1 < len(headings) else len(lines)
        for j in range(start + 1, stop):
            if _END.match(lines[j]):
                stop = j
                break
        body = lines[start + 1 : stop]
        answer: str | None = None
        for j, line in enumerate(body):
            response = _RESPONSE_HEADING.match(line)
            if response:
                answer = "\n".join([response.group(1), *body[j + 1 :]]).strip()
                body = body[:j]
                break
        task = "\n".join([inline, *body] if inline else body).strip()
        marker = _MARKER.match(task)
        if marker:
            task = task[marker.end() :]
            split = _ANSWER.search(task)
            if split:
                answer = task[split.end() :].strip()
                task = task[: split.start()].strip()
        elif inline:
            task = _first_paragraph(task)
        last_unbounded = k == len(headings) - 1 and not has_end
        if last_unbounded:
            # Nothing marks where the last example ends: its last paragraph does.
            if answer is not None:
                answer = _first_paragraph(answer)
            else:
                task = _first_paragraph(task)
        if task:
            out.append((task, answer or None))
    return out


def extract_example_list(template: str) -> list[str]:
    """Plain example lists: the paragraph after a line ending in ``examples:``.

    >>> extract_example_list("Some examples:\\n- Write a poem.\\n- Tell a joke.\\n\\nNow you.")
    ['Write a poem.', 'Tell a joke.']
    """
    lines = template.splitlines()
    items: list[str] = []
    for i, line in enumerate(lines):
        if not _LIST_INTRO.search(line):
            continue
        rest = lines[i + 1 :]
        while rest and not rest[0].strip():
            rest = rest[1:]  # the list may start after a blank line
        for item in rest:
            if not item.strip() or _HEADING.match(item) or "{" in item:
                break
            items.append(_BULLET.sub("", item).strip())
    return items


def _seed_text(text: str) -> str:
    """A seed file's task, without the BEGINEXAMPLE/ENDEXAMPLE wrapper and trailing notes."""
    inner = re.search(r"BEGINEXAMPLE\s*\n(.*?)\nENDEXAMPLE", text, re.DOTALL)
    return inner.group(1) if inner else text


def airoboros_rows(pkg: PackageData) -> list[PromptRow]:
    """Seed tasks and filled self-instruct meta-prompts, template by template."""
    rows: list[PromptRow] = []
    members = pkg.list(PROMPTS_DIR)
    templates = [m for m in members if m.endswith(".txt") and "/" not in m[len(PROMPTS_DIR) :]]
    seeds: dict[str, list[str]] = {}
    for member in members:
        folder, _, _ = member[len(PROMPTS_DIR) :].rpartition("/")
        if folder and member.endswith(".txt"):
            seeds.setdefault(folder, []).append(member)
    for member in templates:
        stem = member[len(PROMPTS_DIR) :].removesuffix(".txt")
        capability = TEMPLATE_CAPABILITY.get(stem, "other")
        template = pkg.read_text(member)
        for task, answer in extract_examples(template):
            rows.append(
                PromptRow(
                    text=task,
                    source=SOURCE,
                    kind="seed_task",
                    capability=capability,
                    response_chars=None if answer is None else len(answer),
                )
            )
        for task in extract_example_list(template):
            rows.append(
                PromptRow(text=task, source=SOURCE, kind="seed_task", capability=capability)
            )
        values = dict(PLACEHOLDER_VALUES)
        seed_files = seeds.get(f"{stem}_seeds")
        if seed_files:
            # Templates with an {example} slot are filled from their seed folder.
            values["example"] = pkg.read_text(seed_files[0]).strip()
        rows.append(
            PromptRow(
                text=fill_placeholders(template, values),
                source=SOURCE,
                kind="self_instruct",
                capability=capability,
            )
        )
    for folder, files in sorted(seeds.items()):
        capability = TEMPLATE_CAPABILITY.get(folder, "other")
        for member in files:
            text = _seed_text(pkg.read_text(member))
            rows.append(
                PromptRow(text=text, source=SOURCE, kind="seed_task", capability=capability)
            )
    return rows
