"""The red team's generator and mixer: valid logs, deterministic, true to each operation."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from distillguard.ingest import read_events, read_labels, write_events, write_labels
from distillguard.scan import ScanOptions, scan
from distillguard.schema import EVENT_LABEL_SCHEMA, EVENT_SCHEMA, LABEL_SCHEMA
from distillguard_lab.redteam import (
    OPERATIONS,
    RedTeamConfig,
    RedTeamData,
    RedTeamError,
    build_dataset,
    generate,
    generate_all,
    mix,
)
from distillguard_lab.redteam import phrases as ph
from distillguard_lab.redteam.__main__ import main as cli_main
from distillguard_lab.sim.corpus import CORPUS_SCHEMA, Corpus

START = dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC)

# --------------------------------------------------------------------------- a tiny corpus


def _row(text: str, cap: str, kind: str = "benchmark", **kw: Any) -> dict[str, Any]:
    source = {"benchmark": "evals/toy", "chat_turn": "sharegpt"}.get(kind, "toy")
    return {"text": text, "source": kw.pop("source", source), "kind": kind, "capability": cap,
            "language": "en", **kw}  # fmt: skip


@pytest.fixture(scope="module")
def tiny() -> Corpus:
    """A few rows of every kind the operations draw: enough to run with no data packages."""
    rows = [
        _row(f"Compute the sum of the first {n} odd numbers and explain.", "math") for n in range(5)
    ]
    rows += [_row(f"Is it true that all {w} are mortal? Answer YES or NO.", "reasoning")
             for w in ("men", "cats", "trees")]  # fmt: skip
    rows += [
        _row(
            'def add(a, b):\n    """Return a + b for integers 1 and 2."""\n',
            "coding",
            source="human_eval",
        )
    ]
    for k in range(4):
        rows.append(
            _row(f"How do I reverse a linked list in Python, version {k}?", "coding",
                 kind="chat_turn", conversation_id=f"c{k}", turn=0,
                 response="Iterate and flip the next pointers.")
        )  # fmt: skip
        rows.append(
            _row(f"Thanks, and what about a doubly linked list number {k}?", "other",
                 kind="chat_turn", conversation_id=f"c{k}", turn=1, response="Swap both.")
        )  # fmt: skip
    return Corpus(pa.Table.from_pylist(rows, schema=CORPUS_SCHEMA))


SMALL = RedTeamConfig(seed=5, start=START, days=10.0, scale=0.05)


@pytest.fixture(scope="module")
def small(tiny: Corpus) -> RedTeamData:
    return generate_all(SMALL, tiny)


# --------------------------------------------------------------------------- config


def test_config_rejects_bad_values() -> None:
    with pytest.raises(RedTeamError, match="timezone"):
        RedTeamConfig(start=dt.datetime(2026, 3, 2))
    with pytest.raises(RedTeamError, match="scale"):
        RedTeamConfig(scale=0)
    with pytest.raises(RedTeamError, match="twice"):
        RedTeamConfig(operations=("rt-relay", "rt-relay"))
    with pytest.raises(RedTeamError, match="at least one"):
        RedTeamConfig(operations=())


def test_at_least_five_distinct_operations() -> None:
    assert len(OPERATIONS) >= 5
    assert RedTeamConfig().n_operations == len(OPERATIONS)
    assert len({op.title for op in OPERATIONS.values()}) == len(OPERATIONS)


# --------------------------------------------------------------------------- schema


def test_events_and_labels_have_the_schemas(small: RedTeamData) -> None:
    assert small.events.schema.equals(EVENT_SCHEMA)
    assert small.labels.schema.equals(LABEL_SCHEMA)
    assert small.event_labels.schema.equals(EVENT_LABEL_SCHEMA)
    assert small.event_labels["event_id"].to_pylist() == small.events["event_id"].to_pylist()
    ts = small.events["ts"].to_numpy()
    assert (np.diff(ts.astype("int64")) >= 0).all()


def test_events_pass_the_projects_validation(small: RedTeamData, tmp_path: Path) -> None:
    for name in ("events.parquet", "events.jsonl"):
        path = tmp_path / name
        write_events(small.events, path)
        result = read_events([path])
        assert result.quarantined == []
        assert result.table.num_rows == small.events.num_rows
    rows = result.table.num_rows
    assert rows == len(set(small.events["event_id"].to_pylist()))


def test_events_load_into_the_store_through_scan(small: RedTeamData, tmp_path: Path) -> None:
    path = tmp_path / "rt.parquet"
    write_events(small.events, path)
    result = scan([path], ScanOptions(store=tmp_path / "s.duckdb", out=tmp_path / "out"))
    assert result.load.inserted == small.events.num_rows
    assert result.load.quarantined == []
    scanned = set(result.accounts["account_id"].to_pylist())
    assert scanned == set(small.labels["account_id"].to_pylist())


def test_window_and_account_creation(small: RedTeamData) -> None:
    lo, hi = pc.min_max(small.events["ts"]).values()
    assert lo.as_py() >= SMALL.start
    assert hi.as_py() <= SMALL.start + dt.timedelta(days=SMALL.days)
    created = pc.max(
        pc.subtract(small.events["account_created_at"], small.events["ts"]).cast("int64")
    )
    assert created.as_py() < 0  # every account exists before its calls


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_tables(tiny: Corpus, small: RedTeamData) -> None:
    again = generate_all(SMALL, tiny)
    assert again.events.equals(small.events)
    assert again.labels.equals(small.labels)
    assert again.event_labels.equals(small.event_labels)


def test_other_seed_other_tables(tiny: Corpus, small: RedTeamData) -> None:
    other = RedTeamConfig(seed=6, start=START, days=10.0, scale=0.05)
    events, labels = generate(other, tiny)
    assert not set(labels["account_id"].to_pylist()) & set(small.labels["account_id"].to_pylist())
    assert not set(events["event_id"].to_pylist()) & set(small.events["event_id"].to_pylist())


def test_operations_use_separate_streams(tiny: Corpus, small: RedTeamData) -> None:
    """Dropping one operation leaves the others' traffic unchanged."""
    ops = tuple(o for o in SMALL.operations if o != "rt-relay")
    _, labels = generate(
        RedTeamConfig(seed=5, start=START, days=10.0, scale=0.05, operations=ops), tiny
    )
    keep = small.labels.filter(pc.not_equal(small.labels["campaign_id"], "rt-relay"))
    assert labels["account_id"].to_pylist() == keep["account_id"].to_pylist()


