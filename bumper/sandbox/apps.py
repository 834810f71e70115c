"""GitHub Apps in the sandbox: registered keys, JWTs, installations and installation tokens.

An App is registered with its RSA public key and the one account it is installed on
(``Sandbox.register_app`` or ``POST /_sandbox/apps``). A client then does what it does on
GitHub: it signs a JWT (RS256, ``iss`` = the app id) with the private key, presents it as
``Authorization: Bearer <JWT>`` to the ``/app`` endpoints, and trades it for an installation
token (``POST /app/installations/{id}/access_tokens``). That token writes like the sandbox's
own token until ``expires_at``; after that it answers 401 "Bad credentials", as GitHub does.

REST (under /api/v3, JWT only): GET /app, GET /app/installations, GET /app/installations/{id},
POST /app/installations/{id}/access_tokens, GET /repos/{owner}/{repo}/installation.

Apps live in memory: a restarted sandbox has none. The sandbox does not enforce an App's
permissions per endpoint; an installation token may write only to its account's repositories.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bumper.sandbox import shapes
from bumper.sandbox.http import DOCS, Response, json_response
from bumper.sandbox.routing import Call, Route, fail, not_found, route
from bumper.sandbox.shapes import Urls, iso

TOKEN_TTL_SECONDS = 3600.0  # GitHub's installation tokens live one hour
CLOCK_LEEWAY = 60  # seconds an ``iat`` may lie in the future (clock drift), as GitHub allows
MAX_JWT_LIFETIME = 600  # GitHub refuses a JWT whose exp is more than 10 minutes after iat
PERMISSIONS = {
    "contents": "write",
    "pull_requests": "write",
    "issues": "write",
    "metadata": "read",
}
UNDECODABLE = "A JSON web token could not be decoded"
# Paths that take a JWT rather than a token (the server lets a JWT through only to these).
JWT_PATH = re.compile(r"\A/api/v3(?:/app(?:/.*)?|/repos/[^/]+/[^/]+/installation/?)\Z")
_JWT_SHAPE = re.compile(r"\A[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\Z")
_TOKEN_CHARS = string.ascii_letters + string.digits


class JwtRejected(Exception):
    """A JWT the sandbox does not accept; the message is what the client is told."""


@dataclass(frozen=True, slots=True)
class App:
    id: int
    slug: str
    public_key: rsa.RSAPublicKey
    installation_id: int
    owner: str  # the one account the App is installed on
    token_ttl: float
    created: float

    @property
    def bot_login(self) -> str:
        return f"{self.slug}[bot]"


@dataclass(frozen=True, slots=True)
class Issued:
    """What an installation token grants; the token itself is the key it is stored under."""

    app_id: int
    installation_id: int
    owner: str
    login: str
    expires_at: int  # epoch seconds, what ``expires_at`` says
    permissions: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Credential:
    """How a presented credential counts: ``installation`` writes, ``jwt`` reaches /app
    paths (verified there), ``expired`` and ``bad`` get 401."""

    kind: str
    login: str | None = None
    owner: str | None = None


# -- JWTs (pure) -------------------------------------------------------------------------


def _b64url(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise JwtRejected(UNDECODABLE) from None


def _json_part(part: str) -> dict[str, Any]:
    try:
        data = json.loads(_b64url(part))
    except ValueError:
        raise JwtRejected(UNDECODABLE) from None
    if not isinstance(data, dict):
        raise JwtRejected(UNDECODABLE)
    return data


def looks_like_jwt(token: str) -> bool:
    return bool(_JWT_SHAPE.match(token))


def jwt_issuer(token: str) -> str:
    """The unverified ``iss`` claim: which App's key to check the signature with."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtRejected(UNDECODABLE)
    issuer = _json_part(parts[1]).get("iss")
    if isinstance(issuer, bool) or not isinstance(issuer, int | str) or not str(issuer).strip():
        raise JwtRejected("'Issuer' claim ('iss') must be an Integer")
    return str(issuer).strip()


