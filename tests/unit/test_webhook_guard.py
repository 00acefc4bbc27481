"""The webhook's guard: who is calling, and how often a wrong secret may be tried."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from bot.core.kernel.settings import SECRET_MIN, read_settings
from bot.core.telegram.intake import WrongSecrets, peer_of
from bot.settings import CompanionSettings

ATTACKER, TELEGRAM = "203.0.113.7", "149.154.167.220"


def test_a_peer_is_refused_after_its_failures_until_the_window_passes() -> None:
    wrong = WrongSecrets(limit=3, window=60)
    for n in range(3):
        assert wrong.blocked_for(ATTACKER, 10.0 + n) == 0
        wrong.failed(ATTACKER, 10.0 + n)
    assert wrong.blocked_for(ATTACKER, 13.0) == 57.0
    assert wrong.blocked_for("198.51.100.1", 13.0) == 0  # others are not concerned
    assert wrong.blocked_for(ATTACKER, 70.0) == 0  # a new window
    wrong.failed(ATTACKER, 70.0)
    assert wrong.blocked_for(ATTACKER, 71.0) == 0


def test_telegram_networks_are_never_throttled() -> None:
    wrong = WrongSecrets(limit=1, window=60)
    for _ in range(5):
        wrong.failed(TELEGRAM, 1.0)
    assert wrong.blocked_for(TELEGRAM, 2.0) == 0


def test_memory_is_bounded_by_peers() -> None:
    wrong = WrongSecrets(limit=1, window=60, peers=100)
    for n in range(10_000):
        wrong.failed(str(ipaddress.ip_address(167772160 + n)), 1.0)
    assert len(wrong._failures) == 100


def test_peer_behind_a_local_proxy_is_the_address_the_proxy_saw() -> None:
    assert peer_of("127.0.0.1", "10.0.0.5, 203.0.113.7") == ATTACKER
    assert peer_of("10.1.2.3", ATTACKER) == ATTACKER
    # a public caller cannot choose its own address with the header
    assert peer_of("8.8.8.8", ATTACKER) == "8.8.8.8"
    assert peer_of("127.0.0.1", "not an address") == "127.0.0.1"
    assert peer_of(None, None) == "?"


@given(st.one_of(st.none(), st.text(max_size=40)), st.one_of(st.none(), st.text(max_size=80)))
def test_peer_of_never_fails(remote: str | None, forwarded: str | None) -> None:
    peer = peer_of(remote, forwarded)
    assert isinstance(peer, str) and peer


@given(st.from_regex(r"[A-Za-z0-9_-]{1,31}", fullmatch=True))
def test_a_short_secret_is_refused_with_how_to_make_one(secret: str) -> None:
    """What ``check`` and ``start`` print: the rule and how to make a secret, never the
    secret itself."""
    _settings, errors = read_settings(
        CompanionSettings,
        _env_file=None,
        webhook_url="https://bot.example.org/telegram",
        webhook_secret=secret,
    )
    [error] = [line for line in errors if line.startswith("WEBHOOK_SECRET")]
    assert f"at least {SECRET_MIN}" in error and "openssl rand -hex 32" in error
    assert f"{len(secret)} characters" in error
    if len(secret) > 3:
        assert secret not in error


def test_a_secret_of_32_characters_is_taken() -> None:
    settings, errors = read_settings(
        CompanionSettings,
        _env_file=None,
        webhook_url="https://bot.example.org/telegram",
        webhook_secret="a" * SECRET_MIN,
    )
    assert errors == [] and settings.webhook_secret is not None
