"""The forum hub's configuration: collections, members, keys and permissions (YAML).

>>> cfg = load_hub_config_text('''
... collections:
...   - {alias: tlp-green, title: "TLP:GREEN, all members"}
... members:
...   - {name: provider-A, api_key: secret-a, read: [tlp-green], write: [tlp-green]}
... ''', "hub.yaml")
>>> cfg.member_for_key("secret-a").name, cfg.member_for_key("nope")
('provider-A', None)
>>> try:
...     load_hub_config_text("members: []\\ncollections: []\\nbogus: 1\\n", "hub.yaml")
... except IntelError as exc:
...     print(exc.path, exc.line, exc.field)
hub.yaml 3 bogus
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from distillguard.config import build
from distillguard.intel.errors import IntelError
from distillguard.yamlio import YamlDoc, load_yaml_file, load_yaml_text

#: Namespace of collection ids derived from aliases.
COLLECTION_NS: Final = uuid.UUID("0c4b7f6e-2f52-4a55-8c4e-6f2d6a1e9b11")


@dataclass(frozen=True)
class CollectionConfig:
    """A TAXII collection: one sharing level (or one member's feed)."""

    alias: str
    title: str
    description: str = ""
    #: Fixed id; derived from the alias (UUIDv5) when not given.
    id: str | None = None

    @property
    def collection_id(self) -> str:
        return self.id or str(uuid.uuid5(COLLECTION_NS, self.alias))

    def check(self) -> list[tuple[str, str]]:
        if not self.alias or not self.alias.replace("-", "").replace("_", "").isalnum():
            return [("alias", "must be letters, digits, - and _")]
        if self.id is not None:
            try:
                uuid.UUID(self.id)
            except ValueError:
                return [("id", "must be a UUID")]
        return []


@dataclass(frozen=True)
class MemberConfig:
    """A forum member: its API key and the collections it may read and write."""

    name: str
    #: SHA-256 (hex) of the member's API key; ``api_key`` (plain) is for demos.
    api_key_sha256: str | None = None
    api_key: str | None = None
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    #: The member's STIX identity id: objects it writes may only be created by it.
    identity: str | None = None
    #: Object versions and bytes this member may keep stored (over all collections);
    #: None: the hub's ``quota_objects``/``quota_bytes``.
    quota_objects: int | None = None
    quota_bytes: int | None = None

    @property
    def key_digest(self) -> str:
        if self.api_key_sha256 is not None:
            return self.api_key_sha256.lower()
        assert self.api_key is not None  # check() guarantees one of them
        return hashlib.sha256(self.api_key.encode()).hexdigest()

    def check(self) -> list[tuple[str, str]]:
        if (self.api_key is None) == (self.api_key_sha256 is None):
            return [("api_key_sha256", "give exactly one of api_key_sha256 and api_key")]
        if self.api_key_sha256 is not None and (
            len(self.api_key_sha256) != 64
            or any(c not in "0123456789abcdef" for c in self.api_key_sha256.lower())
        ):
            return [("api_key_sha256", "must be 64 hex digits")]
        if self.api_key is not None and len(self.api_key) < 8:
            return [("api_key", "must be at least 8 characters")]
        if self.identity is not None and not self.identity.startswith("identity--"):
            return [("identity", "must be a STIX identity id (identity--<uuid>)")]
        for name in ("quota_objects", "quota_bytes"):
            value = getattr(self, name)
            if value is not None and value < 1:
                return [
                    (name, "must be at least 1 (a member that may not write gets no write grant)")
                ]
        return []


@dataclass(frozen=True)
class HubConfig:
    """The whole hub file."""

    collections: tuple[CollectionConfig, ...]
    members: tuple[MemberConfig, ...]
    title: str = "distillguard forum hub"
    description: str = "Distillation-campaign indicators shared between model providers."
    api_root: str = "forum"
    #: Largest request body accepted (bytes).
    max_content_length: int = 20 * 1024 * 1024
    #: Most objects in one POST.
    max_objects: int = 50_000
    #: Default and largest page of a GET.
    page_size: int = 2000
    #: Object versions one member may keep stored, over all collections (a member's
    #: ``quota_objects`` overrides it).  Every stored version counts; duplicates do not.
    quota_objects: int = 1_000_000
    #: Bytes of stored objects (their canonical JSON, UTF-8) one member may keep.
    quota_bytes: int = 1024 * 1024 * 1024

    def check(self) -> list[tuple[str, str]]:
        aliases = [c.alias for c in self.collections]
        for i, a in enumerate(aliases):
            if aliases.index(a) != i:
                return [(f"collections[{i}].alias", f"duplicate collection {a!r}")]
        names = [m.name for m in self.members]
        digests = [m.key_digest for m in self.members]
        for i, m in enumerate(self.members):
            if names.index(m.name) != i:
                return [(f"members[{i}].name", f"duplicate member {m.name!r}")]
            if digests.index(m.key_digest) != i:
                return [(f"members[{i}].api_key", "two members share one API key")]
            for what in ("read", "write"):
                for j, a in enumerate(getattr(m, what)):
                    if a not in aliases:
                        return [(f"members[{i}].{what}[{j}]", f"no collection {a!r}")]
        if not self.api_root.replace("-", "").isalnum():
            return [("api_root", "must be letters, digits and -")]
        for name in (
            "max_content_length",
            "max_objects",
            "page_size",
            "quota_objects",
            "quota_bytes",
        ):
            if getattr(self, name) < 1:
                return [(name, "must be at least 1")]
        return []

    def member_for_key(self, api_key: str) -> MemberConfig | None:
        """The member holding ``api_key`` (constant-time comparison of digests)."""
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        found = None
        for m in self.members:
            if hmac.compare_digest(m.key_digest, digest):
                found = m
        return found

    def quota(self, member: MemberConfig) -> tuple[int, int]:
        """``(objects, bytes)`` ``member`` may keep stored."""
        return (
            self.quota_objects if member.quota_objects is None else member.quota_objects,
            self.quota_bytes if member.quota_bytes is None else member.quota_bytes,
        )

    def collection(self, cid: str) -> CollectionConfig | None:
        for c in self.collections:
            if c.collection_id == cid or c.alias == cid:
                return c
        return None


def _build(doc: YamlDoc) -> HubConfig:
    if doc.data is None:
        raise IntelError("empty hub configuration", path=doc.source)
    return build(HubConfig, doc, error=IntelError)


def load_hub_config_text(text: str, source: str = "<hub>") -> HubConfig:
    """Parse and validate hub YAML text."""
    return _build(load_yaml_text(text, source, IntelError))


def load_hub_config(path: str | Path) -> HubConfig:
    """Read and validate a hub YAML file."""
    return _build(load_yaml_file(path, IntelError))
