"""What a script can rely on from `scan`: exit codes, one-line messages, nothing left behind.

Real processes where the exit status and stderr are the point (no test runner in
between), the test runner elsewhere.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillguard.cli import app
from distillguard.ingest import read_quarantine

runner = CliRunner()

GOOD: dict[str, object] = {
    "event_id": "e1",
    "ts": "2026-03-01T10:00:00Z",
    "account_id": "acct-1",
    "model": "m",
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
}


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distillguard", "scan", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_missing_input_exits_2_and_leaves_no_store(tmp_path: Path) -> None:
    store, out = tmp_path / "s.duckdb", tmp_path / "out"
    good = _jsonl(tmp_path / "good.jsonl", [GOOD])
    proc = _scan(str(good), str(tmp_path / "missing.parquet"), "--store", str(store),
                 "--out", str(out))  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"error: {tmp_path / 'missing.parquet'}: no such file"
    assert list(tmp_path.iterdir()) == [good]


def test_a_scan_where_every_row_is_quarantined_exits_2_with_the_quarantine_file(
    tmp_path: Path,
) -> None:
    store, out = tmp_path / "s.duckdb", tmp_path / "out"
    bad = _jsonl(
        tmp_path / "bad.jsonl",
        [{**GOOD, "event_id": f"e{i}", "ts": "yesterday"} for i in range(3)],
    )
    proc = _scan(str(bad), "--store", str(store), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one line, no warnings from empty arithmetic
    assert lines[0].startswith(f"error: {bad}: no valid rows to scan: quarantined 3 of 3 rows")
    assert "field ts" in lines[0]
    assert lines[0].endswith(f"in {out / 'quarantine.jsonl'}")
    assert [r.row for r in read_quarantine(out / "quarantine.jsonl")] == [1, 2, 3]
    assert not store.exists()


def test_an_existing_store_is_kept_when_a_new_file_has_no_valid_row(tmp_path: Path) -> None:
    store, out = tmp_path / "s.duckdb", tmp_path / "out"
    first = runner.invoke(app, ["scan", str(_jsonl(tmp_path / "a.jsonl", [GOOD])),
                                "--store", str(store), "--out", str(out), "-q"])  # fmt: skip
    assert first.exit_code == 0, first.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(empty), "--store", str(store), "--out", str(out)])
    assert result.exit_code == 2
    assert "no rows to scan: the input is empty" in result.output
    assert store.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("log.csv", b"event_id,ts,account_id,model,prompt\ne1,2026-03-01T10:00:00Z,a,m,hi\n"),
        ("log.csv.gz", gzip.compress(b"event_id,ts,account_id\ne1,2026-03-01,a\n")),
    ],
)
def test_an_unrecognised_format_names_the_formats_that_are_read(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    store = tmp_path / "s.duckdb"
    proc = _scan(str(path), "--store", str(store), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    message = proc.stderr.strip()
    assert message.startswith(f"error: {path}:1: not a log format distillguard reads")
    for fmt in ("Parquet", "JSON Lines", "OpenAI-style request records", "gzipped"):
        assert fmt in message
    assert not store.exists()


def test_quarantined_rows_are_summarised_in_one_line_with_the_file(tmp_path: Path) -> None:
    store, out = tmp_path / "s.duckdb", tmp_path / "out"
    log = _jsonl(
        tmp_path / "log.jsonl",
        [GOOD, {**GOOD, "event_id": "e2", "ip": "999.1.1.1"}, {**GOOD, "event_id": "e3"}],
    )
    proc = _scan(str(log), "--store", str(store), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "warning: quarantined 1 of 3 rows (1 field ip: "
        + read_quarantine(out / "quarantine.jsonl")[0].reason
        + f"); each with file, row, field and reason in {out / 'quarantine.jsonl'}"
    ]
