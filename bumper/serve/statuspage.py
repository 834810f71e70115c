"""The status page and /status.json: pure functions from a Snapshot to HTML or JSON.

The page replaces the dashboard people would otherwise keep by hand in an issue: one row per
matrix entry with its pinned sha, upstream head, how far behind, the PR, the last error and
why it is held. Every value is escaped; the page needs no script.
"""

from __future__ import annotations

import datetime
import html
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bumper.config.settings import GitHubSettings
from bumper.model import Entry
from bumper.serve.state import EntryState, PassRecord
from bumper.upstream import compare_url, gates, web_url

PENDING = "pending"  # in the matrix, not reached by a pass yet
STATUS_ORDER = ("failed", "held", "skipped", "bumped", "up-to-date", PENDING)


@dataclass(frozen=True, slots=True)
class EntryView:
    variable: str
    file: str
    repository: str
    branch: str
    repository_url: str | None
    compare_url: str | None  # pinned...upstream on the web, where the host's layout is known
    status: str
    hold: str | None
    pinned: str | None
    upstream: str | None
    behind: int | None
    pr: int | None
    pr_url: str | None
    message: str
    last_error: str | None
    last_error_at: float | None
    failing_since: float | None
    checked_at: float | None
    changed_at: float | None
    files: tuple[str, ...] = ()  # every file of the pin, `file` first
    hold_condition: str | None = None  # when a hold lifts by itself: "until 2026-12-31", ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    generated_at: float
    target: str | None
    schedule: str  # "cron 0 3 * * * (UTC)" or "every 2 s"
    next_pass_at: float | None
    pass_running: bool
    ready: bool
    not_ready: tuple[str, ...]  # reasons, when not ready
    config_path: str
    config_loaded_at: float
    reload_error: str | None
    state_note: str | None  # "in memory (file X unusable: reason)", when the file was left
    rate_limit_remaining: int | None
    admin_enabled: bool
    passes: tuple[PassRecord, ...]  # newest first
    entries: tuple[EntryView, ...]

    @property
    def last_pass(self) -> PassRecord | None:
        finished = [p for p in self.passes if p.outcome != "running"]
        return finished[0] if finished else None

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUS_ORDER, 0)
        for view in self.entries:
            out[view.status] = out.get(view.status, 0) + 1
        return out


def entry_views(
    matrix: Iterable[Entry], stored: Mapping[tuple[str, str], EntryState], github: GitHubSettings
) -> tuple[EntryView, ...]:
    """One view per matrix entry, in matrix order, from the config and the stored results.

    A stored result for another repository or branch than the entry has now is stale (the
    config changed since) and is not shown.
    """
    views = []
    for entry in matrix:
        row = stored.get(entry.key)
        if row is not None and (row.repository, row.branch) != (entry.repository, entry.branch):
            row = None
        # a hold with a condition may have lifted by itself: a date says so on its own; a
        # fix landing upstream only the last pass knows (it did not report the entry held)
        if entry.hold_until is not None:
            today = datetime.datetime.now(datetime.UTC).date()
            lifted = gates.lifted_by_date(entry, today) is not None
        else:
            waits = entry.hold_until_upstream_contains is not None
            lifted = waits and row is not None and row.status != "held"
        held = entry.hold is not None and not lifted
        status = "held" if held else (row.status if row else PENDING)
        behind = row.behind if row else None
        if behind is None and row and row.old and row.old == row.new:
            behind = 0
        compare = None
        if row and row.old and row.new and row.old != row.new:
            compare = compare_url(entry.repository, github, row.old, row.new)
        views.append(
            EntryView(
                variable=entry.variable,
                file=entry.file,
                files=entry.paths,
                repository=entry.repository,
                branch=entry.branch,
                repository_url=web_url(entry.repository, github),
                compare_url=compare,
                status=status,
                hold=entry.hold if held else None,
                hold_condition=entry.hold_condition if held else None,
                pinned=row.old if row else None,
                upstream=row.new if row else None,
                behind=behind,
                pr=row.pr if row else None,
                pr_url=row.pr_url if row else None,
                message=row.message if row else "",
                last_error=row.last_error if row else None,
                last_error_at=row.last_error_at if row else None,
                failing_since=row.failing_since if row else None,
                checked_at=row.checked_at if row else None,
                changed_at=row.changed_at if row else None,
            )
        )
    return tuple(views)


# -- JSON --------------------------------------------------------------------------


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _pass_json(record: PassRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "trigger": record.trigger,
        "started_at": iso(record.started_at),
        "duration": record.duration,
        "outcome": record.outcome,
        "counts": record.counts,
        "error": record.error,
    }


