"""Matrix entries: check a YAML mapping into an Entry, and import a workflow's matrix.

The config's `matrix:` list and a GitHub Actions workflow's `strategy.matrix.include`
describe the same rows, so one checker serves both and the rules cannot drift apart.
Every problem is collected as `FILE:LINE: key.path: message`; nothing stops at the first.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bumper.config.problems import (
    Problems,
    Report,
    close_match,
    expected,
    kind,
    shown,
    unknown_key,
)
from bumper.config.values import (
    check_branch,
    check_date,
    check_duration,
    check_file,
    check_repository,
    check_variable,
    duration_seconds,
)
from bumper.config.yaml import line_of, line_of_item, line_of_key, parse_yaml, split_lines
from bumper.model import FOLLOW_TAGS, Also, Entry, Location, PinBy, is_sha, tags_key

REQUIRED_KEYS = ("repository", "branch")  # and `file` or `files`, `variable` or `name`
FOLLOW_KEYS = ("follow", "tags", "prerelease")  # a row following release tags, not a branch
ALSO_KEYS = ("match", "file")  # each of a row's `also`
# `variable` or `match` or neither picks the value; `name` names a pin that has no variable
ENTRY_KEYS: tuple[str, ...] = ("repository", "variable", "branch", "file", "hold", "files")
ENTRY_KEYS += ("match", "name", *FOLLOW_KEYS, "also")
ENTRY_KEYS += ("min_age", "require_checks")  # gates (issue 16)
ENTRY_KEYS += ("automerge",)  # a row's own pr.automerge
HOLD_KEYS = ("reason", "until", "until_upstream_contains")
ROW_KEYS = ("repository", "variable", "branch", "file", "files", "match", "name")  # a row's mark
NO_REASON = "commented out in the workflow (no reason given)"
_NAME_RE = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\Z")


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
        report.add(
            line,
            path,
            "expected a mapping with `repository`, `branch`, `file` (or `files`) and "
            f"`variable` (or `match` and `name`), got {kind(node)}",
        )
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
    for key in ("repository", "variable", "branch", "file", "match", "name"):
        if key == "branch" and "follow" in node:
            continue  # checked with the other keys of a row following tags
        if key not in node:
            if key in REQUIRED_KEYS and key not in suggested:
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
        elif key == "match":
            problem = _check_match(text)
        elif key == "name":
            problem = _check_name(text)
        else:
            text, problem = check_file(text)
        if problem:
            report.add(key_line, f"{path}.{key}", problem)
            ok = False
        values[key] = text
    files = _files(node, path, report, line=line, suggested=suggested)
    ok = ok and files is not None
    ok = _check_selection(node, path, report, line=line, suggested=suggested) and ok
    extra: dict[str, Any] = {}
    if strict_keys and "hold" in node:
        checked = check_hold(node["hold"], f"{path}.hold", line_of_key(node, "hold"), report)
        if checked is None:
            ok = False
        else:
            hold, extra["hold_until"], extra["hold_until_upstream_contains"] = checked
    # a workflow's rows may carry gates too, as they carry the pin keys
    gates = check_gates(node, path, report)
    if gates is None:
        ok = False
    else:
        extra.update(gates)
    automerge: bool | str | None = None
    if strict_keys and "automerge" in node:
        automerge = node["automerge"]
        if not (isinstance(automerge, bool) or automerge == "always"):
            report.add(
                line_of_key(node, "automerge"),
                f"{path}.automerge",
                expected('true, false or "always"', automerge),
            )
            ok = False
    follow = check_follow(node, path, report)
    also = check_also(node, path, report, files[0] if files else values.get("file", ""))
    if not ok or files is None or follow is None or also is None:
        return None
    if "file" in values:
        files = (values["file"],)
    by = PinBy.MATCH if "match" in values else PinBy.WHOLE
    if "variable" in values:
        by = PinBy.VARIABLE
    return Entry(
        repository=values["repository"],
        variable=values.get("variable") or values["name"],
        branch=values.get("branch") or tags_key(follow.tags, follow.prerelease),
        file=files[0],
        hold=hold,
        source=Location(report.filename, line),
        files=files if len(files) > 1 else (),
        match=values.get("match"),
        by=by,
        follow=follow.follow,
        tags=follow.tags,
        prerelease=follow.prerelease,
        also=also,
        automerge=automerge,
        **extra,
    )


def check_hold(
    value: Any, path: str, line: int, report: Report
) -> tuple[str, str | None, str | None] | None:
    """(reason, until, until_upstream_contains) of a `hold`: a reason string, or a mapping
    with `reason` and at most one condition that lifts it; None after reporting why not."""
    example = 'e.g. hold: "upstream broke the build, see #123"'
    if isinstance(value, str):
        if not value.strip():
            report.add(
                line, path, f"expected a string giving the reason, got an empty string; {example}"
            )
            return None
        return value.strip(), None, None
    if not isinstance(value, Mapping):
        # the reason-string wording, as before mappings were allowed; the mapping form is
        # documented beside it in config/README.md
        report.add(line, path, f"expected a string giving the reason, got {kind(value)}; {example}")
        return None
    ok = True
    for key in value:
        if key not in HOLD_KEYS:
            report.add(line_of_key(value, key), f"{path}.{key}", unknown_key(key, HOLD_KEYS))
            ok = False
    reason = value.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        report.add(
            line_of_key(value, "reason") if "reason" in value else line,
            f"{path}.reason",
            'missing: say why the entry is held, e.g. reason: "hangs in synthesis, see #123"',
        )
        ok = False
    until: str | None = None
    if "until" in value:
        raw = value["until"]
        # YAML reads an unquoted 2026-12-31 as a date already
        text = raw.isoformat() if isinstance(raw, datetime.date) else raw
        problem = check_date(text) if isinstance(text, str) else expected("a date YYYY-MM-DD", raw)
        if problem or isinstance(raw, datetime.datetime):
            report.add(
                line_of_key(value, "until"),
                f"{path}.until",
                problem or "expected a date YYYY-MM-DD, not a time",
            )
            ok = False
        else:
            until = text
    contains: str | None = None
    if "until_upstream_contains" in value:
        raw = value["until_upstream_contains"]
        sha = raw.strip().lower() if isinstance(raw, str) else None
        if sha is None or not is_sha(sha):
            shown = f"{raw!r}" if isinstance(raw, str) else kind(raw)
            report.add(
                line_of_key(value, "until_upstream_contains"),
                f"{path}.until_upstream_contains",
                f"expected the full 40-hex sha of the upstream fix commit, got {shown}",
            )
            ok = False
        else:
            contains = sha
    if "until" in value and "until_upstream_contains" in value:
        report.add(
            line,
            path,
            "give one of `until` and `until_upstream_contains`, not both",
        )
        ok = False
    if not ok:
        return None
    assert isinstance(reason, str)
    return reason.strip(), until, contains


def check_gates(node: Mapping[Any, Any], path: str, report: Report) -> dict[str, Any] | None:
    """A row's `min_age` and `require_checks`, those present; None after reporting a problem."""
    found: dict[str, Any] = {}
    ok = True
    if "min_age" in node:
        raw = node["min_age"]
        text = f"{raw}h" if isinstance(raw, int) and not isinstance(raw, bool) and raw == 0 else raw
        problem = check_duration(text) if isinstance(text, str) else None
        if not isinstance(text, str) or problem:
            bare = isinstance(raw, int | float) and not isinstance(raw, bool)
            message = problem or (
                f"{raw} has no unit: write {raw}h (hours) or {raw}d (days)"
                if bare
                else expected("a duration such as 36h or 2d", raw)
            )
            report.add(line_of_key(node, "min_age"), f"{path}.min_age", message)
            ok = False
        else:
            found["min_age"] = text.strip()
    if "require_checks" in node:
        raw = node["require_checks"]
        if not isinstance(raw, bool):
            report.add(
                line_of_key(node, "require_checks"),
                f"{path}.require_checks",
                expected("true or false", raw),
            )
            ok = False
        else:
            found["require_checks"] = raw
    return found if ok else None


