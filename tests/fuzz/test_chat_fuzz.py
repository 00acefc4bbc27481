"""The chat fuzzer: seeded random users, admins and moderators drive the whole chat surface
(commands with good and nasty arguments, presses of real, forged and others' buttons, Stars
payments with duplicate and tampered deliveries, edits, forwards, groups, channel posts),
and after every step every invariant holds (``tests/fuzz/invariants.py``).

``make test`` runs the committed seeds briefly; ``make fuzz N=2000 SEED=7`` runs one seed
longer (``FUZZ_SEED``, ``FUZZ_STEPS``; no SEED: a random one, printed). A failure prints the
steps before it and ``replay with: make fuzz SEED=<n> N=<steps>``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.driver import fuzz, start

COMMITTED_SEEDS = (1, 2, 3)
SHORT_RUN = 100


def _runs() -> list[tuple[int, int]]:
    """(seed, steps): the committed seeds, or the one ``make fuzz`` names."""
    seed = os.environ.get("FUZZ_SEED")
    if seed is None:
        return [(s, SHORT_RUN) for s in COMMITTED_SEEDS]
    chosen = int(seed) if seed.strip() else random.SystemRandom().randrange(1, 2**31)
    return [(chosen, int(os.environ.get("FUZZ_STEPS") or 2000))]


@pytest.mark.parametrize(("seed", "steps"), _runs())
async def test_every_invariant_holds_after_every_step(
    harness_factory: Callable[..., Any], tmp_path: Path, seed: int, steps: int
) -> None:
    """Every private command answered, every press answered, no ERROR log line, no row
    changed by someone not entitled to change it, no subscription changed by another's payment,
    balances equal to their ledger's sums, and nothing sent to anyone who never wrote."""
    print(f"chat fuzzer: seed {seed}, {steps} steps")
    h = await start(harness_factory, tmp_path)
    await fuzz(h, seed, steps)
