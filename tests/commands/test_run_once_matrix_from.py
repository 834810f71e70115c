"""`matrix_from` without a checkout: the workflow comes from the target repository.

INTERFACES: `matrix_from.workflow` is relative to the checkout, or to the target repository
when there is no checkout. run-once and serve (start and reload) read it through one GraphQL
request; with --checkout the local workflow is the one used, and nothing asks for it.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from textwrap import dedent
from typing import Any

import httpx
import pytest
from serving import NEVER, Daemons

from bumper.cli import main
from bumper.config import load_config

OLD = "1" * 40
TOKEN_ENV = "BUMPER_TARGET_TOKEN"
WORKFLOW = ".github/workflows/bump_deps.yaml"
TARGET = "acme/app"


def _row(name: str, indent: str = "") -> str:
    return (
        f"{indent}- repository: up/{name}\n"
        f"{indent}  variable: {name.upper()}_VERSION\n"
        f"{indent}  branch: main\n"
        f"{indent}  file: {name}/Makefile\n"
    )


def _workflow(active: list[str], held: dict[str, str]) -> str:
    """A bump workflow: `active` rows, and `held` rows commented out under their reason."""
    rows = "".join(_row(name) for name in active)
    for name, reason in held.items():
        rows += f"# {reason}\n" + "".join(f"# {line}\n" for line in _row(name).splitlines())
    include = "".join(f"            {line}\n" for line in rows.splitlines())
    return (
        dedent(
            """\
            name: Bump dependencies
            on: {workflow_dispatch: {}}
            jobs:
              bump:
                strategy:
                  fail-fast: false
                  matrix:
                    include:
            """
        )
        + include
        + "    runs-on: ubuntu-latest\n    steps:\n      - run: make bump\n"
    )


REMOTE_WORKFLOW = _workflow(["lib", "tool"], {"held": "Held: upstream broke the build, see #7"})
MAKEFILES = {
    f"{name}/Makefile": f"{name.upper()}_VERSION?={OLD}\n" for name in ("lib", "tool", "held")
}


def _upstream(sb: Any, name: str) -> str:
    sb.store.create_repo("up", name, default_branch="main")
    return str(sb.store.commit_files(f"up/{name}", "main", {"src.c": f"// {name}\n"}, "work"))


@pytest.fixture
def heads(sandbox: Any) -> dict[str, str]:
    """Three upstreams and a target repository holding the workflow and the Makefiles."""
    found = {
        f"{name.upper()}_VERSION": _upstream(sandbox, name) for name in ("lib", "tool", "held")
    }
    sandbox.store.create_repo("acme", "app", default_branch="main")
    sandbox.store.commit_files(TARGET, "main", {WORKFLOW: REMOTE_WORKFLOW, **MAKEFILES}, "pins")
    return found


def _config(
    tmp_path: Path, sb: Any, *, matrix_from: bool = True, name: str = "bumper.yaml"
) -> Path:
    path = tmp_path / name
    source = (
        f"matrix_from:\n  workflow: {WORKFLOW}\n  job: bump\n" if matrix_from else "matrix: []\n"
    )
    path.write_text(
        f"github:\n  api_url: {sb.api_url}\n  git_url: {sb.git_url}\n  web_url: {sb.url}\n"
        f"  token_env: {TOKEN_ENV}\n  seconds_between_writes: 0\n"
        "lookup:\n  allow_http: true\n  backoff_seconds: 0\n  retries: 0\n"
        f"target:\n  repository: {TARGET}\n  base: main\n"
        f'schedule:\n  cron: "{NEVER}"\n' + source,
        encoding="utf-8",
    )
    return path


def _run_once(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["run-once", *args, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {}, captured.err


def test_opens_a_pr_for_each_row_of_the_target_repositorys_workflow_and_reports_the_held_one(
    sandbox: Any,
    heads: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)

    code, doc, err = _run_once(capsys, "--config", str(_config(tmp_path, sandbox)))

    assert code == 0, err
    by_var = {r["variable"]: r for r in doc["results"]}
    assert sorted(by_var) == ["HELD_VERSION", "LIB_VERSION", "TOOL_VERSION"]
    for variable in ("LIB_VERSION", "TOOL_VERSION"):
        assert (by_var[variable]["status"], by_var[variable]["new"]) == ("bumped", heads[variable])
    assert by_var["HELD_VERSION"]["status"] == "held"
    assert "upstream broke the build, see #7" in by_var["HELD_VERSION"]["message"]
    assert by_var["HELD_VERSION"]["pr"] is None
    pulls = httpx.get(f"{sandbox.api_url}/repos/{TARGET}/pulls", timeout=5).json()
    assert sorted(p["number"] for p in pulls) == sorted(
        by_var[v]["pr"] for v in ("LIB_VERSION", "TOOL_VERSION")
    )


def test_the_workflow_costs_one_graphql_request_and_nothing_without_matrix_from(
    sandbox: Any, heads: dict[str, str], tmp_path: Path
) -> None:
    sandbox.clear_requests()
    config = load_config(_config(tmp_path, sandbox), None, {TOKEN_ENV: sandbox.token})
    assert [(e.variable, e.hold) for e in config.matrix] == [
        ("LIB_VERSION", None),
        ("TOOL_VERSION", None),
        ("HELD_VERSION", "Held: upstream broke the build, see #7"),
    ]
    assert [(r["method"], r["path"]) for r in sandbox.requests()] == [("POST", "/api/graphql")]

    sandbox.clear_requests()
    plain = load_config(_config(tmp_path, sandbox, matrix_from=False), None, {})
    assert plain.matrix == ()
    assert sandbox.requests() == []


def test_with_a_checkout_its_own_workflow_is_used_and_the_target_is_not_asked(
    sandbox: Any, heads: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout = tmp_path / "checkout"
    for path, text in {
        WORKFLOW: _workflow(["lib"], {"tool": "Held: waiting for the local fix"}),
        **MAKEFILES,
    }.items():
        (checkout / path).parent.mkdir(parents=True, exist_ok=True)
        (checkout / path).write_text(text)
    sandbox.clear_requests()

    code, doc, err = _run_once(
        capsys, "--config", str(_config(tmp_path, sandbox)), "--checkout", str(checkout)
    )

    assert code == 0, err
    assert [(r["variable"], r["status"]) for r in doc["results"]] == [
        ("LIB_VERSION", "bumped"),
        ("TOOL_VERSION", "held"),
    ]
    assert "waiting for the local fix" in doc["results"][1]["message"]
    assert (checkout / "lib/Makefile").read_text() == f"LIB_VERSION?={heads['LIB_VERSION']}\n"
    asked = [r["path"] for r in sandbox.requests()]
    assert "/api/graphql" not in asked
    assert not any(TARGET in path for path in asked)


def test_without_a_token_the_workflow_cannot_be_read_and_the_config_is_refused(
    sandbox: Any, heads: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, sandbox)
    sandbox.clear_requests()

    code, doc, err = _run_once(capsys, "--config", str(config))

    assert (code, doc) == (2, {})
    [line] = err.splitlines()
    number = config.read_text().splitlines().index(f"  workflow: {WORKFLOW}") + 1
    assert line.startswith(f"bumper: {config}:{number}: matrix_from.workflow: cannot fetch ")
    assert f"${TOKEN_ENV}" in line
    assert sandbox.requests() == []


def test_serve_reads_the_workflow_at_start_and_again_on_reload(
    sandbox: Any, heads: dict[str, str], tmp_path: Path
) -> None:
    config = _config(tmp_path, sandbox)
    with Daemons(tmp_path) as daemons:
        served = daemons.start(config.read_text(), env={TOKEN_ENV: sandbox.token})
        entries = served.status()["entries"]
        assert [(e["variable"], e["status"]) for e in entries] == [
            ("LIB_VERSION", "pending"),
            ("TOOL_VERSION", "pending"),
            ("HELD_VERSION", "held"),
        ]

        changed = _workflow(["lib", "tool", "held"], {})
        sandbox.store.commit_files(TARGET, "main", {WORKFLOW: changed}, "release the hold")
        served.signal(signal.SIGHUP)

        def reloaded() -> list[tuple[str, str]] | None:
            now = [(e["variable"], e["status"]) for e in served.status()["entries"]]
            return now if ("HELD_VERSION", "pending") in now else None

        assert served.wait_for("the reloaded workflow", reloaded) == [
            ("LIB_VERSION", "pending"),
            ("TOOL_VERSION", "pending"),
            ("HELD_VERSION", "pending"),
        ]
