"""PURE: the JSON Schema (draft 2020-12) of the config file, built from the loader's own
definitions: each section from its settings dataclass (keys and types), the matrix rows from
matrix.py's keys, so the schema can never list a key the loader does not read.

It checks keys and types (what an editor can complete and flag as you type); value rules that
need code (a cron line, an owner/name, a template's placeholders) stay with the loader, which
reports them with file and line.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from bumper import __version__
from bumper.config import matrix, sections, settings

SCHEMA_ID = f"https://bumper.invalid/schema/config-{__version__}.json"

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
}


def config_schema() -> dict[str, Any]:
    """The schema as a JSON-ready dict."""
    # The settings sections are Config's fields whose type is a settings dataclass.
    hints = typing.get_type_hints(settings.Config)
    properties: dict[str, Any] = {
        name: _section(hints[name])
        for name in sections.TOP_KEYS
        if dataclasses.is_dataclass(hints[name])
    }
    properties["matrix"] = {
        "description": "One row per pin: which upstream branch it follows and where it lives.",
        "type": "array",
        "items": _matrix_row(),
    }
    properties["matrix_from"] = {
        "description": "Import the matrix of an existing workflow job instead.",
        "type": "object",
        "properties": {key: {"type": "string"} for key in sections.MATRIX_FROM_KEYS},
        "required": list(sections.MATRIX_FROM_KEYS),
        "additionalProperties": False,
    }
    properties["dashboard"] = {
        "description": "One issue in the target listing every pin (true, or its settings).",
        "anyOf": [{"type": "boolean"}, _section(settings.DashboardSettings)],
    }
    missing = set(sections.TOP_KEYS) - set(properties)
    assert not missing, f"config keys without a schema: {sorted(missing)}"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "bumper config",
        "type": "object",
        "properties": properties,
        # top-level x-* keys hold YAML anchors, as in compose files
        "patternProperties": {"^x-": {}},
        "additionalProperties": False,
    }


def _section(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props = {}
    for spec in dataclasses.fields(cls):
        prop = _type(hints[spec.name])
        if spec.default is not dataclasses.MISSING and spec.default is not None:
            default = spec.default
            prop["default"] = list(default) if isinstance(default, tuple) else default
        props[spec.name] = prop
    return {"type": "object", "properties": props, "additionalProperties": False}


def _type(hint: Any) -> dict[str, Any]:
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return {"anyOf": [_type(arg) for arg in args]}
    if hint is type(None):
        return {"type": "null"}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return {"type": "array", "items": _type(args[0])}
    if dataclasses.is_dataclass(hint):  # a list's items, e.g. audit.ignore's rules
        item = _section(hint)  # type: ignore[arg-type]
        required = [f.name for f in dataclasses.fields(hint) if f.default is dataclasses.MISSING]
        return {**item, "required": required} if required else item
    raise TypeError(f"no JSON Schema for the settings type {hint!r}")


_ALSO: dict[str, Any] = {
    "type": "object",
    "properties": {"match": {"type": "string"}, "file": {"type": "string"}},
    "required": ["match"],
    "additionalProperties": False,
}
_ROW_KEY_SCHEMAS: dict[str, dict[str, Any]] = {
    "files": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    "follow": {"enum": ["tags"]},
    "prerelease": {"type": "boolean"},
    "also": {"anyOf": [_ALSO, {"type": "array", "items": _ALSO, "minItems": 1}]},
    "min_age": {"anyOf": [{"type": "string", "pattern": r"^\d+(\.\d+)?\s*[mhdw]$"}, {"const": 0}]},
    "require_checks": {"type": "boolean"},
    "automerge": {"anyOf": [{"type": "boolean"}, {"const": "always"}]},
    "hold": {
        "anyOf": [
            {"type": "string", "minLength": 1},
            {
                "type": "object",
                "properties": {
                    "reason": {"type": "string", "minLength": 1},
                    "until": {"type": "string", "format": "date"},
                    "until_upstream_contains": {
                        "type": "string",
                        "pattern": "^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$",
                    },
                },
                "required": ["reason"],
                "additionalProperties": False,
            },
        ]
    },
}


def _matrix_row() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            key: _ROW_KEY_SCHEMAS.get(key, {"type": "string"}) for key in matrix.ENTRY_KEYS
        },
        "required": [key for key in matrix.REQUIRED_KEYS if key != "branch"],
        "additionalProperties": False,
        # where the pin is: one of `file`, `files`; its name: `variable`, else `name`;
        # what it follows: a `branch`, or release tags
        "allOf": [
            {"oneOf": [{"required": ["file"]}, {"required": ["files"]}]},
            {"oneOf": [{"required": ["variable"]}, {"required": ["name"]}]},
            {"not": {"required": ["variable", "match"]}},
            {"oneOf": [{"required": ["branch"]}, {"required": ["follow"]}]},
        ],
    }
