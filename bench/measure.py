"""Run the bumper CLI, then append this process's peak RSS (KiB) to $BENCH_RSS_FILE."""

import os
import resource
import sys

from bumper.cli import main

code = main(sys.argv[1:])
with open(os.environ["BENCH_RSS_FILE"], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(code)
