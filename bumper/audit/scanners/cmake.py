"""CMake: `GIT_TAG <sha>` in FetchContent/ExternalProject/CPM blocks, `gh:o/n#<sha>`, and
`set(X_COMMIT <sha>)`.
"""

from __future__ import annotations

import re

from bumper.audit.scanners.base import Hit, Lines, is_rev, plausible_commit_variable
from bumper.audit.scanners.urls import archive_hits

_CMAKE_BLOCK = re.compile(
    r"\b(FetchContent_Declare|ExternalProject_Add|CPMAddPackage|CPMDeclarePackage|"
    r"CPMFindPackage|FetchContent_Populate)\s*\(",
    re.I,
)
_CMAKE_TAG = re.compile(
    r"\bGIT_TAG\s+\"?(?:(?P<rev>[0-9a-f]{7,64})|\$\{(?P<var>\w+)\})\"?(?=[\s)])"
)
_CMAKE_SET = re.compile(
    r"\bset\s*\(\s*(?P<name>\w+)\s+\"?(?P<rev>[0-9a-f]{40}(?:[0-9a-f]{24})?)\"?\s*(?:CACHE[^)]*)?\)",
    re.I,
)
_CMAKE_REPO = re.compile(
    r"\b(?:GIT_REPOSITORY\s+\"?(?P<url>[^\s\")]+)|GITHUB_REPOSITORY\s+\"?(?P<gh>[\w.-]+/[\w.-]+))"
)
_CPM_SHORT = re.compile(r"\"gh:(?P<repo>[\w.-]+/[\w.-]+?)(?:@[^#\"\s]*)?#(?P<rev>[0-9a-f]{7,64})\"")


def scan(path: str, text: str) -> list[Hit]:
    code = _blank_cmake_comments(text)
    lines = Lines(code)
    hits: list[Hit] = []
    blocks = [(m.start(), _cmake_block_end(code, m.end()), m) for m in _CMAKE_BLOCK.finditer(code)]
    table: dict[str, str] = {}
    tag_vars: dict[str, tuple[str | None, str]] = {}
    for start, end, match in blocks:
        block = code[start:end]
        name_match = re.match(r"\s*\"?([\w.+-]+)", code[match.end() : end])
        name = name_match[1] if name_match else ""
        repo_match = _CMAKE_REPO.search(block)
        repo = None
        if repo_match:
            repo = repo_match["gh"] or repo_match["url"]
        for tag in _CMAKE_TAG.finditer(block):
            if tag["rev"] and is_rev(tag["rev"], short=True):
                hits.append(
                    Hit(
                        lines.line(start + tag.start("rev")),
                        "cmake-fetchcontent",
                        tag["rev"],
                        None,
                        repo,
                        detail=f"`GIT_TAG <sha>` in {match[1]}({name})",
                    )
                )
            elif tag["var"]:
                tag_vars[tag["var"]] = (repo, name)
        for short in _CPM_SHORT.finditer(block):
            if is_rev(short["rev"], short=True):
                hits.append(
                    Hit(
                        lines.line(start + short.start("rev")),
                        "cmake-fetchcontent",
                        short["rev"],
                        None,
                        short["repo"],
                        detail=f"`gh:{short['repo']}#<sha>` in CPMAddPackage",
                    )
                )
    for match in _CMAKE_SET.finditer(code):
        name, rev = match["name"], match["rev"]
        table[name] = rev
        if name in tag_vars or plausible_commit_variable(name, rev):
            repo = tag_vars.get(name, (None, ""))[0]
            hits.append(
                Hit(
                    lines.line(match.start("rev")),
                    "cmake-set",
                    rev,
                    name,
                    repo,
                    detail=f"`set({name} <sha>)` in CMake",
                )
            )
    if "github" in code:
        for number, line in enumerate(code.split("\n"), 1):
            if "github" in line:
                hits.extend(archive_hits(line, number))
    return hits


def _cmake_block_end(code: str, pos: int) -> int:
    depth, n = 1, len(code)
    while pos < n and depth:
        ch = code[pos]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == '"':
            end = code.find('"', pos + 1)
            pos = n if end < 0 else end
        pos += 1
    return pos


def _blank_cmake_comments(text: str) -> str:
    """Replace CMake comments (`#...` and `#[[...]]`) with spaces, keeping every newline."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif ch == "#":
            bracket = re.match(r"#\[(=*)\[", text[i:])
            if bracket:
                close = text.find(f"]{bracket[1]}]", i)
                end = n if close < 0 else close + len(bracket[1]) + 2
            else:
                end = text.find("\n", i)
                end = n if end < 0 else end
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)
