"""Published JSON schemas as check-jsonschema (PyPI) ships them, for GitHub and Compose files."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema


def vendored_schema(name: str) -> Any:
    """The schema `check-jsonschema --builtin-schema vendor.NAME` uses (no network)."""
    source = files("check_jsonschema") / "builtin_schemas" / "vendor" / f"{name}.json"
    return json.loads(source.read_text(encoding="utf-8"))


def schema_errors(name: str, document: Any) -> list[str]:
    schema = vendored_schema(name)
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]
