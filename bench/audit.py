"""`bumper audit --no-lookup` on a generated 3,600-file tree shaped like a large C/C++ project.

    python bench/audit.py                    # 3,600 files, 7 runs, the median reported
    python bench/audit.py --files 10000 --runs 5

The tree holds sources and headers (most of it), docs, tests with their own build files, a
few dozen build files (CMake, Makefiles and fragments, Dockerfiles, scripts, workflows,
requirements) with pins in them, vendored code and test data. For each run it prints wall
time, CPU time (user+sys of the child: the machine may be shared) and peak RSS, beside the
lower bounds: a bare interpreter start (`python -c pass`, `python -S -c pass`) and a bare
read (open+read, no regex) of exactly the files the audit chose to read.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SOURCE = (
    "/* Copyright the authors. Licensed under the MIT licence. */\n"
    '#include "common.h"\n#include <stdint.h>\n\n'
    + "".join(
        f"static int helper_{i}(const uint8_t *p, size_t n) {{\n"
        f"    int acc = {i};\n    for (size_t k = 0; k < n; ++k) acc += p[k] * {i + 3};\n"
        "    return acc;\n}\n\n"
        for i in range(60)
    )
)
HEADER = "#pragma once\n" + "".join(f"int api_{i}(int x, int y);\n" for i in range(80))
DOC = "# Notes\n\n" + "Building needs CMake 3.20 and a C++17 compiler. " * 120 + "\n"


def sha(i: int) -> str:
    return f"{i:08x}" * 5


def build_tree(root: Path, files: int) -> int:
    """Write the tree; returns the number of files written."""
    written: dict[str, str] = {}
    build = {
        "CMakeLists.txt": "cmake_minimum_required(VERSION 3.20)\nproject(big)\n"
        "include(FetchContent)\nFetchContent_Declare(json\n"
        f"  GIT_REPOSITORY https://github.com/nlohmann/json\n  GIT_TAG {sha(1)}\n)\n",
        "Makefile": f"LLAMA_VERSION?={sha(2)}\nLLAMA_REPO?=https://github.com/ggml-org/llama.cpp\n"
        "all:\n\tcmake -B build && cmake --build build\n",
        "Makefile-cuda": f"CUTLASS_VERSION?={sha(3)}\n",
        "mk/rules.mk": "CFLAGS += -O2\n",
        "Dockerfile": f"FROM ubuntu:24.04\nARG GRPC_COMMIT={sha(4)}\n"
        "RUN git clone https://github.com/grpc/grpc && cd grpc && git checkout ${GRPC_COMMIT}\n",
        "docker/Dockerfile.cuda": "FROM nvidia/cuda:12.4\nRUN make\n",
        "scripts/prepare.sh": f'#!/bin/sh\nX_VERSION="${{X_VERSION:-{sha(5)}}}"\n',
        "scripts/release": "#!/usr/bin/env bash\nset -e\nmake dist\n",
        "requirements.txt": f"numpy==2.1\ngit+https://github.com/o/py@{sha(6)}\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n"
        f"      - run: |\n          go install github.com/o/tool@{sha(7)}\n",
        "tests/CMakeLists.txt": "add_executable(t t.cpp)\n",
        "tests/docker/Dockerfile": "FROM alpine\n",
        "LICENSE": "MIT License\n" * 20,
        "README": "big project\n",
    }
    for i in range(24):
        build[f"src/mod{i:02d}/CMakeLists.txt"] = f"add_library(mod{i} mod{i}.c)\n"
    written.update(build)
    i = 0
    while len(written) < files:
        bucket = i % 20
        module = f"src/mod{i % 24:02d}/sub{(i // 24) % 6}"
        if bucket < 12:
            written[f"{module}/file{i}.c"] = SOURCE
        elif bucket < 17:
            written[f"{module}/file{i}.h"] = HEADER
        elif bucket == 17:
            written[f"docs/section{i % 9}/page{i}.md"] = DOC
        elif bucket == 18:
            written[f"tests/unit/test{i}.cpp"] = SOURCE
        else:
            written[f"third_party/lib{i % 7}/src{i}.c"] = SOURCE
        i += 1
    for path, text in written.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return len(written)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MiB, stdout) of one run, from the child's own rusage."""
    # The child's rusage has its children's in it (git, for the audit). Its peak RSS would be
    # this process's if forked from here (the high-water mark survives exec), so a small
    # /usr/bin/time forks it and reports it where there is one.
    timer = os.access("/usr/bin/time", os.X_OK)
    if timer:
        command = ["/usr/bin/time", "-f", "peak-kib %M", *command]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr = child.stderr.read().decode() if child.stderr else ""
        if child.stderr:
            child.stderr.close()
        out.seek(0)
        stdout = out.read().decode()
    if child.returncode not in (0, 1):
        raise SystemExit(f"{command[:4]} failed:\n{stderr}")
    peak = usage.ru_maxrss
    if timer and (reported := re.findall(r"^peak-kib (\d+)$", stderr, re.M)):
        peak = int(reported[-1])
    return wall, usage.ru_utime + usage.ru_stime, peak / 1024, stdout


