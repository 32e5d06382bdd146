"""The informed red team: registry conformance, valid logs, costs, and adaptation that
really happens against the installed detector (checked through the product's API)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from scipy.stats import ks_2samp  # type: ignore[import-untyped]

from distillguard.datafile import DataFileError
from distillguard.ingest import read_events, write_events
from distillguard.schema import EVENT_LABEL_SCHEMA, EVENT_SCHEMA, LABEL_SCHEMA
from distillguard.scoring.risk import Calibration
from distillguard.signals import EventBatch, create
from distillguard_lab.redteam.informed import (
    REGISTRY,
    Content,
    Context,
    InformedConfig,
    InformedData,
    InformedError,
    Run,
    Strategy,
    available,
    generate_informed,
    register,
)
from distillguard_lab.redteam.informed import create as create_strategy
from distillguard_lab.redteam.informed.benign import DEFAULT_ROLES, BenignModel
from distillguard_lab.redteam.informed.detector import Detector
from distillguard_lab.redteam.informed.events import Identity
from distillguard_lab.redteam.informed.tasks import TaskPool, quiet_pool
from distillguard_lab.redteam.informed.wording import DATA_FILE, load_phrases
from distillguard_lab.redteam.mix import BACKGROUND_SCENARIO, mix
from distillguard_lab.sim.corpus import Corpus
from distillguard_lab.sim.run import run_simulation

pytestmark = pytest.mark.corpus

#: Small and quick: a few accounts per strategy, one wave, two self-scans at most.
SMALL: dict[str, Any] = {"waves": 1, "rounds": 1, "search_budget": 200}
SCALE = 0.015
ADAPTIVE = [n for n in available() if REGISTRY[n].adaptive]


# --------------------------------------------------------------------------- registry


def test_registry_conformance() -> None:
    names = available()
    assert len(names) >= 6
    assert "naive" in names
    assert "hydra" in names
    for name in names:
        cls = REGISTRY[name]
        assert name.isidentifier()
        assert name == name.lower()
        assert cls.name == name
        assert cls.description
        assert isinstance(cls.adapts_to, tuple)
        assert dataclasses.is_dataclass(cls)
        for f in dataclasses.fields(cls):
            has_default = f.default is not dataclasses.MISSING
            assert has_default or f.default_factory is not dataclasses.MISSING, (name, f.name)
        strategy = create_strategy(name)
        assert isinstance(strategy, Strategy)
        assert strategy.check() == []
        # Only adaptive strategies are told about the detector.
        assert bool(cls.adapts_to) == cls.adaptive, name
    with pytest.raises(InformedError, match="unknown strategy"):
        create_strategy("nope")
    with pytest.raises(ValueError, match="registered twice"):

        @register
        @dataclasses.dataclass
        class Again(Strategy):
            name = "reworded"
            description = "x"
            adapts_to = ()

            def contents(
                self, ctx: Context, run: Run, idents: Sequence[Identity], tasks: Sequence[str]
            ) -> list[Content | None]:
                return []


def test_bad_parameters_are_refused() -> None:
    assert create_strategy("reworded", cover_share=1.5).check()[0][0] == "cover_share"
    assert create_strategy("hydra", min_requests=9, max_requests=3).check()[0][0] == "min_requests"
    with pytest.raises(InformedError, match="twice"):
        InformedConfig(strategies=("naive", "naive")).names()


def test_wording_file_is_validated(tmp_path: Path) -> None:
    ph = load_phrases()
    assert set(ph.languages) <= set(ph.intents)
    text = DATA_FILE.read_text(encoding="utf-8").replace("{task}\\n\\n{ask}", "{task} only", 1)
    bad = tmp_path / "informed.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"layouts\[0\]"):
        load_phrases(bad)


# --------------------------------------------------------------------------- generation


@pytest.fixture(scope="module")
def background(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("informed-bg")
    run_simulation(str(BACKGROUND_SCENARIO), seed=11, events=6_000, out=out, jsonl=False,
                   progress=False)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def small_corpus(corpus: Corpus) -> Corpus:
    """A sample of the corpus: a few thousand tasks, a few hundred whole conversations."""
    rng = np.random.default_rng(0)
    t = corpus.table
    cap = t["capability"].to_numpy(zero_copy_only=False)
    tasks = np.flatnonzero(np.isin(cap, ["coding", "math", "reasoning"]))
    convs = corpus.conversations()
    picked = rng.choice(len(convs), size=min(300, len(convs)), replace=False)
    rows = np.concatenate(
        [rng.choice(tasks, size=min(2_500, len(tasks)), replace=False)]
        + [convs.rows(int(k)) for k in picked]
    )
    return Corpus(t.take(pa.array(np.unique(rows))))


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> Detector:
    """One handle on the installed detector (its probe scores are cached)."""
    return Detector(workdir=tmp_path_factory.mktemp("selfscan"))


@pytest.fixture(scope="module")
def data(small_corpus: Corpus, background: Path, detector: Detector) -> InformedData:
    cfg = InformedConfig(
        seed=5, scale=SCALE, params={n: SMALL for n in available() if REGISTRY[n].adaptive}
    )
    return generate_informed(
        cfg,
        small_corpus,
        pq.read_table(background / "events.parquet"),
        pq.read_table(background / "labels.parquet"),
        detector=detector,
    )


def _of(data: InformedData, name: str) -> tuple[pa.Table, pa.Table, pa.Table]:
    ids = data.labels.filter(pc.equal(data.labels["campaign_id"], name))["account_id"]
    ev = data.events.filter(pc.is_in(data.events["account_id"], value_set=ids))
    el = data.event_labels.filter(pc.is_in(data.event_labels["account_id"], value_set=ids))
    return ev, data.labels.filter(pc.equal(data.labels["campaign_id"], name)), el


def test_tables_have_the_schemas_and_consistent_labels(data: InformedData) -> None:
    assert data.events.schema.equals(EVENT_SCHEMA)
    assert data.labels.schema.equals(LABEL_SCHEMA)
    assert data.event_labels.schema.equals(EVENT_LABEL_SCHEMA)
    assert data.event_labels["event_id"].to_pylist() == data.events["event_id"].to_pylist()
    assert data.event_labels["account_id"].to_pylist() == data.events["account_id"].to_pylist()
    assert set(data.labels["campaign_id"].to_pylist()) == set(available())
    assert all(data.labels["is_attack"].to_pylist())
    assert set(data.labels["role"].to_pylist()) == {"attacker"}
    assert set(data.events["account_id"].to_pylist()) == set(data.labels["account_id"].to_pylist())
    cover = data.event_labels["is_cover"].to_pylist()
    harvest = data.event_labels["is_attack_request"].to_pylist()
    assert all(c != h for c, h in zip(cover, harvest, strict=True))
    ts = data.events["ts"].cast(pa.int64()).to_numpy()
    assert (np.diff(ts) >= 0).all()


def test_events_pass_the_products_validation(data: InformedData, tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    write_events(data.events, path)
    result = read_events([path])
    assert result.quarantined == []
    assert result.table.num_rows == data.events.num_rows


@pytest.mark.parametrize("name", available())
def test_costs_and_value_are_recorded(data: InformedData, name: str) -> None:
    report = data.reports[name]
    events, labels, ev_labels = _of(data, name)
    cost, value = report.cost, report.value
    assert cost["accounts"] == labels.num_rows > 0
    assert cost["requests"] == events.num_rows
    n_harvest = sum(ev_labels["is_attack_request"].to_pylist())
    assert cost["harvest_requests"] == value["reasoning_requests"] == n_harvest > 0
    assert cost["cover_requests"] == events.num_rows - n_harvest
    assert cost["addresses"] == len(set(events["ip"].to_pylist()))
    cards = {p for p in events["payment_fingerprint"].to_pylist() if p}
    assert cost["payment_methods"] == len(cards)
    assert cost["accounts_created"] >= cost["accounts"]
    assert 0 < value["distinct_tasks"] <= n_harvest
    assert value["completion_tokens"] > 0
    # Real tasks: every harvested request's source is a corpus source.
    flags = ev_labels["is_attack_request"].to_pylist()
    sources = {s for s, h in zip(ev_labels["source"].to_pylist(), flags, strict=True) if h}
    assert sources
    assert None not in sources
    if REGISTRY[name].adaptive:
        assert cost["self_scans"] >= 1
        assert report.search["self_scan"]["verdicts"]


def _flags(events: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """The product's chain-of-thought signal on these events (user turn, system prompt)."""
    out = create("cot_elicitation").compute(EventBatch(events))
    user = np.asarray(out["cot_elicitation"].to_numpy(zero_copy_only=False), dtype=bool)
    system = np.asarray(out["cot_elicitation_system"].to_numpy(zero_copy_only=False), dtype=bool)
    return user, system


