"""The catalogues against the code: every text the code uses is translated, nothing stale."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.core.people import i18n

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = ("uk",)  # languages that must translate every message (others may be partial)
_FIELD = re.compile(r"\{([^{}]*)\}")

Key = tuple[str | None, str]


def extracted() -> set[Key]:
    """(context, msgid) of every text marked in bot/, as ``make messages`` extracts them."""
    found: set[Key] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")]
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.add((context, msgid))
    return found


def load(language: str) -> Catalog:
    with (i18n.LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def problems(catalog: Catalog, used: set[Key], *, complete: bool) -> list[str]:
    """What is wrong with ``catalog`` for the texts ``used``: missing, stale, untranslated
    (in a complete language), fuzzy, or a translation whose {fields} differ."""
    entries = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
    found = [f"missing: {key[1]!r}" for key in sorted(used - set(entries), key=str)]
    found += [f"stale: {key[1]!r}" for key in sorted(set(entries) - used, key=str)]
    for key, message in entries.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if complete and (not all(strings) or message.fuzzy):
            found.append(f"untranslated: {key[1]!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = {field for text in ids for field in _FIELD.findall(text)}
        for text in filter(None, strings):
            if set(_FIELD.findall(text)) != wanted:
                found.append(f"fields differ: {key[1]!r} -> {text!r}")
    return found


def test_every_language_has_every_message_and_no_stale_one() -> None:
    """Each catalogue holds exactly the texts the code marks, with the same {fields};
    complete languages translate all of them (run `make messages` and translate)."""
    used = extracted()
    assert len(used) > 300  # the extraction sees the code (a wrong path would see nothing)
    for language in i18n.languages()[1:]:
        assert problems(load(language), used, complete=language in COMPLETE) == [], language


def test_the_check_catches_a_missing_a_stale_and_a_broken_message() -> None:
    """A text the code uses but the catalogue lacks, one the code no longer uses, and a
    translation that drops a {field} are each reported."""
    catalog = Catalog(locale="uk")
    catalog.add("Old text", "Старий текст")
    catalog.add("Hello {name}", "Привіт")
    used: set[Key] = {(None, "New text"), (None, "Hello {name}")}
    assert problems(catalog, used, complete=True) == [
        "missing: 'New text'",
        "stale: 'Old text'",
        "fields differ: 'Hello {name}' -> 'Привіт'",
    ]


def test_ukrainian_counts_take_their_three_forms() -> None:
    """ngettext picks Ukrainian's one/few/many forms: 1, 21 день; 2, 22 дні; 5, 11 днів."""
    with i18n.speaking("uk"):
        forms = [
            i18n.ngettext("{count} day", "{count} days", n).format(count=n)
            for n in (1, 21, 2, 22, 5, 11)
        ]
    assert forms == ["1 день", "21 день", "2 дні", "22 дні", "5 днів", "11 днів"]


def test_a_message_missing_from_a_catalogue_falls_back_to_english() -> None:
    """A text with no translation is shown in English rather than not at all."""
    with i18n.speaking("uk"):
        assert i18n._("A text no catalogue has") == "A text no catalogue has"
        assert i18n._("📣 Announcement") == "📣 Оголошення"
