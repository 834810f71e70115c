"""Upstream look-ups against the sandbox: real git http-backend, real GraphQL, real faults."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest

from bumper.config.settings import GitHubSettings, LookupSettings, Secret
from bumper.errors import UpstreamError
from bumper.github.http import RequestCounter, new_client
from bumper.model import Entry, Head
from bumper.upstream import compare, lookup_heads

UPLOAD_PACK = r"\.git/git-upload-pack$"


@dataclass
class Harness:
    """One sandbox, one counted client and settings pointing at it; sleeps are recorded."""

    sb: Any
    client: httpx.Client
    counter: RequestCounter
    github: GitHubSettings
    lookup: LookupSettings
    sleeps: list[float] = field(default_factory=list)

    def repo(self, full_name: str, **branches: str) -> dict[str, str]:
        """Create ``full_name`` with ``main`` plus one commit per named branch; name -> sha."""
        owner, name = full_name.split("/")
        self.sb.store.create_repo(owner, name, auto_init=True)
        shas = {"main": self.sb.store.ref(full_name, "main")}
        for branch, text in branches.items():
            shas[branch] = self.sb.store.commit_files(
                full_name, branch, {"f": text}, text, parent=shas["main"]
            )
        return shas

    def heads(
        self, *pairs: tuple[str, str], token: Secret | None = None, **settings: Any
    ) -> dict[tuple[str, str], Head | UpstreamError]:
        entries = [
            Entry(repo, f"V{i}", branch, "Makefile") for i, (repo, branch) in enumerate(pairs)
        ]
        return lookup_heads(
            entries,
            client=self.client,
            github=self.github,
            lookup=replace(self.lookup, **settings),
            token=token,
            sleep=self.sleeps.append,
        )

    def sha(self, repo: str, branch: str, **kw: Any) -> str:
        answer = self.heads((repo, branch), **kw)[(repo, branch)]
        assert isinstance(answer, Head), answer
        return answer.sha

    def error(self, repo: str, branch: str, **kw: Any) -> str:
        answer = self.heads((repo, branch), **kw)[(repo, branch)]
        assert isinstance(answer, UpstreamError), answer
        return str(answer)

    def log(self) -> list[tuple[str, str, int]]:
        return [(r["method"], r["path"], r["status"]) for r in settled_requests(self.sb)]

    @property
    def token(self) -> Secret:
        return Secret(self.sb.token)


def settled_requests(sb: Any) -> list[dict[str, Any]]:
    """The sandbox's request log once it stops growing.

    The sandbox logs a request just after writing its answer, so the client can finish
    before the last entry lands.
    """
    seen = sb.requests()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        time.sleep(0.02)
        now = sb.requests()
        if now == seen:
            break
        seen = now
    return seen


@pytest.fixture
def h(sandbox: Any) -> Iterator[Harness]:
    counter = RequestCounter()
    with new_client(timeout=5, counter=counter) as client:
        yield Harness(
            sandbox,
            client,
            counter,
            GitHubSettings(api_url=sandbox.api_url, git_url=sandbox.git_url),
            LookupSettings(allow_http=True, backoff_seconds=0, retries=4, concurrency=4),
        )


# -- git smart HTTP -------------------------------------------------------------------


def test_finds_every_head_with_one_post_per_repository(h: Harness) -> None:
    a = h.repo("up/a", dev="dev work")
    b = h.repo("up/b")
    answers = h.heads(("up/a", "main"), ("up/a", "dev"), ("up/b", "main"))
    assert {k: v.sha for k, v in answers.items() if isinstance(v, Head)} == {
        ("up/a", "main"): a["main"],
        ("up/a", "dev"): a["dev"],
        ("up/b", "main"): b["main"],
    }
    assert sorted(h.log()) == [
        ("POST", "/up/a.git/git-upload-pack", 200),
        ("POST", "/up/b.git/git-upload-pack", 200),
    ]
    assert h.counter.as_dict() == {"git": 2, "git_200": 2, "graphql": 0, "rest": 0}


def test_identical_pairs_are_looked_up_once(h: Harness) -> None:
    h.repo("up/a")
    answers = h.heads(("up/a", "main"), ("up/a", "main"), ("up/a", "main"))
    assert list(answers) == [("up/a", "main")]
    assert len(h.log()) == 1


def test_a_url_entry_is_read_as_written(h: Harness) -> None:
    a = h.repo("up/a")
    assert h.sha(f"{h.sb.url}/up/a.git", "main") == a["main"]
    assert h.log() == [("POST", "/up/a.git/git-upload-pack", 200)]


def test_branch_main_old_does_not_shadow_main(h: Harness) -> None:
    a = h.repo("up/a", **{"main-old": "old line"})
    assert a["main-old"] != a["main"]
    assert h.sha("up/a", "main") == a["main"]
    assert h.error("up/a", "mai") == "up/a: no branch 'mai'"


def test_missing_branch_fails_only_that_entry(h: Harness) -> None:
    a = h.repo("up/a")
    answers = h.heads(("up/a", "mastr"), ("up/a", "main"))
    assert str(answers[("up/a", "mastr")]) == "up/a: no branch 'mastr'"
    assert answers[("up/a", "main")] == Head("up/a", "main", a["main"])


def test_missing_repository_says_so(h: Harness) -> None:
    assert h.error("up/nothing", "main") == "up/nothing: repository not found (HTTP 404)"


def test_server_errors_are_retried_with_growing_waits(h: Harness) -> None:
    a = h.repo("up/a")
    h.sb.add_fault(UPLOAD_PACK, status=500, times=2)
    assert h.sha("up/a", "main", backoff_seconds=0.5) == a["main"]
    assert [status for _, _, status in h.log()] == [500, 500, 200]
    assert h.sleeps == [0.5, 1.0]


def test_retries_n_means_n_retries_after_the_first_attempt(h: Harness) -> None:
    h.repo("up/a")
    h.sb.add_fault(UPLOAD_PACK, status=503, times=10)
    assert h.error("up/a", "main", retries=3) == "up/a: HTTP 503 after 4 attempts"
    assert len(h.log()) == 4


def test_retries_zero_tries_once(h: Harness) -> None:
    h.repo("up/a")
    h.sb.add_fault(UPLOAD_PACK, status=503, times=10)
    assert h.error("up/a", "main", retries=0) == "up/a: HTTP 503 after 1 attempt"
    assert len(h.log()) == 1


@pytest.mark.parametrize("kind", ["drop", "truncate"])
def test_a_broken_connection_is_retried(h: Harness, kind: str) -> None:
    a = h.repo("up/a")
    h.sb.add_fault(UPLOAD_PACK, status=None, kind=kind)
    assert h.sha("up/a", "main") == a["main"]
    assert len(h.log()) == 2


def test_a_timeout_is_retried(h: Harness) -> None:
    a = h.repo("up/a")
    h.sb.fault_delay(UPLOAD_PACK, 600)
    with new_client(timeout=0.2) as quick:
        h.client = quick
        assert h.sha("up/a", "main") == a["main"]


def test_an_html_page_is_a_failure_never_a_value(h: Harness) -> None:
    h.repo("up/a")
    h.sb.fault_html(UPLOAD_PACK)
    assert h.error("up/a", "main") == "up/a: upstream answered HTML, not git (HTTP 200)"


def test_an_empty_answer_everywhere_is_a_failure_not_a_missing_branch(h: Harness) -> None:
    h.repo("up/a")
    h.sb.add_fault(r"/up/a\.git/", status=200, body="", times=2)
    message = h.error("up/a", "main")
    assert "empty" in message
    assert "no branch" not in message


def test_an_empty_ls_refs_answer_falls_back_to_the_ref_advertisement(h: Harness) -> None:
    a = h.repo("up/a", dev="x")
    h.sb.add_fault(UPLOAD_PACK, status=200, body="")
    answers = h.heads(("up/a", "main"), ("up/a", "dev"), ("up/a", "gone"))
    assert answers[("up/a", "main")] == Head("up/a", "main", a["main"])
    assert answers[("up/a", "dev")] == Head("up/a", "dev", a["dev"])
    assert str(answers[("up/a", "gone")]) == "up/a: no branch 'gone'"
    assert h.log() == [
        ("POST", "/up/a.git/git-upload-pack", 200),
        ("GET", "/up/a.git/info/refs", 200),
    ]


def test_a_refused_protocol_v2_post_falls_back_to_the_ref_advertisement(h: Harness) -> None:
    a = h.repo("up/a")
    h.sb.add_fault(UPLOAD_PACK, status=415, body="unsupported")
    assert h.sha("up/a", "main") == a["main"]


def test_a_garbage_sha_is_a_failure(h: Harness) -> None:
    h.repo("up/a")
    h.sb.fault_garbage_sha(UPLOAD_PACK)
    assert "invalid object id for refs/heads/main" in h.error("up/a", "main")


def test_garbage_instead_of_pkt_lines_is_a_short_failure(h: Harness) -> None:
    h.repo("up/a")
    body = "hello, this is not git at all " * 50
    headers = {"Content-Type": "application/x-git-upload-pack-result"}
    h.sb.add_fault(UPLOAD_PACK, status=200, body=body, headers=headers)
    message = h.error("up/a", "main")
    assert message.startswith("up/a: not a pkt-line at byte 0")
    assert len(message) < 100


def test_retry_after_is_honoured(h: Harness) -> None:
    a = h.repo("up/a")
    h.sb.fault_secondary_limit(UPLOAD_PACK, retry_after=7, status=429)
    assert h.sha("up/a", "main") == a["main"]
    assert h.sleeps == [7.0]


def test_a_retry_after_beyond_max_wait_fails_without_waiting(h: Harness) -> None:
    h.repo("up/a")
    h.sb.fault_secondary_limit(UPLOAD_PACK, retry_after=120, status=403)
    message = h.error("up/a", "main", max_wait_seconds=30)
    assert re.fullmatch(
        r"up/a: rate limited by 127\.0\.0\.1:\d+; retry after 120 s exceeds max_wait_seconds=30",
        message,
    )
    assert h.sleeps == []


def test_a_rate_limit_reset_beyond_max_wait_fails_with_that_message(h: Harness) -> None:
    h.repo("up/a")
    h.sb.fault_rate_limit(UPLOAD_PACK, reset_in=3600)
    message = h.error("up/a", "main")
    pattern = (
        r"up/a: rate limited by 127\.0\.0\.1:\d+; reset in 3[56]\d\d s exceeds max_wait_seconds=60"
    )
    assert re.fullmatch(pattern, message)
    assert h.sleeps == []
    assert len(h.log()) == 1


def test_a_renamed_repository_is_followed_and_reported(h: Harness) -> None:
    a = h.repo("up/a")
    h.sb.rename("up/a", "moved/b")
    url = f"{h.sb.url}/up/a.git"
    answers = h.heads(("up/a", "main"), (url, "main"), ("up/a", "gone"))
    assert answers[("up/a", "main")] == Head("up/a", "main", a["main"], moved_to="moved/b")
    assert answers[(url, "main")] == Head(url, "main", a["main"], f"{h.sb.url}/moved/b.git")
    assert str(answers[("up/a", "gone")]).startswith("up/a: no branch 'gone' (moved to moved/b")


def test_a_redirect_to_another_host_is_not_followed(h: Harness) -> None:
    h.repo("up/a")
    elsewhere = f"http://localhost:{h.sb.port}/up/a.git/git-upload-pack"
    h.sb.add_fault(UPLOAD_PACK, status=301, body="", headers={"Location": elsewhere})
    message = h.error("up/a", "main", token=None)
    assert message == (
        f"up/a: redirected to another host (localhost:{h.sb.port}/up/a.git/git-upload-pack); "
        "update the matrix"
    )
    assert len(h.log()) == 1


def test_plain_http_is_refused_unless_allowed(h: Harness) -> None:
    message = h.error("http://git.example.org/x.git", "main", allow_http=False)
    assert (
        message == "git.example.org/x.git: plain http refused (set lookup.allow_http to allow it)"
    )
    assert h.log() == []


@pytest.mark.parametrize(
    ("repository", "message"),
    [
        ("not a repo", "not a repo: not owner/name or an https URL of a git repository"),
        ("https://user:pw@example.org/x.git", "example.org/x.git: the URL must not carry"),
        ("ftp://example.org/x.git", "example.org/x.git: not an https URL"),
    ],
)
def test_unusable_repositories_fail_without_a_request(
    h: Harness, repository: str, message: str
) -> None:
    assert h.error(repository, "main").startswith(message)
    assert "pw" not in h.error(repository, "main")
    assert h.log() == []


def test_an_invalid_branch_name_fails_without_a_request(h: Harness) -> None:
    assert (
        h.error("up/a", "main\nref-prefix refs/")
        == "up/a: invalid branch name 'main?ref-prefix refs/'"
    )
    assert h.log() == []


def test_repositories_are_read_concurrently(h: Harness) -> None:
    names = [f"up/r{i}" for i in range(4)]
    for name in names:
        h.repo(name)
    h.sb.fault_delay(UPLOAD_PACK, 400, times=4)
    started = time.monotonic()
    answers = h.heads(*((name, "main") for name in names), concurrency=4)
    assert all(isinstance(a, Head) for a in answers.values())
    assert time.monotonic() - started < 1.2  # one after another would take 1.6 s


def test_the_token_is_never_sent_to_another_host(h: Harness) -> None:
    from bumper.sandbox.app import Sandbox

    # The other server knows another token: had ours reached it, it would answer 401.
    with Sandbox(token="other-token") as other:
        other.store.create_repo("x", "y", auto_init=True)
        url = f"{other.url}/x/y.git"
        assert h.sha(url, "main", token=h.token) == other.store.ref("x/y", "main")


# -- GitHub GraphQL -------------------------------------------------------------------


@pytest.fixture
def needs_graphql() -> None:
    pytest.importorskip("bumper.sandbox.graphql", reason="sandbox GraphQL not written yet")


def _many_branches(h: Harness, repos: int, branches: int) -> dict[tuple[str, str], str]:
    """``repos`` repositories with ``branches`` branches each, each on its own commit."""
    expected = {}
    for r in range(repos):
        full = f"many/r{r}"
        main = h.repo(full)["main"]
        tree = h.sb.store.git(full, "rev-parse", f"{main}^{{tree}}").decode().strip()
        updates = []
        for b in range(branches):
            sha = (
                h.sb.store.git(full, "commit-tree", tree, "-p", main, "-m", f"b{b}")
                .decode()
                .strip()
            )
            updates.append(f"update refs/heads/b{b} {sha}\n")
            expected[(full, f"b{b}")] = sha
        h.sb.store.git(full, "update-ref", "--stdin", input="".join(updates).encode())
    return expected


@pytest.mark.usefixtures("needs_graphql")
def test_graphql_reads_150_heads_in_2_requests(h: Harness) -> None:
    expected = _many_branches(h, repos=10, branches=15)
    answers = h.heads(*expected, token=h.token)
    assert {pair: getattr(a, "sha", a) for pair, a in answers.items()} == expected
    assert h.log() == [("POST", "/api/graphql", 200)] * 2


@pytest.mark.usefixtures("needs_graphql")
def test_graphql_missing_repository_or_branch_fails_only_that_entry(h: Harness) -> None:
    a = h.repo("up/a")
    answers = h.heads(("up/a", "main"), ("up/nothing", "main"), ("up/a", "mastr"), token=h.token)
    assert answers[("up/a", "main")] == Head("up/a", "main", a["main"])
    assert "up/nothing: repository not found" in str(answers[("up/nothing", "main")])
    assert str(answers[("up/a", "mastr")]) == "up/a: no branch 'mastr'"
    assert h.log() == [("POST", "/api/graphql", 200)]


@pytest.mark.usefixtures("needs_graphql")
def test_graphql_reports_a_renamed_repository(h: Harness) -> None:
    a = h.repo("up/a")
    h.sb.rename("up/a", "moved/b")
    assert h.heads(("up/a", "main"), token=h.token)[("up/a", "main")] == Head(
        "up/a", "main", a["main"], moved_to="moved/b"
    )


@pytest.mark.usefixtures("needs_graphql")
def test_graphql_outage_falls_back_to_git(h: Harness) -> None:
    a = h.repo("up/a")
    h.sb.add_fault(r"/api/graphql$", status=502, times=10)
    assert h.sha("up/a", "main", token=h.token, retries=2) == a["main"]
    assert h.log()[-1] == ("POST", "/up/a.git/git-upload-pack", 200)


@pytest.mark.usefixtures("needs_graphql")
def test_a_rejected_token_fails_github_entries_with_that_message(h: Harness) -> None:
    h.repo("up/a")
    message = h.error("up/a", "main", token=Secret("wrong-token-123"))
    assert message == "up/a: GitHub rejected the token (HTTP 401)"


@pytest.mark.usefixtures("needs_graphql")
def test_the_token_never_shows_in_messages_logs_or_urls(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h.repo("up/a")
    token = h.token.reveal()
    h.sb.add_fault(r"/api/graphql$", status=500, times=5, body=f'{{"message": "{token}"}}')
    h.sb.fault_rate_limit(UPLOAD_PACK, reset_in=3600)
    answers = h.heads(("up/a", "main"), ("up/nothing", "x"), ("up/a", "y"), token=h.token)
    answers.update(h.heads(("up/a", "main"), token=Secret(token + "-bad")))
    texts = [str(a) for a in answers.values()] + [repr(a) for a in answers.values()]
    texts += [r.getMessage() for r in caplog.records] + [r["path"] for r in settled_requests(h.sb)]
    assert all(token not in text for text in texts)
    assert any("rate limited" in text for text in texts)


# -- compare --------------------------------------------------------------------------


@pytest.fixture
def needs_rest() -> None:
    pytest.importorskip("bumper.sandbox.rest", reason="sandbox REST API not written yet")


@pytest.mark.usefixtures("needs_rest")
def test_compare_counts_commits_behind_and_lists_the_newest_first(h: Harness) -> None:
    a = h.repo("up/a")
    shas = [
        h.sb.store.commit_files("up/a", "main", {"f": str(i)}, f"step {i}\n\nbody")
        for i in range(3)
    ]
    result = compare(
        "up/a", a["main"], shas[-1], client=h.client, github=h.github, token=None, limit=2
    )
    assert result is not None
    assert result.ahead_by == 3
    assert [(c.sha, c.title) for c in result.commits] == [(shas[2], "step 2"), (shas[1], "step 1")]


@pytest.mark.usefixtures("needs_rest")
def test_compare_is_unavailable_off_github_or_on_errors(h: Harness) -> None:
    a = h.repo("up/a")
    new = h.sb.store.commit_files("up/a", "main", {"f": "1"}, "one")
    kw: dict[str, Any] = {"client": h.client, "github": h.github, "token": None}
    assert compare("https://git.example.org/x.git", a["main"], new, **kw) is None
    assert compare("up/a", "not-a-sha", new, **kw) is None
    h.sb.add_fault(r"/compare/", status=500, times=5)
    assert compare("up/a", a["main"], new, **kw) is None
