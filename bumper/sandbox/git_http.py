"""git smart HTTP for the sandbox: a CGI bridge to ``git http-backend``.

The server hands us a Request whose body is already de-chunked; we inflate a gzip body
here (git compresses large fetch negotiations), run http-backend once per request and
turn its CGI output into a Response. Reads are anonymous; pushing needs the token.

One exception: a protocol v2 ``ls-refs`` (what a look-up of branch heads sends) is answered
here from the refs on disk, byte for byte what ``git upload-pack`` answers. Starting
http-backend and upload-pack for it cost more CPU than the rest of the request, on the
cores the client shares. Whenever the request or the repository holds anything this does
not read exactly as git does, git answers as before.
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

from bumper.sandbox import gitdata
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
    if gp.rest == "/git-upload-pack":
        answer = answer_ls_refs(store.repo_dir(info.full_name), req, body)
        if answer is not None:
            return answer
    return run_backend(store, req, f"/{info.owner}/{info.name}.git{gp.rest}", body)


# -- ls-refs without git -------------------------------------------------------------

UPLOAD_PACK_REQUEST = "application/x-git-upload-pack-request"
# http-backend's headers on an upload-pack answer, in its order
_RESULT_HEADERS = {
    "Expires": "Fri, 01 Jan 1980 00:00:00 GMT",
    "Pragma": "no-cache",
    "Cache-Control": "no-cache, max-age=0, must-revalidate",
    "Content-Type": "application/x-git-upload-pack-result",
}
_FLUSH, _DELIM = b"0000", b"0001"
_MAX_PREFIXES = 1000  # git stops filtering at 65,536; long before that, let git answer


@dataclass(frozen=True, slots=True)
class LsRefs:
    """The arguments of an ``ls-refs`` command."""

    peel: bool = False
    symrefs: bool = False
    unborn: bool = False
    prefixes: tuple[str, ...] = ()


def _packets(data: bytes) -> list[bytes] | None:
    """pkt-lines, a flush or delim as its 4 bytes, one trailing newline chomped as git's
    server-side reader does; None for anything else (git would judge it)."""
    found, pos = [], 0
    while pos < len(data):
        head = data[pos : pos + 4]
        if len(head) < 4 or not all(c in b"0123456789abcdef" for c in head):
            return None
        size = int(head, 16)
        if head in (_FLUSH, _DELIM):
            found.append(head)
            pos += 4
            continue
        if size <= 4 or pos + size > len(data):
            return None
        payload = data[pos + 4 : pos + size]
        found.append(payload[:-1] if payload.endswith(b"\n") else payload)
        pos += size
    return found


def parse_ls_refs(body: bytes) -> LsRefs | None:
    """The ``ls-refs`` request ``body`` holds, if it is one answered here: the command, the
    capabilities git clients send (agent, sha1), a delim, the arguments, a flush, nothing
    after. None for anything else, which git answers (or refuses) itself."""
    packets = _packets(body)
    if not packets or packets[0] != b"command=ls-refs" or packets[-1] != _FLUSH:
        return None
    try:
        delim = packets.index(_DELIM)
    except ValueError:
        return None
    for capability in packets[1:delim]:
        if not (capability.startswith(b"agent=") or capability == b"object-format=sha1"):
            return None
    peel = symrefs = unborn = False
    prefixes: list[str] = []
    for arg in packets[delim + 1 : -1]:
        if arg == b"peel":
            peel = True
        elif arg == b"symrefs":
            symrefs = True
        elif arg == b"unborn":
            unborn = True
        elif arg.startswith(b"ref-prefix ") and len(prefixes) < _MAX_PREFIXES:
            try:
                prefixes.append(arg[len(b"ref-prefix ") :].decode("ascii"))
            except UnicodeDecodeError:
                return None
        else:
            return None  # another argument, a flush or delim inside, too many prefixes
    return LsRefs(peel, symrefs, unborn, tuple(prefixes))


# The settings a sandbox repository has (git init, then store.create_repo): none of them
# changes what ls-refs lists. Any other (transfer.hideRefs, lsrefs.unborn, extensions...)
# might, so git answers.
_PLAIN_CONFIG = re.compile(
    r"\A(?:core\.[a-z]+|http\.receivepack|uploadpack\.allowanysha1inwant|receive\.[a-z]+)\Z"
)


def _config_is_plain(repo: Path) -> bool:
    try:
        text = (repo / "config").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        header = re.fullmatch(r"\[([A-Za-z0-9.-]+)\]", line)
        if header is not None:
            section = header[1].lower()
            continue
        key, eq, value = line.partition("=")
        key = key.strip().lower()
        if not eq or not section or not _PLAIN_CONFIG.match(f"{section}.{key}"):
            return False
        if section == "core" and key == "repositoryformatversion" and value.strip() != "0":
            return False
    return True


def answer_ls_refs(repo: Path, req: Request, body: bytes) -> Response | None:
    """upload-pack's answer to a protocol v2 ``ls-refs``, read from the repository's files;
    None when git should answer (another command, a setting or ref this does not read)."""
    if (
        req.method != "POST"
        or req.headers.get("git-protocol") != "version=2"
        or req.headers.get("content-type") != UPLOAD_PACK_REQUEST
        or req.query
    ):
        return None
    ask = parse_ls_refs(body)
    if ask is None or not _config_is_plain(repo):
        return None
    listed = ls_refs_lines(repo, ask)
    if listed is None:
        return None
    out = b"".join(b"%04x" % (len(line) + 4) + line for line in listed) + _FLUSH
    return Response(200, out, dict(_RESULT_HEADERS))


def ls_refs_lines(repo: Path, ask: LsRefs) -> list[bytes] | None:
    """The lines ``ls-refs`` sends, as git's ls-refs.c writes them: HEAD first (when a
    prefix takes it), then every ref a prefix takes, by name. None when git must answer."""
    refs = gitdata.read_refs(repo)
    if refs is None:
        return None

    def wanted(name: str) -> bool:
        return not ask.prefixes or any(name.startswith(p) for p in ask.prefixes)

    def peeled(sha: str) -> str:
        ok, target = gitdata.peel_loose(repo, sha)
        if not ok:
            raise LookupError(sha)
        return f" peeled:{target}" if target else ""

    lines = []
    try:
        if wanted("HEAD"):
            if refs.head_target is not None:
                sha = refs.refs.get(refs.head_target)
                target = f" symref-target:{refs.head_target}" if ask.symrefs else ""
                if sha is not None:
                    lines.append(f"{sha} HEAD{target}{peeled(sha) if ask.peel else ''}")
                elif ask.unborn and ask.symrefs:
                    lines.append(f"unborn HEAD{target}")
            elif refs.head_sha is not None:
                sha = refs.head_sha
                lines.append(f"{sha} HEAD{peeled(sha) if ask.peel else ''}")
        for name, sha in refs.refs.items():
            if not wanted(name):
                continue
            lines.append(f"{sha} {name}{peeled(sha) if ask.peel else ''}")
    except LookupError:
        return None
    return [f"{line}\n".encode() for line in lines]


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
