"""GitHub's REST OpenAPI description, as the sandbox tests validate against it.

The description (schemas/github-rest-openapi.json, derived by schemas/derive.py) is
OpenAPI 3.0: its ``nullable: true`` becomes "or null" here before jsonschema sees it, and its
``oneOf`` becomes ``anyOf`` (GitHub's alternatives overlap, e.g. basic-error and
repository-rule-violation-error both accept a plain error; a discriminator picks, not oneOf).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).parent / "schemas" / "github-rest-openapi.json"


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _nullable(v) for k, v in node.items() if k not in ("discriminator", "example")}
    if "oneOf" in converted:
        converted["anyOf"] = converted.pop("oneOf")
    if converted.pop("nullable", False):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def spec() -> dict[str, Any]:
    return _nullable(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
