"""How updates reach the process: long polling by one leader, or a webhook on every replica.

Telegram allows one ``getUpdates`` per token at a time; a second poller is answered 409
and both see updates twice. So with long polling only the holder of the ``updates``
lease polls; every other process sends, runs jobs and takes over polling within a
lease period when the leader dies (at once when it stopped cleanly). With a webhook,
every replica behind the load balancer takes updates; each one checks the secret header,
and an update Telegram retries (or the balancer sends twice) is handled once, because
its ``update_id`` is recorded first (see :mod:`bot.core.telegram.received`).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application

from bot.core.cluster import Instance, LeaseKeeper, Liveness
from bot.core.kernel import get_logger
from bot.core.telegram.arrival import WEBHOOK_PATIENCE, ArrivalQueue, NotSafeYet

log = get_logger(__name__)
STEP = 0.25  # seconds between a poller's looks at the lease (most cost no query)
AnyApp = Application[Any, Any, Any, Any, Any, Any]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Where Telegram's webhook calls come from (core.telegram.org/bots/webhooks): never throttled.
TELEGRAM_NETWORKS = tuple(
    ipaddress.ip_network(net) for net in ("149.154.160.0/20", "91.108.4.0/22")
)


class WrongSecrets:
    """Failed webhook calls per peer: past ``limit`` in ``window`` seconds, the peer's calls
    are refused (429) without looking at the secret until the window has passed, so guessing
    runs at ``limit`` tries a window per address at most. Telegram's own networks are never
    throttled; at most ``peers`` addresses are remembered (the oldest forgotten first)."""

    __slots__ = ("_failures", "limit", "peers", "window")

    def __init__(self, limit: int = 5, window: float = 60.0, peers: int = 10_000) -> None:
        self.limit, self.window, self.peers = limit, window, peers
        self._failures: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def _current(self, peer: str, now: float) -> int:
        started, count = self._failures.get(peer, (now, 0))
        if now - started >= self.window:
            self._failures.pop(peer, None)
            return 0
        return count

    def blocked_for(self, peer: str, now: float) -> float:
        """Seconds ``peer`` must wait before its next call is looked at (0: look at it)."""
        if self._current(peer, now) < self.limit or _telegram(peer):
            return 0.0
        return max(0.0, self._failures[peer][0] + self.window - now)

    def failed(self, peer: str, now: float) -> int:
        """Count one more failure; the peer's failures in its current window."""
        count = self._current(peer, now) + 1
        started = self._failures.pop(peer, (now, 0))[0]
        self._failures[peer] = (started, count)
        while len(self._failures) > self.peers:
            self._failures.popitem(last=False)
        return count


def _telegram(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in net for net in TELEGRAM_NETWORKS)


def peer_of(remote: str | None, forwarded_for: str | None) -> str:
    """Who called: the connection's address, or, when that is a proxy on this machine or a
    private network (``WEBHOOK_LISTEN`` is loopback by default: a reverse proxy in front),
    the address the proxy appended last to ``X-Forwarded-For`` (the one it saw)."""
    peer = remote or "?"
    try:
        local = ipaddress.ip_address(peer).is_private
    except ValueError:
        local = False
    if local and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(last))
    return peer


class Intake(ABC):
    """Starts and stops the flow of updates into ``app.update_queue``."""

    __slots__ = ()

    @abstractmethod
    async def start(self, app: AnyApp) -> None: ...

    @abstractmethod
    async def stop(self, app: AnyApp) -> None: ...

    @abstractmethod
    def receiving(self, app: AnyApp) -> bool:
        """Whether updates flow as they should (for ``/healthz``)."""

    @property
    @abstractmethod
    def role(self) -> str:
        """``leader``, ``standby`` or ``webhook``: shown in ``/healthz`` and logs."""


