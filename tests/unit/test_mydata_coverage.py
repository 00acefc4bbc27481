"""Every column that names a person is exported by /mydata and handled by /forgetme: the
test walks the whole schema (``Base.metadata``) of a built application and fails on a
user or chat id column that no module's holding claims, unless it is listed below with
the reason it names no person."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_application
from bot.core.context import services_of
from bot.core.kernel import Base
from bot.core.people import Rule, personal_columns
from tests.conftest import make_settings

# Columns that look like a person's id but are not one, and why.
NOT_A_PERSON = {
    "submissions.dm_chat_id": "the channel's direct-messages chat a suggestion came through",
}


def _claimed(tmp_path: Path) -> set[str]:
    app = build_application(make_settings(tmp_path))
    return services_of(app).personal.claimed()


def test_every_person_column_is_claimed_by_a_holding(tmp_path: Path) -> None:
    """No table holds a user or chat id that /mydata would leave out and /forgetme keep."""
    claimed = _claimed(tmp_path)
    person_columns = {
        name for table in Base.metadata.sorted_tables for name in personal_columns(table)
    }
    unclaimed = person_columns - claimed - set(NOT_A_PERSON)
    assert not unclaimed, f"no holding exports and forgets {sorted(unclaimed)}"


def test_every_claim_names_a_real_column(tmp_path: Path) -> None:
    """A holding's rules and claims name columns that exist (a typo would hide a table)."""
    for name in _claimed(tmp_path):
        resolved = Rule(name).resolve()
        assert resolved is not None, f"{name}: no such table"


def test_the_exemptions_are_still_needed() -> None:
    """Each listed exemption is a column the schema has and that looks like a person's."""
    person_columns = {
        name for table in Base.metadata.sorted_tables for name in personal_columns(table)
    }
    assert set(NOT_A_PERSON) <= person_columns


def test_the_walk_finds_the_usual_names() -> None:
    """The name rule catches ids under the names this schema uses, so the test can fail."""
    found = {name for table in Base.metadata.sorted_tables for name in personal_columns(table)}
    for name in (
        "users.id",
        "users.referrer_id",
        "transactions.user_id",
        "referral_rewards.inviter_id",
        "submissions.decided_by",
        "outbox.chat_id",
    ):
        assert name in found
