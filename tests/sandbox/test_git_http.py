"""The git CLI and raw smart-HTTP clients against the sandbox's git http-backend bridge."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from bumper.sandbox.seed import advance_upstream


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, check: bool = True):
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=check,
    )


def pkt(line: str) -> bytes:
    data = line.encode()
    return f"{len(data) + 4:04x}".encode() + data


def ls_refs_body(prefix: str) -> bytes:
    return (
        pkt("command=ls-refs\n")
        + pkt("object-format=sha1\n")
        + b"0001"
        + pkt("peel\n")
        + pkt(f"ref-prefix {prefix}\n")
        + b"0000"
    )


@pytest.fixture
def upstream(sandbox):
    sandbox.store.create_repo("up", "lib")
    head = sandbox.store.commit_files("up/lib", "main", {"a.txt": "one\n"}, "first")
    sandbox.store.git("up/lib", "branch", "main-old", head)
    return head


@pytest.fixture
def askpass(tmp_path, sandbox) -> dict[str, str]:
    """Env that answers git's credential prompts with the sandbox token, never in a URL."""
    script = tmp_path / "askpass.sh"
    script.write_text('#!/bin/sh\necho "$SANDBOX_TEST_TOKEN"\n')
    script.chmod(0o755)
    return {"GIT_ASKPASS": str(script), "SANDBOX_TEST_TOKEN": sandbox.token}


@pytest.mark.parametrize("version", ["0", "2"])
def test_ls_remote_lists_branch_heads(sandbox, upstream, version):
    out = git("-c", f"protocol.version={version}", "ls-remote", f"{sandbox.git_url}/up/lib.git")
    assert f"{upstream}\trefs/heads/main" in out.stdout.splitlines()


def test_git_url_without_dot_git_suffix_works(sandbox, upstream):
    out = git("ls-remote", "--heads", f"{sandbox.git_url}/up/lib", "main")
    assert out.stdout.split() == [upstream, "refs/heads/main"]


def test_clone_then_fetch_sees_new_upstream_commits(sandbox, upstream, tmp_path):
    git("clone", "-q", f"{sandbox.git_url}/up/lib.git", str(tmp_path / "c"))
    assert (tmp_path / "c" / "a.txt").read_text() == "one\n"
    new = advance_upstream(sandbox.store, "up/lib", "main", 2)
    git("fetch", "-q", "origin", cwd=tmp_path / "c")
    assert git("rev-parse", "origin/main", cwd=tmp_path / "c").stdout.strip() == new


def test_raw_protocol_v2_ls_refs_returns_exact_sha(sandbox, upstream):
    with httpx.Client() as client:
        reply = client.post(
            f"{sandbox.git_url}/up/lib.git/git-upload-pack",
            content=ls_refs_body("refs/heads/main"),
            headers={
                "Git-Protocol": "version=2",
                "Content-Type": "application/x-git-upload-pack-request",
            },
        )
    assert reply.status_code == 200
    lines = reply.content.split(b"0000")[0]
    # main-old matches the prefix too; main itself must be there exactly.
    assert pkt(f"{upstream} refs/heads/main\n") in lines
    assert sandbox.requests() == [
        {
            "method": "POST",
            "path": "/up/lib.git/git-upload-pack",
            "status": 200,
            "bytes": len(reply.content),
            "ms": sandbox.requests()[0]["ms"],
        }
    ]


def test_gzip_request_body_is_inflated(sandbox, upstream):
    with httpx.Client() as client:
        reply = client.post(
            f"{sandbox.git_url}/up/lib.git/git-upload-pack",
            content=gzip.compress(ls_refs_body("refs/heads/main")),
            headers={
                "Git-Protocol": "version=2",
                "Content-Type": "application/x-git-upload-pack-request",
                "Content-Encoding": "gzip",
            },
        )
    assert pkt(f"{upstream} refs/heads/main\n") in reply.content


