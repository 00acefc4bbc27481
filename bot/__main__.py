"""Command line: ``python -m bot {start,run,sandbox,check,db,jobs,backup,backups,restore}``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.core.context import App, services_of
from bot.core.jobs import describe
from bot.core.kernel import ConfigError, Settings, configure_logging, get_logger, load_settings

log = get_logger("bot.cli")
SANDBOX_LOG = Path("data/sandbox.log")  # the sandbox's log (its terminal is the chat)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Companion Telegram bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start", help="run with BOT_TOKEN, else start the offline sandbox")
    sub.add_parser(
        "run", help="take updates (long polling by one leader, or WEBHOOK_URL) (needs BOT_TOKEN)"
    )
    sandbox = sub.add_parser("sandbox", help="the bot against an offline Bot API, in this terminal")
    sandbox.add_argument("--users", type=int, default=0, help="simulated users who pressed /start")
    check = sub.add_parser("check", help="validate the configuration and print what will run")
    check.add_argument(
        "--online", action="store_true", help="also ask the Bot API: token, rights in the chats"
    )
    jobs = sub.add_parser("jobs", help="list the jobs, or run one now")
    jobs.add_argument(
        "--sandbox", action="store_true", help="the sandbox's database (what `start` ran)"
    )
    jobs_sub = jobs.add_subparsers(dest="action", required=True)
    jobs_sub.add_parser("list", help="every job: schedule, next run, last result")
    run = jobs_sub.add_parser("run", help="run a job now through the runner (no polling)")
    run.add_argument("name")
    run.add_argument("args", nargs="*", metavar="key=value")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    sub.add_parser("backup", help="back up the database now (online), then rotate")
    sub.add_parser("backups", help="list the backups: time, size, rows, revision, checksum")
    restore = sub.add_parser("restore", help="restore a backup into a fresh database (bot stopped)")
    restore.add_argument("file", type=Path, help="the backup's data file (its manifest beside it)")
    restore.add_argument("--to", metavar="DATABASE_URL", help="the target (default DATABASE_URL)")
    restore.add_argument(
        "--replace", action="store_true", help="replace a target that has tables (kept aside)"
    )
    return parser


def cmd_check(online: bool) -> int:
    """Every mistake at once, one line each (exit 2), a key in .env that nothing reads
    included; warnings for environment variables one letter away from a setting."""
    from bot.app import build_application
    from bot.core.kernel import read_settings, unknown_keys
    from bot.core.telegram.preflight import token_problems
    from bot.settings import CompanionSettings

    settings, errors = read_settings(CompanionSettings)
    configure_logging(settings.log_level, settings.log_format, settings.secrets())
    unread, near_misses = unknown_keys(CompanionSettings)
    for warning in near_misses:
        print(f"warning: {warning}", file=sys.stderr)
    errors += unread + token_problems(settings)
    try:
        app = build_application(settings)
    except ConfigError as exc:
        errors += str(exc).splitlines()
    if errors:
        print("configuration error:\n" + "\n".join(errors), file=sys.stderr)
        return 2
    _describe(app, settings)
    return asyncio.run(_check_online(app, settings)) if online else 0


async def _check_online(app: Any, settings: Settings) -> int:
    from bot.core.telegram.preflight import online_report

    async with app.bot:
        good, bad = await online_report(app.bot, settings)
    for line in good:
        print(f"  online:       {line}")
    for line in bad:
        print(f"online check failed: {line}", file=sys.stderr)
    return 2 if bad else 0


def _describe(app: Any, settings: Settings) -> None:
    services = services_of(app)
    token = "set" if settings.token() else "not set (the sandbox will be used)"
    print("configuration OK")
    print(f"  bot token:    {token}")
    print(f"  bot API:      {settings.telegram_api_base_url}")
    print(f"  database:     {services.db.engine.url.render_as_string(hide_password=True)}")
    print(f"  cache:        {'redis' if settings.redis_url else 'in memory'}")
    print(f"  time zone:    {settings.timezone}")
    print(f"  admins:       {', '.join(map(str, settings.admin_ids)) or 'none'}")
    print(f"  commands:     {', '.join('/' + c.name for c in services.commands)}")
    print(f"  jobs:         {len(services.jobs)}")
    for spec in services.jobs:
        state = "" if services.jobs.enabled(spec.name) else "  (disabled)"
        print(f"    {spec.name:<24} {describe(spec.schedule)}{state}")
    print("  retention:    (RETENTION__*; cleanup.daily, docs/your-data.md)")
    for name, value in settings.retention.model_dump().items():
        print(f"    {name:<24} {value}")
    print(f"    {'module purgers':<24} {', '.join(name for name, _ in services.purgers)}")


def cmd_db(settings: Settings) -> int:
    """``db upgrade``: a new database is created from the models and stamped, one step; any
    other is migrated to head."""
    from bot.app import load_models
    from bot.core.kernel import ensure_sqlite_directory
    from bot.core.kernel.migrate import NewerDatabase, upgrade_and_describe

    ensure_sqlite_directory(settings.database_url)
    try:
        print(upgrade_and_describe(settings.database_url, models=load_models))
    except NewerDatabase as exc:  # migrated by a newer version: left as it is
        print(exc, file=sys.stderr)
        return 2
    return 0


def cmd_backup(settings: Settings) -> int:
    from bot.modules.backups.cli import backup_now

    return backup_now(settings)


def cmd_backups(settings: Settings) -> int:
    from bot.modules.backups.cli import list_backups

    return list_backups(settings)


def cmd_restore(settings: Settings, file: Path, to: str | None, replace: bool) -> int:
    from alembic.script import ScriptDirectory

    from bot.core.kernel.migrate import alembic_config, recorded_heads, upgrade
    from bot.modules.backups.cli import restore_backup
    from bot.modules.backups.restore import Schema
    from bot.settings import CompanionSettings

    if to is not None:
        try:
            settings = load_settings(CompanionSettings, database_url=to)
        except ConfigError as exc:
            print(f"restore refused: --to {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
    scripts = ScriptDirectory.from_config(alembic_config(settings.database_url))
    known = {script.revision for script in scripts.walk_revisions()}
    schema = Schema(known=known, heads=recorded_heads(), upgrade=upgrade)
    return restore_backup(settings, file, schema, replace=replace)


def cmd_run(settings: Settings) -> int:
    if settings.token() is None:
        print("BOT_TOKEN is not set: set it (or use `python -m bot sandbox`)", file=sys.stderr)
        return 2
    from bot.app import build_application

    return asyncio.run(_run(build_application(settings), settings))


async def _run(app: App, settings: Settings) -> int:
    """Refuse a database newer than this code, check the token, migrate if needed, serve: in
    one event loop, so the token's check warms the connection the bot then uses (one TLS
    handshake, not two)."""
    from bot.core.kernel.migrate import schema_state, upgrade_in_child
    from bot.core.lifecycle import serve_until_signalled

    url = settings.database_url
    schema = await asyncio.to_thread(schema_state, url)
    if schema.refusal:  # a newer version migrated it: this code may not know its data
        print(schema.refusal, file=sys.stderr)
        return 2
    if not await _token_accepted(app.bot):
        print(f"BOT_TOKEN was rejected by {settings.telegram_api_base_url}", file=sys.stderr)
        return 2
    migrate = not schema.current and not await _created(url)
    if migrate and (code := await asyncio.to_thread(upgrade_in_child, url)):
        print("the database could not be migrated (see above)", file=sys.stderr)
        return code
    await serve_until_signalled(app)
    return 0


async def _created(url: str) -> bool:
    """A new database (no table at all) is created here from the models the bot has loaded
    already, seeded and stamped at head, without Alembic and without a child process: the
    first start of a new bot is one process. False for any other database (the migrating
    child brings it to head), and when the creation failed (the child reports why)."""
    from bot.app import load_models
    from bot.core.kernel.migrate import create_if_new

    try:
        return await asyncio.to_thread(create_if_new, url, load_models)
    except Exception:
        log.warning("the new database could not be created here; migrating it", exc_info=True)
        return False


async def _token_accepted(bot: Bot) -> bool:
    """Ask the Bot API (``getMe``) before anything else starts, through the bot's own
    request: PTB's start would report a rejected token as an error with a traceback. Only a
    rejection counts: a network problem is left to the start, which reports it. A rejected
    token leaves no connection open."""
    request = bot.request
    await request.initialize()
    try:
        await bot.get_me()
    except InvalidToken:
        await request.shutdown()
        return False
    except TelegramError:
        return True
    return True


def cmd_start(settings: Settings) -> int:
    """``run`` with a token; else, having said which setting is missing, the sandbox."""
    if settings.token():
        return cmd_run(settings)
    print(
        "BOT_TOKEN is not set: starting the offline sandbox "
        "(set BOT_TOKEN in .env or the environment to run the bot on Telegram)",
        file=sys.stderr,
    )
    return cmd_sandbox(settings, 0)


def cmd_sandbox(settings: Settings, users: int) -> int:
    from bot.app import load_models
    from bot.core.kernel.migrate import create_if_new, upgrade
    from bot.sandbox.terminal import run_sandbox, sandbox_database

    database = sandbox_database(settings)  # refuses another database before touching anything
    # The terminal is the chat: the log goes to a file beside the sandbox's database, in a
    # folder of this user's only (the log holds what the simulated users typed).
    SANDBOX_LOG.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    level = settings.log_level if "log_level" in settings.model_fields_set else "INFO"
    configure_logging(level, settings.log_format, settings.secrets(), file=SANDBOX_LOG)
    if not create_if_new(database, load_models):  # a new one from the models, in one step
        upgrade(database)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_sandbox(settings, users=users))
    return 0


def cmd_jobs(
    settings: Settings,
    action: str,
    name: str = "",
    words: Sequence[str] = (),
    *,
    sandbox: bool = False,
) -> int:
    from bot.app import build_application
    from bot.core.kernel.migrate import upgrade
    from bot.modules.admin.cli import list_jobs, run_job

    if sandbox:
        from bot.sandbox.terminal import sandbox_settings

        settings = sandbox_settings(settings, "")

    upgrade(settings.database_url)
    app = build_application(settings)
    if action == "list":
        return asyncio.run(list_jobs(app))
    return asyncio.run(run_job(app, name, words))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        try:
            return cmd_check(args.online)
        except ConfigError as exc:
            print(f"configuration error:\n{exc}", file=sys.stderr)
            return 2
    from bot.settings import CompanionSettings  # every module's settings, composed

    try:
        settings = load_settings(CompanionSettings)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, settings.secrets())
    commands: dict[str, Callable[[], int]] = {
        "backup": lambda: cmd_backup(settings),
        "backups": lambda: cmd_backups(settings),
        "restore": lambda: cmd_restore(settings, args.file, args.to, args.replace),
        "db": lambda: cmd_db(settings),
        "jobs": lambda: cmd_jobs(
            settings,
            args.action,
            getattr(args, "name", ""),
            getattr(args, "args", ()),
            sandbox=args.sandbox,
        ),
        "run": lambda: cmd_run(settings),
        "sandbox": lambda: cmd_sandbox(settings, max(0, args.users)),
        "start": lambda: cmd_start(settings),
    }
    try:
        return commands[args.command]()
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
