"""Guards pinned down to the line: each test here kills mutants (``make mutate``) that the
behaviour tests let live -- a refusal that must say which refusal it is, a bound that must be
exactly where it is. docs/mutation.md lists what each one kills."""

from __future__ import annotations

import asyncio
import os
import time as clock
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from telegram import Bot, CallbackQuery, Chat, InaccessibleMessage, Message, Update, User

from bot.core.kernel import USER_ID_MAX
from bot.core.kernel.settings import Settings
from bot.core.people import speaking
from bot.core.people.i18n import _ as in_current_language
from bot.core.people.i18n import from_telegram, gettext_in
from bot.core.people.user_times import next_occurrence, occurrence
from bot.core.people.zones import NAME_MAX, ZoneError, parse_zone, zone_of
from bot.core.ratelimit import CompanionRateLimiter, MemoryBackend, RatePolicy, Window
from bot.core.ratelimit import limiter as limiter_module
from bot.core.ratelimit.backend import GLOBAL, Scope
from bot.core.ratelimit.limiter import is_limited
from bot.core.telegram import OWNER, Button, ButtonCatalog, Command, admins, staff
from bot.core.telegram.arrival import WEBHOOK_PATIENCE, ArrivalQueue, NotSafeYet
from bot.core.telegram.intake import SECRET_HEADER, Webhook, WrongSecrets, peer_of
from bot.modules.subscriptions.payments import (
    CURRENCY,
    DAYS_MAX,
    MONTHLY_MAX,
    PERIOD_DAYS,
    STARS_MAX,
    Offer,
    PaymentError,
    check,
    parse_payload,
)

PAYER = 42
ATTACKER, TELEGRAM = "203.0.113.7", "149.154.167.220"
BOT_TOKEN = "123456:" + "A" * 35
AT = datetime(2026, 1, 1, tzinfo=UTC)
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


def test_a_renewing_invoice_passes_only_while_the_renewal_is_on_sale_at_its_price() -> None:
    """``vipm:<user>:<stars>``: checked against the renewing offer (not the one-off one);
    when no renewal is on sale, any renewing invoice is refused as a changed price."""
    monthly = Offer(PAYER, PERIOD_DAYS, 75, renewing=True)
    paid = check(
        "vipm:42:75", payer=PAYER, currency=CURRENCY, amount=75, current=OFFER, monthly=monthly
    )
    assert paid == monthly
    changed = "The price has changed since this invoice. Send /subscribe again."
    assert (
        _refusal("vipm:42:75", amount=75, monthly=Offer(PAYER, PERIOD_DAYS, 80, renewing=True))
        == changed
    )
    for stars in (1, 50, 75):
        assert _refusal(f"vipm:42:{stars}", amount=stars) == changed  # no renewal on sale
    assert _refusal("vipm:42:75", amount=75, payer=43, monthly=monthly) == (
        "This invoice was made for someone else. Send /subscribe yourself."
    )
    assert parse_payload("vipm:1:1") == Offer(1, PERIOD_DAYS, 1, renewing=True)
    assert parse_payload(f"vipm:{USER_ID_MAX}:{MONTHLY_MAX}") == Offer(
        USER_ID_MAX, PERIOD_DAYS, MONTHLY_MAX, renewing=True
    )
    for payload in (
        "vipm:0:1",
        "vipm:1:0",
        f"vipm:1:{MONTHLY_MAX + 1}",
        "vipm:1:1:1",
        "vipm:1",
        "VIPM:1:1",
    ):
        with pytest.raises(PaymentError):
            parse_payload(payload)


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


def test_a_window_ends_exactly_window_seconds_after_its_first_failure() -> None:
    """At the window's end the peer is looked at again and its count starts over from that
    failure: the next window is measured from it, not from the old one."""
    wrong = WrongSecrets(limit=2, window=60)
    assert [wrong.failed(ATTACKER, 100.0), wrong.failed(ATTACKER, 110.0)] == [1, 2]
    assert wrong.blocked_for(ATTACKER, 159.5) == 0.5
    assert wrong.blocked_for(ATTACKER, 160.0) == 0.0  # the window has passed
    assert wrong.failed(ATTACKER, 160.0) == 1  # a new window, from now
    assert wrong.failed(ATTACKER, 161.0) == 2
    assert wrong.blocked_for(ATTACKER, 161.5) == 58.5  # 160 + 60 - 161.5
    assert wrong.blocked_for(TELEGRAM, 161.5) == 0.0
    other = "198.51.100.9"
    assert [wrong.failed(other, 100.0), wrong.failed(other, 160.0)] == [1, 1]  # not looked at


