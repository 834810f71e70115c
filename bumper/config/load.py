"""Load config/bumper.yaml into a Config, reporting every problem as FILE:LINE: key: message.

Reading bytes and the checkout is the edge (load_config); parse_config takes text. Problems are
collected across the whole file (and an imported workflow) and raised once as ConfigError.
"""

from __future__ import annotations

import re
import stat
import string
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from bumper.config.matrix import Row, check_entries, workflow_rows
from bumper.config.problems import Problems, Report, close_match, expected, kind, unknown_key
from bumper.config.schedule import check_cron, check_timezone
from bumper.config.settings import (
    Config,
    GitHubSettings,
    LookupSettings,
    PrSettings,
    ScheduleSettings,
    TargetSettings,
)
from bumper.config.values import (
    check_author,
    check_branch,
    check_file,
    check_owner,
    check_owner_name,
    check_url,
)
from bumper.config.yaml import line_of, line_of_key, parse_yaml
from bumper.errors import BumperError, ConfigError
from bumper.files import line_and_column
from bumper.model import Entry

MAX_CONFIG_BYTES = 2 * 1024 * 1024  # ~20,000 rows; ruamel needs ~0.4 ms per row

# Given the config parsed so far and the workflow path from `matrix_from`, return its text
# (e.g. fetched from the target repository); raise BumperError when it cannot.
WorkflowFetcher = Callable[[Config, str], str]

TOP_KEYS = ("github", "target", "pr", "schedule", "lookup", "matrix", "matrix_from")
GITHUB_KEYS = (
    "api_url",
    "git_url",
    "web_url",
    "token_env",
    "app_id",
    "app_private_key",
    "app_installation_id",
    "seconds_between_requests",
    "seconds_between_writes",
    "retries",
    "max_rate_limit_wait",
    "timeout_seconds",
)
TARGET_KEYS = ("repository", "base", "push_to")
PR_KEYS = (
    "branch",
    "title",
    "commit_message",
    "body",
    "labels",
    "signoff",
    "author",
    "max_open",
    "max_new_per_run",
    "max_commits_listed",
)
SCHEDULE_KEYS = ("cron", "timezone", "jitter_seconds", "interval_seconds", "admin_token_env")
LOOKUP_KEYS = (
    "concurrency",
    "timeout_seconds",
    "retries",
    "max_wait_seconds",
    "backoff_seconds",
    "allow_http",
)
MATRIX_FROM_KEYS = ("workflow", "job")

SECRET_KEYS = {"token", "github_token", "access_token", "api_token", "password", "pat", "secret"}
TOKEN_HINT = (
    "a token never belongs in the config file; put it in an environment variable "
    "and name that variable with `github.token_env` (default GITHUB_TOKEN)"
)
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")
_ENV_NAME_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")

PLACEHOLDERS = ("variable", "repository", "sha", "short_sha", "old", "branch", "file")
# Placeholders that change with every upstream commit: a PR branch built from them would
# open a new PR per move instead of updating the one PR for the pin.
MOVING_PLACEHOLDERS = ("sha", "short_sha", "old")
_SAMPLE = {
    "variable": "LLAMA_VERSION",
    "repository": "ggml-org/llama.cpp",
    "sha": "0" * 40,
    "short_sha": "0" * 7,
    "old": "1" * 40,
    "branch": "master",
    "file": "backend/cpp/llama/Makefile",
}

T = TypeVar("T")


# --- the edge: bytes on disk ---------------------------------------------------------------


def load_config(
    path: Path,
    checkout: Path | None = None,
    *,
    workflow_text: str | WorkflowFetcher | None = None,
    allow_duplicates: bool = False,
) -> Config:
    """Read, parse and check a config file. Raises ConfigError listing every problem.

    `allow_duplicates` keeps entries that pin the same variable twice (audit reports them).
    """
    text = read_text_file(path, str(path))
    return parse_config(text, str(path), checkout, workflow_text, allow_duplicates)


