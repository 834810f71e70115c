"""The shell lexer: shell text split into simple commands of words, comments and here-docs out.

Enough of the POSIX rules to know what is code, which is all a scanner needs; also the shapes
of a word that refers to a variable (`$X`, `${X:-default}`, `$(X)` as make writes it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT = re.compile(r"\A\$\{([A-Za-z_][A-Za-z0-9_]*|\d+)(:?[-=])(.*)\}\Z", re.S)
VAR_REF = re.compile(
    r"\A\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:[:]?[-=+?][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*)|\(([A-Za-z_][A-Za-z0-9_]*)\))\Z"
)


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # with quotes removed, expansions kept as written
    start: int  # offset in the scanned text


@dataclass(frozen=True, slots=True)
class Command:
    words: list[Word]
    heredocs: list[tuple[int, int]] = field(default_factory=list)  # body spans


_SEPARATORS = set(";&|()`")
_PLAIN = re.compile(r"[^ \t\r\n\\'\"$<;&|()`]+")  # characters that are just part of a word


class _Lexer:
    """Split shell text into simple commands of words, skipping comments and here-doc bodies.

    Quotes, `${...}` and `$(...)` nest; a `#` starts a comment only where a word could start.
    Enough of the POSIX rules to know what is code, which is all an extractor needs.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.commands: list[Command] = []
        self.words: list[Word] = []
        self.buf: list[str] = []
        self.word_start = -1
        self.pending: list[tuple[str, bool]] = []  # here-doc delimiters waiting for a newline
        self.heredoc_owner: Command | None = None

    def run(self) -> list[Command]:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in " \t\r":
                self._end_word()
                self.pos += 1
            elif ch == "\n":
                self._end_command()
                self.pos += 1
                if self.pending:
                    self._read_heredocs()
            elif ch == "\\":
                if text.startswith("\n", self.pos + 1):
                    self.pos += 2  # line continuation
                elif text.startswith("\r\n", self.pos + 1):
                    self.pos += 3
                else:
                    self._add(text[self.pos + 1 : self.pos + 2])
                    self.pos += 2
            elif ch == "#" and self.word_start < 0:
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif ch == "'":
                end = text.find("'", self.pos + 1)
                end = n if end < 0 else end
                self._add(text[self.pos + 1 : end])
                self.pos = end + 1
            elif ch == '"':
                self._add(self._double_quoted())
            elif ch == "$" and text.startswith("'", self.pos + 1):
                end = self._ansi_c_end(self.pos + 2)
                self._add(text[self.pos + 2 : end])
                self.pos = end + 1
            elif ch == "$" and text.startswith(("{", "(("), self.pos + 1):
                end = self._balanced(self.pos + 1)
                self._add(text[self.pos : end])
                self.pos = end
            elif (
                ch == "<"
                and text.startswith("<<", self.pos)
                and not text.startswith("<<<", self.pos)
            ):
                self._here_doc_operator()
            elif ch in _SEPARATORS:
                self._end_command()
                self.pos += 1
            else:
                plain = _PLAIN.match(text, self.pos)
                chunk = plain[0] if plain else ch
                self._add(chunk)
                self.pos += len(chunk)
        self._end_command()
        return self.commands

    def _add(self, chunk: str) -> None:
        if self.word_start < 0:
            self.word_start = self.pos
        self.buf.append(chunk)

    def _end_word(self) -> None:
        if self.word_start >= 0:
            self.words.append(Word("".join(self.buf), self.word_start))
        self.buf, self.word_start = [], -1

    def _end_command(self) -> None:
        self._end_word()
        if self.words:
            command = Command(self.words)
            self.commands.append(command)
            if self.pending and self.heredoc_owner is None:
                self.heredoc_owner = command
        self.words = []

    def _double_quoted(self) -> str:
        text, n = self.text, len(self.text)
        i, out = self.pos + 1, []
        while i < n and text[i] != '"':
            if text[i] == "\\" and i + 1 < n:
                if text[i + 1] != "\n":
                    out.append(text[i + 1] if text[i + 1] in '$`"\\' else text[i : i + 2])
                i += 2
            elif text[i] == "$" and i + 1 < n and text[i + 1] in "({":
                end = self._balanced(i + 1)
                out.append(text[i:end])
                i = end
            else:
                out.append(text[i])
                i += 1
        if self.word_start < 0:
            self.word_start = self.pos
        self.pos = i + 1
        return "".join(out)

    def _ansi_c_end(self, i: int) -> int:
        text, n = self.text, len(self.text)
        while i < n and text[i] != "'":
            i += 2 if text[i] == "\\" else 1
        return min(i, n)

    def _balanced(self, i: int) -> int:
        """The offset after the bracket group opening at `i`, quotes inside respected."""
        text, n = self.text, len(self.text)
        pairs = {"(": ")", "{": "}"}
        stack = [pairs[text[i]]]
        i += 1
        while i < n and stack:
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch in "'\"":
                end = text.find(ch, i + 1)
                i = n if end < 0 else end + 1
                continue
            if ch in pairs:
                stack.append(pairs[ch])
            elif ch == stack[-1]:
                stack.pop()
            elif ch == "\n" and len(stack) == 1 and stack[0] == "}":
                break  # an unclosed ${ never spans lines in real scripts
            i += 1
        return min(i, n)

    def _here_doc_operator(self) -> None:
        self._end_word()
        match = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([\w.-]+))").match(
            self.text, self.pos
        )
        if not match:
            self.pos += 2
            return
        delimiter = (
            match[2] if match[2] is not None else match[3] if match[3] is not None else match[4]
        )
        self.pending.append((delimiter, match[1] == "-"))
        self.pos = match.end()

    def _read_heredocs(self) -> None:
        text, n = self.text, len(self.text)
        owner = self.heredoc_owner
        for delimiter, _strip in self.pending:
            body_start = self.pos
            while self.pos < n:
                end = text.find("\n", self.pos)
                end = n if end < 0 else end
                line = text[self.pos : end]
                self.pos = min(end + 1, n)
                if line.strip() == delimiter:
                    if owner is not None:
                        owner.heredocs.append((body_start, end - len(line)))
                    break
            else:
                if owner is not None:
                    owner.heredocs.append((body_start, n))
        self.pending, self.heredoc_owner = [], None


def commands(text: str) -> list[Command]:
    """The simple commands of `text`, in order; here-doc bodies are spans of their command."""
    return _Lexer(text).run()


def var_names(word: str) -> tuple[str, ...]:
    match = VAR_REF.match(word)
    if match:
        return (match[1] or match[2] or match[3],)
    return ()
