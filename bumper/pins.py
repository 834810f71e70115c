"""Find and rewrite commit-sha pins (`VAR ?= <sha>`) in Makefile text. Pure: str in, str out.

The scan follows GNU make's reading closely enough to be safe: backslash-newline joins lines
(comments included), a TAB-led line after a rule is shell, and `define ... endef` bodies are
opaque. A rewrite touches only the bytes of the value, then proves it did so; anything it cannot
read with certainty is refused with a PinError that says why, never guessed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from bumper.errors import PinError
from bumper.files import BadByte, decode_utf8
from bumper.model import is_pin_value, is_sha

_OPERATOR = r":::=|::=|:=|\?=|\+=|!=|="
_KEYWORDS = r"(?:(?:export|override|private)[ \t]+)*"
# A name is anything make accepts up to the operator; `?`, `+`, `!` only when not starting one.
_NAME = r"(?:[^\s:#=?+!$(){}]|[?+!](?!=))+"
_ASSIGNMENT = re.compile(
    rf"[ \t]*(?P<prefix>{_KEYWORDS})(?P<name>{_NAME})[ \t]*(?P<op>{_OPERATOR})[ \t]*"
)
_DEFINE = re.compile(
    rf"[ \t]*(?P<prefix>{_KEYWORDS})define[ \t]+(?P<name>{_NAME})[ \t]*(?:{_OPERATOR})?\s*\Z"
)
_ENDEF = re.compile(r"[ \t]*endef\b")
_CONDITIONAL = re.compile(r"[ \t]*(?:ifeq|ifneq|ifdef|ifndef|else|endif)\b")
_DIRECTIVE = re.compile(r"[ \t]*(?:-?include|sinclude|vpath|export|unexport|undefine)\b")
_COMMENT = re.compile(r"(?<!\\)(?:\\\\)*#")  # a '#' not escaped by a backslash
_HEX = re.compile(r"[0-9a-fA-F]+")

# Real Makefiles are a few KiB; a file this large is not one bumper should edit (and would
# take seconds to scan twice).
MAX_MAKEFILE_BYTES = 1 << 20


def size_problem(filename: str, size: int) -> str | None:
    """Why a file of ``size`` bytes is too large to edit, or None."""
    if size <= MAX_MAKEFILE_BYTES:
        return None
    return (
        f"{filename}: {size:,} bytes is larger than the {MAX_MAKEFILE_BYTES:,} bytes bumper"
        " edits; refusing"
    )


def decode_makefile(data: bytes, filename: str, size: int | None = None) -> str:
    """The text of a Makefile's bytes, or PinError saying plainly why it cannot be edited.

    ``size`` is the file's real size when only its first bytes were read.
    """
    problem = size_problem(filename, len(data) if size is None else size)
    if problem is not None:
        raise PinError(problem)
    if b"\0" in data[:8192]:  # git's own test for a binary file
        raise PinError(f"{filename}: is a binary file, not a Makefile")
    text = decode_utf8(data)
    if isinstance(text, BadByte):
        raise PinError(f"{filename}:{text.line}: not UTF-8 text ({text}); refusing to rewrite")
    return text


@dataclass(frozen=True, slots=True)
class Pin:
    """One make variable assignment, as written. `value` is without quotes; `line` is 1-based."""

    variable: str
    value: str
    line: int
    operator: str  # "?=", ":=", "::=", ":::=", "=", "+=", "!=", or "define"
    prefix: str  # "export", "override", "override export", ... or ""
    comment: str | None  # the text after '#' on the same line
    quote: str = ""  # '"' or "'" when the value is quoted
    continued: bool = False  # the value runs onto the next line with a backslash

    @property
    def problem(self) -> str | None:
        """Why this assignment is not a pin bumper can rewrite, or None when it is one."""
        return self.problem_for(tags=False)

    def problem_for(self, tags: bool) -> str | None:
        """``problem``, where with ``tags`` (a row following releases) a release tag is a
        pin too."""
        value = self.value
        if self.operator == "define":
            return "is a multi-line define ... endef, not a one-line sha"
        if self.continued:
            return "value continues on the next line (ends with a backslash); refusing to guess"
        if self.operator == "+=":
            return "is appended to (+=), not assigned"
        if self.operator == "!=":
            return "is the output of a shell command (!=), not a sha"
        if "$" in value:
            return f"value {_show(value)} refers to other variables, not a sha"
        if not value:
            return "value is empty, not a sha"
        if is_pin_value(value, tags=tags):
            return None
        if tags:
            return f"value {_show(value)} is neither a sha nor a release tag"
        if _HEX.fullmatch(value):
            return f"value {_show(value)} is not a full lowercase sha (40 or 64 hex digits)"
        return f"value {_show(value)} is not a sha (a tag or branch name?)"


@dataclass(frozen=True, slots=True)
class _Found:
    pin: Pin
    start: int  # offsets of the value's bytes in the text, inside any quotes
    end: int


@dataclass(frozen=True, slots=True)
class _Scan:
    assignments: tuple[_Found, ...]
    comments: tuple[tuple[int, int], ...]  # offsets of make comments (not shell, not define)


def find_assignments(text: str) -> list[Pin]:
    """Every make variable assignment, sha or not, in file order (for audit's reasons)."""
    return [found.pin for found in _scan(text).assignments]


def find_pins(text: str) -> list[Pin]:
    """Every assignment whose value is exactly a full sha: the pins bumper could rewrite."""
    return [pin for pin in find_assignments(text) if pin.problem is None]


def read_pin(text: str, variable: str, filename: str | None = None, *, tags: bool = False) -> Pin:
    """The single current pin of `variable`; PinError says why when there is not exactly one.
    With ``tags`` (a row following releases) its value may be a release tag."""
    pin, _ = _resolve(_scan(text), variable, filename or "the Makefile", tags)
    return pin


def rewrite_pin(
    text: str,
    variable: str,
    old: str | None,
    new: str,
    filename: str | None = None,
    *,
    tags: bool = False,
) -> str:
    """Set every assignment of `variable` (and comments spelling `VAR?=<old>`) to `new`.

    `old`, when given, must be the current value, so a pin a person changed meanwhile is not
    overwritten. Only value bytes change; every other byte stays as it was. With ``tags`` the
    values may be release tags.
    """
    where = filename or "the Makefile"
    if not is_pin_value(new, tags=tags):
        raise PinError(
            f"{where}: refusing to write {variable}: new value {_show(new)} is not a sha"
        )
    scan = _scan(text)
    pin, founds = _resolve(scan, variable, where, tags)
    if pin.value == new:  # already bumped, perhaps by an earlier pass that crashed after
        return text
    if old is not None and pin.value != old:
        raise PinError(
            f"{where}:{pin.line}: {variable} is {pin.value}, not {_show(old)} as expected;"
            " changed by someone else?"
        )
    spans = [(found.start, found.end) for found in founds]
    spans += _mentions(text, scan.comments, variable, pin.value)
    spans.sort()
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], new]
        last = end
    result = "".join([*pieces, text[last:]])
    lines = {text.count("\n", 0, start) + 1 for start, _ in spans}
    _check(text, scan, result, variable, (pin.value, new), lines, tags)
    return result


