"""The one HTTP stack for GitHub reads and upstream look-ups.

Everything bumper sends with httpx goes through here: the client (timeouts, user agent, no
automatic redirects, counted requests), the Authorization header, the retry policy (5xx,
dropped connections, timeouts, Retry-After and rate-limit resets up to a bound), the one loop
that follows same-host redirects, and the scrubbing that keeps tokens and response bodies out
of messages. PyGithub's writes keep their own Requester (see ``pygithub_client``).
"""

from __future__ import annotations

import base64
import email.utils
import logging
import math
import os
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from bumper import __version__
from bumper.config.settings import LookupSettings
from bumper.errors import UpstreamError

log = logging.getLogger(__name__)

USER_AGENT = f"bumper/{__version__}"
KINDS = ("git", "graphql", "rest")
_GIT_SUFFIXES = ("/git-upload-pack", "/git-receive-pack", "/info/refs")
REST_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
MAX_BACKOFF_SECONDS = 30.0
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: wait at least a minute when a limit gives no time
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
# 501 is git's "this server does not take a v2 POST like ours": an answer, not an outage.
NOT_RETRIED_5XX = frozenset({501})

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def request_kind(url: httpx.URL) -> str:
    """ "git", "graphql" or "rest", from the URL path alone."""
    path = url.path.rstrip("/")
    if path.endswith(_GIT_SUFFIXES):
        return "git"
    if path.endswith("/graphql"):
        return "graphql"
    return "rest"


class RequestCounter:
    """Requests sent, by kind, and answers received, by kind and status. Thread-safe.

    ``as_dict()`` gives ``{"git": 3, "git_200": 2, "git_500": 1, ...}``: a kind's total counts
    every request sent, so total minus its statuses is the number that got no answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def sent(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def answered(self, kind: str, status: int) -> None:
        with self._lock:
            self._counts[f"{kind}_{status}"] += 1

    def merge(self, counts: Mapping[str, int]) -> None:
        """Add counts kept elsewhere (the forge's own HTTP stack), same keys."""
        with self._lock:
            self._counts.update(counts)

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            counts = dict(self._counts)
        for kind in KINDS:
            counts.setdefault(kind, 0)
        return dict(sorted(counts.items()))

    def __getitem__(self, key: str) -> int:
        with self._lock:
            return self._counts[key]


_STATUS_KEY = re.compile(r"\A([a-z]+)_(\d{3})\Z")


def request_counts(requests: Mapping[str, int]) -> dict[tuple[str, str], int]:
    """``{"git": 3, "git_200": 2}`` -> ``{("git", "200"): 2, ("git", "error"): 1}``.

    A kind's bare count is every request sent; the part no status accounts for got no answer.
    """
    out: dict[tuple[str, str], int] = {}
    answered: dict[str, int] = {}
    for key, count in requests.items():
        match = _STATUS_KEY.match(key)
        if match:
            out[(match[1], match[2])] = count
            answered[match[1]] = answered.get(match[1], 0) + count
    for kind in {k for k in requests if k.isalpha()}:
        unanswered = requests[kind] - answered.get(kind, 0)
        if unanswered > 0:
            out[(kind, "error")] = unanswered
    return out


class DeferredTrustContext(ssl.SSLContext):
    """httpx's default TLS context (certifi's CA store, or $SSL_CERT_FILE / $SSL_CERT_DIR as
    httpx reads them), except that the store loads when the first TLS connection is made.

    Loading it is 40 to 60 ms of CPU, as much as reading a 1,000-row config: a pass that
    speaks only plain http (a loopback sandbox, a git server on the local network) never
    pays for it, and one that speaks TLS pays once, just before its first handshake.
    """

    _lock = threading.Lock()
    _trusted = False

    def trust(self) -> None:
        """Load the CA store now (once; later calls return at once)."""
        if self._trusted:
            return
        with self._lock:
            if not self._trusted:
                if os.environ.get("SSL_CERT_FILE"):
                    self.load_verify_locations(cafile=os.environ["SSL_CERT_FILE"])
                elif os.environ.get("SSL_CERT_DIR"):
                    self.load_verify_locations(capath=os.environ["SSL_CERT_DIR"])
                else:
                    import certifi

                    self.load_verify_locations(cafile=certifi.where())
                self._trusted = True

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.trust()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self.trust()
        return super().wrap_bio(*args, **kwargs)


def tls_context() -> DeferredTrustContext:
    """A verifying client context (hostnames checked, certificates required), its CA store
    not loaded yet."""
    return DeferredTrustContext(ssl.PROTOCOL_TLS_CLIENT)


def new_client(
    *, timeout: float, counter: RequestCounter | None = None, user_agent: str = USER_AGENT
) -> httpx.Client:
    """An httpx.Client that never follows redirects (callers decide) and feeds ``counter``."""
    hooks: dict[str, list[Callable[..., Any]]] = {"request": [], "response": []}
    if counter is not None:

        def on_request(request: httpx.Request) -> None:
            counter.sent(request_kind(request.url))

        def on_response(response: httpx.Response) -> None:
            counter.answered(request_kind(response.request.url), response.status_code)

        hooks = {"request": [on_request], "response": [on_response]}
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        verify=tls_context(),
        follow_redirects=False,
        headers={"User-Agent": user_agent},
        event_hooks=hooks,
    )