def figures_of(runs: int, command: list[str], env: dict[str, str]) -> tuple[float, ...]:
    """(median wall, median CPU, min wall, min CPU, peak MiB): on a shared machine the minimum
    is the run least disturbed by others."""
    each = [timed(command, env)[:3] for _ in range(runs)]
    walls, cpus = [r[0] for r in each], [r[1] for r in each]
    peak = max(r[2] for r in each)
    return statistics.median(walls), statistics.median(cpus), min(walls), min(cpus), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3600, help="files in the generated tree")
    parser.add_argument("--runs", type=int, default=7, help="runs per figure; the median is shown")
    args = parser.parse_args()
    # As installed: pip writes bytecode at install time, so the audit's modules load from
    # .pyc (the warm-up run writes them under bumper/, git-ignored), not compiled per run.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        count = build_tree(tree, args.files)
        config = Path(tmp) / "bumper.yaml"
        config.write_text("matrix: []\n")
        audit = [sys.executable, "-m", "bumper", "audit", "--config", str(config)]
        audit += ["--checkout", str(tree), "--no-lookup", "--format", "json"]
        _, _, _, out = timed(audit, env)  # warm-up: bytecode, the OS's file cache
        summary = json.loads(out)["summary"]
        chosen = _chosen_files(tree)
        read_all = _bare_read(tree, chosen)
        rows = [
            ("python -S -c pass", figures_of(args.runs, [sys.executable, "-S", "-c", "pass"], env)),
            ("python -c pass", figures_of(args.runs, [sys.executable, "-c", "pass"], env)),
            (
                f"bare read of the {len(chosen)} files audit reads",
                figures_of(args.runs, read_all, env),
            ),
            ("bumper audit --no-lookup", figures_of(args.runs, audit, env)),
        ]
    print(
        f"tree: {count} files ({summary['files_listed']} listed, {summary['files_read']} read), "
        f"{summary['total']} findings; {args.runs} runs each"
    )
    head = ("median wall", "median CPU", "min wall", "min CPU", "peak MiB")
    print(f"{'seconds':48}" + "".join(f"{h:>12}" for h in head))
    for label, values in rows:
        print(f"{label:48}" + "".join(f"{v:12.3f}" for v in values[:4]) + f"{values[4]:12.1f}")
    return 0


def _chosen_files(tree: Path) -> list[str]:
    """The files the audit reads, as its own selection gives them (no scanning)."""
    sys.path.insert(0, str(ROOT))
    from bumper.audit.files import candidates, list_files

    paths, _ = list_files(tree)
    return [path for path, _ in candidates(paths)]


def _bare_read(tree: Path, chosen: list[str]) -> list[str]:
    listing = Path(tree.parent) / "chosen.txt"
    listing.write_text("\n".join(chosen))
    script = (
        "import sys\nroot = sys.argv[1]\n"
        "for p in open(sys.argv[2]).read().split('\\n'):\n"
        "    with open(root + '/' + p, 'rb') as f: f.read()\n"
    )
    return [sys.executable, "-S", "-c", script, str(tree), str(listing)]


if __name__ == "__main__":
    sys.exit(main())
