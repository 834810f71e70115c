"""Audit: every commit pin in a checkout, and whether the bump matrix keeps it current.

Extract (files.py, or remote.py without a checkout), optionally look upstreams up (lookups.py),
then categorize (categorize.py, pure). This module runs those steps; nothing here writes.
`--fix` lives in fix.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bumper import pins
from bumper.audit.adopt import apply_ignores
from bumper.audit.categorize import categorize, makefile_pins_of, upstreams
from bumper.audit.files import Extract, clean_path, collect
from bumper.audit.findings import Audit
from bumper.audit.lookups import Lookups, look_up
from bumper.audit.repeats import merge_repeated
from bumper.audit.repositories import normalize_repository
from bumper.config.settings import Config
from bumper.errors import PinError
from bumper.model import Location

if TYPE_CHECKING:  # httpx (and the CLI it pulls in) is for look-ups only: keep start lean
    import httpx


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
    entry_files = {clean_path(p) for e in config.matrix for p in e.paths}
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
    findings, ignored = apply_ignores(findings, config.audit.ignore, extract.marks)
    findings = merge_repeated(findings)
    audit = Audit(
        tuple(findings),
        where,
        extract.files_listed,
        extract.files_read,
        time.monotonic() - started,
        lookups is not None and bool(lookups.heads),
        requests,
        len(config.matrix),
        ignored,
    )
    return audit, extract, lookups or Lookups()


def _entry_text(file: str, extract: Extract) -> str | None:
    return extract.extra.get(file, extract.makefiles.get(file))


def _hosts(config: Config) -> tuple[str, ...]:
    return tuple(dict.fromkeys((config.github.git_url.rstrip("/"), "https://github.com")))


def _remote_label(config: Config) -> str:
    return f"{config.target.repository}@{config.target.base}"


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
    from bumper.github.http import RequestCounter, new_client

    active = [e for e in config.matrix if e.hold is None]
    pinned: dict[tuple[str, str], str] = {}
    for entry in active:
        text = entry_texts.get(clean_path(entry.file))
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
    covered = {(clean_path(e.file), e.variable) for e in config.matrix}
    found: list[str] = []
    for path, text in extract.makefiles.items():
        loose = [p.variable for p in makefile_pins_of(text) if (path, p.variable) not in covered]
        if loose:
            found.extend(upstreams(text, loose, hosts).values())
    for hits in extract.hits.values():
        for hit in hits:
            if hit.repository and not hit.managed_by and not hit.branch:
                found.append(normalize_repository(hit.repository, hosts))
    return [r for r in dict.fromkeys(found) if "://" not in r or r.startswith("https://")]
