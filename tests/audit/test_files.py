"""The audit on a hostile checkout: links to special files and to files outside it, and special
files in it. Run as a subprocess with a timeout: a read that blocks is the bug."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSIDE = hashlib.sha1(b"inside").hexdigest()
OUTSIDE = hashlib.sha1(b"outside").hexdigest()


def test_links_out_of_the_checkout_and_special_files_are_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Makefile").write_text(f"OUT_VERSION?={OUTSIDE}\n")
    root = tmp_path / "co"
    (root / "lib").mkdir(parents=True)
    (root / "lib/Makefile").write_text(f"LIB_VERSION?={INSIDE}\n")
    (root / "stdin.sh").symlink_to("/dev/stdin")  # blocks while stdin stays open
    (root / "tools.mk").symlink_to(outside / "Makefile")
    (root / "escape").symlink_to(outside)  # a directory link: os.walk does not enter it
    os.mkfifo(root / "fifo.sh")
    (root / "inside.mk").symlink_to("lib/Makefile")  # a link inside is read as before
    config = tmp_path / "bumper.yaml"
    config.write_text("matrix: []\n")

    argv = ["audit", "--config", str(config), "--checkout", str(root), "--no-lookup"]
    with subprocess.Popen(
        [sys.executable, "-m", "bumper", *argv, "--format", "json"],
        stdin=subprocess.PIPE,  # held open: reading it would never end
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as proc:
        try:
            out, err = proc.communicate(timeout=120)
        finally:
            proc.kill()

    assert proc.returncode == 0, err
    findings = json.loads(out)["findings"]
    assert OUTSIDE not in out and "OUT_VERSION" not in out
    assert {(f["file"], f["variable"]) for f in findings} == {
        ("lib/Makefile", "LIB_VERSION"),
        ("inside.mk", "LIB_VERSION"),
    }
