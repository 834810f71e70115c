"""The fast reader of plain block YAML reads exactly what ruamel reads, or leaves it to ruamel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bumper.config.block_yaml import parse_block_yaml
from bumper.config.load import parse_config
from bumper.config.problems import Problems, Report
from bumper.config.yaml import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [
    ROOT / "config" / "bumper.yaml",
    ROOT / "deploy" / "demo.yaml",
    ROOT / "compose.yaml",
    ROOT / "docs" / "workflows" / "bump.yaml",
    ROOT / "tests" / "audit" / "corpus" / ".github" / "bumper.yaml",
    ROOT / "tests" / "audit" / "corpus" / ".github" / "workflows" / "bump_deps.yaml",
]


def _shape(node: Any) -> Any:
    """Values, their exact types and every position the loader reads (lc.line/col/key/item)."""
    if isinstance(node, dict):
        return (
            "map",
            node.lc.line,
            node.lc.col,
            [
                (k, type(k).__name__, node.lc.key(k), node.lc.value(k), _shape(v))
                for k, v in node.items()
            ],
        )
    if isinstance(node, list):
        return (
            "seq",
            node.lc.line,
            node.lc.col,
            [(node.lc.item(i), _shape(v)) for i, v in enumerate(node)],
        )
    # ruamel keeps a lone 0 as ScalarInt (an int subclass, for its width); the loader reads ints
    return ("int" if type(node).__name__ == "ScalarInt" else type(node).__name__, node)


def _same_as_ruamel(text: str) -> bool:
    """True when the fast reader read it (and then identically to ruamel)."""
    fast = parse_block_yaml(text)
    if fast is None:
        return False
    assert _shape(fast) == _shape(YAML(typ="rt").load(text)), text
    return True


def _matrix_config(rows: int) -> str:
    lines = [
        "github:",
        "  api_url: http://127.0.0.1:8080/api  # a port and a comment",
        "  token_env: GITHUB_TOKEN",
        "  seconds_between_writes: 0",
        "target:",
        "  repository: 'acme/target'  # quoted",
        "  # it''s a comment",
        '  base: "main"',
        "matrix:",
    ]
    for i in range(rows):
        lines += [
            f"  - repository: up{i}/lib.cpp",
            f"    variable: LIB{i}_VERSION",
            "    branch: master",
            f"    file: backend/lib{i}/Makefile",
        ]
    lines += ["    hold: upstream broke the CUDA build, see PR 123", "pr:", "  max_open: 5"]
    return "\n".join(lines) + "\n"


def test_a_matrix_config_is_read_fast_and_as_ruamel_reads_it():
    text = _matrix_config(50)
    assert _same_as_ruamel(text)
    assert (
        parse_config(text, "bumper.yaml").matrix[49].hold
        == "upstream broke the CUDA build, see PR 123"
    )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_yaml_files_read_as_ruamel_reads_them(path):
    _same_as_ruamel(path.read_text())  # read fast or left to ruamel, never read differently


@pytest.mark.parametrize(
    "text",
    [
        "a: [1, 2]\n",  # flow
        "a: &x b\nc: *x\n",  # anchors
        "a: |\n  text\n",  # block scalar
        "a: one\n  two\n",  # multi-line plain
        "a: 1\na: 2\n",  # duplicate: ruamel words the error
        "a:\n\tb: 1\n",  # tab
        "a: 1.5\n",  # float
        "a: 2001-12-14\n",  # a date
        "a: yes\n",
        "a: 0o17\n",
        'a: "x\\ty"\n',  # an escape
        "a: !!str 1\n",
        "a:\n",  # a null left empty
        "- a\n",  # not a mapping at the top
        "a: b: c\n",
        "--- \na: 1\n",
        "a: x\r\nb: y\r\n",
        "a: x\u2028b: y\n",
    ],
)
def test_yaml_beyond_plain_blocks_is_left_to_ruamel(text):
    assert parse_block_yaml(text) is None


@pytest.mark.parametrize("text", ["a: 1\n? b: 1\n: c\n", "a: 1\n? - b\n: c\n"])
def test_a_mapping_or_list_as_a_key_is_left_to_ruamel(text):
    assert parse_block_yaml(text) is None
    assert parse_yaml(text, Report("bumper.yaml", Problems())) == (True, YAML().load(text))


def test_hostile_nesting_is_left_to_ruamel():
    text = "".join(" " * i + f"k{i}:\n" for i in range(5000)) + " " * 5000 + "x: 1\n"
    assert parse_block_yaml(text) is None


def test_errors_still_come_from_ruamel_with_their_line():
    with pytest.raises(Exception) as exc:
        parse_config("target:\n  base: main\n  base: dev\n", "bumper.yaml")
    assert "bumper.yaml:3" in str(exc.value) and "duplicate key `base`" in str(exc.value)


_WORDS = st.sampled_from(
    [
        "main",
        "acme/x",
        "http://h:80/p",
        "~",
        "null",
        "true",
        "False",
        "0",
        "-12",
        "007",
        "1.5",
        "yes",
        "On",
        "a b",
        "x:y",
        "'q'",
        "'it''s'",
        '"dq"',
        "a #c",
        ".github/w.yaml",
        ".5",
        "$(X)",
        "[]",
        "{}",
        "&a",
        "*a",
        "-",
        "- x",
        "é",
        "v: w",
    ]
)
_KEYS = st.sampled_from(["a", "b", "repo", "true", "null", "on", "x.y", "k-1", "_"])


def _block(depth: int) -> st.SearchStrategy[list[str]]:
    scalar_line = st.tuples(_KEYS, _WORDS).map(lambda kv: [f"{kv[0]}: {kv[1]}"])
    if depth == 0:
        return st.lists(scalar_line, min_size=1, max_size=3).map(
            lambda ls: [line for part in ls for line in part]
        )
    inner = _block(depth - 1)
    nested = st.tuples(_KEYS, inner, st.sampled_from([2, 4])).map(
        lambda t: [f"{t[0]}:"] + [" " * t[2] + line for line in t[1]]
    )
    items = st.tuples(_KEYS, st.lists(inner, min_size=1, max_size=3), st.sampled_from([0, 2])).map(
        lambda t: (
            [f"{t[0]}:"]
            + [
                " " * t[2] + ("- " if j == 0 else "  ") + line
                for item in t[1]
                for j, line in enumerate(item)
            ]
        )
    )
    comment = st.just(["# a comment", ""])
    return st.lists(st.one_of(scalar_line, nested, items, comment), min_size=1, max_size=4).map(
        lambda ls: [line for part in ls for line in part]
    )


@settings(max_examples=300, deadline=None)
@given(_block(2))
def test_generated_block_yaml_reads_as_ruamel_reads_it(lines):
    text = "\n".join(lines) + "\n"
    try:
        YAML(typ="rt").load(text)
    except Exception:
        assert parse_block_yaml(text) is None  # what ruamel refuses is left to it
        return
    _same_as_ruamel(text)


# PyYAML resolves plain words by YAML 1.1, ruamel by 1.2: each of these reads differently
# (1.1 value first), so the fast reader must hand it to ruamel rather than trust libyaml.
_YAML_11_VS_12 = {
    "yes": (True, "yes"),
    "No": (False, "No"),
    "on": (True, "on"),
    "OFF": (False, "OFF"),
    "0o17": ("0o17", 15),
    "017": (15, 17),
    "1:20": (80, "1:20"),
    "1e3": ("1e3", 1000.0),
}


@pytest.mark.parametrize("word", sorted(_YAML_11_VS_12))
def test_words_yaml_11_and_12_read_differently_are_read_as_ruamel_reads_them(word):
    import yaml

    yaml_11, yaml_12 = _YAML_11_VS_12[word]
    assert yaml.safe_load(f"a: {word}\n")["a"] == yaml_11  # the difference is real
    assert parse_block_yaml(f"a: {word}\nb: 1\n") is None
    assert parse_block_yaml(f"{word}: x\nb: 1\n") is None  # as a key too
    report = Report("bumper.yaml", Problems())
    ok, node = parse_yaml(f"a: {word}\nb: 1\n", report)
    assert ok and node["a"] == yaml_12 and isinstance(node["a"], type(yaml_12))


def test_without_libyaml_everything_is_read_by_ruamel(monkeypatch):
    import bumper.config.block_yaml as block_yaml

    text = _matrix_config(3)
    monkeypatch.setattr(block_yaml, "_LOADER", None)
    assert parse_block_yaml(text) is None
    assert parse_config(text, "bumper.yaml").matrix[2].variable == "LIB2_VERSION"


def test_a_comment_between_a_dash_and_its_mapping_is_read_fast():
    # beyond what the hand-written reader took; libyaml positions it as ruamel does
    assert _same_as_ruamel("a:\n- # a comment\n\n  b:\n    c: ~\n  d: main\n")
