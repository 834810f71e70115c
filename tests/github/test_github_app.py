"""bumper authenticated as a GitHub App: a real pass through the CLI, the real PyGithub and
the sandbox's App endpoints. No token in the environment; the App's key signs a JWT, which
buys an installation token, which PyGithub renews before it expires."""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bumper.cli import main

TARGET = "acme/app"
OLD = "1" * 40
WRITES = ("POST", "PATCH", "PUT", "DELETE")
TOKENS = "/api/v3/app/installations/{}/access_tokens"


def private_pem(key: rsa.RSAPrivateKey, password: bytes | None = None) -> str:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def secret_lines(pem: str) -> list[str]:
    """The base64 body lines of a PEM: none of them may ever be printed or logged."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class World:
    """An upstream, a target whose Makefile pins it, and an App registered for the target's
    account; ``config()`` writes a bumper.yaml that names the App and no token."""

    def __init__(self, sandbox: Any, tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
        self.sb = sandbox
        self.tmp = tmp_path
        self.key = key
        sandbox.store.create_repo("up", "lib", auto_init=True)
        self.new = sandbox.store.ref("up/lib", "main")
        sandbox.store.create_repo("acme", "app", auto_init=True)
        sandbox.store.commit_files(TARGET, "main", {"Makefile": f"LIB_VERSION?={OLD}\n"}, "pins")

    def register(self, owner: str = "acme", ttl: float | None = None) -> tuple[int, int]:
        return self.sb.register_app(public_pem(self.key), owner, token_ttl_seconds=ttl)

    def config(
        self, app_id: int, installation: int | None, key_text: str, retries: int = 3
    ) -> Path:
        (self.tmp / "app.pem").write_text(key_text)
        path = self.tmp / "bumper.yaml"
        sb = self.sb
        path.write_text(
            f"github:\n  api_url: {sb.api_url}\n  git_url: {sb.git_url}\n  web_url: {sb.url}\n"
            "  token_env: BUMPER_NO_SUCH_TOKEN\n  seconds_between_writes: 0\n"
            f"  retries: {retries}\n"
            f"  app_id: {app_id}\n  app_private_key: app.pem\n"
            + (f"  app_installation_id: {installation}\n" if installation else "")
            + "lookup:\n  allow_http: true\n  backoff_seconds: 0\n  retries: 0\n"
            f"target:\n  repository: {TARGET}\n  base: main\n"
            "matrix:\n  - repository: up/lib\n    variable: LIB_VERSION\n    branch: main\n"
            "    file: Makefile\n",
            encoding="utf-8",
        )
        return path

    def api_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.sb.requests(auth=True) if r["path"].startswith("/api/")]


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, key: rsa.RSAPrivateKey) -> World:
    return World(sandbox, tmp_path, key)


def run_once(
    capsys: pytest.CaptureFixture[str], config: Path
) -> tuple[int, dict[str, Any], str, str]:
    code = main(["run-once", "--config", str(config), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, out, err


def assert_no_secrets(text: str, *pems: str) -> None:
    assert "ghs_" not in text  # no installation token
    for pem in pems:
        for line in secret_lines(pem):
            assert line not in text


@pytest.mark.parametrize("with_installation_id", [True, False], ids=["given", "looked-up"])
def test_a_pass_as_the_app_opens_the_pr_as_its_bot_with_an_installation_token(
    world: World,
    key: rsa.RSAPrivateKey,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    with_installation_id: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    app_id, installation = world.register()
    config = world.config(app_id, installation if with_installation_id else None, private_pem(key))

    code, doc, out, err = run_once(capsys, config)
    log = world.api_requests()

    assert code == 0, err
    [result] = doc["results"]
    assert (result["status"], result["new"], result["pr"]) == ("bumped", world.new, 1)
    pull = httpx.get(f"{world.sb.api_url}/repos/{TARGET}/pulls/1", timeout=5).json()
    assert (pull["user"]["login"], pull["user"]["type"]) == ("bumper-app[bot]", "Bot")
    branch = world.sb.store.read_file(TARGET, pull["head"]["sha"], "Makefile")
    assert f"LIB_VERSION?={world.new}" in str(branch)

    app_calls = [(r["method"], r["path"]) for r in log if r["auth"] == "jwt"]
    looked_up = [] if with_installation_id else [("GET", f"/api/v3/repos/{TARGET}/installation")]
    assert app_calls == [*looked_up, ("POST", TOKENS.format(installation))]
    writes = [r for r in log if r["method"] in WRITES and r["auth"] != "jwt"]
    assert {r["auth"] for r in writes} == {"installation"}
    assert {(r["method"], r["path"].rsplit("/", 1)[-1]) for r in writes} >= {
        ("POST", "commits"),
        ("POST", "graphql"),  # the branch and the PR, one GraphQL document
    }
    assert "token" not in {r["auth"] for r in log}  # the sandbox's own token never served
    # The pass reports every API request it made, the App's own included.
    kinds = Counter("graphql" if r["path"] == "/api/graphql" else "rest" for r in log)
    assert {k: doc["requests"][k] for k in kinds} == dict(kinds)
    assert_no_secrets(out + err + caplog.text, private_pem(key))


def test_a_token_near_its_expiry_is_renewed_mid_pass(
    world: World, key: rsa.RSAPrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    # PyGithub renews an installation token once it has under 20 s to live: a 21 s token is
    # renewed after a second or two, which a slow answer mid-pass makes certain.
    app_id, installation = world.register(ttl=21)
    config = world.config(app_id, installation, private_pem(key))
    world.sb.fault_delay(r"/branches/update/LIB_VERSION$", 2500, method="GET")

    code, doc, _, err = run_once(capsys, config)

    assert code == 0, err
    assert doc["results"][0]["status"] == "bumped"
    calls = [(r["method"], r["path"], r["auth"]) for r in world.api_requests()]
    renewals = [i for i, c in enumerate(calls) if c[1] == TOKENS.format(installation)]
    slow = calls.index(
        ("GET", f"/api/v3/repos/{TARGET}/branches/update/LIB_VERSION", "installation")
    )
    assert renewals == [0, slow + 1]  # one token at the start, a fresh one after the slow answer
    # (the compare of the public upstream goes without credentials)
    assert {auth for _, _, auth in calls[slow + 2 :]} <= {"installation", "none"}
    # the branch and its PR (one GraphQL document) go with the fresh token
    assert ("POST", "/api/graphql", "installation") in calls[slow + 2 :]
    issued = world.sb.apps.issued()
    assert len(issued) == 2 and issued[1].expires_at > issued[0].expires_at


def test_a_pass_after_the_token_expired_gets_a_new_one(
    world: World, key: rsa.RSAPrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    app_id, installation = world.register(ttl=1)
    config = world.config(app_id, installation, private_pem(key))
    assert run_once(capsys, config)[0] == 0
    expired = world.sb.apps.issued()[-1].expires_at
    time.sleep(max(0.0, expired - time.time()) + 0.05)
    world.sb.clear_requests()

    code, doc, _, err = run_once(capsys, config)

    assert code == 0, err
    assert doc["results"][0]["status"] == "up-to-date"
    log = world.api_requests()
    assert (log[0]["method"], log[0]["path"], log[0]["status"]) == (
        "POST",
        TOKENS.format(installation),
        201,
    )
    assert {r["auth"] for r in log[1:]} <= {"installation", "jwt", "none"}
    assert all(r["status"] != 401 for r in log)


def test_a_wrong_key_fails_the_pass_in_one_line_without_key_material(
    world: World,
    key: rsa.RSAPrivateKey,
    other_key: rsa.RSAPrivateKey,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app_id, installation = world.register()
    config = world.config(app_id, installation, private_pem(other_key))

    code, doc, out, err = run_once(capsys, config)

    assert code == 1
    assert doc == {}
    assert "Traceback" not in err
    [line] = err.strip().splitlines()
    assert f"GitHub App {app_id}" in line
    assert "github.app_private_key" in line and "401" in line
    assert_no_secrets(out + err + caplog.text, private_pem(other_key), private_pem(key))
    assert [r for r in world.api_requests() if r["auth"] != "jwt"] == []  # nothing else tried


@pytest.mark.parametrize(
    "content",
    ["public key", "truncated key", "encrypted key", "not PEM at all"],
)
def test_a_key_file_that_is_no_usable_private_key_is_named_not_shown(
    world: World, key: rsa.RSAPrivateKey, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    app_id, installation = world.register()
    full = private_pem(key)
    text = {
        "public key": public_pem(key),
        "truncated key": full[: len(full) // 2],
        "encrypted key": private_pem(key, b"hunter2"),
        "not PEM at all": "\x00\xff binary junk",
    }[content]

    code, doc, out, err = run_once(capsys, world.config(app_id, installation, text))

    assert code == 1 and doc == {}
    assert "Traceback" not in err
    assert str(world.tmp / "app.pem") in err and "github.app_private_key" in err
    assert_no_secrets(out + err, text if "PRIVATE" in text else "", full)
    assert world.api_requests() == []


def test_an_app_not_installed_on_the_target_says_what_to_check(
    world: World, key: rsa.RSAPrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    app_id, installation = world.register(owner="elsewhere")

    code, _, _, err = run_once(capsys, world.config(app_id, None, private_pem(key)))
    assert code == 1 and "Traceback" not in err
    assert f"GitHub App {app_id}: find its installation on {TARGET}: HTTP 404" in err
    assert "github.app_installation_id" in err

    code, _, _, err = run_once(capsys, world.config(app_id, installation + 1, private_pem(key)))
    assert code == 1 and "Traceback" not in err
    assert f"installation {installation + 1}: HTTP 404" in err


def test_a_base_branch_that_cannot_be_read_fails_each_entry(
    world: World, key: rsa.RSAPrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    app_id, installation = world.register()
    world.sb.add_fault(r"/branches/main$", status=500)
    config = world.config(app_id, installation, private_pem(key), retries=0)

    code, doc, _, _ = run_once(capsys, config)

    assert [r["status"] for r in doc["results"]] == ["failed"]
    assert code == 1


@pytest.mark.parametrize("special", ["fifo", "dev-zero"])
def test_a_special_file_as_the_key_is_refused_in_one_line_without_hanging(
    world: World, special: str
) -> None:
    """A named pipe would block the read for ever and /dev/zero never ends: both are refused
    before a byte is read. Run as a subprocess with a timeout and a memory cap, so the bug
    fails the test instead of hanging it or exhausting the machine."""
    app_id, installation = world.register()
    config = world.config(app_id, installation, "placeholder")
    key_path = world.tmp / "app.pem"
    key_path.unlink()
    if special == "fifo":
        os.mkfifo(key_path)
    else:
        key_path.symlink_to("/dev/zero")

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "bumper", "run-once", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
        preexec_fn=cap_memory,
    )

    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line == f"bumper: error: github.app_private_key: {key_path}: is not a regular file"
    assert "Traceback" not in proc.stderr
    writes = [r for r in world.sb.requests() if r["method"] in WRITES]
    assert [r for r in writes if r["path"].startswith("/api/v3/repos/")] == []  # no PR, branch


def test_an_app_carries_a_persons_commit_pushing_with_its_installation_token(
    world: World, key: rsa.RSAPrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    app_id, installation = world.register()
    config = world.config(app_id, installation, private_pem(key))
    code, doc, out, err = run_once(capsys, config)
    assert code == 0, err
    store = world.sb.store
    store.commit_files(
        TARGET,
        "update/LIB_VERSION",
        {"NOTES": "fix\n"},
        "A fix",
        author=("A Person", "p@x.invalid"),
    )
    later = store.commit_files("up/lib", "main", {"later": "1\n"}, "later")
    # an installation token cannot read /user: the committer has to be named
    code, doc, out, err = run_once(capsys, config)
    [result] = doc["results"]
    assert result["status"] == "failed" and "set pr.author" in result["message"], result
    bot = "bumper-app[bot] <1+bumper-app[bot]@users.noreply.sandbox.local>"
    config.write_text(config.read_text() + f"pr:\n  author: {bot}\n")
    world.sb.clear_requests()
    code, doc, out, err = run_once(capsys, config)
    [result] = doc["results"]
    assert (code, result["status"]) == (0, "bumped"), (result, err)
    pushes = [r for r in world.sb.requests(auth=True) if r["path"].endswith("git-receive-pack")]
    assert {r["auth"] for r in pushes} == {"installation"}
    text = store.read_file(TARGET, "update/LIB_VERSION", "Makefile")
    assert f"LIB_VERSION?={later}" in str(text)
    assert_no_secrets(out + err, private_pem(key))