@pytest.mark.parametrize("name", ADAPTIVE)
def test_the_shipped_classifier_is_silent_on_what_adaptive_strategies_send(
    data: InformedData, name: str
) -> None:
    events, _, ev_labels = _of(data, name)
    harvest = np.asarray(ev_labels["is_attack_request"].to_pylist(), dtype=bool)
    user, _ = _flags(events)
    assert harvest.any()
    assert not user[harvest].any(), f"{name}: {int(user[harvest].sum())} harvested requests flagged"


def test_the_control_is_not_silent(data: InformedData) -> None:
    events, _, _ = _of(data, "naive")
    user, _ = _flags(events)
    assert user.mean() > 0.5


def test_adaptive_strategies_still_ask_for_the_worked_solution(data: InformedData) -> None:
    """The value: reworded requests carry an intent from the wording file, system-prompt
    requests a system prompt, response-format requests a schema with a reasoning field."""
    ph = load_phrases()
    intents = [i for v in ph.intents.values() for i in v]
    for name in ("reworded", "system_prompt", "response_format"):
        events, _, ev_labels = _of(data, name)
        rows = [
            (e, h)
            for e, h in zip(events.to_pylist(), ev_labels["is_attack_request"].to_pylist(),
                            strict=True)
            if h
        ]  # fmt: skip
        for e, _ in rows:
            user = [m["content"] for m in e["messages"] if m["role"] == "user"][-1]
            system = [m["content"] for m in e["messages"] if m["role"] == "system"]
            if name == "reworded":
                assert any(i in user for i in intents), user[:200]
            elif name == "system_prompt":
                assert system
                assert any(s for s in system)
            else:
                extra = (e["params"] or {}).get("extra") or ""
                assert "response_format" in extra
                assert any(f in extra for f in ph.schema.reasoning_fields)


