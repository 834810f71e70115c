"""scanners: hidden commit pins found from their context; prose, comments and data left alone."""

from __future__ import annotations

import hashlib

import pytest

from bumper.audit.repositories import normalize_repository
from bumper.audit.scanners import Hit, classify, is_shell_script, scan


def sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()


A, B, C, D = sha("a"), sha("b"), sha("c"), sha("d")


def found(path: str, text: str, **kwargs: bool) -> list[tuple[int, str, str, str | None]]:
    return [(h.line, h.kind, h.value, h.variable) for h in scan(path, text, **kwargs)]


def only(path: str, text: str) -> Hit:
    hits = scan(path, text)
    assert len(hits) == 1, hits
    return hits[0]


# --- shell -----------------------------------------------------------------------------------


def test_shell_default_with_sibling_repository() -> None:
    text = (
        "#!/bin/bash\nset -e\n"
        'DS4_REPO="${DS4_REPO:-https://github.com/antirez/ds4}"\n'
        f'DS4_VERSION="${{DS4_VERSION:-{A}}}"\n'
        'git fetch --depth 1 origin "$DS4_VERSION"\n'
    )
    hit = only("backend/cpp/ds4/prepare.sh", text)
    assert (hit.line, hit.kind, hit.value, hit.variable) == (4, "shell-default", A, "DS4_VERSION")
    assert normalize_repository(hit.repository or "") == "antirez/ds4"


@pytest.mark.parametrize(
    "line",
    [
        f"X_VERSION={A}",
        f"export X_VERSION={A}",
        f"readonly X_VERSION='{A}'",
        f'local X_VERSION="{A}"',
        f"declare -r X_VERSION={A}",
        f': "${{X_VERSION:={A}}}"',
        f"X_VERSION=${{X_VERSION-{A}}}",
    ],
)
def test_shell_assignment_forms(line: str) -> None:
    assert [(h.line, h.value, h.variable) for h in scan("build.sh", line + "\n")] == [
        (1, A, "X_VERSION")
    ]


def test_variable_used_by_git_checkout_takes_the_clone_url() -> None:
    text = (
        f"export SHA={A}\n"
        "git clone https://github.com/turboderp/exllamav2 $PREFIX/exllamav2\n"
        "pushd $PREFIX/exllamav2\n"
        "git checkout -b build $SHA\n"
    )
    hit = only("install.sh", text)
    assert (hit.kind, hit.variable, hit.line) == ("shell-assign", "SHA", 1)
    assert normalize_repository(hit.repository or "") == "turboderp/exllamav2"


@pytest.mark.parametrize(
    "command",
    [
        f"git checkout {A}",
        f"git -C src checkout --detach {A}",
        f"git -c advice.detachedHead=false checkout {A}",
        f"git reset --hard {A}",
        f"git fetch --depth 1 origin {A}",
        f"cd src && git checkout {A} && make",
        f"sudo -E git switch --detach {A}",
        f"git clone --revision={A} https://github.com/o/n",
    ],
)
def test_git_commands_pin_a_literal_sha(command: str) -> None:
    hits = scan("x.sh", "git clone https://github.com/o/n src\n" + command + "\n")
    assert [(h.line, h.kind, h.value) for h in hits] == [(2, "git-command", A)]
    assert normalize_repository(hits[0].repository or "") == "o/n"


def test_abbreviated_sha_counts_only_in_a_git_command() -> None:
    text = "git checkout 1a2b3c4d\nBUILD_ID=1a2b3c4d5e6f7a8\n"
    assert found("x.sh", text) == [(1, "git-command", "1a2b3c4d", None)]


def test_continued_command_reports_the_line_of_the_sha() -> None:
    text = f"git clone https://github.com/o/n src && \\\n    cd src && \\\n    git checkout {A}\n"
    assert found("x.sh", text) == [(3, "git-command", A, None)]


