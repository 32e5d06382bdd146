"""Build frozen dataclasses from YAML mappings, with errors that say where.

Scenarios (and later policies) are dataclasses whose fields are their YAML keys,
in the pySigma manner.  :func:`build` checks types from the annotations and turns
every problem into a :class:`~distillguard.errors.DistillguardError` carrying the
file, line and dotted field path.  A dataclass may define ``check(self) ->
list[tuple[str, str]]`` returning ``(field, message)`` pairs for rules that span
several fields.

>>> from dataclasses import dataclass
>>> from distillguard.yamlio import load_yaml_text
>>> @dataclass(frozen=True)
... class Knob:
...     name: str
...     level: float = 0.5
>>> doc = load_yaml_text("name: x\\nlevel: high\\n", "knob.yaml")
>>> build(Knob, doc)
Traceback (most recent call last):
...
distillguard.errors.DistillguardError: knob.yaml:2: field level: expected a number, got 'high'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from distillguard.errors import DistillguardError
from distillguard.yamlio import PathKey, YamlDoc

T = TypeVar("T")


def dotted(path: PathKey) -> str:
    """``("campaigns", 0, "accounts")`` → ``"campaigns[0].accounts"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _fail(
    doc: YamlDoc, path: PathKey, message: str, error: type[DistillguardError]
) -> DistillguardError:
    return error(message, path=doc.source, line=doc.line_of(path), field=dotted(path) or None)


def _convert(
    tp: Any, value: Any, doc: YamlDoc, path: PathKey, error: type[DistillguardError]
) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if len(args) == 1:
            return _convert(args[0], value, doc, path, error)
        problems = []
        for arg in args:
            try:
                return _convert(arg, value, doc, path, error)
            except DistillguardError as exc:
                problems.append(exc.message)
        raise _fail(doc, path, " or ".join(problems), error)
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise _fail(doc, path, f"must be one of {choices}, got {value!r}", error)
        return value
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return build(tp, doc, path=path, data=value, error=error)
    if tp is bool:
        if not isinstance(value, bool):
            raise _fail(doc, path, f"expected true or false, got {value!r}", error)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(doc, path, f"expected an integer, got {value!r}", error)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(doc, path, f"expected a number, got {value!r}", error)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _fail(doc, path, f"expected a string, got {value!r}", error)
        return value
    if tp is dt.datetime:
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise _fail(doc, path, f"not an ISO-8601 time: {value!r}", error) from exc
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        raise _fail(doc, path, f"expected an ISO-8601 time, got {value!r}", error)
    if origin is tuple:
        targs = get_args(tp)
        if not isinstance(value, list):
            raise _fail(doc, path, f"expected a list, got {value!r}", error)
        if len(targs) == 2 and targs[1] is Ellipsis:
            return tuple(_convert(targs[0], v, doc, (*path, i), error) for i, v in enumerate(value))
        if len(value) != len(targs):
            raise _fail(doc, path, f"expected {len(targs)} items, got {len(value)}", error)
        return tuple(
            _convert(a, v, doc, (*path, i), error)
            for i, (a, v) in enumerate(zip(targs, value, strict=True))
        )
    if origin is dict:
        key_tp, val_tp = get_args(tp)
        if not isinstance(value, dict):
            raise _fail(doc, path, f"expected a mapping, got {value!r}", error)
        return {
            _convert(key_tp, k, doc, (*path, k), error): _convert(val_tp, v, doc, (*path, k), error)
            for k, v in value.items()
        }
    raise TypeError(f"unsupported field type {tp!r}")  # a bug in our dataclass, not user input


def build(
    cls: type[T],
    doc: YamlDoc,
    *,
    path: PathKey = (),
    data: Any = None,
    error: type[DistillguardError] = DistillguardError,
) -> T:
    """Instantiate dataclass ``cls`` from ``data`` (default: the whole document)."""
    if data is None and not path:
        data = doc.data
    if not isinstance(data, dict):
        raise _fail(doc, path, f"expected a mapping, got {type(data).__name__}", error)
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        raise _fail(doc, (*path, unknown[0]), f"unknown key (known keys: {known})", error)
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], doc, (*path, name), error)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _fail(doc, path, f"missing required key {name!r}", error)
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if callable(check):
        for field_name, message in check():
            sub: PathKey = (*path, *_split(field_name))
            raise _fail(doc, sub, message, error)
    return obj


def _split(field_name: str) -> PathKey:
    parts: list[str | int] = []
    for piece in field_name.split("."):
        if "[" in piece:
            head, *idx = piece.replace("]", "").split("[")
            if head:
                parts.append(head)
            parts.extend(int(i) for i in idx)
        elif piece:
            parts.append(piece)
    return tuple(parts)
