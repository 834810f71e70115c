"""Carry people's commits forward: rebuild bumper's pin commit on the current base for the new
upstream sha, replay the commits pushed on top of it, and push with a lease on the old head.

Real git, no worktree: the base and the PR branch are fetched over smart HTTP into a temporary
bare repository, each commit is re-applied with ``git merge-tree --write-tree`` (a three-way
merge of the commit against its own parent, onto the new tip) and ``git commit-tree`` keeping
its author, date and message, and the result is pushed with
``--force-with-lease=refs/heads/B:<old head>``: a push someone made meanwhile is never lost.
The token goes to git through the environment (``GIT_CONFIG_*``), never in argv, a URL or a
log line, and every message git prints is passed through ``sanitize`` first.

``replay_plan`` is pure: which commits of the branch are bumper's pin commit and which are
to be replayed, or why the branch cannot be carried.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bumper import pinfiles
from bumper.bump.prtext import parse_trailer
from bumper.errors import ForgeError, PinError
from bumper.github.forge import GITLINK, MOVED, BranchMoved, FileChange
from bumper.github.http import sanitize
from bumper.model import Entry

GIT_TIMEOUT = 120  # seconds for one git command (a fetch of a large repository)


class NotReplayed(ForgeError):
    """The branch cannot be carried onto the new sha as it is; nothing was pushed. The message
    says what did not apply."""


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit of the PR branch, as the replay needs it."""

    sha: str
    parents: tuple[str, ...]
    message: str
    author: tuple[str, str, str]  # name, email, date (git's raw "<epoch> <tz>")
    exact_pin: str | None = None  # the upstream sha, when the commit is exactly a pin change

    @property
    def subject(self) -> str:
        return self.message.partition("\n")[0]


@dataclass(frozen=True, slots=True)
class Carried:
    """What the branch holds after carrying: its head, bumper's pin commit under the replayed
    ones, and the people's commits (their original shas) that now sit on it."""

    head: str
    pin_commit: str
    replayed: tuple[Commit, ...]
    pushed: bool  # False: the branch held exactly this already (a pass that died after pushing)


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    pin: Commit  # bumper's pin commit the others sit on
    above: tuple[Commit, ...]  # oldest first: the commits to replay


def replay_plan(branch: Sequence[Commit]) -> ReplayPlan:
    """PURE: ``branch`` is the PR branch's first-parent history not in the base, newest first.
    Bumper's pin commit is the newest commit that is exactly a pin change for this entry; the
    commits above it are replayed. NotReplayed when there is none, when a merge sits above it
    (its other side cannot be replayed as one change) or when commits sit below it (they would
    be lost)."""
    for index, commit in enumerate(branch):
        if commit.exact_pin is None:
            continue
        above, below = branch[:index], branch[index + 1 :]
        if below:
            raise NotReplayed(
                f"{len(below)} commit(s) under bumper's commit {commit.sha[:12]}"
                f" (the oldest: {below[-1].sha[:12]} {below[-1].subject!r}) would be lost"
            )
        merges = [c for c in above if len(c.parents) != 1]
        if merges:
            raise NotReplayed(
                f"merge commit {merges[-1].sha[:12]} {merges[-1].subject!r} cannot be replayed;"
                " rebase the branch instead of merging into it"
            )
        return ReplayPlan(commit, tuple(reversed(above)))
    raise NotReplayed(
        "the branch no longer holds bumper's commit for this pin (amended or squashed?)"
    )