def test_pip_go_and_archive_pins_in_shell() -> None:
    text = (
        f'pip install "git+https://github.com/o/pkg@{A}#egg=pkg"\n'
        f"go install github.com/o/tool/cmd/tool@{B}\n"
        f"curl -fsSL https://github.com/o/src/archive/{C}.tar.gz | tar xz\n"
        f"make LLAMA_VERSION={D} build\n"
    )
    hits = scan("x.sh", text)
    assert [(h.line, h.kind, h.value, h.variable) for h in hits] == [
        (1, "pip-git", A, None),
        (2, "go-install", B, None),
        (3, "archive-url", C, None),
        (4, "command-arg", D, "LLAMA_VERSION"),
    ]
    assert [normalize_repository(h.repository or "") for h in hits[:3]] == [
        "o/pkg",
        "o/tool",
        "o/src",
    ]


@pytest.mark.parametrize(
    "text",
    [
        f"# git checkout {A}\n",
        f"  # X_VERSION={A}\n",
        f"make build # pinned to {A}\n",
        f'echo "building {A}"\n',
        f'echo "git checkout {A}"\n',
        f"printf '%s\\n' 'X_VERSION={A}'\n",
        f"cat <<EOF\ngit checkout {A}\nit's prose, don't parse it\nEOF\nexit 0\n",
        f"cat <<'EOF'\nX_VERSION={A}\nEOF\n",
        f"TARBALL_SHA256={hashlib.sha256(b'x').hexdigest()}\n",
        f"CHECKSUM={A}\n",
        f"GITHUB_TOKEN={A}\n",
        f"API_KEY={A}\n",
        f'docker pull "ubuntu@sha256:{hashlib.sha256(b"x").hexdigest()}"\n',
        f"git diff {A} {B}\n",
        f"git log {A}..HEAD\n",
        f"git cherry-pick {A}\n",
        f'[[ "$X" =~ ^[0-9a-f]{{40}}$ ]] && echo {A}\n',
        f"X=${{#Y}} # {A}\n",
    ],
)
def test_comments_prose_checksums_and_other_git_commands_are_not_pins(text: str) -> None:
    assert scan("x.sh", text) == []


def test_apostrophes_in_comments_and_heredocs_do_not_hide_the_code_after_them() -> None:
    text = f"# don't touch this\ncat <<EOF\nit's done\nEOF\nX_VERSION={A}\n"
    assert found("x.sh", text) == [(5, "shell-assign", A, "X_VERSION")]


def test_unbalanced_quotes_do_not_raise() -> None:
    assert scan("x.sh", f'echo "unterminated\nX_VERSION={A}\n${{oops\n') == []


def test_heredoc_fed_to_a_shell_is_code() -> None:
    text = f"bash <<EOF\ngit clone https://github.com/o/n\ngit -C n checkout {A}\nEOF\n"
    assert found("x.sh", text) == [(3, "git-command", A, None)]


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_arg_env_and_run() -> None:
    digest = hashlib.sha256(b"base").hexdigest()
    text = (
        f"FROM ubuntu@sha256:{digest}\n"  # 1: a digest, not a pin
        f"ARG GRPC_COMMIT={A}\n"  # 2
        f"# ARG OLD_COMMIT={B}\n"  # 3: comment
        f'ENV TOOLS_VERSION="{B}"\n'  # 4
        "RUN git clone https://github.com/grpc/grpc /grpc && \\\n"  # 5
        f"    # a comment inside RUN: {C}\n"  # 6
        "    cd /grpc && git checkout ${GRPC_COMMIT}\n"  # 7
        "RUN git clone https://github.com/o/patch /p && \\\n"  # 8
        f"    cd /p && git checkout {C}\n"  # 9
        f"ADD https://github.com/o/data/archive/{D}.tar.gz /data.tgz\n"  # 10
    )
    hits = scan("backend/Dockerfile.golang", text)
    assert [(h.line, h.kind, h.value, h.variable) for h in hits] == [
        (2, "dockerfile-arg", A, "GRPC_COMMIT"),
        (4, "dockerfile-env", B, "TOOLS_VERSION"),
        (9, "git-command", C, None),
        (10, "archive-url", D, None),
    ]
    repos = [normalize_repository(h.repository or "") for h in hits]
    assert repos == ["grpc/grpc", "", "o/patch", "o/data"]


def test_dockerfile_heredoc_run() -> None:
    text = f"RUN <<EOF\nset -e\ngit clone https://github.com/o/n\ngit -C n checkout {A}\nEOF\n"
    assert found("Dockerfile", text) == [(4, "git-command", A, None)]


