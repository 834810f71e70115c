"""`bumper serve`'s lifecycle: schedule, one pass at a time, signals, reload.

No bump logic lives here: a pass is ``bumper.bump.run.run_pass``. This module decides when a
pass runs, what it records of it, and how the process stops and reloads; what people and
Prometheus see of that is in ``http``, ``metrics`` and ``statuspage``.

Threads: the main thread waits for signals (SIGTERM/SIGINT stop, SIGHUP reloads); APScheduler
runs passes in its pool; the HTTP server answers from its own threads.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bumper import logs
from bumper.config.schedule import describe_schedule, schedule_trigger
from bumper.config.settings import Config
from bumper.errors import BumperError, ConfigError
from bumper.model import Result, Status
from bumper.serve.http import Server
from bumper.serve.metrics import Metrics
from bumper.serve.state import State
from bumper.serve.statuspage import Snapshot, entry_views

if TYPE_CHECKING:
    # Only for the type: the runner and all it imports load with the first pass.
    from bumper.bump.run import PassReport

log = logging.getLogger("bumper.daemon")

JOB_ID = "pass"
STOP_GRACE_SECONDS = 8.0  # SIGTERM to exit stays under Docker's default 10 s


# -- the daemon ----------------------------------------------------------------------


class RunPass(Protocol):
    """How the daemon calls a pass: ``bumper.bump.run.run_pass``, or a test's stand-in."""

    def __call__(
        self,
        config: Config,
        *,
        environ: Mapping[str, str],
        on_result: Callable[[Result], None],
        should_stop: Callable[[], bool],
    ) -> PassReport: ...


