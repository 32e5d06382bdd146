"""What a new user meets first: the README's commands, run in a copy of the working tree.

The copy holds what a clone would (tracked files and files git does not ignore) plus
a link to this environment's ``.venv``, which ``bash scripts/setup.sh`` makes; the
setup itself needs the package registries and is not run (its apt line is checked).
Every command is the README's own line, read from the README and run as a real
process: the demo and the Example exactly as written (with the prompt corpus cached,
each takes seconds to tens of seconds on two cores), the gateway block as written but
on free ports.  After each, ``git status`` in the copy must show nothing new:
everything written lies under an ignored folder.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from distillguard.gateway.keys import load_keys
from tests.gateway.conftest import free_port

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
#: Bounds, not measurements: each command normally takes a small fraction of these.
COMMAND_TIMEOUT_S = 600
GATEWAY_TIMEOUT_S = 120


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A copy of the working tree as a clone would have it, with the environment's .venv."""
    dest = tmp_path / "distillguard"
    names = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, names.split("\0")):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(Path(sys.prefix))
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    return dest


def _untracked(repo: Path) -> list[str]:
    """Files the commands wrote that git would offer to commit (none: all are ignored)."""
    status = _git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    return [line for line in status if line.startswith("??")]


def _run(line: str, cwd: Path) -> str:
    proc = subprocess.run(
        ["bash", "-c", line],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        env={**os.environ, "COLUMNS": "120"},
        check=False,
    )
    assert proc.returncode == 0, f"{line}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _block(after: str, lang: str) -> str:
    """The first fenced ``lang`` block in the README after the text ``after``."""
    start = README.index(after)
    match = re.compile(rf"```{lang}\n(.*?)```", re.S).search(README, start)
    assert match is not None, f"no {lang} block after {after!r}"
    return match.group(1)


def test_the_readme_starts_with_setup_then_demo() -> None:
    assert "bash scripts/setup.sh && .venv/bin/distillguard demo" in _block("Two commands", "bash")
    assert "docs/getting-started.md" in README
    assert (REPO / "docs" / "getting-started.md").is_file()


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.usefixtures("corpus")
def test_demo_ends_by_listing_every_output_report_index_first(clone: Path) -> None:
    line = _block("Two commands", "bash").splitlines()[1]
    demo = line.split("&&")[1].strip()
    assert demo == ".venv/bin/distillguard demo"
    out = _run(demo, clone)
    tail = out[out.rindex("\noutputs\n") :].strip().splitlines()
    listed = [re.split(r"\s{2,}", row.strip()) for row in tail[1:] if row.startswith("  ")]
    assert listed[0][:2] == ["report index", "runs/demo/scan/reports/index.html"], tail
    whats = [row[0] for row in listed]
    for what in ("accounts", "campaigns", "store", "simulated logs", "evaluation"):
        assert what in whats, tail
    for row in listed:
        for path in row[1].split(", "):
            assert (clone / path).is_file(), (path, tail)
    assert tail[-2].startswith("done in "), tail
    assert "docs/getting-started.md" in tail[-1]
    assert _untracked(clone) == []


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.usefixtures("corpus")
def test_readme_example_runs_and_writes_under_one_ignored_folder(clone: Path) -> None:
    lines = [ln[2:] for ln in _block("## Example", "console").splitlines() if ln.startswith("$ ")]
    assert [shlex.split(ln)[1] for ln in lines] == ["simulate", "scan", "eval"]
    outputs = [_run(ln, clone) for ln in lines]
    assert "report index" in outputs[1]
    assert "ROC AUC" in outputs[2]
    # The signal development report is behind --dev-report.
    assert "DEVELOPMENT DATA" not in outputs[2]
    assert (clone / "runs" / "example" / "eval.json").is_file()
    assert _untracked(clone) == []


def _stop_group(pgid: int) -> None:
    """SIGTERM the README's background processes (their own process group) and wait."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + GATEWAY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pgid, signal.SIGKILL)


def test_readme_gateway_example_answers_as_written(clone: Path, tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        reason = "curl is not installed (the README's gateway example uses it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    block = _block("In front of a model server", "bash")
    assert len(re.findall(r"\b8001\b", block)) == 2
    assert "--port 8000" in block
    script = re.sub(r"\b8001\b", str(free_port()), block)
    script = re.sub(r"\b8000\b", str(free_port()), script)
    # Files, not pipes: the `&` lines keep their output open after the script ends.
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        # Its own session: the background lines are stopped as one process group.
        proc = subprocess.Popen(
            ["bash", "-e", "-c", script], cwd=clone, stdout=out, stderr=err,
            start_new_session=True,
        )  # fmt: skip
        try:
            code = proc.wait(timeout=GATEWAY_TIMEOUT_S)
        finally:
            _stop_group(proc.pid)
    printed = out_path.read_text(encoding="utf-8")
    assert code == 0, f"{printed}\n{err_path.read_text(encoding='utf-8')}"
    answer = printed[printed.index('{"id"') :]
    assert '"object":"chat.completion"' in answer, printed
    assert '"choices"' in answer
    keys = load_keys(clone / "runs" / "gateway" / "keys.csv")
    assert sorted(k.account_id for k in keys.values()) == ["alice", "bob"]
    verify = _run(".venv/bin/distillguard audit verify runs/gateway/audit.jsonl", clone)
    assert verify.startswith("OK:"), verify
    assert _untracked(clone) == []


def test_setup_installs_system_packages_without_recommended_ones() -> None:
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    subprocess.run(["bash", "-n", str(REPO / "scripts" / "setup.sh")], check=True)
    installs = [ln for ln in setup.splitlines() if "apt-get install" in ln]
    assert installs
    assert all("--no-install-recommends" in ln for ln in installs)
    assert 'missing="$missing chromium"' in setup
    assert 'missing="$missing redis-server"' in setup
