"""Apply the plan through a Forge: one pull request per pin, opened, updated or closed.

Reads per pass, whatever the number of entries: the base branch head, the base files (batched),
and one paginated listing of open PRs; or none of them when the caller read them already
(``state``: snapshot.py reads them in the upstream look-up queries, with each PR branch's head
and closed PRs). Anything more is spent only on an entry that needs it (see planner.py). Each
entry is isolated: its failure is its Result, and the pass goes on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from bumper import pinfiles
from bumper.bump import automerge, prtext, reverts
from bumper.bump.planner import Action, Do, Facts, Limits, plan, would
from bumper.bump.prtext import Marker, UpstreamCommit
from bumper.bump.snapshot import TargetSnapshot
from bumper.config.settings import Config, Secret
from bumper.errors import BumperError, ForgeError
from bumper.github.forge import (
    GITLINK,
    MOVED,
    REGULAR,
    BaseHead,
    BranchMoved,
    CommitAuthor,
    FileAtRef,
    FileChange,
    Forge,
    PullInfo,
)
from bumper.model import Entry, Head, PinBy, Result, Status, is_sha
from bumper.upstream import Comparison, compare, compare_url
from bumper.upstream.compare import commit_ranges
from bumper.upstream.resolve import release_url
from bumper.upstream.tags import already_past, target_value

MAX_ROUNDS = 8  # plan, look up, plan again...; a new PR needs up to five, a race a few more

_STATUS = {
    Do.NOTHING: Status.UP_TO_DATE,
    Do.EDIT: Status.UP_TO_DATE,
    Do.CLOSE: Status.UP_TO_DATE,
    Do.CREATE: Status.BUMPED,
    Do.UPDATE: Status.BUMPED,
    Do.SKIP: Status.SKIPPED,
    Do.CARRY: Status.BUMPED,
}


def publish(
    config: Config,
    entries: Sequence[Entry],
    heads: Mapping[tuple[str, str], Head],
    forge: Forge,
    *,
    client: httpx.Client,
    token: Secret | None,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
    on_result: Callable[[Result], None] | None = None,
    state: TargetSnapshot | None = None,
) -> list[Result]:
    """One Result per entry, in order: bumped, up-to-date, skipped or failed (see model.py).

    ``state`` is the target as the caller read it at the start of this pass (base head, base
    files, open PRs); without it they are read through ``forge``. A file it lacks is read
    through ``forge`` at its base.

    ``should_stop`` is asked before each entry; once it says yes, the entries not started yet
    get no Result (the one under way is finished, so what was written is also reported).
    ``on_result`` hears each entry's Result as soon as it is known (the daemon's status page).
    """
    results: dict[int, Result] = {}

    def report(i: int, result: Result) -> None:
        results[i] = result
        if on_result is not None:
            on_result(result)

    branches = {i: prtext.render_branch(config.pr, e) for i, e in enumerate(entries)}
    sharing: dict[str, list[int]] = {}  # one pass over the entries, not one per entry
    for i, branch in branches.items():
        sharing.setdefault(branch, []).append(i)
    for i, entry in enumerate(entries):
        others = [entries[j].name for j in sharing[branches[i]] if j != i]
        if others:
            report(
                i,
                _failed(
                    entry,
                    f"PR branch {branches[i]} is also the branch of {', '.join(others)};"
                    " put {file} in pr.branch so each pin has its own",
                ),
            )
    active = [i for i in range(len(entries)) if i not in results]
    if not active:
        return [results[i] for i in range(len(entries))]

    wanted = sorted({path for i in active for path in entries[i].paths})
    try:
        if state is None:
            base = forge.base_head()
            files = forge.read_files(base.sha, wanted)
            open_pulls = forge.open_pulls()
        else:
            base, open_pulls = state.base, list(state.pulls)
            missing = [path for path in wanted if path not in state.files]
            files = {**state.files, **(forge.read_files(base.sha, missing) if missing else {})}
    except ForgeError as exc:
        for i in active:
            report(i, _failed(entries[i], str(exc)))
        return [results[i] for i in range(len(entries))]

    names, owner = set(branches.values()), forge.head_owner
    candidates = [pr for pr in open_pulls if _could_be_bumpers(pr, owner, names)]
    account = ""
    if candidates:  # the account is read only when some PR could be bumper's
        try:
            account = (state.account if state is not None else "") or forge.account()
        except ForgeError as exc:
            for i in active:
                why = f"{exc}; bumper needs it to tell its PRs from others'"
                report(i, _failed(entries[i], why))
            return [results[i] for i in range(len(entries))]
    found = _sort_pulls(candidates, owner, config.target.base, names, account)
    ours, foreign, elsewhere = found.ours, found.foreign, found.elsewhere
    run = _Pass(
        config,
        forge,
        base,
        client=client,
        token=token,
        dry_run=dry_run,
        limits=Limits(config.pr.max_open, config.pr.max_new_per_run, found.open_count),
        state=state,
        modes={path: file.mode for path, file in files.items()},
        login=found.account or None,
        others=_others(open_pulls, config, owner, names, found),
        moved=lambda: _moved_ranges([entries[i] for i in active], heads, files),
    )
    if state is not None and state.repository_id:
        forge.know_repository_id(state.repository_id)
    for i in active:
        if should_stop is not None and should_stop():
            break
        entry = entries[i]
        head = heads.get((entry.repository, entry.branch))
        if head is None:
            report(i, _failed(entry, "no upstream head was looked up"))
            continue
        pr = ours.get(branches[i])
        other = elsewhere.get(entry.key) if pr is None else None
        stranger = foreign.get(branches[i]) if pr is None else None
        try:
            adopted = False
            if stranger is not None and run.adoptable(stranger):
                pr, stranger, adopted = stranger, None, True
            mine = {path: files[path] for path in entry.paths}
            result = run.entry(entry, branches[i], head, mine, pr, other, stranger, adopted)
        except BumperError as exc:
            result = _failed(entry, str(exc), pr.number if pr else None)
        report(i, run.with_behind(run.with_auto_merge(result)))
    return [results[i] for i in range(len(entries)) if i in results]


@dataclass(frozen=True, slots=True)
class _Owned:
    """The open PRs sorted by whose they are."""

    ours: Mapping[str, PullInfo] = field(default_factory=dict)  # per branch: bumper's PR
    foreign: Mapping[str, PullInfo] = field(default_factory=dict)  # per branch: another's
    elsewhere: Mapping[tuple[str, str], PullInfo] = field(default_factory=dict)  # per pin
    open_count: int = 0  # bumper's open PRs (pr.max_open)
    account: str = ""  # the login bumper writes as ("" when no PR could be bumper's)


def _from_bumpers_branch(pr: PullInfo, owner: str, branches: set[str]) -> bool:
    """From bumper's branch for a pin in the push repository, known by its owner: an account
    holds one repository of a fork network, and a renamed target keeps its PRs under the new
    name. A deleted head repository has no owner left to be bumper's."""
    in_push_repo = bool(pr.head_repo) and pr.head_repo.partition("/")[0].lower() == owner.lower()
    return in_push_repo and pr.head_branch in branches


