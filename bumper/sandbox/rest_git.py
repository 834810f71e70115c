"""REST handlers over a repository's git data: refs, blobs, trees, commits, contents, compare."""

from __future__ import annotations

import base64
import binascii
import subprocess
from typing import Any

from bumper.sandbox import gitdata as g
from bumper.sandbox import shapes
from bumper.sandbox.http import Response, json_response
from bumper.sandbox.routing import Call, Route, fail, not_found, route
from bumper.sandbox.store import ZERO_SHA, GitError, RepoInfo

# -- helpers ---------------------------------------------------------------------


def _commit_or_404(call: Call, rev: str) -> g.CommitInfo:
    found = g.read_commit(call.store, call.full, rev)
    if found is None:
        raise fail(404, f"No commit found for SHA: {rev}")
    return found


def _require_not_empty(call: Call) -> None:
    if g.is_empty(call.store, call.full):
        raise fail(409, "Git Repository is empty.")


def _ref_name(ref: str) -> str:
    return ref if ref.startswith("refs/") else f"refs/{ref}"


def _valid_ref(call: Call, name: str) -> bool:
    proc = subprocess.run(
        ["git", "check-ref-format", name],
        capture_output=True,
        check=False,
        env=call.store.git_env(),
    )
    return proc.returncode == 0


def _object_types(call: Call, shas: list[str]) -> dict[str, str | None]:
    """Types of many objects in one ``git cat-file --batch-check``."""
    wanted = [s for s in dict.fromkeys(shas) if s and "\n" not in s and not s.startswith("-")]
    if not wanted:
        return {}
    _, out = g.run(
        call.store,
        call.full,
        "cat-file",
        "--batch-check",
        input="".join(f"{s}\n" for s in wanted).encode(),
    )
    found: dict[str, str | None] = {}
    for sha, line in zip(wanted, out.decode().splitlines(), strict=False):
        parts = line.split()
        found[sha] = parts[1] if len(parts) == 3 and parts[1] != "missing" else None
    return found


def network_repo(call: Call, owner: str) -> RepoInfo | None:
    """The repository of ``owner`` in the fork network of the call's repository."""
    info = call.info
    if owner.lower() == info.owner.lower():
        return info

    def root(repo: RepoInfo) -> str:
        seen = 0
        while repo.fork_of and call.store.exists(repo.fork_of) and seen < 50:
            repo, seen = call.store.info(repo.fork_of), seen + 1
        return repo.full_name.lower()

    mine = root(info)
    for candidate in call.store.repos():
        if candidate.owner.lower() == owner.lower() and root(candidate) == mine:
            return candidate
    return None


def _side(call: Call, spec: str) -> str:
    """A compare side ("ref" or "owner:ref") as a commit sha readable in this repository."""
    owner, sep, ref = spec.partition(":")
    repo = call.info
    if not sep:
        ref = spec
    else:
        found = network_repo(call, owner)
        if found is None:
            raise not_found()
        repo = found
    sha = g.resolve(call.store, repo.full_name, ref)
    if sha is None:
        raise not_found()
    g.fetch_objects(call.store, call.full, repo.full_name, sha)
    return sha


# -- branches and tags -------------------------------------------------------------


def list_branches(call: Call) -> Response:
    api = call.urls.repo(call.full)
    items = [
        {
            "name": name.removeprefix("refs/heads/"),
            "commit": {"sha": sha, "url": f"{api}/commits/{sha}"},
            "protected": False,
        }
        for name, sha in sorted(call.store.refs(call.full, "refs/heads/").items())
    ]
    return call.paged(items)


def get_branch(call: Call) -> Response:
    name = call.params["branch"]
    sha = call.store.ref(call.full, f"refs/heads/{name}")
    if sha is None:
        raise fail(404, "Branch not found")
    info = _commit_or_404(call, sha)
    api = call.urls.repo(call.full)
    quoted = shapes.path_quote(name)
    return json_response(
        200,
        {
            "name": name,
            "commit": shapes.commit(call.urls, call.full, info),
            "_links": {
                "self": f"{api}/branches/{quoted}",
                "html": f"{call.urls.html(call.full)}/tree/{quoted}",
            },
            "protected": False,
            "protection": {
                "enabled": False,
                "required_status_checks": {
                    "enforcement_level": "off",
                    "contexts": [],
                    "checks": [],
                },
            },
            "protection_url": f"{api}/branches/{quoted}/protection",
        },
    )


