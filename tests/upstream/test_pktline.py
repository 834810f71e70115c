"""The pkt-line codec and the git answers parsed from it: bytes in, values or ProtocolError out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bumper.upstream import pktline
from bumper.upstream.pktline import ProtocolError, Special

SHA_A = "a" * 40
SHA_B = "b" * 40
SHA_C = "c" * 40


def pkts(*items: str | Special) -> bytes:
    return pktline.encode_all(items)


def test_encodes_length_including_its_own_four_digits() -> None:
    assert pktline.encode("a\n") == b"0006a\n"
    assert pktline.encode(b"") == b"0004"


@given(st.lists(st.one_of(st.binary(max_size=300), st.sampled_from(list(Special)))))
def test_decode_reverses_encode(items: list[bytes | Special]) -> None:
    assert pktline.decode(pktline.encode_all(items)) == items


@pytest.mark.parametrize(
    "data",
    [b"00", b"zzzz", b"0003", b"0010short", b"<html>", b"0006a\n000"],
    ids=["short-header", "non-hex", "0003", "truncated", "html", "trailing-partial"],
)
def test_malformed_lengths_are_errors(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        pktline.decode(data)


def test_ls_refs_request_asks_for_each_branch_once_with_peel() -> None:
    body = pktline.ls_refs_request(["main", "dev", "main"])
    assert pktline.decode(body) == [
        b"command=ls-refs\n",
        Special.DELIM,
        b"peel\n",
        b"ref-prefix refs/heads/main\n",
        b"ref-prefix refs/heads/dev\n",
        Special.FLUSH,
    ]


def test_ls_refs_answer_lists_refs_by_exact_name() -> None:
    answer = pkts(f"{SHA_A} refs/heads/main\n", f"{SHA_B} refs/heads/main-old\n", Special.FLUSH)
    assert pktline.parse_ls_refs(answer) == {
        "refs/heads/main": SHA_A,
        "refs/heads/main-old": SHA_B,
    }


def test_ls_refs_answer_prefers_the_peeled_commit() -> None:
    answer = pkts(f"{SHA_A} refs/heads/odd peeled:{SHA_C}\n", Special.FLUSH)
    assert pktline.parse_ls_refs(answer) == {"refs/heads/odd": SHA_C}


def test_ls_refs_accepts_sha256_and_a_response_end() -> None:
    sha256 = "d" * 64
    answer = pkts(f"{sha256} refs/heads/main\n", Special.FLUSH, Special.RESPONSE_END)
    assert pktline.parse_ls_refs(answer) == {"refs/heads/main": sha256}


def test_ls_refs_no_match_is_an_empty_mapping() -> None:
    assert pktline.parse_ls_refs(b"0000") == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty answer"),
        (pkts(f"{SHA_A} refs/heads/main\n"), "flush"),
        (pkts("g" * 40 + " refs/heads/main\n", Special.FLUSH), "invalid object id"),
        (pkts(SHA_A.upper() + " refs/heads/main\n", Special.FLUSH), "invalid object id"),
        (pkts(f"{SHA_A}\n", Special.FLUSH), "no name"),
        (pkts("ERR access denied\n", Special.FLUSH), "upstream error: 'access denied"),
        (pkts(f"{SHA_A} refs/heads/main\n", Special.FLUSH, "x"), "flush"),
        (pkts(f"{SHA_A} refs/heads/x peeled:nope\n", Special.FLUSH), "invalid object id"),
    ],
    ids=["empty", "no-flush", "non-hex", "uppercase", "no-name", "err", "trailing", "peeled"],
)
def test_ls_refs_rejects_anything_but_a_clean_answer(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        pktline.parse_ls_refs(data)


def test_error_messages_never_carry_long_bodies() -> None:
    body = pkts("ERR " + "secret-ish " * 100, Special.FLUSH)
    with pytest.raises(ProtocolError) as info:
        pktline.parse_ls_refs(body)
    assert len(str(info.value)) < 120


def test_v0_advertisement_with_service_header_and_peeled_tags() -> None:
    data = pkts(
        "# service=git-upload-pack\n",
        Special.FLUSH,
        f"{SHA_A} HEAD\0multi_ack side-band-64k symref=HEAD:refs/heads/main\n",
        f"{SHA_A} refs/heads/main\n",
        f"{SHA_B} refs/tags/v1\n",
        f"{SHA_C} refs/tags/v1^{{}}\n",
        Special.FLUSH,
    )
    advertisement = pktline.parse_advertisement(data)
    assert advertisement.version == 0
    assert advertisement.refs == {"HEAD": SHA_A, "refs/heads/main": SHA_A, "refs/tags/v1": SHA_C}
    assert "side-band-64k" in advertisement.capabilities


def test_v0_advertisement_without_service_header() -> None:
    data = pkts(f"{SHA_A} refs/heads/main\0agent=x\n", Special.FLUSH)
    assert pktline.parse_advertisement(data).refs == {"refs/heads/main": SHA_A}


def test_v0_advertisement_of_an_empty_repository_has_no_refs() -> None:
    data = pkts("0" * 40 + " capabilities^{}\0agent=x\n", Special.FLUSH)
    assert pktline.parse_advertisement(data).refs == {}


@pytest.mark.parametrize("service_header", [True, False], ids=["github", "http-backend"])
def test_v2_advertisement_is_recognised_in_both_shapes(service_header: bool) -> None:
    head: list[str | Special] = ["# service=git-upload-pack\n", Special.FLUSH]
    data = pkts(*(head if service_header else []), "version 2\n", "ls-refs=unborn\n", Special.FLUSH)
    advertisement = pktline.parse_advertisement(data)
    assert (advertisement.version, advertisement.refs) == (2, {})
    assert advertisement.capabilities == ("ls-refs=unborn",)


def test_excerpt_is_short_and_printable() -> None:
    text = pktline.excerpt(b"\x00\x1b[31m<html>" + b"x" * 100)
    assert text.isprintable()
    assert len(text) < 40
