"""`bumper run-once` for rows that follow release tags, end to end on the sandbox: upstreams
with semver, pre-release and junk tags, lightweight and annotated; the PRs a maintainer sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bumper.cli import main
from bumper.sandbox.seed import advance_upstream, tag_upstream

TARGET = "acme/app"
TOKEN_ENV = "BUMPER_TAGS_TOKEN"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


class World:
    def __init__(self, sb: Any, root: Path) -> None:
        self.sb, self.store, self.root = sb, sb.store, root
        self.tags: dict[str, dict[str, str]] = {}
        self.upstream(
            "grpc/grpc",
            [
                ("v1.64.0", True),
                ("v1.65.0", False),
                ("v1.66.1", True),  # newest v1 release; annotated, so it must be peeled
                ("v1.67.0-rc1", True),
                ("v2.0.0", False),  # left out by the row's glob
                ("latest", False),
                ("nightly-20991231", True),
            ],
        )
        self.upstream("speech/lib", [("v0.9.0", False), ("v1.0.0", True), ("v1.1.0-beta.1", False)])
        self.upstream("old/tool", [("v2.3.0", False), ("v2.4.0", True)])
        self.store.create_repo("acme", "app", auto_init=True)
        self.makefile = (
            "GRPC_VERSION?=v1.65.0\n"
            f"SPEECH_VERSION?={self.tags['speech/lib']['v0.9.0']}  # a release's commit\n"
            "TOOL_VERSION?=v3.0.0  # ahead of upstream on purpose\n"
        )
        self.dockerfile = "FROM debian\nARG GRPC_VERSION=v1.65.0\nRUN build ${GRPC_VERSION}\n"
        self.wheel = "grpcio @ https://example.invalid/grpcio-1.65.0-cp311-linux_x86_64.whl\n"
        self.store.commit_files(
            TARGET,
            "main",
            {
                "Makefile": self.makefile,
                "docker/Dockerfile": self.dockerfile,
                "requirements.txt": self.wheel,
            },
            "Add pins",
        )
        self.http = httpx.Client(
            base_url=sb.api_url, headers={"Authorization": f"token {sb.token}"}, timeout=10
        )

    def upstream(self, full: str, tags: list[tuple[str, bool]]) -> None:
        owner, name = full.split("/")
        self.store.create_repo(owner, name, auto_init=True)
        self.tags[full] = {
            tag: tag_upstream(self.store, full, "main", tag, annotated=annotated)
            for tag, annotated in tags
        }

    def config(self) -> Path:
        rows = [
            (
                "grpc/grpc",
                "GRPC_VERSION",
                '    tags: "v1.*"\n    files: [Makefile, docker/Dockerfile]\n'
                "    also: {match: /grpcio-, file: requirements.txt}\n",
            ),
            ("speech/lib", "SPEECH_VERSION", "    file: Makefile\n"),
            ("old/tool", "TOOL_VERSION", "    file: Makefile\n"),
        ]
        path = self.root / "bumper.yaml"
        path.write_text(
            f"github:\n  api_url: {self.sb.api_url}\n  git_url: {self.sb.git_url}\n"
            f"  web_url: {self.sb.url}\n  token_env: {TOKEN_ENV}\n"
            "  seconds_between_requests: 0\n  seconds_between_writes: 0\n"
            f"target:\n  repository: {TARGET}\n  base: main\n"
            "lookup:\n  allow_http: true\n  backoff_seconds: 0\n"
            "matrix:\n"
            + "".join(
                f"  - repository: {repo}\n    variable: {var}\n    follow: tags\n{extra}"
                for repo, var, extra in rows
            ),
            encoding="utf-8",
        )
        return path

    def pulls(self) -> list[dict[str, Any]]:
        answer = self.http.get(f"/repos/{TARGET}/pulls", params={"state": "all"})
        answer.raise_for_status()
        return sorted(answer.json(), key=lambda p: p["number"])

    def file_at(self, ref: str, path: str = "Makefile") -> str:
        data = self.store.read_file(TARGET, ref, path)
        assert data is not None
        return str(data.decode())

    def writes(self) -> list[str]:
        logged = self.sb.requests()
        return [
            f"{r['method']} {r['path']}"
            for r in logged
            if (r["method"] in WRITES and not r["path"].endswith("/graphql"))
            or r.get("graphql") == "mutation"
        ]


@pytest.fixture
def world(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    w = World(sandbox, tmp_path)
    yield w
    w.http.close()


def run_once(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["run-once", "--config", str(config), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_tag_rows_get_the_newest_release_and_a_second_pass_writes_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    config = world.config()
    code, doc = run_once(capsys, config)
    assert code == 0, doc
    results = {r["variable"]: r for r in doc["results"]}
    grpc, speech, tool = results["GRPC_VERSION"], results["SPEECH_VERSION"], results["TOOL_VERSION"]
    # a tag pin moves to the newest v1 release, skipping v1.67.0-rc1, v2.0.0 and junk tags
    assert (grpc["status"], grpc["old"], grpc["new"]) == ("bumped", "v1.65.0", "v1.66.1")
    assert grpc["branch"] == "tags:v1.*"
    # a sha pin gets the newest release's commit, never the annotated tag's own object
    newest = world.tags["speech/lib"]["v1.0.0"]
    assert (speech["status"], speech["new"]) == ("bumped", newest)
    # a pin newer than every release is never pulled back
    assert tool["status"] == "up-to-date" and tool["pr"] is None
    assert tool["message"].endswith(
        "v3.0.0 is newer than every matching tag (newest v2.4.0); left as it is"
    )

    prs = world.pulls()
    assert len(prs) == 2
    by_branch = {p["head"]["ref"]: p for p in prs}
    grpc_pr = by_branch["update/GRPC_VERSION"]
    assert "v1.65.0 -> v1.66.1" in grpc_pr["title"]
    assert f"{world.sb.url}/grpc/grpc/releases/tag/v1.66.1" in grpc_pr["body"]
    assert f"{world.sb.url}/grpc/grpc/compare/v1.65.0...v1.66.1" in grpc_pr["body"]
    # one PR moves the release in both files
    assert world.file_at("update/GRPC_VERSION") == world.makefile.replace(
        "GRPC_VERSION?=v1.65.0", "GRPC_VERSION?=v1.66.1"
    )
    assert world.file_at("update/GRPC_VERSION", "docker/Dockerfile") == world.dockerfile.replace(
        "v1.65.0", "v1.66.1"
    )
    # and the wheel URL that must agree with it (written without the `v`, as it was)
    assert world.file_at("update/GRPC_VERSION", "requirements.txt") == world.wheel.replace(
        "1.65.0", "1.66.1"
    )
    speech_pr = by_branch["update/SPEECH_VERSION"]
    assert (
        " -> v1.0.0" in speech_pr["title"] and "release `v1.0.0`, its commit" in speech_pr["body"]
    )
    old = world.tags["speech/lib"]["v0.9.0"]
    assert world.file_at("update/SPEECH_VERSION") == world.makefile.replace(old, newest)

    world.sb.clear_requests()
    code, again = run_once(capsys, config)
    assert code == 0
    assert [r["status"] for r in again["results"]] == ["up-to-date"] * 3, again
    assert world.writes() == []
    assert len(world.pulls()) == 2


def test_a_newer_release_updates_the_same_pr(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    config = world.config()
    run_once(capsys, config)
    (number,) = [p["number"] for p in world.pulls() if p["head"]["ref"] == "update/GRPC_VERSION"]
    tag_upstream(world.store, "grpc/grpc", "main", "v1.66.2", annotated=True)
    tag_upstream(world.store, "grpc/grpc", "main", "v1.68.0-rc1", annotated=True)
    code, doc = run_once(capsys, config)
    assert code == 0, doc
    grpc = next(r for r in doc["results"] if r["variable"] == "GRPC_VERSION")
    assert (grpc["status"], grpc["new"], grpc["pr"]) == ("bumped", "v1.66.2", number), grpc
    assert len(world.pulls()) == 2
    assert "GRPC_VERSION?=v1.66.2\n" in world.file_at("update/GRPC_VERSION")


def test_a_base_moved_past_every_release_closes_the_pr_rather_than_downgrade(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    config = world.config()
    run_once(capsys, config)
    (number,) = [p["number"] for p in world.pulls() if p["head"]["ref"] == "update/GRPC_VERSION"]
    # a person moves the pin past upstream's releases by hand (a fork's build, say)
    texts = {
        "Makefile": world.makefile.replace("v1.65.0", "v1.99.0"),
        "docker/Dockerfile": world.dockerfile.replace("v1.65.0", "v1.99.0"),
        "requirements.txt": world.wheel.replace("1.65.0", "1.99.0"),
    }
    world.store.commit_files(TARGET, "main", texts, "Use our own gRPC build")
    code, doc = run_once(capsys, config)
    assert code == 0, doc
    grpc = next(r for r in doc["results"] if r["variable"] == "GRPC_VERSION")
    assert grpc["status"] == "up-to-date", grpc
    closed = next(p for p in world.pulls() if p["number"] == number)
    assert closed["state"] == "closed"
    assert world.file_at("main") == texts["Makefile"]  # nothing pulled back


def test_a_sha_pin_past_the_newest_release_is_not_moved_back(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    later = advance_upstream(world.store, "speech/lib", "main")  # untagged, after v1.0.0
    texts = {
        "Makefile": world.makefile.replace(world.tags["speech/lib"]["v0.9.0"], later),
        "docker/Dockerfile": world.dockerfile,
        "requirements.txt": world.wheel,
    }
    world.store.commit_files(TARGET, "main", texts, "Take speech from main")
    code, doc = run_once(capsys, world.config())
    assert code == 0, doc
    speech = next(r for r in doc["results"] if r["variable"] == "SPEECH_VERSION")
    assert (speech["status"], speech["pr"]) == ("up-to-date", None), speech
    assert speech["message"].endswith(
        f"the pin {later[:12]} already contains v1.0.0"
        f" ({world.tags['speech/lib']['v1.0.0'][:12]}), newer than every matching tag;"
        " left as it is"
    )
    assert not any(p["head"]["ref"] == "update/SPEECH_VERSION" for p in world.pulls())


def test_checkout_mode_rewrites_release_pins_without_a_token(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TOKEN_ENV)  # git ls-refs (ref-prefix refs/tags/, peel) answers
    checkout = tmp_path / "checkout"
    (checkout / "docker").mkdir(parents=True)
    (checkout / "Makefile").write_text(world.makefile)
    (checkout / "docker/Dockerfile").write_text(world.dockerfile)
    (checkout / "requirements.txt").write_text(world.wheel)
    world.sb.clear_requests()
    capsys.readouterr()
    code = main(
        ["run-once", "--config", str(world.config()), "--checkout", str(checkout), "--json"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    assert [r["status"] for r in doc["results"]] == ["bumped", "bumped", "up-to-date"]
    newest = world.tags["speech/lib"]["v1.0.0"]
    assert (checkout / "Makefile").read_text() == world.makefile.replace(
        "v1.65.0", "v1.66.1"
    ).replace(world.tags["speech/lib"]["v0.9.0"], newest)
    assert (checkout / "docker/Dockerfile").read_text() == world.dockerfile.replace(
        "v1.65.0", "v1.66.1"
    )
    assert (checkout / "requirements.txt").read_text() == world.wheel.replace("1.65.0", "1.66.1")
    paths = sorted(r["path"] for r in world.sb.requests())
    assert paths == [
        f"/{repo}.git/git-upload-pack" for repo in ("grpc/grpc", "old/tool", "speech/lib")
    ]