def with_gate_defaults(entry: Entry, gates: Any) -> Entry:
    """``entry`` with the config's `gates:` defaults where the row sets none of its own
    (``gates`` is settings.GateSettings; matrix.py is below settings in the layers)."""
    min_age = entry.min_age if entry.min_age is not None else gates.min_age
    checks = entry.require_checks if entry.require_checks is not None else gates.require_checks
    if duration_seconds(min_age or "0h") == 0:
        min_age = None  # `min_age: 0` switches a default off
    require_checks = True if checks else None
    if (min_age, require_checks) == (entry.min_age, entry.require_checks):
        return entry
    return replace(entry, min_age=min_age, require_checks=require_checks)


def _files(
    node: Mapping[Any, Any], path: str, report: Report, *, line: int, suggested: set[str]
) -> tuple[str, ...] | None:
    """The row's `files` list, each path checked like `file`; () when it gives `file`."""
    if "files" not in node:
        if "file" not in node and "file" not in suggested and "files" not in suggested:
            report.add(line, path, "missing `file` (or `files`, a list of paths)")
        return () if "file" in node else None
    key_line = line_of_key(node, "files")
    if "file" in node:
        report.add(key_line, f"{path}.files", "give `file` or `files`, not both")
        return None
    items = node["files"]
    if not isinstance(items, list):
        report.add(key_line, f"{path}.files", expected("a list of paths", items))
        return None
    if not items:
        report.add(key_line, f"{path}.files", "is empty; list at least one path")
        return None
    paths: list[str] = []
    ok = True
    for index, item in enumerate(items):
        item_path, item_line = f"{path}.files[{index}]", line_of_item(items, index)
        if not isinstance(item, str):
            report.add(item_line, item_path, expected("a string", item))
            ok = False
            continue
        text, problem = check_file(str(item))
        if problem is None and text in paths:
            problem = f"{shown(text)} is listed twice"
        if problem:
            report.add(item_line, item_path, problem)
            ok = False
        paths.append(text)
    return tuple(paths) if ok else None


