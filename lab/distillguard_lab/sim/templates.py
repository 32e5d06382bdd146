"""Prompt templates with a fixed part: legitimate app integrations and harvesting operators.

Both kinds of traffic are templated.  Products send the same system prompt and
instruction around the clock with their users' text in ``{text}``; distillation
operators send a narrow template around each harvested task (the chain-of-thought
elicitation of :mod:`distillguard_lab.sim.elicitation` is layered on top).  Being
templated is therefore *not* evidence of an attack, and the two sets are written so
that no surface cue (length, system prompt, temperature, output budget, capability)
separates them on its own.  The templates are data: ``data/templates.yaml``, read and
validated at import by :func:`load_templates`.

>>> system, user = fill(template("math_tutor_kids"), "What is 3/4 of 20?")
>>> system is None, user
(True, 'Explain the solution to this problem for a 10-year-old: What is 3/4 of 20?')
>>> len(APP_TEMPLATES) >= 40 and len(HARVEST_TEMPLATES) >= 12
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from distillguard.datafile import FieldError, build_records, check_keys, fail, load_data_file
from distillguard.errors import ScenarioError

PLACEHOLDER = "{text}"

#: Capabilities a template targets; the same set as scenario targets.
CAPABILITIES: tuple[str, ...] = ("coding", "math", "reasoning", "agentic", "writing", "other")

_ID_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class PromptTemplate:
    """A fixed prompt an integration or operator sends, with ``{text}`` for the varying part."""

    id: str
    #: System prompt sent with every request (None: no system message).
    system: str | None
    #: User message; holds ``{text}`` exactly once.
    user: str
    capability: str
    temperature: float
    max_tokens: int

    def __post_init__(self) -> None:
        # Checked for templates read from the catalog file (the error names its line)
        # and for templates built in code alike.
        if not _ID_RE.fullmatch(self.id):
            raise FieldError("id", f"template id {self.id!r} is not snake_case")
        if self.user.count(PLACEHOLDER) != 1:
            raise FieldError(
                "user", f"template {self.id}: user must hold {PLACEHOLDER} exactly once"
            )
        if self.system is not None and PLACEHOLDER in self.system:
            raise FieldError(
                "system", f"template {self.id}: {PLACEHOLDER} belongs in the user message"
            )
        if self.capability not in CAPABILITIES:
            raise FieldError(
                "capability", f"template {self.id}: unknown capability {self.capability!r}"
            )
        if not 0.0 <= self.temperature <= 2.0:
            raise FieldError("temperature", f"template {self.id}: temperature must be in [0, 2]")
        if self.max_tokens < 1:
            raise FieldError("max_tokens", f"template {self.id}: max_tokens must be at least 1")


#: The catalog (a versioned data file beside this module).
DATA_FILE = Path(__file__).resolve().parent / "data" / "templates.yaml"


def load_templates(
    path: str | Path = DATA_FILE,
) -> tuple[tuple[PromptTemplate, ...], tuple[PromptTemplate, ...]]:
    """The (app, harvest) templates of a catalog file, validated (errors name the line)."""
    doc = load_data_file(path)
    top = check_keys(doc, (), ("version", "app", "harvest"))
    if top["version"] != 1:
        raise fail(doc, ("version",), f"unsupported version {top['version']!r} (expected 1)")
    app = build_records(PromptTemplate, doc, ("app",))
    harvest = build_records(PromptTemplate, doc, ("harvest",))
    ids = {t.id for t in app}
    for i, t in enumerate(harvest):
        if t.id in ids:
            raise fail(doc, ("harvest", i, "id"), f"duplicate id {t.id!r} (also an app template)")
    return app, harvest


APP_TEMPLATES, HARVEST_TEMPLATES = load_templates()

_BY_ID: dict[str, PromptTemplate] = {t.id: t for t in APP_TEMPLATES + HARVEST_TEMPLATES}


def template(template_id: str) -> PromptTemplate:
    """Return the app or harvest template with this id (unknown id: ScenarioError)."""
    try:
        return _BY_ID[template_id]
    except KeyError:
        raise ScenarioError(f"unknown prompt template {template_id!r}") from None


def fill(template: PromptTemplate, text: str) -> tuple[str | None, str]:
    """Return ``(system, user)`` with ``text`` in place of ``{text}``.

    ``str.replace`` rather than ``str.format``: the filler is real code, JSON or LaTeX
    full of braces that must pass through unchanged.
    """
    return template.system, template.user.replace(PLACEHOLDER, text, 1)