def _could_be_bumpers(pr: PullInfo, owner: str, branches: set[str]) -> bool:
    return _from_bumpers_branch(pr, owner, branches) or prtext.parse_marker(pr.body) is not None


def _sort_pulls(
    candidates: Sequence[PullInfo], owner: str, base: str, branches: set[str], account: str
) -> _Owned:
    """PURE: which of the open PRs that could be bumper's are: per branch, bumper's PR from
    it and a PR from it that another account opened; per pin, bumper's PR from a branch it no
    longer uses (rule 11).

    Anyone who can open a PR can write a marker into its body and name their fork's branch
    like bumper's: a PR is bumper's only when ``account`` (the login bumper writes as) opened
    it, and it comes from bumper's branch in the push repository or carries a marker.
    """
    me = account.lower()
    ours: dict[str, PullInfo] = {}
    foreign: dict[str, PullInfo] = {}
    for pr in candidates:
        if not _from_bumpers_branch(pr, owner, branches):
            continue
        if pr.author.lower() != me:
            foreign.setdefault(pr.head_branch, pr)
            continue
        # A PR from the branch into another base wins: the branch is shared with it then.
        known = ours.get(pr.head_branch)
        if known is None or known.base == base:
            ours[pr.head_branch] = pr
    # A PR bumper opened from a branch it no longer uses (a changed template or fork):
    # it still counts as this pin's one PR.
    elsewhere = {
        marker.key: pr
        for pr in candidates
        if (marker := prtext.parse_marker(pr.body)) is not None
        and pr.author.lower() == me
        and ours.get(pr.head_branch) is not pr
    }
    mine = {pr.number for pr in ours.values()} | {pr.number for pr in elsewhere.values()}
    return _Owned(ours, foreign, elsewhere, len(mine), account)


def _others(
    pulls: Sequence[PullInfo], config: Config, owner: str, branches: set[str], found: _Owned
) -> tuple[PullInfo, ...]:
    """PURE: the open PRs into the base from branches of the target repository that are not
    bumper's (a maintainer's, another tool's): one changing a pin's line keeps bumper from
    opening a second. Forks do not count, so nobody outside can block a pin."""
    target = (config.target.repository or "").lower()
    mine = {pr.number for pr in found.ours.values()} | {p.number for p in found.elsewhere.values()}
    return tuple(
        pr
        for pr in pulls
        if pr.head_repo.lower() == target
        and pr.base == config.target.base
        and pr.number not in mine
        and not _from_bumpers_branch(pr, owner, branches)
    )


def _moved_ranges(
    entries: Sequence[Entry], heads: Mapping[tuple[str, str], Head], files: Mapping[str, FileAtRef]
) -> tuple[tuple[str, str, str], ...]:
    """(repository, pin, new) of each entry whose upstream moved past its pin: the ranges a
    PR body may list the commits of, read together the first time one is needed."""
    found = []
    for entry in entries:
        head = heads.get((entry.repository, entry.branch))
        texts = {path: files[path].text for path in entry.paths if path in files}
        if head is None or any(texts.get(path) is None for path in entry.paths):
            continue
        try:
            pin = pinfiles.value(entry, {path: str(text) for path, text in texts.items()})
        except BumperError:
            continue  # the entry fails on its own, with the reason
        upstream = target_value(head, pin)
        if pin != upstream and is_sha(pin) and is_sha(upstream):
            found.append((head.moved_to or entry.repository, pin, upstream))
    return tuple(found)


