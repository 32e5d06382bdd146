"""Formatting shared by the campaign report's pages and charts: numbers, times,
colours and escaping.  Every value from the data goes through :func:`esc` before it
reaches a page: account ids, prompts and template text are attacker-chosen strings.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Final

#: Shown for unknown values.
DASH: Final = "\u2013"
FONT: Final = "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

VERDICT_ORDER: Final = ("block", "restrict", "watch", "allow")
VERDICT_COLOURS: Final = {
    "block": "#c62828",
    "restrict": "#ef6c00",
    "watch": "#f9a825",
    "allow": "#2e7d32",
}
UNKNOWN_COLOUR: Final = "#78909c"
#: Gateway actions, harshest in the verdict colours they answer.
ACTION_COLOURS: Final = {
    "block": "#c62828",
    "require_verification": "#ad1457",
    "throttle": "#ef6c00",
    "allow": "#2e7d32",
}

#: One fixed colour per registered link type, so a type looks the same in every
#: report.  Hues by kind: infrastructure blues, purple and brown; content teals;
#: behaviour pink and indigo; context grey.  None of them reads as a verdict colour.
LINK_COLOURS: Final = {
    "ip": "#1565c0",
    "subnet": "#64b5f6",
    "payment": "#8e24aa",
    "user_agent": "#6d4c41",
    "template": "#00897b",
    "near_duplicate": "#00bcd4",
    "source_set": "#80cbc4",
    "sync": "#d81b60",
    "round_robin": "#5c6bc0",
    "signup_burst": "#9e9e9e",
}
#: For link types no linker registers (hand-built views, future linkers).
_SPARE_LINK_COLOURS: Final = ("#4e342e", "#ad1457", "#283593", "#00695c", "#6a1b9a", "#37474f")


def esc(value: object) -> str:
    """HTML-escape ``str(value)``, quotes included.

    >>> esc('<b a="1">')
    '&lt;b a=&quot;1&quot;&gt;'
    """
    return html.escape(str(value), quote=True)


def fmt_int(value: object) -> str:
    """Thousands-separated integer, or an en dash when unknown.

    >>> fmt_int(1234567), fmt_int(None) == DASH, fmt_int(3.0)
    ('1,234,567', True, '3')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)


def fmt_num(value: object) -> str:
    """A weight or ratio, short: integers plainly, small values to 3 significant digits.

    >>> fmt_num(12.0), fmt_num(0.4567), fmt_num(1234.5), fmt_num(None) == DASH
    ('12', '0.457', '1,234', True)
    """
    if value is None:
        return DASH
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return DASH
    if x.is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def fmt_compact(value: object) -> str:
    """A large count in three significant digits with a unit: 1.23 M, 45.6 k.

    >>> fmt_compact(1_234_567), fmt_compact(45_600), fmt_compact(812), fmt_compact(None) == DASH
    ('1.23 M', '45.6 k', '812', True)
    """
    if not isinstance(value, int | float) or math.isnan(value):
        return DASH
    x = float(value)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= size:
            return f"{x / size:.3g} {unit}"
    return f"{x:,.0f}"


def utc(value: object) -> datetime | None:
    """A datetime in UTC (naive ones are UTC by the schema's convention), else None."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def fmt_ts(value: object) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM UTC``.

    >>> fmt_ts(datetime(2025, 3, 1, 14, 5, tzinfo=UTC))
    '2025-03-01 14:05 UTC'
    >>> fmt_ts(None) == DASH
    True
    """
    ts = utc(value)
    return DASH if ts is None else ts.strftime("%Y-%m-%d %H:%M UTC")


def fmt_span(first: object, last: object) -> str:
    """The duration between two timestamps, to the two largest units.

    >>> from datetime import timedelta
    >>> t0 = datetime(2025, 3, 1, tzinfo=UTC)
    >>> fmt_span(t0, t0 + timedelta(days=2, hours=5, minutes=3))
    '2 d 5 h'
    >>> fmt_span(t0, t0 + timedelta(minutes=42)), fmt_span(None, t0) == DASH
    ('42 min', True)
    """
    a, b = utc(first), utc(last)
    if a is None or b is None:
        return DASH
    minutes = max(0, int((b - a).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def fmt_risk(value: object) -> str:
    """A risk in [0, 1] to two decimals.

    >>> fmt_risk(0.876), fmt_risk(None) == DASH
    ('0.88', True)
    """
    if not isinstance(value, int | float) or math.isnan(value):
        return DASH
    return f"{value:.2f}"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``n`` and the word, singular or plural.

    >>> plural(1, "account"), plural(1200, "account"), plural(2, "address", "addresses")
    ('1 account', '1,200 accounts', '2 addresses')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def verdict_colour(verdict: str) -> str:
    return VERDICT_COLOURS.get(verdict, UNKNOWN_COLOUR)


def link_colours(link_types: Iterable[str]) -> dict[str, str]:
    """A colour per link type: the fixed one when registered, else a spare in order.

    >>> link_colours(["payment", "made_up"])
    {'payment': '#8e24aa', 'made_up': '#4e342e'}
    """
    out: dict[str, str] = {}
    spare = 0
    for lt in link_types:
        if lt in LINK_COLOURS:
            out[lt] = LINK_COLOURS[lt]
        else:
            out[lt] = _SPARE_LINK_COLOURS[spare % len(_SPARE_LINK_COLOURS)]
            spare += 1
    return out


def badge(verdict: str) -> str:
    return f'<span class="badge" style="background:{verdict_colour(verdict)}">{esc(verdict)}</span>'


def action_badge(action: str) -> str:
    colour = ACTION_COLOURS.get(action, UNKNOWN_COLOUR)
    return f'<span class="badge" style="background:{colour}">{esc(action)}</span>'


@lru_cache(maxsize=8)
def asset(name: str) -> str:
    """A text file shipped in ``distillguard/reports/assets`` (styles, scripts, actions)."""
    ref = resources.files("distillguard.reports") / "assets" / name
    return ref.read_text(encoding="utf-8")
