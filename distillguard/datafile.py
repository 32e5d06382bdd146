"""Versioned data files (cue tables, catalogs, phrases): loading with errors that say where.

Data that the code reads but does not compute (regex cue tables, prompt catalogs,
phrase banks) lives in YAML files beside the package that uses it, not in Python
literals.  Every file is validated when it is loaded; a problem is a
:class:`DataFileError` naming the file, the line and the field
(``cot_cues.yaml:41: field cues[3].weight: expected a number, got 'high'``).

Records are frozen dataclasses built with :func:`distillguard.config.build` (types,
unknown and missing keys); rules of one record that span several fields are checked
in the record's ``__post_init__``, which raises :class:`FieldError` naming the field,
so the same check guards records built in code and records read from a file.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Phrase:
...     id: str
...     text: str
...     def __post_init__(self) -> None:
...         if "{task}" not in self.text:
...             raise FieldError("text", "must hold {task}")
>>> text = "phrases:\\n  - {id: a, text: '{task}?'}\\n  - {id: b, text: hi}\\n"
>>> doc = load_data_text(text, "p.yaml")
>>> build_records(Phrase, doc, ("phrases",))
Traceback (most recent call last):
...
distillguard.datafile.DataFileError: p.yaml:3: field phrases[1].text: must hold {task}
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from distillguard.config import build, dotted
from distillguard.errors import DistillguardError
from distillguard.yamlio import PathKey, YamlDoc, load_yaml_file, load_yaml_text
from distillguard.yamlio import _construct as construct

T = TypeVar("T")

#: Names of records, word lists and fragments: snake_case.
NAME_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


class DataFileError(DistillguardError):
    """A data file (cue table, catalog, phrase bank) is invalid."""


class FieldError(ValueError):
    """A record's field breaks a rule; ``field`` is its dotted name (``templates[2]``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


#: libyaml's composer when PyYAML has it (8 times faster on a cue table; the same nodes
#: and line marks), else the pure-Python one.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_data_file(path: str | Path) -> YamlDoc:
    """Parse a YAML data file (errors are :class:`DataFileError`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return load_yaml_file(p, DataFileError)  # raises, naming the problem
    return load_data_text(text, str(p))


def load_data_text(text: str, source: str) -> YamlDoc:
    """Parse YAML data text; ``source`` names it in errors."""
    try:
        root = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return load_yaml_text(text, source, DataFileError)  # raises, naming the line
    if root is None:
        return YamlDoc(data=None, source=source)
    lines: dict[PathKey, int] = {}
    data = construct(root, (), lines, source, DataFileError)
    return YamlDoc(data=data, source=source, lines=lines)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fail(doc: YamlDoc, path: PathKey, message: str) -> DataFileError:
    """The error for ``path`` in ``doc``: its file, line and dotted field."""
    return DataFileError(
        message, path=doc.source, line=doc.line_of(path), field=dotted(path) or None
    )


def value_at(doc: YamlDoc, path: PathKey) -> Any:
    """The value at ``path`` (a missing key is an error at its parent)."""
    value = doc.data
    for i, part in enumerate(path):
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                raise fail(doc, path[:i], f"expected a list with an item {part}")
            value = value[part]
        else:
            if not isinstance(value, dict):
                raise fail(doc, path[:i], "expected a mapping")
            if part not in value:
                raise fail(doc, path[:i], f"missing required key {part!r}")
            value = value[part]
    return value


def check_keys(
    doc: YamlDoc, path: PathKey, required: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, Any]:
    """The mapping at ``path``, with every required key and no unknown one."""
    value = value_at(doc, path)
    if not isinstance(value, dict):
        raise fail(doc, path, f"expected a mapping, got {type(value).__name__}")
    for key in required:
        if key not in value:
            raise fail(doc, path, f"missing required key {key!r}")
    known = set(required) | set(optional)
    for key in value:
        if key not in known:
            raise fail(doc, (*path, key), f"unknown key (known keys: {', '.join(sorted(known))})")
    return value


def string_list(
    doc: YamlDoc, path: PathKey, *, allow_empty: bool = False, empty_items: bool = False
) -> tuple[str, ...]:
    """The list of strings at ``path``: non-empty unless ``allow_empty``, of non-empty
    strings unless ``empty_items``."""
    value = value_at(doc, path)
    if not isinstance(value, list):
        raise fail(doc, path, f"expected a list, got {value!r}")
    if not value and not allow_empty:
        raise fail(doc, path, "must not be empty")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not (item or empty_items):
            raise fail(doc, (*path, i), f"expected a non-empty string, got {item!r}")
    return tuple(value)


def string_banks(
    doc: YamlDoc, path: PathKey, *, empty_items: bool = False
) -> dict[str, tuple[str, ...]]:
    """A mapping of names to non-empty lists of strings (e.g. language -> variants)."""
    value = value_at(doc, path)
    if not isinstance(value, dict) or not value:
        raise fail(doc, path, "expected a non-empty mapping of lists")
    return {key: string_list(doc, (*path, key), empty_items=empty_items) for key in value}


def string_map(doc: YamlDoc, path: PathKey, *, snake_case_keys: bool = False) -> dict[str, str]:
    """A non-empty mapping of names to non-empty strings (e.g. style -> description)."""
    value = value_at(doc, path)
    if not isinstance(value, dict) or not value:
        raise fail(doc, path, "expected a non-empty mapping of names to text")
    for key, text in value.items():
        if snake_case_keys and not NAME_RE.fullmatch(key):
            raise fail(doc, (*path, key), f"name {key!r} is not snake_case")
        if not isinstance(text, str) or not text:
            raise fail(doc, (*path, key), f"expected a non-empty string, got {text!r}")
    return dict(value)


def no_duplicates(doc: YamlDoc, path: PathKey, values: Sequence[Any], what: str) -> None:
    """Fail at the second occurrence of any repeated value."""
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise fail(doc, (*path, i), f"duplicate {what} {v!r}")
        seen.add(v)


def _field_path(name: str) -> PathKey:
    parts: list[str | int] = []
    for piece in name.split("."):
        head, *idx = piece.replace("]", "").split("[")
        if head:
            parts.append(head)
        parts.extend(int(i) for i in idx)
    return tuple(parts)


def build_record(cls: type[T], doc: YamlDoc, path: PathKey) -> T:
    """Build dataclass ``cls`` from the mapping at ``path`` (see module doc)."""
    try:
        return build(cls, doc, path=path, data=value_at(doc, path), error=DataFileError)
    except FieldError as exc:
        raise fail(doc, (*path, *_field_path(exc.field)), exc.message) from exc


def build_records(
    cls: type[T], doc: YamlDoc, path: PathKey, *, key: str | None = "id"
) -> tuple[T, ...]:
    """Build every item of the list at ``path``; ``key`` (if any) must be unique."""
    items = value_at(doc, path)
    if not isinstance(items, list) or not items:
        raise fail(doc, path, "expected a non-empty list")
    out = tuple(build_record(cls, doc, (*path, i)) for i in range(len(items)))
    if key is not None:
        seen: set[object] = set()
        for i, record in enumerate(out):
            value = getattr(record, key)
            if value in seen:
                raise fail(doc, (*path, i, key), f"duplicate {key} {value!r}")
            seen.add(value)
    return out
