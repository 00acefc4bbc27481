"""`make mutate`: mutation testing of the guards with mutmut, and their score.

Each guard is a short list of functions (mutmut's mutant names, ``*`` a wildcard); only those
are mutated, and each mutant runs only the selected tests (``[tool.mutmut]`` in pyproject.toml)
that reached its function on a clean pass. Selected test files that do not exist (yet) are left
out with a note. A fresh ``mutants/`` folder every run: the score is of the tree as it is.

    .venv/bin/python tests/mutation/run.py            # everything, then the score
    .venv/bin/python tests/mutation/run.py --score    # the score of the last run only
    .venv/bin/python tests/mutation/run.py --survivors  # run again only what the last run left

``--survivors`` keeps ``mutants/`` and runs again only the mutants the last run did not kill
(or did not run: a guard function changed since is mutated afresh), then the score; tests added
since are picked up (mutmut records which functions they reach). After writing a test for a
survivor: minutes instead of a whole run.

The score (killed / mutants, per guard) and every surviving mutant's diff are printed and
written to mutants/score.txt; docs/mutation.md explains each survivor that no test kills.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What each guard is: the functions whose mutants must be killed.
GUARDS: dict[str, list[str]] = {
    "slot claimed once (bot/core/jobs)": [
        "bot.core.jobs.statements.x_claim_free__mutmut_*",
        "bot.core.jobs.store.x_claim__mutmut_*",
        "bot.core.jobs.runner.xǁJobRunnerǁ_claim__mutmut_*",
        "bot.core.jobs.runner.xǁJobRunnerǁ_claim_through_outage__mutmut_*",
        "bot.core.jobs.runner.x__stale__mutmut_*",
    ],
    "delivered rows recorded (bot/core/delivery)": [
        "bot.core.delivery.claims.x__pick__mutmut_*",
        "bot.core.delivery.claims.x_claim_due__mutmut_*",
        "bot.core.delivery.claims.x_record__mutmut_*",
        "bot.core.delivery.outbox.xǁOutboxǁenqueue__mutmut_*",
        "bot.core.delivery.outbox.xǁOutboxǁenqueue_many__mutmut_*",
    ],
    "per-chat limit (bot/core/ratelimit/limiter.py)": [
        "bot.core.ratelimit.limiter.x_is_limited__mutmut_*",
        "bot.core.ratelimit.limiter.xǁRatePolicyǁscopes__mutmut_*",
        "bot.core.ratelimit.limiter.xǁCompanionRateLimiterǁ_admitted__mutmut_*",
    ],
    "admin check (settings, commands, buttons)": [
        "bot.core.kernel.settings.xǁSettingsǁis_admin__mutmut_*",
        "bot.core.telegram.commands.xǁCommandǁusable_by__mutmut_*",
        "bot.core.telegram.commands.x__guarded__mutmut_*",
        "bot.core.telegram.buttons.xǁGuardǁadmits__mutmut_*",
        "bot.core.telegram.buttons.x__replied_to__mutmut_*",
        "bot.core.telegram.buttons.x_admins__mutmut_*",
        "bot.core.telegram.buttons.x_staff__mutmut_*",
        "bot.core.telegram.buttons.xǁButtonCatalogǁpress__mutmut_*",
    ],
    "pre-checkout amount (subscriptions/payments.py)": [
        "bot.modules.subscriptions.payments.x_parse_payload__mutmut_*",
        "bot.modules.subscriptions.payments.x_check__mutmut_*",
    ],
    "referral paid once (referrals/service.py)": [
        "bot.modules.referrals.service.x_record_due__mutmut_*",
        "bot.modules.referrals.service.x_pay__mutmut_*",
    ],
    "first moderation decision wins (moderation/service.py)": [
        "bot.modules.moderation.service.x_decide__mutmut_*",
        "bot.modules.moderation.service.x__transition__mutmut_*",
    ],
    "per-user zone (people/zones.py, user_times.py)": [
        "bot.core.people.zones.x_parse_zone__mutmut_*",
        "bot.core.people.zones.x__parse_offset__mutmut_*",
        "bot.core.people.zones.x_zone_of__mutmut_*",
        "bot.core.people.user_times.x__exists__mutmut_*",
        "bot.core.people.user_times.x_occurrence__mutmut_*",
        "bot.core.people.user_times.x_next_occurrence__mutmut_*",
    ],
    "Ukrainian lookup (people/i18n.py)": [
        "bot.core.people.i18n.x_from_telegram__mutmut_*",
        "bot.core.people.i18n.x_choose__mutmut_*",
        "bot.core.people.i18n.x_gettext_in__mutmut_*",
        "bot.core.people.i18n.x___mutmut_*",
    ],
    "webhook secret (telegram/intake.py)": [
        "bot.core.telegram.intake.xǁWrongSecretsǁ_current__mutmut_*",
        "bot.core.telegram.intake.xǁWrongSecretsǁblocked_for__mutmut_*",
        "bot.core.telegram.intake.xǁWrongSecretsǁfailed__mutmut_*",
        "bot.core.telegram.intake.x__telegram__mutmut_*",
        "bot.core.telegram.intake.x_peer_of__mutmut_*",
        "bot.core.telegram.intake.xǁWebhookǁ_receive__mutmut_*",
    ],
}

KILLED = {"killed", "timeout", "caught by type check", "segfault"}


def _status(exit_code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return str(status_by_exit_code[exit_code])


def run_mutmut(again: list[str] | None = None) -> None:
    """mutmut run over the guards' functions (or only the mutants ``again``, in the last run's
    ``mutants/``), in this process (so the test selection can drop files that are not there)."""
    from mutmut import configuration
    from mutmut.__main__ import cli

    if again is None:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    config = configuration.config()
    selection = []
    for path in config.pytest_add_cli_args_test_selection:
        if (ROOT / path).exists():
            selection.append(path)
        else:
            print(f"mutate: {path} does not exist, left out of the test selection")
    config.pytest_add_cli_args_test_selection = selection
    patterns = [pattern for functions in GUARDS.values() for pattern in functions]
    if again is not None:
        patterns = again
    try:
        cli.main(args=["run", *patterns], standalone_mode=False)
    except SystemExit as exit_:
        if exit_.code:
            raise


def results() -> dict[str, str]:
    """Every mutant of the last run and its status."""
    found: dict[str, str] = {}
    for meta in (ROOT / "mutants").rglob("*.meta"):
        for name, code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items():
            found[name] = _status(code)
    return found


def score() -> int:
    """Print (and write to mutants/score.txt) killed / mutants per guard, and the survivors."""
    found = results()
    lines, survivors = [], []
    all_killed = all_total = 0
    for guard, patterns in GUARDS.items():
        mine = {
            name: status
            for name, status in found.items()
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
        }
        killed = sum(status in KILLED for status in mine.values())
        all_killed, all_total = all_killed + killed, all_total + len(mine)
        lines.append(f"{killed:5d} / {len(mine):<5d} {guard}")
        survivors += sorted((name, status) for name, status in mine.items() if status not in KILLED)
    lines.append(f"{all_killed:5d} / {all_total:<5d} all guards")
    report = ["Mutation score (killed / mutants):", *lines, ""]
    if survivors:
        report.append(f"Not killed ({len(survivors)}):")
        for name, status in survivors:
            shown = subprocess.run(
                [sys.executable, "-m", "mutmut", "show", name],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            diff = [
                line
                for line in shown.splitlines()
                if line[:1] in "+-" and line[:3] not in ("---", "+++")
            ]
            report.append(f"  {status}: {name}")
            report += [f"      {line.strip()}" for line in diff]
    text = "\n".join(report) + "\n"
    (ROOT / "mutants").mkdir(exist_ok=True)
    (ROOT / "mutants" / "score.txt").write_text(text, "utf-8")
    print(text, end="")
    return 0 if all_total else 1


def survivors() -> list[str]:
    """The guards' mutants the last run did not kill (survived, not reached, not run)."""
    patterns = [pattern for functions in GUARDS.values() for pattern in functions]
    return sorted(
        name
        for name, status in results().items()
        if status not in KILLED and any(fnmatch.fnmatchcase(name, p) for p in patterns)
    )


def main() -> int:
    os.chdir(ROOT)  # mutmut reads ./pyproject.toml and writes ./mutants
    if "--survivors" in sys.argv[1:]:
        again = survivors()
        if again:
            run_mutmut(again)
    elif "--score" not in sys.argv[1:]:
        run_mutmut()
    return score()


if __name__ == "__main__":
    sys.exit(main())
