"""Time patterns of real API use: daily rhythms, sessions, steady services, bursts.

Times are int64 microseconds since the Unix epoch, UTC, so whole populations can be
drawn with numpy at once.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

US_PER_S: Final = 1_000_000
US_PER_H: Final = 3600 * US_PER_S
US_PER_DAY: Final = 24 * US_PER_H

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# Hour-of-day activity in local time (24 weights).  Shapes follow published web
# and API traffic studies: people in the evening, developers in office hours,
# services nearly flat with the load of their own users on top.
_PROFILES: Final[dict[str, list[float]]] = {
    "personal": [
        2,
        1,
        0.6,
        0.4,
        0.3,
        0.4,
        1,
        2,
        3,
        4,
        4.5,
        5,
        5,
        5,
        5,
        5,
        5,
        5.5,
        6,
        7,
        7.5,
        7,
        5,
        3.5,
    ],
    "office": [
        0.3,
        0.2,
        0.1,
        0.1,
        0.1,
        0.2,
        0.6,
        2,
        5,
        8,
        9,
        9,
        7,
        8,
        9,
        9,
        8,
        6,
        3,
        2,
        1.5,
        1,
        0.7,
        0.4,
    ],
    "service": [5, 4.5, 4, 4, 4, 4.5, 5, 6, 7, 7.5, 8, 8, 8, 8, 8, 8, 8, 8, 7.5, 7, 6.5, 6, 5.5, 5],
    "flat": [1.0] * 24,
}

#: UTC offsets (hours) of users, weighted roughly by API user populations.
TZ_OFFSETS: Final = np.array([-8, -7, -5, -3, 0, 1, 2, 3, 5.5, 7, 8, 9], dtype=np.float64)
TZ_WEIGHTS: Final = np.array([10, 3, 12, 3, 7, 12, 5, 3, 8, 3, 10, 4], dtype=np.float64)


def profile(name: str) -> F64:
    """Normalised hour-of-day weights for a named profile.

    >>> round(float(profile("office").sum()), 6)
    1.0
    """
    w = np.asarray(_PROFILES[name], dtype=np.float64)
    out: F64 = w / w.sum()
    return out


def draw_timezones(rng: np.random.Generator, n: int) -> F64:
    """UTC offsets in hours for ``n`` accounts."""
    return rng.choice(TZ_OFFSETS, size=n, p=TZ_WEIGHTS / TZ_WEIGHTS.sum())


def draw_local_times(
    rng: np.random.Generator,
    n: int,
    start_us: int,
    days: float,
    prof: F64,
    tz_hours: F64 | float,
    weekend_factor: float = 1.0,
) -> I64:
    """``n`` start times in ``[start, start+days)`` following a local daily rhythm.

    ``weekend_factor`` < 1 thins out Saturdays and Sundays (offices, schools).
    """
    whole_days = max(int(np.ceil(days)), 1)
    day_w = np.ones(whole_days)
    if weekend_factor != 1.0:
        first_weekday = int((start_us // US_PER_DAY + 3) % 7)  # 1970-01-01 was a Thursday
        for d in range(whole_days):
            if (first_weekday + d) % 7 >= 5:
                day_w[d] *= weekend_factor
    day = rng.choice(whole_days, size=n, p=day_w / day_w.sum())
    hour = rng.choice(24, size=n, p=prof)
    frac = rng.random(n)
    local = day * 24.0 + hour + frac  # hours since start, local clock
    utc_hours = local - np.asarray(tz_hours)
    t = start_us + (utc_hours * US_PER_H).astype(np.int64)
    end = start_us + int(days * US_PER_DAY)
    # Shifting by the time zone pushes some times out of the window: wrap them.
    span = end - start_us
    wrapped: I64 = (start_us + np.mod(t - start_us, span)).astype(np.int64)
    return wrapped


def think_times_s(
    rng: np.random.Generator, n: int, median_s: float = 45.0, sigma: float = 0.9
) -> F64:
    """Pauses between turns of one person's conversation (log-normal, heavy right tail)."""
    return rng.lognormal(np.log(median_s), sigma, size=n)


def poisson_times(rng: np.random.Generator, n: int, start_us: int, days: float, prof: F64) -> I64:
    """``n`` arrival times of a service whose load follows ``prof`` (UTC hours)."""
    return draw_local_times(rng, n, start_us, days, prof, 0.0)


def burst_runs(
    rng: np.random.Generator,
    sizes: list[int],
    start_us: int,
    days: float,
    prof: F64,
    tz: float,
    gap_median_s: float,
) -> I64:
    """Times for runs of back-to-back requests (benchmark runs, batch jobs)."""
    starts = draw_local_times(rng, len(sizes), start_us, days, prof, tz, weekend_factor=0.5)
    out = np.empty(sum(sizes), dtype=np.int64)
    pos = 0
    for s, size in zip(starts, sizes, strict=True):
        gaps = rng.lognormal(np.log(gap_median_s), 0.5, size=size)
        gaps[0] = 0.0
        out[pos : pos + size] = s + (np.cumsum(gaps) * US_PER_S).astype(np.int64)
        pos += size
    return out


def allocate_volumes(rng: np.random.Generator, total: int, accounts: int, alpha: float) -> I64:
    """Split ``total`` requests over ``accounts`` with a Pareto(alpha) tail, each ≥ 1.

    >>> v = allocate_volumes(np.random.default_rng(0), 1000, 10, 1.2)
    >>> int(v.sum()), int(v.min()) >= 1
    (1000, True)
    """
    if accounts <= 0:
        return np.zeros(0, dtype=np.int64)
    total = max(total, accounts)
    weights = rng.pareto(alpha, size=accounts) + 1.0
    extra = rng.multinomial(total - accounts, weights / weights.sum())
    return (extra + 1).astype(np.int64)
