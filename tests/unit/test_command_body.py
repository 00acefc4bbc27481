"""command_body: the text after a command word, whatever its case, @botname and line breaks."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Chat, Message

from bot.core.telegram import command_body

FAST = settings(max_examples=500, deadline=None)
CHAT = Chat(1, Chat.PRIVATE)
WHEN = datetime(2026, 11, 21, tzinfo=UTC)
NAMES = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    min_size=1,
    max_size=32,
)
SPACES = st.text(alphabet=" \t\n\r\u00a0\u2028\u3000", min_size=1, max_size=3)


def text_message(text: str) -> Message:
    return Message(1, WHEN, CHAT, text=text)


def photo_message(caption: str) -> Message:
    return Message(1, WHEN, CHAT, caption=caption)


@FAST
@given(NAMES, st.none() | NAMES, SPACES, st.text(max_size=200))
def test_the_body_is_what_follows_the_command(
    name: str, bot: str | None, space: str, body: str
) -> None:
    """``/<Name>[@bot]<whitespace><body>`` gives the body without its surrounding whitespace,
    its inner lines kept, as a text and as a caption."""
    text = f"/{name}" + (f"@{bot}" if bot else "") + space + body
    assert command_body(text_message(text)) == body.strip()
    assert command_body(photo_message(text)) == body.strip()


@FAST
@given(st.text(max_size=300))
def test_any_text_gives_its_tail(text: str) -> None:
    """Any text at all: an answer, never an exception, and a part of the text's end."""
    body = command_body(text_message(text)) if text else ""
    assert body == body.strip() and body in text


def test_the_reported_cases() -> None:
    """The findings: capitals, a bare command, and the time and text on two lines."""
    assert command_body(text_message("/SUGGEST Hello")) == "Hello"
    assert command_body(text_message("/SUGGEST")) == ""
    assert command_body(text_message("/POST now x")) == "now x"
    assert command_body(text_message("/post +29d\nText on the next line")) == (
        "+29d\nText on the next line"
    )
    assert command_body(text_message("/suggest@Companion_Bot  a\n\nb ")) == "a\n\nb"
