"""`pr.automerge`, a matrix row's `automerge` and `dashboard` read as a user wrote them."""

from __future__ import annotations

from textwrap import dedent

import jsonschema
import pytest
from ruamel.yaml import YAML

from bumper.config.load import parse_config
from bumper.config.schema import config_schema
from bumper.config.settings import DashboardSettings
from bumper.errors import ConfigError

FILE = "config/bumper.yaml"
ROW = """\
matrix:
  - repository: acme/lib
    variable: LIB_VERSION
    branch: main
    file: Makefile
"""


def _load(text: str):
    return YAML(typ="safe").load(text)


def _parse(text: str):
    return parse_config(dedent(text), FILE)


def test_automerge_and_dashboard_are_off_by_default() -> None:
    config = _parse(ROW)
    assert config.pr.automerge is False
    assert config.dashboard is None
    assert config.matrix[0].automerge is None


def test_automerge_globally_per_row_and_always() -> None:
    config = _parse(
        "pr: {automerge: true}\n" + ROW + "    automerge: always\n"
        "  - {repository: acme/two, variable: TWO, branch: main, file: Makefile,"
        " automerge: false}\n"
    )
    assert config.pr.automerge is True
    assert [e.automerge for e in config.matrix] == ["always", False]


def test_dashboard_true_or_with_a_title() -> None:
    assert _parse("dashboard: true\n" + ROW).dashboard == DashboardSettings()
    assert _parse("dashboard: false\n" + ROW).dashboard is None
    titled = _parse("dashboard: {title: Pins of acme}\n" + ROW)
    assert titled.dashboard == DashboardSettings(title="Pins of acme")


def test_bad_values_name_file_line_and_field() -> None:
    text = (
        'pr: {automerge: "yes"}\ndashboard: {title: "", colour: red}\n' + ROW + "    automerge: 1\n"
    )
    with pytest.raises(ConfigError) as caught:
        _parse(text)
    problems = caught.value.problems
    assert f'{FILE}:1: pr.automerge: expected true, false or "always", got a string' in problems[0]
    assert any(p.startswith(f"{FILE}:2: dashboard.colour: unknown key") for p in problems)
    assert f"{FILE}:2: dashboard.title: is empty" in problems
    assert any(
        p.startswith(f'{FILE}:8: matrix[0].automerge: expected true, false or "always"')
        for p in problems
    )


def test_the_shipped_schema_accepts_what_the_loader_accepts() -> None:
    schema = config_schema()
    good = _load("pr: {automerge: always}\ndashboard: {title: t}\n" + ROW + "    automerge: true\n")
    jsonschema.Draft202012Validator(schema).validate(good)
    jsonschema.Draft202012Validator(schema).validate(_load("dashboard: true\n" + ROW))
    bad = _load(ROW + "    automerge: sometimes\n")
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
