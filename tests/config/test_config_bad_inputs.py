"""A corpus of broken configs: each must be refused with FILE:LINE: key.path: and a hint."""

from __future__ import annotations

import os
import random
from pathlib import Path
from textwrap import dedent

import pytest

from bumper.config.load import MAX_CONFIG_BYTES, load_config, parse_config
from bumper.errors import ConfigError

FILE = "config/bumper.yaml"
FAKE_TOKEN = "ghp_" + "A1b2C3d4" * 4 + "zz99"
# Not token-shaped, so the URL checks see it (a token-shaped one is refused before them).
PASSWORD = "hunter2-" + "s3cret" * 3

GOOD_ROW = """\
  - repository: ggml-org/llama.cpp
    variable: LLAMA_VERSION
    branch: master
    file: backend/cpp/llama/Makefile
"""


def problems_of(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, FILE, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def row(**fields: str) -> str:
    """One matrix row; a field given as None-like '-' is left out."""
    base = {
        "repository": "ggml-org/llama.cpp",
        "variable": "LLAMA_VERSION",
        "branch": "master",
        "file": "backend/cpp/llama/Makefile",
    }
    base.update(fields)
    lines = [f"{k}: {v}" for k, v in base.items() if v != "-"]
    return "  - " + "\n    ".join(lines) + "\n"


# (id, config text, the message's exact "FILE:LINE: path:" start, a phrase it must contain)
CASES = [
    (
        "misspelt-entry-key",
        "matrix:\n" + row(variable="-", varaible="LLAMA_VERSION"),
        f"{FILE}:5: matrix[0].varaible:",
        "unknown key; did you mean `variable`?",
    ),
    (
        "misspelt-top-level-key",
        "matirx:\n" + GOOD_ROW,
        f"{FILE}:1: matirx:",
        "did you mean `matrix`?",
    ),
    (
        "misspelt-section-key",
        "github:\n  api_ulr: https://ghe.example.com/api/v3\n",
        f"{FILE}:2: github.api_ulr:",
        "did you mean `api_url`?",
    ),
    (
        "token-in-config",
        f"github:\n  token_env: GH\n  token: {FAKE_TOKEN}\n",
        f"{FILE}:3: github.token:",
        "name that variable with `github.token_env`",
    ),
    (
        "token-pasted-as-token-env",
        f"github:\n  token_env: {FAKE_TOKEN}\n",
        f"{FILE}:2: github.token_env:",
        "looks like a token",
    ),
    (
        "credentials-in-api-url",
        f"github:\n  api_url: https://bot:{PASSWORD}@ghe.example.com/api/v3\n",
        f"{FILE}:2: github.api_url:",
        "credentials do not belong in a URL",
    ),
    (
        "api-url-not-http",
        "github:\n  api_url: ftp://ghe.example.com\n",
        f"{FILE}:2: github.api_url:",
        "must start with https://",
    ),
    (
        "api-url-plain-http-remote",
        "github:\n  git_url: http://ghe.example.com\n",
        f"{FILE}:2: github.git_url:",
        "set `lookup.allow_http: true`",
    ),
    (
        "wrong-type-list",
        "matrix:\n" + row(variable="[A, B]"),
        f"{FILE}:3: matrix[0].variable:",
        "expected a string, got a list",
    ),
    (
        "number-where-branch-expected",
        "matrix:\n" + row(branch="1.0"),
        f"{FILE}:4: matrix[0].branch:",
        "expected a string, got a number; put the value in quotes",
    ),
    (
        "missing-required-field",
        "matrix:\n" + GOOD_ROW + row(variable="WHISPER_CPP_VERSION", file="-"),
        f"{FILE}:6: matrix[1]:",
        "missing `file`",
    ),
    (
        "variable-with-hyphen",
        "matrix:\n" + row(variable="LLAMA-VERSION"),
        f"{FILE}:3: matrix[0].variable:",
        "not a make variable name",
    ),
    (
        "variable-starting-with-digit",
        "matrix:\n" + row(variable="1LLAMA"),
        f"{FILE}:3: matrix[0].variable:",
        "starts with a digit",
    ),
    (
        "absolute-file",
        "matrix:\n" + row(file="/etc/Makefile"),
        f"{FILE}:5: matrix[0].file:",
        "is absolute",
    ),
    (
        "dotdot-file",
        "matrix:\n" + row(file="backend/../../Makefile"),
        f"{FILE}:5: matrix[0].file:",
        "goes up with `..`",
    ),
    (
        "duplicate-pin-names-both-lines",
        "matrix:\n" + GOOD_ROW + row(file="./backend/cpp/llama/Makefile"),
        f"{FILE}:6: matrix[1]:",
        f"pinned twice: here and at {FILE}:2 (matrix[0])",
    ),
    (
        "repository-without-name",
        "matrix:\n" + row(repository="ggml-org"),
        f"{FILE}:2: matrix[0].repository:",
        "is not `owner/name`",
    ),
    (
        "repository-owner-leading-hyphen",
        "matrix:\n" + row(repository="-ggml/llama.cpp"),
        f"{FILE}:2: matrix[0].repository:",
        "is not a GitHub owner",
    ),
    (
        "repository-with-git-suffix",
        "matrix:\n" + row(repository="ggml-org/llama.cpp.git"),
        f"{FILE}:2: matrix[0].repository:",
        "without `.git`",
    ),
    (
        "repository-ssh",
        "matrix:\n" + row(repository="git@github.com:ggml-org/llama.cpp.git"),
        f"{FILE}:2: matrix[0].repository:",
        "ssh addresses are not supported",
    ),
    (
        "repository-missing-scheme",
        "matrix:\n" + row(repository="gitlab.com/group/project"),
        f"{FILE}:2: matrix[0].repository:",
        "write https://gitlab.com/group/project",
    ),
    (
        "repository-url-with-credentials",
        "matrix:\n" + row(repository=f"http://bot:{PASSWORD}@git.example.com/llama.cpp"),
        f"{FILE}:2: matrix[0].repository:",
        "credentials do not belong in a URL",
    ),
    (
        "control-character",
        "matrix:\n" + row(branch="ma\x07ster"),
        f"{FILE}:4: invalid YAML:",
        "control character U+0007 is not allowed",
    ),
    (
        "repository-plain-http",
        "matrix:\n" + row(repository="http://git.example.com/llama.cpp.git"),
        f"{FILE}:2: matrix[0].repository:",
        "set `lookup.allow_http: true`",
    ),
    (
        "branch-empty",
        "matrix:\n" + row(branch='""'),
        f"{FILE}:4: matrix[0].branch:",
        "is empty",
    ),
    (
        "branch-with-space",
        "matrix:\n" + row(branch='"release 1"'),
        f"{FILE}:4: matrix[0].branch:",
        "contains whitespace",
    ),
    (
        "branch-with-dotdot",
        "matrix:\n" + row(branch="main..dev"),
        f"{FILE}:4: matrix[0].branch:",
        "contains `..`",
    ),
    (
        "branch-as-full-ref",
        "matrix:\n" + row(branch="refs/heads/master"),
        f"{FILE}:4: matrix[0].branch:",
        "without `refs/heads/`",
    ),
    (
        "hold-not-a-string",
        "matrix:\n" + row(hold="true"),
        f"{FILE}:6: matrix[0].hold:",
        "expected a string giving the reason, got a boolean",
    ),
    (
        "hold-empty",
        "matrix:\n" + row(hold='""'),
        f"{FILE}:6: matrix[0].hold:",
        "got an empty string",
    ),
    (
        "matrix-not-a-list",
        "matrix:\n  repository: ggml-org/llama.cpp\n",
        f"{FILE}:2: matrix:",
        "expected a list of entries, got a mapping",
    ),
    (
        "matrix-row-not-a-mapping",
        "matrix:\n  - ggml-org/llama.cpp\n",
        f"{FILE}:2: matrix[0]:",
        "expected a mapping with `repository`",
    ),
    (
        "malformed-yaml",
        "matrix:\n  - repository: [ggml-org/llama.cpp\n    variable: X\n",
        f"{FILE}:3: invalid YAML:",
        "expected ',' or ']', but got ':' (while parsing a flow sequence on line 2)",
    ),
    (
        "tab-indentation",
        "matrix:\n\t- repository: x/y\n",
        f"{FILE}:2: invalid YAML:",
        "YAML indents with spaces, not tabs",
    ),
    (
        "duplicate-yaml-key",
        f"github:\n  token_env: {FAKE_TOKEN}\n  token_env: GH\n",
        f"{FILE}:3: invalid YAML:",
        "duplicate key `token_env`",
    ),
    (
        "top-level-list",
        GOOD_ROW,
        f"{FILE}:1: expected a mapping of settings",
        "got a list",
    ),
    (
        "empty-file",
        "",
        f"{FILE}:1: the file has no settings",
        "empty, or only comments",
    ),
    (
        "only-comments",
        "# matrix:\n#  - repository: x/y\n",
        f"{FILE}:1: the file has no settings",
        "see config/README.md",
    ),
    (
        "section-not-a-mapping",
        "github:\n  - https://api.github.com\nmatrix: []\n",
        f"{FILE}:1: github:",
        "expected a mapping, got a list",
    ),
    (
        "cron-four-fields",
        'schedule: "0 3 * *"\n',
        f"{FILE}:1: schedule:",
        "has 5 fields (minute hour day month weekday), this has 4",
    ),
    (
        "cron-hour-out-of-range",
        'schedule:\n  cron: "0 25 * * *"\n',
        f"{FILE}:2: schedule.cron:",
        "hour 25 is out of range 0-23",
    ),
    (
        "cron-shortcut",
        "schedule:\n  cron: '@daily'\n",
        f"{FILE}:2: schedule.cron:",
        "shortcuts are not supported",
    ),
    (
        "unknown-timezone",
        "schedule:\n  cron: 0 3 * * *\n  timezone: Europe/Pariss\n",
        f"{FILE}:3: schedule.timezone:",
        "did you mean `Europe/Paris`?",
    ),
    (
        "template-unknown-placeholder",
        "pr:\n  title: 'Update {varible} to {sha}'\n",
        f"{FILE}:2: pr.title:",
        "unknown placeholder {varible}; did you mean {variable}?",
    ),
    (
        "template-unbalanced-brace",
        "pr:\n  commit_message: 'Update {variable'\n",
        f"{FILE}:2: pr.commit_message:",
        "write {{ or }} for a literal brace",
    ),
    (
        "branch-template-with-sha",
        "pr:\n  branch: 'bump/{variable}-{short_sha}'\n",
        f"{FILE}:2: pr.branch:",
        "{short_sha} changes with every upstream commit",
    ),
    (
        "branch-template-not-unique",
        "pr:\n  branch: bumper/update\nmatrix:\n"
        + GOOD_ROW
        + row(variable="WHISPER_CPP_VERSION", file="backend/go/whisper/Makefile"),
        f"{FILE}:2: pr.branch:",
        "gives the same branch `bumper/update`",
    ),
    (
        "default-branch-template-same-variable-twice",
        "matrix:\n" + GOOD_ROW + row(file="backend/cpp/llama-grpc/Makefile"),
        f"{FILE}:6: pr.branch (default update/{{variable}}):",
        "set `pr.branch`, e.g. update/{variable}-{file}",
    ),
    (
        "template-huge-width",
        "pr:\n  title: 'Update to {sha:>999999999}'\n",
        f"{FILE}:2: pr.title:",
        "{sha:>999999999}: placeholders take no format spec or conversion; write {sha}",
    ),
    (
        "template-conversion",
        "pr:\n  commit_message: 'Update {repository!r}'\n",
        f"{FILE}:2: pr.commit_message:",
        "{repository!r}: placeholders take no format spec or conversion",
    ),
    (
        "branch-template-is-the-base",
        "pr:\n  branch: main\nmatrix:\n" + GOOD_ROW,
        f"{FILE}:2: pr.branch:",
        "which would be the base branch",
    ),
    (
        "branch-template-gives-the-base-for-one-row",
        "target:\n  repository: acme/app\n  base: master\npr:\n  branch: '{branch}'\n"
        "matrix:\n" + GOOD_ROW,
        f"{FILE}:5: pr.branch:",
        "gives `master` for LLAMA_VERSION",
    ),
    (
        "labels-as-string",
        "pr:\n  labels: dependencies\n",
        f"{FILE}:2: pr.labels:",
        'write ["dependencies"]',
    ),
    (
        "rebase-misspelt",
        "pr:\n  rebase: conflict\n",
        f"{FILE}:2: pr.rebase:",
        "expected one of conflicted, behind, got 'conflict'",
    ),
    (
        "carry-commits-quoted",
        "pr:\n  carry_commits: 'no'\n",
        f"{FILE}:2: pr.carry_commits:",
        "write true or false without quotes",
    ),
    (
        "adopt-authors-as-string",
        "pr:\n  adopt_authors: renovate[bot]\n",
        f"{FILE}:2: pr.adopt_authors:",
        'write ["renovate[bot]"]',
    ),
    (
        "adopt-authors-empty-name",
        "pr:\n  adopt_authors: [old-bot, '']\n",
        f"{FILE}:2: pr.adopt_authors:",
        "[1]: expected a name, an email or a login, got an empty string",
    ),
    (
        "boolean-where-number-expected",
        "lookup:\n  concurrency: true\n",
        f"{FILE}:2: lookup.concurrency:",
        "expected a whole number, got a boolean",
    ),
    (
        "quoted-boolean",
        "lookup:\n  allow_http: 'yes'\n",
        f"{FILE}:2: lookup.allow_http:",
        "write true or false without quotes",
    ),
    (
        "concurrency-too-high",
        "lookup:\n  concurrency: 500\n",
        f"{FILE}:2: lookup.concurrency:",
        "500 is more than 64",
    ),
    (
        "target-repository-as-url",
        "target:\n  repository: https://github.com/mudler/LocalAI\n",
        f"{FILE}:2: target.repository:",
        "is not `owner/name`",
    ),
    (
        "private-key-inline",
        "github:\n  app_id: 12\n  app_private_key: |\n    -----BEGIN RSA PRIVATE KEY-----\n"
        "    MIIEow\n",
        f"{FILE}:3: github.app_private_key:",
        "not the key itself",
    ),
    (
        "app-id-without-key",
        "github:\n  app_id: 12\n",
        f"{FILE}:2: github.app_id:",
        "also needs `github.app_private_key`",
    ),
    (
        "matrix-from-missing-job",
        "matrix_from:\n  workflow: .github/workflows/bump_deps.yaml\n",
        f"{FILE}:1: matrix_from:",
        "missing `job`",
    ),
    (
        "matrix-from-without-source",
        "target:\n  repository: mudler/LocalAI\nmatrix_from:\n"
        "  workflow: .github/workflows/bump_deps.yaml\n  job: bump\n",
        f"{FILE}:4: matrix_from.workflow:",
        "no --checkout was given and it was not fetched from mudler/LocalAI",
    ),
    (
        "matrix-from-not-yaml",
        "matrix_from:\n  workflow: .github/workflows/bump.sh\n  job: bump\n",
        f"{FILE}:2: matrix_from.workflow:",
        "is not a .yml or .yaml workflow file",
    ),
    (
        "workflow-pasted-as-config",
        "on: push\njobs:\n  bump: {}\n",
        f"{FILE}:1: on:",
        "this looks like a GitHub Actions workflow",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_config_is_refused_with_file_line_and_key(text: str, where: str, phrase: str) -> None:
    problems = problems_of(text)
    matching = [p for p in problems if p.startswith(where + " ") or p == where]
    assert matching, f"no problem starts with {where!r}: {problems}"
    assert any(phrase in p for p in matching), matching


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 20


def test_no_message_ever_echoes_a_token() -> None:
    for _, text, _, _ in CASES:
        for secret in (FAKE_TOKEN, PASSWORD):
            if secret in text:
                assert not any(secret in p for p in problems_of(text))


def test_misspelt_key_is_not_also_reported_missing() -> None:
    problems = problems_of("matrix:\n" + row(variable="-", varaible="LLAMA_VERSION"))
    assert problems == [
        f"{FILE}:5: matrix[0].varaible: unknown key; did you mean `variable`?",
    ]


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    text = dedent(
        """\
        github:
          api_url: https://api.github.com
          tokenenv: GITHUB_TOKEN
        target:
          repository: mudler/LocalAI
        schedule:
          cron: "0 3 * *"
        lookup:
          retries: -1
        matrix:
          - repository: ggml-org/llama.cpp
            variable: LLAMA-VERSION
            branch: master
            file: /backend/cpp/llama/Makefile
          - repository: ggml-org/whisper.cpp
            varaible: WHISPER_CPP_VERSION
            branch: master
            file: backend/go/whisper/Makefile
          - repository: PABannier/bark.cpp
            variable: BARKCPP_VERSION
            branch: main
            file: Makefile
            hold: true
          - repository: leejet/stable-diffusion.cpp
            variable: BARKCPP_VERSION
            branch: master
            file: ./Makefile
        """
    )
    assert problems_of(text) == [
        f"{FILE}:3: github.tokenenv: unknown key; did you mean `token_env`?",
        f"{FILE}:7: schedule.cron: a cron expression has 5 fields (minute hour day month "
        "weekday), this has 4; e.g. 0 3 * * *",
        f"{FILE}:9: lookup.retries: -1 is less than 0",
        f"{FILE}:12: matrix[0].variable: `LLAMA-VERSION` is not a make variable name "
        "(letters, digits and underscores only)",
        f"{FILE}:14: matrix[0].file: `/backend/cpp/llama/Makefile` is absolute; "
        "give the path from the repository root",
        f"{FILE}:16: matrix[1].varaible: unknown key; did you mean `variable`?",
        f"{FILE}:23: matrix[2].hold: expected a string giving the reason, got a boolean; "
        'e.g. hold: "upstream broke the build, see #123"',
    ]


def test_duplicate_is_reported_even_when_other_rows_are_broken() -> None:
    text = "matrix:\n" + GOOD_ROW + row(variable="9X") + GOOD_ROW
    problems = problems_of(text)
    assert f"{FILE}:7: matrix[1].variable: `9X` starts with a digit; a make variable cannot" in (
        problems
    )
    assert any(p.startswith(f"{FILE}:10: matrix[2]: LLAMA_VERSION in") for p in problems)


# --- files that are not YAML text at all ---------------------------------------------------


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path so configs are named by a relative path, as users type them."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    return tmp_path


def load_problems(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def test_non_utf8_bytes_name_the_line(in_tmp: Path) -> None:
    Path(FILE).write_bytes(b"matrix:\n  - repository: caf\xe9/llama\n")
    assert load_problems(Path(FILE)) == [
        f"{FILE}:2: not valid UTF-8 (byte 0xe9 at column 20); save the file as UTF-8"
    ]


def test_binary_file_is_refused(in_tmp: Path) -> None:
    Path(FILE).write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)))
    assert load_problems(Path(FILE)) == [
        f"{FILE}:1: contains a NUL byte; this is a binary file, not YAML"
    ]


def test_utf16_file_is_refused_with_a_fix(in_tmp: Path) -> None:
    Path(FILE).write_bytes("matrix: []\n".encode("utf-16"))
    assert load_problems(Path(FILE)) == [f"{FILE}:1: is UTF-16; save it as UTF-8"]


def test_huge_file_is_refused_before_parsing(in_tmp: Path) -> None:
    with open(FILE, "wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)  # sparse: costs no disk
    (problem,) = load_problems(Path(FILE))
    assert problem.startswith(f"{FILE}: is {MAX_CONFIG_BYTES + 1:,} bytes; a config may have")


def test_missing_file_and_directory_are_one_line_each(in_tmp: Path) -> None:
    assert load_problems(Path("config/nope.yaml")) == ["config/nope.yaml: no such file"]
    assert load_problems(Path("config")) == ["config: is a directory, not a YAML file"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_special_file_is_refused_without_blocking(in_tmp: Path) -> None:
    os.mkfifo("config/pipe.yaml")
    assert load_problems(Path("config/pipe.yaml")) == ["config/pipe.yaml: is not a regular file"]


def test_input_that_trips_the_yaml_parser_itself_is_a_problem_not_a_crash() -> None:
    # ruamel raises a bare AssertionError on this (a `>` before a comment, after a comment).
    text = "github:\n  # c\n > # https://HOST/api/v3\n  api_url: https://api.github.com\n"
    (problem,) = problems_of(text)
    assert problem.startswith(f"{FILE}:1: invalid YAML: the parser gave up (AssertionError)")


def test_deep_nesting_is_refused_cleanly() -> None:
    problems = problems_of("matrix: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problems == [f"{FILE}:1: invalid YAML: nested too deeply"]


def test_file_reached_through_symlink_outside_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    outside = tmp_path / "elsewhere"
    (checkout / "backend").mkdir(parents=True)
    outside.mkdir()
    (outside / "Makefile").write_text("LLAMA_VERSION?=abc\n")
    (checkout / "backend" / "llama").symlink_to(outside, target_is_directory=True)
    text = "matrix:\n" + row(file="backend/llama/Makefile")
    assert problems_of(text, checkout=checkout) == [
        f"{FILE}:2: matrix[0].file: `backend/llama/Makefile` leads outside the checkout "
        "through a symlink"
    ]


def test_workflow_path_through_symlink_outside_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (tmp_path / "secret.yaml").write_text("jobs: {}\n")
    (checkout / "wf.yaml").symlink_to(tmp_path / "secret.yaml")
    text = "matrix_from:\n  workflow: wf.yaml\n  job: bump\n"
    assert problems_of(text, checkout=checkout) == [
        f"{FILE}:2: matrix_from.workflow: `wf.yaml` leads outside the checkout through a symlink"
    ]


def test_missing_workflow_in_checkout(tmp_path: Path) -> None:
    text = "matrix_from:\n  workflow: .github/workflows/bump_deps.yaml\n  job: bump\n"
    assert problems_of(text, checkout=tmp_path) == [
        f"{FILE}:2: matrix_from.workflow: in the checkout {tmp_path}: "
        ".github/workflows/bump_deps.yaml: no such file"
    ]


def test_workflow_problems_name_the_workflow_and_its_lines() -> None:
    workflow = dedent(
        """\
        jobs:
          bump:
            strategy:
              matrix:
                include:
                  - repository: ggml-org/llama.cpp
                    variable: LLAMA VERSION
                    branch: master
                    file: backend/cpp/llama/Makefile
        """
    )
    text = "matrix_from:\n  workflow: .github/workflows/bump_deps.yaml\n  job: bumpp\n"
    assert problems_of(text, workflow_text=workflow) == [
        ".github/workflows/bump_deps.yaml:1: jobs: no job `bumpp`; did you mean `bump`?"
    ]
    text = text.replace("bumpp", "bump")
    assert problems_of(text, workflow_text=workflow) == [
        ".github/workflows/bump_deps.yaml:7: jobs.bump.strategy.matrix.include[0].variable: "
        "`LLAMA VERSION` is not a make variable name (letters, digits and underscores only)"
    ]


# --- mangled files: whatever the damage, a ConfigError of one-line messages, never a crash ---

_DEBRIS = [*" \n\t:-[]{}#'\"!&*|>%@`,?0_/.\\", "\r", "é", "\u2028", "${{", "<<: *a", "&a ", "? "]


def _mangle(text: str, rnd: random.Random) -> str:
    chars = list(text)
    for _ in range(rnd.randint(1, 6)):
        pos = rnd.randrange(len(chars))
        roll = rnd.random()
        if roll < 0.4:
            del chars[pos]
        elif roll < 0.8:
            chars.insert(pos, rnd.choice(_DEBRIS))
        else:
            chars[pos] = rnd.choice(_DEBRIS)
    return "".join(chars)


def _sweep(count: int, seed: int) -> None:
    example = (Path(__file__).resolve().parents[2] / "config" / "bumper.yaml").read_text()
    rnd = random.Random(seed)
    for _ in range(count):
        text = _mangle(example, rnd)
        try:
            parse_config(text, FILE)
        except ConfigError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.startswith(FILE) and "\n" not in problem, (problem, text)


def test_mangled_configs_give_one_line_problems_never_a_crash() -> None:
    _sweep(150, seed=7)


@pytest.mark.slow
def test_mangled_configs_long_sweep() -> None:
    _sweep(10_000, seed=11)
