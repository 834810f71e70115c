"""URLs that embed a sha: pip's `git+URL@<sha>` and GitHub archive, raw and codeload links.

Every kind of file can hold them, so each scanner passes the text it knows to be live here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bumper.audit.scanners.base import Hit, is_rev

VCS_URL = re.compile(
    r"git\+(?P<url>[a-z][a-z0-9+.-]*://[^\s\"'@]*?(?:[^\s\"'@/]+@[^\s\"'@]+?)?)@(?P<rev>[0-9a-f]{7,64})(?=$|[\s\"'#&;),\]])"
)
_ARCHIVE_URL = re.compile(
    r"(?P<url>https?://(?:www\.)?github\.com/(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?)"
    r"(?:/(?:archive|tarball|zipball)/(?:refs/heads/)?(?P<rev1>[0-9a-f]{7,64})(?:\.tar\.gz|\.zip|\.tgz)?"
    r"|/(?:raw|blob)/(?P<rev2>[0-9a-f]{7,64})/|#(?P<rev3>[0-9a-f]{7,64})(?![0-9a-zA-Z]))"
    r"|https?://(?:raw\.githubusercontent\.com|codeload\.github\.com)/(?P<repo2>[\w.-]+/[\w.-]+)/"
    r"(?:(?:tar\.gz|zip|legacy\.tar\.gz)/)?(?P<rev4>[0-9a-f]{7,64})(?![0-9a-zA-Z])"
)


def archive_hits(text: str, line: int) -> Iterator[Hit]:
    """Archive, raw and codeload GitHub URLs in `text` (one line) whose revision is a sha."""
    for match in _ARCHIVE_URL.finditer(text):
        rev = match["rev1"] or match["rev2"] or match["rev3"] or match["rev4"]
        repo = match["repo"] or match["repo2"]
        if rev and is_rev(rev, short=True):
            shown = match[0].replace(rev, "<sha>")
            yield Hit(line, "archive-url", rev, None, repo, detail=f"`{shown}`")


def vcs_url_hits(line: str, number: int, where: str) -> list[Hit]:
    """`git+URL@<sha>` pins on one line (pip's VCS form, in requirements or a manifest)."""
    return [
        Hit(
            number,
            "requirements",
            match["rev"],
            None,
            match["url"],
            detail=f"`git+{match['url']}@<sha>` in {where}",
        )
        for match in VCS_URL.finditer(line)
        if is_rev(match["rev"], short=True)
    ]