# --- Makefile recipes, requirements, manifests, CMake ---------------------------------------


def test_makefile_recipe_literal_but_not_variables_or_comments() -> None:
    text = (
        f"# pin lives below as X_VERSION?={A}\n"
        f"X_VERSION?={A}\n"
        "X_REPO?=https://github.com/o/x\n"
        f"TARBALL?=https://github.com/o/t/archive/{B}.tar.gz\n"
        "x:\n"
        "\tgit clone $(X_REPO) x && cd x && git checkout $(X_VERSION)\n"
        f"\tcd y && git checkout {C}\n"
        f"\t# git checkout {D}\n"
    )
    assert found("backend/Makefile", text) == [
        (4, "archive-url", B, None),
        (7, "git-command", C, None),
    ]


def test_requirements() -> None:
    text = (
        f"# git+https://github.com/o/a@{A}\n"
        f"git+https://github.com/o/b@{B}#egg=b\n"
        f"c @ git+ssh://git@github.com/o/c.git@{C}\n"
        f"-e git+https://github.com/o/d.git@{D}#egg=d  # pinned\n"
        "requests==2.32.0\n"
    )
    hits = scan("backend/python/x/requirements-cublas12.txt", text)
    assert [(h.line, h.value) for h in hits] == [(2, B), (3, C), (4, D)]
    assert [normalize_repository(h.repository or "") for h in hits] == ["o/b", "o/c", "o/d"]


def test_manifest_git_rev() -> None:
    text = (
        "[tool.uv.sources]\n"
        f'pkg = {{ git = "https://github.com/o/pkg", rev = "{A}" }}\n'
        f'# old = {{ git = "https://github.com/o/old", rev = "{B}" }}\n'
    )
    assert found("pyproject.toml", text) == [(2, "manifest-git", A, None)]


def test_cmake_fetchcontent() -> None:
    text = (
        f"# Was GIT_TAG {A}\n"
        "FetchContent_Declare(json\n"
        "  GIT_REPOSITORY https://github.com/nlohmann/json.git\n"
        f"  GIT_TAG {B} # v3.11\n"
        ")\n"
        f"set(FOO_COMMIT {C})\n"
        "FetchContent_Declare(foo GIT_REPOSITORY https://github.com/o/foo GIT_TAG ${FOO_COMMIT})\n"
        f'CPMAddPackage("gh:o/bar#{D}")\n'
        "#[[\n"
        f"  GIT_TAG {A}\n"
        "]]\n"
    )
    hits = scan("CMakeLists.txt", text)
    assert [(h.line, h.kind, h.value, h.variable) for h in hits] == [
        (4, "cmake-fetchcontent", B, None),
        (6, "cmake-set", C, "FOO_COMMIT"),
        (8, "cmake-fetchcontent", D, None),
    ]
    assert [normalize_repository(h.repository or "") for h in hits] == [
        "nlohmann/json",
        "o/foo",
        "o/bar",
    ]


# --- workflows -------------------------------------------------------------------------------


WORKFLOW = f"""on: push
env:
  TOOLS_COMMIT: {A}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{B} # v4
      - uses: actions/checkout@v4
        with:
          repository: acme/models
          ref: {C}
      # - run: git checkout {D}
      - run: |
          echo "built with {D}"
          git clone https://github.com/acme/runner
          cd runner && git checkout {D}  # newer breaks CI
      - run: git -C runner reset --hard 1a2b3c4d5e
"""


def test_workflow_run_steps_env_and_checkout_ref() -> None:
    assert found(".github/workflows/ci.yml", WORKFLOW) == [
        (3, "workflow-env", A, "TOOLS_COMMIT"),
        (12, "workflow-checkout", C, None),
        (17, "git-command", D, None),
        (18, "git-command", "1a2b3c4d5e", None),
    ]
    hits = scan(".github/workflows/ci.yml", WORKFLOW)
    assert hits[1].repository == "acme/models"


