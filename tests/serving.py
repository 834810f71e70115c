"""Start `bumper serve` as a real subprocess for tests: the daemon, the status page, the image's
health check. Imported by test modules (tests/ is on sys.path under pytest's default import mode).
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from bumper.config.settings import GitHubSettings
from bumper.model import Entry
from bumper.serve.state import State
from bumper.serve.statuspage import Snapshot, entry_views

SANDBOX_TOKEN = "sandbox-token"
NEVER = "0 0 1 1 *"  # once a year: a schedule that does not fire during a test


@dataclass
class Served:
    proc: subprocess.Popen[str]
    url: str
    log_path: Path
    config_path: Path
    state_path: Path

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=5, **kwargs)

    def status(self) -> dict[str, Any]:
        response = self.get("/status.json")
        assert response.status_code == 200
        return dict(response.json())

    def metrics(self) -> dict[str, float]:
        return parse_metrics(self.get("/metrics").text)

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            assert self.proc.poll() is None, f"daemon exited {self.proc.returncode}:\n{self.log()}"
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; log:\n{self.log()}")

    def wait_for_pass(self, after: int = 0, timeout: float = 20) -> dict[str, Any]:
        """The status once a pass with an id above ``after`` has finished."""

        def finished() -> dict[str, Any] | None:
            status = self.status()
            last = status["last_pass"]
            return status if last and last["id"] > after else None

        return dict(self.wait_for(f"a pass after #{after}", finished, timeout))

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> tuple[int, float]:
        started = time.monotonic()
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started


def parse_metrics(text: str) -> dict[str, float]:
    """``{'bumper_passes_total{result="ok"}': 1.0, ...}`` from Prometheus text."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


class Daemons:
    """Starts daemons in ``tmp_path``; on exit stops them (SIGTERM, then SIGKILL)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[Served] = []

    def start(
        self,
        config_text: str,
        *args: str,
        env: dict[str, str] | None = None,
        state: Path | None = None,
        expect_listen: bool = True,
    ) -> Served:
        n = len(self.started)
        config_path = self.tmp_path / f"bumper{n}.yaml"
        config_path.write_text(config_text)
        state_path = state or self.tmp_path / f"state{n}.sqlite"
        log_path = self.tmp_path / f"serve{n}.log"
        command = [sys.executable, "-m", "bumper", "serve", "--config", str(config_path)]
        command += ["--port", "0", "--host", "127.0.0.1", "--state", str(state_path), *args]
        with log_path.open("w") as log_file:
            proc = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                env={**os.environ, "BUMPER_SANDBOX_TOKEN": SANDBOX_TOKEN, **(env or {})},
            )
        served = Served(proc, "", log_path, config_path, state_path)
        self.started.append(served)
        if not expect_listen:
            return served
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        line = proc.stdout.readline() if ready else ""
        match = re.fullmatch(r"bumper serve listening on (http://\S+)\n", line)
        assert match, f"no listening line (got {line!r}); log:\n{log_path.read_text()}"
        served.url = match[1]
        return served

    def __enter__(self) -> Daemons:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for served in self.started:
            if served.proc.poll() is None:
                served.proc.send_signal(signal.SIGTERM)
                try:
                    served.proc.wait(10)
                except subprocess.TimeoutExpired:
                    served.proc.kill()
                    served.proc.wait()
            if served.proc.stdout is not None:
                served.proc.stdout.close()


def config_yaml(
    sandbox_url: str = "http://127.0.0.1:9",
    *,
    schedule: str = f'cron: "{NEVER}"',
    matrix: str = "[]",
    extra: str = "",
) -> str:
    """A config for the sandbox's demo target; ``extra`` goes inside ``schedule:``."""
    base = sandbox_url.rstrip("/")
    return (
        f"github:\n  api_url: {base}/api/v3\n  git_url: {base}\n  web_url: {base}\n"
        "  token_env: BUMPER_SANDBOX_TOKEN\n"
        "target:\n  repository: acme/inference\n  base: main\n"
        "lookup:\n  allow_http: true\n  retries: 0\n"
        f"schedule:\n  {schedule}\n{extra}"
        f"matrix: {matrix}\n"
    )


def demo_matrix(held: dict[str, str] | None = None) -> str:
    """The sandbox demo's matrix as YAML, with ``hold:`` reasons by variable."""
    from bumper.sandbox.seed import UPSTREAMS

    lines = []
    for up in UPSTREAMS:
        if not up.tracked and up.variable not in (held or {}):
            continue
        lines += [
            f"  - repository: {up.repository}",
            f"    variable: {up.variable}",
            f"    branch: {up.branch}",
            f"    file: {up.file}",
        ]
        if held and up.variable in held:
            lines.append(f"    hold: {json.dumps(held[up.variable])}")
    return "\n" + "\n".join(lines)


def page_snapshot(entries: tuple[Entry, ...], state: State) -> Snapshot:
    """What the status page renders for ``entries`` with ``state``'s results: one idle
    daemon, no passes yet, so tests of the page need no daemon running."""
    return Snapshot(
        generated_at=time.time(),
        target="acme/inference",
        schedule="every 1 s",
        next_pass_at=None,
        pass_running=False,
        ready=True,
        not_ready=(),
        config_path="bumper.yaml",
        config_loaded_at=time.time(),
        reload_error=None,
        state_note=None,
        rate_limit_remaining=None,
        admin_enabled=False,
        passes=(),
        entries=entry_views(entries, state.entries(), GitHubSettings()),
    )
