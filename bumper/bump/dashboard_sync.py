"""Keep the one dashboard issue (dashboard.py renders it) in the target, writing only when
its text changes.

bumper's issue is the open issue whose body starts with dashboard.MARK and that bumper's
account opened: anyone can open an issue and paste the mark, and such an issue is never
edited or closed. Costs per pass: the account (already read by the pass when it could be
bumper's PRs, else one read) and one listing of the open issues that account opened; an
edit only when the text changed, so a pass where nothing changed writes nothing.

There is no conditional create on GitHub, so two passes at once (or a create whose answer
broke off) can leave two dashboards: each pass keeps the oldest and closes the others it
finds, after its own create and at every later pass, so they converge on one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bumper.bump.dashboard import is_dashboard, render
from bumper.config.settings import DashboardSettings
from bumper.errors import ForgeError
from bumper.github.forge import Forge, IssueInfo
from bumper.model import Result


@dataclass(frozen=True, slots=True)
class DashboardOutcome:
    issue: int | None  # its number; None when it could not be kept
    written: str = ""  # "created", "edited" or "" (nothing changed)
    problem: str | None = None  # why it could not be kept


def _ours(forge: Forge, account: str) -> list[IssueInfo]:
    return [i for i in forge.own_issues(account) if is_dashboard(i.body)]


def _one(forge: Forge, found: list[IssueInfo]) -> IssueInfo | None:
    """The oldest dashboard; the others (a race, a create that answered late) closed."""
    for extra in found[1:]:
        forge.close_issue(extra.number)
    return found[0] if found else None


def sync(
    forge: Forge, settings: DashboardSettings, results: Sequence[Result], *, account: str
) -> DashboardOutcome:
    try:
        issue = _one(forge, _ours(forge, account))
        written = ""
        if issue is None:
            body = render(results)
            try:
                forge.create_issue(settings.title, body)
            except ForgeError:
                # GitHub may have made it before the answer broke off: look, never post twice
                if not _ours(forge, account):
                    raise
            issue, written = _one(forge, _ours(forge, account)), "created"
            if issue is None:
                raise ForgeError("the dashboard issue bumper opened is not listed")
        body = render(results, issue.body)
        title = settings.title if issue.title != settings.title else None
        if title is not None or issue.body != body:
            forge.edit_issue(issue.number, title=title, body=body if issue.body != body else None)
            written = written or "edited"
        return DashboardOutcome(issue.number, written)
    except ForgeError as exc:
        return DashboardOutcome(None, problem=f"dashboard: {exc}")
