"""A row's `also`: the same value written elsewhere (a wheel's version and its URL) moves
with the pin in the same rewrite, and a row whose places disagree fails listing them."""

from __future__ import annotations

import pytest

from bumper import pinfiles
from bumper.errors import PinError
from bumper.model import Also, Entry, PinBy, tags_key

SHA, NEW_SHA = "3" * 40, "4" * 40

REQUIREMENTS = (
    "# grpcio-1.60.0 was the last on py3.8\n"
    "grpcio==1.65.0\n"
    "grpcio @ https://example.invalid/grpcio-1.65.0-cp311-linux_x86_64.whl\n"
)
MAKEFILE = "GRPC_VERSION?=v1.65.0\n"


def row(also: tuple[Also, ...], **kw: object) -> Entry:
    return Entry(
        "grpc/grpc",
        "GRPC_VERSION",
        tags_key(None, False),
        "Makefile",
        follow="tags",
        also=also,
        **kw,  # type: ignore[arg-type]
    )


def test_a_wheel_version_and_its_url_move_with_the_pin() -> None:
    entry = row((Also("grpcio==", "requirements.txt"), Also("/grpcio-", "requirements.txt")))
    assert entry.paths == ("Makefile", "requirements.txt")
    texts = {"Makefile": MAKEFILE, "requirements.txt": REQUIREMENTS}
    assert pinfiles.value(entry, texts) == "v1.65.0"
    out = pinfiles.rewrite(entry, texts, "v1.65.0", "v1.66.1")
    assert out["Makefile"] == "GRPC_VERSION?=v1.66.1\n"
    # written in each place's own style (no `v` in a wheel), the comment left as it was
    assert out["requirements.txt"] == REQUIREMENTS.replace("1.65.0", "1.66.1")
    assert pinfiles.value(entry, out) == "v1.66.1"
    assert "requirements.txt" in pinfiles.diff(entry, texts, out)


def test_also_in_the_same_file_as_the_pin() -> None:
    text = f"SPEECH_COMMIT?={SHA}\nSPEECH_URL?=https://example.invalid/archive/{SHA}.tar.gz\n"
    entry = Entry("s/s", "SPEECH_COMMIT", "main", "Makefile", also=(Also("archive/", "Makefile"),))
    out = pinfiles.rewrite(entry, {"Makefile": text}, SHA, NEW_SHA)
    assert out == {"Makefile": text.replace(SHA, NEW_SHA)}


def test_places_that_disagree_fail_listing_every_one() -> None:
    entry = row((Also("/grpcio-", "requirements.txt"),))
    texts = {"Makefile": MAKEFILE, "requirements.txt": REQUIREMENTS.replace("-1.65.0-", "-1.64.0-")}
    with pytest.raises(PinError) as caught:
        pinfiles.rewrite(entry, texts, "v1.65.0", "v1.66.1")
    assert str(caught.value) == (
        "GRPC_VERSION and its `also` disagree (Makefile:1: 'v1.65.0', requirements.txt:3:"
        " '1.64.0'); make them the same first"
    )


def test_an_also_that_finds_nothing_fails_the_row() -> None:
    entry = row((Also("grpcio===", "requirements.txt"),))
    with pytest.raises(PinError, match="no line holds 'grpcio==='"):
        pinfiles.value(entry, {"Makefile": MAKEFILE, "requirements.txt": REQUIREMENTS})


def test_a_match_row_with_also() -> None:
    text = "ARG V=v1.65.0\nRUN pip install grpcio==1.65.0\n"
    entry = Entry(
        "grpc/grpc",
        "grpc",
        tags_key(None, False),
        "Dockerfile",
        follow="tags",
        match="ARG V=",
        by=PinBy.MATCH,
        also=(Also("grpcio==", "Dockerfile"),),
    )
    out = pinfiles.rewrite(entry, {"Dockerfile": text}, None, "v1.66.1")
    assert out["Dockerfile"] == "ARG V=v1.66.1\nRUN pip install grpcio==1.66.1\n"
