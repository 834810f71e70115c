"""PR text for rows following release tags: titles and bodies say the release, and bumper
still recognises its own PRs and commits when the pin's value is a tag."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from bumper.bump.prtext import (
    Marker,
    commit_message,
    format_marker,
    parse_marker,
    parse_trailer,
    render_body,
    render_title,
)
from bumper.config.schema import config_schema
from bumper.config.settings import PrSettings
from bumper.model import Entry, tags_key

TAGS = Entry("grpc/grpc", "GRPC_VERSION", tags_key("v1.*", False), "Makefile", follow="tags")
SHA, NEW = "a" * 40, "b" * 40
BASE, COMMIT = "c" * 40, "d" * 40


def test_the_title_says_the_release_once() -> None:
    pr = PrSettings()
    assert render_title(pr, TAGS, "v1.65.0", "v1.66.1", release="v1.66.1") == (
        "chore: :arrow_up: Update grpc/grpc to `v1.66.1` (v1.65.0 -> v1.66.1)"
    )
    assert render_title(pr, TAGS, SHA, NEW, release="v1.66.1").endswith("(aaaaaaaaaaaa -> v1.66.1)")
    said = PrSettings(title="{variable}: {old} -> {sha}")
    assert render_title(said, TAGS, "v1.65.0", "v1.66.1", release="v1.66.1") == (
        "GRPC_VERSION: v1.65.0 -> v1.66.1"
    )
    # a branch row's title is as it was
    assert "->" not in render_title(pr, Entry("o/r", "V", "main", "Makefile"), SHA, NEW)


def test_the_body_links_the_release_notes_and_the_tag_compare_view() -> None:
    marker = Marker("Makefile", "GRPC_VERSION", "grpc/grpc", "v1.66.1", "v1.65.0", BASE, COMMIT)
    body = render_body(
        PrSettings(),
        TAGS,
        marker,
        compare_url="https://gh.invalid/grpc/grpc/compare/v1.65.0...v1.66.1",
        commits=None,
        ahead_by=None,
        release="v1.66.1",
        release_url="https://gh.invalid/grpc/grpc/releases/tag/v1.66.1",
    )
    assert "from `v1.65.0` to `v1.66.1` (`grpc/grpc` release `v1.66.1`)." in body
    assert (
        "Release: v1.65.0 -> v1.66.1, notes: https://gh.invalid/grpc/grpc/releases/tag/v1.66.1"
        in body
    )
    assert "Compare: https://gh.invalid/grpc/grpc/compare/v1.65.0...v1.66.1" in body
    assert parse_marker(body) == marker


def test_a_marker_and_trailer_carrying_a_release_are_bumpers() -> None:
    marker = Marker("Makefile", "GRPC_VERSION", "grpc/grpc", "v1.66.1", "v1.65.0", BASE, COMMIT)
    assert parse_marker(format_marker(marker)) == marker
    message = commit_message(PrSettings(), TAGS, "v1.65.0", "v1.66.1")
    trailer = parse_trailer(message)
    assert trailer is not None and (trailer.upstream, trailer.file) == ("v1.66.1", "Makefile")


@pytest.mark.parametrize("upstream", ["latest", "v1.2.3;rm", "main", ""])
def test_a_marker_whose_value_is_no_release_is_not_bumpers(upstream: str) -> None:
    marker = Marker("Makefile", "V", "o/r", upstream, "v1.0.0", BASE, COMMIT)
    assert parse_marker(format_marker(marker)) is None
    assert parse_trailer(f"x\n\nBumper-Pin: V {upstream} Makefile\n") is None


def test_the_shipped_schema_takes_a_release_row_and_refuses_both_kinds() -> None:
    schema = config_schema()

    def check(text: str) -> list[Any]:
        doc = YAML(typ="safe").load(text)
        return list(jsonschema.Draft202012Validator(schema).iter_errors(doc))

    row = "matrix:\n  - {repository: grpc/grpc, variable: V, file: Makefile, "
    assert check(row + 'follow: tags, tags: "v1.*", prerelease: true, also: {match: x}}\n') == []
    assert check(row + "follow: tags, also: [{match: x, file: y}]}\n") == []
    assert check(row + "follow: tags, branch: main}\n")
    assert check(row + "follow: branch}\n")
    assert check(row + "follow: tags, prerelease: yes-please}\n")
    assert check(row + "follow: tags, also: {file: y}}\n")


def test_short_sha_of_a_release_is_the_whole_release() -> None:
    pr = PrSettings(title="bump {variable} to {short_sha}")
    assert render_title(pr, TAGS, "v1.99.9", "v1.100.10", release="v1.100.10") == (
        "bump GRPC_VERSION to v1.100.10 (v1.99.9 -> v1.100.10)"
    )
