"""``python -m bot run`` under a profiler that ``benchmarks.updates`` switches on and off.

``python -m benchmarks._updates_profiled OUT``: SIGUSR1 starts profiling the main thread
(where the event loop, and so every handler, runs), SIGUSR2 stops it and writes the
statistics to OUT, so the profile holds one phase of the load and nothing of the start.
"""

from __future__ import annotations

import cProfile
import signal
import sys
from types import FrameType

from bot.__main__ import main as bot_main

_profiler = cProfile.Profile()


def _on(_signum: int, _frame: FrameType | None) -> None:
    _profiler.enable()


def _off(_signum: int, _frame: FrameType | None) -> None:
    _profiler.disable()
    _profiler.dump_stats(_OUT)


_OUT = sys.argv[1] if len(sys.argv) > 1 else "updates.prof"


def main() -> int:
    signal.signal(signal.SIGUSR1, _on)
    signal.signal(signal.SIGUSR2, _off)
    return bot_main(["run"])


if __name__ == "__main__":
    sys.exit(main())
