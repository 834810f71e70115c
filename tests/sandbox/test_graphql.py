"""The sandbox's GraphQL endpoint: many aliased repository look-ups in one request."""

from __future__ import annotations

import base64

import httpx
import pytest
from github import Auth, Github

from bumper.sandbox.gql_parse import GraphQLSyntaxError, parse


@pytest.fixture
def ask(sandbox):
    headers = {"Authorization": f"bearer {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def post(query: str, variables: dict | None = None, **extra) -> dict:
            body = {"query": query, "variables": variables, **extra}
            reply = client.post(sandbox.graphql_url, json=body)
            assert reply.status_code == 200, reply.text
            return reply.json()

        yield post


@pytest.fixture
def repos(sandbox):
    store = sandbox.store
    store.create_repo("up", "one", auto_init=True)
    store.create_repo("up", "two", auto_init=True, default_branch="trunk")
    store.commit_files("up/one", "main", {"mk/Makefile": "X?=1\n", "bin": b"\x00\x01"}, "add")
    store.commit_files("up/one", "dev", {"d": "d\n"}, "dev", parent=store.ref("up/one", "main"))
    return store


def test_aliased_repositories_answer_heads_files_and_defaults(ask, repos):
    answer = ask(
        """
        query Heads($owner: String!) {
          a: repository(owner: $owner, name: "one") {
            nameWithOwner
            main: ref(qualifiedName: "refs/heads/main") { name prefix target { oid } }
            dev: ref(qualifiedName: "dev") { name target { oid ... on Commit { messageHeadline } } }
            gone: ref(qualifiedName: "refs/heads/gone") { name }
            mk: object(expression: "main:mk/Makefile") {
              ... on Blob { text byteSize isBinary oid }
            }
            bin: object(expression: "main:bin") { ... on Blob { text isBinary } }
            none: object(expression: "main:nope") { ... on Blob { text } }
            defaultBranchRef { name target { oid } }
          }
          b: repository(owner: "up", name: "two") { defaultBranchRef { name } }
          viewer { login }
          rateLimit { cost remaining limit resetAt }
        }
        """,
        {"owner": "up"},
    )
    assert "errors" not in answer
    a = answer["data"]["a"]
    assert a["nameWithOwner"] == "up/one"
    assert a["main"] == {
        "name": "main",
        "prefix": "refs/heads/",
        "target": {"oid": repos.ref("up/one", "main")},
    }
    assert a["dev"]["target"] == {"oid": repos.ref("up/one", "dev"), "messageHeadline": "dev"}
    assert a["gone"] is None
    assert a["mk"]["text"] == "X?=1\n"
    assert a["mk"]["byteSize"] == 5 and a["mk"]["isBinary"] is False
    assert a["bin"] == {"text": None, "isBinary": True}
    assert a["none"] is None
    assert a["defaultBranchRef"]["target"]["oid"] == repos.ref("up/one", "main")
    assert answer["data"]["b"] == {"defaultBranchRef": {"name": "trunk"}}
    assert answer["data"]["viewer"] == {"login": "sandbox"}
    assert answer["data"]["rateLimit"]["cost"] == 1


def test_missing_repository_is_null_with_a_not_found_error(ask, repos):
    answer = ask(
        '{ ok: repository(owner: "up", name: "one") { name } '
        'nope: repository(owner: "up", name: "nope") { name } }'
    )
    assert answer["data"] == {"ok": {"name": "one"}, "nope": None}
    [error] = answer["errors"]
    assert error["type"] == "NOT_FOUND"
    assert error["path"] == ["nope"]
    assert "up/nope" in error["message"]


def test_renamed_repository_answers_under_its_new_name(ask, repos, sandbox):
    sandbox.rename("up/one", "up/uno")
    answer = ask('{ r: repository(owner: "up", name: "one") { nameWithOwner } }')
    assert answer["data"]["r"] == {"nameWithOwner": "up/uno"}


def test_fragments_typename_and_refs_connection(ask, repos):
    answer = ask(
        """
        fragment Head on Ref { name target { __typename oid } }
        query {
          repository(owner: "up", name: "one") {
            __typename
            refs(refPrefix: "refs/heads/", first: 1) {
              totalCount
              nodes { ...Head }
              pageInfo { hasNextPage endCursor }
            }
          }
        }
        """
    )
    repo = answer["data"]["repository"]
    assert repo["__typename"] == "Repository"
    assert repo["refs"]["totalCount"] == 2
    assert repo["refs"]["nodes"][0]["name"] == "dev"
    assert repo["refs"]["nodes"][0]["target"]["__typename"] == "Commit"
    assert repo["refs"]["pageInfo"] == {"hasNextPage": True, "endCursor": "0"}


def test_unknown_field_fails_the_query_like_github(ask, repos):
    answer = ask('{ repository(owner: "up", name: "one") { stars } }')
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "undefinedField"
    assert error["message"] == "Field 'stars' doesn't exist on type 'Repository'"


def test_parse_errors_name_line_and_column(ask):
    answer = ask('{ repository(owner: "x" name: ) { name } }')
    [error] = answer["errors"]
    assert error["locations"] == [{"line": 1, "column": 31}]  # the ")"


def test_missing_required_variable_is_an_error(ask, repos):
    answer = ask('query($o: String!) { repository(owner: $o, name: "one") { name } }')
    assert "data" not in answer
    assert "$o" in answer["errors"][0]["message"]


def test_graphql_needs_the_token(sandbox):
    with httpx.Client(timeout=10) as client:
        reply = client.post(sandbox.graphql_url, json={"query": "{ viewer { login } }"})
    assert reply.status_code == 401


def test_pygithub_graphql_query(sandbox, repos):
    gh = Github(
        base_url=sandbox.api_url,
        auth=Auth.Token(sandbox.token),
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    try:
        _, data = gh.requester.graphql_query(
            'query($n: String!) { repository(owner: "up", name: $n) { nameWithOwner } }',
            {"n": "one"},
        )
    finally:
        gh.close()
    assert data["data"]["repository"]["nameWithOwner"] == "up/one"


def test_a_hundred_aliases_answer_in_one_request(ask, sandbox):
    store = sandbox.store
    for n in range(20):
        store.create_repo("many", f"r{n}", auto_init=True)
    fields = "\n".join(
        f'a{n}: repository(owner: "many", name: "r{n % 20}") '
        '{ ref(qualifiedName: "refs/heads/main") { target { oid } } '
        'object(expression: "main:README.md") { ... on Blob { text } } }'
        for n in range(100)
    )
    answer = ask("{" + fields + "}")
    assert "errors" not in answer
    assert answer["data"]["a99"]["object"]["text"] == "# r19\n"
    assert answer["data"]["a42"]["ref"]["target"]["oid"] == store.ref("many/r2", "main")


@pytest.mark.parametrize(
    "source",
    [
        '{ a: repository(owner: "o", name: "n") { ref(qualifiedName: "x") { name } } }',
        'query Q($a: [String!]! = ["x"], $b: Int = 3) { x @skip(if: true) { y } }',
        '{ x(s: """block\n  string""", e: ENUM, o: {k: [1, 2.5, null, true]}) }',
        "# comment\n{ a, b, c }",
    ],
)
def test_parser_reads_the_grammar_clients_send(source):
    assert parse(source).operations


@pytest.mark.parametrize("source", ["{", "{ }", "{ a(b: ) }", "query { a } }", '{ a(s: "\\q") }'])
def test_parser_refuses_broken_documents(source):
    with pytest.raises(GraphQLSyntaxError):
        parse(source)


def test_ref_takes_ref_names_only(ask, repos):
    answer = ask(
        '{ repository(owner: "up", name: "one") {'
        ' a: ref(qualifiedName: "main:mk/Makefile") { name }'
        ' b: ref(qualifiedName: "main~1") { name }'
        ' c: object(oid: "main") { oid } } }'
    )
    assert answer["data"]["repository"] == {"a": None, "b": None, "c": None}


# -- pull requests ------------------------------------------------------------------------

PULL_FIELDS = """
  number url title body headRefName headRefOid baseRefName state merged
  headRepositoryOwner { login } labels(first: 100) { nodes { name } }
"""


def _pulls_query(extra: str = "") -> str:
    return (
        'query($after: String) { repository(owner: "acme", name: "app") {'
        f" pullRequests(first: 2, after: $after{extra}) {{"
        f" totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {PULL_FIELDS} }} }} }} }}"
    )


@pytest.fixture
def rest(sandbox):
    headers = {"Authorization": f"token {sandbox.token}"}
    with httpx.Client(base_url=sandbox.api_url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def app(sandbox, rest):
    """acme/app with PRs #1-#5 from update/0 .. update/4; #2 labelled."""
    store = sandbox.store
    store.create_repo("acme", "app", auto_init=True)
    base = store.ref("acme/app", "main")
    for n in range(5):
        store.commit_files("acme/app", f"update/{n}", {f"f{n}": f"{n}\n"}, f"c{n}", parent=base)
        body = None if n == 0 else f"body {n}"
        reply = rest.post(
            "/repos/acme/app/pulls",
            json={"title": f"PR {n}", "head": f"update/{n}", "base": "main", "body": body},
        )
        assert reply.status_code == 201, reply.text
    assert rest.post("/repos/acme/app/issues/2/labels", json={"labels": ["deps", "x"]}).is_success
    return store


def _all_pages(ask, extra: str = "") -> list[dict]:
    nodes, after = [], None
    while True:
        page = ask(_pulls_query(extra), {"after": after})
        assert "errors" not in page, page
        connection = page["data"]["repository"]["pullRequests"]
        nodes += connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes
        after = connection["pageInfo"]["endCursor"]


def test_pull_requests_page_through_every_open_pr_in_creation_order(ask, app):
    nodes = _all_pages(ask, ", states: OPEN")
    assert [n["number"] for n in nodes] == [1, 2, 3, 4, 5]
    first = nodes[0]
    assert first["body"] == ""  # REST says null; GraphQL's body is a string
    assert first["state"] == "OPEN" and first["merged"] is False
    assert first["headRefName"] == "update/0" and first["baseRefName"] == "main"
    assert first["headRefOid"] == app.ref("acme/app", "update/0")
    assert first["headRepositoryOwner"] == {"login": "acme"}
    assert nodes[1]["labels"]["nodes"] == [{"name": "deps"}, {"name": "x"}]


def test_pull_request_cursors_are_opaque_and_survive_a_pr_closing_between_pages(ask, app, rest):
    page = ask(_pulls_query(", states: [OPEN]"), {"after": None})["data"]["repository"]
    cursor = page["pullRequests"]["pageInfo"]["endCursor"]
    assert not cursor.isdigit()
    base64.b64decode(cursor, validate=True)
    assert rest.patch("/repos/acme/app/pulls/1", json={"state": "closed"}).is_success
    second = ask(_pulls_query(", states: [OPEN]"), {"after": cursor})["data"]["repository"]
    assert [n["number"] for n in second["pullRequests"]["nodes"]] == [3, 4]
    assert second["pullRequests"]["totalCount"] == 4


def test_pull_requests_filter_by_base_and_state_and_order_newest_first(ask, app, rest):
    assert rest.patch("/repos/acme/app/pulls/5", json={"state": "closed"}).is_success
    closed = _all_pages(ask, ", states: CLOSED")
    assert [(n["number"], n["state"]) for n in closed] == [(5, "CLOSED")]
    newest = _all_pages(ask, ", states: OPEN, orderBy: {field: CREATED_AT, direction: DESC}")
    assert [n["number"] for n in newest] == [4, 3, 2, 1]
    assert _all_pages(ask, ', baseRefName: "other"') == []


def test_pull_requests_need_a_page_size_of_at_most_100(ask, app):
    for bound, kind in (("", "MISSING_PAGINATION_BOUNDARIES"), ("(first: 101)", "EXCESSIVE")):
        answer = ask(
            f'{{ repository(owner: "acme", name: "app") {{ pullRequests{bound}'
            " { nodes { number } } } }"
        )
        assert "data" not in answer
        assert answer["errors"][0]["type"].startswith(kind)


def test_rest_and_graphql_show_the_same_head_labels_and_owner(ask, app, rest, sandbox):
    moved = app.commit_files("acme/app", "update/1", {"more": "x\n"}, "pushed")  # PR #2
    sandbox.store.fork("acme/app", "sandbox")
    app.commit_files("sandbox/app", "fix", {"f": "f\n"}, "fix", parent=app.ref("acme/app", "main"))
    reply = rest.post(
        "/repos/acme/app/pulls", json={"title": "fork", "head": "sandbox:fix", "base": "main"}
    )
    assert reply.status_code == 201, reply.text
    listed = rest.get("/repos/acme/app/pulls", params={"state": "open", "per_page": 100}).json()
    by_rest = {
        p["number"]: (
            p["head"]["sha"],
            p["head"]["label"].partition(":")[0],
            p["head"]["ref"],
            [x["name"] for x in p["labels"]],
            p["html_url"],
            p["body"] or "",
            p["title"],
        )
        for p in listed
    }
    by_graphql = {
        n["number"]: (
            n["headRefOid"],
            n["headRepositoryOwner"]["login"],
            n["headRefName"],
            [x["name"] for x in n["labels"]["nodes"]],
            n["url"],
            n["body"],
            n["title"],
        )
        for n in _all_pages(ask, ", states: OPEN")
    }
    assert by_graphql == by_rest
    assert by_graphql[2][0] == moved
    assert by_graphql[6][1] == "sandbox"


def test_a_pr_whose_branch_is_gone_is_closed_in_graphql_as_in_rest(ask, app):
    app.git("acme/app", "update-ref", "-d", "refs/heads/update/3")
    numbers = [n["number"] for n in _all_pages(ask, ", states: OPEN")]
    assert numbers == [1, 2, 3, 5]  # update/3 was PR #4


def test_commit_file_reads_a_path_in_that_very_commit(ask, repos):
    main = repos.ref("up/one", "main")
    repos.commit_files("up/one", "main", {"mk/Makefile": "X?=2\n"}, "later")
    answer = ask(
        f'{{ repository(owner: "up", name: "one") {{ object(oid: "{main}") {{ ... on Commit {{'
        ' mk: file(path: "mk/Makefile") { path type object { ... on Blob { text byteSize } } }'
        ' dir: file(path: "mk") { type }'
        ' none: file(path: "mk/nope") { path }'
        ' odd: file(path: "mk//Makefile") { path } } } } }'
    )
    assert "errors" not in answer, answer
    commit = answer["data"]["repository"]["object"]
    assert commit["mk"] == {
        "path": "mk/Makefile",
        "type": "blob",
        "object": {"text": "X?=1\n", "byteSize": 5},
    }
    assert commit["dir"] == {"type": "tree"}
    assert commit["none"] is None and commit["odd"] is None


def test_closed_pull_requests_filter_by_head_branch_and_leave_merged_ones_out(ask, app, rest):
    assert rest.patch("/repos/acme/app/pulls/2", json={"state": "closed"}).is_success
    reply = rest.post(
        "/repos/acme/app/pulls", json={"title": "again", "head": "update/1", "base": "main"}
    )
    assert reply.status_code == 201, reply.text  # #6, the second PR from update/1
    assert rest.patch("/repos/acme/app/pulls/6", json={"state": "closed"}).is_success
    assert rest.put("/repos/acme/app/pulls/3/merge").is_success  # update/2: merged, not closed
    answer = ask(
        '{ repository(owner: "acme", name: "app") {'
        ' one: pullRequests(states: CLOSED, headRefName: "update/1", first: 20,'
        "  orderBy: {field: CREATED_AT, direction: DESC})"
        " { totalCount nodes { number merged body headRepositoryOwner { login } } }"
        ' two: pullRequests(states: CLOSED, headRefName: "update/2", first: 20)'
        " { totalCount nodes { number } } } }"
    )
    assert "errors" not in answer, answer
    repository = answer["data"]["repository"]
    assert repository["one"]["totalCount"] == 2
    assert [(n["number"], n["merged"]) for n in repository["one"]["nodes"]] == [
        (6, False),
        (2, False),
    ]
    assert repository["one"]["nodes"][1]["body"] == "body 1"
    assert repository["one"]["nodes"][1]["headRepositoryOwner"] == {"login": "acme"}
    assert repository["two"] == {"totalCount": 0, "nodes": []}


def test_a_branch_head_gives_its_message_and_parents_as_rest_does(ask, app, rest):
    head = app.commit_files("acme/app", "update/0", {"g": "g\n"}, "Bump\n\nBumper-Pin: V x f\n")
    answer = ask(
        '{ repository(owner: "acme", name: "app") {'
        ' b: ref(qualifiedName: "refs/heads/update/0") { target { oid ... on Commit { message'
        " parents(first: 2) { totalCount nodes { oid } } } } }"
        ' gone: ref(qualifiedName: "refs/heads/no/such") { target { oid } } } }'
    )
    assert "errors" not in answer, answer
    target = answer["data"]["repository"]["b"]["target"]
    by_rest = rest.get("/repos/acme/app/branches/update/0").json()["commit"]
    assert target["oid"] == head == by_rest["sha"]
    assert target["message"] == by_rest["commit"]["message"]
    assert target["parents"]["totalCount"] == 1
    assert [p["oid"] for p in target["parents"]["nodes"]] == [p["sha"] for p in by_rest["parents"]]
    assert answer["data"]["repository"]["gone"] is None


_PACKED_QUERY = """
{ repository(owner: "up", name: "one") {
    main: ref(qualifiedName: "refs/heads/main") { target { oid ... on Commit { messageHeadline
      mk: file(path: "mk/Makefile") { object { ... on Blob { text byteSize } } } } } }
    dev: ref(qualifiedName: "refs/heads/dev") { target { oid } }
    gone: ref(qualifiedName: "refs/heads/gone") { name }
    mk: object(expression: "main:mk/Makefile") { ... on Blob { text } }
    defaultBranchRef { name target { oid } } } }
"""


def test_packed_and_loose_repositories_answer_alike(ask, repos):
    """The sandbox reads loose objects and refs itself and asks git for the rest: a repository
    git has packed (objects and refs) answers exactly as it did loose, and a ref updated after
    packing (loose again, its packed line now stale) wins over the packed one."""
    before = ask(_PACKED_QUERY)
    assert "errors" not in before, before
    repos.git("up/one", "gc", "--quiet", "--prune=now")
    assert not list((repos.repo_dir("up/one") / "refs" / "heads").iterdir())  # all packed
    assert ask(_PACKED_QUERY) == before
    repos.commit_files("up/one", "main", {"mk/Makefile": "X?=3\n"}, "after gc")
    after = ask(_PACKED_QUERY)["data"]["repository"]
    assert after["main"]["target"]["oid"] == repos.ref("up/one", "main")
    assert after["main"]["target"]["messageHeadline"] == "after gc"
    assert after["main"]["target"]["mk"]["object"] == {"text": "X?=3\n", "byteSize": 5}
    assert after["dev"] == before["data"]["repository"]["dev"]
    repos.git("up/one", "update-ref", "-d", "refs/heads/dev")  # a packed ref deleted
    assert ask(_PACKED_QUERY)["data"]["repository"]["dev"] is None


@pytest.mark.parametrize(
    ("source", "message", "line", "column"),
    [
        ("{\r\n  a(b: )\r\n}", "Parse error on ')' at [2, 8]: expected a value", 2, 8),
        ("{\r  a\n\r\n  ~ }", "Unexpected character '~'", 4, 3),
        ("{ a } # a comment, then\n  %", "Unexpected character '%'", 2, 3),
        ('{ a(s: "\\q") ', "Bad escape \\q in string", 1, 8),  # found before the missing }
        ('{ a(s: "open) }', "Unexpected character '\"'", 1, 8),
        ("{ a(n: -) }", "Unexpected character '-'", 1, 8),
    ],
)
def test_syntax_errors_name_what_and_where(source, message, line, column):
    with pytest.raises(GraphQLSyntaxError) as caught:
        parse(source)
    assert (caught.value.message, caught.value.line, caught.value.column) == (
        message,
        line,
        column,
    )


def test_a_string_holding_punctuation_is_a_value_not_a_token():
    [field] = parse('{ a(s: "{", t: "...", u: "#x") { b } }').operations[0].selections
    assert field.args == {"s": "{", "t": "...", "u": "#x"}
    assert [sel.name for sel in field.selections] == ["b"]
