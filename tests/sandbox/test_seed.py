"""The demo seed: pins that lag their upstreams by known amounts, and a config that fits."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bumper.config.load import parse_config
from bumper.pins import read_pin
from bumper.sandbox.seed import TARGET, UPSTREAMS, advance_upstream, demo_config_yaml, seed_demo
from bumper.sandbox.store import Store


@pytest.fixture(scope="module")
def store():
    with tempfile.TemporaryDirectory() as tmp:
        s = Store(Path(tmp))
        seed_demo(s)
        yield s


def text(store: Store, path: str) -> str:
    data = store.read_file(TARGET, "refs/heads/main", path)
    assert data is not None, path
    return data.decode()


@pytest.mark.parametrize(
    "up", [u for u in UPSTREAMS if u.file.endswith("Makefile")], ids=lambda u: u.variable
)
def test_each_makefile_pin_lags_its_branch_by_the_declared_commits(store, up):
    pinned = read_pin(text(store, up.file), up.variable).value
    head = store.ref(up.repository, up.branch)
    behind = store.git(up.repository, "rev-list", "--count", f"{pinned}..{head}").decode()
    assert int(behind) == up.behind


def test_prefix_trap_and_hidden_pin_exist(store):
    assert "IK_LLAMA_VERSION?=" in text(store, "backend/cpp/ik-llama/Makefile")
    assert "\nLLAMA_VERSION" not in "\n" + text(store, "backend/cpp/ik-llama/Makefile")
    script = text(store, "backend/cpp/turbo/prepare.sh")
    assert 'TURBO_VERSION="${TURBO_VERSION:-' in script
    assert sum(u.behind == 0 for u in UPSTREAMS) == 1


def test_upstreams_have_look_alike_branches_and_tags(store):
    refs = store.refs("ggml-org/llama.cpp")
    assert {"refs/heads/master", "refs/heads/master-old", "refs/tags/v1.0"} <= set(refs)
    assert refs["refs/heads/master"] != refs["refs/heads/master-old"]


def test_seeding_twice_changes_nothing(store):
    before = store.ref(TARGET, "main")
    seed_demo(store)
    assert store.ref(TARGET, "main") == before


def test_advance_upstream_moves_the_branch_and_returns_its_head():
    with tempfile.TemporaryDirectory() as tmp:
        s = Store(Path(tmp))
        s.create_repo("o", "r")
        first = advance_upstream(s, "o/r", "dev", 1)
        second = advance_upstream(s, "o/r", "dev", 2)
        assert s.ref("o/r", "dev") == second != first
        assert s.read_file("o/r", second, "CHANGES.md") == b"- change 1\n- change 2\n- change 3\n"


def test_demo_config_is_valid_and_tracks_the_moved_pins():
    config = parse_config(demo_config_yaml("http://127.0.0.1:8999"), "demo.yaml")
    assert config.github.api_url == "http://127.0.0.1:8999/api/v3"
    assert config.github.git_url == "http://127.0.0.1:8999"
    assert config.target.repository == TARGET
    tracked = {(e.variable, e.repository, e.branch, e.file) for e in config.matrix}
    assert tracked == {(u.variable, u.repository, u.branch, u.file) for u in UPSTREAMS if u.tracked}
    assert "IK_LLAMA_VERSION" in {e.variable for e in config.matrix}
