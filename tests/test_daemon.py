"""`bumper serve` as a user runs it: a real subprocess, real HTTP, real signals.

The daemon runs against the sandbox (real git and a GitHub-compatible API on loopback)
with a schedule of seconds. Pure parts (schedule translation, request counts, the status
page's escaping, log redaction) are checked directly.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bumper.daemon import crontab_weekdays, request_counts, schedule_trigger
from bumper.logs import RedactingFilter, add_secret, redact, setup_logging
from bumper.model import Entry, Result, Status
from bumper.settings import ScheduleSettings
from bumper.state import State
from bumper.statuspage import Snapshot, entry_views, render_html

SANDBOX_TOKEN = "sandbox-token"
NEVER = "0 0 1 1 *"  # once a year: a schedule that does not fire during a test


# -- running the daemon ----------------------------------------------------------------


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

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            assert self.proc.poll() is None, f"daemon exited {self.proc.returncode}:\n{self.log()}"
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; log:\n{self.log()}")

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


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `bumper serve` on a free loopback port; stopped (SIGKILL if need be) afterwards."""
    started: list[Served] = []

    def start(
        config_text: str,
        *args: str,
        env: dict[str, str] | None = None,
        state: Path | None = None,
        expect_listen: bool = True,
    ) -> Served:
        n = len(started)
        config_path = tmp_path / f"bumper{n}.yaml"
        config_path.write_text(config_text)
        state_path = state or tmp_path / f"state{n}.sqlite"
        log_path = tmp_path / f"serve{n}.log"
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
        started.append(served)
        if not expect_listen:
            return served
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        line = proc.stdout.readline() if ready else ""
        match = re.fullmatch(r"bumper serve listening on (http://\S+)\n", line)
        assert match, f"no listening line (got {line!r}); log:\n{log_path.read_text()}"
        served.url = match[1]
        return served

    yield start
    for served in started:
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
    base = sandbox_url.rstrip("/")
    return (
        f"github:\n  api_url: {base}/api/v3\n  git_url: {base}\n  web_url: {base}\n"
        "  token_env: BUMPER_SANDBOX_TOKEN\n"
        "target:\n  repository: acme/inference\n  base: main\n"
        "lookup:\n  allow_http: true\n  retries: 0\n"
        f"schedule:\n  {schedule}\n{extra}"
        f"matrix: {matrix}\n"
    )


THREE_ENTRIES = """
  - repository: ggml-org/llama.cpp
    variable: LLAMA_VERSION
    branch: master
    file: backend/cpp/llama/Makefile
  - repository: ggml-org/whisper.cpp
    variable: WHISPER_CPP_VERSION
    branch: master
    file: backend/go/whisper/Makefile
  - repository: leejet/stable-diffusion.cpp
    variable: STABLEDIFFUSION_GGML_VERSION
    branch: master
    file: backend/go/stablediffusion-ggml/Makefile
    hold: "C API changed; wrapper first"
"""


# -- endpoints without a pass ------------------------------------------------------------


def test_endpoints_answer_once_it_listens(serve: Callable[..., Served]) -> None:
    served = serve(config_yaml())

    health = served.get("/healthz")
    assert (health.status_code, health.text) == (200, "ok\n")
    assert served.get("/readyz").json() == {"ready": True, "reasons": []}

    metrics = served.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=")
    names = {re.split(r"[{ ]", line)[0] for line in metrics.text.splitlines() if line[:1] != "#"}
    assert names and all(name.startswith("bumper_") for name in names), names
    assert served.metrics()['bumper_entries{state="pending"}'] == 0

    assert served.status()["entries"] == []
    page = served.get("/")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "The matrix is empty." in page.text
    assert served.get("/nope").status_code == 404


def test_status_lists_every_entry_before_the_first_pass(serve: Callable[..., Served]) -> None:
    served = serve(config_yaml(matrix=THREE_ENTRIES))

    entries = served.status()["entries"]

    assert [(e["variable"], e["status"]) for e in entries] == [
        ("LLAMA_VERSION", "pending"),
        ("WHISPER_CPP_VERSION", "pending"),
        ("STABLEDIFFUSION_GGML_VERSION", "held"),
    ]
    assert entries[2]["hold"] == "C API changed; wrapper first"
    metrics = served.metrics()
    assert metrics['bumper_entries{state="pending"}'] == 2
    assert metrics['bumper_entries{state="held"}'] == 1


def test_bad_config_at_start_exits_2_naming_the_problem(serve: Callable[..., Served]) -> None:
    served = serve(config_yaml(schedule='cron: "0 3 * *"'), expect_listen=False)

    code, _ = served.wait_exit(15)

    assert code == 2
    assert "cron" in served.log() and "5 fields" in served.log()


