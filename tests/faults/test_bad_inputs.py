"""A corpus of bad inputs, each driven through `bumper run-once` as a user would meet it.

Two families:

- A broken config (malformed YAML, wrong types, unknown keys, bad variable names, path
  escapes, symlinks out of the checkout, oversized or non-text files) is refused before
  anything happens: exit 2, exactly one line on stderr of the form ``FILE:LINE: field:``,
  no request to any server, not a byte of the checkout changed.
- A broken Makefile (the pin twice, not at all, not a sha, binary, non-UTF-8, huge,
  missing) fails only its entry: exit 1, the entry's message names the file, the line where
  there is one, and the variable; nothing is written, neither to a checkout nor, when opening
  pull requests, to the repository (no branch, no commit, no PR).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bumper.cli import main

FAKE_TOKEN = "ghp_" + "Z9y8X7w6" * 4 + "q1Q1"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
OLD = "1" * 40


# -- one sandbox for the whole module: the upstream every entry tracks ----------------------


@pytest.fixture(scope="module")
def upstream() -> Iterator[Any]:
    from bumper.sandbox.app import Sandbox

    with Sandbox() as sb:
        sb.store.create_repo("up", "lib", auto_init=True)
        sb.store.create_repo("up", "tool", auto_init=True)
        yield sb


def tree_bytes(root: Path) -> dict[str, bytes | str]:
    """Every path under ``root`` with its bytes (a symlink: its target), to compare whole trees."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                found[rel] = path.read_bytes()
            else:
                found[rel] = "dir"
    return found


