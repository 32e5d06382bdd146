"""Request paths: one canonical form, computed before routing and forwarded as decided.

An upstream server, or the HTTP client that talks to it, may read a path
differently from the router that decided it: ``/v1/./chat/completions`` is not
the route ``/v1/chat/completions`` to a plain string match, but it is to a client
that removes dot segments.  So the gateway decides on one canonical form and
sends exactly that form upstream; whatever cannot be put in that form without
guessing is refused.

Canonical form: dot segments removed (RFC 3986 §5.2.4), repeated slashes and a
trailing slash dropped, percent escapes of characters that may stand literally in
a path segment decoded.  Case is kept (model ids are case-sensitive), so a case
variant of a route is simply not that route.  Refused: anything but printable
ASCII, ``;`` (path parameters), backslashes, escapes that decode to a separator,
``%`` or anything a path segment cannot hold, and ``..`` above the root.

>>> canonical_path(b"/v1/./chat//completions/")
'/v1/chat/completions'
>>> canonical_path(b"/v1/x/../chat/%63ompletions")
'/v1/chat/completions'
>>> canonical_path(b"/v1/models/ft:gpt-4o:org@x")
'/v1/models/ft:gpt-4o:org@x'
>>> canonical_path(b"/v1/chat/completions;x")
Traceback (most recent call last):
...
distillguard.gateway.paths.PathRefused: path parameters (';') are not accepted
>>> canonical_path(b"/v1%2fchat/completions")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
distillguard.gateway.paths.PathRefused: an escape in the path decodes to '/', which ...
"""

from __future__ import annotations

import re
from typing import Final

from distillguard.errors import DistillguardError

#: Characters a path segment may hold literally (RFC 3986 ``pchar`` without ``;``
#: and ``%``): unreserved, the other sub-delims, ``:`` and ``@``.
_SEGMENT_CHARS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@"
)
_ESCAPE: Final = re.compile(r"%([0-9A-Fa-f]{2})")


class PathRefused(DistillguardError):  # noqa: N818  (reads as a condition)
    """A request path that has no canonical form (the gateway answers 400)."""


def _decode_segment(segment: str) -> str:
    if "%" in segment:
        if _ESCAPE.sub("", segment).count("%"):
            raise PathRefused("a '%' in the path does not start an escape")
        segment = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), segment)
    bad = next((c for c in segment if c not in _SEGMENT_CHARS), None)
    if bad is not None:
        raise PathRefused(
            f"an escape in the path decodes to {bad!r}, which a path segment cannot hold"
        )
    return segment


def canonical_path(raw: bytes) -> str:
    """The canonical form of ``raw`` (the path as sent, without the query); see above."""
    if not raw.startswith(b"/"):
        raise PathRefused("the request target must be a path starting with '/'")
    if any(b < 0x21 or b > 0x7E for b in raw):
        raise PathRefused("the path holds a space, a control byte or a non-ASCII byte")
    text = raw.decode("ascii")
    if ";" in text:
        raise PathRefused("path parameters (';') are not accepted")
    if "\\" in text:
        raise PathRefused("backslashes are not accepted in the path")
    out: list[str] = []
    for part in text.split("/"):
        segment = _decode_segment(part)
        if segment in ("", "."):
            continue
        if segment == "..":
            if not out:
                raise PathRefused("'..' in the path climbs above the root")
            out.pop()
            continue
        out.append(segment)
    return "/" + "/".join(out)


def query_string(raw: bytes) -> str:
    """The query as sent, checked to be printable ASCII (it is forwarded verbatim).

    >>> query_string(b"api-version=2024-10-21")
    'api-version=2024-10-21'
    """
    if any(b < 0x21 or b > 0x7E for b in raw):
        raise PathRefused("the query holds a space, a control byte or a non-ASCII byte")
    return raw.decode("ascii")
