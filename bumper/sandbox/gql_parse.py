"""A small GraphQL parser: documents in, plain dataclasses out (pure, no I/O).

It reads the executable part of the language: operations with variable definitions,
fields with aliases and arguments, nested selections, fragments (named and inline) and
the @skip/@include directives. That is all GitHub clients send; type-system definitions
are refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple


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

_TOKEN = re.compile(
    r"""
    (?P<ignored>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
  | (?P<string>"(?:\\.|[^"\\\n\r])*")
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<punct>\.\.\.|[!$&()\:=@\[\]{|}])
    """,
    re.VERBOSE,
)

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class Token(NamedTuple):  # a tuple: a 100-alias query is ~20,000 of them
    kind: str  # name, number, string, punct, eof
    value: str
    line: int
    column: int


def _unescape(raw: str, line: int, column: int) -> str:
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


def tokenize(source: str) -> list[Token]:
    tokens, pos, line, line_start = [], 0, 1, 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        column = pos - line_start + 1
        if match is None:
            raise GraphQLSyntaxError(f"Unexpected character {source[pos]!r}", line, column)
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "block":
            tokens.append(Token("string", _block_string(text[3:-3]), line, column))
        elif kind == "string":
            tokens.append(Token("string", _unescape(text[1:-1], line, column), line, column))
        elif kind != "ignored":
            tokens.append(Token(kind, text, line, column))
        # only ignored text and block strings can hold a line break
        newlines = 0
        if kind in ("ignored", "block"):
            newlines = text.count("\n") + (text.count("\r") if "\n" not in text else 0)
        if newlines:
            line += newlines
            line_start = pos + max(text.rfind("\n"), text.rfind("\r")) + 1
        pos = match.end()
    tokens.append(Token("eof", "", line, pos - line_start + 1))
    return tokens


# -- parsing ---------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, what: str | None = None) -> GraphQLSyntaxError:
        tok = self.tok
        shown = "end of file" if tok.kind == "eof" else repr(tok.value)
        message = f"Parse error on {shown} at [{tok.line}, {tok.column}]"
        if what:
            message += f": expected {what}"
        return GraphQLSyntaxError(message, tok.line, tok.column)

    def peek(self, value: str) -> bool:
        return self.tok.kind in ("punct", "name") and self.tok.value == value

    def take(self, value: str) -> Token:
        if not self.peek(value):
            raise self.fail(repr(value))
        tok = self.tok
        self.i += 1
        return tok

    def skip(self, value: str) -> bool:
        if self.peek(value):
            self.i += 1
            return True
        return False

    def name(self) -> str:
        if self.tok.kind != "name":
            raise self.fail("a name")
        value = self.tok.value
        self.i += 1
        return value

    # document := definition+
    def document(self) -> Document:
        doc = Document()
        while self.tok.kind != "eof":
            if self.peek("{"):
                tok = self.tok
                doc.operations.append(
                    Operation("query", None, (), self.selection_set(), tok.line, tok.column)
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
            elif self.tok.kind == "name" and self.tok.value in (
                "query",
                "mutation",
                "subscription",
            ):
                tok = self.tok
                self.i += 1
                op_name = self.name() if self.tok.kind == "name" else None
                variables = self.variable_definitions()
                self.directives()
                doc.operations.append(
                    Operation(
                        tok.value, op_name, variables, self.selection_set(), tok.line, tok.column
                    )
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
        while not self.skip("}"):
            if self.tok.kind == "eof":
                raise self.fail("'}'")
            found.append(self.selection())
        if not found:
            raise self.fail("a field")
        return tuple(found)

    def selection(self) -> Selection:
        tok = self.tok
        if self.skip("..."):
            if self.peek("on"):
                self.i += 1
                on = self.name()
                directives = self.directives()
                return InlineFragment(on, self.selection_set(), directives, tok.line, tok.column)
            if self.peek("{") or self.peek("@"):
                directives = self.directives()
                return InlineFragment(None, self.selection_set(), directives, tok.line, tok.column)
            name = self.name()
            return FragmentSpread(name, self.directives(), tok.line, tok.column)
        first = self.name()
        alias, name = (first, self.name()) if self.skip(":") else (None, first)
        args = self.arguments()
        directives = self.directives()
        selections = self.selection_set() if self.peek("{") else ()
        return Field(name, alias, args, selections, directives, tok.line, tok.column)

    def arguments(self, const: bool = False) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if not self.skip("("):
            return args
        while not self.skip(")"):
            key = self.name()
            self.take(":")
            args[key] = self.value(const)
        return args

    def directives(self) -> tuple[Directive, ...]:
        found = []
        while self.skip("@"):
            found.append(Directive(self.name(), self.arguments()))
        return tuple(found)

    def value(self, const: bool = False) -> Any:
        tok = self.tok
        if tok.kind == "punct" and tok.value == "$" and not const:
            self.i += 1
            return Var(self.name())
        if tok.kind == "string":
            self.i += 1
            return tok.value
        if tok.kind == "number":
            self.i += 1
            is_float = any(c in tok.value for c in ".eE")
            return float(tok.value) if is_float else int(tok.value)
        if tok.kind == "name":
            self.i += 1
            return {"true": True, "false": False, "null": None}.get(tok.value, EnumValue(tok.value))
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
