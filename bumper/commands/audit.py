"""`bumper audit`: report every commit pin in a checkout; --fix adds the suggested entries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bumper import report
from bumper.audit import fix_matrix, run_audit
from bumper.config import load_config
from bumper.errors import BumperError


def main(args: argparse.Namespace) -> int:
    checkout: Path | None = args.checkout
    config = load_config(args.config, checkout, allow_duplicates=True)
    if checkout is None:
        raise BumperError("--checkout DIR is required: auditing through the API is not built yet")
    else:
        if not checkout.is_dir():
            raise BumperError(f"--checkout {checkout}: not a directory")
        audit, extract, lookups = run_audit(
            config, checkout, lookup=not args.no_lookup, managed=args.all
        )
        if args.fix:
            result = fix_matrix(config, checkout, audit.findings)
            for entry in result.added:
                print(
                    f"bumper: --fix added {entry.variable} ({entry.file}) from "
                    f"{entry.repository} on {entry.branch} to {result.path}",
                    file=sys.stderr,
                )
            for finding, reason in result.skipped:
                print(
                    f"bumper: --fix left {finding.variable} ({finding.file}): {reason}",
                    file=sys.stderr,
                )
            if result.added:
                config = load_config(args.config, checkout, allow_duplicates=True)
                audit, _, _ = run_audit(
                    config,
                    checkout,
                    lookup=not args.no_lookup,
                    managed=args.all,
                    extract=extract,
                    lookups=lookups,
                )
    color = args.format == "table" and sys.stdout.isatty()
    sys.stdout.write(report.render(audit, args.format, color=color, width=_width()))
    sys.stdout.flush()
    return 1 if args.strict and audit.has_problems else 0


def _width() -> int | None:
    import shutil

    columns = shutil.get_terminal_size(fallback=(0, 0)).columns
    return max(columns, 100) if columns else None
