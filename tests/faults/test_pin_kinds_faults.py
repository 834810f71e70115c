"""The write shapes of pins outside one Makefile under faults: a pin in three files (one
commit of three files) and a submodule (a gitlink commit). `kill -9` after any write, and two
passes at once, still end with one PR per pin holding exactly the pin's change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from faults.conftest import (
    BASE,
    TARGET,
    TOKEN_ENV,
    InProcess,
    Run,
    World,
    converges_after_kill,
    kill_points,
    makes_writes,
    races_to_one_pr_per_pin,
    world_fixtures,
)

GO = "google.golang.org/grpc/cmd/protoc-gen-go-grpc@"
FILES = ("Dockerfile", "scripts/install.sh", ".github/workflows/ci.yml")
SUBMODULE = "third_party/vendored"
NAMES = ("protoc-gen-go-grpc", "vendored")
# tree, commit, branch + PR (one GraphQL document), labels: for each of the two pins
WRITES_IN_A_PASS = 8


class PinWorld(World):
    """acme/app pins up/grpc in three files and up/sub as a submodule; both lag upstream."""

    def __init__(self, sb: Any, root: Path) -> None:  # World.__init__ builds Makefile pins
        self.sb, self.store, self.root = sb, sb.store, root
        root.mkdir(parents=True, exist_ok=True)
        self.target = TARGET
        self.expected: dict[str, str] = {}
        for name in ("grpc", "sub"):
            self.store.create_repo("up", name, auto_init=True)
        self.old = {"protoc-gen-go-grpc": self.head("up/grpc"), "vendored": self.head("up/sub")}
        go = self.old["protoc-gen-go-grpc"]
        self.texts = {
            FILES[0]: f"FROM golang\nRUN go install {GO}{go}\n",
            FILES[1]: f"#!/bin/sh\nset -e\ngo install {GO}{go}\n",
            FILES[2]: f"on: push\njobs:\n  b:\n    steps:\n      - run: go install {GO}{go}\n",
        }
        self.store.create_repo("acme", "app", auto_init=True)
        self.base_sha = self.store.commit_files(
            TARGET, BASE, self.texts, "Add pins", gitlinks={SUBMODULE: self.old["vendored"]}
        )
        self.config = self.write_config()
        self._http = httpx.Client(base_url=sb.api_url, timeout=10)
        for name, repo in (("protoc-gen-go-grpc", "up/grpc"), ("vendored", "up/sub")):
            self.expected[name] = self.store.commit_files(repo, "main", {"n": name}, "newer")

    def write_config(self, name: str = "bumper.yaml", **github: Any) -> Path:
        path = self.root / name
        path.write_text(
            f"github:\n  api_url: {self.sb.api_url}\n  git_url: {self.sb.git_url}\n"
            f"  token_env: {TOKEN_ENV}\n  seconds_between_requests: 0\n"
            "  seconds_between_writes: 0\n  retries: 2\n  max_rate_limit_wait: 1\n"
            f"target:\n  repository: {TARGET}\n  base: {BASE}\n"
            "lookup:\n  allow_http: true\n  backoff_seconds: 0\n  retries: 2\n"
            "matrix:\n"
            f"  - repository: up/grpc\n    branch: main\n    name: protoc-gen-go-grpc\n"
            f'    match: "{GO}"\n    files: [{", ".join(FILES)}]\n'
            f"  - repository: up/sub\n    branch: main\n    name: vendored\n"
            f"    file: {SUBMODULE}\n",
            encoding="utf-8",
        )
        return path

    def check_truthful(self, run: Run) -> None:
        assert run.code in (0, 1) and "Traceback" not in run.err, run.describe()
        assert sorted(run.results) == sorted(NAMES), run.describe()
        self.check_base_untouched()
        self.check_no_duplicates()
        self.check_no_token(run)

    def check_converged(self, run: Run) -> None:
        """One open PR per pin, its branch one commit on the base changing exactly the pin."""
        assert run.code == 0, run.describe()
        self.check_base_untouched()
        self.check_no_duplicates()
        open_prs = {pr["head"]["ref"]: pr for pr in self.pulls("open")}
        assert sorted(open_prs) == sorted(f"update/{n}" for n in NAMES), open_prs
        for name, sha in self.expected.items():
            branch = f"update/{name}"
            assert run.results[name]["pr"] == open_prs[branch]["number"], run.describe()
            head = self.head(TARGET, branch)
            parents = self.store.git(TARGET, "rev-list", "--parents", "-n1", head).split()
            assert [p.decode() for p in parents[1:]] == [self.base_sha]
            changed = self.store.git(TARGET, "diff", "--name-only", self.base_sha, head).split()
            if name == "vendored":
                assert [c.decode() for c in changed] == [SUBMODULE]
                tree = self.store.git(TARGET, "ls-tree", head, SUBMODULE).decode()
                assert tree == f"160000 commit {sha}\t{SUBMODULE}\n"
            else:
                assert sorted(c.decode() for c in changed) == sorted(FILES)
                for path, text in self.texts.items():
                    after = text.replace(self.old[name], sha)
                    assert self.file_at(branch, path) == after
        self.check_no_token(run)


pin_world, pin_run = world_fixtures(PinWorld, "pin_world", "pin_run")


def test_a_clean_pass_makes_the_expected_writes(pin_world: PinWorld, pin_run: InProcess) -> None:
    makes_writes(pin_world, pin_run, WRITES_IN_A_PASS)


@pytest.mark.parametrize("k", kill_points(WRITES_IN_A_PASS, "pin kinds"))
def test_kill9_after_any_write_then_a_clean_pass_converges(
    pin_world: PinWorld, pin_run: InProcess, k: int
) -> None:
    converges_after_kill(pin_world, pin_run, k)


def test_two_passes_at_once_end_with_one_pr_per_pin(
    pin_world: PinWorld, pin_run: InProcess
) -> None:
    races_to_one_pr_per_pin(pin_world, pin_run)
