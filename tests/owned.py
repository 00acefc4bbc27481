"""Services a test built and does not close itself: the ``_dispose_owned`` fixture in
``tests/conftest.py`` disposes their databases after every test, passed or failed."""

from __future__ import annotations

from bot.core.context import Services

_OWNED: list[Services] = []


def own(services: Services) -> Services:
    """Have ``services``' database disposed once the test is over."""
    _OWNED.append(services)
    return services


async def dispose_owned() -> None:
    """Dispose every owned database (an engine disposed twice is fine), then forget them."""
    owned, _OWNED[:] = list(_OWNED), []
    for services in owned:
        await services.db.dispose()
