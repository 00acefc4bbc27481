"""How a deletion's or an edit's outbox row counts (undo.py): Telegram's "already gone" and
"not modified" are done, "can't be deleted" is too old, a superseded edit is neither done nor
failed; what the admin reads; and which corrected texts fit in one message."""

from __future__ import annotations

from bot.core.delivery.split import MAX_TEXT
from bot.modules.broadcast.undo import SUPERSEDED, Undone, _kind, fits


def test_a_deletion_counts_as_telegram_answered() -> None:
    assert _kind(None, "sent", deleting=True) == "done"
    assert _kind("Bad Request: message to delete not found", "failed", deleting=True) == "done"
    too_old = "Bad Request: message can't be deleted for everyone"
    assert _kind(too_old, "failed", deleting=True) == "old"
    assert _kind("Forbidden: bot was blocked by the user", "failed", deleting=True) == "failed"
    assert _kind("recipient unreachable", "skipped", deleting=True) == "failed"
    assert _kind(None, "pending", deleting=True) == "waiting"
    assert _kind("message is not modified", "failed", deleting=True) == "failed"


def test_an_edit_counts_as_telegram_answered() -> None:
    assert _kind(None, "sent", deleting=False) == "done"
    assert _kind("Bad Request: message is not modified", "failed", deleting=False) == "done"
    assert _kind("Bad Request: message to edit not found", "failed", deleting=False) == "failed"
    assert _kind("message to delete not found", "failed", deleting=False) == "failed"
    assert _kind(SUPERSEDED, "skipped", deleting=False) == "superseded"
    assert _kind("TimedOut: x", "pending", deleting=False) == "waiting"


def test_the_admin_reads_only_what_happened() -> None:
    assert Undone().render() == ""
    assert Undone(deleted=2, deleting=1).render() == "Deleted 2 · deleting 1 · failed 0"
    assert Undone(not_deletable=1).render() == "1 copy is older than 48 hours and stays."
    shown = Undone(version=2, edited=3, edit_failed=1).render()
    assert shown == "Edit 2: edited 3 · editing 0 · failed 1"


def test_a_correction_fits_in_one_message_with_its_header_in_every_language() -> None:
    assert fits("Short")
    assert not fits("x" * MAX_TEXT)
    assert fits("x" * (MAX_TEXT - 40))
    assert not fits("😀" * (MAX_TEXT // 2))  # Telegram counts UTF-16 units
