"""Who the red team's accounts appear to be: ids, addresses, client software.

Chosen by the red team, not copied from the simulator.  Ids use the shape a
provider assigns (``acct_`` + 16 hex and so on), because in real logs the
provider, not the attacker, picks them; their bits come from the red team's own
:class:`numpy.random.Generator`.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> len(hex_id(rng, "acct_", 16))
21
>>> import ipaddress
>>> _ = [ipaddress.ip_address(residential_ip(rng)) for _ in range(100)]
>>> _ = [ipaddress.ip_address(a) for a in cloud_subnet_ips(rng, 5)]
"""

from __future__ import annotations

from typing import Final

import numpy as np

#: First two octets of address blocks that consumer ISPs use (cable, DSL, mobile)
#: in North America, Europe, Asia and Latin America: where residential proxy
#: services source their exits.
RESIDENTIAL_V4: Final[tuple[tuple[int, int], ...]] = (
    (24, 5), (67, 160), (71, 190), (73, 15), (76, 102), (98, 207), (99, 33), (108, 28),
    (174, 48), (2, 84), (5, 146), (31, 18), (46, 114), (77, 180), (79, 140), (81, 102),
    (84, 57), (86, 12), (89, 64), (92, 184), (95, 90), (109, 190), (176, 63), (178, 165),
    (183, 14), (110, 184), (112, 97), (114, 25), (115, 66), (116, 21), (119, 8), (121, 139),
    (123, 112), (125, 70), (180, 150), (182, 55), (186, 28), (187, 112), (189, 45), (191, 5),
    (200, 114), (201, 26), (14, 161), (27, 4), (36, 72), (39, 112), (42, 3), (58, 37),
    (60, 53), (101, 86), (103, 77), (106, 212), (113, 172), (117, 136), (120, 229),
)  # fmt: skip

#: First two octets inside public cloud and hosting ranges (AWS, GCP, Azure,
#: Alibaba, Tencent, Hetzner, OVH, DigitalOcean).
CLOUD_V4: Final[tuple[tuple[int, int], ...]] = (
    (3, 91), (13, 229), (18, 144), (34, 105), (35, 198), (44, 201), (52, 74), (54, 169),
    (20, 119), (40, 83), (8, 210), (47, 88), (47, 243), (43, 134), (43, 153), (49, 51),
    (65, 21), (95, 216), (135, 181), (138, 201), (51, 77), (51, 89), (141, 95), (146, 59),
    (157, 230), (159, 65), (164, 90), (167, 71), (178, 62), (206, 189),
)  # fmt: skip

#: Client software an operator's scripts may announce (SDKs, HTTP libraries).
SDK_AGENTS: Final[tuple[str, ...]] = (
    "OpenAI/Python 1.82.0",
    "AsyncOpenAI/Python 1.82.0",
    "OpenAI/Python 1.68.2",
    "OpenAI/Python 1.54.3",
    "OpenAI/Python 1.59.7",
    "AsyncOpenAI/Python 1.61.1",
    "python-httpx/0.27.2",
    "python-httpx/0.28.1",
    "Python/3.11 aiohttp/3.9.5",
    "python-requests/2.32.3",
    "litellm/1.55.0",
    "OpenAI/JS 4.73.0",
    "OpenAI/JS 5.1.1",
    "Go-http-client/2.0",
)

#: What people's chat front-ends and browsers announce.
HUMAN_AGENTS: Final[tuple[str, ...]] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "ChatBox/1.9.1 (Electron)",
    "Open-WebUI/0.5.4",
    "LibreChat/0.7.5",
    "TypingMind/2.3.0",
    "Raycast/1.88.2",
)

#: Agent and framework clients (the agentic operation).
AGENT_FRAMEWORKS: Final[tuple[str, ...]] = (
    "OpenAI/Python 1.82.0",
    "AsyncOpenAI/Python 1.82.0",
    "litellm/1.55.0",
    "langchain-openai/0.3.1 OpenAI/Python 1.58.1",
    "llama-index/0.12.2 OpenAI/Python 1.57.0",
)


def hex_id(rng: np.random.Generator, prefix: str, digits: int) -> str:
    """``prefix`` + ``digits`` random lowercase hex digits.

    >>> hex_id(np.random.default_rng(1), "ev_", 8)[:3]
    'ev_'
    """
    return prefix + rng.bytes((digits + 1) // 2).hex()[:digits]


def residential_ip(rng: np.random.Generator, v6_share: float = 0.15) -> str:
    """One consumer-ISP address: a random /24 inside a residential block, or IPv6.

    IPv6 exits come from a few large ISPs' /32s (2a02:, 2600:, 240e:).
    """
    if rng.random() < v6_share:
        head = ("2a02", "2600", "240e", "2804", "2409")[int(rng.integers(5))]
        groups = [f"{int(g):x}" for g in rng.integers(0, 0x10000, size=7)]
        return ":".join([head, *groups])
    a, b = RESIDENTIAL_V4[int(rng.integers(len(RESIDENTIAL_V4)))]
    c, d = int(rng.integers(0, 256)), int(rng.integers(1, 255))
    return f"{a}.{(b + int(rng.integers(0, 8))) % 256}.{c}.{d}"


def residential_pool(rng: np.random.Generator, size: int) -> list[str]:
    """``size`` distinct residential exits (a proxy provider's rotating pool)."""
    seen: dict[str, None] = {}
    while len(seen) < size:
        seen[residential_ip(rng)] = None
    return list(seen)


def cloud_subnet_ips(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` addresses in one cloud /24 (a cluster's egress NAT or a VM fleet)."""
    a, b = CLOUD_V4[int(rng.integers(len(CLOUD_V4)))]
    c = int(rng.integers(0, 256))
    hosts = rng.choice(np.arange(2, 254), size=n, replace=False)
    return [f"{a}.{b}.{c}.{int(h)}" for h in hosts]
