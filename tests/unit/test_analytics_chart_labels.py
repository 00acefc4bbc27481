"""The daily report's chart is labelled in the language it is drawn for."""

from __future__ import annotations

from datetime import date

from bot.core.people.i18n import speaking
from bot.modules.analytics.chart import draw

POINTS = [
    (date(2026, 11, 20), {"users_total": 3, "users_reachable": 2, "users_new": 1}),
    (date(2026, 11, 21), {"users_total": 4, "users_reachable": 4, "missions_assigned": 4}),
]


def _labels(language: str) -> list[str]:
    """Every text on the chart: title, axis labels, legends, day ticks."""
    with speaking(language):
        figure = draw(POINTS)
    texts = [figure.get_suptitle()]
    for axes in figure.axes:
        texts.append(axes.get_ylabel())
        texts += [t.get_text() for t in axes.get_legend().get_texts()]
        texts += [t.get_text() for t in axes.get_xticklabels()]
    return texts


def test_the_chart_is_labelled_in_ukrainian_for_a_ukrainian_admin() -> None:
    """Title, axes, legends and days in Ukrainian (days as 20.11), none left in English."""
    labels = _labels("uk")
    assert "Companion, останні 14 днів" in labels and "за день" in labels
    assert {"нові користувачі", "досяжні", "20.11"} <= set(labels)
    assert not {"per day", "new users", "reachable"} & set(labels)


def test_the_chart_is_labelled_in_english_by_default() -> None:
    """The same chart for an English reader: English labels, days as 11/20."""
    labels = _labels("en")
    assert {"Companion, last 14 days", "per day", "new users", "11/20"} <= set(labels)


def test_a_chart_of_zeros_counts_from_zero_in_whole_numbers() -> None:
    """A new bot's first chart (every figure 0) has axes from 0 to at least 1, whole
    numbers only, not matplotlib's -0.04..0.04 around a flat line."""
    from datetime import date, timedelta

    from bot.modules.analytics.chart import draw

    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(3)]
    figure = draw([(day, {}) for day in days])
    for axes in figure.axes:
        low, high = axes.get_ylim()
        assert low == 0 and high >= 1
        assert all(float(tick).is_integer() for tick in axes.get_yticks())
