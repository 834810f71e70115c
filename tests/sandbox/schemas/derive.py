"""Derive the sandbox's copy of GitHub's REST OpenAPI description, without its prose.

Usage: python tests/sandbox/schemas/derive.py PATH/TO/api.github.com.json
       [--keep-paths [--add /repos/{owner}/{repo}/pulls/{pull_number}/commits ...]]

Reads the published description (npm package @octokit/openapi) and writes
github-rest-openapi.json beside this script: ``openapi``, every path, and the components
those paths reference, with the documentation removed (descriptions, summaries, titles,
examples, external docs, tags, servers and ``x-*`` vendor keys) and everything validation
needs kept. The output has sorted keys, so running it twice gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent / "github-rest-openapi.json"

# Documentation keywords, removed wherever they are keywords. The three prose keywords go
# only when their value is text: anything else under those names is not documentation.
PROSE = frozenset({"description", "summary", "title"})
DOCUMENTATION = frozenset({"example", "examples", "externalDocs", "tags"})

# Keywords whose value maps names the author chose (property names, status codes, media
# types, component names, ...) to objects: the names are data and are never stripped.
NAMED = frozenset(
    {
        "properties",
        "patternProperties",
        "definitions",
        "paths",
        "schemas",
        "responses",
        "parameters",
        "headers",
        "requestBodies",
        "securitySchemes",
        "links",
        "callbacks",
        "content",
        "encoding",
        "variables",
    }
)

# Keywords whose value is an instance or a plain mapping, copied as it is.
VERBATIM = frozenset({"default", "enum", "const", "mapping"})


def _is_documentation(key: str, value: Any) -> bool:
    if key.startswith("x-") or key in DOCUMENTATION:
        return True
    return key in PROSE and isinstance(value, str)


def clean(node: Any) -> Any:
    """Node with the documentation removed; an object's keys are OpenAPI keywords."""
    if isinstance(node, list):
        return [clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if _is_documentation(key, value):
            continue
        if key in VERBATIM:
            kept[key] = value
        elif key in NAMED and isinstance(value, dict):
            kept[key] = {name: clean(item) for name, item in value.items()}
        else:
            kept[key] = clean(value)
    return kept


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _refs(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    return found


def _referenced(components: dict[str, Any], roots: Any) -> dict[str, Any]:
    """The components reachable by $ref from roots, transitively."""
    kept: dict[str, dict[str, Any]] = {}
    pending = sorted(_refs(roots))
    while pending:
        ref = pending.pop()
        parts = ref.split("/")
        if parts[:2] != ["#", "components"] or len(parts) != 4:
            raise SystemExit(f"unsupported $ref: {ref}")
        section, name = parts[2], parts[3]
        if name in kept.get(section, {}):
            continue
        try:
            target = components[section][name]
        except KeyError:
            raise SystemExit(f"dangling $ref: {ref}") from None
        kept.setdefault(section, {})[name] = target
        pending.extend(sorted(_refs(target)))
    return kept


def derive(document: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    chosen = {k: v for k, v in document["paths"].items() if only is None or k in only}
    paths = clean(chosen)
    components = {
        section: {name: clean(item) for name, item in entries.items()}
        for section, entries in document.get("components", {}).items()
    }
    info = document.get("info", {})
    return {
        "openapi": document["openapi"],
        "info": {key: info[key] for key in ("title", "version") if key in info},
        "paths": paths,
        "components": _referenced(components, paths),
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="GitHub's OpenAPI description (JSON)")
    parser.add_argument(
        "--keep-paths",
        action="store_true",
        help="keep only the paths the existing subset has, plus those given with --add",
    )
    parser.add_argument("--add", action="append", default=[], help="a path to keep as well")
    args = parser.parse_args(argv)
    document = json.loads(args.source.read_text(encoding="utf-8"))
    only = None
    if args.keep_paths:
        only = set(json.loads(OUTPUT.read_text(encoding="utf-8"))["paths"]) | set(args.add)
    OUTPUT.write_text(render(derive(document, only)), encoding="utf-8")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
