"""The bot's words in the reader's language: gettext catalogues, chosen per update or recipient.

Every text goes through :func:`_` (:func:`ngettext` for counted nouns, :func:`pgettext`
where a word alone is ambiguous) and is looked up in the language of the moment: the user
whose update is being handled (the application sets it for each update) or the recipient a
job is writing to (:func:`speaking`). Texts declared as data (command descriptions, labels)
are marked with :func:`N_` and translated where they are shown.

Catalogues are ``bot/locales/<lang>/LC_MESSAGES/messages.mo``, compiled from the committed
``.po`` by ``make install``; English is the source and needs none. A message missing from a
catalogue falls back to English, so a partial language still works message by message.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from bot.core.kernel import DOMAIN, LOCALES, SOURCE, get_logger
from bot.core.kernel import languages as languages

log = get_logger(__name__)

_language: ContextVar[str | None] = ContextVar("companion_language", default=None)
_default = [SOURCE]  # DEFAULT_LANGUAGE, set once by the composition root (configure)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class Translatable(str):
    """A text written in the current language that can write itself again in another: the
    ``write`` it was made from, called under :func:`speaking`. As a ``str`` it is the text
    in the language it was made in (a job's summary, stored in every language)."""

    write: Callable[[], str]

    def __new__(cls, write: Callable[[], str]) -> Translatable:
        made = super().__new__(cls, write())
        made.write = write
        return made


def translatable(write: Callable[[], str]) -> str:
    """``write()`` now, able to be written again in any language (:class:`Translatable`)."""
    return Translatable(write)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message


@functools.cache
def configure(default: str) -> None:
    """The language of texts no user asked for (jobs, an update without a user)."""
    _default[0] = default if default in languages() else SOURCE


def default_language() -> str:
    return _default[0]


def current() -> str:
    """The language texts are written in right now."""
    return _language.get() or _default[0]


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Write in ``language`` (None: the default) inside the block."""
    chosen = language if language in languages() else _default[0]
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


def tag(language: str) -> str:
    """A language's IETF form, as Telegram writes it: ``pt_BR`` -> ``pt-br``."""
    return language.translate(_ASCII_LOWER).replace("_", "-")


def from_telegram(code: str | None) -> str | None:
    """The available language for Telegram's ``language_code``: an exact match, else its
    primary subtag (``uk-UA`` -> ``uk``); None when neither is available."""
    if not code:
        return None
    wanted = tag(code)
    by_tag = {tag(language): language for language in languages()}
    if wanted in by_tag:
        return by_tag[wanted]
    primary = wanted.split("-", 1)[0]
    return by_tag.get(primary) if primary != wanted else None


def choose(stored: str | None, code: str | None) -> str:
    """The user's stored choice, else their Telegram language, else the default."""
    if stored in languages():
        return str(stored)
    return from_telegram(code) or _default[0]


@functools.cache
def translation(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: none, the source is English)."""
    folder = LOCALES / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if language == SOURCE or not po.exists():
        return gettext.NullTranslations()
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    log.warning("catalogue not compiled (run make install); reading its .po", language=language)
    return gettext.GNUTranslations(_compiled(po))


def _compiled(po: Path) -> BytesIO:
    from babel.messages.mofile import write_mo  # only when make did not compile it
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return compiled


def _(message: str) -> str:
    """``message`` in the current language (English when the catalogue lacks it)."""
    return translation(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a counted text that ``count`` takes in the current language."""
    return translation(current()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """``message`` in the sense ``context`` names (a word that alone is ambiguous)."""
    return translation(current()).pgettext(context, message)


def gettext_in(language: str, message: str) -> str:
    """``message`` in ``language`` regardless of the current one."""
    with speaking(language):
        return _(message)
