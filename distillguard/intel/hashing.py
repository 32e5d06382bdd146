"""Keyed hashes of identifiers under a forum key, with key ids for rotation.

Providers in a sharing forum agree on a secret *forum key*; an identifier (client
address, network, user agent, payment fingerprint, e-mail domain, account id, a
template hash) leaves a provider only as ``HMAC-SHA256(key, kind || 0x00 ||
canonical(value))``, cut to 128 bits and prefixed with the key's id:
``"k2026q1:3f2a…"``.  A member holding the key can hash its own values and
compare; anyone else learns nothing.  A member *can* test guesses (hash a
candidate address and look for it): that is what matching is, and why the key
stays inside the forum (``docs/intel.md``).

Values are canonicalised first, so that two providers logging the same thing
differently still agree: IPv4-mapped IPv6 becomes IPv4, IPv6 is compressed,
networks are the /24 (IPv4) or /48 (IPv6), user agents are lower-cased with
whitespace collapsed, e-mail domains lower-cased and IDNA-encoded.

Rotation: a key ring holds several keys and names the *current* one.  Exports use
the current key; matching hashes local values under every key id that appears
in the pulled indicators, so indicators exported before a rotation keep
matching until their key is retired from the ring.

>>> ring = KeyRing.from_secrets({"k1": "00" * 32})
>>> h = ring.hash("ip", "::ffff:192.0.2.7")
>>> h == ring.hash("ip", "192.0.2.7"), h.split(":")[0], len(h.split(":")[1])
(True, 'k1', 32)
>>> canonical("net", "192.0.2.77"), canonical("net", "2001:db8:1:2::9")
('192.0.2.0/24', '2001:db8:1::/48')
>>> canonical("user_agent", "  OpenAI/Python   1.82.0 ")
'openai/python 1.82.0'
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from distillguard.fileio import atomic_open
from distillguard.intel.errors import IntelError
from distillguard.yamlio import load_yaml_file

#: Kinds of identifiers that may be hashed; each is domain-separated in the HMAC.
KINDS: Final = (
    "ip",
    "net",
    "user_agent",
    "payment",
    "email_domain",
    "account",
    "org",
    "api_key",
    "template_prefix",
    "template_suffix",
    "template_system",
    "campaign",
)

#: Hex digits kept of each HMAC (128 bits: collisions are not a concern at forum scale).
DIGEST_HEX: Final = 32

#: Environment variable that may hold a key-ring file path.
KEY_ENV: Final = "DISTILLGUARD_FORUM_KEYS"


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(value.strip().split("%")[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def canonical(kind: str, value: str) -> str:
    """The canonical form of ``value`` as an identifier of ``kind``.

    Unparseable addresses fall back to their stripped, lower-cased text (they still
    match themselves; they just do not benefit from normalisation).

    >>> canonical("ip", "2001:0DB8:0000::0001"), canonical("email_domain", "Mail.Example.COM")
    ('2001:db8::1', 'mail.example.com')
    """
    if kind not in KINDS:
        raise IntelError(f"unknown identifier kind {kind!r} (known: {', '.join(KINDS)})")
    v = value.strip()
    if kind in ("ip", "net"):
        addr = _ip(v)
        if addr is None:
            return v.lower()
        if kind == "ip":
            return str(addr)
        prefix = 24 if addr.version == 4 else 48
        return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))
    if kind == "user_agent":
        return " ".join(v.lower().split())
    if kind == "email_domain":
        domain = v.rsplit("@", 1)[-1].lower().rstrip(".")
        try:
            return domain.encode("idna").decode("ascii")
        except UnicodeError:
            return domain
    return v


@dataclass(frozen=True)
class KeyRing:
    """Forum keys by id; ``current`` is the one exports use."""

    #: Secrets: kept out of ``repr`` so they never reach a log or a traceback.
    keys: Mapping[str, bytes] = field(repr=False)
    current: str = ""
    _macs: dict[str, hmac.HMAC] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise IntelError("the forum key ring is empty", field="keys")
        if self.current not in self.keys:
            raise IntelError(f"current key {self.current!r} is not in the ring", field="current")
        for kid, key in self.keys.items():
            if not kid or ":" in kid:
                raise IntelError(f"key id {kid!r} must be non-empty and have no ':'", field="keys")
            if len(key) < 16:
                raise IntelError(f"key {kid!r} is shorter than 128 bits", field=f"keys.{kid}")
        # One keyed HMAC per key, copied per hash: saves the key schedule each time.
        for kid, key in self.keys.items():
            self._macs[kid] = hmac.new(key, digestmod=hashlib.sha256)

    @classmethod
    def from_secrets(cls, secrets_hex: Mapping[str, str], current: str | None = None) -> KeyRing:
        """A ring from hex secrets; the current key defaults to the last one given."""
        keys: dict[str, bytes] = {}
        for kid, hx in secrets_hex.items():
            try:
                keys[kid] = bytes.fromhex(hx)
            except ValueError as exc:
                raise IntelError("key must be hex digits", field=f"keys.{kid}") from exc
        if not keys:
            raise IntelError("the forum key ring is empty", field="keys")
        return cls(keys=keys, current=current or list(keys)[-1])

    @classmethod
    def load(cls, path: str | Path | None = None) -> KeyRing:
        """A key-ring YAML file (``current: id``, ``keys: {id: hex}``).

        ``path`` defaults to ``$DISTILLGUARD_FORUM_KEYS``.
        """
        p = path if path is not None else os.environ.get(KEY_ENV)
        if not p:
            raise IntelError(f"no forum key file given (--keys or ${KEY_ENV})")
        doc = load_yaml_file(p, IntelError)
        data = doc.data
        if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
            raise IntelError("expected a mapping with 'keys: {id: hex}'", path=p, line=1)
        unknown = sorted(set(data) - {"keys", "current"})
        if unknown:
            raise IntelError(
                "unknown key (known keys: current, keys)",
                path=p,
                line=doc.line_of((unknown[0],)),
                field=unknown[0],
            )
        raw = data["keys"]
        hexes: dict[str, str] = {}
        for kid, hx in raw.items():
            if not isinstance(hx, str):
                raise IntelError(
                    "key must be a string of hex digits",
                    path=p,
                    line=doc.line_of(("keys", kid)),
                    field=f"keys.{kid}",
                )
            hexes[str(kid)] = hx
        current = data.get("current")
        if current is not None and not isinstance(current, str):
            raise IntelError(
                "must be a key id", path=p, line=doc.line_of(("current",)), field="current"
            )
        try:
            return cls.from_secrets(hexes, current)
        except IntelError as exc:
            line = doc.line_of(tuple((exc.field or "").split(".")))
            raise IntelError(exc.message, path=p, line=line, field=exc.field) from exc

    def hash(self, kind: str, value: str, key_id: str | None = None) -> str:
        """``"<key id>:<32 hex digits>"`` for ``value`` as a ``kind`` under one key."""
        kid = key_id or self.current
        base = self._macs.get(kid)
        if base is None:
            raise IntelError(f"key {kid!r} is not in the forum key ring (retired or unknown)")
        mac = base.copy()
        mac.update(kind.encode("ascii") + b"\x00" + canonical(kind, value).encode("utf-8"))
        return f"{kid}:{mac.hexdigest()[:DIGEST_HEX]}"

    def hash_many(
        self, kind: str, values: Iterable[str | None], key_id: str | None = None
    ) -> dict[str, str]:
        """``{value: hash}`` for the distinct non-empty values."""
        return {v: self.hash(kind, v, key_id) for v in set(values) if v}

    def derived_seed(self, label: str, key_id: str | None = None) -> int:
        """A 32-bit seed derived from a key (keys MinHash permutations to the forum)."""
        kid = key_id or self.current
        if kid not in self.keys:
            raise IntelError(f"key {kid!r} is not in the forum key ring (retired or unknown)")
        digest = hmac.new(self.keys[kid], b"seed\x00" + label.encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big")


def key_id_of(hashed: str) -> str:
    """The key id of a keyed hash (``"k1:ab…"`` → ``"k1"``).

    >>> key_id_of("k1:00ff")
    'k1'
    """
    kid, sep, _ = hashed.partition(":")
    if not sep:
        raise IntelError(f"not a keyed hash: {hashed!r}")
    return kid


def new_key_file(path: str | Path, key_id: str, *, rotate: bool = False) -> KeyRing:
    """Write a fresh random key (256 bits) to a key-ring file, or add one when rotating."""
    p = Path(path)
    secrets_hex: dict[str, str] = {}
    if rotate and p.exists():
        ring = KeyRing.load(p)
        secrets_hex = {k: v.hex() for k, v in ring.keys.items()}
    elif p.exists():
        raise IntelError("key file exists (use --rotate to add a key)", path=p)
    if key_id in secrets_hex:
        raise IntelError(f"key id {key_id!r} already in the ring", path=p, field="keys")
    secrets_hex[key_id] = secrets.token_hex(32)
    ring = KeyRing.from_secrets(secrets_hex, key_id)
    lines = [f"current: {key_id}", "keys:"] + [f"  {k}: '{v}'" for k, v in secrets_hex.items()]
    p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(p, permissions=0o600) as fh:
        fh.write("\n".join(lines) + "\n")
    return ring
