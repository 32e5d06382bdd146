"""The detector under test, handed to the informed red team at generation time.

Everything here is read from the installed ``distillguard`` when it is used, never
copied: the registered signals (the chain-of-thought classifier among them, with its
cue table and learned model), the shipped calibration and its thresholds, the scan
(profiles, scoring, the campaign linkers and clustering), and the gateway's default
policy.  So the strategies adapt to whatever version is being measured: a new cue, a
retrained model, a new profile feature or linker changes what they find, not what
they were written against.  :meth:`Detector.describe` records which version that was.

What the attacker may use, and what not: the code, the model and the default
calibration are public (Kerckhoffs), so all of them are here; other users' traffic is
not, so the self-check (:meth:`Detector.scan_own`) scans the attacker's own traffic,
with at most a proxy population the attacker simulated itself with the public
simulator (its own seed), so that tests against the population are seen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.campaigns.detect import CampaignConfig, build_links
from distillguard.campaigns.links import REGISTRY as LINKERS
from distillguard.gateway.policy import Policy, Rule, Subject, decide, load_policy
from distillguard.gateway.state import AccountView
from distillguard.ingest import write_events
from distillguard.scan import ScanOptions, scan
from distillguard.schema import EVENT_SCHEMA
from distillguard.scoring.risk import Calibration
from distillguard.signals import REGISTRY as SIGNALS
from distillguard.signals import EventBatch, Signal, available, create
from distillguard.store.duckdb import Store

#: A neutral user turn for probing request parameters alone.
_NEUTRAL: Final = "Hello."
#: Verdicts that cost the account something.
FLAGGED: Final = frozenset({"restrict", "block"})

Messages = list[dict[str, str | None]]


def _event_table(
    messages: Sequence[Messages], params: Sequence[Mapping[str, Any] | None] | None = None
) -> pa.Table:
    from distillguard_lab.redteam.informed.events import params_struct

    n = len(messages)
    rows = {
        "event_id": [f"probe-{i}" for i in range(n)],
        "account_id": [f"probe-{i}" for i in range(n)],
        "messages": list(messages),
        "params": [params_struct(p) for p in (params or [None] * n)],
    }
    cols = {
        f.name: pa.array(rows[f.name], f.type) if f.name in rows else pa.nulls(n, f.type)
        for f in EVENT_SCHEMA
    }
    return pa.table(cols, schema=EVENT_SCHEMA)


@dataclass
class SelfScan:
    """The attacker's own traffic, scanned by the shipped product."""

    #: account_id -> (score, verdict, campaign id or None)
    accounts: dict[str, tuple[float, str, str | None]]
    #: Linked pairs among the attacker's own accounts, per linker (all linkers).
    links: dict[str, int] = field(default_factory=dict)


