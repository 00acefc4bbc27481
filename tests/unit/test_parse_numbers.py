"""ascii_int and the small id/number parsers built on it: ASCII digits, bounds, no exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.kernel.parse import ID_MAX, SERIAL_MAX, USER_ID_MAX, ascii_int
from bot.core.kernel.settings import ConfigError
from bot.core.people.users import parse_referrer
from bot.modules.missions.catalogue import InvalidMission, NewMission, parse_new_mission
from bot.modules.missions.render import done_keyboard, parse_done
from bot.modules.subscriptions.payments import Offer, PaymentError, parse_payload
from bot.settings import CompanionSettings

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNICODE_DIGITS = ["²", "¹²", "١٢", "١", "３０", "߁", "𝟙", "৩", "Ⅻ", "½"]
BOUNDS = st.integers(-(2**64), 2**64)
# Text that looks like numbers: ASCII and other digits, signs and separators.
DIGITISH = st.text(alphabet="0123456789²¹١٢３𝟙-+_:. |", max_size=24)


def after(prefix: str) -> st.SearchStrategy[str]:
    """Arbitrary or number-like text, with or without ``prefix``."""
    return st.builds(str.__add__, st.sampled_from([prefix, ""]), st.text() | DIGITISH)


@FAST
@given(st.text() | DIGITISH, BOUNDS, BOUNDS)
def test_ascii_int_is_total(text: str, lo: int, hi: int) -> None:
    """Any text and bounds: None or an int within them, never an exception."""
    value = ascii_int(text, lo, hi)
    assert value is None or lo <= value <= hi


@FAST
@given(st.integers(-ID_MAX, ID_MAX))
def test_ascii_int_round_trips(number: int) -> None:
    """Every integer in range reads back from its decimal text."""
    assert ascii_int(str(number), -ID_MAX, ID_MAX) == number
    assert ascii_int(str(abs(number)), 0, ID_MAX) == abs(number)


@pytest.mark.parametrize(
    "text", [*UNICODE_DIGITS, "", "-", "+1", " 1", "1 ", "1_000", "0x10", "1e3", "--1", "-0x"]
)
def test_ascii_int_refuses_what_is_not_ascii_digits(text: str) -> None:
    """Unicode digits (which isdigit accepts and int may read), signs, spaces, underscores."""
    assert ascii_int(text, -ID_MAX, ID_MAX) is None


def test_ascii_int_bounds() -> None:
    """Values outside the bounds, minus signs where none is allowed, and 21+ digits are refused."""
    assert ascii_int(str(ID_MAX + 1), 0, ID_MAX) is None
    assert ascii_int("-5", 0, 10) is None and ascii_int("-5", -10, 10) == -5
    assert ascii_int("0" * 20 + "1", 0, 10) is None and ascii_int("007", 0, 10) == 7


@FAST
@given(after("ref_"), st.integers(1, USER_ID_MAX))
def test_start_payload_is_total(payload: str, user_id: int) -> None:
    """Any /start payload: None or someone else's valid user id."""
    referrer = parse_referrer(payload, user_id)
    assert referrer is None or (1 <= referrer <= USER_ID_MAX and referrer != user_id)


@FAST
@given(st.integers(1, USER_ID_MAX))
def test_start_payload_round_trips(referrer: int) -> None:
    """The /invite link's payload names its owner."""
    assert parse_referrer(f"ref_{referrer}", referrer + 1) == referrer


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
def test_start_payload_with_unicode_digits_is_no_referral(digits: str) -> None:
    """ref_² and friends are no referral (int('²') used to raise)."""
    assert parse_referrer(f"ref_{digits}", 7) is None


@FAST
@given(after("mission:done:"))
def test_callback_data_is_total(data: str) -> None:
    """Any button data: None or an assignment id that fits an INTEGER column."""
    value = parse_done(data)
    assert value is None or 1 <= value <= SERIAL_MAX


