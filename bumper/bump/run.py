"""One pass: load, look up, then rewrite a checkout or publish pull requests.

Each entry is isolated: a failure becomes that entry's Result and the pass goes on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bumper import pins
from bumper.bump import prtext
from bumper.bump.snapshot import TargetSnapshot, read_pass
from bumper.config.settings import Config
from bumper.errors import BumperError, ConfigError, PinError
from bumper.github.http import RequestCounter, new_client
from bumper.model import Entry, Head, Result, Status
from bumper.upstream.lookup import lookup_heads


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
        names = ", ".join(sorted(known)) or "none"
        raise ConfigError([f"--only: no matrix entry for {', '.join(unknown)} (entries: {names})"])
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

    for entry in entries:
        if entry.hold is not None:
            done(Result(entry, Status.HELD, message=entry.hold))
    active = [e for e in entries if e.hold is None]

    token = config.github.token(dict(environ) if environ is not None else None)
    counter = RequestCounter()
    diffs: list[str] = []
    with new_client(timeout=config.lookup.timeout_seconds, counter=counter) as client:
        state: TargetSnapshot | None = None
        if checkout is None and active and token is not None and _reads_as_forge(config):
            looked_up, state = read_pass(
                active,
                target=str(config.target.repository),
                base=config.target.base,
                paths=[e.file for e in active],
                client=client,
                github=config.github,
                lookup=config.lookup,
                token=token,
                branches=_branches_in_target(config, active),
            )
        else:
            looked_up = lookup_heads(
                active, client=client, github=config.github, lookup=config.lookup, token=token
            )
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
    return PassReport(
        results=ordered,
        requests=counter.as_dict(),
        started_at=started_at,
        duration=time.monotonic() - start,
        diffs=tuple(diffs),
    )


def _branches_in_target(config: Config, entries: Sequence[Entry]) -> list[str]:
    """bumper's PR branches, for the snapshot to read; none when they live in a fork
    (``target.push_to``): publish looks those up itself."""
    if config.target.push_to is not None:
        return []
    return [prtext.render_branch(config.pr, e) for e in entries]


def _reads_as_forge(config: Config) -> bool:
    """Whether the look-ups' token reads the target as the forge would: not when a GitHub App
    writes (its installation may see other repositories than the token does)."""
    repository = config.target.repository or ""
    app = config.github.app_id is not None and bool(config.github.app_private_key)
    return repository.count("/") == 1 and not app


def _moved_note(head: Head) -> str:
    return f"; moved to {head.moved_to}: update the matrix" if head.moved_to else ""


def rewrite_checkout(
    checkout: Path,
    entries: Sequence[Entry],
    heads: Mapping[tuple[str, str], Head],
    *,
    dry_run: bool,
    should_stop: Callable[[], bool] | None = None,
) -> list[tuple[Result, str]]:
    """Rewrite pins in a working tree, one read and at most one write per file."""
    by_file: dict[str, list[Entry]] = {}
    for entry in entries:
        by_file.setdefault(entry.file, []).append(entry)

    out: list[tuple[Result, str]] = []
    for rel, file_entries in by_file.items():
        if should_stop is not None and should_stop():
            break
        path = checkout / rel
        try:
            before = _read_text(path, rel)
        except BumperError as exc:
            out.extend((Result(e, Status.FAILED, message=str(exc)), "") for e in file_entries)
            continue
        text = before
        file_results: list[Result] = []
        for entry in file_entries:
            head = heads[(entry.repository, entry.branch)]
            note = _moved_note(head)
            try:
                old = pins.read_pin(text, entry.variable, filename=rel).value
                if old == head.sha:
                    file_results.append(
                        Result(entry, Status.UP_TO_DATE, old, head.sha, f"up to date{note}")
                    )
                    continue
                text = pins.rewrite_pin(text, entry.variable, old, head.sha, filename=rel)
            except PinError as exc:
                file_results.append(Result(entry, Status.FAILED, message=str(exc)))
                continue
            file_results.append(
                Result(entry, Status.BUMPED, old, head.sha, f"{old[:12]} -> {head.sha[:12]}{note}")
            )
        diff = pins.unified_diff(rel, before, text) if text != before else ""
        if text != before and not dry_run:
            _write_text(path, text)
        out.extend((r, diff if i == 0 else "") for i, r in enumerate(file_results))
    return out


def _read_text(path: Path, rel: str) -> str:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:  # never more than the limit: a huge file is refused
            data = handle.read(pins.MAX_MAKEFILE_BYTES + 1)
    except FileNotFoundError:
        raise PinError(f"{rel}: no such file in the checkout") from None
    except IsADirectoryError:
        raise PinError(f"{rel}: is a directory, not a Makefile") from None
    except OSError as exc:
        raise PinError(f"{rel}: cannot read: {exc.strerror}") from None
    return pins.decode_makefile(data, rel, size)


def _write_text(path: Path, text: str) -> None:
    # Write beside and rename, so a crash never leaves a half-written Makefile. A symlinked
    # Makefile is written through its link (config checks it stays inside the checkout).
    path = path.resolve()
    tmp = path.with_name(f".{path.name}.bumper-tmp")
    tmp.write_bytes(text.encode("utf-8"))
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    tmp.replace(path)
