"""``distillguard keys``: the gateway's keys table, a random key per account."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
)


@friendly
def keys(
    accounts: Annotated[
        list[str] | None,
        typer.Argument(metavar="ACCOUNT", help="Account ids to make a key for."),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="Also every account in this file: a log (any format `scan` reads), "
            "accounts.parquet from a scan, or labels.parquet from a simulation.",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            metavar="FILE",
            help="Keys table to write (.csv or .parquet); accounts already in it keep their key.",
        ),
    ] = Path("keys.csv"),
) -> None:
    """Make the gateway's keys table: a new random API key for each account.

    Writes OUT with columns api_key, account_id, org_id, tier, created_at (the last
    three from the log when --from is one), readable by the owner only.  Run it again
    with more accounts to add keys: accounts already in OUT keep theirs.  Hand each
    key to its account; `distillguard serve --keys OUT` maps keys to accounts.

    Examples:
      distillguard keys alice bob --out runs/gateway/keys.csv
      distillguard keys --from runs/demo/sim/events.parquet --out runs/demo/keys.csv
    """
    from distillguard.gateway.keygen import make_keys

    made = make_keys(list(accounts or []), out, source=from_file)
    console.print(
        f"wrote {made.total:,} keys to {out} ({made.added:,} new, {made.kept:,} kept); "
        "it holds secrets: keep it out of version control",
        highlight=False,
        soft_wrap=True,
    )