@pytest.mark.parametrize("name", ADAPTIVE)
def test_one_address_card_key_and_signup_per_account(data: InformedData, name: str) -> None:
    events, _, _ = _of(data, name)
    holders: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in events.select(["account_id", "ip", "payment_fingerprint", "api_key_id",
                            "account_created_at"]).to_pylist():  # fmt: skip
        for key in ("ip", "payment_fingerprint", "api_key_id", "account_created_at"):
            if r[key] is not None:
                holders[key][str(r[key])].add(r["account_id"])
    for key, by_value in holders.items():
        shared = {v: a for v, a in by_value.items() if len(a) > 1}
        assert not shared, f"{name}: {key} shared between accounts: {list(shared)[:3]}"


def _first_rows(events: pa.Table) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for r in events.select(["account_id", "ts", "account_created_at", "account_tier",
                            "user_agent"]).to_pylist():  # fmt: skip
        seen.setdefault(r["account_id"], r)
    return list(seen.values())


def _one_hour_per_account(events: pa.Table) -> np.ndarray:
    """One request hour (UTC) per account, drawn at random among its requests: one
    independent value per account, as a KS test needs (an account's requests cluster)."""
    rng = np.random.default_rng(0)
    us = events["ts"].cast(pa.int64()).to_numpy()
    hours: dict[str, list[float]] = defaultdict(list)
    for a, t in zip(events["account_id"].to_pylist(), us, strict=True):
        hours[a].append(float(t / 3.6e9) % 24.0)
    return np.array([h[int(rng.integers(len(h)))] for h in hours.values()])


def test_attributes_are_drawn_from_the_benign_distribution(
    data: InformedData, background: Path
) -> None:
    bg_events = pq.read_table(background / "events.parquet")
    bg_labels = pq.read_table(background / "labels.parquet")
    roles = bg_labels.filter(pc.is_in(bg_labels["role"], value_set=pa.array(DEFAULT_ROLES)))
    bg = bg_events.filter(pc.is_in(bg_events["account_id"], value_set=roles["account_id"]))
    adaptive_ids = data.labels.filter(
        pc.is_in(data.labels["campaign_id"], value_set=pa.array(ADAPTIVE))
    )["account_id"]
    ours = data.events.filter(pc.is_in(data.events["account_id"], value_set=adaptive_ids))
    # The same support: tiers, clients and models the benign roles use.
    for column in ("account_tier", "user_agent", "model"):
        mine = set(ours[column].to_pylist())
        assert mine <= set(bg[column].to_pylist()), column

    # Account age at the first request: the same distribution (KS test).
    def ages(rows: list[dict[str, Any]]) -> np.ndarray:
        return np.array([(r["ts"] - r["account_created_at"]) / dt.timedelta(days=1) for r in rows])

    test = ks_2samp(ages(_first_rows(ours)), ages(_first_rows(bg)))
    assert test.pvalue > 0.001, test
    # Hours of activity: one hour per account, the same distribution (KS test).
    test = ks_2samp(_one_hour_per_account(ours), _one_hour_per_account(bg))
    assert test.pvalue > 0.001, test