def status_json(snap: Snapshot) -> dict[str, Any]:
    last = snap.last_pass
    return {
        "generated_at": iso(snap.generated_at),
        "target": snap.target,
        "ready": snap.ready,
        "not_ready": list(snap.not_ready),
        "schedule": snap.schedule,
        "next_pass_at": iso(snap.next_pass_at),
        "pass_running": snap.pass_running,
        "last_pass": _pass_json(last) if last else None,
        "passes": [_pass_json(p) for p in snap.passes],
        "rate_limit_remaining": snap.rate_limit_remaining,
        "state": snap.state_note,
        "config": {
            "path": snap.config_path,
            "loaded_at": iso(snap.config_loaded_at),
            "reload_error": snap.reload_error,
        },
        "counts": snap.counts(),
        "entries": [
            {
                "variable": v.variable,
                "file": v.file,
                "files": list(v.files or (v.file,)),
                "repository": v.repository,
                "branch": v.branch,
                "status": v.status,
                "hold": v.hold,
                "hold_condition": v.hold_condition,
                "pinned": v.pinned,
                "upstream": v.upstream,
                "behind": v.behind,
                "pr": v.pr,
                "pr_url": v.pr_url,
                "message": v.message,
                "last_error": v.last_error,
                "last_error_at": iso(v.last_error_at),
                "failing_since": iso(v.failing_since),
                "checked_at": iso(v.checked_at),
                "changed_at": iso(v.changed_at),
            }
            for v in snap.entries
        ],
    }


# -- HTML --------------------------------------------------------------------------


def ago(ts: float, now: float) -> str:
    """``3 min ago``, ``in 2 h``: coarse, as a person reads a dashboard."""
    delta = now - ts
    future = delta < 0
    seconds = abs(delta)
    if seconds < 60:
        text = f"{int(seconds)} s"
    elif seconds < 3600:
        text = f"{int(seconds // 60)} min"
    elif seconds < 86400 * 2:
        text = f"{int(seconds // 3600)} h"
    else:
        text = f"{int(seconds // 86400)} days"
    return f"in {text}" if future else f"{text} ago"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(ts: float | None, now: float) -> str:
    if ts is None:
        return ""
    return f'<time datetime="{iso(ts)}" title="{iso(ts)}">{_e(ago(ts, now))}</time>'


def _link(url: str | None, text: str, title: str = "") -> str:
    title_attr = f' title="{_e(title)}"' if title else ""
    if not url or not url.startswith(("http://", "https://")):
        return f"<span{title_attr}>{_e(text)}</span>"
    return f'<a href="{_e(url)}"{title_attr} rel="noreferrer">{_e(text)}</a>'


def _sha(sha: str | None, repo_url: str | None) -> str:
    if not sha:
        return '<span class="none">—</span>'
    url = f"{repo_url}/commit/{sha}" if repo_url else None
    return f"<code>{_link(url, sha[:12], sha)}</code>"


def _behind(view: EntryView) -> str:
    if view.behind is not None:
        text = "up to date" if view.behind == 0 else f"{view.behind} commits"
        if view.behind == 1:
            text = "1 commit"
        if view.behind and view.compare_url:
            return _link(view.compare_url, text, "compare on the web")
        return _e(text)
    if view.pinned and view.upstream and view.pinned != view.upstream:
        return '<span title="the pass did not count the commits">behind</span>'
    return '<span class="none">—</span>'


def _row(view: EntryView, now: float) -> str:
    repo = _link(view.repository_url, view.repository)
    pr = _link(view.pr_url, f"#{view.pr}") if view.pr is not None else ""
    error = ""
    if view.last_error:
        since = view.failing_since or view.last_error_at
        label = "failing since" if view.failing_since else "last failed"
        error = (
            f'<div class="error">{_e(view.last_error)}</div>'
            f'<div class="when">{label} {_when(since, now)}</div>'
        )
    note = _e(view.message) if view.message and view.status not in ("failed", "held") else ""
    files = _e(", ".join(view.files or (view.file,)))
    condition = (
        f"<div class=when>lifts by itself {_e(view.hold_condition)}</div>"
        if view.hold_condition
        else ""
    )
    files = _e(", ".join(view.files or (view.file,)))
    return (
        f'<tr class="status-{_e(view.status)}">'
        f"<td><strong>{_e(view.variable)}</strong><div class=when>{files}</div></td>"
        f"<td>{repo}<div class=when>{_e(view.branch)}</div></td>"
        f'<td><span class="badge {_e(view.status)}">{_e(view.status)}</span>'
        f"<div class=note>{note}</div></td>"
        f'<td class="sha">{_sha(view.pinned, view.repository_url)}</td>'
        f'<td class="sha">{_sha(view.upstream, view.repository_url)}</td>'
        f'<td class="num">{_behind(view)}</td>'
        f"<td>{pr}</td>"
        f'<td class="wide">{error}</td>'
        f'<td class="wide">{_e(view.hold or "")}{condition}</td>'
        f"<td>{_when(view.checked_at, now)}</td>"
        "</tr>"
    )