def verify_jwt(token: str, key: rsa.RSAPublicKey, app_id: int, now: float) -> None:
    """Raise JwtRejected unless ``token`` is an RS256 JWT signed by ``key`` for ``app_id``
    and valid at ``now`` (with GitHub's leeway for ``iat``)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtRejected(UNDECODABLE)
    header, claims = _json_part(parts[0]), _json_part(parts[1])
    if header.get("alg") != "RS256":
        raise JwtRejected(UNDECODABLE)
    try:
        key.verify(
            _b64url(parts[2]),
            f"{parts[0]}.{parts[1]}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise JwtRejected(UNDECODABLE) from None
    if str(claims.get("iss", "")).strip() != str(app_id):
        raise JwtRejected("'Issuer' claim ('iss') must be an Integer")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not _number(iat):
        raise JwtRejected(
            "'Issued at' claim ('iat') must be an Integer representing the time that the "
            "assertion was issued."
        )
    if not _number(exp) or exp <= now:
        raise JwtRejected(
            "'Expiration time' claim ('exp') must be a numeric value representing the future "
            "time at which the assertion expires."
        )
    if iat > now + CLOCK_LEEWAY:
        raise JwtRejected(
            "'Issued at' claim ('iat') must be an Integer representing a time in the past."
        )
    if exp - iat > MAX_JWT_LIFETIME:
        raise JwtRejected("'Expiration time' claim ('exp') is too far in the future.")


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM text; ValueError naming the field otherwise."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("public_key_pem: expected an RSA public key in PEM form") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("public_key_pem: expected an RSA public key in PEM form")
    return key


# -- the registry ------------------------------------------------------------------------


class Apps:
    """Registered Apps and the installation tokens issued to them (thread-safe)."""

    def __init__(self, token_ttl_seconds: float = TOKEN_TTL_SECONDS) -> None:
        self.token_ttl_seconds = token_ttl_seconds
        self._lock = threading.Lock()
        self._apps: dict[int, App] = {}
        self._tokens: dict[str, Issued] = {}

    def register(
        self,
        public_key_pem: str,
        owner: str,
        *,
        slug: str | None = None,
        token_ttl_seconds: float | None = None,
    ) -> App:
        key = load_public_key(public_key_pem)
        ttl = self.token_ttl_seconds if token_ttl_seconds is None else token_ttl_seconds
        if not (isinstance(ttl, int | float) and not isinstance(ttl, bool) and 0 < ttl <= 86400):
            raise ValueError("token_ttl_seconds: expected a number of seconds, 0 < n <= 86400")
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})", owner):
            raise ValueError(f"installation_owner: expected an account name, got {owner!r}")
        with self._lock:
            app_id = len(self._apps) + 1
            name = slug or ("bumper-app" if app_id == 1 else f"bumper-app-{app_id}")
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,33}", name):
                raise ValueError(f"slug: expected lower-case letters, digits and -, got {name!r}")
            if any(a.slug == name for a in self._apps.values()):
                raise ValueError(f"slug: an App named {name!r} exists")
            app = App(app_id, name, key, 1000 + app_id, owner, float(ttl), time.time())
            self._apps[app_id] = app
        return app

    def apps(self) -> list[App]:
        with self._lock:
            return list(self._apps.values())

    def authenticate(self, jwt: str, now: float | None = None) -> App:
        """The App whose key signed ``jwt``; JwtRejected otherwise."""
        issuer = jwt_issuer(jwt)
        with self._lock:
            app = self._apps.get(int(issuer)) if issuer.isdigit() else None
        if app is None:
            raise JwtRejected(f"Integration not found for 'iss' claim {issuer[:20]!r}")
        verify_jwt(jwt, app.public_key, app.id, time.time() if now is None else now)
        return app

    def issue(self, app: App, permissions: dict[str, str]) -> tuple[str, Issued]:
        """A new installation token for ``app`` with ``permissions`` (already checked)."""
        token = "ghs_" + "".join(secrets.choice(_TOKEN_CHARS) for _ in range(36))
        issued = Issued(
            app_id=app.id,
            installation_id=app.installation_id,
            owner=app.owner,
            login=app.bot_login,
            # GitHub's expires_at has whole seconds; the token lives at least the ttl.
            expires_at=math.ceil(time.time() + app.token_ttl),
            permissions=tuple(sorted(permissions.items())),
        )
        with self._lock:
            self._tokens[token] = issued
        return token, issued

    def credential(self, token: str, now: float | None = None) -> Credential:
        """How the server counts a presented credential that is not its own write token."""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is not None:
            if (time.time() if now is None else now) >= issued.expires_at:
                return Credential("expired")
            return Credential("installation", issued.login, issued.owner)
        if looks_like_jwt(token):
            return Credential("jwt")
        return Credential("bad")

    def issued(self) -> list[Issued]:
        """Every installation token issued so far, oldest first (for tests' assertions)."""
        with self._lock:
            return list(self._tokens.values())


# -- JSON shapes -------------------------------------------------------------------------


def _account(urls: Urls, login: str) -> dict[str, Any]:
    return shapes.user(urls, login)


def integration(urls: Urls, app: App, installations: int) -> dict[str, Any]:
    """The ``integration`` schema (GET /app)."""
    stamp = iso(app.created)
    return {
        "id": app.id,
        "slug": app.slug,
        "node_id": shapes.node_id("Integration", app.id),
        "client_id": f"Iv1.sandbox{app.id:08d}",
        "owner": _account(urls, app.owner),
        "name": app.slug,
        "description": None,
        "external_url": f"{urls.base}/apps/{app.slug}",
        "html_url": f"{urls.base}/apps/{app.slug}",
        "created_at": stamp,
        "updated_at": stamp,
        "permissions": dict(PERMISSIONS),
        "events": [],
        "installations_count": installations,
    }


def installation(urls: Urls, app: App) -> dict[str, Any]:
    """The ``installation`` schema."""
    account = _account(urls, app.owner)
    stamp = iso(app.created)
    return {
        "id": app.installation_id,
        "account": account,
        "repository_selection": "all",
        "access_tokens_url": f"{urls.api}/app/installations/{app.installation_id}/access_tokens",
        "repositories_url": f"{urls.api}/installation/repositories",
        "html_url": f"{urls.base}/organizations/{app.owner}/settings/installations/"
        f"{app.installation_id}",
        "app_id": app.id,
        "app_slug": app.slug,
        "client_id": f"Iv1.sandbox{app.id:08d}",
        "target_id": account["id"],
        "target_type": account["type"],
        "permissions": dict(PERMISSIONS),
        "events": [],
        "created_at": stamp,
        "updated_at": stamp,
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }


# -- REST handlers -----------------------------------------------------------------------


def routes(apps: Apps) -> list[Route]:
    """The /app endpoints over ``apps``, for RestApi's routing (paths under /api/v3)."""

    def the_app(call: Call) -> App:
        req = call.req
        if req.token is None:
            raise fail(401, "Requires authentication")
        if req.auth != "jwt":
            raise fail(401, UNDECODABLE)
        try:
            return apps.authenticate(req.token)
        except JwtRejected as exc:
            raise fail(401, str(exc)) from None

    def installed(call: Call) -> App:
        app = the_app(call)
        if str(app.installation_id) != call.params["installation_id"]:
            raise not_found()
        return app

    def get_app(call: Call) -> Response:
        return json_response(200, integration(call.urls, the_app(call), 1))

    def list_installations(call: Call) -> Response:
        return call.paged([installation(call.urls, the_app(call))])

    def get_installation(call: Call) -> Response:
        return json_response(200, installation(call.urls, installed(call)))

    def create_token(call: Call) -> Response:
        app = installed(call)
        data = call.obj()
        if data.get("repositories") or data.get("repository_ids"):
            raise fail(422, "The sandbox issues tokens for all of an installation's repositories")
        asked = data.get("permissions") or {}
        if not isinstance(asked, dict) or any(
            PERMISSIONS.get(name) not in (level, "write") or level not in ("read", "write")
            for name, level in asked.items()
        ):
            raise fail(422, "The permissions requested are not granted to this installation.")
        token, issued = apps.issue(app, dict(asked) or dict(PERMISSIONS))
        body = {
            "token": token,
            "expires_at": iso(issued.expires_at),
            "permissions": dict(issued.permissions),
            "repository_selection": "all",
        }
        return json_response(201, body)

    def repo_installation(call: Call) -> Response:
        app = the_app(call)
        full = f"{call.params['owner']}/{call.params['name']}"
        if not call.store.exists(full):
            moved = call.store.redirect(full)
            if moved is None:
                raise not_found()
            url = f"{call.urls.repo(moved)}/installation"
            body = {"message": "Moved Permanently", "url": url, "documentation_url": DOCS}
            return json_response(301, body, {"Location": url})
        if call.store.info(full).owner.lower() != app.owner.lower():
            raise not_found()
        return json_response(200, installation(call.urls, app))

    installation_path = r"/app/installations/(?P<installation_id>[0-9]+)"
    return [
        route("GET", r"/app", get_app),
        route("GET", r"/app/installations", list_installations),
        route("GET", installation_path, get_installation),
        route("POST", installation_path + "/access_tokens", create_token),
        route("GET", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/installation", repo_installation),
    ]
