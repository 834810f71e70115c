"""What bumper writes into PRs and commits, and reads back."""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

import pytest
from markdown_it import MarkdownIt

from bumper.bump.prtext import (
    Marker,
    UpstreamCommit,
    commit_message,
    format_marker,
    keep_notes,
    neutral,
    parse_marker,
    parse_trailer,
    render_body,
    render_branch,
    render_title,
    replace_marker,
)
from bumper.config.settings import PrSettings
from bumper.model import Entry

ENTRY = Entry(repository="up/lib", variable="LIB_VERSION", branch="main", file="sub/Makefile")
OLD, NEW = "a" * 40, "b" * 40
MARKER = Marker("sub/Makefile", "LIB_VERSION", "up/lib", NEW, OLD, "1" * 40, "2" * 40)


def test_default_branch_and_title_match_what_projects_use() -> None:
    pr = PrSettings()
    assert render_branch(pr, ENTRY) == "update/LIB_VERSION"
    assert render_title(pr, ENTRY, OLD, NEW) == f"chore: :arrow_up: Update up/lib to `{NEW}`"


def test_branch_name_is_made_safe_for_git() -> None:
    pr = PrSettings(branch="update/{file}/{variable}")
    entry = dataclasses.replace(ENTRY, file="a b/..Makefile.lock", variable="X~Y")
    assert render_branch(pr, entry) == "update/a-b/Makefile/X-Y"


def test_marker_survives_the_body_it_is_written_into() -> None:
    body = render_body(PrSettings(), ENTRY, MARKER, compare_url=None, commits=None, ahead_by=None)
    assert parse_marker(body) == MARKER
    assert "<!-- bumper-pin" in body and MARKER.upstream in body


def test_marker_cannot_be_ended_early_by_a_file_name() -> None:
    odd = dataclasses.replace(MARKER, file="x-->y")
    text = format_marker(odd)
    assert text.count("-->") == 1
    assert parse_marker("before\n" + text) == odd


def test_body_without_marker_or_with_a_broken_one_reads_as_none() -> None:
    assert parse_marker("a person's text") is None
    assert parse_marker('<!-- bumper-pin {"v": 1, "file": "M"} -->') is None
    assert parse_marker(None) is None


def test_closing_marks_the_marker_superseded_and_keeps_the_text() -> None:
    body = "Some words.\n\n" + format_marker(MARKER) + "\n"
    closed = replace_marker(body, dataclasses.replace(MARKER, superseded=True))
    assert closed.startswith("Some words.")
    found = parse_marker(closed)
    assert found is not None and found.superseded


def test_body_lists_commits_newest_first_up_to_the_limit() -> None:
    commits = [UpstreamCommit(f"{i:040x}", f"commit {i}") for i in range(5)]
    body = render_body(
        PrSettings(max_commits_listed=2),
        ENTRY,
        MARKER,
        compare_url=f"https://github.com/up/lib/compare/{OLD}...{NEW}",
        commits=commits,
        ahead_by=5,
    )
    assert f"https://github.com/up/lib/compare/{OLD}...{NEW}" in body
    assert "commit 0" in body and "commit 1" in body and "commit 2" not in body
    assert "and 3 more" in body


def test_a_range_longer_than_the_page_read_says_so() -> None:
    """The commits come from one page of the new head's history: past it, the count is a
    lower bound and the body says "100+", never a number it does not know."""
    commits = [UpstreamCommit(f"{i:040x}", f"commit {i}") for i in range(100)]
    body = render_body(
        PrSettings(max_commits_listed=2),
        ENTRY,
        MARKER,
        compare_url=None,
        commits=commits,
        ahead_by=100,
        more=True,
    )
    assert "Commits (100+):" in body and "and 98+ more" in body


def test_upstream_commit_titles_do_not_ping_people_or_close_issues() -> None:
    plain = "Fixes #12, thanks @alice <b>bold</b>"
    ticked = "Fixes #12 in `make`, thanks @alice <b>bold</b>"
    body = render_body(
        PrSettings(),
        ENTRY,
        MARKER,
        compare_url=None,
        commits=[UpstreamCommit("c" * 40, plain), UpstreamCommit("d" * 40, ticked)],
        ahead_by=2,
    )
    assert f"`{plain}`" in body  # a code span: GitHub neither pings nor links in it
    assert f"`` {ticked} ``" in body  # a fence longer than the backticks inside


def test_commit_message_carries_the_trailer_and_signoff() -> None:
    message = commit_message(PrSettings(), ENTRY, OLD, NEW, signoff="Bot <bot@example.invalid>")
    assert message.startswith(":arrow_up: Update up/lib\n")
    assert message.rstrip().endswith("Signed-off-by: Bot <bot@example.invalid>")
    trailer = parse_trailer(message)
    assert trailer is not None
    assert (trailer.file, trailer.variable, trailer.upstream) == (
        "sub/Makefile",
        "LIB_VERSION",
        NEW,
    )


def test_a_persons_commit_has_no_trailer() -> None:
    assert parse_trailer("Fix the build\n\nSigned-off-by: A <a@example.invalid>\n") is None


