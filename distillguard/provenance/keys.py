"""Watermark keys: the provider's secret and the keys derived from it.

The provider holds one secret (256 random bits, in a YAML file readable by its
owner only).  Generation never uses the secret directly: it uses a 128-bit key
derived for a *scope*:

- ``provider``: one key for every answer (the strongest provenance signal: all
  harvested answers carry the same watermark);
- ``account:<id>``: one key per account, so a leaked dataset or a student points
  back to the accounts whose answers it learned from;
- ``cohort:<id>``: one key per cohort (for example a bucket of accounts, or a
  tier), a middle ground: a hydra of 20,000 accounts that each harvest a little
  dilutes per-account keys 20,000 ways but shares a handful of cohort keys.

``derived = HMAC-SHA256(secret, "distillguard-watermark/v1" 0x00 scope 0x00 id)``
cut to 16 bytes.  The derivation is one-way: a derived key (handed to a serving
replica, or revealed to an arbiter for one finding) does not reveal the secret
or any other account's key.

A finding shared with peers carries a *commitment* to the key it used,
``HMAC-SHA256(derived, "distillguard-watermark/commit")``: it reveals nothing
about the key, and a provider that later reveals the key to an arbiter shows it
was the one used.

>>> secret = ProviderSecret("wm1", bytes(32))
>>> a = secret.derive("account", "acct-1")
>>> a.key_id, len(a.material), a == secret.derive("account", "acct-1")
('wm1/account:acct-1', 16, True)
>>> a.commitment() != secret.derive("account", "acct-2").commitment()
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final, Literal

from distillguard.fileio import atomic_open
from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.siphash import U64, key_words
from distillguard.yamlio import load_yaml_file

Scope = Literal["provider", "account", "cohort"]
SCOPES: Final = ("provider", "account", "cohort")

_DERIVE: Final = b"distillguard-watermark/v1"
_COMMIT: Final = b"distillguard-watermark/commit"
_KNOWN_FIELDS: Final = ("key_id", "secret", "scope", "scheme")


@dataclass(frozen=True)
class WatermarkKey:
    """A 128-bit key that colours tokens; ``key_id`` names it (never the material)."""

    key_id: str
    material: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.material) != 16:
            raise ProvenanceError("a watermark key is 16 bytes", field="material")

    @cached_property
    def words(self) -> tuple[U64, U64]:
        """The key as the two 64-bit words SipHash takes."""
        return key_words(self.material)

    def commitment(self) -> str:
        """A hiding, binding commitment to the key (hex), safe to share."""
        return hmac.new(self.material, _COMMIT, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ProviderSecret:
    """The provider's secret, its default scope and the scheme it serves with."""

    key_id: str
    secret: bytes = field(repr=False)
    scope: Scope = "provider"
    config: WatermarkConfig = field(default_factory=WatermarkConfig)

    def __post_init__(self) -> None:
        if not self.key_id or "/" in self.key_id:
            raise ProvenanceError("must be non-empty and have no '/'", field="key_id")
        if len(self.secret) < 16:
            raise ProvenanceError("the secret is shorter than 128 bits", field="secret")
        if self.scope not in SCOPES:
            raise ProvenanceError(f"must be one of {', '.join(SCOPES)}", field="scope")

    def derive(self, scope: Scope, ident: str = "") -> WatermarkKey:
        """The key for ``scope`` (``provider``, or ``account``/``cohort`` with an id)."""
        if scope not in SCOPES:
            raise ProvenanceError(f"unknown key scope {scope!r} (known: {', '.join(SCOPES)})")
        if scope != "provider" and not ident:
            raise ProvenanceError(f"a {scope} key needs an id")
        msg = _DERIVE + b"\x00" + scope.encode("ascii") + b"\x00" + ident.encode("utf-8")
        material = hmac.new(self.secret, msg, hashlib.sha256).digest()[:16]
        name = scope if scope == "provider" else f"{scope}:{ident}"
        return WatermarkKey(f"{self.key_id}/{name}", material)

    def provider_key(self) -> WatermarkKey:
        """The one key of ``provider`` scope."""
        return self.derive("provider")

    @classmethod
    def load(cls, path: str | Path) -> ProviderSecret:
        """A key file: ``key_id``, ``secret`` (hex), optional ``scope`` and ``scheme``."""
        doc = load_yaml_file(path, ProvenanceError)
        data = doc.data
        if not isinstance(data, dict):
            raise ProvenanceError("expected a mapping with key_id and secret", path=path, line=1)
        for name in data:
            if name not in _KNOWN_FIELDS:
                raise ProvenanceError(
                    f"unknown field (known: {', '.join(_KNOWN_FIELDS)})",
                    path=path,
                    line=doc.line_of((name,)),
                    field=str(name),
                )

        def fail(message: str, *where: str) -> ProvenanceError:
            return ProvenanceError(
                message, path=path, line=doc.line_of(where), field=".".join(where)
            )

        key_id, secret_hex = data.get("key_id"), data.get("secret")
        if not isinstance(key_id, str):
            raise fail("must be a string", "key_id")
        if not isinstance(secret_hex, str):
            raise fail("must be a string of hex digits", "secret")
        try:
            secret = bytes.fromhex(secret_hex)
        except ValueError as exc:
            raise fail("must be a string of hex digits", "secret") from exc
        scheme: Any = data.get("scheme", {})
        if not isinstance(scheme, dict):
            raise fail("must be a mapping", "scheme")
        known = ("gamma", "delta", "context_width", "skip_repeated_context")
        for name in scheme:
            if name not in known:
                raise fail(f"unknown field (known: {', '.join(known)})", "scheme", str(name))
        try:
            config = WatermarkConfig(**scheme)
        except (ProvenanceError, TypeError) as exc:
            where = getattr(exc, "field", None) or ""
            raise fail(getattr(exc, "message", str(exc)), "scheme", where) from exc
        scope = data.get("scope", "provider")
        try:
            return cls(key_id=key_id, secret=secret, scope=scope, config=config)
        except ProvenanceError as exc:
            raise fail(exc.message, exc.field or "key_id") from exc

    def save(self, path: str | Path) -> None:
        """Write the key file, readable by its owner only."""
        c = self.config
        lines = [
            f"key_id: {self.key_id}",
            f"secret: '{self.secret.hex()}'",
            f"scope: {self.scope}",
            "scheme:",
            f"  gamma: {c.gamma}",
            f"  delta: {c.delta}",
            f"  context_width: {c.context_width}",
            f"  skip_repeated_context: {'true' if c.skip_repeated_context else 'false'}",
        ]
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(p, permissions=0o600) as fh:
            fh.write("\n".join(lines) + "\n")


def new_secret(
    key_id: str, scope: Scope = "provider", config: WatermarkConfig | None = None
) -> ProviderSecret:
    """A fresh random 256-bit provider secret."""
    return ProviderSecret(key_id, secrets.token_bytes(32), scope, config or WatermarkConfig())
