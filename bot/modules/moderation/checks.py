"""The automatic checks on a submission: pure functions of the draft, the rules and the history.

Blocked words and links are looked for in a *normalised* text (NFKC, case-folded, common
lookalike letters mapped to Latin, whitespace collapsed), so ``ＳＰＡＭ``, ``Spam`` and
``sраm`` (Cyrillic р and а) are one word. Lengths are measured on the text as sent,
because Telegram's limits apply to that.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.core.people import _, ngettext
from bot.modules.moderation.settings import ModerationRules

# Cyrillic and Greek letters that look like Latin ones (after case folding).
_LOOKALIKES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "х": "x",
        "у": "y",
        "к": "k",
        "м": "m",
        "т": "t",
        "в": "b",
        "н": "h",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "α": "a",
        "ο": "o",
        "ρ": "p",
        "ε": "e",
        "ν": "v",
        "τ": "t",
        "ι": "i",
        "κ": "k",
    }
)
_SPACE = re.compile(r"\s+")
_LINK = re.compile(
    r"(https?://|www\.|t\.me/|telegram\.me/|@[a-z0-9_]{5,}"
    r"|\b[a-z0-9-]{2,}\.(com|org|net|io|me|ru|info|xyz|ly|gg|app|dev)\b)"
)


@dataclass(frozen=True, slots=True)
class Draft:
    """What a user sent: ``kind`` is text, photo, video or another media type."""

    kind: str
    text: str
    file_unique_id: str | None = None
    file_id: str | None = None
    has_link_entity: bool = False


@dataclass(frozen=True, slots=True)
class History:
    """The author's record that the quotas and the duplicate check need."""

    pending: int
    today: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """``ok`` goes to review; otherwise ``reason`` is told to the author."""

    ok: bool
    reason: str = ""


PASS = Verdict(True)


def normalise(text: str) -> str:
    """The form every comparison uses: NFKC, case-folded, lookalikes mapped, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_LOOKALIKES)
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", folded)).strip()


def content_hash(draft: Draft) -> str:
    """The duplicate key: the media's ``file_unique_id``, else the normalised text."""
    basis = (
        f"media:{draft.file_unique_id}" if draft.file_unique_id else f"text:{normalise(draft.text)}"
    )
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def check_content(draft: Draft, rules: ModerationRules) -> Verdict:
    """Every check on the draft itself: its shape first, then the policy."""
    shape = check_shape(draft, rules)
    return check_policy(draft, rules) if shape.ok else shape


def check_shape(draft: Draft, rules: ModerationRules) -> Verdict:
    """Media type, emptiness and length: input that is not stored at all when wrong."""
    media = _media(draft, rules)
    return _length(draft, rules) if media.ok else media


def check_policy(draft: Draft, rules: ModerationRules) -> Verdict:
    """Links and blocked words: a refusal that is recorded as auto-rejected."""
    text = normalise(draft.text)
    links = _links(draft, rules, text)
    return _blocked(rules, text) if links.ok else links


def check_history(history: History, rules: ModerationRules) -> Verdict:
    if history.duplicate:
        return Verdict(False, _("the same post was suggested before"))
    if history.pending >= rules.max_pending_per_author:
        text = ngettext(
            "you already have {count} suggestion waiting for review",
            "you already have {count} suggestions waiting for review",
            history.pending,
        )
        return Verdict(False, text.format(count=history.pending))
    if history.today >= rules.max_per_day:
        text = ngettext(
            "at most {count} suggestion a day",
            "at most {count} suggestions a day",
            rules.max_per_day,
        )
        return Verdict(False, text.format(count=rules.max_per_day))
    return PASS


def _media(draft: Draft, rules: ModerationRules) -> Verdict:
    if draft.kind != "text" and draft.kind not in rules.media_types:
        return Verdict(False, _("{kind} posts are not accepted").format(kind=draft.kind))
    if not draft.text.strip():
        if draft.kind != "text":
            return Verdict(False, _("the post needs a caption"))
        return Verdict(False, _("the post needs some text"))
    return PASS


def _length(draft: Draft, rules: ModerationRules) -> Verdict:
    limit = rules.max_text_length if draft.kind == "text" else rules.max_caption_length
    if len(draft.text) > limit:
        text = _("the text has {length} characters; at most {limit}")
        return Verdict(False, text.format(length=len(draft.text), limit=limit))
    return PASS


def _links(draft: Draft, rules: ModerationRules, text: str) -> Verdict:
    if rules.allow_links:
        return PASS
    if draft.has_link_entity or _LINK.search(text):
        return Verdict(False, _("links are not allowed"))
    return PASS


def _blocked(rules: ModerationRules, text: str) -> Verdict:
    for word, matcher in _word_matchers(tuple(rules.blocked_words)):
        if matcher.search(text):
            return Verdict(False, _("it contains a blocked word ({word})").format(word=word))
    for pattern in rules.blocked_patterns:
        if re.search(pattern, text):
            return Verdict(False, _("it matches a blocked pattern"))
    return PASS


@lru_cache(maxsize=64)
def _word_matchers(words: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """A whole-word matcher per blocked word, itself normalised the same way."""
    return tuple(
        (word, re.compile(rf"(?<!\w){re.escape(normalise(word))}(?!\w)"))
        for word in words
        if normalise(word)
    )
