"""A small GraphQL parser: documents in, plain dataclasses out (pure, no I/O).

It reads the executable part of the language: operations with variable definitions,
fields with aliases and arguments, nested selections, fragments (named and inline) and
the @skip/@include directives. That is all GitHub clients send; type-system definitions
are refused.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import Any


class GraphQLSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class EnumValue:
    name: str


@dataclass(frozen=True, slots=True)
class Directive:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    alias: str | None
    args: dict[str, Any]
    selections: tuple[Selection, ...]
    directives: tuple[Directive, ...]
    line: int
    column: int

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True, slots=True)
class InlineFragment:
    on: str | None
    selections: tuple[Selection, ...]
    directives: tuple[Directive, ...]
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class FragmentSpread:
    name: str
    directives: tuple[Directive, ...]
    line: int
    column: int


Selection = Field | InlineFragment | FragmentSpread


@dataclass(frozen=True, slots=True)
class VariableDefinition:
    name: str
    type: str  # as written, e.g. "String!" or "[ID!]"
    default: Any
    has_default: bool


@dataclass(frozen=True, slots=True)
class Operation:
    kind: str  # query, mutation or subscription
    name: str | None
    variables: tuple[VariableDefinition, ...]
    selections: tuple[Selection, ...]
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Fragment:
    name: str
    on: str
    selections: tuple[Selection, ...]


@dataclass(slots=True)
class Document:
    operations: list[Operation] = field(default_factory=list)
    fragments: dict[str, Fragment] = field(default_factory=dict)


# -- lexing ----------------------------------------------------------------------------

# Each token is the text one alternative matches; what lies between two tokens is ignored
# text (white space, commas), so ``re.split`` lexes a document in one C-level pass: a
# 100-alias query is ~17,000 tokens, and a Python step per token was most of the cost of
# reading it. A token's kind is its first character, and the parser compares a token's text
# with the punctuator or keyword it expects (a string keeps its quotes, so it never equals
# one). The last alternative takes any other single character, so nothing is skipped.
_TOKEN = re.compile(
    r"""
    ( (?>[_A-Za-z][_0-9A-Za-z]*)
    | [!$&()\:=@\[\]{|}] | \.\.\.
    | \"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\"
    | "(?:[^"\\\n\r]|\\.)*"
    | -?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?
    | \#[^\n\r]*
    | [^\s,\ufeff]
    )
    """,
    re.VERBOSE,
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
EOF = ""  # the token after the last one
_NAME_START = frozenset("_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ONE_CHARACTER = frozenset("!$&():=@[]{|}#0123456789") | _NAME_START  # tokens of length 1

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(raw: str, line: int, column: int) -> str:
    if "\\" not in raw:
        return raw
    out, i = [], 0
    while i < len(raw):
        ch = raw[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = raw[i + 1]
        if nxt == "u":
            digits = raw[i + 2 : i + 6]
            if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
                raise GraphQLSyntaxError("Bad unicode escape in string", line, column)
            out.append(chr(int(digits, 16)))
            i += 6
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            raise GraphQLSyntaxError(f"Bad escape \\{nxt} in string", line, column)
    return "".join(out)


def _block_string(raw: str) -> str:
    lines = raw.replace('\\"""', '"""').splitlines()
    indents = [len(s) - len(s.lstrip(" \t")) for s in lines[1:] if s.strip()]
    common = min(indents) if indents else 0
    lines = lines[:1] + [s[common:] for s in lines[1:]]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Tokens:
    """A document's tokens as written (``texts``, EOF last), each one's offset in the source
    (``starts``) and the offset of each line's first character (``line_starts``)."""

    texts: list[str]
    starts: list[int]
    line_starts: list[int]

    def where(self, i: int) -> tuple[int, int]:
        """(line, column) of token ``i``, both counted from 1."""
        pos = self.starts[i]
        line = bisect_right(self.line_starts, pos)
        return line, pos - self.line_starts[line - 1] + 1

    def value(self, i: int) -> str:
        """Token ``i``'s value: a string's unescaped content, else the text itself."""
        text = self.texts[i]
        if text.startswith('"""'):
            return _block_string(text[3:-3])
        if text.startswith('"'):
            return _unescape(text[1:-1], *self.where(i))
        return text