def read_text_file(path: Path, shown_as: str) -> str:
    """UTF-8 text of a small regular file, or ConfigError saying plainly why not."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError([f"{shown_as}: no such file"]) from None
    except OSError as exc:
        raise ConfigError([f"{shown_as}: cannot read: {exc.strerror}"]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError([f"{shown_as}: is a directory, not a YAML file"])
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError([f"{shown_as}: is not a regular file"])
    if info.st_size > MAX_CONFIG_BYTES:
        raise ConfigError([_too_big(shown_as, info.st_size)])
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)  # the file may grow after stat
    except OSError as exc:
        raise ConfigError([f"{shown_as}: cannot read: {exc.strerror}"]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError([_too_big(shown_as, len(data))])
    return decode_text(data, shown_as)


def _too_big(shown_as: str, size: int) -> str:
    return (
        f"{shown_as}: is {size:,} bytes; a config may have at most {MAX_CONFIG_BYTES:,}. "
        "Is this the right file?"
    )


def decode_text(data: bytes, shown_as: str) -> str:
    """Bytes to text, refusing binary files and other encodings with the line at fault."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError([f"{shown_as}:1: is UTF-16; save it as UTF-8"])
    nul = data.find(b"\x00")
    if nul >= 0:
        line, _ = line_and_column(data, nul)
        raise ConfigError(
            [f"{shown_as}:{line}: contains a NUL byte; this is a binary file, not YAML"]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = line_and_column(data, exc.start)
        raise ConfigError(
            [
                f"{shown_as}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at column "
                f"{column}); save the file as UTF-8"
            ]
        ) from None


# --- the core: text to Config --------------------------------------------------------------


def parse_config(
    text: str,
    filename: str,
    checkout: Path | None = None,
    workflow_text: str | WorkflowFetcher | None = None,
    allow_duplicates: bool = False,
) -> Config:
    """Check config text; `filename` is used in messages and as Config.path.

    With `matrix_from`, the workflow comes from `workflow_text` when given (text, or a fetcher
    called with the config parsed so far), else from `checkout`. Touches the disk only for
    that workflow and for symlink checks inside `checkout`.
    """
    problems = Problems()
    report = Report(filename, problems)
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError([_too_big(filename, len(text.encode("utf-8", "replace")))])
    if "\x00" in text:
        raise ConfigError([f"{filename}: contains a NUL character; this is not YAML text"])
    ok, doc = parse_yaml(text, report)
    problems.raise_if_any()
    if not ok or doc is None:
        raise ConfigError(
            [
                f"{filename}:1: the file has no settings (it is empty, or only comments); "
                "see config/README.md"
            ]
        )
    if not isinstance(doc, Mapping):
        raise ConfigError(
            [
                f"{filename}:{line_of(doc)}: "
                + expected("a mapping of settings (`target:`, `matrix:`, ...)", doc)
            ]
        )

    reader = _Reader(report, doc)
    reader.unknown_keys(doc, "", TOP_KEYS)
    lookup = reader.lookup(doc.get("lookup"))
    config = Config(
        path=Path(filename),
        github=reader.github(doc.get("github"), allow_http=lookup.allow_http),
        target=reader.target(doc.get("target")),
        pr=reader.pr(doc.get("pr")),
        schedule=reader.schedule(doc.get("schedule")),
        lookup=lookup,
    )
    rows = check_entries(doc.get("matrix"), "matrix", report, allow_http=lookup.allow_http)
    source = reader.matrix_from(doc.get("matrix_from"))
    if source is not None:
        config = replace(config, matrix=tuple(e for _, e in rows), matrix_from=source)
        rows += _workflow_rows(config, source, reader, checkout, workflow_text)

    if not allow_duplicates:
        _check_duplicates(rows, problems)
    if checkout is not None:
        _check_inside_checkout(rows, checkout, problems)
    pr_node = doc.get("pr")
    explicit = isinstance(pr_node, Mapping) and "branch" in pr_node
    branch_line = line_of_key(pr_node, "branch") if explicit else None
    _check_pr_branches(config.pr.branch, rows, branch_line, report)
    problems.raise_if_any()
    return replace(config, matrix=tuple(e for _, e in rows))


def _workflow_rows(
    config: Config,
    source: tuple[str, str],
    reader: _Reader,
    checkout: Path | None,
    workflow_text: str | WorkflowFetcher | None,
) -> list[Row]:
    workflow, job = source
    line = reader.at("matrix_from", "workflow")
    report = reader.report
    if isinstance(workflow_text, str):
        text = workflow_text
    elif workflow_text is not None:
        try:
            text = workflow_text(config, workflow)
        except BumperError as exc:
            report.add(line, "matrix_from.workflow", f"cannot fetch {workflow}: {exc}")
            return []
    elif checkout is not None:
        problem = _escapes(checkout, workflow)
        if problem:
            report.add(line, "matrix_from.workflow", problem)
            return []
        try:
            text = read_text_file(checkout / workflow, workflow)
        except ConfigError as exc:
            for message in exc.problems:
                report.add(line, "matrix_from.workflow", f"in the checkout {checkout}: {message}")
            return []
    else:
        where = config.target.repository or "target repository (set `target.repository`)"
        report.add(
            line,
            "matrix_from.workflow",
            f"cannot read {workflow}: no --checkout was given and it was not fetched from {where}",
        )
        return []
    return workflow_rows(text, workflow, job, report.problems, allow_http=config.lookup.allow_http)


def _place(entry: Entry) -> tuple[str, int]:
    return (entry.source.file, entry.source.line) if entry.source else ("", 0)


def _check_duplicates(rows: list[Row], problems: Problems) -> None:
    first: dict[tuple[str, str], Row] = {}
    for path, entry in rows:
        earlier_path, earlier = first.setdefault(entry.key, (path, entry))
        if earlier is entry:
            continue
        problems.add(
            *_place(entry),
            path,
            f"{entry.variable} in {entry.file} is pinned twice: here and at {earlier.source} "
            f"({earlier_path}); remove one",
        )


def _escapes(checkout: Path, relative: str) -> str | None:
    """A problem when `relative` resolves (through symlinks) outside the checkout."""
    root = checkout.resolve()
    try:
        target = (checkout / relative).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        return f"`{relative}` cannot be resolved in the checkout: {exc}"
    if not target.is_relative_to(root):
        return f"`{relative}` leads outside the checkout through a symlink"
    return None


def _check_inside_checkout(rows: list[Row], checkout: Path, problems: Problems) -> None:
    for path, entry in rows:
        problem = _escapes(checkout, entry.file)
        if problem:
            problems.add(*_place(entry), f"{path}.file", problem)


def _check_pr_branches(template: str, rows: list[Row], line: int | None, report: Report) -> None:
    """Each pin needs its own PR branch; two pins on one branch would overwrite each other.

    line: where pr.branch is written; None when it is the default (blame the second entry).
    """
    owners: dict[str, Entry] = {}
    for _, entry in rows:
        try:
            branch = template.format(**_values(entry))
        except (KeyError, ValueError, IndexError):
            return  # the template itself is already reported
        filename, where = (report.filename, line) if line is not None else _place(entry)
        path = "pr.branch" if line is not None else f"pr.branch (default {template})"
        problem = check_branch(branch)
        if problem:
            report.problems.add(
                filename, where, path, f"gives an invalid branch for {entry.variable}: {problem}"
            )
            return
        other = owners.setdefault(branch, entry)
        if other is not entry and other.key != entry.key:  # duplicates are reported already
            fix = "update/{variable}-{file}" if "{variable}" in template else "update/{variable}"
            hint = f"set `pr.branch`, e.g. {fix}" if line is None else f"make it unique, e.g. {fix}"
            report.problems.add(
                filename,
                where,
                path,
                f"gives the same branch `{branch}` for {other.name} at {other.source} and "
                f"{entry.name} at {entry.source}; {hint}",
            )
            return


def _values(entry: Entry) -> dict[str, str]:
    return {
        **_SAMPLE,
        "variable": entry.variable,
        "repository": entry.repository,
        "branch": entry.branch,
        "file": entry.file,
    }


def check_template(value: str, *, stable: bool = False) -> str | None:
    """A problem with a PR template, or None. `stable`: may not use per-commit placeholders."""
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as exc:
        return f"malformed template: {exc}; write {{{{ or }}}} for a literal brace"
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if name == "" or name.isdigit():
            return "a placeholder needs a name: " + _known()
        if name not in PLACEHOLDERS:
            base = re.split(r"[.\[]", name, maxsplit=1)[0]
            if base in PLACEHOLDERS:
                return f"{{{name}}}: placeholders take no attributes or indexes"
            match = close_match(name, PLACEHOLDERS)
            hint = f"did you mean {{{match}}}?" if match else _known()
            return f"unknown placeholder {{{name}}}; {hint}"
        if stable and name in MOVING_PLACEHOLDERS:
            return (
                f"{{{name}}} changes with every upstream commit; the PR branch must stay the "
                "same for a pin, so use {variable} (and {file} if needed)"
            )
    try:
        value.format(**_SAMPLE)
    except (ValueError, KeyError, IndexError) as exc:
        return f"malformed template: {exc}"
    return None


def _known() -> str:
    return "known placeholders are " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)


