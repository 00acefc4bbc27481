"""A list cut to fit one message says how many lines it left out."""

from __future__ import annotations

from bot.core.delivery.split import utf16_len
from bot.core.telegram import fit_lines


def test_a_list_that_fits_is_whole() -> None:
    """Lines that fit are all shown, with no "more" line."""
    assert fit_lines("Head:", ["a", "b"], 100) == "Head:\na\nb"


def test_a_cut_list_counts_what_it_left_out_within_the_limit() -> None:
    """Of 100 lines of 10 characters under a 200-unit limit, those that fit with the
    "… and N more" line are shown, and N is exactly the rest."""
    lines = [f"line {n:04d}" for n in range(100)]
    text = fit_lines("Head:", lines, 200)
    shown = [line for line in text.splitlines() if line.startswith("line ")]
    assert utf16_len(text) <= 200
    assert shown == lines[: len(shown)]
    assert text.endswith(f"… and {100 - len(shown)} more")


def test_a_first_line_too_long_leaves_the_count_alone() -> None:
    """When not even the first line fits, the head and the count are what is left."""
    assert fit_lines("Head:", ["x" * 500, "y"], 100) == "Head:\n… and 2 more"
