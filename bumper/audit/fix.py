"""`bumper audit --fix`: add the suggested entries to the matrix, every other byte kept."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bumper import pinfiles
from bumper.audit.findings import Finding
from bumper.bump.checkout import read_pin_file
from bumper.config.load import MAX_CONFIG_BYTES, load_config, parse_config, read_text_file
from bumper.config.settings import Config
from bumper.errors import BumperError, ConfigError, FileError, FixError, PinError
from bumper.files import read_regular, write_atomically
from bumper.model import Entry, PinBy, is_sha


@dataclass(frozen=True, slots=True)
class FixResult:
    path: Path
    added: tuple[Entry, ...]
    skipped: tuple[tuple[Finding, str], ...]


def fixable(
    findings: Iterable[Finding], texts: Mapping[str, str] | None = None
) -> tuple[list[Suggestion], list[tuple[Finding, str]]]:
    """Entries to add for untracked Makefile pins and, given the files' ``texts``, for
    hidden pins where they are; the others with the reason they are left."""
    add: list[Suggestion] = []
    skipped: list[tuple[Finding, str]] = []
    hidden: list[Finding] = []
    for finding in findings:
        if finding.category == "hidden" and finding.managed_by is None:
            hidden.extend(copies(finding))  # hidden_rows groups the copies into one row again
            continue
        if finding.category != "untracked" or finding.variable is None:
            continue
        if not finding.repository:
            skipped.append((finding, "repository unknown; add the entry by hand"))
            continue
        entry = Entry(
            finding.repository, finding.variable, finding.branch or "master", finding.file
        )
        add.append((finding, entry))
    if hidden and texts is not None:
        rows, left = hidden_rows(hidden, texts, {e.variable for _, e in add})
        add += rows
        skipped += left
    return add, skipped


def copies(finding: Finding) -> list[Finding]:
    """A finding per place of one listing several (audit/repeats.py folds a repeated pin)."""
    if len(finding.places) == 1:
        return [finding]
    return [replace(finding, file=p.file, line=p.line, locations=()) for p in finding.places]


def hidden_rows(
    findings: Sequence[Finding], texts: Mapping[str, str], taken: Iterable[str] = ()
) -> tuple[list[Suggestion], list[tuple[Finding, str]]]:
    """PURE: a ready row for each hidden pin, bumped where it lives: its `variable` when the
    file's reader knows it, else `match:` (the text just before the sha on its line) and
    `name:`; one pin (same sha, same upstream, same text before it) in several files is one
    row with `files:`. Each row is proven by reading the pin back through bumper.pinfiles."""
    names = set(taken)
    groups: dict[tuple[str, str, str, str], list[tuple[Finding, Entry]]] = {}
    left: list[tuple[Finding, str]] = []
    for finding in findings:
        why, entry = _row_for(finding, texts)
        if entry is None:
            left.append((finding, why))
            continue
        key = (entry.repository, finding.value or "", entry.match or "", entry.variable)
        if entry.by is PinBy.VARIABLE:
            key = (*key[:3], f"{entry.variable}\0{entry.file}")  # a variable is per file
        group = groups.setdefault(key, [])
        if all(e.file != entry.file for _, e in group):
            group.append((finding, entry))
    rows: list[Suggestion] = []
    for group in groups.values():
        first_finding, first = group[0]
        files = tuple(e.file for _, e in group)
        entry = replace(first, files=files if len(files) > 1 else ())
        if entry.by is not PinBy.VARIABLE:
            entry = replace(entry, variable=_unique(entry.variable, names))
        names.add(entry.variable)
        rows.append((first_finding, entry))
    return rows, left


def _row_for(finding: Finding, texts: Mapping[str, str]) -> tuple[str, Entry | None]:
    if not finding.repository:
        return "repository unknown; add the entry by hand", None
    value, text = finding.value or "", texts.get(finding.file)
    if not is_sha(value):
        return "not a full sha; write the full 40-hex sha first", None
    if text is None:
        return f"{finding.file} could not be read to write the row", None
    branch = finding.branch or "master"
    candidates = []
    if finding.variable:
        candidates.append(Entry(finding.repository, finding.variable, branch, finding.file))
    match = _text_before(text, finding.line, value)
    if match:
        name = _name(finding.repository)
        candidates.append(
            Entry(finding.repository, name, branch, finding.file, match=match, by=PinBy.MATCH)
        )
    for entry in candidates:
        try:
            if pinfiles.value(entry, {finding.file: text}) == value:
                return "", entry
        except PinError:
            continue
    return "no text before the sha tells this pin apart on its line; add the row by hand", None


def _text_before(text: str, line: int, value: str) -> str | None:
    """The literal that precedes ``value`` on its line: the word it ends (`pkg@`,
    `git+https://host/o/n@`, `.../archive/`), else the word and spaces before it
    (`GIT_TAG        `, `checkout `)."""
    lines = text.split("\n")
    order = [line - 1] + [n for n in range(len(lines)) if n != line - 1]
    for number in order:
        if not 0 <= number < len(lines) or value not in lines[number]:
            continue
        before = lines[number][: lines[number].index(value)]
        word = re.search(r"[^\s\"'(=]*\Z", before)
        if word and word[0]:
            return word[0]
        spaced = re.search(r"[^\s\"'(=]+[ \t]+\Z", before)
        return spaced[0] if spaced else None
    return None


def _name(repository: str) -> str:
    tail = repository.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", tail).strip("-.")[:90] or "pin"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


Suggestion = tuple[Finding, Entry]


def fix_matrix(config: Config, checkout: Path | None, findings: Sequence[Finding]) -> FixResult:
    """Append entries for untracked pins to the config's matrix, or to the imported workflow's.

    Each entry is checked by the loader itself before anything is written (one it would
    refuse is left, with its reason), the file is replaced atomically, and the config is
    loaded again: should that fail, the original bytes are put back.
    """
    # A workflow's matrix feeds that workflow's own steps, which read Makefile rows: rows
    # of other shapes go only into bumper's own config.
    texts = _texts(checkout, findings) if config.matrix_from is None else None
    suggested, skipped = fixable(findings, texts)
    if config.matrix_from is not None:
        workflow, job = config.matrix_from
        if checkout is None:
            raise FixError(f"--fix needs --checkout to edit {workflow}")
        path = checkout / workflow
        keys: tuple[str, ...] = ("jobs", job, "strategy", "matrix", "include")
    else:
        path = config.path
        keys = ("matrix",)
    if not suggested:
        return FixResult(path, (), tuple(skipped))
    original = _read(path)
    text = original.decode("utf-8")  # _read proved it decodes
    loader = _Loader(config, checkout, path, text, keys)
    add, refused = loader.acceptable(suggested)
    skipped += refused
    if not add:
        return FixResult(path, (), tuple(skipped))
    write_atomically(path, add_matrix_entries(text, keys, add, filename=str(path)).encode())
    try:
        load_config(config.path, checkout, allow_duplicates=not loader.strict)
    except BumperError as exc:
        write_atomically(path, original)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FixError(f"{path}: the edited config did not load ({first}); restored") from None
    return FixResult(path, tuple(add), tuple(skipped))


def _texts(checkout: Path | None, findings: Sequence[Finding]) -> dict[str, str]:
    """The files of the hidden pins, read as run-once reads them (a row is proven on them)."""
    texts: dict[str, str] = {}
    if checkout is None:
        return texts
    for finding in findings:
        if finding.category != "hidden":
            continue
        for place in finding.places:
            if place.file not in texts:
                with contextlib.suppress(BumperError):
                    texts[place.file] = read_pin_file(checkout, place.file)
    return texts


def _read(path: Path) -> bytes:
    try:
        data = read_regular(path, MAX_CONFIG_BYTES, str(path), "a YAML file")
        data.decode("utf-8")
    except FileError as exc:
        raise FixError(str(exc)) from None
    except UnicodeDecodeError:
        raise FixError(f"{path}: not valid UTF-8; nothing written") from None
    return data


class _Loader:
    """The loader's verdict on the file with some entries added, without writing it."""

    def __init__(
        self, config: Config, checkout: Path | None, path: Path, text: str, keys: Sequence[str]
    ) -> None:
        self.config = config
        self.checkout = checkout
        self.path = path
        self.text = text
        self.keys = keys
        # The audit loads a config with duplicate rows; run-once refuses them. Hold the
        # additions to run-once's rule unless the config already breaks it.
        self.strict = True  # first asked of the file as it is
        self.strict = not self.problems([])

    def problems(self, entries: Sequence[Entry]) -> list[str]:
        try:
            text = (
                add_matrix_entries(self.text, self.keys, entries, filename=str(self.path))
                if entries
                else self.text
            )
        except FixError as exc:
            return [str(exc)]
        config_path = str(self.config.path)
        try:
            if self.config.matrix_from is None:
                parse_config(text, config_path, self.checkout, None, not self.strict)
            else:
                own = read_text_file(self.config.path, config_path)
                parse_config(own, config_path, self.checkout, text, not self.strict)
        except ConfigError as exc:
            return [_unplaced(m, (config_path, str(self.path))) for m in exc.problems]
        return []

    def acceptable(
        self, suggested: Sequence[Suggestion]
    ) -> tuple[list[Entry], list[tuple[Finding, str]]]:
        """The entries the loader takes, and the findings of those it would refuse, why."""
        if not self.problems([e for _, e in suggested]):
            return [e for _, e in suggested], []
        add: list[Entry] = []
        refused: list[tuple[Finding, str]] = []
        for finding, entry in suggested:  # one by one, to tell which entry is at fault
            problems = self.problems([*add, entry])
            if problems:
                refused.append((finding, "; ".join(problems)))
            else:
                add.append(entry)
        return add, refused