def _check_selection(
    node: Mapping[Any, Any], path: str, report: Report, *, line: int, suggested: set[str]
) -> bool:
    """`variable`, or `match`, or neither; `name` exactly where there is no `variable`."""
    if "variable" in node and "match" in node:
        report.add(
            line_of_key(node, "match"),
            f"{path}.match",
            "give `variable` or `match`, not both: `match` is for a pin without a variable",
        )
        return False
    if "variable" in node and "name" in node:
        report.add(
            line_of_key(node, "name"),
            f"{path}.name",
            "not with `variable`: the variable is the pin's name; remove one",
        )
        return False
    if "variable" not in node and "name" not in node and not suggested & {"variable", "name"}:
        report.add(
            line,
            path,
            "missing `variable` (a make, shell, Dockerfile or CMake variable), "
            "or `name` for a pin without one (with `match`, or for a sha-only file "
            "or a submodule)",
        )
        return False
    return True


def _check_match(value: str) -> str | None:
    if not value:
        return "is empty; give the literal text just before the sha, e.g. `pkg@`"
    if "\n" in value or "\r" in value:
        return "must be text on one line, the text just before the sha"
    return None


def _check_name(value: str) -> str | None:
    if not value:
        return "is empty"
    if _NAME_RE.match(value):
        return None
    return (
        f"{shown(value)} is not a pin name: letters, digits, `_`, `.` and `-`, at most 100, "
        "starting with a letter, digit or `_` (it names the PR branch)"
    )


