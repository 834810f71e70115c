"""ls-refs answered without git: byte for byte what ``git upload-pack`` answers, or git answers.

Each repository state below is asked every combination of ls-refs arguments, once through
the sandbox's own answer and once through ``git http-backend`` on the same repository; the
two must be equal, and for the plain states the sandbox's answer must be its own (else the
fast path could silently never run). Real git clients then list and fetch through it, and a
read after each kind of write sees the write.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bumper.sandbox import git_http
from bumper.sandbox.http import Request
from bumper.sandbox.seed import advance_upstream
from bumper.sandbox.store import Store

REPO = "up/lib"
HEADERS = {"git-protocol": "version=2", "content-type": git_http.UPLOAD_PACK_REQUEST}


def pkt(line: str) -> bytes:
    data = line.encode()
    return f"{len(data) + 4:04x}".encode() + data


def body(args: list[str], caps: tuple[str, ...] = ("object-format=sha1",)) -> bytes:
    head = pkt("command=ls-refs\n") + b"".join(pkt(f"{c}\n") for c in caps)
    return head + b"0001" + b"".join(pkt(f"{a}\n") for a in args) + b"0000"


def request(data: bytes, headers: dict[str, str] | None = None) -> Request:
    return Request(
        "POST",
        f"/{REPO}.git/git-upload-pack",
        {},
        dict(HEADERS if headers is None else headers),
        data,
        "http://127.0.0.1",
    )


def by_git(store: Store, req: Request) -> tuple[int, bytes, dict[str, str]]:
    answer = git_http.run_backend(store, req, f"/{REPO}.git/git-upload-pack", req.body)
    return answer.status, answer.body, answer.headers


def by_sandbox(store: Store, req: Request) -> tuple[int, bytes, dict[str, str]] | None:
    answer = git_http.answer_ls_refs(store.repo_dir(REPO), req, req.body)
    return None if answer is None else (answer.status, answer.body, answer.headers)


PREFIXES = [
    [],
    ["refs/heads/main"],
    ["refs/heads/main", "refs/heads/nope", "refs/heads/main"],
    ["refs/heads/"],
    ["refs/heads/ma"],
    ["refs/tags/"],
    ["refs/tags/", "refs/heads/a"],
    ["HEAD"],
    ["H", "refs/heads/dev"],
    ["refs/"],
    [""],
]
FLAGS = [
    [f for f, on in zip(("peel", "symrefs", "unborn"), bits, strict=True) if on]
    for bits in itertools.product((False, True), repeat=3)
]
ASKS = [
    body([*flags, *(f"ref-prefix {p}" for p in prefixes)])
    for flags, prefixes in itertools.product(FLAGS, PREFIXES)
] + [
    body(["peel", "ref-prefix refs/heads/main"], caps=()),
    body(["symrefs", "ref-prefix HEAD"], caps=("agent=git/2.99.0", "object-format=sha1")),
]


def git(store: Store, *args: str) -> str:
    return store.git(REPO, *args).decode().strip()


def _branches(store: Store) -> None:
    """Branches whose names sort differently by bytes and by path (a-b, a/c, a.b, a0)."""
    main = store.commit_files(REPO, "main", {"a.txt": "one\n"}, "first")
    for name in ("dev", "main-old", "a-b", "a/c", "a.b", "a0", "feature/x/y"):
        git(store, "update-ref", f"refs/heads/{name}", main)
    store.commit_files(REPO, "dev", {"d.txt": "dev\n"}, "dev work")


def _tags(store: Store) -> None:
    _branches(store)
    main = git(store, "rev-parse", "main")
    git(store, "tag", "light", main)
    git(store, "tag", "-a", "-m", "annotated", "v1", main)
    git(store, "tag", "-a", "-m", "a tag of a tag", "v1-signed", "v1")
    git(store, "tag", "-a", "-m", "a tree", "tree-tag", f"{main}^{{tree}}")


def _detached(store: Store) -> None:
    _tags(store)
    # at the annotated tag itself (update-ref refuses that; git reads it), so HEAD peels
    (store.repo_dir(REPO) / "HEAD").write_text(git(store, "rev-parse", "v1") + "\n")


def _head_on_missing_branch(store: Store) -> None:
    _branches(store)
    git(store, "symbolic-ref", "HEAD", "refs/heads/gone")


def _packed_refs_loose_objects(store: Store) -> None:
    """Refs packed (objects still loose), then one branch moved: its loose file wins."""
    _tags(store)
    git(store, "pack-refs", "--all")
    store.commit_files(REPO, "dev", {"d.txt": "moved after packing\n"}, "after pack")
    git(store, "update-ref", "-d", "refs/heads/a0")


PLAIN: dict[str, Callable[[Store], None]] = {
    "empty": lambda store: None,
    "branches": _branches,
    "tags": _tags,
    "detached HEAD": _detached,
    "HEAD on a missing branch": _head_on_missing_branch,
    "packed refs": _packed_refs_loose_objects,
}


def _gc(store: Store) -> None:
    _tags(store)
    git(store, "gc", "--quiet")


def _broken_ref(store: Store) -> None:
    _branches(store)
    path = store.repo_dir(REPO) / "refs" / "heads" / "broken"
    path.write_text("1" * 40 + "\n")


# The sandbox lists these refs, but cannot peel what is not a loose object: asks with
# ``peel`` go to git.
UNPEELED: dict[str, Callable[[Store], None]] = {
    "objects packed by gc": _gc,
    "a ref to a missing object": _broken_ref,
}


def _symref_below_refs(store: Store) -> None:
    _branches(store)
    git(store, "symbolic-ref", "refs/heads/alias", "refs/heads/main")


def _hidden_refs(store: Store) -> None:
    _tags(store)
    git(store, "config", "transfer.hideRefs", "refs/tags/v1")


def _odd_name(store: Store) -> None:
    _branches(store)
    git(store, "update-ref", "refs/heads/caf\u00e9", git(store, "rev-parse", "main"))


GIT_ANSWERS: dict[str, Callable[[Store], None]] = {
    "a symbolic ref below refs/": _symref_below_refs,
    "hidden refs": _hidden_refs,
    "a ref name outside the plain set": _odd_name,
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "sandbox")
    store.create_repo("up", "lib")
    return store


@pytest.mark.parametrize("state", PLAIN)
def test_sandbox_answers_ls_refs_as_upload_pack_does(store, state):
    PLAIN[state](store)
    for data in ASKS:
        req = request(data)
        assert by_sandbox(store, req) == by_git(store, req), data


@pytest.mark.parametrize("state", UNPEELED)
def test_refs_it_cannot_peel_are_listed_and_peeled_by_git(store, state):
    UNPEELED[state](store)
    declined = 0
    for data in ASKS:
        req = request(data)
        mine = by_sandbox(store, req)
        if mine is None:
            assert b"peel" in data, data
            declined += 1
        handled = git_http.handle(store, req)
        assert (handled.status, handled.body, handled.headers) == by_git(store, req), data
        assert mine is None or mine == by_git(store, req), data
    assert declined


@pytest.mark.parametrize("state", GIT_ANSWERS)
def test_what_the_sandbox_does_not_read_as_git_does_is_left_to_git(store, state):
    GIT_ANSWERS[state](store)
    for data in ASKS:
        req = request(data)
        assert by_sandbox(store, req) is None, data
        handled = git_http.handle(store, req)
        assert (handled.status, handled.body, handled.headers) == by_git(store, req)


def test_hidden_refs_are_left_out_by_git(store):
    """Guard for the test above: the setting it leaves to git does change the listing."""
    _branches(store)
    git(store, "config", "transfer.hideRefs", "refs/heads/dev")
    _, listed, _ = by_git(store, request(body(["ref-prefix refs/heads/"])))
    assert b"refs/heads/dev\n" not in listed and b"refs/heads/main\n" in listed


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        (pkt("command=fetch\n") + b"0001" + pkt("done\n") + b"0000", HEADERS),
        (body(["peel", "unknown-argument"]), HEADERS),
        (body(["peel"], caps=("object-format=sha256",)), HEADERS),
        (body(["peel"], caps=("session-id=abc",)), HEADERS),
        (body(["peel"]) + b"0000", HEADERS),  # something after the flush
        (body(["peel"])[:-4], HEADERS),  # no flush
        (pkt("command=ls-refs\n") + b"0000", HEADERS),  # no delim
        (body(["peel"]), {**HEADERS, "git-protocol": "version=1"}),
        (body(["peel"]), {"content-type": git_http.UPLOAD_PACK_REQUEST}),
        (body(["peel"]), {**HEADERS, "content-type": "text/plain"}),
        (b"00zzcommand=ls-refs", HEADERS),
    ],
)
def test_requests_it_does_not_answer_reach_git(store, data, headers):
    _tags(store)
    req = request(data, headers)
    assert by_sandbox(store, req) is None
    handled = git_http.handle(store, req)
    assert (handled.status, handled.body, handled.headers) == by_git(store, req)


# -- real git clients over HTTP ----------------------------------------------------------


def run_git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=os.environ
    ).stdout


@pytest.fixture
def served(sandbox):
    sandbox.store.create_repo("up", "lib")
    _tags(sandbox.store)
    return sandbox


@pytest.mark.parametrize(
    ("flags", "names"),
    [
        ([], []),
        (["--symref"], []),
        (["--heads"], []),
        (["--tags"], []),
        (["--symref"], ["HEAD"]),
        ([], ["main", "v1"]),
        ([], ["refs/heads/a*"]),
    ],
)
def test_git_ls_remote_over_http_lists_what_it_lists_from_the_repository(served, flags, names):
    local = str(served.store.repo_dir(REPO))
    url = f"{served.git_url}/{REPO}.git"
    over_http = run_git("-c", "protocol.version=2", "ls-remote", *flags, url, *names)
    direct = run_git("-c", "protocol.version=2", "ls-remote", *flags, local, *names)
    assert over_http == direct
    assert over_http  # something was listed


def test_git_clients_ls_refs_is_answered_without_http_backend(served, tmp_path, monkeypatch):
    """ls-remote's and clone's ls-refs never reach http-backend; the capability
    advertisement and the pack negotiation still do."""
    reached: list[str] = []
    real = git_http.run_backend

    def watched(store, req, path_info, data):
        reached.append(f"{req.method} {path_info} {data[:20]!r}")
        return real(store, req, path_info, data)

    monkeypatch.setattr(git_http, "run_backend", watched)
    url = f"{served.git_url}/{REPO}.git"
    listed = run_git("-c", "protocol.version=2", "ls-remote", url, "main")
    assert listed.split() == [git(served.store, "rev-parse", "main"), "refs/heads/main"]
    clone = tmp_path / "clone"
    run_git("-c", "protocol.version=2", "clone", "-q", url, str(clone))
    assert (clone / "a.txt").read_text() == "one\n"
    assert not [r for r in reached if "command=ls-refs" in r]
    assert [r for r in reached if "command=fetch" in r]  # the pack still comes from git
    assert [r for r in reached if r.startswith("GET")]


def test_fetch_over_protocol_v2_gets_new_commits(served, tmp_path):
    url = f"{served.git_url}/{REPO}.git"
    clone = tmp_path / "clone"
    run_git("-c", "protocol.version=2", "clone", "-q", url, str(clone))
    new = advance_upstream(served.store, REPO, "main", 2)
    run_git("-c", "protocol.version=2", "fetch", "-q", "origin", cwd=clone)
    assert run_git("rev-parse", "origin/main", cwd=clone).strip() == new


# -- a read after each kind of write sees it ------------------------------------------------


def ls_refs_over_http(sandbox, prefix: str, repo: str = REPO) -> dict[str, str]:
    with httpx.Client() as client:
        reply = client.post(
            f"{sandbox.git_url}/{repo}.git/git-upload-pack",
            content=body(["peel", f"ref-prefix {prefix}"]),
            headers={"Git-Protocol": "version=2", "Content-Type": git_http.UPLOAD_PACK_REQUEST},
        )
    assert reply.status_code == 200
    lines = []
    data = reply.content
    while data[:4] != b"0000":
        size = int(data[:4], 16)
        lines.append(data[4:size].decode().rstrip("\n"))
        data = data[size:]
    return {line.split()[1]: line.split()[0] for line in lines}


def test_ls_refs_after_a_push_sees_the_pushed_commit(served, tmp_path):
    url = f"{served.git_url}/{REPO}.git"
    clone = tmp_path / "clone"
    run_git("clone", "-q", url, str(clone))
    (clone / "b.txt").write_text("pushed\n")
    run_git("add", "b.txt", cwd=clone)
    run_git("commit", "-q", "-m", "pushed", cwd=clone)
    pushed = run_git("rev-parse", "HEAD", cwd=clone).strip()
    before = ls_refs_over_http(served, "refs/heads/main")["refs/heads/main"]
    assert before != pushed
    auth = url.replace("http://", f"http://x:{served.token}@")
    run_git("push", "-q", auth, "HEAD:main", "HEAD:refs/heads/new-branch", cwd=clone)
    after = ls_refs_over_http(served, "refs/heads/")
    assert after["refs/heads/main"] == pushed
    assert after["refs/heads/new-branch"] == pushed


def test_ls_refs_after_rest_writes_sees_them(served):
    store = served.store
    main = git(store, "rev-parse", "main")
    headers = {"Authorization": f"token {served.token}"}
    api = f"{served.api_url}/repos/{REPO}/git/refs"
    with httpx.Client(headers=headers) as client:
        created = client.post(api, json={"ref": "refs/heads/made-by-rest", "sha": main})
        assert created.status_code == 201
        assert ls_refs_over_http(served, "refs/heads/made")["refs/heads/made-by-rest"] == main
        moved = store.commit_files(REPO, "made-by-rest", {"c.txt": "c\n"}, "moved")
        assert ls_refs_over_http(served, "refs/heads/made")["refs/heads/made-by-rest"] == moved
        gone = client.delete(f"{api}/heads/made-by-rest")
        assert gone.status_code == 204
    assert ls_refs_over_http(served, "refs/heads/made") == {}


def test_ls_refs_after_a_rename_answers_at_the_new_name(served):
    main = git(served.store, "rev-parse", "main")
    served.rename(REPO, "up/renamed")
    assert ls_refs_over_http(served, "refs/heads/main", "up/renamed")["refs/heads/main"] == main
    # the old name redirects; git follows it from its first request on
    url = f"{served.git_url}/{REPO}.git"
    listed = run_git("-c", "protocol.version=2", "ls-remote", url, "refs/heads/main")
    assert listed.split() == [main, "refs/heads/main"]
