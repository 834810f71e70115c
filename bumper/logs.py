"""Logging for long-running commands: human lines or JSON lines, and never a token.

Redaction happens in a filter on the handler, so it covers every logger, including
PyGithub's and APScheduler's, and tracebacks as well as messages.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast

REDACTED = "***"

# The token shapes GitHub documents; the config refuses them anywhere in its file too.
TOKEN_SHAPE = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
# Those, plus credentials in headers and URLs. Registered secret values are redacted
# whatever their shape.
_TOKEN_PATTERNS = (
    TOKEN_SHAPE,
    # Stops at a backslash too, so an escaped quote in JSON output stays whole.
    re.compile(r"(?i)\b((?:authorization|proxy-authorization)\s*[:=]\s*[\"']?)[^\"'\\\r\n,}]+"),
    # "token X" / "Bearer X" where X looks random (has a digit), not "token configured".
    re.compile(r"(?i)\b((?:token|bearer|basic)\s+)(?=[\w.=+/-]*\d)[\w.=+/-]{16,}"),
    re.compile(r"(?i)(://[^/\s:@]*:)[^/\s@]+(?=@)"),  # https://user:secret@host
    # A GitHub App's key, should its text (read from its file) ever be echoed whole.
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----"
        r"(?:.|\n)*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
    ),
)
# A word each pattern's every match holds, lower-cased. Case-insensitive patterns are slow on
# large texts (~15 ms each for a 1,000-pin pass's JSON output), and most texts hold none of
# these words. Lower-casing finds every case-insensitive match only in ASCII text (the long
# s, U+017F, is an `s` to the patterns and stays itself), so other text gets every pattern.
_NEEDS: tuple[tuple[str, ...], ...] = (
    ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ("authorization",),
    ("token", "bearer", "basic"),
    ("://",),
    ("private key",),
)
_MIN_SECRET = 4  # shorter values would redact ordinary words

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

# Fields of a LogRecord that are not `extra=` values.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def add_secret(value: str | None) -> None:
    """Redact this exact value from every log line from now on."""
    if value and len(value) >= _MIN_SECRET:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with registered secrets and token-shaped strings replaced by ***."""
    with _secrets_lock:
        # Longest first, so a secret containing another is removed whole.
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    folded = text.lower() if text.isascii() else None
    for pattern, needs in zip(_TOKEN_PATTERNS, _NEEDS, strict=True):
        if folded is not None and not any(word in folded for word in needs):
            continue
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


class RedactingStream:
    """A text stream that writes through ``redact``: stdout and stderr of every command.

    Commands print outside text (GitHub's error messages, upstream names, tracebacks), and a
    server may echo the credential it was sent; so nothing reaches the terminal unredacted.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextmanager
def redacted_output() -> Iterator[None]:
    """stdout and stderr through ``redact`` while the block runs."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, RedactingStream(out))
    sys.stderr = cast(TextIO, RedactingStream(err))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, extras and traceback with secrets redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra=`` fields a call attached to a record."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(extras(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-01-02 03:04:05 INFO  message  key=value``: for people at a terminal."""

    def __init__(self, color: bool = False) -> None:
        super().__init__()
        self.color = color

    _COLORS = {"WARNING": "\033[33m", "ERROR": "\033[31m", "CRITICAL": "\033[31;1m"}

    def format(self, record: logging.LogRecord) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        level = f"{record.levelname:<7}"
        if self.color and record.levelname in self._COLORS:
            level = f"{self._COLORS[record.levelname]}{level}\033[0m"
        line = f"{when} {level} {record.getMessage()}"
        fields = " ".join(f"{k}={_short(v)}" for k, v in extras(record).items())
        if fields:
            line += f"  {fields}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


def setup_logging(
    log_format: str | None = None,
    *,
    stream: TextIO | None = None,
    level: int = logging.INFO,
    secrets: Iterable[str | None] = (),
) -> logging.Handler:
    """Send every logger to ``stream`` (stderr) as text (the default) or JSON lines.

    Replaces handlers installed by an earlier call, so it can be called again.
    """
    stream = stream if stream is not None else sys.stderr
    for secret in secrets:
        add_secret(secret)
    handler = logging.StreamHandler(stream)
    handler.set_name("bumper")
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter(color=_isatty(stream)))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "bumper"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; /metrics counts them instead.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # Its warnings (a run skipped or missed) reach the daemon as events, logged there.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return handler


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _iso(created: float) -> str:
    millis = int(created * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{millis:03d}Z"


def _short(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if not text or any(c.isspace() for c in text) else text
