"""Adopting a strict audit on a repository that starts red: an ignore list in the config, an
inline `bumper: ignore` comment, and a baseline of findings already known."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bumper.audit.run import run_audit
from bumper.config.load import load_config
from bumper.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()


A, B, C, D = sha("a"), sha("b"), sha("c"), sha("d")


def checkout(root: Path, config: str) -> Path:
    files = {
        "ci/build.sh": f"git clone https://github.com/o/a a\ngit -C a checkout {A}\n",
        "ci/docs.sh": f"git clone https://github.com/o/b b\ngit -C b checkout {B}\n",
        "tools/Dockerfile": (
            f"FROM x\n# bumper: ignore -- the last release with Python 2\nARG C_COMMIT={C}\n"
        ),
        "tools/setup.sh": f'D_VERSION="${{D_VERSION:-{D}}}"  # bumper: ignore\n',
        "backend/Makefile": f"E_VERSION?={sha('e')}\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "bumper.yaml").write_text(config)
    return root / "bumper.yaml"


def audit(root: Path, config: Path):  # type: ignore[no-untyped-def]
    result, _, _ = run_audit(load_config(config, root, allow_duplicates=True), root, lookup=False)
    return result


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bumper", "audit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_ignore_rules_by_path_glob_and_sha_and_inline_comments(tmp_path: Path) -> None:
    config = checkout(
        tmp_path,
        "audit:\n"
        "  ignore:\n"
        "    - path: ci/docs.*\n"
        "      reason: docs build, pinned on purpose\n"
        f"    - sha: {sha('e')[:10]}\n"
        "      reason: frozen until the 2027 rewrite\n",
    )
    result = audit(tmp_path, config)
    assert [(f.file, f.value) for f in result.findings] == [("ci/build.sh", A)]
    assert result.ignored == 4
    assert result.summary()["ignored"] == 4
    from bumper.audit.render import to_table

    assert "4 ignored" in to_table(result)


def test_a_glob_with_a_directory_and_double_star(tmp_path: Path) -> None:
    config = checkout(
        tmp_path, "audit:\n  ignore:\n    - {path: '**/*.sh', sha: " + A + ", reason: r}\n"
    )
    files = {f.file for f in audit(tmp_path, config).findings}
    assert files == {"ci/docs.sh", "backend/Makefile"}


@pytest.mark.parametrize(
    ("rules", "line", "field", "message"),
    [
        ("    - path: ci/*\n", 3, "audit.ignore[0]", "needs a `reason`"),
        ("    - reason: why\n", 3, "audit.ignore[0]", "needs `path`, `sha` or both"),
        ("    - {path: x, reason: ''}\n", 3, "audit.ignore[0].reason", "is empty"),
        ("    - {sha: nothex, reason: r}\n", 3, "audit.ignore[0].sha", "hex"),
        (
            "    - {path: x, reason: r}\n    - {paths: x, reason: r}\n",
            4,
            "audit.ignore[1].paths",
            "did you mean `path`",
        ),
        ("    - just-a-string\n", 3, "audit.ignore[0]", "expected a mapping"),
        ("    - {path: /abs/x, reason: r}\n", 3, "audit.ignore[0].path", "relative"),
    ],
)
def test_bad_ignore_rules_name_file_line_and_field(
    tmp_path: Path, rules: str, line: int, field: str, message: str
) -> None:
    config = tmp_path / "bumper.yaml"
    config.write_text("audit:\n  ignore:\n" + rules)
    with pytest.raises(ConfigError) as caught:
        load_config(config, tmp_path)
    text = str(caught.value)
    assert f"bumper.yaml:{line}: {field}: " in text, text
    assert message in text, text


def test_baseline_turns_known_findings_into_no_failure(tmp_path: Path) -> None:
    config = checkout(tmp_path, "matrix: []\n")
    args = ["--config", str(config), "--checkout", str(tmp_path), "--no-lookup", "--strict"]
    first = cli(*args, "--format", "json")
    assert first.returncode == 1
    baseline = tmp_path / "baseline.json"
    baseline.write_text(first.stdout)

    again = cli(*args, "--format", "json", "--baseline", str(baseline))
    assert again.returncode == 0, again.stderr
    document = json.loads(again.stdout)
    assert document["summary"]["baselined"] == 3
    assert all(f["baselined"] for f in document["findings"])
    sarif = json.loads(cli(*args, "--format", "sarif", "--baseline", str(baseline)).stdout)
    states = {r.get("baselineState") for r in sarif["runs"][0]["results"]}
    assert states == {"unchanged"}  # code scanning shows them as known, not new
    markdown = cli(*args, "--format", "markdown", "--baseline", str(baseline)).stdout
    assert markdown.count("(baselined)") == 3
    table = cli(*args, "--baseline", str(baseline))
    assert table.returncode == 0
    assert "3 baselined" in table.stdout

    # A new pin is still a failure, and the only one not baselined.
    (tmp_path / "ci/new.sh").write_text(f"git checkout {sha('new')}\n")
    later = cli(*args, "--format", "json", "--baseline", str(baseline))
    assert later.returncode == 1
    fresh = [f for f in json.loads(later.stdout)["findings"] if not f["baselined"]]
    assert [f["file"] for f in fresh] == ["ci/new.sh"]


def test_a_baseline_that_is_not_an_audit_is_a_clear_error(tmp_path: Path) -> None:
    config = checkout(tmp_path, "matrix: []\n")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = cli("--config", str(config), "--checkout", str(tmp_path), "--baseline", str(bad))
    assert done.returncode == 1
    assert "bad.json" in done.stderr and "--baseline" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("line", "marked"),
    [
        ("git checkout abc  # bumper: ignore", True),
        ("GIT_TAG abc // bumper: ignore (frozen)", True),
        ("-- bumper:ignore", True),
        ("<!-- bumper: ignore -->", True),
        ("RUN git checkout abc ; # BUMPER: IGNORE", True),
        ('echo "run bumper: ignore is documented in the README"', False),
        ("bumper: ignore", False),
    ],
)
def test_an_inline_ignore_is_a_comment_not_a_mention(line: str, marked: bool) -> None:
    from bumper.audit.adopt import inline_marks

    covered = inline_marks(f"first\n{line}\nnext\n")
    if not marked:
        assert covered == set()
    else:  # a whole-line comment covers the line below it too; a trailing one only its own
        assert covered == ({2, 3} if line.lstrip().startswith(("-", "<", "/")) else {2})


def test_an_inline_ignore_in_a_makefile_and_a_workflow(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(
        f"# bumper: ignore -- pinned by the vendor\nX_VERSION?={A}\n"
    )
    workflow = tmp_path / ".github/workflows/ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "jobs:\n  b:\n    steps:\n      - run: |\n"
        f"          git checkout {B}  # bumper: ignore\n"
        f"          git checkout {C}\n"
    )
    (tmp_path / "bumper.yaml").write_text("matrix: []\n")
    result = audit(tmp_path, tmp_path / "bumper.yaml")
    assert [(f.file, f.line, f.value) for f in result.findings] == [
        (".github/workflows/ci.yml", 6, C)
    ]
    assert result.ignored == 2
