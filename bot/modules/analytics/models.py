"""One row of figures per local day (the trend chart), who used the bot on which day, and
the engagement roll-up made of both (``/stats``' engagement block)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class DailySnapshot(Base):
    """The figures of a day; rewritten during the day, final after the daily report."""

    __tablename__ = "analytics_daily"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    figures: Mapped[dict[str, int]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class UserDay(Base):
    """A user used the bot on a local day (in ``TIMEZONE``): one row per user and day,
    written once (the first update of the day) and never changed. The key leads with the
    day, so a day's or a month's active users are one range of the key."""

    __tablename__ = "user_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class EngagementDay(Base):
    """The engagement roll-up of a local day (``analytics.engagement``): active users, the
    day's joiners and returners, the funnel and the sources as they stood at its end."""

    __tablename__ = "analytics_engagement"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class ReachabilityChange(Base):
    """A user became unreachable (blocked the bot, account gone) or reachable again, and
    when: a past day's reachable users are those reachable now, corrected by the changes
    since that day's end (``reachability.py``)."""

    __tablename__ = "reachability_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    reachable: Mapped[bool] = mapped_column(Boolean)
