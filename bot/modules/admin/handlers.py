"""Thin PTB callbacks of the admin job commands; the commands are declared ``admin=True``."""

from __future__ import annotations

from telegram import Message, Update

from bot.core.context import BotContext, Services
from bot.core.jobs import ArgsError
from bot.core.kernel import ascii_int, get_logger, redact
from bot.core.people import _
from bot.modules.admin import service

log = get_logger(__name__)


async def _job_named(update: Update, context: BotContext, usage: str) -> tuple[Message, str] | None:
    """The message and a known job name from the first argument; None when there is none
    (the admin was told why) or no message to answer."""
    message, services = update.effective_message, context.services
    if message is None:
        return None
    if not context.args:
        text = _("Usage: {usage}").format(usage=usage)
    elif context.args[0] not in services.jobs:
        text = _("Unknown job {name!r}.").format(name=context.args[0])
    else:
        return message, context.args[0]
    await message.reply_text(f"{text}\n{service.known_jobs(services)}")
    return None


async def jobs_command(update: Update, context: BotContext) -> None:
    """List every job: schedule, next run, last status and duration."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(await service.overview(context.services))


async def runjob(update: Update, context: BotContext) -> None:
    """Run a job now through the runner, as a task; answer when it starts and ends."""
    found = await _job_named(update, context, _("/runjob <name> [key=value ...]"))
    if found is None:
        return
    (message, name), services = found, context.services
    try:
        args = service.manual_args(services, name, (context.args or [])[1:])
    except ArgsError as exc:
        await message.reply_text(f"/runjob {name}: {exc}")  # the reason is translated
        return
    except service.JobBusy:
        busy = _("{job} is already running; try again when it has finished.")
        await message.reply_text(busy.format(job=name))
        return
    user_id = update.effective_user.id if update.effective_user else None
    shown = " ".join(f"{k}={v}" for k, v in args.items())
    if shown:
        started = _("{job} started with {args}.").format(job=name, args=shown)
    else:
        started = _("{job} started.").format(job=name)
    await message.reply_text(started)
    context.application.create_task(_run_and_report(services, message, name, args, user_id))


async def _run_and_report(
    services: Services, message: Message, name: str, args: dict[str, object], user_id: int | None
) -> None:
    log.info("manual job run requested", job=name, user_id=user_id, args=args)
    try:
        record = await service.run_manually(services, name, args, user_id)
    except Exception as exc:  # the runner records job errors; this is the runner failing
        log.exception("manual job run failed to start", job=name)
        failed = _("{job} could not run: {error}").format(
            job=name, error=redact(f"{type(exc).__name__}: {exc}")
        )
        await message.reply_text(failed)
        return
    text = (
        service.finished_text(record)
        if record is not None
        else _("{job} did not run: another run of it is in progress.").format(job=name)
    )
    await message.reply_text(text)


async def jobhistory(update: Update, context: BotContext) -> None:
    """The last N runs of a job (default 10, at most 50)."""
    found = await _job_named(update, context, _("/jobhistory <name> [N]"))
    if found is None:
        return
    message, name = found
    words = (context.args or [])[1:]
    limit = ascii_int(words[0], 1, service.HISTORY_MAX) if len(words) == 1 else None
    if words and limit is None:
        usage = _("Usage: /jobhistory <name> [N], N a whole number from 1 to {max}")
        await message.reply_text(usage.format(max=service.HISTORY_MAX))
        return
    limit = limit or service.HISTORY_DEFAULT
    await message.reply_text(await service.history_text(context.services, name, limit))


async def _set_paused(update: Update, context: BotContext, paused: bool) -> None:
    verb = "pausejob" if paused else "resumejob"
    found = await _job_named(update, context, f"/{verb} " + _("<name>"))
    if found is None:
        return
    message, name = found
    changed = await context.services.runner.set_paused(name, paused)
    log.info("job paused" if paused else "job resumed", job=name, changed=changed)
    if paused:
        text = _("{job} paused.") if changed else _("{job} was already paused.")
    else:
        text = _("{job} resumed.") if changed else _("{job} was already resumed.")
    await message.reply_text(text.format(job=name))


async def pausejob(update: Update, context: BotContext) -> None:
    """Stop the scheduled runs of a job until /resumejob (kept across restarts)."""
    await _set_paused(update, context, True)


async def resumejob(update: Update, context: BotContext) -> None:
    """Let a paused job run on its schedule again."""
    await _set_paused(update, context, False)


__all__ = ["jobhistory", "jobs_command", "pausejob", "resumejob", "runjob"]
