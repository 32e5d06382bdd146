"""Audit log: hash chain, checkpoints, truncation, durability under SIGKILL, CLI."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillguard.cli import app
from distillguard.gateway.audit import (
    AuditError,
    AuditLog,
    head_path,
    load_key,
    read_checkpoint,
    verify,
    write_key,
)


def _write(path: Path, n: int, **kw: object) -> AuditLog:
    log = AuditLog(path, fsync_s=0.01, **kw).start()  # type: ignore[arg-type]
    for i in range(n):
        log.write({"i": i, "action": "allow", "account": f"a{i % 3}"})
    log.close()
    return log


def _cli(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(app, ["audit", "verify", *args])
    return out.exit_code, " ".join(out.output.split())  # rich wraps long lines


def test_chain_verifies_and_resumes_after_reopen(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    _write(f, 50)
    _write(f, 25)
    res = verify(f)
    assert res.ok, res.reason
    assert res.records == 75
    assert res.checkpointed == 75
    assert not res.torn_tail
    cp = read_checkpoint(head_path(f), None)
    assert cp.closed
    assert cp.records == 75


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
    code, text = _cli(str(f))
    assert code == 1
    assert "line 8" in text


def test_deleting_a_record_breaks_the_chain(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    _write(f, 10)
    lines = f.read_bytes().split(b"\n")
    del lines[3]
    f.write_bytes(b"\n".join(lines))
    assert verify(f).broken_line == 4


@pytest.mark.parametrize("keep", [0, 7])
def test_a_removed_tail_shows(tmp_path: Path, keep: int) -> None:
    f = tmp_path / "a.jsonl"
    _write(f, 10)
    lines = f.read_bytes().split(b"\n")
    f.write_bytes(b"".join(x + b"\n" for x in lines[:keep]))
    res = verify(f)
    assert not res.ok
    assert "cut off" in res.reason
    assert f"holds {keep} records" in res.reason
    code, text = _cli(str(f))
    assert code == 1
    assert "cut off" in text


def test_a_missing_or_forged_checkpoint_fails(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    key_file = tmp_path / "audit.key"
    write_key(key_file)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    key = load_key(key_file)
    _write(f, 10, key=key)
    assert verify(f, key=key).ok
    # Without the key the keyed checkpoint cannot be checked: say so, do not pass.
    res = verify(f)
    assert not res.ok
    assert "hmac-sha256" in res.reason
    # An attacker cuts the log and writes a checkpoint to match, without the key.
    lines = f.read_bytes().split(b"\n")[:4]
    data = b"".join(x + b"\n" for x in lines)
    f.write_bytes(data)
    cp = json.loads(head_path(f).read_text())
    cp.update(records=4, bytes=len(data), last=hashlib.sha256(lines[3]).hexdigest())
    head_path(f).write_text(json.dumps(cp))
    res = verify(f, key=key)
    assert not res.ok
    assert "MAC does not match" in res.reason
    head_path(f).unlink()
    res = verify(f, key=key)
    assert not res.ok
    assert "no checkpoint file" in res.reason
    assert verify(f, require_head=False).ok  # the chain alone is intact: only the end is gone
    code, text = _cli(str(f), "--key", str(key_file))
    assert code == 1
    assert "no checkpoint" in text


def test_records_appended_after_a_clean_close_show(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    _write(f, 5)
    # Someone extends the chain correctly (the chain is not keyed) after the gateway stopped.
    last = f.read_bytes().split(b"\n")[-2]
    extra = json.dumps({"i": 99, "prev": hashlib.sha256(last).hexdigest()}, separators=(",", ":"))
    with f.open("ab") as fh:
        fh.write(extra.encode() + b"\n")
    res = verify(f)
    assert not res.ok
    assert "added by something else" in res.reason


def test_a_rolled_back_log_is_caught_by_a_checkpoint_copy(tmp_path: Path) -> None:
    f = tmp_path / "logs" / "a.jsonl"
    copy = tmp_path / "elsewhere" / "a.head"
    copy.parent.mkdir()
    key = bytes(range(32))
    _write(f, 6, key=key, heads=[copy])
    # The attacker keeps the log and checkpoint of this moment ...
    saved_log, saved_head = f.read_bytes(), head_path(f).read_bytes()
    _write(f, 6, key=key, heads=[copy])
    # ... and later puts them back: the local checkpoint agrees with the old log.
    f.write_bytes(saved_log)
    head_path(f).write_bytes(saved_head)
    assert verify(f, key=key).ok
    res = verify(f, key=key, heads=[head_path(f), copy])
    assert not res.ok
    assert "cut off" in res.reason


def test_a_gateway_starting_on_a_cut_log_records_the_gap(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    _write(f, 8)
    lines = f.read_bytes().split(b"\n")[:3]
    f.write_bytes(b"".join(x + b"\n" for x in lines))
    log = _write(f, 2)
    assert log.gaps
    assert "cut off" in log.gaps[0]
    # The new checkpoint covers the shortened log, but the chain carries the gap.
    res = verify(f)
    assert not res.ok
    assert res.gaps
    assert "gap" in res.reason
    recs = [json.loads(x) for x in f.read_text().splitlines()]
    assert [r.get("kind") for r in recs].count("audit_gap") == 1
    code, text = _cli(str(f))
    assert code == 1
    assert "cut off" in text


def test_fsync_always_waits_for_the_disk(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"

    async def go() -> None:
        log = AuditLog(f, fsync="always").start()
        try:
            for i in range(20):
                log.write({"i": i})
                await log.sync()
                cp = read_checkpoint(head_path(f), None)
                assert cp.records >= i + 1  # the checkpoint follows every sync
        finally:
            log.close()

    asyncio.run(go())
    assert verify(f).records == 20
    with pytest.raises(AuditError, match="fsync policy"):
        AuditLog(f, fsync="sometimes")  # type: ignore[arg-type]


CHILD = """
import sys
from distillguard.gateway.audit import AuditLog
log = AuditLog(sys.argv[1], fsync_s=0.05).start()
i = 0
while True:
    log.write({"i": i, "pad": "x" * 2000})
    i += 1
    if i % 50 == 0:
        print(i, flush=True)
"""


def test_sigkill_loses_no_written_record(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(f)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    reported = 0
    try:
        for line in proc.stdout:
            reported = int(line)
            if reported >= 3000:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    res = verify(f)
    assert res.ok, res.reason
    # Every record whose write() returned before the kill is in the log ...
    assert res.records >= reported
    # ... and the checkpoint (written at most fsync_s behind) covers a prefix of it.
    assert res.checkpointed <= res.records
    # Reopening continues the chain.
    _write(f, 3)
    again = verify(f)
    assert again.ok, again.reason
    assert again.records == res.records + 3
    code, text = _cli(str(f))
    assert code == 0
    assert "chain intact" in text


def test_keygen_cli(tmp_path: Path) -> None:
    key = tmp_path / "k"
    out = CliRunner().invoke(app, ["audit", "keygen", str(key)])
    assert out.exit_code == 0, out.output
    assert len(load_key(key)) == 32
    again = CliRunner().invoke(app, ["audit", "keygen", str(key)])
    assert again.exit_code != 0
    assert "overwrite" in again.output
    shutil.rmtree(tmp_path)
