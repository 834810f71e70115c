"""`run-once --checkout`: rewrite pins in a working tree, one read and one write per file."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bumper import pins
from bumper.errors import BumperError, FileError, PinError
from bumper.files import read_regular, write_atomically
from bumper.model import Entry, Head, Result, Status
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
            before = read_makefile(path, rel)
        except BumperError as exc:
            out.extend((Result(e, Status.FAILED, message=str(exc)), "") for e in file_entries)
            continue
        text = before
        file_results: list[Result] = []
        for entry in file_entries:
            head = heads[(entry.repository, entry.branch)]
            note = _moved_note(head)
            tags = entry.follows_tags
            try:
                old = pins.read_pin(text, entry.variable, filename=rel, tags=tags).value
                new = target_value(head, old)
                past = already_past(head, old)
                if old == new or past is not None:
                    message = past or f"up to date{note}"
                    file_results.append(Result(entry, Status.UP_TO_DATE, old, old, message))
                    continue
                text = pins.rewrite_pin(text, entry.variable, old, new, filename=rel, tags=tags)
            except PinError as exc:
                file_results.append(Result(entry, Status.FAILED, message=str(exc)))
                continue
            file_results.append(
                Result(entry, Status.BUMPED, old, new, f"{old[:12]} -> {new[:12]}{note}")
            )
        diff = pins.unified_diff(rel, before, text) if text != before else ""
        if text != before and not dry_run:
            # A symlinked Makefile is written through its link (config checks that it stays
            # inside the checkout).
            try:
                write_atomically(path, text.encode("utf-8"))
            except (OSError, FileError) as exc:
                problem = f"{rel}: cannot write: {getattr(exc, 'strerror', None) or exc}"
                file_results = [_unwritten(r, problem) for r in file_results]
                diff = ""
        out.extend((r, diff if i == 0 else "") for i, r in enumerate(file_results))
    return out


def _unwritten(result: Result, problem: str) -> Result:
    return (
        result
        if result.status is not Status.BUMPED
        else Result(result.entry, Status.FAILED, message=problem)
    )


def read_makefile(path: Path, rel: str) -> str:
    try:
        data = read_regular(path, pins.MAX_MAKEFILE_BYTES, rel, "a Makefile")
    except FileError as exc:
        problem = pins.size_problem(rel, exc.size) if exc.size is not None else None
        raise PinError(problem or str(exc)) from None
    return pins.decode_makefile(data, rel)
