"""PyGithub, set up the one way bumper uses it: auth, pacing, retries, counted requests.

Every setting of PyGithub's Requester comes from here (``connect``), read from the config's
``github`` section; the forge (``pygithub_forge``) only sends through the result. The reads
and look-ups that do not go through PyGithub use ``http`` (httpx) instead, whose Authorization
header and retry policy are their own; the two stacks share the user agent and the counter.

What is chosen on purpose here:
- Auth: a token (``Auth.Token``), or a GitHub App (``github.app_id`` and
  ``app_private_key``; its installation found on the target unless
  ``app_installation_id`` is set). PyGithub renews the installation token.
- Pacing: ``github.seconds_between_requests`` / ``seconds_between_writes`` (GitHub asks for a
  second between content-creating requests); tests set 0.
- Retries: a bounded ``GithubRetry`` (``github.retries`` attempts; rate-limit and Retry-After
  sleeps capped by ``github.max_rate_limit_wait``). It retries POST and PATCH too, which is
  safe only because every write of the forge is idempotent or detects its own earlier
  success (see ``pygithub_forge``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import requests
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, Github, GithubException, GithubIntegration, GithubRetry
from urllib3 import Retry

from bumper.config.settings import Config, GitHubSettings, Secret
from bumper.errors import FileError, ForgeError
from bumper.files import read_regular
from bumper.github.http import USER_AGENT, RequestCounter, request_kind

log = logging.getLogger(__name__)

PYGITHUB_USER_AGENT = f"{USER_AGENT} (PyGithub)"
MAX_KEY_BYTES = 64 * 1024  # a 4096-bit RSA key's PEM is about 3.3 KB


def connect(
    config: Config, token: Secret | None, target: str, counter: RequestCounter | None = None
) -> tuple[Github, RequestCounter]:
    """PyGithub against ``config.github.api_url`` for ``target``, and the counter of its
    requests (``counter`` when given). With a GitHub App, the first installation token is
    fetched now, so a wrong key or id fails with one line before anything else is tried."""
    github = config.github
    counter = counter if counter is not None else RequestCounter()
    retry = _CountingRetry(
        counter=counter,
        total=github.retries,
        backoff_factor=0.5,  # the first retry goes at once, then 1 s, 2 s, ...
        # PATCH too: every PATCH here (force a ref to a sha, set a PR's text) is idempotent.
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"},
        max_rate_limit_wait=github.max_rate_limit_wait,
        secondary_rate_wait=min(60.0, github.max_rate_limit_wait),
    )
    gh = Github(auth=_auth(github, token, target, counter, retry), **_client_options(github, retry))
    _count_requests(gh, counter, retry)
    _first_installation_token(gh, github, counter, retry)
    return gh, counter


class _CountingRetry(GithubRetry):
    """GithubRetry that counts each retried attempt and caps every sleep it is asked for."""

    def __init__(self, *, counter: RequestCounter, **kwargs: Any) -> None:
        self.counter = counter
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> _CountingRetry:
        kw["counter"] = self.counter
        return super().new(**kw)

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        kind = request_kind(httpx.URL(url or "/"))
        if response is not None:
            self.counter.answered(kind, int(response.status))
        # raises when out of attempts
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        self.counter.sent(kind)  # the retried attempt about to go out
        return retry

    def parse_retry_after(self, retry_after: str) -> float:
        # urllib3 would sleep whatever Retry-After says; a pass must not hang for an hour.
        seconds = super().parse_retry_after(retry_after)
        cap = self.max_rate_limit_wait
        return min(seconds, cap) if cap is not None else seconds


class _CountingAdapter(requests.adapters.HTTPAdapter):
    """Counts each request PyGithub sends and each answer, by kind (rest or graphql)."""

    def __init__(self, counter: RequestCounter, **kwargs: Any) -> None:
        self.counter = counter
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        kind = request_kind(httpx.URL(request.url or "/"))
        self.counter.sent(kind)
        response = super().send(request, *args, **kwargs)
        self.counter.answered(kind, response.status_code)
        return response


def _count_requests(
    gh: Github | GithubIntegration, counter: RequestCounter, retry: _CountingRetry
) -> None:
    """Put a counting adapter under PyGithub's session.

    PyGithub has no public hook for this; its Requester keeps one persistent connection object
    with a ``requests.Session``. If a PyGithub release changes that, counting stops (logged) and
    bumper keeps working; tests/github/test_pygithub_forge.py compares the counts with the
    sandbox log.
    """
    try:
        connection = gh.requester._Requester__createConnection()  # type: ignore[attr-defined]
        adapter = _CountingAdapter(
            counter,
            max_retries=retry,
            pool_connections=connection.pool_size,
            pool_maxsize=connection.pool_size,
        )
        connection.session.mount(f"{connection.protocol}://", adapter)
        connection.adapter.close()
        connection.adapter = adapter
    except AttributeError as exc:  # pragma: no cover - only with an incompatible PyGithub
        log.warning("cannot count GitHub requests with this PyGithub: %s", exc)


def _auth(
    github: GitHubSettings,
    token: Secret | None,
    target: str,
    counter: RequestCounter,
    retry: _CountingRetry,
) -> Auth.Auth | None:
    if github.app_id is not None and github.app_private_key:
        app = Auth.AppAuth(github.app_id, _app_private_key(github.app_private_key))
        installation = github.app_installation_id
        if installation is None:
            owner, name = target.split("/", 1)
            # Paced, retried and counted like every other request of the pass.
            integration = GithubIntegration(auth=app, **_client_options(github, retry))
            _count_requests(integration, counter, retry)
            what = f"GitHub App {github.app_id}: find its installation on {target}"
            try:
                with as_forge_error(what), _app_hints(what):
                    installation = integration.get_repo_installation(owner, name).id
            finally:
                integration.close()
        # PyGithub renews the installation token 20 s before it expires.
        return Auth.AppInstallationAuth(app, installation)
    if token:
        return Auth.Token(token.reveal())
    return None


def _app_private_key(path: str) -> str:
    """The PEM text of an App's RSA private key; a ForgeError naming the file (never showing
    its content) when it cannot be read or is not such a key."""
    try:
        data = read_regular(
            Path(path), MAX_KEY_BYTES, f"github.app_private_key: {path}", "a PEM file"
        )
    except FileError as exc:
        raise ForgeError(str(exc)) from None
    text = data.decode("utf-8", "replace")
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ForgeError(
            f"github.app_private_key: {path} is not an unencrypted PEM RSA private key; "
            "use the .pem file GitHub generated for the App"
        )
    return text


def _client_options(github: GitHubSettings, retry: _CountingRetry) -> dict[str, Any]:
    return dict(
        base_url=github.api_url.rstrip("/"),
        timeout=github.timeout_seconds,
        user_agent=PYGITHUB_USER_AGENT,
        per_page=100,
        retry=retry,
        seconds_between_requests=github.seconds_between_requests or None,
        seconds_between_writes=github.seconds_between_writes or None,
        lazy=True,
    )


def _token_integration(gh: Github) -> GithubIntegration | None:
    """The connection PyGithub's AppInstallationAuth gets its installation tokens through
    (private to it: if a PyGithub release renames it, those requests go uncounted)."""
    auth = gh.requester.auth
    if not isinstance(auth, Auth.AppInstallationAuth):
        return None
    found = getattr(auth, "_AppInstallationAuth__integration", None)
    return found if isinstance(found, GithubIntegration) else None


def app_login(gh: Github) -> str | None:
    """The bot account an App's installation writes as (``slug[bot]``, from ``GET /app``
    with the App's JWT); None when bumper writes with a token."""
    integration = _token_integration(gh)
    if integration is None:
        return None
    with as_forge_error("read the GitHub App"):
        return f"{integration.get_app().slug}[bot]"


