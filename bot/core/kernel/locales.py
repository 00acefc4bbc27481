"""Which languages the bot ships: the gettext catalogues on disk, and the source language.

Catalogues are ``bot/locales/<lang>/LC_MESSAGES/messages.po`` (compiled to ``.mo`` by
``make install``). The settings check ``DEFAULT_LANGUAGE`` against this list; choosing and
translating texts is :mod:`bot.core.people.i18n`'s.
"""

from __future__ import annotations

from pathlib import Path

LOCALES = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
SOURCE = "en"  # the language the code is written in


def languages() -> tuple[str, ...]:
    """English and every language with a catalogue under ``bot/locales``, sorted."""
    found = {p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return (SOURCE, *sorted(found - {SOURCE}))
