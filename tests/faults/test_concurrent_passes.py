"""Two passes at once (two cron jobs, a retry racing a slow run): still one PR per moved pin.

Both are real `python -m bumper run-once` processes against one sandbox. The sandbox holds a
request of each, at one phase, so both reach that phase together; CI races them at the start,
``--full`` also at branch creation, at PR creation and at PR edits.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from faults.conftest import PHASE_METHOD, PHASES, InProcess, Run, World
from faults.test_fault_matrix import prepare

# Where the two passes are held so they go on together: path regex, method.
RACES = {
    "start": (r"^/api/graphql$", "POST"),
    "branch": (PHASES["branch"], "POST"),
    "pr_create": (PHASES["pr_create"], PHASE_METHOD["pr_create"]),
    "pr_edit": (PHASES["pr_edit"], PHASE_METHOD["pr_edit"]),
}
CI_RACES = {"start"}


def run_two_at_once(world: World, config: Path | None = None, *extra: str) -> list[Run]:
    procs = [world.spawn(*extra, config=config), world.spawn(*extra, config=config)]
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        runs.append(Run(proc.returncode, out, err))
    return runs


def held_together(world: World, path: str, method: str) -> None:
    """Hold the first two matching requests until both have arrived (at most 3 s)."""
    # A process starts in ~1 s on a busy machine: a 1.5 s hold lets the later one catch up.
    world.sb.add_fault(path, method, None, 2, delay_ms=1500)


@pytest.mark.parametrize(
    "race",
    [pytest.param(r, marks=() if r in CI_RACES else pytest.mark.slow) for r in RACES],
)
def test_two_passes_at_once_end_with_one_pr_per_pin(
    world: World, run: InProcess, race: str
) -> None:
    prepare(world, run)
    held_together(world, *RACES[race])
    started = time.monotonic()
    first, second = run_two_at_once(world)
    assert time.monotonic() - started < 60
    matching = [
        r
        for r in world.sb.requests()
        if r["method"] == RACES[race][1] and re.search(RACES[race][0], r["path"])
    ]
    assert len(matching) >= 2, "the race did not happen"

    for one in (first, second):
        world.check_truthful(one)
    # Whichever pass opened it, both name the same PR for each pin.
    numbers: dict[str, set[Any]] = {}
    for one in (first, second):
        for variable, result in one.results.items():
            if result["status"] != "failed":
                numbers.setdefault(variable, set()).add(result["pr"])
    assert all(len(n) == 1 for n in numbers.values()), numbers
    world.sb.clear_faults()
    clean = run()
    world.check_converged(clean)
    world.check_no_token(first, second, clean)
