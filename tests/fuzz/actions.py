"""What the chat fuzzer does: one seeded random step at a time, as the sandbox's people.

Each step is a :class:`Step`: what was done (a line of the trace), who did it, and what the
invariants must expect of it (a private command to answer, a press to answer, whether the
actor was entitled to any effect). Choices depend only on the seed and on what the bot sent
before, so a seed replays the same run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core.telegram import Button, Command
from bot.sandbox import SentMessage
from tests.conftest import ADMIN
from tests.e2e.conftest import CHANNEL, VIP

if TYPE_CHECKING:
    from bot.core.kernel import Settings
    from bot.core.kernel.clock import ManualClock
    from bot.sandbox.world import World

MODERATOR = 4
USERS = (11, 12, 13, 14, 15)
ACTORS = (ADMIN, MODERATOR, *USERS)
# People who never write to the bot: only others' nasty arguments, forwards and forged
# payloads name them, and the bot must never write to them.
SILENT = (90, 91)
GROUP, ROOM = -1_002_000_000_009, -1_002_000_000_010  # a group; the moderators' group
JOBS = (
    "missions.send_daily",
    "subscriptions.expire",
    "subscriptions.remind",
    "subscriptions.check_members",
    "missions.sweep",
    "missions.expire",
    "economy.reconcile",
    "referrals.process",
    "subscriptions.settle_payments",
    "analytics.quick_stats",
)
# Arguments that read as what each command expects (a few ids and times of this run).
GOOD: dict[str, Callable[[random.Random], str]] = {
    "start": lambda r: r.choice(["", f"ref_{r.choice(USERS)}", f"ref_{ADMIN}"]),
    "timezone": lambda r: r.choice(["", "Europe/Kyiv", "+5:45", "UTC", "America/New_York"]),
    "runjob": lambda r: r.choice(JOBS),
    "jobhistory": lambda r: f"{r.choice(JOBS)} {r.randint(1, 50)}",
    "pausejob": lambda r: r.choice(JOBS),
    "resumejob": lambda r: r.choice(JOBS),
    "missiontime": lambda r: r.choice(["08:30", "default", "23:59", "00:00"]),
    "addmission": lambda r: f"{r.randint(1, 1000)} Read a poem | Read one poem aloud.",
    "retiremission": lambda r: str(r.randint(1, 4)),
    "broadcast": lambda r: r.choice(["Hello everyone", "Näin 🙂 <b>bold</b> & [x](y)"]),
    "grant": lambda r: f"{r.choice(ACTORS)} {r.choice(['30d', '1d', '2h', '3650d'])}",
    "revoke": lambda r: str(r.choice(ACTORS)),
    "refund": lambda r: f"stxSANDBOX{r.randint(1, 4):06d}",
    "post": lambda r: r.choice(["now Hello channel", "+2h Later", "+1d\nNext line"]),
    "cancelpost": lambda r: str(r.randint(1, 3)),
    "quiet": lambda r: r.choice(["22-08", "off", "0-23"]),
    "suggest": lambda r: r.choice(["A post idea", "Read this: https://example.com"]),
    "withdraw": lambda r: str(r.randint(1, 3)),
    "approve": lambda r: r.choice(["1", "2 +2h", "1 2026-12-01T09:00"]),
}
NASTY = (
    "",
    "¹²",
    "١٢",
    "𝟙𝟚",
    "-1",
    "0",
    "99999999999999999999",
    "\x00",
    "x" * 300,
    "1 2 3 4 5 6 7",
    "\u202ertl",
    "ref_¹",
    "ref_-5",
    "ref_",
    "+999999d",
    "0001-01-01T00:00 x",
    "9999-12-31T23:59 x",
    "22-٠٨",
    "a=b=c =",
    "\n\n",
    "🙂" * 40,
    "vip:1:30:50",
    "missions.send_daily ²",
    "1 1e309",
    "<b>unclosed",
    "*_`[",
)
SILENT_NASTY = tuple(f"{a}{s}" for s in SILENT for a in ("ref_", "", "grant "))
UNUSABLE = "Stars payment names nothing to grant"
TAMPERED = "stxFUZZ"  # the charge ids of payments delivered without an invoice
FORGED = ("", "¹²", "١٢", "1:2:3:4:5", "x" * 60, "\x00", "-0x1", "99999999999999999999")
PLAIN = ("hello", "🙂", "/", "//", "/unknown_cmd", "/start@other_bot", "x" * 5000)


def show(text: str) -> str:
    """``text`` as a trace shows it: quoted, escaped, at most 80 characters."""
    quoted = repr(text)
    return quoted if len(quoted) <= 80 else f"{quoted[:70]}…({len(text)} chars)"


@dataclass(slots=True)
class Step:
    """One action of the run and what the invariants expect of it."""

    line: str
    actor: int | None = None
    private_command: bool = False  # a new command in the actor's private chat: answered
    query_id: str | None = None  # a press: answered with answerCallbackQuery
    entitled: bool = True  # False: no row may change
    staff: bool = False  # an admin or moderator: may change others' rows
    join: tuple[int, str] | None = None  # a join request to VIP: (user, invite link)
    # Errors this step must log: a charge whose payload names nothing to grant is money
    # received that an admin must grant or refund by hand (they are alerted too).
    allowed_errors: tuple[str, ...] = ()


class Unblocking(Exception):
    """A blocked user's step begins with unblocking the bot, which becomes the step."""

    def __init__(self, user: int) -> None:
        super().__init__(user)
        self.user = user


