"""A world for the fault suite: upstreams, a target with pins, and the checks every case makes.

Every pass runs through the CLI as a user would (`bumper run-once --config FILE --json`),
in-process for speed or as a subprocess where the process itself is under test (kill -9,
two passes at once). The sandbox runs with a distinctive token, so a leak is easy to spot.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bumper.bump.prtext import parse_marker
from bumper.cli import main

TOKEN = "ghp_FaultSuite0Secret1Token2Must3Never4Leak"
TOKEN_ENV = "BUMPER_FAULT_TOKEN"
TARGET = "acme/app"
BASE = "main"
MAKEFILE = "Makefile"
SUB_MAKEFILE = "sub/Makefile"
PR_BRANCH = "update/{}"

# Request paths of each phase of a pass, on the sandbox (regexes for Sandbox.add_fault).
PHASES = {
    # upstream heads: GraphQL with a token, git smart HTTP as its fallback
    "lookup": r"^/api/graphql$|^/up/[^/]+\.git/",
    # the same over git alone, GraphQL being down (see GRAPHQL_DOWN)
    "lookup_git": r"^/up/[^/]+\.git/",
    "commit": r"^/api/v3/repos/[^/]+/[^/]+/git/(commits|trees|blobs)",
    # a branch and its PR in one GraphQL document: updateRefs (conditional on the planned
    # head, or on no branch yet) with createPullRequest, or with updatePullRequest
    "branch_and_pr": r"^/api/graphql$",
    "labels": r"^/api/v3/repos/[^/]+/[^/]+/issues/\d+/labels$",
}
PHASE_METHOD = {"labels": "POST"}
# the GraphQL operation a phase's requests carry
PHASE_GRAPHQL = {"branch_and_pr": "mutation"}
GRAPHQL_DOWN = {"lookup_git"}  # phases tested with every GraphQL request answered 502

# The phases of rule 7 (closing a superseded PR), in the world of test_close_faults.prepare:
# the PR closed first, then bumper's one comment, then its branch deleted.
CLOSE_PHASES = {
    "close": r"^/api/v3/repos/[^/]+/[^/]+/pulls/\d+$",
    "comment": r"^/api/v3/repos/[^/]+/[^/]+/issues/\d+/comments$",
    "delete": r"^/api/graphql$",
}
CLOSE_PHASE_METHOD = {"close": "PATCH", "comment": "POST"}
CLOSE_PHASE_GRAPHQL = {"delete": "mutation"}


@dataclass(frozen=True)
class Run:
    """What one `bumper run-once` printed and returned."""

    code: int
    out: str
    err: str
    logs: str = ""

    @property
    def doc(self) -> dict[str, Any]:
        return json.loads(self.out)

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        return {r["variable"]: r for r in self.doc["results"]}

    @property
    def failed(self) -> set[str]:
        return {v for v, r in self.results.items() if r["status"] == "failed"}

    def describe(self) -> str:
        return f"exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}"


class World:
    """Upstreams up/lib and up/tool; acme/app pins both in its Makefile and a third in sub/.

    LIB_VERSION and TOOL_VERSION lag their upstreams (``moved``); CORE_VERSION tracks a
    branch that never moves, so it must always stay up to date and untouched.
    """

    def __init__(self, sb: Any, root: Path) -> None:
        self.sb = sb
        self.store = sb.store
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for name in ("lib", "tool"):
            self.store.create_repo("up", name, auto_init=True)
        self.old = {"LIB_VERSION": self.head("up/lib"), "TOOL_VERSION": self.head("up/tool")}
        self.store.git("up/tool", "branch", "release", self.old["TOOL_VERSION"])
        self.core = self.old["TOOL_VERSION"]
        self.makefile = (
            "# pins kept current by bumper\n"
            f"LIB_VERSION?={self.old['LIB_VERSION']}\n"
            f"TOOL_VERSION ?= {self.old['TOOL_VERSION']}  # the tool\n"
            "LIB_REPO?=https://example.invalid/up/lib\n"
            "\n"
            "all:\n"
            "\t@echo $(LIB_VERSION) $(TOOL_VERSION)\n"
        )
        self.sub_makefile = f"CORE_VERSION := {self.core}\r\n\r\nbuild:\r\n\ttrue\r\n"
        self.target = TARGET  # follows a rename of the repository; the config keeps the old name
        self.store.create_repo("acme", "app", auto_init=True)
        self.base_sha = self.store.commit_files(
            TARGET,
            BASE,
            {MAKEFILE: self.makefile, SUB_MAKEFILE: self.sub_makefile},
            "Add pins",
        )
        self.config = self.write_config()
        self.expected: dict[str, str] = {}  # variable -> the sha its PR must pin
        self._http = httpx.Client(base_url=sb.api_url, timeout=10)

    def close(self) -> None:
        self._http.close()

    # -- set-up ---------------------------------------------------------------------------
    def write_config(self, name: str = "bumper.yaml", **github: Any) -> Path:
        settings = {
            "seconds_between_requests": 0,
            "seconds_between_writes": 0,
            "retries": 2,
            "max_rate_limit_wait": 1,
            "timeout_seconds": 5,
            **github,
        }
        lines = [
            "github:",
            f"  api_url: {self.sb.api_url}",
            f"  git_url: {self.sb.git_url}",
            f"  token_env: {TOKEN_ENV}",
            *(f"  {k}: {v}" for k, v in settings.items()),
            "target:",
            f"  repository: {TARGET}",
            f"  base: {BASE}",
            "lookup:",
            "  allow_http: true",
            "  backoff_seconds: 0",
            "  retries: 2",
            "  max_wait_seconds: 1",
            "  timeout_seconds: 5",
            "matrix:",
        ]
        for repository, variable, branch, file in (
            ("up/lib", "LIB_VERSION", "main", MAKEFILE),
            ("up/tool", "TOOL_VERSION", "main", MAKEFILE),
            ("up/tool", "CORE_VERSION", "release", SUB_MAKEFILE),
        ):
            lines += [
                f"  - repository: {repository}",
                f"    variable: {variable}",
                f"    branch: {branch}",
                f"    file: {file}",
            ]
        path = self.root / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def head(self, repository: str, branch: str = "main") -> str:
        sha = self.store.ref(repository, branch)
        assert sha is not None, f"{repository} has no branch {branch}"
        return str(sha)

    def advance(self, variable: str) -> str:
        """A new upstream commit for LIB_VERSION or TOOL_VERSION; its PR must then pin it."""
        repository = {"LIB_VERSION": "up/lib", "TOOL_VERSION": "up/tool"}[variable]
        n = len(self.store.git(repository, "rev-list", "main").split())
        sha = self.store.commit_files(
            repository, "main", {f"change-{n}.txt": f"{n}\n"}, f"Change {n} of {repository}"
        )
        self.expected[variable] = str(sha)
        return str(sha)

    # -- passes ---------------------------------------------------------------------------
    def argv(self, *extra: str, config: Path | None = None) -> list[str]:
        return ["run-once", "--config", str(config or self.config), "--json", *extra]

    def env(self) -> dict[str, str]:
        return {**os.environ, TOKEN_ENV: TOKEN}

    def spawn(self, *extra: str, config: Path | None = None) -> subprocess.Popen[str]:
        """`python -m bumper run-once ... --json` as its own process."""
        return subprocess.Popen(
            [sys.executable, "-m", "bumper", *self.argv(*extra, config=config)],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run_process(self, *extra: str, timeout: float = 60) -> Run:
        proc = self.spawn(*extra)
        out, err = proc.communicate(timeout=timeout)
        return Run(proc.returncode, out, err)

    # -- what a maintainer sees on the target ---------------------------------------------
    def pulls(self, state: str = "all") -> list[dict[str, Any]]:
        answer = self._http.get(
            f"/repos/{self.target}/pulls", params={"state": state, "per_page": 100}
        )
        answer.raise_for_status()
        return list(answer.json())

    def comments(self, number: int) -> list[str]:
        answer = self._http.get(f"/repos/{self.target}/issues/{number}/comments")
        answer.raise_for_status()
        return [c["body"] or "" for c in answer.json()]

    def file_at(self, rev: str, path: str) -> str | None:
        data = self.store.read_file(self.target, rev, path)
        return None if data is None else data.decode()

    def pinned_text(self, variable: str, sha: str) -> str:
        """The base Makefile with only ``variable``'s pin changed to ``sha``."""
        old = self.old[variable]
        lines = self.makefile.splitlines(keepends=True)
        changed = [
            line.replace(old, sha) if line.startswith(f"{variable}") else line for line in lines
        ]
        return "".join(changed)

    # -- the checks every case makes ------------------------------------------------------
    def check_truthful(self, run: Run) -> None:
        """What the pass said matches what it did, whatever went wrong on the way."""
        assert run.code in (0, 1), run.describe()
        assert "Traceback" not in run.err, run.describe()
        results = run.results
        assert sorted(results) == ["CORE_VERSION", "LIB_VERSION", "TOOL_VERSION"], run.describe()
        assert run.code == (1 if run.failed else 0), run.describe()
        for variable, result in results.items():
            assert result["file"] in (MAKEFILE, SUB_MAKEFILE)
            if result["status"] == "failed":
                # Reported with its entry and a reason a person can act on.
                assert result["message"].strip(), run.describe()
            if result["status"] == "bumped":
                assert result["pr"] is not None, run.describe()
                pr = self._pull(result["pr"])
                assert pr["state"] == "open" and pr["head"]["ref"] == PR_BRANCH.format(variable)
                text = self.file_at(PR_BRANCH.format(variable), MAKEFILE)
                assert text == self.pinned_text(variable, result["new"]), run.describe()
                # ...and the PR says so: a write reported done was done.
                assert result["new"] in pr["title"], (pr["title"], run.describe())
                marker = parse_marker(pr["body"] or "")
                assert marker is not None and marker.upstream == result["new"], run.describe()
        assert results["CORE_VERSION"]["status"] in ("up-to-date", "failed"), run.describe()
        self.check_base_untouched()
        self.check_no_duplicates()
        self.check_no_token(run)

    def check_converged(self, run: Run) -> None:
        """After a clean pass: exactly one open PR per moved pin, each changing its pin only."""
        assert run.code == 0, run.describe()
        statuses = {v: r["status"] for v, r in run.results.items()}
        assert statuses["CORE_VERSION"] == "up-to-date", run.describe()
        assert set(statuses.values()) <= {"bumped", "up-to-date"}, run.describe()
        self.check_base_untouched()
        self.check_no_duplicates()
        open_prs = {pr["head"]["ref"]: pr for pr in self.pulls("open")}
        assert sorted(open_prs) == sorted(PR_BRANCH.format(v) for v in self.expected), open_prs
        for variable, sha in self.expected.items():
            branch = PR_BRANCH.format(variable)
            pr = open_prs[branch]
            assert run.results[variable]["pr"] == pr["number"], run.describe()
            assert pr["base"]["ref"] == BASE
            assert sha in pr["title"], pr["title"]
            marker = parse_marker(pr["body"] or "")
            assert marker is not None and marker.upstream == sha, pr["body"]
            head = self.head(self.target, branch)
            assert marker.commit == head
            # The branch is one commit on the base, changing the pin's line and nothing else.
            parents = self.store.git(self.target, "rev-list", "--parents", "-n1", head).split()
            assert [p.decode() for p in parents[1:]] == [self.base_sha]
            changed = self.store.git(
                self.target, "diff", "--name-only", self.base_sha, head
            ).split()
            assert [c.decode() for c in changed] == [MAKEFILE]
            assert self.file_at(branch, MAKEFILE) == self.pinned_text(variable, sha)
        self.check_no_token(run)

    def check_kept(self, branch: str, pushed: str) -> None:
        """The person's commit ``pushed`` is on ``branch``: its head, or replayed onto
        bumper's newer commit (same author, message and change)."""
        head = self.head(self.target, branch)
        if head == pushed:
            return
        fmt = "--format=%an <%ae>%x00%B"
        theirs = self.store.git(self.target, "log", "-1", fmt, pushed).decode()
        ours = self.store.git(self.target, "log", fmt, f"{self.base_sha}..{head}").decode()
        assert theirs.strip() in ours, (theirs, ours)
        for path in ("NOTES.md",):
            assert self.file_at(head, path) == self.file_at(pushed, path)

    def check_base_untouched(self) -> None:
        assert self.head(self.target, BASE) == self.base_sha, "the base branch was written to"

    def check_no_duplicates(self) -> None:
        """Never two PRs (open or closed) for one pin's branch: no noise, ever."""
        branches = [pr["head"]["ref"] for pr in self.pulls("all")]
        assert len(branches) == len(set(branches)), branches

    def check_no_token(self, *runs: Run) -> None:
        texts: list[str] = []
        for run in runs:
            texts += [run.out, run.err, run.logs]
        for pr in self.pulls("all"):
            texts += [pr["title"] or "", pr["body"] or "", pr["head"]["ref"]]
            texts += self.comments(pr["number"])
        for ref in self.store.refs(self.target, "refs/heads/"):
            texts.append(self.store.git(self.target, "log", "--format=%B%n%an%n%cn", ref).decode())
        texts += [r["path"] for r in self.sb.requests()]
        leaks = [t for t in texts if TOKEN in t]
        assert not leaks, f"the token leaked into {leaks[0][:200]!r}"

    def _pull(self, number: int) -> dict[str, Any]:
        answer = self._http.get(f"/repos/{self.target}/pulls/{number}")
        answer.raise_for_status()
        return dict(answer.json())


