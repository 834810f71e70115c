"""GitHub workflows and actions: `run:` steps read as shell, `ref: <sha>` of a checkout step,
commit-like `env:` values, and `uses: o/n@<sha>` (kept current by Dependabot/Renovate).
"""

from __future__ import annotations

import re

from bumper.audit.scanners.base import (
    MANAGED,
    QUOTE,
    SHA_TOKEN,
    Hit,
    Lines,
    TextLines,
    abbreviated_commit,
    is_rev,
    plausible_commit_variable,
)
from bumper.audit.scanners.commands import scan_shell_text
from bumper.audit.scanners.facts import Assign, Facts, resolve
from bumper.model import is_sha

_RUN_KEY = re.compile(
    r"\A(?P<indent>[ \t]*)(?:-[ \t]+)?(?P<key>run|script|command)[ \t]*:[ \t]*(?P<rest>.*?)[ \t]*\Z"
)
_USES = re.compile(
    r"\A[ \t]*(?:-[ \t]+)?uses[ \t]*:[ \t]*[\"']?(?P<action>[\w.-]+/[\w.-]+)"
    r"(?P<path>/[^@\s\"']*)?@(?P<rev>[0-9a-f]{40})\b"
)
_YAML_SHA = re.compile(
    rf"\A[ \t]*(?:-[ \t]+)?(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]*"
    rf"{QUOTE}?(?P<value>{SHA_TOKEN}){QUOTE}?[ \t]*(?:#.*)?\Z"
)


def scan(path: str, text: str) -> list[Hit]:
    facts = Facts(path, where="a workflow run: step")
    lines = Lines(text)
    physical = text.split("\n")
    offsets = lines.starts
    i = 0
    while i < len(physical):
        line = physical[i].rstrip("\r")
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        run = _RUN_KEY.match(line)
        if run and run["key"] == "run":
            rest = run["rest"]
            if rest[:1] in ("|", ">"):
                indent = len(run["indent"])
                end = i + 1
                while end < len(physical) and (
                    not physical[end].strip() or _indent(physical[end]) > indent
                ):
                    end += 1
                block = physical[i + 1 : end]
                width = min((_indent(b) for b in block if b.strip()), default=0)
                body = "\n".join(b[width:] for b in block)
                if i + 1 < len(physical):
                    base = offsets[i + 1]
                    scan_shell_text(facts, body, base, TextLines(lines, body, base))
                i = end
                continue
            if rest and not rest.startswith("#"):
                command = _yaml_scalar(rest)
                scan_shell_text(facts, command, offsets[i], lines)
            i += 1
            continue
        uses = _USES.match(line)
        if uses:
            facts.hits.append(
                Hit(
                    i + 1,
                    "action",
                    uses["rev"],
                    None,
                    uses["action"],
                    managed_by=MANAGED,
                    detail=f"`uses: {uses['action']}{uses['path'] or ''}@<sha>`",
                )
            )
        elif pair := _YAML_SHA.match(line):
            key, value = pair["key"], pair["value"]
            if key == "ref" and is_rev(value, short=True):
                repo = _step_key(physical, i, "repository")
                facts.hits.append(
                    Hit(
                        i + 1,
                        "workflow-checkout",
                        value,
                        None,
                        repo,
                        detail="`ref: <sha>` of a checkout step in a workflow",
                    )
                )
            elif (is_sha(value) and plausible_commit_variable(key, value)) or abbreviated_commit(
                key, value, False
            ):
                facts.assigns.append(Assign(key, value, i + 1, "workflow-env"))
        i += 1
    return resolve(facts, text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _yaml_scalar(value: str) -> str:
    value = re.sub(r"[ \t]+#.*\Z", "", value) if not value.startswith(("'", '"')) else value
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _step_key(physical: list[str], i: int, key: str) -> str | None:
    """A sibling key of line `i` in the same mapping (same indentation), e.g. repository."""
    indent = _indent(physical[i])
    pattern = re.compile(rf"\A[ \t]*(?:-[ \t]+)?{key}[ \t]*:[ \t]*[\"']?([^\"'#\s]+)")
    for j in [*range(i - 1, max(-1, i - 15), -1), *range(i + 1, min(len(physical), i + 15))]:
        line = physical[j]
        if line.strip() and _indent(line) < indent and not line.lstrip().startswith("-"):
            continue
        if _indent(line) == indent and (match := pattern.match(line)):
            return match[1]
    return None