class Actions:
    """The step generators, on one world, one seed and the bot's catalogues."""

    def __init__(
        self,
        rng: random.Random,
        world: World,
        clock: ManualClock,
        settings: Settings,
        commands: list[Command],
        buttons: list[Button],
    ) -> None:
        self.rng, self.world, self.settings, self.clock = rng, world, settings, clock
        self.blocked: set[int] = set()
        self.commands, self.buttons = commands, buttons
        self._charges = 0

    def next(self) -> Step:
        try:
            step = self._any()
        except Unblocking as unblocking:  # a step of its own: it changes the user's row
            step = Step(f"{unblocking.user} unblocks the bot", unblocking.user)
        step.staff = step.actor in (ADMIN, MODERATOR)
        return step

    def _any(self) -> Step:
        kinds: list[tuple[Callable[[], Step], int]] = [
            (self.private_command, 40),
            (self.press, 25),
            (self.group_message, 8),
            (self.edit, 5),
            (self.forward, 4),
            (self.channel_post, 3),
            (self.pay, 5),
            (self.duplicate_payment, 3),
            (self.tampered_payment, 3),
            (self.plain_text, 4),
            (self.time_passes, 3),
            (self.block, 2),
            (self.join_request, 3),
        ]
        chosen = self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        return chosen()

    # -- texts ------------------------------------------------------------------
    def admin_of(self, user: int, command: Command) -> bool:
        if not command.admin:
            return True
        staff = command.staff
        return staff(self.settings, user) if staff else user in self.settings.admin_ids

    def command_text(self, actor: int) -> tuple[Command, str]:
        r = self.rng
        weights = [1 if c.admin else 3 for c in self.commands]
        command = r.choices(self.commands, weights=weights)[0]
        good = GOOD.get(command.name)
        roll = r.random()
        if good is not None and roll < 0.5:
            args = good(r)
        elif roll < 0.65 and actor not in self.settings.admin_ids:
            args = r.choice(SILENT_NASTY)
        else:
            args = r.choice(NASTY)
        word = r.choice(
            [command.name, command.name.upper(), f"{command.name}@companion_sandbox_bot"]
        )
        gap = r.choice([" ", " ", "\n", "  "])
        return command, f"/{word}{gap}{args}".rstrip(" ") if args else f"/{word}"

    # -- steps --------------------------------------------------------------------
    def private_command(self) -> Step:
        actor = self.rng.choice((ADMIN, *ACTORS))  # the admin twice as often as another
        self.unblock(actor)
        command, text = self.command_text(actor)
        photo = command.caption and self.rng.random() < 0.3
        if photo:
            self.world.send_photo(actor, text)
        else:
            self.world.send_text(actor, text)
        entitled = self.admin_of(actor, command)
        line = f"{actor} says {show(text)}" + (" (photo)" if photo else "")
        return Step(line, actor, private_command=True, entitled=entitled)

    def plain_text(self) -> Step:
        actor = self.rng.choice(ACTORS)
        self.unblock(actor)
        text = self.rng.choice(PLAIN + NASTY)
        self.world.send_text(actor, text)
        return Step(f"{actor} says {show(text)}", actor, private_command=text.startswith("/start "))

    def group_message(self) -> Step:
        actor, chat = self.rng.choice(ACTORS), self.rng.choice([GROUP, ROOM])
        command, text = self.command_text(actor)
        text = text if self.rng.random() < 0.8 else self.rng.choice(PLAIN)
        self.world.send_in_chat(chat, actor, text, photo=self.rng.random() < 0.1)
        entitled = not text.startswith("/") or not command.admin
        return Step(f"{actor} in {chat}: {show(text)}", actor, entitled=entitled)

    def edit(self) -> Step:
        actor = self.rng.choice(ACTORS)
        _command, text = self.command_text(actor)
        message_id = self.rng.randint(1, max(1, len(self.world.messages)))
        self.unblock(actor)
        self.world.edit_text(actor, message_id, text, photo=self.rng.random() < 0.1)
        return Step(f"{actor} edits #{message_id} to {show(text)}", actor, entitled=False)

    def forward(self) -> Step:
        actor, author = self.rng.choice(ACTORS), self.rng.choice(ACTORS + SILENT)
        _command, text = self.command_text(actor)
        self.unblock(actor)
        self.world.forward(actor, text, author)
        return Step(f"{actor} forwards {author}'s {show(text)}", actor, entitled=False)

    def channel_post(self) -> Step:
        _command, text = self.command_text(ADMIN)
        self.world.post_in_channel(CHANNEL, text)
        return Step(f"channel post {show(text)}", None, entitled=False)

    def press(self) -> Step:
        r, world = self.rng, self.world
        if not world.messages:
            return self.private_command()
        pressable = [m for m in world.messages if m.buttons()]
        message = r.choice(pressable) if pressable else r.choice(world.messages)
        data = self._press_data(message, pressable)
        presser = self._presser(message)
        query_id = world.press(presser, message, data)
        entitled = self.press_entitled(presser, message.chat_id, data)
        line = f"{presser} presses {show(data)} under #{message.message_id} in {message.chat_id}"
        return Step(line, presser, query_id=query_id, entitled=entitled)

    def _presser(self, message: SentMessage) -> int:
        r = self.rng
        if message.chat_id > 0 and message.chat_id in ACTORS and r.random() < 0.75:
            return message.chat_id
        if message.chat_id == ROOM and r.random() < 0.6:
            return r.choice([ADMIN, MODERATOR])
        return r.choice(ACTORS)

    def _press_data(self, message: SentMessage, pressable: list[SentMessage]) -> str:
        r, roll = self.rng, self.rng.random()
        own = [str(b.get("callback_data", "")) for b in message.buttons() if "callback_data" in b]
        if own and roll < 0.7:
            return r.choice(own)
        if roll < 0.85:
            return r.choice(self.buttons).prefix + r.choice(FORGED)
        if pressable and roll < 0.95:
            other = r.choice(pressable).buttons()
            return str(r.choice(other).get("callback_data", ""))
        return r.choice((*FORGED, "gone:1", "mod", "lang:"))

    def press_entitled(self, presser: int, chat_id: int, data: str) -> bool:
        """Whether the declared button's guard admits ``presser`` in ``chat_id`` (the
        sandbox's presses never answer a user's message in a group)."""
        matching = [b for b in self.buttons if data.startswith(b.prefix)]
        if not matching:
            return False
        guard = max(matching, key=lambda b: len(b.prefix)).guard
        if guard.anyone:
            return True
        if guard.who is None:
            return presser == chat_id
        return guard.who(self.settings, presser) and (
            presser == chat_id or chat_id in guard.rooms(self.settings)
        )

    def pay(self) -> Step:
        invoices = [m for m in self.world.messages if m.method == "sendInvoice"]
        if not invoices:
            return self.private_command()
        invoice = self.rng.choice(invoices)
        payer = invoice.chat_id if self.rng.random() < 0.8 else self.rng.choice(ACTORS)
        self.unblock(payer)
        self.world.pay(payer, invoice)
        return Step(f"{payer} pays invoice #{invoice.message_id}", payer)

    def duplicate_payment(self) -> Step:
        if not self.world.payments:
            return self.pay()
        message = self.rng.choice(self.world.payments)
        paid, payer = message["successful_payment"], int(message["from"]["id"])
        charge, payload = paid["telegram_payment_charge_id"], paid["invoice_payload"]
        self.unblock(payer)
        self.world.deliver_payment(payer, charge, payload, int(paid["total_amount"]))
        tampered = (UNUSABLE,) if charge.startswith(TAMPERED) else ()  # as the first time
        return Step(f"{payer}'s charge {charge} delivered again", payer, allowed_errors=tampered)

    def tampered_payment(self) -> Step:
        r = self.rng
        payer, other = r.choice((*USERS, MODERATOR)), r.choice(ACTORS + SILENT)
        payload = r.choice(
            [
                f"vip:{other}:30:50",
                f"vip:{payer}:3650:50",
                f"vip:{payer}:30:50",
                "vip:¹:30:50",
                "vip:x",
                "",
                f"vip:{payer}:30:50:extra",
            ]
        )
        amount, currency = r.choice([50, 1, 100_000]), r.choice(["XTR", "XTR", "USD"])
        self._charges += 1
        charge = f"{TAMPERED}{self._charges:06d}"
        self.unblock(payer)
        self.world.deliver_payment(payer, charge, payload, amount, currency)
        line = f"{payer} delivers {charge} {show(payload)} {amount} {currency}"
        return Step(line, payer, allowed_errors=(UNUSABLE,))

    def time_passes(self) -> Step:
        delta = self.rng.choice([timedelta(minutes=5), timedelta(hours=1), timedelta(hours=7)])
        delta *= self.rng.choice([1, 1, 2, 24]) if delta > timedelta(hours=1) else 1
        self.clock.advance(delta)
        return Step(f"time passes: {delta} (now {self.clock.now():%Y-%m-%d %H:%M})")

    def block(self) -> Step:
        """A user blocks the bot (and unblocks it before writing to it again)."""
        user = self.rng.choice(USERS)
        if user in self.blocked:
            self.unblock(user)
        self.blocked.add(user)
        self.world.block(user)
        return Step(f"{user} blocks the bot", user)

    def unblock(self, user: int) -> None:
        """Before a blocked user writes to the bot, they unblock it (its own step)."""
        if user in self.blocked:
            self.blocked.discard(user)
            self.world.block(user, blocked=False)
            raise Unblocking(user)

    def join_request(self) -> Step:
        """Someone opens an invite link to the VIP chat: one the bot made (for them or for
        someone else) or a forged one."""
        r, links = self.rng, [str(x["invite_link"]) for x in self.world.invite_links]
        user = r.choice(ACTORS)
        link = (
            r.choice(links)
            if links and r.random() < 0.8
            else "https://t.me/+forged" + show(r.choice(FORGED))
        )
        self.world.request_join(user, VIP, link)
        return Step(f"{user} asks to join VIP with {show(link)}", user, join=(user, link))


__all__ = ["ACTORS", "GROUP", "ROOM", "SILENT", "USERS", "VIP", "Actions", "Step"]
