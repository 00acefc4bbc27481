"""Waiting for a particular answer while the outbox may deliver other messages to the same chat."""

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
