"""The one way in: config/bumper.yaml (and any workflow its `matrix_from` names) to a Config.

Every command loads its config with load_config, which reads the file and, for
`matrix_from: {workflow: PATH, job: NAME}`, the workflow: from the checkout when there is one,
else from the target repository; this is the one place that decides which. parse_config is
the core: text in, Config out, every problem collected as FILE:LINE: key: message and raised
once as ConfigError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bumper.config.matrix import (
    Row,
    check_duplicates,
    check_entries,
    with_gate_defaults,
    workflow_rows,
)
from bumper.config.problems import Problems, Report, expected
from bumper.config.sections import Sections, find_tokens
from bumper.config.settings import Config
from bumper.config.templates import check_pr_branches
from bumper.config.yaml import line_of, line_of_key, parse_yaml
from bumper.errors import BumperError, ConfigError, FileError
from bumper.files import BadByte, decode_utf8, line_and_column, read_regular
from bumper.logs import TOKEN_SHAPE

if TYPE_CHECKING:
    import httpx

MAX_CONFIG_BYTES = 2 * 1024 * 1024  # ~20,000 rows; ruamel needs ~0.4 ms per row

# Given the config parsed so far and the workflow path from `matrix_from`, return its text
# (e.g. fetched from the target repository); raise BumperError when it cannot.
WorkflowFetcher = Callable[[Config, str], str]


# --- the edge: bytes on disk, and the target repository -------------------------------------


def load_config(
    path: Path,
    checkout: Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    allow_duplicates: bool = False,
    client: httpx.Client | None = None,
) -> Config:
    """Read and check the config at `path`; a ConfigError lists every problem.

    With a checkout, the workflow is read from it. Without one, a single GraphQL request
    reads it from `target.repository` at `target.base`, authenticated with the token that
    `github.token_env` names in `environ` (default: os.environ). No request is made when the
    config has no `matrix_from`. `client` (one that counts requests, say) is used when given.
    `allow_duplicates` keeps entries that pin the same variable twice (audit reports them).
    """
    text = read_text_file(path, str(path))
    if checkout is not None:
        return parse_config(text, str(path), checkout, None, allow_duplicates)

    def fetch(partial: Config, workflow: str) -> str:
        # Imported here, the one place config reaches up to GitHub: only a config without a
        # checkout whose matrix comes from the target's workflow needs the HTTP stack.
        from bumper.github.target import remote_text

        if client is not None:
            return remote_text(partial, workflow, client=client, environ=environ)
        from bumper.github.http import new_client

        with new_client(timeout=partial.github.timeout_seconds) as own:
            return remote_text(partial, workflow, client=own, environ=environ)

    return parse_config(text, str(path), None, fetch, allow_duplicates)


def read_text_file(path: Path, shown_as: str) -> str:
    """UTF-8 text of a small regular file, or ConfigError saying plainly why not."""
    try:
        data = read_regular(path, MAX_CONFIG_BYTES, shown_as, "a YAML file")
    except FileError as exc:
        raise ConfigError(
            [_too_big(shown_as, exc.size) if exc.size is not None else str(exc)]
        ) from None
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
    text = decode_utf8(data, bom=True)
    if isinstance(text, BadByte):
        raise ConfigError(
            [f"{shown_as}:{text.line}: not valid UTF-8 ({text}); save the file as UTF-8"]
        )
    return text


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

    # A token-shaped string in the document is a piece of its text unless an escape spells
    # it (folding joins lines with spaces, which no token holds): one scan of the text spares
    # walking every node of a large matrix.
    if ("\\" in text or TOKEN_SHAPE.search(text)) and find_tokens(doc, report):
        # Stop at once: any later check could quote the value back (or a part of it).
        problems.raise_if_any()
    sections = Sections(report, doc)
    config = sections.settings()
    allow_http = config.lookup.allow_http
    rows = check_entries(doc.get("matrix"), "matrix", report, allow_http=allow_http)
    source = sections.matrix_from()
    if source is not None:
        config = replace(config, matrix=tuple(e for _, e in rows), matrix_from=source)
        rows += _workflow_rows(config, source, sections, checkout, workflow_text)

    if not allow_duplicates:
        check_duplicates(rows, problems)
    if checkout is not None:
        _check_inside_checkout(rows, checkout, problems)
    pr_node = doc.get("pr")
    explicit = isinstance(pr_node, Mapping) and "branch" in pr_node
    branch_line = line_of_key(pr_node, "branch") if explicit else None
    check_pr_branches(config.pr.branch, rows, branch_line, report, base=config.target.base)
    problems.raise_if_any()
    return replace(config, matrix=tuple(with_gate_defaults(e, config.gates) for _, e in rows))


def _workflow_rows(
    config: Config,
    source: tuple[str, str],
    sections: Sections,
    checkout: Path | None,
    workflow_text: str | WorkflowFetcher | None,
) -> list[Row]:
    workflow, job = source
    line = sections.at("matrix_from", "workflow")
    report = sections.report
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
        for index, file in enumerate(entry.paths):
            problem = _escapes(checkout, file)
            if problem:
                where = f"{path}.files[{index}]" if entry.files else f"{path}.file"
                if index >= len(entry.pin_paths):
                    where = f"{path}.also"
                problems.add_at(entry.source, where, problem)
