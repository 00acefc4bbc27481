"""Where a feed download may go: ``https://`` to public addresses, unless the settings say more.

A feed URL is written by an admin, but its redirects and its host's DNS answers are the
feed's: without a rule, a feed could send the bot to ``http://127.0.0.1:8080/`` or to a
cloud metadata address (``169.254.169.254``) and have the answer posted to the channel.
So every hop of a download (the URL, each redirect) is checked here, and so is every
address its host resolves to, at the moment of connecting (no second lookup can differ).

Imports nothing but the standard library: the settings check URLs with it too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# Not globally reachable (IANA's special-purpose registries), whatever the Python version
# says: IETF protocol assignments, benchmarking, documentation, local-use NAT64.
_SPECIAL = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.0.0/24", "198.18.0.0/15", "2001:db8::/32", "64:ff9b:1::/48")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 reached through a NAT64 gateway


def is_public(address: Address) -> bool:
    """Whether ``address`` is reachable on the public internet: not private, loopback,
    link-local, multicast, reserved or unspecified, also when written inside IPv6
    (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return is_public(inner)
        if address.teredo is not None:
            return all(is_public(part) for part in address.teredo)
    special = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
        any(address in network for network in _SPECIAL),
    )
    return address.is_global and not any(special)


def ip_literal(host: str) -> Address | None:
    """``host`` as an address when it is one (``[::1]`` included), else None (a name)."""
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]").split("%")[0])
    except ValueError:
        return None


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` -> networks; ValueError naming the part that is not one."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(
                f"expected comma-separated addresses or networks, got {part!r}"
            ) from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """What a feed download may reach: plain ``http://`` only when ``allow_http``; an
    address that is not public only inside one of ``allowed`` (FEED_ALLOW_PRIVATE)."""

    allow_http: bool = False
    allowed: tuple[Network, ...] = ()

    def address_problem(self, address: Address) -> str | None:
        """Why ``address`` may not be reached, or None."""
        if is_public(address) or any(address in network for network in self.allowed):
            return None
        return f"{address} is not a public address (FEED_ALLOW_PRIVATE)"

    def url_problem(self, url: str) -> str | None:
        """Why ``url`` may not be fetched (its scheme, an address written in it), or None."""
        if url != url.strip() or not url.isprintable():
            return "not a valid URL"
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            return "not a valid URL"
        return self.scheme_problem(parts.scheme, url) or self.host_problem(host or "")

    def scheme_problem(self, scheme: str, url: str) -> str | None:
        """Why a URL with ``scheme`` may not be fetched, or None."""
        scheme = scheme.lower()
        if scheme == "https" or (scheme == "http" and self.allow_http):
            return None
        if scheme == "http":
            return "http:// is refused: use https:// (or set FEED_ALLOW_HTTP=true)"
        return f"feed URL must start with https://, got {url!r}"

    def host_problem(self, host: str) -> str | None:
        """Why ``host`` may not be reached when it is an address; names are checked when
        they are resolved (:meth:`refused`)."""
        if not host:
            return "no host"
        address = ip_literal(host)
        return None if address is None else self.address_problem(address)

    def refused(self, addresses: Iterable[str]) -> str | None:
        """Why a host resolving to ``addresses`` may not be reached (any one refused), or None."""
        for text in addresses:
            address = ip_literal(text)
            if address is None:
                return f"resolved to {text!r}, which is not an address"
            if problem := self.address_problem(address):
                return problem
        return None
