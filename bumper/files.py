"""Files bumper reads and writes: bounded reads of regular files only, atomic replacement,
and bytes as text people can be pointed into (UTF-8 decoding that says which line and column
hold the first bad byte, counted the way editors count).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bumper.errors import FileError


def read_regular(path: Path, limit: int, shown_as: str, what: str) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.

    A FIFO, device or socket is refused before a byte is read: reading one could block for
    ever or never end. FileError, starting with `shown_as`, says why; `what` names what the
    file should have been ("a Makefile"). Larger than `limit`: FileError with its size.
    """
    try:
        info = os.stat(path)
        _require_regular(info, shown_as, what)
        # O_NONBLOCK: a FIFO swapped in after the stat must not block the open either.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except FileNotFoundError:
        raise FileError(f"{shown_as}: no such file") from None
    except OSError as exc:
        raise FileError(f"{shown_as}: cannot read: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        _require_regular(info, shown_as, what)
        chunks: list[bytes] = []
        wanted = limit + 1  # one byte more than allowed tells a file that is too large
        while wanted > 0:
            chunk = os.read(fd, min(wanted, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
    except OSError as exc:
        raise FileError(f"{shown_as}: cannot read: {_reason(exc)}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        size = max(info.st_size, len(data))
        raise FileError(f"{shown_as}: is {size:,} bytes; at most {limit:,} are read", size)
    return data


def _require_regular(info: os.stat_result, shown_as: str, what: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise FileError(f"{shown_as}: is a directory, not {what}")
    if not stat.S_ISREG(info.st_mode):
        raise FileError(f"{shown_as}: is not a regular file")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace the file at `path` with `data`, so a crash leaves the old bytes or the new.

    Through a symlink, the link's target is replaced and the link kept. The temporary file is
    created afresh beside the target (never opened through a link that someone planted) and
    gets the original's permission bits before it takes the original's place.
    """
    target = path.resolve()
    info = os.stat(target)
    if not stat.S_ISREG(info.st_mode):
        raise FileError(f"{path}: is not a regular file; not writing it")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bumper-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True, slots=True)
class BadByte:
    """The first byte that is not UTF-8, at a 1-based line and column."""

    line: int
    column: int
    value: int

    def __str__(self) -> str:
        return f"byte 0x{self.value:02x} at column {self.column}"


def decode_utf8(data: bytes, *, bom: bool = False) -> str | BadByte:
    """The text of `data`, or where it stops being UTF-8. `bom`: drop a leading UTF-8 BOM."""
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_and_column(data, exc.start)
        return BadByte(line, column, data[exc.start])


def line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column