def test_corrupt_state_file_is_replaced_not_fatal(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    state = tmp_path / "garbage.sqlite"
    state.write_bytes(b"this is not a database" * 100)

    served = serve(config_yaml(), state=state)

    assert served.get("/healthz").status_code == 200
    assert "starting a new one" in served.log()
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)


# -- signals -----------------------------------------------------------------------------


def test_sigterm_when_idle_exits_0_at_once(serve: Callable[..., Served]) -> None:
    served = serve(config_yaml())

    served.signal(signal.SIGTERM)
    code, seconds = served.wait_exit(10)

    assert code == 0
    assert seconds < 3
    assert "stopped" in served.log()


def test_sighup_reloads_the_config(serve: Callable[..., Served]) -> None:
    served = serve(config_yaml())
    assert served.status()["entries"] == []

    served.config_path.write_text(config_yaml(matrix=THREE_ENTRIES, schedule="cron: 0 4 * * 1"))
    served.signal(signal.SIGHUP)

    status = served.wait_for(
        "the new matrix", lambda: served.status()["entries"] and served.status()
    )
    assert len(status["entries"]) == 3
    assert status["schedule"] == "cron 0 4 * * 1 (UTC)"
    next_pass = datetime.fromisoformat(status["next_pass_at"].replace("Z", "+00:00"))
    assert (next_pass.weekday(), next_pass.hour) == (0, 4)  # crontab 1 is Monday
    assert served.metrics()['bumper_config_reloads_total{result="ok"}'] == 1


def test_sighup_with_a_bad_config_keeps_the_old_one_running(
    serve: Callable[..., Served],
) -> None:
    served = serve(config_yaml(matrix=THREE_ENTRIES))

    served.config_path.write_text(
        config_yaml(matrix=THREE_ENTRIES).replace("variable:", "varable:")
    )
    served.signal(signal.SIGHUP)

    status = served.wait_for(
        "the reload error", lambda: served.status()["config"]["reload_error"] and served.status()
    )
    assert "varable" in status["config"]["reload_error"]
    assert [e["variable"] for e in status["entries"]] == [
        "LLAMA_VERSION",
        "WHISPER_CPP_VERSION",
        "STABLEDIFFUSION_GGML_VERSION",
    ]
    assert served.get("/readyz").status_code == 200
    assert "config reload failed; still running the previous config" in served.log()
    assert "varable" in served.log()
    assert "The new config was not loaded" in served.get("/").text
    assert served.metrics()['bumper_config_reloads_total{result="failed"}'] == 1


# -- triggering over HTTP ----------------------------------------------------------------


def test_triggering_a_pass_over_http_is_off_without_an_admin_token(
    serve: Callable[..., Served],
) -> None:
    served = serve(config_yaml())

    response = httpx.post(served.url + "/run", headers={"Authorization": "Bearer anything"})

    assert response.status_code == 403
    assert "admin_token_env" in response.json()["error"]
    assert served.status()["passes"] == []


def test_triggering_over_http_needs_the_admin_token(serve: Callable[..., Served]) -> None:
    admin = "admin-secret-0123456789"
    served = serve(
        config_yaml(extra="  admin_token_env: BUMPER_ADMIN_TOKEN\n"),
        env={"BUMPER_ADMIN_TOKEN": admin},
    )

    wrong = httpx.post(served.url + "/run", headers={"Authorization": "Bearer nope"})
    right = httpx.post(served.url + "/run", headers={"Authorization": f"Bearer {admin}"})

    assert wrong.status_code == 401
    assert right.status_code == 202
    passes = served.wait_for("the HTTP pass", lambda: served.status()["passes"])
    assert passes[0]["trigger"] == "http"
    assert admin not in served.log()


# -- pure parts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crontab", "apscheduler"),
    [
        ("*", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("sat,sun", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("MON-wed", "mon,tue,wed"),
    ],
)
def test_crontab_weekdays_mean_what_cron_means(crontab: str, apscheduler: str) -> None:
    assert crontab_weekdays(crontab) == apscheduler


@pytest.mark.parametrize("bad", ["8", "fri-mon", "x", "1/0"])
def test_impossible_weekdays_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="day of week"):
        crontab_weekdays(bad)


def _fire_times(cron: str, count: int, tz: str = "UTC") -> list[datetime]:
    trigger = schedule_trigger(ScheduleSettings(cron=cron, timezone=tz))
    now = datetime(2026, 1, 1, tzinfo=ZoneInfo(tz))  # a Thursday
    times: list[datetime] = []
    previous = None
    for _ in range(count):
        nxt = trigger.get_next_fire_time(previous, now)
        times.append(nxt)
        previous, now = nxt, nxt
    return times


