"""The dashboard issue and auto-merge's writes under faults: an error or a broken answer at
each of their requests, `kill -9` right after each write, two passes at once. Whatever
happens, a clean pass leaves one open dashboard issue (never two) and a PR merged once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from bumper.bump.dashboard import is_dashboard
from faults.conftest import BASE, TARGET, TOKEN, InProcess, Run, World
from faults.test_concurrent_passes import held_together, run_two_at_once
from faults.test_kill9 import kill_when, slow_writes

ISSUES = r"^/api/v3/repos/acme/app/issues$"
ISSUE = r"^/api/v3/repos/acme/app/issues/\d+$"
# the dashboard's requests: listing bumper's issues, opening one, editing (or closing) one
DASHBOARD_PHASES = {"list": (ISSUES, "GET"), "create": (ISSUES, "POST"), "edit": (ISSUE, "PATCH")}
# how each request fails: an error every retry sees, an answer that breaks off after the
# server did the work, a connection closed before it did
KINDS = {
    "500": {"status": 500, "times": 3},
    "truncate": {"kind": "truncate", "status": None, "times": 1},
    "drop": {"kind": "drop", "status": None, "times": 1},
}
MERGE = r"^/api/v3/repos/acme/app/pulls/\d+/merge$"
# what CI runs of each sweep (``--full`` runs every case): one of each kind, one per phase
CI_DASHBOARD = {("create", "truncate"), ("edit", "500"), ("list", "drop")}
CI_KINDS = {"truncate"}


def _sweep() -> list[Any]:
    """Every kind of fault, CI's sample unmarked and the rest ``slow``."""
    return [
        pytest.param(kind, id=kind, marks=() if kind in CI_KINDS else pytest.mark.slow)
        for kind in KINDS
    ]


def _dashboard_cases() -> list[Any]:
    return [
        pytest.param(
            phase,
            kind,
            id=f"{phase}-{kind}",
            marks=() if (phase, kind) in CI_DASHBOARD else pytest.mark.slow,
        )
        for phase in DASHBOARD_PHASES
        for kind in KINDS
    ]


def _config(world: World, extra: str) -> Path:
    path = world.root / "bumper-extra.yaml"
    path.write_text(world.config.read_text() + extra, encoding="utf-8")
    return path


def _dashboards(world: World, state: str = "open") -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{world.sb.api_url}/repos/{TARGET}/issues", params={"state": state, "per_page": 100}
    )
    answer.raise_for_status()
    return [
        i
        for i in answer.json()
        if "pull_request" not in i and is_dashboard(i["body"] or "") and i["user"]["login"]
    ]


def _issue_writes(world: World) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"])
        for r in world.sb.requests()
        if r["method"] != "GET" and re.search(r"/issues(/\d+)?$", r["path"])
    ]


def _fault(world: World, phase: str, kind: str) -> None:
    path, method = DASHBOARD_PHASES[phase]
    spec = KINDS[kind]
    world.sb.add_fault(path, method, spec["status"], spec["times"], kind=spec.get("kind"))


def _check_one_dashboard(world: World, run: InProcess, config: Path) -> Run:
    clean = run(config=config)
    assert clean.code == 0, clean.describe()
    assert clean.doc["dashboard"]["problem"] is None, clean.describe()
    [issue] = _dashboards(world)
    assert clean.doc["dashboard"]["issue"] == issue["number"]
    world.sb.clear_requests()
    again = run(config=config)
    assert again.doc["dashboard"] == {"issue": issue["number"], "written": None, "problem": None}
    assert _issue_writes(world) == []
    world.check_no_token(clean, again)
    return clean


