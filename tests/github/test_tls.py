"""bumper's TLS context: it verifies as httpx's default does, and loads its CA store only when a
TLS connection is made. Against real loopback servers: a plain http one and an https one
with a self-signed certificate made by openssl."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bumper.github.http import DeferredTrustContext, new_client

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def _serve(tls: ssl.SSLContext | None) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    here = tmp_path_factory.mktemp("tls")
    cert, key = here / "cert.pem", here / "key.pem"
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
    files = ["-days", "2", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", *subject, *files],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_url(certificate: tuple[Path, Path]) -> Iterator[str]:
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(*certificate)
    yield from _serve(server_side)


@pytest.fixture
def http_url() -> Iterator[str]:
    yield from _serve(None)


def _context(client: httpx.Client) -> DeferredTrustContext:
    pool = client._transport._pool  # type: ignore[attr-defined]
    context = pool._ssl_context
    assert isinstance(context, DeferredTrustContext)
    return context


def test_a_plain_http_pass_never_loads_the_ca_store(http_url: str) -> None:
    with new_client(timeout=5) as client:
        assert client.get(http_url).text == "ok"
        assert _context(client).cert_store_stats()["x509_ca"] == 0


def test_an_untrusted_certificate_is_refused(
    https_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with new_client(timeout=5) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(https_url)
        assert _context(client).cert_store_stats()["x509_ca"] > 100  # certifi's store


def test_ssl_cert_file_is_the_trust_as_with_httpx(
    https_url: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with new_client(timeout=5) as client:
        assert client.get(https_url).text == "ok"
        assert _context(client).cert_store_stats()["x509_ca"] == 1


def test_hostnames_are_checked(https_url: str, certificate: tuple[Path, Path]) -> None:
    context = DeferredTrustContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(certificate[0]))
    with httpx.Client(verify=context, timeout=5) as client:
        ip_url = https_url.replace("localhost", "127.0.0.1")  # the certificate names localhost
        with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|match"):
            client.get(ip_url)
