"""Audit: every commit pin in a checkout, and whether the bump matrix keeps it current.

Extract (pins.py for Makefiles, scan.py for everything else), optionally look upstreams up,
then categorize. Reading and look-ups happen at the edges (`collect`, `look_up`); `categorize`
is pure. Nothing here writes, except `fix_matrix`, which --fix calls on purpose.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import httpx

from bumper import pins, scan
from bumper.errors import BumperError, PinError, UpstreamError
from bumper.model import Entry, Head, Location, is_sha
from bumper.settings import Config

CATEGORIES = ("broken", "untracked", "hidden", "held", "tracked")
PROBLEMS = frozenset({"broken", "untracked", "hidden"})
MAX_BYTES = 1 << 20  # larger files are data, not build scripts
BINARY_PROBE = 8192
PLACEHOLDER = "OWNER/NAME"
GUESSED_BRANCHES = ("main", "master")
_NOT_SCRIPTS = {"LICENSE", "COPYING", "NOTICE", "AUTHORS", "README", "CODEOWNERS", "VERSION"}
_NOT_SCRIPTS |= {"CHANGELOG", "OWNERS", "MAINTAINERS", "CONTRIBUTORS", "PATENTS", "Procfile"}
_WALK_SKIP = {".git", "node_modules", "vendor", ".venv", "venv", "__pycache__", ".tox"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report. `line` is 1-based; `category` is one of CATEGORIES."""

    file: str
    line: int
    kind: str
    variable: str | None
    value: str | None
    repository: str | None
    category: str
    message: str
    suggestion: str = ""
    managed_by: str | None = None
    branch: str | None = None
    behind: int | None = None  # commits the pin lags its upstream branch (with look-ups)
    head: str | None = None  # the upstream branch's head (with look-ups)
    age_days: int | None = None  # how old the pinned commit is (with look-ups and a token)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "kind": self.kind,
            "variable": self.variable,
            "value": self.value,
            "repository": self.repository,
            "category": self.category,
            "message": self.message,
            "suggestion": self.suggestion,
            "managed_by": self.managed_by,
            "branch": self.branch,
            "behind": self.behind,
            "head": self.head,
            "age_days": self.age_days,
        }


@dataclass(frozen=True, slots=True)
class Audit:
    findings: tuple[Finding, ...]
    checkout: str
    files_listed: int = 0
    files_read: int = 0
    seconds: float = 0.0
    looked_up: bool = False
    requests: Mapping[str, int] = field(default_factory=dict)
    entries: int = 0

    @property
    def has_problems(self) -> bool:
        return any(f.category in PROBLEMS for f in self.findings)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(CATEGORIES, 0)
        for finding in self.findings:
            counts[finding.category] += 1
        return counts

    def summary(self) -> dict[str, Any]:
        return {
            "total": len(self.findings),
            **self.counts(),
            "managed": sum(1 for f in self.findings if f.managed_by),
            "problems": sum(1 for f in self.findings if f.category in PROBLEMS),
            "matrix_entries": self.entries,
            "files_listed": self.files_listed,
            "files_read": self.files_read,
            "seconds": round(self.seconds, 3),
            "lookups": self.looked_up,
            "requests": dict(self.requests),
            "checkout": self.checkout,
        }


# --- the edge: reading a checkout --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Extract:
    """What a checkout holds: Makefile texts and the hidden pins of every other file."""

    makefiles: Mapping[str, str]  # path -> text, every Makefile that assigns something
    hits: Mapping[str, tuple[scan.Hit, ...]]  # path -> hidden (and, with managed, managed) pins
    existing: frozenset[str]  # every listed path, to tell a missing entry file
    files_listed: int = 0
    files_read: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)  # texts of the matrix entries' files


def list_files(root: Path) -> tuple[list[str], dict[str, str]]:
    """Paths under `root` (git's view when it is a work tree) and submodule commits by path."""
    listed = _git_ls_files(root)
    if listed is not None:
        return listed
    paths: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _WALK_SKIP)
        base = Path(directory).relative_to(root)
        paths.extend((base / name).as_posix() for name in sorted(files))
    return paths, {}


