"""Moderation's numbers from people and buttons: ids, card and withdraw presses, /approve times."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.kernel import SERIAL_MAX
from bot.modules.moderation import cards, ids, timing

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text that looks like numbers and button data: ASCII and other digits, signs, separators.
DIGITISH = st.text(alphabet="0123456789²¹①١٢３𝟙-+_:. |#abmrwx", max_size=24)
IDS = st.integers(1, SERIAL_MAX)
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SOURCE = Path(ids.__file__).parent
# The int(...) calls moderation makes, none on text a person or a button sent: counts from
# the database, a timestamp, and ASCII digits a fullmatch of [0-9]{1,5} found (timing).
COUNTED = {"pending or 0", "today or 0", "count or 0", "count", "median(waits)"}
READ_INTERNALLY = {"at.timestamp()", "match[1]"}


def _ints(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        ast.unparse(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int"
    }


def test_no_int_or_isdigit_on_text_in_moderation() -> None:
    """Every number moderation reads from text goes through ascii_int: no isdigit, no \\d
    (which matches '١'), and int() only on what the allowlist names."""
    for path in sorted(SOURCE.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert ".isdigit(" not in source and ".isdecimal(" not in source, path.name
        assert "\\d" not in source, path.name
        unread = {arg for arg in _ints(path) if not arg.startswith("await session.scalar(")}
        assert unread <= COUNTED | READ_INTERNALLY, (path.name, unread)


@FAST
@given(st.text() | DIGITISH)
def test_submission_id_is_total(text: str) -> None:
    """Any text: None or an id in 1..2^31-1 written in ASCII digits."""
    value = ids.submission_id(text)
    assert value is None or (1 <= value <= SERIAL_MAX and text.lstrip("0") == str(value))


@FAST
@given(IDS)
def test_submission_id_round_trips(ident: int) -> None:
    """Every id of an INTEGER column reads back from its decimal text, and no further."""
    assert ids.submission_id(str(ident)) == ident
    assert ids.submission_id(str(ident + SERIAL_MAX)) is None


@pytest.mark.parametrize("text", ["²", "²²²²", "①", "١", "３", "99999999999", "2147483648", "0"])
def test_submission_id_refuses_other_digits_and_overflow(text: str) -> None:
    """What str.isdigit accepts but is not an id, and ids past PostgreSQL's int4."""
    assert ids.submission_id(text) is None


@FAST
@given(st.text() | DIGITISH | st.builds(str.__add__, st.just("mod:"), DIGITISH), st.integers(1, 6))
def test_card_press_is_total(data: str, reasons: int) -> None:
    """Any button data: None or a press naming an id and (reject only) a configured reason."""
    pressed = ids.card_press(data, reasons)
    if pressed is not None:
        assert pressed.action in ids.ACTIONS and 1 <= pressed.submission_id <= SERIAL_MAX
        assert (pressed.reason is not None) == (pressed.action == "r")
        assert pressed.reason is None or 0 <= pressed.reason < reasons


@FAST
@given(IDS, st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6))
def test_card_keyboard_reads_back(ident: int, reasons: list[str]) -> None:
    """Every button a card carries reads back as the press it stands for."""
    rows = cards.card_keyboard(ident, reasons)["inline_keyboard"]
    presses = [ids.card_press(b["callback_data"], len(reasons)) for row in rows for b in row]
    expected = [ids.CardPress("a", ident), ids.CardPress("b", ident)]
    expected += [ids.CardPress("r", ident, index) for index in range(len(reasons))]
    assert presses == expected


@pytest.mark.parametrize(
    "data", ["mod:a:²", "mod:a:١", "mod:r:1:١", "mod:r:1:3", "mod:a:1:0", "mod:r:1", "mod:a:-1"]
)
def test_card_press_refuses_forgeries(data: str) -> None:
    """Other digits, a reason index out of range, a reason on Approve, none on Reject."""
    assert ids.card_press(data, 3) is None


@FAST
@given(st.text() | st.builds(str.__add__, st.just(ids.WITHDRAW_PREFIX), DIGITISH))
def test_withdraw_press_is_total(data: str) -> None:
    """Any button data: None or the id its ASCII digits name."""
    ident = ids.withdraw_press(data)
    digits = data.removeprefix(ids.WITHDRAW_PREFIX).lstrip("0")
    assert ident is None or (data.startswith(ids.WITHDRAW_PREFIX) and digits == str(ident))


@FAST
@given(IDS)
def test_withdraw_press_round_trips(ident: int) -> None:
    """The data of a Withdraw button reads back as its id."""
    assert ids.withdraw_press(f"{ids.WITHDRAW_PREFIX}{ident}") == ident


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Suggestion #12 from A (id 5):", 12),
        ("Пропозиція #7 [photo] від A", 7),
        ("Suggestion #١٢ from A", None),
        ("Suggestion #99999999999 from A", None),
    ],
)
def test_card_head(text: str, expected: int | None) -> None:
    """The id at the head of a card, in any language, in ASCII digits only."""
    assert ids.card_head(text) == expected


@FAST
@given(st.text() | DIGITISH | st.builds(str.__add__, st.just("+"), DIGITISH))
def test_approve_time_is_total(text: str) -> None:
    """/approve's time: an instant within 30 days ahead, or ValueError; nothing else."""
    try:
        when = timing.parse(text, NOW, ZoneInfo("Europe/Berlin"))
    except ValueError:
        return
    assert NOW < when <= NOW + timing.MAX_AHEAD


@pytest.mark.parametrize("text", ["+١h", "+²h", "٢٠٢٦-11-22T09:00", "0001-01-01T00:00"])
def test_approve_time_refuses_other_digits_and_the_edge_of_time(text: str) -> None:
    """Other digits are not a time, and year 1 in Berlin (before year 1 in UTC) is refused."""
    with pytest.raises(ValueError, match=r"not a time|out of range"):
        timing.parse(text, NOW, ZoneInfo("Europe/Berlin"))


def test_approve_time_reads_ascii() -> None:
    """A relative and a local time in ASCII read as before."""
    assert timing.parse("+2h", NOW, ZoneInfo("UTC")) == NOW + timedelta(hours=2)
    assert timing.parse("2026-11-22T10:00", NOW, ZoneInfo("Europe/Berlin")) == datetime(
        2026, 11, 22, 9, 0, tzinfo=UTC
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | DIGITISH,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@FAST
@given(JSON, st.integers(1, 6))
def test_reason_index_is_total(value: object, reasons: int) -> None:
    """Any JSON value a console request carries: None or a configured reason's index, read
    from a whole number or its ASCII digits (never a bool, a float or other digits)."""
    index = ids.reason_index(value, reasons)
    assert index is None or 0 <= index < reasons
    if index is not None:
        assert not isinstance(value, bool) and isinstance(value, int | str)
        assert str(value).lstrip("0") in ("", str(index)) and str(value).isascii()


@FAST
@given(st.integers(1, 6), st.data())
def test_reason_index_round_trips(reasons: int, data: st.DataObject) -> None:
    """Every configured index reads back, as a number and as text; the next one does not."""
    index = data.draw(st.integers(0, reasons - 1))
    assert ids.reason_index(index, reasons) == ids.reason_index(str(index), reasons) == index
    assert ids.reason_index(reasons, reasons) is None and ids.reason_index(-1, reasons) is None
