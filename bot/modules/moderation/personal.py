"""What moderation holds about a person: the posts they suggested and what was decided
about them, a ban; for a moderator, their decisions and bans, and the review cards in their
chat.

Forgetting keeps the suggestions under the stand-in without the author's name (a published
one is the channel's post); one still waiting for review is withdrawn. A moderator's
decisions and bans stay, under the stand-in, so the history of who decided what stays
whole; the cards in a forgotten moderator's own chat go.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table

from bot.core.people import Action, Holding, Rule
from bot.modules.moderation.models import State

# The moderator who decided is theirs to show, not the author's.
SHOWN = (
    "id",
    "kind",
    "text",
    "file_id",
    "state",
    "reason",
    "decided_at",
    "publish_at",
    "created_at",
)


def _pending(table: Table) -> ColumnElement[bool]:
    return table.c.state == State.PENDING.value


HOLDING = Holding(
    "moderation",
    rules=(
        Rule(
            "submissions.author_id",
            clear={"author_name": "", "state": State.WITHDRAWN.value},
            only=_pending,
            exported=False,
        ),
        Rule("submissions.author_id", clear={"author_name": ""}, shown=SHOWN, label="suggestions"),
        Rule(
            "submissions.decided_by",
            clear={"decided_by_name": ""},
            shown=("id", "state", "decided_at"),
            label="decisions_made",
        ),
        Rule("moderation_bans.user_id", shown=("created_at",), label="banned"),
        Rule("moderation_bans.banned_by", shown=("created_at",), label="bans_made"),
        Rule("moderation_cards.chat_id", Action.DELETE, exported=False),
    ),
)
