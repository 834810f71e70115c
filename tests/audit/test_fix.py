"""`bumper audit --fix` never writes a matrix the loader then rejects: each suggestion is
checked by the loader's own rules first, and one it would refuse is left with the reason."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from bumper.config.load import load_config

ROOT = Path(__file__).resolve().parents[2]
SHA = hashlib.sha1(b"pinned").hexdigest()


def makefile(root: Path, rel: str, variable: str, url: str) -> None:
    stem = variable.rsplit("_", 1)[0].rsplit("-", 1)[0]
    separator = "-" if "-" in variable else "_"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(f"{variable}?={SHA}\n{stem}{separator}REPO?={url}\n")


def test_fix_leaves_the_suggestions_the_loader_would_refuse_and_the_config_still_loads(
    tmp_path: Path,
) -> None:
    root = tmp_path / "co"
    makefile(root, "hyphen/Makefile", "LIB-VERSION", "https://github.com/acme/lib")
    makefile(root, "tab\tdir/Makefile", "TAB_VERSION", "https://github.com/acme/tab")
    makefile(root, "back\\slash/Makefile", "BACK_VERSION", "https://github.com/acme/back")
    makefile(root, "query/Makefile", "Q_VERSION", "https://example.com/acme/q?ref=x")
    makefile(root, "one/Makefile", "DUP_VERSION", "https://github.com/acme/dup")
    makefile(root, "two/Makefile", "DUP_VERSION", "https://github.com/acme/dup")
    makefile(root, "good/Makefile", "GOOD_VERSION", "https://github.com/acme/good")
    config = tmp_path / "bumper.yaml"
    config.write_text("# settings first\nlookup:\n  retries: 0\n")

    argv = ["audit", "--config", str(config), "--checkout", str(root), "--no-lookup", "--fix"]
    proc = subprocess.run(
        [sys.executable, "-m", "bumper", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )

    assert proc.returncode == 0, proc.stderr
    loaded = load_config(config, root)  # as run-once loads it: duplicates refused too
    assert sorted((e.variable, e.file) for e in loaded.matrix) == [
        ("DUP_VERSION", "one/Makefile"),
        ("GOOD_VERSION", "good/Makefile"),
    ]
    left = [line for line in proc.stderr.splitlines() if line.startswith("bumper: --fix left")]
    assert any(
        line.startswith("bumper: --fix left LIB-VERSION (hyphen/Makefile): ") for line in left
    )
    assert any("TAB_VERSION" in line and "control characters" in line for line in left)
    assert any("BACK_VERSION" in line and "forward slashes" in line for line in left)
    assert any(line.startswith("bumper: --fix left Q_VERSION (query/Makefile): ") for line in left)
    assert any(
        line.startswith("bumper: --fix left DUP_VERSION (two/Makefile): ") and "pr.branch" in line
        for line in left
    )
    assert len(left) == 5, proc.stderr
    assert "Traceback" not in proc.stderr
