"""Git object plumbing for the sandbox's REST and GraphQL handlers.

Reads and writes go through the git CLI inside a Store's bare repositories, so what the
API reports and creates is exactly what `git clone` sees. Helpers take (store, full_name).
"""

from __future__ import annotations

import os
import re
import subprocess
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from bumper.sandbox.store import BOT_EMAIL, BOT_NAME, GitError, Store

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
TREE_MODES = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree"}
TREE_MODES["160000"] = "commit"


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    date: str  # ISO 8601 in UTC, "2024-05-01T12:00:00Z"


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str  # six digits, as ls-tree prints them
    type: str  # blob, tree or commit
    sha: str
    size: int | None  # None for trees and submodules
    path: str


@dataclass(frozen=True, slots=True)
class FileChange:
    status: str  # added, removed, modified, renamed, copied, changed
    filename: str
    previous_filename: str | None
    sha: str  # the blob after the change (the old one for removals)
    additions: int
    deletions: int
    patch: str | None = None


@dataclass(frozen=True, slots=True)
class GitObject:
    sha: str
    type: str
    data: bytes


# -- running git ---------------------------------------------------------------


T = TypeVar("T")
_OBJECT_NAME = re.compile(r"[0-9a-f]{40}(?:\.\.[0-9a-f]{40})?")


def pure(
    store: Store, full_name: str, question: str, names: Sequence[str], compute: Callable[[], T]
) -> T:
    """``compute()``, remembered when ``names`` are commits by their full sha: what git
    answers about given objects (a merge base, a merge's tree, a range's commits) never
    changes, since objects are never rewritten. Every pull request listing asks it of each
    open PR (its mergeability, its commits): 1,000 open PRs were 3,000 git processes a query.
    """
    if not all(_OBJECT_NAME.fullmatch(name) for name in names):
        return compute()
    memo = (store.info(full_name).id, question, *names)
    try:
        return store.pure_answers[memo]  # type: ignore[return-value]
    except KeyError:
        answer = store.pure_answers[memo] = compute()
        return answer


