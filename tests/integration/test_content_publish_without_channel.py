"""content.publish_due without CHANNEL_ID: quiet while nothing is due, an error once a post is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import build_services
from bot.core.kernel.settings import Settings
from bot.modules.content import service
from bot.modules.content.jobs import ContentConfigError, queue_due


async def test_quiet_until_a_post_is_due(migrated: Settings) -> None:
    """No channel and no due post: nothing queued, no failure; a due post makes it fail."""
    services = build_services(migrated.model_copy(update={"channel_id": None}))
    try:
        assert await queue_due(services) == 0
        now = services.clock.now()
        async with services.db.session() as session:
            await service.add_feed_item(
                session, source="feed:test", item_id="1", text="hello", now=now - timedelta(1)
            )
        with pytest.raises(ContentConfigError, match="CHANNEL_ID is not set"):
            await queue_due(services)
    finally:
        await services.db.dispose()
