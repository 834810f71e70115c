"""bumper audit on a realistic checkout: every pin categorized, no prose or comment reported."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bumper.audit.categorize import categorize
from bumper.audit.files import Extract
from bumper.audit.fix import add_matrix_entries
from bumper.audit.run import run_audit
from bumper.cli import main
from bumper.config.load import load_config
from bumper.errors import FixError
from bumper.model import Entry, Location

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]
OLD = "1" * 40

# (file, line, category, variable, kind) of every finding the corpus must give, and nothing else.
EXPECTED = {
    (".github/bumper.yaml", 7, "broken", "GONE_VERSION", "matrix-entry"),
    (".github/bumper.yaml", 11, "broken", "WHISPER_EXTRAS_VERSION", "matrix-entry"),
    ("backend/go/bark/Makefile", 2, "untracked", "BARK_VERSION", "makefile"),
    ("backend/go/piper/Makefile", 2, "untracked", "PIPER_VERSION", "makefile"),
    (".github/workflows/build.yml", 4, "hidden", "TOOLS_COMMIT", "workflow-env"),
    (".github/workflows/build.yml", 14, "hidden", None, "workflow-checkout"),
    (".github/workflows/build.yml", 21, "hidden", None, "git-command"),
    ("backend/Dockerfile.golang", 5, "hidden", "GRPC_COMMIT", "dockerfile-arg"),
    ("backend/Dockerfile.golang", 13, "hidden", None, "git-command"),
    ("backend/cpp/deepcore/prepare.sh", 6, "hidden", "DEEPCORE_VERSION", "shell-default"),
    ("backend/cpp/grpc/CMakeLists.txt", 7, "hidden", None, "cmake-fetchcontent"),
    ("backend/cpp/turbo/prepare.sh", 6, "hidden", "TURBO_VERSION", "shell-default"),
    ("backend/python/coqui/requirements.txt", 4, "hidden", None, "requirements"),
    ("backend/python/exllama/install.sh", 5, "hidden", "SHA", "shell-assign"),
    ("backend/python/vllm/requirements-cublas12-after.txt", 1, "hidden", None, "requirements"),
    ("scripts/release", 5, "hidden", "RELEASE_TOOLS_COMMIT", "shell-assign"),
    ("tools/install-tools.sh", 4, "hidden", None, "go-install"),
    ("backend/go/qwen-tts/Makefile", 2, "held", "QWENTTS_VERSION", "makefile"),
    ("backend/cpp/ik-llama-cpp/Makefile", 1, "tracked", "IK_LLAMA_VERSION", "makefile"),
    ("backend/cpp/llama-cpp/Makefile", 4, "tracked", "LLAMA_VERSION", "makefile"),
    ("backend/cpp/turbo/Makefile", 2, "tracked", "TURBO_VERSION", "makefile"),
    ("backend/go/whisper/Makefile", 6, "tracked", "WHISPER_CPP_VERSION", "makefile"),
    # Shapes met on real repositories (issue 13):
    # a `run: |-` block deep in a job, a here-doc before the pin: reported on the pin's line
    (".github/workflows/nightly.yml", 20, "hidden", None, "git-command"),
    # a Dockerfile CI builds for its tests is a build file, not test data
    ("tests/docker/Dockerfile", 2, "hidden", "PROTOBUF_COMMIT", "dockerfile-arg"),
    # a Makefile fragment named Makefile-something
    ("backend/cpp/llama-cpp/Makefile-cuda", 2, "untracked", "CUTLASS_VERSION", "makefile"),
    # one `go install ...@sha` copied into three backends: one finding (see REPEATED)
    ("backend/go/bark/protogen.sh", 3, "hidden", None, "go-install"),
}
REPEATED = {
    "backend/go/bark/protogen.sh": [
        ("backend/go/bark/protogen.sh", 3),
        ("backend/go/piper/protogen.sh", 3),
        ("backend/go/whisper/protogen.sh", 3),
    ]
}
MANAGED = {
    (".github/workflows/build.yml", 10, "tracked", None, "action"),
    (".github/workflows/bump_deps.yaml", 36, "tracked", None, "action"),
    ("go.mod", 6, "tracked", None, "go-mod"),
    ("package-lock.json", 6, "tracked", None, "lock"),
}
REPOSITORIES = {
    "PIPER_VERSION": "acme/go-piper",
    "BARK_VERSION": None,
    "DEEPCORE_VERSION": "acme/deepcore",
    "GRPC_COMMIT": "grpc/grpc",
    "SHA": "turboderp/exllamav2",
    "RELEASE_TOOLS_COMMIT": "acme/release-tools",
    "TURBO_VERSION": "acme/llama-turbo",
    "QWENTTS_VERSION": "acme/qwentts.cpp",
    "CUTLASS_VERSION": None,
    "PROTOBUF_COMMIT": "protocolbuffers/protobuf",
}


# Shas the corpus writes only in comments, prose, docs, test data, vendored code, echo lines,
# here-documents and commented-out requirements: reporting any of them is noise.
NOT_PINS = ("comment-make", "llama-old", "heredoc", "echo", "readme", "docs", "tests-data")
NOT_PINS += ("comment-sh", "coqui-old", "absl-old", "vendored")
# Test data under tests/fixtures/, and a pin marked `bumper: ignore` where it lives.
NOT_PINS += ("fixture-data", "legacy-sdk")


def label_sha(label: str) -> str:
    """The corpus uses sha1(label) as its deterministic fake commit shas."""
    return hashlib.sha1(label.encode()).hexdigest()


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The corpus as a fresh git work tree (audit lists files with git ls-files)."""
    root = tmp_path / "repo"
    shutil.copytree(CORPUS, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "corpus")
    return root


