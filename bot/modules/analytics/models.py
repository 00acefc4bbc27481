"""One row of figures per local day, the source of the trend chart."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.kernel import Base


class DailySnapshot(Base):
    """The figures of a day; rewritten during the day, final after the daily report."""

    __tablename__ = "analytics_daily"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    figures: Mapped[dict[str, int]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
