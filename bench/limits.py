"""bumper against the limits of what GitHub and git allow: each figure beside its lower bound.

    python bench/limits.py                       # 1,000 GitHub pins, 100 git pins, 10 PRs; 50 ms
    python bench/limits.py --github-pins 300 --latency-ms 20

Measured per scenario (bumper runs as a child process, the sandbox in this one):
- requests, against ceil(N/100) GraphQL reads (or one git request per repository);
- bumper's own CPU (user + sys of its process) and, separately, the sandbox's (this process's
  threads plus the git processes it starts), so a slow sandbox cannot hide in bumper's figure;
- wall time, against round trips x latency (serial look-ups: ceil(N/100) round trips; git at
  `lookup.concurrency` in flight: ceil(repositories / concurrency));
- when the first request left, counted from spawning the process;
- peak RSS; and the import time of the run-once path (python -X importtime);
- the audit's wall time on bench/audit.py's 3,600-file tree (its target: 0.3 s).
Each figure of the nothing-changed scenarios is the median of --runs passes (5): on a shared
machine CPU and wall drift by a quarter from run to run; requests and memory do not.
Writes bench/out/limits.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import (  # noqa: E402
    OUT,
    TARGET,
    TOKEN_ENV,
    _upstream_name,
    add_latency,
    build_world,
    installed_like,
    run_child,
    write_config,
)

from bumper.sandbox.app import Sandbox  # noqa: E402
from bumper.sandbox.seed import advance_upstream  # noqa: E402

GIT_CONCURRENCY = 16  # bumper's default lookup.concurrency


def _cpu_of_this_process_and_children() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _median_of(runs: int, sb: Sandbox, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Each figure's median over ``runs`` passes (a shared machine's CPU speed drifts by a
    quarter from one run to the next); requests must be the same every time."""
    got = [_measured(sb, args, env) for _ in range(runs)]
    counts = {(g["requests"], g["graphql"], g["rest"], g["git"]) for g in got}
    assert len(counts) == 1, f"passes over the same state sent different requests: {counts}"
    out = dict(got[-1])
    for key in ("wall_s", "bumper_cpu_s", "sandbox_cpu_s", "first_request_s", "peak_rss_mb"):
        values = [g[key] for g in got if g[key] is not None]
        out[key] = round(statistics.median(values), 3) if values else None
    out["runs"] = runs
    return out


