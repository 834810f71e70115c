"""The GitHub Action (action.yml): valid metadata, and its own steps opening PRs in the sandbox.

The composite steps are run as a runner would run them: `${{ ... }}` expressions filled in,
each `run:` script under bash with its `env:`, outputs read back from $GITHUB_OUTPUT. The
install step installs bumper from the action's checkout into a fresh virtualenv (offline: the
dependencies come from the test environment), and the run step opens PRs in the sandbox.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

import httpx
from published_schemas import schema_errors
from ruamel.yaml import YAML

from bumper.sandbox.app import Sandbox
from bumper.sandbox.seed import TARGET, demo_config_yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def test_action_metadata_validates_against_the_published_schema() -> None:
    assert schema_errors("github-actions", ACTION) == []
    assert schema_errors("github-actions", {**ACTION, "runs": {"using": "node"}}) != []


def test_action_is_composite_with_config_and_token_inputs_and_only_allowed_expressions() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert [k for k in ACTION["inputs"] if "config" in k] == ["config"]
    assert [k for k in ACTION["inputs"] if "token" in k] == ["token"]
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            assert step["uses"].startswith("actions/setup-python@")
            continue
        used = EXPRESSION.findall(str(step))
        assert all(
            e.startswith("inputs.") or e in ("github.action_path", "github.workspace") for e in used
        ), used
        # inputs reach scripts through env, never spliced into the script text
        assert not [e for e in EXPRESSION.findall(step["run"]) if e.startswith("inputs.")]


def _fill(text: str, context: Mapping[str, str]) -> str:
    return EXPRESSION.sub(lambda m: context[m.group(1)], text)


def _run_steps(context: dict[str, str], env: dict[str, str], workspace: Path) -> dict[str, str]:
    """Run the composite's `run:` steps in order; the step outputs by name."""
    outputs_file = workspace / "github-output"
    outputs_file.write_text("")
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            continue  # setup-python: the test's interpreter stands in for it
        step_env = {k: _fill(str(v), context) for k, v in step.get("env", {}).items()}
        script = _fill(step["run"], context)
        cwd = _fill(step.get("working-directory", "${{ github.workspace }}"), context)
        done = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=cwd,
            env={**env, **step_env, "GITHUB_OUTPUT": str(outputs_file)},
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode in (0, 1), f"{step.get('name')}: {done.stdout}\n{done.stderr}"
    return _parse_outputs(outputs_file.read_text())


def _parse_outputs(text: str) -> dict[str, str]:
    outputs, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            outputs[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def _virtualenv(where: Path) -> dict[str, str]:
    """A fresh virtualenv that sees this environment's packages (so pip installs offline)."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    site = subprocess.run(
        [
            str(where / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    path = f"{where / 'bin'}{os.pathsep}{os.environ['PATH']}"
    return {"PATH": path, "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "1"}


def test_the_actions_own_steps_install_bumper_and_open_prs_in_the_sandbox(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "workspace"
    (workspace / ".github").mkdir(parents=True)
    with Sandbox(seed="demo") as sb:
        (workspace / ".github" / "bumper.yaml").write_text(demo_config_yaml(sb.url, "GITHUB_TOKEN"))
        env = {**os.environ, **_virtualenv(tmp_path / "venv"), "RUNNER_TEMP": str(tmp_path)}
        env.pop("GITHUB_TOKEN", None)
        context = {
            "github.action_path": str(ROOT),
            "github.workspace": str(workspace),
            **{f"inputs.{k}": str(v.get("default", "")) for k, v in ACTION["inputs"].items()},
            "inputs.token": sb.token,
        }
        outputs = _run_steps(context, env, workspace)
        listed = httpx.get(f"{sb.api_url}/repos/{TARGET}/pulls", timeout=10).json()
    assert outputs["exit-code"] == "0", outputs
    report = json.loads(outputs["results"])
    bumped = [r for r in report["results"] if r["status"] == "bumped"]
    assert bumped, report
    assert sorted(int(n) for n in outputs["prs"].split()) == sorted(r["pr"] for r in bumped)
    assert sorted(pr["number"] for pr in listed) == sorted(r["pr"] for r in bumped)
    assert all(pr["head"]["ref"].startswith("update/") for pr in listed)


def test_the_ready_workflow_in_docs_validates_and_uses_the_actions_inputs() -> None:
    workflow = YAML(typ="safe").load((ROOT / "docs" / "workflows" / "bump.yaml").read_text())
    assert schema_errors("github-workflows", workflow) == []
    (step,) = [s for s in workflow["jobs"]["bump"]["steps"] if s.get("id") == "bumper"]
    assert set(step["with"]) <= set(ACTION["inputs"])
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