def changes_pin_line(patch: str, entry: Entry, value: str) -> bool:
    """PURE: whether a unified diff ``patch`` of one of the entry's files removes the line
    that holds its pin: the line with ``value`` and, where the row names one, its variable or
    its ``match`` text. (A submodule's patch shows ``-Subproject commit <sha>``.)"""
    anchor = {PinBy.VARIABLE: entry.variable, PinBy.MATCH: entry.match or ""}.get(entry.by, "")
    for line in patch.splitlines():
        if not line.startswith("-") or line.startswith("---"):
            continue
        if value in line and anchor in line:
            return True
    return False


def all_by(commits: Sequence[CommitAuthor], identities: Sequence[str], account: str) -> bool:
    """PURE: whether every commit was written by one of ``identities`` (names, emails or
    logins, any case) or by ``account``, bumper's own login (once it took the PR over)."""
    known = {i.lower() for i in identities} | ({account.lower()} if account else set())
    return bool(commits) and all(
        bool({c.name.lower(), c.email.lower(), c.login.lower()} & known) for c in commits
    )


def _unmerged_shas(entry: Entry, bodies: Sequence[str]) -> frozenset[str]:
    """The upstream shas of ``entry``'s PRs that were closed without merging (rule 6), from
    their bodies; a PR bumper closed itself (rule 7) is not one."""
    shas = set()
    for body in bodies:
        marker = prtext.parse_marker(body)
        if marker is not None and not marker.superseded and marker.key == entry.key:
            shas.add(marker.upstream)
    return frozenset(shas)


def _superseded_at(entry: Entry, body: str, head: str) -> bool:
    """Whether ``body`` is of ``entry``'s PR that rule 7 closed at branch head ``head``."""
    marker = prtext.parse_marker(body)
    return (
        marker is not None
        and marker.superseded
        and marker.key == entry.key
        and (marker.commit == head)
    )


def _planned_head(facts: Facts) -> str:
    """The head of the entry's branch the plan was made from: a ref write is conditional on
    it, so a push that came after is never overwritten."""
    if facts.branch_known and facts.branch is not None:
        return facts.branch.head.sha
    if facts.pr is not None:
        return facts.pr.head_sha
    raise ForgeError(f"branch {facts.branch_name}: its head was not read")


def _failed(entry: Entry, message: str, pr: int | None = None) -> Result:
    return Result(entry, Status.FAILED, message=message, pr=pr)


