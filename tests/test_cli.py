"""The command line: help everywhere, real work, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from distillguard.cli import app

runner = CliRunner()

COMMANDS = [
    [],
    ["simulate"],
    ["validate"],
    ["scenarios"],
    ["demo"],
    ["data"],
    ["data", "fetch"],
    ["data", "info"],
]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_every_command_has_help(cmd: list[str]) -> None:
    result = runner.invoke(app, [*cmd, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "distillguard 0." in result.output


def test_scenarios_lists_the_shipped_ones() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for name in ("easy", "standard", "stealth", "mixed"):
        assert name in result.output
    shown = runner.invoke(app, ["scenarios", "stealth"])
    assert shown.exit_code == 0
    assert "shade" in shown.output


def test_bad_scenario_file_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndescription: y\nevents: ten\npopulations: []\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate", "--scenario", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"{bad}:3: field events: expected an integer" in result.output
    assert "Traceback" not in result.output


@pytest.mark.corpus
@pytest.mark.usefixtures("corpus")
def test_simulate_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--scenario",
            "easy",
            "--seed",
            "3",
            "--events",
            "3000",
            "--out",
            str(out),
            "--jsonl",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "loud-1" in result.output
    for name in (
        "events.parquet",
        "labels.parquet",
        "event_labels.parquet",
        "events.jsonl",
        "summary.json",
    ):
        assert (out / name).exists(), name
    assert pq.read_metadata(out / "events.parquet").num_rows == 3000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["events"] == 3000

    q = tmp_path / "q.jsonl"
    result = runner.invoke(
        app, ["validate", str(out / "events.parquet"), "--quarantine", str(q), "--json"]
    )
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["good"] == 3000
    assert counts["quarantined"] == 0


def test_validate_quarantines_bad_rows_and_keeps_good_ones(tmp_path: Path) -> None:
    good = {
        "event_id": "e1",
        "ts": "2026-03-01T10:00:00Z",
        "account_id": "a",
        "model": "m",
        "messages": [{"role": "user", "content": "hello"}],
    }
    rows = [
        good,
        {**good, "event_id": "e2", "ts": "yesterday"},
        {**good, "event_id": "e3", "ip": "999.1.1.1"},
        {**good, "event_id": "e4"},
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    q = tmp_path / "q.jsonl"
    result = runner.invoke(app, ["validate", str(path), "--quarantine", str(q), "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert (counts["good"], counts["quarantined"]) == (2, 3)
    records = [json.loads(line) for line in q.read_text().splitlines()]
    assert [(r["row"], r["field"]) for r in records] == [(2, "ts"), (3, "ip"), (5, "line")]
    assert all(r["file"] == str(path) for r in records)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such file"),
        (b"PAR1\x00\x00garbage", "Parquet"),
        (b'{"event_id": "x", "content": "caf\xe9"}\n', "UTF-8"),
    ],
)
def test_unreadable_files_are_one_line_errors(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / ("log.parquet" if content and content.startswith(b"PAR1") else "log.jsonl")
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["validate", str(path), "--quarantine", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output
    assert words.lower() in result.output.lower()
    assert "Traceback" not in result.output


def test_real_process_exit_code_and_stderr(tmp_path: Path) -> None:
    missing = tmp_path / "missing.parquet"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "distillguard",
            "validate",
            str(missing),
            "--quarantine",
            str(tmp_path / "q"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "error:" in proc.stderr
    assert "Traceback" not in proc.stderr
