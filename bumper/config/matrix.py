"""Matrix entries: check a YAML mapping into an Entry, and import a workflow's matrix.

The config's `matrix:` list and a GitHub Actions workflow's `strategy.matrix.include`
describe the same rows, so one checker serves both and the rules cannot drift apart.
Every problem is collected as `FILE:LINE: key.path: message`; nothing stops at the first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import SplitResult, urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from bumper.errors import ConfigError
from bumper.model import Entry, Location

REQUIRED_KEYS = ("repository", "variable", "branch", "file")
ENTRY_KEYS = (*REQUIRED_KEYS, "hold")
NO_REASON = "commented out in the workflow (no reason given)"

_VARIABLE_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")
# GitHub logins: letters, digits and hyphens, at most 39, not starting with a hyphen.
_OWNER_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9-]{0,38}\Z")
_REPO_NAME_RE = re.compile(r"\A[A-Za-z0-9._-]{1,100}\Z")
_BAD_REF_CHARS = set("~^:?*[\\")
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
MAX_FLOW_DEPTH = 100
_BRACKET_RE = re.compile(r"[\[\]{}]")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")  # YAML 1.2 line breaks, as ruamel counts them


# --- collecting problems -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    file_order: int
    line: int
    text: str = field(compare=False)


class Problems:
    """Every problem found, kept in file order then line order, as one-line messages."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._files: dict[str, int] = {}

    def add(self, filename: str, line: int, path: str, message: str) -> None:
        order = self._files.setdefault(filename, len(self._files))
        where = f"{filename}:{line}" if line > 0 else filename
        text = f"{where}: {path}: {message}" if path else f"{where}: {message}"
        self._items.append(Problem(order, line, printable(text)))

    def __bool__(self) -> bool:
        return bool(self._items)

    def messages(self) -> list[str]:
        return [p.text for p in sorted(self._items)]

    def raise_if_any(self) -> None:
        if self._items:
            raise ConfigError(self.messages())


def printable(text: str) -> str:
    """One line whatever a value held: control characters and line breaks escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True, slots=True)
class Report:
    """Problems about one file."""

    filename: str
    problems: Problems

    def add(self, line: int, path: str, message: str) -> None:
        self.problems.add(self.filename, line, path, message)


# --- YAML and positions --------------------------------------------------------------------


def parse_yaml(text: str, report: Report) -> tuple[bool, Any]:
    """Round-trip load; on failure report ruamel's problem at its line and return (False, None)."""
    deep = _too_deep_at(text)
    if deep:
        report.add(deep, "", "invalid YAML: nested too deeply")
        return False, None
    yaml = YAML(typ="rt")
    try:
        return True, yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        report.add(line, "", f"invalid YAML: {_describe_yaml_error(exc)}")
    except ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        )
        report.add(line, "", f"invalid YAML: control character U+{code:04X} is not allowed")
    except YAMLError as exc:
        report.add(1, "", f"invalid YAML: {str(exc).splitlines()[0]}")
    except RecursionError:
        report.add(1, "", "invalid YAML: nested too deeply")
    except TypeError:  # ruamel fails this way on a mapping used as a key (`? {a: 1}`)
        report.add(1, "", "invalid YAML: a key is itself a mapping or list; look for a stray `?`")
    except (AssertionError, AttributeError, IndexError, KeyError, ValueError) as exc:
        # ruamel trips on some malformed input with internal errors (seen: AssertionError in
        # its token classes); the input is still the user's to fix, not our bug.
        report.add(
            1,
            "",
            f"invalid YAML: the parser gave up ({type(exc).__name__}); "
            "look for a stray `?`, `>`, `:` or `-`",
        )
    return False, None


def _too_deep_at(text: str, limit: int = MAX_FLOW_DEPTH) -> int:
    """The line where `[`/`{` nesting passes `limit`, else 0.

    ruamel's scanner slows down quadratically with flow depth before it hits the recursion
    limit: a tiny hostile file would cost seconds. Counting brackets is rough (it also counts
    ones in strings) but real configs nest two or three levels, far below the limit.
    """
    depth = 0
    for match in _BRACKET_RE.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, match.start()) + 1
        elif depth:
            depth -= 1
    return 0


