"""The status page and /status.json name every file of a pin repeated in several files."""

from __future__ import annotations

import time

from serving import page_snapshot

from bumper.model import Entry, PinBy, Result, Status
from bumper.serve.state import State
from bumper.serve.statuspage import render_html, status_json

FILES = ("Dockerfile", "scripts/install.sh", ".github/workflows/ci.yml")


def test_every_file_of_a_pin_is_listed() -> None:
    entry = Entry("acme/tool", "tool", "main", FILES[0], files=FILES, match="t@", by=PinBy.MATCH)
    state = State.open(None)
    state.record_result(Result(entry, Status.BUMPED, "a" * 40, "b" * 40, pr=3), time.time())
    snap = page_snapshot((entry,), state)
    (row,) = status_json(snap)["entries"]
    assert (row["file"], row["files"]) == (FILES[0], list(FILES))
    assert ", ".join(FILES) in render_html(snap)
    state.close()
