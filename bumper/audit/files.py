"""Which files of a checkout to read, and the commit pins in them.

Makefile pins come from pins.py, every other file's from the scanners package. `candidates` and
`extract_texts` are pure (paths and texts in); `collect` reads a checkout from disk, and
remote.fetch_extract the same files through the API.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from bumper.audit import scanners
from bumper.audit.adopt import inline_marks
from bumper.audit.scanners import Hit, submodule
from bumper.errors import FileError
from bumper.files import read_regular

MAX_BYTES = 1 << 20  # larger files are data, not build scripts
BINARY_PROBE = 8192
_NOT_SCRIPTS = {"LICENSE", "COPYING", "NOTICE", "AUTHORS", "README", "CODEOWNERS", "VERSION"}
_NOT_SCRIPTS |= {"CHANGELOG", "OWNERS", "MAINTAINERS", "CONTRIBUTORS", "PATENTS", "Procfile"}
_WALK_SKIP = {".git", "node_modules", "vendor", ".venv", "venv", "__pycache__", ".tox"}


@dataclass(frozen=True, slots=True)
class Extract:
    """What a checkout holds: Makefile texts and the hidden pins of every other file."""

    makefiles: Mapping[str, str]  # path -> text, every Makefile that assigns something
    hits: Mapping[str, tuple[Hit, ...]]  # path -> hidden (and, with managed, managed) pins
    existing: frozenset[str]  # every listed path, to tell a missing entry file
    files_listed: int = 0
    files_read: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)  # texts of the matrix entries' files
    marks: Mapping[str, frozenset[int]] = field(default_factory=dict)  # `bumper: ignore` lines


def list_files(root: Path) -> tuple[list[str], dict[str, str]]:
    """Paths under `root` (git's view when it is a work tree) and submodule commits by path."""
    listed = _git_ls_files(root)
    if listed is not None:
        return listed
    paths: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _WALK_SKIP)
        base = Path(directory).relative_to(root)
        paths.extend((base / name).as_posix() for name in sorted(files))
    return paths, {}


_QUIET: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.DEVNULL}


def _git_ls_files(root: Path) -> tuple[list[str], dict[str, str]] | None:
    command = ["git", "-C", str(root), "-c", "core.quotepath=off", "ls-files", "-z"]
    # Both listings at once: git's start-up dominates each, and they do not depend on each other.
    runs: list[subprocess.Popen[bytes]] = []
    try:
        for extra in (["--stage"], ["--others", "--exclude-standard"]):
            runs.append(subprocess.Popen([*command, *extra], **_QUIET))
        staged, others = (run.communicate(timeout=60)[0] for run in runs)
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
            run.wait()
    if any(run.returncode for run in runs):
        return None
    paths: list[str] = []
    gitlinks: dict[str, str] = {}
    for record in staged.split(b"\0"):
        if not record:
            continue
        meta, _, raw = record.partition(b"\t")
        path = raw.decode("utf-8", "surrogateescape")
        mode, sha, stage = meta.decode().split()
        if mode == "160000":
            gitlinks[path] = sha
        elif stage in ("0", "2"):  # in a merge conflict, "ours"
            paths.append(path)
    paths.extend(p.decode("utf-8", "surrogateescape") for p in others.split(b"\0") if p)
    return list(dict.fromkeys(paths)), gitlinks


def read_text(root: Path, path: str) -> str | None:
    """The text of a regular, small, non-binary file inside `root`; None otherwise.

    `root` is resolved. A symlink leading outside it is never read, as run-once refuses an
    entry's file that does: what lies there is not the checkout's. FIFOs and devices (a
    link to /dev/stdin, say) are refused before a read could block.
    """
    try:
        if not (root / path).resolve().is_relative_to(root):
            return None
        data = read_regular(root / path, MAX_BYTES, path, "a text file")
    except (OSError, RuntimeError, FileError):  # RuntimeError: a symlink loop
        return None
    if b"\0" in data[:BINARY_PROBE]:
        return None
    return data.decode("utf-8", "replace")


