"""``docs/architecture.md`` runs as written and keeps up with the code.

Each worked example (a fenced ``python`` block) is executed in a fresh module; the
examples register a signal and a linker, so both registries are restored afterwards
and other tests never see them.  The page must also name every layer of the import
contract in ``pyproject.toml`` and only files that exist.
"""

from __future__ import annotations

import re
import sys
import tomllib
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from distillguard.campaigns.links import base as links_base
from distillguard.signals import base as signals_base

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
HEADING = re.compile(r"^### (.+)$", re.MULTILINE)
#: The worked examples the page promises, by the heading above each.
EXAMPLES = (
    "Adding a signal",
    "Adding a profile part",
    "Adding a campaign linker",
    "Adding a policy condition",
)


def _examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for block in BLOCK.finditer(text):
        headings = HEADING.findall(text, 0, block.start())
        title = headings[-1] if headings else "(no heading)"
        assert title not in out, f"two python blocks under {title!r}: one example each"
        out[title] = block.group(1)
    return out


def test_every_worked_example_is_there() -> None:
    assert tuple(_examples()) == EXAMPLES


@pytest.fixture
def registries() -> Iterator[None]:
    signals, linkers = dict(signals_base.REGISTRY), dict(links_base.REGISTRY)
    try:
        yield
    finally:
        signals_base.REGISTRY.clear()
        signals_base.REGISTRY.update(signals)
        links_base.REGISTRY.clear()
        links_base.REGISTRY.update(linkers)


@pytest.mark.parametrize("title", EXAMPLES)
@pytest.mark.usefixtures("registries")
def test_worked_example_runs(title: str) -> None:
    source = _examples()[title]
    name = "architecture_example_" + re.sub(r"\W+", "_", title.lower())
    # Dataclasses look their module up in sys.modules while the class is created.
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(source, f"{DOC}:{title}", "exec"), module.__dict__)
    finally:
        del sys.modules[name]


def test_the_examples_leave_the_registries_as_they_were() -> None:
    assert "long_prompt" not in signals_base.REGISTRY
    assert "conversation" not in links_base.REGISTRY


def test_every_layer_of_the_import_contract_is_named() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    modules = [m.strip() for layer in layers for m in re.split(r"[|:]", layer)]
    text = DOC.read_text(encoding="utf-8")
    missing = [m for m in modules if f"`{m}`" not in text]
    assert missing == [], "docs/architecture.md does not name these layers"


def test_every_file_the_page_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    top = r"`((?:distillguard|lab|tests|docs|data)/[\w./-]*\.(?:py|md|toml|yaml))"
    # Paths inside the package, written without the leading ``distillguard/``.
    inner = r"`((?:profiles|scoring|gateway|campaigns|cli|store|reports)/\w+\.py)"
    named = set(re.findall(top, text)) | {"distillguard/" + p for p in re.findall(inner, text)}
    missing = sorted(p for p in named if not (ROOT / p).exists())
    # Files the examples say to create.
    to_create = {
        "distillguard/signals/long_prompt.py",
        "distillguard/campaigns/links/conversation.py",
    }
    assert [p for p in missing if p not in to_create] == []
