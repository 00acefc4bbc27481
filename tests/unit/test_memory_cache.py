"""The in-process cache: expired keys nobody reads again do not pile up."""

from __future__ import annotations

from bot.core.kernel.cache import SWEEP_FLOOR, MemoryCache


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_expired_keys_never_read_again_are_swept_on_writes() -> None:
    """100,000 keys with a one-second TTL at once, then time passes while as many others are
    written (about 100 alive at a time): the dict ends holding about the live keys, not
    every key ever written."""
    ticks = Ticks()
    cache = MemoryCache(monotonic=ticks)
    for n in range(100_000):
        await cache.set(f"flood:{n}", "1", ttl=1.0)
    ticks.now += 2.0
    for n in range(100_000):
        await cache.set(f"later:{n}", "1", ttl=1.0)
        ticks.now += 0.01
    assert len(cache) <= 2 * SWEEP_FLOOR
    assert await cache.get("later:99999") == "1"
    assert await cache.get("flood:0") is None


async def test_keys_that_live_are_kept_by_a_sweep() -> None:
    """A sweep drops only expired keys: keys without a TTL and unexpired ones stay readable."""
    ticks = Ticks()
    cache = MemoryCache(monotonic=ticks)
    await cache.set("forever", "a")
    await cache.set("hour", "b", ttl=3600)
    for n in range(10 * SWEEP_FLOOR):
        await cache.set(f"short:{n}", "1", ttl=0.5)
        ticks.now += 0.001
    assert len(cache) < 4 * SWEEP_FLOOR
    assert await cache.get("forever") == "a"
    assert await cache.get("hour") == "b"


async def test_the_dict_stays_within_twice_the_live_keys() -> None:
    """A steady stream of short-lived keys keeps the dict bounded at every moment."""
    ticks = Ticks()
    cache = MemoryCache(monotonic=ticks)
    largest = 0
    for n in range(50_000):
        await cache.set(f"k:{n}", "1", ttl=1.0)
        ticks.now += 0.01  # about 100 keys live at a time
        largest = max(largest, len(cache))
    assert largest <= 2 * SWEEP_FLOOR
