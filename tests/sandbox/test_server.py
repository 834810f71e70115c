"""Generic server behaviour: routing, auth, ETags, rate-limit headers, robustness, request log."""

from __future__ import annotations

import socket

import httpx
import jsonschema
import pytest
from openapi import spec

from bumper.sandbox.app import Sandbox


def assert_matches_schema(payload: object, name: str) -> None:
    """Validate against a schema of GitHub's OpenAPI description (components/schemas/NAME)."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec()["components"]}
    jsonschema.Draft202012Validator(schema).validate(payload)


def assert_github_error(reply: httpx.Response, status: int, message: str | None = None) -> None:
    assert reply.status_code == status
    assert reply.headers["content-type"].startswith("application/json")
    payload = reply.json()
    assert isinstance(payload["message"], str) and payload["message"]
    assert payload["documentation_url"].startswith("https://docs.github.com/")
    assert_matches_schema(payload, "basic-error")
    if message is not None:
        assert payload["message"] == message


@pytest.fixture
def client():
    with httpx.Client(timeout=10) as c:
        yield c


def test_addresses_follow_the_contract(sandbox):
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.api_url == sandbox.url + "/api/v3"
    assert sandbox.graphql_url == sandbox.url + "/api/graphql"
    assert sandbox.git_url == sandbox.url
    assert sandbox.token == "sandbox-token"


def test_unknown_route_is_404_json(sandbox, client):
    assert_github_error(client.get(sandbox.url + "/no/such/thing/here"), 404)
    assert_github_error(client.post(sandbox.url + "/nowhere"), 404)


@pytest.mark.parametrize("path", ["/api/v3/repos/x/y", "/api/graphql", "/o/r.git/info/refs"])
@pytest.mark.parametrize(
    "auth", [{"Authorization": "token wrong"}, {"Authorization": "Bearer wrong"}]
)
def test_wrong_token_is_401_bad_credentials_everywhere(sandbox, client, path, auth):
    sandbox.store.create_repo("o", "r")
    reply = client.post(sandbox.url + path, headers=auth, json={"query": "{viewer{login}}"})
    assert_github_error(reply, 401, "Bad credentials")


def test_wrong_basic_password_is_401(sandbox, client):
    reply = client.get(sandbox.api_url + "/user", auth=("sandbox", "wrong"))
    assert_github_error(reply, 401, "Bad credentials")


def test_graphql_without_token_is_401(sandbox, client):
    reply = client.post(sandbox.graphql_url, json={"query": "{viewer{login}}"})
    assert_github_error(reply, 401)


def test_api_answers_carry_rate_limit_headers_that_count_down(sandbox, client):
    first = client.get(sandbox.api_url + "/nothing")
    second = client.get(sandbox.api_url + "/nothing")
    assert first.headers["x-ratelimit-limit"] == "5000"
    assert first.headers["x-ratelimit-resource"] == "core"
    assert int(second.headers["x-ratelimit-remaining"]) == (
        int(first.headers["x-ratelimit-remaining"]) - 1
    )
    assert int(second.headers["x-ratelimit-used"]) == int(first.headers["x-ratelimit-used"]) + 1
    assert int(first.headers["x-ratelimit-reset"]) > 0


def test_rate_limit_endpoint_reports_the_counters_without_counting(sandbox, client):
    client.get(sandbox.api_url + "/nothing")
    first = client.get(sandbox.api_url + "/rate_limit").json()
    second = client.get(sandbox.api_url + "/rate_limit").json()
    assert first == second
    assert first["rate"]["used"] == 1
    assert first["resources"]["core"]["remaining"] == 4999
    assert first["resources"]["graphql"]["used"] == 0
    assert_matches_schema(first, "rate-limit-overview")


def test_git_answers_carry_no_rate_limit_headers(sandbox, client):
    sandbox.store.create_repo("o", "r")
    reply = client.get(sandbox.url + "/o/r.git/info/refs?service=git-upload-pack")
    assert reply.status_code == 200
    assert "x-ratelimit-remaining" not in reply.headers


def test_conditional_get_answers_304_without_body_or_cost(sandbox, client):
    # A fault with status 200 stands in for any successful API GET.
    sandbox.add_fault("/api/v3/repos/o/r$", status=200, body='{"id": 1}', times=3)
    first = client.get(sandbox.api_url + "/repos/o/r")
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    again = client.get(sandbox.api_url + "/repos/o/r", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["x-ratelimit-used"] == first.headers["x-ratelimit-used"]
    other = client.get(sandbox.api_url + "/repos/o/r", headers={"If-None-Match": 'W/"other"'})
    assert other.status_code == 200
    assert other.json() == {"id": 1}


def test_keep_alive_serves_two_requests_on_one_connection(sandbox):
    two = (
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    reply = raw_exchange(sandbox, two)
    assert reply.count(b"HTTP/1.1 404 ") == 2
    assert [r["path"] for r in sandbox.requests()] == ["/a", "/b"]


def raw_exchange(sandbox: Sandbox, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NONSENSE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\nConnection: close\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
    ],
)
def test_malformed_requests_get_400_and_server_keeps_serving(sandbox, client, request_bytes):
    reply = raw_exchange(sandbox, request_bytes)
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert b'"documentation_url"' in reply
    assert client.get(sandbox.url + "/nothing").status_code == 404


def test_urls_follow_the_host_the_client_used(sandbox, client):
    sandbox.store.create_repo("o", "r")
    sandbox.rename("o/r", "o/r2")
    reply = client.get(f"http://localhost:{sandbox.port}/o/r.git/info/refs?service=git-upload-pack")
    assert reply.status_code == 301
    assert reply.headers["location"].startswith(f"http://localhost:{sandbox.port}/o/r2.git/")


def test_web_page_of_repository(sandbox, client):
    sandbox.store.create_repo("o", "r")
    reply = client.get(sandbox.url + "/o/r")
    assert reply.status_code == 200
    assert "o/r" in reply.text


def test_request_log_shape(sandbox, client):
    client.get(sandbox.url + "/nothing?page=2")
    client.get(sandbox.url + "/_sandbox/requests")
    (entry,) = sandbox.requests()
    assert set(entry) == {"method", "path", "status", "bytes", "ms"}
    assert entry["method"] == "GET"
    assert entry["path"] == "/nothing"
    assert entry["status"] == 404
    assert entry["bytes"] > 0
    assert isinstance(entry["ms"], float)
    admin = client.get(sandbox.url + "/_sandbox/requests").json()
    assert admin == sandbox.requests()
    assert client.delete(sandbox.url + "/_sandbox/requests").status_code == 200
    assert sandbox.requests() == []


def test_stop_with_open_client_connection_does_not_hang(tmp_path):
    with Sandbox(data_dir=tmp_path) as sb, httpx.Client() as c:
        c.get(sb.url + "/nothing")
        sb.stop()
    assert (tmp_path / "repos").is_dir()  # an explicit data dir is kept


def test_temporary_data_dir_is_removed_on_stop():
    with Sandbox() as sb:
        data = sb.data_dir
        assert data.is_dir()
    assert not data.exists()
