"""bumper's benchmark: requests, bytes, wall time and peak memory for growing sizes.

    python bench/run.py                      # N = 10 30 100 300 1000, 50 ms added latency
    python bench/run.py --sizes 10 100 --latency-ms 20
    python bench/run.py --sizes 100 300 --gates 'require_checks: true' --skip-extras

For each N it builds a sandbox with N upstream repositories and a target with N pins, then
measures three passes of `bumper run-once` (a subprocess, so its peak RSS is its own):
the first (N new PRs), one where nothing changed, and one where 10% of upstreams moved.
In the same run a baseline does what the usual shell job does per entry (one API call for
the head sha, sequentially, then the PR operations), against its own identical sandbox.
Also: `bumper audit` on a generated 5,000-file tree, and the idle RSS of `bumper serve`.
Writes bench/out/results.{json,md} and bench/out/chart.png, and prints the table.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bumper.sandbox.app import Sandbox
from bumper.sandbox.seed import advance_upstream

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TARGET = "bench/target"
TOKEN_ENV = "BENCH_TOKEN"
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass
class Figures:
    tool: str
    n: int
    phase: str
    rest_reads: int
    rest_writes: int
    graphql: int
    git: int
    api_requests: int  # REST + GraphQL: what GitHub's rate limits count
    bytes: int
    wall_s: float
    peak_rss_mb: float | None


def _classify(log: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"rest_reads": 0, "rest_writes": 0, "graphql": 0, "git": 0, "bytes": 0}
    for r in log:
        counts["bytes"] += int(r["bytes"])
        if r["path"].startswith("/api/graphql"):
            counts["graphql"] += 1
        elif r["path"].startswith("/api/"):
            key = "rest_writes" if r["method"] in WRITE_METHODS else "rest_reads"
            counts[key] += 1
        else:
            counts["git"] += 1
    return counts


def _figures(
    tool: str, n: int, phase: str, log: list[dict[str, Any]], wall: float, rss: float | None
) -> Figures:
    c = _classify(log)
    return Figures(
        tool,
        n,
        phase,
        c["rest_reads"],
        c["rest_writes"],
        c["graphql"],
        c["git"],
        c["rest_reads"] + c["rest_writes"] + c["graphql"],
        c["bytes"],
        round(wall, 3),
        rss,
    )


def _upstream_name(i: int) -> str:
    return f"up{i // 100}/lib{i:04d}"


def build_world(sb: Sandbox, n: int) -> list[dict[str, str]]:
    """N upstream repositories, and a target pinning each one in its own Makefile."""
    entries = []
    files: dict[str, str | bytes | None] = {}
    for i in range(n):
        full = _upstream_name(i)
        owner, name = full.split("/")
        sb.store.create_repo(owner, name, default_branch="master")
        pinned = sb.store.commit_files(full, "master", {"README.md": f"# {name}\n"}, "init")
        variable = f"LIB{i:04d}_VERSION"
        file = f"backend/lib{i:04d}/Makefile"
        files[file] = (
            f"{variable}?={pinned}\nLIB{i:04d}_REPO?=https://github.com/{full}\n\n"
            f"build:\n\tgit checkout $({variable})\n"
        )
        advance_upstream(sb.store, full, "master", 1)
        entries.append({"repository": full, "variable": variable, "branch": "master", "file": file})
    sb.store.create_repo("bench", "target", default_branch="main")
    sb.store.commit_files(TARGET, "main", files, "pins")
    return entries


def write_config(
    path: Path, sb: Sandbox, entries: list[dict[str, str]], gates: list[str] | None = None
) -> None:
    lines = [
        "github:",
        f"  api_url: {sb.api_url}",
        f"  git_url: {sb.git_url}",
        f"  token_env: {TOKEN_ENV}",
        # GitHub asks for a pause between content-creating requests (bumper's default is 1 s);
        # the bench measures bumper's own cost, so it sets none, like the baseline.
        "  seconds_between_requests: 0",
        "  seconds_between_writes: 0",
        "target:",
        f"  repository: {TARGET}",
        "  base: main",
        "pr:",
        f"  max_open: {len(entries) + 10}",
        f"  max_new_per_run: {len(entries) + 10}",
        "lookup:",
        "  allow_http: true",
        *(["gates:", *(f"  {g}" for g in gates)] if gates else []),
        "matrix:",
    ]
    for e in entries:
        lines += [
            f"  - repository: {e['repository']}",
            f"    variable: {e['variable']}",
            f"    branch: {e['branch']}",
            f"    file: {e['file']}",
        ]
    path.write_text("\n".join(lines) + "\n")


@dataclass
class Child:
    """One bumper process, measured from outside (wall) and from inside (measure.py)."""

    wall_s: float
    rss_mb: float
    cpu_s: float  # bumper's own user + sys
    first_request_s: float | None  # from spawning the process to its first connect()
    stdout: str


def installed_like(env: dict[str, str]) -> dict[str, str]:
    """The environment without PYTHONDONTWRITEBYTECODE: an installed bumper loads its modules
    from .pyc files (pip compiles them); with the variable set, every run would recompile them
    all and the start-up figures would measure the compiler."""
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_child(args: list[str], env: dict[str, str]) -> Child:
    with tempfile.NamedTemporaryFile(suffix=".json") as figures_file:
        start_epoch, start = time.time(), time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(HERE / "measure.py"), *args],
            env={**installed_like(env), "BENCH_RSS_FILE": figures_file.name},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.monotonic() - start
        if proc.returncode not in (0, 1):
            raise SystemExit(
                f"bumper {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
            )
        figures = json.loads(Path(figures_file.name).read_text() or "{}")
    connect = figures.get("first_connect")
    return Child(
        wall,
        round(figures.get("rss_kb", 0) / 1024, 1),
        round(figures.get("cpu_s", 0.0), 3),
        None if connect is None else round(connect - start_epoch, 3),
        proc.stdout,
    )


def run_bumper(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run bumper as a child process; (wall seconds, its peak RSS in MB, stdout)."""
    child = run_child(args, env)
    return child.wall_s, child.rss_mb, child.stdout


