"""bumper.versions: which tags are releases, their order, and the tag a row follows."""

from __future__ import annotations

import hashlib
import itertools
import random

import pytest

from bumper.versions import Choice, ahead_of, choose, matches, newer, parse


def sha(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


# Each row: tags in ascending version order (equal neighbours marked by "=").
ORDERED = [
    ["v1.0.0", "v1.0.1", "v1.2.0", "v1.10.0", "v2.0.0"],
    ["1.2", "1.2.1", "1.3"],
    ["v1.65.0-rc1", "v1.65.0-rc2", "v1.65.0", "v1.65.1-pre1", "v1.65.1", "v1.66.0"],
    ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1"],
    ["1.0.dev1", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0"],
    ["2023.12.31", "2024.01.1", "2024.06.1", "2024.06.2"],
    ["20231231", "20240101", "20240601"],
    ["1.2.3.4", "1.2.3.5", "1.2.4", "1.2.4.1"],
    ["v9.9.9", "10.0.0-beta", "10.0.0"],
]


@pytest.mark.parametrize("tags", ORDERED, ids=lambda tags: tags[-1])
def test_versions_sort_as_people_read_them(tags: list[str]) -> None:
    shuffled = tags[:]
    random.Random(17).shuffle(shuffled)
    versions = sorted(shuffled, key=lambda t: parse(t))  # type: ignore[arg-type, return-value]
    assert versions == tags
    for lower, higher in itertools.pairwise(tags):
        assert newer(higher, lower) and not newer(lower, higher)


@pytest.mark.parametrize(
    ("name", "release", "prerelease"),
    [
        ("v1.66.1", (1, 66, 1, 0), False),
        ("V2", (2, 0, 0, 0), False),
        ("1.2.3+build.7", (1, 2, 3, 0), False),
        ("2024.06.1", (2024, 6, 1, 0), False),
        ("20240601", (20240601, 0, 0, 0), False),
        ("v1.65.0-rc1", (1, 65, 0, 0), True),
        ("v2.0.0-beta.2", (2, 0, 0, 0), True),
        ("3.12.0a1", (3, 12, 0, 0), True),
        ("1.0.dev4", (1, 0, 0, 0), True),
    ],
)
def test_a_version_tag_is_read(name: str, release: tuple[int, ...], prerelease: bool) -> None:
    version = parse(name)
    assert version is not None
    assert (version.release, version.prerelease) == (release, prerelease)


@pytest.mark.parametrize(
    "name",
    [
        "latest",
        "nightly",
        "nightly-2024-06-01",
        "release-1.2",
        "1.2.x",
        "1.2.3-1",
        "1.2.3.4.5",
        "v1.2.3-foo",
        "v",
        "",
        "1..2",
        "v1.2 ",
        "8f3c8ff2a1c7d1c3b0c4f5e6a7b8c9d0e1f2a3b4",
        "3c363836cf4e16666669a25da280a1865c2d2874",
        "1a2b3c",
        "1234567890123456789012",
        "v1.2.3;rm -rf",
        "v1.2.3\n",
    ],
)
def test_junk_tags_are_not_versions(name: str) -> None:
    assert parse(name) is None


def test_v_prefix_and_padding_are_the_same_version() -> None:
    assert parse("v1.2") == parse("1.2.0.0")
    assert not newer("v1.2", "1.2.0") and not newer("1.2.0", "v1.2")


TAGS = [
    ("v1.64.0", sha("a")),
    ("v1.65.0", sha("b")),
    ("v1.66.1", sha("c")),
    ("v1.67.0-rc1", sha("d")),
    ("v2.0.0-beta.1", sha("e")),
    ("latest", sha("f")),
    ("nightly-20991231", sha("g")),
    ("2.0-patched", sha("h")),
]


def test_newest_release_skips_pre_releases_and_junk() -> None:
    choice = choose(TAGS, None, prerelease=False)
    assert choice is not None
    assert (choice.name, choice.sha) == ("v1.66.1", sha("c"))
    assert choice.above == (("v1.67.0-rc1", sha("d")), ("v2.0.0-beta.1", sha("e")))


def test_prerelease_true_follows_pre_releases() -> None:
    choice = choose(TAGS, None, prerelease=True)
    assert choice is not None and choice.name == "v2.0.0-beta.1"
    assert choice.above == ()


def test_glob_limits_the_tags_followed() -> None:
    tags = [*TAGS, ("v2.1.0", sha("i"))]
    choice = choose(tags, "v1.*", prerelease=False)
    assert choice is not None and choice.name == "v1.66.1"
    assert ("v2.1.0", sha("i")) in choice.above
    assert choose(tags, "v3.*", prerelease=False) is None
    assert matches("v1.2", "v1.*") and not matches("v10.2", "v1.*") and matches("x", None)


def test_no_release_at_all_is_none() -> None:
    assert choose([("latest", sha("x")), ("v1.0.0-rc1", sha("y"))], None, prerelease=False) is None
    assert choose([], None, prerelease=True) is None


def test_the_choice_does_not_depend_on_listing_order() -> None:
    tags = [("1.2.0", sha("a")), ("v1.2", sha("b")), ("v1.2.0", sha("c"))]
    picks = {choose(order, None, prerelease=False) for order in (tags, tags[::-1])}
    assert picks == {Choice("v1.2.0", sha("c"))}


def test_a_pin_past_the_newest_release_is_never_pulled_back() -> None:
    choice = choose(TAGS, None, prerelease=False)
    assert choice is not None
    assert ahead_of("v1.70.0", choice) == (
        "v1.70.0 is newer than every matching tag (newest v1.66.1); left as it is"
    )
    assert "v1.67.0-rc1" in (ahead_of(sha("d"), choice) or "")
    assert "v2.0.0-beta.1" in (ahead_of("v2.0.0-beta.1", choice) or "")
    assert ahead_of("v1.65.0", choice) is None
    assert ahead_of(sha("b"), choice) is None
    assert ahead_of("v1.66.1", choice) is None
    assert ahead_of("not-a-version", choice) is None
