"""Find commit pins outside Makefile variables: text in, hits out. Pure; no I/O.

A pin is a commit sha in a place that decides what gets built: an assignment, a git command,
a package spec, a build-system declaration. A sha merely mentioned (a comment, prose, an echo)
is not one, so every scanner needs that context and none looks for bare 40-hex strings.
Makefile variable pins (`VAR?=<sha>`) belong to bumper.pins; here a Makefile only contributes
the shell in its recipes and URLs that embed a sha.

One module per kind of file, each with `scan(path, text) -> list[Hit]` (as a Renovate manager
reads one kind of file); `classify` names the kind of a path and `scan` here dispatches to it.
Reading files is files.py's job: every scanner gets the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from bumper.audit.scanners import (
    cmake,
    dockerfile,
    gomod,
    lock,
    makefile,
    manifest,
    precommit,
    requirements,
    shell,
    workflow,
)
from bumper.audit.scanners.base import (
    ABBREVIATED_SHA,
    CANDIDATE,
    MANAGED,
    NOT_PINS,
    SHELLS,
    Hit,
    Scanner,
    plausible_commit_variable,
)

__all__ = [
    "ABBREVIATED_SHA",
    "MANAGED",
    "NOT_PINS",
    "Hit",
    "classify",
    "is_shell_script",
    "plausible_commit_variable",
    "scan",
]

# Kinds whose pins another tool keeps current: read only with `managed`.
_MANAGED_KINDS = ("lock", "gomod", "precommit")
_SCANNERS: dict[str, Scanner] = {
    "precommit": precommit.scan,
    "shell": shell.scan,
    "dockerfile": dockerfile.scan,
    "makefile": makefile.scan,
    "workflow": workflow.scan,
    "requirements": requirements.scan,
    "manifest": manifest.scan,
    "cmake": cmake.scan,
    "gomod": gomod.scan,
    "lock": lock.scan,
}

# Test data: whatever lies here is input to a test, never something a build checks out.
_DATA_DIRS = {"testdata", "test_data", "test-data", "fixtures", "fixture", "__fixtures__"}
_DATA_DIRS |= {"__snapshots__", "testfixtures", "corpus"}
# Test code: its build files (a Dockerfile CI builds, a CMakeLists a test build uses) are real;
# its scripts and sources are read no more than any other source is.
_TEST_DIRS = {"test", "tests", "__tests__"}
_BUILD_KINDS = {"makefile", "dockerfile", "cmake", "requirements", "manifest", "lock", "gomod"}
_SKIP_DIRS = {"node_modules", "vendor", "third_party", "third-party", "3rdparty", ".git"}
_LOCK_FILES = {"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"}
_LOCK_FILES |= {"Cargo.lock", "go.sum", "poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock"}
_LOCK_FILES |= {"Gemfile.lock", "composer.lock", "flake.lock", "gradle.lockfile", "bun.lock"}


_NOT_MAKE = {".md", ".txt", ".rst", ".am", ".in", ".adoc", ".html", ".orig", ".bak"}
_DOCKERFILE = re.compile(r"(?:docker|container)file(?:[._-][\w.-]*)?")
# Every suffix and name start `_kind_of` can answer for: any other file with a suffix (the
# sources, headers and docs that are nearly all of a big tree) is settled by its name alone.
_KIND_SUFFIXES = {".mk", ".make", ".lock", ".lockfile", ".sh", ".bash", ".zsh", ".ksh", ".cmake"}
_KIND_SUFFIXES |= {".txt", ".in", ".toml", ".cfg", ".yml", ".yaml", ".json", ".sum", ".mod"}
_KIND_SUFFIXES |= {".dockerfile", ".containerfile"}
_KIND_PREFIXES = ("makefile", "gnumakefile", "bsdmakefile", "dockerfile", "containerfile")


def classify(path: str) -> str | None:
    """The kind (the scanner) of a repository-relative path, or None when it holds no pins we read.

    Documentation, test data, vendored code and files of other languages are None: a sha there
    is prose or data, not something the build checks out.
    """
    name = path[path.rfind("/") + 1 :]
    if not name:
        return None
    dot = name.rfind(".")
    lower = name.lower()
    if dot > 0 and lower[dot:] not in _KIND_SUFFIXES and not lower.startswith(_KIND_PREFIXES):
        return None
    parts = path.split("/")
    dirs = {part.lower() for part in parts[:-1]}
    if dirs & _SKIP_DIRS or dirs & _DATA_DIRS:
        return None
    kind = _kind_of(parts, name, dirs)
    if kind is not None and kind not in _BUILD_KINDS and dirs & _TEST_DIRS:
        return None
    return kind


def _kind_of(parts: list[str], name: str, dirs: set[str]) -> str | None:
    lower = name.lower()
    dot = lower.rfind(".")
    suffix = lower[dot:] if dot > 0 else ""
    if lower in ("makefile", "gnumakefile", "bsdmakefile") or suffix in (".mk", ".make"):
        return "makefile"
    # Makefile.common, Makefile-cuda, Makefile_rocm: fragments others include (not automake's
    # templates, not prose about them).
    if lower.startswith(("makefile.", "makefile-", "makefile_")) and suffix not in _NOT_MAKE:
        return "makefile"
    if name in _LOCK_FILES or lower.endswith(".lock"):
        return "lock"
    if name == "go.mod":
        return "gomod"
    if name == ".pre-commit-config.yaml":
        return "precommit"
    docs = (".md", ".txt", ".rst", ".adoc", ".html")
    if _DOCKERFILE.fullmatch(lower) and suffix not in docs:
        return "dockerfile"
    if lower.endswith((".dockerfile", ".containerfile")):
        return "dockerfile"
    if suffix in (".sh", ".bash", ".zsh", ".ksh"):
        return "shell"
    if lower == "cmakelists.txt" or suffix == ".cmake":
        return "cmake"
    if suffix in (".txt", ".in") and lower.startswith(("requirements", "constraints")):
        return "requirements"
    if lower.startswith("requirements") and suffix == ".txt":
        return "requirements"
    if "requirements" in dirs and suffix in (".txt", ".in"):
        return "requirements"
    if lower in ("pyproject.toml", "cargo.toml", "pipfile", "setup.cfg"):
        return "manifest"
    if suffix in (".yml", ".yaml"):
        if len(parts) >= 3 and parts[-3] == ".github" and parts[-2] == "workflows":
            return "workflow"
        if lower in ("action.yml", "action.yaml"):
            return "workflow"
    return None


def is_shell_script(head: str) -> bool:
    """Does a file without a telling name start with a shell shebang?"""
    if not head.startswith("#!"):
        return False
    words = head[2:].split("\n", 1)[0].split()
    if not words:
        return False
    program = PurePosixPath(words[0]).name
    if program == "env" and len(words) > 1:
        program = next((w for w in words[1:] if not w.startswith("-")), "")
    return program in SHELLS


def scan(path: str, text: str, kind: str | None = None, *, managed: bool = False) -> list[Hit]:
    """Every pin in `text` (the content of `path`), in line order.

    Pins other tools keep current (go.mod pseudo-versions, lock files, `uses: o/n@sha`,
    submodules) are returned only when `managed` is true, with `managed_by` set.
    """
    kind = kind or classify(path)
    if kind is None:
        return []
    if kind in _MANAGED_KINDS and not managed:
        return []
    if not CANDIDATE.search(text):
        return []
    hits = [h for h in _SCANNERS[kind](path, text) if h.value not in NOT_PINS]
    if not managed:
        hits = [hit for hit in hits if hit.managed_by is None]
    return _dedupe(hits)


def _dedupe(hits: Iterable[Hit]) -> list[Hit]:
    seen: dict[tuple[int, str], Hit] = {}
    for hit in hits:
        key = (hit.line, hit.value)
        if key not in seen:
            seen[key] = hit
    return sorted(seen.values(), key=lambda h: (h.line, h.value))
