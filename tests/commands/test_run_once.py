"""`bumper run-once --checkout`: the drop-in for a shell bump script, against real upstreams."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bumper.cli import main

OLD = "1" * 40


def _upstream(sb: Any, full: str, branch: str = "master") -> str:
    owner, name = full.split("/")
    sb.store.create_repo(owner, name, default_branch=branch)
    return str(sb.store.commit_files(full, branch, {"src.c": f"// {full}\n"}, "upstream work"))


def _write_config(tmp: Path, sb: Any, entries: str) -> Path:
    path = tmp / "bumper.yaml"
    path.write_text(
        f"github:\n  api_url: {sb.api_url}\n  git_url: {sb.git_url}\n"
        "lookup:\n  allow_http: true\n  backoff_seconds: 0\n"
        f"matrix:\n{entries}",
        encoding="utf-8",
    )
    return path


def _entry(repo: str, var: str, file: str, branch: str = "master", hold: str | None = None) -> str:
    text = f"  - repository: {repo}\n    variable: {var}\n    branch: {branch}\n    file: {file}\n"
    return text + (f"    hold: {hold!r}\n" if hold else "")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "backend/cpp/llama").mkdir(parents=True)
    (root / "backend/go/whisper").mkdir(parents=True)
    (root / "backend/cpp/llama/Makefile").write_bytes(
        f"# pin lives below as LLAMA_VERSION?={OLD}\r\n"
        f"IK_LLAMA_VERSION?={OLD}\r\nLLAMA_VERSION?={OLD}\r\n".encode()
    )
    (root / "backend/go/whisper/Makefile").write_text(f"WHISPER_CPP_VERSION ?= {OLD} # pinned")
    return root


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["run-once", *args, "--json"])
    out = capsys.readouterr().out
    doc = json.loads(out)
    # each result on a line of its own, so a file of them reads and diffs line by line
    lines = [json.loads(line.rstrip(",")) for line in out.splitlines() if line.startswith("  {")]
    assert lines == doc["results"]
    return code, doc


def test_bumps_each_pin_and_nothing_else(
    sandbox: Any, tmp_path: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    llama = _upstream(sandbox, "ggml-org/llama.cpp")
    whisper = _upstream(sandbox, "ggml-org/whisper.cpp")
    config = _write_config(
        tmp_path,
        sandbox,
        _entry("ggml-org/llama.cpp", "LLAMA_VERSION", "backend/cpp/llama/Makefile")
        + _entry("ggml-org/whisper.cpp", "WHISPER_CPP_VERSION", "backend/go/whisper/Makefile"),
    )
    code, doc = _run(capsys, "--config", str(config), "--checkout", str(checkout))
    assert code == 0
    assert [(r["variable"], r["status"], r["old"], r["new"]) for r in doc["results"]] == [
        ("LLAMA_VERSION", "bumped", OLD, llama),
        ("WHISPER_CPP_VERSION", "bumped", OLD, whisper),
    ]
    assert (checkout / "backend/cpp/llama/Makefile").read_bytes() == (
        f"# pin lives below as LLAMA_VERSION?={llama}\r\n"
        f"IK_LLAMA_VERSION?={OLD}\r\nLLAMA_VERSION?={llama}\r\n".encode()
    )
    assert (checkout / "backend/go/whisper/Makefile").read_text() == (
        f"WHISPER_CPP_VERSION ?= {whisper} # pinned"
    )
    # A second pass finds nothing to do.
    code, doc = _run(capsys, "--config", str(config), "--checkout", str(checkout))
    assert code == 0
    assert {r["status"] for r in doc["results"]} == {"up-to-date"}


def test_one_broken_entry_never_stops_the_others(
    sandbox: Any, tmp_path: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whisper = _upstream(sandbox, "ggml-org/whisper.cpp")
    _upstream(sandbox, "ggml-org/llama.cpp")
    before = (checkout / "backend/cpp/llama/Makefile").read_bytes()
    config = _write_config(
        tmp_path,
        sandbox,
        _entry("ggml-org/llama.cpp", "LLAMA_VERSION", "backend/cpp/llama/Makefile", "mastr")
        + _entry("ggml-org/whisper.cpp", "WHISPER_CPP_VERSION", "backend/go/whisper/Makefile"),
    )
    code, doc = _run(capsys, "--config", str(config), "--checkout", str(checkout))
    assert code == 1
    by_var = {r["variable"]: r for r in doc["results"]}
    assert by_var["LLAMA_VERSION"]["status"] == "failed"
    assert "mastr" in by_var["LLAMA_VERSION"]["message"]
    assert by_var["WHISPER_CPP_VERSION"]["new"] == whisper
    assert (checkout / "backend/cpp/llama/Makefile").read_bytes() == before


def test_html_error_page_never_reaches_the_makefile(
    sandbox: Any, tmp_path: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _upstream(sandbox, "ggml-org/llama.cpp")
    before = (checkout / "backend/cpp/llama/Makefile").read_bytes()
    sandbox.add_fault(
        path=r"^/ggml-org/llama\.cpp\.git/",
        status=200,
        times=100,
        body="<html><body>Unicorn! This page is taking too long to load.</body></html>",
        headers={"Content-Type": "text/html"},
    )
    config = _write_config(
        tmp_path,
        sandbox,
        _entry("ggml-org/llama.cpp", "LLAMA_VERSION", "backend/cpp/llama/Makefile"),
    )
    code, doc = _run(capsys, "--config", str(config), "--checkout", str(checkout))
    assert code == 1
    assert doc["results"][0]["status"] == "failed"
    assert doc["results"][0]["new"] is None
    assert (checkout / "backend/cpp/llama/Makefile").read_bytes() == before


def test_dry_run_prints_the_diff_and_writes_nothing(
    sandbox: Any, tmp_path: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _upstream(sandbox, "ggml-org/whisper.cpp")
    config = _write_config(
        tmp_path,
        sandbox,
        _entry("ggml-org/whisper.cpp", "WHISPER_CPP_VERSION", "backend/go/whisper/Makefile"),
    )
    before = (checkout / "backend/go/whisper/Makefile").read_bytes()
    code = main(["run-once", "--config", str(config), "--checkout", str(checkout), "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"+WHISPER_CPP_VERSION ?= {new} # pinned" in out
    assert f"-WHISPER_CPP_VERSION ?= {OLD} # pinned" in out
    assert (checkout / "backend/go/whisper/Makefile").read_bytes() == before


def test_held_and_only(
    sandbox: Any, tmp_path: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _upstream(sandbox, "ggml-org/whisper.cpp")
    _upstream(sandbox, "ggml-org/llama.cpp")
    config = _write_config(
        tmp_path,
        sandbox,
        _entry(
            "ggml-org/llama.cpp",
            "LLAMA_VERSION",
            "backend/cpp/llama/Makefile",
            hold="upstream broke the CUDA build",
        )
        + _entry("ggml-org/whisper.cpp", "WHISPER_CPP_VERSION", "backend/go/whisper/Makefile"),
    )
    code, doc = _run(
        capsys, "--config", str(config), "--checkout", str(checkout), "--only", "LLAMA_VERSION"
    )
    assert code == 0
    assert [(r["variable"], r["status"], r["message"]) for r in doc["results"]] == [
        ("LLAMA_VERSION", "held", "upstream broke the CUDA build")
    ]
    # a held row says which sha it is held at
    assert doc["results"][0]["old"] == OLD and doc["results"][0]["new"] is None
    assert OLD in (checkout / "backend/go/whisper/Makefile").read_text()


def test_summary_has_compare_links(
    sandbox: Any, tmp_path: Path, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _upstream(sandbox, "ggml-org/whisper.cpp")
    config = _write_config(
        tmp_path,
        sandbox,
        _entry("ggml-org/whisper.cpp", "WHISPER_CPP_VERSION", "backend/go/whisper/Makefile"),
    )
    summary = tmp_path / "summary.md"
    main(["run-once", "--config", str(config), "--checkout", str(checkout)])
    capsys.readouterr()
    (checkout / "backend/go/whisper/Makefile").write_text(f"WHISPER_CPP_VERSION ?= {OLD}\n")
    code = main(
        [
            "run-once",
            "--config",
            str(config),
            "--checkout",
            str(checkout),
            "--summary",
            str(summary),
        ]
    )
    assert code == 0
    assert f"{sandbox.git_url}/ggml-org/whisper.cpp/compare/{OLD}...{new}" in summary.read_text()


def test_bad_config_exits_2_naming_file_line_and_field(tmp_path: Path) -> None:
    config = tmp_path / "bumper.yaml"
    config.write_text(
        "matrix:\n  - repository: a/b\n    variable: X\n    brnach: main\n    file: Makefile\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bumper", "run-once", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert f"{config}:4: matrix[0].brnach" in proc.stderr
    assert "branch" in proc.stderr
