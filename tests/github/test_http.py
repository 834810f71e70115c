"""The one header builder and the message scrubber of bumper/github/http.py."""

from __future__ import annotations

import base64

from bumper import __version__
from bumper.github.http import USER_AGENT, authorization, new_client, sanitize


def test_rest_and_graphql_send_a_bearer_token_and_git_basic_auth() -> None:
    assert authorization("s3cret") == {"Authorization": "Bearer s3cret"}
    basic = authorization("s3cret", git=True)["Authorization"]
    assert basic.startswith("Basic ")
    assert base64.b64decode(basic.removeprefix("Basic ")) == b"x-access-token:s3cret"


def test_no_secret_means_no_header() -> None:
    assert authorization(None) == {} == authorization("", git=True)


def test_messages_lose_credentials_the_token_and_control_characters() -> None:
    text = "https://user:pw@host/x failed with s3cret\x1b[0m"
    assert sanitize(text, "s3cret") == "https://host/x failed with ***?[0m"


def test_the_user_agent_names_the_version() -> None:
    with new_client(timeout=1.0) as client:
        assert client.headers["User-Agent"] == USER_AGENT == f"bumper/{__version__}"