# --- sections ------------------------------------------------------------------------------


class _Invalid(Exception):
    """A value converter's complaint; reported at the key's line."""


class _Reader:
    """Reads typed values from mappings, reporting problems and falling back to defaults."""

    def __init__(self, report: Report, doc: Mapping[Any, Any]) -> None:
        self.report = report
        self.doc = doc

    def at(self, section: str, key: str | None = None) -> int:
        """The line of `section.key`, else of `section`, else 1."""
        node = self.doc.get(section)
        if key is not None and isinstance(node, Mapping) and key in node:
            return line_of_key(node, key)
        return line_of_key(self.doc, section) if section in self.doc else 1

    def unknown_keys(self, node: Mapping[Any, Any], section: str, known: tuple[str, ...]) -> None:
        for key in node:
            if key in known or (not section and str(key).startswith("x-")):
                continue  # top-level x-* keys only hold anchors, as in docker compose files
            path = f"{section}.{key}" if section else str(key)
            if str(key).lower() in SECRET_KEYS:
                message = f"unknown key; {TOKEN_HINT}"
            elif not section and str(key) in ("jobs", "on"):
                message = (
                    "unknown key; this looks like a GitHub Actions workflow: "
                    "import its matrix with `matrix_from: {workflow: PATH, job: NAME}`"
                )
            else:
                message = unknown_key(key, known)
            self.report.add(line_of_key(node, key), path, message)

    def section(self, name: str, node: Any, known: tuple[str, ...]) -> Mapping[Any, Any]:
        if node is None:
            return {}
        if not isinstance(node, Mapping):
            self.report.add(self.at(name), name, expected("a mapping", node))
            return {}
        self.unknown_keys(node, name, known)
        return node

    def value(
        self,
        node: Mapping[Any, Any],
        section: str,
        key: str,
        default: T,
        convert: Callable[[Any], T],
    ) -> T:
        if key not in node:
            return default
        try:
            return convert(node[key])
        except _Invalid as exc:
            self.report.add(line_of_key(node, key), f"{section}.{key}", str(exc))
            return default

    # sections

    def github(self, node: Any, *, allow_http: bool) -> GitHubSettings:
        m = self.section("github", node, GITHUB_KEYS)
        d = GitHubSettings()

        def url(value: Any) -> str:
            text = _string(value)
            _complain(check_url(text, allow_http=allow_http))
            return text.rstrip("/")

        api_url = self.value(m, "github", "api_url", d.api_url, url)
        git_url = self.value(m, "github", "git_url", d.git_url, url)
        web_url = self.value(m, "github", "web_url", git_url, url)
        token_env = self.value(m, "github", "token_env", d.token_env, _token_env)
        app_id = self.value(m, "github", "app_id", d.app_id, _optional(_int_range(1, None)))
        key = self.value(m, "github", "app_private_key", d.app_private_key, _pem_path)
        installation = self.value(
            m,
            "github",
            "app_installation_id",
            d.app_installation_id,
            _optional(_int_range(1, None)),
        )
        if key is not None and not Path(key).is_absolute():
            # Relative to the config file, so the setting does not depend on the working directory.
            key = str(Path(self.report.filename).parent / key)
        if (app_id is None) != (key is None) and not ({"app_id", "app_private_key"} <= m.keys()):
            present = "app_id" if "app_id" in m else "app_private_key"
            missing = "app_private_key" if present == "app_id" else "app_id"
            self.report.add(
                self.at("github", present),
                f"github.{present}",
                f"a GitHub App also needs `github.{missing}`",
            )
        if installation is not None and "app_id" not in m:
            self.report.add(
                self.at("github", "app_installation_id"),
                "github.app_installation_id",
                "only used with a GitHub App; set `github.app_id` and `github.app_private_key`",
            )
        return GitHubSettings(
            api_url=api_url,
            git_url=git_url,
            web_url=web_url,
            token_env=token_env,
            app_id=app_id,
            app_private_key=key,
            app_installation_id=installation,
            seconds_between_requests=self.value(
                m,
                "github",
                "seconds_between_requests",
                d.seconds_between_requests,
                _number_range(0, 60),
            ),
            seconds_between_writes=self.value(
                m,
                "github",
                "seconds_between_writes",
                d.seconds_between_writes,
                _number_range(0, 60),
            ),
            retries=self.value(m, "github", "retries", d.retries, _int_range(0, 20)),
            max_rate_limit_wait=self.value(
                m, "github", "max_rate_limit_wait", d.max_rate_limit_wait, _number_range(0, 86_400)
            ),
            timeout_seconds=self.value(
                m, "github", "timeout_seconds", d.timeout_seconds, _int_range(1, 600)
            ),
        )

    def target(self, node: Any) -> TargetSettings:
        m = self.section("target", node, TARGET_KEYS)
        d = TargetSettings()
        return TargetSettings(
            repository=self.value(
                m, "target", "repository", d.repository, _checked(check_owner_name)
            ),
            base=self.value(m, "target", "base", d.base, _checked(check_branch)),
            push_to=self.value(m, "target", "push_to", d.push_to, _checked(check_owner)),
        )

    def pr(self, node: Any) -> PrSettings:
        m = self.section("pr", node, PR_KEYS)
        d = PrSettings()
        return PrSettings(
            branch=self.value(m, "pr", "branch", d.branch, _template(stable=True)),
            title=self.value(m, "pr", "title", d.title, _template()),
            commit_message=self.value(m, "pr", "commit_message", d.commit_message, _template()),
            body=self.value(m, "pr", "body", d.body, _optional(_template())),
            labels=self.value(m, "pr", "labels", d.labels, _labels),
            signoff=self.value(m, "pr", "signoff", d.signoff, _boolean),
            author=self.value(m, "pr", "author", d.author, _optional(_checked(check_author))),
            max_open=self.value(m, "pr", "max_open", d.max_open, _int_range(0, None)),
            max_new_per_run=self.value(
                m, "pr", "max_new_per_run", d.max_new_per_run, _int_range(0, None)
            ),
            max_commits_listed=self.value(
                m, "pr", "max_commits_listed", d.max_commits_listed, _int_range(0, 250)
            ),
        )

    def schedule(self, node: Any) -> ScheduleSettings:
        d = ScheduleSettings()
        if isinstance(node, str):
            problem = check_cron(node)
            if problem:
                self.report.add(self.at("schedule"), "schedule", problem)
                return d
            return ScheduleSettings(cron=" ".join(node.split()))
        if node is not None and not isinstance(node, Mapping):
            wanted = 'a cron string like "0 3 * * *" or a mapping with `cron:`'
            self.report.add(self.at("schedule"), "schedule", expected(wanted, node))
            return d
        m = self.section("schedule", node, SCHEDULE_KEYS)
        return ScheduleSettings(
            cron=self.value(m, "schedule", "cron", d.cron, _cron),
            timezone=self.value(m, "schedule", "timezone", d.timezone, _timezone),
            jitter_seconds=self.value(
                m, "schedule", "jitter_seconds", d.jitter_seconds, _int_range(0, 86_400)
            ),
            interval_seconds=self.value(
                m,
                "schedule",
                "interval_seconds",
                d.interval_seconds,
                _optional(_number_range(0.01, 7 * 86_400)),
            ),
            admin_token_env=self.value(
                m, "schedule", "admin_token_env", d.admin_token_env, _optional(_token_env)
            ),
        )

    def lookup(self, node: Any) -> LookupSettings:
        m = self.section("lookup", node, LOOKUP_KEYS)
        d = LookupSettings()
        return LookupSettings(
            concurrency=self.value(m, "lookup", "concurrency", d.concurrency, _int_range(1, 64)),
            timeout_seconds=self.value(
                m, "lookup", "timeout_seconds", d.timeout_seconds, _number_range(0.1, 600)
            ),
            retries=self.value(m, "lookup", "retries", d.retries, _int_range(0, 20)),
            max_wait_seconds=self.value(
                m, "lookup", "max_wait_seconds", d.max_wait_seconds, _number_range(0, 86_400)
            ),
            backoff_seconds=self.value(
                m, "lookup", "backoff_seconds", d.backoff_seconds, _number_range(0, 600)
            ),
            allow_http=self.value(m, "lookup", "allow_http", d.allow_http, _boolean),
        )

    def matrix_from(self, node: Any) -> tuple[str, str] | None:
        if node is None:
            return None
        if not isinstance(node, Mapping):
            wanted = "a mapping like {workflow: .github/workflows/bump_deps.yaml, job: bump}"
            self.report.add(self.at("matrix_from"), "matrix_from", expected(wanted, node))
            return None
        self.unknown_keys(node, "matrix_from", MATRIX_FROM_KEYS)
        for key in MATRIX_FROM_KEYS:
            if key not in node:
                self.report.add(self.at("matrix_from"), "matrix_from", f"missing `{key}`")
        workflow = self.value(node, "matrix_from", "workflow", "", _workflow_path)
        job = self.value(node, "matrix_from", "job", "", _job_name)
        if not workflow or not job:
            return None
        return workflow, job


