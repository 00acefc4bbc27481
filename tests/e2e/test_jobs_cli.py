"""`python -m bot jobs ...` and the job lines of `check`, as a user runs them."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.processes import cli


async def test_check_lists_jobs_with_effective_schedule(tmp_path: Path) -> None:
    """`check` prints every job with its schedule after overrides, and disabled ones."""
    code, out, _ = await cli(
        tmp_path,
        "check",
        JOBS__ANALYTICS_QUICK_STATS__SCHEDULE="every 5m",
        JOBS__CLEANUP_DAILY__ENABLED="false",
    )
    assert code == 0
    assert "analytics.quick_stats    every 5m" in out and "(disabled)" in out


async def test_check_rejects_bad_job_settings_one_line_each(tmp_path: Path) -> None:
    """An unknown job and a bad cron in settings: exit 2, one clear line each."""
    code, _, err = await cli(
        tmp_path,
        "check",
        JOBS__MISSIONS_SEND_DAYLY__SCHEDULE="0 9 * * *",
        JOBS__CLEANUP_OPTIMIZE__SCHEDULE="0 4 * * funday",
    )
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err
    assert lines[0] == "configuration error:" and len(lines) == 3
    assert any(line.startswith("JOBS__MISSIONS_SEND_DAYLY: unknown job") for line in lines)
    assert any("JOBS__CLEANUP_OPTIMIZE__SCHEDULE: invalid cron" in line for line in lines)


async def test_jobs_run_and_list(tmp_path: Path) -> None:
    """`jobs run` runs through the runner and prints the summary; `jobs list` shows it."""
    code, out, _ = await cli(tmp_path, "jobs", "run", "analytics.quick_stats")
    assert code == 0 and "analytics.quick_stats finished: succeeded" in out
    code, out, _ = await cli(tmp_path, "jobs", "list")
    assert (
        code == 0 and "analytics.quick_stats — every 15 minutes" in out and "last succeeded" in out
    )


async def test_jobs_run_unknown_or_bad_args(tmp_path: Path) -> None:
    """An unknown job lists the names; arguments a job does not take are refused."""
    code, _, err = await cli(tmp_path, "jobs", "run", "nope")
    assert code == 2 and "Known jobs:" in err and "cleanup.daily" in err
    code, _, err = await cli(tmp_path, "jobs", "run", "cleanup.daily", "x=1")
    assert code == 2 and "accepts: no arguments" in err
