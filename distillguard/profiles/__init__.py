"""Account profiles: mergeable per account-day parts, declared once, run batch and online.

- :mod:`.expr`: the per-event expressions parts are written in;
- :mod:`.spec`: the kinds of part, key kind and key statistic, and :class:`ProfileSpec`;
- :mod:`.parts`: :data:`PROFILE`, every part of the profile (the one place to add one);
- :mod:`.sql`: a spec compiled to DuckDB (what ``store/duckdb.py`` runs);
- :mod:`.fold`: a spec compiled to a one-event fold and a merge (what the gateway's
  state backends run).

See ``docs/profiles.md``.
"""

from distillguard.profiles.parts import COT_KEY_KINDS, PROFILE, TARGETED, feeds
from distillguard.profiles.spec import (
    Count,
    DistinctCount,
    KeyKind,
    KeyStat,
    Latest,
    Max,
    Min,
    Part,
    ProfileSpec,
    ProfileSpecError,
    Sum,
    TopCount,
    TopCountIn,
)

__all__ = [
    "COT_KEY_KINDS",
    "PROFILE",
    "TARGETED",
    "Count",
    "DistinctCount",
    "KeyKind",
    "KeyStat",
    "Latest",
    "Max",
    "Min",
    "Part",
    "ProfileSpec",
    "ProfileSpecError",
    "Sum",
    "TopCount",
    "TopCountIn",
    "feeds",
]