def _describe_yaml_error(exc: MarkedYAMLError) -> str:
    problem = exc.problem or "cannot parse"
    # ruamel's duplicate-key text quotes both values; a value may be a secret, so keep the key only.
    duplicate = re.match(r'found duplicate key "(.*?)" with value', problem)
    if duplicate:
        return f"duplicate key `{duplicate.group(1)}`; each key may appear once per mapping"
    text = problem
    if exc.context:
        opened = exc.context_mark
        same_line = opened is None or exc.problem_mark is None
        same_line = same_line or opened.line == exc.problem_mark.line
        text += f" ({exc.context})" if same_line else f" ({exc.context} on line {opened.line + 1})"
    if "'\\t'" in problem:
        text += "; YAML indents with spaces, not tabs"
    return text


def line_of(node: Any) -> int:
    """The 1-based line where a mapping or list starts (1 when unknown)."""
    try:
        return int(node.lc.line) + 1
    except AttributeError:
        return 1


def line_of_key(node: Any, key: Any) -> int:
    """The 1-based line of `key` in a mapping; the mapping's own line for merged (`<<`) keys."""
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return line_of(node)


def line_of_item(node: Any, index: int) -> int:
    try:
        return int(node.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return line_of(node)


def kind(value: Any) -> str:
    """How a YAML value reads to a user: 'a string', 'a list', ..."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    if isinstance(value, date):
        return "a date"
    return type(value).__name__


def expected(what: str, value: Any) -> str:
    message = f"expected {what}, got {kind(value)}"
    if what == "a string" and isinstance(value, bool | int | float | date):
        message += "; put the value in quotes"
    return message


def unknown_key(key: Any, known: Sequence[str]) -> str:
    match = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if match:
        return f"unknown key; did you mean `{match[0]}`?"
    return "unknown key; expected one of " + ", ".join(f"`{k}`" for k in known)


def close_match(key: Any, known: Sequence[str]) -> str | None:
    match = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    return match[0] if match else None


def split_lines(text: str) -> list[str]:
    return _LINE_BREAK_RE.split(text)


# --- checks on single values: each returns a message, or None when the value is fine ---------


_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]*@")


def shown(value: str) -> str:
    """A value quoted for a message, cut short, with any `user:password@` in it hidden."""
    value = _USERINFO_RE.sub("***@", value)
    return f"`{value}`" if len(value) <= 80 else f"`{value[:77]}...`"


def is_loopback_host(host: str | None) -> bool:
    return host is not None and (host.lower() in _LOOPBACK_HOSTS or host.startswith("127."))


def check_variable(value: str) -> str | None:
    if not value:
        return "is empty"
    if _VARIABLE_RE.match(value):
        return None
    if value[0].isdigit():
        return f"{shown(value)} starts with a digit; a make variable cannot"
    return f"{shown(value)} is not a make variable name (letters, digits and underscores only)"


def check_owner(value: str) -> str | None:
    if _OWNER_RE.match(value):
        return None
    return (
        f"{shown(value)} is not a GitHub owner "
        "(letters, digits and hyphens, at most 39, not starting with a hyphen)"
    )


def check_owner_name(value: str) -> str | None:
    """`owner/name` as GitHub allows it."""
    parts = value.split("/")
    if len(parts) != 2 or not all(parts):
        return f"{shown(value)} is not `owner/name`"
    owner, name = parts
    if check_owner(owner) is not None:
        return check_owner(owner)
    if name.endswith(".git"):
        return f"{shown(value)}: write the name without `.git`"
    if name in (".", "..") or not _REPO_NAME_RE.match(name):
        return (
            f"{shown(name)} is not a repository name "
            "(letters, digits, `.`, `-` and `_`, at most 100)"
        )
    return None


def check_url(value: str, *, allow_http: bool, what: str = "URL") -> str | None:
    """An http(s) URL with a host, no credentials, query or fragment."""
    try:
        parts: SplitResult = urlsplit(value)
        port = parts.port
    except ValueError:
        return f"is not a valid {what}"
    del port
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        # Never echo the value: it carries a credential.
        return "credentials do not belong in a URL here; the token comes from `github.token_env`"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return f"{shown(value)} must start with https://"
    if not parts.hostname:
        return f"{shown(value)} has no host"
    if scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        return (
            f"{shown(value)} is plain http, which anyone on the path can read or change; "
            "use https, or set `lookup.allow_http: true`"
        )
    if parts.query or parts.fragment:
        return f"{shown(value)} must not have a query or fragment"
    if any(c.isspace() for c in value):
        return f"{shown(value)} contains whitespace"
    return None


def check_repository(value: str, *, allow_http: bool) -> str | None:
    """`owner/name` on the configured GitHub host, or an https URL of any git server."""
    if not value.strip():
        return "is empty"
    if "${{" in value:
        return "a GitHub Actions expression cannot be resolved here; write the repository"
    if any(c.isspace() for c in value):
        return f"{shown(value)} contains whitespace"
    if "://" in value:
        scheme, rest = value.split("://", 1)
        if "@" in rest.split("/", 1)[0]:
            # Checked first and never echoed: the part before `@` is a credential.
            return (
                "credentials do not belong in a URL here; the token comes from `github.token_env`"
            )
        scheme = scheme.lower()
        if scheme == "http" and not allow_http:
            return (
                f"{shown(value)} is plain http, which anyone on the path can change; "
                "use https, or set `lookup.allow_http: true`"
            )
        if scheme not in ("https", "http"):
            return f"{shown(value)}: only https:// git URLs are supported (or `owner/name`)"
        problem = check_url(value, allow_http=True, what="repository URL")
        if problem:
            return problem
        if not urlsplit(value).path.strip("/"):
            return f"{shown(value)} names a host but no repository"
        return None
    if value.startswith("git@") or re.match(r"\A[\w.-]+@?[\w.-]+:", value):
        return "ssh addresses are not supported; write `owner/name` or an https:// URL"
    parts = value.split("/")
    if len(parts) >= 3 and "." in parts[0]:
        return f"{shown(value)} looks like a URL without its scheme; write https://{value}"
    return check_owner_name(value)


def check_branch(value: str) -> str | None:
    """A branch name git accepts (the rules of `git check-ref-format --branch`)."""
    if not value:
        return "is empty"
    if "${{" in value:
        return "a GitHub Actions expression cannot be resolved here; write the branch"
    if any(c.isspace() for c in value):
        return f"{shown(value)} contains whitespace"
    if value.startswith("refs/"):
        return f"{shown(value)}: write the branch name alone, without `refs/heads/`"
    if ".." in value:
        return f"{shown(value)} contains `..`, which git does not allow in a branch name"
    bad = sorted({c for c in value if c in _BAD_REF_CHARS or ord(c) < 32 or ord(c) == 127})
    if bad:
        listed = " ".join(repr(c) for c in bad)
        return f"{shown(value)} contains {listed}, which git does not allow in a branch name"
    if (
        value.startswith(("-", "/"))
        or value.endswith(("/", ".", ".lock"))
        or "//" in value
        or "@{" in value
        or value == "@"
        or any(part.startswith(".") for part in value.split("/"))
    ):
        return f"{shown(value)} is not a valid git branch name"
    return None


def check_file(value: str) -> tuple[str, str | None]:
    """A path relative to the repository root: (normalised path, problem)."""
    if not value.strip():
        return value, "is empty"
    if "${{" in value:
        return value, "a GitHub Actions expression cannot be resolved here; write the path"
    if "\\" in value:
        return value, f"{shown(value)}: use forward slashes"
    if any(ord(c) < 32 for c in value):
        return value, "contains control characters"
    if value.startswith("/") or re.match(r"\A[A-Za-z]:", value):
        return value, f"{shown(value)} is absolute; give the path from the repository root"
    if value.startswith("~"):
        return value, f"{shown(value)}: `~` is not expanded; give the path from the repository root"
    path = PurePosixPath(value)
    if ".." in path.parts:
        return value, f"{shown(value)} goes up with `..`; it must stay inside the repository"
    if value.endswith("/") or path.as_posix() == ".":
        return value, f"{shown(value)} names a directory, not a Makefile"
    return path.as_posix(), None


# --- one matrix row ------------------------------------------------------------------------


def check_entry(
    node: Any,
    path: str,
    report: Report,
    *,
    line: int,
    strict_keys: bool,
    allow_http: bool,
    hold: str | None = None,
) -> Entry | None:
    """One matrix row as an Entry, or None after reporting why it cannot be one.

    strict_keys: unknown keys are errors (the config); a workflow's rows may carry other keys.
    """
    if not isinstance(node, Mapping):
        wanted = ", ".join(f"`{k}`" for k in REQUIRED_KEYS)
        report.add(line, path, f"expected a mapping with {wanted}, got {kind(node)}")
        return None
    suggested: set[str] = set()
    ok = True
    if strict_keys:
        for key in node:
            if key not in ENTRY_KEYS:
                report.add(line_of_key(node, key), f"{path}.{key}", unknown_key(key, ENTRY_KEYS))
                suggested.add(close_match(key, ENTRY_KEYS) or "")
                ok = False
    values: dict[str, str] = {}
    for key in REQUIRED_KEYS:
        if key not in node:
            if key not in suggested:
                report.add(line, path, f"missing `{key}`")
            ok = False
            continue
        value = node[key]
        key_line = line_of_key(node, key)
        if not isinstance(value, str):
            report.add(key_line, f"{path}.{key}", expected("a string", value))
            ok = False
            continue
        text = str(value)
        if key == "repository":
            problem = check_repository(text, allow_http=allow_http)
        elif key == "variable":
            problem = check_variable(text)
        elif key == "branch":
            problem = check_branch(text)
        else:
            text, problem = check_file(text)
        if problem:
            report.add(key_line, f"{path}.{key}", problem)
            ok = False
        values[key] = text
    if strict_keys and "hold" in node:
        reason = node["hold"]
        if not isinstance(reason, str) or not reason.strip():
            got = "an empty string" if isinstance(reason, str) else kind(reason)
            report.add(
                line_of_key(node, "hold"),
                f"{path}.hold",
                f"expected a string giving the reason, got {got}; "
                'e.g. hold: "upstream broke the build, see #123"',
            )
            ok = False
        else:
            hold = str(reason).strip()
    if not ok:
        return None
    return Entry(
        repository=values["repository"],
        variable=values["variable"],
        branch=values["branch"],
        file=values["file"],
        hold=hold,
        source=Location(report.filename, line),
    )


Row = tuple[str, Entry]  # an entry with its key path, e.g. ("matrix[2]", Entry(...))


def check_entries(node: Any, path: str, report: Report, *, allow_http: bool) -> list[Row]:
    """The config's `matrix:` list (null means empty: every row commented out)."""
    if node is None:
        return []
    if not isinstance(node, list):
        report.add(line_of(node), path, expected("a list of entries", node))
        return []
    return _checked_rows(node, path, report, strict_keys=True, allow_http=allow_http)


def _checked_rows(
    items: list[Any], path: str, report: Report, *, strict_keys: bool, allow_http: bool
) -> list[Row]:
    """The valid rows of a YAML list of entries; problems go to `report`."""
    rows = []
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]"
        entry = check_entry(
            item,
            item_path,
            report,
            line=line_of_item(items, index),
            strict_keys=strict_keys,
            allow_http=allow_http,
        )
        if entry is not None:
            rows.append((item_path, entry))
    return rows


