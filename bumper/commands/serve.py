"""`bumper serve`: the long-running container (see bumper/serve/daemon.py)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from bumper.logs import setup_logging

log = logging.getLogger("bumper.serve")


def default_state_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "bumper" / "state.sqlite"


def main(args: argparse.Namespace) -> int:
    setup_logging(args.log_format)
    from bumper.config import load_config
    from bumper.serve.daemon import Daemon
    from bumper.serve.state import State

    config = load_config(args.config, None)
    state_path = args.state if args.state is not None else default_state_path()
    state = State.open(state_path)
    try:
        daemon = Daemon(args.config, config, state, host=args.host, port=args.port)
    except OSError as exc:
        state.close()
        log.error("cannot listen on %s:%s: %s", args.host, args.port, exc.strerror or exc)
        return 1
    host, port = daemon.address
    shown = f"[{host}]" if ":" in host else host

    def announce() -> None:
        # The first stdout line, for scripts and tests that start us with --port 0.
        print(f"bumper serve listening on http://{shown}:{port}", flush=True)

    log.info(
        "serving %s with %d entries on http://%s:%d; state in %s",
        args.config,
        len(config.matrix),
        shown,
        port,
        state.path or "memory",
    )
    finished = daemon.serve_forever(run_now=args.run_now, announce=announce)
    if not finished:
        # The pass thread is stuck in I/O; every write it made is already whole (state
        # commits per entry, GitHub per request), so leave without waiting for it.
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)
    return 0
