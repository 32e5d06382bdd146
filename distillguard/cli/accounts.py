"""``distillguard accounts ...``: check a new account at sign-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import console, friendly
from distillguard.helpformat import App

KEYS_HELP = "Key ring YAML the index is hashed with (default: $DISTILLGUARD_FORUM_KEYS)."

accounts_app = App(
    help="Check new accounts at sign-up against known harvest infrastructure.",
    no_args_is_help=True,
)


@accounts_app.command("index")
@friendly
def index(
    scan_out: Annotated[
        Path, typer.Option(metavar="DIR", help="Output directory of `distillguard scan`.")
    ] = Path("scan-out"),
    store: Annotated[
        Path, typer.Option(metavar="FILE", help="DuckDB store written by the scan.")
    ] = Path("distillguard.duckdb"),
    keys: Annotated[Path | None, typer.Option(metavar="FILE", help=KEYS_HELP)] = None,
    out: Annotated[Path, typer.Option(metavar="FILE", help="Index to write (JSON).")] = Path(
        "signup-index.json"
    ),
) -> None:
    """Index our campaigns' infrastructure (addresses, networks, cards, clients) as
    keyed hashes, for `accounts check --index` and `serve --signup-index`."""
    import pyarrow.parquet as pq

    from distillguard.errors import DistillguardError
    from distillguard.intel.hashing import KeyRing
    from distillguard.intel.signup import build_own_index
    from distillguard.store.duckdb import Store

    camps = scan_out / "campaigns.parquet"
    if not camps.exists():
        raise DistillguardError("no campaigns.parquet (run `distillguard scan` first)", path=camps)
    if not store.exists():
        raise DistillguardError("no such store (run `distillguard scan` first)", path=store)
    ring = KeyRing.load(keys)
    with Store(store) as s:
        idx = build_own_index(s, pq.read_table(camps), ring)
    idx.write(out)
    console.print(f"wrote {out}: {len(idx):,} hashed values of {camps}", highlight=False)


@accounts_app.command("check")
@friendly
def check(
    ip: Annotated[str | None, typer.Option(metavar="ADDR", help="Sign-up client address.")] = None,
    payment: Annotated[
        str | None, typer.Option(metavar="ID", help="Payment method fingerprint.")
    ] = None,
    user_agent: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Client software (user agent).")
    ] = None,
    index_file: Annotated[
        Path | None,
        typer.Option("--index", metavar="FILE", help="Our campaigns (`accounts index`)."),
    ] = None,
    intel: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Peers' indicators (`distillguard intel pull`)."),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Our forum name (our own indicators are skipped)."),
    ] = None,
    keys: Annotated[Path | None, typer.Option(metavar="FILE", help=KEYS_HELP)] = None,
    rules: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Decision rules (default: the shipped signup_rules.yaml)."
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the decision as JSON (the only stdout).")
    ] = False,
) -> None:
    """Score a new account at sign-up: allow, verify or deny, with reasons.

    Its address, network, payment method and client are compared, as keyed hashes,
    with our own campaigns (--index) and peers' shared indicators (--intel).
    Exit status 0 whatever the decision.

    Examples:
      distillguard accounts check --ip 203.0.113.9 --index signup-index.json --json
      distillguard accounts check --payment pm_8f3a --intel pulled.jsonl --provider us
    """
    from distillguard.errors import DistillguardError
    from distillguard.intel.hashing import KeyRing
    from distillguard.intel.match import load_intel
    from distillguard.intel.signup import (
        Applicant,
        OwnIndex,
        SignupChecker,
        load_signup_rules,
    )

    applicant = Applicant(ip=ip, payment=payment, user_agent=user_agent)
    if not applicant.values():
        raise DistillguardError("give at least one of --ip, --payment, --user-agent")
    if index_file is None and intel is None:
        raise DistillguardError("give --index (our campaigns) or --intel (peers'), or both")
    checker = SignupChecker(
        load_signup_rules(rules),
        KeyRing.load(keys),
        own=OwnIndex.load(index_file) if index_file is not None else None,
        peers=load_intel(intel, own=provider) if intel is not None else None,
    )
    got = checker.check(applicant).record()
    if json_out:
        print(json.dumps(got, indent=1))
        return
    colour = {"allow": "green", "verify": "yellow", "deny": "red"}[got["decision"]]
    console.print(f"[bold {colour}]{got['decision']}[/] (evidence {got['score']})")
    for r in got["reasons"]:
        console.print(f"  - {r}", highlight=False, soft_wrap=True)