class InProcess:
    """Runs the CLI in this process, capturing what it prints and logs."""

    def __init__(
        self,
        world: World,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        self.world = world
        self.capsys = capsys
        self.caplog = caplog

    def __call__(self, *extra: str, config: Path | None = None) -> Run:
        self.capsys.readouterr()
        self.caplog.clear()
        code = main(self.world.argv(*extra, config=config))
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err, self.caplog.text)


@pytest.fixture
def fault_sandbox() -> Iterator[Any]:
    from bumper.sandbox.app import Sandbox

    with Sandbox(token=TOKEN) as sb:
        yield sb


@pytest.fixture
def world(fault_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    w = World(fault_sandbox, tmp_path / "world")
    yield w
    w.close()


@pytest.fixture
def run(
    world: World,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> InProcess:
    return in_process(world, capsys, caplog, monkeypatch)


def in_process(
    world: World,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> InProcess:
    """The in-process runner of ``world``, its logs captured down to debug."""
    # PyGithub gives its logger a handler on the stderr of its import time, which may be an
    # earlier test's closed capture; caplog sees its records either way.
    monkeypatch.setattr(logging.getLogger("github"), "handlers", [])
    # Debug logs included: a token must not leak even there.
    for name in ("bumper", "github", "urllib3", "httpx"):
        caplog.set_level(logging.DEBUG, logger=name)
    return InProcess(world, capsys, caplog)


def world_fixtures(
    make: Callable[[Any, Path], World], world_name: str, run_name: str
) -> tuple[Any, Any]:
    """A module's own world fixture and its in-process runner, as ``world`` and ``run`` are
    this suite's: ``pin_world, pin_run = world_fixtures(PinWorld, "pin_world", "pin_run")``."""

    @pytest.fixture(name=world_name)
    def a_world(
        fault_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[World]:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        w = make(fault_sandbox, tmp_path / "world")
        yield w
        w.close()

    @pytest.fixture(name=run_name)
    def a_run(
        request: pytest.FixtureRequest,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> InProcess:
        return in_process(request.getfixturevalue(world_name), capsys, caplog, monkeypatch)

    return a_world, a_run


def check_fault_met(
    world: World, fault: int, mode: str, path: str, method: str | None, graphql: str | None
) -> None:
    """The fault met the pass: a case that injects nothing proves nothing."""
    if mode == "once":
        assert fault not in [f["id"] for f in world.sb.faults.active()]
    else:
        assert any(
            re.search(path, r["path"])
            and r["method"] == (method or r["method"])
            and r.get("graphql") == (graphql or r.get("graphql"))
            for r in world.sb.requests()
        )


def push_before(
    world: World,
    run: InProcess,
    *,
    path: str,
    method: str | None,
    graphql: str | None,
    nth: int,
    branch: str,
) -> tuple[Run, str]:
    """A pass during which a person pushes to ``branch`` just before the ``nth`` request
    matching (a sandbox hook); what it printed, and the person's commit."""
    hook = {
        "path": path,
        "method": method,
        "graphql": graphql,
        "nth": nth,
        "repository": TARGET,
        "branch": branch,
        "files": {"NOTES.md": "a person's work\n"},
        "message": "A person's fix",
    }
    with httpx.Client(base_url=world.sb.url, timeout=10) as admin:
        assert admin.post("/_sandbox/hooks", json=hook).status_code == 201
        raced = run()
        (fired,) = admin.get("/_sandbox/hooks").json()
        admin.delete("/_sandbox/hooks")
    pushed = fired["pushed"]
    assert pushed is not None, f"the write never came\n{raced.describe()}"
    return raced, str(pushed)


def sample(items: Sequence[Any], k: int, seed: str) -> list[Any]:
    """``k`` items chosen by a fixed seed: the same CI sample on every run."""
    import random

    rng = random.Random(seed)
    return rng.sample(list(items), min(k, len(items)))


def redact(text: str) -> str:
    return re.sub(re.escape(TOKEN), "<TOKEN>", text)


# The helpers below import test_kill9 and test_concurrent_passes where they are called: those
# modules import this one.


def kill_points(writes: int, seed: str) -> list[Any]:
    """A kill after each of a pass's ``writes`` API writes (ids after-write-N): CI kills at
    two chosen by ``seed``, the rest are ``slow`` (``--full``)."""
    points = range(1, writes + 1)
    ci = sample(points, 2, seed)
    return [
        pytest.param(k, id=f"after-write-{k}", marks=() if k in ci else pytest.mark.slow)
        for k in points
    ]


def makes_writes(world: World, run: InProcess, writes: int) -> None:
    """A clean pass converges in exactly ``writes`` API writes: the kill points cover them all."""
    from faults.test_kill9 import api_writes

    world.sb.clear_requests()
    done = run()
    world.check_converged(done)
    assert len(api_writes(world.sb)) == writes


def converges_after_kill(world: World, run: InProcess, k: int) -> None:
    """`kill -9` of a pass after its ``k``-th API write; then a clean pass converges and the
    one after it has nothing left to write."""
    from faults.test_kill9 import api_writes, kill_when, slow_writes

    slow_writes(world.sb)
    killed = kill_when(world, lambda sb: len(api_writes(sb)) >= k)
    world.sb.clear_faults()
    clean = run()
    world.check_converged(clean)
    world.check_no_token(killed, clean)
    world.sb.clear_requests()
    again = run()
    assert {r["status"] for r in again.doc["results"]} == {"up-to-date"}, again.describe()
    assert api_writes(world.sb) == []


def races_to_one_pr_per_pin(world: World, run: InProcess) -> None:
    """Two passes held together at their first GraphQL request: each tells the truth, both
    name the same PR for each pin, and a clean pass after them converges."""
    from faults.test_concurrent_passes import held_together, run_two_at_once

    held_together(world, r"^/api/graphql$", "POST")
    first, second = run_two_at_once(world)
    for one in (first, second):
        world.check_truthful(one)
    numbers: dict[str, set[Any]] = {}
    for one in (first, second):
        for name, result in one.results.items():
            if result["status"] != "failed":
                numbers.setdefault(name, set()).add(result["pr"])
    assert all(len(n) == 1 for n in numbers.values()), numbers
    world.sb.clear_faults()
    world.check_converged(run())
