"""Shell scripts (`*.sh`, or a shebang naming a shell): the pins of their commands."""

from __future__ import annotations

from bumper.audit.scanners.base import Hit, Lines
from bumper.audit.scanners.commands import scan_shell_text
from bumper.audit.scanners.facts import Facts, resolve


def scan(path: str, text: str) -> list[Hit]:
    facts = Facts(path)
    scan_shell_text(facts, text, 0, Lines(text))
    return resolve(facts, text)
