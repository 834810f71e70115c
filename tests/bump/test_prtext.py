"""What bumper writes into PRs and commits, and reads back."""

from __future__ import annotations

import dataclasses

from bumper.bump.prtext import (
    Marker,
    UpstreamCommit,
    commit_message,
    format_marker,
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
    line = next(x for x in body.splitlines() if x.startswith("- dddd"))
    assert "@alice" not in line and "#12" not in line and "<b>" not in line
    assert "Fixes" not in line and "F\u200bixes" in line


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
