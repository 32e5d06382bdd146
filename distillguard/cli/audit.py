"""``distillguard audit verify|keygen``: the gateway's hash-chained audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
)
from distillguard.helpformat import App

audit_app = App(help="Check the gateway's hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
@friendly
def verify(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Audit log to check.")],
    key: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="The audit key file the gateway signed with."),
    ] = None,
    head: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE", help="Checkpoint file(s) to check against (default: FILE.head)."
        ),
    ] = None,
    no_head: Annotated[
        bool,
        typer.Option(
            "--no-head",
            help="Check the chain alone (logs written before checkpoints existed); "
            "a cut-off end then goes unnoticed.",
        ),
    ] = False,
) -> None:
    """Check the hash chain and the checkpoints; exit 1 on any problem."""
    from distillguard.gateway.audit import load_key
    from distillguard.gateway.audit import verify as verify_log

    res = verify_log(
        file, key=load_key(key) if key is not None else None, heads=head or None,
        require_head=not no_head,
    )  # fmt: skip
    torn = " (last line torn by a crash, not counted)" if res.torn_tail else ""
    if res.ok:
        after = res.records - res.checkpointed
        tail = f"; {after:,} after the last checkpoint" if after and not no_head else ""
        console.print(f"OK: {res.records:,} records, chain intact{tail}{torn}")
        return
    if res.broken_line is not None:
        console.print(
            f"[bold red]BROKEN[/] at line {res.broken_line}: {res.reason} "
            f"({res.records:,} records before it are intact){torn}"
        )
    else:
        console.print(f"[bold red]BROKEN[/]: {res.reason}{torn}")
    for gap in res.gaps:
        console.print(f"  gap recorded at {gap}")
    raise typer.Exit(1)


@audit_app.command("keygen")
@friendly
def keygen(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="Where to write the new key (mode 0600).")
    ],
) -> None:
    """Create a key for signing audit checkpoints (`serve --audit-key`)."""
    from distillguard.gateway.audit import write_key

    write_key(file)
    console.print(f"wrote a new audit key to {file} (owner read/write only)")
