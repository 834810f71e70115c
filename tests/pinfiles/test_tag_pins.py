"""A row following release tags may hold the tag itself (`GRPC_VERSION=v1.65.0`): it is read
and rewritten like a sha pin, byte for byte, in every kind of file; a sha row still refuses it."""

from __future__ import annotations

import pytest

from bumper import pinfiles
from bumper.errors import PinError
from bumper.model import Entry, PinBy, tags_key

SHA = "3" * 40


def tag_row(*files: str, variable: str = "GRPC_VERSION", **kw: object) -> Entry:
    return Entry(
        "grpc/grpc",
        variable,
        tags_key(None, False),
        files[0],
        files=files if len(files) > 1 else (),
        follow="tags",
        **kw,  # type: ignore[arg-type]
    )


def move(entry: Entry, texts: dict[str, str], old: str, new: str) -> dict[str, str]:
    assert pinfiles.value(entry, texts) == old
    out = pinfiles.rewrite(entry, texts, old, new)
    assert pinfiles.value(entry, out) == new
    return out


MAKEFILE = "GRPC_VERSION?=v1.65.0  # was GRPC_VERSION?=v1.64.0; bump with GRPC_VERSION?=v1.65.0\n"
DOCKERFILE = "FROM debian\nARG GRPC_VERSION=v1.65.0\nRUN git clone -b ${GRPC_VERSION} grpc\n"


def test_a_tag_in_a_makefile_and_dockerfiles_moves_in_one_rewrite() -> None:
    entry = tag_row("Makefile", "backend/Dockerfile", "other/Dockerfile")
    texts = {"Makefile": MAKEFILE, "backend/Dockerfile": DOCKERFILE, "other/Dockerfile": DOCKERFILE}
    out = move(entry, texts, "v1.65.0", "v1.66.1")
    assert out["Makefile"] == (
        "GRPC_VERSION?=v1.66.1  # was GRPC_VERSION?=v1.64.0; bump with GRPC_VERSION?=v1.66.1\n"
    )
    assert out["backend/Dockerfile"] == DOCKERFILE.replace("v1.65.0", "v1.66.1")
    assert out["other/Dockerfile"] == out["backend/Dockerfile"]


def test_a_tag_row_may_hold_the_release_commit_instead() -> None:
    entry = tag_row("Makefile")
    out = move(entry, {"Makefile": f"GRPC_VERSION?={SHA}\n"}, SHA, "a" * 40)
    assert out == {"Makefile": "GRPC_VERSION?=" + "a" * 40 + "\n"}


def test_a_release_inside_a_url_is_read_up_to_the_version() -> None:
    text = (
        "WHEEL_URL=https://example.invalid/download/v1.65.0/grpcio-1.65.0-cp311.whl\n"
        "ARCHIVE=https://example.invalid/archive/1.65.0.tar.gz\n"
    )
    by_url = tag_row("deps.txt", match="download/", by=PinBy.MATCH)
    out = move(by_url, {"deps.txt": text}, "v1.65.0", "v1.66.1")
    assert out["deps.txt"] == text.replace("download/v1.65.0/", "download/v1.66.1/")
    archive = tag_row("deps.txt", match="archive/", by=PinBy.MATCH)
    assert pinfiles.value(archive, {"deps.txt": text}) == "1.65.0"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("GRPC_VERSION?=latest\n", "'latest' is neither a sha nor a release tag"),
        ("GRPC_VERSION?=$(OTHER)\n", "refers to other variables"),
        ("FROM x\nARG GRPC_VERSION=nightly\n", "'nightly' is neither a sha nor a release tag"),
    ],
)
def test_a_tag_row_refuses_what_is_neither_sha_nor_release(text: str, phrase: str) -> None:
    name = "Dockerfile" if text.startswith("FROM") else "Makefile"
    with pytest.raises(PinError, match=phrase):
        pinfiles.value(tag_row(name), {name: text})


def test_a_branch_row_still_refuses_a_tag_value() -> None:
    entry = Entry("grpc/grpc", "GRPC_VERSION", "master", "Makefile")
    with pytest.raises(PinError, match=r"is not a sha \(a tag or branch name\?\)"):
        pinfiles.value(entry, {"Makefile": MAKEFILE})
    with pytest.raises(PinError, match="is not a sha"):
        pinfiles.rewrite(tag_row("Makefile"), {"Makefile": MAKEFILE}, "v1.65.0", "latest")