class Baseline:
    """The per-entry shell job: curl the head sha, then create/look up the PR, one by one."""

    def __init__(self, sb: Sandbox, entries: list[dict[str, str]]) -> None:
        self.sb = sb
        self.entries = entries
        self.client = httpx.Client(
            base_url=sb.api_url, headers={"Authorization": f"token {sb.token}"}, timeout=60
        )
        self.pinned: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    def run_pass(self) -> None:
        base = self.client.get(f"/repos/{TARGET}/git/ref/heads/main").json()["object"]["sha"]
        for e in self.entries:
            head = self.client.get(
                f"/repos/{e['repository']}/commits/{e['branch']}",
                headers={"Accept": "application/vnd.github.sha"},
            ).text.strip()
            if not re.fullmatch(r"[0-9a-f]{40}", head) or self.pinned.get(e["variable"]) == head:
                continue
            branch = f"update/{e['variable']}"
            prs = self.client.get(
                f"/repos/{TARGET}/pulls", params={"head": f"bench:{branch}", "state": "open"}
            ).json()
            content = f"{e['variable']}?={head}\n"
            if not prs:
                self.client.post(
                    f"/repos/{TARGET}/git/refs", json={"ref": f"refs/heads/{branch}", "sha": base}
                )
            current = self.client.get(
                f"/repos/{TARGET}/contents/{e['file']}", params={"ref": branch}
            ).json()
            self.client.put(
                f"/repos/{TARGET}/contents/{e['file']}",
                json={
                    "message": "bump",
                    "branch": branch,
                    "sha": current["sha"],
                    "content": base64.b64encode(content.encode()).decode(),
                },
            )
            if not prs:
                self.client.post(
                    f"/repos/{TARGET}/pulls",
                    json={"title": f"bump {e['variable']}", "head": branch, "base": "main"},
                )
            self.pinned[e["variable"]] = head


def add_latency(sb: Sandbox, ms: int) -> None:
    if ms:
        sb.add_fault(path=".*", status=None, delay_ms=ms, times=10**9)


def bench_size(n: int, latency_ms: int, tmp: Path, gates: list[str] | None = None) -> list[Figures]:
    rows: list[Figures] = []
    with Sandbox() as sb, Sandbox() as base_sb:
        entries = build_world(sb, n)
        build_world(base_sb, n)
        config = tmp / f"bumper-{n}.yaml"
        write_config(config, sb, entries, gates)
        env = {**os.environ, TOKEN_ENV: sb.token}
        add_latency(sb, latency_ms)
        add_latency(base_sb, latency_ms)
        baseline = Baseline(base_sb, entries)
        moved = entries[::10] if n >= 10 else entries[:1]
        for phase in ("first", "nothing-changed", "10%-moved"):
            if phase == "10%-moved":
                for e in moved:
                    advance_upstream(sb.store, e["repository"], e["branch"], 1)
                    advance_upstream(base_sb.store, e["repository"], e["branch"], 1)
            sb.clear_requests()
            wall, rss, _ = run_bumper(["run-once", "--config", str(config), "--json"], env)
            rows.append(_figures("bumper", n, phase, sb.requests(), wall, rss))
            base_sb.clear_requests()
            start = time.monotonic()
            baseline.run_pass()
            rows.append(
                _figures("baseline", n, phase, base_sb.requests(), time.monotonic() - start, None)
            )
            print(_row_md(rows[-2]), "\n" + _row_md(rows[-1]), flush=True)
        baseline.close()
    return rows


