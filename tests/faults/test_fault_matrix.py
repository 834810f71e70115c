"""Every sandbox fault, at every phase of a pass; then a clean pass must converge.

The world before the faulted pass: LIB_VERSION has an open PR that its upstream has since
moved past (so the pass commits, then moves the branch and edits the PR in one GraphQL
document), TOOL_VERSION has moved and has no PR yet (so the pass commits, creates the branch
and opens the PR in one GraphQL document, then labels it), CORE_VERSION is current.
A fault hits one phase of that pass, either once (``once``: a blip a retry should absorb) or
on every matching request until cleared (``always``: an outage).

After the faulted pass: what it reported is true (a "bumped" PR really pins the new sha), the
exit code matches the failures, each failure names its entry, the base branch and the
Makefile outside its pin lines are untouched, no PR was ever opened twice, and the token is
nowhere. After a clean pass: exactly one open PR per moved pin, each changing its pin's line.

CI runs a deterministic sample (every fault kind once, every phase and both modes covered);
``pytest --full`` runs the whole matrix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from faults.conftest import (
    GRAPHQL_DOWN,
    PHASE_GRAPHQL,
    PHASE_METHOD,
    PHASES,
    InProcess,
    Run,
    World,
    check_fault_met,
)

MODES = ("once", "always")
RATE_LIMITED = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


Add = Callable[[Any, str, str | None, int, str | None], int]


def _secondary_without_retry_after(status: int) -> Add:
    def add(sb: Any, path: str, method: str | None, times: int, graphql: str | None) -> int:
        body = json.dumps({"message": RATE_LIMITED, "status": str(status)})
        return int(sb.add_fault(path, method, status, times, body=body, graphql=graphql))

    return add


@dataclass(frozen=True)
class Kind:
    name: str
    add: Add  # (sandbox, path, method, times, graphql operation) -> fault id
    retried: bool  # one such answer must be absorbed: the pass still succeeds
    breaks: bool  # every answer like this must fail the entries of the phase


KINDS = {
    k.name: k
    for k in (
        Kind("500", lambda sb, p, m, t, g: sb.add_fault(p, m, 500, t, graphql=g), True, True),
        Kind("502", lambda sb, p, m, t, g: sb.add_fault(p, m, 502, t, graphql=g), True, True),
        Kind("503", lambda sb, p, m, t, g: sb.add_fault(p, m, 503, t, graphql=g), True, True),
        Kind(
            "403-retry-after",
            lambda sb, p, m, t, g: sb.fault_secondary_limit(
                p, 1, 403, method=m, times=t, graphql=g
            ),
            True,
            True,
        ),
        Kind(
            "429-retry-after",
            lambda sb, p, m, t, g: sb.fault_secondary_limit(
                p, 1, 429, method=m, times=t, graphql=g
            ),
            True,
            True,
        ),
        Kind("403-no-retry-after", _secondary_without_retry_after(403), True, True),
        Kind("429-no-retry-after", _secondary_without_retry_after(429), False, True),
        # The primary limit resets in a minute, beyond the configured wait: fail, never hang.
        Kind(
            "rate-limit",
            lambda sb, p, m, t, g: sb.fault_rate_limit(p, 60, method=m, times=t, graphql=g),
            False,
            True,
        ),
        Kind(
            "html-200",
            lambda sb, p, m, t, g: sb.fault_html(p, 200, method=m, times=t, graphql=g),
            False,
            True,
        ),
        Kind(
            "garbage-sha",
            lambda sb, p, m, t, g: sb.fault_garbage_sha(p, method=m, times=t, graphql=g),
            False,
            False,
        ),
        Kind(
            "latency",
            lambda sb, p, m, t, g: sb.fault_delay(p, 300, method=m, times=t, graphql=g),
            True,
            False,
        ),
        Kind(
            "drop",
            lambda sb, p, m, t, g: sb.fault_drop(p, method=m, times=t, graphql=g),
            True,
            True,
        ),
        Kind(
            "truncate",
            lambda sb, p, m, t, g: sb.add_fault(p, m, None, t, kind="truncate", graphql=g),
            True,
            True,
        ),
    )
}

# The entries a phase's outage must fail: the others may still succeed.
NEEDS = {
    "lookup": {"LIB_VERSION", "TOOL_VERSION", "CORE_VERSION"},
    "lookup_git": {"LIB_VERSION", "TOOL_VERSION", "CORE_VERSION"},
    "commit": {"LIB_VERSION", "TOOL_VERSION"},
    "branch_and_pr": {"LIB_VERSION", "TOOL_VERSION"},
    "labels": set(),  # a label the pass cannot set is a note on a PR that is open
}
# Garbled shas in a look-up answer must never reach a Makefile: that outage fails too.
BREAKS_ALSO = {("garbage-sha", "lookup"), ("garbage-sha", "lookup_git"), ("garbage-sha", "commit")}


# The CI sample: every kind at one or two phases, every phase and both modes, chosen for what
# each kind is likeliest to break and to stay fast (an outage with Retry-After sleeps per retry).
CI_SAMPLE = {
    ("500", "branch_and_pr", "once"),
    ("502", "commit", "once"),
    ("503", "lookup", "always"),
    ("500", "branch_and_pr", "always"),
    ("403-retry-after", "branch_and_pr", "once"),
    ("429-retry-after", "labels", "once"),
    ("403-no-retry-after", "lookup", "always"),
    ("429-no-retry-after", "commit", "once"),
    ("rate-limit", "branch_and_pr", "always"),
    ("html-200", "labels", "once"),
    ("html-200", "branch_and_pr", "always"),
    ("garbage-sha", "lookup", "always"),
    ("garbage-sha", "branch_and_pr", "always"),
    ("latency", "lookup", "once"),
    ("drop", "lookup_git", "once"),
    ("html-200", "lookup_git", "always"),
    ("drop", "branch_and_pr", "once"),
    ("drop", "labels", "always"),
    ("truncate", "branch_and_pr", "once"),
    ("garbage-sha", "labels", "once"),
    ("truncate", "labels", "once"),
}


def cases(phases: Iterable[str], ci_sample: set[tuple[str, str, str]]) -> list[Any]:
    """Every kind at every phase in both modes; those outside ``ci_sample`` run with --full."""
    return [
        pytest.param(
            kind,
            phase,
            mode,
            id=f"{kind}-{phase}-{mode}",
            marks=() if (kind, phase, mode) in ci_sample else (pytest.mark.slow,),
        )
        for kind in KINDS
        for phase in phases
        for mode in MODES
    ]


def prepare(world: World, run: InProcess) -> None:
    """LIB_VERSION with an outdated open PR, TOOL_VERSION moved without one."""
    world.advance("LIB_VERSION")
    world.advance("TOOL_VERSION")
    first = run("--only", "LIB_VERSION")
    assert first.code == 0, first.describe()
    world.advance("LIB_VERSION")
    world.sb.clear_requests()


# Git look-ups wait the minute GitHub asks for after a secondary limit without Retry-After;
# that is more than the configured lookup.max_wait_seconds, so they fail rather than hang.
# (PyGithub's writes wait github.max_rate_limit_wait instead, and retry.)
NOT_RETRIED = {("403-no-retry-after", "lookup_git")}


# With GraphQL down, a branch can only be moved without compare-and-swap (REST): bumper
# fails that entry rather than risk erasing a person's push.
NEEDS_GRAPHQL = {"LIB_VERSION"}


def expect(kind: Kind, phase: str, mode: str, faulted: Run) -> None:
    failed = faulted.failed
    if phase in GRAPHQL_DOWN:
        assert failed >= NEEDS_GRAPHQL, faulted.describe()
    absorbed = failed - NEEDS_GRAPHQL if phase in GRAPHQL_DOWN else failed
    if mode == "once" and kind.retried and (kind.name, phase) not in NOT_RETRIED:
        assert not absorbed, f"one {kind.name} at {phase} was not absorbed\n{faulted.describe()}"
    if mode == "always" and (kind.breaks or (kind.name, phase) in BREAKS_ALSO):
        assert NEEDS[phase] <= failed, faulted.describe()
    if mode == "always" and kind.name == "latency":
        assert not absorbed, faulted.describe()


@pytest.mark.parametrize(("kind", "phase", "mode"), cases(PHASES, CI_SAMPLE))
def test_fault_then_clean_pass_converges(
    world: World, run: InProcess, kind: str, phase: str, mode: str
) -> None:
    prepare(world, run)
    method = PHASE_METHOD.get(phase)
    if phase in GRAPHQL_DOWN:
        world.sb.add_fault(r"^/api/graphql$", None, 502, -1)
    graphql = PHASE_GRAPHQL.get(phase)
    times = 1 if mode == "once" else -1
    fault = KINDS[kind].add(world.sb, PHASES[phase], method, times, graphql)
    faulted = run()
    check_fault_met(world, fault, mode, PHASES[phase], method, graphql)
    world.sb.clear_faults()
    world.check_truthful(faulted)
    expect(KINDS[kind], phase, mode, faulted)

    clean = run()
    world.check_converged(clean)
    world.check_no_token(faulted, clean)


def test_ci_sample_covers_every_kind_phase_and_mode() -> None:
    assert {k for k, _, _ in CI_SAMPLE} == set(KINDS)
    assert {p for _, p, _ in CI_SAMPLE} == set(PHASES)
    assert {m for _, _, m in CI_SAMPLE} == set(MODES)


def test_renamed_upstream_is_followed_and_reported(world: World, run: InProcess) -> None:
    prepare(world, run)
    world.sb.rename("up/lib", "up/lib-renamed")
    faulted = run()
    world.check_truthful(faulted)
    assert faulted.code == 0, faulted.describe()
    lib = faulted.results["LIB_VERSION"]
    assert lib["status"] == "bumped" and lib["new"] == world.expected["LIB_VERSION"]
    assert "moved to up/lib-renamed: update the matrix" in lib["message"]

    clean = run()
    world.check_converged(clean)
    assert "moved to up/lib-renamed" in clean.results["LIB_VERSION"]["message"]


def test_renamed_target_is_followed(world: World, run: InProcess) -> None:
    prepare(world, run)
    world.sb.rename("acme/app", "acme/app-renamed")
    world.target = "acme/app-renamed"
    faulted = run()
    world.check_truthful(faulted)
    assert faulted.code == 0, faulted.describe()
    assert {r["status"] for r in faulted.doc["results"]} == {"bumped", "up-to-date"}

    clean = run()
    world.check_converged(clean)
