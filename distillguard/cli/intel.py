"""``distillguard intel ...``: share campaign indicators with other providers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
)
from distillguard.errors import DistillguardError
from distillguard.helpformat import App

KEYS_HELP = "Forum key ring YAML (default: $DISTILLGUARD_FORUM_KEYS)."

intel_app = App(
    help="Share campaign indicators with other providers (STIX 2.1 over TAXII 2.1).",
    no_args_is_help=True,
)


@intel_app.command("keygen")
@friendly
def keygen(
    out: Annotated[Path, typer.Argument(metavar="FILE", help="Key ring file to write.")],
    key_id: Annotated[str, typer.Option("--id", metavar="ID", help="Id of the new key.")],
    rotate: Annotated[
        bool,
        typer.Option("--rotate", help="Add a key to an existing ring and make it current."),
    ] = False,
) -> None:
    """Create a forum key ring (or rotate: add a new current key, keep the old ones)."""
    from distillguard.intel.hashing import new_key_file

    ring = new_key_file(out, key_id, rotate=rotate)
    console.print(
        f"wrote {out}: current key {ring.current}, {len(ring.keys)} key(s); "
        "share it with forum members only, over a secure channel"
    )


@intel_app.command("export")
@friendly
def export(
    scan_out: Annotated[
        Path,
        typer.Argument(metavar="SCAN_OUT", help="Output directory of `distillguard scan`."),
    ],
    store: Annotated[Path, typer.Option(metavar="FILE", help="The scan's DuckDB store.")] = Path(
        "distillguard.duckdb"
    ),
    provider: Annotated[
        str, typer.Option(metavar="NAME", help="Our name in the forum.")
    ] = "provider",
    keys: Annotated[Path | None, typer.Option(metavar="FILE", help=KEYS_HELP)] = None,
    tlp: Annotated[
        str, typer.Option(metavar="LEVEL", help="Traffic light: white, green, amber or red.")
    ] = "amber",
    verdict: Annotated[
        list[str] | None,
        typer.Option(metavar="VERDICT", help="Campaign verdicts to export (repeatable)."),
    ] = None,
    out: Annotated[Path, typer.Option(metavar="FILE", help="Bundle file to write.")] = Path(
        "bundle.json"
    ),
) -> None:
    """Turn detected campaigns into a STIX 2.1 bundle (keyed hashes and fingerprints only)."""
    from distillguard.intel.export import (
        ExportOptions,
        check_tlp,
        export_bundle,
        write_bundle,
    )
    from distillguard.intel.hashing import KeyRing

    opts = ExportOptions(
        provider=provider,
        tlp=check_tlp(tlp),
        verdicts=tuple(verdict or ("block", "restrict")),
    )
    result = export_bundle(scan_out, store, KeyRing.load(keys), opts)
    write_bundle(result, out)
    kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(result.indicators.items())) or "none"
    console.print(
        f"wrote {out}: {result.campaigns} campaign(s), indicators: {kinds}", highlight=False
    )


@intel_app.command("serve")
@friendly
def serve(
    config: Annotated[
        Path, typer.Argument(metavar="CONFIG", help="Hub YAML: collections, members, grants.")
    ],
    db: Annotated[
        Path, typer.Option(metavar="FILE", help="SQLite file holding the objects.")
    ] = Path("forum-hub.sqlite"),
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8765,
) -> None:
    """Run the forum hub: a TAXII 2.1 server (put TLS in front of it off loopback)."""
    import uvicorn

    from distillguard.intel.hub_config import load_hub_config
    from distillguard.intel.taxii_server import ObjectStore, create_hub_app

    cfg = load_hub_config(config)
    app_ = create_hub_app(cfg, ObjectStore(db))
    console.print(
        f"forum hub on http://{host}:{port}/taxii2/ (API root /{cfg.api_root}/), "
        f"{len(cfg.collections)} collection(s), {len(cfg.members)} member(s)"
    )
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@intel_app.command("push")
@friendly
def push(
    bundle: Annotated[
        Path, typer.Argument(metavar="BUNDLE", help="Bundle from `distillguard intel export`.")
    ],
    hub: Annotated[
        str,
        typer.Option(metavar="URL", help="API root URL, e.g. http://127.0.0.1:8765/forum/"),
    ],
    collection: Annotated[str, typer.Option(metavar="COLLECTION", help="Collection alias or id.")],
    api_key: Annotated[
        str,
        typer.Option(envvar="DISTILLGUARD_HUB_KEY", metavar="KEY", help="Our hub API key."),
    ],
) -> None:
    """Post a bundle's objects to a hub collection."""
    from distillguard.intel.client import HubClient
    from distillguard.intel.export import read_bundle

    objs = read_bundle(bundle)["objects"]
    rep = HubClient(hub, api_key).push(objs, collection)
    console.print(
        f"pushed {rep.total:,} objects: {rep.added:,} added, {rep.duplicates:,} duplicates, "
        f"{len(rep.failures):,} refused"
    )
    for f in rep.failures[:10]:
        # The hub's messages name the object; another hub's may not.
        named = bool(f["id"]) and f["id"] in f["message"]
        line = f["message"] if named else f"{f['id'] or '(no id)'}: {f['message']}"
        console.print(f"  refused {line}", highlight=False)
    if rep.failures:
        raise typer.Exit(1)