def check_also(
    node: Mapping[Any, Any], path: str, report: Report, row_file: str
) -> tuple[Also, ...] | None:
    """A row's `also`: one mapping or a list of them, each `{match: TEXT, file: PATH}` (`file`
    defaults to the row's first file). None after reporting a problem."""
    if "also" not in node:
        return ()
    items = node["also"]
    line = line_of_key(node, "also")
    if isinstance(items, Mapping):
        items, single = [items], True
    else:
        single = False
    if not isinstance(items, list) or not items:
        report.add(
            line, f"{path}.also", expected("a mapping `{match: TEXT, file: PATH}` or a list", items)
        )
        return None
    found: list[Also] = []
    for index, item in enumerate(items):
        where = f"{path}.also" if single else f"{path}.also[{index}]"
        item_line = line if single else line_of_item(items, index)
        if not isinstance(item, Mapping):
            report.add(item_line, where, expected("a mapping `{match: TEXT, file: PATH}`", item))
            return None
        for key in item:
            if key not in ALSO_KEYS:
                report.add(line_of_key(item, key), f"{where}.{key}", unknown_key(key, ALSO_KEYS))
                return None
        match = item.get("match")
        if not isinstance(match, str) or not match or "\n" in match:
            problem = (
                "missing"
                if match is None
                else "expected the text on one line just before the value"
            )
            report.add(item_line, f"{where}.match", problem)
            return None
        file = item.get("file", row_file)
        if not isinstance(file, str):
            report.add(line_of_key(item, "file"), f"{where}.file", expected("a string", file))
            return None
        file, file_problem = check_file(file)
        if file_problem:
            report.add(line_of_key(item, "file"), f"{where}.file", file_problem)
            return None
        found.append(Also(match, file))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Follow:
    follow: str = "branch"
    tags: str | None = None
    prerelease: bool = False


def check_follow(node: Mapping[Any, Any], path: str, report: Report) -> Follow | None:
    """A row's `follow`, `tags` and `prerelease`: exactly one of `branch` and `follow: tags`;
    the other two only with `follow: tags`. None after reporting a problem."""
    if "follow" not in node:
        for key in ("tags", "prerelease"):
            if key in node:
                report.add(line_of_key(node, key), f"{path}.{key}", "only with `follow: tags`")
                return None
        return Follow()
    follow = node["follow"]
    follow_line = line_of_key(node, "follow")
    if follow != FOLLOW_TAGS:
        shown_value = shown(follow) if isinstance(follow, str) else kind(follow)
        hint = "; a row following a branch says `branch:` alone" if follow == "branch" else ""
        report.add(follow_line, f"{path}.follow", f"{shown_value}: the one value is `tags`{hint}")
        return None
    if "branch" in node:
        report.add(
            follow_line,
            f"{path}.follow",
            "a row follows either a `branch` or `follow: tags`, not both; remove one",
        )
        return None
    pattern = node.get("tags")
    if pattern is not None:
        problem = None
        if not isinstance(pattern, str):
            problem = expected("a glob on tag names, e.g. `v1.*`", pattern)
        elif not pattern.strip() or any(c.isspace() or ord(c) < 32 for c in pattern):
            problem = f"{shown(pattern)} is not a glob on tag names (no spaces), e.g. `v1.*`"
        if problem:
            report.add(line_of_key(node, "tags"), f"{path}.tags", problem)
            return None
    prerelease = node.get("prerelease", False)
    if not isinstance(prerelease, bool):
        report.add(
            line_of_key(node, "prerelease"),
            f"{path}.prerelease",
            expected("true or false", prerelease),
        )
        return None
    return Follow(FOLLOW_TAGS, pattern, prerelease)


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


def check_duplicates(rows: list[Row], problems: Problems) -> None:
    """Two rows pinning the same variable in the same file would fight over one pin."""
    first: dict[tuple[str, str], Row] = {}
    for path, entry in rows:
        for file in entry.pin_paths:  # a row's `files` claim the pin in each of them
            earlier_path, earlier = first.setdefault((file, entry.variable), (path, entry))
            if earlier is entry:
                continue
            problems.add_at(
                entry.source,
                path,
                f"{entry.variable} in {file} is pinned twice: here and at {earlier.source} "
                f"({earlier_path}); remove one",
            )
            break


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
            if any(k in row.lines[0] for k in ROW_KEYS):
                report.add(row.start + 1, path, "commented-out row does not read as YAML")
            continue
        item = doc[0]
        if not isinstance(item, Mapping) or not any(k in item for k in ROW_KEYS):
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
