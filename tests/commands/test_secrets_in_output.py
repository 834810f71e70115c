"""Every command hides the tokens it holds from what it prints, whatever a server sends back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bumper.cli import main
from bumper.sandbox.app import Sandbox
from bumper.sandbox.seed import demo_config_yaml

# Not token-shaped: only knowing that it is the token hides it.
TOKEN = "plain-looking-credential-7Q2"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, Path]]:
    """The demo sandbox, which takes TOKEN and no other, and a config for it."""
    monkeypatch.setenv("BUMPER_SANDBOX_TOKEN", TOKEN)
    with Sandbox(seed="demo", token=TOKEN) as sb:
        config = tmp_path / "bumper.yaml"
        config.write_text(demo_config_yaml(sb.url), encoding="utf-8")
        yield sb, config


ECHOES = {
    "message": dict(status=422, body=json.dumps({"message": f"Validation failed for {TOKEN}"})),
    "errors": dict(
        status=422,
        body=json.dumps({"message": "Validation Failed", "errors": [{"message": TOKEN}]}),
    ),
}


@pytest.mark.parametrize("echo", sorted(ECHOES))
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_run_once_never_prints_the_token_a_server_echoes(
    world: tuple[Sandbox, Path], capsys: pytest.CaptureFixture[str], echo: str, as_json: bool
) -> None:
    sb, config = world
    sb.add_fault(path=r"/pulls$", method="POST", times=-1, **ECHOES[echo])
    # a new PR is opened in one GraphQL document with its branch
    sb.add_fault(
        path=r"^/api/graphql$", method="POST", times=-1, graphql="mutation", **ECHOES[echo]
    )
    code = main(["run-once", "--config", str(config)] + (["--json"] if as_json else []))
    out, err = capsys.readouterr()
    assert code == 1
    if as_json:
        failed = [r for r in json.loads(out)["results"] if r["status"] == "failed"]
        assert failed and all("***" in r["message"] for r in failed)
    else:
        assert "FAILED" in out and "***" in out
    assert TOKEN not in out + err


def test_redaction_hides_a_private_key_and_keeps_json_output_valid() -> None:
    from bumper.logs import redact

    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----"
    assert redact(f"bad key: {pem} (end)") == "bad key: *** (end)"
    text = json.dumps({"message": 'Authorization: Bearer x1"quoted', "n": 1})
    assert json.loads(redact(text))["n"] == 1
