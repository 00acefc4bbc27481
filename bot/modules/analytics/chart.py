"""The 14-day trend as a PNG, drawn with matplotlib's Agg backend.

A ``Figure`` with its own Agg canvas (no ``pyplot``): no global state, no
display needed. The bot draws it in a short-lived child process
(:func:`render_in_child`, ``python -m bot.modules.analytics.chart``): matplotlib
costs about 30 MB that would otherwise stay in the bot for a chart drawn once a day.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.kernel import PIPE, run_child
from bot.core.people import N_, _, current, short_day, speaking

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Points = list[tuple[date, dict[str, int]]]

USER_LINES = (
    ("users_total", N_("users")),
    ("users_reachable", N_("reachable")),
    ("users_active", N_("active that day")),
)
# Lines a day may lack (before the first engagement roll-up): a gap, never a zero.
GAPPED = frozenset({"users_active"})
DAILY_BARS = (
    ("users_new", N_("new users")),
    ("missions_assigned", N_("missions assigned")),
    ("missions_completed", N_("missions completed")),
)


def render_trend(points: Points, path: Path, *, title: str | None = None) -> Path:
    """Draw users (lines) and daily activity (bars) per day into ``path``; returns it. The
    labels are in the current language (the admins' that the chart is drawn for)."""
    figure = draw(points, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def draw(points: Points, *, title: str | None = None) -> Figure:
    """The chart as a matplotlib ``Figure`` (labelled in the current language)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    days = [day for day, _f in points]
    labels = [short_day(day) for day in days]
    positions = list(range(len(days)))
    for name, label in USER_LINES:
        missing = float("nan") if name in GAPPED else 0
        values = [f.get(name, missing) for _d, f in points]
        top.plot(positions, values, marker="o", label=_(label))
    top.set_ylabel(_("users"))
    top.legend(loc="upper left", fontsize="small")
    top.grid(alpha=0.3)
    width = 0.8 / len(DAILY_BARS)
    for index, (name, label) in enumerate(DAILY_BARS):
        offset = (index - (len(DAILY_BARS) - 1) / 2) * width
        values = [f.get(name, 0) for _d, f in points]
        bottom.bar([p + offset for p in positions], values, width=width, label=_(label))
    bottom.set_ylabel(_("per day"))
    bottom.legend(loc="upper left", fontsize="small")
    bottom.grid(axis="y", alpha=0.3)
    bottom.set_xticks(positions, labels, rotation=45, fontsize="small")
    from matplotlib.ticker import MaxNLocator

    for axes in (top, bottom):  # counts: whole numbers from 0, never a -0.04..0.04 axis
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(bottom=0, top=max(1.0, axes.get_ylim()[1]))
    figure.suptitle(title or _("Companion, last 14 days"))
    return figure


class ChartError(Exception):
    """The child process could not draw the chart."""


async def render_in_child(
    points: Points, path: Path, *, language: str | None = None, timeout: float = 120
) -> Path:
    """:func:`render_trend` in a child process, labelled in ``language`` (default: the
    current one); ``path`` once it is written."""
    data = json.dumps([[day.isoformat(), figures] for day, figures in points]).encode()
    args = (sys.executable, "-m", "bot.modules.analytics.chart", str(path), language or current())
    try:
        exited = await run_child(*args, data=data, timeout=timeout, stderr=PIPE)
    except TimeoutError:
        raise ChartError(f"drawing the chart took over {timeout:g}s") from None
    if exited.status != 0:
        lines = exited.err.decode(errors="replace").strip().splitlines()
        raise ChartError(lines[-1] if lines else f"exit code {exited.status}")
    return path


def _main(argv: list[str]) -> int:
    """``python -m bot.modules.analytics.chart PATH [LANGUAGE]`` with ``[[day, figures], ...]``
    on stdin."""
    points = [(date.fromisoformat(day), figures) for day, figures in json.load(sys.stdin)]
    with speaking(argv[1] if len(argv) > 1 else None):
        render_trend(points, Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
