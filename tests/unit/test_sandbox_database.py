"""The sandbox's database rule: its own data/sandbox.sqlite3 however it is spelled, any other
database refused with DATABASE_URL named and its password never shown."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.kernel import ConfigError
from bot.sandbox.terminal import SANDBOX_DATABASE_URL, sandbox_database, sandbox_settings
from tests.conftest import make_settings


def test_no_database_url_means_the_sandbox_file(tmp_path: Path) -> None:
    """Settings without DATABASE_URL get the sandbox's own file."""
    settings = make_settings(tmp_path, bot_token="")
    unset = settings.model_copy(update={})
    unset.model_fields_set.discard("database_url")
    assert sandbox_database(unset) == SANDBOX_DATABASE_URL


@pytest.mark.parametrize(
    "spelling",
    [
        "sqlite:///data/sandbox.sqlite3",
        "sqlite+aiosqlite:///./data/sandbox.sqlite3",
        "sqlite:///./data/../data/sandbox.sqlite3",
        "sqlite:///{cwd}/data/sandbox.sqlite3",
    ],
)
def test_the_sandbox_file_is_accepted_however_spelled(tmp_path: Path, spelling: str) -> None:
    """DATABASE_URL naming data/sandbox.sqlite3 (relative, absolute, with ..) is the sandbox's."""
    url = spelling.format(cwd=os.getcwd())
    settings = make_settings(tmp_path, bot_token="", database_url=url)
    assert sandbox_settings(settings, "").database_url == settings.database_url


@given(
    password=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=8),
    scheme=st.sampled_from(["postgresql", "postgresql+asyncpg"]),
)
def test_another_database_is_refused_without_its_password(password: str, scheme: str) -> None:
    """Any PostgreSQL URL is refused naming DATABASE_URL; its password is never in the message."""
    url = f"{scheme}://companion:{quote(password, safe='')}@db:5432/companion"
    settings = make_settings(Path("/nonexistent"), bot_token="", database_url=url)
    with pytest.raises(ConfigError) as refused:
        sandbox_database(settings)
    message = str(refused.value)
    assert message.startswith("DATABASE_URL: the sandbox runs only on its own database")
    # The password's place shows ***; the password may still be a word of the message itself
    # ("DATABASE"), so it is looked for where it stood.
    assert "companion:***@db:5432" in message and "data/sandbox.sqlite3" in message
    assert f"companion:{quote(password, safe='')}@" not in message


@given(name=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True))
def test_another_sqlite_file_is_refused(name: str) -> None:
    """A SQLite file anywhere but data/sandbox.sqlite3 is refused."""
    url = f"sqlite:///data/{name}.db"
    settings = make_settings(Path("/nonexistent"), bot_token="", database_url=url)
    with pytest.raises(ConfigError):
        sandbox_database(settings)
