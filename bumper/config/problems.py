"""Collecting config problems as one-line `FILE:LINE: key.path: message` texts, and the
phrases those messages share (what a value is, what was expected, "did you mean").

Nothing stops at the first problem: every check adds to a Problems, which is raised once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bumper.errors import ConfigError
from bumper.model import Location


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    file_order: int
    line: int
    text: str = field(compare=False)


class Problems:
    """Every problem found, kept in file order then line order, as one-line messages."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._files: dict[str, int] = {}

    def add(self, filename: str, line: int, path: str, message: str) -> None:
        order = self._files.setdefault(filename, len(self._files))
        where = f"{filename}:{line}" if line > 0 else filename
        text = f"{where}: {path}: {message}" if path else f"{where}: {message}"
        self._items.append(Problem(order, line, printable(text)))

    def add_at(self, source: Location | None, path: str, message: str) -> None:
        """A problem about something read from `source` (an entry's row, say)."""
        filename, line = (source.file, source.line) if source else ("", 0)
        self.add(filename, line, path, message)

    def __bool__(self) -> bool:
        return bool(self._items)

    def messages(self) -> list[str]:
        return [p.text for p in sorted(self._items)]

    def raise_if_any(self) -> None:
        if self._items:
            raise ConfigError(self.messages())


@dataclass(frozen=True, slots=True)
class Report:
    """Problems about one file."""

    filename: str
    problems: Problems

    def add(self, line: int, path: str, message: str) -> None:
        self.problems.add(self.filename, line, path, message)


def printable(text: str) -> str:
    """One line whatever a value held: control characters and line breaks escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]*@")


def shown(value: str) -> str:
    """A value quoted for a message, cut short, with any `user:password@` in it hidden."""
    value = _USERINFO_RE.sub("***@", value)
    return f"`{value}`" if len(value) <= 80 else f"`{value[:77]}...`"


def kind(value: Any) -> str:
    """How a YAML value reads to a user: 'a string', 'a list', ..."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    if isinstance(value, date):
        return "a date"
    return type(value).__name__


def expected(what: str, value: Any) -> str:
    message = f"expected {what}, got {kind(value)}"
    if what == "a string" and isinstance(value, bool | int | float | date):
        message += "; put the value in quotes"
    return message


def close_match(key: Any, known: Sequence[str]) -> str | None:
    match = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    return match[0] if match else None


def unknown_key(key: Any, known: Sequence[str]) -> str:
    match = close_match(key, known)
    if match:
        return f"unknown key; did you mean `{match}`?"
    return "unknown key; expected one of " + ", ".join(f"`{k}`" for k in known)
