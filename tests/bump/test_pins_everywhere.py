"""Issue 13's "done when", through the CLI and the sandbox: pins in a shell script, a
Dockerfile ARG, a CMake GIT_TAG, one `go install ...@sha` pin in three files, a sha-only file,
a Makefile fragment and a submodule each get one PR changing exactly their bytes (the repeated
pin in one PR), a second pass writes nothing, and the audit calls every one of them tracked."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bumper.cli import main

TARGET = "acme/app"
TOKEN_ENV = "BUMPER_PINS_TOKEN"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
GO = "google.golang.org/grpc/cmd/protoc-gen-go-grpc@"
# name -> (upstream, matrix keys beside repository/branch)
ROWS: dict[str, tuple[str, str]] = {
    "X_VERSION": ("up/x", "variable: X_VERSION\n    file: backend/x/prepare.sh"),
    "DEP_COMMIT": ("up/dep", "variable: DEP_COMMIT\n    file: Dockerfile"),
    "fmt": ("up/fmt", 'name: fmt\n    match: "GIT_TAG        "\n    file: CMakeLists.txt'),
    "protoc-gen-go-grpc": (
        "up/grpc",
        f'name: protoc-gen-go-grpc\n    match: "{GO}"\n'
        "    files: [Dockerfile, scripts/install.sh, .github/workflows/ci.yml]",
    ),
    "hash": ("up/hash", "name: hash\n    file: deps/hash-hash.txt"),
    "CUDA_VERSION": ("up/cuda", "variable: CUDA_VERSION\n    file: backend/Makefile-cuda"),
    "vendored": ("up/sub", "name: vendored\n    file: third_party/vendored"),
}
FILES_OF = {
    "X_VERSION": ["backend/x/prepare.sh"],
    "DEP_COMMIT": ["Dockerfile"],
    "fmt": ["CMakeLists.txt"],
    "protoc-gen-go-grpc": ["Dockerfile", "scripts/install.sh", ".github/workflows/ci.yml"],
    "hash": ["deps/hash-hash.txt"],
    "CUDA_VERSION": ["backend/Makefile-cuda"],
    "vendored": ["third_party/vendored"],
}


class Target:
    def __init__(self, sb: Any, root: Path) -> None:
        self.sb, self.store, self.root = sb, sb.store, root
        self.old: dict[str, str] = {}
        self.new: dict[str, str] = {}
        for name, (repo, _) in ROWS.items():
            owner, short = repo.split("/")
            self.store.create_repo(owner, short, auto_init=True)
            self.old[name] = self.head(repo)
            self.new[name] = self.store.commit_files(repo, "main", {"n.txt": name}, "newer")
        self.store.create_repo("acme", "app", auto_init=True)
        o = self.old
        self.files = {
            "backend/x/prepare.sh": (
                "#!/bin/bash\nset -e\n"
                f'X_VERSION="${{X_VERSION:-{o["X_VERSION"]}}}"\n'
                'git clone https://github.com/up/x && cd x && git checkout "$X_VERSION"\n'
            ),
            "Dockerfile": (
                "FROM golang:1.22\n"
                f"ARG DEP_COMMIT={o['DEP_COMMIT']}\n"
                f"RUN go install {GO}{o['protoc-gen-go-grpc']}\n"
            ),
            "CMakeLists.txt": (
                "include(FetchContent)\nFetchContent_Declare(fmt\n"
                "  GIT_REPOSITORY https://github.com/up/fmt\n"
                f"  GIT_TAG        {o['fmt']})\n"
            ),
            "scripts/install.sh": (
                f"#!/bin/sh\nbash -c 'cd /tmp && go install {GO}{o['protoc-gen-go-grpc']}'\n"
            ),
            ".github/workflows/ci.yml": (
                "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
                f"      - run: |\n          go install {GO}{o['protoc-gen-go-grpc']}\n"
            ),
            "deps/hash-hash.txt": f"{o['hash']}\n",
            "backend/Makefile-cuda": f"CUDA_VERSION ?= {o['CUDA_VERSION']}\n",
            ".gitmodules": (
                '[submodule "vendored"]\n\tpath = third_party/vendored\n'
                f"\turl = {sb.git_url}/up/sub\n"
            ),
        }
        self.base = self.store.commit_files(
            TARGET,
            "main",
            self.files,
            "Add pins",
            gitlinks={"third_party/vendored": o["vendored"]},
        )
        self.config = root / "bumper.yaml"
        rows = "".join(
            f"  - repository: {repo}\n    branch: main\n    {keys}\n"
            for repo, keys in ROWS.values()
        )
        self.config.write_text(
            f"github:\n  api_url: {sb.api_url}\n  git_url: {sb.git_url}\n"
            f"  token_env: {TOKEN_ENV}\n  seconds_between_requests: 0\n"
            "  seconds_between_writes: 0\n"
            f"target:\n  repository: {TARGET}\n"
            "lookup:\n  allow_http: true\n  backoff_seconds: 0\n"
            f"matrix:\n{rows}",
            encoding="utf-8",
        )

    def head(self, repo: str, branch: str = "main") -> str:
        sha = self.store.ref(repo, branch)
        assert sha is not None
        return str(sha)

    def writes(self) -> list[dict[str, Any]]:
        return [
            r
            for r in self.sb.requests()
            if r.get("graphql") == "mutation"
            or (r["method"] in WRITES and r["path"] != "/api/graphql")
        ]

    def changed(self, branch: str) -> list[str]:
        out = self.store.git(TARGET, "diff", "--name-only", self.base, self.head(TARGET, branch))
        return sorted(out.decode().split())


@pytest.fixture
def target(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    yield Target(sandbox, tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_every_kind_of_pin_gets_one_pr_changing_exactly_its_bytes(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run(capsys, "run-once", "--config", str(target.config), "--json")
    results = {r["variable"]: r for r in doc["results"]}
    assert code == 0, results
    assert {name: r["status"] for name, r in results.items()} == dict.fromkeys(ROWS, "bumped")
    with httpx.Client(base_url=target.sb.api_url, timeout=10) as http:
        pulls = http.get(f"/repos/{TARGET}/pulls", params={"state": "all"}).json()
    assert sorted(pr["head"]["ref"] for pr in pulls) == sorted(f"update/{n}" for n in ROWS)
    for name in ROWS:
        branch = f"update/{name}"
        old, new = target.old[name], target.new[name]
        assert results[name]["old"] == old and results[name]["new"] == new
        assert results[name]["file"] == FILES_OF[name][0]
        assert results[name]["files"] == FILES_OF[name]
        body = next(pr["body"] for pr in pulls if pr["head"]["ref"] == branch)
        assert all(f"`{path}`" in body for path in FILES_OF[name]), body
        # one commit on the base, changing this pin's files and only its bytes
        parents = target.store.git(TARGET, "rev-list", "--parents", "-n1", branch).split()
        assert [p.decode() for p in parents[1:]] == [target.base]
        assert target.changed(branch) == sorted(FILES_OF[name])
        for path in FILES_OF[name]:
            if path == "third_party/vendored":
                tree = target.store.git(TARGET, "ls-tree", branch, "third_party/").decode()
                assert tree == f"160000 commit {new}\tthird_party/vendored\n"
                continue
            got = target.store.read_file(TARGET, branch, path)
            assert got is not None
            assert got.decode() == target.files[path].replace(old, new), (name, path)

    # A second pass has nothing to write.
    target.sb.clear_requests()
    code, doc = run(capsys, "run-once", "--config", str(target.config), "--json")
    assert code == 0
    assert {r["status"] for r in doc["results"]} == {"up-to-date"}, doc["results"]
    assert target.writes() == []


def test_dry_run_shows_every_file_of_a_pin_in_one_diff(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run(capsys, "run-once", "--config", str(target.config), "--dry-run", "--json")
    assert code == 0
    assert target.writes() == []
    results = {r["variable"]: r for r in doc["results"]}
    assert all(r["status"] == "bumped" for r in results.values())
    capsys.readouterr()
    main(["run-once", "--config", str(target.config), "--dry-run", "--only", "protoc-gen-go-grpc"])
    diff = capsys.readouterr().out
    for path in FILES_OF["protoc-gen-go-grpc"]:
        assert f"+++ b/{path}\n" in diff
    main(["run-once", "--config", str(target.config), "--dry-run", "--only", "vendored"])
    diff = capsys.readouterr().out
    assert f"+Subproject commit {target.new['vendored']}\n" in diff


def test_audit_calls_every_row_tracked(target: Target, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run(
        capsys, "audit", "--config", str(target.config), "--format", "json", "--no-lookup"
    )
    assert code == 0
    findings = doc["findings"]
    tracked = {f["variable"] for f in findings if f["category"] == "tracked"}
    assert tracked == set(ROWS), findings
    assert [f for f in findings if f["category"] != "tracked"] == []
    where = {f["variable"]: (f["file"], f["line"]) for f in findings}
    assert where["X_VERSION"] == ("backend/x/prepare.sh", 3)
    assert where["fmt"] == ("CMakeLists.txt", 4)
    assert where["vendored"] == ("third_party/vendored", 1)


def test_checkout_mode_rewrites_files_and_stages_the_submodule(
    target: Target, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "-q", f"{target.sb.git_url}/{TARGET}", str(checkout)], check=True
    )
    code, doc = run(
        capsys, "run-once", "--config", str(target.config), "--checkout", str(checkout), "--json"
    )
    assert code == 0, doc
    assert {r["status"] for r in doc["results"]} == {"bumped"}
    for path, text in target.files.items():
        expected = text
        for name in ROWS:
            expected = expected.replace(target.old[name], target.new[name])
        assert (checkout / path).read_text() == expected, path
    staged = subprocess.run(
        ["git", "-C", str(checkout), "ls-files", "--stage", "third_party/vendored"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert staged.startswith(f"160000 {target.new['vendored']} ")
    # again: everything is up to date, nothing changes
    code, doc = run(
        capsys, "run-once", "--config", str(target.config), "--checkout", str(checkout), "--json"
    )
    assert {r["status"] for r in doc["results"]} == {"up-to-date"}, doc


def test_a_persons_commit_on_a_many_file_pr_is_left_alone(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "run-once", "--config", str(target.config), "--json")
    branch = "update/protoc-gen-go-grpc"
    fix = target.store.commit_files(
        TARGET,
        branch,
        {"scripts/install.sh": "#!/bin/sh\necho fixed\n"},
        "A person's fix",
        author=("A Person", "person@example.com"),
    )
    target.store.commit_files("up/grpc", "main", {"m.txt": "more"}, "newer still")
    code, doc = run(capsys, "run-once", "--config", str(target.config), "--json")
    results = {r["variable"]: r for r in doc["results"]}
    assert code == 0  # skipped is not a failure
    assert results["protoc-gen-go-grpc"]["status"] == "skipped", results
    # the fix rewrites a file of the pin: it cannot be carried onto the newer sha (issue 14)
    assert "do not apply" in results["protoc-gen-go-grpc"]["message"]
    assert target.head(TARGET, branch) == fix
    assert {r["status"] for n, r in results.items() if n != "protoc-gen-go-grpc"} == {"up-to-date"}
