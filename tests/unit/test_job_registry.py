"""Job declarations and settings overrides are validated with one clear line each."""

from __future__ import annotations

from datetime import time

import pytest

from bot.core.context import Services
from bot.core.jobs import Cron, DailyAt, Every, JobContext, JobRegistry, JobSpec
from bot.core.jobs.args import ArgsError, parse_args
from bot.core.jobs.registry import override_key
from bot.core.jobs.runner import backoff
from bot.core.jobs.spec import RetryPolicy
from bot.core.kernel.settings import ConfigError, JobOverride
from bot.settings import CompanionSettings


async def noop(ctx: JobContext[Services]) -> str:
    return "ok"


def registry(*specs: JobSpec) -> JobRegistry:
    jobs = JobRegistry()
    for spec in specs:
        jobs.add(spec)
    return jobs


DAILY = JobSpec("missions.send_daily", noop, DailyAt(time(9, 0)))
STATS = JobSpec("analytics.quick_stats", noop, Every(300))


def test_override_changes_schedule_and_disables() -> None:
    """JOBS__MISSIONS_SEND_DAILY__SCHEDULE and ...__ENABLED=false reach the named jobs."""
    jobs = registry(DAILY, STATS)
    jobs.configure(
        {
            "missions_send_daily": JobOverride(schedule="0 7 * * *", timeout=60),
            "ANALYTICS_QUICK_STATS": JobOverride(enabled=False),
        },
        "Europe/Berlin",
    )
    spec = jobs.get("missions.send_daily")
    assert spec is not None and spec.schedule == Cron("0 7 * * *") and spec.timeout == 60
    assert not jobs.enabled("analytics.quick_stats") and jobs.enabled("missions.send_daily")


def test_env_overrides_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment form maps to the job name with dots as underscores."""
    monkeypatch.setenv("JOBS__MISSIONS_SEND_DAILY__SCHEDULE", "0 9 * * *")
    settings = CompanionSettings(_env_file=None)  # type: ignore[call-arg]
    jobs = registry(DAILY)
    jobs.configure(settings.jobs, settings.timezone)
    spec = jobs.get("missions.send_daily")
    assert spec is not None and spec.schedule == Cron("0 9 * * *")
    assert override_key("missions.send_daily") in settings.jobs


def test_unknown_job_is_one_line_listing_known_names() -> None:
    """An override for a job nobody declared stops start-up, naming the known jobs."""
    with pytest.raises(ConfigError) as error:
        registry(DAILY, STATS).configure({"missions_send_dialy": JobOverride()}, "UTC")
    assert str(error.value) == (
        "JOBS__MISSIONS_SEND_DIALY: unknown job 'missions_send_dialy' "
        "(known: missions.send_daily, analytics.quick_stats)"
    )


def test_duplicate_name_is_refused() -> None:
    """Two declarations of one name is a configuration error."""
    with pytest.raises(ConfigError, match="declared twice"):
        registry(DAILY, DAILY)


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"missions_send_daily": JobOverride(schedule="61 * * * *")}, "invalid cron expression"),
        ({"missions_send_daily": JobOverride(schedule="every 0s")}, "interval must be positive"),
        ({"missions_send_daily": JobOverride(schedule="whenever")}, "cannot read schedule"),
    ],
)
def test_bad_override_schedules(overrides: dict[str, JobOverride], line: str) -> None:
    """Bad schedules in settings are one line each, naming the setting."""
    with pytest.raises(ConfigError) as error:
        registry(DAILY).configure(overrides, "UTC")
    message = str(error.value)
    assert "\n" not in message and message.startswith("JOBS__MISSIONS_SEND_DAILY__SCHEDULE:")
    assert line in message


def test_bad_declarations_all_reported() -> None:
    """A bad cron and a negative interval declared in code: one line per job."""
    jobs = registry(
        JobSpec("a.cron", noop, Cron("0 25 * * *")), JobSpec("b.every", noop, Every(-5))
    )
    with pytest.raises(ConfigError) as error:
        jobs.configure({}, "UTC")
    lines = str(error.value).splitlines()
    assert len(lines) == 2 and lines[0].startswith("job a.cron: invalid cron")
    assert lines[1] == "job b.every: interval must be positive, got -5s"


def test_parse_args_by_declared_types() -> None:
    """key=value words become typed values; anything else says what is accepted."""
    declared = {"limit": int, "dry": bool, "name": str}
    assert parse_args(declared, ["limit=5", "dry=yes", "name=x=y"]) == {
        "limit": 5,
        "dry": True,
        "name": "x=y",
    }
    for words in (["limit=five"], ["other=1"], ["limit"], ["limit=1", "limit=2"]):
        with pytest.raises(ArgsError, match="accepts: limit=int, dry=bool, name=str"):
            parse_args(declared, words)


def test_backoff_grows_and_caps() -> None:
    """Waits double per attempt up to the cap (no jitter)."""
    import random

    policy = RetryPolicy(attempts=10, base_delay=2, max_delay=10, jitter=0)
    rng = random.Random(1)
    assert [backoff(policy, n, rng) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]


def test_a_schedule_for_a_job_run_only_by_hand_is_refused() -> None:
    """A manual job has no schedule to change: the override is an error, not ignored."""
    manual = JobSpec("missions.send_daily", noop, DailyAt(time(9, 0)), manual=True)
    jobs = registry(manual)
    with pytest.raises(ConfigError) as raised:
        jobs.configure({"missions_send_daily": JobOverride(schedule="0 8 * * *")}, "UTC")
    assert str(raised.value) == (
        "JOBS__MISSIONS_SEND_DAILY__SCHEDULE: missions.send_daily runs only by /runjob; "
        "it has no schedule"
    )
    jobs.configure({"missions_send_daily": JobOverride(timeout=30)}, "UTC")  # the rest applies
    spec = jobs.get("missions.send_daily")
    assert spec is not None and spec.timeout == 30
