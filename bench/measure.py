"""Run the bumper CLI, then write this process's figures to $BENCH_RSS_FILE as JSON.

Figures: peak RSS (KiB, VmHWM: getrusage's ru_maxrss survives exec and so reports the
spawning bench process's size whenever that was larger), its own CPU (user + sys, seconds;
the sandbox's is not in it) and the wall-clock time of its first connect() (seen by an
audit hook, before any byte is sent).
"""

import json
import os
import resource
import sys
import time

first_connect: list[float] = []


def _hook(event: str, args: object) -> None:
    if event == "socket.connect" and not first_connect:
        first_connect.append(time.time())


sys.addaudithook(_hook)

from bumper.cli import main  # noqa: E402


def _peak_rss_kb() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


code = main(sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_SELF)
with open(os.environ["BENCH_RSS_FILE"], "w") as f:
    json.dump(
        {
            "rss_kb": _peak_rss_kb(),
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "first_connect": first_connect[0] if first_connect else None,
        },
        f,
    )
sys.exit(code)
