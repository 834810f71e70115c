"""One pass: load, look up, then rewrite a checkout or publish pull requests.

Each entry is isolated: a failure becomes that entry's Result and the pass goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bumper import pinfiles
from bumper.bump.checkout import read_pin_file, rewrite_checkout
from bumper.bump.snapshot import TargetSnapshot, branches_to_read, read_pass, reads_target
from bumper.config.problems import close_match
from bumper.config.settings import Config
from bumper.errors import BumperError, ConfigError
from bumper.github.http import RequestCounter, new_client
from bumper.model import Entry, Head, Result, Status
from bumper.upstream import lookup_heads


@dataclass(frozen=True, slots=True)
class PassReport:
    results: tuple[Result, ...]
    requests: dict[str, int] = field(default_factory=dict)
    started_at: float = 0.0
    duration: float = 0.0
    diffs: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return any(r.status is Status.FAILED for r in self.results)


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
    entries = select_entries(config.matrix, only)
    results: dict[Entry, Result] = {}

    def done(result: Result) -> None:
        results[result.entry] = result
        if on_result is not None:
            on_result(result)

    held = [e for e in entries if e.hold is not None]
    active = [e for e in entries if e.hold is None]

    token = config.github.token(dict(environ) if environ is not None else None)
    counter = RequestCounter()
    diffs: list[str] = []
    with new_client(timeout=config.lookup.timeout_seconds, counter=counter) as client:
        state: TargetSnapshot | None = None
        if checkout is None and active and token is not None and reads_target(config):
            looked_up, state = read_pass(
                active,
                target=str(config.target.repository),
                base=config.target.base,
                paths=[p for e in entries for p in e.paths],  # held rows too: their pinned sha
                client=client,
                github=config.github,
                lookup=config.lookup,
                token=token,
                branches=branches_to_read(config, active),
            )
        else:
            looked_up = lookup_heads(
                active, client=client, github=config.github, lookup=config.lookup, token=token
            )
        for entry in held:
            done(_held(entry, checkout, state))
        heads: dict[tuple[str, str], Head] = {}
        resolved: list[Entry] = []
        for entry in active:
            answer = looked_up.get((entry.repository, entry.branch))
            if isinstance(answer, Head):
                heads[(entry.repository, entry.branch)] = answer
                resolved.append(entry)
            else:
                reason = str(answer) if answer is not None else "no answer from upstream"
                done(Result(entry, Status.FAILED, message=reason))

        if checkout is not None:
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
                counter.merge(forge.request_counts())

    ordered = tuple(results[e] for e in entries if e in results)
    if checkout is None:  # a dry run's PR diffs, in matrix order
        diffs.extend(r.diff for r in ordered if r.diff)
    return PassReport(
        results=ordered,
        requests=counter.as_dict(),
        started_at=started_at,
        duration=time.monotonic() - start,
        diffs=tuple(diffs),
    )


def _held(entry: Entry, checkout: Path | None, state: TargetSnapshot | None) -> Result:
    """A held entry's Result, with the sha it is held at where the pass read its file anyway
    (the checkout, or the target's snapshot); reading it is never worth a failure."""
    old: str | None = None
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
            old = pinfiles.value(entry, texts)
    except BumperError:
        old = None
    return Result(entry, Status.HELD, old=old, message=str(entry.hold))