def test_request_times_follow_the_personas_hours(background: Path) -> None:
    """Many accounts modelled on benign personas are active at the hours those
    personas are (the jitter is half an hour)."""
    model = BenignModel.from_background(
        pq.read_table(background / "events.parquet"), pq.read_table(background / "labels.parquet")
    )
    rng = np.random.default_rng(1)
    t0 = dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC).timestamp()
    ours, theirs = [], []
    for _ in range(300):
        p = model.sample(rng)
        times = model.slot_times(rng, p, 20, t0, t0 + 13 * 86_400.0)
        ours.append(np.array([(t / 3_600.0) % 24.0 for t in times]))
        theirs.append(rng.choice(np.array(p.hours), size=20))
    assert ks_2samp(np.concatenate(ours), np.concatenate(theirs)).statistic < 0.05


def test_quiet_pool_is_unflagged_by_every_signal(
    small_corpus: Corpus, detector: Detector, data: InformedData
) -> None:
    pool = TaskPool.from_corpus(small_corpus)
    quiet = quiet_pool(pool, detector)
    assert 0 < len(quiet) < len(pool)
    msgs: list[list[dict[str, str | None]]] = [
        [{"role": "user", "content": t}] for t in quiet.texts
    ]
    assert not detector.flagged_outputs(msgs).any()
    # Each quiet task adds no more to a one-request account's score than the quietest.
    scores = detector.probe_scores(list(quiet.texts))
    assert np.ptp(scores) < 1e-5


def test_benign_model_and_mix_layout(data: InformedData, background: Path, tmp_path: Path) -> None:
    model = BenignModel.from_background(
        pq.read_table(background / "events.parquet"), pq.read_table(background / "labels.parquet")
    )
    assert {p.role for p in model.personas} >= {"chat_user", "developer"}
    result = mix(background, data.events, data.labels, tmp_path / "mix",
                 redteam_event_labels=data.event_labels)  # fmt: skip
    for name in ("events.parquet", "labels.parquet", "event_labels.parquet", "summary.json"):
        assert (tmp_path / "mix" / name).is_file()
    assert set(result.summary["campaigns"]) == set(available())
    assert data.detector["thresholds"]
    assert "cot_elicitation" in data.detector["signals"]


def test_accounts_are_sized_under_the_thresholds_of_the_detector_under_test(
    small_corpus: Corpus, background: Path, data: InformedData, tmp_path: Path
) -> None:
    """Against a stricter calibration the same strategy sends fewer harvested requests
    per account, and its own traffic scans below the aim: the sizes come from scoring
    candidate accounts with the detector it is handed, not from constants."""
    shipped = Calibration.load()
    strict = dataclasses.replace(shipped, thresholds={"watch": 0.0, "restrict": 0.1, "block": 0.2})
    detector = Detector(calibration=strict, workdir=tmp_path)
    cfg = InformedConfig(
        seed=9,
        scale=SCALE,
        strategies=("reworded",),
        params={"reworded": {**SMALL, "rounds": 4}},
    )
    strict_data = generate_informed(
        cfg,
        small_corpus,
        pq.read_table(background / "events.parquet"),
        pq.read_table(background / "labels.parquet"),
        detector=detector,
    )
    report = strict_data.reports["reworded"]
    assert report.cost["self_scans"] >= 3  # it had to adapt, round after round
    aim = detector.aim_score(create_strategy("reworded").aim)
    own = detector.scan_own(strict_data.events)
    assert own.accounts
    assert max(score for score, _, _ in own.accounts.values()) < aim

    def per_account(d: InformedData) -> float:
        c = d.reports["reworded"].cost
        return float(c["harvest_requests"] / c["accounts"])

    assert per_account(strict_data) < per_account(data)


def test_command_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from distillguard_lab.redteam.informed.__main__ import main

    assert main(["--seed", "1", "--out", str(tmp_path), "--events", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:")
    assert len(err.splitlines()) == 1
