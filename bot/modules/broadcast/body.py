"""The text of a broadcast: up to four variants, and buttons under every copy.

::

    /broadcast lang:uk
    Our spring sale starts today!
    ---
    Spring sale: 30% off, today only.
    button: See the offers | https://example.org/sale
    button: Not interested

A line of exactly ``---`` separates variants (each user reads one, the split even and
recorded, so the figures say which wording worked); ``button:`` lines at the end add a button
under every copy: with a link, the press is counted and the link sent; without, the press is
counted and thanked. Read totally: any text gives a :class:`Body` or a :class:`BodyError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.people import AudienceError, _

SPLIT = "---"
MAX_VARIANTS = 4
MAX_BUTTONS = 3
LABEL_MAX = 40
URL_MAX = 512


class BodyError(AudienceError):
    """Variants or buttons that cannot be read; the message is for the admin."""


@dataclass(frozen=True, slots=True)
class Body:
    texts: tuple[str, ...]
    buttons: tuple[dict[str, str], ...] = ()  # {"label": ..., "url": ...} ("url" optional)


def read(text: str) -> Body:
    lines = text.split("\n")
    buttons: list[dict[str, str]] = []
    while lines and lines[-1].strip().lower().startswith("button:"):
        buttons.insert(0, _button(lines.pop().strip()[len("button:") :].strip()))
    if len(buttons) > MAX_BUTTONS:
        raise BodyError(_("At most {n} buttons.").format(n=MAX_BUTTONS))
    texts: list[list[str]] = [[]]
    for line in lines:
        if line.strip() == SPLIT:
            texts.append([])
        else:
            texts[-1].append(line)
    variants = tuple("\n".join(part).strip() for part in texts)
    if len(variants) > MAX_VARIANTS:
        raise BodyError(_("At most {n} variants.").format(n=MAX_VARIANTS))
    if not all(variants):
        raise BodyError(_("A variant is empty: write text on both sides of each ---."))
    return Body(variants, tuple(buttons))


def _button(spec: str) -> dict[str, str]:
    label, bar, url = (part.strip() for part in spec.partition("|"))
    if not label or len(label) > LABEL_MAX:
        raise BodyError(
            _("A button needs a label of 1 to {n} characters: button: Label | https://…").format(
                n=LABEL_MAX
            )
        )
    if not bar:
        return {"label": label}
    if not url.startswith(("https://", "http://")) or len(url) > URL_MAX or " " in url:
        raise BodyError(_("“{url}” is not a link: write https://…").format(url=url[:80]))
    return {"label": label, "url": url}
