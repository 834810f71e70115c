"""Switchable failures: what a client sees when a fault matches, and the admin API for them."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest

from bumper.sandbox.faults import FaultError, Faults, garble_shas, parse_fault


@pytest.fixture
def client():
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def repo(sandbox):
    sandbox.store.create_repo("o", "r")
    return sandbox.store.commit_files("o/r", "main", {"a": "1\n"}, "first")


def refs_url(sandbox) -> str:
    return f"{sandbox.git_url}/o/r.git/info/refs?service=git-upload-pack"


def test_status_fault_answers_instead_of_the_server_for_times_requests(sandbox, client, repo):
    sandbox.add_fault(r"/info/refs$", status=503, times=2)
    statuses = [client.get(refs_url(sandbox)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [r["status"] for r in sandbox.requests()] == [503, 503, 200]


def test_status_fault_default_body_is_github_error_json(sandbox, client):
    sandbox.add_fault("/api/v3/")
    reply = client.get(sandbox.api_url + "/repos/o/r")
    assert reply.status_code == 500
    assert reply.json()["message"] == "Internal Server Error"
    assert reply.json()["documentation_url"].startswith("https://docs.github.com/")


def test_fault_body_and_headers_are_sent(sandbox, client):
    sandbox.add_fault("/x", status=418, body="short and stout", headers={"X-Teapot": "yes"})
    reply = client.get(sandbox.url + "/x")
    assert (reply.status_code, reply.text, reply.headers["x-teapot"]) == (
        418,
        "short and stout",
        "yes",
    )


def test_delay_only_fault_answers_normally_but_late(sandbox, client, repo):
    sandbox.add_fault(r"/info/refs$", status=None, delay_ms=200)
    started = time.perf_counter()
    reply = client.get(refs_url(sandbox))
    assert time.perf_counter() - started >= 0.2
    assert reply.status_code == 200
    assert repo.encode() in reply.content
    assert sandbox.requests()[0]["ms"] >= 200


def test_drop_closes_connection_and_is_logged_with_status_0(sandbox, client, repo):
    sandbox.add_fault(r"/info/refs$", kind="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(refs_url(sandbox))
    assert client.get(refs_url(sandbox)).status_code == 200
    log = sandbox.requests()
    assert [(r["status"], r["bytes"]) for r in log] == [(0, 0), (200, log[1]["bytes"])]


def test_truncate_announces_full_length_then_hangs_up(sandbox, client, repo):
    sandbox.add_fault(r"/info/refs$", kind="truncate")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(refs_url(sandbox))
    assert client.get(refs_url(sandbox)).status_code == 200


def test_garbage_sha_keeps_the_shape_but_no_sha_survives(sandbox, client, repo):
    sandbox.fault_garbage_sha(r"/info/refs$")
    garbled = client.get(refs_url(sandbox))
    clean = client.get(refs_url(sandbox))
    assert garbled.status_code == 200
    assert len(garbled.content) == len(clean.content)
    assert repo.encode() in clean.content
    assert re.search(rb"[0-9a-f]{40}", garbled.content) is None


def test_late_applies_the_write_and_logs_it_before_it_answers(sandbox, client, repo):
    sandbox.fault_delay(r"/git/refs$", 400, method="POST", after=True)
    headers = {"Authorization": f"token {sandbox.token}"}
    body = {"ref": "refs/heads/late", "sha": repo}
    seen: list[tuple[str | None, int]] = []

    def watch() -> None:  # while the answer is held: the branch exists and the write is logged
        time.sleep(0.2)
        seen.append((sandbox.store.ref("o/r", "refs/heads/late"), len(sandbox.requests())))

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    reply = client.post(f"{sandbox.api_url}/repos/o/r/git/refs", json=body, headers=headers)
    watcher.join()
    assert reply.status_code == 201 and time.monotonic() - started >= 0.4
    assert seen == [(repo, 1)]


def test_first_added_fault_wins_and_later_ones_wait(sandbox, client):
    sandbox.add_fault("/x", status=501)
    sandbox.add_fault("/x", status=502)
    statuses = [client.get(sandbox.url + "/x").status_code for _ in range(3)]
    assert statuses == [501, 502, 404]


def test_method_filter(sandbox, client):
    sandbox.add_fault("/x", method="POST", status=500)
    assert client.get(sandbox.url + "/x").status_code == 404
    assert client.post(sandbox.url + "/x").status_code == 500


def test_path_is_a_regex_searched_without_query(sandbox, client):
    sandbox.add_fault(r"^/api/v3/repos/[^/]+/r$", status=500, times=-1)
    assert client.get(sandbox.api_url + "/repos/o/r?per_page=1").status_code == 500
    assert client.get(sandbox.api_url + "/repos/o/r").status_code == 500
    assert client.get(sandbox.api_url + "/repos/o/r/branches").status_code != 500
    sandbox.clear_faults()
    assert client.get(sandbox.api_url + "/repos/o/r").status_code != 500


def test_rate_limit_preset_says_remaining_zero_and_when_to_retry(sandbox, client):
    sandbox.fault_rate_limit("/api/v3/", reset_in=60)
    reply = client.get(sandbox.api_url + "/repos/o/r")
    assert reply.status_code == 403
    assert reply.headers["x-ratelimit-remaining"] == "0"
    assert 0 < int(reply.headers["x-ratelimit-reset"]) - time.time() <= 61
    assert "rate limit" in reply.json()["message"]


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_preset_sends_retry_after(sandbox, client, status):
    sandbox.fault_secondary_limit("/api/v3/", retry_after=3, status=status)
    reply = client.get(sandbox.api_url + "/repos/o/r")
    assert reply.status_code == status
    assert reply.headers["retry-after"] == "3"
    assert "secondary rate limit" in reply.json()["message"]


def test_html_preset(sandbox, client, repo):
    sandbox.fault_html(r"/info/refs$")
    reply = client.get(refs_url(sandbox))
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.text.startswith("<!DOCTYPE html>")


def test_admin_api_adds_lists_and_clears_faults(sandbox, client):
    added = client.post(
        sandbox.url + "/_sandbox/faults", json={"path": "/x", "method": "GET", "status": 500}
    )
    assert added.status_code == 201
    assert isinstance(added.json()["id"], int)
    listed = client.get(sandbox.url + "/_sandbox/faults").json()
    assert [(f["id"], f["path"], f["times"]) for f in listed] == [(added.json()["id"], "/x", 1)]
    assert client.delete(sandbox.url + "/_sandbox/faults").status_code == 200
    assert client.get(sandbox.url + "/x").status_code == 404


def test_faults_never_touch_the_admin_api(sandbox, client):
    sandbox.add_fault(".*", times=-1)
    assert client.get(sandbox.url + "/_sandbox/requests").status_code == 200
    assert client.delete(sandbox.url + "/_sandbox/faults").status_code == 200


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ({"path": "("}, "path"),
        ({"path": "/x", "status": 99}, "status"),
        ({"path": "/x", "times": 0}, "times"),
        ({"path": "/x", "kind": "explode"}, "kind"),
        ({"path": "/x", "delay_ms": -1}, "delay_ms"),
        ({"path": "/x", "colour": "red"}, "colour"),
    ],
)
def test_bad_fault_is_refused_naming_the_field(sandbox, client, fault, field):
    reply = client.post(sandbox.url + "/_sandbox/faults", json=fault)
    assert reply.status_code == 422
    assert reply.json()["message"].startswith(f"{field}:")
    assert reply.json()["documentation_url"]


def test_admin_refuses_malformed_json(sandbox, client):
    reply = client.post(sandbox.url + "/_sandbox/faults", content=b"{nope")
    assert reply.status_code == 400


def test_admin_rename_and_create(sandbox, client):
    created = client.post(
        sandbox.url + "/_sandbox/repos",
        json={"full_name": "o/r", "files": {"Makefile": "X?=1\n"}},
    )
    assert created.status_code == 201
    head = created.json()["head"]
    assert sandbox.store.ref("o/r", "main") == head
    renamed = client.post(sandbox.url + "/_sandbox/rename", json={"from": "o/r", "to": "o/s"})
    assert renamed.json() == {"from": "o/r", "to": "o/s"}
    assert sandbox.store.redirect("o/r") == "o/s"
    missing = client.post(sandbox.url + "/_sandbox/rename", json={"from": "o/r", "to": "o/t"})
    assert missing.status_code == 404
    moved = client.post(
        sandbox.url + "/_sandbox/advance", json={"repository": "o/s", "branch": "main", "n": 2}
    )
    assert moved.status_code == 201
    assert sandbox.store.ref("o/s", "main") == moved.json()["sha"] != head
    committed = client.post(
        sandbox.url + "/_sandbox/commits",
        json={"repository": "o/s", "files": {"Makefile": "X?=2\n"}, "message": "bump"},
    )
    assert committed.status_code == 201
    assert sandbox.store.read_file("o/s", committed.json()["sha"], "Makefile") == b"X?=2\n"
    assert sandbox.requests() == []  # admin calls are never logged


def test_take_counts_down_and_forgets_spent_faults():
    faults = Faults()
    faults.add({"path": "/a", "times": 2})
    assert faults.take("GET", "/a") is not None
    assert faults.take("GET", "/a") is not None
    assert faults.take("GET", "/a") is None
    assert faults.active() == []


def test_parse_fault_rejects_non_object():
    with pytest.raises(FaultError, match="body"):
        parse_fault([], 1)


def test_garble_keeps_length_and_leaves_shorter_hex_alone():
    text = b"0032" + b"a" * 40 + b" refs/heads/main\n deadbeef"
    out = garble_shas(text)
    assert len(out) == len(text)
    assert out.endswith(b" refs/heads/main\n deadbeef")
    assert re.search(rb"[0-9a-f]{40}", out) is None