class _Git:
    """git in one temporary bare repository, authenticated through the environment."""

    def __init__(self, where: Path, token: str | None, identity: tuple[str, str]) -> None:
        self.where = where
        self.token = token
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SSH_"))}
        env.update(
            GIT_TERMINAL_PROMPT="0",
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_COMMITTER_NAME=identity[0],
            GIT_COMMITTER_EMAIL=identity[1],
            GIT_AUTHOR_NAME=identity[0],  # each replayed commit sets its own
            GIT_AUTHOR_EMAIL=identity[1],
        )
        if token:
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            env.update(
                GIT_CONFIG_COUNT="1",
                GIT_CONFIG_KEY_0="http.extraHeader",
                GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}",
            )
        self.env = env

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        ok: tuple[int, ...] = (0,),
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        try:
            done = subprocess.run(
                ["git", "-C", str(self.where), *args],
                input=input,
                capture_output=True,
                env={**self.env, **(env or {})},
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ForgeError(f"git {args[0]}: {sanitize(str(exc), self.token)}") from None
        said = (done.stdout + done.stderr).decode(errors="replace")
        if done.returncode not in ok:
            raise ForgeError(f"git {args[0]}: {sanitize(said.strip()[-300:], self.token)}")
        out = done.stdout if done.returncode == 0 else done.stdout + done.stderr
        return done.returncode, out.decode(errors="replace")

    def out(
        self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        return self.run(*args, input=input, env=env)[1].strip()


def carry_forward(
    *,
    base_url: str,
    url: str,
    token: str | None,
    branch: str,
    expected: str,
    base: str,
    base_branch: str,
    entry: Entry,
    changes: Sequence[FileChange],
    message: str,
    identity: tuple[str, str],
) -> Carried:
    """Rebuild the pin commit of ``entry`` (``changes`` to its files, ``message``) on commit
    ``base`` (of ``base_branch`` at ``base_url``) and replay the commits people pushed on top
    of bumper's commit in ``branch`` (at ``url``), whose head the pass planned from is
    ``expected``; push only if the branch is still there.

    BranchMoved when the branch is not at ``expected`` (fetched elsewhere, or the lease
    failed); NotReplayed when the commits do not apply (nothing pushed); ForgeError when git
    itself failed.
    """
    with tempfile.TemporaryDirectory(prefix="bumper-carry-") as tmp:
        git = _Git(Path(tmp), token, identity)
        git.run("init", "--quiet", "--bare")
        # the base from the target, the branch from where bumper pushes (a fork, or the same)
        wanted = f"+refs/heads/{base_branch}:refs/carry/base"
        mine = f"+refs/heads/{branch}:refs/carry/head"
        if base_url == url:
            git.run("fetch", "--quiet", "--no-tags", url, wanted, mine)
        else:
            git.run("fetch", "--quiet", "--no-tags", base_url, wanted)
            git.run("fetch", "--quiet", "--no-tags", url, mine)
        head = git.out("rev-parse", "refs/carry/head")
        if head != expected:
            raise BranchMoved(f"branch {branch}: {MOVED}")
        if git.run("cat-file", "-e", f"{base}^{{commit}}", ok=(0, 1, 128))[0] != 0:
            raise ForgeError(f"branch {base_branch} no longer holds {base[:12]}; try again")
        plan = replay_plan(_history(git, entry, head, base))
        new_upstream = parse_trailer(message)
        pin = plan.pin
        if (
            new_upstream is not None
            and pin.exact_pin == new_upstream.upstream
            and pin.parents == (base,)
        ):
            return Carried(head, pin.sha, plan.above, pushed=False)
        tip = pin_commit = _pin_commit(git, base, changes, message, identity)
        for commit in plan.above:
            tip = _pick(git, commit, tip, new_upstream.upstream if new_upstream else "")
        _push(git, url, branch, tip, expected)
        return Carried(tip, pin_commit, plan.above, pushed=True)


def _history(git: _Git, entry: Entry, head: str, base: str) -> list[Commit]:
    """The branch's first-parent commits not in ``base``, newest first."""
    listed = git.out("rev-list", "--first-parent", head, f"^{base}")
    commits = []
    for sha in listed.split():
        raw = git.out("cat-file", "commit", sha)
        header, _, message = raw.partition("\n\n")
        parents = tuple(line[7:] for line in header.splitlines() if line.startswith("parent "))
        author = next(line[7:] for line in header.splitlines() if line.startswith("author "))
        name, _, rest = author.partition(" <")
        email, _, date = rest.partition("> ")
        commit = Commit(sha, parents, message, (name, email, date))
        commits.append(_with_pin(git, entry, commit))
    return commits


def _with_pin(git: _Git, entry: Entry, commit: Commit) -> Commit:
    """``commit`` with ``exact_pin`` set when it changes the entry's files alone, to its
    parent's texts with only the pin rewritten to the sha its trailer names."""
    trailer = parse_trailer(commit.message)
    if trailer is None or trailer.key != entry.key or len(commit.parents) != 1:
        return commit
    parent = commit.parents[0]
    changed = git.out("diff-tree", "--no-commit-id", "--name-only", "-r", parent, commit.sha)
    before, after = _texts(git, parent, entry.paths), _texts(git, commit.sha, entry.paths)
    if before is None or after is None:
        return commit
    try:
        expected = pinfiles.rewrite(entry, before, None, trailer.upstream)
    except PinError:
        return commit
    moved = sorted(path for path in entry.paths if before[path] != after[path])
    if expected != after or sorted(changed.splitlines()) != moved or not moved:
        return commit
    return Commit(commit.sha, commit.parents, commit.message, commit.author, trailer.upstream)


def _texts(git: _Git, rev: str, paths: Sequence[str]) -> dict[str, str] | None:
    """Each path's text at ``rev`` as pinfiles reads it (a submodule: the commit it pins);
    None when one is missing."""
    found = {}
    for path in paths:
        listed = git.out("ls-tree", rev, "--", path)
        mode, _, rest = listed.partition(" ")
        oid = rest.partition("\t")[0].partition(" ")[2]
        if not oid:
            return None
        if mode == GITLINK:
            found[path] = oid
        else:
            found[path] = git.run("cat-file", "blob", oid)[1]
    return found


def _pin_commit(
    git: _Git,
    base: str,
    changes: Sequence[FileChange],
    message: str,
    identity: tuple[str, str],
) -> str:
    index = str(git.where / "carry-index")
    env = {"GIT_INDEX_FILE": index}
    git.run("read-tree", base, env=env)
    for change in changes:
        if change.mode == GITLINK:
            oid = change.text  # a submodule's entry names the commit it pins
        else:
            oid = git.out("hash-object", "-w", "--stdin", input=change.text.encode())
        git.run(
            "update-index", "--add", "--cacheinfo", f"{change.mode},{oid},{change.path}", env=env
        )
    tree = git.out("write-tree", env=env)
    me = {"GIT_AUTHOR_NAME": identity[0], "GIT_AUTHOR_EMAIL": identity[1]}
    return git.out("commit-tree", tree, "-p", base, "-F", "-", input=message.encode(), env=me)


def _pick(git: _Git, commit: Commit, onto: str, upstream: str) -> str:
    """``commit`` re-applied on ``onto``: a three-way merge whose merge base is the commit's
    own parent (git 2.39's merge-tree has no --merge-base: both sides get a parentless
    stand-in with the parent's tree, so that tree is their merge base)."""
    stand_in = git.out("commit-tree", f"{commit.parents[0]}^{{tree}}", "-m", "base", input=b"")
    ours = git.out("commit-tree", f"{onto}^{{tree}}", "-p", stand_in, "-m", "ours", input=b"")
    theirs = git.out(
        "commit-tree", f"{commit.sha}^{{tree}}", "-p", stand_in, "-m", "theirs", input=b""
    )
    code, out = git.run(
        "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs, ok=(0, 1)
    )
    lines = out.strip().splitlines()
    if code != 0:
        files = ", ".join(dict.fromkeys(lines[1:])) or "?"
        raise NotReplayed(
            f"{commit.sha[:12]} {commit.subject!r} does not apply onto {upstream[:12]}"
            f" (conflict in {files})"
        )
    name, email, date = commit.author
    author = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date}
    return git.out(
        "commit-tree", lines[0], "-p", onto, "-F", "-", input=commit.message.encode(), env=author
    )


def _push(git: _Git, url: str, branch: str, tip: str, expected: str) -> None:
    ref = f"refs/heads/{branch}"
    code, out = git.run(
        "push",
        "--porcelain",
        f"--force-with-lease={ref}:{expected}",
        url,
        f"{tip}:{ref}",
        ok=(0, 1),
    )
    if code == 0:
        return
    # Refused: the lease failed before sending, or the server found the ref moved while it
    # received ("cannot lock ref"). Judged by where the branch is now, as a ref write is.
    now = git.out("ls-remote", url, ref).split("\t")[0]
    if now == tip:
        return
    if now != expected:
        raise BranchMoved(f"branch {branch}: {MOVED}")
    raise ForgeError(f"git push to {branch}: {sanitize(out.strip()[-300:], git.token)}")
