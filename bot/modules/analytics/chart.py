"""The 14-day trend as a PNG, drawn with matplotlib's Agg backend.

A ``Figure`` with its own Agg canvas (no ``pyplot``): no global state, no
display needed, safe to call from a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

Points = list[tuple[date, dict[str, int]]]

USER_LINES = (("users_total", "users"), ("users_reachable", "reachable"))
DAILY_BARS = (
    ("users_new", "new users"),
    ("missions_assigned", "missions assigned"),
    ("missions_completed", "missions completed"),
)


def render_trend(points: Points, path: Path, *, title: str = "Companion, last 14 days") -> Path:
    """Draw users (lines) and daily activity (bars) per day into ``path``; returns it."""
    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    days = [day for day, _ in points]
    labels = [day.strftime("%d %b") for day in days]
    positions = list(range(len(days)))
    for name, label in USER_LINES:
        top.plot(positions, [f.get(name, 0) for _, f in points], marker="o", label=label)
    top.set_ylabel("users")
    top.legend(loc="upper left", fontsize="small")
    top.grid(alpha=0.3)
    width = 0.8 / len(DAILY_BARS)
    for index, (name, label) in enumerate(DAILY_BARS):
        offset = (index - (len(DAILY_BARS) - 1) / 2) * width
        values = [f.get(name, 0) for _, f in points]
        bottom.bar([p + offset for p in positions], values, width=width, label=label)
    bottom.set_ylabel("per day")
    bottom.legend(loc="upper left", fontsize="small")
    bottom.grid(axis="y", alpha=0.3)
    bottom.set_xticks(positions, labels, rotation=45, fontsize="small")
    figure.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
