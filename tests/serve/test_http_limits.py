"""The daemon's HTTP server under abuse: half-sent requests cannot hold it hostage."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from serving import Daemons, Served, config_yaml

from bumper.serve.http import MAX_HANDLERS

HALF_SENT = 300


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    with Daemons(tmp_path) as daemons:
        yield daemons.start


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_half_sent_requests_neither_block_healthz_nor_pile_up_threads(
    serve: Callable[..., Served],
) -> None:
    served = serve(config_yaml())
    assert served.get("/healthz").status_code == 200
    idle = _threads(served.proc.pid)
    where = urlsplit(served.url)
    address = (where.hostname or "127.0.0.1", where.port or 80)
    held: list[socket.socket] = []
    try:
        for _ in range(HALF_SENT):
            conn = socket.create_connection(address, timeout=10)
            held.append(conn)
            # The request line and a header, never the blank line that ends the headers.
            conn.sendall(b"GET /status.json HTTP/1.1\r\nHost: bumper\r\n")

        health = served.get("/healthz")
        assert (health.status_code, health.text) == (200, "ok\n")
        assert served.get("/readyz").status_code == 200
        assert _threads(served.proc.pid) <= idle + MAX_HANDLERS + 2
    finally:
        for conn in held:
            conn.close()
    assert served.get("/status.json").status_code == 200


def test_a_request_that_stops_halfway_is_dropped_after_the_read_timeout(
    serve: Callable[..., Served],
) -> None:
    from bumper.serve.http import READ_TIMEOUT_SECONDS

    served = serve(config_yaml())
    where = urlsplit(served.url)
    with socket.create_connection((where.hostname, where.port), timeout=60) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\n")
        # The server closes it (an empty read), rather than waiting for ever.
        conn.settimeout(READ_TIMEOUT_SECONDS * 5)
        assert conn.recv(100) == b""
