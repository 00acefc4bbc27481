"""Paid channel posts: /post ... paid:<stars> publishes paid media through the outbox, and
the purchases Telegram reports are counted once per buyer, through the real bot and the
sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.core.kernel.clock import ManualClock
from bot.modules.content import service
from bot.modules.content.models import Post
from bot.sandbox import SentMessage
from bot.sandbox.flood import FloodLimits
from tests.conftest import ADMIN
from tests.e2e.conftest import CHANNEL, UNPACED, Harness
from tests.helpers.chat import answer
from tests.helpers.clocks import START


async def _bot(factory: Callable[..., Any]) -> Harness:
    h: Harness = await factory(clock=ManualClock(START), **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    return h


async def _paid_post(h: Harness, caption: str) -> SentMessage:
    world = h.sandbox.world
    world.send_photo(ADMIN, caption)
    await h.wait(lambda: any("on its way" in (m.text or "") for m in world.to(ADMIN)))
    await h.wait(lambda: [m for m in world.to(CHANNEL) if m.method == "sendPaidMedia"])
    [posted] = [m for m in world.to(CHANNEL) if m.method == "sendPaidMedia"]
    return posted


async def _photo_answer(h: Harness, caption: str) -> str:
    """Send a photo captioned ``caption`` as the admin; the text of the first answer."""
    world = h.sandbox.world
    before = len(world.to(ADMIN))
    world.send_photo(ADMIN, caption)
    await h.wait(lambda: len(world.to(ADMIN)) > before)
    return world.to(ADMIN)[before].text or ""


async def test_a_paid_post_reaches_the_channel_as_paid_media(
    harness_factory: Callable[..., Any],
) -> None:
    """A photo with /post now paid:50 goes to the channel as sendPaidMedia: the price, the
    photo, the caption and the post's payload."""
    h = await _bot(harness_factory)
    posted = await _paid_post(h, "/post now paid:50 Behind the scenes")
    assert posted.params["star_count"] == 50 and posted.text == "Behind the scenes"
    [media] = posted.params["media"]
    assert media["type"] == "photo" and str(media["media"]).startswith("photo-")
    assert str(posted.params["payload"]).startswith("post:")


async def test_purchases_count_once_per_buyer(harness_factory: Callable[..., Any]) -> None:
    """Two purchases by one user count once, a second buyer's once more; /posts shows 2."""
    h = await _bot(harness_factory)
    posted = await _paid_post(h, "/post now paid:7 Bonus")
    world = h.sandbox.world
    world.buy_paid_media(800, posted)
    world.buy_paid_media(800, posted)  # delivered twice
    await h.idle()
    assert "1 purchase" in await answer(h, ADMIN, "/posts", "Paid posts")
    world.buy_paid_media(801, posted)
    await h.idle()
    listing = await answer(h, ADMIN, "/posts", "Paid posts")
    assert "7 Stars, 2 purchases" in listing
    # Telegram is asked for these updates by name (not by asking for every type).
    asked = [p.get("allowed_updates") for m, p in world.calls if m == "getUpdates"]
    assert asked and all("purchased_paid_media" in a and "inline_query" not in a for a in asked)


async def test_a_paid_post_needs_a_photo_and_a_price_in_range(
    harness_factory: Callable[..., Any],
) -> None:
    """Text alone cannot be paid (usage); 0 and 10001 Stars are refused; nothing is queued."""
    h = await _bot(harness_factory)
    assert "needs a photo" in await answer(h, ADMIN, "/post now paid:5 Hi", "Usage")
    world = h.sandbox.world
    for price in ("0", "10001", "٥", "x"):
        assert "1 to 10000 Stars" in await _photo_answer(h, f"/post now paid:{price} Hi")
    await h.idle()
    assert [m for m in world.to(CHANNEL)] == []


@given(st.text(max_size=30))
def test_paid_price_takes_ascii_prices_in_range_only(tail: str) -> None:
    """paid:<n> parses to n only for ASCII digits within 1-10000, the rest being the text;
    a body not starting with paid: is unpaid and unchanged."""
    try:
        stars, text = service.paid_price("paid:" + tail)
    except service.PostError:
        stars, text = None, None
    if stars is not None:
        price, *rest = tail.split(None, 1)
        assert price.isascii() and price.isdigit() and int(price) == stars
        assert 1 <= stars <= 10_000 and text == (rest[0] if rest else "")
    unpaid = "x" + tail
    assert service.paid_price(unpaid) == (None, unpaid)


async def test_pricepost_makes_a_scheduled_media_post_paid(
    harness_factory: Callable[..., Any],
) -> None:
    """/pricepost puts a price on a scheduled video post (as an approved suggestion is): it
    goes out as paid video; a text post cannot be paid and stays as it was."""
    clock = ManualClock(START)
    h: Harness = await harness_factory(clock=clock, **UNPACED)
    h.sandbox.set_limits(FloodLimits(private=None))
    later = clock.now() + timedelta(hours=1)
    async with h.services.db.session() as session:
        video = Post(text="Clip", video="video-1", publish_at=later, created_at=clock.now())
        text = Post(text="Words", publish_at=later, created_at=clock.now())
        session.add_all([video, text])
        await session.flush()
        video_id, text_id = video.id, text.id
    assert "cannot be paid" in await answer(h, ADMIN, f"/pricepost {text_id} 5", "#")
    assert "Usage" in await answer(h, ADMIN, f"/pricepost {video_id} 10001", "Usage")
    assert "for 20 Stars" in await answer(h, ADMIN, f"/pricepost {video_id} 20", "paid")
    clock.advance(timedelta(minutes=61))
    await h.run_job("content.publish_due")
    await h.wait(lambda: len(h.sandbox.world.to(CHANNEL)) == 2)
    sent = {m.method: m for m in h.sandbox.world.to(CHANNEL)}
    assert set(sent) == {"sendPaidMedia", "sendMessage"}
    paid = sent["sendPaidMedia"]
    assert paid.params["star_count"] == 20 and paid.text == "Clip"
    assert paid.params["media"] == [{"type": "video", "media": "video-1"}]
