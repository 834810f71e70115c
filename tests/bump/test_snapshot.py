"""A pass reads the target's state in its upstream look-up queries (bumper/snapshot.py).

The pure half is checked with answers written here; the whole against the sandbox, where the
snapshot must hold exactly what the forge's own REST and GraphQL reads give.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bumper.bump import prtext
from bumper.bump.run import run_pass
from bumper.bump.snapshot import TargetRead, read_pass, snapshot, take_target, target_field
from bumper.config.settings import Config, GitHubSettings, LookupSettings, Secret, TargetSettings
from bumper.github.forge import BaseHead, BranchInfo, CommitInfo, FileAtRef
from bumper.github.graphql import GraphQLReply, graphql_query
from bumper.github.http import new_client
from bumper.github.pygithub_forge import GitHubForge
from bumper.model import Entry, Head, Status
from bumper.sandbox.gql_parse import parse
from bumper.sandbox.pulls import tracker
from bumper.upstream import lookup_heads

BASE = "b" * 40
TREE = "c" * 40
HEAD = "d" * 40
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def _node(number: int, **extra: Any) -> dict[str, Any]:
    node = {
        "number": number,
        "url": f"http://web/acme/app/pull/{number}",
        "title": f"PR {number}",
        "body": "",
        "headRefName": f"update/V{number}",
        "headRefOid": HEAD,
        "baseRefName": "main",
        "state": "OPEN",
        "merged": False,
        "headRepositoryOwner": {"login": "acme"},
        "labels": {"totalCount": 1, "nodes": [{"name": "dependencies"}]},
    }
    return {**node, **extra}


def _first_answer(**target: Any) -> dict[str, Any]:
    """What GitHub answers to the first query of a read of Makefile and b/Makefile."""
    commit = {
        "oid": BASE,
        "tree": {"oid": TREE},
        "f0": {"mode": 0o100644, "object": {"text": "V?=1\n", "isBinary": False, "byteSize": 5}},
        "f1": None,
    }
    pulls = {"pageInfo": {"hasNextPage": False, "endCursor": "Y3Vy"}, "nodes": [_node(1)]}
    return {"t": {"base": {"target": commit}, "pulls": pulls, **target}}


def _read(**extra: Any) -> TargetRead:
    return TargetRead("acme", "app", "main", ("Makefile", "b/Makefile"), **extra)


# -- pure: the query text and what each answer does ----------------------------------------


def test_first_query_reads_the_base_and_its_files_through_that_one_commit() -> None:
    field = target_field(_read())
    assert field is not None
    parse(graphql_query([field]))  # a document GitHub's grammar accepts
    assert 'base: ref(qualifiedName: "refs/heads/main")' in field
    assert 'f0: file(path: "Makefile")' in field and 'f1: file(path: "b/Makefile")' in field
    assert "object(expression:" not in field  # no file read by branch name: it could move
    assert "pullRequests(states: OPEN, first: 100, after: null" in field  # any base


def test_later_queries_name_the_base_sha_and_the_next_page_of_prs() -> None:
    read = _read(per_query=1)
    answer = _first_answer()
    del answer["t"]["base"]["target"]["f1"]  # per_query=1: only f0 was asked
    answer["t"]["pulls"]["pageInfo"]["hasNextPage"] = True
    read = take_target(read, GraphQLReply(answer))
    assert read.base == BaseHead(BASE, TREE)
    field = target_field(read)
    assert field is not None
    parse(graphql_query([field]))
    # through Commit.file by the base's sha, which also gives the file's mode
    assert f'f1: object(oid: "{BASE}") {{ ... on Commit {{ file: file(path: "b/Makefile")' in field
    assert "mode" in field
    assert 'after: "Y3Vy"' in field and "base:" not in field


def test_a_whole_read_gives_the_base_files_and_prs_newest_first() -> None:
    read = take_target(_read(per_query=1), GraphQLReply(_first_answer()))
    second = {
        "t": {
            "f1": {
                "file": {
                    "mode": 0o100755,  # GraphQL's TreeEntry.mode is a number
                    "object": {"text": "W?=2\n", "isBinary": False, "byteSize": 5},
                }
            },
            "pulls": {
                "pageInfo": {"hasNextPage": False, "endCursor": None},
                "nodes": [_node(2, body="text", labels=None)],
            },
        }
    }
    read = dataclasses.replace(read, pulls_done=False, cursor="Y3Vy")
    read = take_target(read, GraphQLReply(second))
    assert target_field(read) is None
    state = snapshot(read)
    assert state is not None
    assert state.files == {
        "Makefile": FileAtRef("Makefile", BASE, "V?=1\n"),
        "b/Makefile": FileAtRef("b/Makefile", BASE, "W?=2\n", mode="100755"),
    }
    assert [(p.number, p.body, p.labels) for p in state.pulls] == [
        (2, "text", ()),
        (1, "", ("dependencies",)),
    ]
    assert state.pulls[1].head_owner == "acme" and state.pulls[1].state == "open"


def test_a_file_null_because_of_an_error_is_left_for_the_forge_not_called_missing() -> None:
    answer = _first_answer()
    answer["t"]["base"]["target"]["f0"] = None
    error = {"type": "UNPROCESSABLE", "path": ["t", "base", "target", "f0"], "message": "10mb"}
    state = snapshot(take_target(_read(), GraphQLReply(answer, (error,))))
    assert state is not None
    assert state.files == {"b/Makefile": FileAtRef("b/Makefile", BASE, None)}  # truly missing


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda t: t.update(base=None), "no usable head of branch main"),
        (lambda t: t["base"]["target"].update(oid="not-a-sha"), "no usable head"),
        (
            lambda t: t["pulls"]["nodes"].append(
                _node(7, labels={"totalCount": 101, "nodes": [{"name": "x"}] * 100})
            ),
            "more than 100 labels",
        ),
        (lambda t: t["pulls"]["nodes"].append({"number": 8}), "open PRs: not a pull request"),
        (lambda t: t["pulls"]["pageInfo"].update(hasNextPage=True, endCursor=None), "move on"),
        (lambda t: t.update(pulls=None), "no usable listing of open PRs"),
    ],
)
def test_an_answer_that_cannot_be_believed_gives_no_snapshot(change: Any, why: str) -> None:
    answer = _first_answer()
    change(answer["t"])
    read = take_target(_read(), GraphQLReply(answer))
    assert read.failed is not None and why in read.failed
    assert target_field(read) is None and snapshot(read) is None


def test_a_failed_query_or_a_missing_repository_gives_no_snapshot() -> None:
    down = take_target(_read(), GraphQLReply(None, problem="HTTP 502 after 4 attempts"))
    assert down.failed == "HTTP 502 after 4 attempts" and snapshot(down) is None
    error = {"type": "NOT_FOUND", "path": ["t"], "message": "Could not resolve"}
    gone = take_target(_read(), GraphQLReply({"t": None}, (error,)))
    assert gone.failed == "acme/app: NOT_FOUND: Could not resolve"


def _branch_answer(oid: str, message: str, parents: list[str]) -> dict[str, Any]:
    nodes = [{"oid": p} for p in parents]
    return {
        "target": {
            "oid": oid,
            "message": message,
            "parents": {"totalCount": len(nodes), "nodes": nodes},
        }
    }


def _closed(*nodes: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    return {"totalCount": len(nodes) if total is None else total, "nodes": list(nodes)}


def _closed_node(body: str, *, merged: bool = False, owner: str = "acme") -> dict[str, Any]:
    return {"merged": merged, "body": body, "headRepositoryOwner": {"login": owner}}


def test_the_first_query_also_reads_each_pr_branch_and_its_closed_prs() -> None:
    field = target_field(_read(heads=("update/A", "update/B")))
    assert field is not None
    parse(graphql_query([field]))
    assert 'b0: ref(qualifiedName: "refs/heads/update/A")' in field
    assert 'b1: ref(qualifiedName: "refs/heads/update/B")' in field
    assert 'c1: pullRequests(states: CLOSED, headRefName: "update/B", first: 20' in field


def test_pr_branches_and_closed_prs_come_from_the_answer_or_are_left_for_publish() -> None:
    heads = ("update/A", "update/B", "update/C", "update/D")
    answer = _first_answer(
        b0=_branch_answer(HEAD, "Bump\n\nBumper-Pin: A x Makefile", [BASE]),
        b1=None,  # no such branch
        b2=None,  # null because of an error: not known
        b3={"target": {"oid": HEAD, "message": "m", "parents": _closed(total=3)}},
        c0=_closed(
            _closed_node("mine"),
            _closed_node("merged", merged=True),
            _closed_node("a fork's", owner="someone"),
        ),
        c1=_closed(),
        c2=_closed(_closed_node("x"), total=21),  # more than were read: not known
    )
    error = {"type": "SERVICE_UNAVAILABLE", "path": ["t", "b2"], "message": "timeout"}
    state = snapshot(take_target(_read(heads=heads), GraphQLReply(answer, (error,))))
    assert state is not None
    assert state.branches == {
        "update/A": BranchInfo(
            "update/A", CommitInfo(HEAD, "Bump\n\nBumper-Pin: A x Makefile", (BASE,))
        ),
        "update/B": None,
    }
    assert state.closed == {"update/A": ("mine",), "update/B": ()}


# -- against the sandbox -------------------------------------------------------------------


class Target:
    """Upstream up/lib with branches b0..b{n-1}; acme/app pinning one per Makefile."""

    def __init__(self, sb: Any, n: int) -> None:
        self.sb, self.store, self.n = sb, sb.store, n
        self.store.create_repo("up", "lib", auto_init=True)
        self.old = self.store.ref("up/lib", "main")
        self.new = self.store.commit_files("up/lib", "main", {"x": "1\n"}, "Improve things")
        self._branches("up/lib", {f"b{i}": self.new for i in range(n)})
        self.entries = [
            Entry("up/lib", f"LIB{i:03d}_VERSION", f"b{i}", f"backend/lib{i:03d}/Makefile")
            for i in range(n)
        ]
        self.store.create_repo("acme", "app", auto_init=True)
        self.base = self.store.commit_files(
            "acme/app",
            "main",
            {e.file: f"{e.variable}?={self.old}\n\nall:\n\ttrue\n" for e in self.entries},
            "Add pins",
        )
        self.config = Config(
            path=Path("bumper.yaml"),
            github=GitHubSettings(
                api_url=sb.api_url,
                git_url=sb.git_url,
                web_url=sb.url,
                token_env="SNAPSHOT_TOKEN",
                seconds_between_requests=0,
                seconds_between_writes=0,
            ),
            target=TargetSettings(repository="acme/app"),
            lookup=LookupSettings(allow_http=True, backoff_seconds=0),
            matrix=tuple(self.entries),
        )
        self.rest = httpx.Client(
            base_url=sb.api_url, headers={"Authorization": f"token {sb.token}"}, timeout=30
        )

    def close(self) -> None:
        self.rest.close()

    def _branches(self, repository: str, heads: dict[str, str]) -> None:
        lines = "".join(f"update refs/heads/{name} {sha}\n" for name, sha in heads.items())
        self.store.git(repository, "update-ref", "--stdin", input=lines.encode())

    def open_bumper_prs(self) -> None:
        """An up-to-date bumper PR for every pin, as a first pass would have left them."""
        commit = self.store.commit_files("acme/app", "scratch", {"y": "1\n"}, "c", parent=self.base)
        pr = self.config.pr
        branches = {prtext.render_branch(pr, e): e for e in self.config.matrix}
        self._branches("acme/app", dict.fromkeys(branches, commit))
        for branch, entry in branches.items():
            marker = prtext.Marker(
                entry.file, entry.variable, entry.repository, self.new, self.old, self.base, commit
            )
            body = prtext.render_body(
                pr, entry, marker, compare_url=None, commits=None, ahead_by=None
            )
            title = prtext.render_title(pr, entry, self.old, self.new)
            reply = self.rest.post(
                "/repos/acme/app/pulls",
                json={"title": title, "head": branch, "base": "main", "body": body},
            )
            assert reply.status_code == 201, reply.text
            number = reply.json()["number"]
            assert self.rest.post(
                f"/repos/acme/app/issues/{number}/labels", json={"labels": list(pr.labels)}
            ).is_success

    def run(self) -> Any:
        return run_pass(self.config, environ={"SNAPSHOT_TOKEN": self.sb.token})

    def api_requests(self) -> list[tuple[str, str]]:
        return [
            (r["method"], r["path"]) for r in self.sb.requests() if r["path"].startswith("/api/")
        ]


@pytest.fixture
def small(sandbox: Any) -> Iterator[Target]:
    t = Target(sandbox, 3)
    yield t
    t.close()


def test_the_snapshot_holds_exactly_what_the_forge_reads(small: Target) -> None:
    store = small.store
    small.open_bumper_prs()
    store.commit_files("acme/app", "main", {"bin/Makefile": b"\x00\x01"}, "binary")
    store.fork("acme/app", "sandbox")
    store.commit_files(
        "sandbox/app", "fix", {"f": "f\n"}, "fix", parent=store.ref("acme/app", "main")
    )
    forked = small.rest.post(
        "/repos/acme/app/pulls", json={"title": "fork", "head": "sandbox:fix", "base": "main"}
    )
    assert forked.status_code == 201, forked.text
    assert small.rest.post("/repos/acme/app/issues/2/labels", json={"labels": ["a b"]}).is_success
    assert small.rest.patch("/repos/acme/app/pulls/3", json={"state": "closed"}).is_success
    store.commit_files("acme/app", "update/LIB000_VERSION", {"z": "z\n"}, "a person's commit")
    paths = [e.file for e in small.entries] + ["bin/Makefile", "no/such/Makefile"]
    token = Secret(small.sb.token)
    config = small.config
    branches = [prtext.render_branch(config.pr, e) for e in small.entries] + ["no/such"]
    with new_client(timeout=10) as client, GitHubForge.from_config(config, token) as forge:
        heads, state = read_pass(
            small.entries,
            target="acme/app",
            base="main",
            paths=paths,
            client=client,
            github=config.github,
            lookup=config.lookup,
            token=token,
            branches=branches,
        )
        assert state is not None
        assert state.branches == {b: forge.branch(b) for b in branches}
        assert state.closed == {
            b: tuple(p.body for p in forge.closed_pulls(b) if not p.merged) for b in branches
        }
        base = forge.base_head()
        assert state.base == base
        assert state.files == forge.read_files(base.sha, paths)
        # the REST listing has no mergeable; GraphQL's is the one GET /pulls/{n} answers
        assert tuple(dataclasses.replace(p, mergeable="") for p in state.pulls) == tuple(
            forge.open_pulls()
        )
        assert {p.number: p.mergeable for p in state.pulls} == {
            p.number: forge.mergeable(p.number) for p in state.pulls
        }
        assert heads == lookup_heads(
            small.entries, client=client, github=config.github, lookup=config.lookup, token=token
        )
    assert {p.number for p in state.pulls} == {1, 2, 4}
    assert len(state.closed[branches[2]]) == 1 and state.branches["no/such"] is None
    assert state.files["bin/Makefile"].binary and state.files["no/such/Makefile"].text is None
    assert all(isinstance(h, Head) for h in heads.values())


def test_a_target_not_readable_this_way_is_read_by_the_forge_as_before(small: Target) -> None:
    small.open_bumper_prs()
    labels = [f"l{i}" for i in range(101)]  # more than one GraphQL page of labels
    assert small.rest.post("/repos/acme/app/issues/1/labels", json={"labels": labels}).is_success
    small.sb.clear_requests()
    report = small.run()
    assert [r.status for r in report.results] == [Status.UP_TO_DATE] * 3
    assert [r.pr for r in report.results] == [1, 2, 3]
    assert small.api_requests() == [
        ("POST", "/api/graphql"),  # heads, and the target until the PR with 101 labels
        ("GET", "/api/v3/repos/acme/app/branches/main"),
        ("POST", "/api/graphql"),
        ("GET", "/api/v3/repos/acme/app/pulls"),
        ("GET", "/api/v3/user"),  # which open PRs are bumper's
    ]


def test_nothing_changed_over_250_pins_with_open_prs_costs_3_requests_and_no_write(
    sandbox: Any,
) -> None:
    world = Target(sandbox, 250)
    try:
        world.open_bumper_prs()
        sandbox.clear_requests()
        report = world.run()
    finally:
        world.close()
    assert [r.status for r in report.results] == [Status.UP_TO_DATE] * 250
    assert {r.pr for r in report.results} == set(range(1, 251))
    api = world.api_requests()
    assert not [r for r in api if r[0] in WRITES and r[1] != "/api/graphql"]
    # ceil(250 / 100) queries, each with heads, base files and a page of PRs; the issue's
    # budget is 6 here (15 at 1,000 pins)
    assert api == [("POST", "/api/graphql")] * 3
    assert report.requests["graphql"] == 3 and report.requests["rest"] == 0


def test_git_hosted_upstreams_still_read_the_target_in_one_query(small: Target) -> None:
    # the same repository by another host name: not the configured GitHub, so git smart HTTP
    elsewhere = small.sb.git_url.replace("127.0.0.1", "localhost") + "/up/lib.git"
    entries = tuple(dataclasses.replace(e, repository=elsewhere) for e in small.entries)
    small.config = dataclasses.replace(small.config, matrix=entries)
    small.open_bumper_prs()
    small.sb.clear_requests()
    report = small.run()
    assert [r.status for r in report.results] == [Status.UP_TO_DATE] * 3
    assert small.api_requests() == [("POST", "/api/graphql")]
    assert report.requests["git"] == 1


def _rest_reads(api: list[tuple[str, str]]) -> list[str]:
    return [path for method, path in api if method == "GET"]


def test_opening_n_new_prs_costs_two_reads_and_four_writes_each(sandbox: Any) -> None:
    world = Target(sandbox, 4)
    try:
        sandbox.clear_requests()
        report = world.run()
        api = world.api_requests()
        kinds = [r.get("graphql") for r in sandbox.requests() if r["path"] == "/api/graphql"]
    finally:
        world.close()
    assert [r.status for r in report.results] == [Status.BUMPED] * 4
    # heads, base, files, open PRs, PR branches, closed PRs, the repository's id; then the
    # upstream commits of all four PR bodies; then each PR's branch and PR in one document
    assert kinds == ["query", "query"] + ["mutation"] * 4
    rest = [r for r in api if r[1] != "/api/graphql"]
    assert _rest_reads(rest) == []  # no compare per PR
    writes = [r for r in rest if r[0] in WRITES]
    assert len(writes) == 4 * 3 and len(rest) == 4 * 3  # tree, commit, labels


def test_rules_6_and_8_hold_when_the_snapshot_says_what_the_branches_hold(small: Target) -> None:
    first = small.run()
    assert [r.status for r in first.results] == [Status.BUMPED] * 3
    # rule 6: PR #1 is closed without merging; rule 8: PR #2 closed and its branch kept,
    # as a pass that died before opening it would leave it (its marker says superseded)
    assert small.rest.patch("/repos/acme/app/pulls/1", json={"state": "closed"}).is_success
    for number in (2, 3):
        body = small.rest.get(f"/repos/acme/app/pulls/{number}").json()["body"]
        marker = prtext.parse_marker(body)
        assert marker is not None
        superseded = prtext.replace_marker(body, dataclasses.replace(marker, superseded=True))
        closed = small.rest.patch(
            f"/repos/acme/app/pulls/{number}", json={"state": "closed", "body": superseded}
        )
        assert closed.is_success
    # rule 5 too: a person's commit on PR #3's branch, now without a PR
    small.store.commit_files("acme/app", "update/LIB002_VERSION", {"z": "z\n"}, "mine")
    small.sb.clear_requests()
    again = small.run()
    assert [r.status for r in again.results] == [Status.SKIPPED, Status.BUMPED, Status.SKIPPED]
    assert "closed without merging" in again.results[0].message
    assert "from the existing branch" in again.results[1].message
    assert "by a person" in again.results[2].message
    api = small.api_requests()
    kept = small.store.ref("acme/app", "update/LIB001_VERSION")
    # its head carries bumper's trailer: one read of what it changed proves it is bumper's
    # (the account rode the GraphQL query)
    # (the PR body's commits come from one GraphQL query for the pass)
    assert _rest_reads(api) == [f"/api/v3/repos/acme/app/commits/{kept}"]
    # the kept branch is opened as it is: no commit, no branch write
    assert sorted(method for method, path in api if path != "/api/graphql") == [
        "GET",
        "POST",
        "POST",
    ]


def test_a_branch_with_more_closed_prs_than_the_snapshot_reads_is_looked_up_over_rest(
    small: Target,
) -> None:
    first = small.run()
    assert [r.status for r in first.results] == [Status.BUMPED] * 3
    branch = prtext.render_branch(small.config.pr, small.entries[0])
    assert small.rest.patch("/repos/acme/app/pulls/1", json={"state": "closed"}).is_success
    for n in range(20):  # a person's PRs from that branch, all closed after #1
        reply = small.rest.post(
            "/repos/acme/app/pulls", json={"title": f"t{n}", "head": branch, "base": "main"}
        )
        assert reply.status_code == 201, reply.text
        closed = small.rest.patch(
            f"/repos/acme/app/pulls/{reply.json()['number']}", json={"state": "closed"}
        )
        assert closed.is_success
    small.sb.clear_requests()
    again = small.run()
    assert again.results[0].status is Status.SKIPPED
    assert "closed without merging" in again.results[0].message
    assert _rest_reads(small.api_requests()) == ["/api/v3/repos/acme/app/pulls"]


def test_a_pr_retargeted_to_another_base_is_seen_by_the_snapshot_and_left_alone(
    small: Target,
) -> None:
    small.open_bumper_prs()
    small.store.commit_files("acme/app", "release", {"r": "r\n"}, "release", parent=small.base)
    assert small.rest.patch("/repos/acme/app/pulls/2", json={"base": "release"}).is_success
    newer = small.store.commit_files("up/lib", "main", {"x": "2\n"}, "Newer")
    small._branches("up/lib", {f"b{i}": newer for i in range(small.n)})
    small.sb.clear_requests()
    report = small.run()
    assert [r.status for r in report.results] == [Status.BUMPED, Status.SKIPPED, Status.BUMPED]
    assert report.results[1].message == "PR #2 was retargeted to release; left alone"
    listed = small.rest.get("/repos/acme/app/pulls", params={"state": "open"}).json()
    assert sorted(p["number"] for p in listed) == [1, 2, 3]
    writes = [r for r in small.api_requests() if r[0] in WRITES and r[1] != "/api/graphql"]
    assert not [w for w in writes if "LIB001" in w[1] or w[1].endswith("/pulls/2")]


def test_a_pr_node_gives_its_author_as_rest_does_and_its_head_repository() -> None:
    bot = {"__typename": "Bot", "login": "bumper-app"}  # GraphQL drops the [bot]
    node = _node(1, author=bot, headRepository={"nameWithOwner": "acme/app"})
    read = take_target(_read(), GraphQLReply(_first_answer(pulls=_page([node]))))
    state = snapshot(read)
    assert state is not None
    [pr] = state.pulls
    assert (pr.author, pr.head_repo) == ("bumper-app[bot]", "acme/app")
    gone = _node(1, author=None, headRepository=None)  # a deleted account, a deleted fork
    state = snapshot(take_target(_read(), GraphQLReply(_first_answer(pulls=_page([gone])))))
    assert state is not None and (state.pulls[0].author, state.pulls[0].head_repo) == ("", "")


def _page(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}


def test_a_fork_pr_with_a_marker_does_not_block_a_pin_read_by_the_snapshot(
    small: Target,
) -> None:
    store = small.store
    entry = small.entries[0]
    store.fork("acme/app", "mallory")
    branch = prtext.render_branch(small.config.pr, entry)
    store.commit_files("mallory/app", branch, {"x": "x"}, "x", parent=store.ref("acme/app", "main"))
    sha = "1" * 40
    marker = prtext.Marker(entry.file, entry.variable, entry.repository, sha, sha, sha, sha)
    opened = small.rest.post(
        "/repos/acme/app/pulls",
        json={
            "title": "mine",
            "head": f"mallory:{branch}",
            "base": "main",
            "body": prtext.format_marker(marker),
        },
    )
    assert opened.status_code == 201, opened.text
    board_of = tracker(store)
    with store.lock:  # seed who opened it: the sandbox has one user's token to open it with
        board = board_of.board(store.info("acme/app").id)
        board.pulls[opened.json()["number"]].user = "mallory"
        board_of.save(board)
    report = small.run()
    first = report.results[0]
    assert first.status is Status.BUMPED, first.message
    assert first.pr != opened.json()["number"]
