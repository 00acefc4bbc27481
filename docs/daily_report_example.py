"""Draw docs/daily-report.png from sample figures: `.venv/bin/python docs/daily_report_example.py`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.modules.analytics.chart import render_trend


def sample() -> list[tuple[date, dict[str, int]]]:
    first, total, points = date(2026, 11, 7), 180, []
    for n in range(14):
        new = 8 + (n * 7) % 11
        total += new
        assigned = int(total * 0.9)
        figures = {
            "users_total": total,
            "users_reachable": total - 4 - n // 2,
            "users_new": new,
            "missions_assigned": assigned,
            "missions_completed": int(assigned * (0.55 + (n % 5) / 20)),
        }
        points.append((first + timedelta(days=n), figures))
    return points


if __name__ == "__main__":
    print(render_trend(sample(), Path(__file__).with_name("daily-report.png")))
