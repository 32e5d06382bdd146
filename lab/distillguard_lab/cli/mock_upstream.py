"""``distillguard mock-upstream``: a fake OpenAI-compatible model server."""

from __future__ import annotations

from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
)


@friendly
def mock_upstream(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8001,
) -> None:
    """Run a fake OpenAI-compatible model (deterministic; reasoning, <think>, logprobs)."""
    import uvicorn

    from distillguard_lab.mock_upstream import create_mock_app

    console.print(f"mock upstream on http://{host}:{port}")
    uvicorn.run(create_mock_app(), host=host, port=port, log_level="warning", access_log=False)
