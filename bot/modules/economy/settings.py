"""The economy's settings: Telegram gifts for streak milestones. ``GIFT_ID`` (a gift id from
``getAvailableGifts``; empty: no gifts), ``GIFT_STREAK_DAYS`` (the milestones, e.g.
``7,30,100``) and ``GIFT_MONTHLY_BUDGET`` (the Stars the bot may spend on gifts per calendar
month, counted by the gifts' prices). The application's settings compose this class."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.core.kernel import Settings, ascii_int

MAX_STREAK_DAYS = 10_000


class EconomySettings(Settings):
    """The settings the economy module reads."""

    # Never read on its own: its schema is built only as part of the composed settings.
    model_config = SettingsConfigDict(defer_build=True)

    gift_id: str = ""
    gift_streak_days: Annotated[tuple[int, ...], NoDecode] = ()
    gift_monthly_budget: int = 0

    @field_validator("gift_streak_days", mode="before")
    @classmethod
    def _milestones(cls, value: Any) -> Any:
        """``7,30,100``: streak lengths in days (1-10,000), in any order, duplicates dropped."""
        if isinstance(value, str):
            return parse_milestones(value)
        return value

    @field_validator("gift_monthly_budget", mode="before")
    @classmethod
    def _budget(cls, value: Any) -> Any:
        if isinstance(value, str):
            budget = ascii_int(value.strip(), 0, 10_000_000)
            if budget is None:
                raise ValueError(f"expected a number of Stars (0-10000000), got {value!r}")
            return budget
        return value


def parse_milestones(text: str) -> tuple[int, ...]:
    """The milestones in ``text`` (comma-separated ASCII numbers), sorted; ValueError if bad."""
    days: set[int] = set()
    for part in text.split(","):
        if not part.strip():
            continue
        day = ascii_int(part.strip(), 1, MAX_STREAK_DAYS)
        if day is None:
            raise ValueError(f"expected streak lengths such as 7,30,100, got {text!r}")
        days.add(day)
    return tuple(sorted(days))
