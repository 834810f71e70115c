"""Two passes at once (two cron jobs, a retry racing a slow run): still one PR per moved pin.

Both are real `python -m bumper run-once` processes against one sandbox. The sandbox holds a
request of each, at one phase, so both reach that phase together; CI races them at the start,
at their first branch-and-PR document (two moves of one branch, each with its PR's edit:
one is refused and puts the PR's text back); ``--full`` also at their first commit.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from faults.conftest import PHASE_GRAPHQL, PHASES, InProcess, Run, World
from faults.test_fault_matrix import prepare

# Where the two passes are held so they go on together: path regex, method, GraphQL operation.
RACES: dict[str, tuple[str, str, str | None]] = {
    "start": (r"^/api/graphql$", "POST", None),
    # each pass's first write document: LIB_VERSION's branch move with its PR edit
    "branch_and_pr": (PHASES["branch_and_pr"], "POST", PHASE_GRAPHQL["branch_and_pr"]),
    # both passes' trees, so they reach TOOL_VERSION's branch and PR document together too
    "commit": (PHASES["commit"], "POST", None),
}
CI_RACES = {"start", "branch_and_pr"}


def run_two_at_once(world: World, config: Path | None = None, *extra: str) -> list[Run]:
    procs = [world.spawn(*extra, config=config), world.spawn(*extra, config=config)]
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        runs.append(Run(proc.returncode, out, err))
    return runs


def held_together(world: World, path: str, method: str, graphql: str | None = None) -> None:
    """Hold the first two matching requests until both have arrived (at most 3 s)."""
    # A process starts in ~1 s on a busy machine: a 1.5 s hold lets the later one catch up.
    world.sb.add_fault(path, method, None, 2, delay_ms=1500, graphql=graphql)


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
    path, method, graphql = RACES[race]
    matching = [
        r
        for r in world.sb.requests()
        if r["method"] == method
        and re.search(path, r["path"])
        and r.get("graphql") == (graphql or r.get("graphql"))
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