def unified_diff(path: str, before: str, after: str) -> str:
    """A `git apply`-able diff of one file, marking a missing final newline as git does."""
    lines = difflib.unified_diff(
        _split_keepends(before), _split_keepends(after), f"a/{path}", f"b/{path}"
    )
    return "".join(
        line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines
    )


def _resolve(
    scan: _Scan, variable: str, where: str, tags: bool = False
) -> tuple[Pin, list[_Found]]:
    founds = [found for found in scan.assignments if found.pin.variable == variable]
    if not founds:
        names = {found.pin.variable for found in scan.assignments}
        close = difflib.get_close_matches(variable, names, n=3)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise PinError(f"{variable} is not assigned in {where}{hint}")
    sets = [found for found in founds if found.pin.operator != "+="]
    appends = [found.pin.line for found in founds if found.pin.operator == "+="]
    if not sets:
        raise PinError(f"{where}:{appends[0]}: {variable} is only appended to (+=), never set")
    if appends:
        raise PinError(
            f"{where}:{appends[0]}: {variable} is also appended to (+=), so it is more than a sha"
        )
    if len({found.pin.value for found in sets}) > 1:
        places = ", ".join(f"line {found.pin.line}: {_show(found.pin.value)}" for found in sets)
        raise PinError(f"{where}: {variable} is assigned different values ({places})")
    for found in sets:
        if problem := found.pin.problem_for(tags):
            raise PinError(f"{where}:{found.pin.line}: {variable} {problem}")
    return sets[0].pin, sets


def _mentions(
    text: str, comments: tuple[tuple[int, int], ...], variable: str, old: str
) -> list[tuple[int, int]]:
    """Spans of `old` where a comment spells the pin, e.g. `# lives below as VAR?=<old>`."""
    # a sha ends at a non-hex character; a release tag where no version character follows
    end = r"(?![0-9a-fA-F])" if is_sha(old) else r"(?![0-9A-Za-z+\-]|\.[0-9A-Za-z])"
    spelled = re.compile(
        rf"(?<![\w.\-]){re.escape(variable)}[ \t]*(?:{_OPERATOR})[ \t]*[\"']?({re.escape(old)})"
        + end
    )
    return [
        match.span(1)
        for start, end in comments
        if variable in text[start:end]
        for match in spelled.finditer(text, start, end)
    ]


