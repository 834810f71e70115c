"""Importing a GitHub Actions workflow's matrix, commented-out rows included as held."""

from __future__ import annotations

from textwrap import dedent

import pytest

from bumper.config.matrix import NO_REASON, entries_from_workflow
from bumper.errors import ConfigError
from bumper.model import Entry, Location

WF = ".github/workflows/bump_deps.yaml"

# Shaped like the workflows projects use to bump Makefile pins: one job, a literal include
# list, extra keys the steps use, held rows commented out with a reason above them.
WORKFLOW = dedent(
    """\
    name: Bump dependencies
    on:
      schedule:
        - cron: 0 20 * * *
      workflow_dispatch:
    jobs:
      bump:
        strategy:
          fail-fast: false
          matrix:
            include:
              - repository: "ggml-org/llama.cpp"
                variable: "LLAMA_VERSION"
                branch: "master"
                file: "backend/cpp/llama/Makefile"
              # Held: upstream broke the build, see #123
              # - repository: "ggml-org/whisper.cpp"
              #   variable: "WHISPER_CPP_VERSION"
              #   branch: "master"
              #   file: "backend/go/whisper/Makefile"
              - repository: "PABannier/bark.cpp"
                variable: "BARKCPP_VERSION"
                branch: "main"
                file: "backend/go/bark-cpp/Makefile"
                labels: "bark"   # read by a step, not by bumper

              # Both held until the new sampler API lands upstream
              # (tracked in #456).
              # - repository: "leejet/stable-diffusion.cpp"
              #   variable: "STABLEDIFFUSION_GGML_VERSION"
              #   branch: "master"   # the only branch they publish
              #   file: "backend/go/stablediffusion-ggml/Makefile"
              # - repository: "antirez/voxtral.c"
              #   variable: VOXTRAL_VERSION
              #   branch: main
              #   file: backend/go/voxtral/Makefile

              # - repository: "mudler/go-piper"
              #   variable: PIPER_VERSION
              #   branch: master
              #   file: backend/go/piper/Makefile
              - repository: https://gitlab.com/whisper-group/whisper.cpp
                variable: WHISPER_GITLAB_VERSION
                branch: release/v1
                file: backend/go/whisper-gitlab/Makefile
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          # - repository: not/a-row
          #   variable: NOT_A_ROW
          #   branch: main
          #   file: Makefile
          - name: Bump
            run: make bump VAR=${{ matrix.variable }}
    """
)


def test_imports_rows_and_commented_rows_in_file_order() -> None:
    assert entries_from_workflow(WORKFLOW, WF, "bump") == [
        Entry(
            "ggml-org/llama.cpp",
            "LLAMA_VERSION",
            "master",
            "backend/cpp/llama/Makefile",
            source=Location(WF, 12),
        ),
        Entry(
            "ggml-org/whisper.cpp",
            "WHISPER_CPP_VERSION",
            "master",
            "backend/go/whisper/Makefile",
            hold="Held: upstream broke the build, see #123",
            source=Location(WF, 17),
        ),
        Entry(
            "PABannier/bark.cpp",
            "BARKCPP_VERSION",
            "main",
            "backend/go/bark-cpp/Makefile",
            source=Location(WF, 21),
        ),
        Entry(
            "leejet/stable-diffusion.cpp",
            "STABLEDIFFUSION_GGML_VERSION",
            "master",
            "backend/go/stablediffusion-ggml/Makefile",
            hold="Both held until the new sampler API lands upstream (tracked in #456).",
            source=Location(WF, 29),
        ),
        Entry(
            "antirez/voxtral.c",
            "VOXTRAL_VERSION",
            "main",
            "backend/go/voxtral/Makefile",
            hold="Both held until the new sampler API lands upstream (tracked in #456).",
            source=Location(WF, 33),
        ),
        Entry(
            "mudler/go-piper",
            "PIPER_VERSION",
            "master",
            "backend/go/piper/Makefile",
            hold=NO_REASON,
            source=Location(WF, 38),
        ),
        Entry(
            "https://gitlab.com/whisper-group/whisper.cpp",
            "WHISPER_GITLAB_VERSION",
            "release/v1",
            "backend/go/whisper-gitlab/Makefile",
            source=Location(WF, 42),
        ),
    ]


def test_commented_text_outside_the_include_block_is_not_a_row() -> None:
    variables = [e.variable for e in entries_from_workflow(WORKFLOW, WF, "bump")]
    assert "NOT_A_ROW" not in variables


def test_crlf_workflow_keeps_its_line_numbers() -> None:
    crlf = WORKFLOW.replace("\n", "\r\n")
    assert entries_from_workflow(crlf, WF, "bump") == entries_from_workflow(WORKFLOW, WF, "bump")


def test_include_with_every_row_commented_out_is_all_held() -> None:
    text = dedent(
        """\
        jobs:
          bump:
            strategy:
              matrix:
                include:
                  # Held: waiting for upstream
                  # - {repository: a/b, variable: A, branch: main, file: Makefile}
        """
    )
    assert entries_from_workflow(text, WF, "bump") == [
        Entry(
            "a/b",
            "A",
            "main",
            "Makefile",
            hold="Held: waiting for upstream",
            source=Location(WF, 7),
        )
    ]