def run(
    store: Store,
    full_name: str,
    *args: str,
    input: bytes | None = None,
    ok: Iterable[int] = (0,),
    env: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """Run git in the repository; return (exit code, stdout). Other exit codes raise GitError."""
    proc = subprocess.run(
        ["git", *args],
        cwd=store.repo_dir(full_name),
        input=input,
        capture_output=True,
        env=env or store.git_env(),
        check=False,
    )
    if proc.returncode not in tuple(ok):
        raise GitError(f"git {args[0]}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.returncode, proc.stdout


@lru_cache(maxsize=4096)  # pure, and commits share their seconds: a query prints hundreds
def git_time(stamp: str) -> str:
    """Git's seconds since the epoch as GitHub prints dates: ISO 8601 in UTC with a Z."""
    return datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(text: str) -> str:
    """An ISO 8601 date from a client as git's "seconds +zone" form."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{int(moment.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- reading -------------------------------------------------------------------


def resolve(store: Store, full_name: str, rev: str, kind: str = "commit") -> str | None:
    """The sha ``rev`` names, peeled to ``kind`` (commit, tree, blob, or "" for any)."""
    if not rev or rev.startswith("-") or "\n" in rev:
        return None
    spec = f"{rev}^{{{kind}}}" if kind else rev
    code, out = run(store, full_name, "rev-parse", "--verify", "--quiet", spec, ok=(0, 1, 128))
    sha = out.decode().strip()
    return sha if code == 0 and sha else None


def object_type(store: Store, full_name: str, sha: str) -> str | None:
    if not sha or sha.startswith("-"):
        return None
    code, out = run(store, full_name, "cat-file", "-t", sha, ok=(0, 1, 128))
    return out.decode().strip() if code == 0 else None


def _person(line: str) -> Person:
    # "Name <email> 1700000000 +0000"
    head, _, tail = line.rpartition("> ")
    name, _, email = head.partition(" <")
    stamp = tail.split(" ", 1)[0]
    return Person(name=name, email=email, date=git_time(stamp))


def parse_commit(sha: str, raw: bytes) -> CommitInfo:
    text = raw.decode(errors="replace")
    header, _, message = text.partition("\n\n")
    tree, parents, author, committer = "", [], "", ""
    for line in header.splitlines():
        key, _, value = line.partition(" ")
        if key == "tree":
            tree = value
        elif key == "parent":
            parents.append(value)
        elif key == "author":
            author = value
        elif key == "committer":
            committer = value
    return CommitInfo(sha, tree, tuple(parents), _person(author), _person(committer), message)


def read_commit(store: Store, full_name: str, rev: str) -> CommitInfo | None:
    sha = resolve(store, full_name, rev)
    if sha is None:
        return None
    _, raw = run(store, full_name, "cat-file", "commit", sha)
    return parse_commit(sha, raw)


_LOG_FORMAT = "%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B%x1e"


def log(
    store: Store,
    full_name: str,
    revs: list[str],
    *,
    path: str | None = None,
    skip: int = 0,
    limit: int | None = None,
    reverse: bool = False,
) -> list[CommitInfo]:
    """Commits reachable from ``revs`` (``a..b`` ranges welcome), newest first, in one git call."""
    if path is None and not skip and limit is None:
        question = "log --reverse" if reverse else "log"
        return list(
            pure(store, full_name, question, revs, lambda: _log(store, full_name, revs, reverse))
        )
    return _log(store, full_name, revs, path=path, skip=skip, limit=limit, reverse=reverse)


def _log(
    store: Store,
    full_name: str,
    revs: list[str],
    reverse: bool,
    *,
    path: str | None = None,
    skip: int = 0,
    limit: int | None = None,
) -> list[CommitInfo]:
    args = ["log", f"--format={_LOG_FORMAT}", f"--skip={skip}"]
    if limit is not None:
        args.append(f"--max-count={limit}")
    if reverse:
        args.append("--reverse")
    args += [*revs, "--"]
    if path:
        args.append(path)
    _, out = run(store, full_name, *args)
    commits = []
    for record in out.decode(errors="replace").split("\x1e"):
        record = record.lstrip("\n")
        if not record:
            continue
        sha, tree, parents, an, ae, at, cn, ce, ct, body = record.split("\x00", 9)
        commits.append(
            CommitInfo(
                sha,
                tree,
                tuple(parents.split()),
                Person(an, ae, git_time(at)),
                Person(cn, ce, git_time(ct)),
                body,
            )
        )
    return commits


def count(store: Store, full_name: str, revs: list[str], path: str | None = None) -> int:
    args = ["rev-list", "--count", *revs, "--"]
    if path:
        args.append(path)
    return int(run(store, full_name, *args)[1].decode().strip() or 0)


def ls_tree(
    store: Store, full_name: str, treeish: str, path: str | None = None, *, recursive: bool = False
) -> list[TreeEntry]:
    """Entries of a tree (``path`` narrows to one entry or, ending in "/", a directory)."""
    args = ["ls-tree", "-z", "-l", "--full-tree"]
    if recursive:
        args += ["-r", "-t"]
    args.append(treeish)
    if path is not None:
        args += ["--", path]
    _, out = run(store, full_name, *args)
    entries = []
    for record in out.decode(errors="surrogateescape").split("\x00"):
        if not record:
            continue
        meta, _, name = record.partition("\t")
        mode, kind, sha, size = meta.split()
        entries.append(TreeEntry(mode, kind, sha, None if size == "-" else int(size), name))
    return entries


def entry_at(store: Store, full_name: str, commit: str, path: str) -> TreeEntry | None:
    """The tree entry at ``path`` in ``commit``'s tree, or None."""
    path = path.strip("/")
    if not path:
        tree = resolve(store, full_name, commit, "tree")
        return TreeEntry("040000", "tree", tree, None, "") if tree else None
    found = ls_tree(store, full_name, commit, path)
    return next((e for e in found if e.path == path), None)


def is_empty(store: Store, full_name: str) -> bool:
    """True for a repository without any ref (no commits pushed yet)."""
    return not run(store, full_name, "for-each-ref", "--count=1", "--format=x")[1].strip()


def merge_base(store: Store, full_name: str, a: str, b: str) -> str | None:
    def compute() -> str | None:
        code, out = run(store, full_name, "merge-base", a, b, ok=(0, 1))
        return out.decode().strip() if code == 0 else None

    return pure(store, full_name, "merge-base", (a, b), compute)


def is_ancestor(store: Store, full_name: str, ancestor: str, descendant: str) -> bool:
    code, _ = run(store, full_name, "merge-base", "--is-ancestor", ancestor, descendant, ok=(0, 1))
    return code == 0


_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied"}


def diff(
    store: Store, full_name: str, old: str, new: str, *, patches: bool = True
) -> list[FileChange]:
    """Files changed from ``old`` to ``new`` (commits or trees), with line counts and patches."""
    _, raw = run(store, full_name, "diff", "--raw", "--no-abbrev", "-z", "-M", old, new)
    _, numstat = run(store, full_name, "diff", "--numstat", "-z", "-M", old, new)
    counts = _numstat(numstat)
    texts = _patches(store, full_name, old, new) if patches else {}
    fields = raw.decode(errors="surrogateescape").split("\x00")
    changes, i = [], 0
    while i < len(fields) and fields[i]:
        meta = fields[i].lstrip(":").split()
        old_sha, new_sha, letter = meta[2], meta[3], meta[4][0]
        if letter in "RC":
            previous, name = fields[i + 1], fields[i + 2]
            i += 3
        else:
            previous, name = None, fields[i + 1]
            i += 2
        adds, dels = counts.get(name, (0, 0))
        changes.append(
            FileChange(
                status=_STATUS.get(letter, "changed"),
                filename=name,
                previous_filename=previous,
                sha=old_sha if letter == "D" else new_sha,
                additions=adds,
                deletions=dels,
                patch=texts.get(name),
            )
        )
    return changes


def _numstat(out: bytes) -> dict[str, tuple[int, int]]:
    fields = out.decode(errors="surrogateescape").split("\x00")
    counts: dict[str, tuple[int, int]] = {}
    i = 0
    while i < len(fields) and fields[i]:
        adds, dels, name = fields[i].split("\t", 2)
        if name == "":  # a rename: the old and new names follow
            name = fields[i + 2]
            i += 3
        else:
            i += 1
        counts[name] = (int(adds) if adds != "-" else 0, int(dels) if dels != "-" else 0)
    return counts


def _patches(store: Store, full_name: str, old: str, new: str) -> dict[str, str]:
    """Each file's hunks (GitHub's ``patch`` field starts at the first "@@")."""
    _, out = run(store, full_name, "diff", "-M", "--no-color", "--no-prefix", old, new)
    found: dict[str, str] = {}
    for section in out.decode(errors="replace").split("\ndiff --git "):
        lines = section.split("\n")
        hunk = next((n for n, line in enumerate(lines) if line.startswith("@@")), None)
        if hunk is None:
            continue  # binary, or a pure rename
        # the new name, or the old one for a deletion ("+++ /dev/null")
        names = [
            line[4:]
            for line in lines[:hunk]
            if line[:4] in ("--- ", "+++ ") and line[4:] != "/dev/null"
        ]
        if names:
            name = names[-1]
            found[name] = "\n".join(lines[hunk:]).rstrip("\n")
    return found


class ObjectReader:
    """Many object look-ups in one repository: loose objects and refs are read from disk, the
    rest (packed objects, ``rev:path`` expressions) by one ``git cat-file --batch`` process,
    started the first time it is needed.

    A 100-alias query names 100 repositories whose heads are loose refs to loose commits: read
    in-process that costs a file read each instead of a fork of git per repository, which was
    most of the sandbox's time per query. git writes both through a rename, so a concurrent
    write is seen whole or not at all.
    """

    def __init__(self, store: Store, full_name: str) -> None:
        self._store = store
        self._full_name = full_name
        # a str, not a Path: a query reads hundreds of files here, and joining Paths cost more
        # than reading them
        self._dir = str(store.repo_dir(full_name))
        self._proc: subprocess.Popen[bytes] | None = None
        self._cache: dict[str, GitObject | None] = {}
        self._packed: dict[str, str] | None = None
        self._packed_readable = True
        self._trees: dict[str, dict[str, tuple[str, str]]] = {}
        self._files_backend = not os.path.exists(os.path.join(self._dir, "reftable"))

    def get(self, name: str) -> GitObject | None:
        """The object ``name`` (a sha, ``refs/heads/x`` or ``rev:path``) names, or None."""
        if not name or "\n" in name or name.startswith("-"):
            return None
        if name in self._cache:
            return self._cache[name]
        decided, found = self._from_disk(name)
        if not decided:
            found = self._from_git(name)
        self._cache[name] = found
        return found

    def tree_entry(self, tree: GitObject, name: str) -> tuple[str, str] | None:
        """(mode, sha) of ``name`` in ``tree``. A query reads 100 files of one directory: the
        tree is parsed once, not once per file."""
        entries = self._trees.get(tree.sha)
        if entries is None:
            entries = self._trees[tree.sha] = {n: (m, s) for m, n, s in parse_tree(tree.data)}
        return entries.get(name)

    def _from_disk(self, name: str) -> tuple[bool, GitObject | None]:
        """(True, the object) when the disk settles it; (False, None) when git must be asked:
        a packed object, a symbolic ref, an expression other than a sha or a full ref name."""
        if _SHA.match(name):
            found = _loose_object(self._dir, name)
            return found is not None, found
        if not self._files_backend or not _PLAIN_REF.match(name):
            return False, None
        if "/." in name or ".." in name or name.endswith(".lock"):
            return False, None
        try:
            with open(os.path.join(self._dir, name), "rb") as file:
                text = file.read().decode("ascii").strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            text = ""
        except (OSError, UnicodeDecodeError):
            return False, None
        if not text:
            if self._packed is None:
                read = _packed_refs(self._dir)
                self._packed = {} if read is None else read
                self._packed_readable = read is not None
            if not self._packed_readable:
                return False, None  # a packed-refs file not read as git would: ask git
            # Neither loose nor packed: git's look-up rules would try refs/refs/heads/x and
            # the like, which nothing in the sandbox creates, so the ref is missing.
            text = self._packed.get(name, "")
            if not text:
                return True, None
        if not _SHA.match(text):  # a symbolic ref: git follows it
            return False, None
        found = _loose_object(self._dir, text)
        return found is not None, found

    def _from_git(self, name: str) -> GitObject | None:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self._dir,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self._store.git_env(),
            )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(name.encode() + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().decode().split()
        if len(header) == 3 and header[1] != "missing":
            sha, kind, size = header
            data = self._proc.stdout.read(int(size) + 1)[:-1]
            return GitObject(sha, kind, data)
        return None

    def peel(self, obj: GitObject) -> GitObject | None:
        """An annotated tag's target (followed until it is not a tag)."""
        seen = 0
        while obj.type == "tag" and seen < 10:
            first = obj.data.split(b"\n", 1)[0].decode()
            target = self.get(first.removeprefix("object "))
            if target is None:
                return None
            obj, seen = target, seen + 1
        return obj

    def close(self) -> None:
        if self._proc is None:
            return
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc.wait()

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_SHA = re.compile(r"\A(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")
_PLAIN_REF = re.compile(r"\Arefs/(?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_.-]+\Z")
_OBJECT_TYPES = frozenset({b"commit", b"tree", b"blob", b"tag"})


def _loose_object(repo: str | Path, sha: str) -> GitObject | None:
    """The loose object ``sha`` in ``repo``, or None when it is not stored loose."""
    try:
        with open(os.path.join(repo, "objects", sha[:2], sha[2:]), "rb") as file:
            raw = zlib.decompress(file.read())
    except (FileNotFoundError, NotADirectoryError, zlib.error):
        return None
    header, nul, data = raw.partition(b"\0")
    kind, _, size = header.partition(b" ")
    if not nul or kind not in _OBJECT_TYPES or not size.isdigit() or int(size) != len(data):
        return None
    return GitObject(sha, kind.decode(), data)


# -- refs as git's files backend lists them ---------------------------------------------

# Ref names read here: what the sandbox and git clients create. Anything else (git allows
# more, and skips some) makes read_refs give up, and the caller asks git.
_SAFE_REF = re.compile(
    r"\Arefs/(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]*/)*[A-Za-z0-9_+-][A-Za-z0-9._+-]*\Z"
)


def _safe_ref(name: str) -> bool:
    return (
        _SAFE_REF.match(name) is not None
        and ".." not in name
        and not name.endswith(".")
        and ".lock/" not in name
        and not name.endswith(".lock")
    )


_REF_FILE = re.compile(rb"\A[0-9a-f]{40}\n?\Z")
_SYMREF_FILE = re.compile(rb"\Aref: (refs/[^\s]+)\n?\Z")


@dataclass(frozen=True, slots=True)
class Refs:
    """A repository's refs read from disk: ``refs`` (name -> sha, in git's order: by name)
    and what HEAD says: ``head_target`` (the branch it names) or ``head_sha`` (detached)."""

    refs: dict[str, str]
    head_target: str | None
    head_sha: str | None


def read_refs(repo: str | Path) -> Refs | None:
    """Every ref under ``refs/``, loose ones over packed ones, as git lists them; None when
    the repository holds anything this does not read exactly as git would (reftable, a
    symbolic ref below refs/, a malformed file, a name outside _SAFE_REF)."""
    repo = str(repo)
    if os.path.exists(os.path.join(repo, "reftable")):
        return None
    packed = _packed_refs(repo)
    if packed is None:
        return None
    loose: dict[str, str] = {}
    if not _scan_loose(repo, "refs", loose):
        return None
    merged = {**packed, **loose}
    try:
        with open(os.path.join(repo, "HEAD"), "rb") as file:
            head = file.read()
    except OSError:
        return None
    symref = _SYMREF_FILE.match(head)
    if symref is not None:
        target = symref[1].decode("ascii", "replace")
        if not _safe_ref(target):
            return None
        return Refs(dict(sorted(merged.items())), target, None)
    if _REF_FILE.match(head):
        return Refs(dict(sorted(merged.items())), None, head[:40].decode())
    return None


def _scan_loose(repo: str, prefix: str, found: dict[str, str]) -> bool:
    """Loose refs below ``repo/prefix`` into ``found``; False on anything unexpected."""
    try:
        entries = list(os.scandir(os.path.join(repo, prefix)))
    except FileNotFoundError:
        return True
    except OSError:
        return False
    for entry in entries:
        # git skips these when it reads a refs directory: lock files and dot files
        if entry.name.startswith(".") or entry.name.endswith(".lock"):
            continue
        name = f"{prefix}/{entry.name}"
        if entry.is_symlink():
            return False
        if entry.is_dir():
            if not _scan_loose(repo, name, found):
                return False
            continue
        if not _safe_ref(name):
            return False
        try:
            with open(entry.path, "rb") as file:
                data = file.read()
        except FileNotFoundError:  # deleted since the listing: gone, as for git
            continue
        except OSError:
            return False
        if not _REF_FILE.match(data):
            return False  # a symbolic ref, or a file git reads its own way
        found[name] = data[:40].decode()
    return True


def _packed_refs(repo: str) -> dict[str, str] | None:
    """``packed-refs`` as name -> sha; None when a line is not one git writes."""
    try:
        with open(os.path.join(repo, "packed-refs"), "rb") as file:
            text = file.read().decode("ascii")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError):
        return None
    refs: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or (line.startswith("^") and _SHA.match(line[1:])):
            continue
        sha, _, name = line.partition(" ")
        if len(sha) != 40 or not _SHA.match(sha) or not _safe_ref(name):
            return None
        refs[name] = sha
    return refs


def peel_loose(repo: str | Path, sha: str) -> tuple[bool, str | None]:
    """(True, what an annotated tag ``sha`` finally tags, or None for an object that is not a
    tag), as git peels: the first object down the chain whose tag header does not say "tag".
    (False, None) when an object on the way is not loose or not a tag git could read."""
    obj = _loose_object(repo, sha)
    for _ in range(16):
        if obj is None:
            return False, None
        if obj.type != "tag":
            return True, None
        header = obj.data.split(b"\n\n", 1)[0].split(b"\n")
        if (
            len(header) < 2
            or not header[0].startswith(b"object ")
            or not header[1].startswith(b"type ")
        ):
            return False, None
        target, kind = header[0][7:].decode("ascii", "replace"), header[1][5:]
        if not _SHA.match(target) or kind not in _OBJECT_TYPES:
            return False, None
        if kind != b"tag":
            return True, target
        obj = _loose_object(repo, target)
    return False, None


def parse_tree(data: bytes) -> Iterator[tuple[str, str, str]]:
    """(mode, name, sha) for each entry of a raw tree object."""
    i = 0
    while i < len(data):
        space = data.index(b" ", i)
        nul = data.index(b"\x00", space)
        mode = data[i:space].decode().rjust(6, "0")
        name = data[space + 1 : nul].decode(errors="surrogateescape")
        sha = data[nul + 1 : nul + 21].hex()
        yield mode, name, sha
        i = nul + 21


# -- writing -------------------------------------------------------------------


def write_blob(store: Store, full_name: str, content: bytes) -> str:
    return run(store, full_name, "hash-object", "-w", "--stdin", input=content)[1].decode().strip()


@dataclass(frozen=True, slots=True)
class TreeChange:
    """Set ``path`` to (mode, type, sha); ``sha`` None deletes it."""

    path: str
    mode: str
    type: str
    sha: str | None


@dataclass(slots=True)
class _Dir:
    entries: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name -> mode,type,sha
    children: dict[str, _Dir] = field(default_factory=dict)  # subtrees being changed


def _load_dir(store: Store, full_name: str, tree: str | None) -> _Dir:
    node = _Dir()
    if tree:
        for entry in ls_tree(store, full_name, tree):
            node.entries[entry.path] = (entry.mode, entry.type, entry.sha)
    return node


def build_tree(
    store: Store, full_name: str, base_tree: str | None, changes: Iterable[TreeChange]
) -> str:
    """Write the tree ``base_tree`` (or an empty one) with ``changes`` applied; nested paths work.

    Only the directories on changed paths are read and rewritten, as ``git mktree`` input.
    """
    root = _load_dir(store, full_name, base_tree)
    for change in changes:
        parts = [p for p in change.path.split("/") if p]
        if not parts:
            raise GitError(f"tree.path {change.path!r} is empty")
        node = root
        for part in parts[:-1]:
            child = node.children.get(part)
            if child is None:
                existing = node.entries.get(part)
                sub = existing[2] if existing and existing[1] == "tree" else None
                if change.sha is None and sub is None:
                    break  # deleting under a directory that is not there: nothing to do
                child = node.children[part] = _load_dir(store, full_name, sub)
            node = child
        else:
            name = parts[-1]
            if change.sha is None:
                node.entries.pop(name, None)
                node.children.pop(name, None)
            else:
                node.children.pop(name, None)
                node.entries[name] = (change.mode, change.type, change.sha)
    sha = _write_dir(store, full_name, root)
    return sha or run(store, full_name, "mktree", "-z", input=b"")[1].decode().strip()


def _write_dir(store: Store, full_name: str, node: _Dir) -> str | None:
    for name, child in node.children.items():
        sha = _write_dir(store, full_name, child)
        if sha is None:
            node.entries.pop(name, None)  # git keeps no empty directories
        else:
            node.entries[name] = ("040000", "tree", sha)
    node.children.clear()
    if not node.entries:
        return None
    listing = b"".join(
        f"{mode} {kind} {sha}\t".encode() + name.encode(errors="surrogateescape") + b"\x00"
        for name, (mode, kind, sha) in sorted(node.entries.items())
    )
    return run(store, full_name, "mktree", "-z", input=listing)[1].decode().strip()


def commit_tree(
    store: Store,
    full_name: str,
    tree: str,
    parents: Iterable[str],
    message: str,
    *,
    author: dict[str, str] | None = None,
    committer: dict[str, str] | None = None,
) -> str:
    """Write a commit object; ``author``/``committer`` are GitHub's {name, email, date?}."""
    env = store.git_env()
    who = author or committer or {}
    env["GIT_AUTHOR_NAME"] = who.get("name") or BOT_NAME
    env["GIT_AUTHOR_EMAIL"] = who.get("email") or BOT_EMAIL
    if who.get("date"):
        env["GIT_AUTHOR_DATE"] = parse_date(who["date"])
    by = committer or author or {}
    env["GIT_COMMITTER_NAME"] = by.get("name") or BOT_NAME
    env["GIT_COMMITTER_EMAIL"] = by.get("email") or BOT_EMAIL
    if by.get("date"):
        env["GIT_COMMITTER_DATE"] = parse_date(by["date"])
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    return run(store, full_name, *args, input=message.encode(), env=env)[1].decode().strip()


def merge_tree(store: Store, full_name: str, ours: str, theirs: str) -> str | None:
    """The tree of merging ``theirs`` into ``ours``, or None when they conflict."""

    def compute() -> str | None:
        code, out = run(
            store, full_name, "merge-tree", "--write-tree", "--no-messages", ours, theirs, ok=(0, 1)
        )
        return out.decode().split("\n", 1)[0].strip() if code == 0 else None

    return pure(store, full_name, "merge-tree", (ours, theirs), compute)


def update_ref(store: Store, full_name: str, ref: str, new: str, old: str | None) -> bool:
    """Move ``ref`` to ``new`` only if it is still at ``old`` (ZERO_SHA: must not exist)."""
    args = ["update-ref", ref, new]
    if old is not None:
        args.append(old)
    code, _ = run(store, full_name, *args, ok=(0, 1, 128))
    return code == 0


def update_refs(
    store: Store, full_name: str, updates: Iterable[tuple[str, str, str | None]]
) -> bool:
    """Apply every (ref, new, old) in one transaction, or none: ``old`` None is unchecked,
    ZERO_SHA as ``old`` means the ref must not exist, as ``new`` deletes it."""
    lines = "".join(
        f"update {ref} {new}" + (f" {old}" if old is not None else "") + "\n"
        for ref, new, old in updates
    )
    code, _ = run(store, full_name, "update-ref", "--stdin", input=lines.encode(), ok=(0, 1, 128))
    return code == 0


def delete_ref(store: Store, full_name: str, ref: str) -> bool:
    code, _ = run(store, full_name, "update-ref", "-d", ref, ok=(0, 1, 128))
    return code == 0


def refs_with_types(
    store: Store, full_name: str, patterns: list[str]
) -> list[tuple[str, str, str]]:
    """(refname, sha, object type) for refs matching for-each-ref ``patterns``."""
    _, out = run(
        store,
        full_name,
        "for-each-ref",
        "--format=%(refname)%00%(objectname)%00%(objecttype)",
        *patterns,
    )
    rows = []
    for line in out.decode(errors="surrogateescape").splitlines():
        name, sha, kind = line.split("\x00")
        rows.append((name, sha, kind))
    return rows


def ref_commit_dates(store: Store, full_name: str, patterns: list[str]) -> dict[str, int]:
    """refname -> the committer date (epoch) of the commit it names, an annotated tag peeled;
    refs naming no commit (a tag of a tree or blob) are left out."""
    _, out = run(
        store,
        full_name,
        "for-each-ref",
        "--format=%(refname)%00%(committerdate:unix)%00%(*committerdate:unix)",
        *patterns,
    )
    dates = {}
    for line in out.decode(errors="surrogateescape").splitlines():
        name, own, peeled = line.split("\x00")
        stamp = peeled or own
        if stamp.isdigit():
            dates[name] = int(stamp)
    return dates


def fetch_objects(store: Store, into: str, source: str, sha: str) -> None:
    """Make commit ``sha`` from repository ``source`` readable in ``into`` (forks' PRs)."""
    if into.lower() == source.lower() or object_type(store, into, sha) is not None:
        return
    run(store, into, "fetch", "--quiet", "--no-tags", str(store.repo_dir(source)), sha)
