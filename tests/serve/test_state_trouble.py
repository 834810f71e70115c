"""A state file that cannot be used: the daemon runs on in memory and says so everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from serving import Daemons, Served, config_yaml

ADMIN = "admin-secret-0123456789"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    with Daemons(tmp_path) as daemons:
        yield daemons.start


def _start(serve: Callable[..., Served], state: Path) -> Served:
    return serve(
        config_yaml(extra="  admin_token_env: BUMPER_ADMIN_TOKEN\n"),
        env={"BUMPER_ADMIN_TOKEN": ADMIN},
        state=state,
    )


def _run_pass(served: Served, after: int) -> dict[str, object]:
    started = httpx.post(served.url + "/run", headers={"Authorization": f"Bearer {ADMIN}"})
    assert started.status_code == 202
    return served.wait_for_pass(after)


def _assert_in_memory_everywhere(served: Served, state: Path) -> None:
    ready = served.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    assert f"in memory (file {state} unusable" in ready.json()["state"]
    assert f"in memory (file {state} unusable" in served.status()["state"]
    page = served.get("/")
    assert page.status_code == 200
    assert "State is kept in memory" in page.text
    assert served.get("/metrics").status_code == 200
    assert served.log().count("keeping state in memory") == 1


def test_an_unusable_state_file_at_start_is_reported_and_passes_run(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    state = tmp_path / "state-is-a-directory"
    state.mkdir()  # cannot be opened as a database, nor removed to start a new one

    served = _start(serve, state)

    _assert_in_memory_everywhere(served, state)
    first = _run_pass(served, 0)
    assert first["last_pass"]["outcome"] == "ok"  # type: ignore[index]
    _run_pass(served, first["last_pass"]["id"])  # type: ignore[index]
    _assert_in_memory_everywhere(served, state)


def test_a_state_file_corrupted_while_running_is_left_for_memory(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    served = _start(serve, state)
    first = _run_pass(served, 0)
    assert served.get("/readyz").json().get("state") is None

    for part in (state, state.with_name(state.name + "-wal"), state.with_name(state.name + "-shm")):
        if part.exists():
            part.write_bytes(b"\xde\xad\xbe\xef" * 4096)
    second = _run_pass(served, first["last_pass"]["id"])  # type: ignore[index]

    assert second["last_pass"]["outcome"] == "ok"  # type: ignore[index]
    _assert_in_memory_everywhere(served, state)
    third = _run_pass(served, second["last_pass"]["id"])  # type: ignore[index]
    assert third["last_pass"]["outcome"] == "ok"  # type: ignore[index]
