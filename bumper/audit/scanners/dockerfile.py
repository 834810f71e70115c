"""Dockerfiles: `ARG`/`ENV` defaults, the shell of each `RUN` (here-docs too), URLs in
`ADD`/`COPY`/`FROM`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bumper.audit.scanners.base import Hit, Lines
from bumper.audit.scanners.commands import scan_shell_text, url_hits
from bumper.audit.scanners.facts import Assign, Facts, resolve
from bumper.shell_lexer import DEFAULT, Word

_DOCKER_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)\b")
_DOCKER_FLAG = re.compile(r"[ \t]*--[\w-]+(?:=(?:\"[^\"]*\"|'[^']*'|\S+))?")


def scan(path: str, text: str) -> list[Hit]:
    facts = Facts(path, where="a Dockerfile RUN")
    lines = Lines(text)
    escape = "`" if re.match(r"(?:#[^\n]*\n)*#\s*escape\s*=\s*`", text) else "\\"
    physical = text.split("\n")
    offsets = lines.starts
    i = 0
    while i < len(physical):
        line = physical[i]
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        # Gather the instruction: continuation lines, comment lines inside it blanked.
        first = i
        parts = [line]
        while parts[-1].rstrip("\r").endswith(escape) and i + 1 < len(physical):
            i += 1
            nxt = physical[i]
            parts.append("\\" if nxt.lstrip().startswith("#") or not nxt.strip() else nxt)
        i += 1
        body = "\n".join(parts)
        if escape == "`":
            body = re.sub(r"`(\r?)\n", "\\\\\\1\n", body)
        match = _DOCKER_INSTRUCTION.match(body)
        if not match:
            continue
        instruction = match[1].upper()
        start = offsets[first]
        rest_at = match.end()
        if instruction in ("ARG", "ENV"):
            _docker_assignments(facts, instruction, body, rest_at, start, lines)
        elif instruction == "RUN":
            while flag := _DOCKER_FLAG.match(body, rest_at):
                rest_at = flag.end()
            heredoc = re.search(r"<<-?\s*[\"']?(\w+)[\"']?", body[rest_at:])
            if heredoc and "\n" not in body[rest_at:].strip():
                delimiter = heredoc[1]
                end = i
                while end < len(physical) and physical[end].strip() != delimiter:
                    end += 1
                block = "\n".join(physical[i:end])
                if i < len(physical):
                    scan_shell_text(facts, block, offsets[i], lines)
                scan_shell_text(
                    facts, body[rest_at:].replace(heredoc[0], ""), start + rest_at, lines
                )
                i = end + 1
            else:
                scan_shell_text(facts, body[rest_at:], start + rest_at, lines)
        elif instruction in ("ADD", "COPY", "FROM"):
            for offset, token in _plain_words(body, rest_at):
                url_hits(facts, Word(token, offset), start, lines)
    return resolve(facts, text)


def _plain_words(text: str, pos: int) -> Iterator[tuple[int, str]]:
    for match in re.finditer(r"\S+", text[pos:]):
        yield pos + match.start(), match[0].strip("\"'")


def _docker_assignments(
    facts: Facts, instruction: str, body: str, pos: int, base: int, lines: Lines
) -> None:
    kind = "dockerfile-arg" if instruction == "ARG" else "dockerfile-env"
    rest = body[pos:]
    pairs = list(re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)", rest))
    if not pairs and instruction == "ENV":
        legacy = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+(\S.*?)\s*\Z", rest, re.S)
        if legacy:
            value = legacy[2].strip("\"'")
            facts.assigns.append(
                Assign(legacy[1], value, lines.line(base + pos + legacy.start(2)), kind)
            )
        return
    for pair in pairs:
        value = pair[2].strip("\"'")
        default = DEFAULT.match(value)
        if default:
            value = default[3].strip("\"'")
        facts.assigns.append(Assign(pair[1], value, lines.line(base + pos + pair.start()), kind))