def authorization(secret: str | None, *, git: bool = False) -> dict[str, str]:
    """The Authorization header for ``secret`` as GitHub documents it: ``Bearer`` for REST and
    GraphQL, Basic with user ``x-access-token`` for git smart HTTP. Empty without a secret."""
    if not secret:
        return {}
    if git:
        pair = base64.b64encode(f"x-access-token:{secret}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {"Authorization": f"Bearer {secret}"}


def sanitize(text: str, secret: str | None = None) -> str:
    """``text`` without URL credentials, the token or control characters."""
    text = _USERINFO.sub(r"\1", text)
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return "".join(c if c.isprintable() else "?" for c in text)


# -- retries ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a request is tried and how long bumper waits between tries."""

    attempts: int = 4
    backoff_seconds: float = 1.0  # the first retry's wait; it doubles per attempt
    max_wait_seconds: float = 60.0  # the longest Retry-After / rate-limit reset slept for

    @classmethod
    def of(cls, lookup: LookupSettings) -> RetryPolicy:
        # `lookup.retries: N` retries N times: N + 1 attempts in all
        return cls(lookup.retries + 1, lookup.backoff_seconds, lookup.max_wait_seconds)


class _Retryable(Exception):
    """A failure worth another attempt; ``wait`` overrides the backoff (rate limits)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


@dataclass(frozen=True, slots=True)
class Session:
    """The injected client with a retry policy and the token (to keep it out of messages).
    Every GitHub read and upstream look-up of a pass goes through one."""

    client: httpx.Client
    policy: RetryPolicy
    secret: str | None
    sleep: Callable[[float], None] = time.sleep

    def send(
        self,
        method: str,
        url: str,
        *,
        display: str,
        headers: Mapping[str, str],
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request, retried on timeouts, dropped connections, 5xx and short rate limits.

        Returns any other answer (2xx, 3xx, 4xx) for the caller to judge; UpstreamError when
        the attempts are spent.
        """
        tries = 0

        def once() -> httpx.Response:
            nonlocal tries
            tries += 1
            return self._once(method, url, display, headers, content, params)

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.policy.attempts)),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(once)
        except _Retryable as exc:
            plural = "attempt" if tries == 1 else "attempts"
            raise UpstreamError(f"{display}: {exc.reason} after {tries} {plural}") from None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.wait is not None:
            return exc.wait
        backoff = self.policy.backoff_seconds * 2 ** (state.attempt_number - 1)
        return float(min(backoff, MAX_BACKOFF_SECONDS))

    def _once(
        self,
        method: str,
        url: str,
        display: str,
        headers: Mapping[str, str],
        content: bytes | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Response:
        try:
            response = self.client.request(
                method, url, headers=headers, content=content, params=params
            )
        except httpx.TimeoutException:
            raise _Retryable("timed out") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({self.describe(exc)})") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{display}: request failed ({self.describe(exc)})") from None
        log.debug("%s %s -> %s", method, sanitize(url), response.status_code)
        status = response.status_code
        if status in (403, 429):
            wait = _rate_limit_wait(response)
            if wait is not None:
                seconds, what = wait
                host = _host(response.request.url)
                if seconds > self.policy.max_wait_seconds:
                    raise UpstreamError(
                        f"{display}: rate limited by {host}; {what} {math.ceil(seconds)} s "
                        f"exceeds max_wait_seconds={self.policy.max_wait_seconds:g}"
                    )
                log.info("rate limited by %s: waiting %.0f s", host, seconds)
                raise _Retryable(f"rate limited by {host}", wait=seconds)
        if status >= 500 and status not in NOT_RETRIED_5XX:
            raise _Retryable(f"HTTP {status}")
        return response

    def describe(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split())
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        return sanitize(text, self.secret)[:120]


def _rate_limit_wait(response: httpx.Response) -> tuple[float, str] | None:
    """(seconds, "retry after" | "reset in") when a 403/429 is a rate limit, else None."""
    headers = response.headers
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        seconds = _parse_retry_after(retry_after)
        if seconds is not None:
            return seconds, "retry after"
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            reset = float(headers["x-ratelimit-reset"])
        except ValueError:
            reset = time.time() + SECONDARY_LIMIT_WAIT
        return max(0.0, reset - time.time()), "reset in"
    if response.status_code == 429 or b"rate limit" in response.content[:4096].lower():
        return SECONDARY_LIMIT_WAIT, "retry after"
    return None


def _parse_retry_after(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _host(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else url.host


# -- redirects --------------------------------------------------------------------------


def follow(
    session: Session,
    method: str,
    url: str,
    *,
    display: str,
    headers: Mapping[str, str],
    content: bytes | None = None,
    params: Mapping[str, str] | None = None,
    next_url: Callable[[str], str] = lambda target: target,
    hint: str = "",
) -> tuple[httpx.Response, str]:
    """Send through ``session``, following same-host redirects (a renamed repository).

    ``next_url`` turns a redirect's target into the URL asked next (UpstreamError when it
    will not do); ``hint`` ends the message when a redirect leads to another host, which is
    never followed (the token must not go there). Returns the final answer and its URL.
    """
    for _ in range(MAX_REDIRECTS + 1):
        response = session.send(
            method, url, display=display, headers=headers, content=content, params=params
        )
        location = response.headers.get("location")
        if response.status_code not in REDIRECTS or not location:
            return response, url
        target = urljoin(url, location)
        old, new = urlsplit(url), urlsplit(target)
        if (old.scheme.lower(), old.netloc.lower()) != (new.scheme.lower(), new.netloc.lower()):
            raise UpstreamError(
                f"{display}: redirected to another host ({shown_url(target)}){hint}"
            )
        url = next_url(target)
    raise UpstreamError(f"{display}: more than {MAX_REDIRECTS} redirects")


def shown_url(url: str) -> str:
    """``url`` for a message: no scheme, query or credentials, and not too long."""
    return sanitize(url.split("://", 1)[-1].split("?", 1)[0])[:200]


def json_of(response: httpx.Response) -> Any:
    """The parsed JSON body, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None
