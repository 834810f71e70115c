"""Categorize every pin found: tracked, held, untracked, hidden or broken, with a suggestion.

Pure: the extracted texts and the look-up answers are given; nothing is read or asked here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from bumper import pinfiles, pins
from bumper.audit.files import Extract, clean_path
from bumper.audit.findings import CATEGORIES, Finding
from bumper.audit.lookups import GUESSED_BRANCHES, Lookups
from bumper.audit.repositories import (
    normalize_repository,
    only_repository_url,
    sibling_repository,
    variable_stem,
)
from bumper.audit.scanners import (
    ABBREVIATED_SHA,
    NOT_PINS,
    Hit,
    classify,
    plausible_commit_variable,
)
from bumper.audit.scanners.makefile import recipe_repositories
from bumper.errors import PinError, UpstreamError
from bumper.model import Entry, Head, is_sha
from bumper.upstream.tags import already_past

PLACEHOLDER = "OWNER/NAME"


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
    located: set[tuple[str, int]] = set()  # (file, line) of each pin a row outside Makefiles bumps
    seen: dict[tuple[str, str], Entry] = {}
    makefile_pins = {path: makefile_pins_of(text) for path, text in extract.makefiles.items()}
    by_variable: dict[str, list[tuple[str, pins.Pin]]] = {}
    for path, found in makefile_pins.items():
        for pin in found:
            by_variable.setdefault(pin.variable, []).append((path, pin))

    for entry in entries:
        file = clean_path(entry.file)
        if entry.key in seen or (file, entry.variable) in seen:
            first = seen.get(entry.key) or seen[(file, entry.variable)]
            message = (
                f"duplicate matrix entry: {entry.variable} in {file} is already covered by "
                f"the entry at {_where(first, config_file)}"
            )
            findings.append(_broken(entry, config_file, message, "remove one of the two entries"))
            continue
        seen[(file, entry.variable)] = entry
        paths = [clean_path(p) for p in entry.paths]
        text = texts.get(file)
        own_reader = text is not None and not pinfiles.is_makefile_row(entry, file, text)
        # a row following tags may hold a release, which only pinfiles reads as a pin
        if own_reader or len(paths) > 1 or entry.follows_tags:
            findings.append(_located(entry, paths, texts, config_file, located, hosts, lookups))
            continue
        if text is None:
            close = difflib.get_close_matches(file, sorted(extract.makefiles), n=1, cutoff=0.9)
            message = f"matrix entry {entry.variable}: file {file} does not exist in the checkout"
            if close:
                fix = f"fix `file:` in the entry; did you mean {close[0]}?"
            else:
                fix = "fix `file:` or remove the entry"
            findings.append(_broken(entry, config_file, message, fix))
            continue
        try:
            pin = pins.read_pin(text, entry.variable, file)
        except PinError as exc:
            elsewhere = [p for p, _ in by_variable.get(entry.variable, []) if p != file]
            if elsewhere:
                fix = f"point `file:` at {elsewhere[0]}, where {entry.variable} is pinned"
            else:
                fix = f"fix `variable:`, or pin `{entry.variable}?=<sha>` in {file}"
            message = f"matrix entry {entry.variable}: {exc}"
            findings.append(_broken(entry, config_file, message, fix))
            continue
        covered[(file, entry.variable)] = entry
        sibling = sibling_repository(text, entry.variable)
        findings.append(
            _entry_finding(entry, file, pin.line, pin.value, "makefile", sibling, hosts, lookups)
        )

    for path, found in sorted(makefile_pins.items()):
        loose = [pin for pin in found if (path, pin.variable) not in covered]
        if not loose:
            continue
        upstream = upstreams(extract.makefiles[path], [p.variable for p in loose], hosts)
        for pin in loose:
            findings.append(_untracked(path, pin, upstream.get(pin.variable), lookups))

    makefile_paths = sorted(extract.makefiles)
    for path, hits in sorted(extract.hits.items()):
        for hit in hits:
            if (path, hit.line) in located:
                continue  # a row bumps this one: its finding is the row's, tracked
            findings.append(
                _hidden(path, hit, hosts, makefile_paths, by_variable, covered, lookups)
            )
    rank = {category: index for index, category in enumerate(CATEGORIES)}
    findings.sort(key=lambda f: (rank[f.category], f.managed_by is not None, f.file, f.line))
    return findings


def _source(entry: Entry, config_file: str) -> tuple[str, int]:
    if entry.source is not None:
        return entry.source.file, entry.source.line
    return config_file, 1


def _broken(entry: Entry, config_file: str, message: str, suggestion: str) -> Finding:
    """A matrix entry that cannot work, reported at its own line in the config."""
    file, line = _source(entry, config_file)
    return Finding(
        file,
        line,
        "matrix-entry",
        entry.variable,
        None,
        entry.repository,
        "broken",
        message,
        suggestion,
        branch=entry.branch,
    )


def _where(entry: Entry, config_file: str) -> str:
    file, line = _source(entry, config_file)
    return f"{file}:{line}"


def _short(sha: str | None) -> str:
    return sha[:12] if sha else ""


def _located(
    entry: Entry,
    paths: Sequence[str],
    texts: Mapping[str, str],
    config_file: str,
    located: set[tuple[str, int]],
    hosts: Sequence[str],
    lookups: Lookups,
) -> Finding:
    """The finding of a row whose pin bumper.pinfiles reads (a shell script, a Dockerfile, a
    `match:`, a sha-only file, a submodule, several files): tracked at its first location,
    and every location it reads is the row's, not a hidden pin."""
    missing = [path for path in paths if texts.get(path) is None]
    if missing:
        message = f"matrix entry {entry.variable}: file {missing[0]} does not exist in the checkout"
        return _broken(entry, config_file, message, "fix `file:`/`files:` or remove the entry")
    own = [clean_path(p) for p in entry.pin_paths]
    also = tuple(replace(item, file=clean_path(item.file)) for item in entry.also)
    clean = replace(entry, file=own[0], files=tuple(own) if len(own) > 1 else (), also=also)
    try:
        spots = pinfiles.read(clean, {path: texts[path] for path in paths})
    except PinError as exc:
        fix = "fix `variable:` or `match:` so it names the pin's text, or remove the entry"
        return _broken(entry, config_file, f"matrix entry {entry.variable}: {exc}", fix)
    located.update((spot.file, spot.line) for spot in spots)
    first = spots[0]
    kind = pinfiles.kind_of(first.file, texts[first.file]) or entry.by.value
    finding = _entry_finding(entry, first.file, first.line, first.value, kind, None, hosts, lookups)
    if len(spots) > 1:
        where = ", ".join(str(spot) for spot in spots)
        finding = replace(finding, message=f"{finding.message}; at {where}")
    return finding