def test_flow_style_include_and_unindented_list() -> None:
    text = dedent(
        """\
        jobs:
          bump:
            strategy:
              matrix:
                include:
                - {repository: a/b, variable: A, branch: main, file: Makefile}
                # - repository: c/d
                #   variable: C
                #   branch: main
                #   file: Makefile
                - {repository: e/f, variable: E, branch: main, file: sub/Makefile}
            runs-on: ubuntu-latest
        """
    )
    entries = entries_from_workflow(text, WF, "bump")
    assert [(e.variable, e.hold, e.source) for e in entries] == [
        ("A", None, Location(WF, 6)),
        ("C", NO_REASON, Location(WF, 7)),
        ("E", None, Location(WF, 11)),
    ]


def test_job_is_chosen_by_name() -> None:
    text = dedent(
        """\
        jobs:
          lint:
            runs-on: ubuntu-latest
          bump-go:
            strategy:
              matrix:
                include:
                  - {repository: a/b, variable: A, branch: main, file: Makefile}
        """
    )
    assert [e.variable for e in entries_from_workflow(text, WF, "bump-go")] == ["A"]


def problems(text: str, job: str = "bump") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        entries_from_workflow(text, WF, job)
    return caught.value.problems


def test_half_commented_row_is_an_error_not_silently_dropped() -> None:
    text = dedent(
        """\
        jobs:
          bump:
            strategy:
              matrix:
                include:
                  # Held: flaky
                  # - repository: a/b
                  #   variable: A
                  - {repository: c/d, variable: C, branch: main, file: Makefile}
        """
    )
    assert problems(text) == [
        f"{WF}:7: jobs.bump.strategy.matrix.include[commented]: missing `branch`",
        f"{WF}:7: jobs.bump.strategy.matrix.include[commented]: "
        "missing `file` (or `files`, a list of paths)",
    ]


def test_every_broken_row_is_reported_at_once() -> None:
    text = dedent(
        """\
        jobs:
          bump:
            strategy:
              matrix:
                include:
                  - repository: ggml-org/llama.cpp
                    variable: LLAMA_VERSION
                    branch: ${{ github.ref_name }}
                    file: backend/cpp/llama/Makefile
                  - repository: ggml org/whisper.cpp
                    variable: WHISPER_CPP_VERSION
                    file: ../Makefile
                  # reason
                  # - repository: a/b
                  #   variable: 1A
                  #   branch: main
                  #   file: Makefile
        """
    )
    prefix = f"{WF}:{{}}: jobs.bump.strategy.matrix.include"
    assert problems(text) == [
        prefix.format(8) + "[0].branch: a GitHub Actions expression cannot be resolved here; "
        "write the branch",
        prefix.format(10) + "[1].repository: `ggml org/whisper.cpp` contains whitespace",
        prefix.format(10) + "[1]: missing `branch`",
        prefix.format(12) + "[1].file: `../Makefile` goes up with `..`; it must stay inside "
        "the repository",
        prefix.format(15) + "[commented].variable: `1A` starts with a digit; a make variable "
        "cannot",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", f"{WF}:1: the workflow is empty"),
        ("- a\n", f"{WF}:1: expected a workflow (a mapping with `jobs:`), got a list"),
        ("on: push\n", f"{WF}:1: jobs: missing; this does not look like a GitHub Actions workflow"),
        (
            "jobs:\n  build: {}\n  test: {}\n",
            f"{WF}:1: jobs: no job `bump`; jobs here: build, test",
        ),
        (
            "jobs:\n  bump:\n    runs-on: x\n",
            f"{WF}:2: jobs.bump: has no `strategy`; nothing to import",
        ),
        (
            "jobs:\n  bump:\n    strategy:\n      matrix: ${{ fromJSON(needs.a.outputs.m) }}\n",
            f"{WF}:4: jobs.bump.strategy.matrix: is computed when the workflow runs; "
            "it cannot be imported",
        ),
        (
            "jobs:\n  bump:\n    strategy:\n      matrix:\n        os: [a, b]\n",
            f"{WF}:4: jobs.bump.strategy.matrix: has no `include:` list to import",
        ),
        (
            "jobs:\n  bump:\n    strategy:\n      matrix:\n        include: []\n        os: [a]\n",
            f"{WF}:6: jobs.bump.strategy.matrix.os: only `include:` rows can be imported; "
            "a matrix product has no single pin per row",
        ),
        (
            "jobs:\n  bump:\n    strategy:\n      matrix:\n        include: ${{ fromJSON(x) }}\n",
            f"{WF}:5: jobs.bump.strategy.matrix.include: is computed when the workflow runs; "
            "it cannot be imported",
        ),
        ("jobs: [\n", f"{WF}:2: invalid YAML: expected the node content, but found "),
    ],
    ids=[
        "empty",
        "list",
        "no-jobs",
        "no-such-job",
        "no-strategy",
        "computed-matrix",
        "no-include",
        "matrix-product",
        "computed-include",
        "broken-yaml",
    ],
)
def test_workflows_that_cannot_be_imported_say_why(text: str, expected: str) -> None:
    (problem,) = problems(text)
    assert problem.startswith(expected), problem