def _escaped(text: str) -> bool:
    """A string (not a block string) with an escape in it, which can be a bad one."""
    return text[0] == '"' and "\\" in text and not text.startswith('"""')


def tokenize(source: str) -> Tokens:
    """The tokens of ``source``; GraphQLSyntaxError for a character no token starts with
    and for a bad escape in a string."""
    parts = _TOKEN.split(source)  # ignored, token, ignored, ..., token, ignored
    ends = list(accumulate(map(len, parts)))
    texts, starts = parts[1::2], ends[::2]
    if "#" in source:  # comments are ignored text too
        kept = [(t, s) for t, s in zip(texts, starts, strict=False) if t[0] != "#"]
        texts, starts = [t for t, _ in kept], [s for _, s in kept]
    # Line breaks can only be in ignored text and block strings: strings refuse them.
    line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(source))]
    tokens = Tokens([*texts, EOF], [*starts, len(source)], line_starts)
    # Checked once per distinct token, in the order they first appear.
    seen = dict.fromkeys(texts)
    odd = [t for t in seen if (len(t) == 1 and t not in _ONE_CHARACTER) or _escaped(t)]
    for text in sorted(odd, key=texts.index):
        i = texts.index(text)
        if len(text) == 1 and text not in _ONE_CHARACTER:
            line, column = tokens.where(i)
            raise GraphQLSyntaxError(f"Unexpected character {text!r}", line, column)
        tokens.value(i)  # a bad escape raises
    return tokens


