"""PURE: the plain block-style YAML most configs are written in, read without ruamel.

ruamel's round-trip loader costs ~0.4 ms per matrix row in pure Python: 0.4 s of a 1,000-pin
pass that otherwise spends a fraction of that. Configs are nearly always block mappings and
lists of ``key: value`` with plain or simply quoted scalars. libyaml (through PyYAML's C
parser) scans and parses the text; this module only turns its events into nodes that answer
like ruamel's CommentedMap/CommentedSeq (values and ``lc`` positions, without importing ruamel
at all), and returns None for anything else (flow collections, anchors, tags, block or
multi-line scalars, escapes, duplicate keys, tabs, numbers other than plain integers, dates,
...), which ruamel then reads, errors included. Whatever this accepts, ruamel reads the same:
tests/config/test_block_yaml.py checks it against ruamel on the shipped configs and on
generated ones.

Scalars are resolved here, never by PyYAML: PyYAML follows YAML 1.1 (``yes``/``on`` are
booleans, ``0o17`` a string, ``1:20`` sexagesimal 80) while ruamel follows 1.2, so only words
both versions read alike are resolved; every other word goes to ruamel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

# PyYAML built without libyaml has no CSafeLoader; its pure-Python parser would cost more than
# it saves, so then ruamel reads everything.
_LOADER: Any = getattr(yaml, "CSafeLoader", None)

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# A plain word that is a string to YAML 1.1 and 1.2 alike: no number, sign or indicator first
_PLAIN = re.compile(r"[A-Za-z_/$(.][^#:'\"\t]*?(?::[^ #:'\"\t][^#:'\"\t]*?)*")
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_NULL = frozenset({"~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False}
_BOOL["FALSE"] = False
# Plain words some YAML readers take for booleans or numbers: leave them to ruamel.
_AMBIGUOUS = re.compile(r"(?i:y|n|yes|no|on|off|\.inf|\.nan)\Z|\.[0-9]")
# Characters YAML refuses or counts as line breaks (NEL, U+2028/9), a BOM: left to ruamel,
# and so are tabs and CR: ruamel words tab indentation and counts lines at a lone CR.
_ODD = "[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
# Compiling that class takes ~5 ms, a tenth of start-up: an ASCII text (every config seen so
# far) is checked against its ASCII part, and the whole class is compiled only for the rest.
_ODD_ASCII = re.compile("[^\n\x20-\x7e]")
# Real configs nest three or four levels; far deeper is hostile and ruamel's refusal words it.
MAX_DEPTH = 64


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


def parse_block_yaml(text: str) -> Any:
    """The document as ruamel's round-trip loader would build it, or None when the text uses
    anything beyond plain block mappings, lists and simple scalars."""
    if _LOADER is None or (_ODD_ASCII if text.isascii() else re.compile(_ODD)).search(text):
        return None
    try:
        node = _build(text)
    except (_Unsupported, yaml.YAMLError):  # ruamel words the error, or reads what we do not
        return None
    return node if isinstance(node, BlockMap) else None


def _build(text: str) -> Any:
    loader = _LOADER(text)
    try:
        # get_event straight from C: yaml.parse wraps each event in a Python generator step
        return _nodes(text, iter(loader.get_event, None))
    finally:
        loader.dispose()


def _nodes(text: str, events: Iterator[Any]) -> Any:
    """Nodes from libyaml's events; the stack holds (container, pending key, key mark)."""
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    lines: list[str] = []  # split once, on the first quoted scalar
    keys: set[str] = set()  # keys already found plain, unambiguous words: a matrix repeats them
    for event in events:
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Unsupported
            start = event.start_mark
            if start.line != event.end_mark.line:
                raise _Unsupported  # a multi-line scalar: ruamel folds and places it
            if not event.style:  # libyaml gives "" for plain, PyYAML None
                if not stack or isinstance(stack[-1][0], BlockSeq) or stack[-1][1] is not None:
                    value = _plain(event.value)
                else:  # a mapping key
                    key = event.value
                    if key not in keys:
                        if not _KEY.fullmatch(key) or key in _NULL or key in _BOOL:
                            raise _Unsupported
                        if _AMBIGUOUS.match(key):
                            raise _Unsupported
                        keys.add(key)
                    if key in stack[-1][0]:
                        raise _Unsupported  # a duplicate: ruamel words the error
                    stack[-1][1], stack[-1][2] = key, start
                    continue
            elif stack and isinstance(stack[-1][0], BlockMap) and stack[-1][1] is None:
                raise _Unsupported  # a quoted key
            else:
                lines = lines or text.split("\n")
                value = _quoted(lines[event.start_mark.line], event)
            root = _attach(stack, value, start, root)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None or event.flow_style:
                raise _Unsupported
            if len(stack) >= MAX_DEPTH:
                raise _Unsupported
            if stack and isinstance(stack[-1][0], BlockMap) and stack[-1][1] is None:
                raise _Unsupported  # a mapping or list as a key (`? a: 1`)
            start = event.start_mark
            node: Any = BlockMap() if kind is MappingStartEvent else BlockSeq()
            node.lc.line, node.lc.col = start.line, start.column
            root = _attach(stack, node, start, root)
            stack.append([node, None, None])
        elif kind is AliasEvent:
            raise _Unsupported
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
        elif kind is DocumentStartEvent:
            documents += 1
            if event.explicit or event.version or event.tags or documents > 1:
                raise _Unsupported  # `---`, `%YAML`, several documents
        elif kind is DocumentEndEvent and event.explicit:
            raise _Unsupported  # `...`
    return root


def _attach(stack: list[list[Any]], value: Any, start: Any, root: Any) -> Any:
    """Put `value` into the innermost open container at libyaml's mark; the root if none."""
    if not stack:
        return value
    top = stack[-1]
    container = top[0]
    if isinstance(container, BlockSeq):
        container.lc.add_kv_line_col(len(container), [start.line, start.column])
        container.append(value)
    else:
        key, key_mark = top[1], top[2]
        container.lc.add_kv_line_col(
            key, [key_mark.line, key_mark.column, start.line, start.column]
        )
        container[key] = value
        top[1] = None
    return root


def _plain(word: str) -> Any:
    """A plain scalar as ruamel's YAML 1.2 round-trip loader resolves it."""
    if _INT.fullmatch(word):
        return int(word)
    if word in _NULL:
        return None
    if word in _BOOL:
        return _BOOL[word]
    # an empty value (`key:` or `-` alone) is a null ruamel positions oddly
    if not _PLAIN.fullmatch(word) or _AMBIGUOUS.match(word) or word.endswith(":"):
        raise _Unsupported
    return word


def _quoted(line: str, event: Any) -> str:
    """A one-line quoted scalar without escapes (their handling is left to ruamel)."""
    if event.style not in ("'", '"'):
        raise _Unsupported  # a block scalar
    inner = line[event.start_mark.column + 1 : event.end_mark.column - 1]
    if event.style == '"' and "\\" in inner:
        raise _Unsupported
    if (inner.replace("''", "'") if event.style == "'" else inner) != event.value:
        raise _Unsupported
    return event.value
