"""PR branches as maintainers live with them (issue 14): rebuilt on a moved base only on a
conflict, people's fix-ups carried onto the next sha, an earlier bot's PR adopted, and never a
second PR beside a maintainer's own for the same pin. Through the sandbox, with PyGithub."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_publish import TARGET, World, _opened_by, _outsider_pr, one

from bumper.bump.prtext import parse_marker
from bumper.bump.publish import publish
from bumper.bump.snapshot import branches_to_read, read_pass
from bumper.config.settings import Config, Secret, TargetSettings
from bumper.github.http import new_client
from bumper.github.pygithub_forge import GitHubForge
from bumper.model import Entry, Head, Status

LIB = Entry(repository="up/lib", variable="LIB_VERSION", branch="main", file="Makefile")
# a pin in another file, so a change to the Makefile conflicts with LIB's PR only
TOOL = Entry(repository="up/tool", variable="TOOL_VERSION", branch="main", file="tools.mk")
PERSON = ("A Person", "person@example.invalid")


@pytest.fixture
def world(sandbox: Any) -> Iterator[World]:
    w = World(sandbox)
    w.store.commit_files(
        TARGET, "main", {"tools.mk": f"TOOL_VERSION := {w.old['up/tool']}\n"}, "Add tools.mk"
    )
    yield w
    w.close()


def _pr_config(world: World, **pr: Any) -> Config:
    return dataclasses.replace(world.config, pr=dataclasses.replace(world.config.pr, **pr))


def _comments(world: World, number: int) -> list[str]:
    return [c.body for c in world.gh.get_repo(TARGET).get_issue(number).get_comments()]


def _mergeable(world: World, number: int) -> Any:
    reply = httpx.get(f"{world.sb.api_url}/repos/{TARGET}/pulls/{number}", timeout=10)
    return reply.json()["mergeable"]


def _person_push(world: World, files: dict[str, str], message: str) -> str:
    return world.store.commit_files(TARGET, "update/LIB_VERSION", files, message, author=PERSON)


def test_base_moving_without_conflict_makes_no_write(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    pushed = world.ref(TARGET, "update/LIB_VERSION")
    world.store.commit_files(TARGET, "main", {"README.md": "elsewhere\n"}, "the base moves")
    world.sb.clear_requests()
    result = one(world.run())
    assert result.status is Status.UP_TO_DATE, result.message
    assert "still merges cleanly" in result.message and result.pr == first.pr
    assert world.writes() == []
    assert world.ref(TARGET, "update/LIB_VERSION") == pushed  # its CI is not re-run


def test_base_conflicting_rebuilds_only_that_pr_and_it_merges_again(world: World) -> None:
    world.upstream_commit()
    world.upstream_commit("up/tool")
    first = {r.entry.variable: r for r in world.run((LIB, TOOL))}
    tool_head = world.ref(TARGET, "update/TOOL_VERSION")
    lib_pr = first["LIB_VERSION"].pr
    assert lib_pr is not None
    # a maintainer edits the pin's own line on the base: LIB's PR no longer merges
    edited = world.makefile.replace("LIB_VERSION?=", "LIB_VERSION ?= ")
    base = world.store.commit_files(TARGET, "main", {"Makefile": edited}, "Respace")
    assert _mergeable(world, lib_pr) is False
    results = {r.entry.variable: r for r in world.run((LIB, TOOL))}
    lib, tool = results["LIB_VERSION"], results["TOOL_VERSION"]
    assert lib.status is Status.BUMPED and lib.pr == lib_pr, lib.message
    assert "no longer merged cleanly" in lib.message
    assert tool.status is Status.UP_TO_DATE, tool.message
    assert world.ref(TARGET, "update/TOOL_VERSION") == tool_head
    lib_head = world.gh.get_repo(TARGET).get_branch("update/LIB_VERSION").commit
    assert [p.sha for p in lib_head.parents] == [base]
    assert _mergeable(world, lib_pr) is True
    assert len(world.pulls()) == 2


def test_behind_rebuilds_on_every_base_move(world: World) -> None:
    world.upstream_commit()
    one(world.run())
    base = world.store.commit_files(TARGET, "main", {"README.md": "x\n"}, "the base moves")
    result = one(world.run(config=_pr_config(world, rebase="behind")))
    assert result.status is Status.BUMPED and "base moved" in result.message
    head = world.gh.get_repo(TARGET).get_branch("update/LIB_VERSION").commit
    assert [p.sha for p in head.parents] == [base]


def test_a_persons_file_is_carried_onto_the_next_sha_with_its_author(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    theirs = _person_push(world, {"NOTES": "needs the new flag\n"}, "Pass the new flag")
    base = world.store.commit_files(TARGET, "main", {"README.md": "moved\n"}, "the base moves")
    later = world.upstream_commit(title="Later")
    result = one(world.run())
    assert result.status is Status.BUMPED, result.message
    assert result.pr == first.pr and "replayed" in result.message
    [pr] = world.pulls()
    assert pr.number == first.pr and later in pr.title
    commits = list(pr.get_commits())
    assert [c.commit.message.splitlines()[0] for c in commits][-1] == "Pass the new flag"
    replayed = commits[-1]
    assert (replayed.commit.author.name, replayed.commit.author.email) == PERSON
    assert replayed.sha != theirs
    assert world.base_file("NOTES", rev="update/LIB_VERSION") == "needs the new flag\n"
    text = world.base_file(rev="update/LIB_VERSION")
    assert f"LIB_VERSION?={later}\n" in text
    # bumper's own commit sits on the current base
    assert [p.sha for p in commits[0].parents] == [base]
    marker = parse_marker(pr.body)
    assert marker is not None and marker.upstream == later and marker.commit == commits[0].sha
    [comment] = _comments(world, pr.number)
    assert later in comment and "Pass the new flag" in comment and "pull" in comment
    # nothing more to do: no write, no second comment
    world.sb.clear_requests()
    again = one(world.run())
    assert again.status is not Status.FAILED, again.message
    assert world.writes() == []
    assert len(_comments(world, pr.number)) == 1


def test_a_conflicting_fixup_is_left_alone_with_exactly_one_comment(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    assert first.pr is not None
    pinned = world.base_file(rev="update/LIB_VERSION")
    # the person's fix rewrites the pin's line itself: it cannot sit on a newer pin
    fixed = pinned.replace("LIB_VERSION?=", "LIB_VERSION ?= ")
    theirs = _person_push(world, {"Makefile": fixed}, "Respace the pin")
    later = world.upstream_commit(title="Later")
    for n in range(3):
        world.sb.clear_requests()
        result = one(world.run())
        assert result.status is Status.SKIPPED, result.message
        assert "do not apply" in result.message and later[:12] in result.message
        assert world.ref(TARGET, "update/LIB_VERSION") == theirs
        # tried once; while the branch stays as it is, no fetch to learn it again
        fetched = [r for r in world.sb.requests() if ".git/" in r["path"]]
        assert bool(fetched) == (n == 0), fetched
    [comment] = _comments(world, first.pr)
    assert later in comment and "Respace the pin" in comment and "Makefile" in comment
    assert [pr.number for pr in world.pulls()] == [first.pr]
    newest = world.upstream_commit(title="Newest")
    one(world.run())
    comments = _comments(world, first.pr)
    assert len(comments) == 2 and newest in comments[1]  # one per upstream sha


def test_an_old_bots_pr_is_adopted_in_place(world: World) -> None:
    old_bot = ("Old Bot", "old-bot@example.invalid")
    stale = "1" * 40
    text = world.makefile.replace(world.old["up/lib"], stale)
    world.store.commit_files(
        TARGET,
        "update/LIB_VERSION",
        {"Makefile": text},
        "Bump lib",
        author=old_bot,
        parent=world.ref(TARGET),
    )
    made = world.gh.get_repo(TARGET).create_pull(
        base="main", head="update/LIB_VERSION", title="Bump lib", body="by the old bot"
    )
    _opened_by(world, made.number, "old-bot")
    new = world.upstream_commit()
    config = _pr_config(world, adopt_authors=("old-bot@example.invalid",))
    # without adopt_authors it stays the old bot's PR, and no second PR is opened
    plain = one(world.run())
    assert plain.status is Status.SKIPPED and "opened by old-bot" in plain.message
    result = one(world.run(config=config))
    assert result.status is Status.BUMPED and result.pr == made.number, result.message
    [pr] = world.pulls()
    assert pr.number == made.number and new in pr.title
    marker = parse_marker(pr.body)
    assert marker is not None and marker.upstream == new
    assert "by the old bot" not in pr.body
    assert f"LIB_VERSION?={new}\n" in world.base_file(rev="update/LIB_VERSION")
    # from now on it is bumper's: nothing to do, never a twin
    world.sb.clear_requests()
    again = one(world.run(config=config))
    assert again.status is Status.UP_TO_DATE and again.pr == made.number, again.message
    assert world.writes() == []
    assert len(world.pulls("all")) == 1


def test_a_pr_with_other_authors_is_not_adopted(world: World) -> None:
    world.store.commit_files(
        TARGET,
        "update/LIB_VERSION",
        {"NOTES": "mine\n"},
        "Mine",
        author=PERSON,
        parent=world.ref(TARGET),
    )
    made = world.gh.get_repo(TARGET).create_pull(
        base="main", head="update/LIB_VERSION", title="mine", body=""
    )
    _opened_by(world, made.number, "alice")
    world.upstream_commit()
    result = one(world.run(config=_pr_config(world, adopt_authors=("Old Bot",))))
    assert result.status is Status.SKIPPED and "opened by alice" in result.message
    assert [pr.number for pr in world.pulls()] == [made.number]


def test_a_persons_own_pr_for_the_same_pin_is_never_duplicated(world: World) -> None:
    new = world.upstream_commit()
    text = world.makefile.replace(world.old["up/lib"], new)
    world.store.commit_files(
        TARGET, "alice/lib", {"Makefile": text}, "Bump lib by hand", parent=world.ref(TARGET)
    )
    theirs = world.gh.get_repo(TARGET).create_pull(
        base="main", head="alice/lib", title="bump lib", body=""
    )
    _opened_by(world, theirs.number, "alice")
    # an outsider's fork PR changing the same line does not count
    _outsider_pr(world, "mallory", "lib", LIB)
    for _ in range(2):
        result = one(world.run())
        assert result.status is Status.SKIPPED, result.message
        assert result.pr == theirs.number and "already changes this pin" in result.message
        assert "alice/lib" in result.message
    assert world.store.ref(TARGET, "update/LIB_VERSION") is None
    assert sorted(pr.number for pr in world.pulls()) == sorted([theirs.number, 2])
    [comment] = _comments(world, theirs.number)
    assert new in comment


def _snapshot_run(world: World, entries: tuple[Entry, ...] = (LIB,)) -> list[Any]:
    """A pass as run-once makes it with a token: the target read in the look-up queries."""
    token = Secret(world.sb.token)
    config = world.config
    with new_client(timeout=10) as client, GitHubForge.from_config(config, token) as forge:
        heads, state = read_pass(
            list(entries),
            target=TARGET,
            base="main",
            paths=[e.file for e in entries],
            client=client,
            github=config.github,
            lookup=config.lookup,
            token=token,
            branches=branches_to_read(config, list(entries)),
        )
        assert state is not None
        return publish(
            config,
            list(entries),
            {k: v for k, v in heads.items() if isinstance(v, Head)},
            forge,
            client=client,
            token=token,
            state=state,
        )


def test_a_moved_base_costs_no_request_beyond_the_snapshot_when_it_still_merges(
    world: World,
) -> None:
    world.upstream_commit()
    one(_snapshot_run(world))
    world.store.commit_files(TARGET, "main", {"README.md": "elsewhere\n"}, "the base moves")
    world.sb.clear_requests()
    result = one(_snapshot_run(world))
    assert result.status is Status.UP_TO_DATE and "still merges" in result.message
    # the mergeable state came with the pass's GraphQL query: no REST read of the PR
    assert [r["path"] for r in world.sb.requests() if "/api/v3/" in r["path"]] == []
    assert world.writes() == []


def test_a_person_on_a_fork_branch_is_carried_there(world: World) -> None:
    world.store.fork(TARGET, "bot")
    config = dataclasses.replace(
        world.config, target=TargetSettings(repository=TARGET, push_to="bot")
    )
    world.upstream_commit()
    first = one(world.run(config=config))
    world.store.commit_files(
        "bot/app", "update/LIB_VERSION", {"NOTES": "fix\n"}, "A fix", author=PERSON
    )
    # the base moves in the target; the fork's own main stays behind
    base = world.store.commit_files(TARGET, "main", {"README.md": "moved\n"}, "the base moves")
    later = world.upstream_commit(title="Later")
    result = one(world.run(config=config))
    assert result.status is Status.BUMPED and result.pr == first.pr, result.message
    log = world.store.git("bot/app", "log", "--format=%s|%an|%P", "update/LIB_VERSION").decode()
    subject, author, _ = log.splitlines()[0].split("|")
    assert (subject, author) == ("A fix", PERSON[0])
    assert log.splitlines()[1].split("|")[2] == base
    assert f"LIB_VERSION?={later}\n" in world.base_file(rev="update/LIB_VERSION", repo="bot/app")
    assert world.store.ref(TARGET, "update/LIB_VERSION") is None


def test_the_token_never_reaches_gits_argv_or_its_messages(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.upstream_commit()
    one(world.run())
    _person_push(world, {"NOTES": "fix\n"}, "A fix")
    world.upstream_commit(title="Later")
    # a git on PATH that writes down how it was called, then runs the real one
    real = shutil.which("git")
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    calls = tmp_path / "calls"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {calls}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    result = one(world.run())
    assert result.status is Status.BUMPED, result.message
    logged = calls.read_text()
    assert "push --porcelain --force-with-lease=refs/heads/update/LIB_VERSION:" in logged
    assert world.sb.token not in logged
    # git's own complaint (a refused token) comes back without it
    world.sb.add_fault(r"\.git/", None, 401, 5)
    world.store.commit_files(TARGET, "update/LIB_VERSION", {"N2": "x\n"}, "more", author=PERSON)
    world.upstream_commit(title="Latest")
    failed = one(world.run())
    assert failed.status is Status.FAILED and "git fetch" in failed.message, failed.message
    assert world.sb.token not in failed.message


def test_a_persons_commit_on_a_two_file_pin_is_carried(world: World) -> None:
    both = Entry(
        repository="up/lib",
        variable="LIB_VERSION",
        branch="main",
        file="Makefile",
        files=("Makefile", "lib.mk"),
    )
    world.store.commit_files(
        TARGET, "main", {"lib.mk": f"LIB_VERSION ?= {world.old['up/lib']}\n"}, "lib.mk"
    )
    world.upstream_commit()
    first = one(world.run((both,)))
    _person_push(world, {"NOTES": "x\n"}, "A note")
    later = world.upstream_commit(title="Later")
    result = one(world.run((both,)))
    assert result.status is Status.BUMPED and result.pr == first.pr, result.message
    assert world.base_file("lib.mk", rev="update/LIB_VERSION") == f"LIB_VERSION ?= {later}\n"
    assert f"LIB_VERSION?={later}\n" in world.base_file(rev="update/LIB_VERSION")
    assert world.base_file("NOTES", rev="update/LIB_VERSION") == "x\n"
