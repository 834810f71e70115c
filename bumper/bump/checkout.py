"""`run-once --checkout`: rewrite pins in a working tree, one read and one write per file.

A submodule's pin is its gitlink in the index: bumper stages the new commit there
(`git update-index --cacheinfo 160000,<sha>,<path>`), as `git add` of the moved submodule
would, and leaves the submodule's own working tree alone (`git submodule update` checks it
out). It never clones or fetches.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bumper import pinfiles, pins
from bumper.errors import BumperError, FileError, PinError
from bumper.files import read_regular, write_atomically
from bumper.model import Entry, Head, Result, Status, is_sha
from bumper.upstream.tags import already_past, target_value


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
    """Rewrite pins in a working tree, one read and at most one write per file; an entry's
    files are all written or, when one cannot be, reported failed."""
    texts: dict[str, str] = {}  # every file as the entries so far left it
    before: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    gitlinks: set[str] = set()
    done: list[Result] = []
    for entry in entries:
        if should_stop is not None and should_stop():
            break
        for path in entry.paths:
            if path in before or path in unreadable:
                continue
            try:
                sha = gitlink(checkout, path)
                if sha is not None:
                    gitlinks.add(path)
                before[path] = sha if sha is not None else _read_text(checkout, path)
                texts[path] = before[path]
            except BumperError as exc:
                unreadable[path] = str(exc)
        problem = next((unreadable[p] for p in entry.paths if p in unreadable), None)
        if problem is not None:
            done.append(Result(entry, Status.FAILED, message=problem))
            continue
        head = heads[(entry.repository, entry.branch)]
        note = _moved_note(head)
        mine = {path: texts[path] for path in entry.paths}
        try:
            old = pinfiles.value(entry, mine)
            new = target_value(head, old)  # a release's name or commit, following tags
            past = already_past(head, old)
            if old == new or past is not None:
                message = past or f"up to date{note}"
                done.append(Result(entry, Status.UP_TO_DATE, old, old, message))
                continue
            texts.update(pinfiles.rewrite(entry, mine, old, new))
        except PinError as exc:
            done.append(Result(entry, Status.FAILED, message=str(exc)))
            continue
        change = f"{old[:12]} -> {new[:12]}{note}"
        done.append(Result(entry, Status.BUMPED, old, new, change))

    failed_writes: dict[str, str] = {}
    if not dry_run:
        for path, text in texts.items():
            if text == before[path]:
                continue
            try:
                _write(checkout, path, text, path in gitlinks)
            except (OSError, FileError, PinError) as exc:
                reason = getattr(exc, "strerror", None) or exc
                failed_writes[path] = f"{path}: cannot write: {reason}"
    # each file's diff goes with the first entry that changed it, in matrix order
    out: list[tuple[Result, str]] = []
    shown: set[str] = set()
    modes = {path: pinfiles.GITLINK for path in gitlinks}
    for result in done:
        entry = result.entry
        problem = next((failed_writes[p] for p in entry.paths if p in failed_writes), None)
        if problem is not None and result.status is Status.BUMPED:
            out.append((Result(entry, Status.FAILED, message=problem), ""))
            continue
        diff = ""
        if result.status is Status.BUMPED:
            fresh = [p for p in entry.paths if p not in shown and texts[p] != before[p]]
            shown.update(fresh)
            diff = pinfiles.diff(
                entry, before, {p: texts[p] if p in fresh else before[p] for p in before}, modes
            )
        out.append((result, diff))
    return out


def _write(checkout: Path, path: str, text: str, is_gitlink: bool) -> None:
    if is_gitlink:
        _git(checkout, "update-index", "--cacheinfo", f"{pinfiles.GITLINK},{text},{path}")
        return
    # A symlinked file is written through its link (config checks that it stays inside
    # the checkout).
    write_atomically(checkout / path, text.encode("utf-8"))


def gitlink(checkout: Path, rel: str) -> str | None:
    """The commit the index pins at ``rel`` when it is a submodule, else None. Asked only
    of a directory or a missing path: a submodule is one of those in a working tree."""
    path = checkout / rel
    if path.is_file():
        return None
    try:
        listed = _git(checkout, "ls-files", "--stage", "--", rel)
    except PinError:
        return None  # not a git working tree: then no submodules either
    for line in listed.splitlines():
        meta, _, name = line.partition("\t")
        parts = meta.split()
        if name == rel and len(parts) == 3 and parts[0] == pinfiles.GITLINK and is_sha(parts[1]):
            return parts[1]
    return None


def _git(checkout: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PinError(f"git {args[0]} in the checkout: {exc}") from None
    if proc.returncode != 0:
        raise PinError(f"git {args[0]} in the checkout: {proc.stderr.strip()[:200]}")
    return proc.stdout


def read_pin_file(checkout: Path, rel: str) -> str:
    """The text of ``rel`` in the checkout, as bumper may edit it; a submodule's gitlink
    reads as the commit it pins."""
    sha = gitlink(checkout, rel)
    return sha if sha is not None else _read_text(checkout, rel)


def _read_text(checkout: Path, rel: str) -> str:
    path = checkout / rel
    try:
        data = read_regular(path, pins.MAX_MAKEFILE_BYTES, rel, "a file holding a pin")
    except FileError as exc:
        problem = pins.size_problem(rel, exc.size) if exc.size is not None else None
        raise PinError(problem or str(exc)) from None
    return pins.decode_makefile(data, rel)
