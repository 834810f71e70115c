"""The sandbox's REST API driven by the real PyGithub, through the whole pull-request flow."""

from __future__ import annotations

import subprocess

import pytest
from github import Auth, Github, GithubException, InputGitTreeElement


@pytest.fixture
def gh(sandbox):
    client = Github(
        base_url=sandbox.api_url,
        auth=Auth.Token(sandbox.token),
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=None,
    )
    yield client
    client.close()


@pytest.fixture
def repo(gh):
    return gh.get_organization("acme").create_repo("widgets", auto_init=True)


def ls_remote(sandbox, full_name: str, ref: str) -> str | None:
    out = subprocess.run(
        ["git", "ls-remote", f"{sandbox.git_url}/{full_name}.git", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[0] if out else None


def commit_file(repo, branch: str, path: str, text: str, parent_branch: str = "main") -> str:
    """Blob, tree, commit and ref through the git data API, as a careful bot would."""
    parent = repo.get_git_commit(repo.get_branch(parent_branch).commit.sha)
    blob = repo.create_git_blob(text, "utf-8")
    tree = repo.create_git_tree(
        [InputGitTreeElement(path, "100644", "blob", sha=blob.sha)], base_tree=parent.tree
    )
    commit = repo.create_git_commit(f"Change {path}", tree, [parent])
    repo.create_git_ref(f"refs/heads/{branch}", commit.sha)
    return commit.sha


def test_user_and_new_repository(gh, sandbox):
    me = gh.get_user()
    assert me.login == "sandbox"
    created = me.create_repo("tools", description="handy", auto_init=True)
    assert created.full_name == "sandbox/tools"
    assert created.default_branch == "main"
    assert created.html_url == f"{sandbox.url}/sandbox/tools"
    fetched = gh.get_repo("sandbox/tools")
    assert fetched.id == created.id
    assert fetched.description == "handy"
    assert fetched.owner.login == "sandbox"


def test_creating_an_existing_repository_is_422(gh, repo):
    with pytest.raises(GithubException) as caught:
        gh.get_organization("acme").create_repo("widgets")
    assert caught.value.status == 422


def test_pull_request_flow_moves_the_base_branch(repo, sandbox):
    sha = commit_file(repo, "bump-x", "Makefile", "X?=1234\n")
    assert ls_remote(sandbox, "acme/widgets", "refs/heads/bump-x") == sha

    pull = repo.create_pull(base="main", head="bump-x", title="Bump X", body="why")
    assert pull.number == 1
    assert pull.head.sha == sha
    assert pull.mergeable is True
    assert pull.commits == 1 and pull.changed_files == 1

    found = repo.get_pulls(state="open", head="acme:bump-x")
    assert [p.number for p in found] == [1]
    assert list(repo.get_pulls(state="open", head="other:bump-x")) == []

    with pytest.raises(GithubException) as caught:
        repo.create_pull(base="main", head="bump-x", title="again")
    assert caught.value.status == 422
    assert "A pull request already exists for acme:bump-x." in str(caught.value.data)

    pull.edit(title="Bump X to 1234", body="new body")
    assert repo.get_pull(1).title == "Bump X to 1234"

    result = pull.merge(merge_method="merge")
    assert result.merged
    main = ls_remote(sandbox, "acme/widgets", "refs/heads/main")
    assert main == result.sha == sandbox.store.ref("acme/widgets", "main")
    merged = repo.get_pull(1)
    assert merged.merged and merged.state == "closed"
    assert merged.merge_commit_sha == main
    assert merged.is_merged()
    assert repo.get_contents("Makefile").decoded_content == b"X?=1234\n"


def test_head_sha_follows_the_branch(repo):
    commit_file(repo, "bump-y", "y.txt", "1\n")
    pull = repo.create_pull(base="main", head="bump-y", title="Y")
    newer = commit_file(repo, "tmp", "y.txt", "2\n")
    repo.get_git_ref("heads/bump-y").edit(newer, force=True)
    assert repo.get_pull(pull.number).head.sha == newer


def test_close_reopen_and_duplicates(repo):
    commit_file(repo, "b", "f", "1\n")
    pull = repo.create_pull(base="main", head="b", title="t")
    pull.edit(state="closed")
    assert repo.get_pull(pull.number).state == "closed"
    assert list(repo.get_pulls(state="open")) == []
    assert [p.number for p in repo.get_pulls(state="closed")] == [pull.number]
    second = repo.create_pull(base="main", head="b", title="t2")
    assert second.number == pull.number + 1
    with pytest.raises(GithubException) as caught:
        pull.edit(state="open")
    assert caught.value.status == 422


def test_pull_without_changes_or_head_is_422(repo):
    repo.create_git_ref("refs/heads/same", repo.get_branch("main").commit.sha)
    with pytest.raises(GithubException) as caught:
        repo.create_pull(base="main", head="same", title="nothing")
    assert caught.value.status == 422
    with pytest.raises(GithubException) as caught:
        repo.create_pull(base="main", head="missing", title="nothing")
    assert caught.value.status == 422


def test_conflicting_pull_is_not_mergeable(repo):
    commit_file(repo, "one", "f", "one\n")
    commit_file(repo, "two", "f", "two\n")
    first = repo.create_pull(base="main", head="one", title="1")
    second = repo.create_pull(base="main", head="two", title="2")
    first.merge()
    again = repo.get_pull(second.number)
    assert again.mergeable is False
    assert again.mergeable_state == "dirty"
    with pytest.raises(GithubException) as caught:
        again.merge()
    assert caught.value.status == 405


def test_squash_and_rebase_merges(repo, sandbox):
    commit_file(repo, "s", "s.txt", "s\n")
    commit_file(repo, "r", "r.txt", "r\n")
    squash = repo.create_pull(base="main", head="s", title="squash me")
    rebase = repo.create_pull(base="main", head="r", title="rebase me")
    squashed = squash.merge(merge_method="squash")
    commit = repo.get_commit(squashed.sha)
    assert len(commit.parents) == 1
    assert commit.commit.message.startswith(f"squash me (#{squash.number})")
    rebased = rebase.merge(merge_method="rebase")
    top = repo.get_commit(rebased.sha)
    assert [p.sha for p in top.parents] == [squashed.sha]
    files = {e.path for e in repo.get_git_tree("main", recursive=True).tree}
    assert {"s.txt", "r.txt", "README.md"} <= files


def test_comments_and_labels(repo):
    commit_file(repo, "c", "c", "1\n")
    pull = repo.create_pull(base="main", head="c", title="t")
    pull.create_issue_comment("hello")
    assert [c.body for c in pull.get_issue_comments()] == ["hello"]
    pull.add_to_labels("bump", "deps")
    assert [label.name for label in pull.get_labels()] == ["bump", "deps"]
    pull.remove_from_labels("bump")
    assert [label.name for label in repo.get_pull(pull.number).labels] == ["deps"]
    pull.set_labels("a")
    assert [label.name for label in pull.get_labels()] == ["a"]
    pull.delete_labels()
    assert list(pull.get_labels()) == []
    issue = repo.get_issue(pull.number)
    assert issue.pull_request is not None
    assert issue.comments == 1


def test_contents_get_and_put(repo):
    readme = repo.get_contents("README.md")
    assert readme.decoded_content == b"# widgets\n"
    repo.create_git_ref("refs/heads/edit", repo.get_branch("main").commit.sha)
    update = repo.update_file("README.md", "edit", "new\n", readme.sha, branch="edit")
    assert repo.get_contents("README.md", ref="edit").decoded_content == b"new\n"
    assert update["commit"].sha == repo.get_branch("edit").commit.sha
    with pytest.raises(GithubException) as caught:
        repo.update_file("README.md", "stale", "x\n", readme.sha, branch="edit")
    assert caught.value.status == 409
    created = repo.create_file("dir/new.txt", "add", "n\n", branch="edit")
    assert created["content"].path == "dir/new.txt"
    assert [c.name for c in repo.get_contents("dir", ref="edit")] == ["new.txt"]
    with pytest.raises(GithubException) as caught:
        repo.get_contents("nope.txt")
    assert caught.value.status == 404
    repo.delete_file("dir/new.txt", "rm", created["content"].sha, branch="edit")
    with pytest.raises(GithubException):
        repo.get_contents("dir/new.txt", ref="edit")


def test_compare_and_commits(repo):
    head = commit_file(repo, "cmp", "a.txt", "a\n")
    comparison = repo.compare("main", "cmp")
    assert comparison.status == "ahead"
    assert comparison.ahead_by == 1 and comparison.behind_by == 0
    assert [c.sha for c in comparison.commits] == [head]
    assert [f.filename for f in comparison.files] == ["a.txt"]
    assert repo.compare("cmp", "main").status == "behind"
    assert repo.compare("main", "main").status == "identical"
    commits = repo.get_commits(sha="cmp")
    assert [c.sha for c in commits][:1] == [head]
    assert [c.sha for c in repo.get_commits(sha="cmp", path="a.txt")] == [head]


def test_refs_fast_forward_and_delete(repo):
    main = repo.get_branch("main").commit.sha
    side = commit_file(repo, "side", "s", "1\n")
    ref = repo.get_git_ref("heads/side")
    with pytest.raises(GithubException) as caught:
        ref.edit(main)  # moving back is not a fast-forward
    assert caught.value.status == 422
    ref.edit(main, force=True)
    assert repo.get_git_ref("heads/side").object.sha == main
    with pytest.raises(GithubException) as caught:
        repo.create_git_ref("refs/heads/side", side)
    assert caught.value.status == 422
    assert {r.ref for r in repo.get_git_matching_refs("heads/")} >= {
        "refs/heads/main",
        "refs/heads/side",
    }
    ref.delete()
    with pytest.raises(GithubException):
        repo.get_git_ref("heads/side")


def test_branches_paginate(repo):
    main = repo.get_branch("main").commit.sha
    for n in range(5):
        repo.create_git_ref(f"refs/heads/b{n}", main)
    names = [b.name for b in repo.get_branches()]
    assert sorted(names) == ["b0", "b1", "b2", "b3", "b4", "main"]


def test_pulls_paginate_with_link_header(gh, repo):
    for n in range(4):
        commit_file(repo, f"p{n}", f"p{n}", "x\n")
        repo.create_pull(base="main", head=f"p{n}", title=f"p{n}")
    gh.per_page = 3
    pulls = repo.get_pulls(state="all", sort="created", direction="asc")
    assert [p.title for p in pulls] == ["p0", "p1", "p2", "p3"]


def test_renamed_repository_is_followed(gh, repo, sandbox):
    sandbox.rename("acme/widgets", "acme/gadgets")
    moved = gh.get_repo("acme/widgets")
    assert moved.full_name == "acme/gadgets"


def test_fork_and_pull_across_repositories(gh, repo, sandbox):
    fork = repo.create_fork(organization="bots")
    assert fork.full_name == "bots/widgets"
    assert fork.parent.full_name == "acme/widgets"
    sha = commit_file(fork, "from-fork", "f.txt", "f\n")
    pull = repo.create_pull(base="main", head="bots:from-fork", title="fork")
    assert pull.head.sha == sha
    assert pull.head.repo.full_name == "bots/widgets"
    assert pull.mergeable
    pull.merge()
    assert repo.get_contents("f.txt").decoded_content == b"f\n"
