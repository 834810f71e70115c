"""bumper.pins: reading and rewriting Makefile pins, compared byte for byte."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bumper.errors import PinError
from bumper.pins import (
    Pin,
    find_assignments,
    find_pins,
    read_pin,
    rewrite_pin,
    unified_diff,
)


def sha(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def sha256(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


OLD, NEW, OTHER = sha("old"), sha("new"), sha("other")
MAKEFILE = "backend/cpp/llama/Makefile"


def bump(text: str, variable: str = "LLAMA_VERSION", old: str | None = OLD) -> str:
    return rewrite_pin(text, variable, old, NEW, filename=MAKEFILE)


def refusal(text: str, variable: str = "LLAMA_VERSION", new: str = NEW) -> str:
    with pytest.raises(PinError) as caught:
        rewrite_pin(text, variable, None, new, filename=MAKEFILE)
    return str(caught.value)


def test_does_not_reformat() -> None:
    before = (
        "# llama.cpp backend\n"
        "\n"
        f"LLAMA_VERSION\t?=   {OLD}    #   pinned by bumper  \n"
        "CMAKE_ARGS  +=  -DGGML_NATIVE=OFF\n"
        "\n"
        "build:   llama.cpp\n"
        "\t$(MAKE)  -C  llama.cpp\n"
    )
    assert bump(before) == before.replace(OLD, NEW)


def test_keeps_crlf_line_endings() -> None:
    before = f"A = 1\r\nLLAMA_VERSION?={OLD}\r\nB = 2\r\n"
    assert bump(before) == f"A = 1\r\nLLAMA_VERSION?={NEW}\r\nB = 2\r\n"


def test_keeps_mixed_line_endings() -> None:
    before = f"A = 1\r\nLLAMA_VERSION?={OLD}\nB = 2\r\n"
    assert bump(before) == f"A = 1\r\nLLAMA_VERSION?={NEW}\nB = 2\r\n"


def test_keeps_missing_final_newline() -> None:
    assert bump(f"A = 1\nLLAMA_VERSION ?= {OLD}") == f"A = 1\nLLAMA_VERSION ?= {NEW}"
    assert bump(f"LLAMA_VERSION ?= {OLD}\r") == f"LLAMA_VERSION ?= {NEW}\r"


def test_keeps_quotes_around_the_value() -> None:
    assert bump(f'LLAMA_VERSION ?= "{OLD}"\n') == f'LLAMA_VERSION ?= "{NEW}"\n'
    assert bump(f"LLAMA_VERSION := '{OLD}' # q\n") == f"LLAMA_VERSION := '{NEW}' # q\n"


def test_never_touches_a_variable_that_merely_ends_with_the_name() -> None:
    before = (
        f"IK_LLAMA_VERSION ?= {OLD}\n"
        f"LLAMA_VERSION_OLD ?= {OLD}\n"
        f"LLAMA_VERSION ?= {OLD}\n"
        f"XLLAMA_VERSION:={OLD}\n"
        f"LLAMA_VERSION2={OLD}\n"
    )
    after = bump(before)
    assert after.splitlines()[2] == f"LLAMA_VERSION ?= {NEW}"
    assert after.replace(NEW, OLD) == before
    assert read_pin(after, "IK_LLAMA_VERSION").value == OLD


def test_a_lookalike_alone_is_not_the_pin() -> None:
    message = refusal(f"IK_LLAMA_VERSION ?= {OLD}\nLLAMA_VERSION_OLD = {OLD}\n")
    assert message.startswith(f"LLAMA_VERSION is not assigned in {MAKEFILE}")
    assert "did you mean" in message and "IK_LLAMA_VERSION" in message


def test_rewrites_comment_spelling_the_pin() -> None:
    before = (
        f"# pin lives below as LLAMA_VERSION?={OLD}\n"
        f"# (IK_LLAMA_VERSION?={OLD} is a different fork)\n"
        f"# LLAMA_VERSION?={OTHER} was the one before\n"
        f"LLAMA_VERSION ?= {OLD}  # also LLAMA_VERSION := {OLD}\n"
        f"IK_LLAMA_VERSION ?= {OTHER} # forked from LLAMA_VERSION?={OLD}\n"
        "all:\n"
        f"\techo LLAMA_VERSION?={OLD}\n"
    )
    assert bump(before) == (
        f"# pin lives below as LLAMA_VERSION?={NEW}\n"
        f"# (IK_LLAMA_VERSION?={OLD} is a different fork)\n"
        f"# LLAMA_VERSION?={OTHER} was the one before\n"
        f"LLAMA_VERSION ?= {NEW}  # also LLAMA_VERSION := {NEW}\n"
        f"IK_LLAMA_VERSION ?= {OTHER} # forked from LLAMA_VERSION?={NEW}\n"
        "all:\n"
        f"\techo LLAMA_VERSION?={OLD}\n"
    )


def test_refuses_when_variable_absent() -> None:
    message = refusal("CMAKE_ARGS = -DX=1\n")
    assert message == f"LLAMA_VERSION is not assigned in {MAKEFILE}"
    with pytest.raises(PinError, match="not assigned in the Makefile"):
        read_pin("", "LLAMA_VERSION")


def test_refuses_two_different_values() -> None:
    before = (
        "ifeq ($(BUILD_TYPE),cuda)\n"
        f"LLAMA_VERSION ?= {OLD}\n"
        "else\n"
        f"LLAMA_VERSION ?= {OTHER}\n"
        "endif\n"
    )
    message = refusal(before)
    assert "different values" in message
    assert f"line 2: '{OLD}'" in message and f"line 4: '{OTHER}'" in message


def test_rewrites_every_assignment_of_the_same_sha() -> None:
    before = (
        "ifeq ($(BUILD_TYPE),cuda)\n"
        f"  LLAMA_VERSION ?= {OLD}\n"
        "else\n"
        f"\tLLAMA_VERSION := {OLD}\n"
        "endif\n"
    )
    assert bump(before) == before.replace(OLD, NEW)


def test_refuses_non_sha_new_value() -> None:
    page = "<!DOCTYPE html><html><head><title>Rate limit</title></head>" + "<p>x</p>" * 500
    message = refusal(f"LLAMA_VERSION ?= {OLD}\n", new=page)
    assert "is not a sha" in message and MAKEFILE in message
    assert len(message) < 200, "an error page must not be echoed into logs"
    for bad in ("", "v1.2.3", OLD.upper(), OLD[:12], OLD + "\n", f"{OLD} "):
        assert "is not a sha" in refusal(f"LLAMA_VERSION ?= {OLD}\n", new=bad)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("v1.2", "'v1.2' is not a sha (a tag or branch name?)"),
        ("master", "'master' is not a sha"),
        ("$(OTHER)", "'$(OTHER)' refers to other variables"),
        ("${OTHER}", "refers to other variables"),
        ("", "value is empty"),
        (OLD[:12], "is not a full lowercase sha"),
        (OLD.upper(), "is not a full lowercase sha"),
    ],
)
def test_refuses_a_current_value_that_is_not_a_sha(value: str, reason: str) -> None:
    message = refusal(f"A = 1\nLLAMA_VERSION ?= {value}\n")
    assert message.startswith(f"{MAKEFILE}:2: LLAMA_VERSION ")
    assert reason in message


def test_refuses_value_that_continues_on_the_next_line() -> None:
    message = refusal(f"LLAMA_VERSION ?= {OLD} \\\n  extra\n")
    assert message == (
        f"{MAKEFILE}:1: LLAMA_VERSION value continues on the next line"
        " (ends with a backslash); refusing to guess"
    )
    assert "continues" in refusal("LLAMA_VERSION ?= \\\r\n  " + OLD + "\r\n")


def test_a_backslash_in_the_comment_continues_only_the_comment() -> None:
    before = f"LLAMA_VERSION ?= {OLD} # see below \\\nLLAMA_VERSION = {OTHER}\n"
    assert bump(before) == before.replace(OLD, NEW)
    hidden = f"# old pin: \\\nLLAMA_VERSION ?= {OLD}\n"
    assert "not assigned" in refusal(hidden)


def test_an_escaped_backslash_does_not_continue_the_line() -> None:
    assert "is not a sha" in refusal(f"LLAMA_VERSION ?= {OLD}\\\\\nB = 1\n")


def test_refuses_when_the_pin_is_appended_to() -> None:
    assert "only appended to (+=)" in refusal(f"LLAMA_VERSION += {OLD}\n")
    message = refusal(f"LLAMA_VERSION ?= {OLD}\nLLAMA_VERSION += -dirty\n")
    assert message.startswith(f"{MAKEFILE}:2:") and "also appended to (+=)" in message


def test_refuses_when_someone_changed_the_pin_meanwhile() -> None:
    with pytest.raises(PinError, match=f"{MAKEFILE}:1: LLAMA_VERSION is {OTHER}, not '{OLD}'"):
        bump(f"LLAMA_VERSION ?= {OTHER}\n", old=OLD)


def test_an_up_to_date_pin_is_left_byte_identical() -> None:
    before = f"LLAMA_VERSION ?= {NEW}\r\n"
    assert rewrite_pin(before, "LLAMA_VERSION", NEW, NEW) is before
    assert bump(before, old=OLD) is before, "a re-run after an earlier bump is not a conflict"


@pytest.mark.parametrize("prefix", ["", "export ", "override ", "export override ", "override\t"])
@pytest.mark.parametrize("operator", ["?=", ":=", "::=", ":::=", "="])
def test_export_override_forms(prefix: str, operator: str) -> None:
    before = f"{prefix}LLAMA_VERSION {operator} {OLD}\n"
    assert bump(before) == before.replace(OLD, NEW)
    pin = read_pin(before, "LLAMA_VERSION")
    assert (pin.operator, pin.prefix) == (operator, " ".join(prefix.split()))


def test_a_variable_named_like_a_keyword_is_still_a_variable() -> None:
    assert find_assignments("export = 1\noverride := 2\n")[1].variable == "override"


def test_recipe_lines_are_shell_not_assignments() -> None:
    before = f"all: deps\n\tLLAMA_VERSION={OLD} ./build.sh\n\n# notes\n\tLLAMA_VERSION={OLD} x\n"
    assert "not assigned" in refusal(before)
    # A TAB-indented line before any rule is a make line, as GNU make reads it.
    assert bump(f"\tLLAMA_VERSION ?= {OLD}\nall:\n") == f"\tLLAMA_VERSION ?= {NEW}\nall:\n"
    # Any make line ends the recipe; conditionals and comments do not.
    after_recipe = f"all:\n\techo\nA = 1\n\tLLAMA_VERSION ?= {OLD}\n"
    assert bump(after_recipe) == after_recipe.replace(OLD, NEW)


def test_a_define_body_is_not_an_assignment() -> None:
    before = f"define SCRIPT\nLLAMA_VERSION = {OLD}\nendef\n"
    assert "not assigned" in refusal(before)
    assert "multi-line define" in refusal(f"define LLAMA_VERSION\n{OLD}\nendef\n")
    assert "multi-line define" in refusal(f"override define LLAMA_VERSION :=\n{OLD}\nendef\n")


def test_sha256_pins_are_pins() -> None:
    before = f"LLAMA_VERSION ?= {sha256('old')}\n"
    assert rewrite_pin(before, "LLAMA_VERSION", None, NEW) == f"LLAMA_VERSION ?= {NEW}\n"


def test_find_pins_lists_every_sha_assignment() -> None:
    text = (
        f"# LLAMA_VERSION?={OLD} in a comment is not a pin\n"
        f"export WHISPER_COMMIT := {OTHER} # whisper.cpp\r\n"
        "STABLE_VERSION ?= v1.2.3\n"
        "all:\n"
        f"\tFOO={OLD} make\n"
        f'LLAMA_VERSION?="{OLD}"'
    )
    assert find_pins(text) == [
        Pin("WHISPER_COMMIT", OTHER, 2, ":=", "export", "whisper.cpp"),
        Pin("LLAMA_VERSION", OLD, 6, "?=", "", None, quote='"'),
    ]


def test_find_assignments_says_why_a_value_is_not_a_pin() -> None:
    text = "FOO_VERSION?=v1.2.3\nBAR_VERSION = $(FOO_VERSION)\nSHELLY != git rev-parse HEAD\n"
    problems = {pin.variable: pin.problem for pin in find_assignments(text)}
    assert problems == {
        "FOO_VERSION": "value 'v1.2.3' is not a sha (a tag or branch name?)",
        "BAR_VERSION": "value '$(FOO_VERSION)' refers to other variables, not a sha",
        "SHELLY": "is the output of a shell command (!=), not a sha",
    }


def test_line_numbers_count_continued_lines() -> None:
    text = f"FLAGS = -a \\\n  -b \\\n  -c\nLLAMA_VERSION ?= {OLD}\n"
    assert read_pin(text, "LLAMA_VERSION").line == 4


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_unified_diff_applies_with_git(tmp_path: Path, ending: str, final_newline: bool) -> None:
    lines = ["# llama", f"LLAMA_VERSION ?= {OLD}", "all:", "\techo"]
    before = ending.join(lines) + (ending if final_newline else "")
    after = bump(before)
    diff = unified_diff("backend/Makefile", before, after)
    assert diff.startswith("--- a/backend/Makefile\n+++ b/backend/Makefile\n")
    assert f"-LLAMA_VERSION ?= {OLD}{ending}" in diff
    target = tmp_path / "backend" / "Makefile"
    target.parent.mkdir()
    target.write_bytes(before.encode())
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=diff.encode(), check=True)
    assert target.read_bytes() == after.encode()


def test_unified_diff_of_the_last_line_without_newline(tmp_path: Path) -> None:
    before, after = "A = 1\nB = 2", "A = 1\nB = 3"
    diff = unified_diff("Makefile", before, after)
    assert diff.endswith(
        "-B = 2\n\\ No newline at end of file\n+B = 3\n\\ No newline at end of file\n"
    )
    (tmp_path / "Makefile").write_text(before)
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=diff.encode(), check=True)
    assert (tmp_path / "Makefile").read_text() == after


def test_a_10k_line_makefile_changes_only_the_pin() -> None:
    # Speed is a benchmark figure (bench/), not a timed assertion here.
    filler = [f"VAR_{i} ?= {sha(str(i))}  # c\nrule{i}: dep\n\techo {i}\n\n" for i in range(2500)]
    text = "".join(filler[:1250]) + f"LLAMA_VERSION ?= {OLD}\n" + "".join(filler[1250:])
    after = bump(text)
    assert after == text.replace(f"LLAMA_VERSION ?= {OLD}", f"LLAMA_VERSION ?= {NEW}")


# Property tests. A generated Makefile is a list of units (one or more physical lines), each line
# paired with what a bump must turn it into; the expected result is built independently of pins.py.

LOOKALIKES = [
    "IK_LLAMA_VERSION",
    "LLAMA_VERSION_OLD",
    "XLLAMA_VERSION",
    "LLAMA_VERSIONS",
    "_LLAMA_VERSION",
]
PLAIN = st.text(
    st.characters(blacklist_characters="\r\n\\", blacklist_categories=("Cs",)), max_size=20
)
SPACE = st.sampled_from(["", " ", "\t", "   "])
OPERATOR = st.sampled_from(["?=", ":=", "::=", ":::=", "="])
SHAS = st.sampled_from([(OLD, NEW), (sha256("old"), NEW), (OLD, sha256("new"))])

Unit = list[tuple[str, str]]  # (line without its ending, the same line after the bump)


def unchanged(*lines: str) -> Unit:
    return [(line, line) for line in lines]


@st.composite
def other_unit(draw: st.DrawFn, old: str) -> Unit:
    """Lines that must survive a bump byte for byte, many of them baited with the old sha."""
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return unchanged("")
    if kind == 1:
        return unchanged("#" + draw(PLAIN))
    if kind == 2:
        name = draw(st.sampled_from([*LOOKALIKES, "CMAKE_ARGS", "BUILD_TYPE"]))
        value = draw(st.sampled_from([old, sha(name), "-DGGML_CUDA=ON", "$(X)"]))
        return unchanged(f"{name}{draw(SPACE)}{draw(OPERATOR)}{draw(SPACE)}{value}")
    if kind == 3:
        return unchanged(f"# {draw(st.sampled_from(LOOKALIKES))}?={old}")
    if kind == 4:
        recipe = [f"\techo LLAMA_VERSION={old}", f"\t# LLAMA_VERSION?={old}", "\t$(MAKE) -C x"]
        rule = "build: " + draw(PLAIN).replace(":", "")
        return unchanged(rule, *draw(st.lists(st.sampled_from(recipe), max_size=3)))
    if kind == 5:
        return unchanged(draw(st.sampled_from(["ifeq ($(OS),Linux)", "else", "endif", "ifdef X"])))
    if kind == 6:
        return unchanged("FLAGS = -a \\", f"  LLAMA_VERSION = {old}")
    if kind == 7:
        return unchanged("define SCRIPT", f"LLAMA_VERSION = {old}", "endef")
    return unchanged("include common.mk")


@st.composite
def pin_line(draw: st.DrawFn, old: str, new: str) -> Unit:
    """The pin in one of the forms people write."""
    indent = draw(st.sampled_from(["", " ", "  "]))
    prefix = draw(st.sampled_from(["", "export ", "override ", "override export ", "export\t"]))
    quote = draw(st.sampled_from(["", "", '"', "'"]))
    operator = f"{draw(SPACE)}{draw(OPERATOR)}{draw(SPACE)}"
    head = f"{indent}{prefix}LLAMA_VERSION{operator}{quote}"
    comment = draw(
        st.sampled_from(["", " # pinned", "#x", " # LLAMA_VERSION?=", " # IK_LLAMA_VERSION?="])
    )
    tail = f"{comment}{old}" if comment.endswith("=") else comment
    after_tail = tail.replace(old, new) if comment.startswith(" # LLAMA") else tail
    return [(f"{head}{old}{quote}{tail}", f"{head}{new}{quote}{after_tail}")]


@st.composite
def mention_line(draw: st.DrawFn, old: str, new: str) -> Unit:
    """A comment spelling the pin, which a bump keeps consistent."""
    space = draw(st.sampled_from(["", " "]))
    line = f"# lives below as LLAMA_VERSION{space}?={space}"
    return [(line + old, line + new)]


@st.composite
def makefile(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """(text, expected text after bumping old to new, old, new)."""
    old, new = draw(SHAS)
    units = draw(st.lists(other_unit(old), max_size=8))
    extra = st.one_of(pin_line(old, new), mention_line(old, new))
    for unit in [draw(pin_line(old, new)), *draw(st.lists(extra, max_size=2))]:
        units.insert(draw(st.integers(0, len(units))), unit)
    lines = [line for unit in units for line in unit]
    endings = draw(
        st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines))
    )
    if draw(st.booleans()):
        endings[-1] = ""
    text = "".join(before + end for (before, _), end in zip(lines, endings, strict=True))
    expected = "".join(after + end for (_, after), end in zip(lines, endings, strict=True))
    return text, expected, old, new


@settings(max_examples=200, deadline=None)
@given(makefile())
def test_rewrite_changes_exactly_the_pin_lines(case: tuple[str, str, str, str]) -> None:
    text, expected, old, new = case
    assert read_pin(text, "LLAMA_VERSION").value == old
    after = rewrite_pin(text, "LLAMA_VERSION", old, new)
    assert after == expected
    assert read_pin(after, "LLAMA_VERSION").value == new


@settings(max_examples=100, deadline=None)
@given(makefile())
def test_bumping_there_and_back_restores_every_byte(case: tuple[str, str, str, str]) -> None:
    text, _, old, new = case
    there = rewrite_pin(text, "LLAMA_VERSION", old, new)
    assert rewrite_pin(there, "LLAMA_VERSION", new, old) == text
    others = [pin for pin in find_assignments(text) if pin.variable != "LLAMA_VERSION"]
    assert [pin for pin in find_assignments(there) if pin.variable != "LLAMA_VERSION"] == others


TOKENS = [" ", "\t", "\n", "\\", "#", "=", "?=", ":", "+=", '"', "$(X)", "v1.2", OLD[:7], OLD, NEW]
TOKENS += ["export ", "override ", "define ", "endef", "all:", "IK_", "_OLD", "LLAMA_VERSION"]
TOKENS += [f"LLAMA_VERSION={NEW}", f"# LLAMA_VERSION?={OLD}", f"IK_LLAMA_VERSION={OLD}"]
FRAGMENT = st.lists(st.sampled_from(TOKENS), max_size=6).map("".join)
LINE = st.tuples(
    st.one_of(FRAGMENT, st.just(f"LLAMA_VERSION ?= {OLD}")), st.sampled_from(["\n", "\r\n", ""])
)
MAKEISH = st.lists(LINE, max_size=12).map(lambda lines: "".join(a + b for a, b in lines))
FUZZ = sha("fuzz")


@settings(max_examples=300, deadline=None)
@given(MAKEISH)
def test_any_text_is_rewritten_safely_or_refused_with_a_reason(text: str) -> None:
    find_assignments(text)
    try:
        old = read_pin(text, "LLAMA_VERSION").value
        after = rewrite_pin(text, "LLAMA_VERSION", None, FUZZ)
    except PinError as error:
        assert "would change more than its value" not in str(error)
        return
    assert read_pin(after, "LLAMA_VERSION").value == FUZZ

    def masked(s: str) -> str:
        return s.replace(FUZZ, "@").replace(old, "@")

    assert masked(after) == masked(text)
    assert after.count("\n") == text.count("\n")
