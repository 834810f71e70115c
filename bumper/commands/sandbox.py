"""`bumper sandbox`: serve the GitHub-compatible sandbox until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType


def main(args: argparse.Namespace) -> int:
    from bumper.sandbox.app import Sandbox

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with Sandbox(
            token=args.token, data_dir=args.data, host=args.host, port=args.port, seed=args.seed
        ) as sb:
            # Scripts wait for this exact first line, so it goes out alone and at once.
            print(f"bumper sandbox listening on {sb.url}", flush=True)
            print(
                f"  REST {sb.api_url}  GraphQL {sb.graphql_url}  git {sb.git_url}/OWNER/NAME.git\n"
                f"  admin {sb.url}/_sandbox/  data {sb.data_dir}"
                + ("" if args.data else " (removed on exit)"),
                file=sys.stderr,
                flush=True,
            )
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
