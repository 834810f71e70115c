"""Rule 7 under faults: closing a superseded PR, commenting once and deleting its branch.

The world before the faulted pass: LIB_VERSION's PR is open, and the base got its upstream sha
by hand, so the pass closes that PR (rule 7); TOOL_VERSION and CORE_VERSION are current. A
fault hits the close, the comment or the branch delete, once or on every such request.

After the faulted pass and one clean pass, a maintainer sees what a pass without faults
leaves: the PR closed (not merged) with exactly one "no longer needed" comment, its branch
gone, no other PR or branch, the base as they left it, and the token nowhere. A pass after
that writes nothing and reads no more than any pass where nothing changed.

CI runs a sample (every phase, both modes); ``pytest --full`` every kind at every phase.
"""

from __future__ import annotations

import pytest

from bumper.github.forge import MOVED
from faults.conftest import (
    BASE,
    CLOSE_PHASE_GRAPHQL,
    CLOSE_PHASE_METHOD,
    CLOSE_PHASES,
    MAKEFILE,
    PR_BRANCH,
    TARGET,
    InProcess,
    Run,
    World,
    check_fault_met,
    push_before,
)
from faults.test_fault_matrix import KINDS, MODES, cases

BRANCH = PR_BRANCH.format("LIB_VERSION")
GONE = "no longer needed"

CI_SAMPLE = {
    ("500", "close", "always"),
    ("truncate", "close", "once"),
    ("garbage-sha", "close", "once"),
    ("truncate", "comment", "once"),
    ("html-200", "comment", "always"),
    ("500", "comment", "once"),
    ("drop", "delete", "once"),
    ("truncate", "delete", "once"),
    ("500", "delete", "always"),
}


# A comment whose every answer is cut short is there all the same, and bumper looks: done.
SEEN_DONE = {("truncate", "comment")}


def prepare(world: World, run: InProcess) -> int:
    """LIB_VERSION's PR open, then its upstream sha put in the base by hand; its number."""
    new = world.advance("LIB_VERSION")
    first = run("--only", "LIB_VERSION")
    assert first.code == 0, first.describe()
    number = first.results["LIB_VERSION"]["pr"]
    world.makefile = world.makefile.replace(world.old["LIB_VERSION"], new)
    world.old["LIB_VERSION"] = new
    world.base_sha = world.store.commit_files(
        TARGET, BASE, {MAKEFILE: world.makefile}, "Bump lib by hand"
    )
    world.expected = {}  # no PR may stay open
    world.sb.clear_requests()
    return int(number)


def check_closed(world: World, number: int) -> None:
    """The PR closed with one comment, its branch gone, nothing else there."""
    [pr] = world.pulls("all")
    assert pr["number"] == number and pr["state"] == "closed" and not pr["merged_at"]
    comments = world.comments(number)
    assert [GONE in c for c in comments].count(True) == 1, comments
    assert world.store.ref(world.target, BRANCH) is None, "the branch was left behind"
    assert list(world.store.refs(world.target, "refs/heads/")) == [f"refs/heads/{BASE}"]
    world.check_base_untouched()


def check_quiet(world: World, run: InProcess) -> Run:
    """A pass after convergence: up to date, one GraphQL query, no write."""
    world.sb.clear_requests()
    again = run()
    assert again.code == 0, again.describe()
    assert {r["status"] for r in again.doc["results"]} == {"up-to-date"}, again.describe()
    assert [(r["method"], r["path"]) for r in world.sb.requests()] == [("POST", "/api/graphql")]
    return again


@pytest.mark.parametrize(("kind", "phase", "mode"), cases(CLOSE_PHASES, CI_SAMPLE))
def test_close_fault_then_clean_pass_leaves_one_comment_and_no_branch(
    world: World, run: InProcess, kind: str, phase: str, mode: str
) -> None:
    number = prepare(world, run)
    method, graphql = CLOSE_PHASE_METHOD.get(phase), CLOSE_PHASE_GRAPHQL.get(phase)
    fault = KINDS[kind].add(
        world.sb, CLOSE_PHASES[phase], method, 1 if mode == "once" else -1, graphql
    )
    faulted = run()
    check_fault_met(world, fault, mode, CLOSE_PHASES[phase], method, graphql)
    world.sb.clear_faults()
    world.check_truthful(faulted)
    if mode == "once" and KINDS[kind].retried:
        assert not faulted.failed, faulted.describe()
    if mode == "always" and KINDS[kind].breaks and (kind, phase) not in SEEN_DONE:
        assert faulted.failed == {"LIB_VERSION"}, faulted.describe()

    clean = run()
    world.check_converged(clean)
    check_closed(world, number)
    quiet = check_quiet(world, run)
    check_closed(world, number)
    world.check_no_token(faulted, clean, quiet)


def test_close_ci_sample_covers_every_phase_and_mode() -> None:
    assert {p for _, p, _ in CI_SAMPLE} == set(CLOSE_PHASES)
    assert {m for _, _, m in CI_SAMPLE} == set(MODES)
    assert {k for k, _, _ in CI_SAMPLE} <= set(KINDS)


def test_a_close_that_keeps_failing_comments_only_once_it_is_done(
    world: World, run: InProcess
) -> None:
    """#14: the comment went out before the close, so each failed close added one."""
    number = prepare(world, run)
    world.sb.add_fault(CLOSE_PHASES["close"], "PATCH", 502, -1)
    for _ in range(3):
        assert run().failed == {"LIB_VERSION"}
    assert not any(GONE in c for c in world.comments(number))
    world.sb.clear_faults()
    world.check_converged(run())
    check_closed(world, number)


def test_a_failed_branch_delete_is_finished_by_the_next_pass(world: World, run: InProcess) -> None:
    """#14: the PR was closed, the delete failed, and no later pass ever deleted the branch."""
    number = prepare(world, run)
    world.sb.add_fault(r"^/api/graphql$", None, 502, -1, graphql="mutation")
    faulted = run()
    assert faulted.failed == {"LIB_VERSION"}, faulted.describe()
    assert "next pass" in faulted.results["LIB_VERSION"]["message"], faulted.describe()
    assert world.store.ref(world.target, BRANCH) is not None
    world.sb.clear_faults()
    clean = run()
    world.check_converged(clean)
    assert clean.results["LIB_VERSION"]["pr"] == number, clean.describe()
    check_closed(world, number)
    check_quiet(world, run)


def test_a_persons_push_before_the_rule7_delete_keeps_their_commit(
    world: World, run: InProcess
) -> None:
    number = prepare(world, run)
    raced, pushed = push_before(
        world, run, path=r"^/api/graphql$", method=None, graphql="mutation", nth=1, branch=BRANCH
    )
    world.check_truthful(raced)
    assert MOVED in raced.results["LIB_VERSION"]["message"], raced.describe()
    assert world.head(world.target, BRANCH) == pushed

    clean = check_quiet(world, run)
    assert world.head(world.target, BRANCH) == pushed, clean.describe()
    [pr] = world.pulls("all")
    assert pr["state"] == "closed" and [GONE in c for c in world.comments(number)].count(True) == 1
    world.check_no_token(raced, clean)
