"""Reading and rewriting a pin in every kind of file a matrix row can name: only the pin's
bytes change, the rewrite is proven, anything ambiguous is refused with a reason."""

from __future__ import annotations

import pytest

from bumper import pinfiles
from bumper.errors import PinError
from bumper.model import Entry, PinBy

OLD = "1" * 40
NEW = "a" * 40
OTHER = "2" * 40


def row(file: str, variable: str = "X_VERSION", **kw: object) -> Entry:
    return Entry("o/x", variable, "main", file, **kw)  # type: ignore[arg-type]


def bump(entry: Entry, texts: dict[str, str]) -> dict[str, str]:
    assert pinfiles.value(entry, texts) == OLD
    out = pinfiles.rewrite(entry, texts, OLD, NEW)
    assert pinfiles.value(entry, out) == NEW  # proven by reading again
    return out


def only_pin_changed(before: str, after: str) -> None:
    assert after == before.replace(OLD, NEW)


SHELL = f"""#!/bin/bash
set -e
# X_VERSION={OTHER} was the last good one
X_VERSION="${{X_VERSION:-{OLD}}}"
cd build && git fetch --depth 1 origin "$X_VERSION"
cat <<EOF
X_VERSION={OTHER}
EOF
"""


def test_shell_default_is_rewritten_and_comments_and_heredocs_are_not() -> None:
    after = bump(row("backend/x/prepare.sh"), {"backend/x/prepare.sh": SHELL})
    assert after["backend/x/prepare.sh"] == SHELL.replace(OLD, NEW)


@pytest.mark.parametrize(
    "line",
    [
        f"X_VERSION={OLD}\n",
        f"export X_VERSION={OLD}\n",
        f"export X_VERSION='{OLD}'\r\n",
        f'readonly X_VERSION="{OLD}"  # pinned\n',
        f": ${{X_VERSION:={OLD}}}\n",
        f': "${{X_VERSION:={OLD}}}"\n',
        f"if true; then X_VERSION=${{X_VERSION:-{OLD}}}; fi\n",
    ],
)
def test_shell_assignment_forms(line: str) -> None:
    text = "#!/bin/sh\n" + line + "echo done\n"
    after = bump(row("build"), {"build": text})  # no suffix: the shebang says shell
    only_pin_changed(text, after["build"])


def test_shell_variable_set_twice_to_different_values_is_refused() -> None:
    text = f"X_VERSION={OLD}\nX_VERSION={OTHER}\n"
    with pytest.raises(PinError, match=r"different values \(line 1: .*line 2: "):
        pinfiles.value(row("a.sh"), {"a.sh": text})


def test_shell_value_that_is_a_tag_is_refused() -> None:
    with pytest.raises(PinError, match=r"a.sh:1: X_VERSION value 'v1.2.3' is not a sha"):
        pinfiles.value(row("a.sh"), {"a.sh": "X_VERSION=v1.2.3\n"})


DOCKERFILE = f"""# syntax=docker/dockerfile:1
FROM debian:12
# ARG X_VERSION={OTHER}
ARG X_VERSION={OLD}
ENV Y_COMMIT {OLD}
RUN git clone https://github.com/o/x && cd x && git checkout {OLD}
"""


def test_dockerfile_arg_env_and_run() -> None:
    text = {"Dockerfile": DOCKERFILE}
    after = bump(row("Dockerfile"), text)["Dockerfile"]
    assert after.splitlines()[3] == f"ARG X_VERSION={NEW}"
    assert after.count(NEW) == 1
    env = bump(row("Dockerfile", "Y_COMMIT"), text)["Dockerfile"]
    assert env.splitlines()[4] == f"ENV Y_COMMIT {NEW}"
    run = bump(row("Dockerfile", "x", by=PinBy.MATCH, match="git checkout "), text)
    assert run["Dockerfile"].splitlines()[5].endswith(f"git checkout {NEW}")


CMAKE = f"""include(FetchContent)
# set(DEP_COMMIT "{OTHER}")
set(DEP_COMMIT "{OLD}" CACHE STRING "the commit")
FetchContent_Declare(dep
  GIT_REPOSITORY https://github.com/o/dep
  GIT_TAG        ${{DEP_COMMIT}})
FetchContent_Declare(other
  GIT_REPOSITORY https://github.com/o/other
  GIT_TAG        {OLD})
FetchContent_Declare(zip URL https://github.com/o/zip/archive/{OLD}.tar.gz)
"""


def test_cmake_set_git_tag_and_archive_url() -> None:
    texts = {"CMakeLists.txt": CMAKE}
    after = bump(row("CMakeLists.txt", "DEP_COMMIT"), texts)["CMakeLists.txt"]
    assert after.splitlines()[2] == f'set(DEP_COMMIT "{NEW}" CACHE STRING "the commit")'
    assert after.count(NEW) == 1
    tag = row("CMakeLists.txt", "other", by=PinBy.MATCH, match="GIT_TAG        ")
    assert bump(tag, texts)["CMakeLists.txt"].splitlines()[8] == f"  GIT_TAG        {NEW})"
    url = row("CMakeLists.txt", "zip", by=PinBy.MATCH, match="zip/archive/")
    assert f"archive/{NEW}.tar.gz" in bump(url, texts)["CMakeLists.txt"]