def _unplaced(message: str, files: Sequence[str]) -> str:
    """A loader message without its FILE:LINE: prefix, which names a file never written."""
    for name in files:
        match = re.match(rf"{re.escape(name)}(?::\d+)?: ", message)
        if match:
            return message[match.end() :]
    return message


def add_matrix_entries(
    text: str, keys: Sequence[str], entries: Sequence[Entry], *, filename: str = "the config"
) -> str:
    """`text` with `entries` appended to the block list at `keys`, every other byte kept.

    ruamel's round-trip parse finds the list and the style of its last item (indentation,
    quoting, key order); the new items are written in that style right after it, and the
    result is parsed again to prove the list grew by exactly these items.
    """
    from ruamel.yaml import YAML

    try:
        doc = YAML(typ="rt").load(text)
    except Exception as exc:  # ruamel raises many kinds; any of them means "do not touch"
        raise FixError(f"{filename}: cannot parse YAML: {exc}") from None
    if len(keys) == 1 and isinstance(doc, dict) and keys[0] not in doc:
        # No list yet: start one at the end of the file, in the style the examples use.
        lines = _LINE.findall(text)
        newline = "\r\n" if text.endswith("\r\n") else "\n"
        body = "".join(lines)
        if body and not body.endswith(("\n", "\r")):
            body += newline
        block = [f"{keys[0]}:{newline}"] + [
            f"{'  - ' if i == 0 else '    '}{k}: {_quoted(v, '')}{newline}"
            for e in entries
            for i, (k, v) in enumerate(_entry_map(e).items())
        ]
        result = body + "".join(block)
        _prove(result, keys, [], [_entry_map(e) for e in entries], filename)
        return result
    parent, node = _walk(doc, keys, filename)
    where = f"{filename}: `{'.'.join(keys)}`"
    if node is not None and not isinstance(node, list):
        raise FixError(f"{where} is not a list")
    if node is not None and _flow(node):
        raise FixError(f"{where} is a flow list ([...]); add the entries by hand")
    lines = _LINE.findall(text)
    items = [_entry_map(e) for e in entries]
    if not node:
        key_line, key_col = parent.lc.key(keys[-1])
        dash_col, key_indent, quote, order = key_col + 2, key_col + 4, "", list(items[0])
        insert_at = key_line + 1
        while insert_at < len(lines) and (
            not lines[insert_at].strip()
            or (lines[insert_at].lstrip().startswith("#") and _indent(lines[insert_at]) > key_col)
        ):
            insert_at += 1
        while insert_at > key_line + 1 and not lines[insert_at - 1].strip():
            insert_at -= 1  # leave blank lines between the list and what follows
    else:
        last = len(node) - 1
        seq: Any = node
        item_line, key_indent = seq.lc.item(last)
        dash_col = lines[item_line].rfind("-", 0, key_indent)
        item = node[last]
        if dash_col < 0 or not isinstance(item, dict) or _flow(item):
            raise FixError(f"{filename}:{item_line + 1}: the last item is not a block mapping")
        order = [k for k in item if k in items[0]] + [k for k in items[0] if k not in item]
        quote = _quote_style(lines[item_line])
        insert_at = item_line + 1
        for index in range(item_line + 1, len(lines)):
            line = lines[index]
            if not line.strip():
                continue
            if _indent(line) <= dash_col:
                if line.lstrip().startswith("#"):
                    continue  # a comment at the list's level (a commented-out item) stays put
                break
            insert_at = index + 1
    newline = next((m[0] for line in lines for m in [re.search(r"\r\n|\r|\n", line)] if m), "\n")
    block = []
    for mapping in items:
        own = [k for k in order if k in mapping] + [k for k in mapping if k not in order]
        for index, key in enumerate(own):
            if index == 0:
                prefix = " " * dash_col + "-" + " " * max(1, key_indent - dash_col - 1)
            else:
                prefix = " " * key_indent
            block.append(f"{prefix}{key}: {_quoted(mapping[key], quote)}{newline}")
    if insert_at >= len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    result = "".join([*lines[:insert_at], *block, *lines[insert_at:]])
    _prove(result, keys, node, items, filename)
    return result


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _walk(doc: Any, keys: Sequence[str], filename: str) -> tuple[Any, Any]:
    parent, node = None, doc
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            if depth == len(keys) - 1 and isinstance(node, dict):
                raise FixError(f"{filename}: no `{'.'.join(keys)}` list to add entries to")
            raise FixError(f"{filename}: `{'.'.join(keys[: depth + 1])}` not found")
        parent, node = node, node[key]
    return parent, node


