"""Matrix rows for pins outside Makefiles: `file`/`files`, `variable`/`match`/neither, `name`."""

from __future__ import annotations

import pytest

from bumper.config.load import parse_config
from bumper.errors import ConfigError
from bumper.model import Entry, PinBy

FILE = "config/bumper.yaml"


def rows(text: str) -> list[Entry]:
    return list(parse_config("matrix:\n" + text, FILE).matrix)


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config("matrix:\n" + text, FILE)
    return caught.value.problems


def test_files_row_keeps_file_as_the_first_and_lists_all() -> None:
    (entry,) = rows(
        "  - repository: grpc/grpc-go\n"
        "    match: google.golang.org/grpc/cmd/protoc-gen-go-grpc@\n"
        "    name: protoc-gen-go-grpc\n"
        "    branch: master\n"
        "    files: [scripts/a.sh, ./Dockerfile, .github/workflows/ci.yml]\n"
    )
    assert entry.file == "scripts/a.sh"
    assert entry.paths == ("scripts/a.sh", "Dockerfile", ".github/workflows/ci.yml")
    assert entry.variable == "protoc-gen-go-grpc"
    assert entry.match == "google.golang.org/grpc/cmd/protoc-gen-go-grpc@"
    assert entry.by is PinBy.MATCH


def test_row_with_neither_variable_nor_match_pins_the_whole_file() -> None:
    (entry,) = rows(
        "  - repository: o/sub\n    name: sub\n    branch: main\n    file: third_party/sub\n"
    )
    assert (entry.by, entry.variable, entry.paths) == (PinBy.WHOLE, "sub", ("third_party/sub",))


def test_variable_row_reads_as_before() -> None:
    (entry,) = rows(
        "  - repository: o/x\n    variable: X_VERSION\n    branch: main\n    file: prepare.sh\n"
    )
    assert (entry.by, entry.variable, entry.files, entry.match) == (
        PinBy.VARIABLE,
        "X_VERSION",
        (),
        None,
    )


@pytest.mark.parametrize(
    ("text", "where", "phrase"),
    [
        (
            "  - repository: o/x\n    branch: main\n    file: a.txt\n",
            f"{FILE}:2: matrix[0]:",
            "or `name` for a pin without one",
        ),
        (
            "  - repository: o/x\n    name: x\n    branch: main\n",
            f"{FILE}:2: matrix[0]:",
            "missing `file` (or `files`, a list of paths)",
        ),
        (
            "  - repository: o/x\n    name: x\n    branch: main\n    file: a\n    files: [b]\n",
            f"{FILE}:6: matrix[0].files:",
            "give `file` or `files`, not both",
        ),
        (
            "  - repository: o/x\n    name: x\n    branch: main\n    files: []\n",
            f"{FILE}:5: matrix[0].files:",
            "at least one path",
        ),
        (
            "  - repository: o/x\n    name: x\n    branch: main\n    files: a.sh\n",
            f"{FILE}:5: matrix[0].files:",
            "expected a list of paths",
        ),
        (
            "  - repository: o/x\n    name: x\n    branch: main\n"
            "    files:\n      - a.sh\n      - /etc/b\n",
            f"{FILE}:7: matrix[0].files[1]:",
            "absolute",
        ),
        (
            "  - repository: o/x\n    name: x\n    branch: main\n    files: [a.sh, ./a.sh]\n",
            f"{FILE}:5: matrix[0].files[1]:",
            "listed twice",
        ),
        (
            "  - repository: o/x\n    variable: X\n    match: 'x@'\n"
            "    branch: main\n    file: a\n",
            f"{FILE}:4: matrix[0].match:",
            "`variable` or `match`, not both",
        ),
        (
            "  - repository: o/x\n    match: ''\n    name: x\n    branch: main\n    file: a\n",
            f"{FILE}:3: matrix[0].match:",
            "is empty",
        ),
        (
            "  - repository: o/x\n    variable: X\n    name: x\n    branch: main\n    file: a\n",
            f"{FILE}:4: matrix[0].name:",
            "the variable is the pin's name",
        ),
        (
            "  - repository: o/x\n    name: 'has space'\n    branch: main\n    file: a\n",
            f"{FILE}:3: matrix[0].name:",
            "letters, digits",
        ),
    ],
)
def test_bad_pin_keys_name_file_line_and_field(text: str, where: str, phrase: str) -> None:
    problems = problems_of(text)
    assert any(p.startswith(where) and phrase in p for p in problems), problems


def test_same_pin_in_a_file_of_another_rows_files_is_a_duplicate() -> None:
    problems = problems_of(
        "  - repository: o/x\n    name: x\n    branch: main\n    files: [a.sh, b.sh]\n"
        "  - repository: o/x\n    name: x\n    branch: main\n    file: b.sh\n"
    )
    assert any("x in b.sh is pinned twice" in p for p in problems), problems


def test_a_workflow_matrix_row_may_name_a_pin_outside_makefiles() -> None:
    from bumper.config.matrix import entries_from_workflow

    workflow = (
        "jobs:\n  bump:\n    strategy:\n      matrix:\n        include:\n"
        "          - repository: grpc/grpc-go\n            branch: master\n"
        "            name: protoc-gen-go-grpc\n            match: 'grpc@'\n"
        "            files: [a.sh, Dockerfile]\n            runner: ubuntu\n"
    )
    (entry,) = entries_from_workflow(workflow, "wf.yaml", "bump")
    assert (entry.variable, entry.by, entry.paths) == (
        "protoc-gen-go-grpc",
        PinBy.MATCH,
        ("a.sh", "Dockerfile"),
    )
