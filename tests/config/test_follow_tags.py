"""Matrix rows that follow release tags (`follow: tags`) instead of a branch."""

from __future__ import annotations

import pytest

from bumper.config.load import parse_config
from bumper.config.matrix import entries_from_workflow
from bumper.errors import ConfigError
from bumper.model import Also, tag_selection

FILE = "config/bumper.yaml"


def row(**fields: object) -> str:
    base: dict[str, object] = {
        "repository": "grpc/grpc",
        "variable": "GRPC_VERSION",
        "follow": "tags",
        "file": "backend/Makefile",
    }
    base.update(fields)
    lines = [f"{k}: {v}" for k, v in base.items() if v != "-"]
    return "matrix:\n  - " + "\n    ".join(lines) + "\n"


def test_a_row_follows_tags_with_a_glob_and_pre_releases() -> None:
    config = parse_config(row(tags='"v1.*"', prerelease="true"), FILE)
    (entry,) = config.matrix
    assert entry.follows_tags
    assert (entry.follow, entry.tags, entry.prerelease) == ("tags", "v1.*", True)
    # what run-once --json and the PR text show as what the row follows
    assert entry.branch == "tags+pre:v1.*"
    assert tag_selection(entry.branch) == ("v1.*", True)
    assert tag_selection("master") is None and tag_selection("tags") is None


def test_rows_following_tags_or_a_branch_side_by_side() -> None:
    text = row() + row(variable="LLAMA_VERSION", follow="-", branch="master").removeprefix(
        "matrix:\n"
    )
    tags, branch = parse_config(text, FILE).matrix
    assert (tags.follows_tags, tags.branch, tags.tags, tags.prerelease) == (
        True,
        "tags:*",
        None,
        False,
    )
    assert (branch.follows_tags, branch.branch) == (False, "master")


CASES = [
    ("both", row(branch="master"), f"{FILE}:4: matrix[0].follow:", "not both"),
    ("neither", row(follow="-"), f"{FILE}:2: matrix[0]:", "missing `branch`"),
    ("follow-branch", row(follow="branch"), f"{FILE}:4: matrix[0].follow:", "`branch:` alone"),
    ("follow-typo", row(follow="tag"), f"{FILE}:4: matrix[0].follow:", "the one value is `tags`"),
    (
        "tags-without-follow",
        row(follow="-", branch="master", tags='"v1.*"'),
        f"{FILE}:6: matrix[0].tags:",
        "only with `follow: tags`",
    ),
    (
        "prerelease-without-follow",
        row(follow="-", branch="master", prerelease="true"),
        f"{FILE}:6: matrix[0].prerelease:",
        "only with `follow: tags`",
    ),
    (
        "prerelease-not-bool",
        row(prerelease="yes please"),
        f"{FILE}:6: matrix[0].prerelease:",
        "true or false",
    ),
    ("tags-not-string", row(tags="[v1]"), f"{FILE}:6: matrix[0].tags:", "a glob on tag names"),
    ("tags-empty", row(tags='""'), f"{FILE}:6: matrix[0].tags:", "is not a glob"),
    ("tags-misspelt", row(tag='"v1.*"'), f"{FILE}:6: matrix[0].tag:", "did you mean `tags`?"),
]


@pytest.mark.parametrize(
    ("text", "start", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_tag_rows_name_file_line_and_field(text: str, start: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, FILE)
    messages = caught.value.problems
    assert any(m.startswith(start) and phrase in m for m in messages), messages


def test_also_names_more_places_of_the_same_value() -> None:
    single = parse_config(row(also='{match: "grpcio=="}'), FILE).matrix[0]
    assert single.also == (Also("grpcio==", "backend/Makefile"),)
    listed = parse_config(
        row(also='[{match: "grpcio==", file: req.txt}, {match: "/grpcio-", file: ./req.txt}]'),
        FILE,
    ).matrix[0]
    assert listed.also == (Also("grpcio==", "req.txt"), Also("/grpcio-", "req.txt"))
    assert listed.paths == ("backend/Makefile", "req.txt")


ALSO_CASES = [
    ("also-string", row(also='"grpcio=="'), f"{FILE}:6: matrix[0].also:", "expected a mapping"),
    ("also-no-match", row(also="{file: x}"), f"{FILE}:6: matrix[0].also.match:", "missing"),
    (
        "also-typo",
        row(also="[{match: a, fiel: x}]"),
        f"{FILE}:6: matrix[0].also[0].fiel:",
        "did you mean `file`?",
    ),
    ("also-bad-file", row(also="{match: a, file: ../x}"), f"{FILE}:6: matrix[0].also.file:", ".."),
]


@pytest.mark.parametrize(
    ("text", "start", "phrase"), [c[1:] for c in ALSO_CASES], ids=[c[0] for c in ALSO_CASES]
)
def test_bad_also_names_file_line_and_field(text: str, start: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, FILE)
    messages = caught.value.problems
    assert any(m.startswith(start) and phrase in m for m in messages), messages


def test_a_workflow_matrix_row_may_follow_tags() -> None:
    workflow = (
        "jobs:\n  bump:\n    strategy:\n      matrix:\n        include:\n"
        "          - repository: grpc/grpc\n            variable: GRPC_VERSION\n"
        "            follow: tags\n            tags: 'v1.*'\n            file: Dockerfile\n"
        "            runner: ubuntu\n"
        "          # Held: waiting for 1.67\n"
        "          # - repository: acme/x\n          #   variable: X\n"
        "          #   follow: tags\n          #   file: Makefile\n"
    )
    grpc, held = entries_from_workflow(workflow, "wf.yaml", "bump")
    assert (grpc.follows_tags, grpc.tags, grpc.branch) == (True, "v1.*", "tags:v1.*")
    assert (held.follows_tags, held.hold) == (True, "Held: waiting for 1.67")