def test_actions_pinned_by_sha_are_managed_and_listed_only_on_request() -> None:
    hits = scan(".github/workflows/ci.yml", WORKFLOW, managed=True)
    managed = [h for h in hits if h.managed_by]
    assert [(h.line, h.kind, h.repository) for h in managed] == [(8, "action", "actions/checkout")]
    assert managed[0].managed_by == "Dependabot/Renovate"


def test_go_mod_and_lock_files_are_managed() -> None:
    gomod = "module x\nrequire github.com/o/n v0.0.0-20240102030405-abcdef123456 // indirect\n"
    assert scan("go.mod", gomod) == []
    hits = scan("go.mod", gomod, managed=True)
    assert [(h.line, h.kind, h.value, h.repository) for h in hits] == [
        (2, "go-mod", "abcdef123456", "o/n")
    ]
    lock = f'"resolved": "git+ssh://git@github.com/o/w.git#{A}"\n'
    assert scan("package-lock.json", lock) == []
    assert [h.kind for h in scan("package-lock.json", lock, managed=True)] == ["lock"]


# --- what gets read at all -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("backend/cpp/x/Makefile", "makefile"),
        ("mk/rules.mk", "makefile"),
        ("GNUmakefile", "makefile"),
        ("backend/cpp/x/prepare.sh", "shell"),
        ("Dockerfile", "dockerfile"),
        ("backend/Dockerfile.python", "dockerfile"),
        ("images/base.Dockerfile", "dockerfile"),
        ("Dockerfile-cuda", "dockerfile"),
        ("Containerfile.rocm", "dockerfile"),
        ("Dockerfile.md", None),
        ("Makefile.common", "makefile"),
        ("Makefile.am", None),
        ("rules.make", "makefile"),
        ("requirements.txt", "requirements"),
        ("backend/python/x/requirements-cublas12-after.txt", "requirements"),
        ("CMakeLists.txt", "cmake"),
        ("cmake/deps.cmake", "cmake"),
        (".github/workflows/ci.yml", "workflow"),
        (".github/actions/setup/action.yml", "workflow"),
        ("pyproject.toml", "manifest"),
        ("go.mod", "gomod"),
        ("Cargo.lock", "lock"),
        ("README.md", None),
        ("docs/notes.txt", None),
        ("tests/e2e/setup.sh", None),
        ("tests/e2e/fake.go", None),
        ("tests/requirements.txt", "requirements"),
        ("pkg/testdata/Makefile", None),
        ("tests/docker/Dockerfile", "dockerfile"),
        ("test/integration/CMakeLists.txt", "cmake"),
        ("tests/Makefile", "makefile"),
        ("src/__tests__/Dockerfile", "dockerfile"),
        ("tests/fixtures/Dockerfile", None),
        ("tests/testdata/CMakeLists.txt", None),
        ("tests/test_data/Makefile", None),
        ("ui/__snapshots__/Dockerfile", None),
        ("tests/audit/corpus/tests/docker/Dockerfile", None),
        ("Makefile-cuda", "makefile"),
        ("build/Makefile_rocm", "makefile"),
        ("backend/Makefile-common.md", None),
        ("BSDmakefile", "makefile"),
        ("vendor/github.com/o/n/build.sh", None),
        ("node_modules/x/install.sh", None),
        ("config/bumper.yaml", None),
        ("main.go", None),
    ],
)
def test_classify(path: str, kind: str | None) -> None:
    assert classify(path) == kind


def test_docs_and_test_data_are_never_scanned() -> None:
    assert scan("README.md", f"git checkout {A}\nX_VERSION?={A}\n") == []
    assert scan("tests/e2e/setup.sh", f"git checkout {A}\n") == []


def test_shebang() -> None:
    assert is_shell_script("#!/usr/bin/env bash\nset -e\n")
    assert is_shell_script("#!/bin/sh -e\n")
    assert not is_shell_script("#!/usr/bin/env python3\n")
    assert not is_shell_script("plain text\n")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/ggml-org/llama.cpp", "ggml-org/llama.cpp"),
        ("https://github.com/ggml-org/llama.cpp.git", "ggml-org/llama.cpp"),
        ("git@github.com:o/n.git", "o/n"),
        ("git+https://github.com/o/n@main", "o/n"),
        ("ssh://git@github.com/o/n.git", "o/n"),
        ("https://gitlab.com/o/n.git", "https://gitlab.com/o/n"),
        ("http://127.0.0.1:9/o/n.git", "o/n"),
    ],
)
def test_normalize_repository(url: str, expected: str) -> None:
    assert normalize_repository(url, hosts=("http://127.0.0.1:9",)) == expected