def keyed(findings: Any) -> set[tuple[str, int, str, str | None, str]]:
    return {(f.file, f.line, f.category, f.variable, f.kind) for f in findings}


def audit_corpus(root: Path, **kwargs: Any) -> Any:
    config = load_config(root / ".github/bumper.yaml", root, allow_duplicates=True)
    audit, _, _ = run_audit(config, root, lookup=False, **kwargs)
    return audit


def test_finds_exactly_the_corpus_pins_and_no_prose_or_comment(repo: Path) -> None:
    audit = audit_corpus(repo)
    assert keyed(audit.findings) == EXPECTED
    by_variable = {f.variable: f.repository for f in audit.findings if f.variable}
    assert {v: by_variable[v] for v in REPOSITORIES} == REPOSITORIES
    reported = {f.value for f in audit.findings}
    assert not reported & {label_sha(label) for label in NOT_PINS}
    repeated = {f.file: [(p.file, p.line) for p in f.places] for f in audit.findings}
    assert {f: repeated[f] for f in REPEATED} == REPEATED
    assert all(len(places) == 1 for f, places in repeated.items() if f not in REPEATED)
    assert audit.ignored == 1  # scripts/bootstrap.sh's marked pin


def test_all_lists_pins_other_tools_manage(repo: Path) -> None:
    audit = audit_corpus(repo, managed=True)
    assert keyed(audit.findings) == EXPECTED | MANAGED
    managed = [f for f in audit.findings if f.managed_by]
    assert {f.managed_by for f in managed} == {"Dependabot/Renovate"}
    assert all("managed by Dependabot/Renovate" in f.message for f in managed)