@intel_app.command("pull")
@friendly
def pull(
    hub: Annotated[
        str,
        typer.Option(metavar="URL", help="API root URL, e.g. http://127.0.0.1:8765/forum/"),
    ],
    collection: Annotated[str, typer.Option(metavar="COLLECTION", help="Collection alias or id.")],
    api_key: Annotated[
        str,
        typer.Option(envvar="DISTILLGUARD_HUB_KEY", metavar="KEY", help="Our hub API key."),
    ],
    out: Annotated[
        Path, typer.Option(metavar="FILE", help="JSON Lines file objects are appended to.")
    ] = Path("intel.jsonl"),
    cursor: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Cursor file (default: OUT.cursor.json)."),
    ] = None,
    per_request: Annotated[int, typer.Option(help="Objects per page.")] = 2000,
) -> None:
    """Fetch what peers shared since the last pull (resumes at the saved cursor)."""
    from distillguard.intel.client import HubClient

    rep = HubClient(hub, api_key).pull(collection, out, cursor_file=cursor, per_request=per_request)
    kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(rep.by_type.items())) or "nothing new"
    console.print(
        f"pulled {rep.objects:,} objects in {rep.pages} page(s) into {out} ({kinds}); "
        f"cursor {rep.cursor}",
        highlight=False,
    )


@intel_app.command("match")
@friendly
def match(
    intel: Annotated[
        Path,
        typer.Argument(metavar="INTEL", help="Pulled indicators (JSON Lines or bundle)."),
    ],
    store: Annotated[Path, typer.Option(metavar="FILE", help="DuckDB store to match.")] = Path(
        "distillguard.duckdb"
    ),
    keys: Annotated[Path | None, typer.Option(metavar="FILE", help=KEYS_HELP)] = None,
    provider: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Our forum name (our own indicators are skipped)."),
    ] = None,
    out: Annotated[Path, typer.Option(metavar="FILE", help="Matches table to write.")] = Path(
        "intel_matches.parquet"
    ),
    policy: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Also write a gateway policy with an `intel` watchlist here."
        ),
    ] = None,
    base_policy: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Policy to extend (default: the shipped one)."),
    ] = None,
    sightings_out: Annotated[
        Path | None,
        typer.Option(
            "--sightings",
            metavar="FILE",
            help="Write STIX sightings of the matched indicators.",
        ),
    ] = None,
) -> None:
    """Find our accounts that match peers' campaign indicators (and make a watchlist)."""
    import pyarrow.parquet as pq

    from distillguard.intel.hashing import KeyRing
    from distillguard.intel.match import load_intel, match_store, matches_table
    from distillguard.store.duckdb import Store

    if not store.exists():
        raise DistillguardError("no such store (run `distillguard scan` first)", path=store)
    ring = KeyRing.load(keys)
    iset = load_intel(intel, own=provider)
    with Store(store) as s:
        found = match_store(s, iset, ring)
    pq.write_table(matches_table(found), out)
    console.print(
        f"{iset.indicators:,} indicators, {len(found):,} matching account(s); wrote {out}"
    )
    for m in found[:15]:
        console.print(f"  {m.account_id}: {m.reason()}", highlight=False)
    if sightings_out is not None:
        import stix2

        from distillguard.intel.match import sightings

        objs = sightings(found, iset, provider or "provider")
        bundle = stix2.Bundle(objects=objs, allow_custom=True)
        sightings_out.write_text(bundle.serialize(pretty=False) + "\n", encoding="utf-8")
        console.print(
            f"wrote {sightings_out}: {len(objs) - 2} sighting(s); "
            "push them with `distillguard intel push`"
        )
    if policy is not None:
        from distillguard.gateway.intel_watchlist import with_intel_watchlist, write_policy
        from distillguard.gateway.policy import load_policy

        p = with_intel_watchlist(load_policy(base_policy), [m.account_id for m in found])
        write_policy(p, policy)
        console.print(f"wrote {policy} (restart `distillguard serve --policy {policy}`)")


@intel_app.command("psi")
@friendly
def psi_cmd(
    ours: Annotated[Path, typer.Argument(metavar="OURS", help="Our identifiers, one a line.")],
    theirs: Annotated[
        Path, typer.Argument(metavar="THEIRS", help="The peer's identifiers, one a line.")
    ],
    kind: Annotated[
        str,
        typer.Option(metavar="KIND", help="What the identifiers are (ip, payment, ...)."),
    ] = "ip",
) -> None:
    """Private set intersection, both roles in one process (a demonstration of the protocol).

    Between two providers, run `distillguard.intel.psi.PsiServer` at one and
    `PsiClient` at the other; only the client learns the intersection.
    """
    from distillguard.intel.psi import intersect_locally, read_identifiers

    a, b = read_identifiers(ours), read_identifiers(theirs)
    common = intersect_locally(a, b, kind=kind)
    console.print(
        f"{len(common):,} of our {len(a):,} {kind} identifiers are in the peer's set "
        f"of {len(b):,}; neither side saw the other's non-matching values"
    )
    for v in sorted(common)[:20]:
        console.print(f"  {v}", highlight=False)
