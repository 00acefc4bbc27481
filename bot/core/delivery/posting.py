"""The kernel and the outbox: what the sender, the job runner and the alerts stand on.

The kernel (``bot.core.kernel``) knows nothing of delivery; this is the layer above it
that adds the outbox. The application's ``Services`` is one of these, plus the bot and
the registries the modules fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.delivery.outbox import Outbox
from bot.core.kernel import Kernel


@dataclass(slots=True, eq=False)
class Posting(Kernel):
    """The kernel parts and the outbox every bulk message goes through."""

    outbox: Outbox = field(kw_only=True)
