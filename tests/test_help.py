"""Every command's --help reads as words: no type labels, every option described.

The walk finds the commands itself (groups included), so a new command or option
is checked without being listed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer import _click
from typer.testing import CliRunner

from distillguard.cli import app

runner = CliRunner()

#: The main commands, whose help must show examples.
MAIN_COMMANDS = ("scan", "serve", "simulate", "eval", "demo", "keys")
#: Typer's type labels (``<bool>``, ``<list[Path]>``) and usage braces (``{inputs}...``).
TYPE_LABEL = re.compile(
    r"<(?:bool|int|float|str|path|Path|file|directory|datetime|uuid|list\[[^\]]*\]"
    r"|[a-z]+ range)(?:\.\.\.)?>|\{[a-z_]+\}"
)


def _walk(cmd: _click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, cmd
    commands = getattr(cmd, "commands", None)
    if isinstance(commands, dict):
        for name, sub in sorted(commands.items()):
            yield from _walk(sub, (*path, name))


COMMANDS = [
    pytest.param(path, cmd, id=" ".join(path) or "root")
    for path, cmd in _walk(typer.main.get_command(app), ())
]


def _help(path: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_walk_finds_the_commands() -> None:
    names = {" ".join(p.values[0]) for p in COMMANDS}  # type: ignore[arg-type]
    assert {"scan", "serve", "audit verify", "intel pull", "data fetch", "keys"} <= names


@pytest.mark.parametrize(("path", "cmd"), COMMANDS)
def test_help_describes_every_option_in_words(path: tuple[str, ...], cmd: object) -> None:
    assert isinstance(cmd, _click.Command)
    text = _help(path)
    assert "Usage" in text
    labels = TYPE_LABEL.findall(text)
    assert not labels, f"internal type labels in `{' '.join(path)} --help`: {labels}"
    ctx = _click.Context(cmd)
    for param in cmd.get_params(ctx):
        what = getattr(param, "help", None)
        assert (what or "").strip(), f"`{' '.join(path)}`: {param.name} has no description"
    assert (cmd.help or "").strip(), f"`{' '.join(path)}` has no description"


@pytest.mark.parametrize("name", MAIN_COMMANDS)
def test_main_commands_show_examples(name: str) -> None:
    text = _help((name,))
    assert "Examples:" in text
    assert f"distillguard {name} " in text or f"distillguard {name}\n" in text


def test_values_are_named_by_words() -> None:
    text = _help(("scan",))
    assert "Usage: distillguard scan [OPTIONS] LOGS..." in text
    assert re.search(r"--store\s+FILE", text)
    assert re.search(r"--top\s+INTEGER", text)
    assert re.search(r"--quiet\s+-q\s+Print nothing but errors", text)
