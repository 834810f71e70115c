"""Carrying a person's commit forward (rule 14) under `kill -9` and racing passes.

A carry-forward writes three times: the git push of the rebuilt branch (one atomic ref
update, leased on the old head), bumper's one comment, then the PR's title and body. Killed
after any of them, or run twice at once, the next clean pass must end with one PR for the
pin, carrying the person's commit exactly once with its author, one comment, and a marker
naming the new sha.
"""

from __future__ import annotations

from typing import Any

import pytest

from bumper.bump.prtext import carried_mark, parse_marker
from faults.conftest import PR_BRANCH, TARGET, InProcess, World, push_before
from faults.test_kill9 import DELAY_MS, WRITE_METHODS, kill_when

BRANCH = PR_BRANCH.format("LIB_VERSION")
PERSON = ("A Person", "person@example.invalid")
CARRY_WRITES = 3  # the push, the comment, the PR edit


def _carry_writes(sb: Any) -> list[dict[str, Any]]:
    return [
        r
        for r in sb.requests()
        if r["path"].endswith("/git-receive-pack")
        or (r["method"] in WRITE_METHODS and r["path"].startswith("/api/v3/"))
    ]


def _prepare(world: World, run: InProcess) -> str:
    """LIB_VERSION's open PR with a person's commit on it, and upstream moved on."""
    world.advance("LIB_VERSION")
    first = run("--only", "LIB_VERSION")
    assert first.code == 0, first.describe()
    pushed = world.store.commit_files(
        TARGET, BRANCH, {"NOTES.md": "a person's work\n"}, "A person's fix", author=PERSON
    )
    world.advance("LIB_VERSION")
    world.sb.clear_requests()
    return str(pushed)


def _check_carried(world: World, run: InProcess, pushed: str) -> None:
    clean = run("--only", "LIB_VERSION")
    assert clean.code == 0, clean.describe()
    assert clean.results["LIB_VERSION"]["status"] in ("bumped", "skipped"), clean.describe()
    world.check_no_duplicates()
    world.check_base_untouched()
    [pr] = [p for p in world.pulls("open") if p["head"]["ref"] == BRANCH]
    sha = world.expected["LIB_VERSION"]
    marker = parse_marker(pr["body"] or "")
    assert marker is not None and marker.upstream == sha, pr["body"]
    assert sha in pr["title"]
    world.check_kept(BRANCH, pushed)
    head = world.head(world.target, BRANCH)
    # the person's commit once, on bumper's one commit for the new sha, on the base
    subjects = world.store.git(
        world.target, "log", "--format=%s", f"{world.base_sha}..{head}"
    ).decode()
    assert subjects.splitlines().count("A person's fix") == 1, subjects
    assert len(subjects.splitlines()) == 2, subjects
    assert world.file_at(f"{head}~1", "Makefile") == world.pinned_text("LIB_VERSION", sha)
    comments = [c for c in world.comments(pr["number"]) if carried_mark(sha) in c]
    assert len(comments) == 1, world.comments(pr["number"])
    world.check_no_token(clean)
    # nothing is left to write
    world.sb.clear_requests()
    again = run("--only", "LIB_VERSION")
    assert again.code == 0, again.describe()
    assert _carry_writes(world.sb) == [], again.describe()


@pytest.mark.parametrize("k", range(1, CARRY_WRITES + 1), ids=lambda k: f"after-write-{k}")
def test_kill9_after_any_write_of_a_carry_then_a_clean_pass_converges(
    world: World, run: InProcess, k: int
) -> None:
    pushed = _prepare(world, run)
    for method in WRITE_METHODS:
        world.sb.fault_delay(r"^/api/v3/", DELAY_MS, method=method, times=-1, after=True)
    world.sb.fault_delay(r"/git-receive-pack$", DELAY_MS, method="POST", times=-1, after=True)
    killed = kill_when(world, lambda sb: len(_carry_writes(sb)) >= k, "--only", "LIB_VERSION")
    world.sb.clear_faults()
    world.check_no_token(killed)
    assert world.head(world.target, BRANCH) != world.base_sha
    _check_carried(world, run, pushed)


def test_two_passes_carrying_at_once_converge(world: World, run: InProcess) -> None:
    pushed = _prepare(world, run)
    # both read the branch before either pushes
    world.sb.fault_delay(r"/git-receive-pack$", 300, method="POST", times=2)
    passes = [world.spawn("--only", "LIB_VERSION") for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in passes]
    world.sb.clear_faults()
    for proc, (_out, err) in zip(passes, outputs, strict=True):
        assert proc.returncode in (0, 1), err
        assert "Traceback" not in err, err
    world.check_no_duplicates()
    world.check_kept(BRANCH, pushed)
    _check_carried(world, run, pushed)


def test_a_push_during_a_carry_is_never_lost(world: World, run: InProcess) -> None:
    pushed = _prepare(world, run)
    # the person pushes again just before bumper's push reaches the server
    raced, again = push_before(
        world,
        run,
        path=r"/git-receive-pack$",
        method="POST",
        graphql=None,
        nth=1,
        branch=BRANCH,
    )
    assert raced.results["LIB_VERSION"]["status"] == "skipped", raced.describe()
    assert world.head(world.target, BRANCH) == again  # the lease held
    world.check_no_token(raced)
    # the next pass carries both of the person's commits
    clean = run("--only", "LIB_VERSION")
    assert clean.results["LIB_VERSION"]["status"] == "bumped", clean.describe()
    head = world.head(world.target, BRANCH)
    subjects = world.store.git(
        world.target, "log", "--format=%s", f"{world.base_sha}..{head}"
    ).decode()
    assert subjects.splitlines().count("A person's fix") == 2, subjects
    assert world.file_at(head, "NOTES.md") == world.file_at(again, "NOTES.md")
    world.check_kept(BRANCH, pushed)