# --- value converters: return the value or raise _Invalid ---------------------------------


def _complain(problem: str | None) -> None:
    if problem is not None:
        raise _Invalid(problem)


def _string(value: Any, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise _Invalid(expected(what, value))
    return str(value)


def _optional(convert: Callable[[Any], T]) -> Callable[[Any], T | None]:
    def optional(value: Any) -> T | None:
        return None if value is None else convert(value)

    return optional


def _checked(check: Callable[[str], str | None]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _string(value)
        _complain(check(text))
        return text

    return convert


def _template(*, stable: bool = False) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _string(value)
        if not text.strip():
            raise _Invalid("is empty")
        _complain(check_template(text, stable=stable))
        return text

    return convert


def _token_env(value: Any) -> str:
    text = _string(value, "the name of an environment variable")
    # Never echo the value: it may be a token pasted in the wrong place.
    if text.startswith(_TOKEN_PREFIXES) or re.fullmatch(r"[0-9a-f]{40}", text):
        raise _Invalid(
            "this looks like a token; `token_env` names the environment variable that holds "
            "it (e.g. GITHUB_TOKEN). Revoke the token if this file was shared"
        )
    if not _ENV_NAME_RE.match(text):
        raise _Invalid("is not an environment variable name (letters, digits and underscores)")
    return text


def _pem_path(value: Any) -> str | None:
    if value is None:
        return None
    text = _string(value, "a path to a PEM file")
    if "-----BEGIN" in text or "PRIVATE KEY" in text:
        raise _Invalid(
            "expected the path of the PEM file, not the key itself; "
            "keep the key out of the config and revoke it if this file was shared"
        )
    if not text.strip():
        raise _Invalid("is empty")
    return text


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    hint = "; write true or false without quotes" if isinstance(value, str) else ""
    raise _Invalid(expected("true or false", value) + hint)


def _int_range(low: int, high: int | None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(expected("a whole number", value))
        number = int(value)
        if number < low:
            raise _Invalid(f"{number} is less than {low}")
        if high is not None and number > high:
            raise _Invalid(f"{number} is more than {high}")
        return number

    return convert


def _number_range(low: float, high: float) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(expected("a number", value))
        number = float(value)
        if not low <= number <= high:
            raise _Invalid(f"{value} is outside {low:g} to {high:g}")
        return number

    return convert


def _labels(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise _Invalid(f'expected a list of labels, got a string; write ["{value}"]')
    if not isinstance(value, list):
        raise _Invalid(expected("a list of labels", value))
    labels = []
    for index, label in enumerate(value):
        if not isinstance(label, str) or not label.strip():
            got = "an empty string" if isinstance(label, str) else kind(label)
            raise _Invalid(f"label [{index}]: expected a label name, got {got}")
        if len(label) > 50:
            raise _Invalid(f"label [{index}] is longer than GitHub's limit of 50 characters")
        labels.append(str(label))
    return tuple(labels)


def _cron(value: Any) -> str:
    text = _string(value, 'a cron string like "0 3 * * *"')
    _complain(check_cron(text))
    return " ".join(text.split())


def _timezone(value: Any) -> str:
    text = _string(value, 'a time zone name like "Europe/Paris"')
    _complain(check_timezone(text))
    return text


def _workflow_path(value: Any) -> str:
    text = _string(value, "a path to a workflow file")
    normalised, problem = check_file(text)
    _complain(problem)
    if PurePosixPath(normalised).suffix not in (".yml", ".yaml"):
        raise _Invalid(f"`{normalised}` is not a .yml or .yaml workflow file")
    return normalised


def _job_name(value: Any) -> str:
    text = _string(value, "a job name")
    if not text.strip():
        raise _Invalid("is empty")
    return text
