"""`bumper audit --fix` writes ready rows for hidden pins where they live (a shell default, a
`go install ...@sha` repeated in two files, a CMake GIT_TAG), and the audit then tracks them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bumper.cli import main
from bumper.config.load import load_config
from bumper.model import PinBy

SHA = hashlib.sha1(b"pinned").hexdigest()
TOOL = "github.com/acme/tool/cmd/tool@"


def checkout(root: Path) -> Path:
    files = {
        "backend/x/prepare.sh": (
            "#!/bin/bash\n"
            f'X_VERSION="${{X_VERSION:-{SHA}}}"\n'
            "git clone https://github.com/acme/x && cd x && git checkout $X_VERSION\n"
        ),
        "scripts/a.sh": f"#!/bin/sh\ngo install {TOOL}{SHA}\n",
        "Dockerfile": f"FROM golang\nRUN go install {TOOL}{SHA}\n",
        "CMakeLists.txt": (
            "include(FetchContent)\nFetchContent_Declare(fmt\n"
            "  GIT_REPOSITORY https://github.com/acme/fmt\n"
            f"  GIT_TAG        {SHA})\n"
        ),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def audit(config: Path, root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    argv = ["audit", "--config", str(config), "--checkout", str(root), "--no-lookup"]
    assert main([*argv, "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_fix_writes_rows_for_hidden_pins_and_the_audit_then_tracks_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = checkout(tmp_path / "co")
    config = tmp_path / "bumper.yaml"
    config.write_text("# settings first\nlookup:\n  retries: 0\n")
    before = audit(config, root, capsys)
    assert {f["category"] for f in before["findings"]} == {"hidden"}

    fixed = audit(config, root, capsys, "--fix")  # the report after the fix
    assert {f["category"] for f in fixed["findings"]} == {"tracked"}, fixed["findings"]
    rows = {e.variable: e for e in load_config(config, root).matrix}
    assert rows["X_VERSION"].by is PinBy.VARIABLE
    assert rows["X_VERSION"].paths == ("backend/x/prepare.sh",)
    tool = rows["tool"]
    assert (tool.by, tool.match, sorted(tool.paths)) == (
        PinBy.MATCH,
        TOOL,
        ["Dockerfile", "scripts/a.sh"],
    )
    assert tool.repository.endswith("acme/tool")
    fmt = rows["fmt"]
    assert (fmt.by, fmt.match, fmt.paths) == (PinBy.MATCH, "GIT_TAG        ", ("CMakeLists.txt",))

    after = audit(config, root, capsys)
    assert {f["category"] for f in after["findings"]} == {"tracked"}, after["findings"]
    assert {f["variable"] for f in after["findings"]} == {"X_VERSION", "tool", "fmt"}
