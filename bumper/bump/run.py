"""One pass: load, look up, then rewrite a checkout or publish pull requests.

Each entry is isolated: a failure becomes that entry's Result and the pass goes on.

What only the steps after the look-ups use (the pin files, a checkout's rewrite, the
dashboard, the PR writes) is imported where it is used, so the first request leaves before
those modules load; `_Prepare` loads them while the look-ups wait on the network.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bumper.bump.snapshot import TargetSnapshot, branches_to_read, read_pass, reads_target
from bumper.config.problems import close_match
from bumper.config.settings import Config
from bumper.errors import BumperError, ConfigError, ForgeError, UpstreamError
from bumper.github.http import RequestCounter, new_client
from bumper.model import Entry, Head, Result, Status
from bumper.upstream import gates, lookup_heads

if TYPE_CHECKING:
    from bumper.bump.dashboard_sync import DashboardOutcome
    from bumper.github.forge import Forge

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PassReport:
    results: tuple[Result, ...]
    requests: dict[str, int] = field(default_factory=dict)
    started_at: float = 0.0
    duration: float = 0.0
    diffs: tuple[str, ...] = ()
    dashboard: DashboardOutcome | None = None  # None: no dashboard kept this pass

    @property
    def failed(self) -> bool:
        # a dashboard that could not be written is how a silent failure would stay silent
        broken = self.dashboard is not None and self.dashboard.problem is not None
        return broken or any(r.status is Status.FAILED for r in self.results)


def _account(forge: Forge) -> str:
    try:
        return forge.account()
    except ForgeError:
        return ""


# What the steps after the look-ups import: a rewrite of a checkout, or the PR writes
_AFTER_LOOKUPS = {
    True: ("bumper.bump.checkout", "bumper.pinfiles"),
    False: ("bumper.bump.publish", "bumper.github.pygithub_forge", "bumper.bump.dashboard_sync"),
}


class _Prepare:
    """Import the modules the writes need while the look-ups wait on the network.

    Importing is CPU work the look-ups leave idle (each answer is a round trip away), so it
    overlaps them instead of following them. It starts when the first request has left, never
    before, and the pass waits for it before it writes; a module both
    import meanwhile (a held row reads its pin file) waits on Python's import lock. A failing
    import is left to the pass's own import, where it is reported as any other.
    """

    def __init__(self, checkout: bool) -> None:
        self._names = _AFTER_LOOKUPS[checkout]
        self._thread: threading.Thread | None = None

    def watch(self, request: httpx.Request) -> None:
        """An httpx request hook: start once the request's last byte is sent (httpcore's trace
        events), so the first request never waits for these imports."""
        if self._thread is None:
            request.extensions.setdefault("trace", self._sent)

    def _sent(self, event: str, _info: object) -> None:
        if event == "http11.send_request_body.complete" and self._thread is None:
            self._thread = threading.Thread(target=self._load, name="bumper-prepare", daemon=True)
            self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _load(self) -> None:
        for name in self._names:
            try:
                importlib.import_module(name)
            except Exception:  # the pass's own import reports it
                continue


def select_entries(matrix: Sequence[Entry], only: Sequence[str]) -> list[Entry]:
    """The entries named by --only (all when empty); an unknown name is a usage error."""
    if not only:
        return list(matrix)
    known = {e.variable for e in matrix}
    unknown = [v for v in only if v not in known]
    if unknown:
        problems = []
        for name in unknown:
            match = close_match(name, sorted(known))
            hint = f"; did you mean {match}?" if match else ""
            problems.append(f"--only: no matrix entry for {name}{hint}")
        names = ", ".join(sorted(known)) or "none"
        raise ConfigError([*problems[:-1], f"{problems[-1]} (entries: {names})"])
    return [e for e in matrix if e.variable in only]


def run_pass(
    config: Config,
    *,
    checkout: Path | None = None,
    dry_run: bool = False,
    only: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    on_result: Callable[[Result], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PassReport:
    started_at, start = time.time(), time.monotonic()
    today = datetime.datetime.fromtimestamp(started_at, datetime.UTC).date()
    notes: dict[Entry, str] = {}  # why an entry's sha is not simply its branch head
    entries = [
        _lift(e, gates.lifted_by_date(e, today), notes) for e in select_entries(config.matrix, only)
    ]
    results: dict[Entry, Result] = {}

    def done(result: Result) -> None:
        note = notes.get(result.entry, "")
        if note and result.status in (Status.BUMPED, Status.UP_TO_DATE):
            result = replace(result, message=f"{result.message}; {note}", gate=note)
        results[result.entry] = result
        if on_result is not None:
            on_result(result)

    held = [e for e in entries if e.hold is not None]
    active = [e for e in entries if e.hold is None]
    # a hold waiting for a fix is looked up with the rest: the same field says if it landed
    waiting = [e for e in held if e.hold_until_upstream_contains is not None]

    token = config.github.token(dict(environ) if environ is not None else None)
    counter = RequestCounter()
    diffs: list[str] = []
    dashboard: DashboardOutcome | None = None
    with new_client(timeout=config.lookup.timeout_seconds, counter=counter) as client:
        prepared = _Prepare(checkout is not None)
        client.event_hooks["request"].append(prepared.watch)
        state: TargetSnapshot | None = None
        asked = active + waiting
        if checkout is None and asked and token is not None and reads_target(config):
            looked_up, state = read_pass(
                asked,
                target=str(config.target.repository),
                base=config.target.base,
                paths=[p for e in entries for p in e.paths],  # held rows too: their pinned sha
                client=client,
                github=config.github,
                lookup=config.lookup,
                token=token,
                branches=branches_to_read(config, asked),
            )
        else:
            looked_up = lookup_heads(
                asked, client=client, github=config.github, lookup=config.lookup, token=token
            )
        for entry in held:
            answer = looked_up.get((entry.repository, entry.branch))
            why = gates.lifted_by_upstream(entry, answer)
            if why is None:
                message = gates.still_held_because(entry, answer)
                done(_held(entry, checkout, state, message))
                continue
            lifted = _lift(entry, why, notes)
            entries[entries.index(entry)] = lifted
            active.append(lifted)
        heads: dict[tuple[str, str], Head] = {}
        resolved: list[Entry] = []
        for entry in active:
            pair = (entry.repository, entry.branch)
            answer = looked_up.get(pair)
            if isinstance(answer, Head):
                pinned = _pinned(entry, checkout, state) if entry.gated else None
                chosen = _gated(entry, answer, heads.get(pair), notes, started_at, pinned)
                if isinstance(chosen, Result):
                    done(chosen)
                    continue
                heads[pair] = chosen
                resolved.append(entry)
            else:
                reason = str(answer) if answer is not None else "no answer from upstream"
                done(Result(entry, Status.FAILED, message=reason))

        prepared.wait()
        if checkout is not None:
            from bumper.bump.checkout import rewrite_checkout

            for result, diff in rewrite_checkout(
                checkout, resolved, heads, dry_run=dry_run, should_stop=should_stop
            ):
                done(result)
                if diff:
                    diffs.append(diff)
        else:
            from bumper.bump.publish import publish
            from bumper.github.pygithub_forge import GitHubForge

            with GitHubForge.from_config(config, token) as forge:
                publish(
                    config,
                    resolved,
                    heads,
                    forge,
                    client=client,
                    token=token,
                    dry_run=dry_run,
                    should_stop=should_stop,
                    on_result=done,
                    state=state,
                )
                stopped = should_stop is not None and should_stop()
                if config.dashboard is not None and not dry_run and not only and not stopped:
                    from bumper.bump.dashboard_sync import DashboardOutcome
                    from bumper.bump.dashboard_sync import sync as sync_dashboard

                    account = (state.account if state is not None else "") or _account(forge)
                    listed = [results[e] for e in entries if e in results]
                    dashboard = (
                        sync_dashboard(forge, config.dashboard, listed, account=account)
                        if account
                        else DashboardOutcome(
                            None, problem="dashboard: the login bumper writes as could not be read"
                        )
                    )
                counter.merge(forge.request_counts())

    ordered = tuple(results[e] for e in entries if e in results)
    if dashboard is not None and dashboard.problem is not None:
        log.warning("%s", dashboard.problem)
    if checkout is None:  # a dry run's PR diffs, in matrix order
        diffs.extend(r.diff for r in ordered if r.diff)
    return PassReport(
        dashboard=dashboard,
        results=ordered,
        requests=counter.as_dict(),
        started_at=started_at,
        duration=time.monotonic() - start,
        diffs=tuple(diffs),
    )


def _gated(
    entry: Entry,
    head: Head,
    known: Head | None,
    notes: dict[Entry, str],
    now: float,
    pinned: str | None,
) -> Head | Result:
    """The head ``entry`` is bumped to through its gates (``known``: the one an earlier entry
    on the same branch got), or the Result that says why it is not bumped this pass."""
    chosen = gates.choose(entry, head, now, pinned)
    if isinstance(chosen, gates.Waiting):
        gate = f"{gates.describe(entry)}: {chosen.message}"
        return Result(entry, Status.SKIPPED, old=pinned, message=chosen.message, gate=gate)
    if isinstance(chosen, UpstreamError):
        return Result(entry, Status.FAILED, message=str(chosen))
    if known is not None and known.sha != chosen.sha:
        # publish takes one head per (repository, branch): two would fight over the PR
        return Result(
            entry,
            Status.FAILED,
            message=f"entries following {entry.repository} {entry.branch} chose different "
            f"commits ({known.sha[:12]}, {chosen.sha[:12]}) through different gates; give "
            "them the same min_age and require_checks",
        )
    note = "; ".join(n for n in (notes.get(entry, ""), chosen.note) if n)
    if note:
        notes[entry] = note
    if known is None:
        return chosen if chosen.note == note else replace(chosen, note=note)
    if note and note not in known.note:
        return replace(known, note=f"{known.note}; {note}" if known.note else note)
    return known


def _lift(entry: Entry, why: str | None, notes: dict[Entry, str]) -> Entry:
    """``entry`` with its hold lifted (``why`` says why), or as it is when ``why`` is None."""
    if why is None:
        return entry
    lifted = replace(entry, hold=None, hold_until=None, hold_until_upstream_contains=None)
    notes[lifted] = why
    return lifted


def _pinned(entry: Entry, checkout: Path | None, state: TargetSnapshot | None) -> str | None:
    """The sha the entry's pin holds, where the pass read its file anyway (the checkout, or
    the target's snapshot); reading it is never worth a failure."""
    from bumper import pinfiles
    from bumper.bump.checkout import read_pin_file

    try:
        texts: dict[str, str] = {}
        for path in entry.paths:
            text = None
            if checkout is not None:
                text = read_pin_file(checkout, path)
            elif state is not None and path in state.files:
                text = state.files[path].text
            if text is not None:
                texts[path] = text
        if len(texts) == len(entry.paths):
            return pinfiles.value(entry, texts)
    except BumperError:
        return None
    return None


def _held(
    entry: Entry, checkout: Path | None, state: TargetSnapshot | None, message: str
) -> Result:
    """A held entry's Result, with the sha it is held at where the pass read it."""
    return Result(entry, Status.HELD, old=_pinned(entry, checkout, state), message=message)
