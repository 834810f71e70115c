"""Where a byte offset falls in a file, as people count: 1-based line and column."""

from __future__ import annotations


def line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column
