"""The ``distillguard`` command: one small module per command.

This module only assembles them: each command module defines plain functions
(wrapped in :func:`~distillguard.cli.common.friendly`) or a sub-app, and they are
added to the root app here, in the order ``--help`` lists them.  The lab's
commands (``simulate``, ``eval``, ``demo``, ``replay``, ...) live in the lab
distribution and join through the ``distillguard.commands`` entry point group:
the product never imports the lab.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from distillguard.cli import (
    accounts,
    audit,
    calibrate,
    campaigns,
    intel,
    keys,
    review,
    scan,
    serve,
    signals,
    watermark,
)
from distillguard.cli import validate as validate_cmd
from distillguard.cli.common import new_app

#: Plugins add commands with a ``register(app)`` callable in this entry point group.
PLUGIN_GROUP = "distillguard.commands"

log = logging.getLogger("distillguard.cli")

app = new_app()
app.command()(scan.scan)
app.command()(campaigns.campaigns)
app.command()(validate_cmd.validate)
app.command()(signals.signals)
app.command()(calibrate.calibrate)
app.command()(keys.keys)
app.command()(serve.serve)
app.command()(serve.sync)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(intel.intel_app, name="intel")
app.add_typer(review.review_app, name="review")
app.add_typer(accounts.accounts_app, name="accounts")
app.add_typer(watermark.wm_app, name="watermark")


def _plugins() -> None:
    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        ep.load()(app)


_plugins()

__all__ = ["PLUGIN_GROUP", "app"]
