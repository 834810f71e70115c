"""How each setting in config/bumper.yaml is read: a converter per key, declared with the key.

settings.py declares every setting as ``name: type = setting(default, converter)``; the
section reader (sections.py) finds the converters there, so a key, its default and its rule are
written once. A converter takes the YAML value and returns the typed one, or raises Invalid
with the message reported at the key's line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import Field, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from bumper.config import schedule
from bumper.config.problems import expected, kind
from bumper.config.templates import check_template
from bumper.config.values import check_file, check_url
from bumper.logs import TOKEN_SHAPE

T = TypeVar("T")


class Invalid(Exception):
    """A converter's complaint about a value; reported at the key's line."""


@dataclass(frozen=True, slots=True)
class Context:
    """What a converter may need from outside its own value."""

    config_dir: Path  # relative paths in the config are relative to its file
    allow_http: bool = False  # `lookup.allow_http`, read before the other sections


Converter = Callable[[Any, Context], T]

_CONVERTER = "bumper.config.converter"
_ENV_NAME_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")


def setting(default: T, convert: Converter[T]) -> T:
    """A settings dataclass field: its default, and how its key is read from the file."""
    result: T = field(default=default, metadata={_CONVERTER: convert})
    return result


def converter_of(spec: Field[Any]) -> Converter[Any]:
    converter: Converter[Any] = spec.metadata[_CONVERTER]
    return converter


# --- building blocks -----------------------------------------------------------------------


def _complain(problem: str | None) -> None:
    if problem is not None:
        raise Invalid(problem)


def _string(value: Any, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise Invalid(expected(what, value))
    return str(value)


def optional(convert: Converter[T]) -> Converter[T | None]:
    def read(value: Any, context: Context) -> T | None:
        return None if value is None else convert(value, context)

    return read


def checked(check: Callable[[str], str | None]) -> Converter[str]:
    """A string that `check` finds no problem with."""

    def read(value: Any, context: Context) -> str:
        text = _string(value)
        _complain(check(text))
        return text

    return read


def int_range(low: int, high: int | None) -> Converter[int]:
    def read(value: Any, context: Context) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(expected("a whole number", value))
        number = int(value)
        if number < low:
            raise Invalid(f"{number} is less than {low}")
        if high is not None and number > high:
            raise Invalid(f"{number} is more than {high}")
        return number

    return read


def number_range(low: float, high: float) -> Converter[float]:
    def read(value: Any, context: Context) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(expected("a number", value))
        number = float(value)
        if not low <= number <= high:
            raise Invalid(f"{value} is outside {low:g} to {high:g}")
        return number

    return read


def boolean(value: Any, context: Context) -> bool:
    if isinstance(value, bool):
        return value
    hint = "; write true or false without quotes" if isinstance(value, str) else ""
    raise Invalid(expected("true or false", value) + hint)


def automerge(value: Any, context: Context) -> bool | str:
    """`automerge`: true, false, or "always" (also for PRs carrying people's commits)."""
    if isinstance(value, bool) or value == "always":
        return value
    raise Invalid(expected('true, false or "always"', value))


def title(value: Any, context: Context) -> str:
    """An issue title: one line of text."""
    text = _string(value).strip()
    if not text:
        raise Invalid("is empty")
    if "\n" in text or "\r" in text:
        raise Invalid("must be one line")
    if len(text) > 256:
        raise Invalid("is longer than GitHub's 256 characters")
    return text


def template(*, stable: bool = False) -> Converter[str]:
    """A PR template; `stable`: the same for every upstream commit (the branch)."""

    def read(value: Any, context: Context) -> str:
        text = _string(value)
        if not text.strip():
            raise Invalid("is empty")
        _complain(check_template(text, stable=stable))
        return text

    return read


# --- particular keys -----------------------------------------------------------------------


def url(value: Any, context: Context) -> str:
    text = _string(value)
    _complain(check_url(text, allow_http=context.allow_http))
    return text.rstrip("/")


def token_env(value: Any, context: Context) -> str:
    text = _string(value, "the name of an environment variable")
    # Never echo the value: it may be a token pasted in the wrong place.
    # GitHub's prefixed shapes are refused anywhere in the file (sections.find_tokens); a
    # 40-hex classic token is only told from a commit sha by where it is.
    if TOKEN_SHAPE.match(text) or re.fullmatch(r"[0-9a-f]{40}", text):
        raise Invalid(
            "this looks like a token; `token_env` names the environment variable that holds "
            "it (e.g. GITHUB_TOKEN). Revoke the token if this file was shared"
        )
    if not _ENV_NAME_RE.match(text):
        raise Invalid("is not an environment variable name (letters, digits and underscores)")
    return text


def pem_path(value: Any, context: Context) -> str | None:
    if value is None:
        return None
    text = _string(value, "a path to a PEM file")
    if "-----BEGIN" in text or "PRIVATE KEY" in text:
        raise Invalid(
            "expected the path of the PEM file, not the key itself; "
            "keep the key out of the config and revoke it if this file was shared"
        )
    if not text.strip():
        raise Invalid("is empty")
    # Relative to the config file, so the setting does not depend on the working directory.
    return text if Path(text).is_absolute() else str(context.config_dir / text)


def labels(value: Any, context: Context) -> tuple[str, ...]:
    if isinstance(value, str):
        raise Invalid(f'expected a list of labels, got a string; write ["{value}"]')
    if not isinstance(value, list):
        raise Invalid(expected("a list of labels", value))
    names = []
    for index, label in enumerate(value):
        if not isinstance(label, str) or not label.strip():
            got = "an empty string" if isinstance(label, str) else kind(label)
            raise Invalid(f"label [{index}]: expected a label name, got {got}")
        if len(label) > 50:
            raise Invalid(f"label [{index}] is longer than GitHub's limit of 50 characters")
        names.append(str(label))
    return tuple(names)


def choice(*options: str) -> Converter[Any]:
    """One of ``options``, spelt exactly (typed as the field's Literal)."""

    def read(value: Any, context: Context) -> Any:
        text = _string(value, " or ".join(options))
        if text not in options:
            raise Invalid(f"expected one of {', '.join(options)}, got {text!r}")
        return text

    return read


def identities(value: Any, context: Context) -> tuple[str, ...]:
    """Names, emails or logins of commit authors (pr.adopt_authors)."""
    if isinstance(value, str):
        raise Invalid(
            f'expected a list of names, emails or logins, got a string; write ["{value}"]'
        )
    if not isinstance(value, list):
        raise Invalid(expected("a list of names, emails or logins", value))
    found = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            got = "an empty string" if isinstance(item, str) else kind(item)
            raise Invalid(f"[{index}]: expected a name, an email or a login, got {got}")
        found.append(item.strip())
    return tuple(found)


def cron(value: Any, context: Context) -> str:
    text = _string(value, 'a cron string like "0 3 * * *"')
    _complain(schedule.check_cron(text))
    return " ".join(text.split())


def timezone(value: Any, context: Context) -> str:
    text = _string(value, 'a time zone name like "Europe/Paris"')
    _complain(schedule.check_timezone(text))
    return text


def workflow_path(value: Any, context: Context) -> str:
    text = _string(value, "a path to a workflow file")
    normalised, problem = check_file(text)
    _complain(problem)
    if PurePosixPath(normalised).suffix not in (".yml", ".yaml"):
        raise Invalid(f"`{normalised}` is not a .yml or .yaml workflow file")
    return normalised


def job_name(value: Any, context: Context) -> str:
    text = _string(value, "a job name")
    if not text.strip():
        raise Invalid("is empty")
    return text


# --- audit.ignore items --------------------------------------------------------------------


def ignore_path(value: Any, context: Context) -> str:
    text = _string(value, "a path glob like `ci/*.sh` or `**/Dockerfile`")
    if not text.strip():
        raise Invalid("is empty")
    if text.startswith("/"):
        raise Invalid("must be relative to the checkout (no leading `/`)")
    return text.removeprefix("./")


def ignore_sha(value: Any, context: Context) -> str:
    text = _string(value, "a commit sha")
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", text):
        raise Invalid("expected a commit sha: 7 to 64 hex digits (a prefix of the pinned sha)")
    return text.lower()


def reason(value: Any, context: Context) -> str:
    text = _string(value, "the reason, as text")
    if not text.strip():
        raise Invalid("is empty; say why the pin is kept as it is")
    return text
