"""The /forgetme confirmation token: only the token the last question drew, pressed once,
forgets; any other callback text (forged, truncated, another user's) is refused and leaves
the real token usable."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from bot.core.kernel.cache import MemoryCache
from bot.modules.accounts.personal_handlers import _token_key, take_token

USER, OTHER, TOKEN = 42, 43, "s3cr3t-token-of-16ch"


def _run(coroutine: object) -> bool:
    assert asyncio.iscoroutine(coroutine)
    result: bool = asyncio.run(coroutine)
    return result


async def _issued() -> MemoryCache:
    cache = MemoryCache()
    await cache.set(_token_key(USER), TOKEN, ttl=600)
    return cache


@given(st.text(max_size=80).filter(lambda text: text != TOKEN))
def test_any_other_text_is_refused_and_the_token_stays(text: str) -> None:
    """A forged or mangled token (any text but the issued one) is refused; the issued token
    still works after it."""

    async def scenario() -> bool:
        cache = await _issued()
        refused = not await take_token(cache, USER, text)
        return refused and await take_token(cache, USER, TOKEN)

    assert _run(scenario())


def test_the_token_works_once_and_for_its_user_only() -> None:
    """Another user cannot spend it; the owner can, once; with no question asked, nothing."""

    async def scenario() -> list[bool]:
        cache = await _issued()
        return [
            await take_token(cache, OTHER, TOKEN),
            await take_token(cache, USER, TOKEN),
            await take_token(cache, USER, TOKEN),
            await take_token(MemoryCache(), USER, TOKEN),
        ]

    assert asyncio.run(scenario()) == [False, True, False, False]