def list_tags(call: Call) -> Response:
    _, out = g.run(
        call.store,
        call.full,
        "for-each-ref",
        "--sort=-creatordate",
        "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)",
        "refs/tags/",
    )
    api = call.urls.repo(call.full)
    items = []
    for line in out.decode(errors="surrogateescape").splitlines():
        name, sha, peeled = line.split("\x00")
        target = peeled or sha
        items.append(
            {
                "name": name,
                "commit": {"sha": target, "url": f"{api}/commits/{target}"},
                "zipball_url": f"{api}/zipball/refs/tags/{name}",
                "tarball_url": f"{api}/tarball/refs/tags/{name}",
                "node_id": shapes.node_id("Tag", f"{call.full}:{name}"),
            }
        )
    return call.paged(items)


# -- refs --------------------------------------------------------------------------


def _ref_json(call: Call, name: str, sha: str, kind: str) -> dict[str, Any]:
    return shapes.git_ref(call.urls, call.full, name, sha, kind)


def _all_refs(call: Call) -> list[tuple[str, str, str]]:
    return g.refs_with_types(call.store, call.full, ["refs/"])


def get_ref(call: Call) -> Response:
    name = _ref_name(call.params["ref"])
    for ref, sha, kind in g.refs_with_types(call.store, call.full, [name]):
        if ref == name:
            return json_response(200, _ref_json(call, ref, sha, kind))
    raise not_found()


def matching_refs(call: Call) -> Response:
    prefix = _ref_name(call.params["ref"]) if call.params["ref"] else "refs/"
    items = [_ref_json(call, *row) for row in _all_refs(call) if row[0].startswith(prefix)]
    return call.paged(items)


def list_refs(call: Call) -> Response:
    """GET /git/refs[/prefix]: the older form; an exact name answers one object."""
    sub = call.params.get("ref") or ""
    rows = _all_refs(call)
    if not rows and not sub:
        raise fail(409, "Git Repository is empty.")
    if sub:
        name = _ref_name(sub)
        exact = [row for row in rows if row[0] == name]
        if exact:
            return json_response(200, _ref_json(call, *exact[0]))
        rows = [row for row in rows if row[0].startswith(name.rstrip("/") + "/")]
        if not rows:
            raise not_found()
    return call.paged([_ref_json(call, *row) for row in rows])