def _git_ls_files(root: Path) -> tuple[list[str], dict[str, str]] | None:
    command = ["git", "-C", str(root), "-c", "core.quotepath=off", "ls-files", "-z"]
    try:
        staged = subprocess.run(
            [*command, "--stage"], capture_output=True, check=True, timeout=60
        ).stdout
        others = subprocess.run(
            [*command, "--others", "--exclude-standard"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths: list[str] = []
    gitlinks: dict[str, str] = {}
    for record in staged.split(b"\0"):
        if not record:
            continue
        meta, _, raw = record.partition(b"\t")
        path = raw.decode("utf-8", "surrogateescape")
        mode, sha, stage = meta.decode().split()
        if mode == "160000":
            gitlinks[path] = sha
        elif stage in ("0", "2"):  # in a merge conflict, "ours"
            paths.append(path)
    paths.extend(p.decode("utf-8", "surrogateescape") for p in others.split(b"\0") if p)
    return list(dict.fromkeys(paths)), gitlinks


def read_text(root: Path, path: str) -> str | None:
    """The text of a regular, small, non-binary file; None otherwise."""
    try:
        with open(os.path.join(root, path), "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES or b"\0" in data[:BINARY_PROBE]:
        return None
    return data.decode("utf-8", "replace")


def collect(root: Path, *, managed: bool = False, extra: Iterable[str] = ()) -> Extract:
    """Read each candidate file of a checkout once and extract its pins.

    `extra` are paths to read whatever their name (matrix entry files).
    """
    paths, gitlinks = list_files(root)
    existing = set(paths)
    wanted = {p for p in extra if p in existing or (root / p).is_file()}
    paths += sorted(wanted - existing)
    texts = {path: read_text(root, path) for path, _ in candidates(paths, wanted)}
    if managed and gitlinks:
        texts[".gitmodules"] = read_text(root, ".gitmodules")
    return extract_texts(paths, texts, gitlinks, wanted=wanted, managed=managed)


def candidates(paths: Iterable[str], wanted: Iterable[str] = ()) -> list[tuple[str, str | None]]:
    """(path, kind) of the files worth reading; kind "shell?" when only a shebang can tell."""
    wanted = set(wanted)
    chosen: list[tuple[str, str | None]] = []
    for path in paths:
        kind = scan.classify(path)
        if kind is None:
            name = path.rsplit("/", 1)[-1]
            if "." not in name and name not in _NOT_SCRIPTS and not _under_skipped(path):
                kind = "shell?"
            elif path not in wanted:
                continue
        chosen.append((path, kind))
    return chosen


def extract_texts(
    paths: Sequence[str],
    texts: Mapping[str, str | None],
    gitlinks: Mapping[str, str],
    *,
    wanted: Iterable[str] = (),
    managed: bool = False,
) -> Extract:
    """Pins from the texts of the candidate files (None: unreadable, binary or too large)."""
    wanted = set(wanted)
    makefiles: dict[str, str] = {}
    extra: dict[str, str] = {}
    hits: dict[str, tuple[scan.Hit, ...]] = {}
    for path, kind in candidates(paths, wanted):
        text = texts.get(path)
        if text is None:
            continue
        if path in wanted:
            extra[path] = text
        if kind == "shell?":
            if not scan.is_shell_script(text[:200]):
                continue
            kind = "shell"
        if kind is None:  # a matrix entry's file of another name: it holds make-style pins
            makefiles[path] = text
            continue
        if kind == "makefile":
            makefiles[path] = text
        found = scan.scan(path, text, kind, managed=managed)
        if found:
            hits[path] = tuple(found)
    if managed and gitlinks:
        modules = texts.get(".gitmodules") or ""
        where = ".gitmodules"
        for path, sha in sorted(gitlinks.items()):
            key = where if modules else path
            hits[key] = (*hits.get(key, ()), _submodule_hit(path, sha, modules))
    read = sum(1 for path in texts if path != ".gitmodules")
    return Extract(makefiles, hits, frozenset(paths), len(paths), read, extra)


def _under_skipped(path: str) -> bool:
    """Would scan.classify skip this path for where it lives (tests, vendor, ...)?"""
    directory = path.rpartition("/")[0]
    return scan.classify(f"{directory}/x.sh" if directory else "x.sh") is None


def _submodule_hit(path: str, sha: str, modules: str) -> scan.Hit:
    line, url = 1, None
    lines = modules.split("\n")
    for index, text in enumerate(lines):
        match = re.match(r"\s*path\s*=\s*(.+?)\s*\Z", text)
        if match and match[1] == path:
            line = index + 1
            for other in lines[max(0, index - 4) : index + 5]:
                found = re.match(r"\s*url\s*=\s*(.+?)\s*\Z", other)
                if found:
                    url = found[1]
                    break
            break
    return scan.Hit(
        line,
        "submodule",
        sha,
        None,
        url,
        managed_by=scan.MANAGED,
        detail=f"the commit of submodule {path}",
    )


# --- the edge: look-ups ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lookups:
    """Answers from upstreams; empty when look-ups were skipped."""

    heads: Mapping[tuple[str, str], Head | UpstreamError] = field(default_factory=dict)
    behind: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (repository, old)
    committed: Mapping[tuple[str, str], float] = field(default_factory=dict)  # (repo, sha): epoch
    as_of: float = 0.0  # when the look-ups were made, to turn commit dates into ages


def look_up(
    config: Config,
    entries: Sequence[Entry],
    pinned: Mapping[tuple[str, str], str],
    probes: Iterable[str],
    *,
    client: httpx.Client,
    environ: Mapping[str, str] | None = None,
) -> Lookups:
    """Heads of every active entry, how far each pin lags, and main/master of `probes`."""
    from bumper.upstream import compare, lookup_heads

    token = config.github.token(dict(environ) if environ is not None else None)
    asked = list(entries)
    for repository in dict.fromkeys(probes):
        asked.extend(Entry(repository, "PROBE", branch, "-") for branch in GUESSED_BRANCHES)
    heads = lookup_heads(
        asked, client=client, github=config.github, lookup=config.lookup, token=token
    )
    jobs: list[tuple[str, str, str]] = []
    for entry in entries:
        head = heads.get((entry.repository, entry.branch))
        old = pinned.get(entry.key)
        if isinstance(head, Head) and old and is_sha(old) and old != head.sha:
            jobs.append((head.moved_to or entry.repository, old, head.sha))
    jobs = list(dict.fromkeys(jobs))

    def one(job: tuple[str, str, str]) -> int | None:
        repository, old, new = job
        result = compare(repository, old, new, client=client, github=config.github, token=token)
        return None if result is None else result.ahead_by

    behind: dict[tuple[str, str], int] = {}
    if jobs:
        workers = max(1, min(config.lookup.concurrency, len(jobs)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compare") as pool:
            for job, ahead in zip(jobs, pool.map(one, jobs), strict=True):
                if ahead is not None:
                    behind[(job[0], job[1])] = ahead
    committed: dict[tuple[str, str], float] = {}
    if token:
        wanted = [(e.repository, pinned[e.key]) for e in entries if is_sha(pinned.get(e.key, ""))]
        committed = _commit_dates(config, client, token.reveal(), wanted)
    return Lookups(heads, behind, committed, time.time())


def _commit_dates(
    config: Config, client: httpx.Client, secret: str, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], float]:
    """When each pinned commit was made, from batched GraphQL queries; what fails stays unknown."""
    from datetime import datetime

    from bumper.upstream import resolve_upstream

    located: list[tuple[tuple[str, str], tuple[str, str]]] = []
    for repository, sha in dict.fromkeys(pairs):
        try:
            upstream = resolve_upstream(repository, config.github, allow_http=True)
        except UpstreamError:
            continue
        if upstream.owner_name is not None:
            located.append(((repository, sha), upstream.owner_name))
    dates: dict[tuple[str, str], float] = {}
    headers = {"Authorization": f"bearer {secret}", "Accept": "application/json"}
    for start in range(0, len(located), 50):
        batch = located[start : start + 50]
        fields = " ".join(
            f"c{i}: repository(owner: {json.dumps(o)}, name: {json.dumps(n)}) "
            f"{{ object(oid: {json.dumps(sha)}) {{ ... on Commit {{ committedDate }} }} }}"
            for i, ((_, sha), (o, n)) in enumerate(batch)
        )
        try:
            response = client.post(
                config.github.graphql_url, json={"query": f"query {{ {fields} }}"}, headers=headers
            )
            data = response.json().get("data") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            continue
        if not isinstance(data, dict):
            continue
        for i, (key, _) in enumerate(batch):
            node = data.get(f"c{i}")
            found = node.get("object") if isinstance(node, dict) else None
            stamp = found.get("committedDate") if isinstance(found, dict) else None
            if isinstance(stamp, str):
                try:
                    dates[key] = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                except ValueError:
                    continue
    return dates


# --- the core: categorize ----------------------------------------------------------------------


def categorize(
    entries: Sequence[Entry],
    extract: Extract,
    *,
    config_file: str,
    hosts: Sequence[str] = ("https://github.com",),
    lookups: Lookups | None = None,
    entry_texts: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every finding, problems first. Pure: all text and answers are given."""
    lookups = lookups or Lookups()
    texts = dict(extract.makefiles)
    texts.update(entry_texts or {})
    findings: list[Finding] = []
    covered: dict[tuple[str, str], Entry] = {}
    seen: dict[tuple[str, str], Entry] = {}
    makefile_pins = {path: makefile_pins_of(text) for path, text in extract.makefiles.items()}
    by_variable: dict[str, list[tuple[str, pins.Pin]]] = {}
    for path, found in makefile_pins.items():
        for pin in found:
            by_variable.setdefault(pin.variable, []).append((path, pin))

    for entry in entries:
        file = _clean(entry.file)
        where_file, where_line = _source(entry, config_file)
        if entry.key in seen or (file, entry.variable) in seen:
            first = seen.get(entry.key) or seen[(file, entry.variable)]
            findings.append(
                Finding(
                    where_file,
                    where_line,
                    "matrix-entry",
                    entry.variable,
                    None,
                    entry.repository,
                    "broken",
                    f"duplicate matrix entry: {entry.variable} in {file} is already covered by "
                    f"the entry at {_where(first, config_file)}",
                    "remove one of the two entries",
                    branch=entry.branch,
                )
            )
            continue
        seen[(file, entry.variable)] = entry
        text = texts.get(file)
        if text is None:
            close = difflib.get_close_matches(file, sorted(extract.makefiles), n=1, cutoff=0.9)
            hint = f"; did you mean {close[0]}?" if close else ""
            findings.append(
                Finding(
                    where_file,
                    where_line,
                    "matrix-entry",
                    entry.variable,
                    None,
                    entry.repository,
                    "broken",
                    f"matrix entry {entry.variable}: file {file} does not exist in the checkout",
                    f"fix `file:` in the entry{hint}"
                    if hint
                    else "fix `file:` or remove the entry",
                    branch=entry.branch,
                )
            )
            continue
        try:
            pin = pins.read_pin(text, entry.variable, file)
        except PinError as exc:
            elsewhere = [p for p, _ in by_variable.get(entry.variable, []) if p != file]
            if elsewhere:
                fix = f"point `file:` at {elsewhere[0]}, where {entry.variable} is pinned"
            else:
                fix = f"fix `variable:`, or pin `{entry.variable}?=<sha>` in {file}"
            findings.append(
                Finding(
                    where_file,
                    where_line,
                    "matrix-entry",
                    entry.variable,
                    None,
                    entry.repository,
                    "broken",
                    f"matrix entry {entry.variable}: {exc}",
                    fix,
                    branch=entry.branch,
                )
            )
            continue
        covered[(file, entry.variable)] = entry
        sibling = pins.sibling_repository(text, entry.variable)
        findings.append(_entry_finding(entry, file, pin, sibling, hosts, lookups))

    hidden_by_variable: dict[str, list[tuple[str, scan.Hit]]] = {}
    for path, hits in extract.hits.items():
        for hit in hits:
            if hit.variable:
                hidden_by_variable.setdefault(hit.variable, []).append((path, hit))

    for path, found in sorted(makefile_pins.items()):
        loose = [pin for pin in found if (path, pin.variable) not in covered]
        if not loose:
            continue
        repositories = upstreams(extract.makefiles[path], [p.variable for p in loose], hosts)
        for pin in loose:
            findings.append(_untracked(path, pin, repositories.get(pin.variable), lookups))

    makefile_paths = sorted(extract.makefiles)
    for path, hits in sorted(extract.hits.items()):
        for hit in hits:
            findings.append(
                _hidden(path, hit, hosts, makefile_paths, by_variable, covered, lookups)
            )
    rank = {category: index for index, category in enumerate(CATEGORIES)}
    findings.sort(key=lambda f: (rank[f.category], f.managed_by is not None, f.file, f.line))
    return findings


def _clean(path: str) -> str:
    return PurePosixPath(path.removeprefix("./")).as_posix()


def _source(entry: Entry, config_file: str) -> tuple[str, int]:
    if entry.source is not None:
        return entry.source.file, entry.source.line
    return config_file, 1


def _where(entry: Entry, config_file: str) -> str:
    file, line = _source(entry, config_file)
    return f"{file}:{line}"


def _short(sha: str | None) -> str:
    return sha[:12] if sha else ""


def _entry_finding(
    entry: Entry,
    file: str,
    pin: pins.Pin,
    sibling: str | None,
    hosts: Sequence[str],
    lookups: Lookups,
) -> Finding:
    base = Finding(
        file,
        pin.line,
        "makefile",
        entry.variable,
        pin.value,
        entry.repository,
        "tracked",
        "",
        branch=entry.branch,
    )
    note = ""
    if sibling:
        named = scan.normalize_repository(sibling, hosts)
        if named.lower() != scan.normalize_repository(entry.repository, hosts).lower():
            note = f"; note: the Makefile's own repository variable points at {named}"
    if entry.hold is not None:
        return replace(
            base,
            category="held",
            message=f"held: {entry.hold}{note}",
            suggestion="remove `hold` from the entry once the reason is gone",
        )
    answer = lookups.heads.get((entry.repository, entry.branch))
    if isinstance(answer, UpstreamError):
        return replace(
            base,
            kind="matrix-entry",
            category="broken",
            message=f"matrix entry {entry.variable}: upstream look-up failed: {answer}",
            suggestion="fix `repository:` or `branch:` (or remove the entry if upstream is gone)",
        )
    if isinstance(answer, Head):
        if answer.moved_to:
            return replace(
                base,
                kind="matrix-entry",
                category="broken",
                head=answer.sha,
                message=(
                    f"matrix entry {entry.variable}: upstream {entry.repository} was renamed or "
                    f"transferred to {answer.moved_to}"
                ),
                suggestion=f"set `repository: {answer.moved_to}` in the entry",
            )
        if answer.sha == pin.value:
            return replace(
                base,
                head=answer.sha,
                behind=0,
                age_days=_age_days(lookups, entry.repository, pin.value),
                message=f"tracked on {entry.branch}; up to date{note}",
            )
        behind = lookups.behind.get((entry.repository, pin.value))
        lag = f"{behind} commit{'s' * (behind != 1)} behind" if behind is not None else "behind"
        age = _age_days(lookups, entry.repository, pin.value)
        old = f", pinned commit {age} day{'s' * (age != 1)} old" if age is not None else ""
        return replace(
            base,
            head=answer.sha,
            behind=behind,
            age_days=age,
            message=f"tracked on {entry.branch}; {lag} (head {_short(answer.sha)}){old}{note}",
        )
    return replace(base, message=f"tracked on {entry.branch}{note}")


def _age_days(lookups: Lookups, repository: str, sha: str) -> int | None:
    stamp = lookups.committed.get((repository, sha))
    if stamp is None or not lookups.as_of:
        return None
    return max(0, int((lookups.as_of - stamp) // 86400))


def _branch_guess(repository: str | None, named: str | None, lookups: Lookups) -> tuple[str, str]:
    """A branch for a suggested entry and a note on how sure it is."""
    if named and not named.startswith("$"):
        return named, ""
    if repository and repository != PLACEHOLDER:
        for branch in GUESSED_BRANCHES:
            if isinstance(lookups.heads.get((repository, branch)), Head):
                return branch, ""
        if any((repository, b) in lookups.heads for b in GUESSED_BRANCHES):
            return "master", " (neither main nor master answered: check the branch)"
    return "master", " (branch guessed: check upstream's default branch)"


def entry_yaml(repository: str, variable: str, branch: str, file: str) -> str:
    return f"- repository: {repository}\n  variable: {variable}\n  branch: {branch}\n  file: {file}"


_ABBREVIATED = re.compile(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,39}")


def makefile_pins_of(text: str) -> list[pins.Pin]:
    """Full-sha pins, and pin-like names (X_VERSION, X_COMMIT, ...) set to an abbreviated sha."""
    found = []
    for assignment in pins.find_assignments(text):
        name, value = assignment.variable, assignment.value
        if assignment.problem is None:
            # GO_SHA256?=<64 hex> is a checksum and EMPTY_TREE a git constant, not pins.
            if scan.plausible_commit_variable(name, value) and value not in scan.NOT_PINS:
                found.append(assignment)
        elif (
            _ABBREVIATED.fullmatch(value)
            and scan.variable_stem(name)
            and assignment.operator not in ("+=", "!=", "define")
            and not assignment.continued
        ):
            found.append(assignment)
    return found


def upstreams(text: str, variables: Sequence[str], hosts: Sequence[str]) -> dict[str, str]:
    """The repository of each Makefile pin: a sibling X_REPO variable, else the recipe's clone."""
    found: dict[str, str] = {}
    for variable in variables:
        sibling = pins.sibling_repository(text, variable)
        if sibling:
            found[variable] = scan.normalize_repository(sibling, hosts)
    missing = [v for v in variables if v not in found]
    for variable, url in scan.recipe_repositories(text, missing).items():
        found[variable] = scan.normalize_repository(url, hosts)
    missing = [v for v in variables if v not in found]
    if len(missing) == 1 and len({p.variable for p in makefile_pins_of(text)}) == 1:
        # One pin and one repository URL in the file (BUUN_VERSION beside LLAMA_REPO): a pair.
        urls = {
            a.value
            for a in pins.find_assignments(text)
            if re.search(r"REPO|GIT_URL|REMOTE", a.variable, re.I)
            and re.fullmatch(r"(?:https?://|git@)\S*(?:github\.com[/:]\S+|\.git)", a.value)
        }
        if len(urls) == 1:
            found[missing[0]] = scan.normalize_repository(urls.pop(), hosts)
    return found


def _untracked(path: str, pin: pins.Pin, repository: str | None, lookups: Lookups) -> Finding:
    branch, note = _branch_guess(repository, None, lookups)
    known = repository or PLACEHOLDER
    where = "" if repository else "; repository unknown: replace OWNER/NAME"
    if not is_sha(pin.value):
        where += "; the value is an abbreviated sha: write the full 40-hex sha"
    return Finding(
        path,
        pin.line,
        "makefile",
        pin.variable,
        pin.value,
        repository,
        "untracked",
        f"no matrix entry covers this Makefile pin: it is never bumped{where}{note}",
        "add to the matrix:\n" + entry_yaml(known, pin.variable, branch, path),
        branch=branch,
    )


_HOW_TO_PASS = {
    "dockerfile": "pass it as `--build-arg {var}=$({var})` and keep `ARG {var}` without a default",
    "shell": "call the script as `{var}=$({var}) bash {name}` and make it require the variable",
    "workflow": "have the step read it from the Makefile (e.g. `make -s -C {dir} print-{var}`)",
    "requirements": "install it from the Makefile as `pip install git+URL@$({var})`",
    "manifest": "install it from the Makefile as `pip install git+URL@$({var})`",
    "cmake": "pass `-D{var}=$({var})` to cmake and use `GIT_TAG ${{{var}}}`",
    "makefile": "use `$({var})` in the recipe instead of the literal sha",
}


def _hidden(
    path: str,
    hit: scan.Hit,
    hosts: Sequence[str],
    makefiles: Sequence[str],
    by_variable: Mapping[str, list[tuple[str, pins.Pin]]],
    covered: Mapping[tuple[str, str], Entry],
    lookups: Lookups,
) -> Finding:
    repository = scan.normalize_repository(hit.repository, hosts) if hit.repository else None
    if hit.managed_by:
        return Finding(
            path,
            hit.line,
            hit.kind,
            hit.variable,
            hit.value,
            repository,
            "tracked",
            f"managed by {hit.managed_by}: {hit.detail}",
            "",
            managed_by=hit.managed_by,
        )
    variable = _suggested_variable(hit, repository, path)
    makefile = _nearest_makefile(path, makefiles)
    kind_of_file = scan.classify(path) or "shell"
    short = "" if is_sha(hit.value) else " (an abbreviated sha)"
    message = f"{hit.detail}{short}: no matrix entry bumps it"
    if kind_of_file == "makefile":
        message = f"{hit.detail}{short}: a literal in a recipe, not a variable the matrix can bump"
    existing = [(p, pin) for p, pin in by_variable.get(hit.variable or "", []) if p != path]
    if existing:
        source, pin = min(existing, key=lambda item: _distance(path, item[0]))
        state = "tracked" if (source, pin.variable) in covered else "untracked"
        stale = "the same sha today" if pin.value == hit.value else f"{_short(pin.value)} there"
        suggestion = (
            f"{hit.variable} is already pinned in {source} ({state}; {stale}): take it from there "
            f"instead of keeping a copy here"
        )
        how = _HOW_TO_PASS.get(kind_of_file)
        if how:
            suggestion += "; " + how.format(
                var=hit.variable,
                name=PurePosixPath(path).name,
                dir=str(PurePosixPath(source).parent),
            )
        return Finding(
            path,
            hit.line,
            hit.kind,
            hit.variable,
            hit.value,
            repository,
            "hidden",
            message + f" (a second copy of {source}'s {hit.variable})",
            suggestion,
        )
    branch, note = _branch_guess(repository, hit.branch, lookups)
    how = _HOW_TO_PASS.get(kind_of_file, "pass it to where it is used")
    how = how.format(
        var=variable, name=PurePosixPath(path).name, dir=str(PurePosixPath(makefile).parent)
    )
    unknown = "" if repository else "; repository unknown: replace OWNER/NAME"
    suggestion = (
        f"move it to {makefile} as `{variable}?={hit.value}`, {how}, and add a matrix entry "
        f"{{repository: {repository or PLACEHOLDER}, variable: {variable}, branch: {branch}, "
        f"file: {makefile}}}{note}{unknown}"
    )
    return Finding(
        path,
        hit.line,
        hit.kind,
        hit.variable,
        hit.value,
        repository,
        "hidden",
        message,
        suggestion,
        branch=branch,
    )


def _distance(a: str, b: str) -> int:
    """Steps between the directories of two paths (up to the common parent, then down)."""
    pa, pb = a.split("/")[:-1], b.split("/")[:-1]
    common = 0
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common += 1
    return len(pa) + len(pb) - 2 * common


def _nearest_makefile(path: str, makefiles: Sequence[str]) -> str:
    """The Makefile in the file's directory or the closest one above it, else a new one beside."""
    known = set(makefiles)
    directory = path.rpartition("/")[0]
    if directory.split("/")[0] == ".github":  # workflows and CI scripts: the top-level Makefile
        directory = ""
    start = directory
    while True:
        for name in ("Makefile", "GNUmakefile", "makefile"):
            candidate = f"{directory}/{name}" if directory else name
            if candidate in known:
                return candidate
        if not directory:
            return f"{start}/Makefile" if start else "Makefile"
        directory = directory.rpartition("/")[0]


def _suggested_variable(hit: scan.Hit, repository: str | None, path: str) -> str:
    if hit.variable and scan.variable_stem(hit.variable):
        return hit.variable
    name = ""
    if repository:
        name = repository.rstrip("/").split("/")[-1]
    if not name:
        name = PurePosixPath(path).parent.name or "UPSTREAM"
    stem = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() or "UPSTREAM"
    if stem[0].isdigit():
        stem = "_" + stem
    return f"{stem}_VERSION"


# --- orchestration -----------------------------------------------------------------------------


def run_audit(
    config: Config,
    checkout: Path | None,
    *,
    lookup: bool = True,
    managed: bool = False,
    environ: Mapping[str, str] | None = None,
    client_factory: Callable[[], httpx.Client] | None = None,
    extract: Extract | None = None,
    lookups: Lookups | None = None,
) -> tuple[Audit, Extract, Lookups]:
    """Audit `checkout` against `config`'s matrix. Returns what it read and learnt for reuse.

    Without a checkout, `extract` (read through the API by `fetch_extract`) is required.
    """
    started = time.monotonic()
    entry_files = {_clean(e.file) for e in config.matrix}
    if extract is None:
        if checkout is None:
            raise ValueError("run_audit needs a checkout or an extract")
        extract = collect(checkout, managed=managed, extra=entry_files)
    entry_texts = {f: t for f in entry_files if (t := _entry_text(f, extract)) is not None}
    requests: dict[str, int] = {}
    if lookup and lookups is None:
        lookups, requests = _look_up(config, extract, entry_texts, environ, client_factory)
    config_file = _display_path(config.path, checkout)
    entries = [
        replace(e, source=Location(_display_path(Path(e.source.file), checkout), e.source.line))
        if e.source is not None
        else e
        for e in config.matrix
    ]
    where = str(checkout) if checkout is not None else _remote_label(config)
    findings = categorize(
        entries,
        extract,
        config_file=config_file,
        hosts=_hosts(config),
        lookups=lookups,
        entry_texts=entry_texts,
    )
    audit = Audit(
        tuple(findings),
        where,
        extract.files_listed,
        extract.files_read,
        time.monotonic() - started,
        lookups is not None and bool(lookups.heads),
        requests,
        len(config.matrix),
    )
    return audit, extract, lookups or Lookups()


def _entry_text(file: str, extract: Extract) -> str | None:
    return extract.extra.get(file, extract.makefiles.get(file))


def _hosts(config: Config) -> tuple[str, ...]:
    return tuple(dict.fromkeys((config.github.git_url.rstrip("/"), "https://github.com")))


def _display_path(path: Path, checkout: Path | None) -> str:
    """A path relative to the checkout when it lies inside it (as SARIF and people want)."""
    if checkout is None:
        return path.as_posix()
    if not path.is_absolute() and (checkout / path).is_file():
        return path.as_posix()
    try:
        return path.resolve().relative_to(checkout.resolve()).as_posix()
    except ValueError:
        return str(path)


def _look_up(
    config: Config,
    extract: Extract,
    entry_texts: Mapping[str, str],
    environ: Mapping[str, str] | None,
    client_factory: Callable[[], httpx.Client] | None,
) -> tuple[Lookups, dict[str, int]]:
    from bumper.httpclient import RequestCounter, new_client

    active = [e for e in config.matrix if e.hold is None]
    pinned: dict[tuple[str, str], str] = {}
    for entry in active:
        text = entry_texts.get(_clean(entry.file))
        if text is None:
            continue
        try:
            pinned[entry.key] = pins.read_pin(text, entry.variable).value
        except PinError:
            continue
    probes = _probes(config, extract)
    counter = RequestCounter()
    client = (
        client_factory()
        if client_factory
        else new_client(timeout=config.lookup.timeout_seconds, counter=counter)
    )
    with client:
        lookups = look_up(config, active, pinned, probes, client=client, environ=environ)
    return lookups, counter.as_dict()


def _probes(config: Config, extract: Extract) -> list[str]:
    """Repositories of suggested entries, whose default branch a look-up can settle."""
    hosts = _hosts(config)
    covered = {(_clean(e.file), e.variable) for e in config.matrix}
    found: list[str] = []
    for path, text in extract.makefiles.items():
        loose = [p.variable for p in makefile_pins_of(text) if (path, p.variable) not in covered]
        if loose:
            found.extend(upstreams(text, loose, hosts).values())
    for hits in extract.hits.values():
        for hit in hits:
            if hit.repository and not hit.managed_by and not hit.branch:
                found.append(scan.normalize_repository(hit.repository, hosts))
    return [r for r in dict.fromkeys(found) if "://" not in r or r.startswith("https://")]


# --- reading the target repository through the API (no checkout) ----------------------------

GRAPHQL_BLOBS_PER_QUERY = 100
GRAPHQL_BYTES_PER_QUERY = 4 << 20


class RemoteError(BumperError):
    """The target repository could not be read through the API."""


def _remote_label(config: Config) -> str:
    return f"{config.target.repository}@{config.target.base}"


def _target(config: Config) -> tuple[str, str]:
    repository = config.target.repository
    if not repository or repository.count("/") != 1:
        raise RemoteError(
            "auditing without --checkout reads `target.repository` through the API: set it "
            "in the config (owner/name), or pass --checkout DIR"
        )
    owner, name = repository.split("/")
    return owner, name


def _auth(config: Config, environ: Mapping[str, str] | None) -> dict[str, str]:
    token = config.github.token(dict(environ) if environ is not None else None)
    if not token:
        raise RemoteError(
            f"auditing without --checkout uses GitHub's GraphQL API, which needs a token in "
            f"${config.github.token_env}; set it, or pass --checkout DIR"
        )
    return {"Authorization": f"bearer {token.reveal()}", "Accept": "application/json"}


def _request(client: httpx.Client, method: str, url: str, what: str, **kwargs: Any) -> Any:
    """One API call, following same-host redirects; the parsed JSON or a RemoteError."""
    from urllib.parse import urljoin, urlsplit

    for _ in range(5):
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"{what}: request failed ({type(exc).__name__})") from None
        location = response.headers.get("location")
        if response.status_code in (301, 302, 307, 308) and location:
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                raise RemoteError(f"{what}: redirected to another host; refusing")
            url = target
            continue
        if response.status_code != 200:
            raise RemoteError(f"{what}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise RemoteError(f"{what}: the answer is not JSON") from None
    raise RemoteError(f"{what}: too many redirects")


def _graphql(
    config: Config, client: httpx.Client, headers: Mapping[str, str], query: str, what: str
) -> dict[str, Any]:
    payload = _request(
        client, "POST", config.github.graphql_url, what, json={"query": query}, headers=headers
    )
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        errors = payload.get("errors") if isinstance(payload, dict) else None
        first = errors[0].get("message", "") if isinstance(errors, list) and errors else ""
        raise RemoteError(f"{what}: GitHub GraphQL answered no data ({str(first)[:120]})")
    return data


def remote_text(
    config: Config, path: str, *, client: httpx.Client, environ: Mapping[str, str] | None = None
) -> str:
    """One file of the target repository at `target.base` (the imported workflow)."""
    owner, name = _target(config)
    expression = json.dumps(f"{config.target.base}:{path}")
    query = (
        f"query {{ repository(owner: {json.dumps(owner)}, name: {json.dumps(name)}) {{ "
        f"object(expression: {expression}) {{ ... on Blob {{ text isBinary }} }} }} }}"
    )
    label = f"{owner}/{name}: {path}"
    data = _graphql(config, client, _auth(config, environ), query, label)
    blob = (data.get("repository") or {}).get("object")
    if not isinstance(blob, dict) or not isinstance(blob.get("text"), str):
        raise RemoteError(f"{label}: no such text file on {config.target.base}")
    return str(blob["text"])


def fetch_extract(
    config: Config,
    *,
    client: httpx.Client,
    managed: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Extract:
    """The target repository's pins, read through the API without cloning.

    One GraphQL query finds the base's tree, one REST call lists it recursively, and the
    candidate files' texts come back from batched GraphQL queries (by blob id, so every file
    is read from the same commit).
    """
    owner, name = _target(config)
    headers = _auth(config, environ)
    label = f"{owner}/{name}"
    expression = json.dumps(f"{config.target.base}:")
    data = _graphql(
        config,
        client,
        headers,
        f"query {{ repository(owner: {json.dumps(owner)}, name: {json.dumps(name)}) {{ "
        f"object(expression: {expression}) {{ oid }} }} }}",
        f"{label}: the tree of {config.target.base}",
    )
    repository = data.get("repository")
    tree = repository.get("object") if isinstance(repository, dict) else None
    if not isinstance(tree, dict) or not isinstance(tree.get("oid"), str):
        missing = "repository" if not isinstance(repository, dict) else "branch"
        raise RemoteError(f"{label}: no such {missing} (base {config.target.base!r})")
    blobs, sizes, gitlinks = _list_tree(config, client, headers, owner, name, tree["oid"])
    paths = sorted(blobs)
    wanted = {_clean(e.file) for e in config.matrix} & set(paths)
    chosen = [p for p, _ in candidates(paths, wanted) if sizes.get(p, 0) <= MAX_BYTES]
    if managed and gitlinks and ".gitmodules" in blobs:
        chosen.append(".gitmodules")
    texts: dict[str, str | None] = dict.fromkeys(chosen)
    batch: list[str] = []
    size = 0
    for path in chosen:
        if batch and (
            len(batch) >= GRAPHQL_BLOBS_PER_QUERY
            or size + sizes.get(path, 0) > GRAPHQL_BYTES_PER_QUERY
        ):
            texts.update(_read_blobs(config, client, headers, owner, name, batch, blobs))
            batch, size = [], 0
        batch.append(path)
        size += sizes.get(path, 0)
    if batch:
        texts.update(_read_blobs(config, client, headers, owner, name, batch, blobs))
    return extract_texts(paths, texts, gitlinks, wanted=wanted, managed=managed)


def _list_tree(
    config: Config,
    client: httpx.Client,
    headers: Mapping[str, str],
    owner: str,
    name: str,
    oid: str,
    prefix: str = "",
) -> tuple[dict[str, str], dict[str, int], dict[str, str]]:
    """(blob sha, size, submodule commit) by path; a truncated listing is redone per subtree."""
    url = f"{config.github.api_url.rstrip('/')}/repos/{owner}/{name}/git/trees/{oid}"
    payload = _request(
        client,
        "GET",
        url,
        f"{owner}/{name}: list files",
        params={"recursive": "1"},
        headers={**headers, "Accept": "application/vnd.github+json"},
    )
    blobs: dict[str, str] = {}
    sizes: dict[str, int] = {}
    gitlinks: dict[str, str] = {}
    entries = payload.get("tree") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise RemoteError(f"{owner}/{name}: the tree listing has no entries")
    subtrees: list[tuple[str, str]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        path, kind, sha = entry.get("path"), entry.get("type"), entry.get("sha")
        if not isinstance(path, str) or not isinstance(sha, str):
            continue
        full = prefix + path
        if kind == "blob" and entry.get("mode") != "120000":  # symlinks are not files to read
            blobs[full] = sha
            sizes[full] = int(entry.get("size") or 0)
        elif kind == "commit":
            gitlinks[full] = sha
        elif kind == "tree" and "/" not in path:
            subtrees.append((full, sha))
    if payload.get("truncated"):  # over GitHub's limit: keep this level, list each subtree
        depth = prefix.count("/") + 1
        blobs = {p: b for p, b in blobs.items() if p.count("/") < depth}
        sizes = {p: n for p, n in sizes.items() if p in blobs}
        gitlinks = {p: c for p, c in gitlinks.items() if p.count("/") < depth}
        for directory, sha in subtrees:
            more = _list_tree(config, client, headers, owner, name, sha, directory + "/")
            blobs.update(more[0])
            sizes.update(more[1])
            gitlinks.update(more[2])
    return blobs, sizes, gitlinks


def _read_blobs(
    config: Config,
    client: httpx.Client,
    headers: Mapping[str, str],
    owner: str,
    name: str,
    paths: Sequence[str],
    blobs: Mapping[str, str],
) -> dict[str, str | None]:
    fields = " ".join(
        f"f{i}: object(oid: {json.dumps(blobs[path])}) {{ ... on Blob {{ text isBinary }} }}"
        for i, path in enumerate(paths)
    )
    query = (
        f"query {{ repository(owner: {json.dumps(owner)}, name: {json.dumps(name)}) "
        f"{{ {fields} }} }}"
    )
    data = _graphql(config, client, headers, query, f"{owner}/{name}: read {len(paths)} files")
    repository = data.get("repository") or {}
    texts: dict[str, str | None] = {}
    for i, path in enumerate(paths):
        blob = repository.get(f"f{i}") if isinstance(repository, dict) else None
        text = blob.get("text") if isinstance(blob, dict) and not blob.get("isBinary") else None
        texts[path] = text if isinstance(text, str) else None
    return texts


# --- --fix: add suggested entries to the matrix ------------------------------------------------


class FixError(BumperError):
    """The matrix cannot be edited safely; nothing was written."""


@dataclass(frozen=True, slots=True)
class FixResult:
    path: Path
    added: tuple[Entry, ...]
    skipped: tuple[tuple[Finding, str], ...]


def fixable(findings: Iterable[Finding]) -> tuple[list[Entry], list[tuple[Finding, str]]]:
    """Entries to add for untracked Makefile pins; the others with the reason they are left."""
    add: list[Entry] = []
    skipped: list[tuple[Finding, str]] = []
    for finding in findings:
        if finding.category != "untracked" or finding.variable is None:
            continue
        if not finding.repository:
            skipped.append((finding, "repository unknown; add the entry by hand"))
            continue
        add.append(
            Entry(finding.repository, finding.variable, finding.branch or "master", finding.file)
        )
    return add, skipped


def fix_matrix(config: Config, checkout: Path | None, findings: Sequence[Finding]) -> FixResult:
    """Append entries for untracked pins to the config's matrix, or to the imported workflow's."""
    add, skipped = fixable(findings)
    if config.matrix_from is not None:
        workflow, job = config.matrix_from
        if checkout is None:
            raise FixError(f"--fix needs --checkout to edit {workflow}")
        path = checkout / workflow
        keys: tuple[str, ...] = ("jobs", job, "strategy", "matrix", "include")
    else:
        path = config.path
        keys = ("matrix",)
    if not add:
        return FixResult(path, (), tuple(skipped))
    text = path.read_text(encoding="utf-8")
    new = add_matrix_entries(text, keys, add, filename=str(path))
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(new)
    return FixResult(path, tuple(add), tuple(skipped))


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
        for index, key in enumerate(order):
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


def _entry_map(entry: Entry) -> dict[str, str]:
    return {
        "repository": entry.repository,
        "variable": entry.variable,
        "branch": entry.branch,
        "file": entry.file,
    }


_PLAIN_SAFE = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_./+-]*\Z")


def _quoted(value: str, quote: str) -> str:
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
    result: str, keys: Sequence[str], before: Any, items: Sequence[dict[str, str]], filename: str
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
