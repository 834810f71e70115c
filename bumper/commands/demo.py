"""`bumper demo`: the whole job on a seeded sandbox, three passes, nothing left behind.

Pass 1 opens a PR per moved pin; then an upstream moves and pass 2 updates the same PR
in place; pass 3 finds nothing to do and writes nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bumper.bump.run import PassReport, run_pass
from bumper.commands import count
from bumper.commands.run_once import result_line
from bumper.config import load_config
from bumper.config.settings import Config
from bumper.github.http import KINDS
from bumper.model import Status
from bumper.sandbox.app import Sandbox
from bumper.sandbox.seed import TARGET, TARGET_BRANCH, advance_upstream, demo_config_yaml

TOKEN_ENV = "BUMPER_SANDBOX_TOKEN"


def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="bumper-demo-") as tmp, Sandbox(seed="demo") as sb:
        config_path = Path(tmp) / "bumper.yaml"
        config_path.write_text(demo_config_yaml(sb.url, TOKEN_ENV), encoding="utf-8")
        environ = {TOKEN_ENV: sb.token}
        config = load_config(config_path, None, environ)
        print(f"sandbox at {sb.url}: target {TARGET}, {len(config.matrix)} pins in the matrix\n")

        print("== pass 1: every pin that moved gets a pull request")
        first = _pass(config, environ, sb)
        for result in first.results:
            if result.pr is not None and result.status is Status.BUMPED:
                _show_pr(sb, config, result.pr)

        moved = next(r for r in first.results if r.pr is not None)
        entry = moved.entry
        new_head = advance_upstream(sb.store, entry.repository, entry.branch, 2)
        print(f"\n== upstream {entry.repository} moved again, to {new_head[:12]}")
        print("== pass 2: the same pull request is updated in place")
        second = _pass(config, environ, sb)
        again = next(r for r in second.results if r.entry == entry)
        print(f"   PR #{again.pr} (was #{moved.pr}) now pins {again.new}")

        print("\n== pass 3: nothing moved, nothing written")
        sb.clear_requests()
        third = _pass(config, environ, sb)
        writes = [r for r in sb.requests() if r["method"] not in ("GET", "HEAD")]
        graphql = [r for r in writes if r["path"].endswith("/graphql")]
        print(
            f"   {count(len(sb.requests()), 'request')}, "
            f"{count(len(writes) - len(graphql), 'write')} "
            f"({count(len(graphql), 'GraphQL read')})"
        )
        failed = first.failed or second.failed or third.failed
    print("\nsandbox stopped, temporary data removed")
    return 1 if failed else 0


def _pass(config: Config, environ: dict[str, str], sb: Sandbox) -> PassReport:
    report = run_pass(config, environ=environ)
    for result in report.results:
        print("   " + result_line(result))
    total = sum(report.requests.get(kind, 0) for kind in KINDS)
    print(f"   ({report.duration:.2f}s, {count(total, 'request')})")
    return report


def _show_pr(sb: Sandbox, config: Config, number: int) -> None:
    from github import Auth, Github

    gh = Github(
        base_url=sb.api_url,
        auth=Auth.Token(sb.token),
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    try:
        pr = gh.get_repo(TARGET).get_pull(number)
        print(f"\n   PR #{pr.number}: {pr.title}")
        print(f"   branch {pr.head.ref} -> {pr.base.ref}")
        diff = sb.store.git(TARGET, "diff", f"refs/heads/{TARGET_BRANCH}", pr.head.sha)
        for line in diff.decode(errors="replace").splitlines():
            print(f"   | {line}")
    finally:
        gh.close()
