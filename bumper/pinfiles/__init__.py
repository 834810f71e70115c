"""Read and rewrite a matrix row's pin wherever it lives. Pure: texts in, texts out.

One module per kind of file: makefile (bumper.pins), shell, dockerfile, cmake for a row's
`variable`; matched for a row's `match` in any text file; whole for a row with neither (a
file holding only the sha, or a submodule's gitlink, which reads as its commit's sha). The
guarantees are the Makefile's: only the pin's bytes change, the rewrite is proven by reading
it again, and anything ambiguous is refused with a PinError that says why.

A row's `files` hold one pin: every file must read the same sha, and a rewrite changes them
all or none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

from bumper import pins
from bumper.errors import PinError
from bumper.model import Also, Entry, PinBy, is_sha
from bumper.pinfiles import cmake, dockerfile, makefile, matched, shell, whole
from bumper.pinfiles.spots import Spot, one_value, rewrite_spots, show

__all__ = [
    "GITLINK",
    "Spot",
    "diff",
    "is_makefile_row",
    "kind_of",
    "read",
    "read_file",
    "rewrite",
    "value",
]

GITLINK = "160000"  # git's tree mode of a submodule: the entry's id is the pinned commit
_SHELLS = {"sh", "bash", "zsh", "dash", "ksh"}
_OWN_READERS = ("shell", "dockerfile", "cmake")  # the kinds not read as Makefiles


def kind_of(path: str, text: str = "") -> str | None:
    """Which reader knows a `variable` in ``path``: makefile, shell, dockerfile, cmake."""
    lower = path.rpartition("/")[2].lower()  # matrix paths are POSIX, normalised
    if lower in ("makefile", "gnumakefile") or lower.endswith((".mk", ".make")):
        return "makefile"
    if re.match(r"(?:gnu)?makefile[-.]", lower) and not lower.endswith(
        (".md", ".txt", ".rst", ".am", ".in")
    ):
        return "makefile"  # Makefile-cuda, Makefile.common (not automake's templates)
    if re.fullmatch(r"(?:docker|container)file(?:[._-][\w.-]*)?", lower) or lower.endswith(
        (".dockerfile", ".containerfile")
    ):
        return "dockerfile"
    if lower == "cmakelists.txt" or lower.endswith(".cmake"):
        return "cmake"
    if lower.endswith((".sh", ".bash", ".zsh", ".ksh")) or _shebang_shell(text):
        return "shell"
    return None


def _shebang_shell(text: str) -> bool:
    if not text.startswith("#!"):
        return False
    words = text[2:].split("\n", 1)[0].split()
    program = PurePosixPath(words[0]).name if words else ""
    if program == "env" and len(words) > 1:
        program = next((w for w in words[1:] if not w.startswith("-")), "")
    return program in _SHELLS


def is_makefile_row(entry: Entry, path: str, text: str) -> bool:
    """Whether ``entry`` names a make variable in ``path``: read by bumper.pins, the way
    every row was read before rows could name other kinds of pin."""
    return entry.by is PinBy.VARIABLE and kind_of(path, text) not in _OWN_READERS


def read_file(entry: Entry, path: str, text: str) -> list[Spot]:
    """Where ``entry``'s pin sits in ``path`` (whose text is ``text``); PinError says why
    it cannot be read with certainty."""
    if entry.by is PinBy.MATCH:
        assert entry.match is not None
        spots = matched.read(text, entry.match, path)
        if len({spot.value for spot in spots}) > 1 and kind_of(path) == "cmake":
            spots = cmake.in_block(text, spots, entry.variable) or spots
        return spots
    if entry.by is PinBy.WHOLE:
        return whole.read(text, path)
    kind = kind_of(path, text)
    if kind == "shell":
        return shell.read(text, entry.variable, path)
    if kind == "dockerfile":
        return dockerfile.read(text, entry.variable, path)
    if kind == "cmake":
        return cmake.read(text, entry.variable, path)
    try:  # a Makefile, or a file of no telling name, read as one (debian/rules is a Makefile)
        return makefile.read(text, entry.variable, path, tags=entry.follows_tags)
    except PinError as exc:
        if kind == "makefile":
            raise
        raise PinError(
            f"{exc} (read as a Makefile; for a pin in another kind of file, give `match:`, "
            "the text just before the sha, and `name:`)"
        ) from None


def read(entry: Entry, texts: Mapping[str, str]) -> list[Spot]:
    """Every spot of ``entry``'s pin across its files; PinError when a file cannot be read
    or the files disagree (the message lists every location)."""
    spots: list[Spot] = []
    for path in entry.pin_paths:
        found = read_file(entry, path, texts[path])
        one_value(found, entry.variable, path, tags=entry.follows_tags)
        spots += found
    if len({spot.value for spot in spots}) > 1:
        places = ", ".join(f"{spot}: {show(spot.value)}" for spot in spots)
        raise PinError(f"{entry.variable} reads different shas in its files ({places})")
    also = [spot for item in entry.also for spot in _also_spots(entry, item, texts[item.file])]
    if any(not _same(spot.value, spots[0].value) for spot in also):
        places = ", ".join(f"{spot}: {show(spot.value)}" for spot in spots + also)
        raise PinError(
            f"{entry.variable} and its `also` disagree ({places}); make them the same first"
        )
    return spots + also


def _also_spots(entry: Entry, item: Also, text: str) -> list[Spot]:
    """Where an `also` of ``entry`` holds the value: after its ``match``, outside comments."""
    spots = matched.read(text, item.match, item.file)
    one_value(spots, f"{entry.variable} (also after {show(item.match)})", item.file, tags=True)
    return spots


def _same(also: str, pin: str) -> bool:
    """An `also` holds the pin's value: the same text, or the same release written with or
    without its ``v`` (``v1.65.0`` and a wheel's ``1.65.0``)."""
    return also == pin or (also.lstrip("vV") == pin.lstrip("vV") and not is_sha(pin))


def _styled(also: str, new: str) -> str:
    """``new`` written the way an `also` wrote the old value: with or without the ``v``."""
    if is_sha(new) or also[:1] in "vV" or new[:1] not in "vV":
        return new
    return new[1:]


def value(entry: Entry, texts: Mapping[str, str]) -> str:
    """The sha ``entry``'s pin holds now (the same in each of its files)."""
    return read(entry, texts)[0].value


def rewrite(entry: Entry, texts: Mapping[str, str], old: str | None, new: str) -> dict[str, str]:
    """Each of ``entry``'s files with the pin set to ``new``: all of them or, by PinError,
    none. ``old``, when given, must be what every file holds now."""
    current = value(entry, texts)
    if old is not None and current != old and current != new:
        raise PinError(
            f"{entry.variable} is {current}, not {show(old)} as expected; changed by someone else?"
        )
    out: dict[str, str] = {}
    for path in entry.pin_paths:
        text = texts[path]
        if is_makefile_row(entry, path, text):
            out[path] = makefile.rewrite(
                text, entry.variable, path, current, new, tags=entry.follows_tags
            )
        else:

            def again(result: str, path: str = path) -> list[Spot]:
                return read_file(entry, path, result)

            out[path] = rewrite_spots(
                text, again, entry.variable, path, current, new, tags=entry.follows_tags
            )
    for item in entry.also:  # after the pin's own spots, each proven on its own
        text = out.get(item.file, texts[item.file])
        spots = _also_spots(entry, item, text)

        def again_also(result: str, item: Also = item) -> list[Spot]:
            return _also_spots(entry, item, result)

        was = spots[0].value
        out[item.file] = rewrite_spots(
            text, again_also, entry.variable, item.file, was, _styled(was, new), tags=True
        )
    return out


def diff(
    entry: Entry,
    before: Mapping[str, str],
    after: Mapping[str, str],
    modes: Mapping[str, str] | None = None,
) -> str:
    """One `git apply`-able diff of every file the rewrite changed, in the row's order; a
    gitlink as git shows one (`Subproject commit <sha>`)."""
    parts = []
    for path in entry.paths:
        if before[path] == after[path]:
            continue
        if (modes or {}).get(path) == GITLINK:
            parts.append(
                f"diff --git a/{path} b/{path}\n"
                f"index {before[path][:12]}..{after[path][:12]} {GITLINK}\n"
                f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n"
                f"-Subproject commit {before[path]}\n+Subproject commit {after[path]}\n"
            )
        else:
            parts.append(pins.unified_diff(path, before[path], after[path]))
    return "".join(parts)
