"""What `bumper run-once` has loaded when its first request leaves: nothing it does not need yet.

PyGithub (writes only), ruamel (a config beyond plain block YAML), APScheduler and zoneinfo
(`serve`), prometheus (`serve`), rich (a terminal), httpx's own CLI (click, pygments),
httpcore's async back-ends (anyio, trio; bumper's requests block), and bumper's own modules
for the steps after the look-ups (the audit's scanners, the pin files, the PR writes): each is
milliseconds to tens of them before the first look-up could have gone out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HEAVY = (
    "github",
    "requests",
    "urllib3",
    "cryptography",
    "ruamel",
    "apscheduler",
    "zoneinfo",
    "prometheus_client",
    "rich",
    "click",
    "pygments",
    "anyio",
    "trio",
)
# bumper's own: what reads and rewrites pin files, and everything after the look-ups
LATER = ("bumper.audit", "bumper.pinfiles", "bumper.bump.publish", "bumper.bump.checkout")

# An audit hook sees the first connect() of the process, before any byte is sent; the driver
# itself imports nothing beyond what `python -c` has anyway.
DRIVER = """
import json, sys
seen = []
def hook(event, args):
    if event == "socket.connect" and not seen:
        seen.append(1)
        with open(sys.argv[1], "w") as out:
            json.dump(sorted(sys.modules), out)
sys.addaudithook(hook)
from bumper.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _config(tmp: Path, sb: Any, token: bool) -> Path:
    sb.store.create_repo("up", "lib", default_branch="master")
    head = sb.store.commit_files("up/lib", "master", {"a.c": "x\n"}, "work")
    sb.store.create_repo("acme", "target", default_branch="main")
    sb.store.commit_files("acme/target", "main", {"Makefile": f"LIB_VERSION?={head}\n"}, "pin")
    path = tmp / "bumper.yaml"
    github = f"github:\n  api_url: {sb.api_url}\n  git_url: {sb.git_url}\n"
    if token:
        github += "  token_env: FIRST_REQUEST_TOKEN\n"
    path.write_text(
        github + "target:\n  repository: acme/target\n  base: main\n"
        "lookup:\n  allow_http: true\n"
        "matrix:\n  - repository: up/lib\n    variable: LIB_VERSION\n"
        "    branch: master\n    file: Makefile\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("token", [True, False], ids=["graphql", "git"])
def test_the_first_request_leaves_before_any_heavy_import(
    sandbox: Any, tmp_path: Path, token: bool
) -> None:
    config = _config(tmp_path, sandbox, token)
    modules = tmp_path / "modules.json"
    env = {**os.environ, "FIRST_REQUEST_TOKEN": sandbox.token}
    args = ["run-once", "--config", str(config), "--json"]
    if not token:
        args += ["--dry-run"]  # no token: nothing may be written anyway
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(modules), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["status"] == "up-to-date"
    loaded = json.loads(modules.read_text())
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == []
    assert [m for m in loaded if m.startswith(LATER)] == []
    assert "bumper.config" in loaded  # the hook did see the pass's own first request
    kind = "/api/graphql" if token else "git-upload-pack"
    assert kind in sandbox.requests()[0]["path"]


AT_EXIT = """
import atexit, json, sys
atexit.register(lambda: json.dump(sorted(sys.modules), open(sys.argv[1], "w")))
from bumper.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_a_pass_where_nothing_moved_never_loads_pygithub(sandbox: Any, tmp_path: Path) -> None:
    config = _config(tmp_path, sandbox, token=True)
    modules = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", AT_EXIT, str(modules), "run-once", "--config", str(config)],
        env={**os.environ, "FIRST_REQUEST_TOKEN": sandbox.token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stdout
    loaded = json.loads(modules.read_text())
    assert [m for m in loaded if m.split(".")[0] in ("github", "requests", "ruamel")] == []
    assert len(sandbox.requests()) == 1  # the one GraphQL read: no forge call either
