"""A person pushes to a PR branch right before one of a pass's writes reaches GitHub.

Whatever that write is (a tree, a commit, the branch move with the PR edit, the branch
creation with the PR opening), the person's commit must still be the branch head afterwards:
every ref write is conditional on the head the pass planned from. The next pass leaves that
branch to the person (rule 5), or carries their commit forward (rule 14), and converges for
the others: one PR per pin, nothing lost.

The push is a sandbox hook (``POST /_sandbox/hooks``), fired just before the nth request
that matches, so nothing here depends on timing. CI runs a few writes; ``--full`` all.
"""

from __future__ import annotations

from typing import Any

import pytest

from faults.conftest import PR_BRANCH, InProcess, World, push_before
from faults.test_fault_matrix import prepare

# (name, method, path, graphql, nth, the pin whose branch the person pushes to)
# The branch move and the PR edit are one GraphQL document (lib-move), and so are the branch
# creation and the PR opening (tool-create).
WRITES = [
    ("lib-tree", "POST", r"/git/trees$", None, 1, "LIB_VERSION"),
    ("lib-commit", "POST", r"/git/commits$", None, 1, "LIB_VERSION"),
    ("lib-move", None, r"^/api/graphql$", "mutation", 1, "LIB_VERSION"),
    ("tool-tree", "POST", r"/git/trees$", None, 2, "TOOL_VERSION"),
    ("tool-commit", "POST", r"/git/commits$", None, 2, "TOOL_VERSION"),
    ("tool-create", None, r"^/api/graphql$", "mutation", 2, "TOOL_VERSION"),
]
CI = {"lib-move", "tool-create"}


def _cases() -> list[Any]:
    return [
        pytest.param(*w[1:], id=w[0], marks=() if w[0] in CI else (pytest.mark.slow,))
        for w in WRITES
    ]


@pytest.mark.parametrize(("method", "path", "graphql", "nth", "variable"), _cases())
def test_a_persons_push_before_any_write_is_never_erased(
    world: World,
    run: InProcess,
    method: str | None,
    path: str,
    graphql: str | None,
    nth: int,
    variable: str,
) -> None:
    prepare(world, run)
    branch = PR_BRANCH.format(variable)
    raced, pushed = push_before(
        world, run, path=path, method=method, graphql=graphql, nth=nth, branch=branch
    )
    world.check_truthful(raced)
    assert world.head(world.target, branch) == pushed, raced.describe()

    clean = run()
    assert clean.code == 0, clean.describe()
    # left as it is, or carried onto the newer sha with the person's commit replayed
    world.check_kept(branch, pushed)
    world.check_no_duplicates()
    world.check_base_untouched()
    statuses = {v: r["status"] for v, r in clean.results.items()}
    assert statuses[variable] in ("skipped", "bumped", "up-to-date"), clean.describe()
    other = "TOOL_VERSION" if variable == "LIB_VERSION" else "LIB_VERSION"
    assert statuses[other] in ("bumped", "up-to-date"), clean.describe()
    open_prs = {pr["head"]["ref"]: pr for pr in world.pulls("open")}
    assert PR_BRANCH.format(other) in open_prs, open_prs
    world.check_no_token(raced, clean)


def test_a_refused_branch_move_leaves_the_pr_text_as_it_was(world: World, run: InProcess) -> None:
    """The PR edit shares the branch move's GraphQL document and runs even when the move is
    refused (GitHub does not make one mutation wait on another): bumper puts the PR's title
    and body back, so the PR never names a commit its branch does not have."""
    prepare(world, run)
    branch = PR_BRANCH.format("LIB_VERSION")
    (before,) = [pr for pr in world.pulls("open") if pr["head"]["ref"] == branch]
    raced, pushed = push_before(
        world, run, path=r"^/api/graphql$", method=None, graphql="mutation", nth=1, branch=branch
    )
    assert raced.results["LIB_VERSION"]["status"] == "skipped", raced.describe()
    (after,) = [pr for pr in world.pulls("open") if pr["head"]["ref"] == branch]
    assert (after["title"], after["body"]) == (before["title"], before["body"])
    edits = [r for r in world.sb.requests() if r["method"] == "PATCH" and "/pulls/" in r["path"]]
    assert len(edits) == 1, edits  # the text put back, once
    assert world.head(world.target, branch) == pushed
