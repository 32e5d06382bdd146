"""Audit log: hash chain, tamper detection, crash safety, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from distillguard.cli import app
from distillguard.gateway.audit import AuditLog, verify


def _write(path: Path, n: int) -> None:
    log = AuditLog(path, flush_s=0.01).start()
    for i in range(n):
        log.write({"i": i, "action": "allow", "account": f"a{i % 3}"})
    log.close()


def test_chain_verifies_and_resumes_after_reopen(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    _write(f, 50)
    _write(f, 25)
    res = verify(f)
    assert res.ok
    assert res.records == 75
    assert not res.torn_tail


def test_tampering_is_found_at_the_first_broken_record(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    _write(f, 20)
    lines = f.read_bytes().split(b"\n")
    rec = json.loads(lines[6])
    rec["action"] = "block"
    lines[6] = json.dumps(rec, separators=(",", ":")).encode()
    f.write_bytes(b"\n".join(lines))
    res = verify(f)
    assert not res.ok
    assert res.broken_line == 8
    assert res.records == 7
    out = CliRunner().invoke(app, ["audit", "verify", str(f)])
    assert out.exit_code == 1
    assert "line 8" in out.output


def test_deleting_a_record_breaks_the_chain(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    _write(f, 10)
    lines = f.read_bytes().split(b"\n")
    del lines[3]
    f.write_bytes(b"\n".join(lines))
    assert verify(f).broken_line == 4


CHILD = """
import sys
from distillguard.gateway.audit import AuditLog
log = AuditLog(sys.argv[1], flush_s=0.001, batch=7).start()
i = 0
while True:
    log.write({"i": i, "pad": "x" * 2000})
    i += 1
"""


def test_a_crash_mid_write_leaves_a_valid_prefix(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(f)])
    try:
        deadline = time.monotonic() + 20
        while (not f.exists() or f.stat().st_size < 200_000) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    res = verify(f)
    assert res.ok
    assert res.records > 10
    # Reopening cuts a torn tail and continues the chain.
    _write(f, 3)
    again = verify(f)
    assert again.ok
    assert not again.torn_tail
    assert again.records == res.records + 3
    out = CliRunner().invoke(app, ["audit", "verify", str(f)])
    assert out.exit_code == 0
    assert "chain intact" in out.output
