"""``distillguard serve`` (the gateway) and ``distillguard sync`` (batch results into its state)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from distillguard.cli.common import (
    console,
    friendly,
)


def make_state(redis_url: str | None) -> object:
    """The state backend for ``--redis URL`` (memory when not given)."""
    if redis_url:
        from distillguard.gateway.redis_state import RedisState

        return RedisState(redis_url)
    from distillguard.gateway.state import MemoryState

    return MemoryState()


@friendly
def serve(
    upstream: Annotated[
        str, typer.Option(metavar="URL", help="Base URL of the model API to protect.")
    ],
    keys: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Keys table (CSV, Parquet or YAML): api_key → account "
            "(`distillguard keys` makes one); without it every key is unknown, and the "
            "shipped policy refuses unknown keys.",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Policy YAML (default: the shipped policy)."),
    ] = None,
    trust: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Trust levels YAML that scale the policy's budgets (default: the shipped "
            "trust.yaml).",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="List prices of the value-served metric (default: the shipped prices.yaml).",
        ),
    ] = None,
    redis: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Redis URL for shared state (default: in memory)."),
    ] = None,
    audit: Annotated[Path, typer.Option(metavar="FILE", help="Audit log (JSON Lines).")] = Path(
        "gateway-audit.jsonl"
    ),
    audit_fsync: Annotated[
        str,
        typer.Option(
            metavar="WHEN",
            help="When the audit log is fsynced: 'interval' (at most --audit-fsync-s "
            "after a write), 'always' (before a request is forwarded or answered), "
            "'never' (left to the OS). A killed gateway loses no record in any mode.",
        ),
    ] = "interval",
    audit_fsync_s: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", help="Longest time from a record to its fsync ('interval')."
        ),
    ] = 0.05,
    audit_key: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Key file that signs the audit checkpoints (`distillguard audit keygen`); "
            "keep it where the log's writers cannot read it.",
        ),
    ] = None,
    audit_head: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Extra copy of the audit checkpoint (repeatable; another volume).",
        ),
    ] = None,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar="DISTILLGUARD_ADMIN_TOKEN",
            metavar="TOKEN",
            help="Bearer token for /metrics and /healthz details (default: loopback only) "
            "and the review API under /admin/ (off without it).",
        ),
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Calibration file from `distillguard calibrate`."),
    ] = None,
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
    upstream_key: Annotated[
        str | None,
        typer.Option(
            envvar="DISTILLGUARD_UPSTREAM_KEY",
            metavar="KEY",
            help="Key sent upstream (default: the client's Authorization is forwarded).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(metavar="SECONDS", help="Upstream timeout.")] = 120.0,
    trust_client_headers: Annotated[
        bool, typer.Option(help="Honour x-distillguard-ts / x-forwarded-for (replays).")
    ] = False,
    decision_header: Annotated[
        bool, typer.Option(help="Add x-distillguard-action headers (replays, debugging).")
    ] = False,
    accounts: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Batch scan results (accounts.parquet): loaded at start and again "
            "whenever the file changes.",
        ),
    ] = None,
    feedback: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Review feedback table: the review API (/admin/review/, needs "
            "--admin-token) appends every action to it (`distillguard calibrate "
            "--feedback` reads it).",
        ),
    ] = None,
    intel: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Pulled intel (`distillguard intel pull` output): every request is "
            "matched against it, reloaded when the file changes.",
        ),
    ] = None,
    intel_keys: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Forum key ring for --intel (default: $DISTILLGUARD_FORUM_KEYS).",
        ),
    ] = None,
    intel_provider: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Our provider name (our own indicators are skipped)."),
    ] = None,
    signup_index: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Our campaigns' infrastructure (`distillguard accounts index`, hashed with "
            "the --intel-keys ring) for POST /admin/signup-check; --intel adds peers'.",
        ),
    ] = None,
    signup_rules: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Sign-up check rules (default: the shipped signup_rules.yaml)."
        ),
    ] = None,
    intel_action: Annotated[
        str,
        typer.Option(
            metavar="ACTION",
            help="What the intel-match rule does: block or require_verification.",
        ),
    ] = "block",
    keep_alive: Annotated[
        int,
        typer.Option(
            metavar="SECONDS",
            help="Seconds an idle client connection is kept open (longer than the "
            "idle timeout of the load balancer in front).",
        ),
    ] = 5,
    reload_every: Annotated[
        float,
        typer.Option(metavar="SECONDS", help="Seconds between checks of --accounts and --intel."),
    ] = 5.0,
    scorer: Annotated[
        str,
        typer.Option(
            metavar="MODE", help="Online scoring: 'process' (a worker process) or 'inline'."
        ),
    ] = "process",
    upstream_client: Annotated[
        str,
        typer.Option(
            metavar="CLIENT",
            help="'auto' (lean pool if httptools is installed), 'fast', 'httpx'.",
        ),
    ] = "auto",
) -> None:
    """Run the gateway: an OpenAI-compatible reverse proxy that applies the policy.

    Every path needs a key from --keys, only the policy's routes are forwarded, and
    each decision is written to the audit log before the request goes upstream
    (docs/gateway.md, docs/security.md).

    Examples:
      distillguard keys alice bob --out runs/gateway/keys.csv
      distillguard serve --upstream http://127.0.0.1:8001 --keys runs/gateway/keys.csv \\
          --audit runs/gateway/audit.jsonl --port 8000
      distillguard serve --upstream https://models.internal:443 --keys keys.parquet \\
          --policy policy.yaml --redis redis://127.0.0.1:6379/0 --audit-key audit.key
      distillguard audit verify runs/gateway/audit.jsonl
    """
    import uvicorn

    from distillguard.economics.prices import load_prices
    from distillguard.gateway.app import GatewayConfig, create_app
    from distillguard.gateway.audit import FSYNC_POLICIES, FsyncPolicy, load_key
    from distillguard.gateway.keys import load_keys
    from distillguard.gateway.policy import load_policy
    from distillguard.gateway.signup_check import SignupConfig
    from distillguard.gateway.state import State
    from distillguard.gateway.trust import load_trust
    from distillguard.intel.hashing import KeyRing
    from distillguard.intel.signup import OwnIndex, load_signup_rules
    from distillguard.scoring.risk import Calibration

    if audit_fsync not in FSYNC_POLICIES:
        raise typer.BadParameter(
            f"{audit_fsync!r}: use one of {', '.join(FSYNC_POLICIES)}",
            param_hint="--audit-fsync",
        )
    fsync: FsyncPolicy = audit_fsync  # type: ignore[assignment]  # checked above
    state = make_state(redis)
    assert isinstance(state, State)
    pol = load_policy(policy)
    live = None
    if intel is not None:
        from distillguard.gateway.intel_watchlist import INTEL_WATCHLIST, with_intel_watchlist
        from distillguard.gateway.policy import Action
        from distillguard.gateway.watched import LiveIntel
        from distillguard.intel.hashing import KeyRing

        if intel_action not in ("block", "require_verification"):
            raise typer.BadParameter(
                f"{intel_action!r}: use block or require_verification",
                param_hint="--intel-action",
            )
        if INTEL_WATCHLIST not in pol.watchlists:
            act: Action = "block" if intel_action == "block" else "require_verification"
            pol = with_intel_watchlist(pol, [], action=act)
        live = LiveIntel(intel, KeyRing.load(intel_keys), own=intel_provider)
    cfg = GatewayConfig(
        upstream=upstream,
        keys=load_keys(keys) if keys else {},
        policy=pol,
        trust=load_trust(trust),
        prices=load_prices(prices),
        state=state,
        audit_path=audit,
        audit_fsync=fsync,
        audit_fsync_s=audit_fsync_s,
        audit_key=load_key(audit_key) if audit_key is not None else None,
        audit_heads=tuple(audit_head or ()),
        admin_token=admin_token,
        calibration=Calibration.load(calibration),
        upstream_key=upstream_key,
        upstream_timeout_s=timeout,
        trust_client_headers=trust_client_headers,
        decision_header=decision_header,
        scorer=scorer,
        upstream_client=upstream_client,
        accounts_path=accounts,
        feedback_path=feedback,
        intel=live,
        reload_s=reload_every,
        signup=SignupConfig(
            OwnIndex.load(signup_index) if signup_index is not None else None,
            live.ring if live is not None else KeyRing.load(intel_keys),
            load_signup_rules(signup_rules),
        )
        if signup_index is not None or live is not None
        else None,
    )
    console.print(
        f"distillguard gateway on http://{host}:{port} → {upstream} "
        f"(state: {state.name}, audit: {audit})"
    )
    # uvicorn's own proxy-header handling would let a client on a trusted address
    # rewrite its address; the gateway reads forwarding headers only when told to.
    uvicorn.run(
        create_app(cfg), host=host, port=port, log_level="warning", access_log=False,
        timeout_keep_alive=max(1, keep_alive), proxy_headers=False,
    )  # fmt: skip


@friendly
def sync(
    accounts: Annotated[Path, typer.Option(metavar="FILE", help="accounts.parquet from a scan.")],
    redis: Annotated[
        str | None, typer.Option(metavar="URL", help="Redis URL of the gateway state.")
    ] = None,
) -> None:
    """Push batch scan results (risk, verdict, campaign) into the gateway's state."""
    from distillguard.gateway.state import State
    from distillguard.gateway.sync import sync_accounts

    if not redis:
        console.print(
            "[yellow]no --redis: in-memory state lives inside `serve`; nothing to push to[/]"
        )
        raise typer.Exit(2)
    state = make_state(redis)
    assert isinstance(state, State)
    n = asyncio.run(sync_accounts(state, accounts))
    console.print(f"synced {n:,} accounts from {accounts}")
