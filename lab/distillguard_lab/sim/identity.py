"""Who sends the traffic: accounts, organisations, keys, addresses, clients, payment.

Identifiers are random hex drawn from the scenario's generator, never sequential,
so nothing about an id tells whether an account is benign or hostile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from distillguard_lab.sim.timing import US_PER_DAY, US_PER_H

#: Client software strings seen on chat-completions APIs, by family.  Benign
#: developers and services use the very same SDKs as scripted harvesters.
USER_AGENTS: Final[dict[str, tuple[str, ...]]] = {
    "openai-python": (
        "OpenAI/Python 1.54.3",
        "OpenAI/Python 1.68.2",
        "OpenAI/Python 1.82.0",
        "AsyncOpenAI/Python 1.82.0",
    ),
    "openai-node": ("OpenAI/JS 4.73.0", "OpenAI/JS 5.1.1"),
    "httpx": ("python-httpx/0.27.2", "python-httpx/0.28.1"),
    "requests": ("python-requests/2.31.0", "python-requests/2.32.3"),
    "curl": ("curl/7.88.1", "curl/8.5.0"),
    "frameworks": (
        "langchain-openai/0.3.1 OpenAI/Python 1.58.1",
        "litellm/1.55.0",
        "llama-index/0.12.2 OpenAI/Python 1.57.0",
    ),
    "go": ("Go-http-client/2.0", "go-openai/1.36.0"),
    "java": ("okhttp/4.12.0", "Java-http-client/21.0.4"),
    "chat-apps": (
        "ChatBox/1.9.1 (Electron)",
        "TypingMind/2.3.0",
        "LibreChat/0.7.5",
        "Open-WebUI/0.5.4",
        "Raycast/1.88.2",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
}

# First octets of big public allocations (no private, loopback, multicast or
# reserved space), standing in for access networks and clouds.
_RESIDENTIAL_FIRST: Final = (
    24,
    31,
    37,
    46,
    49,
    58,
    59,
    61,
    67,
    68,
    71,
    73,
    76,
    78,
    79,
    81,
    82,
    83,
    84,
    86,
    88,
    89,
    90,
    91,
    93,
    94,
    95,
    98,
    99,
    101,
    106,
    110,
    111,
    112,
    113,
    114,
    115,
    116,
    117,
    118,
    119,
    121,
    122,
    123,
    124,
    125,
    171,
    175,
    176,
    177,
    178,
    179,
    180,
    181,
    182,
    183,
    186,
    187,
    189,
    190,
    191,
    197,
    200,
    201,
    212,
    213,
    217,
    218,
    219,
    220,
)
_DATACENTER_FIRST: Final = (
    3,
    13,
    18,
    20,
    34,
    35,
    40,
    44,
    45,
    51,
    52,
    54,
    64,
    104,
    107,
    128,
    134,
    137,
    138,
    139,
    143,
    144,
    146,
    147,
    149,
    152,
    157,
    159,
    161,
    165,
    167,
    168,
    170,
    185,
    188,
    192,
    198,
    199,
    204,
    206,
    207,
    209,
)


@dataclass
class Account:
    """One API account and everything its requests carry besides content."""

    account_id: str
    org_id: str
    role: str
    tier: str
    created_at_us: int
    api_keys: list[str]
    ips: list[str]
    user_agents: list[str]
    payment: str | None
    tz: float
    model_weights: dict[str, float] = field(default_factory=dict)
    campaign_id: str | None = None


def hex_id(rng: np.random.Generator, prefix: str, nbytes: int = 8) -> str:
    """A random identifier such as ``acct_3f9c0a…``.

    >>> hex_id(np.random.default_rng(1), "acct_").startswith("acct_")
    True
    """
    return prefix + rng.bytes(nbytes).hex()


def residential_ip(rng: np.random.Generator, v6_rate: float = 0.15) -> str:
    """An address in a consumer access network (v4, or v6 at ``v6_rate``)."""
    if rng.random() < v6_rate:
        groups = [
            0x2000 + int(rng.integers(0x0400, 0x0FFF)),
            *rng.integers(0, 0xFFFF, size=7).tolist(),
        ]
        return ":".join(f"{g:x}" for g in groups)
    a = _RESIDENTIAL_FIRST[int(rng.integers(len(_RESIDENTIAL_FIRST)))]
    b, c, d = (int(x) for x in rng.integers(0, 256, size=3))
    return f"{a}.{b}.{c}.{max(d, 1)}"


def datacenter_block(rng: np.random.Generator) -> str:
    """A /24 in a hosting provider's space, as ``a.b.c``."""
    a = _DATACENTER_FIRST[int(rng.integers(len(_DATACENTER_FIRST)))]
    b, c = (int(x) for x in rng.integers(0, 256, size=2))
    return f"{a}.{b}.{c}"


def ips_in_block(rng: np.random.Generator, block: str, n: int) -> list[str]:
    """``n`` distinct host addresses inside a ``a.b.c`` /24."""
    hosts = rng.choice(np.arange(2, 255), size=min(n, 253), replace=False)
    return [f"{block}.{int(h)}" for h in hosts]


def pick_user_agents(rng: np.random.Generator, families: tuple[str, ...], k: int = 1) -> list[str]:
    out = []
    for _ in range(k):
        fam = families[int(rng.integers(len(families)))]
        pool = USER_AGENTS[fam]
        out.append(pool[int(rng.integers(len(pool)))])
    return out


def weighted_choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    w = np.asarray([weights[k] for k in keys], dtype=np.float64)
    return keys[int(rng.choice(len(keys), p=w / w.sum()))]


def past_signup(rng: np.random.Generator, start_us: int, median_days: float = 240.0) -> int:
    """A sign-up time before ``start_us``, mostly months earlier (exponential)."""
    age_days = rng.exponential(median_days / np.log(2)) + rng.random()
    return int(start_us - age_days * US_PER_DAY - rng.integers(0, US_PER_H))
