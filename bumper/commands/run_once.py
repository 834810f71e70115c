"""`bumper run-once`: one pass, printed for people or as JSON."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from bumper.bump.prtext import neutral
from bumper.bump.run import PassReport, run_pass
from bumper.commands import count
from bumper.config import load_config
from bumper.config.settings import Config
from bumper.github.http import KINDS, request_counts
from bumper.model import Entry, Result, Status
from bumper.upstream import compare_url

SUMMARY_LIMIT = 300  # characters of one message in the table
_PIPE = re.compile(r"(\\*)\|")
_MARK = {
    Status.BUMPED: "bumped",
    Status.UP_TO_DATE: "up to date",
    Status.HELD: "held",
    Status.FAILED: "FAILED",
    Status.SKIPPED: "skipped",
}


def main(args: argparse.Namespace) -> int:
    config = load_config(args.config, args.checkout)
    report = _run(config, args)
    if args.json:
        sys.stdout.write(json_document(report_json(report)))
    else:
        for diff in report.diffs:
            sys.stdout.write(diff)
        for result in report.results:
            print(result_line(result))
        line = dashboard_line(report)
        if line:
            print(line)
        print(summary_line(report))
    offline = offline_line(report)
    if offline:
        print(offline, file=sys.stderr)
    if args.summary is not None:
        args.summary.write_text(summary_markdown(config, report), encoding="utf-8")
    return 1 if report.failed else 0


def _run(config: Config, args: argparse.Namespace) -> PassReport:
    interactive = sys.stderr.isatty() and not args.json
    if not interactive:
        return run_pass(config, checkout=args.checkout, dry_run=args.dry_run, only=args.only or ())
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("looking up upstream heads...") as status:

        def progress(result: Result) -> None:
            status.update(f"{result.entry.name}: {_MARK[result.status]}")

        return run_pass(
            config,
            checkout=args.checkout,
            dry_run=args.dry_run,
            only=args.only or (),
            on_result=progress,
        )


def result_line(result: Result) -> str:
    text = f"[{result.entry.name}] {_MARK[result.status]}"
    if result.message and result.message != _MARK[result.status]:
        text += f": {result.message}"
    if result.pr is not None and f"#{result.pr}" not in result.message:
        text += f" (PR #{result.pr})"
    return text


def summary_line(report: PassReport) -> str:
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no entries"
    total = sum(report.requests.get(kind, 0) for kind in KINDS)
    return f"{parts} in {report.duration:.1f}s, {count(total, 'request')}"


def offline_line(report: PassReport) -> str | None:
    """One line when no server answered at all (every look-up failed to connect): the cause
    is the network or the configured URLs, not each of the entries that report it."""
    sent = sum(report.requests.get(kind, 0) for kind in KINDS)
    answered = sum(
        n for (_, status), n in request_counts(report.requests).items() if status.isdigit()
    )
    failed = [r for r in report.results if r.status is Status.FAILED]
    if sent == 0 or answered or len(failed) < 2:
        return None
    return (
        f"bumper: no server answered any of {count(sent, 'request')}: {len(failed)} entries "
        "failed to connect; check the network, a proxy, or github.api_url / github.git_url"
    )


def report_json(report: PassReport) -> dict[str, Any]:
    return {
        "results": [
            {
                "variable": r.entry.variable,
                "file": r.entry.file,
                "files": list(r.entry.paths),  # every file the pin lives in, `file` first
                "repository": r.entry.repository,
                "branch": r.entry.branch,
                "status": r.status.value,
                "old": r.old,
                "new": r.new,
                "message": r.message,
                "pr": r.pr,
                # added for gates and holds: why not the branch head, and what a hold waits for
                "gate": r.gate or None,
                "hold": hold_json(r.entry),
            }
            for r in report.results
        ],
        "requests": report.requests,
        # added for the dashboard: the issue's number, what this pass wrote, or why it could not
        "dashboard": None
        if report.dashboard is None
        else {
            "issue": report.dashboard.issue,
            "written": report.dashboard.written or None,
            "problem": report.dashboard.problem,
        },
    }


def json_document(document: dict[str, Any]) -> str:
    """The --json document with each result on a line of its own: readable in a file and a
    diff, and written by json's C encoder (``indent`` takes its pure-Python one, 2.5x slower:
    1% of a 1,000-pin pass)."""
    rest = {k: v for k, v in document.items() if k != "results"}
    lines = [json.dumps(result) for result in document["results"]]
    results = "[\n  " + ",\n  ".join(lines) + "\n]" if lines else "[]"
    tail = "".join(f",\n{json.dumps(k)}: {json.dumps(v)}" for k, v in rest.items())
    return f'{{"results": {results}{tail}\n}}\n'


def dashboard_line(report: PassReport) -> str | None:
    outcome = report.dashboard
    if outcome is None:
        return None
    if outcome.problem is not None:
        return outcome.problem
    return f"dashboard: issue #{outcome.issue} {outcome.written or 'unchanged'}"


def hold_json(entry: Entry) -> dict[str, Any] | None:
    """A held entry's hold as the config gives it; None when it is not held."""
    if entry.hold is None:
        return None
    return {
        "reason": entry.hold,
        "until": entry.hold_until,
        "until_upstream_contains": entry.hold_until_upstream_contains,
        "condition": entry.hold_condition,
    }


def summary_markdown(config: Config, report: PassReport) -> str:
    """Markdown for the PR body a CI job creates after `run-once --checkout`. Hold reasons and
    messages (some are an upstream server's words) are made inert as in bumper's PR bodies."""
    lines = ["| variable | repository | change |", "|---|---|---|"]
    for r in report.results:
        if r.status is Status.BUMPED and r.old and r.new:
            link = compare_url(r.entry.repository, config.github, r.old, r.new)
            shas = f"`{r.old[:12]}...{r.new[:12]}`"
            change = f"[{shas}]({link})" if link else shas
        else:
            change = _MARK[r.status] + (f": {_cell(r.message)}" if r.message else "")
        lines.append(f"| {_cell(r.entry.variable)} | {_cell(r.entry.repository)} | {change} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Outside text in a table cell: GFM splits rows at a `|` even inside a code span unless
    it is escaped, and a backslash just before it would escape the escape."""
    return _PIPE.sub(lambda m: m[1] * 2 + "\\|", neutral(text, SUMMARY_LIMIT))
