"""Waiting for a particular message while the outbox may deliver others to the same chat."""

from __future__ import annotations

from tests.e2e.conftest import Harness


async def answer(h: Harness, user_id: int, text: str, expect: str, timeout: float = 10) -> str:
    """Send ``text`` as ``user_id``; the first new message to them that contains ``expect``."""
    world = h.sandbox.world
    before = len(world.to(user_id))
    world.send_text(user_id, text)

    def found() -> str | None:
        new = world.to(user_id)[before:]
        return next((m.text for m in new if m.text and expect in m.text), None)

    try:
        result: str = await world.wait_until(found, timeout)
    except TimeoutError:
        got = [m.text for m in world.to(user_id)[before:]]
        raise AssertionError(f"no answer to {text!r} containing {expect!r}; got {got}") from None
    return result


async def told(h: Harness, chat_id: int, *needles: str, timeout: float = 15) -> str:
    """Wait for a message to ``chat_id`` (sent at any time) containing every needle; its text."""

    def found() -> str | None:
        texts = (m.text or "" for m in h.sandbox.world.to(chat_id))
        return next((t for t in texts if all(n in t for n in needles)), None)

    try:
        text: str = await h.wait(found, timeout)
    except TimeoutError:
        got = [m.text for m in h.sandbox.world.to(chat_id)]
        raise AssertionError(f"nothing to {chat_id} with {needles}; got {got}") from None
    return text
