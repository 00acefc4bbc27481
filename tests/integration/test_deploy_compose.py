"""deploy/compose.yaml read as Compose reads it: no password is written in it; PostgreSQL and
Redis take theirs from deploy/.env (nothing starts without them), the bot's URLs carry them,
and the Redis it runs refuses a client without the password."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from redis.asyncio import Redis
from redis.exceptions import AuthenticationError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.settings import CompanionSettings
from tests.helpers.clocks import eventually
from tests.helpers.processes import finish, stop
from tests.helpers.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
PASSWORDS = {"POSTGRES_PASSWORD": "pg0a1b2c3d", "REDIS_PASSWORD": "rd4e5f6a7b"}
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?[?-])([^}]*))?\}|\$(\w+)")


class MissingVariable(Exception):
    """Compose's refusal: a ``${NAME:?message}`` whose NAME is unset or empty."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """``value`` with Compose's interpolation applied: ``${NAME}``, ``$NAME``,
    ``${NAME:-default}``, ``${NAME:?message}`` (and their forms without the colon), ``$$``."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, word = match.group(2) or "", match.group(3) or ""
        given = env.get(name)
        missing = given is None or (operator.startswith(":") and given == "")
        if missing and operator.endswith("?"):
            raise MissingVariable(f"required variable {name} is missing a value: {word}")
        if missing and operator.endswith("-"):
            return word
        return given or ""

    return _VARIABLE.sub(one, value)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_no_password_is_written_in_the_compose_file() -> None:
    """Every password (PostgreSQL's, Redis's, those in URLs) is a required reference to
    deploy/.env, never a value."""
    postgres = COMPOSE["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert postgres.startswith("${POSTGRES_PASSWORD:?"), postgres
    command = COMPOSE["services"]["redis"]["command"]
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD:?")
    for text in _strings(COMPOSE):
        for password in re.findall(r"://[^:/@\s]*:([^@\s]*)@", text):
            assert password.startswith("${") and ":?" in password, text


@pytest.mark.parametrize("missing", sorted(PASSWORDS))
def test_nothing_starts_without_the_passwords(missing: str) -> None:
    """Without POSTGRES_PASSWORD or REDIS_PASSWORD Compose stops, saying where to set it."""
    env = {name: value for name, value in PASSWORDS.items() if name != missing}
    with pytest.raises(MissingVariable, match=f"{missing}.*set {missing} in deploy/.env"):
        interpolate(COMPOSE, env)
    with pytest.raises(MissingVariable):
        interpolate(COMPOSE, {**env, missing: ""})


def test_the_bot_gets_both_passwords_in_its_urls() -> None:
    """The bot's DATABASE_URL and REDIS_URL carry the passwords, are valid settings, and the
    passwords are among the secrets the logs mask."""
    bot = interpolate(COMPOSE, PASSWORDS)["x-bot"]["environment"]
    settings = CompanionSettings(  # type: ignore[call-arg]
        _env_file=None, database_url=bot["DATABASE_URL"], redis_url=bot["REDIS_URL"]
    )
    assert set(PASSWORDS.values()) <= set(settings.secrets())
    postgres = interpolate(COMPOSE, PASSWORDS)["services"]["postgres"]["environment"]
    assert f":{postgres['POSTGRES_PASSWORD']}@postgres:" in bot["DATABASE_URL"]


@pytest.mark.redis
async def test_redis_as_composed_refuses_clients_without_the_password(tmp_path: Path) -> None:
    """redis-server run with the compose file's command refuses a client without the
    password; the bot's REDIS_URL and the health check (redis-cli with REDISCLI_AUTH) get in."""
    composed = interpolate(COMPOSE, PASSWORDS)
    redis = composed["services"]["redis"]
    binary, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    assert binary and cli, "redis-server is required (make redis)"
    port = free_port()
    where = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    server = await asyncio.create_subprocess_exec(
        binary, *redis["command"][1:], *where, stdout=asyncio.subprocess.DEVNULL
    )
    url = composed["x-bot"]["environment"]["REDIS_URL"].replace("@redis:6379", f"@127.0.0.1:{port}")
    bot, stranger = Redis.from_url(url), Redis(port=port)
    try:
        await eventually(lambda: _answers(bot))
        refused = r"NOAUTH|[Aa]uthenticat"
        with pytest.raises((AuthenticationError, ResponseError), match=refused):
            await stranger.ping()
        _cmd, program, *words = redis["healthcheck"]["test"]
        health = [program, "-p", str(port), *words]
        check = await asyncio.create_subprocess_exec(
            *health, env=redis["environment"], stdout=asyncio.subprocess.PIPE
        )
        out, _ = await finish(check, 30)
        assert out.strip() == b"PONG"
    finally:
        await bot.aclose()
        await stranger.aclose()
        await stop(server, grace=5)


async def _answers(client: Redis) -> bool:
    """Whether the server answers (it may still be starting)."""
    try:
        return bool(await client.ping())
    except (OSError, RedisConnectionError):
        return False
