"""The batch job end to end through the CLI: simulate, scan, eval, calibrate, train."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from distillguard.cli import app

pytestmark = [pytest.mark.corpus, pytest.mark.usefixtures("corpus")]
runner = CliRunner()

REQUIRED_EVAL_KEYS = {
    "roc_auc", "tpr_at_fpr_0.001", "tpr_at_fpr_0.01", "precision", "recall",
    "fpr_by_role", "recall_by_campaign",
    "campaigns_found", "campaign_purity", "benign_groups_flagged",
}  # fmt: skip


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    result = runner.invoke(
        app,
        [
            "simulate",
            "--scenario",
            "standard",
            "--seed",
            "77",
            "--events",
            "15000",
            "--out",
            str(out),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def invoke(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_scan_is_idempotent_and_writes_every_format(sim: Path, tmp_path: Path) -> None:
    store, out = tmp_path / "s.duckdb", tmp_path / "out"
    args = ["scan", str(sim / "events.parquet"), "--store", str(store), "--out", str(out),
            "--format", "json", "--format", "csv"]  # fmt: skip
    first = invoke(args)
    assert "loaded 15,000 new events" in first
    assert "top " in first
    again = invoke(args)
    assert "loaded 0 new events (15,000 already stored" in again
    accounts = pq.read_table(out / "accounts.parquet")
    for col in ("account_id", "risk", "score", "verdict", "reasons", "cot_share", "template_share"):
        assert col in accounts.column_names
    assert set(accounts.column("verdict").to_pylist()) <= {"allow", "watch", "restrict", "block"}
    assert len(json.loads((out / "accounts.json").read_text())) == accounts.num_rows
    assert (out / "accounts.csv").read_text().startswith("account_id,")


def test_eval_reports_the_documented_keys(sim: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    invoke(
        [
            "scan",
            str(sim / "events.parquet"),
            "--store",
            str(tmp_path / "s.duckdb"),
            "--out",
            str(out),
            "-q",
        ]
    )
    report = tmp_path / "eval.json"
    accounts = str(out / "accounts.parquet")
    labels = str(sim / "labels.parquet")
    text = invoke(["eval", "--labels", labels, "--accounts", accounts, "--json", str(report)])
    assert "ROC AUC" in text
    # The metrics, and not the signal development report (behind --dev-report).
    assert "DEVELOPMENT DATA" not in text
    data = json.loads(report.read_text())
    assert set(data) >= REQUIRED_EVAL_KEYS
    assert data["roc_auc"] > 0.9
    assert set(data["recall_by_campaign"]) == {"orion", "lyra", "vega", "draco"}
    assert data["benign_groups_flagged"] == 0
    assert "signals" not in data
    assert 0 <= data["campaigns_found"] <= 1


def test_eval_dev_report_adds_the_signal_development_data(sim: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    invoke(["scan", str(sim / "events.parquet"), "--store", str(tmp_path / "s.duckdb"),
            "--out", str(out), "-q"])  # fmt: skip
    report = tmp_path / "eval.json"
    labels, accounts = str(sim / "labels.parquet"), str(out / "accounts.parquet")
    text = invoke(
        ["eval", "--labels", labels, "--accounts", accounts, "--json", str(report), "--dev-report"]
    )
    assert text.index("ROC AUC") < text.index("DEVELOPMENT DATA")
    assert json.loads(report.read_text())["signals"]["cot_elicitation"]["threshold"] > 0


def test_scan_writes_campaigns_and_the_campaigns_command_rewrites_them(
    sim: Path, tmp_path: Path
) -> None:
    store, out = tmp_path / "s.duckdb", tmp_path / "out"
    text = invoke(["scan", str(sim / "events.parquet"), "--store", str(store), "--out", str(out)])
    assert "campaign" in text
    camps = pq.read_table(out / "campaigns.parquet")
    accounts = pq.read_table(out / "accounts.parquet")
    assert "campaign_id" in accounts.column_names
    ids, cids = accounts["account_id"].to_pylist(), accounts["campaign_id"].to_pylist()
    members = {a for a, c in zip(ids, cids, strict=True) if c}
    assert members == {a for row in camps["accounts"].to_pylist() for a in row}
    assert (out / "reports" / "index.html").exists()
    assert len(list((out / "reports").glob("cmp_*.html"))) == camps.num_rows
    again = tmp_path / "again"
    invoke(["campaigns", "--store", str(store), "--out", str(again), "--no-reports"])
    assert pq.read_table(again / "campaigns.parquet").equals(camps)
    assert not (again / "reports").exists()


def test_campaigns_without_a_store_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["campaigns", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "no such store" in result.output


def test_signals_command_writes_one_row_per_event(sim: Path, tmp_path: Path) -> None:
    out = tmp_path / "signals.parquet"
    invoke(["signals", str(sim / "events.parquet"), "--out", str(out)])
    table = pq.read_table(out)
    assert table.num_rows == 15_000
    for col in ("event_id", "account_id", "cot_elicitation", "cot_elicitation_score", "capability"):
        assert col in table.column_names
    assert "cot_elicitation" in invoke(["signals", "--list", str(sim / "events.parquet")])


def test_calibrate_then_train_then_scan_with_them(sim: Path, tmp_path: Path) -> None:
    cal = tmp_path / "cal.json"
    invoke(["calibrate", str(sim / "events.parquet"), "--out", str(cal)])
    assert set(json.loads(cal.read_text())["thresholds"]) == {"watch", "restrict", "block"}
    # An operator's own block rule survives a recalibration that names its file.
    doc = json.loads(cal.read_text())
    doc["block_evidence"] = {"min_requests": 50, "independent": ["intel"]}
    cal.write_text(json.dumps(doc))
    cal2 = tmp_path / "cal2.json"
    invoke(["calibrate", str(sim / "events.parquet"), "--block-rule-from", str(cal),
            "--out", str(cal2)])  # fmt: skip
    assert json.loads(cal2.read_text())["block_evidence"] == doc["block_evidence"]
    model = tmp_path / "model.json"
    invoke(
        [
            "train",
            str(sim / "events.parquet"),
            "--labels",
            str(sim / "labels.parquet"),
            "--out",
            str(model),
        ]
    )
    assert json.loads(model.read_text())["weights"]["cot"] > 0
    for flag, path in (("--calibration", cal), ("--model", model)):
        out = tmp_path / flag.strip("-")
        invoke(["scan", str(sim / "events.parquet"), "--store", str(tmp_path / f"{flag}.duckdb"),
                "--out", str(out), flag, str(path), "-q"])  # fmt: skip
        assert pq.read_metadata(out / "accounts.parquet").num_rows > 0


def test_scan_of_a_broken_file_is_an_error_and_stores_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really parquet")
    result = runner.invoke(
        app, ["scan", str(bad), "--store", str(tmp_path / "s.duckdb"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert str(bad) in result.output
    assert "Traceback" not in result.output


def test_scan_json_summary_is_the_whole_of_stdout(sim: Path, tmp_path: Path) -> None:
    text = invoke(["scan", str(sim / "events.parquet"), "--store", str(tmp_path / "s.duckdb"),
                   "--out", str(tmp_path / "out"), "--no-reports", "--json", "-"])  # fmt: skip
    doc = json.loads(text)
    assert doc["events_inserted"] == 15_000
    assert sum(doc["verdicts"].values()) == doc["accounts"] > 0
    assert doc["campaigns"] is not None
    assert {"load_s", "profiles_s", "score_s", "campaigns_s", "total_s"} <= set(doc["timings_s"])
    assert str(tmp_path / "out" / "accounts.parquet") in doc["outputs"]
    # To a file, beside the usual output; a second load of the same file adds nothing.
    out = tmp_path / "run.json"
    invoke(["scan", str(sim / "events.parquet"), "--store", str(tmp_path / "s.duckdb"),
            "--out", str(tmp_path / "out"), "--no-reports", "--json", str(out), "-q"])  # fmt: skip
    again = json.loads(out.read_text(encoding="utf-8"))
    assert again["events_inserted"] == 0
    assert again["events_already_stored"] == 15_000