def test_a_variable_fed_to_a_checksum_tool_is_a_digest_not_a_pin() -> None:
    text = (
        f"JQ_SHA1={A}\n"
        'curl -fsSLo jq "https://example.invalid/jq"\n'
        'echo "${JQ_SHA1}  jq" | sha1sum -c -\n'
        f"KUBECTL_SHA={hashlib.sha256(b'k').hexdigest()}\n"
    )
    assert scan("install.sh", text) == []


def test_sha256_object_ids_need_a_git_name() -> None:
    long = hashlib.sha256(b"x").hexdigest()
    assert found("x.sh", f"UPSTREAM_COMMIT={long}\n") == [
        (1, "shell-assign", long, "UPSTREAM_COMMIT")
    ]
    assert scan("x.sh", f"TOOL_VERSION={long}\n") == []


def test_repository_from_a_url_template_or_the_one_repository_url() -> None:
    text = (
        f'MSF_COMMIT="${{OUR_MSF_COMMIT:-{A}}}"\n'
        f'MSF_SHA256="${{OUR_MSF_SHA256:-{hashlib.sha256(b"m").hexdigest()}}}"\n'
        'MSF_URL="https://raw.githubusercontent.com/acme/omnibus/${MSF_COMMIT}/templates/x.erb"\n'
        f'SUITE_COMMIT="${{PRETTIER_COMMIT:-{B}}}"\n'
    )
    hits = scan("install.sh", text)
    assert [(h.variable, h.repository) for h in hits] == [
        ("MSF_COMMIT", "acme/omnibus"),
        ("SUITE_COMMIT", None),
    ]
    text = (
        f'SUITE_COMMIT="${{PRETTIER_COMMIT:-{B}}}"\nREPO_URL="https://github.com/o/prettier.git"\n'
    )
    assert [h.repository for h in scan("fetch.sh", text)] == ["https://github.com/o/prettier.git"]


def test_abbreviated_sha_under_a_commit_name() -> None:
    text = "ARG LLAMA_CPP_COMMIT=869034b4\nARG LLAMA_CPP_VERSION=b10068\nARG BUILD_REV=20240101\n"
    assert found("Dockerfile", text) == [(1, "dockerfile-arg", "869034b4", "LLAMA_CPP_COMMIT")]


def test_git_constants_are_not_pins() -> None:
    text = "EMPTY_TREE=4b825dc642cb6eb9a060e54bf8d69288fbee4904\nZERO=" + "0" * 40 + "\n"
    assert scan("hooks/pre-push.sh", text) == []


def test_pre_commit_hook_revisions_are_managed() -> None:
    text = f"repos:\n  - repo: https://github.com/o/hooks\n    rev: {A}  # frozen: v1\n"
    assert scan(".pre-commit-config.yaml", text) == []
    (hit,) = scan(".pre-commit-config.yaml", text, managed=True)
    assert (hit.line, hit.kind, hit.repository, hit.managed_by) == (
        3,
        "pre-commit",
        "https://github.com/o/hooks",
        "Dependabot/Renovate",
    )


SNIPPETS = [
    "git checkout ",
    "git clone https://github.com/o/n ",
    A,
    "1a2b3c4d",
    "X_VERSION=",
    "${X:-",
    "}",
    '"',
    "'",
    "\\\n",
    "\n",
    "#",
    "<<EOF\n",
    "EOF\n",
    "$(",
    ")",
    "RUN ",
    "ARG ",
    "\t",
    "run: |\n",
    "  ",
    "- uses: a/b@",
    "GIT_TAG ",
    "FetchContent_Declare(x ",
    "git+https://x/y@",
    "`",
    ";",
    "&&",
    "|",
    "$'",
    "[[ ",
    "]]",
    ":",
    "=",
]