@dataclass
class Detector:
    """Handle on the installed detector: signals, calibration, scan, linkers, policy."""

    calibration: Calibration = field(default_factory=Calibration.load)
    policy: Policy = field(default_factory=load_policy)
    #: Scratch space for self-scans (a fresh temporary folder when None).
    workdir: Path | None = None
    _probe_cache: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)

    # ------------------------------------------------------------------ signals

    @cached_property
    def cot(self) -> Signal:
        """The shipped chain-of-thought classifier (registered as ``cot_elicitation``)."""
        return create("cot_elicitation")

    @cached_property
    def signals(self) -> list[Signal]:
        """Every registered signal, with its shipped settings."""
        return [create(n) for n in available()]

    def cot_outputs(
        self, messages: Sequence[Messages], params: Sequence[Mapping[str, Any] | None] | None = None
    ) -> dict[str, npt.NDArray[Any]]:
        """The classifier's outputs on whole requests (user turn, system prompt, params)."""
        if not messages:
            return {f.name: np.zeros(0) for f in self.cot.outputs}
        out = self.cot.compute(EventBatch(_event_table(messages, params)))
        return {k: np.asarray(v.to_numpy(zero_copy_only=False)) for k, v in out.items()}

    def cot_silent(
        self, messages: Sequence[Messages], params: Sequence[Mapping[str, Any] | None] | None = None
    ) -> npt.NDArray[np.bool_]:
        """Per request: the classifier does not flag its user turn."""
        if not messages:
            return np.zeros(0, dtype=bool)
        flags = self.cot_outputs(messages, params)["cot_elicitation"]
        out: npt.NDArray[np.bool_] = ~np.asarray(flags, dtype=bool)
        return out

    def cot_judge(
        self, messages: Sequence[Messages], params: Sequence[Mapping[str, Any] | None] | None = None
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Per request: is the classifier silent on its user turn, and its score."""
        if not messages:
            return np.zeros(0, dtype=bool), np.zeros(0)
        out = self.cot_outputs(messages, params)
        silent: npt.NDArray[np.bool_] = ~np.asarray(out["cot_elicitation"], dtype=bool)
        score = np.asarray(out["cot_elicitation_score"], dtype=np.float64)
        return silent, score

    def system_silent(self, systems: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Per system prompt: the classifier does not flag it (``cot_elicitation_system``)."""
        msgs: list[Messages] = [
            [{"role": "system", "content": s}, {"role": "user", "content": _NEUTRAL}]
            for s in systems
        ]
        if not msgs:
            return np.zeros(0, dtype=bool)
        flags = self.cot_outputs(msgs)["cot_elicitation_system"]
        out: npt.NDArray[np.bool_] = ~np.asarray(flags, dtype=bool)
        return out

    def flagged_outputs(
        self, messages: Sequence[Messages], params: Sequence[Mapping[str, Any] | None] | None = None
    ) -> npt.NDArray[np.bool_]:
        """Per request: does any boolean output of any registered signal fire?

        Booleans are the signals' flags (elicitation, harvest parameters, benchmark
        items, ...): whatever the installed version registers.
        """
        n = len(messages)
        if n == 0:
            return np.zeros(0, dtype=bool)
        batch = EventBatch(_event_table(messages, params))
        any_flag = np.zeros(n, dtype=bool)
        for sig in self.signals:
            out = sig.compute(batch)
            for f in sig.outputs:
                if pa.types.is_boolean(f.type):
                    col = pc.fill_null(out[f.name], False)
                    any_flag |= np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)
        return any_flag

    def quiet_params(self, params: Sequence[Mapping[str, Any] | None]) -> npt.NDArray[np.bool_]:
        """Per parameter set: no signal flags a neutral request sent with it."""
        msgs: list[Messages] = [[{"role": "user", "content": _NEUTRAL}] for _ in params]
        out: npt.NDArray[np.bool_] = ~self.flagged_outputs(msgs, params)
        return out

    # ------------------------------------------------------------------ calibration

    @property
    def thresholds(self) -> dict[str, float]:
        """The shipped calibration's verdict thresholds (score units)."""
        return dict(self.calibration.thresholds)

    def aim_score(self, position: float) -> float:
        """A score ``position`` of the way from the watch to the restrict threshold."""
        t = self.thresholds
        watch = t.get("watch", 0.0)
        restrict = t.get("restrict", watch)
        return watch + position * (restrict - watch)

    # ------------------------------------------------------------------ the scan

    def _scratch(self) -> Path:
        base = self.workdir
        if base is not None:
            base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="selfscan-", dir=base))

    def scan_own(
        self,
        events: pa.Table,
        *,
        campaigns: bool = True,
        links: bool = False,
        population: pa.Table | None = None,
    ) -> SelfScan:
        """Scan ``events`` (the attacker's own traffic) with the shipped product and this
        handle's calibration (the shipped one by default).

        ``population`` is a proxy of the provider's other users that the attacker
        simulated itself (the public simulator, its own seed), scanned with its own
        traffic so that tests against the population (task pools) see it as the
        provider would; only the attacker's accounts are returned.

        Returns each account's score, verdict and campaign; with ``links``, the
        number of linked pairs among these accounts per linker (every registered
        linker, as the scan's campaign step builds them).
        """
        tmp = self._scratch()
        try:
            path = tmp / "events.parquet"
            own_ids = set(events["account_id"].to_pylist())
            if population is not None and population.num_rows:
                events = pa.concat_tables(
                    [population.select(events.schema.names).cast(events.schema), events]
                )
            write_events(events, path)
            store = tmp / "store.duckdb"
            cal = tmp / "calibration.json"
            cal.write_text(self.calibration.to_json(), encoding="utf-8")
            result = scan(
                [path],
                ScanOptions(
                    store=store,
                    out=tmp / "out",
                    reports=False,
                    campaigns=campaigns,
                    calibration=cal,
                ),
            )
            acc = result.accounts
            camp = (
                acc["campaign_id"].to_pylist()
                if "campaign_id" in acc.column_names
                else [None] * acc.num_rows
            )
            out = {
                a: (float(s), str(v), c)
                for a, s, v, c in zip(
                    acc["account_id"].to_pylist(),
                    acc["score"].to_pylist(),
                    acc["verdict"].to_pylist(),
                    camp,
                    strict=True,
                )
                if a in own_ids
            }
            counts: dict[str, int] = {}
            if links:
                with Store(store) as st:
                    table = build_links(st, CampaignConfig().linkers())
                for lt in table["link_type"].to_pylist():
                    counts[lt] = counts.get(lt, 0) + 1
            return SelfScan(out, dict(sorted(counts.items())))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def probe_scores(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Each text's score when it is the only request of an account (campaigns off).

        What one request adds to an account's score, per the shipped scoring: a probe
        account per text, one fixed identity, scanned together.
        """
        key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()
        hit = self._probe_cache.get(key)
        if hit is not None:
            return hit
        n = len(texts)
        t = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
        ids = [f"probe_{i:07d}" for i in range(n)]
        cols: dict[str, pa.Array] = {
            "event_id": pa.array([f"ev_probe_{i:07d}" for i in range(n)]),
            "ts": pa.array([t] * n, EVENT_SCHEMA.field("ts").type),
            "account_id": pa.array(ids),
            "model": pa.array(["chat-large"] * n),
            "messages": pa.array(
                [[{"role": "user", "content": x}] for x in texts],
                EVENT_SCHEMA.field("messages").type,
            ),
        }
        table = pa.table(
            {f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in EVENT_SCHEMA},
            schema=EVENT_SCHEMA,
        )
        own = self.scan_own(table, campaigns=False)
        scores = np.array([own.accounts.get(a, (np.nan, "", None))[0] for a in ids])
        self._probe_cache[key] = scores
        return scores

    # ------------------------------------------------------------------ policy

    def degrading_rule(
        self, tier: str | None, created_at: dt.datetime, at: dt.datetime
    ) -> Rule | None:
        """The shipped policy's rule for a fresh account (verdict ``allow``) at ``at``, if
        it would refuse or degrade answers (block, verification, stripped reasoning,
        capped output)."""
        subject = Subject(
            account_id="probe",
            tier=tier,
            created_at=created_at,
            view=AccountView(risk=0.0, score=0.0, verdict="allow", requests=0.0),
        )
        rule = decide(self.policy, subject, self.policy.watch_sets, at)
        if rule is None:
            return None
        if (
            rule.action in ("block", "require_verification")
            or rule.strip_reasoning
            or rule.max_tokens is not None
        ):
            return rule
        return None

    # ------------------------------------------------------------------ provenance

    def describe(self) -> dict[str, Any]:
        """Which detector the strategies adapted to: version, artefact hashes, thresholds."""

        def digest(package: str, name: str) -> str | None:
            try:
                data = (resources.files(package) / name).read_bytes()
            except (FileNotFoundError, OSError):
                return None
            return hashlib.sha256(data).hexdigest()[:16]

        try:
            version = metadata.version("distillguard")
        except metadata.PackageNotFoundError:  # pragma: no cover - always installed here
            version = "unknown"
        return {
            "distillguard": version,
            "signals": sorted(SIGNALS),
            "linkers": {n: LINKERS[n].kind for n in sorted(LINKERS)},
            "thresholds": self.thresholds,
            "calibration": self.calibration.source,
            "policy_rules": [r.name for r in self.policy.rules],
            "artefacts": {
                "cot_model.npz": digest("distillguard.signals.data", "cot_model.npz"),
                "cot_cues.yaml": digest("distillguard.signals.data", "cot_cues.yaml"),
                "default_calibration.json": digest(
                    "distillguard.scoring", "default_calibration.json"
                ),
            },
        }

    def describe_json(self) -> str:
        return json.dumps(self.describe(), sort_keys=True)


__all__ = ["FLAGGED", "Detector", "SelfScan"]
