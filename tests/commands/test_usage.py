"""What `bumper --help` and `--version` tell a newcomer."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bumper import __version__
from bumper.cli import _parser, main


def test_version_prints_the_version_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bumper", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, f"bumper {__version__}\n")


def test_help_says_what_bumper_does_its_verbs_exit_codes_and_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "one pull request per pin" in text
    for verb in ("run-once", "serve", "audit", "sandbox", "demo", "schema"):
        assert f"    {verb} " in text
    assert "exit codes:" in text and "3  a bug" in text
    assert "examples:" in text and "bumper run-once --config" in text


def test_every_option_of_every_verb_has_help() -> None:
    parser = _parser()
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [
        f"{name} {'/'.join(action.option_strings)}"
        for name, sub in verbs.choices.items()
        for action in sub._actions
        if action.option_strings and not action.help
    ]
    assert verbs.choices, "no verbs found"
    assert missing == []


def test_only_with_a_misspelt_variable_suggests_the_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bumper.yaml"
    config.write_text(
        "matrix:\n  - repository: o/n\n    variable: LLAMA_VERSION\n"
        "    branch: master\n    file: Makefile\n"
    )
    (tmp_path / "Makefile").write_text("LLAMA_VERSION?=" + "1" * 40 + "\n")
    code = main(
        ["run-once", "--config", str(config), "--checkout", str(tmp_path), "--only", "LLAMA_VERSIN"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "--only: no matrix entry for LLAMA_VERSIN; did you mean LLAMA_VERSION?" in err


def test_a_pass_of_one_request_says_request_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox: Any
) -> None:
    sandbox.store.create_repo("o", "n", auto_init=True)
    head = sandbox.store.ref("o/n", "main")
    config = tmp_path / "bumper.yaml"
    config.write_text(
        f"github:\n  git_url: {sandbox.git_url}\nlookup:\n  allow_http: true\n"
        "matrix:\n  - repository: o/n\n    variable: X_VERSION\n"
        "    branch: main\n    file: Makefile\n"
    )
    (tmp_path / "Makefile").write_text(f"X_VERSION?={head}\n")
    assert main(["run-once", "--config", str(config), "--checkout", str(tmp_path)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("1 up-to-date in ") and last.endswith("s, 1 request")


def test_offline_ends_with_one_line_naming_the_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    rows = "".join(
        f"  - repository: o/n{i}\n    variable: X{i}_VERSION\n    branch: main\n"
        "    file: Makefile\n"
        for i in range(3)
    )
    config = tmp_path / "bumper.yaml"
    config.write_text(
        f"github:\n  git_url: {dead}\nlookup:\n  allow_http: true\n  retries: 0\nmatrix:\n{rows}"
    )
    (tmp_path / "Makefile").write_text("".join(f"X{i}_VERSION?={'1' * 40}\n" for i in range(3)))
    assert main(["run-once", "--config", str(config), "--checkout", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("bumper: no server answered any of 3 requests: 3 entries failed")


def test_dry_run_without_checkout_prints_each_prs_diff_and_says_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bumper.sandbox.app import Sandbox
    from bumper.sandbox.seed import demo_config_yaml

    with Sandbox(seed="demo") as sb:
        config = tmp_path / "bumper.yaml"
        config.write_text(demo_config_yaml(sb.url, "BUMPER_TEST_TOKEN"))
        monkeypatch.setenv("BUMPER_TEST_TOKEN", sb.token)
        sb.clear_requests()
        code = main(["run-once", "--config", str(config), "--dry-run"])
        writes = [
            r
            for r in sb.requests()
            if r.get("graphql") == "mutation"
            or (r["method"] in ("POST", "PATCH", "PUT", "DELETE") and r["path"] != "/api/graphql")
        ]
    out = capsys.readouterr().out
    assert code == 0 and writes == []
    bumped = [line for line in out.splitlines() if "] bumped:" in line]
    assert bumped and all("would open a PR" in line for line in bumped), out
    assert "opened PR" not in out
    assert out.count("--- a/") == len(bumped)  # one diff per PR it would open
    assert "\n-LLAMA_VERSION" in out and "\n+LLAMA_VERSION" in out


def test_held_rows_in_json_carry_the_sha_they_are_held_at_when_opening_prs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bumper.sandbox.app import Sandbox
    from bumper.sandbox.seed import TARGET, TARGET_BRANCH, demo_config_yaml

    makefile = "backend/go/whisper/Makefile"
    with Sandbox(seed="demo") as sb:
        text = demo_config_yaml(sb.url, "BUMPER_TEST_TOKEN").replace(
            f"file: {makefile}\n", f"file: {makefile}\n    hold: upstream broke the build\n"
        )
        config = tmp_path / "bumper.yaml"
        config.write_text(text)
        monkeypatch.setenv("BUMPER_TEST_TOKEN", sb.token)
        pinned = sb.store.read_file(TARGET, TARGET_BRANCH, makefile)
        code = main(["run-once", "--config", str(config), "--dry-run", "--json"])
    doc = json.loads(capsys.readouterr().out)
    (held,) = [r for r in doc["results"] if r["status"] == "held"]
    assert code == 0 and held["variable"] == "WHISPER_CPP_VERSION"
    assert pinned is not None and f"WHISPER_CPP_VERSION?={held['old']}" in pinned.decode()


def test_what_bumper_prints_reaches_a_pipe_whole_though_it_exits_without_teardown() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bumper", "schema"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["$schema"].startswith("https://json-schema.org/")


def test_a_reader_that_went_away_is_not_reported_as_a_bug() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # `bumper schema | head -c0`: every write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bumper", "schema"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "bug" not in done.stderr and "Traceback" not in done.stderr


def test_a_profiler_still_gets_to_write_its_figures(tmp_path: Path) -> None:
    figures = tmp_path / "bumper.prof"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(figures), "-m", "bumper", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"bumper {__version__}\n")
    assert figures.stat().st_size > 0