def _first_installation_token(
    gh: Github, github: GitHubSettings, counter: RequestCounter, retry: _CountingRetry
) -> None:
    """Count the installation-token requests and get the first token now: a wrong key, App id
    or installation then fails the pass with one line, before any entry is tried."""
    auth = gh.requester.auth
    if not isinstance(auth, Auth.AppInstallationAuth):
        return
    integration = _token_integration(gh)
    if integration is not None:
        _count_requests(integration, counter, retry)
    what = f"GitHub App {github.app_id}: get a token for installation {auth.installation_id}"
    try:
        with as_forge_error(what), _app_hints(what):
            auth.token  # noqa: B018 - fetches and caches the token
    except ForgeError:
        close_client(gh)
        raise


@contextlib.contextmanager
def _app_hints(what: str) -> Iterator[None]:
    """An App's 401 and 404 as a ForgeError that says which setting to check."""
    try:
        yield
    except GithubException as exc:
        hints = {
            401: "is github.app_private_key the App's current key, and github.app_id its id?",
            404: "is the App installed on the target's account (github.app_installation_id)?",
        }
        if exc.status not in hints:
            raise
        raise ForgeError(f"{what}: {_why(exc)}; {hints[exc.status]}") from None


def close_client(gh: Github) -> None:
    integration = _token_integration(gh)
    gh.close()
    if integration is not None:
        integration.close()


def _why(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or "").strip()
    details = [
        str(e.get("message") or e.get("code"))
        for e in data.get("errors") or []
        if isinstance(e, dict)
    ]
    text = "; ".join(x for x in [message, *details] if x)
    return f"HTTP {exc.status}" + (f": {text[:300]}" if text else "")


@contextlib.contextmanager
def as_forge_error(what: str) -> Iterator[None]:
    """PyGithub's and requests' errors as one ForgeError line naming the call."""
    try:
        yield
    except GithubException as exc:
        raise ForgeError(f"{what}: {_why(exc)}") from None
    except requests.RequestException as exc:
        raise ForgeError(f"{what}: {_short(exc)}") from None
    except _ODD_ANSWER as exc:
        # PyGithub raises these (not GithubException) for answers it cannot follow; their text
        # carries the URL, so only what kind of answer it was is said.
        raise ForgeError(f"{what}: {_odd(exc)}") from None


# What PyGithub's Requester raises for an answer it will not follow: RuntimeError for a 301
# to another host or scheme, AssertionError for a URL (a Link: next) outside github.api_url,
# ValueError for a body that starts like JSON and is not, TypeError when a GraphQL 200 has no
# body at all.
_ODD_ANSWER = (RuntimeError, AssertionError, ValueError, TypeError)


def _odd(exc: Exception) -> str:
    if isinstance(exc, RuntimeError) and "redirected" in str(exc):
        return "GitHub redirected the request to another host or scheme; is github.api_url right?"
    if isinstance(exc, AssertionError):
        return (
            "the answer points to another host (a Link or Location outside github.api_url);"
            " is github.api_url right?"
        )
    if isinstance(exc, TypeError):
        return "unexpected answer (an empty body)"
    return "unexpected answer (not valid JSON)"


def _short(exc: requests.RequestException) -> str:
    """What went wrong on the wire, without requests' long text (which carries the URL)."""
    if isinstance(exc, requests.exceptions.RetryError):
        inner = exc.args[0] if exc.args else None
        reason = getattr(inner, "reason", None)
        return f"gave up after retries ({reason or 'no good answer'})"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__