def test_missing_branch_answers_flush_only(sandbox, upstream):
    with httpx.Client() as client:
        reply = client.post(
            f"{sandbox.git_url}/up/lib.git/git-upload-pack",
            content=ls_refs_body("refs/heads/nope"),
            headers={
                "Git-Protocol": "version=2",
                "Content-Type": "application/x-git-upload-pack-request",
            },
        )
    assert reply.content == b"0000"


def test_missing_repository_is_404(sandbox):
    result = git("ls-remote", f"{sandbox.git_url}/up/nothing.git", check=False)
    assert result.returncode != 0
    assert [r["status"] for r in sandbox.requests()] == [404]


def test_push_with_token_from_askpass(sandbox, upstream, tmp_path, askpass):
    work = tmp_path / "w"
    git("clone", "-q", f"{sandbox.git_url}/up/lib.git", str(work))
    (work / "b.txt").write_text("two\n")
    git("add", "b.txt", cwd=work)
    git("commit", "-qm", "second", cwd=work)
    git("push", "-q", "origin", "HEAD:refs/heads/feature", cwd=work, env=askpass)
    local = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert sandbox.store.ref("up/lib", "feature") == local
    log = sandbox.requests()
    assert [r["status"] for r in log if "receive-pack" in r["path"]][-1] == 200
    assert sandbox.token not in json.dumps(log)


def test_push_without_token_is_refused(sandbox, upstream, tmp_path):
    work = tmp_path / "w"
    git("clone", "-q", f"{sandbox.git_url}/up/lib.git", str(work))
    git("commit", "-q", "--allow-empty", "-m", "sneaky", cwd=work)
    result = git("push", "origin", "HEAD:refs/heads/main", cwd=work, check=False)
    assert result.returncode != 0
    assert sandbox.store.ref("up/lib", "main") == upstream
    assert sandbox.requests()[-1]["status"] == 401
    with httpx.Client() as client:
        reply = client.get(f"{sandbox.git_url}/up/lib.git/info/refs?service=git-receive-pack")
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == 'Basic realm="sandbox"'


def test_wrong_token_is_refused_even_for_reads(sandbox, upstream):
    result = git(
        "-c",
        "http.extraHeader=Authorization: token not-the-token",
        "ls-remote",
        f"{sandbox.git_url}/up/lib.git",
        check=False,
    )
    assert result.returncode != 0
    assert sandbox.requests()[0]["status"] == 401
    with httpx.Client() as client:
        reply = client.get(
            f"{sandbox.git_url}/up/lib.git/info/refs?service=git-upload-pack",
            auth=("x", "not-the-token"),
        )
    assert reply.status_code == 401
    assert reply.json()["message"] == "Bad credentials"


def test_push_over_one_mebibyte_is_chunked_and_lands(sandbox, upstream, tmp_path, askpass):
    work = tmp_path / "w"
    git("clone", "-q", f"{sandbox.git_url}/up/lib.git", str(work))
    (work / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))  # incompressible
    git("add", "blob.bin", cwd=work)
    git("commit", "-qm", "big", cwd=work)
    git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work, env=askpass)
    assert sandbox.store.ref("up/lib", "main") == git("rev-parse", "HEAD", cwd=work).stdout.strip()


def test_clone_of_renamed_repository_follows_redirect(sandbox, upstream, tmp_path):
    sandbox.rename("up/lib", "up/lib2")
    git("clone", "-q", f"{sandbox.git_url}/up/lib.git", str(tmp_path / "c"))
    assert git("rev-parse", "HEAD", cwd=tmp_path / "c").stdout.strip() == upstream
    log = sandbox.requests()
    assert (log[0]["path"], log[0]["status"]) == ("/up/lib.git/info/refs", 301)
    assert all(r["path"].startswith("/up/lib2.git/") for r in log[1:])


def test_redirect_keeps_service_query(sandbox, upstream):
    sandbox.rename("up/lib", "up/lib2")
    with httpx.Client() as client:
        reply = client.get(f"{sandbox.git_url}/up/lib.git/info/refs?service=git-upload-pack")
    assert reply.status_code == 301
    assert reply.headers["location"] == (
        f"{sandbox.git_url}/up/lib2.git/info/refs?service=git-upload-pack"
    )
