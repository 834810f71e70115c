"""Rows following release tags under faults: a tag pin with an `also` in another file (one
commit of two files) and a sha pin at a release's commit. `kill -9` after any write, two
passes at once and a look-up that fails still end with one PR per pin holding exactly the
release's change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bumper.sandbox.seed import tag_upstream
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

NAMES = ("GRPC_VERSION", "SPEECH_VERSION")
# tree, commit, branch + PR (one GraphQL document), labels: for each of the two pins
WRITES_IN_A_PASS = 8
WHEEL = "grpcio @ https://example.invalid/grpcio-1.65.0-cp311-linux_x86_64.whl\n"


class TagWorld(World):
    """acme/app pins up/grpc's release by name (and its wheel URL), up/speech's by commit."""

    def __init__(self, sb: Any, root: Path) -> None:  # World.__init__ builds branch pins
        self.sb, self.store, self.root = sb, sb.store, root
        root.mkdir(parents=True, exist_ok=True)
        self.target = TARGET
        for name in ("grpc", "speech"):
            self.store.create_repo("up", name, auto_init=True)
        for tag in ("v1.65.0", "v1.66.1", "v1.67.0-rc1", "latest"):
            tag_upstream(self.store, "up/grpc", "main", tag, annotated=tag != "latest")
        old = tag_upstream(self.store, "up/speech", "main", "v0.9.0")
        self.new_speech = tag_upstream(self.store, "up/speech", "main", "v1.0.0", annotated=True)
        self.old_speech = old
        self.texts = {
            "Makefile": f"GRPC_VERSION?=v1.65.0\nSPEECH_VERSION?={old}\n",
            "requirements.txt": WHEEL,
        }
        self.store.create_repo("acme", "app", auto_init=True)
        self.base_sha = self.store.commit_files(TARGET, BASE, self.texts, "Add pins")
        self.config = self.write_config()
        self._http = httpx.Client(base_url=sb.api_url, timeout=10)

    def write_config(self, name: str = "bumper.yaml", **github: Any) -> Path:
        path = self.root / name
        path.write_text(
            f"github:\n  api_url: {self.sb.api_url}\n  git_url: {self.sb.git_url}\n"
            f"  token_env: {TOKEN_ENV}\n  seconds_between_requests: 0\n"
            "  seconds_between_writes: 0\n  retries: 2\n  max_rate_limit_wait: 1\n"
            f"target:\n  repository: {TARGET}\n  base: {BASE}\n"
            "lookup:\n  allow_http: true\n  backoff_seconds: 0\n  retries: 2\n"
            "matrix:\n"
            "  - repository: up/grpc\n    variable: GRPC_VERSION\n    follow: tags\n"
            "    file: Makefile\n    also: {match: /grpcio-, file: requirements.txt}\n"
            "  - repository: up/speech\n    variable: SPEECH_VERSION\n    follow: tags\n"
            "    file: Makefile\n",
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
        makefile = self.texts["Makefile"]
        expected = {
            "GRPC_VERSION": {
                "Makefile": makefile.replace("v1.65.0", "v1.66.1"),
                "requirements.txt": WHEEL.replace("1.65.0", "1.66.1"),
            },
            "SPEECH_VERSION": {"Makefile": makefile.replace(self.old_speech, self.new_speech)},
        }
        for name, files in expected.items():
            branch = f"update/{name}"
            assert run.results[name]["pr"] == open_prs[branch]["number"], run.describe()
            head = self.head(TARGET, branch)
            parents = self.store.git(TARGET, "rev-list", "--parents", "-n1", head).split()
            assert [p.decode() for p in parents[1:]] == [self.base_sha]
            changed = self.store.git(TARGET, "diff", "--name-only", self.base_sha, head).split()
            assert sorted(c.decode() for c in changed) == sorted(files)
            for path, text in files.items():
                assert self.file_at(branch, path) == text
        self.check_no_token(run)


tag_world, tag_run = world_fixtures(TagWorld, "tag_world", "tag_run")


def test_a_clean_pass_makes_the_expected_writes(tag_world: TagWorld, tag_run: InProcess) -> None:
    makes_writes(tag_world, tag_run, WRITES_IN_A_PASS)


@pytest.mark.parametrize("k", kill_points(WRITES_IN_A_PASS, "tag pins"))
def test_kill9_after_any_write_then_a_clean_pass_converges(
    tag_world: TagWorld, tag_run: InProcess, k: int
) -> None:
    converges_after_kill(tag_world, tag_run, k)


def test_two_passes_at_once_end_with_one_pr_per_pin(
    tag_world: TagWorld, tag_run: InProcess
) -> None:
    races_to_one_pr_per_pin(tag_world, tag_run)


def test_a_failed_tag_look_up_writes_nothing_for_that_row(
    tag_world: TagWorld, tag_run: InProcess
) -> None:
    tag_world.sb.clear_requests()
    # GraphQL down for the whole pass, and git for up/grpc only: its row fails, the other goes on
    tag_world.sb.add_fault(path=r"^/api/graphql$", status=502, times=50)
    tag_world.sb.add_fault(path=r"^/up/grpc\.git/", status=500, times=50)
    run = tag_run()
    assert run.results["GRPC_VERSION"]["status"] == "failed", run.describe()
    assert run.results["SPEECH_VERSION"]["status"] in ("bumped", "failed"), run.describe()
    assert not any(p["head"]["ref"] == "update/GRPC_VERSION" for p in tag_world.pulls("all"))
    tag_world.sb.clear_faults()
    tag_world.check_converged(tag_run())
