"""PURE: which commit a gated entry is bumped to, and when a hold lifts (upstream/gates.py)."""

from __future__ import annotations

import datetime

from bumper.errors import UpstreamError
from bumper.model import Entry, Head, HistoryCommit
from bumper.upstream.gates import (
    Probe,
    Waiting,
    choose,
    lifted_by_date,
    lifted_by_upstream,
    probes_of,
)

NOW = 1_800_000_000.0
H = 3600.0
ENTRY = Entry("up/lib", "LIB_VERSION", "main", "Makefile")


def sha(n: int) -> str:
    return f"{n:040x}"


def head(*commits: tuple[float, str | None]) -> Head:
    """A head whose history is these (hours ago, checks) commits, newest first."""
    history = tuple(
        HistoryCommit(sha(i + 1), NOW - age * H, checks) for i, (age, checks) in enumerate(commits)
    )
    return Head("up/lib", "main", history[0].sha, history=history)


def test_an_ungated_entry_takes_the_head_whatever_its_history() -> None:
    found = head((1, None))
    assert choose(ENTRY, found, NOW) is found


def test_min_age_takes_the_newest_commit_at_least_that_old() -> None:
    entry = Entry(**{**_fields(), "min_age": "36h"})
    chosen = choose(entry, head((3, None), (30, None), (37, None), (100, None)), NOW)
    assert isinstance(chosen, Head) and chosen.sha == sha(3)
    assert chosen.note.startswith(
        f"head {sha(1)[:12]} is 3 h old; min_age 36h: chose {sha(3)[:12]}"
    )


def test_require_checks_skips_pending_failing_and_unchecked_commits() -> None:
    entry = Entry(**{**_fields(), "require_checks": True})
    found = head((1, None), (2, "PENDING"), (3, "FAILURE"), (4, "ERROR"), (5, "SUCCESS"))
    chosen = choose(entry, found, NOW)
    assert isinstance(chosen, Head) and chosen.sha == sha(5)
    assert "has no checks; require_checks" in chosen.note


def test_both_gates_together_need_an_old_and_green_commit() -> None:
    entry = Entry(**{**_fields(), "min_age": "2d", "require_checks": True})
    found = head((1, "SUCCESS"), (50, "FAILURE"), (60, "SUCCESS"))
    chosen = choose(entry, found, NOW)
    assert isinstance(chosen, Head) and chosen.sha == sha(3)


def test_a_passing_head_is_taken_without_a_note() -> None:
    entry = Entry(**{**_fields(), "min_age": "1h"})
    found = head((2, None))
    assert choose(entry, found, NOW) == found


def test_nothing_old_enough_in_the_page_waits() -> None:
    entry = Entry(**{**_fields(), "min_age": "1w"})
    waiting = choose(entry, head((1, None), (2, None)), NOW)
    assert isinstance(waiting, Waiting)
    assert "none of the newest 2 commits of main passes min_age 1w" in waiting.message


def test_a_pin_newer_than_every_passing_commit_is_never_moved_back() -> None:
    entry = Entry(**{**_fields(), "min_age": "36h"})
    found = head((1, None), (2, None), (40, None))
    chosen = choose(entry, found, NOW, pinned=sha(2))
    assert isinstance(chosen, Head) and chosen.sha == sha(2)
    assert "stays" in chosen.note


def test_without_history_a_gate_fails_rather_than_take_the_head() -> None:
    entry = Entry(**{**_fields(), "min_age": "36h"})
    failed = choose(entry, Head("up/lib", "main", sha(1)), NOW)
    assert isinstance(failed, UpstreamError)
    assert "needs the branch's history from GitHub GraphQL" in str(failed)


def test_a_dated_hold_lifts_on_its_day() -> None:
    entry = Entry(**{**_fields(), "hold": "broken", "hold_until": "2026-12-31"})
    assert lifted_by_date(entry, datetime.date(2026, 12, 30)) is None
    assert lifted_by_date(entry, datetime.date(2026, 12, 31)) == (
        "hold lifted: 2026-12-31 has come (was held: broken)"
    )


def test_a_hold_on_a_fix_lifts_only_once_the_branch_contains_it() -> None:
    fix = sha(9)
    entry = Entry(**{**_fields(), "hold": "broken", "hold_until_upstream_contains": fix})
    assert lifted_by_upstream(entry, Head("up/lib", "main", sha(1), contains=frozenset())) is None
    assert lifted_by_upstream(entry, Head("up/lib", "main", sha(1))) is None  # not asked
    assert lifted_by_upstream(entry, UpstreamError("down")) is None
    lifted = lifted_by_upstream(entry, Head("up/lib", "main", sha(1), contains=frozenset({fix})))
    assert lifted == f"hold lifted: main now contains {fix[:12]} (was held: broken)"


def test_probes_merge_per_branch_and_leave_plain_pairs_out() -> None:
    gated = Entry(**{**_fields(), "min_age": "1d"})
    waiting = Entry(
        **{**_fields(), "variable": "B", "hold": "x", "hold_until_upstream_contains": sha(7)}
    )
    plain = Entry("up/other", "C", "main", "Makefile")
    assert probes_of([gated, waiting, plain]) == {("up/lib", "main"): Probe(True, (sha(7),))}


def _fields() -> dict[str, object]:
    return {"repository": "up/lib", "variable": "LIB_VERSION", "branch": "main", "file": "Makefile"}


def test_a_row_following_tags_is_never_gated_by_a_default() -> None:
    entry = Entry(**{**_fields(), "min_age": "2d", "require_checks": True, "follow": "tags"})
    assert not entry.gated
    found = Head("up/lib", "main", sha(1))
    assert choose(entry, found, NOW) is found
