"""render.py: the JSON schema, SARIF 2.1.0 structure, markdown for a PR comment, the rich table."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from bumper.audit.findings import Audit, Finding
from bumper.audit.render import JSON_SCHEMA, render, sarif_document, to_markdown, to_table

SHA = "a" * 40

FINDINGS = (
    Finding(
        ".github/bumper.yaml",
        7,
        "matrix-entry",
        "GONE_VERSION",
        None,
        "acme/gone",
        "broken",
        "matrix entry GONE_VERSION: file backend/go/gone/Makefile does not exist",
        "fix `file:` or remove the entry",
    ),
    Finding(
        "backend/go/piper/Makefile",
        2,
        "makefile",
        "PIPER_VERSION",
        SHA,
        "acme/go-piper",
        "untracked",
        "Makefile pin not covered by any matrix entry",
        "add to the matrix:\n- repository: acme/go-piper\n  variable: PIPER_VERSION\n"
        "  branch: master\n  file: backend/go/piper/Makefile",
        branch="master",
    ),
    Finding(
        "backend/cpp/deep core/prepare.sh",
        6,
        "shell-default",
        "DEEP_VERSION",
        SHA,
        "acme/deep",
        "hidden",
        'commit pin outside any Makefile: `X="${X:-<sha>}"` | piped',
        "move it to backend/cpp/deep core/Makefile as `DEEP_VERSION?=<sha>` | and so on",
    ),
    Finding(
        "backend/go/qwen/Makefile",
        2,
        "makefile",
        "QWEN_VERSION",
        SHA,
        "acme/qwen",
        "held",
        "held: upstream hangs",
        "remove `hold` once fixed",
    ),
    Finding(
        "backend/cpp/llama/Makefile",
        4,
        "makefile",
        "LLAMA_VERSION",
        SHA,
        "ggml-org/llama.cpp",
        "tracked",
        "tracked on master; 3 commits behind (head bbbbbbbbbbbb)",
        behind=3,
        head="b" * 40,
        branch="master",
    ),
    Finding(
        "go.mod",
        6,
        "go-mod",
        None,
        "abcdef123456",
        "acme/gopkg",
        "tracked",
        "managed by Dependabot/Renovate: pseudo-version",
        managed_by="Dependabot/Renovate",
    ),
)
AUDIT = Audit(FINDINGS, "/tmp/checkout", 40, 12, 0.05, True, {"git": 3}, 5)


def test_json_matches_the_documented_schema() -> None:
    doc = json.loads(render(AUDIT, "json"))
    jsonschema.Draft202012Validator.check_schema(JSON_SCHEMA)
    jsonschema.validate(doc, JSON_SCHEMA)
    assert [f["category"] for f in doc["findings"]] == [
        "broken",
        "untracked",
        "hidden",
        "held",
        "tracked",
        "tracked",
    ]
    assert doc["summary"]["problems"] == 3
    assert doc["summary"]["managed"] == 1
    assert doc["findings"][4]["behind"] == 3


def test_json_of_an_empty_audit() -> None:
    doc = json.loads(render(Audit((), "/x"), "json"))
    jsonschema.validate(doc, JSON_SCHEMA)
    assert doc["findings"] == []
    assert doc["summary"]["total"] == 0


def test_sarif_is_2_1_0_with_locations_for_problems_only() -> None:
    doc = json.loads(render(AUDIT, "sarif"))
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "bumper"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == ["bumper/broken", "bumper/untracked", "bumper/hidden"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == rule_ids
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning")
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"]["startLine"] >= 1
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert result["message"]["text"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris[2] == "backend/cpp/deep%20core/prepare.sh"
    assert results[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    fingerprints = {r["partialFingerprints"]["bumperPin/v1"] for r in results}
    assert len(fingerprints) == 3


def test_sarif_points_outside_the_checkout_with_a_file_uri() -> None:
    finding = Finding("/etc/bumper/bumper.yaml", 3, "matrix-entry", "X", None, None, "broken", "m")
    (result,) = sarif_document(Audit((finding,), "/x"))["runs"][0]["results"]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "file:///etc/bumper/bumper.yaml"}


def test_sarif_fingerprint_survives_a_moved_line() -> None:
    moved = Audit((replace(FINDINGS[1], line=9),), "/x")
    before = sarif_document(Audit((FINDINGS[1],), "/x"))["runs"][0]["results"][0]
    after = sarif_document(moved)["runs"][0]["results"][0]
    assert before["partialFingerprints"] == after["partialFingerprints"]


def test_markdown_for_a_pr_comment() -> None:
    text = to_markdown(AUDIT)
    assert text.startswith("## bumper audit: 3 problems")
    assert "### Broken matrix entries (1)" in text
    assert "### Untracked Makefile pins (1)" in text
    assert "```yaml\n- repository: acme/go-piper\n  variable: PIPER_VERSION\n" in text
    assert "<details><summary>Tracked pins (2)</summary>" in text
    # A pipe inside a cell would split the table row.
    row = next(line for line in text.splitlines() if "deep core/prepare.sh:6" in line)
    assert row.count(" | ") == 4
    assert "\\|" in text


def test_table_lists_each_finding_and_a_summary() -> None:
    text = to_table(AUDIT, width=200)
    for finding in FINDINGS:
        assert f"{finding.file}:{finding.line}" in text
    assert "Suggestions" in text
    assert (
        "bumper audit: 3 problems (1 broken, 1 untracked, 1 hidden, 1 held, 1 tracked, "
        "1 managed by other tools)"
    ) in text
    assert "\x1b[" not in text  # no colour unless asked


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "sarif"])
def test_every_format_renders_an_empty_audit(fmt: str) -> None:
    out: Any = render(Audit((), "/x"), fmt)
    assert "no problems" in out or fmt in ("json", "sarif")
