"""`distillguard keys`: a keys table the gateway reads, from names or from a file."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from distillguard.cli import app
from distillguard.gateway.keys import load_keys

runner = CliRunner()


def _keys(*args: str) -> str:
    result = runner.invoke(app, ["keys", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_named_accounts_get_distinct_random_keys_and_keep_them(tmp_path: Path) -> None:
    out = tmp_path / "gw" / "keys.csv"
    assert "wrote 2 keys" in _keys("alice", "bob", "--out", str(out))
    first = load_keys(out)
    assert sorted(k.account_id for k in first.values()) == ["alice", "bob"]
    assert len(set(first)) == 2
    assert all(key.startswith("sk-dg-") and len(key) == 38 for key in first)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # Adding an account keeps the keys already handed out.
    assert "(1 new, 2 kept)" in _keys("bob", "carol", "--out", str(out))
    again = load_keys(out)
    assert set(first) < set(again)
    assert sorted(k.account_id for k in again.values()) == ["alice", "bob", "carol"]


def test_accounts_from_a_log_carry_org_tier_and_signup_time(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    rows = [
        {"event_id": f"e{i}", "ts": f"2026-03-0{i + 1}T10:00:00Z", "account_id": a,
         "org_id": "org-1", "account_tier": "edu", "account_created_at": "2026-02-27T08:00:00Z",
         "model": "m", "prompt": "hello"}
        for i, a in enumerate(["acct-1", "acct-2", "acct-1"])
    ]  # fmt: skip
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "keys.parquet"
    _keys("--from", str(log), "--out", str(out))
    infos = {k.account_id: k for k in load_keys(out).values()}
    assert set(infos) == {"acct-1", "acct-2"}
    assert infos["acct-1"].org_id == "org-1"
    assert infos["acct-1"].tier == "edu"
    assert infos["acct-1"].created_at == dt.datetime(2026, 2, 27, 8, tzinfo=dt.UTC)


def test_accounts_from_a_scans_accounts_table(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.parquet"
    pq.write_table(
        pa.table({"account_id": ["a", "b"], "risk": [0.9, 0.1], "tier": ["free", None]}), accounts
    )
    out = tmp_path / "keys.csv"
    _keys("--from", str(accounts), "extra", "--out", str(out))
    infos = {k.account_id: k for k in load_keys(out).values()}
    assert set(infos) == {"a", "b", "extra"}
    assert infos["a"].tier == "free"
    assert infos["b"].tier is None


def test_no_accounts_or_a_bad_table_name_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["keys", "--out", str(tmp_path / "keys.csv")])
    assert result.exit_code == 2
    assert "no accounts" in result.output
    result = runner.invoke(app, ["keys", "alice", "--out", str(tmp_path / "keys.txt")])
    assert result.exit_code == 2
    assert "keys.txt: a keys table is .csv or .parquet" in result.output
    assert not list(tmp_path.iterdir())
