"""Audit look-ups: upstream heads, how far each pin lags, and how old each pinned commit is."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bumper.errors import UpstreamError
from bumper.model import Entry, Head, is_sha

if TYPE_CHECKING:  # a --no-lookup audit never loads the HTTP stack
    import httpx

    from bumper.config.settings import Config

GUESSED_BRANCHES = ("main", "master")


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
    from bumper.upstream import commit_dates, compare, lookup_heads

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
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compare") as pool:
            for job, ahead in zip(jobs, pool.map(one, jobs), strict=True):
                if ahead is not None:
                    behind[(job[0], job[1])] = ahead
    committed: dict[tuple[str, str], float] = {}
    if token:
        wanted = [(e.repository, pinned[e.key]) for e in entries if is_sha(pinned.get(e.key, ""))]
        committed = commit_dates(
            wanted, client=client, github=config.github, lookup=config.lookup, token=token
        )
    return Lookups(heads, behind, committed, time.time())