def bench_audit(tmp: Path, files: int = 5000) -> dict[str, Any]:
    tree = tmp / "audit-tree"
    for i in range(files):
        d = tree / f"pkg{i // 50:03d}"
        d.mkdir(parents=True, exist_ok=True)
        if i % 50 == 0:
            (d / "Makefile").write_text(f"P{i}_VERSION?={i:040x}\n")
        elif i % 50 == 1:
            (d / "prepare.sh").write_text(f'P{i}_VERSION="${{P{i}_VERSION:-{i:040x}}}"\n')
        else:
            (d / f"file{i}.c").write_text(f"int f{i}(void) {{ return {i}; }}\n" * 20)
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "add", "-A"], check=True)
    config = tmp / "audit.yaml"
    config.write_text("matrix: []\n")
    wall, rss, out = run_bumper(
        [
            "audit",
            "--config",
            str(config),
            "--checkout",
            str(tree),
            "--format",
            "json",
            "--no-lookup",
        ],
        dict(os.environ),
    )
    findings = len(json.loads(out)["findings"]) if out.strip() else 0
    return {"files": files, "wall_s": round(wall, 3), "peak_rss_mb": rss, "findings": findings}


def bench_serve_idle(tmp: Path) -> dict[str, Any]:
    config = tmp / "serve.yaml"
    config.write_text("matrix: []\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bumper",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--state",
            str(tmp / "state.db"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(1)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return {"idle_rss_mb": round(rss_kb / 1024, 1)}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


HEADER = (
    "| tool | N | pass | API requests | REST reads | REST writes | GraphQL | git | bytes "
    "| wall s | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def _row_md(f: Figures) -> str:
    rss = "" if f.peak_rss_mb is None else f"{f.peak_rss_mb}"
    return (
        f"| {f.tool} | {f.n} | {f.phase} | {f.api_requests} | {f.rest_reads} | "
        f"{f.rest_writes} | {f.graphql} | {f.git} | {f.bytes} | {f.wall_s} | {rss} |"
    )


def lower_bounds(n: int, latency_ms: int) -> dict[str, dict[str, float]]:
    """What no tool can beat, per phase: GraphQL reads of 100 pins each, and on the first pass
    one write request per PR (a PR's writes batched into one GraphQL document); every request
    a serial round trip of the added latency."""
    reads = math.ceil(n / 100)
    out = {}
    for phase, requests in (("first", reads + n), ("nothing-changed", reads)):
        out[phase] = {"api_requests": requests, "wall_s": requests * latency_ms / 1000}
    return out


def chart(rows: list[Figures], path: Path, latency_ms: int) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (pip install -e '.[bench]'): no chart", file=sys.stderr)
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, field, label in (
        (axes[0], "wall_s", "wall time (s)"),
        (axes[1], "api_requests", "API requests"),
    ):
        for tool, style in (("bumper", "-o"), ("baseline", "--s")):
            for phase in ("first", "nothing-changed"):
                pts = [
                    (r.n, getattr(r, field)) for r in rows if r.tool == tool and r.phase == phase
                ]
                if pts:
                    xs, ys = zip(*pts, strict=True)
                    ax.plot(xs, [max(y, 0.5) for y in ys], style, label=f"{tool}, {phase}")
        sizes = sorted({r.n for r in rows})
        for phase, color in (("first", "gray"), ("nothing-changed", "black")):
            bound = [lower_bounds(n, latency_ms)[phase][field] for n in sizes]
            ax.plot(
                sizes, [max(y, 0.5) for y in bound], ":", color=color, label=f"lower bound, {phase}"
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("entries (N)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("bumper vs a per-entry shell job (added latency per request)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 100, 300, 1000])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--skip-extras", action="store_true", help="no audit or serve figures")
    parser.add_argument(
        "--gates",
        nargs="+",
        metavar="KEY: VALUE",
        help="gate every pin, e.g. --gates 'min_age: 36h' 'require_checks: true': each look-up "
        "then reads a page of its branch's history with the head (the baseline is ungated)",
    )
    opts = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows: list[Figures] = []
    extras: dict[str, Any] = {}
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="bumper-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for n in opts.sizes:
            rows += bench_size(n, opts.latency_ms, tmp, opts.gates)
        if not opts.skip_extras:
            extras["audit"] = bench_audit(tmp)
            extras["serve"] = bench_serve_idle(tmp)
    table = HEADER + "\n" + "\n".join(_row_md(r) for r in rows) + "\n"
    if extras:
        table += (
            f"\naudit of {extras['audit']['files']} files: {extras['audit']['wall_s']} s "
            f"({extras['audit']['findings']} findings); "
            f"idle RSS of bumper serve: {extras['serve']['idle_rss_mb']} MB\n"
        )
    (OUT / "results.md").write_text(f"latency per request: {opts.latency_ms} ms\n\n{table}")
    (OUT / "results.json").write_text(
        json.dumps(
            {"latency_ms": opts.latency_ms, "rows": [asdict(r) for r in rows], **extras}, indent=1
        )
    )
    chart(rows, OUT / "chart.png", opts.latency_ms)
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
