"""Guards pinned down to the line: each test here kills mutants (``make mutate``) that the
behaviour tests let live -- a refusal that must say which refusal it is, a bound that must be
exactly where it is. docs/mutation.md lists what each one kills."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.kernel import USER_ID_MAX
from bot.core.people import speaking
from bot.core.people.user_times import occurrence
from bot.core.people.zones import NAME_MAX, ZoneError, parse_zone, zone_of
from bot.core.telegram.intake import SECRET_HEADER, Webhook, WrongSecrets
from bot.modules.subscriptions.payments import (
    CURRENCY,
    DAYS_MAX,
    STARS_MAX,
    Offer,
    PaymentError,
    check,
    parse_payload,
)

PAYER = 42
OFFER = Offer(PAYER, 30, 50)


def _refusal(payload: str, **given: object) -> str:
    values: dict[str, object] = {
        "payer": PAYER,
        "currency": CURRENCY,
        "amount": 50,
        "current": OFFER,
    }
    values.update(given)
    with speaking("en"), pytest.raises(PaymentError) as refused:
        check(payload, **values)  # type: ignore[arg-type]
    return str(refused.value)


# -- pre-checkout amount ------------------------------------------------------------------


def test_the_offer_on_sale_passes_the_check() -> None:
    assert check("vip:42:30:50", payer=PAYER, currency=CURRENCY, amount=50, current=OFFER) == OFFER


def test_each_pre_checkout_refusal_says_which_it_is() -> None:
    assert _refusal("vip:42:30") == "This invoice is not valid. Send /subscribe for a new one."
    assert _refusal("vip:42:30:50", payer=43) == (
        "This invoice was made for someone else. Send /subscribe yourself."
    )
    amount = "The amount does not match the invoice. Send /subscribe again."
    assert _refusal("vip:42:30:50", amount=49) == amount
    assert _refusal("vip:42:30:50", amount=51) == amount
    assert _refusal("vip:42:30:50", currency="USD") == amount  # the right number, not in Stars
    assert _refusal("vip:42:30:50", currency="") == amount
    changed = "The price has changed since this invoice. Send /subscribe again."
    assert _refusal("vip:42:30:50", current=Offer(PAYER, 30, 60)) == changed
    assert _refusal("vip:42:30:50", current=Offer(PAYER, 31, 50)) == changed


def test_the_payload_is_four_parts_the_first_vip() -> None:
    assert parse_payload("vip:1:1:1") == Offer(1, 1, 1)
    for payload in ("vip:1:1", "vip:1:1:1:1", "VIP:1:1:1", "xvip:1:1:1", "", "vip", ":1:1:1"):
        with pytest.raises(PaymentError):
            parse_payload(payload)


def test_the_payload_bounds_are_exactly_the_documented_ones() -> None:
    top = f"vip:{USER_ID_MAX}:{DAYS_MAX}:{STARS_MAX}"
    assert parse_payload(top) == Offer(USER_ID_MAX, DAYS_MAX, STARS_MAX)
    for payload in (
        "vip:0:1:1",
        "vip:1:0:1",
        "vip:1:1:0",
        f"vip:{USER_ID_MAX + 1}:1:1",
        f"vip:1:{DAYS_MAX + 1}:1",
        f"vip:1:1:{STARS_MAX + 1}",
    ):
        with pytest.raises(PaymentError):
            parse_payload(payload)


# -- per-user zone --------------------------------------------------------------------------


def test_a_zone_is_read_whole_with_underscores_or_spaces_and_whole_hours() -> None:
    assert parse_zone("New_York") == parse_zone("new york") == "America/New_York"
    assert parse_zone("+5") == "UTC+05:00"  # no minutes: zero of them
    assert parse_zone("UTC-3") == "UTC-03:00"
    assert zone_of("Europe/Kyiv", UTC) == ZoneInfo("Europe/Kyiv")
    assert zone_of(None, UTC) is UTC


def test_a_refused_zone_names_the_text_and_at_most_its_first_64_characters() -> None:
    with pytest.raises(ZoneError) as long:
        parse_zone("x" * (NAME_MAX + 10))
    assert long.value.text == "x" * NAME_MAX
    with pytest.raises(ZoneError) as unknown:
        parse_zone("Atlantis")
    assert unknown.value.text == "Atlantis"
    with speaking("en"), pytest.raises(ZoneError) as offset:
        parse_zone("+5:10")
    assert offset.value.text == "+5:10"
    assert offset.value.suggestions == ["UTC-12:00 … UTC+14:00, in quarters of an hour"]


def test_an_occurrence_is_in_utc_and_a_skipped_time_moves_to_the_end_of_the_gap() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 2026-03-29: 02:00 -> 03:00
    spring = date(2026, 3, 29)
    plain = occurrence(date(2026, 3, 28), time(9, 0), berlin)
    assert plain == datetime(2026, 3, 28, 8, 0, tzinfo=UTC) and plain.tzinfo is UTC
    for wall in (time(2, 30), time(2, 31), time(2, 30, 30), time(2, 30, 0, 500)):
        moved = occurrence(spring, wall, berlin)
        assert moved == datetime(2026, 3, 29, 1, 0, tzinfo=UTC) and moved.tzinfo is UTC


# -- webhook secret -------------------------------------------------------------------------


def test_an_address_that_is_no_ip_is_throttled_too() -> None:
    wrong = WrongSecrets(limit=1, window=60)
    wrong.failed("?", 1.0)
    assert wrong.blocked_for("?", 2.0) == 59.0


def test_the_oldest_peer_is_forgotten_first() -> None:
    wrong = WrongSecrets(limit=1, window=60, peers=2)
    for peer in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        wrong.failed(peer, 1.0)
    assert wrong.blocked_for("198.51.100.1", 2.0) == 0  # forgotten
    assert wrong.blocked_for("198.51.100.2", 2.0) == 59.0
    assert wrong.blocked_for("198.51.100.3", 2.0) == 59.0


SECRET = "s" * 32


async def test_the_webhook_answers_each_refusal_with_its_status_and_headers() -> None:
    """The webhook's own handler behind a real aiohttp server on loopback: a missing secret
    is refused, a body that is no update gets 400, and a peer (behind a local proxy) that
    failed five times gets 429 with the seconds left in its window."""
    webhook = Webhook("https://example.org/hook", SECRET, listen="127.0.0.1", port=0)
    app = SimpleNamespace(bot=None, update_queue=asyncio.Queue())

    async def receive(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await webhook._receive(app, request)  # type: ignore[arg-type]
        return response

    server = web.Application()
    server.router.add_post("/hook", receive)
    test_server = TestServer(server)
    client: TestClient[web.Request, web.Application] = TestClient(test_server)
    async with test_server, client:
        given = {SECRET_HEADER: SECRET, "X-Forwarded-For": "203.0.113.9"}
        bad = await client.post("/hook", data="not json", headers=given)
        assert (bad.status, await bad.text()) == (400, "not an update")
        missing = await client.post("/hook", json={}, headers={"X-Forwarded-For": "203.0.113.8"})
        assert missing.status == 403
        guessing = {SECRET_HEADER: "wrong", "X-Forwarded-For": "203.0.113.7"}
        for _ in range(5):
            assert (await client.post("/hook", json={}, headers=guessing)).status == 403
        blocked = await client.post(
            "/hook", json={}, headers=given | {"X-Forwarded-For": "203.0.113.7"}
        )
        assert blocked.status == 429
        assert blocked.headers["Retry-After"] == "60"
        assert app.update_queue.empty()