class Daemon:
    """One scheduler, one pass at a time, an HTTP server; started by ``serve``."""

    def __init__(
        self,
        config_path: Path,
        config: Config,
        state: State,
        *,
        host: str = "0.0.0.0",
        port: int = 8080,
        environ: Mapping[str, str] | None = None,
        run_pass: RunPass | None = None,
        load_config: Callable[[Path], Config] | None = None,
    ) -> None:
        self.config_path = config_path
        self.state = state
        self.environ = environ if environ is not None else os.environ
        self._run_pass_fn = run_pass
        self._load_config_fn = load_config
        self._config = config
        self._config_loaded_at = time.time()
        self._reload_error: str | None = None
        self._trigger = schedule_trigger(config.schedule)
        self._register_secrets(config)

        self._pass_lock = threading.Lock()
        self._stopping = threading.Event()
        self._last_outcome: str | None = None
        self._last_error: str | None = None
        self._rate_limit_remaining: int | None = None
        self._running_pass: tuple[int, float] | None = None  # (id, started_at)
        self.commands: queue.SimpleQueue[str] = queue.SimpleQueue()

        self.metrics = Metrics(self.snapshot)
        self.scheduler = BackgroundScheduler(
            # Two workers so a due job can start, find a pass running, and be skipped at once.
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=ZoneInfo(config.schedule.timezone),
        )
        self.scheduler.add_listener(self._on_job_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        self._http = Server((host, port), self)
        self._http_thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        host, port = self._http.server_address[:2]
        return str(host), int(port)

    @property
    def config(self) -> Config:
        return self._config

    def start(self, *, run_now: bool = False) -> None:
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.1}, name="http"
        )
        self._http_thread.daemon = True
        self._http_thread.start()
        self.state.forget_except(e.key for e in self._config.matrix)
        self.scheduler.add_job(
            self._run, self._trigger, args=["schedule"], id=JOB_ID, name="scheduled pass"
        )
        self.scheduler.start()
        log.info(
            "scheduled: %s; next pass %s",
            describe_schedule(self._config.schedule),
            _fmt_time(self.next_pass_at()),
        )
        if run_now:
            self.request_pass("start")

    def serve_forever(
        self, *, run_now: bool = False, announce: Callable[[], None] | None = None
    ) -> bool:
        """Start, then handle signals until SIGTERM or SIGINT; True when no pass was cut off.

        ``announce`` runs once the signal handlers are in place, so whoever it tells may
        signal us at once.
        """
        previous = {
            sig: signal.signal(sig, self._on_signal)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        }
        try:
            self.start(run_now=run_now)
            if announce is not None:
                announce()
            while True:
                try:
                    command = self.commands.get(timeout=0.5)
                except queue.Empty:
                    continue
                if command == "reload":
                    self.reload()
                elif command == "stop":
                    return self.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs between bytecodes of the main thread: only enqueue (SimpleQueue is reentrant).
        self.commands.put("reload" if signum == signal.SIGHUP else "stop")

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> bool:
        """Let the running pass finish its current entry, then close; True if it did in time."""
        log.info("stopping: waiting for the running pass to finish its current entry")
        self._stopping.set()
        self.scheduler.shutdown(wait=False)
        finished = self._pass_lock.acquire(timeout=grace)
        if finished:
            self._pass_lock.release()
        else:
            log.error("stopping: the pass is still running after %.0f s; leaving it", grace)
            running = self._running_pass
            if running is not None:
                pass_id, started = running
                self.state.finish_pass(
                    pass_id,
                    duration=time.time() - started,
                    outcome="interrupted",
                    counts={},
                    error=f"stopped after {grace:.0f} s, before the pass finished",
                )
        self._http.shutdown()
        self._http.server_close()
        if self._http_thread is not None:
            self._http_thread.join(2)
        if finished:
            self.state.close()
        log.info("stopped")
        return finished

    # -- passes -----------------------------------------------------------------------
    def pass_running(self) -> bool:
        return self._pass_lock.locked()

    def next_pass_at(self) -> float | None:
        job = self.scheduler.get_job(JOB_ID) if self.scheduler.running else None
        when: datetime | None = getattr(job, "next_run_time", None)
        return when.timestamp() if when is not None else None

    def request_pass(self, trigger: str) -> bool:
        """Start a pass now, in the scheduler's pool; False if one is running or we are stopping."""
        if self._stopping.is_set() or self.pass_running():
            return False
        self.scheduler.add_job(
            self._run,
            args=[trigger],
            id=f"{JOB_ID}-now",
            name=f"{trigger} pass",
            replace_existing=True,
        )
        return True

    def _run(self, trigger: str) -> None:
        if not self._pass_lock.acquire(blocking=False):
            log.info("a %s pass is due but the previous pass is still running; skipped", trigger)
            self.metrics.passes.labels("skipped").inc()
            return
        try:
            if not self._stopping.is_set():
                self._run_locked(trigger)
        finally:
            self._pass_lock.release()

    def _run_locked(self, trigger: str) -> None:
        config = self._config  # a reload during the pass applies to the next one
        started = time.time()
        pass_id = self.state.begin_pass(trigger, started)
        self._running_pass = (pass_id, started)
        log.info("pass started (%s): %d entries", trigger, len(config.matrix))
        outcome, error, counts = "crashed", None, {}
        try:
            report = self._call_run_pass(config)
        except BumperError as exc:
            error = logs.redact(str(exc))
            log.error("pass could not run: %s", error)
        except Exception as exc:
            error = logs.redact(f"{type(exc).__name__}: {exc}")
            log.exception("pass crashed (a bug)")
        else:
            counts = _status_counts(report.results)
            if any(r.status is Status.FAILED for r in report.results):
                outcome = "failed"
            elif self._stopping.is_set() and len(report.results) < len(config.matrix):
                outcome = "stopped"
            else:
                outcome = "ok"
            self.metrics.count_requests(report.requests)
            # A pass does not report GitHub's rate limit, so the gauge asks after each one;
            # not while stopping, when SIGTERM's grace is better spent closing.
            if not self._stopping.is_set():
                remaining = probe_rate_limit(config, self.environ)
                if remaining is not None:
                    self._rate_limit_remaining = remaining
        duration = time.time() - started
        self.state.finish_pass(
            pass_id, duration=duration, outcome=outcome, counts=counts, error=error
        )
        self._running_pass = None
        self._last_outcome, self._last_error = outcome, error
        self.metrics.passes.labels(outcome).inc()
        self.metrics.last_pass.set(time.time())
        if outcome in ("ok", "failed"):
            self.metrics.last_complete.set(time.time())
        if outcome != "crashed":
            self.metrics.duration.observe(duration)
        if outcome == "ok":
            self.metrics.last_success.set(time.time())
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no entries"
        log.info(
            "pass %s in %.1f s: %s",
            outcome,
            duration,
            summary,
            extra={"outcome": outcome, "duration": round(duration, 3), **counts},
        )

    def _call_run_pass(self, config: Config) -> PassReport:
        run_pass = self._run_pass_fn
        if run_pass is None:
            from bumper.bump.run import run_pass as default_run_pass

            run_pass = default_run_pass
        return run_pass(
            config,
            environ=dict(self.environ),
            on_result=self._on_result,
            should_stop=self._stopping.is_set,
        )

    def _on_result(self, result: Result) -> None:
        # What is stored is shown on the page: no token, even if a message carried one.
        result = dataclasses.replace(result, message=logs.redact(result.message))
        self.state.record_result(result, time.time())
        level = logging.WARNING if result.status is Status.FAILED else logging.INFO
        text = f"{result.entry.name}: {result.status.value}"
        if result.message:
            text += f": {result.message}"
        log.log(
            level,
            text,
            extra={
                "variable": result.entry.variable,
                "file": result.entry.file,
                "status": result.status.value,
                "pr": result.pr,
            },
        )

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.info("a pass is due but the previous one is still running; skipped")
            self.metrics.passes.labels("skipped").inc()
        elif event.code == EVENT_JOB_MISSED:
            log.warning("a scheduled pass was missed (the process was paused or too busy)")

    # -- config -----------------------------------------------------------------------
    def reload(self) -> bool:
        """Load the config file again; a bad one is reported and the running one kept."""
        try:
            config = self._load(self.config_path)
            trigger = schedule_trigger(config.schedule)
        except ConfigError as exc:
            return self._reload_failed(exc.problems)
        except (BumperError, ValueError, OSError) as exc:
            return self._reload_failed([f"{self.config_path}: {exc}"])
        old = self._config
        self._register_secrets(config)
        self._config, self._config_loaded_at, self._reload_error = config, time.time(), None
        if config.schedule != old.schedule:
            self._trigger = trigger
            self.scheduler.reschedule_job(JOB_ID, trigger=trigger)
        self.state.forget_except(e.key for e in config.matrix)
        self.metrics.reloads.labels("ok").inc()
        log.info(
            "config reloaded: %d entries, %s; next pass %s",
            len(config.matrix),
            describe_schedule(config.schedule),
            _fmt_time(self.next_pass_at()),
        )
        return True

    def _reload_failed(self, problems: list[str]) -> bool:
        self._reload_error = logs.redact("\n".join(problems))
        self.metrics.reloads.labels("failed").inc()
        log.error("config reload failed; still running the previous config")
        for problem in problems:
            log.error("config: %s", problem)
        return False

    def _load(self, path: Path) -> Config:
        if self._load_config_fn is not None:
            return self._load_config_fn(path)
        from bumper.config.load import load_config

        return load_config(path, None, self.environ)

    def _register_secrets(self, config: Config) -> None:
        logs.add_secret(self.environ.get(config.github.token_env))
        logs.add_secret(self.admin_token(config))

    def admin_token(self, config: Config | None = None) -> str | None:
        name = (config or self._config).schedule.admin_token_env
        return (self.environ.get(name) or None) if name else None

    # -- what is shown ------------------------------------------------------------------
    def readiness(self) -> tuple[bool, list[str]]:
        reasons = []
        if self._stopping.is_set():
            reasons.append("stopping")
        if self._last_outcome == "crashed":
            reasons.append(f"the last pass crashed: {self._last_error}")
        return not reasons, reasons

    def state_note(self) -> str | None:
        return self.state.note

    def snapshot(self) -> Snapshot:
        config = self._config
        ready, reasons = self.readiness()
        return Snapshot(
            generated_at=time.time(),
            target=config.target.repository,
            schedule=describe_schedule(config.schedule),
            next_pass_at=self.next_pass_at(),
            pass_running=self.pass_running(),
            ready=ready,
            not_ready=tuple(reasons),
            config_path=str(self.config_path),
            config_loaded_at=self._config_loaded_at,
            reload_error=self._reload_error,
            state_note=self.state.note,
            rate_limit_remaining=self._rate_limit_remaining,
            admin_enabled=self.admin_token() is not None,
            passes=tuple(self.state.passes(20)),
            entries=entry_views(config.matrix, self.state.entries(), config.github),
        )


def _status_counts(results: tuple[Result, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    return counts


def _fmt_time(ts: float | None) -> str:
    if ts is None:
        return "not scheduled"
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(ts))


def probe_rate_limit(config: Config, environ: Mapping[str, str]) -> int | None:
    """Requests left this hour, from GitHub's /rate_limit (which itself costs nothing)."""
    from bumper.github.http import REST_HEADERS, authorization, new_client

    token = config.github.token(dict(environ))
    headers = {**REST_HEADERS, **authorization(token.reveal() if token else None)}
    url = config.github.api_url.rstrip("/") + "/rate_limit"
    try:
        with new_client(timeout=5.0) as client:
            response = client.get(url, headers=headers)
    except Exception as exc:  # a probe for a gauge: never worth failing a pass
        log.debug("rate limit probe failed: %s", type(exc).__name__)
        return None
    value = response.headers.get("x-ratelimit-remaining")
    if value is None and response.status_code == 200:
        try:
            value = response.json()["resources"]["core"]["remaining"]
        except (ValueError, KeyError, TypeError):
            return None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
