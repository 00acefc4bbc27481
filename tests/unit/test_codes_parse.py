"""The promo code and date parsers: only ASCII [A-Z0-9-]{3,32} codes, case-insensitive, and
real YYYY-MM-DD days written in ASCII digits."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.modules.subscriptions.codes import parse_code, parse_date

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
VALID = re.compile(r"[A-Z0-9-]{3,32}", re.ASCII)


@given(st.text(alphabet=ALPHABET, min_size=3, max_size=32))
def test_every_well_formed_code_reads_as_its_upper_case(text: str) -> None:
    """Any 3 to 32 ASCII letters, digits or hyphens read as the same code in upper case."""
    assert parse_code(text) == text.upper()
    assert parse_code(text.lower()) == parse_code(text.upper())


@given(st.text())
def test_anything_read_is_a_valid_code(text: str) -> None:
    """Whatever the input (non-ASCII letters, digits of other scripts, spaces, newlines),
    a code read is stored-form ASCII of the right length, and nothing else is read."""
    code = parse_code(text)
    assert code is None or (VALID.fullmatch(code) is not None and code == text.upper())


@given(st.text(alphabet=ALPHABET, min_size=3, max_size=32), st.sampled_from("ßıſÜ٣ \n_"))
def test_one_foreign_character_makes_it_no_code(text: str, extra: str) -> None:
    """A single character outside the alphabet anywhere (ß and ı upper-case to ASCII) refuses."""
    for at in (0, len(text) // 2, len(text)):
        assert parse_code(text[:at] + extra + text[at:]) is None


def test_lengths_at_the_edges() -> None:
    """Two characters and thirty-three are refused; three and thirty-two are read."""
    assert parse_code("AB") is None and parse_code("A" * 33) is None
    assert parse_code("ab-") == "AB-" and parse_code("Z" * 32) == "Z" * 32


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_every_real_day_reads_back(day: date) -> None:
    """A calendar day written YYYY-MM-DD reads as that day."""
    assert parse_date(f"{day.year:04d}-{day.month:02d}-{day.day:02d}") == day


@given(st.text())
def test_a_date_read_is_exactly_what_was_written(text: str) -> None:
    """Any text: either no date, or ASCII YYYY-MM-DD of the day it names."""
    day = parse_date(text)
    assert day is None or text == day.isoformat()


def test_impossible_days_and_other_digits_are_refused() -> None:
    """February 30th, month 13, year 0 and Arabic-Indic digits are no dates."""
    for text in ("2026-02-30", "2026-13-01", "0000-01-01", "٢٠٢٦-01-01", "2026-1-01", None):
        assert parse_date(text) is None
