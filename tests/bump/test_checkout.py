"""`run-once --checkout` on hostile working trees: planted symlinks and special files.

Each pass runs through the CLI against the sandbox; the ones that could hang on a special
file run as a subprocess with a timeout, so a regression fails instead of blocking the suite.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bumper.cli import main

OLD = "1" * 40
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def upstream(sandbox: Any) -> Any:
    for name in ("lib", "tool"):
        sandbox.store.create_repo("up", name, auto_init=True)
    return sandbox


def write_config(tmp_path: Path, sb: Any) -> Path:
    config = tmp_path / "bumper.yaml"
    config.write_text(
        f"github:\n  api_url: {sb.api_url}\n  git_url: {sb.git_url}\n"
        "lookup:\n  allow_http: true\n  backoff_seconds: 0\n"
        "matrix:\n"
        "  - {repository: up/lib, variable: LIB_VERSION, branch: main, file: Makefile}\n"
        "  - {repository: up/tool, variable: TOOL_VERSION, branch: main, file: tool/Makefile}\n"
    )
    return config


def make_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    (checkout / "tool").mkdir(parents=True)
    (checkout / "tool/Makefile").write_text(f"TOOL_VERSION?={OLD}\n")
    return checkout


def results_of(out: str) -> dict[str, dict[str, Any]]:
    return {r["variable"]: r for r in json.loads(out)["results"]}


def test_a_planted_temporary_file_symlink_is_never_written_through(
    upstream: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout = make_checkout(tmp_path)
    (checkout / "Makefile").write_text(f"LIB_VERSION?={OLD}\n")
    (checkout / "Makefile").chmod(0o640)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    # The name bumper used for its temporary file, committed as a link to a file outside.
    (checkout / ".Makefile.bumper-tmp").symlink_to(victim)
    (checkout / "tool/.Makefile.bumper-tmp").symlink_to(tmp_path / "created-outside")

    config = write_config(tmp_path, upstream)
    code = main(["run-once", "--config", str(config), "--checkout", str(checkout), "--json"])
    results = results_of(capsys.readouterr().out)

    assert code == 0
    assert {v: r["status"] for v, r in results.items()} == {
        "LIB_VERSION": "bumped",
        "TOOL_VERSION": "bumped",
    }
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "created-outside").exists()
    makefile = checkout / "Makefile"
    assert not makefile.is_symlink() and makefile.is_file()
    assert makefile.read_text() == f"LIB_VERSION?={results['LIB_VERSION']['new']}\n"
    assert stat.S_IMODE(makefile.stat().st_mode) == 0o640  # the original's mode kept
    assert (checkout / ".Makefile.bumper-tmp").is_symlink()  # the planted link left alone
    leftovers = [p.name for p in checkout.rglob("*bumper-tmp*") if not p.is_symlink()]
    assert leftovers == []


def test_a_fifo_as_the_makefile_fails_its_entry_and_the_others_are_bumped(
    upstream: Any, tmp_path: Path
) -> None:
    checkout = make_checkout(tmp_path)
    os.mkfifo(checkout / "Makefile")
    config = write_config(tmp_path, upstream)

    argv = ["run-once", "--config", str(config), "--checkout", str(checkout), "--json"]
    proc = subprocess.run(
        [sys.executable, "-m", "bumper", *argv],
        capture_output=True,
        text=True,
        timeout=120,  # a hang is the bug: fail rather than block
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )

    assert proc.returncode == 1, proc.stderr
    results = results_of(proc.stdout)
    lib = results["LIB_VERSION"]
    assert lib["status"] == "failed"
    assert "Makefile" in lib["message"] and "not a regular file" in lib["message"]
    assert results["TOOL_VERSION"]["status"] == "bumped"
    assert stat.S_ISFIFO((checkout / "Makefile").lstat().st_mode)  # left as it was
    assert (checkout / "tool/Makefile").read_text() != f"TOOL_VERSION?={OLD}\n"