def run_cli(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- broken configs -------------------------------------------------------------------------

HEAD = """\
github:
  api_url: {api}
  git_url: {git}
lookup:
  allow_http: true
  backoff_seconds: 0
"""  # 6 lines
GITHUB = "github:\n  api_url: {api}\n  git_url: {git}\n"  # for cases with their own github keys


def row(**fields: Any) -> str:
    """One matrix row; a field set to None is left out."""
    base: dict[str, Any] = {
        "repository": "up/lib",
        "variable": "LIB_VERSION",
        "branch": "main",
        "file": "Makefile",
    }
    base.update(fields)
    lines = [f"{k}: {v}" for k, v in base.items() if v is not None]
    return "  - " + "\n    ".join(lines) + "\n"


ROW = row()  # lines: 1 repository, 2 variable, 3 branch, 4 file


@dataclass(frozen=True)
class ConfigCase:
    id: str
    text: str | bytes  # the config's start ({api} and {git} filled in); HEAD follows unless
    # it sets github itself. Bytes are the whole file.
    line: int | tuple[int, ...]  # the line the message must name (any of several)
    key: str  # the key path the message must name; "" for YAML syntax
    phrase: str  # words the message must contain (case-insensitive)
    links: dict[str, str] = field(default_factory=dict)  # symlinks to make in the checkout
    bug: str | None = None  # known bug: expected to fail until fixed


M = "matrix:\n"  # line 1; a row then starts on line 2 (its `file:` on line 5)

CONFIG_CASES = [
    # malformed YAML
    ConfigCase("yaml-unclosed-bracket", "matrix: [\n  {repository: up/lib\n", 3, "", "yaml"),
    ConfigCase("yaml-tab-indent", "matrix:\n\t- repository: up/lib\n", 2, "", "tab"),
    ConfigCase("yaml-bad-mapping", "matrix:\n  - repository: up/lib: x\n", 2, "", "yaml"),
    ConfigCase("yaml-duplicate-key", "matrix: []\n" + M + ROW, 2, "", "duplicate key `matrix`"),
    ConfigCase("top-level-list", b"- matrix\n- github\n", 1, "", "mapping"),
    # wrong types
    ConfigCase("matrix-is-mapping", "matrix:\n  repository: up/lib\n", (1, 2), "matrix", "list"),
    ConfigCase("row-is-string", "matrix:\n  - up/lib\n", 2, "matrix[0]", "mapping"),
    ConfigCase("variable-is-number", M + row(variable=123), 3, "matrix[0].variable", ""),
    ConfigCase(
        "retries-is-a-word",
        GITHUB + "  retries: many\n" + M + ROW,
        4,
        "github.retries",
        "",
    ),
    ConfigCase(
        "signoff-is-a-sentence", "pr:\n  signoff: yes please\n" + M + ROW, 2, "pr.signoff", ""
    ),
    ConfigCase("labels-is-a-number", "pr:\n  labels: 5\n" + M + ROW, 2, "pr.labels", ""),
    ConfigCase("hold-is-a-list", M + row(hold="[1, 2]"), 6, "matrix[0].hold", ""),
    ConfigCase(
        "negative-rate-limit-wait",
        GITHUB + "  max_rate_limit_wait: -1\n" + M + ROW,
        4,
        "github.max_rate_limit_wait",
        "",
    ),
    ConfigCase(
        "cron-minute-61", "schedule:\n  cron: '61 * * * *'\n" + M + ROW, 2, "schedule.cron", ""
    ),
    # unknown keys
    ConfigCase(
        "unknown-row-key",
        M + row(variable=None, varaible="LIB_VERSION"),
        5,
        "matrix[0].varaible",
        "did you mean `variable`",
    ),
    ConfigCase("unknown-top-key", "matirx:\n" + ROW, 1, "matirx", "did you mean `matrix`"),
    ConfigCase(
        "unknown-section-key",
        "pr:\n  tittle: x\n" + M + ROW,
        2,
        "pr.tittle",
        "did you mean `title`",
    ),
    ConfigCase("missing-file-key", M + row(file=None), 2, "matrix[0]", "file"),
    # bad variable names
    ConfigCase(
        "variable-with-dash",
        M + row(variable="LIB-VERSION"),
        3,
        "matrix[0].variable",
        "make variable",
    ),
    ConfigCase(
        "variable-starts-with-digit", M + row(variable="1LIB"), 3, "matrix[0].variable", "digit"
    ),
    ConfigCase(
        "variable-is-a-reference",
        M + row(variable="'$(LIB)_VERSION'"),
        3,
        "matrix[0].variable",
        "make variable",
    ),
    ConfigCase("variable-empty", M + row(variable="''"), 3, "matrix[0].variable", "empty"),
    # other bad values
    ConfigCase("duplicate-row", M + ROW + row(branch="dev"), 6, "matrix[1]", "pinned twice"),
    ConfigCase(
        "repository-with-three-parts",
        M + row(repository="up/lib/extra"),
        2,
        "matrix[0].repository",
        "owner/name",
    ),
    ConfigCase("branch-with-dotdot", M + row(branch="main..x"), 4, "matrix[0].branch", ""),
    ConfigCase(
        "token-in-config", f"pr:\n  token: {FAKE_TOKEN}\n" + M + ROW, 2, "pr.token", "token_env"
    ),
    ConfigCase(
        "credentials-in-matrix-url",
        M + row(repository=f"https://bot:{FAKE_TOKEN}@example.com/a/b"),
        2,
        "matrix[0].repository",
        "looks like a token",  # refused as a token before the URL check
    ),
    ConfigCase(
        "credentials-in-target-url",
        f"target:\n  repository: https://bot:{FAKE_TOKEN}@example.com/a/b\n" + M + ROW,
        2,
        "target.repository",
        "",
    ),
    # path escapes and symlinks (a symlink problem may name the row's first line)
    ConfigCase(
        "path-escapes-with-dotdot", M + row(file="../outside/Makefile"), 5, "matrix[0].file", ""
    ),
    ConfigCase("path-absolute", M + row(file="/etc/Makefile"), 5, "matrix[0].file", ""),
    ConfigCase(
        "dir-symlink-out-of-checkout",
        M + row(file="linked/Makefile"),
        (2, 5),
        "matrix[0].file",
        "symlink",
        {"linked": "{outside}"},
    ),
    ConfigCase(
        "makefile-symlink-out-of-checkout",
        M + row(file="sneaky.mk"),
        (2, 5),
        "matrix[0].file",
        "symlink",
        {"sneaky.mk": "{outside}/Makefile"},
    ),
    ConfigCase(
        "symlink-loop",
        M + row(file="loop/Makefile"),
        (2, 5),
        "matrix[0].file",
        "",
        {"loop": "loop"},
    ),
    ConfigCase(
        "workflow-missing",
        "matrix_from:\n  workflow: .github/workflows/none.yaml\n  job: bump\n",
        2,
        "matrix_from.workflow",
        "",
    ),
    # not text
    ConfigCase("non-utf8-bytes", b"matrix:\n  - repository: caf\xe9/lib\n", 2, "", "utf-8"),
    ConfigCase("binary-file", b"\x00\x01\x02matrix: []\n", 1, "", "binary"),
]


def _mark(case: Any, bug: str | None) -> Any:
    """The case as a parameter; a case showing a known bug is a strict xfail naming it."""
    marks = [pytest.mark.xfail(strict=True, reason=f"bug: {bug}")] if bug else []
    return pytest.param(case, id=case.id, marks=marks)


def _config_bytes(case: ConfigCase, sb: Any) -> bytes:
    if isinstance(case.text, bytes):
        return case.text
    text = case.text if case.text.startswith("github:") else case.text + HEAD
    return text.replace("{api}", sb.api_url).replace("{git}", sb.git_url).encode()


@pytest.mark.parametrize("case", [_mark(c, c.bug) for c in CONFIG_CASES])
def test_bad_config_gives_one_line_naming_file_line_field_and_changes_nothing(
    case: ConfigCase, upstream: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "Makefile").write_text(f"LIB_VERSION?={OLD}\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Makefile").write_text(f"LIB_VERSION?={OLD}\n")
    for link, target in case.links.items():
        (checkout / link).symlink_to(target.format(outside=outside))
    config = tmp_path / "bumper.yaml"
    config.write_bytes(_config_bytes(case, upstream))
    before = tree_bytes(checkout)
    upstream.clear_requests()

    code, out, err = run_cli(
        "run-once", "--config", str(config), "--checkout", str(checkout), capsys=capsys
    )

    assert code == 2, (code, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    found = re.match(rf"bumper: {re.escape(str(config))}:(\d+): (.*)", lines[0])
    assert found, lines[0]
    allowed = case.line if isinstance(case.line, tuple) else (case.line,)
    assert int(found.group(1)) in allowed, lines[0]
    if case.key:
        assert found.group(2).startswith(f"{case.key}:"), lines[0]
    assert case.phrase.lower() in lines[0].lower(), lines[0]
    assert FAKE_TOKEN not in err + out
    assert upstream.requests() == []
    assert tree_bytes(checkout) == before


def test_huge_config_is_refused_before_parsing(
    upstream: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bumper.yaml"
    head = HEAD.replace("{api}", upstream.api_url).replace("{git}", upstream.git_url)
    config.write_bytes(head.encode() + b"# padding\n" * 300_000 + b"matrix: []\n")
    upstream.clear_requests()
    code, _, err = run_cli("run-once", "--config", str(config), capsys=capsys)
    assert code == 2
    [line] = err.splitlines()
    assert line.startswith(f"bumper: {config}: ") and "bytes" in line
    assert upstream.requests() == []


def test_missing_config_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "nope.yaml"
    code, _, err = run_cli("run-once", "--config", str(config), capsys=capsys)
    assert code == 2
    [line] = err.splitlines()
    assert str(config) in line


def test_bad_config_through_the_real_command(upstream: Any, tmp_path: Path) -> None:
    """The same refusal from `python -m bumper`: exit 2, one line, no traceback."""
    config = tmp_path / "bumper.yaml"
    config.write_text(HEAD.format(api=upstream.api_url, git=upstream.git_url) + "matirx: []\n")
    proc = subprocess.run(
        [sys.executable, "-m", "bumper", "run-once", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"bumper: {config}:7: matirx: unknown key; did you mean `matrix`?"
    ]
    assert proc.stdout == ""


def test_corpus_is_large_enough() -> None:
    assert len(CONFIG_CASES) + len(MAKEFILE_CASES) >= 30


# -- broken Makefiles -----------------------------------------------------------------------


@dataclass(frozen=True)
class MakefileCase:
    id: str
    content: bytes | None  # None: no such file; b"<dir>": a directory
    line: int | None  # the line the message must name, when the problem has one
    phrase: str
    about_the_pin: bool = True  # False: a problem of the file's bytes, not of the variable
    bug: str | None = None  # known bug with --checkout: expected to fail until fixed
    pr_bug: str | None = None  # known bug when opening PRs


def _mk(text: str) -> bytes:
    return text.replace("{old}", OLD).replace("{other}", "2" * 40).encode()


MAKEFILE_CASES = [
    MakefileCase(
        "pin-twice-different-values",
        _mk("LIB_VERSION?={old}\nifdef X\nLIB_VERSION={other}\nendif\n"),
        3,
        "different values",
    ),
    MakefileCase("pin-missing", _mk("OTHER_VERSION?={old}\n"), None, "not assigned"),
    MakefileCase("pin-misspelt", _mk("LIB_VERSON?={old}\n"), None, "did you mean LIB_VERSON"),
    MakefileCase("empty-file", b"", None, "not assigned"),
    MakefileCase("pin-only-appended", _mk("LIB_VERSION+={old}\n"), 1, "appended"),
    MakefileCase(
        "pin-also-appended", _mk("LIB_VERSION?={old}\n\nLIB_VERSION+=-dirty\n"), 3, "appended"
    ),
    MakefileCase("pin-is-a-tag", _mk("# lib\nLIB_VERSION?=v1.2.3\n"), 2, "not a sha"),
    MakefileCase("pin-is-a-short-sha", _mk("LIB_VERSION?=1111111\n"), 1, "full lowercase sha"),
    MakefileCase("pin-is-uppercase-hex", _mk("LIB_VERSION?=" + "A" * 40 + "\n"), 1, "lowercase"),
    MakefileCase(
        "pin-refers-to-a-variable", _mk("BASE=x\nLIB_VERSION?=$(BASE)\n"), 2, "other variables"
    ),
    MakefileCase("pin-from-a-shell", _mk("LIB_VERSION!=git rev-parse HEAD\n"), 1, "shell command"),
    MakefileCase("pin-empty", _mk("LIB_VERSION?=\n"), 1, "empty"),
    MakefileCase("pin-in-a-define", _mk("define LIB_VERSION\n{old}\nendef\n"), 1, "define"),
    MakefileCase(
        "pin-continued", _mk("LIB_VERSION?=\\\n  {old}\n"), 1, "continues on the next line"
    ),
    MakefileCase(
        "binary-file",
        b"\x7fELF\x02\x01\x01\x00\x00\x00" + _mk("LIB_VERSION?={old}"),
        None,
        "binary",
    ),
    MakefileCase(
        "utf16-file", _mk("LIB_VERSION?={old}\n").decode().encode("utf-16"), None, "binary"
    ),
    MakefileCase(
        "non-utf8-text",
        b"# caf\xe9 au lait\n" + _mk("LIB_VERSION?={old}\n"),
        1,
        "utf-8",
        about_the_pin=False,
    ),
    MakefileCase("no-such-file", None, None, "no such file"),
    MakefileCase("a-directory", b"<dir>", None, ""),
    MakefileCase(
        "huge-file",
        b"".join([b"# " + b"x" * 1021 + b"\n"] * 5 * 1024) + _mk("LIB_VERSION?={old}\n"),
        None,
        "bytes",
    ),
]


def _checkout_config(tmp_path: Path, sb: Any) -> Path:
    config = tmp_path / "bumper.yaml"
    config.write_text(
        HEAD.format(api=sb.api_url, git=sb.git_url)
        + "matrix:\n"
        + row()
        + row(repository="up/tool", variable="TOOL_VERSION", file="tool/Makefile")
    )
    return config


def _expect_entry_failure(case: MakefileCase, result: dict[str, Any]) -> None:
    assert result["status"] == "failed", result
    message = result["message"]
    assert "Makefile" in message, message  # the file
    if case.line is not None:
        assert re.search(rf"Makefile:{case.line}\b|line {case.line}\b", message), message
    assert result["variable"] == "LIB_VERSION"
    if case.about_the_pin:
        assert "LIB_VERSION" in message or case.line is None, message  # the field
    assert case.phrase.lower() in message.lower(), message
    assert "Traceback" not in message


@pytest.mark.parametrize("case", [_mark(c, c.bug) for c in MAKEFILE_CASES])
def test_bad_makefile_fails_its_entry_only_and_writes_nothing_in_a_checkout(
    case: MakefileCase, upstream: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "tool").mkdir(parents=True)
    (checkout / "tool/Makefile").write_text(f"TOOL_VERSION?={OLD}\n")
    if case.content == b"<dir>":
        (checkout / "Makefile").mkdir()
    elif case.content is not None:
        (checkout / "Makefile").write_bytes(case.content)
    before = tree_bytes(checkout)
    config = _checkout_config(tmp_path, upstream)

    code, out, err = run_cli(
        "run-once", "--config", str(config), "--checkout", str(checkout), "--json", capsys=capsys
    )

    results = {r["variable"]: r for r in json.loads(out)["results"]}
    assert code == 1, (out, err)
    _expect_entry_failure(case, results["LIB_VERSION"])
    assert results["TOOL_VERSION"]["status"] == "bumped"  # the good entry went on
    after = tree_bytes(checkout)
    assert after.pop("tool/Makefile") != before.pop("tool/Makefile")
    assert after == before  # the broken Makefile, and everything else, byte for byte


def test_bad_makefile_is_reported_in_the_human_output(
    upstream: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "tool").mkdir(parents=True)
    (checkout / "tool/Makefile").write_text(f"TOOL_VERSION?={OLD}\n")
    (checkout / "Makefile").write_text(f"LIB_VERSION?={OLD}\nLIB_VERSION?={'2' * 40}\n")
    config = _checkout_config(tmp_path, upstream)
    code, out, _ = run_cli(
        "run-once", "--config", str(config), "--checkout", str(checkout), capsys=capsys
    )
    assert code == 1
    [line] = [line for line in out.splitlines() if "FAILED" in line]
    assert line.startswith("[LIB_VERSION (Makefile)] FAILED: Makefile: ")
    assert "line 1" in line and "line 2" in line


def test_symlinked_makefile_inside_the_checkout_keeps_its_link(
    upstream: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Makefile that is a link to another file of the checkout: either the link's target
    is bumped and the link kept, or the entry fails saying why; never a link turned file."""
    checkout = tmp_path / "checkout"
    (checkout / "real").mkdir(parents=True)
    (checkout / "tool").mkdir()
    (checkout / "tool/Makefile").write_text(f"TOOL_VERSION?={OLD}\n")
    (checkout / "real/Makefile").write_text(f"LIB_VERSION?={OLD}\n")
    (checkout / "Makefile").symlink_to("real/Makefile")
    config = _checkout_config(tmp_path, upstream)
    before = (checkout / "real/Makefile").read_bytes()

    code, out, _ = run_cli(
        "run-once", "--config", str(config), "--checkout", str(checkout), "--json", capsys=capsys
    )

    result = {r["variable"]: r for r in json.loads(out)["results"]}["LIB_VERSION"]
    assert (checkout / "Makefile").is_symlink(), "the symlink was replaced by a copy"
    if result["status"] == "failed":
        assert code == 1 and "symlink" in result["message"]
        assert (checkout / "real/Makefile").read_bytes() == before
    else:
        assert result["status"] == "bumped"
        assert (checkout / "real/Makefile").read_text() == f"LIB_VERSION?={result['new']}\n"


# -- the same Makefiles in a repository, when opening pull requests --------------------------


@pytest.mark.parametrize(
    "case", [_mark(c, c.pr_bug) for c in MAKEFILE_CASES if c.content != b"<dir>"]
)
def test_bad_makefile_in_the_repository_opens_nothing(
    case: MakefileCase,
    upstream: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = upstream.store
    name = f"target-{case.id}"
    store.create_repo("acme", name, auto_init=True)
    files: dict[str, str | bytes | None] = {"tool/Makefile": f"TOOL_VERSION?={OLD}\n"}
    if case.content is not None:
        files["Makefile"] = case.content
    base = store.commit_files(f"acme/{name}", "main", files, "pins")
    config = tmp_path / "bumper.yaml"
    config.write_text(
        f"github:\n  api_url: {upstream.api_url}\n  git_url: {upstream.git_url}\n"
        "  token_env: BAD_INPUT_TOKEN\n  seconds_between_writes: 0\n"
        "lookup:\n  allow_http: true\n  backoff_seconds: 0\n"
        f"target:\n  repository: acme/{name}\n"
        "matrix:\n" + row()
    )
    monkeypatch.setenv("BAD_INPUT_TOKEN", upstream.token)
    upstream.clear_requests()

    code, out, err = run_cli("run-once", "--config", str(config), "--json", capsys=capsys)

    [result] = json.loads(out)["results"]
    assert code == 1, (out, err)
    _expect_entry_failure(case, result)
    writes = [
        r for r in upstream.requests() if r["method"] in WRITES and r["path"] != "/api/graphql"
    ]
    assert writes == []
    assert store.ref(f"acme/{name}", "main") == base
    assert set(store.refs(f"acme/{name}", "refs/heads/")) == {"refs/heads/main"}
