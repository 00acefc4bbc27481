"""The second baseline of ``benchmarks.lean``: the smallest bot on this project's chosen stack.

python-telegram-bot with the JobQueue, settings read by pydantic-settings, structlog, and one
ORM table on SQLAlchemy's asyncio extension over aiosqlite: a ``/start`` handler that records
the user, and one repeating job that counts them. No feature of Companion is in it. Its
resident memory is the floor under any bot built from these parts, which the measured bot's
figure is read against (``python -m benchmarks._stack_floor``, started the same way as the bot:
the token, the Bot API's address and the database in the environment; the table is created
at start).
"""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from sqlalchemy import BigInteger, func, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

log = structlog.get_logger("stack-floor")


class FloorSettings(BaseSettings):
    bot_token: SecretStr
    telegram_api_base_url: str
    database_url: str


class Base(DeclarativeBase):
    pass


class Member(Base):
    __tablename__ = "floor_members"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(default="")


class Floor:
    """The engine and session factory the handler and the job share."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return
        async with self.sessions.begin() as session:
            row = {"id": user.id, "name": user.first_name}
            await session.execute(insert(Member).values(row).on_conflict_do_nothing())
        await message.reply_text("hello")

    async def count(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with self.sessions() as session:
            members = await session.scalar(select(func.count()).select_from(Member))
        log.debug("members", count=members)

    async def create(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)


def main() -> None:
    settings = FloorSettings()  # read from the environment
    floor = Floor(create_async_engine(settings.database_url))
    app = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .post_init(floor.create)
        .build()
    )
    app.add_handler(CommandHandler("start", floor.start))
    assert app.job_queue is not None  # python-telegram-bot[job-queue]
    app.job_queue.run_repeating(floor.count, interval=60, first=1)
    app.run_polling()


if __name__ == "__main__":
    main()