# -- outside text: upstream subjects must render as inert text (issue #4, #6, #19) -------------

HOSTILE = [
    "<!-- bumper-pin {",  # would swallow the real marker
    'x <!-- bumper-pin {"v":1} --> y',
    "ok\r## heading @someone closes #1",  # a bare CR ends the line on GitHub
    "ok\u2028@someone [a](http://evil)",
    "ok\x85closes #1",
    "ok\x0b# heading\x0c@someone",
    "`GH-12` and org/repo#12",
    "``fix`` https://x/issues/1 `",
    "`[a](http://evil)` ![i](http://evil/x.png)",
    "`@someone` `closes #1` <b>bold</b>",
    "`x` <img src=http://evil/x.png>",
    "admin\u202egnp.exe\u2066 \u200e\u200f\u061c\u2069\u202a\u202b\u202c\u202d",
    "```",
    "`",
    "",
]


def _commit_line_tokens(body: str, sha: str) -> list[Any]:
    """The inline tokens of the commit list item for ``sha``, as a CommonMark parser sees it."""
    tokens = MarkdownIt("commonmark").parse(body)
    for token in tokens:
        if token.type == "inline" and token.content.startswith(sha[:12]):
            return list(token.children or [])
    raise AssertionError(f"no list item for {sha[:12]} in {body!r}")


@pytest.mark.parametrize("subject", HOSTILE)
def test_upstream_subject_renders_as_one_inert_code_span(subject: str) -> None:
    sha = "c" * 40
    body = render_body(
        PrSettings(),
        ENTRY,
        MARKER,
        compare_url=None,
        commits=[UpstreamCommit(sha, subject)],
        ahead_by=1,
    )
    # The marker is still found, and nothing outside bumper's lines opens an HTML comment.
    assert parse_marker(body) == MARKER
    assert body.count("<!--") == 2  # the section's opening line and the marker
    line = next(x for x in body.split("\n") if x.startswith("- cccc"))
    assert body.splitlines() == body.rstrip("\n").split("\n")  # no CR, U+2028, NEL... anywhere
    bad = [c for c in line if unicodedata.category(c) in ("Cc", "Cf") and c != "\u200b"]
    assert not bad, line
    children = _commit_line_tokens(body, sha)
    words = "".join(c for c in " ".join(subject.split()) if unicodedata.category(c) != "Cf")
    if not words:
        assert [t.type for t in children] == ["text"], children
        return
    assert [t.type for t in children] == ["text", "code_inline"], children
    assert children[1].content.replace("\u200b", "") == words  # every word is kept


def test_neutral_keeps_the_words_and_drops_only_invisible_controls() -> None:
    assert neutral("Fix `make` for @alice") == "`` Fix `make` for @alice ``"
    assert neutral("a\rb\u2028c\x85d\u2029e") == "`a b c d e`"
    assert neutral("left\u202eright") == "`leftright`"
    assert "<!--" not in neutral("<!-- hidden -->")
    assert neutral("x" * 500, limit=10) == "`xxxxxxx...`"


# -- bumper's section of a body: a person's notes outside it are kept (issue #22) --------------


def _body(marker: Marker = MARKER, subject: str = "Improve things") -> str:
    commits = [UpstreamCommit("c" * 40, subject)]
    return render_body(PrSettings(), ENTRY, marker, compare_url=None, commits=commits, ahead_by=1)


def test_rewriting_the_body_keeps_a_persons_notes_above_and_below() -> None:
    # GitHub's editor sends the body back with CRLF line ends.
    edited = ("Note above.\n\n" + _body() + "\nNote below, @bob.\n").replace("\n", "\r\n")
    moved = dataclasses.replace(MARKER, upstream="e" * 40)
    new = keep_notes(edited, _body(moved, "Newer work"))
    assert new.startswith("Note above.\r\n\r\n")
    assert new.endswith("\r\nNote below, @bob.\r\n")
    assert "Newer work" in new and "Improve things" not in new
    assert parse_marker(new) == moved
    assert keep_notes(new, _body(moved, "Newer work")) == new  # stable once rewritten


def test_body_without_a_section_is_kept_whole() -> None:
    assert keep_notes("A person's words.", _body()).startswith("A person's words.\n\n")
    assert keep_notes(None, _body()) == _body()


def test_body_of_an_earlier_bumper_without_the_opening_line_is_all_bumpers() -> None:
    legacy = "Updates things.\n\n" + format_marker(MARKER) + "\n"
    assert parse_marker(legacy) == MARKER
    assert keep_notes(legacy + "Note.\n", _body()) == _body() + "Note.\n"


def test_marker_counts_only_as_a_line_of_its_own() -> None:
    assert parse_marker("text " + format_marker(MARKER)) is None
    assert parse_marker(format_marker(MARKER) + " text") is None
    forged = dataclasses.replace(MARKER, upstream="f" * 40)
    # A subject quoting a marker stays a code span on its line; the real marker wins.
    body = _body(subject=format_marker(forged))
    assert parse_marker(body) == MARKER
    assert parse_marker(replace_marker(body, forged)) == forged