# --------------------------------------------------------------------------- labels


def test_labels_cover_exactly_the_attack_accounts(small: RedTeamData) -> None:
    labels = small.labels
    assert set(labels["account_id"].to_pylist()) == set(small.events["account_id"].to_pylist())
    assert labels.num_rows == len(set(labels["account_id"].to_pylist()))
    assert all(labels["is_attack"].to_pylist())
    assert set(labels["role"].to_pylist()) == {"attacker"}
    assert set(labels["campaign_id"].to_pylist()) == set(OPERATIONS)
    per_op = Counter(labels["campaign_id"].to_pylist())
    for op in OPERATIONS:
        assert per_op[op] == SMALL.accounts_of(op)


# --------------------------------------------------------------------------- operations


def by_campaign(data: RedTeamData) -> dict[str, list[dict[str, Any]]]:
    camp = dict(zip(data.labels["account_id"].to_pylist(), data.labels["campaign_id"].to_pylist(),
                    strict=True))  # fmt: skip
    lab = {r["event_id"]: r for r in data.event_labels.to_pylist()}
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data.events.to_pylist():
        row["label"] = lab[row["event_id"]]
        out[camp[row["account_id"]]].append(row)
    return out


def check_operations(data: RedTeamData, full_size: bool) -> None:
    """The stated property of every operation (``full_size``: per-account volumes are the
    configured ones, so volume properties are checked too)."""
    ops = by_campaign(data)
    assert set(ops) == set(OPERATIONS)

    # Multi-turn: conversations of >= 3 calls; later calls carry earlier assistant turns.
    conv: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in ops["rt-socratic"]:
        assert e["conversation_id"]
        conv[e["conversation_id"]].append(e)
    harvest = [c for c in conv.values() if not c[0]["label"]["is_cover"]]
    assert harvest
    assert all(len(c) >= 3 for c in harvest)
    for c in harvest:
        assert [m["role"] for m in c[0]["messages"]] == ["user"]
        for k, e in enumerate(c[1:], start=1):
            turns = Counter(m["role"] for m in e["messages"])
            assert turns["assistant"] == k
            assert turns["user"] == k + 1
            assert e["label"]["elicitation_family"] == "rt_followup_verify"

    # Agentic: tools on every call, tool results and tool-call turns in the trace.
    tool_roles = 0
    for e in ops["rt-toolsmith"]:
        tools = json.loads(e["params"]["tools"])
        assert isinstance(tools, list)
        assert len(tools) >= 4
        assert all(t["type"] == "function" and t["function"]["name"] for t in tools)
        assert json.loads(e["params"]["extra"])["tool_choice"] == "auto"
        tool_roles += any(m["role"] == "tool" for m in e["messages"])
        assert e["conversation_id"]
    assert tool_roles > len(ops["rt-toolsmith"]) / 2

    # Low and slow: <= 15 calls per account, reasoning asked in the system prompt only.
    system_prompts = {v for vs in ph.SYSTEM_REASONING.values() for v in vs}
    per_account = Counter(e["account_id"] for e in ops["rt-drizzle"])
    assert max(per_account.values()) <= 15
    assert min(per_account.values()) >= 5
    for e in ops["rt-drizzle"]:
        roles = [m["role"] for m in e["messages"]]
        assert roles == ["system", "user"]
        assert e["messages"][0]["content"] in system_prompts
        assert e["messages"][1]["content"] not in system_prompts
        p = e["params"] or {}
        assert {k for k, v in p.items() if v is not None} <= {"stream"}
        assert e["account_tier"] == "free"
        assert e["payment_fingerprint"] is None

    # Reseller: few accounts, rotating keys and clients, real chats mixed in.
    relay = ops["rt-relay"]
    accounts = {e["account_id"] for e in relay}
    assert len(accounts) <= max(1, round(OPERATIONS["rt-relay"].accounts * 1.0))
    for a in accounts:
        mine = [e for e in relay if e["account_id"] == a]
        assert len({e["user_agent"] for e in mine}) >= min(10, len(mine) // 4)
        assert len({e["api_key_id"] for e in mine}) >= min(10, len(mine) // 4)
        if full_size:
            assert len(mine) >= OPERATIONS["rt-relay"].requests[0]
    cover = sum(e["label"]["is_cover"] for e in relay) / len(relay)
    assert 0.2 < cover < 0.8

    # Synthetic-data vendor: many samples, hot sampling, logprobs, on every call.
    for e in ops["rt-sampler"]:
        p = e["params"]
        assert p["n"] > 1
        assert p["temperature"] >= 0.8
        assert p["logprobs"] is True
        assert p["top_logprobs"] >= 5
        assert e["account_tier"] in ("research", "edu")
    assert len({e["org_id"] for e in ops["rt-sampler"]}) <= 3

    # Grading: deterministic JSON scoring with rationale.
    for e in ops["rt-assessor"]:
        assert e["params"]["temperature"] == 0.0
        assert json.loads(e["params"]["extra"])["response_format"] == {"type": "json_object"}
        assert e["label"]["capability"] == "grading"

    # Critique-and-rewrite / translation: one user turn carrying a pasted draft.
    for e in ops["rt-refiner"]:
        assert [m["role"] for m in e["messages"]] == ["user"]
        assert e["account_tier"] == "edu"
        assert e["label"]["elicitation_family"] in ("rt_critique_rewrite", "rt_translate_reasoning")

    # Every operation's requests per account stay in the stated range.
    if full_size:
        for op, events in ops.items():
            lo, hi = OPERATIONS[op].requests
            counts = Counter(e["account_id"] for e in events).values()
            # Multi-call items (conversations, trajectories) may overshoot by one item.
            assert min(counts) >= lo, op
            assert max(counts) <= hi + 10, op


def test_operations_have_their_properties_on_a_tiny_corpus(small: RedTeamData) -> None:
    check_operations(small, full_size=True)


def test_ips_are_valid_and_shared_realistically(small: RedTeamData) -> None:
    import ipaddress

    ips = small.events["ip"].to_pylist()
    for ip in set(ips):
        ipaddress.ip_address(ip)
    ops = by_campaign(small)
    # Toolsmith shares cards; drizzle has no payment; the reseller's cards are its own.
    assert len({e["payment_fingerprint"] for e in ops["rt-toolsmith"]}) <= 3
    relay_cards = {e["payment_fingerprint"] for e in ops["rt-relay"]}
    assert len(relay_cards) == len({e["account_id"] for e in ops["rt-relay"]})


# --------------------------------------------------------------------------- mixing


def _fake_background(tiny: Corpus, path: Path) -> RedTeamData:
    """A stand-in background: red-team traffic of another seed relabelled benign."""
    bg = generate_all(
        RedTeamConfig(seed=99, start=START - dt.timedelta(days=1), days=13.0, scale=0.05), tiny
    )
    labels = bg.labels.set_column(1, "is_attack", pa.array([False] * bg.labels.num_rows))
    labels = labels.set_column(2, "campaign_id", pa.nulls(labels.num_rows, pa.string()))
    labels = labels.set_column(3, "role", pa.array(["chat_user"] * labels.num_rows))
    path.mkdir()
    write_events(bg.events, path / "events.parquet")
    write_labels(labels, path / "labels.parquet")
    write_labels(bg.event_labels, path / "event_labels.parquet")
    return RedTeamData(bg.events, labels, bg.event_labels)


def test_mix_merges_sorted_with_simulator_layout(
    tiny: Corpus, small: RedTeamData, tmp_path: Path
) -> None:
    bg = _fake_background(tiny, tmp_path / "bg")
    res = mix(tmp_path / "bg", small.events, small.labels, tmp_path / "out",
              redteam_event_labels=small.event_labels)  # fmt: skip
    names = sorted(p.name for p in res.written)
    assert names == ["event_labels.parquet", "events.parquet", "labels.parquet", "summary.json"]
    events = pq.read_table(tmp_path / "out" / "events.parquet")
    assert events.num_rows == bg.events.num_rows + small.events.num_rows
    assert (np.diff(events["ts"].to_numpy().astype("int64")) >= 0).all()
    labels = read_labels(tmp_path / "out" / "labels.parquet")
    assert labels.num_rows == bg.labels.num_rows + small.labels.num_rows
    el = read_labels(tmp_path / "out" / "event_labels.parquet")
    assert el["event_id"].to_pylist() == events["event_id"].to_pylist()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert set(summary["campaigns"]) == set(OPERATIONS)
    assert summary["attack_accounts"] == small.labels.num_rows


def test_mix_refuses_collisions_and_windows_outside(
    tiny: Corpus, small: RedTeamData, tmp_path: Path
) -> None:
    bg = _fake_background(tiny, tmp_path / "bg")
    with pytest.raises(RedTeamError, match="account ids"):
        mix(tmp_path / "bg", bg.events, small.labels.take([0]).set_column(
            0, "account_id", bg.labels["account_id"].take([0])), tmp_path / "o1")  # fmt: skip
    late = RedTeamConfig(seed=5, start=START + dt.timedelta(days=11), days=3.0, scale=0.05)
    events, labels = generate(late, tiny)
    with pytest.raises(RedTeamError, match="not inside"):
        mix(tmp_path / "bg", events, labels, tmp_path / "o2")
    with pytest.raises(RedTeamError, match="background has no events"):
        mix(tmp_path / "nowhere", small.events, small.labels, tmp_path / "o3")


# --------------------------------------------------------------------------- real corpus


def drizzle_ts(data: RedTeamData) -> pa.ChunkedArray:
    camp = data.labels.filter(pc.equal(data.labels["campaign_id"], "rt-drizzle"))
    mine = pc.is_in(data.events["account_id"], value_set=camp["account_id"])
    return data.events.filter(mine)["ts"]


@pytest.mark.corpus
def test_operations_have_their_properties_on_the_real_corpus(corpus: Corpus) -> None:
    data = generate_all(RedTeamConfig(seed=1, scale=0.1), corpus)
    check_operations(data, full_size=True)
    # Tasks are real corpus prompts: the bare user turns of drizzle are corpus texts.
    texts = set(corpus.texts)
    ops = by_campaign(data)

    def from_corpus(content: str) -> bool:
        # A benchmark item may come after its benchmark's instructions.
        parts = content.split("\n\n")
        return any("\n\n".join(parts[i:]) in texts for i in range(len(parts)))

    assert all(from_corpus(e["messages"][1]["content"]) for e in ops["rt-drizzle"])
    # Vendors paraphrase: most sampler prompts are not verbatim corpus items.
    verbatim = sum(e["messages"][0]["content"] in texts for e in ops["rt-sampler"])
    assert verbatim < 0.5 * len(ops["rt-sampler"])
    # Low-and-slow accounts spread over more than a week of the window.
    lo, hi = pc.min_max(drizzle_ts(data)).values()
    assert (hi.as_py() - lo.as_py()).days >= 7


@pytest.mark.corpus
def test_build_dataset_end_to_end(corpus: Corpus, tmp_path: Path) -> None:
    res = build_dataset(7, tmp_path / "mix", events=3_000, corpus=corpus)
    labels = read_labels(tmp_path / "mix" / "labels.parquet")
    ids = labels["account_id"].to_pylist()
    assert len(ids) == len(set(ids))  # no benign account id collides with a red-team one
    attack = labels.filter(labels["is_attack"])
    assert set(attack["campaign_id"].to_pylist()) == set(OPERATIONS)
    events = read_events([tmp_path / "mix" / "events.parquet"])
    assert events.quarantined == []
    assert set(events.table["account_id"].to_pylist()) <= set(ids)
    assert res.summary["attack_accounts"] == attack.num_rows
    assert not any(p.name.startswith(".background") for p in (tmp_path / "mix").iterdir())


@pytest.mark.corpus
def test_cli_writes_the_mixed_data_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["--seed", "8", "--out", str(tmp_path / "m"), "--events", "2000",
                     "--operations", "rt-drizzle", "rt-relay"])  # fmt: skip
    assert code == 0
    assert "rt-drizzle" in capsys.readouterr().out
    labels = read_labels(tmp_path / "m" / "labels.parquet")
    camps = set(pc.drop_null(labels["campaign_id"]).to_pylist())
    assert camps == {"rt-drizzle", "rt-relay"}
    assert cli_main(["--seed", "8", "--out", str(tmp_path / "x"), "--events", "0"]) == 2