# --- importing a GitHub Actions workflow ---------------------------------------------------


def entries_from_workflow(
    text: str, filename: str, job: str, *, allow_http: bool = False
) -> list[Entry]:
    """`jobs.<job>.strategy.matrix.include` of a workflow as Entries, in file order.

    Rows commented out inside the include block are held; the comment above them is the
    reason. Raises ConfigError with every problem found.
    """
    problems = Problems()
    rows = workflow_rows(text, filename, job, problems, allow_http=allow_http)
    problems.raise_if_any()
    return [entry for _, entry in rows]


def workflow_rows(
    text: str, filename: str, job: str, problems: Problems, *, allow_http: bool
) -> list[Row]:
    """Like entries_from_workflow, but adds problems to `problems` and returns the valid rows."""
    report = Report(filename, problems)
    ok, doc = parse_yaml(text, report)
    if not ok:
        return []
    include_parent = _find_matrix(doc, job, report)
    if include_parent is None:
        return []
    matrix, prefix = include_parent
    include = matrix.get("include")
    rows: list[Row] = []
    if include is not None:
        if not isinstance(include, list):
            message = expected("a list of rows", include)
            if isinstance(include, str) and "${{" in include:
                message = "is computed when the workflow runs; it cannot be imported"
            report.add(line_of_key(matrix, "include"), prefix, message)
            return []
        # Workflow rows carry other matrix keys (runner, flags): only ours are checked.
        rows = _checked_rows(include, prefix, report, strict_keys=False, allow_http=allow_http)
    include_line, include_col = matrix.lc.key("include")
    rows.extend(_held_rows(text, include_line, include_col, prefix, report, allow_http=allow_http))
    rows.sort(key=lambda row: row[1].source.line if row[1].source else 0)
    return rows


