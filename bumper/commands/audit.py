"""`bumper audit`: report every commit pin in a checkout; --fix adds the suggested entries."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from bumper.audit import render as report
from bumper.audit.adopt import baseline_keys, mark_baselined
from bumper.audit.findings import Audit
from bumper.audit.run import run_audit
from bumper.config import load_config
from bumper.errors import BumperError


def main(args: argparse.Namespace) -> int:
    started = time.monotonic()
    checkout: Path | None = args.checkout
    if checkout is None:
        audit = _remote(args)
    else:
        if not checkout.is_dir():
            raise BumperError(f"--checkout {checkout}: not a directory")
        audit = _local(args, checkout)
    if args.baseline is not None:
        known = _baseline(args.baseline)
        audit = replace(audit, findings=tuple(mark_baselined(audit.findings, known)))
    audit = replace(audit, seconds=time.monotonic() - started)
    table = args.format == "table"
    color = table and sys.stdout.isatty()
    width = _width() if table else None
    sys.stdout.write(report.render(audit, args.format, color=color, width=width))
    sys.stdout.flush()
    return 1 if args.strict and audit.has_problems else 0


def _local(args: argparse.Namespace, checkout: Path) -> Audit:
    config = load_config(args.config, checkout, allow_duplicates=True)
    lookup = not args.no_lookup
    audit, extract, lookups = run_audit(config, checkout, lookup=lookup, managed=args.all)
    if not args.fix:
        return audit
    from bumper.audit.fix import fix_matrix

    result = fix_matrix(config, checkout, audit.findings)
    for entry in result.added:
        print(
            f"bumper: --fix added {entry.variable} ({entry.file}) from {entry.repository} "
            f"on {entry.branch} to {result.path}",
            file=sys.stderr,
        )
    for finding, reason in result.skipped:
        print(f"bumper: --fix left {finding.variable} ({finding.file}): {reason}", file=sys.stderr)
    if not result.added:
        return audit
    config = load_config(args.config, checkout, allow_duplicates=True)
    known = set(extract.makefiles) | set(extract.extra)
    # a new row's file not read as a row's file (a script, a Dockerfile): read again
    fresh = any(path not in known for entry in result.added for path in entry.paths)
    audit, _, _ = run_audit(
        config,
        checkout,
        lookup=lookup,
        managed=args.all,
        extract=None if fresh else extract,
        lookups=lookups,
    )
    return audit


def _remote(args: argparse.Namespace) -> Audit:
    """No checkout: read `target.repository` at `target.base` through the API, clone nothing."""
    if args.fix:
        raise BumperError("--fix needs --checkout DIR: it edits the matrix in a working tree")
    from bumper.audit.remote import fetch_extract
    from bumper.github.http import RequestCounter, new_client

    counter = RequestCounter()
    with new_client(timeout=30.0, counter=counter) as client:
        config = load_config(args.config, None, os.environ, allow_duplicates=True, client=client)
        extract = fetch_extract(config, client=client, managed=args.all, environ=os.environ)
    audit, _, _ = run_audit(
        config, None, lookup=not args.no_lookup, managed=args.all, extract=extract
    )
    requests = {**counter.as_dict()}
    for key, count in audit.requests.items():
        requests[key] = requests.get(key, 0) + count
    return replace(audit, requests=requests)


def _baseline(path: Path) -> set[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return baseline_keys(document)
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise BumperError(f"--baseline {path}: {exc}") from None


def _width() -> int | None:
    import shutil  # with its compression modules: for the table alone

    columns = shutil.get_terminal_size(fallback=(0, 0)).columns
    return max(columns, 100) if columns else None
