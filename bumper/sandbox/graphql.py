"""GitHub's GraphQL API, the part used to read many branch heads and files in one request.

Why hand-written rather than graphql-core: the sandbox needs a dozen object types, not a
schema language; GitHub's own error shapes (NOT_FOUND with a path, undefinedField) are
easier to produce directly; and the sandbox stays free of a dependency bumper itself
does not use. The parser lives in gql_parse.py; this module resolves a parsed query
against the store. Every repository in a query is read through one ``git cat-file
--batch`` process, however many aliases and fields ask about it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bumper.sandbox import automerge, rest_pulls
from bumper.sandbox import gitdata as g
from bumper.sandbox.gql_mutations import (
    MutationError,
    create_pull_request,
    error_entry,
    update_pull_request,
    update_refs,
)
from bumper.sandbox.gql_parse import (
    Directive,
    Document,
    EnumValue,
    Field,
    FragmentSpread,
    GraphQLSyntaxError,
    InlineFragment,
    Operation,
    Selection,
    Var,
    parse,
)
from bumper.sandbox.http import Request, Response, error, json_response
from bumper.sandbox.pull_views import mergeable as pull_mergeable
from bumper.sandbox.pull_views import read_views
from bumper.sandbox.pulls import Label as LabelData
from bumper.sandbox.pulls import tracker
from bumper.sandbox.shapes import USER, PullView, Urls, iso, node_id, stable_id
from bumper.sandbox.statuses import rollup_state
from bumper.sandbox.statuses import statuses as commit_statuses
from bumper.sandbox.store import RepoInfo, Store

RATE_LIMIT = 5000
MAX_PAGE = 100  # GitHub refuses first/last above this on every connection
_REF_NAME = re.compile(r"\A[^\x00-\x20\x7f~^:?*\[\\]+\Z")
_OID = re.compile(r"\A[0-9a-f]{40}\Z|\A[0-9a-f]{64}\Z")
RateStatus = Callable[[], Mapping[str, int]]
_BINARY_SNIFF = 8000  # bytes git and linguist look at for a NUL


class QueryError(Exception):
    """An error that ends the whole query (GitHub answers it without ``data``)."""

    def __init__(self, message: str, where: Field | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.entry: dict[str, Any] = {"message": message, **extra}
        if where is not None:
            self.entry["locations"] = [{"line": where.line, "column": where.column}]


class UnknownField(QueryError):
    pass


@dataclass
class Context:
    store: Store
    urls: Urls
    document: Document
    variables: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    readers: dict[str, g.ObjectReader] = field(default_factory=dict)
    rate_status: RateStatus | None = None
    login: str | None = None  # who asks: a mutation's pull request is theirs
    # branch heads per repository, read once per query however many aliases ask
    branch_heads: dict[str, dict[str, str]] = field(default_factory=dict)

    def reader(self, info: RepoInfo) -> g.ObjectReader:
        found = self.readers.get(info.full_name)
        if found is None:
            found = self.readers[info.full_name] = g.ObjectReader(self.store, info.full_name)
        return found

    def close(self) -> None:
        for reader in self.readers.values():
            reader.close()
        self.readers.clear()


# -- the object types ------------------------------------------------------------------


class Node:
    """A GraphQL object: its type names and a resolver per field."""

    typename = "Node"
    interfaces: tuple[str, ...] = ()

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def is_a(self, type_name: str) -> bool:
        return type_name == self.typename or type_name in self.interfaces

    def resolve(self, name: str, args: dict[str, Any], where: Field, path: list[Any]) -> Any:
        method: Callable[..., Any] | None = getattr(self, f"f_{name}", None)
        if method is None:
            raise UnknownField(
                f"Field '{name}' doesn't exist on type '{self.typename}'",
                where,
                path=path,
                extensions={"code": "undefinedField", "typeName": self.typename, "fieldName": name},
            )
        return method(args, where, path)


class Plain(Node):
    """An object of fixed scalar fields (git actors, page info, rate limits)."""

    def __init__(self, ctx: Context, typename: str, values: dict[str, Any]) -> None:
        super().__init__(ctx)
        self.typename = typename
        self.values = values

    def resolve(self, name: str, args: dict[str, Any], where: Field, path: list[Any]) -> Any:
        if name not in self.values:
            return super().resolve(name, args, where, path)
        return self.values[name]


def _actor(ctx: Context, person: g.Person) -> Plain:
    return Plain(ctx, "GitActor", {"name": person.name, "email": person.email, "date": person.date})


class Owner(Node):
    interfaces = ("RepositoryOwner", "Actor", "Node")

    def __init__(self, ctx: Context, login: str) -> None:
        super().__init__(ctx)
        # GitHub's GraphQL names an App's bot ``slug`` (a Bot), where REST says ``slug[bot]``
        bot = login.endswith("[bot]")
        self.account = login  # ids are REST's, which knows the bot as slug[bot]
        self.login = login.removesuffix("[bot]")
        self.typename = "User" if login.lower() == USER else "Bot" if bot else "Organization"

    def f_login(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.login

    def f_id(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return node_id(self.typename, stable_id(self.typename, self.account))

    def f_databaseId(self, args: dict[str, Any], where: Field, path: list[Any]) -> int:
        return stable_id(self.typename, self.account)

    def f_url(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return f"{self.ctx.urls.base}/{self.login}"

    def f_name(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.login


class GitObject(Node):
    interfaces = ("GitObject", "Node")

    def __init__(self, ctx: Context, repo: RepoInfo, obj: g.GitObject) -> None:
        super().__init__(ctx)
        self.repo = repo
        self.obj = obj
        self.typename = {"commit": "Commit", "blob": "Blob", "tree": "Tree", "tag": "Tag"}[obj.type]

    @classmethod
    def of(cls, ctx: Context, repo: RepoInfo, obj: g.GitObject | None) -> GitObject | None:
        if obj is None:
            return None
        kinds: dict[str, type[GitObject]] = {
            "commit": Commit,
            "blob": Blob,
            "tree": Tree,
            "tag": Tag,
        }
        return kinds[obj.type](ctx, repo, obj)

    def f_oid(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.obj.sha

    def f_abbreviatedOid(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.obj.sha[:7]

    def f_id(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return node_id(self.typename, self.obj.sha)

    def f_commitResourcePath(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return f"/{self.repo.full_name}/commit/{self.obj.sha}"

    def f_commitUrl(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return f"{self.ctx.urls.html(self.repo.full_name)}/commit/{self.obj.sha}"

    def f_repository(self, args: dict[str, Any], where: Field, path: list[Any]) -> Repository:
        return Repository(self.ctx, self.repo)


class Commit(GitObject):
    @cached_property
    def info(self) -> g.CommitInfo:
        return g.parse_commit(self.obj.sha, self.obj.data)

    def f_message(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.info.message.rstrip("\n")

    def f_messageHeadline(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.info.message.split("\n", 1)[0]

    def f_messageBody(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.info.message.partition("\n")[2].strip("\n")

    def f_committedDate(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.info.committer.date

    def f_authoredDate(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.info.author.date

    def f_pushedDate(self, args: dict[str, Any], where: Field, path: list[Any]) -> None:
        return None

    def f_author(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain:
        return _actor(self.ctx, self.info.author)

    def f_committer(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain:
        return _actor(self.ctx, self.info.committer)

    def f_url(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.f_commitUrl(args, where, path)

    def f_tree(self, args: dict[str, Any], where: Field, path: list[Any]) -> GitObject | None:
        return GitObject.of(self.ctx, self.repo, self.ctx.reader(self.repo).get(self.info.tree))

    def f_parents(self, args: dict[str, Any], where: Field, path: list[Any]) -> Connection:
        reader = self.ctx.reader(self.repo)
        parents = [GitObject.of(self.ctx, self.repo, reader.get(p)) for p in self.info.parents]
        return Connection(self.ctx, "CommitConnection", [p for p in parents if p], args)

    def f_history(self, args: dict[str, Any], where: Field, path: list[Any]) -> Connection:
        return _History(self.ctx, self.repo, self.obj.sha, args, where, path)

    def f_statusCheckRollup(
        self, args: dict[str, Any], where: Field, path: list[Any]
    ) -> Plain | None:
        latest = commit_statuses(self.ctx.store).latest(self.repo.id, self.obj.sha)
        state = rollup_state(latest)
        if state is None:
            return None
        values = {"state": state, "id": node_id("StatusCheckRollup", self.obj.sha)}
        return Plain(self.ctx, "StatusCheckRollup", values)

    def f_file(self, args: dict[str, Any], where: Field, path: list[Any]) -> _TreeEntry | None:
        """The tree entry at ``path`` in this commit: everything read from one commit."""
        wanted = _required(args, "path", str, where)
        parts = wanted.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        reader = self.ctx.reader(self.repo)
        tree = reader.get(self.info.tree)
        for depth, part in enumerate(parts):
            if tree is None or tree.type != "tree":
                return None
            found = reader.tree_entry(tree, part)
            if found is None:
                return None
            mode, sha = found
            if depth == len(parts) - 1:
                values = {
                    "name": part,
                    "path": wanted,
                    "mode": int(mode, 8),
                    "type": g.TREE_MODES.get(mode, "blob"),
                    "oid": sha,
                    "isGenerated": False,
                }
                return _TreeEntry(self.ctx, self.repo, sha, values, reader)
            tree = reader.get(sha)
        return None


class Blob(GitObject):
    @property
    def binary(self) -> bool:
        return b"\x00" in self.obj.data[:_BINARY_SNIFF]

    def f_byteSize(self, args: dict[str, Any], where: Field, path: list[Any]) -> int:
        return len(self.obj.data)

    def f_isBinary(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return self.binary

    def f_isTruncated(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return False

    def f_text(self, args: dict[str, Any], where: Field, path: list[Any]) -> str | None:
        return None if self.binary else self.obj.data.decode("utf-8", errors="replace")


class Tree(GitObject):
    def f_entries(self, args: dict[str, Any], where: Field, path: list[Any]) -> list[Plain]:
        reader = self.ctx.reader(self.repo)
        entries: list[Plain] = []
        for mode, name, sha in g.parse_tree(self.obj.data):
            kind = g.TREE_MODES.get(mode, "blob")
            entries.append(
                _TreeEntry(
                    self.ctx,
                    self.repo,
                    sha,
                    {
                        "name": name,
                        "path": name,
                        "mode": int(mode, 8),
                        "type": kind,
                        "oid": sha,
                        "isGenerated": False,
                    },
                    reader,
                )
            )
        return entries


class _TreeEntry(Plain):
    def __init__(
        self, ctx: Context, repo: RepoInfo, sha: str, values: dict[str, Any], reader: g.ObjectReader
    ) -> None:
        super().__init__(ctx, "TreeEntry", values)
        self.repo, self.sha, self.reader = repo, sha, reader

    def f_object(self, args: dict[str, Any], where: Field, path: list[Any]) -> GitObject | None:
        return GitObject.of(self.ctx, self.repo, self.reader.get(self.sha))


class Tag(GitObject):
    def _header(self, key: str) -> str:
        for line in self.obj.data.decode(errors="replace").split("\n\n", 1)[0].splitlines():
            if line.startswith(f"{key} "):
                return line[len(key) + 1 :]
        return ""

    def f_name(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self._header("tag")

    def f_message(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.obj.data.decode(errors="replace").partition("\n\n")[2]

    def f_target(self, args: dict[str, Any], where: Field, path: list[Any]) -> GitObject | None:
        return GitObject.of(
            self.ctx, self.repo, self.ctx.reader(self.repo).get(self._header("object"))
        )

    def f_tagger(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain | None:
        line = self._header("tagger")
        if not line:
            return None
        return _actor(self.ctx, g.parse_commit("", f"author {line}\n\n".encode()).author)


class Ref(Node):
    typename = "Ref"
    interfaces = ("Node",)

    def __init__(self, ctx: Context, repo: RepoInfo, name: str, obj: g.GitObject) -> None:
        super().__init__(ctx)
        self.repo, self.name, self.obj = repo, name, obj

    def f_name(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        for prefix in ("refs/heads/", "refs/tags/"):
            if self.name.startswith(prefix):
                return self.name[len(prefix) :]
        return self.name.rsplit("/", 1)[-1]

    def f_prefix(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        short = self.f_name(args, where, path)
        return self.name[: -len(short)]

    def f_id(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return node_id("Ref", f"{self.repo.id}:{self.name}")

    def f_target(self, args: dict[str, Any], where: Field, path: list[Any]) -> GitObject | None:
        return GitObject.of(self.ctx, self.repo, self.obj)

    def f_repository(self, args: dict[str, Any], where: Field, path: list[Any]) -> Repository:
        return Repository(self.ctx, self.repo)

    def f_compare(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain | None:
        """This ref as the base, ``headRef`` (a ref or sha) as the head; null when the head
        names no commit here."""
        wanted = _required(args, "headRef", str, where)
        store, full = self.ctx.store, self.repo.full_name
        base = g.resolve(store, full, self.name)
        head = g.resolve(store, full, wanted)
        if base is None or head is None or g.merge_base(store, full, base, head) is None:
            return None
        ahead = g.count(store, full, [f"{base}..{head}"])
        behind = g.count(store, full, [f"{head}..{base}"])
        status = (
            "IDENTICAL"
            if ahead == behind == 0
            else "AHEAD"
            if behind == 0
            else "BEHIND"
            if ahead == 0
            else "DIVERGED"
        )
        values = {"status": status, "aheadBy": ahead, "behindBy": behind}
        return Plain(self.ctx, "Comparison", values)


class Connection(Node):
    """A list field with first/last/after paging (cursors are positions)."""

    interfaces = ()

    def __init__(self, ctx: Context, typename: str, items: list[Any], args: dict[str, Any]) -> None:
        super().__init__(ctx)
        self.typename = typename
        self.total = len(items)
        start = int(args["after"]) + 1 if str(args.get("after") or "").isdigit() else 0
        first = args.get("first")
        last = args.get("last")
        end = len(items) if first is None else min(len(items), start + max(int(first), 0))
        if last is not None:
            start = max(start, end - max(int(last), 0))
        self.start, self.end = start, end
        self.items = items[start:end]

    def f_nodes(self, args: dict[str, Any], where: Field, path: list[Any]) -> list[Any]:
        return self.items

    def f_edges(self, args: dict[str, Any], where: Field, path: list[Any]) -> list[Plain]:
        edge = self.typename.removesuffix("Connection") + "Edge"
        return [
            Plain(self.ctx, edge, {"node": item, "cursor": str(self.start + n)})
            for n, item in enumerate(self.items)
        ]

    def f_totalCount(self, args: dict[str, Any], where: Field, path: list[Any]) -> int:
        return self.total

    def f_pageInfo(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain:
        return Plain(
            self.ctx,
            "PageInfo",
            {
                "hasNextPage": self.end < self.total,
                "hasPreviousPage": self.start > 0,
                "startCursor": str(self.start) if self.items else None,
                "endCursor": str(self.end - 1) if self.items else None,
            },
        )


class _History(Connection):
    """``Commit.history``: the commits reachable from one commit in ``git log`` order (all
    parents), read a page at a time rather than the whole history."""

    def __init__(
        self,
        ctx: Context,
        repo: RepoInfo,
        sha: str,
        args: dict[str, Any],
        where: Field,
        path: list[Any],
    ) -> None:
        Node.__init__(self, ctx)
        self.typename = "CommitHistoryConnection"
        first = args.get("first")
        if first is None:
            raise QueryError(
                "You must provide a `first` or `last` value to properly paginate the "
                "`history` connection.",
                where,
                path=path,
            )
        if int(first) > MAX_PAGE or int(first) < 0:
            raise QueryError(
                f"Requesting {first} records on the `history` connection exceeds the "
                f"`first` limit of {MAX_PAGE} records.",
                where,
                path=path,
            )
        after = str(args.get("after") or "")
        start = int(after) + 1 if after.isdigit() else 0
        self.repo, self.sha, self.start = repo, sha, start
        self.filters = [f"--{name}={args[name]}" for name in ("since", "until") if args.get(name)]
        shas = (
            g.run(
                ctx.store,
                repo.full_name,
                "rev-list",
                f"--skip={start}",
                f"--max-count={int(first) + 1}",
                *self.filters,
                sha,
                "--",
            )[1]
            .decode()
            .split()
        )
        self.more = len(shas) > int(first)
        reader = ctx.reader(repo)
        found = [GitObject.of(ctx, repo, reader.get(s)) for s in shas[: int(first)]]
        self.items = [c for c in found if c is not None]
        self.end = start + len(self.items)

    def f_totalCount(self, args: dict[str, Any], where: Field, path: list[Any]) -> int:
        return g.count(self.ctx.store, self.repo.full_name, [*self.filters, self.sha])

    def f_pageInfo(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain:
        return Plain(
            self.ctx,
            "PageInfo",
            {
                "hasNextPage": self.more,
                "hasPreviousPage": self.start > 0,
                "startCursor": str(self.start) if self.items else None,
                "endCursor": str(self.end - 1) if self.items else None,
            },
        )


class Repository(Node):
    typename = "Repository"
    interfaces = ("Node", "RepositoryInfo")

    def __init__(self, ctx: Context, info: RepoInfo) -> None:
        super().__init__(ctx)
        self.info = info

    @property
    def reader(self) -> g.ObjectReader:
        return self.ctx.reader(self.info)

    def f_id(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return node_id("Repository", self.info.id)

    def f_databaseId(self, args: dict[str, Any], where: Field, path: list[Any]) -> int:
        return self.info.id

    def f_name(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.info.name

    def f_nameWithOwner(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.info.full_name

    def f_owner(self, args: dict[str, Any], where: Field, path: list[Any]) -> Owner:
        return Owner(self.ctx, self.info.owner)

    def f_url(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.ctx.urls.html(self.info.full_name)

    def f_description(self, args: dict[str, Any], where: Field, path: list[Any]) -> str | None:
        return self.info.description or None

    def f_isFork(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return self.info.fork_of is not None

    def f_pullRequest(
        self, args: dict[str, Any], where: Field, path: list[Any]
    ) -> PullRequest | None:
        number = _required(args, "number", int, where)
        board = tracker(self.ctx.store).board(self.info.id)
        pull = board.pulls.get(number)
        if pull is None:
            self.ctx.errors.append(
                {
                    "type": "NOT_FOUND",
                    "path": path,
                    "locations": [{"line": where.line, "column": where.column}],
                    "message": f"Could not resolve to a PullRequest with the number of {number}.",
                }
            )
            return None
        view = read_views(self.ctx.store, tracker(self.ctx.store), self.info, board, [pull])[0]
        return PullRequest(self.ctx, view)

    def f_isArchived(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return False

    def f_isPrivate(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return False

    def f_visibility(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return "PUBLIC"

    def f_createdAt(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.info.created_at))

    def f_isEmpty(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return g.is_empty(self.ctx.store, self.info.full_name)

    def f_parent(self, args: dict[str, Any], where: Field, path: list[Any]) -> Repository | None:
        parent = self.info.fork_of
        if parent and self.ctx.store.exists(parent):
            return Repository(self.ctx, self.ctx.store.info(parent))
        return None

    def _ref(self, name: str) -> Ref | None:
        obj = self.reader.get(name)
        return Ref(self.ctx, self.info, name, obj) if obj is not None else None

    def f_defaultBranchRef(self, args: dict[str, Any], where: Field, path: list[Any]) -> Ref | None:
        return self._ref(f"refs/heads/{self.info.default_branch}")

    def f_ref(self, args: dict[str, Any], where: Field, path: list[Any]) -> Ref | None:
        name = _required(args, "qualifiedName", str, where)
        if not _REF_NAME.match(name) or ".." in name or "@{" in name:
            return None  # not a ref name: "main:file" must not read a file through ref()
        if name.startswith("refs/"):
            return self._ref(name) if name.count("/") >= 2 else None
        return self._ref(f"refs/heads/{name}") or self._ref(f"refs/tags/{name}")

    def f_refs(self, args: dict[str, Any], where: Field, path: list[Any]) -> Connection:
        prefix = _required(args, "refPrefix", str, where)
        if not prefix.startswith("refs/") or not prefix.endswith("/"):
            raise QueryError("refPrefix must start with refs/ and end with /", where, path=path)
        query = str(args.get("query") or "")
        rows = g.refs_with_types(self.ctx.store, self.info.full_name, [prefix])
        order = args.get("orderBy") or {}
        field_name = str(order.get("field") or "ALPHABETICAL")
        if field_name not in ("ALPHABETICAL", "TAG_COMMIT_DATE"):
            raise QueryError(
                f"Argument 'orderBy' on Field '{where.name}' has an invalid value", where, path=path
            )
        rows.sort(key=lambda row: row[0])  # for-each-ref's order: by name
        if field_name == "TAG_COMMIT_DATE" and prefix == "refs/tags/":
            # the underlying commit's date, as GitHub does; refs without one come last
            dates = g.ref_commit_dates(self.ctx.store, self.info.full_name, [prefix])
            rows.sort(key=lambda row: dates.get(row[0], -1))
        if str(order.get("direction") or "ASC") == "DESC":
            rows.reverse()
        refs = []
        for name, sha, kind in rows:
            if query and query not in name[len(prefix) :]:
                continue
            short_ref = Ref(self.ctx, self.info, name, g.GitObject(sha, kind, b""))
            refs.append(_LazyRef(short_ref))
        return Connection(self.ctx, "RefConnection", refs, args)

    def f_pullRequests(
        self, args: dict[str, Any], where: Field, path: list[Any]
    ) -> PullRequestConnection:
        states = args.get("states")
        if isinstance(states, str):  # a single value where a list is expected is coerced
            states = [states]
        wanted = {str(s).lower() for s in states} if states else None
        base, head = args.get("baseRefName"), args.get("headRefName")
        board = tracker(self.ctx.store).board(self.info.id)
        # Branch names never change on a PR: filter by them before reading heads from git.
        candidates = [
            p
            for p in board.pulls.values()
            if (base is None or p.base_ref == base) and (head is None or p.head_ref == head)
        ]
        # bumper asks "any PR from this branch?" for every pin; mostly none is, and then
        # there are no heads to read
        views = (
            read_views(
                self.ctx.store,
                tracker(self.ctx.store),
                self.info,
                board,
                candidates,
                self.ctx.branch_heads,
            )
            if candidates
            else []
        )
        picked = [v for v in views if wanted is None or _pull_state(v).lower() in wanted]
        order = args.get("orderBy") or {}
        field_name = str(order.get("field") or "CREATED_AT")
        if field_name not in _PULL_ORDER:
            raise QueryError(
                f"Argument 'orderBy' on Field '{where.name}' has an invalid value", where, path=path
            )
        descending = str(order.get("direction") or "ASC") == "DESC"
        return PullRequestConnection(self.ctx, picked, field_name, descending, args, where, path)

    def f_object(self, args: dict[str, Any], where: Field, path: list[Any]) -> GitObject | None:
        expression = args.get("expression")
        oid = args.get("oid")
        if isinstance(expression, str):
            name = expression
        elif isinstance(oid, str):
            if not _OID.match(oid):
                return None
            name = oid
        else:
            raise QueryError("object needs an expression or an oid", where, path=path)
        return GitObject.of(self.ctx, self.info, self.reader.get(name))


# -- pull requests ---------------------------------------------------------------------


def _pull_state(view: PullView) -> str:
    if view.pull.merged_at is not None:
        return "MERGED"
    return "OPEN" if view.pull.state == "open" else "CLOSED"


_PULL_ORDER: dict[str, Callable[[PullView], float]] = {
    "CREATED_AT": lambda v: v.pull.created_at,
    "UPDATED_AT": lambda v: v.pull.updated_at,
}


def _page_size(
    args: dict[str, Any], where: Field, path: list[Any]
) -> tuple[int | None, int | None]:
    """(first, last) as GitHub checks them: one is required, neither above MAX_PAGE."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise QueryError(
            f"You must provide a `first` or `last` value to properly paginate the "
            f"`{where.name}` connection.",
            where,
            path=path,
            type="MISSING_PAGINATION_BOUNDARIES",
        )
    for name, value in (("first", first), ("last", last)):
        if value is not None and (not isinstance(value, int) or not 0 <= value <= MAX_PAGE):
            raise QueryError(
                f"Requesting {value} records on the `{where.name}` connection exceeds the "
                f"`{name}` limit of {MAX_PAGE} records.",
                where,
                path=path,
                type="EXCESSIVE_PAGINATION",
            )
    return first, last