def test_the_peer_is_the_last_address_the_local_proxy_appended() -> None:
    """Behind a proxy on this machine, the last X-Forwarded-For address (written with or
    without spaces, IPv6 in its short form); a caller that is no IP address, or a public
    one, is itself the peer whatever it forwards."""
    assert peer_of("127.0.0.1", "198.51.100.1,203.0.113.7") == ATTACKER
    assert peer_of("::1", "198.51.100.1, 2001:DB8:0::7") == "2001:db8::7"
    assert peer_of("unix-socket", ATTACKER) == "unix-socket"
    assert peer_of("", ATTACKER) == "?"
    assert peer_of("192.168.1.1", None) == "192.168.1.1"


class _Arrivals(ArrivalQueue):
    """An update queue whose arrivals store nothing: they succeed, or time out."""

    def __init__(self, stored: bool) -> None:
        super().__init__()
        self.stored = stored
        self.patience: list[float | None] = []

    async def secure(self, update: Update, patience: float | None = None) -> None:
        self.patience.append(patience)
        if not self.stored:
            raise NotSafeYet("database away")


async def _post(
    queue: asyncio.Queue[object], calls: Sequence[tuple[dict[str, str], object]]
) -> list[tuple[int, str]]:
    """POST each (headers, body) to the webhook's handler behind a real aiohttp server."""
    webhook = Webhook("https://example.org/hook", SECRET, listen="127.0.0.1", port=0)
    app: Any = SimpleNamespace(bot=Bot(BOT_TOKEN), update_queue=queue)  # what _receive reads

    async def receive(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await webhook._receive(app, request)
        return response

    server = web.Application()
    server.router.add_post("/hook", receive)
    test_server = TestServer(server)
    client: TestClient[web.Request, web.Application] = TestClient(test_server)
    answers = []
    async with test_server, client:
        for headers, body in calls:
            response = await client.post("/hook", json=body, headers=headers)
            answers.append((response.status, await response.text()))
    return answers


UPDATE = {
    "update_id": 7001,
    "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}},
}


async def test_an_accepted_update_is_queued_as_it_came_for_the_bot() -> None:
    queue: asyncio.Queue[object] = asyncio.Queue()
    assert await _post(queue, [({SECRET_HEADER: SECRET}, UPDATE)]) == [(200, "")]
    update = queue.get_nowait()
    assert isinstance(update, Update) and update.update_id == 7001
    assert update.message is not None and update.message.chat.id == 5
    assert update.get_bot().token == BOT_TOKEN
    assert queue.empty()


async def test_an_update_is_acknowledged_only_once_its_arrivals_stored_it() -> None:
    """The arrivals get the webhook's patience; stored, the update is queued and answered
    200; not stored in time, the answer is 503 (Telegram sends it again) and nothing is
    queued."""
    stored, away = _Arrivals(stored=True), _Arrivals(stored=False)
    assert await _post(stored, [({SECRET_HEADER: SECRET}, UPDATE)]) == [(200, "")]
    assert await _post(away, [({SECRET_HEADER: SECRET}, UPDATE)]) == [(503, "try again")]
    assert stored.patience == away.patience == [WEBHOOK_PATIENCE]
    update = stored.get_nowait()
    assert isinstance(update, Update) and update.update_id == 7001
    assert stored.empty() and away.empty()


async def test_wrong_secrets_are_counted_per_peer_behind_the_proxy() -> None:
    """Five wrong secrets from one address behind the local proxy block that address only;
    the proxy's other callers are still looked at."""
    guessing = {SECRET_HEADER: "wrong", "X-Forwarded-For": ATTACKER}
    other = {SECRET_HEADER: SECRET, "X-Forwarded-For": "198.51.100.2"}
    answers = await _post(asyncio.Queue(), [(guessing, UPDATE)] * 6 + [(other, UPDATE)])
    assert [status for status, _ in answers] == [403] * 5 + [429, 200]


# -- admin check: button presses --------------------------------------------------------------


class _Answers:
    """A callback query's answers (what the presser sees)."""

    def __init__(self) -> None:
        self.given: list[tuple[str, bool]] = []

    async def __call__(self, text: str, show_alert: bool = False) -> None:
        self.given.append((text, show_alert))


def _press(presser: int, chat: Chat, data: str | None, answers: _Answers) -> Any:
    message = Message(2, AT, chat, text="Choose")
    query = SimpleNamespace(
        data=data, from_user=User(presser, "Presser", is_bot=False), message=message, answer=answers
    )
    return SimpleNamespace(callback_query=query)


async def test_a_press_runs_its_callback_only_when_its_guard_admits_the_presser() -> None:
    """An admitted press runs the button's callback with its update and context; a refused
    one is answered with the button's own refusal as an alert; data nothing declares is
    answered "no longer valid"; an update without a press does nothing."""
    ran: list[tuple[object, object]] = []

    async def callback(update: object, context: object) -> None:
        ran.append((update, context))

    catalogue = ButtonCatalog()
    catalogue.add(Button("adm:", callback, guard=admins("Only the bot's admins may do this.")))
    settings = Settings(_env_file=None, admin_ids="1")
    context = SimpleNamespace(services=SimpleNamespace(settings=settings))
    answers = _Answers()
    admitted = _press(1, Chat(1, Chat.PRIVATE), "adm:go", answers)
    await catalogue.press(admitted, context)
    assert ran == [(admitted, context)] and answers.given == []
    await catalogue.press(_press(2, Chat(2, Chat.PRIVATE), "adm:go", answers), context)
    await catalogue.press(_press(1, Chat(1, Chat.PRIVATE), "old:1", answers), context)
    await catalogue.press(_press(1, Chat(1, Chat.PRIVATE), None, answers), context)
    no_press: Any = SimpleNamespace(callback_query=None)
    await catalogue.press(no_press, context)
    assert len(ran) == 1
    assert answers.given == [
        ("Only the bot's admins may do this.", True),
        ("This button is no longer valid.", False),
        ("This button is no longer valid.", False),
    ]


def test_a_press_on_a_message_too_old_to_read_is_the_owners_only_in_private() -> None:
    """Telegram gives an old message as inaccessible (no reply to read): in a group nobody
    owns it; in the owner's private chat the owner still does."""
    settings = Settings(_env_file=None, admin_ids="1")
    group, private = Chat(-100_7, Chat.SUPERGROUP), Chat(2, Chat.PRIVATE)
    for chat, admitted in ((group, False), (private, True)):
        old = InaccessibleMessage(chat, 5)
        query = CallbackQuery("q", User(2, "Presser", is_bot=False), "ci", old, data="x")
        assert OWNER.admits(settings, query) is admitted


# -- Ukrainian lookup -------------------------------------------------------------------------

STALE_EN, STALE_UK = "This button is no longer valid.", "Ця кнопка більше не дійсна."


def test_a_text_is_read_in_the_language_asked_whatever_the_current_one() -> None:
    """gettext_in (an admin's report, a group's default) reads the catalogue of the language
    asked, and leaves the current language as it was."""
    with speaking("en"):
        assert gettext_in("uk", STALE_EN) == STALE_UK
        assert in_current_language(STALE_EN) == STALE_EN
    with speaking("uk"):
        assert gettext_in("en", STALE_EN) == STALE_EN
        assert gettext_in("uk", STALE_EN) == STALE_UK
        assert in_current_language(STALE_EN) == STALE_UK


def test_telegrams_code_reads_its_language_by_its_first_subtag() -> None:
    assert [from_telegram(code) for code in ("UK", "uk-Cyrl-UA", "uk-", "", "ukr", "en-uk")] == [
        "uk",
        "uk",
        "uk",
        None,
        None,
        "en",
    ]


def test_the_next_occurrence_does_not_depend_on_the_servers_own_zone() -> None:
    """A user at UTC-11 while the server's clock reads UTC+14 (a day and more ahead): their
    23:30 is still the one of their own evening, not the server's next day."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    clock.tzset()
    try:
        after = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # 23:00 on the 20th at UTC-11
        found = next_occurrence(time(23, 30), ZoneInfo("Pacific/Pago_Pago"), after)
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        clock.tzset()
    assert found == datetime(2026, 11, 21, 10, 30, tzinfo=UTC)


# -- per-chat limit -------------------------------------------------------------------------

RATES = RatePolicy(
    total=Window(30, 1.0), private=Window(1, 1.0), group=Window(20, 60.0), paid=Window(1000, 1.0)
)


def test_exactly_the_sending_and_editing_endpoints_count_against_the_limits() -> None:
    limited = ["sendMessage", "sendPhoto", "editMessageText", "copyMessage", "copyMessages"]
    limited += ["forwardMessage", "forwardMessages", "stopPoll", "deleteMessage", "deleteMessages"]
    free = ["sendChatAction", "getUpdates", "answerCallbackQuery", "getChat", "deleteChatPhoto"]
    free += ["SendMessage", "stoppoll", "resend", ""]
    assert [name for name in limited + free if is_limited(name)] == limited


def test_a_send_counts_against_the_global_window_and_its_chats_own() -> None:
    """A private chat (positive id) and a group or channel (negative id or @name) each have
    their window; a chat id written as digits is the same chat; a paid broadcast counts
    against the paid lane instead of the global one."""
    total, paid = Scope(GLOBAL, RATES.total), Scope("paid", RATES.paid)
    private, group = RATES.private, RATES.group
    assert RATES.scopes({}) == (total,)
    assert RATES.scopes({"chat_id": 5}) == (total, Scope("private:5", private))
    assert RATES.scopes({"chat_id": "5"}) == (total, Scope("private:5", private))
    assert RATES.scopes({"chat_id": -1005}) == (total, Scope("group:-1005", group))
    assert RATES.scopes({"chat_id": "-1005"}) == (total, Scope("group:-1005", group))
    assert RATES.scopes({"chat_id": "@channel"}) == (total, Scope("group:@channel", group))
    assert RATES.scopes({"chat_id": 0}) == (total, Scope("group:0", group))
    assert RATES.scopes({"chat_id": 1}) == (total, Scope("private:1", private))
    assert RATES.scopes({"chat_id": "1"}) == (total, Scope("private:1", private))
    assert RATES.scopes({"chat_id": "-²"}) == (total, Scope("group:-²", group))
    assert RATES.scopes({"chat_id": 5, "allow_paid_broadcast": True}) == (
        paid,
        Scope("private:5", private),
    )
    assert RATES.scopes({"chat_id": 5, "allow_paid_broadcast": False})[0] == total


def test_a_chat_is_busy_when_it_had_another_send_within_its_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a later 429 is blamed on: a chat sent to again before its window passed is busy
    (the chat's limit), a first send or one after the window is not (the global limit);
    the last 4096 chats are remembered, the oldest forgotten first."""
    now = [100.0]
    monkeypatch.setattr(limiter_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    limiter = CompanionRateLimiter(RATES, MemoryBackend())

    def busy(chat_id: int | None) -> bool:
        data = {} if chat_id is None else {"chat_id": chat_id}
        admission = limiter._admitted(RATES.scopes(data), f"t{chat_id}")
        assert (admission.token, admission.at) == (f"t{chat_id}", now[0])
        return admission.chat_busy

    assert [busy(None), busy(None), busy(5), busy(5)] == [False, False, False, True]
    now[0] = 100.5
    assert busy(5) is True  # within 1 s of the last send
    now[0] = 101.5
    assert busy(5) is False  # exactly the window after it
    assert busy(-1005) is False and busy(-1005) is True
    for chat_id in range(1000, 1000 + limiter_module.RECENT_CHATS):
        busy(chat_id)  # 5 and -1005 are forgotten, the oldest
    assert busy(1000) is True  # exactly the last 4096 chats are remembered
    assert busy(1000 + limiter_module.RECENT_CHATS - 1) is True  # the newest too
    assert busy(5) is False


async def _nothing(_update: object, _context: object) -> None:
    return None


def test_a_command_is_usable_only_while_the_configuration_makes_it_do_something() -> None:
    """A command whose ``available`` check says the settings do not enable it (/subscribe
    without a price) is usable by nobody; enabled, by anyone; an admin command by its admins
    only. The check is asked about these settings (here: enabled when admin 1 is set)."""
    subscribe = Command(
        "subscribe", "buy VIP", callback=_nothing, available=lambda s: s.is_admin(1)
    )
    configured, bare = Settings(_env_file=None, admin_ids="1"), Settings(_env_file=None)
    assert [subscribe.usable_by(s, uid) for s in (configured, bare) for uid in (1, 2, None)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    stats = Command("stats", "figures", admin=True, callback=_nothing)
    assert [stats.usable_by(configured, uid) for uid in (1, 2, None)] == [True, False, False]


async def test_a_staff_button_refuses_others_with_its_own_words() -> None:
    catalogue = ButtonCatalog()
    moderators = staff(lambda s, uid: uid == 3, refusal="Only moderators decide suggestions.")
    catalogue.add(Button("mod:", _nothing, guard=moderators))
    context = SimpleNamespace(services=SimpleNamespace(settings=Settings(_env_file=None)))
    answers = _Answers()
    await catalogue.press(_press(2, Chat(2, Chat.PRIVATE), "mod:ok:1", answers), context)
    assert answers.given == [("Only moderators decide suggestions.", True)]
