"""Where feed downloads may go: https:// to public addresses, unless FEED_ALLOW_HTTP and
FEED_ALLOW_PRIVATE say more; checked when the settings are read and on every hop."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.kernel.settings import read_settings
from bot.modules.content.feed_address import (
    Address,
    AddressPolicy,
    Network,
    is_public,
    parse_networks,
)
from bot.modules.content.settings import ContentSettings
from bot.settings import CompanionSettings

SETTINGS = settings(max_examples=300, deadline=None)
# Networks no feed may reach by default: private, shared, loopback, link-local (the cloud
# metadata address), multicast, reserved, unspecified, documentation, benchmarking, ULA.
NOT_PUBLIC = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
    "2001:db8::/32",
    "64:ff9b::a00:0/104",  # 10.0.0.0/8 through NAT64
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001::200e"]


@st.composite
def non_public(draw: st.DrawFn) -> Address:
    """An address inside one of the NOT_PUBLIC networks."""
    network = ipaddress.ip_network(draw(st.sampled_from(NOT_PUBLIC)))
    offset = draw(st.integers(0, network.num_addresses - 1))
    return network[offset]


def mapped(address: ipaddress.IPv4Address) -> ipaddress.IPv6Address:
    """``address`` written inside IPv6 (``::ffff:a.b.c.d``)."""
    return ipaddress.IPv6Address(f"::ffff:{address}")


@SETTINGS
@given(non_public())
def test_private_loopback_link_local_multicast_reserved_are_not_public(address: Address) -> None:
    """Every address of a non-public range is refused by default, also written inside IPv6,
    and allowed only by a FEED_ALLOW_PRIVATE network holding it."""
    assert not is_public(address)
    if isinstance(address, ipaddress.IPv4Address):
        assert not is_public(mapped(address))
        sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))
        assert not is_public(sixtofour)
    policy = AddressPolicy()
    assert (
        policy.address_problem(address) == f"{address} is not a public address (FEED_ALLOW_PRIVATE)"
    )
    allowed = AddressPolicy(allowed=(ipaddress.ip_network(f"{address}/{address.max_prefixlen}"),))
    assert allowed.address_problem(address) is None


@SETTINGS
@given(st.ip_addresses())
def test_an_address_is_refused_exactly_when_it_is_not_public(address: Address) -> None:
    """The default policy refuses an address if and only if it is not public, and a host
    written as that address in a URL the same way."""
    policy = AddressPolicy()
    refused = policy.address_problem(address) is not None
    assert refused is not is_public(address)
    host = f"[{address}]" if address.version == 6 else str(address)
    assert (policy.url_problem(f"https://{host}/feed") is not None) is refused
    assert (policy.refused([str(address)]) is not None) is refused


def test_public_addresses_pass() -> None:
    """Ordinary internet addresses are public, as IPv4 and IPv6 (mapped IPv4 included)."""
    for text in PUBLIC:
        address = ipaddress.ip_address(text)
        assert is_public(address) and AddressPolicy().address_problem(address) is None
    assert is_public(mapped(ipaddress.IPv4Address("8.8.8.8")))


@SETTINGS
@given(st.text())
def test_url_checker_answers_or_refuses_never_raises(text: str) -> None:
    """Any text as a feed URL gets None or a reason; only https:// (or http:// when
    allowed) URLs can pass."""
    for policy in (AddressPolicy(), AddressPolicy(allow_http=True)):
        problem = policy.url_problem(text)
        assert problem is None or isinstance(problem, str)
        if problem is None:
            schemes = ("https:", "http:") if policy.allow_http else ("https:",)
            assert text.lower().startswith(schemes)


@SETTINGS
@given(
    st.sampled_from(["http", "HTTP", "https", "ftp", "file", "gopher", ""]),
    st.text(alphabet="abc019/?=&%.-_~:@!$'()*+,;"),
)
def test_only_https_unless_http_is_allowed(scheme: str, rest: str) -> None:
    """http:// is refused unless FEED_ALLOW_HTTP; other schemes always."""
    url = f"{scheme}://example.org/{rest}"
    default, with_http = AddressPolicy().url_problem(url), AddressPolicy(True).url_problem(url)
    if scheme.lower() == "https":
        assert default is None
    elif scheme.lower() == "http":
        assert default is not None and "FEED_ALLOW_HTTP" in default
        assert with_http is None
    else:
        assert default is not None and with_http is not None


@SETTINGS
@given(st.text())
def test_allowed_networks_parse_or_refuse(text: str) -> None:
    """FEED_ALLOW_PRIVATE's text gives networks or a ValueError naming the bad part."""
    try:
        networks = parse_networks(text)
    except ValueError as exc:
        assert "expected comma-separated addresses or networks" in str(exc)
        return
    assert len(networks) == len([part for part in text.split(",") if part.strip()])


@st.composite
def networks(draw: st.DrawFn) -> Network:
    address = draw(st.ip_addresses())
    prefix = draw(st.integers(0, address.max_prefixlen))
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


@SETTINGS
@given(st.lists(networks(), max_size=4))
def test_allowed_networks_read_back_as_themselves(networks: list[Network]) -> None:
    """Networks written with commas read back as the same networks."""
    assert list(parse_networks(", ".join(map(str, networks)))) == networks


def feed_errors(monkeypatch: pytest.MonkeyPatch, url: str, **env: str) -> list[str]:
    monkeypatch.setenv("FEEDS", f'[{{"name": "news", "url": "{url}"}}]')
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _settings, errors = read_settings(CompanionSettings, _env_file=None)
    return [line for line in errors if line.startswith("FEED")]


def test_settings_refuse_http_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """FEEDS with an http:// URL stops start-up naming FEED_ALLOW_HTTP; allowed, it reads."""
    [line] = feed_errors(monkeypatch, "http://example.org/rss")
    assert line.startswith("FEEDS: feed 'news' url (FEEDS[0]): http:// is refused")
    assert "FEED_ALLOW_HTTP=true" in line
    assert feed_errors(monkeypatch, "http://example.org/rss", FEED_ALLOW_HTTP="true") == []
    assert feed_errors(monkeypatch, "https://example.org/rss") == []


def test_settings_refuse_a_private_address_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed URL naming a loopback or private address stops start-up naming
    FEED_ALLOW_PRIVATE; listed there, it reads; a bad network is named."""
    [line] = feed_errors(monkeypatch, "https://10.1.2.3/rss")
    assert "10.1.2.3 is not a public address (FEED_ALLOW_PRIVATE)" in line
    allowed = feed_errors(monkeypatch, "https://10.1.2.3/rss", FEED_ALLOW_PRIVATE="10.0.0.0/8")
    assert allowed == []
    [bad] = feed_errors(monkeypatch, "https://example.org/rss", FEED_ALLOW_PRIVATE="10.0.0.0/8,x")
    assert bad.startswith("FEED_ALLOW_PRIVATE: expected comma-separated addresses or networks")
    assert "got 'x'" in bad


def test_defaults_are_safe() -> None:
    """Without settings: https only, no private address, 500 items a document, 90 days."""
    content = CompanionSettings(_env_file=None).of(ContentSettings)
    assert content.feed_policy == AddressPolicy(allow_http=False, allowed=())
    assert (content.feed_max_items, content.feed_seen_days) == (500, 90)
