"""Expected errors. The CLI prints them as one line; anything else is a bug (exit 3)."""

from __future__ import annotations


class BumperError(Exception):
    """Base of every error a user can cause or fix."""


class ConfigError(BumperError):
    """The config (or an imported workflow) is invalid. Carries every problem at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class PinError(BumperError):
    """A pin (in a Makefile or any file a row names) cannot be read or rewritten safely; the
    message says why."""


class UpstreamError(BumperError):
    """An upstream look-up failed. Never carries a token or a response body verbatim."""


class ForgeError(BumperError):
    """The GitHub (or sandbox) write side failed."""


class RemoteError(BumperError):
    """A read through GitHub's API failed: the target repository, or pinned commits' dates."""


class FixError(BumperError):
    """`bumper audit --fix` cannot edit the matrix safely; nothing was written."""


class FileError(BumperError):
    """A file bumper reads or writes is missing, not a regular file, too large or unreadable.

    `size` is set when the file is larger than the limit it was read with.
    """

    def __init__(self, message: str, size: int | None = None) -> None:
        self.size = size
        super().__init__(message)
