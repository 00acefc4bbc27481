"""`python -m bot check` validates CONSOLE_URL: https:// (http:// on loopback only), ending
in /console/, and only with HTTP_PORT; each mistake is named, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.processes import cli

GOOD_TOKEN = "123456789:AAE-secret-value-of-35-characters__"


@pytest.mark.parametrize(
    ("url", "port", "said"),
    [
        (
            "http://bot.example.org/console/",
            "8080",
            "CONSOLE_URL: Telegram opens Mini Apps over https:// only",
        ),
        ("https://bot.example.org/admin/", "8080", "CONSOLE_URL: must end with /console/"),
        ("https://bot.example.org/console/", "", "CONSOLE_URL needs HTTP_PORT"),
    ],
)
async def test_check_names_a_wrong_console_url(
    tmp_path: Path, url: str, port: str, said: str
) -> None:
    """Plain http on a public host, another path, or no HTTP_PORT: exit 2 saying why."""
    code, _out, err = await cli(
        tmp_path, "check", BOT_TOKEN=GOOD_TOKEN, CONSOLE_URL=url, HTTP_PORT=port
    )
    assert code == 2 and "Traceback" not in err
    assert said in err, err


async def test_check_accepts_https_and_loopback_http(tmp_path: Path) -> None:
    """https:// with HTTP_PORT passes (the trailing slash added); http:// on loopback too."""
    for url in ("https://bot.example.org/console", "http://127.0.0.1:8080/console/"):
        code, out, err = await cli(
            tmp_path, "check", BOT_TOKEN=GOOD_TOKEN, CONSOLE_URL=url, HTTP_PORT="8080"
        )
        assert code == 0 and "configuration OK" in out, (url, out, err)