@pytest.mark.parametrize(("phase", "kind"), _dashboard_cases())
def test_a_dashboard_fault_then_a_clean_pass_leaves_one_issue(
    world: World, run: InProcess, phase: str, kind: str
) -> None:
    config = _config(world, "dashboard: true\n")
    if phase == "edit":  # the issue exists, and the pass has something new to say
        assert run(config=config).code == 0
        world.advance("LIB_VERSION")
    _fault(world, phase, kind)
    faulted = run(config=config)
    assert "Traceback" not in faulted.err, faulted.describe()
    problem = faulted.doc["dashboard"]["problem"]
    assert (faulted.code == 1) == (problem is not None), faulted.describe()
    if problem is not None:
        assert problem.startswith("dashboard: ") and TOKEN not in problem
    assert len(_dashboards(world)) <= 1
    world.sb.clear_faults()
    _check_one_dashboard(world, run, config)


@pytest.mark.parametrize("write", ["create", "edit"])
def test_kill9_right_after_a_dashboard_write_converges(
    world: World, run: InProcess, write: str
) -> None:
    config = _config(world, "dashboard: true\n")
    if write == "edit":
        assert run(config=config).code == 0
        world.advance("LIB_VERSION")
    slow_writes(world.sb)
    path, method = DASHBOARD_PHASES[write]

    def written(sb: Any) -> bool:
        return any(r["method"] == method and re.search(path, r["path"]) for r in sb.requests())

    kill_when(world, written, config=config)
    world.sb.clear_faults()
    _check_one_dashboard(world, run, config)


def test_two_passes_creating_the_dashboard_at_once_leave_one_open(
    world: World, run: InProcess
) -> None:
    config = _config(world, "dashboard: true\n")
    held_together(world, *DASHBOARD_PHASES["create"])
    first, second = run_two_at_once(world, config)
    created = [
        r for r in world.sb.requests() if r["method"] == "POST" and re.search(ISSUES, r["path"])
    ]
    assert len(created) == 2, "the race did not happen"
    assert len(_dashboards(world)) == 1  # each pass kept the older and closed the other
    assert first.doc["dashboard"]["issue"] == second.doc["dashboard"]["issue"]
    world.sb.clear_faults()
    _check_one_dashboard(world, run, config)
    assert len(_dashboards(world, "all")) == 2  # the closed twin stays closed


# -- auto-merge ------------------------------------------------------------------------


def _green(world: World, variable: str) -> int:
    """The open PR of ``variable``, its head's checks green; its number."""
    [pr] = [p for p in world.pulls("open") if p["head"]["ref"] == f"update/{variable}"]
    httpx.post(
        f"{world.sb.api_url}/repos/{TARGET}/statuses/{pr['head']['sha']}",
        json={"state": "success", "context": "ci"},
        headers={"Authorization": f"token {TOKEN}"},
    ).raise_for_status()
    return int(pr["number"])


def _merged_once(world: World, number: int, before: str) -> None:
    """The PR merged, by one merge commit on the base whose parents are the old base and
    the PR's head: never twice."""
    merges = world.store.git(TARGET, "rev-list", "--merges", f"{before}..{BASE}").split()
    assert len(merges) == 1, merges
    answer = httpx.get(f"{world.sb.api_url}/repos/{TARGET}/pulls/{number}")
    assert answer.json()["merged"] is True


@pytest.mark.parametrize("kind", _sweep())
def test_a_merge_fault_then_a_clean_pass_merges_once(
    world: World, run: InProcess, kind: str
) -> None:
    # no required checks: GitHub has nothing to wait for, so bumper merges once green
    config = _config(world, "pr: {automerge: true}\n")
    world.advance("LIB_VERSION")
    opened = run("--only", "LIB_VERSION", config=config)
    assert opened.code == 0, opened.describe()
    number = _green(world, "LIB_VERSION")
    before = world.head(TARGET, BASE)
    spec = KINDS[kind]
    world.sb.add_fault(MERGE, "PUT", spec["status"], spec["times"], kind=spec.get("kind"))
    faulted = run("--only", "LIB_VERSION", config=config)
    assert faulted.code == 0, faulted.describe()  # the PR is fine; the note says why not merged
    world.sb.clear_faults()
    clean = run("--only", "LIB_VERSION", config=config)
    assert clean.code == 0, clean.describe()
    _merged_once(world, number, before)
    world.check_no_token(faulted, clean)


