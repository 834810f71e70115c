"""YAML text to ruamel's round-trip nodes, and the 1-based lines people see of those nodes.

Parsing never raises: ruamel's complaint (or a refusal of hostile nesting) becomes a problem
at its line, worded for someone editing the file.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from bumper.config.block_yaml import parse_block_yaml
from bumper.config.problems import Report

if TYPE_CHECKING:
    from ruamel.yaml.error import MarkedYAMLError

MAX_FLOW_DEPTH = 100
_BRACKET_RE = re.compile(r"[\[\]{}]")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")  # YAML 1.2 line breaks, as ruamel counts them


def parse_yaml(text: str, report: Report) -> tuple[bool, Any]:
    """Round-trip load; on failure report ruamel's problem at its line and return (False, None)."""
    deep = _too_deep_at(text)
    if deep:
        report.add(deep, "", "invalid YAML: nested too deeply")
        return False, None
    plain = parse_block_yaml(text)  # most configs: ~20x faster than ruamel, same nodes
    if plain is not None:
        return True, plain
    # imported here: the block reader above reads most configs without ruamel at all
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = YAML(typ="rt")
    yaml.Constructor = _constructor()
    try:
        return True, yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        report.add(line, "", f"invalid YAML: {_describe_yaml_error(exc)}")
    except ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        )
        report.add(line, "", f"invalid YAML: control character U+{code:04X} is not allowed")
    except YAMLError as exc:
        report.add(1, "", f"invalid YAML: {str(exc).splitlines()[0]}")
    except RecursionError:
        report.add(1, "", "invalid YAML: nested too deeply")
    except TypeError:  # ruamel fails this way on a mapping used as a key (`? {a: 1}`)
        report.add(1, "", "invalid YAML: a key is itself a mapping or list; look for a stray `?`")
    except (AssertionError, AttributeError, IndexError, KeyError, ValueError) as exc:
        # ruamel trips on some malformed input with internal errors (seen: AssertionError in
        # its token classes); the input is still the user's to fix, not our bug.
        report.add(
            1,
            "",
            f"invalid YAML: the parser gave up ({type(exc).__name__}); "
            "look for a stray `?`, `>`, `:` or `-`",
        )
    return False, None


@functools.cache
def _constructor() -> Any:
    """ruamel's round-trip constructor, but an impossible date (``until: 2026-13-01``) stays
    its text, so the key's own checker reports it at its line instead of the whole file failing
    to parse. Built on first use: most configs never import ruamel (see parse_block_yaml)."""
    from ruamel.yaml.constructor import RoundTripConstructor

    class Constructor(RoundTripConstructor):
        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError:
                return str(node.value)

    Constructor.add_constructor("tag:yaml.org,2002:timestamp", Constructor.construct_yaml_timestamp)
    return Constructor


def _too_deep_at(text: str, limit: int = MAX_FLOW_DEPTH) -> int:
    """The line where `[`/`{` nesting passes `limit`, else 0.

    ruamel's scanner slows down quadratically with flow depth before it hits the recursion
    limit: a tiny hostile file would cost seconds. Counting brackets is rough (it also counts
    ones in strings) but real configs nest two or three levels, far below the limit.
    """
    depth = 0
    for match in _BRACKET_RE.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, match.start()) + 1
        elif depth:
            depth -= 1
    return 0


def _describe_yaml_error(exc: MarkedYAMLError) -> str:
    problem = exc.problem or "cannot parse"
    # ruamel's duplicate-key text quotes both values; a value may be a secret, so keep the key only.
    duplicate = re.match(r'found duplicate key "(.*?)" with value', problem)
    if duplicate:
        return f"duplicate key `{duplicate.group(1)}`; each key may appear once per mapping"
    text = problem
    if exc.context:
        opened = exc.context_mark
        same_line = opened is None or exc.problem_mark is None
        same_line = same_line or opened.line == exc.problem_mark.line
        text += f" ({exc.context})" if same_line else f" ({exc.context} on line {opened.line + 1})"
    if "'\\t'" in problem:
        text += "; YAML indents with spaces, not tabs"
    return text


def line_of(node: Any) -> int:
    """The 1-based line where a mapping or list starts (1 when unknown)."""
    try:
        return int(node.lc.line) + 1
    except AttributeError:
        return 1


def line_of_key(node: Any, key: Any) -> int:
    """The 1-based line of `key` in a mapping; the mapping's own line for merged (`<<`) keys."""
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return line_of(node)


def line_of_item(node: Any, index: int) -> int:
    try:
        return int(node.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return line_of(node)


def split_lines(text: str) -> list[str]:
    """The lines of `text` as ruamel numbers them (it breaks at \\r and \\r\\n too)."""
    return _LINE_BREAK_RE.split(text)