def _pass_row(record: PassRecord, now: float) -> str:
    counts = ", ".join(f"{n} {k}" for k, n in sorted(record.counts.items()) if n) or "—"
    duration = f"{record.duration:.1f} s" if record.duration is not None else ""
    return (
        f"<tr><td>{_when(record.started_at, now)}</td><td>{_e(record.trigger)}</td>"
        f'<td><span class="badge {_e(record.outcome)}">{_e(record.outcome)}</span></td>'
        f"<td>{_e(duration)}</td><td>{_e(counts)}</td><td>{_e(record.error or '')}</td></tr>"
    )


_STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;color:#1f2328}
h1{font-size:1.4rem;margin:0 0 .2rem} h2{font-size:1.1rem;margin:1.6rem 0 .4rem}
.meta{color:#59636e;margin:.2rem 0}
.banner{padding:.5rem .8rem;border-radius:6px;margin:.6rem 0}
.banner.warn{background:#fff8c5;border:1px solid #d4a72c}
.banner.info{background:#ddf4ff;border:1px solid #54aeff}
.chips span{display:inline-block;margin:.2rem .4rem .2rem 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #d1d9e0}
th{background:#f6f8fa;font-weight:600}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
a{color:#0969da} .none,.when,.note{color:#59636e;font-size:12px}
.error{color:#b42318;max-width:28rem;overflow-wrap:anywhere}
/* long outside text wraps inside a column wide enough to read, never letter by letter */
td.wide{min-width:10rem;overflow-wrap:anywhere} td.sha,td.num{white-space:nowrap}
.when,.note{overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:12px;
 border:1px solid #d1d9e0;background:#f6f8fa;white-space:nowrap}
.badge.failed,.badge.crashed{background:#ffebe9;border-color:#ff818266;color:#b42318}
.badge.bumped{background:#ddf4ff;border-color:#54aeff66;color:#0550ae}
.badge.up-to-date,.badge.ok{background:#dafbe1;border-color:#4ac26b66;color:#1a7f37}
.badge.held,.badge.skipped,.badge.stopped,.badge.interrupted{background:#fff8c5;
 border-color:#d4a72c66;color:#7d4e00}
"""


def render_html(snap: Snapshot) -> str:
    now = snap.generated_at
    counts = snap.counts()
    chips = "".join(
        f'<span><span class="badge {_e(k)}">{_e(k)}</span> {n}</span>'
        for k, n in counts.items()
        if n
    )
    last = snap.last_pass
    if last is None:
        last_text = "no pass has finished yet"
    else:
        duration = f", took {last.duration:.1f} s" if last.duration is not None else ""
        last_text = (
            f'last pass {_when(last.started_at, now)}: <span class="badge {_e(last.outcome)}">'
            f"{_e(last.outcome)}</span>{_e(duration)}"
        )
    next_text = f"next pass {_when(snap.next_pass_at, now)}" if snap.next_pass_at else ""
    banners = []
    if snap.pass_running:
        banners.append('<div class="banner info">A pass is running now.</div>')
    if snap.reload_error:
        banners.append(
            '<div class="banner warn"><strong>The new config was not loaded</strong>; still '
            f"running the previous one.<pre>{_e(snap.reload_error)}</pre></div>"
        )
    if snap.state_note:
        banners.append(
            '<div class="banner warn"><strong>State is kept in memory</strong>; passes run as '
            "usual, but history starts again at each restart."
            f"<pre>{_e(snap.state_note)}</pre></div>"
        )
    if not snap.ready:
        banners.append(f'<div class="banner warn">Not ready: {_e("; ".join(snap.not_ready))}</div>')
    rate = (
        f" · API requests left this hour: {snap.rate_limit_remaining}"
        if snap.rate_limit_remaining is not None
        else ""
    )
    rows = "".join(_row(v, now) for v in snap.entries) or (
        '<tr><td colspan="10">The matrix is empty.</td></tr>'
    )
    pass_rows = "".join(_pass_row(p, now) for p in snap.passes[:10]) or (
        '<tr><td colspan="6">No passes yet.</td></tr>'
    )
    title = f"bumper: {snap.target}" if snap.target else "bumper"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p class="meta">{last_text} · {next_text} · schedule: {_e(snap.schedule)}{_e(rate)}</p>
<p class="meta">config {_e(snap.config_path)}, loaded {_when(snap.config_loaded_at, now)}</p>
{"".join(banners)}
<div class="chips">{chips}</div>
<h2>Pins</h2>
<table id="entries">
<thead><tr><th>Variable</th><th>Upstream</th><th>Status</th><th>Pinned</th>
<th>Upstream head</th><th>Behind</th><th>PR</th><th>Last error</th><th>Held because</th>
<th>Checked</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<h2>Recent passes</h2>
<table id="passes">
<thead><tr><th>Started</th><th>Trigger</th><th>Outcome</th><th>Duration</th><th>Results</th>
<th>Error</th></tr></thead>
<tbody>
{pass_rows}
</tbody>
</table>
<p class="meta"><a href="status.json">status.json</a> · <a href="metrics">metrics</a></p>
</body>
</html>
"""