def _entry_finding(
    entry: Entry,
    file: str,
    line: int,
    value: str,
    kind: str,
    sibling: str | None,
    hosts: Sequence[str],
    lookups: Lookups,
) -> Finding:
    base = Finding(
        file,
        line,
        kind,
        entry.variable,
        value,
        entry.repository,
        "tracked",
        "",
        branch=entry.branch,
    )
    note = ""
    if sibling:
        named = normalize_repository(sibling, hosts)
        if named.lower() != normalize_repository(entry.repository, hosts).lower():
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
        if answer.tag is not None:
            return replace(base, head=answer.sha, message=_release_message(answer, value) + note)
        if answer.sha == value:
            return replace(
                base,
                head=answer.sha,
                behind=0,
                age_days=_age_days(lookups, entry.repository, value),
                message=f"tracked on {entry.branch}; up to date{note}",
            )
        behind = lookups.behind.get((entry.repository, value))
        lag = f"{behind} commit{'s' * (behind != 1)} behind" if behind is not None else "behind"
        age = _age_days(lookups, entry.repository, value)
        old = f", pinned commit {age} day{'s' * (age != 1)} old" if age is not None else ""
        return replace(
            base,
            head=answer.sha,
            behind=behind,
            age_days=age,
            message=f"tracked on {entry.branch}; {lag} (head {_short(answer.sha)}){old}{note}",
        )
    return replace(base, message=f"tracked on {entry.branch}{note}")


