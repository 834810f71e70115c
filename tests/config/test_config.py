"""Good configs load into the settings and entries a user wrote, with their lines."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from bumper.config.load import load_config, parse_config
from bumper.config.settings import (
    Config,
    GitHubSettings,
    LookupSettings,
    PrSettings,
    ScheduleSettings,
    TargetSettings,
)
from bumper.errors import ConfigError, ForgeError
from bumper.model import Entry, Location

ROOT = Path(__file__).resolve().parents[2]
FILE = "config/bumper.yaml"

WORKFLOW = dedent(
    """\
    name: Bump dependencies
    on:
      schedule:
        - cron: 0 20 * * *
    jobs:
      bump:
        strategy:
          fail-fast: false
          matrix:
            include:
              # Held: upstream broke the build, see #123
              # - repository: "ggml-org/llama.cpp"
              #   variable: "LLAMA_VERSION"
              #   branch: "master"
              #   file: "backend/cpp/llama/Makefile"
              - repository: "ggml-org/whisper.cpp"
                variable: "WHISPER_CPP_VERSION"
                branch: "master"
                file: "backend/go/whisper/Makefile"
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
    """
)
WF = ".github/workflows/bump_deps.yaml"


def test_example_config_in_the_repository_loads() -> None:
    config = load_config(ROOT / "config" / "bumper.yaml")
    assert config.target == TargetSettings(repository="mudler/LocalAI", base="master")
    assert [e.variable for e in config.matrix] == [
        "LLAMA_VERSION",
        "WHISPER_CPP_VERSION",
        "BARKCPP_VERSION",
        "STABLEDIFFUSION_GGML_VERSION",
    ]
    held = [e for e in config.matrix if e.hold]
    assert [e.variable for e in held] == ["STABLEDIFFUSION_GGML_VERSION"]
    assert held[0].hold is not None and "#4567" in held[0].hold


def test_minimal_config_gets_every_default() -> None:
    text = dedent(
        """\
        matrix:
          - repository: ggml-org/llama.cpp
            variable: LLAMA_VERSION
            branch: master
            file: backend/cpp/llama/Makefile
        """
    )
    config = parse_config(text, FILE)
    assert config == Config(
        path=Path(FILE),
        github=GitHubSettings(),
        target=TargetSettings(),
        pr=PrSettings(),
        schedule=ScheduleSettings(),
        lookup=LookupSettings(),
        matrix=(
            Entry(
                "ggml-org/llama.cpp",
                "LLAMA_VERSION",
                "master",
                "backend/cpp/llama/Makefile",
                source=Location(FILE, 2),
            ),
        ),
    )


def test_entries_keep_order_lines_and_hold_reasons() -> None:
    text = dedent(
        """\
        # pins of LocalAI
        matrix:
          - repository: ggml-org/llama.cpp
            variable: LLAMA_VERSION
            branch: master
            file: backend/cpp/llama/Makefile

          - repository: https://gitlab.com/group/sub/whisper.cpp.git
            variable: WHISPER_CPP_VERSION
            branch: release/1.x
            file: ./backend/go//whisper/Makefile
          - {repository: PABannier/bark.cpp, variable: BARKCPP_VERSION, branch: main, file: Makefile, hold: "  waits for #77 "}
        """  # noqa: E501
    )
    assert parse_config(text, FILE).matrix == (
        Entry(
            "ggml-org/llama.cpp",
            "LLAMA_VERSION",
            "master",
            "backend/cpp/llama/Makefile",
            source=Location(FILE, 3),
        ),
        Entry(
            "https://gitlab.com/group/sub/whisper.cpp.git",
            "WHISPER_CPP_VERSION",
            "release/1.x",
            "backend/go/whisper/Makefile",
            source=Location(FILE, 8),
        ),
        Entry(
            "PABannier/bark.cpp",
            "BARKCPP_VERSION",
            "main",
            "Makefile",
            hold="waits for #77",
            source=Location(FILE, 12),
        ),
    )


def test_every_section_is_read() -> None:
    text = dedent(
        """\
        github:
          api_url: https://ghe.example.com/api/v3/
          git_url: https://ghe.example.com
          token_env: BUMPER_TOKEN
          app_id: 1234
          app_private_key: keys/app.pem
          app_installation_id: 99
        target:
          repository: mudler/LocalAI
          base: master
          push_to: localai-bot
        pr:
          branch: "deps/{variable}"
          title: "Update {repository} ({short_sha})"
          commit_message: "{variable}: {old} -> {sha}"
          body: |
            Automated bump of {variable} in {file}.
          labels: [dependencies, automated]
          signoff: true
          max_open: 10
          max_new_per_run: 3
          max_commits_listed: 0
        schedule:
          cron: "*/30  9-17 * jan-dec mon-fri"
          timezone: Europe/Paris
          jitter_seconds: 60
          interval_seconds: 0.5
          admin_token_env: BUMPER_ADMIN
        lookup:
          concurrency: 4
          timeout_seconds: 2.5
          retries: 0
          max_wait_seconds: 0
          backoff_seconds: 0
          allow_http: true
        matrix: []
        """
    )
    config = parse_config(text, FILE)
    assert config.github == GitHubSettings(
        api_url="https://ghe.example.com/api/v3",
        git_url="https://ghe.example.com",
        web_url="https://ghe.example.com",  # defaults to git_url
        token_env="BUMPER_TOKEN",
        app_id=1234,
        app_private_key="config/keys/app.pem",  # relative to the config file
        app_installation_id=99,
    )
    assert config.target == TargetSettings("mudler/LocalAI", "master", "localai-bot")
    assert config.pr == PrSettings(
        branch="deps/{variable}",
        title="Update {repository} ({short_sha})",
        commit_message="{variable}: {old} -> {sha}",
        body="Automated bump of {variable} in {file}.\n",
        labels=("dependencies", "automated"),
        signoff=True,
        max_open=10,
        max_new_per_run=3,
        max_commits_listed=0,
    )
    assert config.schedule == ScheduleSettings(
        cron="*/30 9-17 * jan-dec mon-fri",
        timezone="Europe/Paris",
        jitter_seconds=60,
        interval_seconds=0.5,
        admin_token_env="BUMPER_ADMIN",
    )
    assert config.lookup == LookupSettings(4, 2.5, 0, 0.0, 0.0, True)
    assert config.matrix == ()


def test_schedule_may_be_a_bare_cron_string() -> None:
    config = parse_config('schedule: "15 4 * * 0"\n', FILE)
    assert config.schedule == ScheduleSettings(cron="15 4 * * 0")


def test_plain_http_upstream_is_accepted_when_allowed() -> None:
    text = dedent(
        """\
        lookup: {allow_http: true}
        matrix:
          - {repository: "http://git.internal:8080/llama.cpp", variable: V, branch: b, file: M}
        """
    )
    assert parse_config(text, FILE).matrix[0].repository == "http://git.internal:8080/llama.cpp"


def test_sandbox_on_loopback_may_use_plain_http() -> None:
    text = dedent(
        """\
        github:
          api_url: http://127.0.0.1:8123/api/v3
          git_url: http://127.0.0.1:8123
        target: {repository: acme/app}
        matrix: []
        """
    )
    github = parse_config(text, FILE).github
    assert (github.api_url, github.git_url) == (
        "http://127.0.0.1:8123/api/v3",
        "http://127.0.0.1:8123",
    )
    assert github.graphql_url == "http://127.0.0.1:8123/api/graphql"


def test_anchors_and_merge_keys_share_fields() -> None:
    text = dedent(
        """\
        x-upstream: &llama {repository: ggml-org/llama.cpp, branch: master}
        matrix:
          - <<: *llama
            variable: LLAMA_VERSION
            file: backend/cpp/llama/Makefile
          - <<: *llama
            variable: LLAMA_GRPC_VERSION
            file: backend/cpp/grpc/Makefile
        """
    )
    config = parse_config(text, FILE)
    assert [(e.repository, e.branch, e.variable, e.source) for e in config.matrix] == [
        ("ggml-org/llama.cpp", "master", "LLAMA_VERSION", Location(FILE, 3)),
        ("ggml-org/llama.cpp", "master", "LLAMA_GRPC_VERSION", Location(FILE, 6)),
    ]


def test_matrix_with_every_row_commented_out_is_empty() -> None:
    text = "target: {repository: mudler/LocalAI}\nmatrix:\n  # - repository: a/b\n"
    assert parse_config(text, FILE).matrix == ()


def test_matrix_from_reads_the_workflow_in_the_checkout(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / WF).write_text(WORKFLOW)
    text = f"matrix_from:\n  workflow: {WF}\n  job: bump\n"
    config = parse_config(text, FILE, checkout=tmp_path)
    assert config.matrix_from == (WF, "bump")
    assert config.matrix == (
        Entry(
            "ggml-org/llama.cpp",
            "LLAMA_VERSION",
            "master",
            "backend/cpp/llama/Makefile",
            hold="Held: upstream broke the build, see #123",
            source=Location(WF, 12),
        ),
        Entry(
            "ggml-org/whisper.cpp",
            "WHISPER_CPP_VERSION",
            "master",
            "backend/go/whisper/Makefile",
            source=Location(WF, 16),
        ),
    )


def test_matrix_and_matrix_from_combine_config_rows_first() -> None:
    text = dedent(
        f"""\
        matrix:
          - repository: PABannier/bark.cpp
            variable: BARKCPP_VERSION
            branch: main
            file: backend/go/bark-cpp/Makefile
        matrix_from: {{workflow: {WF}, job: bump}}
        """
    )
    config = parse_config(text, FILE, workflow_text=WORKFLOW)
    assert [(e.variable, str(e.source)) for e in config.matrix] == [
        ("BARKCPP_VERSION", f"{FILE}:2"),
        ("LLAMA_VERSION", f"{WF}:12"),
        ("WHISPER_CPP_VERSION", f"{WF}:16"),
    ]


def test_pin_in_both_matrix_and_workflow_is_a_duplicate() -> None:
    text = dedent(
        f"""\
        matrix:
          - repository: ggml-org/whisper.cpp
            variable: WHISPER_CPP_VERSION
            branch: master
            file: backend/go/whisper/Makefile
        matrix_from: {{workflow: {WF}, job: bump}}
        """
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, FILE, workflow_text=WORKFLOW)
    assert caught.value.problems == [
        f"{WF}:16: jobs.bump.strategy.matrix.include[0]: WHISPER_CPP_VERSION in "
        f"backend/go/whisper/Makefile is pinned twice: here and at {FILE}:2 (matrix[0]); "
        "remove one"
    ]


def test_fetcher_gets_the_parsed_settings_and_the_workflow_path() -> None:
    seen: list[tuple[str | None, str]] = []

    def fetch(config: Config, path: str) -> str:
        seen.append((config.target.repository, path))
        return WORKFLOW

    text = f"target: {{repository: mudler/LocalAI}}\nmatrix_from: {{workflow: {WF}, job: bump}}\n"
    config = parse_config(text, FILE, workflow_text=fetch)
    assert seen == [("mudler/LocalAI", WF)]
    assert len(config.matrix) == 2


def test_fetch_failure_is_a_config_problem_on_the_workflow_line() -> None:
    def fetch(config: Config, path: str) -> str:
        raise ForgeError("404 Not Found")

    text = f"target: {{repository: mudler/LocalAI}}\nmatrix_from:\n  workflow: {WF}\n  job: bump\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, FILE, workflow_text=fetch)
    assert caught.value.problems == [
        f"{FILE}:3: matrix_from.workflow: cannot fetch {WF}: 404 Not Found"
    ]


def test_load_config_names_the_file_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my.yaml").write_bytes(
        b"\xef\xbb\xbfmatrix:\r\n  - {repository: a/b, variable: V, branch: b, file: M}\r\n"
    )
    config = load_config(Path("my.yaml"))
    assert config.path == Path("my.yaml")
    assert config.matrix[0].source == Location("my.yaml", 2)


def test_symlink_inside_the_checkout_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    text = "matrix:\n  - {repository: a/b, variable: V, branch: b, file: link/Makefile}\n"
    assert parse_config(text, FILE, checkout=tmp_path).matrix[0].file == "link/Makefile"


def test_pr_author_names_the_signoff_identity() -> None:
    good = parse_config("pr:\n  signoff: true\n  author: Bumper Bot <bot@example.org>\n", "c.yaml")
    assert good.pr.author == "Bumper Bot <bot@example.org>"
    with pytest.raises(ConfigError) as err:
        parse_config("pr:\n  author: just-a-name\n", "c.yaml")
    assert err.value.problems == [
        "c.yaml:2: pr.author: expected `Name <email>`, as in a Signed-off-by line"
    ]


def test_pr_branch_keys_of_issue_14_read_as_written() -> None:
    default = parse_config("pr: {}\n", "c.yaml").pr
    assert (default.rebase, default.carry_commits, default.adopt_authors) == (
        "conflicted",
        True,
        (),
    )
    text = (
        "pr:\n  rebase: behind\n  carry_commits: false\n"
        "  adopt_authors: ['renovate[bot]', Old Bot, old-bot@example.invalid]\n"
    )
    pr = parse_config(text, "c.yaml").pr
    assert (pr.rebase, pr.carry_commits) == ("behind", False)
    assert pr.adopt_authors == ("renovate[bot]", "Old Bot", "old-bot@example.invalid")
