"""`bumper sandbox` as a user starts it: first line, serving, clean exit on a signal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

LINE = re.compile(r"\Abumper sandbox listening on (http://127\.0\.0\.1:\d+)\n\Z")


def start(args: list[str], tmpdir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bumper", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_seeded_sandbox_serves_then_exits_0_and_removes_its_data(tmp_path, sig):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    with start(["--seed", "demo"], tmpdir) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = LINE.match(first)
        assert match, first
        url = match.group(1)
        heads = subprocess.run(
            ["git", "ls-remote", "--heads", f"{url}/ggml-org/llama.cpp", "master"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert re.fullmatch(r"[0-9a-f]{40}\trefs/heads/master\n", heads.stdout)
        with httpx.Client() as client:
            log = client.get(url + "/_sandbox/requests").json()
        assert [r["path"] for r in log] == ["/ggml-org/llama.cpp/info/refs"] + [
            "/ggml-org/llama.cpp/git-upload-pack"
        ] * (len(log) - 1)
        assert list(tmpdir.iterdir())  # the data lives in a temp dir while serving
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    assert list(tmpdir.iterdir()) == []


def test_data_dir_and_token_are_used_and_kept(tmp_path):
    data = tmp_path / "data"
    with start(["--data", str(data), "--token", "t0ken"], tmp_path) as proc:
        assert proc.stdout is not None
        url = LINE.match(proc.stdout.readline()).group(1)
        with httpx.Client() as client:
            created = client.post(url + "/_sandbox/repos", json={"full_name": "o/r"})
            assert created.status_code == 201
            wrong = client.get(url + "/o/r.git/info/refs", auth=("x", "sandbox-token"))
            assert wrong.status_code == 401
            right = client.get(
                url + "/o/r.git/info/refs?service=git-receive-pack", auth=("x", "t0ken")
            )
            assert right.status_code == 200
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None
        assert "t0ken" not in proc.stderr.read()
    assert (data / "repos" / "o" / "r.git").is_dir()


def test_port_in_use_is_one_line_error_exit_1(tmp_path):
    with start([], tmp_path) as first:
        assert first.stdout is not None
        port = LINE.match(first.stdout.readline()).group(1).rsplit(":", 1)[1]
        second = subprocess.run(
            [sys.executable, "-m", "bumper", "sandbox", "--port", port],
            capture_output=True,
            text=True,
            timeout=20,
        )
        first.terminate()
        first.wait(timeout=10)
    assert second.returncode == 1
    assert second.stdout == ""
    assert second.stderr.startswith("bumper: error: sandbox cannot listen on 127.0.0.1:")
    assert "Traceback" not in second.stderr
