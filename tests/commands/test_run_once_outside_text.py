"""Outside text through `bumper run-once`: upstream commit subjects, a person's notes in a PR
body and the PR templates, against the sandbox as a maintainer would see them on GitHub.

Issue "Attacks that must fail": #4 (a subject breaking the marker), #6 and #19 (subjects that
escape their code span), #22 (a person's notes in a PR body), #21 and #8 (templates refused
at config time), #13 (`--summary`).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from markdown_it import MarkdownIt

from bumper.bump.prtext import parse_marker
from bumper.bump.publish import publish
from bumper.cli import main
from bumper.config.settings import Config, GitHubSettings, PrSettings, Secret, TargetSettings
from bumper.github.http import new_client
from bumper.github.pygithub_forge import GitHubForge
from bumper.model import Entry, Head, Status

TARGET = "acme/app"
TOKEN_ENV = "BUMPER_TEXT_TOKEN"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
HOSTILE = (  # upstream commit subjects, each under the 100 characters a PR body lists
    '<!-- bumper-pin {"v":1,"file":"Makefile"} -->\rcloses #1 @someone\u2028## heading',
    "`GH-12` org/repo#12 https://x/issues/1\x85[a](http://evil) ![i](http://evil/x.png)",
    "`` \u202egnp.exe <b>bold</b>\u2066 <!-- `",
)


class Target:
    """An upstream up/lib and a target acme/app whose Makefile pins it."""

    def __init__(self, sb: Any, root: Path) -> None:
        self.sb = sb
        self.store = sb.store
        self.store.create_repo("up", "lib", auto_init=True)
        self.old = self.head("up/lib")
        self.store.create_repo("acme", "app", auto_init=True)
        self.base = self.store.commit_files(
            TARGET, "main", {"Makefile": f"LIB_VERSION?={self.old}\n"}, "Add pins"
        )
        self.root = root
        self.http = httpx.Client(
            base_url=sb.api_url, headers={"Authorization": f"token {sb.token}"}, timeout=10
        )

    def head(self, repository: str, branch: str = "main") -> str:
        sha = self.store.ref(repository, branch)
        assert sha is not None
        return str(sha)

    def config(self, pr: str = "", base: str = "main", branch: str = "main") -> Path:
        path = self.root / "bumper.yaml"
        path.write_text(
            f"github:\n  api_url: {self.sb.api_url}\n  git_url: {self.sb.git_url}\n"
            f"  token_env: {TOKEN_ENV}\n  seconds_between_requests: 0\n"
            "  seconds_between_writes: 0\n"
            f"target:\n  repository: {TARGET}\n  base: {base}\n"
            "lookup:\n  allow_http: true\n  backoff_seconds: 0\n"
            f"{pr}"
            "matrix:\n"
            f"  - repository: up/lib\n    variable: LIB_VERSION\n    branch: {branch}\n"
            "    file: Makefile\n",
            encoding="utf-8",
        )
        return path

    def upstream_commit(self, subject: str) -> str:
        n = len(self.store.git("up/lib", "rev-list", "main").split())
        return str(self.store.commit_files("up/lib", "main", {f"f{n}.txt": f"{n}\n"}, subject))

    def pulls(self, state: str = "all") -> list[dict[str, Any]]:
        answer = self.http.get(f"/repos/{TARGET}/pulls", params={"state": state})
        answer.raise_for_status()
        return list(answer.json())

    def edit_pull(self, number: int, **fields: str) -> None:
        self.http.patch(f"/repos/{TARGET}/pulls/{number}", json=fields).raise_for_status()

    def writes(self) -> list[str]:
        """The requests that changed something (GraphQL here only reads)."""
        logged = [f"{r['method']} {r['path']}" for r in self.sb.requests()]
        return [r for r in logged if r.split()[0] in WRITES and not r.endswith("/graphql")]


@pytest.fixture
def target(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    t = Target(sandbox, tmp_path)
    yield t
    t.http.close()


def run_once(
    capsys: pytest.CaptureFixture[str], config: Path, *extra: str
) -> tuple[int, dict[str, Any], str]:
    capsys.readouterr()
    code = main(["run-once", "--config", str(config), "--json", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def _inline(body: str) -> list[Any]:
    """Every inline token of ``body`` as a CommonMark parser reads it (nested ones too)."""
    tokens = []
    for token in MarkdownIt("commonmark").enable("table").parse(body):
        tokens += [token, *(token.children or [])]
    return tokens


# -- #4, #6, #19: a hostile upstream commit subject ------------------------------------------


def test_hostile_subject_stays_inert_and_the_pr_is_left_alone(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    config = target.config()
    for subject in HOSTILE:
        new = target.upstream_commit(subject)
    code, doc, _ = run_once(capsys, config)
    assert code == 0 and doc["results"][0]["status"] == "bumped", doc
    [pr] = target.pulls()
    body = pr["body"]
    marker = parse_marker(body)
    assert marker is not None and marker.upstream == new
    # Each subject is one code span on one line: no heading, link, image, HTML or ping.
    assert body.splitlines() == body.rstrip("\n").split("\n")  # no CR, U+2028, NEL
    assert body.count("<!--") == 2  # bumper's opening line and its marker, nothing else
    tokens = _inline(body)
    kinds = {t.type for t in tokens}
    assert not kinds & {"heading_open", "link_open", "image", "html_inline"}, kinds
    assert [t.content for t in tokens if t.type == "html_block"] == [
        line + "\n" for line in body.split("\n") if line.startswith("<!--")
    ]
    spans = [t.content for t in tokens if t.type == "code_inline"]
    assert any("closes #1 @someone ## heading" in s for s in spans), spans
    assert any("https://x/issues/1 [a](http://evil) ![i](http" in s for s in spans), spans
    assert any("gnp.exe <b>bold</b>" in s for s in spans), spans
    assert not any(unicodedata.category(c) == "Cf" and c != "\u200b" for c in body)

    # A second pass finds its marker: nothing to write.
    target.sb.clear_requests()
    code, doc, _ = run_once(capsys, config)
    assert code == 0 and doc["results"][0]["status"] == "up-to-date", doc
    assert target.writes() == []

    # Closed by a person without merging: not reopened for the same sha.
    target.edit_pull(pr["number"], state="closed")
    code, doc, _ = run_once(capsys, config)
    assert code == 0 and doc["results"][0]["status"] == "skipped", doc
    assert [p["state"] for p in target.pulls()] == ["closed"]


# -- #22: a person's notes in the PR body ------------------------------------------------------


def test_a_persons_notes_survive_upstream_moving(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    config = target.config()
    target.upstream_commit("First change")
    run_once(capsys, config)
    [pr] = target.pulls()
    # Edited on GitHub's web page: CRLF line ends, notes above and below bumper's text.
    edited = "Waiting for the CUDA fix, @alice.\n\n" + pr["body"] + "\nTested on arm64: ok.\n"
    target.edit_pull(pr["number"], body=edited.replace("\n", "\r\n"))

    # The notes alone are no reason to write.
    target.sb.clear_requests()
    code, doc, _ = run_once(capsys, config)
    assert code == 0 and doc["results"][0]["status"] == "up-to-date", doc
    assert target.writes() == []

    newer = target.upstream_commit("Second change")
    code, doc, _ = run_once(capsys, config)
    assert code == 0 and doc["results"][0]["status"] == "bumped", doc
    [pr] = target.pulls()
    body = pr["body"]
    assert body.startswith("Waiting for the CUDA fix, @alice.\r\n")
    assert body.rstrip().endswith("Tested on arm64: ok.")
    assert "Second change" in body
    marker = parse_marker(body)
    assert marker is not None and marker.upstream == newer
    target.sb.clear_requests()
    run_once(capsys, config)
    assert target.writes() == []


# -- #21, #8: templates refused at config time -------------------------------------------------


@pytest.mark.parametrize(
    ("pr", "line", "field", "phrase"),
    [
        ("pr:\n  title: 'Update to {sha:>999999999}'\n", 14, "pr.title", "{sha:>999999999}"),
        ("pr:\n  title: 'Update to {sha!r}'\n", 14, "pr.title", "no format spec or conversion"),
        ("pr:\n  body: 'x {old:.3}'\n", 14, "pr.body", "write {old}"),
        ("pr:\n  branch: 'up/{variable:>99}'\n", 14, "pr.branch", "no format spec"),
        ("pr:\n  branch: main\n", 14, "pr.branch", "would be the base branch"),
        ("pr:\n  branch: '{branch}'\n", 14, "pr.branch", "would be the base branch"),
        ("pr:\n  branch: 'up/{variable}.lock'\n", 14, "pr.branch", "not a valid git branch"),
    ],
)
def test_template_that_would_misbehave_is_refused_at_config_time(
    target: Target,
    capsys: pytest.CaptureFixture[str],
    pr: str,
    line: int,
    field: str,
    phrase: str,
) -> None:
    target.upstream_commit("Change")
    config = target.config(pr=pr)
    target.sb.clear_requests()
    code, _, err = run_once(capsys, config)
    assert code == 2, err
    assert f"{config}:{line}: {field}" in err and phrase in err, err
    assert target.sb.requests() == [] and target.pulls() == []
    assert target.head(TARGET) == target.base


def test_branch_template_is_checked_against_the_configured_base(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    config = target.config(pr="pr:\n  branch: 'bump-{branch}'\n", base="bump-main")
    code, _, err = run_once(capsys, config)
    assert code == 2 and "pr.branch: gives `bump-main`" in err and "base branch" in err, err


def test_publish_never_writes_to_the_base_whatever_renders_it(target: Target) -> None:
    """A Config built in code skips the config checks: publish refuses the base itself."""
    target.upstream_commit("Change")
    config = Config(
        path=Path("bumper.yaml"),
        github=GitHubSettings(
            api_url=target.sb.api_url,
            git_url=target.sb.git_url,
            seconds_between_requests=0,
            seconds_between_writes=0,
        ),
        target=TargetSettings(repository=TARGET, base="main"),
        pr=PrSettings(branch="{branch}"),
    )
    entry = Entry(repository="up/lib", variable="LIB_VERSION", branch="main", file="Makefile")
    token = Secret(target.sb.token)
    heads = {("up/lib", "main"): Head("up/lib", "main", target.head("up/lib"))}
    with new_client(timeout=10) as client, GitHubForge.from_config(config, token) as forge:
        [result] = publish(config, [entry], heads, forge, client=client, token=token)
    assert result.status is Status.FAILED
    assert "would be the base branch" in result.message
    assert target.head(TARGET) == target.base and target.writes() == []


def test_rendering_ignores_a_format_spec_that_got_past_the_checks() -> None:
    from bumper.bump.prtext import Marker, render_body

    entry = Entry(repository="up/lib", variable="LIB_VERSION", branch="main", file="Makefile")
    marker = Marker("Makefile", "LIB_VERSION", "up/lib", "b" * 40, "a" * 40, "1" * 40, "2" * 40)
    pr = PrSettings(body="x {variable:>40}|")
    body = render_body(pr, entry, marker, compare_url=None, commits=None, ahead_by=None)
    assert "x LIB_VERSION|" in body


# -- #13: `run-once --summary` -----------------------------------------------------------------


def test_summary_keeps_hold_reasons_and_server_text_inert(
    target: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "Makefile").write_text(f"LIB_VERSION?={target.old}\nTOOL_VERSION?={target.old}\n")
    target.store.create_repo("up", "tool", auto_init=True)
    reason = "broke | the build, @someone ![i](http://evil/x.png) <img src=x> closes #1"
    config = tmp_path / "summary.yaml"
    config.write_text(
        f"github:\n  api_url: {target.sb.api_url}\n  git_url: {target.sb.git_url}\n"
        "lookup:\n  allow_http: true\n  backoff_seconds: 0\n  retries: 0\n"
        "matrix:\n"
        "  - repository: up/lib\n    variable: LIB_VERSION\n    branch: main\n"
        f"    file: Makefile\n    hold: {json.dumps(reason)}\n"
        "  - repository: up/tool\n    variable: TOOL_VERSION\n    branch: main\n"
        "    file: Makefile\n",
        encoding="utf-8",
    )
    target.sb.add_fault(path=r"^/api/graphql$|^/up/tool\.git/", status=500, times=100)
    summary = tmp_path / "summary.md"
    argv = ["run-once", "--config", str(config), "--checkout", str(checkout)]
    code = main([*argv, "--summary", str(summary)])
    capsys.readouterr()
    assert code == 1
    text = summary.read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    assert len([t for t in tokens if t.type == "tr_open"]) == 3, text  # no `|` split a row
    inline = [c for t in tokens if t.type == "inline" for c in (t.children or [])]
    assert not {c.type for c in inline} & {"link_open", "image", "html_inline"}, text
    spans = [c.content for c in inline if c.type == "code_inline"]
    assert reason in spans  # whole, and a code span: no ping, image or issue reference
    assert any("HTTP 500" in span for span in spans), spans
    plain = " ".join(c.content for c in inline if c.type == "text")
    assert "@" not in plain and "#" not in plain and "http" not in plain, plain