def test_weekday_schedule_fires_on_the_crontab_weekday() -> None:
    fires = _fire_times("30 6 * * 1-5", 5)
    assert [f.strftime("%a %H:%M") for f in fires] == [
        "Thu 06:30",
        "Fri 06:30",
        "Mon 06:30",
        "Tue 06:30",
        "Wed 06:30",
    ]


def test_day_of_month_or_weekday_fires_on_either_as_cron_does() -> None:
    fires = _fire_times("0 0 1 * 0", 3)  # the 1st, and every Sunday
    assert [f.strftime("%a %d") for f in fires] == ["Thu 01", "Sun 04", "Sun 11"]


def test_schedule_uses_its_timezone() -> None:
    (fire,) = _fire_times("0 3 * * *", 1, tz="Europe/Rome")
    assert fire.utcoffset() is not None and fire.hour == 3
    assert fire.astimezone(ZoneInfo("UTC")).hour == 2


def test_bad_timezone_is_named() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        schedule_trigger(ScheduleSettings(timezone="Mars/Olympus"))


def test_request_counts_split_kind_and_status_and_count_the_unanswered() -> None:
    counts = request_counts({"git": 5, "git_200": 3, "git_500": 1, "rest": 2, "rest_304": 2})
    assert counts == {
        ("git", "200"): 3,
        ("git", "500"): 1,
        ("git", "error"): 1,
        ("rest", "304"): 2,
    }


def _snapshot(entries: tuple[Entry, ...], state: State) -> Snapshot:
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
        rate_limit_remaining=None,
        admin_enabled=False,
        passes=(),
        entries=entry_views(entries, state.entries(), "https://github.com"),
    )


def test_status_page_shows_hostile_text_as_text() -> None:
    entry = Entry("evil/<repo>", "X_VERSION", "main", "Makefile", hold=None)
    state = State.open(None)
    message = '<script>alert(1)</script> "quoted" & more'
    state.record_result(Result(entry, Status.FAILED, message=message), time.time())
    page = render_html(_snapshot((entry,), state))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; more" in page
    state.close()


def test_status_page_links_only_to_web_urls() -> None:
    entry = Entry("acme/lib", "X_VERSION", "main", "Makefile")
    state = State.open(None)
    result = Result(entry, Status.BUMPED, "a" * 40, "b" * 40, pr=7, pr_url="javascript:alert(1)")
    state.record_result(result, time.time())
    page = render_html(_snapshot((entry,), state))
    assert "javascript:" not in page
    assert "<span>#7</span>" in page
    assert 'href="https://github.com/acme/lib/commit/' + "a" * 40 in page
    state.close()


def test_state_keeps_the_last_error_after_recovery_and_the_failing_streak() -> None:
    entry = Entry("acme/lib", "X_VERSION", "main", "Makefile")
    state = State.open(None)
    state.record_result(Result(entry, Status.FAILED, message="HTTP 502"), 100.0)
    state.record_result(Result(entry, Status.FAILED, message="HTTP 503"), 200.0)
    row = state.entries()[entry.key]
    assert (row.last_error, row.last_error_at, row.failing_since) == ("HTTP 503", 200.0, 100.0)
    state.record_result(Result(entry, Status.UP_TO_DATE, "a" * 40, "a" * 40), 300.0)
    row = state.entries()[entry.key]
    assert (row.status, row.last_error, row.failing_since) == ("up-to-date", "HTTP 503", None)
    state.close()


def test_log_filter_redacts_registered_and_token_shaped_secrets() -> None:
    add_secret("s3cret-value-for-test")
    github_like = "ghp_" + "A1b2C3d4" * 5
    stream = io.StringIO()
    handler = setup_logging("json", stream=stream)
    logger = logging.getLogger("bumper.test")
    try:
        try:
            raise RuntimeError(f"auth failed with {github_like}")
        except RuntimeError:
            logger.exception(
                "token %s, header Authorization: token abcdef0123456789, url https://x:%s@h/",
                "s3cret-value-for-test",
                "pw123456",
                extra={"detail": f"bearer {github_like}"},
            )
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue()
    record = json.loads(line)
    assert "s3cret-value-for-test" not in line
    assert github_like not in line
    assert "abcdef0123456789" not in line and "pw123456" not in line
    assert "RuntimeError" in record["exception"]
    assert record["message"].startswith("token ***, header Authorization: ***")


def test_ordinary_words_after_token_are_not_redacted() -> None:
    assert redact("no token configured: set GITHUB_TOKEN") == (
        "no token configured: set GITHUB_TOKEN"
    )
    assert isinstance(RedactingFilter(), logging.Filter)
