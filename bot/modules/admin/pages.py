"""The Jobs page of the console and its API routes (handlers in ``console_api.py``,
imported on the first console request; the script in ``console/jobs.js``), and the Audit
page (``console/audit.js``), which reads core's ``GET audit``."""

from __future__ import annotations

from bot.core.people import N_
from bot.core.web import ConsolePage, ConsoleRoute

API = "bot.modules.admin.console_api"

PAGE = ConsolePage(
    "jobs",
    N_("Jobs"),
    "jobs.js",
    texts={
        "job": N_("Job"),
        "schedule": N_("Schedule"),
        "next": N_("Next run"),
        "last": N_("Last run"),
        "streak": N_("Failures in a row"),
        "paused": N_("paused"),
        "running": N_("running"),
        "not_run": N_("not run yet"),
        "run": N_("Run now"),
        "pause": N_("Pause"),
        "resume": N_("Resume"),
        "history": N_("History"),
        "args": N_("Arguments (key=value ...)"),
        "started": N_("Started."),
        "all": N_("all"),
        "status": N_("Status"),
        "trigger": N_("Trigger"),
        "duration": N_("Duration"),
        "attempts": N_("Attempts"),
        "error": N_("Error"),
        "ref": N_("Reference"),
        "summary": N_("Summary"),
        "close": N_("Close"),
        "no_runs": N_("No runs."),
    },
    order=10,
)

AUDIT = ConsolePage(
    "audit",
    N_("Audit"),
    "audit.js",
    texts={
        "about": N_("Every change made in the console, newest first; kept for 90 days."),
        "when": N_("When"),
        "who": N_("Who"),
        "action": N_("Action"),
        "target": N_("Target"),
        "result": N_("Result"),
        "all": N_("All actions"),
        "ok": N_("done"),
        "refused": N_("refused"),
        "error": N_("failed"),
        "more": N_("Load more"),
        "none": N_("Nothing has been changed in the console yet."),
    },
    order=90,
)

CONSOLE = (
    PAGE,
    AUDIT,
    ConsoleRoute("GET", "jobs", f"{API}:jobs"),
    ConsoleRoute("GET", "jobs/{name}/history", f"{API}:history"),
    ConsoleRoute("POST", "jobs/{name}/run", f"{API}:run", action="jobs.run"),
    ConsoleRoute("POST", "jobs/{name}/pause", f"{API}:pause", action="jobs.pause"),
    ConsoleRoute("POST", "jobs/{name}/resume", f"{API}:resume", action="jobs.resume"),
)