def _find_matrix(doc: Any, job: str, report: Report) -> tuple[Any, str] | None:
    """The `strategy.matrix` mapping of `job` and the key path of its include list."""
    if doc is None:
        report.add(1, "", "the workflow is empty")
        return None
    if not isinstance(doc, Mapping):
        report.add(line_of(doc), "", expected("a workflow (a mapping with `jobs:`)", doc))
        return None
    jobs = doc.get("jobs")
    if not isinstance(jobs, Mapping):
        if "jobs" not in doc:
            report.add(1, "jobs", "missing; this does not look like a GitHub Actions workflow")
        else:
            report.add(line_of_key(doc, "jobs"), "jobs", expected("a mapping of jobs", jobs))
        return None
    if job not in jobs:
        names = [str(k) for k in jobs]
        match = close_match(job, names)
        hint = f"did you mean `{match}`?" if match else "jobs here: " + ", ".join(names)
        report.add(line_of_key(doc, "jobs"), "jobs", f"no job `{job}`; {hint}")
        return None
    node: Any = jobs[job]
    path = f"jobs.{job}"
    parent: Any = jobs
    for key in ("strategy", "matrix"):
        line = line_of_key(parent, path.rsplit(".", 1)[-1])
        if not isinstance(node, Mapping):
            if isinstance(node, str) and "${{" in node:
                report.add(line, path, "is computed when the workflow runs; it cannot be imported")
            else:
                report.add(line, path, expected("a mapping", node))
            return None
        if key not in node:
            report.add(line, path, f"has no `{key}`; nothing to import")
            return None
        parent, node, path = node, node[key], f"{path}.{key}"
    line = line_of_key(parent, "matrix")
    if isinstance(node, str) and "${{" in node:
        report.add(line, path, "is computed when the workflow runs; it cannot be imported")
        return None
    if not isinstance(node, Mapping):
        report.add(line, path, expected("a mapping with `include:`", node))
        return None
    if "include" not in node:
        report.add(line, path, "has no `include:` list to import")
        return None
    for key in node:
        if key != "include":
            report.add(
                line_of_key(node, key),
                f"{path}.{key}",
                "only `include:` rows can be imported; a matrix product has no single pin per row",
            )
    return node, f"{path}.include"


