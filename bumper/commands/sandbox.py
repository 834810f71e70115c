"""`bumper sandbox`: serve the GitHub-compatible sandbox until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from bumper.errors import BumperError


def main(args: argparse.Namespace) -> int:
    from bumper.sandbox.app import Sandbox

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Handlers first: a signal during seeding must still remove the temp data dir.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    sandbox = Sandbox(
        token=args.token, data_dir=args.data, host=args.host, port=args.port, seed=args.seed
    )
    try:
        try:
            sandbox.start()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise BumperError(
                f"sandbox cannot listen on {args.host}:{args.port}: {reason}"
            ) from None
        # Scripts wait for this exact first line, so it goes out alone and at once.
        print(f"bumper sandbox listening on {sandbox.url}", flush=True)
        print(
            f"  REST {sandbox.api_url}  GraphQL {sandbox.graphql_url}"
            f"  git {sandbox.git_url}/OWNER/NAME.git\n"
            f"  admin {sandbox.url}/_sandbox/  data {sandbox.data_dir}"
            + ("" if args.data else " (removed on exit)"),
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.1):
            pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
