"""PURE: the plain block-style YAML most configs are written in, read without ruamel's scanner.

ruamel's round-trip loader costs ~0.4 ms per matrix row in pure Python: 0.4 s of a 1,000-pin
pass that otherwise spends a fraction of that. Configs are nearly always block mappings and
lists of ``key: value`` with plain or simply quoted scalars; this reads exactly that subset into
nodes that answer like ruamel's BlockMap/BlockSeq (values and ``lc`` positions, without
importing ruamel at all), and returns None for
anything else (flow collections, anchors, tags, block or multi-line scalars, escapes, duplicate
keys, tabs, numbers other than plain integers, dates, ...), which ruamel then reads, errors
included. Whatever this accepts, ruamel reads the same: tests/config/test_block_yaml.py checks
it against ruamel on the shipped configs and on generated ones.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?: +|$)")
# A plain scalar this reader resolves itself: no indicator first, no ": " or " #" inside
_PLAIN = re.compile(r"[A-Za-z_/$(.][^#:'\"\t]*?(?::[^ #:'\"\t][^#:'\"\t]*?)*")
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
_DOUBLE = re.compile(r'"([^"\\]*)"')
_COMMENT = re.compile(r"(?: +#.*)?")
_NULL = frozenset({"~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False}
_BOOL["FALSE"] = False
# Plain words some YAML readers take for booleans or numbers: leave them to ruamel.
_AMBIGUOUS = re.compile(r"(?i:y|n|yes|no|on|off|\.inf|\.nan)\Z|\.[0-9]")
# Characters YAML refuses or counts as line breaks (NEL, U+2028/9), a BOM: left to ruamel.
_ODD = re.compile("[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


class Positions:
    """Where a node's keys or items and their values start (0-based), as ruamel's ``lc``."""

    __slots__ = ("col", "data", "line")

    def __init__(self) -> None:
        self.line = self.col = 0
        self.data: dict[Any, list[int]] = {}

    def add_kv_line_col(self, key: Any, data: list[int]) -> None:
        self.data[key] = data

    def key(self, key: Any) -> tuple[int, int]:
        return self.data[key][0], self.data[key][1]

    def value(self, key: Any) -> tuple[int, int]:
        return self.data[key][2], self.data[key][3]

    def item(self, index: int) -> tuple[int, int]:
        return self.data[index][0], self.data[index][1]


class BlockMap(dict[str, Any]):
    """A mapping read by this module, with ruamel's ``lc``."""

    def __init__(self) -> None:
        super().__init__()
        self.lc = Positions()


class BlockSeq(list[Any]):
    """A list read by this module, with ruamel's ``lc``."""

    def __init__(self) -> None:
        super().__init__()
        self.lc = Positions()


class _Unsupported(Exception):
    """The text uses YAML this reader leaves to ruamel."""


class _Line:
    __slots__ = ("col", "number", "text")

    def __init__(self, number: int, col: int, text: str) -> None:
        self.number, self.col, self.text = number, col, text


def parse_block_yaml(text: str) -> Any:
    """The document as ruamel's round-trip loader would build it, or None when the text uses
    anything beyond plain block mappings, lists and simple scalars."""
    if _ODD.search(text):
        return None
    lines = []
    for number, raw in enumerate(text.split("\n")):
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if raw.rstrip(" ") in ("---", "...") or raw.startswith("%"):
            return None
        lines.append(_Line(number, len(raw) - len(stripped), stripped.rstrip(" ")))
    if not lines:
        return None
    reader = _Reader(lines)
    try:
        node = reader.node(0, lines[0].col)
    except (_Unsupported, RecursionError):  # hostile nesting: ruamel's own refusal words it
        return None
    return node if reader.i == len(lines) and isinstance(node, BlockMap) else None


class _Reader:
    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines
        self.i = 0

    def node(self, first_col: int, col: int) -> Any:
        """The block node whose first line is lines[i], at column ``col``; ``first_col`` is
        where that first line's content really starts (after a ``- `` it is not the indent)."""
        line = self.lines[self.i]
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(col)
        return self.mapping(col, first_col)

    def sequence(self, col: int) -> BlockSeq:
        seq = BlockSeq()
        first = self.lines[self.i]
        seq.lc.line, seq.lc.col = first.number, col
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.col != col or not (line.text == "-" or line.text.startswith("- ")):
                break
            rest = line.text[1:].lstrip(" ")
            item_col = col + len(line.text) - len(rest)
            index = len(seq)
            if not rest:
                self.i += 1
                if self.i < len(self.lines) and self.lines[self.i].col > col:
                    nested = self.lines[self.i]
                    seq.lc.add_kv_line_col(index, [nested.number, nested.col])
                    seq.append(self.node(nested.col, nested.col))
                    continue
                raise _Unsupported  # an empty item: a null whose position ruamel keeps oddly
            if rest.startswith("- ") or rest == "-":
                raise _Unsupported  # a list inside a list on one line
            seq.lc.add_kv_line_col(index, [line.number, item_col])
            if _KEY.match(rest):
                # the item is a mapping whose first key shares the dash's line
                self.lines[self.i] = _Line(line.number, item_col, rest)
                seq.append(self.mapping(item_col, item_col))
            else:
                seq.append(_scalar(rest))
                self.i += 1
        self._check_dedent(col)
        return seq

    def mapping(self, col: int, first_col: int) -> BlockMap:
        node = BlockMap()
        first = self.lines[self.i]
        node.lc.line, node.lc.col = first.number, first_col
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.col != col:
                break
            match = _KEY.match(line.text)
            if match is None:
                raise _Unsupported
            key = match.group(1)
            if key in node or key in _NULL or key in _BOOL or _AMBIGUOUS.match(key):
                raise _Unsupported  # ruamel words the duplicate-key error
            rest = line.text[match.end() :]
            self.i += 1
            if rest and not rest.startswith("#"):
                value_col = col + match.end()
                node.lc.add_kv_line_col(key, [line.number, col, line.number, value_col])
                node[key] = _scalar(rest)
                continue
            if self.i < len(self.lines):
                nested = self.lines[self.i]
                dash = nested.text == "-" or nested.text.startswith("- ")
                if nested.col > col or (nested.col == col and dash):
                    node.lc.add_kv_line_col(key, [line.number, col, nested.number, nested.col])
                    node[key] = self.node(nested.col, nested.col)
                    continue
            raise _Unsupported  # `key:` and nothing: a null ruamel positions oddly
        self._check_dedent(col)
        return node

    def _check_dedent(self, col: int) -> None:
        """A line between this block's column and its parent's belongs to neither."""
        if self.i < len(self.lines) and self.lines[self.i].col > col:
            raise _Unsupported


def _scalar(text: str) -> Any:
    """A one-line scalar (with any trailing comment) as ruamel's round-trip loader gives it."""
    for pattern, value in ((_SINGLE, 1), (_DOUBLE, 1)):
        match = pattern.match(text)
        if match is not None:
            if not _COMMENT.fullmatch(text, match.end()):
                raise _Unsupported
            inner = match.group(value)
            return inner.replace("''", "'") if pattern is _SINGLE else inner
    body, _, _ = text.partition(" #")
    body = body.rstrip(" ")
    if _INT.fullmatch(body):
        return int(body)
    if body in _NULL:
        return None
    if body in _BOOL:
        return _BOOL[body]
    if not _PLAIN.fullmatch(body) or _AMBIGUOUS.match(body) or body.endswith(":"):
        raise _Unsupported
    return body