def _check(
    before: str,
    scan: _Scan,
    after: str,
    variable: str,
    change: tuple[str, str],
    lines: set[int],
    tags: bool = False,
) -> None:
    """Prove the rewrite: the pin reads `new`, and only the lines holding `old` changed."""
    was, now = before.split("\n"), after.split("\n")
    longer, shorter = sorted(change, key=len, reverse=True)

    def masked(line: str) -> str:  # the line with both shas blanked: what must not change
        return line.replace(longer, "\0").replace(shorter, "\0")

    if len(was) == len(now):
        new = change[1]
        changed = {n for n, (b, a) in enumerate(zip(was, now, strict=True), 1) if b != a}
        rescan = _scan(after)
        pins = [found.pin for found in rescan.assignments if found.pin.variable == variable]
        if (
            changed == lines
            and all(masked(was[n - 1]) == masked(now[n - 1]) for n in changed)
            and pins
            and all(pin.value == new and pin.problem_for(tags) is None for pin in pins)
            and _others(rescan, variable) == _others(scan, variable)
        ):
            return
    raise PinError(f"rewriting {variable} would change more than its value; nothing written")


def _others(scan: _Scan, variable: str) -> list[Pin]:
    # Comments may rightly change: they can spell the pin. The line check covers their other bytes.
    pins = [found.pin for found in scan.assignments if found.pin.variable != variable]
    return [replace(pin, comment=None) for pin in pins]


def _scan(text: str) -> _Scan:
    assignments: list[_Found] = []
    comments: list[tuple[int, int]] = []
    in_rule = False  # after a rule line, TAB-led lines are its recipe (shell, not make)
    define_depth = 0
    for start, first_end, end, line in _logical_lines(text):
        if define_depth:
            if _ENDEF.match(text, start, first_end):
                define_depth -= 1
            elif _DEFINE.match(text, start, first_end):
                define_depth += 1
            continue
        if in_rule and text.startswith("\t", start):
            continue
        hash_ = _COMMENT.search(text, start, end) if text.find("#", start, end) >= 0 else None
        code_end = hash_.end() - 1 if hash_ else end
        if hash_:
            comments.append((code_end + 1, end))
        own_end = min(code_end, first_end)  # the code on the first physical line
        if match := _ASSIGNMENT.match(text, start, own_end):
            comment = text[code_end + 1 : first_end].strip() if code_end < first_end else None
            continued = code_end > first_end  # the joining backslash is code, not comment
            assignments.append(_assignment(text, match, own_end, line, continued, comment))
            in_rule = False
        elif match := _DEFINE.match(text, start, own_end):
            prefix = " ".join(match["prefix"].split())
            pin = Pin(match["name"], "", line, "define", prefix, None, continued=True)
            assignments.append(_Found(pin, own_end, own_end))
            define_depth = 1
        elif not text[start:code_end].strip() or _CONDITIONAL.match(text, start, code_end):
            pass  # blank lines, comments and conditionals leave a rule's recipe open
        else:
            in_rule = ":" in text[start:code_end] and not _DIRECTIVE.match(text, start, code_end)
    return _Scan(tuple(assignments), tuple(comments))


def _assignment(
    text: str, match: re.Match[str], end: int, line: int, continued: bool, comment: str | None
) -> _Found:
    start = match.end()
    while end > start and text[end - 1] in " \t":
        end -= 1
    value = text[start:end]
    quote = value[0] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else ""
    if quote:
        start, end, value = start + 1, end - 1, value[1:-1]
    if continued:
        value = value.rstrip("\\").strip()
    pin = Pin(
        variable=match["name"],
        value=value,
        line=line,
        operator=match["op"],
        prefix=" ".join(match["prefix"].split()),
        comment=comment,
        quote=quote,
        continued=continued,
    )
    return _Found(pin, start, end)


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    return end - 1 if end > pos and text[end - 1] == "\r" else end


def _logical_lines(text: str) -> Iterator[tuple[int, int, int, int]]:
    """(start, end of first physical line, end, 1-based line) for each backslash-joined line.

    Ends exclude the line ending; a CR before LF counts as part of the ending.
    """
    pos, line, size = 0, 1, len(text)
    if "\\" not in text:  # no line can be continued: one physical line each
        while pos < size:
            newline = text.find("\n", pos)
            end = size if newline < 0 else newline
            own = end - 1 if end > pos and text[end - 1] == "\r" else end
            yield pos, own, own, line
            pos, line = end + 1, line + 1
        return
    while pos < size:
        start, first_end, count = pos, -1, 0
        while True:
            end = _line_end(text, pos)
            first_end = end if first_end < 0 else first_end
            count += 1
            newline = text.find("\n", end)
            pos = size if newline < 0 else newline + 1
            if pos >= size or not _continues(text, end):
                break
        yield start, first_end, end, line
        line += count


def _continues(text: str, end: int) -> bool:
    """Does the physical line ending at `end` end with an odd number of backslashes?"""
    count = 0
    while end - count > 0 and text[end - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _split_keepends(text: str) -> list[str]:
    lines = text.split("\n")
    return [f"{line}\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _show(value: str) -> str:
    """A value quoted for a message, cut short: an HTML error page must not flood a log."""
    return repr(value if len(value) <= 72 else f"{value[:64]}...")
