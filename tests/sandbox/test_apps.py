"""GitHub Apps in the sandbox: a JWT signed with the App's key buys an installation token,
which writes until it expires. Answers validate against GitHub's OpenAPI description."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from test_openapi import Checker, spec
from test_server import assert_github_error

from bumper.sandbox.app import Sandbox


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signed(key: rsa.RSAPrivateKey, app_id: int | str, *, iat: float = -60, exp: float = 300) -> str:
    now = int(time.time())
    claims = {"iat": int(now + iat), "exp": int(now + exp), "iss": str(app_id)}
    return jwt.encode(claims, _private_pem(key), algorithm="RS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(sandbox: Any, key: rsa.RSAPrivateKey) -> tuple[int, int]:
    sandbox.store.create_repo("acme", "app", auto_init=True)
    sandbox.store.create_repo("other", "lib", auto_init=True)
    return sandbox.register_app(_public_pem(key), "acme")


@pytest.fixture
def client() -> Any:
    with httpx.Client(timeout=10) as c:
        yield c


def _validate(payload: Any, name: str) -> None:
    root = {"$ref": f"#/components/schemas/{name}", "components": spec()["components"]}
    jsonschema.Draft4Validator(root).validate(payload)


def test_app_answers_match_githubs_schemas(
    sandbox: Any, app: tuple[int, int], key: rsa.RSAPrivateKey
) -> None:
    app_id, installation = app
    with httpx.Client(headers=bearer(signed(key, app_id)), timeout=10) as client:
        c = Checker(client, sandbox.api_url)
        me = c.call("GET", "/app", 200)
        assert (me["id"], me["slug"]) == (app_id, "bumper-app")
        found = c.call("GET", "/repos/acme/app/installation", 200)
        assert (found["id"], found["account"]["login"]) == (installation, "acme")
        c.call("GET", "/repos/other/lib/installation", 404)  # not installed there
        c.call("GET", "/repos/acme/nothing/installation", 404)
        issued = c.call("POST", f"/app/installations/{installation}/access_tokens", 201)
        c.call("POST", "/app/installations/999/access_tokens", 404)
        # Not in the reference file: listed and single installations have its schema.
        listed = client.get(f"{sandbox.api_url}/app/installations").json()
        assert [i["id"] for i in listed] == [installation]
        _validate(listed[0], "installation")
        one = client.get(f"{sandbox.api_url}/app/installations/{installation}").json()
        _validate(one, "installation")
    assert issued["token"].startswith("ghs_") and len(issued["token"]) == 40
    assert issued["permissions"]["contents"] == "write"
    assert issued["permissions"]["pull_requests"] == "write"


def test_installation_token_writes_as_the_apps_bot_until_it_expires(
    sandbox: Any, app: tuple[int, int], key: rsa.RSAPrivateKey, client: Any
) -> None:
    short_id, short_installation = sandbox.register_app(
        _public_pem(key),
        "acme",
        token_ttl_seconds=3,  # room for a loaded machine
    )
    reply = client.post(
        f"{sandbox.api_url}/app/installations/{short_installation}/access_tokens",
        headers=bearer(signed(key, short_id)),
    )
    token, expires = reply.json()["token"], reply.json()["expires_at"]
    auth = {"Authorization": f"token {token}"}
    repo = f"{sandbox.api_url}/repos/acme/app"
    main = client.get(f"{repo}/branches/main", headers=auth).json()["commit"]["sha"]
    client.post(f"{repo}/git/refs", headers=auth, json={"ref": "refs/heads/x", "sha": main})
    sandbox.store.commit_files("acme/app", "x", {"f": "1\n"}, "work")
    pull = client.post(
        f"{repo}/pulls", headers=auth, json={"title": "t", "head": "x", "base": "main"}
    )
    assert pull.status_code == 201
    assert (pull.json()["user"]["login"], pull.json()["user"]["type"]) == (
        "bumper-app-2[bot]",
        "Bot",
    )
    assert [(e["path"], e["auth"]) for e in sandbox.requests(auth=True)][-3:] == [
        ("/api/v3/repos/acme/app/branches/main", "installation"),
        ("/api/v3/repos/acme/app/git/refs", "installation"),
        ("/api/v3/repos/acme/app/pulls", "installation"),
    ]
    assert set(sandbox.requests()[-1]) == {"method", "path", "status", "bytes", "ms"}

    deadline = time.time() + 6
    while time.time() < deadline and client.get(repo, headers=auth).status_code == 200:
        time.sleep(0.1)
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) >= expires
    assert_github_error(client.get(repo, headers=auth), 401, "Bad credentials")
    assert_github_error(
        client.post(f"{repo}/git/refs", headers=auth, json={"ref": "refs/heads/y", "sha": main}),
        401,
        "Bad credentials",
    )
    assert sandbox.requests(auth=True)[-1]["auth"] == "expired"


def test_installation_token_cannot_write_elsewhere_or_read_a_user(
    sandbox: Any, app: tuple[int, int], key: rsa.RSAPrivateKey, client: Any
) -> None:
    app_id, installation = app
    token = client.post(
        f"{sandbox.api_url}/app/installations/{installation}/access_tokens",
        headers=bearer(signed(key, app_id)),
    ).json()["token"]
    auth = {"Authorization": f"token {token}"}
    other = f"{sandbox.api_url}/repos/other/lib"
    assert client.get(other, headers=auth).status_code == 200  # public reads are fine
    refused = client.post(
        f"{other}/git/refs", headers=auth, json={"ref": "refs/heads/x", "sha": "0" * 40}
    )
    assert_github_error(refused, 403, "Resource not accessible by integration")
    assert_github_error(
        client.get(f"{sandbox.api_url}/user", headers=auth),
        403,
        "Resource not accessible by integration",
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("other key", "A JSON web token could not be decoded"),
        ("expired", "'Expiration time' claim ('exp') must be a numeric value"),
        ("issued in the future", "'Issued at' claim ('iat') must be an Integer"),
        ("lives over ten minutes", "'Expiration time' claim ('exp') is too far in the future"),
        ("unknown app", "Integration not found"),
        ("not a jwt", "A JSON web token could not be decoded"),
        ("the sandbox token", "A JSON web token could not be decoded"),
        ("no credential", "Requires authentication"),
    ],
)
def test_app_endpoints_refuse_a_bad_jwt_with_401(
    sandbox: Any,
    app: tuple[int, int],
    key: rsa.RSAPrivateKey,
    other_key: rsa.RSAPrivateKey,
    client: Any,
    case: str,
    message: str,
) -> None:
    app_id, installation = app
    headers = {
        "other key": bearer(signed(other_key, app_id)),
        "expired": bearer(signed(key, app_id, iat=-400, exp=-1)),
        "issued in the future": bearer(signed(key, app_id, iat=120, exp=300)),
        "lives over ten minutes": bearer(signed(key, app_id, iat=0, exp=900)),
        "unknown app": bearer(signed(key, 77)),
        "not a jwt": bearer("aGVsbG8.d29ybGQ.c2ln"),
        "the sandbox token": {"Authorization": f"token {sandbox.token}"},
        "no credential": {},
    }[case]
    for method, path in [
        ("GET", "/app"),
        ("POST", f"/app/installations/{installation}/access_tokens"),
        ("GET", "/repos/acme/app/installation"),
    ]:
        reply = client.request(method, sandbox.api_url + path, headers=headers)
        assert_github_error(reply, 401)
        assert reply.json()["message"].startswith(message), (case, path)
    assert sandbox.apps.issued() == []


def test_a_valid_jwt_is_no_credential_outside_the_app_endpoints(
    sandbox: Any, app: tuple[int, int], key: rsa.RSAPrivateKey, client: Any
) -> None:
    headers = bearer(signed(key, app[0]))
    for path in ["/api/v3/repos/acme/app", "/api/graphql", "/acme/app.git/info/refs"]:
        reply = client.post(sandbox.url + path, headers=headers, json={"query": "{viewer{login}}"})
        assert_github_error(reply, 401, "Bad credentials")


def test_admin_api_registers_an_app_and_names_a_bad_field(
    sandbox: Sandbox, key: rsa.RSAPrivateKey, client: Any
) -> None:
    admin = sandbox.url + "/_sandbox/apps"
    made = client.post(
        admin,
        json={"public_key_pem": _public_pem(key), "installation_owner": "acme", "slug": "pinbot"},
    )
    assert made.status_code == 201
    assert made.json() == {"app_id": 1, "installation_id": 1001, "slug": "pinbot"}
    for body, field in [
        ({"public_key_pem": "-----BEGIN PUBLIC KEY-----\nxx\n", "installation_owner": "a"}, "pem"),
        ({"public_key_pem": _public_pem(key)}, "installation_owner"),
        ({"public_key_pem": _public_pem(key), "installation_owner": "a", "slug": "pinbot"}, "slug"),
        (
            {"public_key_pem": _public_pem(key), "installation_owner": "a", "token_ttl_seconds": 0},
            "token_ttl_seconds",
        ),
    ]:
        reply = client.post(admin, json=body)
        assert reply.status_code == 400, body
        assert field in reply.json()["message"]
    assert sandbox.requests() == []  # the admin API is never logged