def collect(root: Path, *, managed: bool = False, extra: Iterable[str] = ()) -> Extract:
    """Read each candidate file of a checkout once and extract its pins.

    `extra` are paths to read whatever their name (matrix entry files).
    """
    root = root.resolve()
    paths, gitlinks = list_files(root)
    existing = set(paths)
    wanted = {p for p in extra if p in existing or (root / p).is_file()}
    paths += sorted(wanted - existing)
    wanted |= set(extra) & set(gitlinks)  # a row's submodule: its gitlink is the pin
    chosen = candidates(paths, wanted)
    texts = {path: read_text(root, path) for path, _ in chosen}
    if managed and gitlinks:
        texts[".gitmodules"] = read_text(root, ".gitmodules")
    return extract_texts(paths, texts, gitlinks, wanted=wanted, managed=managed, chosen=chosen)


def candidates(paths: Iterable[str], wanted: Iterable[str] = ()) -> list[tuple[str, str | None]]:
    """(path, kind) of the files worth reading; kind "shell?" when only a shebang can tell."""
    wanted = set(wanted)
    chosen: list[tuple[str, str | None]] = []
    for path in paths:
        kind = scanners.classify(path)
        if kind is None:
            name = path[path.rfind("/") + 1 :]
            if "." not in name and name not in _NOT_SCRIPTS and not _under_skipped(path):
                kind = "shell?"
            elif path not in wanted:
                continue
        chosen.append((path, kind))
    return chosen


def extract_texts(
    paths: Sequence[str],
    texts: Mapping[str, str | None],
    gitlinks: Mapping[str, str],
    *,
    wanted: Iterable[str] = (),
    managed: bool = False,
    chosen: Sequence[tuple[str, str | None]] | None = None,
) -> Extract:
    """Pins from the texts of the candidate files (None: unreadable, binary or too large).

    `chosen` is `candidates(paths, wanted)` when the caller has it already.
    """
    wanted = set(wanted)
    makefiles: dict[str, str] = {}
    extra: dict[str, str] = {}
    hits: dict[str, tuple[Hit, ...]] = {}
    marks: dict[str, frozenset[int]] = {}
    for path, kind in chosen if chosen is not None else candidates(paths, wanted):
        text = texts.get(path)
        if text is None:
            continue
        if marked := inline_marks(text):
            marks[path] = marked
        if path in wanted:
            extra[path] = text
        if kind == "shell?":
            if not scanners.is_shell_script(text[:200]):
                continue
            kind = "shell"
        if kind is None:  # a matrix entry's file of another name: it holds make-style pins
            makefiles[path] = text
            continue
        if kind == "makefile":
            makefiles[path] = text
        found = scanners.scan(path, text, kind, managed=managed)
        if found:
            hits[path] = tuple(found)
    for path, sha in gitlinks.items():
        if path in wanted:  # a matrix row's submodule: its gitlink reads as the pinned commit
            extra[path] = sha
    if managed and gitlinks:
        modules = texts.get(".gitmodules") or ""
        where = ".gitmodules"
        for path, sha in sorted(gitlinks.items()):
            key = where if modules else path
            hits[key] = (*hits.get(key, ()), submodule.scan(path, sha, modules))
    read = sum(1 for path in texts if path != ".gitmodules")
    if marked := inline_marks(texts.get(".gitmodules") or ""):
        marks[".gitmodules"] = marked
    return Extract(makefiles, hits, frozenset(paths), len(paths), read, extra, marks)


def _under_skipped(path: str) -> bool:
    """Would scanners.classify skip this path for where it lives (tests, vendor, ...)?"""
    directory = path.rpartition("/")[0]
    return scanners.classify(f"{directory}/x.sh" if directory else "x.sh") is None


def clean_path(path: str) -> str:
    """A matrix entry's `file:` as the checkout lists it (no `./`, no doubled slashes)."""
    return PurePosixPath(path.removeprefix("./")).as_posix()