class LeaderPolling(Intake):
    """Long polling by the holder of the lease; the others stand by and retry."""

    __slots__ = ("allowed", "heartbeat", "keeper", "liveness", "poll_timeout")

    def __init__(
        self,
        keeper: LeaseKeeper,
        *,
        poll_timeout: int,
        allowed: Sequence[str] = Update.ALL_TYPES,
        heartbeat: Instance | None = None,
    ) -> None:
        self.keeper, self.poll_timeout, self.allowed = keeper, poll_timeout, list(allowed)
        # The lease is renewed (or read) inside this heartbeat's transactions when it has one.
        self.heartbeat = heartbeat
        # Leader while the last renewal of the lease is recent (with a margin inside its ttl).
        # Stepped often: a step asks the database only when a renewal is due or the leader's
        # lease has run out (LeaseKeeper.step), so a standby notices at once at no cost.
        self.liveness = Liveness(
            "leader-polling", period=min(STEP, keeper.every), valid_for=keeper.ttl * 0.9
        )

    @property
    def role(self) -> str:
        return "leader" if self.liveness.fresh else "standby"

    def receiving(self, app: AnyApp) -> bool:
        polling = app.updater is not None and app.updater.running
        return polling if self.role == "leader" else True

    async def start(self, app: AnyApp) -> None:
        """One attempt now (a lone process polls at once), then keep trying in the background."""
        await self._step(app)
        if self.heartbeat is not None:
            self.keeper.ride(self.heartbeat)
        self.liveness.start(lambda: self._step(app))

    async def stop(self, app: AnyApp) -> None:
        await self.liveness.stop()
        self.keeper.unride()
        await self._stop_polling(app)
        if self.liveness.holding:
            self.liveness.lost()
            with contextlib.suppress(Exception):  # a dead database: the lease runs out anyway
                await self.keeper.release()

    async def _step(self, app: AnyApp) -> None:
        """Renew or take the lease; start or stop polling to match."""
        was = self.role
        try:
            held = await self.keeper.step()
        except Exception as exc:  # the database is away: keep polling while the lease lasts
            held = self.liveness.remaining() > self.keeper.every
            if was == "leader":
                log.warning("polling lease not renewed", error=str(exc)[:200], still_held=held)
        if held and self.keeper.renewed_at is not None:
            self.liveness.renewed(at=self.keeper.renewed_at)
        elif not held:
            self.liveness.lost()
        if held and not (app.updater and app.updater.running):
            await self._start_polling(app)
        elif not held and app.updater and app.updater.running:
            await self._stop_polling(app)
        if self.role != was:
            log.info("polling role changed", role=self.role, holder=str(self.keeper.holder))

    async def _start_polling(self, app: AnyApp) -> None:
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=self.poll_timeout, allowed_updates=self.allowed
        )

    async def _stop_polling(self, app: AnyApp) -> None:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()


class Webhook(Intake):
    """An HTTP endpoint for Telegram's POSTs; ``setWebhook`` at start (every replica sets
    the same URL and secret, which is harmless). The webhook stays set at stop: the other
    replicas still take updates."""

    __slots__ = ("_runner", "allowed", "listen", "port", "public_url", "secret", "wrong")

    def __init__(
        self,
        public_url: str,
        secret: str,
        *,
        listen: str,
        port: int,
        allowed: Sequence[str] = Update.ALL_TYPES,
    ) -> None:
        self.public_url, self.secret, self.listen, self.port = public_url, secret, listen, port
        self.allowed = list(allowed)
        self.wrong = WrongSecrets()
        self._runner: Any = None

    @property
    def role(self) -> str:
        return "webhook"

    @property
    def path(self) -> str:
        return urlsplit(self.public_url).path or "/"

    def receiving(self, app: AnyApp) -> bool:
        return self._runner is not None

    async def start(self, app: AnyApp) -> None:
        from aiohttp import web  # only a webhook needs the server

        async def receive(request: web.Request) -> web.Response:
            response: web.Response = await self._receive(app, request)
            return response

        server = web.Application(client_max_size=1024 * 1024)
        server.router.add_post(self.path, receive)
        self._runner = web.AppRunner(server, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        await app.bot.set_webhook(
            self.public_url, secret_token=self.secret, allowed_updates=self.allowed
        )
        log.info("webhook listening", listen=self.listen, port=self.port, path=self.path)

    async def stop(self, app: AnyApp) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, app: AnyApp, request: Any) -> Any:
        """403 for a wrong secret (429 once a peer has failed too often), 400 for a body that
        is no update, 503 when what must be stored on arrival could not be (Telegram sends it
        again), else 200 once the update is queued."""
        from aiohttp import web

        peer, now = (
            peer_of(request.remote, request.headers.get("X-Forwarded-For")),
            time.monotonic(),
        )
        wait = self.wrong.blocked_for(peer, now)
        if wait:
            return web.Response(status=429, headers={"Retry-After": str(int(wait) + 1)})
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            failures = self.wrong.failed(peer, now)
            if failures <= self.wrong.limit:  # then quiet until its window passes
                log.warning(
                    "webhook call with a wrong secret refused", peer=peer, failures=failures
                )
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), app.bot)
        except Exception:
            return web.Response(status=400, text="not an update")
        queue = app.update_queue
        if isinstance(queue, ArrivalQueue):
            try:
                await queue.secure(update, patience=WEBHOOK_PATIENCE)
            except NotSafeYet:
                return web.Response(status=503, text="try again")
            queue.put_nowait(update)
        else:
            await queue.put(update)
        return web.Response(status=200)
