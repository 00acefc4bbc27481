"""A broadcast's text: variants and buttons, read totally."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.people import AudienceError
from bot.modules.broadcast.body import Body, BodyError, read


def test_variants_and_buttons_are_read() -> None:
    text = (
        "Sale today!\n---\nSale: 30% off\n\nToday only.\nbutton: See | https://e.org/s\nbutton: No"
    )
    assert read(text) == Body(
        ("Sale today!", "Sale: 30% off\n\nToday only."),
        ({"label": "See", "url": "https://e.org/s"}, {"label": "No"}),
    )
    assert read("Just text") == Body(("Just text",))
    assert read("A line with --- inside") == Body(("A line with --- inside",))


@pytest.mark.parametrize(
    "text",
    [
        "A\n---\n",  # an empty variant
        "\n---\nB",
        "A\n---\nB\n---\nC\n---\nD\n---\nE",  # five variants
        "A\nbutton: 1\nbutton: 2\nbutton: 3\nbutton: 4",  # four buttons
        "A\nbutton: ",  # no label
        "A\nbutton: " + "x" * 41,
        "A\nbutton: Go | ftp://e.org",
        "A\nbutton: Go | https://e.org/a b",
        "A\nbutton: Go | javascript:alert(1)",
    ],
)
def test_bad_bodies_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(BodyError) as refused:
        read(text)
    assert str(refused.value)


@given(st.text(max_size=400))
def test_any_text_is_a_body_or_refused(text: str) -> None:
    try:
        body = read(text)
    except AudienceError:
        return
    assert 1 <= len(body.texts) <= 4 and all(body.texts) and len(body.buttons) <= 3