@dataclass(slots=True)
class _Pass:
    config: Config
    forge: Forge
    base: BaseHead
    client: httpx.Client
    token: Secret | None
    dry_run: bool
    limits: Limits
    state: TargetSnapshot | None = None  # what it read of the branches and their closed PRs
    modes: Mapping[str, str] = field(default_factory=dict)  # each base file's git mode
    _signoff: str | None = field(default=None, init=False)
    login: str | None = None  # the login bumper writes as, once read
    _behind: dict[tuple[str, str], int] = field(default_factory=dict, init=False)
    others: tuple[PullInfo, ...] = ()  # open PRs from the target's other branches (rule 15)
    # (repository, pin, new) of the pins whose upstream moved, worked out when first needed
    moved: Callable[[], tuple[tuple[str, str, str], ...]] = tuple
    _listed: Mapping[tuple[str, str, str], Comparison] | None = field(default=None, init=False)
    _patches: dict[int, list[tuple[str, str]]] = field(default_factory=dict, init=False)
    # per entry, why its branch move was refused this pass (it is not tried again)
    _refused: dict[tuple[str, str], str] = field(default_factory=dict, init=False)

    def adoptable(self, pr: PullInfo) -> bool:
        """Whether PR ``pr``, from bumper's branch but opened by another account, is an
        earlier bot's to take over: all its commits by ``pr.adopt_authors`` (or by bumper,
        once it took it over). One listing of its commits, only with adopt_authors set."""
        identities = self.config.pr.adopt_authors
        if not identities:
            return False
        return all_by(self.forge.pull_commits(pr.number), identities, self._account())

    # a comparison a release row's downgrade check made, for the body of the PR it opens
    _compared: dict[tuple[str, str, str], Comparison | None] = field(
        default_factory=dict, init=False
    )
    _closed_read: dict[str, list[PullInfo]] = field(default_factory=dict, init=False)
    _candidates: dict[tuple[str, str], automerge.Candidate] = field(
        default_factory=dict, init=False
    )

    def with_auto_merge(self, result: Result) -> Result:
        """The result after auto-merge had its say on the entry's open PR (automerge.py)."""
        setting = automerge.mode(self.config.pr, result.entry)
        candidate = self._candidates.pop(result.entry.key, None)
        if setting is False or candidate is None or self.dry_run:
            return result
        if result.status not in (Status.BUMPED, Status.UP_TO_DATE):
            return result
        note = automerge.apply(self.forge, setting, candidate)
        return dataclasses.replace(result, message=result.message + note) if note else result

    def _candidate(self, facts: Facts, pr: PullInfo, head: str, *, written: bool) -> None:
        bumpers = written or (facts.marker is not None and facts.marker.commit == head)
        self._candidates[facts.entry.key] = automerge.Candidate(pr, head, written, bumpers)

    def with_behind(self, result: Result) -> Result:
        """The result with how many upstream commits the base's pin lags, where known."""
        if result.old is not None and result.old == result.new:
            behind: int | None = 0
        else:
            behind = self._behind.get(result.entry.key)
        if behind is None or behind == result.behind:
            return result
        return dataclasses.replace(result, behind=behind)

    # -- one entry ------------------------------------------------------------------------
    def entry(
        self,
        entry: Entry,
        branch: str,
        head: Head,
        files: Mapping[str, FileAtRef],
        pr: PullInfo | None,
        elsewhere: PullInfo | None = None,
        foreign: PullInfo | None = None,
        adopted: bool = False,
    ) -> Result:
        if branch == self.config.target.base:
            # The config refuses such a pr.branch; this holds whatever rendered it.
            return _failed(entry, f"PR branch {branch} would be the base branch: set pr.branch")
        texts: dict[str, str] = {}
        for path in entry.paths:
            file = files[path]
            if file.problem is not None or file.text is None:
                return _failed(entry, file.problem or f"{path}: unreadable")
            texts[path] = file.text
        pin = pinfiles.value(entry, texts)  # PinError: the entry fails with the reason
        upstream = target_value(head, pin)  # a release's name or commit, following tags
        past = already_past(head, pin) or self._contains_release(entry, head, pin, upstream, pr)
        if past is not None:
            if pr is None and elsewhere is None:
                return Result(entry, Status.UP_TO_DATE, pin, pin, past)
            upstream = pin  # never a downgrade: an open PR for an older release is stale (rule 7)
        # What the snapshot knows goes in at once: Facts has some thirty fields, and each
        # dataclasses.replace costs as much as building it (~15 ms per replace over 1,000 pins)
        branches = self.state.branches if self.state is not None else {}
        closed = self.state.closed.get(branch) if self.state is not None else None
        facts = Facts(
            entry=entry,
            branch_name=branch,
            base=self.base.sha,
            base_branch=self.config.target.base,
            pin=pin,
            upstream=upstream,
            title=prtext.render_title(self.config.pr, entry, pin, upstream, release=head.tag),
            labels=tuple(self.config.pr.labels),
            limits=self.limits,
            pr=pr,
            marker=prtext.parse_marker(pr.body) if pr else None,
            elsewhere=elsewhere,
            foreign=foreign,
            rebase=self.config.pr.rebase,
            carry=self.config.pr.carry_commits,
            adopted=adopted,
            rivals=None if self.others else (),
            gitlinks=frozenset(p for p in entry.paths if files[p].mode == GITLINK),
            branch_known=branch in branches,
            branch=branches.get(branch),
            closed_unmerged=None if closed is None else _unmerged_shas(entry, closed),
        )
        if self.state is not None and branch in self.state.merged:
            # known for free: decided before the branch is looked at
            undone = self._undone(facts, head)
            if undone is not None:
                return undone
        for _ in range(MAX_ROUNDS):
            if facts.limits is not self.limits:  # an earlier entry opened a PR
                facts = dataclasses.replace(facts, limits=self.limits)
            action = plan(facts)
            if action.do is Do.LOOK_UP_BRANCH:
                facts = dataclasses.replace(
                    facts, branch_known=True, branch=self.forge.branch(branch)
                )
            elif action.do is Do.LOOK_UP_CLOSED:
                facts = dataclasses.replace(facts, closed_unmerged=self._closed_unmerged(facts))
            elif action.do is Do.LOOK_UP_CHANGE:
                facts = self._with_change(facts, texts)
            elif action.do is Do.LOOK_UP_MERGEABLE:
                assert facts.pr is not None
                facts = dataclasses.replace(facts, mergeable=self.forge.mergeable(facts.pr.number))
            elif action.do is Do.LOOK_UP_RIVALS:
                facts = dataclasses.replace(facts, rivals=self._rivals(facts))
            elif entry.key in self._refused and (action.push or action.do is Do.CARRY):
                # one branch write refused per pass: the branch is someone's now, and the
                # next pass plans from what it holds
                why, number = self._refused[entry.key], facts.pr.number if facts.pr else None
                return Result(entry, Status.SKIPPED, facts.pin, facts.upstream, why, pr=number)
            else:
                done = self._apply(action, facts, texts, head)
                if isinstance(done, Result):
                    return done
                # the branch appeared meanwhile (another pass): look again
                facts = done or dataclasses.replace(facts, branch_known=False, branch=None)
        raise ForgeError(f"branch {branch} kept changing under this pass; try again")

    def _with_change(self, facts: Facts, base_texts: Mapping[str, str]) -> Facts:
        """What the branch head changed, the files at its parent, and bumper's login: one
        commit read, plus one batched file read when the head sits on an older base."""
        assert facts.branch is not None
        head = facts.branch.head
        parent, paths = head.parents[0], facts.entry.paths
        texts: Mapping[str, str | None] = base_texts
        if parent != self.base.sha:
            read = self.forge.read_files(parent, list(paths))
            texts = {path: read[path].text for path in paths}
        return dataclasses.replace(
            facts,
            change=self.forge.commit_change(head.sha),
            parent_text=texts[facts.entry.file],
            parent_texts=texts,
            account=self._account(),
        )

    def _rivals(self, facts: Facts) -> tuple[PullInfo, ...]:
        """The open PRs from the target's other branches that change this pin's line: their
        files are read (once per PR and pass) only when bumper is about to open a PR."""
        found = []
        for pr in self.others:
            if pr.number not in self._patches:
                self._patches[pr.number] = self.forge.pull_patches(pr.number)
            patches = self._patches[pr.number]
            if any(
                path in facts.entry.paths and changes_pin_line(patch, facts.entry, facts.pin)
                for path, patch in patches
            ):
                found.append(pr)
        return tuple(found)

    def _account(self) -> str:
        if self.login is None:
            known = self.state.account if self.state is not None else ""
            self.login = known or self.forge.account()
        return self.login

    def _closed_unmerged(self, facts: Facts) -> frozenset[str]:
        closed = self._closed(facts.branch_name)
        return _unmerged_shas(facts.entry, [pr.body for pr in closed if not pr.merged])

    def _closed(self, branch: str) -> list[PullInfo]:
        """The closed PRs from ``branch``, read once per pass (rule 6 and revert memory)."""
        if branch not in self._closed_read:
            self._closed_read[branch] = self.forge.closed_pulls(branch)
        return self._closed_read[branch]

    def _undone(self, facts: Facts, head: Head) -> Result | None:
        """Revert memory (reverts.py): ``skipped`` when this would propose again a sha the
        base undid after bumper's PR for it was merged."""
        undone = reverts.undone(facts.entry, facts.pin, facts.upstream, self._merged(facts))
        if undone is None:
            return None
        note = f"; moved to {head.moved_to}: update the matrix" if head.moved_to else ""
        return Result(
            facts.entry,
            Status.SKIPPED,
            old=facts.pin,
            new=facts.upstream,
            message=undone.reason(facts.pin, facts.base_branch) + note,
        )

    def _merged(self, facts: Facts) -> list[tuple[int, str]]:
        """(number, body) of the merged PRs from the entry's branch: from the snapshot, else
        one listing (see reverts.py for the cost)."""
        if self.state is not None and facts.branch_name in self.state.merged:
            return list(self.state.merged[facts.branch_name])
        closed = self._closed(facts.branch_name)
        return [(pr.number, pr.body) for pr in closed if pr.merged]

    # -- doing it -------------------------------------------------------------------------
    def _apply(
        self, action: Action, facts: Facts, texts: Mapping[str, str], head: Head
    ) -> Result | Facts | None:
        """The entry's Result; None when the branch turned out to exist and needs a look, or
        the facts to plan again from (with the PR opened from that branch meanwhile)."""
        entry = facts.entry
        note = f"; moved to {head.moved_to}: update the matrix" if head.moved_to else ""

        def result(message: str, pr: PullInfo | int | None = action.pr) -> Result:
            number = pr.number if isinstance(pr, PullInfo) else pr
            url = pr.url if isinstance(pr, PullInfo) else (facts.pr.url if facts.pr else None)
            diff = ""
            if self.dry_run and action.do not in (Do.NOTHING, Do.SKIP):
                message = "dry run, nothing written: " + would(message)
                if action.push:
                    after = pinfiles.rewrite(entry, texts, facts.pin, facts.upstream)
                    diff = pinfiles.diff(entry, texts, after, self.modes)
            return Result(
                entry,
                _STATUS[action.do],
                old=facts.pin,
                new=facts.upstream,
                message=message + note,
                pr=number,
                pr_url=url,
                diff=diff,
            )

        if action.do is Do.NOTHING and facts.pr is None and not self.dry_run:
            closed = self._leftover(facts)
            if closed is not None and facts.branch is not None:
                done = f"{action.reason}; PR #{closed.number} was closed by bumper"
                return result(self._tidy(facts, closed, facts.branch.head.sha, done), closed)
        if action.do in (Do.NOTHING, Do.EDIT) and facts.pr is not None:
            self._candidate(facts, facts.pr, facts.pr.head_sha, written=False)
        if action.do in (Do.NOTHING, Do.SKIP) or self.dry_run:
            if action.tell and action.pr is not None and not self.dry_run:
                return result(action.reason + self._tell(facts, action.pr, action.reason))
            return result(action.reason)
        if action.do is Do.CARRY:
            return self._carry(facts, action, texts, head, result)
        if action.do is Do.CLOSE:
            return result(self._close(facts, action))
        if action.do is Do.EDIT:
            assert facts.pr is not None and action.head is not None
            kept = dataclasses.replace(facts, base=action.built_on or facts.base)
            return result(self._edit(kept, facts.pr, action.head, head, action.reason))

        # CREATE or UPDATE: make sure the branch holds the new pin, then the PR says so.
        undone = self._undone(facts, head)
        if undone is not None:
            return undone
        commit = action.head
        moving: str | None = None  # the head the branch moves from, in the PR edit's request
        try:
            if action.push:
                commit = self._commit(facts, texts)
                if action.branch_exists and action.do is Do.UPDATE:
                    moving = _planned_head(facts)
                elif action.branch_exists:
                    self.forge.move_branch(facts.branch_name, commit, expected=_planned_head(facts))
                elif action.do is Do.CREATE:
                    opened = self._open_new(facts, commit, head, action.reason)
                    if isinstance(opened, Facts):
                        return opened
                    self._candidate(facts, opened[1], commit, written=True)
                    return result(*opened)
                elif not self.forge.create_branch(facts.branch_name, commit):
                    return None
            assert commit is not None
            if action.do is Do.UPDATE:
                assert facts.pr is not None
                message = self._edit(facts, facts.pr, commit, head, action.reason, moving=moving)
                self._candidate(facts, facts.pr, commit, written=True)
                return result(message)
        except BranchMoved as exc:
            if moving is None or not exc.head or facts.pr is None:
                return dataclasses.replace(
                    result(str(exc)), status=Status.SKIPPED, message=str(exc)
                )
            # The PR has its text back; what the branch holds now decides (another pass's
            # commit for the same sha: its text is written again, which this edit had
            # overwritten; a person's commit: left alone, no second write)
            self._refused[entry.key] = str(exc)
            pr_now = dataclasses.replace(facts.pr, head_sha=exc.head)
            return dataclasses.replace(facts, pr=pr_now, branch_known=False, branch=None)
        message, pr = self._open(facts, commit, head, action.reason)
        self._candidate(facts, pr, commit, written=True)
        return result(message, pr)

    def _tell(self, facts: Facts, number: int, why: str, tried: str | None = None) -> str:
        """Say on PR ``number``, once per upstream sha, that bumper left it alone; a comment
        that cannot be posted is a note, and the next pass tries again."""
        text = prtext.left_alone_comment(facts.entry, facts.upstream, why, tried)
        try:
            self.forge.comment_once(number, text, prtext.upstream_mark(facts.upstream))
        except ForgeError as exc:
            return f"; could not say so on PR #{number} ({exc})"
        return ""

    def _carry(
        self,
        facts: Facts,
        action: Action,
        texts: Mapping[str, str],
        head: Head,
        result: Callable[[str], Result],
    ) -> Result:
        """Rule 14: bumper's pin commit rebuilt for the new sha on the base, the commits people
        pushed replayed on it, pushed with a lease on the head planned from; then one comment
        (before the marker moves on, so a pass that dies between them still posts it), then
        the marker. Commits that do not apply: nothing is pushed and the PR is told once."""
        pr, entry = facts.pr, facts.entry
        assert pr is not None
        token = self.forge.git_token()
        if token is None:
            raise ForgeError("carrying commits forward needs a token to push with git")
        expected = _planned_head(facts)
        if self.forge.has_comment(pr.number, prtext.tried_mark(facts.upstream, expected)):
            # this very head did not apply onto this sha before: no fetch to learn it again
            why = f"the commits pushed to it do not apply onto {facts.upstream[:12]} (see the PR)"
            skipped = result(f"PR #{pr.number} left alone: {why}")
            return dataclasses.replace(skipped, status=Status.SKIPPED)
        base_url, push_url = self.forge.git_urls()
        after = pinfiles.rewrite(entry, texts, facts.pin, facts.upstream)
        changes = [
            FileChange(path, after[path], self.modes.get(path, REGULAR))
            for path in entry.paths
            if after[path] != texts[path]
        ]
        message = prtext.commit_message(
            self.config.pr, entry, facts.pin, facts.upstream, signoff=self._signoff_identity()
        )
        try:
            identity = self.config.pr.author or self.forge.user_identity()
        except ForgeError as exc:
            # an App's installation token may not read /user
            raise ForgeError(f"carrying commits needs a committer: set pr.author ({exc})") from None
        name, _, email = identity.partition(" <")
        # git in a scratch clone: loaded by the few passes that carry commits, not by all
        from bumper.bump.carry import NotReplayed, carry_forward

        try:
            carried = carry_forward(
                base_url=base_url,
                url=push_url,
                token=token,
                branch=facts.branch_name,
                expected=expected,
                base=self.base.sha,
                base_branch=self.config.target.base,
                entry=entry,
                changes=changes,
                message=message,
                identity=(name, email.rstrip(">")),
            )
        except BranchMoved as exc:
            return dataclasses.replace(result(str(exc)), status=Status.SKIPPED)
        except NotReplayed as exc:
            why = f"the commits pushed to it do not apply: {exc}"
            note = self._tell(facts, pr.number, why, tried=expected)
            skipped = result(f"PR #{pr.number} left alone: {why}{note}")
            return dataclasses.replace(skipped, status=Status.SKIPPED)
        if carried.replayed:
            done = [(c.sha, c.subject) for c in carried.replayed]
            self.forge.comment_once(
                pr.number,
                prtext.carried_comment(entry, facts.upstream, done),
                prtext.carried_mark(facts.upstream),
            )
        return result(self._edit(facts, pr, carried.pin_commit, head, action.reason))

    def _open(self, facts: Facts, commit: str, head: Head, reason: str) -> tuple[str, PullInfo]:
        """A PR from the entry's branch, which holds ``commit`` already."""
        body = self._body(facts, self._marker(facts, commit), head)
        pr, created = self.forge.create_pull(facts.branch_name, facts.title, body)
        return self._opened(facts, pr, created, commit, head, reason, body)

    def _open_new(
        self, facts: Facts, commit: str, head: Head, reason: str
    ) -> tuple[str, PullInfo] | Facts:
        """The branch made at ``commit`` and its PR opened, in one request; the facts to plan
        again from when the branch existed already (a crashed or racing pass, a person),
        with the PR from it where one is open now: never a second PR for the pin."""
        body = self._body(facts, self._marker(facts, commit), head)
        opened = self.forge.open_with_branch(facts.branch_name, commit, facts.title, body)
        if not opened.branch:
            if opened.created:
                self._count_opened()
            again = dataclasses.replace(facts, branch_known=False, branch=None)
            if opened.pr is None:
                return again
            marker = prtext.parse_marker(opened.pr.body)
            return dataclasses.replace(again, pr=opened.pr, marker=marker)
        assert opened.pr is not None
        return self._opened(facts, opened.pr, opened.created, commit, head, reason, body)

    def _opened(
        self,
        facts: Facts,
        pr: PullInfo,
        created: bool,
        commit: str,
        head: Head,
        reason: str,
        body: str,
    ) -> tuple[str, PullInfo]:
        if created:
            self._count_opened()
            labels_note = self._label(pr.number, facts.labels)
            return reason.replace("{pr}", f"#{pr.number}") + labels_note, pr
        # Another pass (or a retried request) opened it first: make it say what we pushed.
        adopted = reason.replace("{pr}", f"#{pr.number}") + " (it was open already: adopted)"
        message = self._edit(facts, pr, commit, head, adopted, body)
        return message, pr

    def _count_opened(self) -> None:
        self.limits = dataclasses.replace(
            self.limits,
            open_now=self.limits.open_now + 1,
            opened_this_pass=self.limits.opened_this_pass + 1,
        )

    def _edit(
        self,
        facts: Facts,
        pr: PullInfo,
        commit: str,
        head: Head,
        reason: str,
        body: str | None = None,
        *,
        moving: str | None = None,
    ) -> str:
        """Bring title, body and labels of ``pr`` up to date; write only what differs.
        ``moving``: the branch moves from that head to ``commit`` in the same request
        (BranchMoved, and the PR unchanged, when it is no longer there)."""
        marker = self._marker(facts, commit)
        title = facts.title if pr.title != facts.title else None
        if prtext.parse_marker(pr.body) == marker:
            body = None
        elif facts.adopted and prtext.parse_marker(pr.body) is None:
            body = body or self._body(facts, marker, head)  # the earlier bot's text goes
        else:
            body = prtext.keep_notes(pr.body, body or self._body(facts, marker, head))
        if moving is not None:
            self.forge.move_and_edit(
                facts.branch_name, commit, expected=moving, pr=pr, title=title, body=body
            )
        else:
            self.forge.edit_pull(pr.number, title=title, body=body)
        missing = [label for label in facts.labels if label not in pr.labels]
        return reason + self._label(pr.number, missing)

    def _label(self, number: int, labels: Sequence[str]) -> str:
        if not labels:
            return ""
        try:
            self.forge.add_labels(number, labels)
        except ForgeError as exc:
            # The PR is what matters; a label the token may not set is worth a note, not a failure.
            return f"; labels not set ({exc})"
        return ""

    def _close(self, facts: Facts, action: Action) -> str:
        """Rule 7: close first (so no comment ever stands on a PR left open), then _tidy."""
        pr, head = facts.pr, _planned_head(facts)
        assert pr is not None
        known = facts.marker if facts.marker and facts.marker.key == facts.entry.key else None
        # The head it is closed at goes in the marker: a later pass finishes from it.
        marker = dataclasses.replace(
            known or self._marker(facts, head), superseded=True, commit=head
        )
        self.forge.close_pull(pr.number, body=prtext.replace_marker(pr.body, marker))
        self.limits = dataclasses.replace(self.limits, open_now=self.limits.open_now - 1)
        return self._tidy(facts, pr, head, action.reason)

    def _tidy(self, facts: Facts, pr: PullInfo, head: str, done: str) -> str:
        """After PR ``pr`` was closed under rule 7 at branch head ``head``: bumper's one
        comment, then the branch deleted if it is still at ``head``.

        The branch is deleted only once the comment is there: a branch still at ``head`` is
        what tells a later pass (_leftover) to finish, at no cost to a pass where nothing
        changed.
        """
        mark = prtext.closed_mark(head)
        comment = (
            f"`{facts.entry.variable}` in `{facts.entry.file}` is already `{facts.upstream}`"
            f" on `{pr.base}`, so this PR is no longer needed. Closed by bumper, which deletes"
            f" its branch `{facts.branch_name}` unless someone has pushed to it.\n\n{mark}\n"
        )
        try:
            self.forge.comment_once(pr.number, comment, mark)
            self.forge.delete_branch(facts.branch_name, expected=head)
        except BranchMoved:
            return f"{done}; its branch {facts.branch_name}: {MOVED}"
        except ForgeError as exc:
            raise ForgeError(f"{done}, but {exc}; the next pass finishes it") from None
        return f"{done} and deleted its branch"

    def _leftover(self, facts: Facts) -> PullInfo | None:
        """The PR rule 7 closed whose branch is still at the head it was closed at (its
        comment or branch delete failed); known from the snapshot, so looking costs nothing."""
        if self.state is None or facts.branch is None:
            return None
        head = facts.branch.head.sha
        bodies = self.state.closed.get(facts.branch_name, ())
        if not any(_superseded_at(facts.entry, body, head) for body in bodies):
            return None
        closed = self.forge.closed_pulls(facts.branch_name)
        return next(
            (pr for pr in closed if not pr.merged and _superseded_at(facts.entry, pr.body, head)),
            None,
        )

    # -- what gets written ----------------------------------------------------------------
    def _commit(self, facts: Facts, texts: Mapping[str, str]) -> str:
        """One commit setting the pin in every file of the entry (a gitlink as a gitlink)."""
        entry = facts.entry
        after = pinfiles.rewrite(entry, texts, facts.pin, facts.upstream)
        message = prtext.commit_message(
            self.config.pr, entry, facts.pin, facts.upstream, signoff=self._signoff_identity()
        )
        changes = [
            # each file keeps its mode: an executable debian/rules stays one
            FileChange(path, after[path], self.modes.get(path, REGULAR))
            for path in entry.paths
            if after[path] != texts[path]
        ]
        return self.forge.commit_files(self.base, changes, message)

    def _signoff_identity(self) -> str | None:
        if not self.config.pr.signoff:
            return None
        if self._signoff is None:
            try:
                self._signoff = self.config.pr.author or self.forge.user_identity()
            except ForgeError as exc:
                raise ForgeError(f"pr.signoff needs a name: set pr.author ({exc})") from None
        return self._signoff

    def _marker(self, facts: Facts, commit: str) -> Marker:
        entry = facts.entry
        return Marker(
            file=entry.file,
            variable=entry.variable,
            repository=entry.repository,
            upstream=facts.upstream,
            old=facts.pin,
            base=facts.base,
            commit=commit,
        )

    def _compare(self, repository: str, old: str, new: str, *, keep: bool) -> Comparison | None:
        """The upstream comparison of two commits; ``keep``: for the PR body that follows."""
        key = (repository, old, new)
        if key in self._compared:
            return self._compared.pop(key)
        if not keep:
            listed = self._ranges().get(key)
            if listed is not None:
                return listed
        found = compare(
            repository,
            old,
            new,
            client=self.client,
            github=self.config.github,
            token=self.token,
            limit=self.config.pr.max_commits_listed,
        )
        if keep:
            self._compared[key] = found
        return found

    def _ranges(self) -> Mapping[tuple[str, str, str], Comparison]:
        """The commit lists of every moved pin's range, read in one batched GraphQL query
        per 50 the first time a PR body needs one (so a pass that writes no PR reads none,
        and does not even work out which pins moved); a range it cannot give is compared on
        its own."""
        if self._listed is None:
            self._listed = {}
            if self.token is not None:
                self._listed = commit_ranges(
                    self.moved(),
                    client=self.client,
                    github=self.config.github,
                    token=self.token,
                    limit=self.config.pr.max_commits_listed,
                )
        return self._listed

    def _contains_release(
        self, entry: Entry, head: Head, pin: str, upstream: str, pr: PullInfo | None
    ) -> str | None:
        """Why a sha pin following tags is left alone although it is not the release's
        commit: it already contains that commit (a later, untagged commit), so moving it would
        be a downgrade. Asked only before a PR carries the release, so a pass where nothing
        changed spends nothing on it."""
        if head.tag is None or not is_sha(pin) or pin == upstream:
            return None
        marker = prtext.parse_marker(pr.body) if pr is not None else None
        if marker is not None and marker.upstream == upstream:
            return None
        comparison = self._compare(head.moved_to or entry.repository, pin, upstream, keep=True)
        if comparison is None or comparison.ahead_by != 0:
            return None
        return (
            f"the pin {pin[:12]} already contains {head.tag} ({upstream[:12]}), newer than"
            " every matching tag; left as it is"
        )

    def _body(self, facts: Facts, marker: Marker, head: Head) -> str:
        repository = head.moved_to or facts.entry.repository
        github = self.config.github
        comparison = self._compare(repository, facts.pin, facts.upstream, keep=False)
        if comparison is not None and comparison.complete:
            self._behind[facts.entry.key] = comparison.ahead_by
        return prtext.render_body(
            self.config.pr,
            facts.entry,
            marker,
            compare_url=compare_url(repository, self.config.github, facts.pin, facts.upstream),
            commits=[UpstreamCommit(c.sha, c.title) for c in comparison.commits]
            if comparison
            else None,
            ahead_by=comparison.ahead_by if comparison else None,
            release=head.tag,
            release_url=release_url(repository, github, head.tag) if head.tag else None,
            note=head.note,
            more=comparison is not None and not comparison.complete,
        )
