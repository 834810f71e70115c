"""The status page and /status.json show what a hold waits for, and stop calling an entry
held once its hold has lifted by itself."""

from __future__ import annotations

import time

from serving import page_snapshot

from bumper.model import Entry, Result, Status
from bumper.serve.state import State
from bumper.serve.statuspage import render_html, status_json

DATED = Entry(
    "acme/lib",
    "LIB_VERSION",
    "main",
    "Makefile",
    hold="hangs <b>in</b> synthesis",
    hold_until="2999-12-31",
)


def test_a_held_entry_shows_when_its_hold_lifts() -> None:
    state = State.open(None)
    state.record_result(
        Result(DATED, Status.HELD, message="hangs (held until 2999-12-31)"), time.time()
    )
    snap = page_snapshot((DATED,), state)
    page = render_html(snap)
    assert "hangs &lt;b&gt;in&lt;/b&gt; synthesis" in page
    assert "lifts by itself until 2999-12-31" in page
    [entry] = status_json(snap)["entries"]
    assert (entry["status"], entry["hold"], entry["hold_condition"]) == (
        "held",
        "hangs <b>in</b> synthesis",
        "until 2999-12-31",
    )
    state.close()


def test_a_hold_that_lifted_shows_the_passs_status_not_held() -> None:
    fix = "f" * 40
    waiting = Entry(
        "acme/lib", "LIB_VERSION", "main", "Makefile", hold="x", hold_until_upstream_contains=fix
    )
    past = Entry("acme/lib", "LIB_VERSION", "main", "Makefile", hold="x", hold_until="2020-01-01")
    for entry in (waiting, past):
        state = State.open(None)
        result = Result(entry, Status.BUMPED, "a" * 40, "b" * 40, "bumped; hold lifted", pr=3)
        state.record_result(result, time.time())
        [shown] = status_json(page_snapshot((entry,), state))["entries"]
        assert (shown["status"], shown["hold"], shown["hold_condition"]) == ("bumped", None, None)
        state.close()


def test_a_result_from_before_a_dated_hold_does_not_hide_it() -> None:
    state = State.open(None)
    state.record_result(Result(DATED, Status.BUMPED, "a" * 40, "b" * 40, pr=3), time.time())
    [shown] = status_json(page_snapshot((DATED,), state))["entries"]
    assert (shown["status"], shown["hold_condition"]) == ("held", "until 2999-12-31")
    state.close()


def test_a_plain_hold_stays_held_whatever_was_recorded() -> None:
    plain = Entry("acme/lib", "LIB_VERSION", "main", "Makefile", hold="broken")
    state = State.open(None)
    state.record_result(Result(plain, Status.UP_TO_DATE, "a" * 40, "a" * 40), time.time())
    [entry] = status_json(page_snapshot((plain,), state))["entries"]
    assert (entry["status"], entry["hold"], entry["hold_condition"]) == ("held", "broken", None)
    state.close()