GO = "google.golang.org/grpc/cmd/protoc-gen-go-grpc@"
WORKFLOW = f"""on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          go install {GO}{OLD}
          pip install 'git+https://github.com/o/lib@{OLD}#egg=lib'
"""


def test_one_pin_in_three_files_is_one_rewrite_of_all() -> None:
    files = ("Dockerfile", "scripts/install.sh", ".github/workflows/ci.yml")
    entry = row(files[0], "protoc-gen-go-grpc", files=files, match=GO, by=PinBy.MATCH)
    texts = {
        files[0]: f"FROM golang\nRUN go install {GO}{OLD}\n",
        files[1]: f"#!/bin/sh\nbash -c 'cd /src && go install {GO}{OLD}'\n",
        files[2]: WORKFLOW,
    }
    after = bump(entry, texts)
    for path in files:
        assert after[path].count(NEW) == 1
    assert after[files[2]] == WORKFLOW.replace(f"{GO}{OLD}", f"{GO}{NEW}")  # pip's pin stays


def test_files_that_disagree_fail_with_every_location() -> None:
    files = ("a.sh", "b.sh")
    entry = row("a.sh", "tool", files=files, match=GO, by=PinBy.MATCH)
    texts = {"a.sh": f"go install {GO}{OLD}\n", "b.sh": f"\n\ngo install {GO}{OTHER}\n"}
    with pytest.raises(PinError) as caught:
        pinfiles.value(entry, texts)
    assert f"a.sh:1: '{OLD}'" in str(caught.value)
    assert f"b.sh:3: '{OTHER}'" in str(caught.value)
    with pytest.raises(PinError):
        pinfiles.rewrite(entry, texts, OLD, NEW)


def test_match_with_two_different_shas_is_refused() -> None:
    entry = row("req.txt", "lib", by=PinBy.MATCH, match="lib@")
    texts = {"req.txt": f"git+https://h/o/lib@{OLD}\ngit+https://h/o/lib@{OTHER}\n"}
    with pytest.raises(PinError, match="different values"):
        pinfiles.value(entry, texts)


def test_match_followed_by_a_version_is_refused() -> None:
    entry = row("a.sh", "tool", by=PinBy.MATCH, match=GO)
    with pytest.raises(PinError, match=r"'v1.2.0' is not a sha"):
        pinfiles.value(entry, {"a.sh": f"go install {GO}v1.2.0\n"})


def test_match_only_in_a_comment_is_not_a_pin() -> None:
    entry = row("a.sh", "tool", by=PinBy.MATCH, match=GO)
    with pytest.raises(PinError, match="no line holds"):
        pinfiles.value(entry, {"a.sh": f"  # go install {GO}{OLD}\n"})


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_sha_only_file_keeps_its_line_ending(ending: str) -> None:
    entry = row("deps/x-hash.txt", "x", by=PinBy.WHOLE)
    after = bump(entry, {"deps/x-hash.txt": OLD + ending})
    assert after["deps/x-hash.txt"] == NEW + ending


def test_file_with_more_than_a_sha_is_refused_for_a_whole_file_row() -> None:
    entry = row("VERSION", "x", by=PinBy.WHOLE)
    with pytest.raises(PinError, match="holds 2 lines"):
        pinfiles.value(entry, {"VERSION": f"{OLD}\nmore\n"})


def test_makefile_fragment_is_read_as_a_makefile() -> None:
    text = f"X_VERSION?={OLD}\n"
    for path in ("backend/Makefile-cuda", "build/deps.mk", "x.make", "Makefile.common"):
        assert pinfiles.kind_of(path) == "makefile"
        only_pin_changed(text, bump(row(path), {path: text})[path])


def test_variable_in_a_file_of_unknown_kind_is_refused_with_a_hint() -> None:
    with pytest.raises(PinError, match="give `match:`"):
        pinfiles.value(row("deps.json"), {"deps.json": f'{{"X_VERSION": "{OLD}"}}\n'})


def test_changed_by_someone_else_is_refused() -> None:
    with pytest.raises(PinError, match="changed by someone else"):
        pinfiles.rewrite(row("a.sh"), {"a.sh": f"X_VERSION={OTHER}\n"}, OLD, NEW)


def test_gitlink_diff_reads_as_git_shows_a_submodule() -> None:
    entry = row("third_party/sub", "sub", by=PinBy.WHOLE)
    after = bump(entry, {"third_party/sub": OLD})
    text = pinfiles.diff(entry, {"third_party/sub": OLD}, after, {"third_party/sub": "160000"})
    assert f"-Subproject commit {OLD}\n+Subproject commit {NEW}\n" in text


def test_cmake_git_tag_in_several_blocks_without_a_block_of_that_name_is_refused() -> None:
    tag = row("CMakeLists.txt", "nosuch", by=PinBy.MATCH, match="GIT_TAG        ")
    with pytest.raises(PinError, match="refers to other variables"):
        pinfiles.value(tag, {"CMakeLists.txt": CMAKE})


def test_shell_value_naming_another_variable_is_refused_as_such() -> None:
    with pytest.raises(PinError, match=r"value '\$\{OTHER\}' refers to other variables"):
        pinfiles.value(row("a.sh"), {"a.sh": "X_VERSION=${OTHER}\n"})
