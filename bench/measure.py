"""Run the bumper command in a child process, then write its figures to $BENCH_RSS_FILE as JSON.

Figures, of the child's whole life, exit included (the kernel's accounting, os.wait4): peak
RSS (KiB), CPU (user + sys, seconds; the sandbox's is not in it), and the wall-clock time of
its first connect() (seen by an audit hook, before any byte is sent). This process forks
before importing bumper, so the child's peak starts from a bare interpreter's.
"""

import json
import os
import sys
import time

first_connect_r, first_connect_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(first_connect_r)
    sent: list[bool] = []

    def _hook(event: str, args: object) -> None:
        if event == "socket.connect" and not sent:
            sent.append(True)
            os.write(first_connect_w, repr(time.time()).encode())
            os.close(first_connect_w)

    sys.addaudithook(_hook)
    from bumper.cli import run

    run(sys.argv[1:])

os.close(first_connect_w)
_, status, usage = os.wait4(pid, 0)
with os.fdopen(first_connect_r, "rb") as pipe:
    connect = pipe.read().decode()
with open(os.environ["BENCH_RSS_FILE"], "w") as f:
    json.dump(
        {
            "rss_kb": usage.ru_maxrss,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "first_connect": float(connect) if connect else None,
        },
        f,
    )
sys.exit(os.waitstatus_to_exitcode(status))
