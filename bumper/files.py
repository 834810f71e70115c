"""Bytes read from a file, as text people can be pointed into: UTF-8 decoding that says
which line and column hold the first bad byte, counted the way editors count.
"""

from __future__ import annotations

from dataclasses import dataclass


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