# -- parsing ---------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.texts = self.tokens.texts
        self.i = 0

    def fail(self, what: str | None = None) -> GraphQLSyntaxError:
        text = self.texts[self.i]
        shown = "end of file" if text == EOF else repr(self.tokens.value(self.i))
        line, column = self.tokens.where(self.i)
        message = f"Parse error on {shown} at [{line}, {column}]"
        if what:
            message += f": expected {what}"
        return GraphQLSyntaxError(message, line, column)

    def peek(self, value: str) -> bool:
        return self.texts[self.i] == value

    def take(self, value: str) -> None:
        if self.texts[self.i] != value:
            raise self.fail(repr(value))
        self.i += 1

    def skip(self, value: str) -> bool:
        if self.texts[self.i] == value:
            self.i += 1
            return True
        return False

    def is_name(self) -> bool:
        return self.texts[self.i][:1] in _NAME_START

    def name(self) -> str:
        text = self.texts[self.i]
        if text[:1] not in _NAME_START:
            raise self.fail("a name")
        self.i += 1
        return text

    # document := definition+
    def document(self) -> Document:
        doc = Document()
        while self.texts[self.i] != EOF:
            if self.peek("{"):
                line, column = self.tokens.where(self.i)
                doc.operations.append(
                    Operation("query", None, (), self.selection_set(), line, column)
                )
            elif self.peek("fragment"):
                self.i += 1
                name = self.name()
                if name == "on":
                    raise self.fail("a fragment name")
                self.take("on")
                on = self.name()
                self.directives()
                doc.fragments[name] = Fragment(name, on, self.selection_set())
            elif self.texts[self.i] in ("query", "mutation", "subscription"):
                kind = self.texts[self.i]
                line, column = self.tokens.where(self.i)
                self.i += 1
                op_name = self.name() if self.is_name() else None
                variables = self.variable_definitions()
                self.directives()
                doc.operations.append(
                    Operation(kind, op_name, variables, self.selection_set(), line, column)
                )
            else:
                raise self.fail("a query, mutation or fragment")
        if not doc.operations:
            raise GraphQLSyntaxError("The document has no operation", 1, 1)
        return doc

    def variable_definitions(self) -> tuple[VariableDefinition, ...]:
        found: list[VariableDefinition] = []
        if not self.skip("("):
            return ()
        while not self.skip(")"):
            self.take("$")
            name = self.name()
            self.take(":")
            kind = self.type_ref()
            has_default = self.skip("=")
            default = self.value(const=True) if has_default else None
            self.directives()
            found.append(VariableDefinition(name, kind, default, has_default))
        return tuple(found)

    def type_ref(self) -> str:
        if self.skip("["):
            inner = self.type_ref()
            self.take("]")
            text = f"[{inner}]"
        else:
            text = self.name()
        if self.skip("!"):
            text += "!"
        return text

    def selection_set(self) -> tuple[Selection, ...]:
        self.take("{")
        found: list[Selection] = []
        texts = self.texts
        while texts[self.i] != "}":
            if texts[self.i] == EOF:
                raise self.fail("'}'")
            found.append(self.selection())
        self.i += 1
        if not found:
            raise self.fail("a field")
        return tuple(found)

    def selection(self) -> Selection:
        texts, start = self.texts, self.i
        if texts[start] == "...":
            self.i += 1
            line, column = self.tokens.where(start)
            if self.peek("on"):
                self.i += 1
                on = self.name()
                directives = self.directives()
                return InlineFragment(on, self.selection_set(), directives, line, column)
            if self.peek("{") or self.peek("@"):
                directives = self.directives()
                return InlineFragment(None, self.selection_set(), directives, line, column)
            name = self.name()
            return FragmentSpread(name, self.directives(), line, column)
        # A field: a query is mostly these, so this path calls no helper it can do without.
        first = texts[start]
        if first[:1] not in _NAME_START:
            raise self.fail("a name")
        if texts[start + 1] == ":":
            self.i = start + 2
            alias, name = first, self.name()
        else:
            alias, name = None, first
            self.i = start + 1
        args = self.arguments() if texts[self.i] == "(" else {}
        directives = self.directives() if texts[self.i] == "@" else ()
        selections = self.selection_set() if texts[self.i] == "{" else ()
        line_starts = self.tokens.line_starts
        pos = self.tokens.starts[start]
        line = bisect_right(line_starts, pos)
        return Field(
            name, alias, args, selections, directives, line, pos - line_starts[line - 1] + 1
        )

    def arguments(self, const: bool = False) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if not self.skip("("):
            return args
        texts = self.texts
        while texts[self.i] != ")":
            key = self.name()
            self.take(":")
            args[key] = self.value(const)
        self.i += 1
        return args

    def directives(self) -> tuple[Directive, ...]:
        found = []
        while self.skip("@"):
            found.append(Directive(self.name(), self.arguments()))
        return tuple(found)

    def value(self, const: bool = False) -> Any:
        i = self.i
        text = self.texts[i]
        first = text[:1]
        if first == '"':
            self.i += 1
            return self.tokens.value(i)
        if text == "$" and not const:
            self.i += 1
            return Var(self.name())
        if first == "-" or first.isdigit():
            self.i += 1
            is_float = any(c in text for c in ".eE")
            return float(text) if is_float else int(text)
        if first in _NAME_START:
            self.i += 1
            return {"true": True, "false": False, "null": None}.get(text, EnumValue(text))
        if self.skip("["):
            items = []
            while not self.skip("]"):
                items.append(self.value(const))
            return items
        if self.skip("{"):
            obj = {}
            while not self.skip("}"):
                key = self.name()
                self.take(":")
                obj[key] = self.value(const)
            return obj
        raise self.fail("a value")


def parse(source: str) -> Document:
    """The document ``source`` holds; GraphQLSyntaxError names the line and column."""
    return _parse(source)


# The request log reads a query's kind before the handler executes it: one parse for both.
# Documents are never changed once parsed, so handing the same one out twice is safe.
@lru_cache(maxsize=4)
def _parse(source: str) -> Document:
    return _Parser(source).document()


def operation_kind(body: bytes) -> str | None:
    """ "query" or "mutation": what a GraphQL request body asks for (the request log and
    faults tell them apart); None when it is not a GraphQL document."""
    try:
        data = json.loads(body)
        document = parse(data["query"]) if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError, GraphQLSyntaxError):
        return None
    if document is None or not document.operations:
        return None
    name = data.get("operationName")
    for operation in document.operations:
        if not isinstance(name, str) or operation.name == name:
            return operation.kind
    return None
