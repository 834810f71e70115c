"""`bumper serve` as a user runs it: a real subprocess, real HTTP, real signals.

The daemon runs against the sandbox (real git and a GitHub-compatible API on loopback)
with a schedule of seconds. Pure parts (schedule translation, request counts, the status
page's escaping, log redaction) are checked directly.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import NEVER, Daemons, Served, config_yaml, demo_matrix, page_snapshot

from bumper.github.http import request_counts
from bumper.logs import RedactingFilter, add_secret, redact, setup_logging
from bumper.model import Entry, Result, Status
from bumper.serve.state import State
from bumper.serve.statuspage import render_html


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    with Daemons(tmp_path) as daemons:
        yield daemons.start


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


def test_readyz_fails_after_a_pass_crashes_and_says_why(tmp_path: Path) -> None:
    # In process, with a pass function that raises as a bug would: the runner is not under
    # test here, the daemon's reaction to it is.
    from bumper.config.load import parse_config
    from bumper.serve.daemon import Daemon

    leaked = "ghp_" + "L3akedT0ken" * 4

    def crashing_pass(*args: Any, **kwargs: Any) -> Any:
        raise KeyError(f"a bug in the pass, holding {leaked}")

    config = parse_config(config_yaml(), str(tmp_path / "bumper.yaml"))
    daemon = Daemon(
        tmp_path / "bumper.yaml",
        config,
        State.open(None),
        host="127.0.0.1",
        port=0,
        run_pass=crashing_pass,
    )
    url = "http://{}:{}".format(*daemon.address)
    daemon.start(run_now=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not daemon.state.passes():
            time.sleep(0.05)
        while time.monotonic() < deadline and daemon.pass_running():
            time.sleep(0.05)
        ready = httpx.get(url + "/readyz")
        health = httpx.get(url + "/healthz")
        metrics = httpx.get(url + "/metrics").text
        page = httpx.get(url + "/").text + httpx.get(url + "/status.json").text
    finally:
        daemon.stop(grace=2)

    assert ready.status_code == 503
    assert "crashed" in ready.json()["reasons"][0] and "a bug in the pass" in ready.text
    assert health.status_code == 200  # alive: restarting would not help
    assert 'bumper_passes_total{result="crashed"} 1.0' in metrics
    assert "bumper_ready 0.0" in metrics
    assert "a bug in the pass" in page
    assert leaked not in page + ready.text


# -- passes against the sandbox ----------------------------------------------------------

FAST_GITHUB = "  seconds_between_requests: 0\n  seconds_between_writes: 0\n"


def sandbox_config(
    sandbox: Any, *, schedule: str, held: dict[str, str] | None = None, matrix: str | None = None
) -> str:
    matrix = demo_matrix(held) if matrix is None else matrix
    text = config_yaml(sandbox.url, schedule=schedule, matrix=matrix)
    return text.replace("  token_env:", FAST_GITHUB + "  token_env:", 1)


@pytest.fixture
def demo_sandbox() -> Iterator[Any]:
    from bumper.sandbox.app import Sandbox

    with Sandbox(seed="demo") as sb:
        yield sb


def pulls(sandbox: Any) -> list[dict[str, Any]]:
    url = f"{sandbox.api_url}/repos/acme/inference/pulls?state=all&per_page=100"
    return list(httpx.get(url, timeout=5).json())


def by_variable(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["variable"]: e for e in status["entries"]}


def test_scheduled_pass_opens_prs_and_reports_them(
    serve: Callable[..., Served], demo_sandbox: Any
) -> None:
    served = serve(sandbox_config(demo_sandbox, schedule="interval_seconds: 0.5"))

    status = served.wait_for_pass()

    # Passes come every 0.5 s: entries may already show the next pass's view ("up-to-date",
    # same PR), so what the first pass did is read from its record.
    assert status["last_pass"]["trigger"] == "schedule"
    assert status["last_pass"]["outcome"] == "ok", status["last_pass"]
    assert status["last_pass"]["counts"] == {"bumped": 3, "up-to-date": 1}
    entries = by_variable(status)
    llama = entries["LLAMA_VERSION"]
    assert llama["status"] in ("bumped", "up-to-date")
    opened = {p["number"]: p["html_url"] for p in pulls(demo_sandbox)}
    assert llama["pr"] in opened and llama["pr_url"] == opened[llama["pr"]]
    assert llama["upstream"] == demo_sandbox.store.ref("ggml-org/llama.cpp", "master")
    assert llama["pinned"] != llama["upstream"]
    assert entries["STABLEDIFFUSION_GGML_VERSION"]["status"] == "up-to-date"
    assert entries["STABLEDIFFUSION_GGML_VERSION"]["behind"] == 0

    metrics = served.metrics()
    assert metrics['bumper_passes_total{result="ok"}'] >= 1
    assert (
        metrics['bumper_entries{state="bumped"}'] + metrics['bumper_entries{state="up-to-date"}']
        == 4
    )
    assert metrics["bumper_open_pull_requests"] == 3
    assert metrics["bumper_pass_duration_seconds_count"] >= 1
    assert metrics["bumper_rate_limit_remaining"] > 0
    assert any(k.startswith('bumper_requests_total{kind="rest",status="20') for k in metrics)
    assert any(
        k.startswith('bumper_requests_total{kind="git"') or 'kind="graphql"' in k for k in metrics
    )

    # The next scheduled pass finds its own PRs: nothing new is opened.
    again = by_variable(served.wait_for_pass(after=status["last_pass"]["id"]))
    assert again["LLAMA_VERSION"]["status"] == "up-to-date"
    assert again["LLAMA_VERSION"]["pr"] == llama["pr"]
    assert len(pulls(demo_sandbox)) == 3


def test_a_pass_still_running_when_the_next_is_due_is_not_started_twice(
    serve: Callable[..., Served], demo_sandbox: Any
) -> None:
    # Every upstream look-up takes 0.6 s, so a pass outlasts the 0.3 s interval.
    demo_sandbox.fault_delay(r"/(git-upload-pack|info/refs|graphql)$", 600, times=-1)
    served = serve(sandbox_config(demo_sandbox, schedule="interval_seconds: 0.3"))

    served.wait_for_pass()
    served.wait_for(
        "a skipped pass", lambda: served.metrics()['bumper_passes_total{result="skipped"}']
    )

    with sqlite3.connect(f"file:{served.state_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT started_at, duration FROM passes WHERE duration IS NOT NULL ORDER BY id"
        ).fetchall()
    for (start, duration), (next_start, _) in itertools.pairwise(rows):
        assert next_start >= start + duration - 0.01


def test_passes_missed_while_paused_run_once_not_in_a_burst(
    serve: Callable[..., Served], demo_sandbox: Any
) -> None:
    schedule = "interval_seconds: 0.4"
    served = serve(sandbox_config(demo_sandbox, schedule=schedule, matrix="[]"))
    served.wait_for_pass()

    def passes() -> int:
        with sqlite3.connect(f"file:{served.state_path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM passes").fetchone()[0])

    served.signal(signal.SIGSTOP)  # as a suspended host or a frozen container would be
    try:
        time.sleep(2.4)  # six runs fall due
        before = passes()
    finally:
        served.signal(signal.SIGCONT)
    served.wait_for("a pass after the pause", lambda: passes() > before)
    time.sleep(0.5)

    # One coalesced pass for the six missed, then the schedule resumes: never six in a row.
    assert 1 <= passes() - before <= 3


def test_sigterm_mid_pass_finishes_the_entry_and_exits_0(
    serve: Callable[..., Served], demo_sandbox: Any
) -> None:
    # Slow API answers: the pass would take over 10 s, one entry about 3 s.
    demo_sandbox.fault_delay(r"^/api/v3/", 400, times=-1)
    served = serve(sandbox_config(demo_sandbox, schedule=f'cron: "{NEVER}"'), "--run-now")
    served.wait_for("the pass to start", lambda: served.metrics()["bumper_pass_running"])
    time.sleep(0.5)

    served.signal(signal.SIGTERM)
    code, seconds = served.wait_exit(12)

    assert code == 0
    assert seconds < 10
    with sqlite3.connect(f"file:{served.state_path}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
        outcomes = [r[0] for r in db.execute("SELECT outcome FROM passes")]
        stored = db.execute("SELECT variable, status, pr FROM entries").fetchall()
    assert outcomes == ["stopped"], outcomes
    # Whatever the pass reported, GitHub agrees with: each bumped entry's PR exists.
    numbers = {p["number"] for p in pulls(demo_sandbox)}
    assert all(pr in numbers for _, status, pr in stored if status == "bumped")


def test_deleting_the_state_changes_no_decision(
    serve: Callable[..., Served], demo_sandbox: Any, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    config = sandbox_config(demo_sandbox, schedule=f'cron: "{NEVER}"')
    first = serve(config, "--run-now", state=state)
    before = by_variable(first.wait_for_pass())
    first.signal(signal.SIGTERM)
    assert first.wait_exit(10)[0] == 0

    for path in tmp_path.glob("state.sqlite*"):
        path.unlink()
    second = serve(config, "--run-now", state=state)
    after = by_variable(second.wait_for_pass())

    assert [e["status"] for e in before.values()].count("bumped") == 3
    assert {v: e["pr"] for v, e in after.items()} == {v: e["pr"] for v, e in before.items()}
    assert {v: e["upstream"] for v, e in after.items()} == {
        v: e["upstream"] for v, e in before.items()
    }
    assert all(e["status"] == "up-to-date" for e in after.values())
    assert len(pulls(demo_sandbox)) == 3


def test_json_logs_are_one_object_a_line_and_never_show_the_token(
    serve: Callable[..., Served], demo_sandbox: Any
) -> None:
    wrong = "ghp_" + "Wr0ngT0ken" * 4
    served = serve(
        sandbox_config(demo_sandbox, schedule=f'cron: "{NEVER}"'),
        "--run-now",
        "--log-format",
        "json",
        env={"BUMPER_SANDBOX_TOKEN": wrong},
    )

    served.wait_for_pass()
    served.signal(signal.SIGTERM)
    served.wait_exit(10)

    lines = served.log().splitlines()
    records = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(r["level"] in ("warning", "error") for r in records)
    assert wrong not in served.log()


# -- pure parts --------------------------------------------------------------------------


def test_request_counts_split_kind_and_status_and_count_the_unanswered() -> None:
    counts = request_counts({"git": 5, "git_200": 3, "git_500": 1, "rest": 2, "rest_304": 2})
    assert counts == {
        ("git", "200"): 3,
        ("git", "500"): 1,
        ("git", "error"): 1,
        ("rest", "304"): 2,
    }


def test_status_page_shows_hostile_text_as_text() -> None:
    entry = Entry("evil/<repo>", "X_VERSION", "main", "Makefile", hold=None)
    state = State.open(None)
    message = '<script>alert(1)</script> "quoted" & more'
    state.record_result(Result(entry, Status.FAILED, message=message), time.time())
    page = render_html(page_snapshot((entry,), state))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; more" in page
    state.close()


def test_status_page_links_only_to_web_urls() -> None:
    entry = Entry("acme/lib", "X_VERSION", "main", "Makefile")
    state = State.open(None)
    result = Result(entry, Status.BUMPED, "a" * 40, "b" * 40, pr=7, pr_url="javascript:alert(1)")
    state.record_result(result, time.time())
    page = render_html(page_snapshot((entry,), state))
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


def test_state_stores_how_far_behind_the_result_says_the_pin_is() -> None:
    entry = Entry("acme/lib", "X_VERSION", "main", "Makefile")
    state = State.open(None)
    state.record_result(Result(entry, Status.BUMPED, "a" * 40, "b" * 40, pr=1, behind=3), 1.0)
    assert state.entries()[entry.key].behind == 3
    state.close()


def test_a_state_file_with_the_old_etag_and_meta_tables_opens_with_its_history(
    tmp_path: Path,
) -> None:
    # Files written before those unused tables were dropped from the schema still have them.
    path = tmp_path / "state.sqlite"
    entry = Entry("acme/lib", "X_VERSION", "main", "Makefile")
    state = State.open(path)
    state.record_result(Result(entry, Status.UP_TO_DATE, "a" * 40, "a" * 40), 100.0)
    state.finish_pass(state.begin_pass("schedule", 90.0), duration=10.0, outcome="ok", counts={})
    state.close()
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE etags (key TEXT PRIMARY KEY, etag TEXT NOT NULL,"
            " body BLOB NOT NULL, stored_at REAL NOT NULL);"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        )
    db.close()

    state = State.open(path)
    assert state.path == path
    assert state.entries()[entry.key].checked_at == 100.0
    assert [p.outcome for p in state.passes()] == ["ok"]
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


def test_per_entry_gauges_and_a_complete_pass_time_that_moves_while_an_entry_fails(
    serve: Callable[..., Served], demo_sandbox: Any
) -> None:
    matrix = demo_matrix(held={"PIPER_VERSION": "upstream broke the build"}).replace(
        "branch: master\n    file: backend/go/whisper/Makefile",
        "branch: no-such-branch\n    file: backend/go/whisper/Makefile",
    )
    served = serve(
        sandbox_config(demo_sandbox, schedule=f'cron: "{NEVER}"', matrix=matrix), "--run-now"
    )
    status = served.wait_for_pass()
    assert status["last_pass"]["outcome"] == "failed"
    metrics = served.metrics()
    whisper = '{file="backend/go/whisper/Makefile",variable="WHISPER_CPP_VERSION"}'
    llama = '{file="backend/cpp/llama/Makefile",variable="LLAMA_VERSION"}'
    assert metrics[f"bumper_entry_failing{whisper}"] == 1
    assert metrics[f"bumper_entry_failing{llama}"] == 0
    piper = [k for k in metrics if k.startswith("bumper_entry_held{") and "PIPER_VERSION" in k]
    assert [metrics[k] for k in piper] == [1]
    assert metrics[f"bumper_entry_behind_commits{llama}"] > 0
    # the pass went through every entry: its time moves though an entry failed
    assert metrics["bumper_last_complete_pass_timestamp_seconds"] > 0
    assert metrics["bumper_last_success_timestamp_seconds"] == 0
