"""`kill -9` of a pass at any point, then a clean pass: one PR per moved pin, nothing half-done.

The killed pass is a real `python -m bumper run-once` process. The sandbox answers its writes a
little late, so the kill lands between two writes (the server may still finish the one in
flight, as GitHub would after a client vanished). Kill points are the k-th write the server
has seen; CI kills at two of them, chosen by a fixed seed, ``--full`` at every one.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from faults.conftest import (
    MAKEFILE,
    SUB_MAKEFILE,
    InProcess,
    Run,
    World,
    converges_after_kill,
    makes_writes,
)
from faults.test_fault_matrix import prepare

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
DELAY_MS = 150
# The faulted pass of prepare(): LIB_VERSION's update (tree, commit, branch move + PR edit)
# and TOOL_VERSION's new PR (tree, commit, branch + PR, labels).
WRITES_IN_A_PASS = 7
KILL_POINTS = list(range(1, WRITES_IN_A_PASS + 1))
CI_KILL_POINTS = sorted(random.Random("kill -9").sample(KILL_POINTS, 2))


def api_writes(sb: Any) -> list[dict[str, Any]]:
    """Every write a pass sends: REST writes and GraphQL mutations (branch moves are
    ``updateRefs``), so a kill point falls after each of them."""
    return [
        r
        for r in sb.requests()
        if (r["method"] in WRITE_METHODS and r["path"].startswith("/api/v3/"))
        or r.get("graphql") == "mutation"
    ]


HELD = 1000  # a hold's ``times``: its remaining count drops as each request arrives


def hold_lookups(sb: Any, delay_ms: int) -> Any:
    """Hold every look-up ``delay_ms``; returns a test of "one is being held right now"."""
    fault = sb.add_fault(r"^/api/graphql$|\.git/", None, None, HELD, delay_ms=delay_ms)

    def arrived(sb: Any) -> bool:
        left = [f["remaining"] for f in sb.faults.active() if f["id"] == fault]
        return bool(left) and left[0] < HELD

    return arrived


def kill_when(
    world: World, seen: Any, *extra: str, timeout: float = 30, config: Path | None = None
) -> Run:
    """Start a pass; SIGKILL it once ``seen(sandbox)`` is true. Returns what it printed."""
    proc = world.spawn(*extra, config=config)
    deadline = time.monotonic() + timeout
    try:
        while not seen(world.sb):
            assert proc.poll() is None, f"the pass ended before the kill point: {proc.returncode}"
            assert time.monotonic() < deadline, "the kill point never came"
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # Let the server finish what the dead client left in flight, as GitHub would.
    time.sleep(2 * DELAY_MS / 1000)
    return Run(proc.returncode, out, err)


def slow_writes(sb: Any) -> None:
    """Answer each write late, after it is applied and logged: a kill that sees the write in
    the log lands while the pass waits for that answer, even after a pass's last write."""
    for method in WRITE_METHODS:
        sb.fault_delay(r"^/api/v3/", DELAY_MS, method=method, times=-1, after=True)
    sb.fault_delay(
        r"^/api/graphql$", DELAY_MS, method="POST", times=-1, graphql="mutation", after=True
    )


def _points() -> list[Any]:
    return [
        pytest.param(
            k, id=f"after-write-{k}", marks=() if k in CI_KILL_POINTS else pytest.mark.slow
        )
        for k in KILL_POINTS
    ]


def test_a_clean_pass_makes_the_writes_the_kill_points_cover(world: World, run: InProcess) -> None:
    prepare(world, run)
    makes_writes(world, run, WRITES_IN_A_PASS)


@pytest.mark.parametrize("k", _points())
def test_kill9_after_any_write_then_a_clean_pass_converges(
    world: World, run: InProcess, k: int
) -> None:
    prepare(world, run)
    converges_after_kill(world, run, k)


@pytest.mark.slow
def test_kill9_during_lookups_writes_nothing(world: World, run: InProcess) -> None:
    prepare(world, run)
    kill_when(world, hold_lookups(world.sb, 300))
    assert api_writes(world.sb) == []
    world.sb.clear_faults()
    world.check_converged(run())


def test_kill9_of_a_checkout_pass_leaves_every_file_whole(
    world: World, run: InProcess, tmp_path: Path
) -> None:
    """Killed while it looks up: the working tree is as it was; the next pass bumps it."""
    checkout = tmp_path / "checkout"
    (checkout / "sub").mkdir(parents=True)
    (checkout / MAKEFILE).write_text(world.makefile)
    (checkout / SUB_MAKEFILE).write_bytes(world.sub_makefile.encode())
    new = world.advance("LIB_VERSION")
    kill_when(world, hold_lookups(world.sb, 300), "--checkout", str(checkout))
    assert sorted(p.name for p in checkout.rglob("*")) == ["Makefile", "Makefile", "sub"]
    assert (checkout / MAKEFILE).read_text() == world.makefile
    world.sb.clear_faults()

    done = run("--checkout", str(checkout))
    assert done.code == 0, done.describe()
    assert (checkout / MAKEFILE).read_text() == world.pinned_text("LIB_VERSION", new)
    assert (checkout / SUB_MAKEFILE).read_bytes() == world.sub_makefile.encode()
