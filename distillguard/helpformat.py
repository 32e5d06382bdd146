"""Command-line help that a person reads: value types as words, usage without braces.

Typer labels every value with its Python annotation (``<bool>``, ``<list[Path]>``)
and writes required arguments as ``{inputs}...``.  :class:`App` is a ``typer.Typer``
whose commands and groups show instead:

- an option's value as a word: its ``metavar`` when the command gives one
  (``--out DIR``), otherwise one derived from the type (``PATH``, ``INTEGER``,
  ``NUMBER``, ``TEXT``); flags show none;
- an argument by its ``metavar`` or upper-case name (``LOGS...``), in the usage
  line too (``distillguard scan [OPTIONS] LOGS...``).

``tests/test_help.py`` walks every command's ``--help`` and fails on a type label or
an option without a description.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import typer
from typer import _click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.models import CommandFunctionType

#: Typer's type labels (without the angle brackets) and the word shown instead.
_WORDS: Final = {
    "int": "INTEGER",
    "float": "NUMBER",
    "str": "TEXT",
    "path": "PATH",
    "file": "FILE",
    "directory": "DIR",
    "Path": "PATH",
    "datetime": "TIME",
}


def type_word(label: str) -> str:
    """The word for one of Typer's type labels.

    >>> type_word("<int>"), type_word("<list[Path]>"), type_word("<bool>")
    ('INTEGER', 'PATH', '')
    """
    inner = label.strip().removeprefix("<").removesuffix(">").removesuffix("...")
    if inner.startswith("list[") and inner.endswith("]"):
        inner = inner[len("list[") : -1]
    if inner == "bool":
        return ""
    return _WORDS.get(inner, inner.upper())


class _Argument(TyperArgument):
    """An argument shown by name alone: the name column already says what it holds."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        return name if self.required else f"[{name}]"


def _wordify(param: _click.Parameter, ctx: _click.Context) -> None:
    if isinstance(param, TyperOption):
        if param.metavar is None:
            param.metavar = "" if param.is_flag else type_word(param.display_type(ctx))
    elif isinstance(param, TyperArgument) and not isinstance(param, _Argument):
        name = param.metavar or (param.name or "value").upper()
        if param.nargs != 1 and not name.endswith("..."):
            name += "..."
        param.metavar = name
        # Typer builds its parameters itself and offers no hook for their class; the
        # subclass only changes how the argument is displayed, it adds no state.
        param.__class__ = _Argument


class Command(TyperCommand):
    """A Typer command whose help shows value types as words (see the module docs)."""

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        params: list[_click.Parameter] = super().get_params(ctx)
        for param in params:
            _wordify(param, ctx)
        return params


class Group(TyperGroup):
    """A Typer group whose own options read as words, like :class:`Command`'s."""

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        params: list[_click.Parameter] = super().get_params(ctx)
        for param in params:
            _wordify(param, ctx)
        return params


class App(typer.Typer):
    """``typer.Typer`` whose commands are :class:`Command` and groups :class:`Group`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        kwargs.setdefault("add_completion", False)
        super().__init__(**kwargs)

    def command(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)
