"""YAML loading that remembers where every value came from.

Rules and scenarios are data; when one is wrong the error must name the file, the
line and the field.  PyYAML's node graph carries line numbers, so we compose nodes
ourselves and keep a map from each value's path to its line.

>>> doc = load_yaml_text("a: 1\\nb:\\n  - x: 2\\n", "demo.yaml")
>>> doc.data
{'a': 1, 'b': [{'x': 2}]}
>>> doc.line_of(("b", 0, "x"))
3
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from distillguard.errors import DistillguardError

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML data with the 1-based line of every mapping key and list item."""

    data: Any
    source: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(path[:cut])
            if line is not None:
                return line
        return None


def _construct(
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    source: str,
    error: type[DistillguardError],
) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise error(
                    "mapping keys must be plain strings",
                    path=source,
                    line=key_node.start_mark.line + 1,
                )
            key = str(key_node.value)
            if key in out:
                raise error(
                    f"duplicate key {key!r}", path=source, line=key_node.start_mark.line + 1
                )
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*path, key), lines, source, error)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), lines, source, error) for i, item in enumerate(node.value)
        ]
    # Scalars: let the safe constructor resolve ints, floats, bools, timestamps.
    return yaml.SafeLoader(" ").construct_object(node, deep=True)


def load_yaml_text(
    text: str, source: str, error: type[DistillguardError] = DistillguardError
) -> YamlDoc:
    """Parse YAML text; ``source`` names it in errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise error(f"invalid YAML: {exc.problem}", path=source, line=line) from exc
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", path=source) from exc
    if root is None:
        return YamlDoc(data=None, source=source)
    lines: dict[PathKey, int] = {}
    data = _construct(root, (), lines, source, error)
    return YamlDoc(data=data, source=source, lines=lines)


def load_yaml_file(path: str | Path, error: type[DistillguardError] = DistillguardError) -> YamlDoc:
    """Read and parse a YAML file, with a clear error if it cannot be read."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error("file not found", path=p) from exc
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text ({exc.reason})", path=p) from exc
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", path=p) from exc
    return load_yaml_text(text, str(p), error)
