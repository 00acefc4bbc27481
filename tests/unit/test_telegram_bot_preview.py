"""List previews (bot/core/telegram/bot.py: preview): one line, cut with an ellipsis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.telegram import preview


def test_a_short_text_is_kept_and_a_long_one_ends_with_an_ellipsis() -> None:
    assert preview("Say thank you", 60) == "Say thank you"
    assert preview("line one\nline two", 60) == "line one line two"
    cut = preview("a" * 10 + " " + "b" * 100, 20)
    assert cut.endswith("…") and len(cut) == 20


@given(st.text(max_size=300), st.integers(min_value=2, max_value=120))
def test_a_preview_fits_its_width_on_one_line(text: str, width: int) -> None:
    shown = preview(text, width)
    assert len(shown) <= width and "\n" not in shown
    assert shown == " ".join(text.split()) or shown.endswith("…")