def create_ref(call: Call) -> Response:
    name = call.field("ref", required=True)
    sha = call.field("sha", required=True)
    if not name.startswith("refs/") or name.count("/") < 2:
        raise fail(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if not _valid_ref(call, name):
        raise fail(422, f"{name} is not a valid ref name.")
    kind = _object_types(call, [sha]).get(sha)
    if kind is None:
        raise fail(422, "Object does not exist")
    with call.store.lock:
        if not g.update_ref(call.store, call.full, name, sha, ZERO_SHA):
            raise fail(422, "Reference already exists")
    return json_response(201, _ref_json(call, name, sha, kind))


def update_ref(call: Call) -> Response:
    name = _ref_name(call.params["ref"])
    sha = call.field("sha", required=True)
    force = bool(call.field("force", bool))
    kind = _object_types(call, [sha]).get(sha)
    if kind is None:
        raise fail(422, "Object does not exist")
    with call.store.lock:
        current = call.store.refs(call.full, name).get(name)
        if current is None:
            raise fail(422, "Reference does not exist")
        if not force and current != sha:
            ahead = kind == "commit" and g.is_ancestor(call.store, call.full, current, sha)
            if not ahead:
                raise fail(422, "Update is not a fast forward")
        if not g.update_ref(call.store, call.full, name, sha, current):
            raise fail(409, "Reference cannot be updated")
    return json_response(200, _ref_json(call, name, sha, kind))


def delete_ref(call: Call) -> Response:
    name = _ref_name(call.params["ref"])
    with call.store.lock:
        if name not in call.store.refs(call.full, name):
            raise fail(422, "Reference does not exist")
        g.delete_ref(call.store, call.full, name)
    return Response(204)


# -- blobs, trees, commits -----------------------------------------------------------


def create_blob(call: Call) -> Response:
    content = call.field("content", required=True)
    encoding = call.field("encoding") or "utf-8"
    if encoding == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            raise fail(422, "Invalid request.\n\ncontent is not valid Base64.") from None
    elif encoding in ("utf-8", "utf8"):
        data = content.encode()
    else:
        raise fail(422, f"encoding must be utf-8 or base64, not {encoding}")
    sha = g.write_blob(call.store, call.full, data)
    return json_response(201, {"sha": sha, "url": f"{call.urls.repo(call.full)}/git/blobs/{sha}"})


def get_blob(call: Call) -> Response:
    sha = call.params["sha"]
    if _object_types(call, [sha]).get(sha) != "blob":
        raise not_found()
    _, data = g.run(call.store, call.full, "cat-file", "blob", sha)
    return json_response(
        200,
        {
            "sha": sha,
            "node_id": shapes.node_id("Blob", sha),
            "size": len(data),
            "url": f"{call.urls.repo(call.full)}/git/blobs/{sha}",
            "content": shapes.encode_content(data),
            "encoding": "base64",
        },
    )


def _tree_json(call: Call, sha: str, recursive: bool = False) -> dict[str, Any]:
    entries = g.ls_tree(call.store, call.full, sha, recursive=recursive)
    return {
        "sha": sha,
        "url": f"{call.urls.repo(call.full)}/git/trees/{sha}",
        "tree": [shapes.tree_entry(call.urls, call.full, e) for e in entries],
        "truncated": False,
    }


def get_tree(call: Call) -> Response:
    sha = g.resolve(call.store, call.full, call.params["sha"], "tree")
    if sha is None:
        raise not_found()
    recursive = (call.arg("recursive") or "") not in ("", "0", "false")
    return json_response(200, _tree_json(call, sha, recursive))


def create_tree(call: Call) -> Response:
    entries = call.field("tree", list, required=True)
    base = call.field("base_tree")
    base_tree = None
    if base:
        base_tree = g.resolve(call.store, call.full, base, "tree")
        if base_tree is None:
            raise fail(422, "Invalid request.\n\nbase_tree is not a valid tree.")
    changes, check = [], []
    for n, raw in enumerate(entries):
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise fail(422, f"Invalid request.\n\ntree[{n}].path is required.")
        mode = str(raw.get("mode") or "100644")
        kind = raw.get("type") or g.TREE_MODES.get(mode.rjust(6, "0"), "blob")
        mode = mode.rjust(6, "0")
        if g.TREE_MODES.get(mode) != kind:
            raise fail(422, f"Invalid request.\n\ntree[{n}]: mode {mode} does not fit type {kind}.")
        if "content" in raw and raw["content"] is not None:
            if kind != "blob" or not isinstance(raw["content"], str):
                raise fail(422, f"Invalid request.\n\ntree[{n}].content needs a blob entry.")
            sha = g.write_blob(call.store, call.full, raw["content"].encode())
        elif "sha" in raw:
            sha = raw["sha"]
            if sha is not None and not isinstance(sha, str):
                raise fail(422, f"Invalid request.\n\ntree[{n}].sha must be a string or null.")
            if sha is not None and kind != "commit":
                check.append((n, sha, kind))
        else:
            raise fail(422, f"Invalid request.\n\ntree[{n}] needs sha or content.")
        changes.append(g.TreeChange(raw["path"], mode, kind, sha))
    types = _object_types(call, [sha for _, sha, _ in check])
    for n, sha, kind in check:
        if types.get(sha) != kind:
            raise fail(422, f"tree.sha {sha} is not a valid {kind}", [{"field": f"tree[{n}].sha"}])
    try:
        sha = g.build_tree(call.store, call.full, base_tree, changes)
    except GitError as exc:
        raise fail(422, f"Invalid request.\n\n{exc}") from None
    return json_response(201, _tree_json(call, sha))


def _person_field(call: Call, name: str) -> dict[str, str] | None:
    value = call.field(name, dict)
    if value is None:
        return None
    if not isinstance(value.get("name"), str) or not isinstance(value.get("email"), str):
        raise fail(422, f"Invalid request.\n\n{name} needs name and email.")
    if value.get("date") is not None:
        try:
            g.parse_date(str(value["date"]))
        except ValueError:
            raise fail(422, f"Invalid request.\n\n{name}.date is not a date.") from None
    return {k: str(v) for k, v in value.items() if k in ("name", "email", "date") and v is not None}


def create_commit(call: Call) -> Response:
    message = call.field("message", required=True)
    tree = call.field("tree", required=True)
    parents = call.field("parents", list) or []
    if not all(isinstance(p, str) for p in parents):
        raise fail(422, "Invalid request.\n\nparents must be shas.")
    types = _object_types(call, [tree, *parents])
    if types.get(tree) != "tree":
        raise fail(422, "Tree SHA does not exist")
    if any(types.get(p) != "commit" for p in parents):
        raise fail(422, "Parent SHA does not exist or is not a commit object")
    author = _person_field(call, "author")
    committer = _person_field(call, "committer")
    login = call.req.login or ""
    if login.endswith("[bot]"):
        # GitHub writes an App's commits as its bot account, not as a user
        bot = {"name": login, "email": shapes.bot_email(login)}
        author, committer = author or bot, committer or author or bot
    sha = g.commit_tree(
        call.store, call.full, tree, parents, message, author=author, committer=committer
    )
    info = _commit_or_404(call, sha)
    return json_response(201, shapes.git_commit(call.urls, call.full, info))


def get_git_commit(call: Call) -> Response:
    sha = call.params["sha"]
    if _object_types(call, [sha]).get(sha) != "commit":
        raise not_found()
    return json_response(200, shapes.git_commit(call.urls, call.full, _commit_or_404(call, sha)))


# -- commits and compare -------------------------------------------------------------


def list_commits(call: Call) -> Response:
    _require_not_empty(call)
    rev = call.arg("sha") or call.info.default_branch
    sha = g.resolve(call.store, call.full, rev)
    if sha is None:
        raise fail(404, f"No commit found for SHA: {rev}")
    path = call.arg("path") or None
    page, per_page = call.window()
    commits = g.log(
        call.store, call.full, [sha], path=path, skip=(page - 1) * per_page, limit=per_page
    )
    total = g.count(call.store, call.full, [sha], path)
    items = [shapes.commit(call.urls, call.full, c) for c in commits]
    return json_response(200, items, call.link_header(total))


def _changes(call: Call, info: g.CommitInfo) -> list[g.FileChange]:
    parent = info.parents[0] if info.parents else g.EMPTY_TREE
    return g.diff(call.store, call.full, parent, info.sha)


def get_commit(call: Call) -> Response:
    ref = call.params["ref"]
    sha = g.resolve(call.store, call.full, ref)
    if sha is None:
        _require_not_empty(call)
        raise fail(422, f"No commit found for SHA: {ref}")
    accept = call.req.headers.get("accept", "")
    if "application/vnd.github.sha" in accept or "application/vnd.github.v3.sha" in accept:
        # what shell scripts use to read a branch head: one git call, the bare sha
        return Response(200, sha.encode(), {"Content-Type": "text/plain; charset=utf-8"})
    info = _commit_or_404(call, sha)
    return json_response(200, shapes.commit(call.urls, call.full, info, _changes(call, info)))


def combined_status(call: Call) -> Response:
    """No CI runs in the sandbox: every commit has no statuses, so its state is pending."""
    ref = call.params["ref"]
    sha = g.resolve(call.store, call.full, ref)
    if sha is None:
        raise not_found()
    api = call.urls.repo(call.full)
    return json_response(
        200,
        {
            "state": "pending",
            "sha": sha,
            "total_count": 0,
            "statuses": [],
            "repository": shapes.repository(call.urls, call.info),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        },
    )


def check_runs(call: Call) -> Response:
    if g.resolve(call.store, call.full, call.params["ref"]) is None:
        raise not_found()
    return json_response(200, {"total_count": 0, "check_runs": []})


def compare(call: Call) -> Response:
    spec = call.params["basehead"]
    if "..." in spec:
        base_spec, head_spec = spec.split("...", 1)
    elif ".." in spec:
        base_spec, head_spec = spec.split("..", 1)
    else:
        raise not_found()
    base = _side(call, base_spec)
    head = _side(call, head_spec)
    store, full = call.store, call.full
    merge_base = g.merge_base(store, full, base, head)
    if merge_base is None:
        raise fail(404, f"No common ancestor between {base_spec} and {head_spec}.")
    ahead = g.count(store, full, [f"{base}..{head}"])
    behind = g.count(store, full, [f"{head}..{base}"])
    status = (
        "identical"
        if ahead == behind == 0
        else "ahead"
        if behind == 0
        else "behind"
        if ahead == 0
        else "diverged"
    )
    commits = g.log(store, full, [f"{base}..{head}"], limit=250, reverse=True)
    base_info = _commit_or_404(call, base)
    mb_info = _commit_or_404(call, merge_base)
    html = f"{call.urls.html(full)}/compare/{spec}"
    owner = call.info.owner
    files = g.diff(store, full, merge_base, head)
    return json_response(
        200,
        {
            "url": f"{call.urls.repo(full)}/compare/{spec}",
            "html_url": html,
            "permalink_url": f"{call.urls.html(full)}/compare/{owner}:{base}...{owner}:{head}",
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "base_commit": shapes.commit(call.urls, full, base_info),
            "merge_base_commit": shapes.commit(call.urls, full, mb_info),
            "status": status,
            "ahead_by": ahead,
            "behind_by": behind,
            "total_commits": ahead,
            "commits": [shapes.commit(call.urls, full, c) for c in commits],
            "files": [shapes.file_change(call.urls, full, head, f) for f in files],
        },
    )


# -- contents ------------------------------------------------------------------------


def _submodule_url(call: Call, commit: str, path: str) -> str:
    """The url `.gitmodules` at ``commit`` gives the submodule at ``path`` ("" when none)."""
    code, out = g.run(
        call.store,
        call.full,
        "config",
        "--blob",
        f"{commit}:.gitmodules",
        "--get-regexp",
        r"^submodule\..*\.(path|url)$",
        ok=(0, 1, 128),
    )
    if code != 0:
        return ""
    values: dict[str, dict[str, str]] = {}
    for line in out.decode(errors="replace").splitlines():
        key, _, value = line.partition(" ")
        section, _, field = key.rpartition(".")
        values.setdefault(section, {})[field] = value
    return next((v.get("url", "") for v in values.values() if v.get("path") == path), "")


def get_contents(call: Call) -> Response:
    path = call.params["path"].strip("/")
    if g.is_empty(call.store, call.full):
        raise fail(404, "This repository is empty.")
    ref = call.arg("ref") or call.info.default_branch
    commit = g.resolve(call.store, call.full, ref)
    if commit is None:
        raise fail(404, f"No commit found for the ref {ref}")
    entry = g.entry_at(call.store, call.full, commit, path)
    if entry is None:
        raise not_found()
    if entry.type == "tree":
        listing = g.ls_tree(call.store, call.full, entry.sha)
        items = [
            shapes.content_entry(
                call.urls,
                call.full,
                ref,
                g.TreeEntry(e.mode, e.type, e.sha, e.size, f"{path}/{e.path}" if path else e.path),
                e.path,
            )
            for e in listing
        ]
        return json_response(200, items)
    name = path.rsplit("/", 1)[-1]
    if entry.type == "commit":  # a submodule: GitHub names its repository, sends no content
        item = shapes.content_entry(call.urls, call.full, ref, entry, name)
        item["submodule_git_url"] = _submodule_url(call, commit, path)
        return json_response(200, item)
    data = (
        g.run(call.store, call.full, "cat-file", "blob", entry.sha)[1]
        if entry.type == "blob"
        else b""
    )
    if "application/vnd.github.raw" in call.req.headers.get("accept", "") and entry.type == "blob":
        return Response(200, data, {"Content-Type": "application/octet-stream"})
    item = shapes.content_entry(call.urls, call.full, ref, entry, name)
    item.update(content=shapes.encode_content(data), encoding="base64")
    if entry.mode == "120000":
        item["target"] = data.decode(errors="replace")
    return json_response(200, item)


def _write_file(call: Call, path: str, content: bytes | None) -> dict[str, Any]:
    """Commit ``content`` at ``path`` (None deletes) on the body's branch, checking ``sha``."""
    message = call.field("message", required=True)
    given_sha = call.field("sha")
    branch = call.field("branch") or call.info.default_branch
    author = _person_field(call, "author")
    committer = _person_field(call, "committer")
    store, full = call.store, call.full
    with store.lock:
        head = store.ref(full, f"refs/heads/{branch}")
        if head is None and (content is None or not g.is_empty(store, full)):
            raise fail(404, f"Branch {branch} not found")
        existing = g.entry_at(store, full, head, path) if head else None
        if existing is not None and existing.type != "blob":
            raise fail(422, f"Invalid request.\n\n{path} is a directory.")
        if content is None and existing is None:
            raise not_found()
        if existing is not None and given_sha is None:
            raise fail(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if existing is not None and given_sha != existing.sha:
            raise fail(409, f"{path} does not match {given_sha}")
        if content is None:
            change = g.TreeChange(path, "100644", "blob", None)
        else:
            blob = g.write_blob(store, full, content)
            mode = existing.mode if existing is not None else "100644"
            change = g.TreeChange(path, mode, "blob", blob)
        base_tree = g.resolve(store, full, head, "tree") if head else None
        tree = g.build_tree(store, full, base_tree, [change])
        sha = g.commit_tree(
            store, full, tree, [head] if head else [], message, author=author, committer=committer
        )
        if not g.update_ref(store, full, f"refs/heads/{branch}", sha, head or ZERO_SHA):
            raise fail(409, f"is at {store.ref(full, branch)} but expected {head}")
    info = _commit_or_404(call, sha)
    result: dict[str, Any] = {"commit": shapes.git_commit(call.urls, full, info), "content": None}
    if content is not None:
        entry = g.entry_at(store, full, sha, path)
        assert entry is not None
        result["content"] = shapes.content_entry(
            call.urls, full, branch, entry, path.rsplit("/", 1)[-1]
        )
    return {"created": existing is None, **result}


def put_contents(call: Call) -> Response:
    path = call.params["path"].strip("/")
    raw = call.field("content", required=True)
    try:
        data = base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        raise fail(422, "Invalid request.\n\ncontent is not valid Base64.") from None
    result = _write_file(call, path, data)
    created = result.pop("created")
    return json_response(201 if created else 200, result)


def delete_contents(call: Call) -> Response:
    path = call.params["path"].strip("/")
    call.field("sha", required=True)
    result = _write_file(call, path, None)
    result.pop("created")
    return json_response(200, result)


ROUTES: list[Route] = [
    route("GET", r"/branches", list_branches),
    route("GET", r"/branches/(?P<branch>.+)", get_branch),
    route("GET", r"/tags", list_tags),
    route("GET", r"/git/ref/(?P<ref>.+)", get_ref),
    route("GET", r"/git/matching-refs/?(?P<ref>.*)", matching_refs),
    route("GET", r"/git/refs/?", list_refs),
    route("GET", r"/git/refs/(?P<ref>.+)", list_refs),
    route("POST", r"/git/refs", create_ref),
    route("PATCH", r"/git/refs/(?P<ref>.+)", update_ref),
    route("DELETE", r"/git/refs/(?P<ref>.+)", delete_ref),
    route("POST", r"/git/blobs", create_blob),
    route("GET", r"/git/blobs/(?P<sha>[^/]+)", get_blob),
    route("POST", r"/git/trees", create_tree),
    route("GET", r"/git/trees/(?P<sha>.+)", get_tree),
    route("POST", r"/git/commits", create_commit),
    route("GET", r"/git/commits/(?P<sha>[^/]+)", get_git_commit),
    route("GET", r"/commits", list_commits),
    route("GET", r"/commits/(?P<ref>.+)/status", combined_status),
    route("GET", r"/commits/(?P<ref>.+)/check-runs", check_runs),
    route("GET", r"/commits/(?P<ref>.+)", get_commit),
    route("GET", r"/compare/(?P<basehead>.+)", compare),
    route("GET", r"/contents/?(?P<path>.*)", get_contents),
    route("PUT", r"/contents/(?P<path>.+)", put_contents),
    route("DELETE", r"/contents/(?P<path>.+)", delete_contents),
]
