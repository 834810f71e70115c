"""Bare repositories on disk and the git plumbing the sandbox builds on.

Everything here is real git: objects are written with hash-object/mktree/commit-tree,
so what the API creates is what `git clone` sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

ZERO_SHA = "0" * 40
BOT_NAME = "sandbox"
BOT_EMAIL = "sandbox@users.noreply.sandbox.local"


class GitError(Exception):
    """A git command failed inside the sandbox."""


@dataclass(slots=True)
class RepoInfo:
    id: int
    owner: str
    name: str
    default_branch: str = "main"
    description: str = ""
    created_at: float = 0.0
    fork_of: str | None = None  # full name of the parent
    allow_auto_merge: bool = False  # the repository setting "Allow auto-merge"
    # per base branch, the status contexts its protection requires before a merge
    required_checks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME=BOT_NAME,
        GIT_AUTHOR_EMAIL=BOT_EMAIL,
        GIT_COMMITTER_NAME=BOT_NAME,
        GIT_COMMITTER_EMAIL=BOT_EMAIL,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
    )
    return env


class Store:
    """Repositories under ``root/repos/OWNER/NAME.git`` plus a small JSON index.

    All mutations take ``self.lock``; the HTTP server is threaded.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.lock = threading.RLock()
        (self.root / "repos").mkdir(parents=True, exist_ok=True)
        self._index_path = self.root / "index.json"
        self._repos: dict[str, RepoInfo] = {}  # lower-cased full name -> info
        self._renames: dict[str, str] = {}  # lower-cased old full name -> new full name
        self._next_id = 1
        # repos() in id order, kept until a repository is created or renamed: every pull
        # request listing maps ids to repositories, and a sandbox can hold thousands
        self._by_id: list[RepoInfo] | None = None
        # answers of git that depend on objects alone (gitdata.pure): by repository id, which
        # a rename keeps, as it keeps the objects
        self.pure_answers: dict[tuple[object, ...], object] = {}
        self._load()

    # -- index -----------------------------------------------------------
    def _load(self) -> None:
        if not self._index_path.exists():
            return
        data = json.loads(self._index_path.read_text())
        self._repos = {k: RepoInfo(**v) for k, v in data["repos"].items()}
        self._renames = dict(data["renames"])
        self._next_id = int(data["next_id"])

    def _save(self) -> None:
        data = {
            "repos": {k: asdict(v) for k, v in self._repos.items()},
            "renames": self._renames,
            "next_id": self._next_id,
        }
        tmp = self._index_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(self._index_path)

    # -- repositories ----------------------------------------------------
    def repo_dir(self, full_name: str) -> Path:
        info = self.info(full_name)
        # one Path from a string: a query opens a hundred repositories, and each ``/`` costs
        return Path(f"{self.root}/repos/{info.owner}/{info.name}.git")

    def info(self, full_name: str) -> RepoInfo:
        try:
            return self._repos[full_name.lower()]
        except KeyError:
            raise GitError(f"no repository {full_name}") from None

    def exists(self, full_name: str) -> bool:
        return full_name.lower() in self._repos

    def repos(self) -> list[RepoInfo]:
        found = self._by_id
        if found is None:
            found = self._by_id = sorted(self._repos.values(), key=lambda r: r.id)
        return list(found)

    def redirect(self, full_name: str) -> str | None:
        """The current name of a repository that was renamed away from ``full_name``."""
        seen: set[str] = set()
        name = full_name
        while name.lower() in self._renames and name.lower() not in seen:
            seen.add(name.lower())
            name = self._renames[name.lower()]
        if name != full_name and self.exists(name):
            return self.info(name).full_name
        return None

    def create_repo(
        self,
        owner: str,
        name: str,
        *,
        auto_init: bool = False,
        default_branch: str = "main",
        description: str = "",
        fork_of: str | None = None,
    ) -> RepoInfo:
        with self.lock:
            full = f"{owner}/{name}"
            if self.exists(full):
                raise GitError(f"repository {full} already exists")
            info = RepoInfo(
                id=self._next_id,
                owner=owner,
                name=name,
                default_branch=default_branch,
                description=description,
                created_at=time.time(),
                fork_of=fork_of,
            )
            self._next_id += 1
            path = self.root / "repos" / owner / f"{name}.git"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._run(
                [
                    "git",
                    "init",
                    "--bare",
                    "--quiet",
                    f"--initial-branch={default_branch}",
                    str(path),
                ]
            )
            # http-backend serves only repositories that opt in (or with GIT_HTTP_EXPORT_ALL).
            self._run(["git", "config", "http.receivepack", "true"], cwd=path)
            self._run(["git", "config", "uploadpack.allowAnySHA1InWant", "true"], cwd=path)
            self._repos[full.lower()] = info
            self._by_id = None
            self._renames.pop(full.lower(), None)
            self._save()
            if auto_init:
                self.commit_files(
                    full, default_branch, {"README.md": f"# {name}\n"}, "Initial commit"
                )
            return info

    def update_repo(
        self,
        full_name: str,
        *,
        allow_auto_merge: bool | None = None,
        description: str | None = None,
        required_checks: tuple[str, list[str]] | None = None,
    ) -> RepoInfo:
        """Change a repository's settings (None: leave it); ``required_checks`` is
        (branch, contexts), an empty list lifting the requirement."""
        with self.lock:
            info = self.info(full_name)
            if allow_auto_merge is not None:
                info.allow_auto_merge = allow_auto_merge
            if description is not None:
                info.description = description
            if required_checks is not None:
                branch, contexts = required_checks
                if contexts:
                    info.required_checks[branch] = list(contexts)
                else:
                    info.required_checks.pop(branch, None)
            self._save()
            return info

    def fork(self, source: str, owner: str, name: str | None = None) -> RepoInfo:
        with self.lock:
            src = self.info(source)
            target = f"{owner}/{name or src.name}"
            if self.exists(target):
                return self.info(target)
            info = self.create_repo(
                owner, name or src.name, default_branch=src.default_branch, fork_of=src.full_name
            )
            self.git(
                target, "fetch", "--quiet", str(self.repo_dir(source)), "+refs/heads/*:refs/heads/*"
            )
            return info

    def rename(self, old: str, new: str) -> RepoInfo:
        with self.lock:
            info = self.info(old)
            new_owner, new_name = new.split("/", 1)
            if self.exists(new) and new.lower() != old.lower():
                raise GitError(f"repository {new} already exists")
            src = self.repo_dir(old)
            dst = self.root / "repos" / new_owner / f"{new_name}.git"
            dst.parent.mkdir(parents=True, exist_ok=True)
            src.rename(dst)
            del self._repos[old.lower()]
            info.owner, info.name = new_owner, new_name
            self._repos[new.lower()] = info
            self._by_id = None
            self._renames[old.lower()] = new
            self._renames.pop(new.lower(), None)
            self._save()
            return info

    # -- git -------------------------------------------------------------
    def _run(self, args: list[str], cwd: Path | None = None, input: bytes | None = None) -> bytes:
        proc = subprocess.run(
            args, cwd=cwd, input=input, capture_output=True, env=_git_env(), check=False
        )
        if proc.returncode != 0:
            raise GitError(f"{' '.join(args[:3])}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    def git(self, full_name: str, *args: str, input: bytes | None = None) -> bytes:
        """Run a git command inside the bare repository; raise GitError on failure."""
        return self._run(["git", *args], cwd=self.repo_dir(full_name), input=input)

    def git_env(self) -> dict[str, str]:
        return _git_env()

    def ref(self, full_name: str, ref: str) -> str | None:
        """The sha a ref (``refs/heads/x`` or a branch name) points at, or None."""
        if not ref.startswith("refs/"):
            ref = f"refs/heads/{ref}"
        try:
            out = self.git(full_name, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except GitError:
            return None
        return out.decode().strip() or None

    def refs(self, full_name: str, prefix: str = "refs/") -> dict[str, str]:
        out = self.git(full_name, "for-each-ref", "--format=%(refname) %(objectname)", prefix)
        pairs = (line.split(" ", 1) for line in out.decode().splitlines() if line)
        return {name: sha for name, sha in pairs}

    def read_file(self, full_name: str, rev: str, path: str) -> bytes | None:
        try:
            return self.git(full_name, "cat-file", "blob", f"{rev}:{path}")
        except GitError:
            return None

    def write_blob(self, full_name: str, content: bytes) -> str:
        return self.git(full_name, "hash-object", "-w", "--stdin", input=content).decode().strip()

    def commit_files(
        self,
        full_name: str,
        branch: str,
        files: Mapping[str, str | bytes | None],
        message: str,
        *,
        parent: str | None = None,
        author: tuple[str, str] | None = None,
        gitlinks: Mapping[str, str] | None = None,
    ) -> str:
        """Commit ``files`` (path -> content, None deletes) on top of ``branch`` and move it.

        ``parent`` overrides the branch's current head (used to build on another base).
        ``gitlinks`` (path -> commit sha) are submodule entries, as `git submodule add` makes
        them (the commit need not be in this repository). Returns the new commit sha.
        """
        with self.lock:
            ref = f"refs/heads/{branch}"
            base = parent if parent is not None else self.ref(full_name, ref)
            index = self.root / f"tmp-index-{threading.get_ident()}"
            env = {**_git_env(), "GIT_INDEX_FILE": str(index)}
            cwd = self.repo_dir(full_name)
            try:

                def run(*args: str, input: bytes | None = None) -> bytes:
                    proc = subprocess.run(
                        ["git", *args], cwd=cwd, input=input, capture_output=True, env=env
                    )
                    if proc.returncode != 0:
                        raise GitError(proc.stderr.decode(errors="replace").strip())
                    return proc.stdout

                if base:
                    run("read-tree", base)
                else:
                    run("read-tree", "--empty")
                for path, content in files.items():
                    if content is None:
                        run("update-index", "--force-remove", path)
                        continue
                    data = content.encode() if isinstance(content, str) else content
                    blob = run("hash-object", "-w", "--stdin", input=data).decode().strip()
                    run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
                for path, commit in (gitlinks or {}).items():
                    run("update-index", "--add", "--cacheinfo", f"160000,{commit},{path}")
                tree = run("write-tree").decode().strip()
                args = ["commit-tree", tree, "-m", message]
                if base:
                    args[2:2] = ["-p", base]
                if author:
                    env["GIT_AUTHOR_NAME"], env["GIT_AUTHOR_EMAIL"] = author
                sha = run(*args).decode().strip()
                run("update-ref", ref, sha)
                return sha
            finally:
                index.unlink(missing_ok=True)
