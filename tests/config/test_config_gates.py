"""Gates and holds in the config: what a row may say, the `gates:` defaults, and bad values
refused with file, line and field."""

from __future__ import annotations

import pytest
from test_config_bad_inputs import FILE, problems_of, row

from bumper.config.load import parse_config

FIX = "0123456789abcdef0123456789abcdef01234567"


def entry_of(text: str):  # type: ignore[no-untyped-def]
    [entry] = parse_config(text, FILE).matrix
    return entry


def test_a_row_carries_its_gates_and_the_config_gives_the_rest_their_defaults() -> None:
    text = (
        "gates:\n  min_age: 2d\n  require_checks: true\n"
        "matrix:\n"
        + row()
        + row(variable="A_VERSION", min_age="36h")
        + row(variable="B_VERSION", min_age="0", require_checks="false")
    )
    first, second, third = parse_config(text, FILE).matrix
    assert (first.min_age, first.require_checks) == ("2d", True)
    assert (second.min_age, second.require_checks) == ("36h", True)
    assert (third.min_age, third.require_checks) == (None, None)  # switched off for that row


def test_holds_as_a_reason_a_date_or_a_fix_commit() -> None:
    assert entry_of("matrix:\n" + row(hold="'broken'")).hold_condition is None
    dated = entry_of("matrix:\n" + row(hold="{reason: broken, until: 2026-12-31}"))
    assert (dated.hold, dated.hold_until, dated.hold_condition) == (
        "broken",
        "2026-12-31",
        "until 2026-12-31",
    )
    quoted = entry_of("matrix:\n" + row(hold="{reason: broken, until: '2026-12-31'}"))
    assert quoted.hold_until == "2026-12-31"
    fix = entry_of(
        "matrix:\n" + row(hold=f"{{reason: broken, until_upstream_contains: {FIX.upper()}}}")
    )
    assert fix.hold_until_upstream_contains == FIX
    assert fix.hold_condition == f"until master contains {FIX[:12]}"


@pytest.mark.parametrize(
    ("text", "where", "phrase"),
    [
        (row(min_age="36"), "matrix[0].min_age", "36 has no unit: write 36h (hours) or 36d"),
        (row(min_age="'36'"), "matrix[0].min_age", "'36' is not a duration"),
        (row(min_age="soon"), "matrix[0].min_age", "e.g. 36h or 2d"),
        (row(min_age="[1]"), "matrix[0].min_age", "expected a duration such as 36h or 2d"),
        (row(require_checks="yes please"), "matrix[0].require_checks", "expected true or false"),
        (row(hold="{reason: x, until: 2026-13-01}"), "matrix[0].hold.until", "is not a date"),
        (row(hold="{reason: x, until: next week}"), "matrix[0].hold.until", "write YYYY-MM-DD"),
        (
            row(hold="{reason: x, until_upstream_contains: abc123}"),
            "matrix[0].hold.until_upstream_contains",
            "expected the full 40-hex sha of the upstream fix commit, got 'abc123'",
        ),
        (
            row(hold="{reason: x, untill: 2026-12-31}"),
            "matrix[0].hold.untill",
            "did you mean `until`?",
        ),
        (row(hold="{until: 2026-12-31}"), "matrix[0].hold.reason", "say why the entry is held"),
        (
            row(hold=f"{{reason: x, until: 2026-12-31, until_upstream_contains: {FIX}}}"),
            "matrix[0].hold",
            "not both",
        ),
        (row(min_age_="2d"), "matrix[0].min_age_", "did you mean `min_age`?"),
    ],
)
def test_a_bad_gate_or_hold_names_file_line_and_field(text: str, where: str, phrase: str) -> None:
    problems = problems_of("matrix:\n" + text)
    matching = [p for p in problems if p.startswith(f"{FILE}:") and f": {where}:" in p]
    assert matching, problems
    assert any(phrase in p for p in matching), matching
    line = int(matching[0].split(":")[1])
    assert line >= 2  # the row's own line, not the file's top


def test_a_bad_default_names_its_section() -> None:
    problems = problems_of("gates:\n  min_age: tomorrow\nmatrix:\n" + row())
    assert problems == [
        f"{FILE}:2: gates.min_age: 'tomorrow' is not a duration: a number and a unit, "
        "m (minutes), h (hours), d (days) or w (weeks), e.g. 36h or 2d"
    ]
