"""`bumper schema`: the config's JSON Schema agrees with the loader on keys and types."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from faults.test_bad_inputs import CONFIG_CASES, GITHUB, HEAD
from ruamel.yaml import YAML

from bumper.cli import main
from bumper.sandbox.seed import demo_config_yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "bumper" / "config" / "bumper.schema.json"

# The bad-input corpus's cases the loader refuses for a key or a type (value rules such as a
# cron minute or an owner/name need the loader's code; the schema does not claim them).
KEY_OR_TYPE = {
    "matrix-is-mapping",
    "row-is-string",
    "variable-is-number",
    "retries-is-a-word",
    "signoff-is-a-sentence",
    "labels-is-a-number",
    "hold-is-a-list",
    "unknown-row-key",
    "unknown-top-key",
    "unknown-section-key",
    "missing-file-key",
    "token-in-config",
}


def printed_schema(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["schema"]) == 0
    schema: dict[str, Any] = json.loads(capsys.readouterr().out)
    return schema


@pytest.fixture
def validator(capsys: pytest.CaptureFixture[str]) -> jsonschema.Draft202012Validator:
    schema = printed_schema(capsys)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def test_schema_is_draft_2020_12_and_the_shipped_copy_is_what_the_command_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    schema = printed_schema(capsys)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert json.loads(SHIPPED.read_text()) == schema, "run: bumper schema > " + str(SHIPPED)


def test_every_example_config_in_the_repository_validates(
    validator: jsonschema.Draft202012Validator,
) -> None:
    examples = {
        "config/bumper.yaml": (ROOT / "config" / "bumper.yaml").read_text(),
        "the audit corpus": (ROOT / "tests/audit/corpus/.github/bumper.yaml").read_text(),
        "the demo": demo_config_yaml("http://127.0.0.1:1"),
        "README.md": _readme_config(),
    }
    for name, text in examples.items():
        errors = [e.message for e in validator.iter_errors(load(text))]
        assert not errors, f"{name}: {errors}"


def test_the_example_config_names_the_schema_for_editors() -> None:
    first = (ROOT / "config" / "bumper.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../bumper/config/bumper.schema.json"
    assert (ROOT / "config" / first.split("$schema=")[1]).resolve() == SHIPPED


def test_a_misspelt_key_is_refused(validator: jsonschema.Draft202012Validator) -> None:
    doc = load("pr:\n  tittle: x\nmatrix: []\n")
    assert [e.message for e in validator.iter_errors(doc)] == [
        "Additional properties are not allowed ('tittle' was unexpected)"
    ]


@pytest.mark.parametrize("case", [c for c in CONFIG_CASES if c.id in KEY_OR_TYPE], ids=str)
def test_configs_the_loader_refuses_for_a_key_or_type_the_schema_refuses_too(
    case: Any, validator: jsonschema.Draft202012Validator
) -> None:
    text = case.text if isinstance(case.text, str) else case.text.decode()
    own_github = text.startswith(GITHUB.split("\n")[0])
    whole = (text if own_github else HEAD + text).format(api="http://a/api/v3", git="http://a")
    assert list(validator.iter_errors(load(whole))), f"{case.id}: the schema accepts it"


def test_every_key_or_type_case_named_here_exists() -> None:
    assert {c.id for c in CONFIG_CASES} >= KEY_OR_TYPE


def _readme_config() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Configuration\n\n```yaml\n(.*?)```", text, re.S)
    assert block is not None
    return block.group(1)