def _release_message(head: Head, value: str) -> str:
    """What a row following tags stands at: the newest matching release, and the pin."""
    followed = f"tracked on releases ({head.branch})"
    if value in (head.tag, head.sha):
        return f"{followed}; up to date at {head.tag}"
    past = already_past(head, value)
    if past is not None:
        return f"{followed}; {past}"
    return f"{followed}; newest {head.tag} (commit {_short(head.sha)}), pinned {_short(value)}"


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


def makefile_pins_of(text: str) -> list[pins.Pin]:
    """Full-sha pins, and pin-like names (X_VERSION, X_COMMIT, ...) set to an abbreviated sha."""
    found = []
    for assignment in pins.find_assignments(text):
        name, value = assignment.variable, assignment.value
        if assignment.problem is None:
            # GO_SHA256?=<64 hex> is a checksum and EMPTY_TREE a git constant, not pins.
            if plausible_commit_variable(name, value) and value not in NOT_PINS:
                found.append(assignment)
        elif (
            ABBREVIATED_SHA.fullmatch(value)
            and variable_stem(name)
            and assignment.operator not in ("+=", "!=", "define")
            and not assignment.continued
        ):
            found.append(assignment)
    return found


def upstreams(text: str, variables: Sequence[str], hosts: Sequence[str]) -> dict[str, str]:
    """The repository of each Makefile pin: a sibling X_REPO variable, else the recipe's clone."""
    found: dict[str, str] = {}
    for variable in variables:
        sibling = sibling_repository(text, variable)
        if sibling:
            found[variable] = normalize_repository(sibling, hosts)
    missing = [v for v in variables if v not in found]
    for variable, url in recipe_repositories(text, missing).items():
        found[variable] = normalize_repository(url, hosts)
    missing = [v for v in variables if v not in found]
    if len(missing) == 1 and len({p.variable for p in makefile_pins_of(text)}) == 1:
        # One pin and one repository URL in the file (BUUN_VERSION beside LLAMA_REPO): a pair.
        lone = only_repository_url((a.variable, a.value) for a in pins.find_assignments(text))
        if lone is not None:
            found[missing[0]] = normalize_repository(lone, hosts)
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
        "add to the matrix:\n" + _guessed(entry_yaml(known, pin.variable, branch, path), note),
        branch=branch,
        branch_guessed=bool(note),
    )


def _guessed(row: str, note: str) -> str:
    """A suggested row says its branch is a guess where it is written, not only on a terminal."""
    if not note:
        return row
    return re.sub(r"(?m)^(  branch: .*)$", r"\1  # guessed: check upstream's default branch", row)


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
    hit: Hit,
    hosts: Sequence[str],
    makefiles: Sequence[str],
    by_variable: Mapping[str, list[tuple[str, pins.Pin]]],
    covered: Mapping[tuple[str, str], Entry],
    lookups: Lookups,
) -> Finding:
    repository = normalize_repository(hit.repository, hosts) if hit.repository else None
    base = Finding(path, hit.line, hit.kind, hit.variable, hit.value, repository, "hidden", "")
    if hit.managed_by:
        return replace(
            base,
            category="tracked",
            message=f"managed by {hit.managed_by}: {hit.detail}",
            managed_by=hit.managed_by,
            branch=hit.branch,
        )
    variable = _suggested_variable(hit, repository, path)
    makefile = _nearest_makefile(path, makefiles)
    kind_of_file = classify(path) or "shell"
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
        copy = f" (a second copy of {source}'s {hit.variable})"
        return replace(base, message=message + copy, suggestion=suggestion)
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
    return replace(
        base, message=message, suggestion=suggestion, branch=branch, branch_guessed=bool(note)
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


def _suggested_variable(hit: Hit, repository: str | None, path: str) -> str:
    if hit.variable and variable_stem(hit.variable):
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
