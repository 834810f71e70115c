"""One PR per pin, end to end: publish() with the real PyGithub against the sandbox.

Each test is a situation a maintainer would notice on their repository; the rule numbers are
the rows of docs/pr-rules.md.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from github import Auth, Github

from bumper.bump.prtext import Marker, format_marker, parse_marker, parse_trailer
from bumper.bump.publish import publish
from bumper.bump.snapshot import read_pass
from bumper.config.settings import Config, GitHubSettings, PrSettings, Secret, TargetSettings
from bumper.github.http import new_client
from bumper.github.pygithub_forge import GitHubForge
from bumper.model import Entry, Head, Result, Status
from bumper.sandbox.pulls import tracker

TARGET = "acme/app"
LIB = Entry(repository="up/lib", variable="LIB_VERSION", branch="main", file="Makefile")
TOOL = Entry(repository="up/tool", variable="TOOL_VERSION", branch="main", file="Makefile")
WRITES = ("POST", "PATCH", "PUT", "DELETE")


class World:
    """Two upstreams and a target repository whose Makefile pins both."""

    def __init__(self, sandbox: Any) -> None:
        self.sb = sandbox
        self.store = sandbox.store
        for name in ("lib", "tool"):
            self.store.create_repo("up", name, auto_init=True)
        self.old = {"up/lib": self.ref("up/lib"), "up/tool": self.ref("up/tool")}
        self.store.create_repo("acme", "app", auto_init=True)
        self.makefile = (
            "# pins\n"
            f"LIB_VERSION?={self.old['up/lib']}\n"
            f"TOOL_VERSION ?= {self.old['up/tool']}  # the tool\n"
            "\nall:\n\t@echo $(LIB_VERSION)\n"
        )
        self.store.commit_files(TARGET, "main", {"Makefile": self.makefile}, "Add pins")
        self.config = Config(
            path=Path("bumper.yaml"),
            github=GitHubSettings(
                api_url=sandbox.api_url,
                git_url=sandbox.git_url,
                web_url=sandbox.url,
                seconds_between_requests=0,
                seconds_between_writes=0,
            ),
            target=TargetSettings(repository=TARGET),
        )
        self.gh = Github(
            base_url=sandbox.api_url,
            auth=Auth.Token(sandbox.token),
            seconds_between_requests=0,
            seconds_between_writes=0,
            retry=None,
        )

    def close(self) -> None:
        self.gh.close()

    def ref(self, repo: str, branch: str = "main") -> str:
        sha = self.store.ref(repo, branch)
        assert sha is not None
        return sha

    def upstream_commit(self, repo: str = "up/lib", title: str = "Improve things") -> str:
        n = len(self.store.refs(repo))
        return self.store.commit_files(repo, "main", {f"f{n}-{title}.txt": title}, title)

    def base_file(self, path: str = "Makefile", rev: str = "main", repo: str = TARGET) -> str:
        data = self.store.read_file(repo, rev, path)
        assert data is not None
        return data.decode()

    def run(
        self,
        entries: Sequence[Entry] = (LIB,),
        *,
        config: Config | None = None,
        dry_run: bool = False,
    ) -> list[Result]:
        config = config or self.config
        heads = {
            (e.repository, e.branch): Head(e.repository, e.branch, self.ref(e.repository))
            for e in entries
        }
        token = Secret(self.sb.token)
        with (
            new_client(timeout=10) as client,
            GitHubForge.from_config(config, token) as forge,
        ):
            return publish(
                config, entries, heads, forge, client=client, token=token, dry_run=dry_run
            )

    def pulls(self, state: str = "open") -> list[Any]:
        return list(self.gh.get_repo(TARGET).get_pulls(state=state))

    def writes(self) -> list[tuple[str, str]]:
        return [
            (r["method"], r["path"])
            for r in self.sb.requests()
            if r["method"] in WRITES
            and not r["path"].endswith(("/graphql", "/git-upload-pack"))  # reads over POST
        ]


@pytest.fixture
def world(sandbox: Any) -> Iterator[World]:
    w = World(sandbox)
    yield w
    w.close()


def one(results: list[Result]) -> Result:
    assert len(results) == 1
    return results[0]


def test_new_upstream_commit_opens_one_pr_changing_only_the_pin(world: World) -> None:
    new = world.upstream_commit(title="Fix @alice's bug, closes #3")
    result = one(world.run())
    assert result.status is Status.BUMPED, result.message
    assert (result.old, result.new) == (world.old["up/lib"], new)
    [pr] = world.pulls()
    assert result.pr == pr.number
    assert pr.title == f"chore: :arrow_up: Update up/lib to `{new}`"
    assert pr.head.ref == "update/LIB_VERSION"
    assert [label.name for label in pr.labels] == ["dependencies"]
    assert f"{world.sb.url}/up/lib/compare/{world.old['up/lib']}...{new}" in pr.body
    assert "`Fix @alice's bug, closes #3`" in pr.body  # listed in a code span: no ping
    branch_text = world.base_file(rev="update/LIB_VERSION")
    assert branch_text == world.makefile.replace(world.old["up/lib"], new)
    head = world.gh.get_repo(TARGET).get_git_commit(pr.head.sha)
    assert [p.sha for p in head.parents] == [world.ref(TARGET)]
    trailer = parse_trailer(head.message)
    assert trailer is not None and trailer.upstream == new


def test_nothing_changed_pass_makes_no_write_and_bounded_reads(world: World) -> None:
    world.upstream_commit("up/lib")
    world.upstream_commit("up/tool")
    other = dataclasses.replace(LIB, variable="OTHER_VERSION", file="sub/Makefile")
    world.store.commit_files(
        TARGET, "main", {"sub/Makefile": f"OTHER_VERSION={world.ref('up/lib')}\n"}, "sub"
    )
    entries = (LIB, TOOL, other)
    assert [r.status for r in world.run(entries)] == [Status.BUMPED] * 2 + [Status.UP_TO_DATE]

    world.sb.clear_requests()
    results = world.run(entries)
    assert [r.status for r in results] == [Status.UP_TO_DATE] * 3
    log = [(r["method"], r["path"]) for r in world.sb.requests()]
    assert world.writes() == []
    # the base head, every base file in one GraphQL query, one listing of open PRs, and
    # the account bumper writes as (which of those PRs are bumper's)
    assert log == [
        ("GET", f"/api/v3/repos/{TARGET}/branches/main"),
        ("POST", "/api/graphql"),
        ("GET", f"/api/v3/repos/{TARGET}/pulls"),
        ("GET", "/api/v3/user"),
    ]


def test_upstream_moving_again_updates_the_same_pr(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    newer = world.upstream_commit(title="Second change")
    second = one(world.run())
    assert second.status is Status.BUMPED, second.message
    assert second.pr == first.pr
    [pr] = world.pulls()
    assert pr.title.endswith(f"`{newer}`")
    assert "Second change" in pr.body
    marker = parse_marker(pr.body)
    assert marker is not None and marker.upstream == newer and marker.commit == pr.head.sha
    assert world.base_file(rev="update/LIB_VERSION") == world.makefile.replace(
        world.old["up/lib"], newer
    )
    assert world.pulls("closed") == []


def test_base_moving_under_the_makefile_rebuilds_the_commit_on_it(world: World) -> None:
    new = world.upstream_commit()
    first = one(world.run())
    edited = world.makefile.replace("# pins\n", "# pins, kept current by bumper\n")
    base = world.store.commit_files(TARGET, "main", {"Makefile": edited}, "Reword")
    behind = dataclasses.replace(
        world.config, pr=dataclasses.replace(world.config.pr, rebase="behind")
    )
    result = one(world.run(config=behind))
    assert result.status is Status.BUMPED and result.pr == first.pr, result.message
    assert "base moved" in result.message
    branch_head = world.gh.get_repo(TARGET).get_branch("update/LIB_VERSION").commit
    assert [p.sha for p in branch_head.parents] == [base]
    assert world.base_file(rev="update/LIB_VERSION") == edited.replace(world.old["up/lib"], new)
    assert len(world.pulls()) == 1


def test_person_pushed_commit_is_left_alone_without_carry_and_told_once(world: World) -> None:
    config = dataclasses.replace(
        world.config, pr=dataclasses.replace(world.config.pr, carry_commits=False)
    )
    world.upstream_commit()
    first = one(world.run(config=config))
    theirs = world.store.commit_files(
        TARGET,
        "update/LIB_VERSION",
        {"NOTES": "needs a rebuild flag\n"},
        "Also pass the new flag",
        author=("A Person", "person@example.invalid"),
    )
    later = world.upstream_commit(title="Later")
    world.sb.clear_requests()
    result = one(world.run(config=config))
    assert result.status is Status.SKIPPED
    assert "edited by a person" in result.message and result.pr == first.pr
    assert world.ref(TARGET, "update/LIB_VERSION") == theirs
    assert world.writes() == [("POST", f"/api/v3/repos/{TARGET}/issues/{first.pr}/comments")]
    # the next pass says nothing more for the same sha
    world.sb.clear_requests()
    assert one(world.run(config=config)).status is Status.SKIPPED
    assert world.writes() == []
    [comment] = [c.body for c in world.gh.get_repo(TARGET).get_issue(first.pr).get_comments()]
    assert later in comment and "pr.carry_commits is off" in comment


def test_pr_closed_without_merging_is_not_reopened_for_that_sha(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    world.gh.get_repo(TARGET).get_pull(first.pr).edit(state="closed")
    world.sb.clear_requests()
    again = one(world.run())
    assert again.status is Status.SKIPPED
    assert "closed without merging" in again.message
    assert world.writes() == [] and world.pulls() == []

    world.upstream_commit(title="A later commit")
    later = one(world.run())
    assert later.status is Status.BUMPED, later.message
    assert later.pr != first.pr
    assert [pr.number for pr in world.pulls()] == [later.pr]


def test_base_that_got_the_sha_by_hand_closes_the_stale_pr(world: World) -> None:
    new = world.upstream_commit()
    first = one(world.run())
    by_hand = world.makefile.replace(world.old["up/lib"], new)
    world.store.commit_files(TARGET, "main", {"Makefile": by_hand}, "Bump lib by hand")
    result = one(world.run())
    assert result.status is Status.UP_TO_DATE
    assert "closed PR" in result.message
    assert world.pulls() == []
    closed = world.gh.get_repo(TARGET).get_pull(first.pr)
    assert closed.state == "closed" and not closed.merged
    assert ["no longer needed" in c.body for c in closed.get_issue_comments()] == [True]
    assert world.store.ref(TARGET, "update/LIB_VERSION") is None
    # Closed by bumper, so not "closed without merging" should the base go back.
    world.store.commit_files(TARGET, "main", {"Makefile": world.makefile}, "Revert")
    assert one(world.run()).status is Status.BUMPED


def test_a_close_comment_whose_answer_broke_off_is_not_posted_twice(world: World) -> None:
    """#14: the comment reached GitHub, its answer was cut short, and it was posted again."""
    new = world.upstream_commit()
    first = one(world.run())
    by_hand = world.makefile.replace(world.old["up/lib"], new)
    world.store.commit_files(TARGET, "main", {"Makefile": by_hand}, "Bump lib by hand")
    world.sb.add_fault(r"/issues/\d+/comments$", method="POST", status=None, kind="truncate")
    result = one(world.run())
    assert result.status is Status.UP_TO_DATE, result.message
    closed = world.gh.get_repo(TARGET).get_pull(first.pr)
    assert closed.state == "closed"
    assert ["no longer needed" in c.body for c in closed.get_issue_comments()] == [True]
    assert world.store.ref(TARGET, "update/LIB_VERSION") is None


