"""git smart HTTP for the sandbox: a CGI bridge to ``git http-backend``.

The server hands us a Request whose body is already de-chunked; we inflate a gzip body
here (git compresses large fetch negotiations), run http-backend once per request and
turn its CGI output into a Response. Reads are anonymous; pushing needs the token.
"""

from __future__ import annotations

import gzip
import logging
import re
import subprocess
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode

from bumper.sandbox.http import Request, Response, error
from bumper.sandbox.store import Store

log = logging.getLogger("bumper.sandbox.git")

# GitHub serves git at /OWNER/NAME.git/... and also without the .git suffix.
_GIT_PATH = re.compile(
    r"\A/(?P<owner>[A-Za-z0-9][A-Za-z0-9._-]*)/(?P<name>[A-Za-z0-9._-]+?)(?P<suffix>\.git)?"
    r"(?P<rest>/(?:info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.+|info/.+))\Z"
)
_BARE_REPO_PATH = re.compile(
    r"\A/(?P<owner>[A-Za-z0-9][A-Za-z0-9._-]*)/(?P<name>[A-Za-z0-9._-]+?)\.git/?\Z"
)
REALM = 'Basic realm="sandbox"'


@dataclass(frozen=True, slots=True)
class GitPath:
    owner: str
    name: str
    rest: str  # "/info/refs", "/git-upload-pack", ...

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def parse_git_path(path: str) -> GitPath | None:
    """The repository and service a git smart-HTTP path addresses, or None if it is not one."""
    match = _GIT_PATH.match(path)
    if match is None:
        match = _BARE_REPO_PATH.match(path)
        if match is None:
            return None
        return GitPath(match["owner"], match["name"], "")
    return GitPath(match["owner"], match["name"], match["rest"])


def is_push(gp: GitPath, req: Request) -> bool:
    return gp.rest == "/git-receive-pack" or (
        gp.rest == "/info/refs" and req.arg("service") == "git-receive-pack"
    )


@cache
def backend_path() -> str:
    """git-http-backend from git's own exec path (where git keeps its helper programs)."""
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return str(Path(exec_path) / "git-http-backend")


def decode_body(req: Request) -> bytes:
    """The request body with any gzip/deflate Content-Encoding removed."""
    encoding = req.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(req.body)
    if encoding == "deflate":
        return zlib.decompress(req.body)
    return req.body


def handle(store: Store, req: Request) -> Response:
    """Answer one git smart-HTTP request (the path must satisfy ``parse_git_path``)."""
    gp = parse_git_path(req.path)
    if gp is None:
        return error(404, "Not Found")
    if not store.exists(gp.full_name):
        moved = store.redirect(gp.full_name)
        if moved is None:
            return error(404, "Repository not found.")
        # git follows a redirect of its first request (info/refs) and keeps the new base.
        suffix = ".git" if gp.rest or req.path.rstrip("/").endswith(".git") else ""
        query = urlencode(req.query, doseq=True)
        location = f"{req.base_url}/{quote(moved)}{suffix}{gp.rest}" + (
            f"?{query}" if query else ""
        )
        return Response(301, b"", {"Location": location})
    info = store.info(gp.full_name)
    if not gp.rest:
        # The bare clone URL in a browser: GitHub sends people to the repository's page.
        return Response(301, b"", {"Location": f"{req.base_url}/{info.full_name}"})
    if is_push(gp, req) and not req.authenticated:
        response = error(401, "Requires authentication")
        response.headers["WWW-Authenticate"] = REALM
        return response
    try:
        body = decode_body(req)
    except (OSError, EOFError, zlib.error):
        return error(400, "Malformed compressed request body")
    return run_backend(store, req, f"/{info.owner}/{info.name}.git{gp.rest}", body)


def run_backend(store: Store, req: Request, path_info: str, body: bytes) -> Response:
    env = store.git_env()
    env.update(
        GIT_PROJECT_ROOT=str(store.root / "repos"),
        GIT_HTTP_EXPORT_ALL="1",
        PATH_INFO=path_info,
        QUERY_STRING=urlencode(req.query, doseq=True),
        REQUEST_METHOD=req.method,
        CONTENT_TYPE=req.headers.get("content-type", ""),
        CONTENT_LENGTH=str(len(body)),
        REMOTE_ADDR="127.0.0.1",
        SERVER_PROTOCOL="HTTP/1.1",
        GATEWAY_INTERFACE="CGI/1.1",
    )
    protocol = req.headers.get("git-protocol")
    if protocol:
        env["GIT_PROTOCOL"] = protocol
    if req.authenticated:
        env["REMOTE_USER"] = "sandbox"
    proc = subprocess.run([backend_path()], input=body, capture_output=True, env=env, check=False)
    if proc.stderr:
        log.info("http-backend %s: %s", path_info, proc.stderr.decode(errors="replace").strip())
    return parse_cgi(proc.stdout, proc.returncode)


def parse_cgi(output: bytes, returncode: int = 0) -> Response:
    """A CGI program's output (header lines, blank line, body) as a Response."""
    head, sep, body = output.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = output.partition(b"\n\n")
    if not sep:
        log.warning("http-backend answered without headers (exit %s)", returncode)
        return error(500, "git http-backend failed")
    status = 200
    headers: dict[str, str] = {}
    for raw in head.decode("latin-1").splitlines():
        name, _, value = raw.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        if name.lower() == "status":
            status = int(value.split()[0])
        else:
            headers[name] = value
    if status == 200 and returncode != 0 and not body:
        return error(500, "git http-backend failed")
    return Response(status, body, headers)
