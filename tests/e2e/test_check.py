"""`python -m bot check` finds every mistake at once and, with --online, asks the Bot API."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox import SandboxServer
from tests.helpers.processes import cli

GOOD_TOKEN = "123456789:AAE-secret-value-of-35-characters__"


async def test_every_mistake_in_one_run(tmp_path: Path) -> None:
    """Bad settings, malformed FEEDS JSON and an unknown job override: all reported, one line
    each, exit 2, no traceback."""
    code, _out, err = await cli(
        tmp_path,
        "check",
        ADMIN_IDS="1,two",
        TIMEZONE="Mars/Olympus",
        FEEDS='[{"name": bad',
        JOBS__MISSIONS_SEND_DAYLY__SCHEDULE="08:00",
        BOT_TOKEN=GOOD_TOKEN,
    )
    assert code == 2 and "Traceback" not in err
    for name in ("ADMIN_IDS:", "TIMEZONE:", "FEEDS: not valid JSON", "JOBS__MISSIONS_SEND_DAYLY:"):
        assert name in err, err


async def test_misspelled_key_in_env_file_fails_check(tmp_path: Path) -> None:
    """`ADMIN_ID=` in .env (a bot with no admins if it went live) fails check, exit 2,
    naming the setting it probably meant; a nested key that exists passes."""
    (tmp_path / ".env").write_text("ADMIN_ID=1\nRETENTION__OUTBOX_DAYS=3\n")
    code, out, err = await cli(tmp_path, "check", BOT_TOKEN=GOOD_TOKEN)
    assert code == 2 and "configuration OK" not in out
    assert "ADMIN_ID (in .env): no such setting; did you mean ADMIN_IDS?" in err
    assert "RETENTION" not in err


async def test_near_miss_in_the_environment_is_a_warning(tmp_path: Path) -> None:
    """The process environment holds variables of others: one letter from a setting is a
    warning, and check still passes."""
    code, out, err = await cli(tmp_path, "check", BOT_TOKEN=GOOD_TOKEN, TIMEZON="Europe/Berlin")
    assert code == 0 and "configuration OK" in out
    assert "warning: TIMEZON (environment): no such setting; did you mean TIMEZONE?" in err


async def test_garbage_token_is_refused_without_being_printed(tmp_path: Path) -> None:
    """A token that cannot be one from @BotFather fails check; the value is never shown."""
    code, out, err = await cli(tmp_path, "check", BOT_TOKEN="garbage-token-value")
    assert code == 2 and "BOT_TOKEN: not a bot token" in err
    assert "garbage-token-value" not in out + err


async def test_online_check_reports_token_and_rights(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """--online: the token works, the bot administers the channel; the VIP chat where the
    bot is only a member fails the check with that reason."""
    sandbox.world.chat(-100_500, "channel", "News")
    vip = sandbox.world.chat(-100_600, "supergroup", "VIP")
    vip.bot_admin = False
    code, out, err = await cli(
        tmp_path,
        "check",
        "--online",
        BOT_TOKEN="123:loopback",
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        CHANNEL_ID="-100500",
        VIP_CHAT_ID="-100600",
    )
    assert "token works: @" in out
    assert "CHANNEL_ID -100500: administrator with can_post_messages" in out
    assert code == 2 and "VIP_CHAT_ID -100600: the bot is member, not an administrator" in err


async def test_db_upgrade_says_what_it_did(tmp_path: Path) -> None:
    """`db upgrade` on a new database says it created it, a second time that it is current."""
    code, out, _err = await cli(tmp_path, "db", "upgrade")
    assert code == 0 and out.startswith("database created at revision ")
    code, out, _err = await cli(tmp_path, "db", "upgrade")
    assert code == 0 and out.startswith("database is up to date (revision ")
