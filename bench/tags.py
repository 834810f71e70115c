"""bumper's benchmark for rows that follow release tags: upstreams with many tags.

    python bench/tags.py                     # N = 100 1000 5000 tags
    python bench/tags.py --sizes 100 20000

For each N it builds one sandbox upstream with N tags (half annotated, a tenth pre-releases,
some junk names) and looks up the newest release the two ways a pass does: GraphQL pages of
`refs(refPrefix: "refs/tags/")` with a token, one git `ls-refs` (ref-prefix refs/tags/, peel)
without. It prints requests, response bytes, wall and CPU time (of this process: bumper and
the in-process sandbox together, git's own processes not counted) beside the lower bound: one
GraphQL request per 100 tags (GitHub's page limit) while that is at most 3 pages, beyond which
the first page says how many there are and one git request reads them all; one git request
without a token; and for bytes the tag names and their commit ids alone.
Writes bench/out/tags.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bumper.config.settings import GitHubSettings, LookupSettings, Secret
from bumper.github.graphql import TAGS_PAGE
from bumper.github.http import new_client
from bumper.model import Entry, Head, tags_key
from bumper.sandbox.app import Sandbox
from bumper.upstream import lookup_heads
from bumper.upstream.tags import GRAPHQL_TAG_PAGES

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
REPO = "bench/up"


@dataclass
class Figures:
    n: int
    way: str
    requests: int
    requests_lower: int
    bytes: int
    bytes_lower: int
    wall_s: float
    cpu_s: float
    found: str


def _names(n: int) -> list[tuple[str, bool]]:
    """N tag names, oldest first: releases, pre-releases every tenth, junk every fiftieth."""
    names = []
    for i in range(n):
        major, minor, patch = 1, i // 100, i % 100
        if i % 50 == 49:
            names.append((f"nightly-{20240000 + i}", False))
        elif i % 10 == 9:
            names.append((f"v{major}.{minor}.{patch}-rc1", True))
        else:
            names.append((f"v{major}.{minor}.{patch}", i % 2 == 0))
    return names


def _build(sb: Sandbox, n: int) -> list[tuple[str, bool]]:
    """The upstream, written with one git fast-import (a tag per commit)."""
    sb.store.create_repo("bench", "up", auto_init=True)
    names = _names(n)
    lines = []
    for i, (name, annotated) in enumerate(names):
        stamp = 1_700_000_000 + i * 60
        message = f"release {name}"
        lines += [
            "commit refs/heads/main",
            f"mark :{i + 1}",
            f"committer B <b@example.invalid> {stamp} +0000",
            f"data {len(message)}",
            message,
            f"M 644 inline CHANGES.md\ndata {len(str(i))}\n{i}",
        ]
        if i == 0:
            lines.insert(len(lines) - 1, "from refs/heads/main^0")
        if annotated:
            lines += [
                f"tag {name}",
                f"from :{i + 1}",
                f"tagger B <b@example.invalid> {stamp} +0000",
                f"data {len(message)}",
                message,
            ]
        else:
            lines += [f"reset refs/tags/{name}", f"from :{i + 1}", ""]
    stream = ("\n".join(lines) + "\n").encode()
    sb.store.git(REPO, "fast-import", "--quiet", input=stream)
    return names


def _measure(sb: Sandbox, n: int, names: list[tuple[str, bool]], way: str) -> Figures:
    entry = Entry(REPO, "V", tags_key(None, False), "Makefile", follow="tags")
    sb.clear_requests()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with new_client(timeout=60) as client:
        answers = lookup_heads(
            [entry],
            client=client,
            github=GitHubSettings(api_url=sb.api_url, git_url=sb.git_url),
            lookup=LookupSettings(allow_http=True, backoff_seconds=0, retries=0),
            token=Secret(sb.token) if way == "graphql" else None,
        )
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    time.sleep(0.2)  # the sandbox logs a request just after answering it
    log = sb.requests()
    head = answers[(REPO, entry.branch)]
    found = head.tag or "" if isinstance(head, Head) else f"failed: {head}"
    # what must cross the wire at least: each tag's name and commit id
    floor = sum(len(name) + 40 for name, _ in names)
    pages = math.ceil(n / TAGS_PAGE)
    lower = (pages if pages <= GRAPHQL_TAG_PAGES else 2) if way == "graphql" else 1
    return Figures(
        n,
        way,
        len(log),
        lower,
        sum(int(r["bytes"]) for r in log),
        floor,
        round(wall, 3),
        round(cpu, 3),
        str(found),
    )


HEADER = (
    "| N tags | way | requests | lower bound | bytes | lower bound | wall s | CPU s | chosen |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _row(f: Figures) -> str:
    return (
        f"| {f.n} | {f.way} | {f.requests} | {f.requests_lower} | {f.bytes} | {f.bytes_lower}"
        f" | {f.wall_s} | {f.cpu_s} | {f.found} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    args = parser.parse_args()
    rows = []
    print(HEADER, flush=True)
    for n in args.sizes:
        with Sandbox() as sb:
            names = _build(sb, n)
            for way in ("graphql", "git"):
                rows.append(_measure(sb, n, names, way))
                print(_row(rows[-1]), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "tags.json").write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = HEADER + "\n" + "\n".join(_row(r) for r in rows)
    (OUT / "tags.md").write_text(table + f"\n\npeak RSS of this process: {peak:.1f} MB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
