"""Online scoring off the request path: micro-batches, in a worker process by default.

The request path only *reads* an account's view (risk, verdicts, campaign).
Every finished request is handed to a scorer, which collects events for up to
``window_s`` (or ``batch`` events), runs every registered signal over the whole
micro-batch with the batch code (one :class:`~distillguard.signals.EventBatch`),
folds each event into its account-day in the state backend, rescores the touched
accounts with the verdict pipeline's first step
(:func:`~distillguard.scoring.risk.score_accounts`, judged by the same rule as the
batch scan) and writes their views back (:class:`ScoringCore`, the one
implementation both scorers run).

Why batches: the signals and the rescoring cost about 3 ms and 4 ms *per call*
whatever the batch size (Arrow set-up, one DuckDB-free scoring pass), but only
about 0.15 ms per event in a batch of 256.  Why a process
(:class:`ProcessScorer`, the default): even batched, that CPU work held the GIL
and delayed request handling by milliseconds at the tail; in a separate, lower
priority process it competes only for a core, and the OS lets requests win.
:class:`InlineScorer` does the same work in the gateway process (threads), for
embedding and for tests that need no extra process.

Decisions therefore see an account's risk as of its previous requests (lag: one
window plus one batch of work, tens of milliseconds).  With in-memory state the
worker keeps the profiles and sends the updated views back; with Redis it reads
and writes the shared store itself.

The window starts with the first event that finds the scorer idle and ends
``window_s`` later (or when ``batch`` events wait), at any traffic level: a quiet
gateway scores as soon as a busy one.  Each event's ``signals`` audit record is
written once its batch is scored, in submission order (the gateway has written
the request's decision and outcome already).  When more than ``max_queue``
events wait, the record is audited at once without signals and its event is not
folded (counted in ``distillguard_gateway_scoring_dropped_total``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from distillguard.gateway.audit import AuditError, AuditLog
from distillguard.gateway.online import (
    SignalRunner,
    fold_item,
    merge_profile,
    profiles_table,
)
from distillguard.gateway.state import (
    AccountView,
    MemoryState,
    State,
    StateSpec,
    StateUnavailable,
)
from distillguard.scoring.risk import Calibration, ScoringConfig, score_accounts
from distillguard.scoring.verdicts import AccountVerdict

#: Signal columns copied into audit records (ids and scores, not text).
AUDIT_SIGNALS = (
    "cot_elicitation", "cot_elicitation_score", "capability", "benchmark_match",
    "harvest_params_score", "template_prefix",
)  # fmt: skip

Views = dict[str, dict[str, str]]

log = logging.getLogger("distillguard.gateway")


@dataclass
class Pending:
    """One finished request: its ``signals`` audit record and, for model calls, its event.

    ``on_signals`` is called (on the event loop) with the request's audit signals once
    its batch is scored, or with None when it was not (queue full, scorer failed,
    shutdown): the gateway spends budgets on named capabilities then.
    """

    record: dict[str, Any]
    event: dict[str, Any] | None
    on_signals: Callable[[dict[str, Any] | None], None] | None = None

    def told(self, signals: dict[str, Any] | None) -> None:
        if self.on_signals is None:
            return
        callback, self.on_signals = self.on_signals, None
        try:
            callback(signals)
        except Exception:  # a callback must not stop the auditing of a batch
            log.exception("a scored-request callback failed")


@dataclass
class Scored:
    """What scoring a list of events gave: audit signals per event, status, new views."""

    signals: list[dict[str, Any] | None]
    status: str
    views: Views = field(default_factory=dict)


def _ts(row: dict[str, Any]) -> dt.datetime:
    ts: dt.datetime = row["ts"]
    return ts


class ScoringCore:
    """Signals, folding and rescoring of a list of events against one state backend."""

    def __init__(
        self,
        state: State,
        calibration: Calibration,
        scoring: ScoringConfig | None = None,
        window_days: int = 30,
        *,
        offload: bool = False,
    ) -> None:
        self.state = state
        self.calibration = calibration
        self.scoring = scoring or ScoringConfig()
        self.window_days = window_days
        self.runner = SignalRunner()
        #: Run the CPU-heavy parts in a thread (inline use, keeps the loop responsive).
        self.offload = offload

    async def _cpu(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args) if self.offload else fn(*args)

    async def score(self, events: Sequence[dict[str, Any]]) -> Scored:
        if not events:
            return Scored([], "ok")
        rows: list[dict[str, Any]] = await self._cpu(self.runner.rows, events)
        signals: list[dict[str, Any] | None] = [{k: r.get(k) for k in AUDIT_SIGNALS} for r in rows]
        try:
            # In time order: requests finish out of order, the gap parts need order.
            await self.state.fold([fold_item(r) for r in sorted(rows, key=_ts)])
            last = max(r["ts"] for r in rows)
            views = await self.rescore({r["account_id"] for r in rows}, last)
        except StateUnavailable:
            return Scored(signals, "state_unavailable")
        return Scored(signals, "ok", views)

    async def rescore(self, accounts: set[str], now: dt.datetime) -> Views:
        """Recompute risk and verdict of ``accounts`` from their folded profiles."""
        first_day = now.astimezone(dt.UTC).date() - dt.timedelta(days=self.window_days - 1)
        raws = await self.state.raw_profiles(sorted(accounts), first_day.isoformat())
        profiles = [merge_profile(a, raw) for a, raw in raws.items() if raw.days]
        if not profiles:
            return {}

        def run() -> list[AccountVerdict]:
            # Online there is no campaign or intel step: those reach the policy as
            # the batch view (``campaign_id``) and the ``intel`` watchlist.
            verdicts = score_accounts(profiles_table(profiles), self.calibration, self.scoring)
            judged = verdicts.judge()
            return [judged[i] for i in verdicts.order()]

        updates: Views = {
            v.account_id: AccountView(
                risk=v.risk, score=v.score, verdict=v.verdict, requests=v.requests
            ).fields()
            for v in await self._cpu(run)
        }
        await self.state.update_views(updates)
        return updates


class Scorer(Protocol):
    """What the gateway needs of a scorer."""

    def start(self) -> None: ...
    def submit(self, item: Pending) -> None: ...
    async def drain(self) -> None: ...
    async def stop(self, timeout: float = 10.0) -> None: ...


@dataclass
class _Batch:
    items: list[Pending]
    events: list[dict[str, Any]]
    result: Scored | None = None


class _Base:
    """Batching, ordering and auditing shared by both scorers."""

    def __init__(
        self,
        state: State,
        *,
        audit: AuditLog | None,
        max_queue: int,
        batch: int,
        window_s: float,
        on_state: Callable[[bool], None] | None,
        on_drop: Callable[[], None] | None,
        on_views: Callable[[Views], None] | None = None,
    ) -> None:
        self.state = state
        self.audit = audit
        self._on_views = on_views
        self.max_queue = max_queue
        self.batch = batch
        self.window_s = window_s
        self._on_state = on_state
        self._on_drop = on_drop
        self._pending: list[Pending] = []
        self._pending_events = 0
        self._inflight: deque[_Batch] = deque()
        self._inflight_events = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._view_tasks: set[asyncio.Task[None]] = set()
        #: Whether views in results were computed away from ``state`` and must be
        #: written to it here (a worker process with its own in-memory profiles).
        self._remote_views = False

    def submit(self, item: Pending) -> None:
        if (
            item.event is not None
            and self._pending_events + self._inflight_events >= self.max_queue
        ):
            if self._on_drop is not None:
                self._on_drop()
            item.record["signals"] = None
            item.record["scoring"] = "dropped"
            self._audit(item.record)
            item.told(None)
            return
        self._pending.append(item)
        self._idle.clear()
        if item.event is not None:
            self._pending_events += 1
            # The first event starts the window; a full batch ends it early.
            if self._pending_events == 1 or self._pending_events >= self.batch:
                self._wake.set()
        elif len(self._pending) == 1:
            self._wake.set()  # nothing to score: audit without waiting out a window

    async def drain(self) -> None:
        """Wait until everything submitted so far is folded and audited."""
        self._wake.set()
        await self._idle.wait()
        if self._view_tasks:
            await asyncio.gather(*self._view_tasks, return_exceptions=True)

    async def _flusher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._pending_events and self._pending_events < self.batch:
                # Let a micro-batch gather: per-call overhead dominates for one event.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full(), self.window_s)
            self._wake.clear()
            while self._pending:
                items = self._take()
                b = _Batch(items, [it.event for it in items if it.event is not None])
                self._inflight.append(b)
                self._inflight_events += len(b.events)
                if not b.events:
                    b.result = Scored([], "ok")
                    self._finish_ready()
                else:
                    await self._dispatch(b)
            self._check_idle()

    async def _full(self) -> None:
        while self._pending_events < self.batch:
            self._wake.clear()
            await self._wake.wait()

    def _take(self) -> list[Pending]:
        """The oldest pending items holding at most ``batch`` events."""
        n = i = 0
        while i < len(self._pending) and n < self.batch:
            n += self._pending[i].event is not None
            i += 1
        out = self._pending[:i]
        del self._pending[:i]
        self._pending_events -= n
        return out

    async def _dispatch(self, b: _Batch) -> None:
        raise NotImplementedError

    def _finish_ready(self) -> None:
        """Audit the finished batches at the head, in submission order."""
        while self._inflight and self._inflight[0].result is not None:
            b = self._inflight.popleft()
            res = b.result
            assert res is not None
            self._inflight_events -= len(b.events)
            if b.events and self._on_state is not None:
                self._on_state(res.status != "state_unavailable")
            if res.views:
                self._apply_views(res.views)
                if self._on_views is not None:
                    self._on_views(res.views)
            sigs = iter(res.signals)
            for it in b.items:
                if it.event is None:
                    it.record.setdefault("signals", None)
                else:
                    it.record["signals"] = next(sigs, None)
                    it.record["scoring"] = res.status
                self._audit(it.record)
                it.told(it.record.get("signals"))
        self._check_idle()

    def _audit(self, record: dict[str, Any]) -> None:
        if self.audit is None:
            return
        try:
            self.audit.write(record)
        except AuditError:
            # Requests are refused with 503 from now on (the gateway's own writes fail
            # too); a scoring callback cannot do more than say so.
            log.exception("cannot write a signals record to the audit log")

    def _apply_views(self, views: Views) -> None:
        if not self._remote_views:
            return  # the core wrote them to the state already
        if isinstance(self.state, MemoryState):
            self.state.set_views(views)
            return
        task = asyncio.get_running_loop().create_task(self.state.update_views(views))
        self._view_tasks.add(task)
        task.add_done_callback(self._view_tasks.discard)

    def _check_idle(self) -> None:
        if not self._pending and not self._inflight:
            self._idle.set()

    async def stop(self, timeout: float = 10.0) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), timeout)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # Whatever could not be scored in time is still audited.
        for b in self._inflight:
            b.result = b.result or Scored([None] * len(b.events), "error: shutdown")
        self._finish_ready()
        for it in self._pending:
            it.record.setdefault("signals", None)
            if it.event is not None:
                it.record["scoring"] = "error: shutdown"
            self._audit(it.record)
            it.told(None)
        self._pending = []


class InlineScorer(_Base):
    """Scores in the gateway process (signal and scoring code in a thread)."""

    def __init__(
        self,
        state: State,
        *,
        audit: AuditLog | None,
        calibration: Calibration,
        scoring: ScoringConfig | None = None,
        window_days: int = 30,
        max_queue: int = 10_000,
        batch: int = 256,
        window_s: float = 0.05,
        on_state: Callable[[bool], None] | None = None,
        on_drop: Callable[[], None] | None = None,
        on_views: Callable[[Views], None] | None = None,
    ) -> None:
        super().__init__(state, audit=audit, max_queue=max_queue, batch=batch, window_s=window_s,
                         on_state=on_state, on_drop=on_drop, on_views=on_views)  # fmt: skip
        self.core = ScoringCore(state, calibration, scoring, window_days, offload=True)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._flusher(), name="dg-scorer")

    async def _dispatch(self, b: _Batch) -> None:
        try:
            res = await self.core.score(b.events)
            # The core has written the views to the state already.
            b.result = Scored(res.signals, res.status, res.views)
        except Exception as exc:  # one bad batch must not stop scoring for good
            b.result = Scored([None] * len(b.events), f"error: {type(exc).__name__}")
        self._finish_ready()


# --------------------------------------------------------------------- worker process
@dataclass(frozen=True)
class WorkerSpec:
    """Everything the worker process needs (pickled once at start)."""

    state: StateSpec | None
    calibration: Calibration
    scoring: ScoringConfig | None
    window_days: int
    parent_pid: int
    nice: int = 5


def worker_main(inq: Any, out: Any, spec: WorkerSpec) -> None:
    """The scoring worker: batches in, ``(batch_id, Scored)`` out, until ``None`` arrives."""
    # Ctrl-C goes to the whole process group; the gateway stops us in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(spec.nice)  # requests (the gateway process) win the CPU
    loop = asyncio.new_event_loop()
    state = spec.state.open() if spec.state is not None else MemoryState()
    core = ScoringCore(state, spec.calibration, spec.scoring, spec.window_days)
    stop = False
    while not stop:
        try:
            if not inq.poll(1.0):
                try:
                    os.kill(spec.parent_pid, 0)
                except ProcessLookupError:
                    break  # the gateway died without telling us
                continue
            first = inq.recv()
            if first is None:
                break
            batches = [first]
            # Merge whatever else has queued: one signal pass over all of it.
            while inq.poll(0):
                nxt = inq.recv()
                if nxt is None:
                    stop = True
                    break
                batches.append(nxt)
        except (EOFError, OSError):
            break
        events = [e for _, evs in batches for e in evs]
        try:
            res = loop.run_until_complete(core.score(events))
        except Exception as exc:  # report and go on: one bad batch must not stop scoring
            res = Scored([None] * len(events), f"error: {type(exc).__name__}")
        i = 0
        try:
            for k, (bid, evs) in enumerate(batches):
                last = k == len(batches) - 1
                part = Scored(res.signals[i : i + len(evs)], res.status,
                              res.views if last else {})  # fmt: skip
                out.send((bid, part))
                i += len(evs)
        except (BrokenPipeError, OSError):
            break
    with contextlib.suppress(Exception):
        loop.run_until_complete(state.close())
    loop.close()


_CTX: Any = None
#: Worker restarts allowed per minute before the gateway audits without scores.
_MAX_RESTARTS = 5


def _context() -> Any:
    """A forkserver context whose server has imported the scoring code once."""
    global _CTX
    if _CTX is None:
        ctx = mp.get_context("forkserver")
        # Preloaded in the fork server: each worker starts in milliseconds, not seconds,
        # and no thread of the gateway is ever forked.
        ctx.set_forkserver_preload(["distillguard.gateway.scorer"])
        _CTX = ctx
    return _CTX


#: Tells the sender thread to close its pipe and end.
_CLOSE: Any = object()


def _send_loop(q: queue.SimpleQueue[Any], conn: Any) -> None:
    try:
        while (item := q.get()) is not _CLOSE:
            conn.send(item)
    except (BrokenPipeError, OSError):
        pass  # the worker is gone; the result pipe reports it
    finally:
        conn.close()


class ProcessScorer(_Base):
    """Scores in a separate, lower-priority process; results come back over a pipe."""

    def __init__(
        self,
        state: State,
        *,
        audit: AuditLog | None,
        calibration: Calibration,
        scoring: ScoringConfig | None = None,
        window_days: int = 30,
        max_queue: int = 10_000,
        batch: int = 256,
        window_s: float = 0.05,
        on_state: Callable[[bool], None] | None = None,
        on_drop: Callable[[], None] | None = None,
        on_views: Callable[[Views], None] | None = None,
        nice: int = 5,
    ) -> None:
        super().__init__(state, audit=audit, max_queue=max_queue, batch=batch, window_s=window_s,
                         on_state=on_state, on_drop=on_drop, on_views=on_views)  # fmt: skip
        self.spec = WorkerSpec(state.spec(), calibration, scoring, window_days, os.getpid(), nice)
        # A worker without a shared store keeps profiles of its own: its views come back.
        self._remote_views = self.spec.state is None
        self._proc: Any = None
        self._inq: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._reader: threading.Thread | None = None
        self._gen = 0
        self._stopping = False
        self._ids = 0
        self._by_id: dict[int, _Batch] = {}
        self._restarts: deque[float] = deque(maxlen=_MAX_RESTARTS)
        self.restarts = 0

    def start(self) -> None:
        self._spawn()
        self._task = asyncio.get_running_loop().create_task(self._flusher(), name="dg-scorer")

    def _spawn(self) -> None:
        ctx = _context()
        loop = asyncio.get_running_loop()
        # Plain pipes (no mp.Queue: its semaphores outlive a SIGTERMed gateway).
        in_recv, in_send = ctx.Pipe(duplex=False)
        recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(
            target=worker_main, args=(in_recv, send, self.spec), name="distillguard-scorer",
            daemon=True,
        )  # fmt: skip
        self._proc.start()
        # Ours would keep the pipes open after the worker died.
        send.close()
        in_recv.close()
        self._gen += 1
        self._inq = queue.SimpleQueue()
        # Pickling and writing happen in this thread: the loop never blocks on a full pipe.
        self._sender = threading.Thread(
            target=_send_loop, args=(self._inq, in_send), name="distillguard-scorer-send",
            daemon=True,
        )  # fmt: skip
        # Blocking reads in a thread of their own: loop.add_reader would make the pipe
        # non-blocking (uvloop does), and a message read half-way then fails.
        self._reader = threading.Thread(
            target=self._recv_loop, args=(recv, loop, self._gen), name="distillguard-scorer-recv",
            daemon=True,
        )  # fmt: skip
        self._sender.start()
        self._reader.start()
        self._restarts.append(time.monotonic())

    def _recv_loop(self, recv: Any, loop: asyncio.AbstractEventLoop, gen: int) -> None:
        try:
            while True:
                try:
                    msg = recv.recv()
                except (EOFError, OSError):
                    self._post(loop, self._worker_died, gen)
                    return
                self._post(loop, self._on_result, gen, msg)
        finally:
            recv.close()

    @staticmethod
    def _post(loop: asyncio.AbstractEventLoop, fn: Callable[..., None], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is already closed: shutting down
            loop.call_soon_threadsafe(fn, *args)

    async def _dispatch(self, b: _Batch) -> None:
        if self._proc is None:
            b.result = Scored([None] * len(b.events), "error: scorer down")
            self._finish_ready()
            return
        self._ids += 1
        self._by_id[self._ids] = b
        self._inq.put((self._ids, b.events))

    def _on_result(self, gen: int, msg: tuple[int, Scored]) -> None:
        if gen != self._gen:
            return
        bid, res = msg
        b = self._by_id.pop(bid, None)
        if b is not None:
            b.result = res
        self._finish_ready()

    def _worker_died(self, gen: int) -> None:
        if gen != self._gen or self._stopping:
            return
        for b in self._by_id.values():
            b.result = Scored([None] * len(b.events), "error: scorer exited")
        lost = sum(len(b.events) for b in self._by_id.values())
        self._by_id.clear()
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.join(0.5)  # it closed its pipe: it is exiting
        log.warning(
            "scoring worker exited (exit code %s); %d events not scored",
            getattr(proc, "exitcode", None), lost,
        )  # fmt: skip
        self._inq.put(_CLOSE)
        self._finish_ready()
        # Restart, unless it keeps dying (then audit without scores rather than spin).
        if len(self._restarts) < _MAX_RESTARTS or time.monotonic() - self._restarts[0] > 60:
            self.restarts += 1
            self._spawn()

    async def stop(self, timeout: float = 10.0) -> None:
        await super().stop(timeout)
        self._stopping = True
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self._inq.put(None)
        await asyncio.to_thread(proc.join, 5)
        if proc.is_alive():
            proc.kill()
            await asyncio.to_thread(proc.join, 5)
        self._inq.put(_CLOSE)
        # The worker is gone, so both pipes are at their end and both threads return.
        for t in (self._sender, self._reader):
            if t is not None:
                await asyncio.to_thread(t.join, 5)


def make_scorer(kind: str, state: State, **kwargs: Any) -> Scorer:
    """``process`` (default in the CLI) or ``inline``."""
    if kind == "process":
        return ProcessScorer(state, **kwargs)
    if kind == "inline":
        kwargs.pop("nice", None)
        return InlineScorer(state, **kwargs)
    raise ValueError(f"unknown scorer {kind!r} (process, inline)")