@FAST
@given(st.integers(1, SERIAL_MAX))
def test_callback_data_round_trips(assignment_id: int) -> None:
    """The Done button's data names its assignment."""
    data = done_keyboard(assignment_id)["inline_keyboard"][0][0]["callback_data"]
    assert parse_done(data) == assignment_id


@pytest.mark.parametrize("digits", [*UNICODE_DIGITS, str(SERIAL_MAX + 1), "0", "-1"])
def test_callback_data_with_bad_ids_is_malformed(digits: str) -> None:
    """mission:done:¹² (int raised) and ids out of range are malformed."""
    assert parse_done(f"mission:done:{digits}") is None


@FAST
@given(after("vip:"))
def test_invoice_payload_is_total(payload: str) -> None:
    """Any invoice payload: an Offer within bounds, or PaymentError."""
    try:
        offer = parse_payload(payload)
    except PaymentError:
        return
    assert 1 <= offer.user_id <= USER_ID_MAX and 1 <= offer.days <= 3650
    assert 1 <= offer.stars <= 100_000


@FAST
@given(st.integers(1, USER_ID_MAX), st.integers(1, 3650), st.integers(1, 100_000))
def test_invoice_payload_round_trips(user_id: int, days: int, stars: int) -> None:
    """An invoice's payload reads back as the offer it was made from."""
    offer = Offer(user_id, days, stars)
    assert parse_payload(offer.payload()) == offer


@pytest.mark.parametrize("payload", ["vip:¹:30:50", "vip:1:٣٠:50", "vip:1:30:0", "vip:1:3651:5"])
def test_invoice_payload_refusals(payload: str) -> None:
    """Unicode digits (int('¹') raised) and out-of-range offers are refused as invalid."""
    with pytest.raises(PaymentError, match="not valid"):
        parse_payload(payload)


@FAST
@given(st.builds("{} {}".format, DIGITISH, st.text()) | st.text())
def test_addmission_is_total(text: str) -> None:
    """Any /addmission text: a mission with 1-1000 points, or InvalidMission."""
    try:
        new = parse_new_mission(text)
    except InvalidMission:
        return
    assert 1 <= new.points <= 1000 and new.title and new.description


@FAST
@given(st.integers(1, 1000))
def test_addmission_round_trips(points: int) -> None:
    """Points typed as ASCII digits are the mission's points."""
    assert parse_new_mission(f"{points} Read | Read a poem") == NewMission(
        points, "Read", "Read a poem"
    )


@pytest.mark.parametrize("points", ["²", "١٢", "0", "1001"])
def test_addmission_bad_points(points: str) -> None:
    """Unicode digits (int('²') raised) and points out of range get the points rule."""
    with pytest.raises(InvalidMission, match="whole number from 1 to 1000"):
        parse_new_mission(f"{points} Title | Description")


@pytest.mark.parametrize("ids", ["١٢", "²", "1,²"])
def test_admin_ids_setting_takes_ascii_digits_only(ids: str) -> None:
    """ADMIN_IDS with non-ASCII digits is a configuration error, not admin 12."""
    with pytest.raises((ConfigError, ValueError), match="Telegram user ids"):
        CompanionSettings(_env_file=None, admin_ids=ids)  # type: ignore[call-arg]


@FAST
@given(
    st.text(alphabet=st.characters(blacklist_characters="|\n\r", blacklist_categories=["Cs"]))
    .map(lambda text: " ".join(text.split()))
    .filter(lambda text: 0 < len(text) <= 80),
)
def test_addmission_takes_a_line_per_language(title: str) -> None:
    """A `uk:` line after the mission is its Ukrainian text, whatever the title's letters;
    a second `uk:` line or a language the bot does not ship is refused."""
    text = f"5 Walk | Go outside.\nuk: {title} | Вийдіть надвір."
    assert parse_new_mission(text).translations == (("uk", title, "Вийдіть надвір."),)
    for bad in (f"{text}\nuk: Ще | раз", "5 Walk | Go outside.\nzz: Titre | Texte"):
        with pytest.raises(InvalidMission):
            parse_new_mission(bad)