def test_plain_directory_without_git_gives_the_same_findings(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    shutil.copytree(CORPUS, root)
    assert keyed(audit_corpus(root).findings) == EXPECTED


def test_untracked_suggestion_is_a_ready_matrix_entry(repo: Path) -> None:
    audit = audit_corpus(repo)
    piper = next(f for f in audit.findings if f.variable == "PIPER_VERSION")
    assert piper.suggestion.endswith(
        "- repository: acme/go-piper\n  variable: PIPER_VERSION\n"
        "  branch: master  # guessed: check upstream's default branch\n"
        "  file: backend/go/piper/Makefile"
    )
    assert "branch guessed" in piper.message
    assert piper.branch_guessed
    # Said where the suggestion is written down too: the PR comment and code scanning.
    from bumper.audit.render import sarif_document, to_markdown

    assert "  branch: master  # guessed: check upstream's default branch" in to_markdown(audit)
    results = sarif_document(audit)["runs"][0]["results"]
    texts = [
        r["message"]["text"] for r in results if r["properties"]["variable"] == "PIPER_VERSION"
    ]
    assert "guessed" in texts[0]
    deep = next(f for f in audit.findings if f.variable == "DEEPCORE_VERSION")
    assert deep.branch_guessed and "branch guessed" in deep.suggestion
    bark = next(f for f in audit.findings if f.variable == "BARK_VERSION")
    assert "repository: OWNER/NAME" in bark.suggestion


def test_hidden_suggestion_says_where_the_pin_should_live(repo: Path) -> None:
    audit = audit_corpus(repo)
    deep = next(f for f in audit.findings if f.variable == "DEEPCORE_VERSION")
    assert "move it to backend/cpp/deepcore/Makefile as `DEEPCORE_VERSION?=" in deep.suggestion
    assert "DEEPCORE_VERSION=$(DEEPCORE_VERSION) bash prepare.sh" in deep.suggestion
    assert "{repository: acme/deepcore, variable: DEEPCORE_VERSION" in deep.suggestion
    turbo = next(
        f for f in audit.findings if f.variable == "TURBO_VERSION" and f.category == "hidden"
    )
    assert "already pinned in backend/cpp/turbo/Makefile (tracked" in turbo.suggestion


def test_held_entry_commented_out_in_the_workflow_carries_its_reason(repo: Path) -> None:
    held = [f for f in audit_corpus(repo).findings if f.category == "held"]
    assert len(held) == 1
    assert "upstream master hangs in synthesis" in held[0].message


def test_audit_reads_only_the_files_that_can_hold_pins(repo: Path) -> None:
    # A few thousand files: copies of the corpus backends plus filler that is never read.
    for index in range(100):
        shutil.copytree(repo / "backend", repo / f"more/b{index}")
        for filler in range(30):
            (repo / f"more/b{index}/f{filler}.go").write_text("package x\n" * 50)
    git(repo, "add", "-A")
    config = load_config(repo / ".github/bumper.yaml", repo, allow_duplicates=True)
    _, extract, _ = run_audit(config, repo, lookup=False)
    assert extract.files_listed > 4000
    assert extract.files_read < extract.files_listed / 2
    # How fast is bench/audit.py's to say (CPU and wall beside their lower bounds), not a test's.


# --- categorize (pure) ----------------------------------------------------------------------


def extract_of(makefiles: dict[str, str]) -> Extract:
    return Extract(makefiles, {}, frozenset(makefiles))


def test_duplicate_entries_are_broken() -> None:
    first = Entry("o/n", "X_VERSION", "main", "Makefile", source=Location("bumper.yaml", 2))
    second = Entry("o/n", "X_VERSION", "main", "./Makefile", source=Location("bumper.yaml", 6))
    findings = categorize(
        [first, second], extract_of({"Makefile": f"X_VERSION?={OLD}\n"}), config_file="bumper.yaml"
    )
    assert [(f.file, f.line, f.category) for f in findings] == [
        ("bumper.yaml", 6, "broken"),
        ("Makefile", 1, "tracked"),
    ]
    assert "bumper.yaml:2" in findings[0].message


def test_entry_pointing_at_the_wrong_makefile_names_the_right_one() -> None:
    entry = Entry("o/n", "X_VERSION", "main", "a/Makefile", source=Location("c.yaml", 3))
    findings = categorize(
        [entry],
        extract_of({"a/Makefile": "Y?=1\n", "b/Makefile": f"X_VERSION?={OLD}\n"}),
        config_file="c.yaml",
    )
    broken = findings[0]
    assert (broken.category, broken.file, broken.line) == ("broken", "c.yaml", 3)
    assert "point `file:` at b/Makefile" in broken.suggestion
    assert ("b/Makefile", "untracked") in {(f.file, f.category) for f in findings}


def test_tracked_entry_notes_a_makefile_repository_that_disagrees() -> None:
    text = f"LLAMA_VERSION?={OLD}\nLLAMA_REPO?=https://github.com/ggerganov/llama.cpp\n"
    entry = Entry("ggml-org/llama.cpp", "LLAMA_VERSION", "master", "Makefile")
    (finding,) = categorize([entry], extract_of({"Makefile": text}), config_file="c.yaml")
    assert finding.category == "tracked"
    assert "points at ggerganov/llama.cpp" in finding.message


# --- --fix ----------------------------------------------------------------------------------


def test_fix_appends_to_the_workflow_matrix_and_changes_nothing_else(repo: Path) -> None:
    workflow = repo / ".github/workflows/bump_deps.yaml"
    before = workflow.read_bytes()
    config_before = (repo / ".github/bumper.yaml").read_bytes()
    code = main(
        [
            "audit",
            "--config",
            str(repo / ".github/bumper.yaml"),
            "--checkout",
            str(repo),
            "--no-lookup",
            "--fix",
            "--format",
            "json",
        ]
    )
    assert code == 0
    after = workflow.read_bytes()
    added = (
        b'          - repository: "acme/go-piper"\n'
        b'            variable: "PIPER_VERSION"\n'
        b'            branch: "master"\n'
        b'            file: "backend/go/piper/Makefile"\n'
    )
    anchor = b'            file: "backend/go/whisper/Makefile"\n'
    assert after == before.replace(anchor, anchor + added, 1)
    assert (repo / ".github/bumper.yaml").read_bytes() == config_before
    # The pin is tracked now; the unknown-repository pin and the held one are left alone.
    audit = audit_corpus(repo)
    categories = {f.variable: f.category for f in audit.findings if f.kind == "makefile"}
    assert categories["PIPER_VERSION"] == "tracked"
    assert categories["BARK_VERSION"] == "untracked"
    assert categories["QWENTTS_VERSION"] == "held"
    assert b'#   variable: "QWENTTS_VERSION"' in after


CONFIG = """# bumper config
github:
  git_url: https://github.com

matrix:
  # llama first
  - repository: ggml-org/llama.cpp   # upstream
    variable: LLAMA_VERSION
    branch: master
    file: backend/llama/Makefile
    hold: 'waiting for #123'

# trailing comment
lookup:
  retries: 2
"""


def test_fix_keeps_comments_quotes_and_holds_byte_for_byte() -> None:
    new = add_matrix_entries(
        CONFIG, ["matrix"], [Entry("o/n", "X_VERSION", "main", "backend/x/Makefile")]
    )
    assert new == CONFIG.replace(
        "    hold: 'waiting for #123'\n",
        "    hold: 'waiting for #123'\n"
        "  - repository: o/n\n    variable: X_VERSION\n    branch: main\n"
        "    file: backend/x/Makefile\n",
    )


def test_fix_on_an_empty_matrix_and_crlf_files() -> None:
    text = "matrix:\n  # nothing yet\n\nlookup:\n  retries: 2\n".replace("\n", "\r\n")
    new = add_matrix_entries(text, ["matrix"], [Entry("o/n", "V", "main", "Makefile")])
    assert new == (
        "matrix:\r\n  # nothing yet\r\n  - repository: o/n\r\n    variable: V\r\n"
        "    branch: main\r\n    file: Makefile\r\n\r\nlookup:\r\n  retries: 2\r\n"
    )


def test_fix_refuses_a_flow_list_and_writes_nothing() -> None:
    with pytest.raises(FixError, match="flow list"):
        add_matrix_entries(
            "matrix: [{repository: a/b}]\n", ["matrix"], [Entry("o/n", "V", "m", "f")]
        )


# --- look-ups against the sandbox ------------------------------------------------------------


def _upstream(sb: Any, full: str, branch: str = "master", commits: int = 1) -> list[str]:
    owner, name = full.split("/")
    sb.store.create_repo(owner, name, default_branch=branch)
    return [
        str(sb.store.commit_files(full, branch, {"src.c": f"// {full} {n}\n"}, f"work {n}"))
        for n in range(commits)
    ]


def test_lookups_show_lag_renames_and_missing_branches(sandbox: Any, tmp_path: Path) -> None:
    shas = _upstream(sandbox, "acme/alpha", commits=4)
    _upstream(sandbox, "acme/beta")
    sandbox.rename("acme/beta", "acme/beta2")
    _upstream(sandbox, "acme/gamma", branch="main")
    _upstream(sandbox, "acme/delta", branch="main")
    root = tmp_path / "co"
    (root / "a").mkdir(parents=True)
    (root / "a/Makefile").write_text(
        f"ALPHA_VERSION?={shas[0]}\nBETA_VERSION?={OLD}\nGAMMA_VERSION?={OLD}\n"
        f"DELTA_VERSION?={OLD}\nDELTA_REPO?={sandbox.git_url}/acme/delta\n"
    )
    config = tmp_path / "bumper.yaml"
    config.write_text(
        f"github:\n  api_url: {sandbox.api_url}\n  git_url: {sandbox.git_url}\n"
        "lookup:\n  allow_http: true\n"
        "matrix:\n"
        "  - {repository: acme/alpha, variable: ALPHA_VERSION, branch: master, file: a/Makefile}\n"
        "  - {repository: acme/beta, variable: BETA_VERSION, branch: master, file: a/Makefile}\n"
        "  - {repository: acme/gamma, variable: GAMMA_VERSION, branch: master, file: a/Makefile}\n"
    )
    audit, _, _ = run_audit(load_config(config, root), root, lookup=True)
    by_var = {f.variable: f for f in audit.findings}
    alpha = by_var["ALPHA_VERSION"]
    assert (alpha.category, alpha.behind, alpha.head) == ("tracked", 3, shas[-1])
    assert "3 commits behind" in alpha.message
    assert by_var["BETA_VERSION"].category == "broken"
    assert "acme/beta2" in by_var["BETA_VERSION"].suggestion
    assert by_var["GAMMA_VERSION"].category == "broken"
    assert "master" in by_var["GAMMA_VERSION"].message
    delta = by_var["DELTA_VERSION"]
    assert (delta.category, delta.branch) == ("untracked", "main")  # looked up, not guessed
    assert "guessed" not in delta.message
    assert audit.summary()["lookups"] is True


# --- the CLI, end to end ---------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bumper", "audit", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def test_cli_json_and_strict_exit_codes(repo: Path) -> None:
    config = str(repo / ".github/bumper.yaml")
    done = run_cli("--config", config, "--checkout", str(repo), "--format", "json", "--no-lookup")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert keyed_dicts(doc["findings"]) == EXPECTED
    strict = run_cli("--config", config, "--checkout", str(repo), "--no-lookup", "--strict")
    assert strict.returncode == 1
    assert "bumper audit: 21 problems" in strict.stdout


def keyed_dicts(findings: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(f["file"], f["line"], f["category"], f["variable"], f["kind"]) for f in findings}


def test_strict_passes_on_a_clean_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Makefile").write_text(f"# pinned\nX_VERSION?={OLD}\n")
    (tmp_path / "README.md").write_text(f"Pinned to {OLD}; `git checkout {OLD}`.\n")
    config = tmp_path / "bumper.yaml"
    config.write_text(
        "matrix:\n  - {repository: o/x, variable: X_VERSION, branch: main, file: Makefile}\n"
    )
    code = main(
        [
            "audit",
            "--config",
            str(config),
            "--checkout",
            str(tmp_path),
            "--no-lookup",
            "--strict",
            "--format",
            "json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(f["category"], f["variable"]) for f in doc["findings"]] == [("tracked", "X_VERSION")]


def test_bad_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bumper.yaml"
    config.write_text("matrix:\n  - {repository: o/x, variable: X_VERSION}\n")
    done = run_cli("--config", str(config), "--checkout", str(tmp_path), "--no-lookup")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "bumper.yaml:2" in done.stderr


def test_untracked_repository_from_the_recipe_and_abbreviated_pins(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(
        f"GOLLAMA_VERSION?={OLD}\n"
        "TOOL_REPO?=https://github.com/acme/tool\n"
        "TOOL_VERSION?=f7498c9\n"
        "BUILD_ID?=1234567\n"
        "go-llama:\n"
        "\tgit clone --recurse-submodules https://github.com/acme/go-llama.cpp go-llama\n"
        "\tcd go-llama && git checkout -b build $(GOLLAMA_VERSION)\n"
        "tool:\n"
        "\tgit clone $(TOOL_REPO) tool && cd tool && git checkout $(TOOL_VERSION)\n"
    )
    config = tmp_path / "bumper.yaml"
    config.write_text("matrix: []\n")
    audit, _, _ = run_audit(load_config(config, tmp_path), tmp_path, lookup=False)
    assert [(f.line, f.category, f.variable, f.repository) for f in audit.findings] == [
        (1, "untracked", "GOLLAMA_VERSION", "acme/go-llama.cpp"),
        (3, "untracked", "TOOL_VERSION", "acme/tool"),
    ]
    assert "abbreviated sha" in audit.findings[1].message


def test_pre_commit_hook_runs_a_strict_audit() -> None:
    from ruamel.yaml import YAML

    (hook,) = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "bumper-audit"
    assert hook["entry"].split()[:2] == ["bumper", "audit"]
    assert "--strict" in hook["entry"].split()
    assert hook["pass_filenames"] is False


# --- without a checkout: the target repository read through the API ------------------------


def test_audit_through_the_api_matches_the_checkout(
    sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox.store.create_repo("acme", "app", default_branch="main")
    files = {
        p.relative_to(CORPUS).as_posix(): p.read_bytes() for p in CORPUS.rglob("*") if p.is_file()
    }
    sandbox.store.commit_files("acme/app", "main", files, "the corpus")
    config = tmp_path / "bumper.yaml"
    own = (CORPUS / ".github/bumper.yaml").read_text()
    config.write_text(
        own.replace(
            "matrix_from:",
            f"github:\n  api_url: {sandbox.api_url}\n  git_url: {sandbox.git_url}\n"
            "target:\n  repository: acme/app\n  base: main\nmatrix_from:",
        )
    )
    monkeypatch.setenv("GITHUB_TOKEN", sandbox.token)
    sandbox.clear_requests()
    code = main(["audit", "--config", str(config), "--format", "json", "--no-lookup"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    in_repo = {k for k in keyed_dicts(doc["findings"]) if k[0] != str(config)}
    assert in_repo == {k for k in EXPECTED if k[0] != ".github/bumper.yaml"}
    broken = sorted(
        (f["variable"], f["category"]) for f in doc["findings"] if f["file"] == str(config)
    )
    assert broken == [("GONE_VERSION", "broken"), ("WHISPER_EXTRAS_VERSION", "broken")]
    assert doc["summary"]["checkout"] == "acme/app@main"
    # One query for the tree, one listing, one batch of file texts, one for the workflow.
    paths = [r["path"] for r in sandbox.requests()]
    assert paths.count("/api/graphql") == 3
    assert [p for p in paths if p != "/api/graphql"] == [
        f"/api/v3/repos/acme/app/git/trees/{_tree_oid(sandbox)}"
    ]
    assert "clone" not in " ".join(paths) and not any("git-upload-pack" in p for p in paths)


def _tree_oid(sb: Any) -> str:
    return sb.store.git("acme/app", "rev-parse", "main^{tree}").decode().strip()


def test_audit_through_the_api_needs_a_token(tmp_path: Path, sandbox: Any) -> None:
    config = tmp_path / "bumper.yaml"
    config.write_text(
        f"github:\n  api_url: {sandbox.api_url}\n  git_url: {sandbox.git_url}\n"
        "target:\n  repository: acme/app\nmatrix: []\n"
    )
    done = run_cli("--config", str(config), "--no-lookup")
    assert done.returncode == 1
    assert "GITHUB_TOKEN" in done.stderr
    assert done.stdout == ""


def test_a_makefiles_only_pin_pairs_with_its_only_repository_url(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(
        f"# Pinned to the HEAD of master.\nBUUN_LLAMA_VERSION?={OLD}\n"
        "LLAMA_REPO?=https://github.com/acme/buun-llama-cpp\nJOBS?=4\n"
    )
    config = tmp_path / "bumper.yaml"
    config.write_text("matrix: []\n")
    audit, _, _ = run_audit(load_config(config, tmp_path), tmp_path, lookup=False)
    assert [(f.variable, f.repository) for f in audit.findings] == [
        ("BUUN_LLAMA_VERSION", "acme/buun-llama-cpp")
    ]


def test_with_a_token_lookups_tell_the_age_of_the_pinned_commit(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shas = _upstream(sandbox, "acme/alpha", commits=2)
    (tmp_path / "Makefile").write_text(f"ALPHA_VERSION?={shas[0]}\n")
    config = tmp_path / "bumper.yaml"
    config.write_text(
        f"github:\n  api_url: {sandbox.api_url}\n  git_url: {sandbox.git_url}\n"
        "lookup:\n  allow_http: true\n"
        "matrix:\n"
        "  - {repository: acme/alpha, variable: ALPHA_VERSION, branch: master, file: Makefile}\n"
    )
    monkeypatch.setenv("GITHUB_TOKEN", sandbox.token)
    audit, _, _ = run_audit(load_config(config, tmp_path), tmp_path, lookup=True)
    (finding,) = audit.findings
    assert (finding.category, finding.behind, finding.age_days) == ("tracked", 1, 0)
    assert "1 commit behind" in finding.message
    assert "pinned commit 0 days old" in finding.message


def test_fix_starts_a_matrix_when_the_config_has_none() -> None:
    text = "# only settings so far\nlookup:\n  retries: 2\n"
    new = add_matrix_entries(text, ["matrix"], [Entry("o/n", "V", "main", "a/Makefile")])
    assert new == text + (
        "matrix:\n  - repository: o/n\n    variable: V\n    branch: main\n    file: a/Makefile\n"
    )


def test_makefile_checksums_and_git_constants_are_not_pins(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"go").hexdigest()
    (tmp_path / "Makefile").write_text(
        f"GO_SHA256?={digest}\nEMPTY_TREE:=4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
        f"TOOLS_SHA1SUM={OLD}\n"
    )
    config = tmp_path / "bumper.yaml"
    config.write_text("matrix: []\n")
    audit, _, _ = run_audit(load_config(config, tmp_path), tmp_path, lookup=False)
    assert audit.findings == ()


def test_all_counts_other_tools_pins_as_managed_never_as_tracked(repo: Path) -> None:
    audit = audit_corpus(repo, managed=True)
    summary = audit.summary()
    tracked = {k for k in EXPECTED if k[2] == "tracked"}
    assert summary["tracked"] == len(tracked)
    assert summary["managed"] == len(MANAGED)
    assert summary["total"] == len(EXPECTED) + len(MANAGED)
    from bumper.audit.render import to_markdown, to_table

    assert f"{len(tracked)} tracked" in to_table(audit)
    assert f"{len(MANAGED)} managed by other tools" in to_table(audit)
    assert f"| managed by other tools | {len(MANAGED)} |" in to_markdown(audit)


TOOL = label_sha("protoc-gen-go-grpc")


def _repeated_pin_checkout(root: Path) -> Path:
    """One `go install ...@sha` pin copied into three backends' scripts, as real monorepos do."""
    for backend in ("whisper", "piper", "bark-cpp"):
        script = root / "backend" / "go" / backend / "install.sh"
        script.parent.mkdir(parents=True)
        script.write_text(
            "#!/bin/bash\nset -e\n"
            f"go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@{TOOL}\n"
        )
    other = root / "backend" / "go" / "piper" / "tools.sh"
    other.write_text(f"go install github.com/acme/other/cmd/x@{label_sha('other')}\n")
    (root / "bumper.yaml").write_text("matrix: []\n")
    return root / "bumper.yaml"


def test_one_pin_repeated_in_several_files_is_one_finding_listing_them(tmp_path: Path) -> None:
    config = _repeated_pin_checkout(tmp_path)
    audit, _, _ = run_audit(load_config(config, tmp_path), tmp_path, lookup=False)
    repeated = [f for f in audit.findings if f.value == TOOL]
    assert len(repeated) == 1
    finding = repeated[0]
    where = [(loc.file, loc.line) for loc in finding.locations]
    assert where == [
        ("backend/go/bark-cpp/install.sh", 3),
        ("backend/go/piper/install.sh", 3),
        ("backend/go/whisper/install.sh", 3),
    ]
    assert (finding.file, finding.line) == where[0]
    assert "3 files" in finding.message
    # Named after the upstream, never after the directory the first copy sits in.
    assert finding.repository == "grpc/grpc-go"
    assert "`GRPC_GO_VERSION?=" in finding.suggestion
    assert "BARK_CPP" not in finding.suggestion
    assert len([f for f in audit.findings if f.category == "hidden"]) == 2
    assert audit.summary()["hidden"] == 2

    from bumper.audit.render import as_document, sarif_document

    document = as_document(audit)
    row = next(r for r in document["findings"] if r["value"] == TOOL)
    assert row["file"] == "backend/go/bark-cpp/install.sh" and row["line"] == 3
    assert [(x["file"], x["line"]) for x in row["locations"]] == where
    results = sarif_document(audit)["runs"][0]["results"]
    (result,) = [r for r in results if r["properties"]["value"] == TOOL]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]]
    assert uris == [file for file, _ in where]
    from bumper.audit.render import to_table

    assert "(+2 more)" in to_table(audit, width=240)


def test_sarif_puts_a_run_block_pin_on_its_own_line(repo: Path) -> None:
    from bumper.audit.render import sarif_document

    results = sarif_document(audit_corpus(repo))["runs"][0]["results"]
    regions = [
        loc["physicalLocation"]["region"]["startLine"]
        for r in results
        for loc in r["locations"]
        if loc["physicalLocation"]["artifactLocation"]["uri"] == ".github/workflows/nightly.yml"
    ]
    assert regions == [20]


def test_each_submodule_is_credited_to_its_own_upstream(repo: Path) -> None:
    for path, label in (("external/ggml", "ggml"), ("external/sentencepiece", "spm")):
        git(repo, "update-index", "--add", "--cacheinfo", f"160000,{label_sha(label)},{path}")
    audit = audit_corpus(repo, managed=True)
    submodules = [f for f in audit.findings if f.kind == "submodule"]
    assert [(f.file, f.line, f.value, f.repository, f.branch) for f in submodules] == [
        (".gitmodules", 2, label_sha("ggml"), "acme/ggml", None),
        (".gitmodules", 5, label_sha("spm"), "acme/sentencepiece", "master"),
    ]
