"""Render an Audit: a table for people, markdown for a PR comment, JSON, SARIF 2.1.0.

Each renderer is a pure function from an Audit to text. The JSON shape is JSON_SCHEMA below:
`{"findings": [{file, line, kind, variable, value, repository, category, message, suggestion,
managed_by, branch, behind, head}], "summary": {tracked, untracked, held, hidden, broken, ...}}`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from bumper import __version__
from bumper.audit.findings import CATEGORIES, PROBLEMS, Audit, Finding

FORMATS = ("table", "json", "markdown", "sarif")


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_TITLES = {
    "broken": "Broken matrix entries",
    "untracked": "Untracked Makefile pins",
    "hidden": "Hidden pins (outside any Makefile)",
    "held": "Held entries",
    "tracked": "Tracked pins",
}
_RULES = {
    "broken": (
        "error",
        "A matrix entry that cannot work",
        "The entry's file or variable does not exist, its upstream is gone, renamed or has no "
        "such branch, or it duplicates another entry. Nothing bumps the pin it meant to cover.",
    ),
    "untracked": (
        "warning",
        "A Makefile pin no matrix entry covers",
        "A commit-sha pin in a Makefile that no bump job updates: it rots silently. The "
        "suggestion is the ready matrix entry.",
    ),
    "hidden": (
        "warning",
        "A commit pin outside any Makefile",
        "A commit sha pinned in a shell script, Dockerfile, requirements file, CMake file or "
        "workflow step, where the Makefile-based bump job cannot see it.",
    ),
}
_STYLES = {
    "broken": "bold red",
    "untracked": "yellow",
    "hidden": "magenta",
    "held": "cyan",
    "tracked": "green",
}


def render(audit: Audit, fmt: str, *, width: int | None = None, color: bool = False) -> str:
    renderers: dict[str, Callable[[Audit], str]] = {
        "json": to_json,
        "markdown": to_markdown,
        "sarif": to_sarif,
        "table": lambda a: to_table(a, width=width, color=color),
    }
    return renderers[fmt](audit)


# --- JSON ------------------------------------------------------------------------------------


_NULLABLE_STRING = {"type": ["string", "null"]}
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "bumper audit --format json",
    "type": "object",
    "required": ["findings", "summary"],
    "additionalProperties": False,
    "properties": {
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "file",
                    "line",
                    "kind",
                    "variable",
                    "value",
                    "repository",
                    "category",
                    "message",
                    "suggestion",
                ],
                "additionalProperties": False,
                "properties": {
                    "file": {"type": "string", "description": "path relative to the checkout"},
                    "line": {"type": "integer", "minimum": 1, "description": "1-based"},
                    "kind": {"type": "string", "description": "makefile, shell-default, ..."},
                    "variable": _NULLABLE_STRING,
                    "value": {**_NULLABLE_STRING, "description": "the pinned sha"},
                    "repository": {**_NULLABLE_STRING, "description": "owner/name or URL"},
                    "category": {"enum": list(CATEGORIES)},
                    "message": {"type": "string"},
                    "suggestion": {"type": "string", "description": "how to fix; may be empty"},
                    "managed_by": {**_NULLABLE_STRING, "description": "set with --all"},
                    "branch": _NULLABLE_STRING,
                    "behind": {"type": ["integer", "null"], "minimum": 0},
                    "head": _NULLABLE_STRING,
                    "age_days": {"type": ["integer", "null"], "minimum": 0},
                    "locations": {
                        "type": "array",
                        "minItems": 1,
                        "description": "every place the pin is written; the first is file/line",
                        "items": {
                            "type": "object",
                            "required": ["file", "line"],
                            "additionalProperties": False,
                            "properties": {
                                "file": {"type": "string"},
                                "line": {"type": "integer", "minimum": 1},
                            },
                        },
                    },
                    "branch_guessed": {"type": "boolean"},
                    "baselined": {"type": "boolean"},
                },
            },
        },
        "summary": {
            "type": "object",
            "required": [*CATEGORIES, "total", "problems"],
            "properties": {
                **{c: {"type": "integer", "minimum": 0} for c in CATEGORIES},
                "total": {"type": "integer", "minimum": 0},
                "problems": {"type": "integer", "minimum": 0},
                "managed": {"type": "integer", "minimum": 0},
                "ignored": {"type": "integer", "minimum": 0},
                "baselined": {"type": "integer", "minimum": 0},
                "matrix_entries": {"type": "integer", "minimum": 0},
                "files_listed": {"type": "integer", "minimum": 0},
                "files_read": {"type": "integer", "minimum": 0},
                "seconds": {"type": "number", "minimum": 0},
                "lookups": {"type": "boolean"},
                "requests": {"type": "object", "additionalProperties": {"type": "integer"}},
                "checkout": {"type": "string"},
            },
        },
    },
}


def as_document(audit: Audit) -> dict[str, Any]:
    return {
        "findings": [finding.as_dict() for finding in audit.findings],
        "summary": audit.summary(),
    }


def to_json(audit: Audit) -> str:
    return json.dumps(as_document(audit), indent=2) + "\n"


# --- table (rich) ----------------------------------------------------------------------------


def to_table(audit: Audit, *, width: int | None = None, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 160,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=False,
    )
    wide = console.width >= 140
    table = Table(show_lines=False, header_style="bold", expand=True, pad_edge=False)
    table.add_column("category", no_wrap=True, min_width=9)
    table.add_column("where", overflow="fold", ratio=3)
    table.add_column("variable", overflow="fold", ratio=2)
    table.add_column("sha", no_wrap=True, min_width=12)
    if wide:
        table.add_column("repository", overflow="fold", ratio=2)
    table.add_column("message", overflow="fold", ratio=5)
    for finding in audit.findings:
        message = finding.message
        if not wide and finding.repository:
            message = f"[{finding.repository}] {message}"
        cells: list[Text | str] = [
            Text(finding.category, style=_STYLES[finding.category]),
            _where(finding),
            finding.variable or "",
            (finding.value or "")[:12],
        ]
        if wide:
            cells.append(finding.repository or "")
        table.add_row(*cells, Text(message))
    if audit.findings:
        console.print(table)
    problems = [f for f in audit.findings if f.category in PROBLEMS and f.suggestion]
    if problems:
        console.print()
        console.print(Text("Suggestions", style="bold"))
        for number, finding in enumerate(problems, 1):
            console.print(
                Text(f"{number}. {finding.file}:{finding.line} ({finding.category})", style="bold")
            )
            for line in finding.suggestion.splitlines():
                console.print(Text("   " + line))
    console.print(Text(_summary_line(audit), style="bold"))
    return buffer.getvalue()


def _where(finding: Finding) -> str:
    more = len(finding.places) - 1
    return f"{finding.file}:{finding.line}" + (f" (+{more} more)" if more else "")


def _summary_line(audit: Audit) -> str:
    counts = audit.counts()
    parts = ", ".join(f"{counts[c]} {c}" for c in CATEGORIES)
    if audit.managed:
        parts += f", {audit.managed} managed by other tools"
    if audit.ignored:
        parts += f", {audit.ignored} ignored"
    if audit.baselined:
        parts += f"; {audit.baselined} baselined (known, not failures)"
    lookups = "with look-ups" if audit.looked_up else "without look-ups"
    problems = sum(counts[c] for c in PROBLEMS)
    verdict = f"{problems} problem{'s' * (problems != 1)}" if problems else "no problems"
    return (
        f"bumper audit: {verdict} ({parts}); {audit.files_listed} files listed, "
        f"{audit.files_read} read in {audit.seconds:.2f}s {lookups}"
    )


# --- markdown --------------------------------------------------------------------------------


def to_markdown(audit: Audit) -> str:
    counts = audit.counts()
    out = [f"## {_summary_line(audit).replace('bumper audit: ', 'bumper audit: ', 1)}", ""]
    out += ["| category | pins |", "|---|---:|"]
    out += [f"| {c} | {counts[c]} |" for c in CATEGORIES]
    if audit.managed:
        out.append(f"| managed by other tools | {audit.managed} |")
    out.append("")
    for category in CATEGORIES:
        findings = [f for f in audit.findings if f.category == category]
        if not findings:
            continue
        folded = category in ("tracked", "held")
        title = f"{_TITLES[category]} ({len(findings)})"
        if folded:
            out += [f"<details><summary>{title}</summary>", ""]
        else:
            out += [f"### {title}", ""]
        out += ["| file | variable | sha | repository | message |", "|---|---|---|---|---|"]
        for finding in findings:
            out.append(
                "| "
                + " | ".join(
                    [
                        _cell(_where(finding), code=True),
                        _cell(finding.variable or "", code=bool(finding.variable)),
                        _cell((finding.value or "")[:12], code=bool(finding.value)),
                        _cell(finding.repository or ""),
                        _cell(finding.message + (" (baselined)" if finding.baselined else "")),
                    ]
                )
                + " |"
            )
        out.append("")
        if category == "untracked":
            entries = [f.suggestion.split("\n", 1)[1] for f in findings if "\n" in f.suggestion]
            if entries:
                out += ["Add to the matrix:", "", "```yaml", *entries, "```", ""]
        elif category in ("hidden", "broken"):
            out += ["<details><summary>Suggestions</summary>", ""]
            out += [f"- `{f.file}:{f.line}`: {_inline(f.suggestion)}" for f in findings]
            out += ["", "</details>", ""]
        if folded:
            out += ["</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _inline(text: str) -> str:
    # `<sha>` only ever appears inside code spans, where GitHub shows it as written.
    return text.replace("\n", " ")


def _cell(text: str, *, code: bool = False) -> str:
    text = text.replace("\n", " ")
    if code and text:
        ticks = "``" if "`" in text else "`"
        pad = " " if "`" in text else ""
        return f"{ticks}{pad}{text.replace('|', chr(92) + '|')}{pad}{ticks}"
    return _inline(text).replace("|", "\\|")


# --- SARIF 2.1.0 -----------------------------------------------------------------------------


def to_sarif(audit: Audit) -> str:
    return json.dumps(sarif_document(audit), indent=2) + "\n"


def sarif_document(audit: Audit) -> dict[str, Any]:
    """Problems only (broken, untracked, hidden): code scanning is for things to fix."""
    rule_ids = list(_RULES)
    rules = [
        {
            "id": f"bumper/{category}",
            "name": category.capitalize() + "Pin",
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "defaultConfiguration": {"level": level},
            "help": {"text": full},
        }
        for category, (level, short, full) in _RULES.items()
    ]
    results = [
        _sarif_result(finding, rule_ids) for finding in audit.findings if finding.category in _RULES
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bumper",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the checkout"}}},
                "results": results,
                "properties": {"summary": audit.summary()},
            }
        ],
    }


def _artifact(file: str) -> dict[str, str]:
    """Paths in the checkout are relative to %SRCROOT%; a config elsewhere gets a file URI."""
    if file.startswith("/"):
        return {"uri": "file://" + quote(file)}
    return {"uri": quote(file), "uriBaseId": "%SRCROOT%"}


def _sarif_result(finding: Finding, rule_ids: list[str]) -> dict[str, Any]:
    level = _RULES[finding.category][0]
    text = finding.message
    if finding.suggestion:
        text += "\nSuggestion: " + finding.suggestion
    import hashlib  # loading OpenSSL costs a lean start ~10 ms; only SARIF needs it

    identity = "\0".join([finding.category, finding.file, finding.variable or "", finding.kind])
    identity += "\0" + ("" if finding.variable else finding.value or "")
    known = {"baselineState": "unchanged"} if finding.baselined else {}
    return {
        **known,
        "ruleId": f"bumper/{finding.category}",
        "ruleIndex": rule_ids.index(finding.category),
        "level": level,
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(place.file),
                    "region": {"startLine": max(1, place.line)},
                }
            }
            for place in finding.places
        ],
        "partialFingerprints": {"bumperPin/v1": hashlib.sha256(identity.encode()).hexdigest()[:32]},
        "properties": {
            "kind": finding.kind,
            "variable": finding.variable,
            "value": finding.value,
            "repository": finding.repository,
        },
    }