def test_kill9_right_after_the_merge_then_a_clean_pass_does_not_merge_again(
    world: World, run: InProcess
) -> None:
    config = _config(world, "pr: {automerge: true}\n")
    world.advance("LIB_VERSION")
    assert run("--only", "LIB_VERSION", config=config).code == 0
    number = _green(world, "LIB_VERSION")
    before = world.head(TARGET, BASE)
    slow_writes(world.sb)

    def merged(sb: Any) -> bool:
        return any(r["method"] == "PUT" and re.search(MERGE, r["path"]) for r in sb.requests())

    kill_when(world, merged, "--only", "LIB_VERSION", config=config)
    world.sb.clear_faults()
    clean = run("--only", "LIB_VERSION", config=config)
    assert clean.code == 0 and clean.results["LIB_VERSION"]["status"] == "up-to-date"
    _merged_once(world, number, before)


def test_two_passes_merging_at_once_merge_once(world: World, run: InProcess) -> None:
    config = _config(world, "pr: {automerge: true}\n")
    world.advance("LIB_VERSION")
    assert run("--only", "LIB_VERSION", config=config).code == 0
    number = _green(world, "LIB_VERSION")
    before = world.head(TARGET, BASE)
    held_together(world, MERGE, "PUT")
    first, second = run_two_at_once(world, config, "--only", "LIB_VERSION")
    puts = [r["status"] for r in world.sb.requests() if r["method"] == "PUT"]
    assert sorted(puts) == [200, 405], puts
    assert first.code == 0 and second.code == 0, (first.describe(), second.describe())
    _merged_once(world, number, before)


def _auto_merge_repo(world: World) -> None:
    headers = {"Authorization": f"token {TOKEN}"}
    httpx.patch(
        f"{world.sb.api_url}/repos/{TARGET}", json={"allow_auto_merge": True}, headers=headers
    ).raise_for_status()
    httpx.post(
        f"{world.sb.url}/_sandbox/required-checks", json={"repository": TARGET, "contexts": ["ci"]}
    ).raise_for_status()


@pytest.mark.parametrize("kind", _sweep())
def test_an_enable_fault_still_ends_in_one_merge_once_green(
    world: World, run: InProcess, kind: str
) -> None:
    _auto_merge_repo(world)
    config = _config(world, "pr: {automerge: true}\n")
    world.advance("LIB_VERSION")
    before = world.head(TARGET, BASE)
    spec = KINDS[kind]
    # a new PR's only GraphQL mutation is turning auto-merge on (its branch is made by REST)
    world.sb.add_fault(
        r"^/api/graphql$",
        "POST",
        spec["status"],
        spec["times"],
        kind=spec.get("kind"),
        graphql="mutation",
    )
    faulted = run("--only", "LIB_VERSION", config=config)
    assert faulted.code == 0, faulted.describe()
    assert faulted.results["LIB_VERSION"]["status"] == "bumped"
    world.sb.clear_faults()
    number = _green(world, "LIB_VERSION")  # GitHub merges it if the enable got through
    clean = run("--only", "LIB_VERSION", config=config)  # else bumper does, checks being green
    assert clean.code == 0, clean.describe()
    _merged_once(world, number, before)
    world.check_no_token(faulted, clean)


def test_kill9_right_after_turning_auto_merge_on(world: World, run: InProcess) -> None:
    _auto_merge_repo(world)
    config = _config(world, "pr: {automerge: true}\n")
    world.advance("LIB_VERSION")
    before = world.head(TARGET, BASE)
    world.sb.fault_delay(r"^/api/graphql$", 150, method="POST", times=-1)

    def enabled(sb: Any) -> bool:
        return any(r.get("graphql") == "mutation" for r in sb.requests())

    kill_when(world, enabled, "--only", "LIB_VERSION", config=config)
    world.sb.clear_faults()
    after = run("--only", "LIB_VERSION", config=config)
    assert after.code == 0, after.describe()
    number = _green(world, "LIB_VERSION")
    run("--only", "LIB_VERSION", config=config)
    _merged_once(world, number, before)