@dataclass(slots=True)
class _Commented:
    """A run of comment lines that reads as a matrix row with `#` in front."""

    start: int  # 0-based line of the `# - key:` line
    key_column: int  # where the keys start, counted after the `#`
    lines: list[str]
    reason: str | None


def _held_rows(
    text: str,
    include_line: int,
    include_col: int,
    prefix: str,
    report: Report,
    *,
    allow_http: bool,
) -> list[Row]:
    rows: list[Row] = []
    for row in _commented_rows(split_lines(text), include_line, include_col):
        # Pad with blank lines so ruamel reports positions in the workflow's own numbering.
        snippet = "\n" * row.start + "\n".join(row.lines) + "\n"
        path = f"{prefix}[commented]"
        scratch = Problems()
        ok, doc = parse_yaml(snippet, Report(report.filename, scratch))
        if not ok or not isinstance(doc, list) or len(doc) != 1:
            if any(k in row.lines[0] for k in REQUIRED_KEYS):
                report.add(row.start + 1, path, "commented-out row does not read as YAML")
            continue
        item = doc[0]
        if not isinstance(item, Mapping) or not any(k in item for k in REQUIRED_KEYS):
            continue  # some other commented-out text, not a matrix row
        entry = check_entry(
            item,
            path,
            report,
            line=row.start + 1,
            strict_keys=False,
            allow_http=allow_http,
            hold=row.reason or NO_REASON,
        )
        if entry is not None:
            rows.append((path, entry))
    return rows


_ROW_START_RE = re.compile(r"(\s*)-\s+(\{|[A-Za-z_][\w-]*\s*:(\s|$))")


def _commented_rows(lines: list[str], include_line: int, include_col: int) -> Iterator[_Commented]:
    """Commented-out rows inside the include block, each with the comment above as reason.

    A reason heads a run of commented rows: it applies until a blank or uncommented line.
    """
    reason_lines: list[str] = []
    reason: str | None = None
    row: _Commented | None = None
    for number in range(include_line + 1, len(lines)):
        line = lines[number]
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        is_comment = stripped.startswith("#")
        live = bool(stripped.strip()) and not is_comment
        # The block ends at a key no deeper than `include:`; its list may sit at that depth.
        shallower = indent < include_col or (indent == include_col and stripped[:1] != "-")
        if live and shallower:
            break
        if not is_comment or indent < include_col:  # blank, a live row, or outside the block
            if row is not None:
                yield row
                row = None
            reason_lines, reason = [], None
            continue
        body = stripped[1:]
        start = _ROW_START_RE.match(body)
        if start:
            if row is not None:
                yield row
            if reason_lines:
                reason, reason_lines = " ".join(reason_lines), []
            row = _Commented(number, start.start(2), [body], reason)
        elif row is not None and body.strip() and len(body) - len(body.lstrip()) >= row.key_column:
            row.lines.append(body)
        else:
            if row is not None:
                yield row
                row = None
            if body.strip():
                reason_lines.append(body.strip())
    if row is not None:
        yield row
