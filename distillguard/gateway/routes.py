"""The paths the gateway forwards (an allow-list, part of the policy) and request limits.

Everything not on the list is refused after authentication (404), so a new
upstream endpoint is never reachable through the gateway until an operator
lists it.  A route's ``kind`` says how it is decided:

- ``chat``, ``completions``, ``responses``: model calls; parsed, scored,
  decided by the rules, capped and stripped (the three return reasoning);
- ``plain``: authenticated, refused for accounts the rules block or send to
  verification, otherwise forwarded unchanged (model lists, embeddings).

Route paths are canonical (see :mod:`.paths`); ``{name}`` matches one segment.

>>> r = Router((RouteSpec("/v1/models/{model}", ("GET",)),))
>>> r.match("/v1/models/mock-1", "GET")[0].path, r.match("/v1/models", "GET")
('/v1/models/{model}', (None, False))
>>> r.match("/v1/models/x", "POST")
(None, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from distillguard.gateway.paths import PathRefused, canonical_path

RouteKind = Literal["chat", "completions", "responses", "plain"]
MODEL_KINDS: Final = ("chat", "completions", "responses")
METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class RouteSpec:
    """One forwarded path: its canonical template, methods and kind."""

    path: str
    methods: tuple[str, ...] = ("POST",)
    kind: RouteKind = "plain"

    def check(self) -> list[tuple[str, str]]:
        concrete = "/".join("x" if _is_param(s) else s for s in self.path.split("/"))
        try:
            canonical = canonical_path(concrete.encode())
        except PathRefused as exc:
            return [("path", exc.message)]
        if canonical != concrete:
            return [("path", f"not in canonical form (would be {canonical!r})")]
        for i, m in enumerate(self.methods):
            if m not in METHODS:
                return [(f"methods[{i}]", f"must be one of {', '.join(METHODS)}")]
        if self.kind in MODEL_KINDS and self.methods != ("POST",):
            return [("methods", f"a {self.kind} route takes POST only")]
        return []


@dataclass(frozen=True)
class Limits:
    """Bounds on every request, whatever the rules say (400 or 413 beyond them)."""

    #: Request body, bytes (413 beyond; checked while reading, never buffered past it).
    max_body_bytes: int = 4 * 1024 * 1024
    #: ``n`` (choices per request).
    max_n: int = 8
    #: ``max_tokens``, ``max_completion_tokens`` and ``max_output_tokens``.
    max_tokens: int = 65_536
    #: Messages (chat) or input items (responses) in one request.
    max_messages: int = 1_024

    def check(self) -> list[tuple[str, str]]:
        for name in ("max_body_bytes", "max_n", "max_tokens", "max_messages"):
            if getattr(self, name) < 1:
                return [(name, "must be at least 1")]
        return []


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}") and len(segment) > 2


class Router:
    """Canonical path and method → the route that allows them."""

    def __init__(self, specs: tuple[RouteSpec, ...]) -> None:
        self.specs = specs
        self._exact: dict[str, RouteSpec] = {}
        self._templates: list[tuple[tuple[str | None, ...], RouteSpec]] = []
        for spec in specs:
            parts = spec.path.split("/")
            if any(_is_param(p) for p in parts):
                self._templates.append((tuple(None if _is_param(p) else p for p in parts), spec))
            else:
                self._exact.setdefault(spec.path, spec)

    def match(self, path: str, method: str) -> tuple[RouteSpec | None, bool]:
        """(the route, or None; whether the path exists for some other method)."""
        candidates = []
        if path in self._exact:
            candidates.append(self._exact[path])
        parts = path.split("/")
        for pattern, spec in self._templates:
            if len(pattern) == len(parts) and all(
                p is None or p == s for p, s in zip(pattern, parts, strict=True)
            ):
                candidates.append(spec)
        for spec in candidates:
            if method in spec.methods:
                return spec, False
        return None, bool(candidates)