def _cursor(key: float, number: int) -> str:
    return base64.b64encode(json.dumps(["pr", key, number]).encode()).decode()


def _decode_cursor(
    value: Any, name: str, where: Field, path: list[Any]
) -> tuple[float, int] | None:
    if value is None:
        return None
    try:
        kind, key, number = json.loads(base64.b64decode(str(value), validate=True))
        if kind != "pr":
            raise ValueError(kind)
        return float(key), int(number)
    except (ValueError, TypeError, binascii.Error):
        raise QueryError(
            f"`{name}` does not appear to be a valid cursor.", where, path=path
        ) from None


class PullRequestConnection(Node):
    """Open and closed pull requests, paged by keyset cursors (sort key and number).

    A cursor names a position in the order, not an index: a pull request closed between two
    pages does not make the next page skip one, as GitHub's cursors do not.
    """

    typename = "PullRequestConnection"

    def __init__(
        self,
        ctx: Context,
        views: list[PullView],
        order: str,
        descending: bool,
        args: dict[str, Any],
        where: Field,
        path: list[Any],
    ) -> None:
        super().__init__(ctx)
        first, last = _page_size(args, where, path)
        key = _PULL_ORDER[order]
        ordered = sorted(views, key=lambda v: (key(v), v.pull.number), reverse=descending)
        self.total = len(ordered)
        self.keys = [(key(v), v.pull.number) for v in ordered]
        after = _decode_cursor(args.get("after"), "after", where, path)
        before = _decode_cursor(args.get("before"), "before", where, path)

        def beyond(k: tuple[float, int], mark: tuple[float, int]) -> bool:
            return k < mark if descending else k > mark

        start = 0 if after is None else sum(1 for k in self.keys if not beyond(k, after))
        end = len(ordered) if before is None else sum(1 for k in self.keys if beyond(before, k))
        end = max(start, end)
        if first is not None:
            end = min(end, start + first)
        if last is not None:
            start = max(start, end - last)
        self.start, self.end = start, end
        self.items = ordered[start:end]

    def _nodes(self) -> list[PullRequest]:
        return [PullRequest(self.ctx, view) for view in self.items]

    def f_nodes(self, args: dict[str, Any], where: Field, path: list[Any]) -> list[PullRequest]:
        return self._nodes()

    def f_edges(self, args: dict[str, Any], where: Field, path: list[Any]) -> list[Plain]:
        return [
            Plain(self.ctx, "PullRequestEdge", {"node": node, "cursor": _cursor(*k)})
            for node, k in zip(self._nodes(), self.keys[self.start : self.end], strict=True)
        ]

    def f_totalCount(self, args: dict[str, Any], where: Field, path: list[Any]) -> int:
        return self.total

    def f_pageInfo(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain:
        shown = self.keys[self.start : self.end]
        return Plain(
            self.ctx,
            "PageInfo",
            {
                "hasNextPage": self.end < self.total,
                "hasPreviousPage": self.start > 0,
                "startCursor": _cursor(*shown[0]) if shown else None,
                "endCursor": _cursor(*shown[-1]) if shown else None,
            },
        )


class LabelNode(Node):
    typename = "Label"
    interfaces = ("Node",)

    def __init__(self, ctx: Context, repo: RepoInfo, label: LabelData) -> None:
        super().__init__(ctx)
        self.repo, self.label = repo, label

    def f_id(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return node_id("Label", self.label.id)

    def f_name(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.label.name

    def f_color(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.label.color

    def f_description(self, args: dict[str, Any], where: Field, path: list[Any]) -> str | None:
        return self.label.description

    def f_url(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return f"{self.ctx.urls.html(self.repo.full_name)}/labels/{self.label.name}"


class PullRequest(Node):
    """A pull request as GraphQL shows it; the same PullView the REST listing answers from."""

    typename = "PullRequest"
    interfaces = (
        "Node",
        "Assignable",
        "Closable",
        "Comment",
        "Labelable",
        "UniformResourceLocatable",
    )

    def __init__(self, ctx: Context, view: PullView) -> None:
        super().__init__(ctx)
        self.view = view
        self.pull = view.pull

    def f_id(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return node_id("PullRequest", self.view.id)

    def f_databaseId(self, args: dict[str, Any], where: Field, path: list[Any]) -> int:
        return self.view.id

    def f_number(self, args: dict[str, Any], where: Field, path: list[Any]) -> int:
        return self.pull.number

    def f_url(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return f"{self.ctx.urls.html(self.view.base_repo.full_name)}/pull/{self.pull.number}"

    def f_permalink(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.f_url(args, where, path)

    def f_resourcePath(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return f"/{self.view.base_repo.full_name}/pull/{self.pull.number}"

    def f_title(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.pull.title

    def f_body(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.pull.body or ""  # GraphQL's body is never null, REST's can be

    def f_state(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return _pull_state(self.view)

    def f_merged(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return self.pull.merged_at is not None

    def f_closed(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return self.pull.state == "closed"

    def f_isDraft(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return self.pull.draft

    def f_maintainerCanModify(self, args: dict[str, Any], where: Field, path: list[Any]) -> bool:
        return self.pull.maintainer_can_modify

    def f_mergeable(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        # MergeableState; closed and merged pull requests are UNKNOWN, as on GitHub
        clean = pull_mergeable(self.ctx.store, self.view)
        return "UNKNOWN" if clean is None else "MERGEABLE" if clean else "CONFLICTING"

    def f_createdAt(self, args: dict[str, Any], where: Field, path: list[Any]) -> str | None:
        return iso(self.pull.created_at)

    def f_updatedAt(self, args: dict[str, Any], where: Field, path: list[Any]) -> str | None:
        return iso(self.pull.updated_at)

    def f_closedAt(self, args: dict[str, Any], where: Field, path: list[Any]) -> str | None:
        return iso(self.pull.closed_at)

    def f_mergedAt(self, args: dict[str, Any], where: Field, path: list[Any]) -> str | None:
        return iso(self.pull.merged_at)

    def f_headRefName(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.pull.head_ref

    def f_headRefOid(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.view.head_sha

    def f_baseRefName(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.pull.base_ref

    def f_baseRefOid(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        return self.view.base_sha

    def f_headRepository(self, args: dict[str, Any], where: Field, path: list[Any]) -> Repository:
        return Repository(self.ctx, self.view.head_repo)

    def f_headRepositoryOwner(self, args: dict[str, Any], where: Field, path: list[Any]) -> Owner:
        return Owner(self.ctx, self.view.head_repo.owner)

    def f_baseRepository(self, args: dict[str, Any], where: Field, path: list[Any]) -> Repository:
        return Repository(self.ctx, self.view.base_repo)

    def f_repository(self, args: dict[str, Any], where: Field, path: list[Any]) -> Repository:
        return Repository(self.ctx, self.view.base_repo)

    def f_author(self, args: dict[str, Any], where: Field, path: list[Any]) -> Owner:
        return Owner(self.ctx, self.pull.user)

    def f_labels(self, args: dict[str, Any], where: Field, path: list[Any]) -> Connection:
        _page_size(args, where, path)
        labels = [LabelNode(self.ctx, self.view.base_repo, x) for x in self.view.labels]
        return Connection(self.ctx, "LabelConnection", labels, args)

    def f_commits(self, args: dict[str, Any], where: Field, path: list[Any]) -> Connection:
        """The PR's commits, oldest first (``last: 1`` is its head, with its checks)."""
        _page_size(args, where, path)
        store, repo, view = self.ctx.store, self.view.base_repo, self.view
        g.fetch_objects(store, repo.full_name, view.head_repo.full_name, view.head_sha)
        log = g.log(store, repo.full_name, [f"{view.base_sha}..{view.head_sha}"], reverse=True)
        reader = self.ctx.reader(repo)
        items = []
        for commit in log:
            values = {
                "commit": GitObject.of(self.ctx, repo, reader.get(commit.sha)),
                "id": node_id("PullRequestCommit", f"{view.id}:{commit.sha}"),
            }
            items.append(Plain(self.ctx, "PullRequestCommit", values))
        return Connection(self.ctx, "PullRequestCommitConnection", items, args)

    def f_autoMergeRequest(
        self, args: dict[str, Any], where: Field, path: list[Any]
    ) -> Plain | None:
        request = self.pull.auto_merge
        if request is None:
            return None
        values = {
            "enabledAt": iso(request.get("enabled_at")),
            "enabledBy": Owner(self.ctx, str(request["enabled_by"])),
            "mergeMethod": str(request["merge_method"]).upper(),
            "commitHeadline": request.get("commit_title"),
            "commitBody": request.get("commit_message"),
        }
        return Plain(self.ctx, "AutoMergeRequest", values)

    def f_mergeStateStatus(self, args: dict[str, Any], where: Field, path: list[Any]) -> str:
        if self.pull.state != "open":
            return "UNKNOWN"
        return rest_pulls.merge_state(self.ctx.store, self.view).upper()


class _LazyRef(Ref):
    """A ref from for-each-ref: its target object is read only if a field asks for more than oid."""

    def __init__(self, ref: Ref) -> None:
        super().__init__(ref.ctx, ref.repo, ref.name, ref.obj)

    def f_target(self, args: dict[str, Any], where: Field, path: list[Any]) -> GitObject | None:
        return GitObject.of(self.ctx, self.repo, self.ctx.reader(self.repo).get(self.obj.sha))


class Query(Node):
    typename = "Query"

    def f_repository(
        self, args: dict[str, Any], where: Field, path: list[Any]
    ) -> Repository | None:
        owner = _required(args, "owner", str, where)
        name = _required(args, "name", str, where)
        full = f"{owner}/{name}"
        store = self.ctx.store
        if not store.exists(full) and args.get("followRenames", True):
            full = store.redirect(full) or full
        if not store.exists(full):
            self.ctx.errors.append(
                {
                    "type": "NOT_FOUND",
                    "path": path,
                    "locations": [{"line": where.line, "column": where.column}],
                    "message": f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                }
            )
            return None
        return Repository(self.ctx, store.info(full))

    def f_viewer(self, args: dict[str, Any], where: Field, path: list[Any]) -> Owner:
        return Owner(self.ctx, USER)

    def f_user(self, args: dict[str, Any], where: Field, path: list[Any]) -> Owner | None:
        login = _required(args, "login", str, where)
        return Owner(self.ctx, login) if login.lower() == USER else None

    def f_organization(self, args: dict[str, Any], where: Field, path: list[Any]) -> Owner | None:
        login = _required(args, "login", str, where)
        return Owner(self.ctx, login) if login.lower() != USER else None

    def f_rateLimit(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain:
        # A query without connections costs 1 point on GitHub, and so does every query here.
        if self.ctx.rate_status is not None:
            state = self.ctx.rate_status()
        else:
            reset = (int(time.time()) // 3600 + 1) * 3600
            state = {"limit": RATE_LIMIT, "remaining": RATE_LIMIT - 1, "used": 1, "reset": reset}
        return Plain(
            self.ctx,
            "RateLimit",
            {
                "cost": 1,
                "limit": state["limit"],
                "remaining": state["remaining"],
                "used": state["used"],
                "resetAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(state["reset"])),
                "nodeCount": 1,
            },
        )


class Mutation(Node):
    typename = "Mutation"

    def f_enablePullRequestAutoMerge(
        self, args: dict[str, Any], where: Field, path: list[Any]
    ) -> Plain | None:
        given = args.get("input")
        try:
            view = automerge.enable(self.ctx.store, given, USER)
        except automerge.AutoMergeRefused as exc:
            self.ctx.errors.append(error_entry(MutationError(exc.kind, exc.message), where, path))
            return None
        mutation_id = given.get("clientMutationId") if isinstance(given, dict) else None
        values = {
            "clientMutationId": mutation_id,
            "actor": Owner(self.ctx, USER),
            "pullRequest": PullRequest(self.ctx, view),
        }
        return Plain(self.ctx, "EnablePullRequestAutoMergePayload", values)

    def f_updateRefs(self, args: dict[str, Any], where: Field, path: list[Any]) -> Plain | None:
        try:
            payload = update_refs(self.ctx.store, args)
        except MutationError as exc:
            self.ctx.errors.append(error_entry(exc, where, path))
            return None
        return Plain(self.ctx, "UpdateRefsPayload", payload)

    def f_createPullRequest(
        self, args: dict[str, Any], where: Field, path: list[Any]
    ) -> Plain | None:
        return self._pull_payload("CreatePullRequestPayload", args, where, path, create=True)

    def f_updatePullRequest(
        self, args: dict[str, Any], where: Field, path: list[Any]
    ) -> Plain | None:
        return self._pull_payload("UpdatePullRequestPayload", args, where, path, create=False)

    def _pull_payload(
        self, kind: str, args: dict[str, Any], where: Field, path: list[Any], *, create: bool
    ) -> Plain | None:
        try:
            if create:
                view = create_pull_request(self.ctx.store, args, self.ctx.login)
            else:
                view = update_pull_request(self.ctx.store, args)
        except MutationError as exc:
            self.ctx.errors.append(error_entry(exc, where, path))
            return None
        given = args.get("input")
        mutation_id = given.get("clientMutationId") if isinstance(given, dict) else None
        values = {"clientMutationId": mutation_id, "pullRequest": PullRequest(self.ctx, view)}
        return Plain(self.ctx, kind, values)


def _required(args: dict[str, Any], name: str, kind: type, where: Field) -> Any:
    value = args.get(name)
    if not isinstance(value, kind):
        raise QueryError(
            f"Field '{where.name}' is missing required arguments: {name}",
            where,
            extensions={"code": "missingRequiredArguments", "arguments": name},
        )
    return value


# -- execution -------------------------------------------------------------------------


def _value(ctx: Context, raw: Any) -> Any:
    if isinstance(raw, Var):
        if raw.name not in ctx.variables:
            raise QueryError(f"Variable ${raw.name} is used but not declared")
        return ctx.variables[raw.name]
    if isinstance(raw, EnumValue):
        return raw.name
    if isinstance(raw, list):
        return [_value(ctx, item) for item in raw]
    if isinstance(raw, dict):
        return {k: _value(ctx, v) for k, v in raw.items()}
    return raw


def _included(ctx: Context, directives: tuple[Directive, ...]) -> bool:
    for directive in directives:
        flag = bool(_value(ctx, directive.args.get("if")))
        if (directive.name == "skip" and flag) or (directive.name == "include" and not flag):
            return False
    return True


def _fields(ctx: Context, node: Node, selections: tuple[Selection, ...]) -> Iterator[Field]:
    """The fields that apply to ``node``, fragments expanded, in document order."""
    for sel in selections:
        if not _included(ctx, sel.directives):
            continue
        if isinstance(sel, Field):
            yield sel
        elif isinstance(sel, InlineFragment):
            if sel.on is None or node.is_a(sel.on):
                yield from _fields(ctx, node, sel.selections)
        elif isinstance(sel, FragmentSpread):
            fragment = ctx.document.fragments.get(sel.name)
            if fragment is None:
                raise QueryError(f"Fragment {sel.name} was used, but not defined")
            if node.is_a(fragment.on):
                yield from _fields(ctx, node, fragment.selections)


def _object(
    ctx: Context, node: Node, selections: tuple[Selection, ...], path: list[Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for selection in selections:
        # A plain field (no fragment, no directive) is nearly every selection of a query:
        # it skips the fragment expansion.
        if selection.__class__ is Field and not selection.directives:
            fields: Iterable[Field] = (selection,)
        else:
            fields = _fields(ctx, node, (selection,))
        for sel in fields:
            key = sel.alias or sel.name
            if sel.name == "__typename":
                out[key] = node.typename
                continue
            args = {k: _value(ctx, v) for k, v in sel.args.items()} if sel.args else {}
            here = [*path, key]
            value = node.resolve(sel.name, args, sel, here)
            if value is None or (not sel.selections and value.__class__ in _SCALARS):
                completed = value
            else:
                completed = _complete(ctx, value, sel, here)
            if key in out and isinstance(out[key], dict) and isinstance(completed, dict):
                out[key].update(completed)  # the same field selected twice merges
            else:
                out[key] = completed
    return out


_SCALARS = frozenset({str, int, float, bool})


def _complete(ctx: Context, value: Any, where: Field, path: list[Any]) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_complete(ctx, item, where, [*path, n]) for n, item in enumerate(value)]
    if isinstance(value, Node):
        if not where.selections:
            raise QueryError(
                f"Field must have selections (field '{where.name}' returns {value.typename} "
                "but has no selections.)",
                where,
                path=path,
            )
        return _object(ctx, value, where.selections, path)
    if where.selections:
        raise QueryError(
            f"Selections can't be made on scalars (field '{where.name}')", where, path=path
        )
    return value


def _coerce_variables(operation: Operation, given: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variables:
        if definition.name in given:
            values[definition.name] = given[definition.name]
        elif definition.has_default:
            values[definition.name] = definition.default
        elif definition.type.endswith("!"):
            raise QueryError(
                f"Variable ${definition.name} of type {definition.type} was provided invalid value",
                extensions={
                    "value": None,
                    "problems": [{"path": [], "explanation": "Expected value to not be null"}],
                },
            )
    return values


def _pick_operation(document: Document, name: str | None) -> Operation:
    if name:
        for operation in document.operations:
            if operation.name == name:
                return operation
        raise QueryError(f'No operation named "{name}"')
    if len(document.operations) > 1:
        raise QueryError("An operation name is required")
    return document.operations[0]


def execute(
    store: Store,
    base_url: str,
    query: str,
    variables: dict[str, Any],
    operation_name: str | None = None,
    rate_status: RateStatus | None = None,
    login: str | None = None,
) -> dict[str, Any]:
    """The JSON answer to a GraphQL request, GitHub-shaped: ``data`` and/or ``errors``."""
    try:
        document = parse(query)
    except GraphQLSyntaxError as exc:
        return {
            "errors": [
                {"message": exc.message, "locations": [{"line": exc.line, "column": exc.column}]}
            ]
        }
    ctx = Context(store, Urls(base_url), document, {}, rate_status=rate_status, login=login)
    try:
        operation = _pick_operation(document, operation_name)
        if operation.kind not in ("query", "mutation"):
            raise QueryError(f"The sandbox answers queries and mutations, not {operation.kind}s")
        ctx.variables = _coerce_variables(operation, variables)
        root = Query(ctx) if operation.kind == "query" else Mutation(ctx)
        data = _object(ctx, root, operation.selections, [])
    except QueryError as exc:
        return {"errors": [exc.entry]}
    finally:
        ctx.close()
    answer: dict[str, Any] = {"data": data}
    if ctx.errors:
        answer["errors"] = ctx.errors
    return answer


class GraphQLApi:
    """Answers POST /api/graphql; the server has already refused requests without the token."""

    def __init__(self, store: Store, token: str, rate_status: RateStatus | None = None) -> None:
        """``rate_status`` gives the server's graphql counters (limit, remaining, used, reset)."""
        self.store = store
        self.token = token
        self.rate_status = rate_status

    def handle(self, req: Request) -> Response:
        if req.method != "POST":
            return error(404, "Not Found")
        if not req.authenticated:
            return json_response(
                401,
                {
                    "message": "This endpoint requires you to be authenticated.",
                    "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
                },
            )
        try:
            body = req.json()
        except ValueError:
            return error(400, "Problems parsing JSON")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return json_response(
                200,
                {
                    "errors": [
                        {"message": "A query attribute must be specified and must be a string."}
                    ]
                },
            )
        variables = body.get("variables") or {}
        if isinstance(variables, str):
            try:
                variables = json.loads(variables) if variables.strip() else {}
            except ValueError:
                return error(400, "Problems parsing JSON")
        if not isinstance(variables, dict):
            return json_response(200, {"errors": [{"message": "Variables must be an object"}]})
        name = body.get("operationName")
        answer = execute(
            self.store,
            req.base_url,
            body["query"],
            variables,
            name if isinstance(name, str) else None,
            self.rate_status,
            req.login,
        )
        return json_response(200, answer)
