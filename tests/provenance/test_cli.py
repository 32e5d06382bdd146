"""``distillguard watermark ...`` end to end, on a tiny model and tokenizer built here.

The ``watermark`` group is added to a fresh Typer app the way ``distillguard.cli``
adds it, so these tests do not depend on the rest of the main app.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from distillguard.cli.watermark import wm_app
from distillguard.helpformat import App
from distillguard.provenance.keys import ProviderSecret

from ._sim import Bigram

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = App(help="test app")
    a.add_typer(wm_app, name="watermark")
    return a


@pytest.fixture
def key_file(tmp_path: Path, app: typer.Typer) -> Path:
    path = tmp_path / "wm.yaml"
    res = runner.invoke(
        app, ["watermark", "keygen", str(path), "--id", "wm1", "--scope", "account"]
    )
    assert res.exit_code == 0, res.output
    return path


def _records(path: Path, seqs: list[np.ndarray], account: str | None = None) -> Path:
    with path.open("w") as fh:
        for s in seqs:
            fh.write(json.dumps({"tokens": s.tolist(), "account_id": account}) + "\n")
    return path


def test_keygen_writes_an_owner_only_secret(key_file: Path, app: typer.Typer) -> None:
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = runner.invoke(app, ["watermark", "keygen", str(key_file), "--id", "x"])
    assert again.exit_code == 2
    assert "refusing to overwrite" in again.output


def test_detect_token_records_with_report(tmp_path: Path, key_file: Path, app: typer.Typer) -> None:
    secret = ProviderSecret.load(key_file)
    model, rng = Bigram(seed=1), np.random.default_rng(1)
    marked = model.generate_many(rng, 3, 150, secret.derive("account", "a1"))
    clean = model.generate_many(rng, 3, 150)
    inp = _records(tmp_path / "texts.jsonl", marked + clean)
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    res = runner.invoke(
        app,
        ["watermark", "detect", str(inp), "--key", str(key_file), "--account", "a1",
         "--json", str(out), "--report", str(html)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    got = json.loads(out.read_text())
    assert [t["watermarked"] for t in got["texts"]] == [True] * 3 + [False] * 3
    page = html.read_text()
    # Self-contained: plotly.js inline, no script fetched from anywhere.
    assert "<script src" not in page
    assert "Plotly" in page


def test_detect_needs_the_account_of_an_account_key(
    tmp_path: Path, key_file: Path, app: typer.Typer
) -> None:
    inp = _records(tmp_path / "t.jsonl", [np.arange(20)])
    res = runner.invoke(app, ["watermark", "detect", str(inp), "--key", str(key_file)])
    assert res.exit_code == 2
    assert "pass --account" in res.output


def test_words_need_a_tokenizer(tmp_path: Path, key_file: Path, app: typer.Typer) -> None:
    (tmp_path / "a.txt").write_text("w1 w2 w3")
    res = runner.invoke(
        app,
        ["watermark", "detect", str(tmp_path / "a.txt"), "--key", str(key_file), "--account", "a"],
    )
    assert res.exit_code == 2
    assert "--tokenizer" in res.output


def test_attribute_a_dataset_and_share_it(tmp_path: Path, key_file: Path, app: typer.Typer) -> None:
    secret = ProviderSecret.load(key_file)
    ids = [f"acct-{i}" for i in range(200)]
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
    model, rng = Bigram(seed=2), np.random.default_rng(2)
    seqs = model.generate_many(rng, 4, 150, secret.derive("account", "acct-17"))
    seqs += model.generate_many(rng, 10, 150)
    data = _records(tmp_path / "leak.jsonl", seqs)
    out, bundle = tmp_path / "a.json", tmp_path / "b.json"
    res = runner.invoke(
        app,
        ["watermark", "attribute", "--key", str(key_file), "--accounts", str(tmp_path / "ids.txt"),
         "--data", str(data), "--json", str(out), "--stix", str(bundle),
         "--report", str(tmp_path / "a.html")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["attributed"] == ["acct-17"]
    text = bundle.read_text()
    assert "acct-17" not in text
    assert secret.secret.hex() not in text
    assert json.loads(text)["objects"][-1]["x_distillguard_provenance"]["attributed"] == 1


def test_provenance_of_a_model_folder(
    tmp_path: Path, torch_mod: ModuleType, tiny_model_dir: Path, tiny_tokenizer: Any,
    key_file: Path, app: typer.Typer,
) -> None:  # fmt: skip
    contexts = tmp_path / "served.jsonl"
    with contexts.open("w") as fh:
        for i in range(5):
            fh.write(
                json.dumps({"response": " ".join(f"w{(i * 7 + j) % 250}" for j in range(40))})
                + "\n"
            )
    out = tmp_path / "p.json"
    res = runner.invoke(
        app,
        ["watermark", "provenance", "--key", str(key_file), "--account", "a", "--model",
         str(tiny_model_dir), "--contexts", str(contexts), "--json", str(out),
         "--stix", str(tmp_path / "s.json"), "--report", str(tmp_path / "p.html")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    got = json.loads(out.read_text())
    # A random model never saw the watermark: a valid test does not call it radioactive.
    assert got["test"] == "open-weight"
    assert not got["radioactive"]
    assert got["n_scored"] > 50


def test_missing_model_is_one_line(tmp_path: Path, key_file: Path, app: typer.Typer) -> None:
    (tmp_path / "c.jsonl").write_text(json.dumps({"tokens": [1, 2, 3]}) + "\n")
    res = runner.invoke(
        app,
        ["watermark", "provenance", "--key", str(key_file), "--account", "a",
         "--model", str(tmp_path / "nope"), "--contexts", str(tmp_path / "c.jsonl")],
    )  # fmt: skip
    assert res.exit_code == 2
    assert "model not found" in res.output
