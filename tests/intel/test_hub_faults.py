"""The hub goes down during a pull: real hub, real HTTP on loopback, real files.

The hub is a real uvicorn server on a SQLite file.  It crashes in the middle of a
page (headers and half the body sent, then the connection drops), stays down (its
port refuses connections), and comes back on the same port and file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from distillguard.intel.client import HubClient, write_cursor
from distillguard.intel.errors import IntelError
from distillguard.intel.hashing import KeyRing
from distillguard.intel.hub_config import HubConfig
from distillguard.intel.taxii_server import ObjectStore, create_hub_app, free_port, serve_in_thread
from tests.intel.conftest import KEYS
from tests.intel.test_taxii import indicators

PAGE = 10
OBJECTS = 45  # 44 indicators and their identity: five pages


class CrashesMidPage:
    """ASGI wrapper: answers ``whole`` object pages, then crashes while sending the next.

    The crashing answer has its full ``Content-Length`` and half its body, then the
    connection closes: what a client sees when the hub's process dies mid-answer.
    """

    def __init__(self, app: Any, whole: int) -> None:
        self.app = app
        self.whole = whole
        self.pages = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].endswith("/objects/")
        ):
            await self.app(scope, receive, send)
            return
        self.pages += 1
        if self.pages <= self.whole:
            await self.app(scope, receive, send)
            return
        messages: list[dict[str, Any]] = []

        async def keep(message: dict[str, Any]) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        body = b"".join(m.get("body", b"") for m in messages[1:])
        await send(messages[0])
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        # Returning without the rest makes uvicorn close the connection.


@pytest.fixture
def hub_db(tmp_path: Path, hub_config: HubConfig, ring: KeyRing) -> Path:
    """A hub file holding OBJECTS objects in tlp-amber."""
    db = tmp_path / "hub.sqlite"
    with serve_in_thread(create_hub_app(hub_config, ObjectStore(db))) as url:
        rep = HubClient(f"{url}/forum/", KEYS["A"]).push(indicators(OBJECTS - 1, ring), "tlp-amber")
        assert rep.added == OBJECTS
    return db


@pytest.fixture
def clean_pull(tmp_path: Path, hub_config: HubConfig, hub_db: Path) -> bytes:
    """What a pull that never failed writes."""
    out = tmp_path / "clean" / "intel.jsonl"
    with serve_in_thread(create_hub_app(hub_config, ObjectStore(hub_db))) as url:
        rep = HubClient(f"{url}/forum/", KEYS["B"]).pull("tlp-amber", out, per_request=PAGE)
    assert (rep.objects, rep.pages) == (OBJECTS, 5)
    return out.read_bytes()


def lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def pull_cli(hub: str, out: Path) -> Any:
    from distillguard.cli import app

    args = ["intel", "pull", "--hub", hub, "--collection", "tlp-amber",
            "--api-key", KEYS["B"], "--out", str(out), "--per-request", str(PAGE)]  # fmt: skip
    return CliRunner().invoke(app, args)


def test_hub_down_during_pull_then_resume(
    tmp_path: Path, hub_config: HubConfig, hub_db: Path, clean_pull: bytes
) -> None:
    port = free_port()
    hub = f"http://127.0.0.1:{port}/forum/"
    out = tmp_path / "pulled" / "intel.jsonl"
    client = HubClient(hub, KEYS["B"])
    # 1. The hub crashes while sending the third page.
    app = CrashesMidPage(create_hub_app(hub_config, ObjectStore(hub_db)), whole=2)
    with serve_in_thread(app, port=port):
        with pytest.raises(IntelError) as err:
            client.pull("tlp-amber", out, per_request=PAGE)
        assert app.pages == 3
    message = str(err.value)
    assert message.startswith(f"pulling tlp-amber: the hub at {hub} broke off its answer")
    assert "the 20 objects pulled before it are saved" in message
    # Whole pages only: the first two, every line complete.
    assert lines(out) == [json.loads(line) for line in clean_pull.splitlines()[: 2 * PAGE]]
    # 2. The hub stays down: the command says so in one line, no traceback.
    with pytest.raises(IntelError, match=rf"cannot reach the hub at {hub} \(connection refused"):
        client.pull("tlp-amber", out, per_request=PAGE)
    r = pull_cli(hub, out)
    assert r.exit_code == 2, r.output
    assert f"cannot reach the hub at {hub}" in r.output
    assert "Traceback" not in r.output
    assert len(lines(out)) == 2 * PAGE
    # 3. Back on the same port and file: the next pull resumes and ends where a pull
    # that never failed ends, byte for byte.
    with serve_in_thread(create_hub_app(hub_config, ObjectStore(hub_db)), port=port):
        r = pull_cli(hub, out)
    assert r.exit_code == 0, r.output
    assert "pulled 25 objects in 3 page(s)" in r.output
    assert out.read_bytes() == clean_pull


def test_pull_killed_while_writing_is_cut_back(
    tmp_path: Path, hub_config: HubConfig, hub_db: Path, clean_pull: bytes
) -> None:
    """A pull killed after writing part of a page, before its cursor: the next pull cuts
    the unrecorded tail and fetches that page again, so no object is lost or doubled."""
    out = tmp_path / "pulled" / "intel.jsonl"
    with serve_in_thread(create_hub_app(hub_config, ObjectStore(hub_db))) as url:
        client = HubClient(f"{url}/forum/", KEYS["B"])
        assert client.pull("tlp-amber", out, per_request=PAGE).objects == OBJECTS
        # Rewind to the state a kill in the middle of writing page 3 leaves: the cursor
        # of page 2, and page 3's first lines plus half a line after it.
        whole = clean_pull.splitlines(keepends=True)
        out.write_bytes(b"".join(whole[: 2 * PAGE]))
        cursor = out.with_name(out.name + ".cursor.json")
        cid = client.collection("tlp-amber").id
        added = [m["date_added"] for m in client.collection("tlp-amber").get_manifest()["objects"]]
        write_cursor(cursor, cid, added[2 * PAGE - 1], out=out, length=out.stat().st_size)
        tail = b"".join(whole[2 * PAGE : 2 * PAGE + 3]) + whole[2 * PAGE + 3][:17]
        with out.open("ab") as fh:
            fh.write(tail)
        rep = client.pull("tlp-amber", out, per_request=PAGE)
    assert rep.objects == OBJECTS - 2 * PAGE
    assert out.read_bytes() == clean_pull
    # What was cut is kept beside the file, not silently dropped.
    assert out.with_name(out.name + ".cut").read_bytes() == tail


def test_cursor_without_length_drops_only_a_partial_line(
    tmp_path: Path, hub_config: HubConfig, hub_db: Path, clean_pull: bytes
) -> None:
    """A cursor written before lengths were recorded: a half-written last line is all
    the next pull can tell apart, and it is dropped."""
    out = tmp_path / "pulled" / "intel.jsonl"
    whole = clean_pull.splitlines(keepends=True)
    with serve_in_thread(create_hub_app(hub_config, ObjectStore(hub_db))) as url:
        client = HubClient(f"{url}/forum/", KEYS["B"])
        col = client.collection("tlp-amber")
        added = [m["date_added"] for m in col.get_manifest()["objects"]]
        out.parent.mkdir()
        out.write_bytes(b"".join(whole[:PAGE]) + whole[PAGE][:25])
        write_cursor(out.with_name(out.name + ".cursor.json"), col.id, added[PAGE - 1])
        assert client.pull("tlp-amber", out, per_request=PAGE).objects == OBJECTS - PAGE
    assert out.read_bytes() == clean_pull