def _rest_only(world: World) -> None:
    """GraphQL reads down: the forge cannot name the repository for a GraphQL write, so it
    creates the branch and opens the PR over REST, two requests a pass can die between."""
    world.sb.add_fault(r"^/api/graphql$", None, 502, -1, graphql="query")


def test_crash_between_branch_and_pr_adopts_branch(world: World) -> None:
    world.upstream_commit()
    _rest_only(world)
    world.sb.add_fault(r"/repos/acme/app/pulls$", method="POST", status=422)
    crashed = one(world.run())
    assert crashed.status is Status.FAILED and "HTTP 422" in crashed.message
    pushed = world.ref(TARGET, "update/LIB_VERSION")
    world.sb.clear_faults()
    world.sb.clear_requests()
    result = one(world.run())
    assert result.status is Status.BUMPED, result.message
    assert "existing branch" in result.message
    assert [pr.head.sha for pr in world.pulls()] == [pushed]
    assert ("POST", f"/api/v3/repos/{TARGET}/git/commits") not in world.writes()


def test_create_answered_already_exists_adopts_that_pr(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    world.upstream_commit(title="Newer")
    # The open-PR listing comes back empty once (as if the PR were opened just after it).
    world.sb.add_fault(r"/repos/acme/app/pulls$", method="GET", status=200, body="[]")
    result = one(world.run())
    assert result.status is Status.BUMPED, result.message
    assert result.pr == first.pr and "adopted" in result.message
    assert [pr.number for pr in world.pulls()] == [first.pr]
    assert one(world.run()).status is Status.UP_TO_DATE


def test_retried_create_after_dropped_connection_does_not_duplicate(world: World) -> None:
    world.upstream_commit()
    world.sb.add_fault(r"/repos/acme/app/pulls$", method="POST", kind="drop")
    result = one(world.run())
    assert result.status is Status.BUMPED, result.message
    assert len(world.pulls()) == 1
    assert one(world.run()).status is Status.UP_TO_DATE


def test_two_passes_at_once_end_with_one_pr(world: World) -> None:
    world.upstream_commit()
    # Hold both passes' first request so they start together.
    world.sb.add_fault(r"/branches/main$", status=None, delay_ms=200, times=2)
    results: list[Result] = []
    passes = [threading.Thread(target=lambda: results.extend(world.run())) for _ in range(2)]
    for t in passes:
        t.start()
    for t in passes:
        t.join()
    assert sorted(r.status for r in results) == [Status.BUMPED, Status.BUMPED], results
    assert len({r.pr for r in results}) == 1
    assert len(world.pulls()) == 1
    after = one(world.run())
    assert after.status is Status.UP_TO_DATE


def test_pr_limits_bound_the_noise(world: World) -> None:
    world.upstream_commit("up/lib")
    world.upstream_commit("up/tool")
    one_new = dataclasses.replace(world.config, pr=PrSettings(max_new_per_run=1))
    first = world.run((LIB, TOOL), config=one_new)
    assert [r.status for r in first] == [Status.BUMPED, Status.SKIPPED]
    assert "max_new_per_run" in first[1].message
    second = world.run((LIB, TOOL), config=one_new)
    assert [r.status for r in second] == [Status.UP_TO_DATE, Status.BUMPED]

    world.upstream_commit("up/lib")
    world.upstream_commit("up/tool")
    capped = dataclasses.replace(world.config, pr=PrSettings(max_open=2))
    # Updating open PRs is never limited.
    assert [r.status for r in world.run((LIB, TOOL), config=capped)] == [Status.BUMPED] * 2
    third = dataclasses.replace(LIB, variable="THIRD_VERSION")
    text = world.base_file() + f"THIRD_VERSION={world.old['up/lib']}\n"
    world.store.commit_files(TARGET, "main", {"Makefile": text}, "third pin")
    results = world.run((LIB, TOOL, third), config=capped)
    assert results[2].status is Status.SKIPPED and "max_open" in results[2].message
    assert len(world.pulls()) == 2


def test_pins_sharing_a_makefile_get_a_pr_each_changing_its_own_line(world: World) -> None:
    lib, tool = world.upstream_commit("up/lib"), world.upstream_commit("up/tool")
    results = world.run((LIB, TOOL))
    assert [r.status for r in results] == [Status.BUMPED] * 2
    assert len({r.pr for r in results}) == 2
    assert world.base_file(rev="update/LIB_VERSION") == world.makefile.replace(
        world.old["up/lib"], lib
    )
    assert world.base_file(rev="update/TOOL_VERSION") == world.makefile.replace(
        world.old["up/tool"], tool
    )


def test_fork_push_to(world: World) -> None:
    world.store.fork(TARGET, "bot")
    new = world.upstream_commit()
    config = dataclasses.replace(
        world.config, target=TargetSettings(repository=TARGET, push_to="bot")
    )
    result = one(world.run(config=config))
    assert result.status is Status.BUMPED, result.message
    [pr] = world.pulls()
    assert pr.head.label == "bot:update/LIB_VERSION"
    assert world.store.ref(TARGET, "update/LIB_VERSION") is None
    text = world.base_file(rev="update/LIB_VERSION", repo="bot/app")
    assert text == world.makefile.replace(world.old["up/lib"], new)
    assert one(world.run(config=config)).status is Status.UP_TO_DATE
    world.upstream_commit(title="again")
    moved = one(world.run(config=config))
    assert moved.status is Status.BUMPED and moved.pr == result.pr


def test_changed_branch_template_does_not_open_a_second_pr(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    renamed = dataclasses.replace(world.config, pr=PrSettings(branch="bump/{variable}"))
    world.upstream_commit(title="newer")
    result = one(world.run(config=renamed))
    assert result.status is Status.SKIPPED and result.pr == first.pr
    assert "update/LIB_VERSION" in result.message
    assert len(world.pulls()) == 1


def test_dry_run_writes_nothing(world: World) -> None:
    world.upstream_commit()
    world.sb.clear_requests()
    result = one(world.run(dry_run=True))
    assert result.status is Status.BUMPED and result.message.startswith("dry run")
    assert world.writes() == [] and world.pulls() == []


def test_signoff_names_the_account(world: World) -> None:
    world.upstream_commit()
    config = dataclasses.replace(world.config, pr=PrSettings(signoff=True))
    result = one(world.run(config=config))
    head = world.gh.get_repo(TARGET).get_branch("update/LIB_VERSION").commit.commit
    assert result.status is Status.BUMPED
    assert "\nSigned-off-by: " in head.message and "sandbox" in head.message


def test_broken_pin_fails_only_its_entry(world: World) -> None:
    world.upstream_commit("up/tool")
    missing = dataclasses.replace(LIB, variable="NOT_THERE")
    elsewhere = dataclasses.replace(LIB, variable="X", file="nope/Makefile")
    results = world.run((missing, elsewhere, TOOL))
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED, Status.BUMPED]
    assert "NOT_THERE" in results[0].message
    assert "nope/Makefile" in results[1].message


def test_entries_rendering_the_same_branch_fail_with_a_hint(world: World) -> None:
    twin = dataclasses.replace(LIB, file="other/Makefile")
    results = world.run((LIB, twin))
    assert [r.status for r in results] == [Status.FAILED] * 2
    assert "{file}" in results[0].message


def assert_converged(world: World, upstream: str) -> None:
    """One open PR whose marker, branch and title all say ``upstream`` on the current base."""
    [pr] = world.pulls()
    marker = parse_marker(pr.body)
    assert marker is not None
    assert (marker.upstream, marker.commit, marker.base) == (
        upstream,
        world.ref(TARGET, "update/LIB_VERSION"),
        world.ref(TARGET),
    )
    assert pr.title.endswith(f"`{upstream}`")
    assert [label.name for label in pr.labels] == ["dependencies"]
    text = world.base_file(rev="update/LIB_VERSION")
    assert text == world.base_file().replace(world.old["up/lib"], upstream)


# Every write of each flow. A pass killed after write k is a pass whose write k+1 never
# happens, which a fault answering 404 before the sandbox acts reproduces. The full sweep runs
# with --full; one representative of each flow runs always.
SLOW = pytest.mark.slow
CREATE_STEPS = [
    pytest.param("POST", r"/git/trees$", marks=SLOW),
    pytest.param("POST", r"/git/commits$", marks=SLOW),
    pytest.param("POST", r"/git/refs$"),
    pytest.param("POST", r"/pulls$", marks=SLOW),  # also test_crash_between_branch_and_pr_...
    pytest.param("POST", r"/labels$", marks=SLOW),
]
UPDATE_STEPS = [
    pytest.param("POST", r"/git/trees$", marks=SLOW),
    pytest.param("POST", r"/git/commits$", marks=SLOW),
    pytest.param("PATCH", r"/git/refs/heads/", marks=SLOW),
    pytest.param("PATCH", r"/pulls/\d+$"),
]
CLOSE_STEPS = [
    pytest.param("POST", r"/comments$", marks=SLOW),
    pytest.param("PATCH", r"/pulls/\d+$"),
    pytest.param("DELETE", r"/git/refs/heads/", marks=SLOW),
]


@pytest.mark.parametrize(("method", "path"), CREATE_STEPS, ids=lambda x: str(x))
def test_pass_killed_before_a_create_write_converges_next_pass(
    world: World, method: str, path: str
) -> None:
    new = world.upstream_commit()
    world.sb.add_fault(path, method=method, status=404)  # the pass dies before this write
    world.run()
    world.sb.clear_faults()
    assert one(world.run()).status in (Status.BUMPED, Status.UP_TO_DATE)
    assert_converged(world, new)
    world.sb.clear_requests()
    assert one(world.run()).status is Status.UP_TO_DATE
    assert world.writes() == []


@pytest.mark.parametrize(("method", "path"), UPDATE_STEPS, ids=lambda x: str(x))
def test_pass_killed_before_an_update_write_converges_next_pass(
    world: World, method: str, path: str
) -> None:
    world.upstream_commit()
    first = one(world.run())
    newer = world.upstream_commit(title="newer")
    world.sb.add_fault(path, method=method, status=404)
    world.run()
    world.sb.clear_faults()
    again = one(world.run())
    assert again.status in (Status.BUMPED, Status.UP_TO_DATE) and again.pr == first.pr
    assert_converged(world, newer)
    world.sb.clear_requests()
    assert one(world.run()).status is Status.UP_TO_DATE
    assert world.writes() == []


@pytest.mark.parametrize(("method", "path"), CLOSE_STEPS, ids=lambda x: str(x))
def test_pass_killed_before_a_close_write_converges_next_pass(
    world: World, method: str, path: str
) -> None:
    new = world.upstream_commit()
    world.run()
    by_hand = world.makefile.replace(world.old["up/lib"], new)
    world.store.commit_files(TARGET, "main", {"Makefile": by_hand}, "Bump lib by hand")
    world.sb.add_fault(path, method=method, status=404)
    world.run()
    world.sb.clear_faults()
    assert one(world.run()).status is Status.UP_TO_DATE
    assert world.pulls() == []
    world.sb.clear_requests()
    assert one(world.run()).status is Status.UP_TO_DATE
    assert world.writes() == []


def test_whole_pass_where_nothing_changed_is_a_fixed_handful_of_reads(world: World) -> None:
    from bumper.bump.run import run_pass
    from bumper.config.settings import LookupSettings

    world.upstream_commit("up/lib")
    world.upstream_commit("up/tool")
    config = dataclasses.replace(
        world.config,
        matrix=(LIB, TOOL),
        lookup=LookupSettings(allow_http=True),
        github=dataclasses.replace(world.config.github, token_env="SANDBOX_TOKEN"),
    )
    environ = {"SANDBOX_TOKEN": world.sb.token}
    first = run_pass(config, environ=environ)
    assert [r.status for r in first.results] == [Status.BUMPED] * 2

    world.sb.clear_requests()
    report = run_pass(config, environ=environ)
    assert [r.status for r in report.results] == [Status.UP_TO_DATE] * 2
    log = [(r["method"], r["path"]) for r in world.sb.requests()]
    assert world.writes() == []
    # upstream heads, the base head, the base files and the open PRs: one GraphQL query
    assert log == [("POST", "/api/graphql")]
    assert report.requests["rest"] == 0 and report.requests["graphql"] == 1


def test_stop_request_finishes_the_entry_under_way_and_starts_no_other(world: World) -> None:
    world.upstream_commit("up/lib")
    world.upstream_commit("up/tool")
    asked: list[int] = []

    def stop_after_first() -> bool:
        asked.append(1)
        return len(asked) > 1

    heads = {
        (e.repository, e.branch): Head(e.repository, e.branch, world.ref(e.repository))
        for e in (LIB, TOOL)
    }
    token = Secret(world.sb.token)
    with new_client(timeout=10) as client, GitHubForge.from_config(world.config, token) as forge:
        results = publish(
            world.config,
            (LIB, TOOL),
            heads,
            forge,
            client=client,
            token=token,
            should_stop=stop_after_first,
        )
    assert [(r.entry, r.status) for r in results] == [(LIB, Status.BUMPED)]
    assert [pr.head.ref for pr in world.pulls()] == ["update/LIB_VERSION"]


def test_pr_retargeted_to_another_base_is_left_alone_and_gets_no_twin(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    world.store.commit_files(TARGET, "release", {"R": "r\n"}, "release branch")
    world.gh.get_repo(TARGET).get_pull(first.pr).edit(base="release")
    pushed = world.ref(TARGET, "update/LIB_VERSION")
    world.upstream_commit(title="Later")
    world.sb.clear_requests()
    result = one(world.run())
    assert result.status is Status.SKIPPED, result.message
    assert result.pr == first.pr
    assert result.message == f"PR #{first.pr} was retargeted to release; left alone"
    assert [(pr.number, pr.base.ref) for pr in world.pulls()] == [(first.pr, "release")]
    assert world.ref(TARGET, "update/LIB_VERSION") == pushed
    # told once that upstream moved on; nothing more on the next pass
    assert world.writes() == [("POST", f"/api/v3/repos/{TARGET}/issues/{first.pr}/comments")]
    world.sb.clear_requests()
    assert one(world.run()).status is Status.SKIPPED
    assert world.writes() == []


def _amend(world: World, files: dict[str, str], *, author: tuple[str, str] | None = None) -> str:
    """What `git commit --amend` (or `cherry-pick -x`) leaves on bumper's branch: bumper's
    message and trailer kept, on the same parent, with ``files`` changed on top."""
    head = world.gh.get_repo(TARGET).get_branch("update/LIB_VERSION").commit
    text = world.base_file(rev="update/LIB_VERSION")
    return world.store.commit_files(
        TARGET,
        "update/LIB_VERSION",
        {"Makefile": text, **files},
        head.commit.message + "\n(cherry picked from commit " + head.sha + ")\n",
        parent=head.parents[0].sha,
        author=author,
    )


def test_amended_commit_keeping_the_trailer_is_a_persons_and_is_not_overwritten(
    world: World,
) -> None:
    world.upstream_commit()
    first = one(world.run())
    # a build fix folded into bumper's commit: same trailer, same parent, same author
    theirs = _amend(world, {"debian/rules": "#!/usr/bin/make -f\n"})
    world.upstream_commit(title="Later")
    world.sb.clear_requests()
    result = one(world.run())
    assert result.status is Status.SKIPPED, result.message
    assert "no longer holds bumper's commit" in result.message and result.pr == first.pr
    assert world.ref(TARGET, "update/LIB_VERSION") == theirs
    # nothing pushed; the PR is told once why
    assert world.writes() == [("POST", f"/api/v3/repos/{TARGET}/issues/{first.pr}/comments")]


def test_a_persons_copy_of_bumpers_commit_is_a_persons(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    # the very change bumper made, committed again by a person (cherry-pick -x)
    theirs = _amend(world, {}, author=("A Person", "person@example.invalid"))
    world.upstream_commit(title="Later")
    config = dataclasses.replace(
        world.config, pr=dataclasses.replace(world.config.pr, carry_commits=False)
    )
    result = one(world.run(config=config))
    assert result.status is Status.SKIPPED, result.message
    assert "edited by a person" in result.message and result.pr == first.pr
    assert world.ref(TARGET, "update/LIB_VERSION") == theirs


def test_a_branch_left_by_a_dead_pass_is_still_recognised_as_bumpers(world: World) -> None:
    world.upstream_commit()
    _rest_only(world)
    world.sb.add_fault(r"/repos/acme/app/pulls$", method="POST", status=422)
    one(world.run())
    world.sb.clear_faults()
    world.store.commit_files(TARGET, "main", {"README.md": "moved\n"}, "the base moves")
    result = one(world.run())
    assert result.status is Status.BUMPED and "reused the branch" in result.message


RULES = Entry(repository="up/lib", variable="LIB_VERSION", branch="main", file="debian/rules")


def _executable_rules(world: World) -> str:
    """debian/rules, an executable Makefile (mode 100755), committed through the REST API."""
    text = f"#!/usr/bin/make -f\nLIB_VERSION := {world.old['up/lib']}\n%:\n\tdh $@\n"
    base = world.ref(TARGET)
    with new_client(timeout=10) as http:
        api, auth = world.sb.api_url, {"Authorization": f"token {world.sb.token}"}
        tree_of = http.get(f"{api}/repos/{TARGET}/git/commits/{base}", headers=auth).json()
        entry = {"path": "debian/rules", "mode": "100755", "type": "blob", "content": text}
        tree = http.post(
            f"{api}/repos/{TARGET}/git/trees",
            headers=auth,
            json={"base_tree": tree_of["tree"]["sha"], "tree": [entry]},
        ).json()
        commit = http.post(
            f"{api}/repos/{TARGET}/git/commits",
            headers=auth,
            json={"message": "Add debian/rules", "tree": tree["sha"], "parents": [base]},
        ).json()
        moved = http.patch(
            f"{api}/repos/{TARGET}/git/refs/heads/main", headers=auth, json={"sha": commit["sha"]}
        )
        assert moved.is_success, moved.text
    return text


def _mode(world: World, rev: str, path: str) -> str:
    return world.store.git(TARGET, "ls-tree", rev, "--", path).decode().split()[0]


@pytest.mark.parametrize("read_by", ["graphql", "contents API"])
def test_an_executable_makefile_stays_executable(world: World, read_by: str) -> None:
    text = _executable_rules(world)
    assert _mode(world, "main", "debian/rules") == "100755"  # the sandbox keeps it, as git does
    new = world.upstream_commit()
    if read_by == "contents API":
        world.sb.add_fault(r"^/api/graphql$", status=502, times=-1)
    result = one(world.run([RULES]))
    assert result.status is Status.BUMPED, result.message
    assert world.base_file("debian/rules", rev="update/LIB_VERSION") == text.replace(
        world.old["up/lib"], new
    )
    assert _mode(world, "update/LIB_VERSION", "debian/rules") == "100755"


def test_an_executable_makefile_read_by_the_snapshot_stays_executable(world: World) -> None:
    _executable_rules(world)
    world.upstream_commit()
    token = Secret(world.sb.token)
    config = world.config
    with new_client(timeout=10) as client, GitHubForge.from_config(config, token) as forge:
        heads, state = read_pass(
            [RULES],
            target=TARGET,
            base="main",
            paths=["debian/rules"],
            client=client,
            github=config.github,
            lookup=config.lookup,
            token=token,
        )
        assert state is not None and "debian/rules" in state.files
        [result] = publish(
            config,
            [RULES],
            {k: v for k, v in heads.items() if isinstance(v, Head)},
            forge,
            client=client,
            token=token,
            state=state,
        )
    assert result.status is Status.BUMPED, result.message
    assert _mode(world, "update/LIB_VERSION", "debian/rules") == "100755"


def _outsider_pr(world: World, login: str, branch: str, marker_for: Entry) -> int:
    """A PR from ``login``'s fork whose body hides a marker naming ``marker_for``'s pin."""
    fork = f"{login}/app"
    if not world.store.exists(fork):
        world.store.fork(TARGET, login)
    world.store.commit_files(fork, branch, {"x": branch}, "mine", parent=world.ref(TARGET))
    sha = "1" * 40
    marker = Marker(marker_for.file, marker_for.variable, marker_for.repository, sha, sha, sha, sha)
    body = f"hello\n\n{format_marker(marker)}\n"
    with new_client(timeout=10) as http:
        opened = http.post(
            f"{world.sb.api_url}/repos/{TARGET}/pulls",
            headers={"Authorization": f"token {world.sb.token}"},
            json={"title": "mine", "head": f"{login}:{branch}", "base": "main", "body": body},
        )
    assert opened.status_code == 201, opened.text
    number = int(opened.json()["number"])
    _opened_by(world, number, login)
    return number


def _opened_by(world: World, number: int, login: str) -> None:
    """Seed who opened PR ``number`` (the sandbox has one user's token to open it with)."""
    board_of = tracker(world.store)
    with world.store.lock:
        board = board_of.board(world.store.info(TARGET).id)
        board.pulls[number].user = login
        board_of.save(board)


def test_a_fork_pr_with_bumpers_marker_does_not_block_the_pin(world: World) -> None:
    _outsider_pr(world, "mallory", "update/LIB_VERSION", LIB)  # even its branch name
    new = world.upstream_commit()
    result = one(world.run())
    assert result.status is Status.BUMPED, result.message
    mine = [pr for pr in world.pulls() if pr.user.login == "sandbox"]
    assert [(pr.head.label, pr.number) for pr in mine] == [("acme:update/LIB_VERSION", result.pr)]
    assert new in mine[0].title


def test_fork_prs_with_markers_do_not_count_towards_max_open(world: World) -> None:
    for n in range(2):
        _outsider_pr(world, "mallory", f"spam{n}", TOOL)
    world.upstream_commit()
    config = dataclasses.replace(world.config, pr=PrSettings(max_open=2))
    result = one(world.run(config=config))
    assert result.status is Status.BUMPED, result.message


def test_a_pr_from_bumpers_branch_opened_by_someone_else_is_left_alone(world: World) -> None:
    world.upstream_commit()
    first = one(world.run())
    assert first.pr is not None
    _opened_by(world, first.pr, "alice")  # as if alice had opened it from bumper's branch
    head = world.ref(TARGET, "update/LIB_VERSION")
    world.upstream_commit(title="newer")
    result = one(world.run())
    assert result.status is Status.SKIPPED, result.message
    assert result.pr == first.pr and "opened by alice" in result.message
    assert world.ref(TARGET, "update/LIB_VERSION") == head  # not pushed to
    assert [pr.number for pr in world.pulls()] == [first.pr]  # no second PR either
