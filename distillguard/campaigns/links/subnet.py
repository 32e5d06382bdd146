"""Shared network: accounts sending from the same IPv4 /24 or IPv6 /48.

Residential proxy pools hand out addresses from the same few networks; two users of
one home ISP share a /24 by chance, so this link is weaker than a shared address and
networks holding many accounts count little.

>>> subnet_of("203.0.113.77"), subnet_of("2001:db8:1:2::5"), subnet_of("nonsense")
('203.0.113.0/24', '2001:db8:1::/48', None)
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.campaigns.links.base import LinkContext, Linker, register


def subnet_of(ip: str) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network of an address; None if it is not one."""
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


@register
@dataclass(frozen=True)
class SharedSubnet(Linker):
    name: ClassVar[str] = "subnet"
    description: ClassVar[str] = "send from the same /24 (IPv4) or /48 (IPv6) network"
    kind: ClassVar[str] = "infrastructure"
    weight: float = 0.3
    same_org_factor: float = 0.1

    def pairs(self, ctx: LinkContext) -> pa.Table:
        keys = ctx.store.key_counts(["ip"], ctx.window)
        ips = pc.unique(keys["key"])
        nets = pa.array([subnet_of(str(i)) for i in ips.to_pylist()], pa.string())
        holders = pa.table(
            {"account_id": keys["account_id"], "key": pc.take(nets, pc.index_in(keys["key"], ips))}
        )
        return self.key_pairs(ctx, holders, same_org_factor=self.same_org_factor)
