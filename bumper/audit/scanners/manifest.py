"""Package manifests (pyproject.toml, Cargo.toml, Pipfile, setup.cfg): `git+URL@<sha>`,
`{ git = ..., rev = <sha> }` and GitHub archive URLs.
"""

from __future__ import annotations

import re

from bumper.audit.scanners.base import QUOTE, SHA_TOKEN, Hit, is_rev
from bumper.audit.scanners.urls import archive_hits, vcs_url_hits

_MANIFEST_GIT = re.compile(
    rf"\bgit[ \t]*=[ \t]*{QUOTE}(?P<url>[^\"']+){QUOTE}[^}}\n]*?"
    rf"\brev[ \t]*=[ \t]*{QUOTE}(?P<rev>{SHA_TOKEN}){QUOTE}"
    rf"|\brev[ \t]*=[ \t]*{QUOTE}(?P<rev2>{SHA_TOKEN}){QUOTE}[^}}\n]*?"
    rf"\bgit[ \t]*=[ \t]*{QUOTE}(?P<url2>[^\"']+){QUOTE}"
)


def scan(path: str, text: str) -> list[Hit]:
    hits: list[Hit] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = _strip_quoted_comment(raw)
        if not line.strip():
            continue
        hits.extend(vcs_url_hits(line, number, path))
        for match in _MANIFEST_GIT.finditer(line):
            rev, url = match["rev"] or match["rev2"], match["url"] or match["url2"]
            if is_rev(rev, short=True):
                hits.append(
                    Hit(
                        number,
                        "manifest-git",
                        rev,
                        None,
                        url,
                        detail=f"`{{ git = ..., rev = <sha> }}` in {path}",
                    )
                )
        if "github" in line:
            hits.extend(archive_hits(line, number))
    return hits


def _strip_quoted_comment(line: str) -> str:
    quote = ""
    for index, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:index]
    return line