PATHS = ["x.sh", "Dockerfile", "Makefile", ".github/workflows/w.yml", "requirements.txt"]
PATHS += ["pyproject.toml", "CMakeLists.txt", "go.mod", "Cargo.lock", ".pre-commit-config.yaml"]


def test_never_raises_and_lines_stay_in_range() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.sampled_from(SNIPPETS) | st.text(max_size=5), max_size=40))
    def check(parts: list[str]) -> None:
        text = "".join(parts)
        for path in PATHS:
            for hit in scan(path, text, managed=True):
                assert 1 <= hit.line <= text.count("\n") + 1
                assert hit.value in text

    check()


def test_git_inside_bash_c_and_behind_wrappers() -> None:
    text = (
        "docker run --rm img bash -eu -c 'git clone https://github.com/o/n n && "
        f"git -C n checkout {A}'\n"
        f"timeout 300 git -C n fetch origin {B}\n"
    )
    assert [(h.line, h.kind, h.value) for h in scan("x.sh", text)] == [
        (1, "git-command", A),
        (2, "git-command", B),
    ]


# --- lines stay right where the text is dedented or rewritten before lexing -------------------


@pytest.mark.parametrize("indent", [2, 6, 10])
@pytest.mark.parametrize("style", ["|", "|-", ">", "|+", "|2"])
def test_pins_in_a_run_block_are_reported_on_their_own_line(indent: int, style: str) -> None:
    pad = " " * indent
    text = (
        "jobs:\n"
        f"{pad}steps:\n"
        f"{pad}- run: {style}\n"
        f"{pad}    set -e\n"
        f"{pad}    echo one\n"
        f"{pad}    echo two\n"
        "\n"
        f"{pad}    git clone https://github.com/o/n\n"
        f"{pad}    echo three\n"
        f"{pad}    cd n && git checkout {A}\n"
        f"{pad}    echo four\n"
        f"{pad}    echo five\n"
        f"{pad}    git -C n reset --hard {B}\n"
        f"{pad}- run: echo done\n"
    )
    assert found(".github/workflows/ci.yml", text) == [
        (10, "git-command", A, None),
        (13, "git-command", B, None),
    ]


def test_a_run_block_holding_a_heredoc_and_bash_c_keeps_lines() -> None:
    text = (
        "steps:\n"
        "  - name: build\n"
        "    run: |\n"
        "      cat > x.sh <<EOF\n"
        "      hello\n"
        "      EOF\n"
        "      bash <<'SCRIPT'\n"
        "      git clone https://github.com/o/n\n"
        f"      git -C n checkout {A}\n"
        "      SCRIPT\n"
        "      echo a\n"
        f"      bash -c 'git clone https://github.com/o/m && cd m && git checkout {B}'\n"
    )
    assert found(".github/workflows/ci.yml", text) == [
        (9, "git-command", A, None),
        (12, "git-command", B, None),
    ]


def test_makefile_recipes_report_the_line_of_the_sha() -> None:
    # Each recipe line loses its tab before lexing: twenty of them used to shift the sha up.
    text = "x:\n\t@set -e; \\\n" + "\t  true && \\\n" * 20 + f"\t  git checkout {A}\n"
    assert found("Makefile", text) == [(23, "git-command", A, None)]


def test_each_submodule_takes_the_url_of_its_own_section() -> None:
    from bumper.audit.scanners import submodule

    modules = (
        '[submodule "third/a"]\n'
        "\tpath = third/a\n"
        "\turl = https://github.com/o/a\n"
        '[submodule "b"]\n'
        "\tpath = third/b\n"
        "\tbranch = dev\n"
        "\turl = https://github.com/o/b.git\n"
        '[submodule "no-url"]\n'
        "\tpath = third/c\n"
        '[submodule "third/d"]\n'
        "\turl = https://github.com/o/d\n"
    )
    got = [
        (h.line, h.repository)
        for h in (submodule.scan(p, A, modules) for p in ("third/a", "third/b", "third/c"))
    ]
    assert got == [(2, "https://github.com/o/a"), (5, "https://github.com/o/b.git"), (9, None)]
    # A section without `path =` is the submodule of its name's path.
    assert submodule.scan("third/d", A, modules).repository == "https://github.com/o/d"
    assert submodule.scan("third/b", A, modules).branch == "dev"
