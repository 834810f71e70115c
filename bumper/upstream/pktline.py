"""PURE: the git pkt-line format and the two answers bumper reads from it.

A pkt-line is 4 hex digits giving its length (the 4 digits included) and then the payload;
``0000`` (flush), ``0001`` (delim) and ``0002`` (response-end) carry no payload. bumper
asks ``ls-refs`` (protocol v2) for a few branches, and understands a v0 ref advertisement
as a fallback. Everything here maps bytes to values and raises ProtocolError on anything
it does not recognise: a look-up must never guess a sha out of a malformed answer.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bumper.model import is_sha

MAX_PKT_LEN = 65520  # the protocol's largest pkt-line, header included


class Special(enum.Enum):
    FLUSH = b"0000"
    DELIM = b"0001"
    RESPONSE_END = b"0002"


Packet = bytes | Special


class ProtocolError(ValueError):
    """The bytes are not the git answer expected. The message is short and safe to show."""


def encode(payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    if len(data) + 4 > MAX_PKT_LEN:
        raise ValueError(f"pkt-line payload too long ({len(data)} bytes)")
    return b"%04x" % (len(data) + 4) + data


def encode_all(packets: Iterable[Packet | str]) -> bytes:
    return b"".join(p.value if isinstance(p, Special) else encode(p) for p in packets)


def decode(data: bytes) -> list[Packet]:
    """Split ``data`` into pkt-lines; any malformed length is a ProtocolError."""
    packets: list[Packet] = []
    pos = 0
    while pos < len(data):
        head = data[pos : pos + 4]
        if len(head) < 4 or not all(c in b"0123456789abcdefABCDEF" for c in head):
            raise ProtocolError(f"not a pkt-line at byte {pos} ({excerpt(data[pos:])})")
        size = int(head, 16)
        if size < 4:
            if size == 3:  # 0003 is not a defined special packet
                raise ProtocolError(f"invalid pkt-line length 0003 at byte {pos}")
            packets.append(Special(head))
            pos += 4
            continue
        if pos + size > len(data):
            raise ProtocolError(f"truncated pkt-line at byte {pos} (wants {size} bytes)")
        packets.append(data[pos + 4 : pos + size])
        pos += size
    return packets


def ls_refs_request(branches: Sequence[str], *, tags: bool = False) -> bytes:
    """A protocol v2 ``ls-refs`` request for exactly these branches (peeled), and with
    ``tags`` every tag too (``peel`` gives an annotated tag's commit).

    No ``object-format`` line: it defaults to sha1, and git servers older than 2.28 refuse
    capabilities they do not know (``git http-backend`` answers the same either way).
    """
    lines: list[Packet | str] = ["command=ls-refs\n", Special.DELIM, "peel\n"]
    lines += [f"ref-prefix refs/heads/{branch}\n" for branch in dict.fromkeys(branches)]
    if tags:
        lines.append("ref-prefix refs/tags/\n")
    lines.append(Special.FLUSH)
    return encode_all(lines)


def _text(packet: Packet, pos: int) -> str:
    if isinstance(packet, Special):
        raise ProtocolError(f"unexpected {packet.name.lower()} packet (#{pos})")
    if packet.startswith(b"ERR "):
        raise ProtocolError(f"upstream error: {excerpt(packet[4:], 80)}")
    try:
        text = packet.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(f"undecodable pkt-line #{pos} ({excerpt(packet)})") from None
    return text[:-1] if text.endswith("\n") else text


def _sha(value: str, ref: str) -> str:
    if not is_sha(value):
        raise ProtocolError(f"invalid object id for {ref or 'a ref'} ({excerpt(value.encode())})")
    return value


def parse_ls_refs(data: bytes) -> dict[str, str]:
    """An ``ls-refs`` answer as ref name -> sha (the peeled commit for annotated tags).

    The answer must be ref lines and one flush; an optional response-end may follow.
    An empty body is a ProtocolError (the server ignored protocol v2), never "no refs".
    """
    if not data:
        raise ProtocolError("empty answer (protocol v2 not honoured)")
    packets = decode(data)
    if packets[-1] is Special.RESPONSE_END:
        packets.pop()
    if not packets or packets[-1] is not Special.FLUSH:
        raise ProtocolError("answer does not end with a flush packet")
    refs: dict[str, str] = {}
    for pos, packet in enumerate(packets[:-1]):
        line = _text(packet, pos)
        oid, _, rest = line.partition(" ")
        name, *attributes = rest.split(" ")
        if not name:
            raise ProtocolError(f"ref line #{pos} has no name ({excerpt(line.encode())})")
        sha = _sha(oid, name)
        for attribute in attributes:
            if attribute.startswith("peeled:"):
                sha = _sha(attribute[len("peeled:") :], name)
        refs[name] = sha
    return refs


@dataclass(frozen=True, slots=True)
class Advertisement:
    """What ``GET info/refs?service=git-upload-pack`` answered."""

    version: int  # 2: capabilities only (refs need ls-refs); 0: refs listed
    refs: dict[str, str]  # v0 only: ref name -> sha (peeled when the server says so)
    capabilities: tuple[str, ...]


def parse_advertisement(data: bytes) -> Advertisement:
    """A v0 ref advertisement or a v2 capability advertisement.

    GitHub starts both with ``# service=git-upload-pack`` and a flush; ``git http-backend``
    omits that header for v2. Both forms are accepted.
    """
    if not data:
        raise ProtocolError("empty ref advertisement")
    packets = decode(data)
    if packets and isinstance(packets[0], bytes) and packets[0].startswith(b"# service="):
        if len(packets) < 2 or packets[1] is not Special.FLUSH:
            raise ProtocolError("service header not followed by a flush packet")
        packets = packets[2:]
    if not packets or packets[-1] is not Special.FLUSH:
        raise ProtocolError("advertisement does not end with a flush packet")
    lines = [_text(packet, pos) for pos, packet in enumerate(packets[:-1])]
    if lines and lines[0] == "version 2":
        return Advertisement(2, {}, tuple(lines[1:]))
    if lines and lines[0] == "version 1":
        lines = lines[1:]
    refs: dict[str, str] = {}
    peeled: dict[str, str] = {}
    capabilities: tuple[str, ...] = ()
    for pos, line in enumerate(lines):
        if pos == 0:
            line, _, caps = line.partition("\0")
            capabilities = tuple(caps.split())
        oid, _, name = line.partition(" ")
        if not name:
            raise ProtocolError(f"ref line #{pos} has no name ({excerpt(line.encode())})")
        if name == "capabilities^{}":  # an empty repository
            continue
        if name.endswith("^{}"):
            peeled[name[:-3]] = _sha(oid, name)
        else:
            refs[name] = _sha(oid, name)
    refs.update((name, sha) for name, sha in peeled.items() if name in refs)
    return Advertisement(0, refs, capabilities)


def excerpt(data: bytes, limit: int = 24) -> str:
    """A short printable excerpt of untrusted bytes, for messages."""
    text = data[:limit].decode("ascii", errors="replace")
    cleaned = "".join(c if c.isprintable() and c != "\ufffd" else "." for c in text)
    return repr(cleaned + ("..." if len(data) > limit else ""))
