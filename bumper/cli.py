"""Argument parsing only: one function per verb, and the sole owner of exit codes.

Exit codes: 0 all good, 1 some entry failed (or audit --strict found problems),
2 bad config or arguments, 3 a bug (with a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

# httpx imports its command-line client (click, rich, pygments: ~45 ms) when they happen to be
# installed; bumper never runs it, so mark it unavailable and httpx keeps its stub instead.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def _import_httpcore_sync_only() -> None:
    """Import httpcore without its async back-ends (anyio, trio: ~80 ms when installed).

    bumper only makes blocking requests. httpcore imports both libraries when it finds them,
    to pick a lock for async code, so hide them for that one import and then unhide them: a
    later ``import anyio`` works as usual, and httpcore's sync classes never touch them.
    """
    if "httpcore" in sys.modules:
        return
    hidden = [name for name in ("anyio", "trio") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import httpcore  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name) is None:
                del sys.modules[name]


from bumper import __version__  # noqa: E402
from bumper.errors import BumperError, ConfigError  # noqa: E402
from bumper.logs import redacted_output  # noqa: E402

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


DESCRIPTION = """\
Keep the commit pins of third-party code current: look up each pin's upstream branch, rewrite
exactly that pin, and open one pull request per pin, updated in place, never duplicated."""

EPILOG = """\
exit codes:
  0  every entry succeeded (held and skipped entries included)
  1  some entry failed, or `audit --strict` found a problem
  2  bad config or arguments (every problem is listed as FILE:LINE: field: message)
  3  a bug in bumper (a traceback follows; please report it)

examples:
  bumper run-once --config config/bumper.yaml --dry-run
  bumper audit --config .github/bumper.yaml --checkout . --strict --no-lookup
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bumper",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"bumper {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary)

    config_help = "the bumper config file (YAML; see config/README.md)"
    run = verb("run-once", "one pass: look up every pin, bump what moved")
    run.add_argument("--config", type=Path, required=True, help=config_help)
    run.add_argument("--checkout", type=Path, help="rewrite pins in this working tree, open no PR")
    run.add_argument("--dry-run", action="store_true", help="print diffs, write nothing")
    run.add_argument("--only", nargs="+", metavar="VAR", help="limit the pass to these variables")
    run.add_argument("--json", action="store_true", help="print machine-readable results")
    run.add_argument("--summary", type=Path, help="write a markdown summary with compare links")

    sandbox = verb("sandbox", "serve a GitHub-compatible sandbox on loopback")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
    sandbox.add_argument("--data", type=Path, help="keep repositories here (default: a temp dir)")
    sandbox.add_argument("--seed", choices=["demo"], help="create demo repositories")
    sandbox.add_argument("--token", default="sandbox-token", help="the one token that may write")

    verb("demo", "try bumper end to end on a seeded sandbox; leaves nothing")

    serve = verb("serve", "run passes on a schedule, with health and metrics")
    serve.add_argument("--config", type=Path, required=True, help=config_help)
    serve.add_argument("--port", type=int, default=8080, help="HTTP port (0: any free)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on")
    serve.add_argument("--run-now", action="store_true", help="run a pass at start")
    serve.add_argument("--state", type=Path, help="SQLite state file (a cache)")
    serve.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=None,
        help="log lines as text (the default) or JSON",
    )

    audit = verb("audit", "report every pin in a checkout, tracked or not")
    audit.add_argument("--config", type=Path, required=True, help=config_help)
    audit.add_argument(
        "--checkout", type=Path, help="the working tree to read (default: the target via the API)"
    )
    audit.add_argument(
        "--format",
        choices=["table", "json", "markdown", "sarif"],
        default="table",
        help="output format (default: table)",
    )
    audit.add_argument("--strict", action="store_true", help="exit 1 on untracked/hidden/broken")
    audit.add_argument("--fix", action="store_true", help="add suggested entries to the matrix")
    audit.add_argument("--no-lookup", action="store_true", help="do not ask upstreams")
    audit.add_argument("--all", action="store_true", help="also list pins other tools manage")
    audit.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="findings already in FILE (an earlier --format json output) do not fail --strict",
    )

    verb("schema", "print the JSON Schema of the config file (draft 2020-12)")
    return parser


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """The `bumper` command (and `python -m bumper`): main(), then leave the process at once.

    A pass allocates about a million short-lived objects and few cycles, so collecting the
    young ones every 700 allocations (Python's default) is ~4% of its CPU; freeing every
    object and module at exit is another ~2% and changes nothing outside the process. mypy
    makes the same two choices. What was written is flushed first, and a failed flush of
    stdout (a closed pipe) exits 120 as Python's own exit does. Under a profiler or a
    coverage tracer the exit is Python's own, so they can write what they measured.
    """
    gc.set_threshold(200_000, 30, 30)
    code = main(argv)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120
    logging.shutdown()
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # a profiler or coverage writes its figures at exit: let it
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    if args.verb != "schema":
        _import_httpcore_sync_only()
    # Every verb's output, errors and tracebacks included, passes through the redaction.
    with redacted_output():
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        if args.verb == "run-once":
            from bumper.commands import run_once

            return run_once.main(args)
        if args.verb == "sandbox":
            from bumper.commands import sandbox

            return sandbox.main(args)
        if args.verb == "demo":
            from bumper.commands import demo

            return demo.main(args)
        if args.verb == "serve":
            from bumper.commands import serve

            return serve.main(args)
        if args.verb == "audit":
            from bumper.commands import audit

            return audit.main(args)
        if args.verb == "schema":
            from bumper.commands import schema

            return schema.main(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"bumper: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except BumperError as exc:
        print(f"bumper: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`bumper run-once --json | head`): not a bug, and not worth a
        # traceback; what is still buffered goes nowhere instead of failing again at exit
        with contextlib.suppress(OSError, ValueError, AttributeError):  # no file under it
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())  # type: ignore[union-attr]
        return EXIT_FAILED
    except Exception:
        traceback.print_exc()
        print("bumper: this is a bug; please report it with the traceback above", file=sys.stderr)
        return EXIT_BUG
    raise AssertionError(f"unhandled verb {args.verb}")


if __name__ == "__main__":
    run()