def _flow(node: Any) -> bool:
    try:
        return bool(node.fa.flow_style())
    except AttributeError:
        return False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _quote_style(line: str) -> str:
    match = re.search(r":\s*([\"'])", line)
    return match[1] if match else ""


def _entry_map(entry: Entry) -> dict[str, str | list[str]]:
    """The row's keys as a person would write them (see config/README.md)."""
    row: dict[str, str | list[str]] = {"repository": entry.repository}
    if entry.by is PinBy.VARIABLE:
        row["variable"] = entry.variable
    else:
        row["name"] = entry.variable
        if entry.match is not None:
            row["match"] = entry.match
    row["branch"] = entry.branch
    if entry.files:
        row["files"] = list(entry.files)
    else:
        row["file"] = entry.file
    return row


_PLAIN_SAFE = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_./+-]*\Z")


def _quoted(value: str | list[str], quote: str) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_quoted(item, quote) for item in value) + "]"
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if (
        quote == '"'
        or not _PLAIN_SAFE.match(value)
        or value.lower() in ("yes", "no", "on", "off", "true", "false", "null")
    ):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _prove(
    result: str,
    keys: Sequence[str],
    before: Any,
    items: Sequence[dict[str, str | list[str]]],
    filename: str,
) -> None:
    from ruamel.yaml import YAML

    try:
        doc = YAML(typ="safe").load(result)
    except Exception as exc:
        raise FixError(f"{filename}: the edit would not parse ({exc}); nothing written") from None
    node: Any = doc
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    old = list(before or [])
    if not isinstance(node, list) or len(node) != len(old) + len(items):
        raise FixError(f"{filename}: the edit did not add exactly the new entries; nothing written")
    added = node[len(old) :]
    if [dict(a) for a in added] != [dict(i) for i in items]:
        raise FixError(f"{filename}: the new entries did not read back as written; nothing written")
