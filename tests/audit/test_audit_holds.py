"""`bumper audit` reports a held entry with what its hold waits for."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bumper.cli import main

OLD = "1" * 40
FIX = "ab" * 20


def test_the_audit_says_when_a_hold_lifts_by_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / "a").mkdir(parents=True)
    (repo / "b").mkdir()
    (repo / "a/Makefile").write_text(f"A_VERSION?={OLD}\n")
    (repo / "b/Makefile").write_text(f"B_VERSION?={OLD}\n")
    config = repo / "bumper.yaml"
    config.write_text(
        "matrix:\n"
        "  - {repository: up/a, variable: A_VERSION, branch: main, file: a/Makefile,\n"
        "     hold: {reason: hangs in synthesis, until: 2999-01-31}}\n"
        "  - {repository: up/b, variable: B_VERSION, branch: main, file: b/Makefile,\n"
        f"     hold: {{reason: broken build, until_upstream_contains: {FIX}}}}}\n"
    )
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    code = main(
        [
            "audit",
            "--config",
            str(config),
            "--checkout",
            str(repo),
            "--format",
            "json",
            "--no-lookup",
        ]
    )
    findings = json.loads(capsys.readouterr().out)["findings"]
    held = {f["variable"]: f for f in findings if f["category"] == "held"}
    assert code == 0
    assert (
        held["A_VERSION"]["message"]
        == "held: hangs in synthesis (lifts by itself until 2999-01-31)"
    )
    assert held["B_VERSION"]["message"] == (
        f"held: broken build (lifts by itself until main contains {FIX[:12]})"
    )
    assert "lifts by itself" in held["B_VERSION"]["suggestion"]
