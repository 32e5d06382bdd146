"""Fixtures for the gateway tests: simulated traffic and a real redis-server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from distillguard_lab.sim.corpus import Corpus


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def sim_dir(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated ``mixed`` run (events, labels) written once per session."""
    from distillguard_lab.sim.pools import Pools
    from distillguard_lab.sim.scenario import load_scenario
    from distillguard_lab.sim.simulator import simulate, write_result

    out = tmp_path_factory.mktemp("sim")
    result = simulate(load_scenario("mixed"), Pools.from_table(corpus.table), seed=7, events=1200)
    write_result(result, out)
    return out


@dataclass
class RedisServer:
    """A redis-server child process on a loopback port; can be stopped and restarted."""

    exe: str
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server for the session (skips, or fails under CI, when absent)."""
    exe = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if exe is None:
        reason = "redis-server not installed (apt-get install -y redis-server)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    server = RedisServer(exe=exe, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