def _measured(sb: Sandbox, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    sb.clear_requests()
    before = _cpu_of_this_process_and_children()
    child = run_child(args, env)
    total = _cpu_of_this_process_and_children() - before
    log = sb.requests()
    return {
        "requests": len(log),
        "graphql": sum(1 for r in log if r["path"].startswith("/api/graphql")),
        "graphql_queries": sum(1 for r in log if r.get("graphql") == "query"),
        "rest": sum(1 for r in log if r["path"].startswith("/api/") and "graphql" not in r["path"]),
        "git": sum(1 for r in log if not r["path"].startswith("/api/")),
        "wall_s": round(child.wall_s, 3),
        "bumper_cpu_s": child.cpu_s,
        "sandbox_cpu_s": round(max(0.0, total - child.cpu_s), 3),
        "first_request_s": child.first_request_s,
        "peak_rss_mb": child.rss_mb,
        "stdout": child.stdout,
    }


def _pinned_world(sb: Sandbox, n: int) -> list[dict[str, str]]:
    """N upstreams and a target whose pins are already their heads: nothing to change."""
    import run

    moved = run.advance_upstream
    run.advance_upstream = lambda *a, **k: None  # type: ignore[assignment]
    try:
        return build_world(sb, n)
    finally:
        run.advance_upstream = moved  # type: ignore[assignment]


def github_nothing_changed(n: int, latency_ms: int, tmp: Path, runs: int) -> dict[str, Any]:
    with Sandbox() as sb:
        entries = _pinned_world(sb, n)
        config = tmp / f"limits-github-{n}.yaml"
        write_config(config, sb, entries)
        add_latency(sb, latency_ms)
        env = {**os.environ, TOKEN_ENV: sb.token}
        _measured(sb, ["run-once", "--config", str(config), "--json"], env)  # warm the cache
        got = _median_of(runs, sb, ["run-once", "--config", str(config), "--json"], env)
    reads = math.ceil(n / 100)
    return {
        "scenario": f"nothing changed, {n} GitHub pins, token",
        **got,
        "bound_requests": reads,
        "bound_wall_s": round(reads * latency_ms / 1000, 3),
        "target_requests": reads,
        "target_bumper_cpu_s": 0.5,
        "target_wall_s": 2.5,
        "target_first_request_s": 0.12,
        "target_peak_rss_mb": 60,
    }


def git_nothing_changed(n: int, latency_ms: int, tmp: Path, runs: int) -> dict[str, Any]:
    with Sandbox() as sb:
        entries = _pinned_world(sb, n)
        config = tmp / f"limits-git-{n}.yaml"
        write_config(config, sb, entries)
        text = config.read_text().replace(f"  token_env: {TOKEN_ENV}\n", "")
        config.write_text(text)
        checkout = tmp / f"checkout-{n}"
        for path, blob in _target_files(sb).items():
            (checkout / path).parent.mkdir(parents=True, exist_ok=True)
            (checkout / path).write_bytes(blob)
        add_latency(sb, latency_ms)
        env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
        args = ["run-once", "--config", str(config), "--checkout", str(checkout), "--json"]
        got = _median_of(runs, sb, args, env)
    trips = math.ceil(n / GIT_CONCURRENCY)
    return {
        "scenario": f"nothing changed, {n} plain git pins, no token, --checkout",
        **got,
        "bound_requests": n,  # one ls-refs per repository
        "bound_wall_s": round(trips * latency_ms / 1000, 3),
        "target_wall_s": 0.9,
    }


def _target_files(sb: Sandbox) -> dict[str, bytes]:
    out = sb.store.git(TARGET, "ls-tree", "-r", "--name-only", "main").decode().split()
    return {p: sb.store.git(TARGET, "show", f"main:{p}") for p in out}


def writes_per_pr(n: int, latency_ms: int, tmp: Path) -> dict[str, Any]:
    """N PRs opened in one pass, then the same N updated after every upstream moved."""
    with Sandbox() as sb:
        entries = build_world(sb, n)
        config = tmp / f"limits-writes-{n}.yaml"
        write_config(config, sb, entries)
        add_latency(sb, latency_ms)
        env = {**os.environ, TOKEN_ENV: sb.token}
        args = ["run-once", "--config", str(config), "--json"]
        opened = _measured(sb, args, env)
        for i in range(n):
            advance_upstream(sb.store, _upstream_name(i), "master", 1)
        updated = _measured(sb, args, env)
    # A pass's reads are its GraphQL queries (the look-ups, then the moved pins' commit lists
    # for the PR bodies, 50 pins a query); every other request is spent on one PR.
    return {
        "scenario": f"writes: {n} PRs opened, then the same {n} updated",
        "open_requests_per_pr": round((opened["requests"] - opened["graphql_queries"]) / n, 2),
        "update_requests_per_pr": round((updated["requests"] - updated["graphql_queries"]) / n, 2),
        "open_reads_per_pass": opened["graphql_queries"],
        "update_reads_per_pass": updated["graphql_queries"],
        "bound_reads_per_pass": math.ceil(n / 100) + math.ceil(n / 50),
        "target_open": 4,
        "target_update": 3,
        "opened": {k: v for k, v in opened.items() if k != "stdout"},
        "updated": {k: v for k, v in updated.items() if k != "stdout"},
    }


def audit_figures(files: int, runs: int, tmp: Path) -> dict[str, Any]:
    """`bumper audit --no-lookup` of bench/audit.py's C/C++-shaped tree (its target: 0.3 s
    wall), beside a bare interpreter start."""
    import audit

    tree = tmp / "audit-tree"
    count = audit.build_tree(tree, files)
    config = tmp / "audit.yaml"
    config.write_text("matrix: []\n")
    env = installed_like(dict(os.environ))
    command = [sys.executable, "-m", "bumper", "audit", "--config", str(config)]
    command += ["--checkout", str(tree), "--no-lookup", "--format", "json"]
    audit.timed(command, env)  # warm-up: bytecode, the OS's file cache
    wall, cpu, _, _, peak = audit.figures_of(runs, command, env)
    bare, _, _, _, _ = audit.figures_of(runs, [sys.executable, "-c", "pass"], env)
    return {
        "scenario": f"bumper audit --no-lookup of a {count}-file C/C++ tree",
        "audit_wall_s": round(wall, 3),
        "audit_cpu_s": round(cpu, 3),
        "audit_peak_rss_mb": round(peak, 1),
        "bound_wall_s": round(bare, 3),
        "target_wall_s": 0.3,
        "runs": runs,
    }


def import_time_ms() -> float:
    """Import time (self-reported by python -X importtime) of the run-once path."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import bumper.cli, bumper.commands.run_once"],
        env=installed_like(dict(os.environ)),
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if match and not match[2]:  # a top-level import: its cumulative time
            total += int(match[1])
    return round(total / 1000, 1)


def _fmt(value: Any, bound: Any = None, target: Any = None) -> str:
    text = "-" if value is None else str(value)
    if bound is not None:
        text += f" (bound {bound})"
    if target is not None:
        text += f" [target <= {target}]"
    return text


def python_start_s(runs: int = 5) -> float:
    """The floor under "first request": spawning a bare ``python -c pass`` (best of a few)."""
    best = math.inf
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        best = min(best, time.monotonic() - start)
    return round(best, 3)


def report(
    rows: list[dict[str, Any]], imports_ms: float, latency_ms: int, python_start: float
) -> str:
    lines = [
        f"latency per request: {latency_ms} ms; nothing-changed figures are medians of "
        f"{next((r['runs'] for r in rows if 'runs' in r), 1)} passes (a shared machine drifts)",
        "",
        "| scenario | requests | bumper CPU s | sandbox CPU s | wall s | first request s "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "requests" not in r:
            continue
        requests = _fmt(r["requests"], r["bound_requests"], r.get("target_requests"))
        lines.append(
            f"| {r['scenario']} | {requests} "
            f"| {_fmt(r['bumper_cpu_s'], None, r.get('target_bumper_cpu_s'))} "
            f"| {r['sandbox_cpu_s']} "
            f"| {_fmt(r['wall_s'], r['bound_wall_s'], r.get('target_wall_s'))} "
            f"| {_fmt(r['first_request_s'], None, r.get('target_first_request_s'))} "
            f"| {_fmt(r['peak_rss_mb'], None, r.get('target_peak_rss_mb'))} |"
        )
    for r in rows:
        if "open_requests_per_pr" in r:
            lines += [
                "",
                f"{r['scenario']}: opening a PR {r['open_requests_per_pr']} requests "
                f"[target <= {r['target_open']}], updating one {r['update_requests_per_pr']} "
                f"[target <= {r['target_update']}] (bound: 1 write request per PR with "
                "batched GraphQL mutations); besides, reads per pass (look-ups and the PR "
                f"bodies' commit lists): {r['open_reads_per_pass']} opening, "
                f"{r['update_reads_per_pass']} updating (bound {r['bound_reads_per_pass']})",
            ]
    for r in rows:
        if "audit_wall_s" in r:
            lines += [
                "",
                f"{r['scenario']}: wall {r['audit_wall_s']} s [target <= {r['target_wall_s']}] "
                f"(bound: a bare `python -c pass`, {r['bound_wall_s']} s), CPU "
                f"{r['audit_cpu_s']} s, peak RSS {r['audit_peak_rss_mb']} MB; medians of "
                f"{r['runs']} runs",
            ]
    lines += [
        "",
        f"import time of the run-once path: {imports_ms} ms (python -X importtime); "
        f"a bare `python -c pass` takes {python_start} s to spawn and exit here "
        "(the floor under 'first request')",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--github-pins", type=int, default=1000)
    parser.add_argument("--git-pins", type=int, default=100)
    parser.add_argument("--prs", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5, help="passes per figure (medians)")
    parser.add_argument("--audit-files", type=int, default=3600, help="0: no audit figure")
    opts = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bumper-limits-") as tmp_name:
        tmp = Path(tmp_name)
        if opts.github_pins:
            rows.append(github_nothing_changed(opts.github_pins, opts.latency_ms, tmp, opts.runs))
        if opts.git_pins:
            rows.append(git_nothing_changed(opts.git_pins, opts.latency_ms, tmp, opts.runs))
        if opts.prs:
            rows.append(writes_per_pr(opts.prs, opts.latency_ms, tmp))
        if opts.audit_files:
            rows.append(audit_figures(opts.audit_files, max(opts.runs, 5), tmp))
    for r in rows:
        r.pop("stdout", None)
    python_start = python_start_s()
    text = report(rows, import_time_ms(), opts.latency_ms, python_start)
    (OUT / "limits.md").write_text(text)
    (OUT / "limits.json").write_text(
        json.dumps({"latency_ms": opts.latency_ms, "rows": rows}, indent=1)
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
