"""The lab's commands, added to ``distillguard`` through the ``distillguard.commands``
entry point (see ``lab/pyproject.toml``)."""

from __future__ import annotations

import typer

from distillguard_lab.cli import data, demo, evaluate, forum_demo, mock_upstream, replay
from distillguard_lab.cli import leak_audit as leak_audit_cmd
from distillguard_lab.cli import scenarios as scenarios_cmd
from distillguard_lab.cli import simulate as simulate_cmd
from distillguard_lab.cli import train as train_cmd


def register(app: typer.Typer) -> None:
    """Add the lab's commands to ``app``."""
    app.command()(simulate_cmd.simulate)
    app.command()(scenarios_cmd.scenarios)
    app.command()(train_cmd.train)
    app.command("eval")(evaluate.eval_)
    app.command()(demo.demo)
    app.command()(replay.replay)
    app.command("mock-upstream")(mock_upstream.mock_upstream)
    app.command("forum-demo")(forum_demo.forum_demo)
    app.command("leak-audit")(leak_audit_cmd.leak_audit)
    app.add_typer(data.data_app, name="data")
