"""`bumper audit` on rows that follow release tags: the lines they pin are `tracked`, never
untracked or broken, with where they stand against the newest matching release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bumper.audit.run import run_audit
from bumper.config.load import load_config
from bumper.sandbox.seed import tag_upstream


def test_lines_of_rows_following_tags_are_tracked(sandbox: Any, tmp_path: Path) -> None:
    sandbox.store.create_repo("grpc", "grpc", auto_init=True)
    made = {
        name: tag_upstream(sandbox.store, "grpc/grpc", "main", name, annotated=True)
        for name in ("v1.65.0", "v1.66.1", "v1.67.0-rc1")
    }
    root = tmp_path / "co"
    (root / "docker").mkdir(parents=True)
    (root / "Makefile").write_text(
        f"GRPC_VERSION?=v1.65.0\nGRPC_COMMIT?={made['v1.66.1']}\nNEXT?={made['v1.67.0-rc1']}\n"
    )
    (root / "docker/Dockerfile").write_text("FROM x\nARG GRPC_VERSION=v1.65.0\n")
    config = tmp_path / "bumper.yaml"
    config.write_text(
        f"github:\n  api_url: {sandbox.api_url}\n  git_url: {sandbox.git_url}\n"
        "lookup:\n  allow_http: true\n"
        "matrix:\n"
        "  - {repository: grpc/grpc, variable: GRPC_VERSION, follow: tags,"
        " files: [Makefile, docker/Dockerfile]}\n"
        "  - {repository: grpc/grpc, variable: GRPC_COMMIT, follow: tags, file: Makefile}\n"
        "  - {repository: grpc/grpc, variable: NEXT, follow: tags, file: Makefile}\n"
    )
    audit, _, _ = run_audit(load_config(config, root), root, lookup=True)
    found = {(f.file, f.line): f for f in audit.findings}
    assert {key: f.category for key, f in found.items()} == {
        ("Makefile", 1): "tracked",
        ("Makefile", 2): "tracked",
        ("Makefile", 3): "tracked",
    }, [(f.file, f.line, f.category, f.message) for f in audit.findings]
    assert found[("Makefile", 1)].message == (
        "tracked on releases (tags:*); newest v1.66.1 (commit "
        f"{made['v1.66.1'][:12]}), pinned v1.65.0; at Makefile:1, docker/Dockerfile:2"
    )
    assert found[("Makefile", 2)].message == "tracked on releases (tags:*); up to date at v1.66.1"
    assert "newer than the newest matching tag v1.66.1" in found[("Makefile", 3)].message


def test_without_look_ups_tag_rows_are_still_tracked(tmp_path: Path) -> None:
    root = tmp_path / "co"
    root.mkdir()
    (root / "Makefile").write_text("GRPC_VERSION?=v1.65.0\n")
    config = tmp_path / "bumper.yaml"
    config.write_text(
        "matrix:\n  - {repository: grpc/grpc, variable: GRPC_VERSION, follow: tags,"
        " file: Makefile}\n"
    )
    audit, _, _ = run_audit(load_config(config, root), root, lookup=False)
    ((finding),) = audit.findings
    assert (finding.file, finding.line, finding.category, finding.value) == (
        "Makefile",
        1,
        "tracked",
        "v1.65.0",
    )
