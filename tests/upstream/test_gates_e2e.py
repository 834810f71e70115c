"""Gates and self-lifting holds, end to end: `bumper run-once --json` against the sandbox,
upstream commits pushed with plain git at controlled committer dates, statuses posted
through the sandbox's REST API, PRs opened for real."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bumper.cli import main

HOUR = 3600.0
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def iso(seconds_ago: float) -> str:
    return datetime.fromtimestamp(time.time() - seconds_ago, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Upstream:
    """A GitHub-hosted upstream in the sandbox, pushed to with plain git."""

    def __init__(self, sandbox: Any, tmp: Path, full: str = "up/lib") -> None:
        owner, name = full.split("/")
        self.sb, self.full = sandbox, full
        sandbox.store.create_repo(owner, name, auto_init=True)
        self.work = tmp / f"push-{name}"
        url = f"{sandbox.git_url}/{full}.git".replace("://", f"://x:{sandbox.token}@")
        subprocess.run(["git", "clone", "-q", url, str(self.work)], check=True)
        self.n = 0

    def push(self, *ages_hours: float, to: str = "main") -> list[str]:
        """Commits committed that many hours ago, oldest given first; their shas."""
        shas = []
        for age in ages_hours:
            self.n += 1
            (self.work / "src.c").write_text(f"// {self.n}\n")
            env = {**os.environ, "GIT_COMMITTER_DATE": iso(age * HOUR)}
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"]
            subprocess.run(["git", "-C", str(self.work), "add", "src.c"], check=True)
            subprocess.run(
                ["git", "-C", str(self.work), "commit", "-qm", f"work {self.n}"],
                check=True,
                env=env,
            )
            out = subprocess.run(
                ["git", "-C", str(self.work), "rev-parse", "HEAD"],
                check=True,
                capture_output=True,
                text=True,
            )
            shas.append(out.stdout.strip())
        subprocess.run(
            ["git", "-C", str(self.work), "push", "-q", "origin", "HEAD:main"], check=True
        )
        return shas

    def status(self, sha: str, state: str, context: str = "ci") -> None:
        reply = httpx.post(
            f"{self.sb.api_url}/repos/{self.full}/statuses/{sha}",
            json={"state": state, "context": context},
            headers={"Authorization": f"token {self.sb.token}"},
            timeout=10,
        )
        assert reply.status_code == 201, reply.text


class Target:
    def __init__(self, sandbox: Any, tmp: Path, pin: str) -> None:
        self.sb, self.tmp = sandbox, tmp
        sandbox.store.create_repo("acme", "app", auto_init=True)
        sandbox.store.commit_files(
            "acme/app", "main", {"Makefile": f"LIB_VERSION?={pin}\n"}, "pin lib"
        )

    def config(self, row: str, extra: str = "") -> Path:
        path = self.tmp / "bumper.yaml"
        path.write_text(
            f"github:\n  api_url: {self.sb.api_url}\n  git_url: {self.sb.git_url}\n"
            f"  web_url: {self.sb.url}\n  token_env: SANDBOX_TOKEN\n"
            "  seconds_between_writes: 0\n"
            "target:\n  repository: acme/app\n"
            "lookup:\n  allow_http: true\n  backoff_seconds: 0\n"
            f"{extra}"
            "matrix:\n"
            "  - repository: up/lib\n    variable: LIB_VERSION\n    branch: main\n"
            f"    file: Makefile\n{row}",
            encoding="utf-8",
        )
        return path

    def pulls(self) -> list[dict[str, Any]]:
        reply = httpx.get(f"{self.sb.api_url}/repos/acme/app/pulls", timeout=10)
        return list(reply.json())


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sandbox: Any) -> None:
    monkeypatch.setenv("SANDBOX_TOKEN", sandbox.token)


def run(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, Any]:
    code = main(["run-once", "--config", str(config), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    [result] = out["results"]
    return dict(result)


def test_min_age_bumps_to_the_newest_commit_old_enough_not_the_head(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    old, aged, _young, head = up.push(100, 40, 20, 3)
    target = Target(sandbox, tmp_path, old)
    result = run(capsys, target.config("    min_age: 36h\n"))
    assert (result["status"], result["new"]) == ("bumped", aged)
    assert f"head {head[:12]} is 3 h old; min_age 36h" in result["message"]
    assert result["gate"].startswith(f"head {head[:12]} is 3 h old; min_age 36h: chose {aged[:12]}")
    [pr] = target.pulls()
    assert aged in pr["body"] and "min_age 36h" in pr["body"]

    # the newest old-enough commit is what the PR has: up to date, and nothing written
    sandbox.clear_requests()
    again = run(capsys, target.config("    min_age: 36h\n"))
    assert (again["status"], again["new"]) == ("up-to-date", aged)
    assert not [
        r for r in sandbox.requests() if r["method"] in WRITES and "graphql" not in r["path"]
    ]


def test_a_pin_already_at_the_newest_old_enough_commit_is_up_to_date(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    aged, _young = up.push(50, 1)
    target = Target(sandbox, tmp_path, aged)
    result = run(capsys, target.config("", extra="gates:\n  min_age: 2d\n"))
    assert (result["status"], result["new"]) == ("up-to-date", aged)
    assert target.pulls() == []


def test_min_age_waits_when_no_commit_is_old_enough_yet(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    target = Target(sandbox, tmp_path, "1" * 40)
    up.push(2, 1)
    # the initial commit is brand new too: nothing in the page is 36 hours old
    result = run(capsys, target.config("    min_age: 36h\n"))
    assert result["status"] == "skipped"
    assert "waiting: none of the newest" in result["message"]
    assert target.pulls() == []


def test_require_checks_bumps_to_the_newest_green_commit(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    old, green, red, pending, unchecked = up.push(10, 5, 4, 3, 2)
    up.status(green, "success")
    up.status(red, "success", "build")
    up.status(red, "failure", "test")
    up.status(pending, "pending")
    target = Target(sandbox, tmp_path, old)
    result = run(capsys, target.config("    require_checks: true\n"))
    assert (result["status"], result["new"]) == ("bumped", green)
    assert f"head {unchecked[:12]} has no checks; require_checks" in result["message"]

    # upstream's CI turns the head green: the same PR moves to it
    up.status(unchecked, "success")
    moved = run(capsys, target.config("    require_checks: true\n"))
    assert (moved["status"], moved["new"]) == ("bumped", unchecked)
    assert moved["gate"] is None
    assert len(target.pulls()) == 1


def test_a_gated_pass_where_nothing_changed_is_one_request(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    _old, aged, _young = up.push(100, 60, 1)
    up.status(aged, "success")
    target = Target(sandbox, tmp_path, aged)
    config = target.config("    min_age: 2d\n    require_checks: true\n")
    sandbox.clear_requests()
    result = run(capsys, config)
    assert (result["status"], result["new"]) == ("up-to-date", aged)
    assert [(r["method"], r["path"]) for r in sandbox.requests()] == [("POST", "/api/graphql")]


def test_a_dated_hold_lifts_on_its_day_and_not_before(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    old, new = up.push(10, 5)
    target = Target(sandbox, tmp_path, old)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    today = datetime.now(UTC).date().isoformat()

    held = run(
        capsys, target.config(f"    hold: {{reason: 'hangs in synthesis', until: {tomorrow}}}\n")
    )
    assert held["status"] == "held"
    assert held["message"] == f"hangs in synthesis (held until {tomorrow})"
    assert held["hold"]["until"] == tomorrow
    assert target.pulls() == []

    lifted = run(
        capsys, target.config(f"    hold: {{reason: 'hangs in synthesis', until: {today}}}\n")
    )
    assert (lifted["status"], lifted["new"]) == ("bumped", new)
    assert f"hold lifted: {today} has come (was held: hangs in synthesis)" in lifted["message"]
    [pr] = target.pulls()
    assert "hold lifted" in pr["body"] and "hangs in synthesis" in pr["body"]


def test_a_hold_waiting_for_the_fix_lifts_once_the_branch_contains_it(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    (old,) = up.push(10)
    target = Target(sandbox, tmp_path, old)
    # the fix exists upstream, but on another branch: main does not contain it yet
    store = sandbox.store
    fix = store.commit_files("up/lib", "fix", {"fix.c": "fixed"}, "the fix", parent=old)
    broken = store.commit_files("up/lib", "main", {"src.c": "still broken"}, "more work")
    row = f"    hold: {{reason: 'hangs in synthesis', until_upstream_contains: {fix}}}\n"

    held = run(capsys, target.config(row))
    assert held["status"] == "held"
    assert held["message"] == f"hangs in synthesis (held until main contains {fix[:12]})"
    assert target.pulls() == []

    # the fix lands on main (as a later commit on top of it, as a merge or rebase would)
    merged = store.commit_files("up/lib", "main", {"fix.c": "fixed"}, "land the fix", parent=fix)
    lifted = run(capsys, target.config(row))
    assert (lifted["status"], lifted["new"]) == ("bumped", merged), lifted
    assert f"hold lifted: main now contains {fix[:12]}" in lifted["message"]
    assert broken != merged


def test_a_gate_without_github_graphql_fails_rather_than_bumping_the_head(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    old, _new = up.push(100, 1)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "Makefile").write_text(f"LIB_VERSION?={old}\n")
    target_cfg = Target.__new__(Target)
    target_cfg.sb, target_cfg.tmp = sandbox, tmp_path
    config = target_cfg.config("    min_age: 36h\n")
    code = main(["run-once", "--config", str(config), "--checkout", str(checkout), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    [result] = out["results"]
    assert result["status"] == "failed"
    assert "min_age 36h needs the branch's history from GitHub GraphQL" in result["message"]
    assert (checkout / "Makefile").read_text() == f"LIB_VERSION?={old}\n"


def test_a_graphql_outage_never_bumps_a_gated_pin_to_an_unchecked_head(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    old, _aged, _head = up.push(100, 50, 1)
    target = Target(sandbox, tmp_path, old)
    # every GraphQL request fails: the look-up falls back to git ls-refs, which has no dates
    sandbox.add_fault(r"^/api/graphql", status=502, times=100)
    config = target.config("    min_age: 36h\n", extra="")
    code = main(["run-once", "--config", str(config), "--json"])
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert code == 1
    assert result["status"] == "failed"
    assert "needs the branch's history from GitHub GraphQL" in result["message"]
    assert target.pulls() == []
    assert (
        sandbox.store.read_file("acme/app", "main", "Makefile") == f"LIB_VERSION?={old}\n".encode()
    )


def test_two_rows_on_one_branch_with_gates_that_disagree_fail_rather_than_fight(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    old, aged, head = up.push(100, 50, 1)
    target = Target(sandbox, tmp_path, old)
    sandbox.store.commit_files(
        "acme/app", "main", {"Makefile": f"LIB_VERSION?={old}\nLIB2_VERSION?={old}\n"}, "two pins"
    )
    config = target.config(
        "    min_age: 36h\n"
        "  - repository: up/lib\n    variable: LIB2_VERSION\n    branch: main\n"
        "    file: Makefile\n"
    )
    code = main(["run-once", "--config", str(config), "--json"])
    results = {r["variable"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert code == 1
    assert (results["LIB_VERSION"]["status"], results["LIB_VERSION"]["new"]) == ("bumped", aged)
    assert results["LIB2_VERSION"]["status"] == "failed"
    assert "chose different commits" in results["LIB2_VERSION"]["message"]
    assert head[:12] in results["LIB2_VERSION"]["message"]


def test_a_checkout_is_rewritten_to_the_gated_commit_and_a_newer_pin_is_not_moved_back(
    sandbox: Any, tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    up = Upstream(sandbox, tmp_path)
    old, aged, young = up.push(100, 50, 1)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "Makefile").write_text(f"LIB_VERSION?={old}\n")
    target = Target.__new__(Target)
    target.sb, target.tmp = sandbox, tmp_path
    config = target.config("    min_age: 2d\n")
    args = ["run-once", "--config", str(config), "--checkout", str(checkout), "--json"]
    assert main(args) == 0
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert (result["status"], result["new"]) == ("bumped", aged)
    assert (checkout / "Makefile").read_text() == f"LIB_VERSION?={aged}\n"

    # a person pinned the young head by hand: the gate does not take it back to `aged`
    (checkout / "Makefile").write_text(f"LIB_VERSION?={young}\n")
    assert main(args) == 0
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert (result["status"], result["new"]) == ("up-to-date", young)
    assert "newer than any commit that passes, so it stays" in result["message"]
    assert (checkout / "Makefile").read_text() == f"LIB_VERSION?={young}\n"
