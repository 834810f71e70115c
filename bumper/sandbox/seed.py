"""Demo data for the sandbox (``--seed demo``): a target repository full of pins, and upstreams.

The target ``acme/inference`` pins upstream commits in Makefiles and one shell script.
Each upstream has moved a few commits past its pin, except one pin that is current, so a
pass has real work to do. The layout includes the traps bumper must not fall into:
``IK_LLAMA_VERSION`` beside ``LLAMA_VERSION`` (a prefix), a pin hidden in a shell script,
a pin no config entry tracks, and upstream branches named like the tracked one
(``master-old``). Contents are deterministic; shas differ between runs (commit times).
"""

from __future__ import annotations

from dataclasses import dataclass

from bumper.sandbox.store import Store

TARGET = "acme/inference"
TARGET_BRANCH = "main"


@dataclass(frozen=True, slots=True)
class Upstream:
    repository: str
    branch: str
    variable: str
    file: str
    behind: int  # commits the pin lags behind the branch head (0: current)
    tracked: bool = True  # listed in the demo config's matrix


UPSTREAMS = (
    Upstream("ggml-org/llama.cpp", "master", "LLAMA_VERSION", "backend/cpp/llama/Makefile", 3),
    Upstream(
        "ggml-org/whisper.cpp", "master", "WHISPER_CPP_VERSION", "backend/go/whisper/Makefile", 2
    ),
    Upstream(
        "ikawrakow/ik_llama.cpp", "main", "IK_LLAMA_VERSION", "backend/cpp/ik-llama/Makefile", 4
    ),
    Upstream(
        "leejet/stable-diffusion.cpp",
        "master",
        "STABLEDIFFUSION_GGML_VERSION",
        "backend/go/stablediffusion-ggml/Makefile",
        0,
    ),
    Upstream(
        "rhasspy/piper", "master", "PIPER_VERSION", "backend/go/piper/Makefile", 1, tracked=False
    ),
    Upstream(
        "turboderp/turbo.cpp",
        "main",
        "TURBO_VERSION",
        "backend/cpp/turbo/prepare.sh",
        2,
        tracked=False,
    ),
)

# The history every upstream starts with; pins point into it, then advance_upstream moves on.
_BASE_COMMITS = 3


def _makefile(variable: str, sha: str, repository: str, extra: str = "") -> str:
    name = repository.split("/")[1]
    return (
        f"{variable}?={sha}\n"
        f"{variable.removesuffix('_VERSION')}_REPO?=https://github.com/{repository}\n"
        "\n"
        "CMAKE_ARGS?=\n"
        "BUILD_TYPE?=\n"
        f"{extra}"
        "\n"
        f"{name}:\n"
        f"\tgit clone --recurse-submodules $({variable.removesuffix('_VERSION')}_REPO) {name}\n"
        f"\tcd {name} && git checkout -b build $({variable}) && "
        "git submodule update --init --recursive\n"
    )


def _prepare_sh(variable: str, sha: str, repository: str) -> str:
    return (
        "#!/bin/bash\n"
        "set -euo pipefail\n"
        "\n"
        f'{variable}="${{{variable}:-{sha}}}"\n'
        f'REPO="https://github.com/{repository}"\n'
        "\n"
        'git clone "$REPO" turbo\n'
        f'git -C turbo checkout "${variable}"\n'
    )


def advance_upstream(store: Store, full_name: str, branch: str, n: int = 1) -> str:
    """Add ``n`` commits to ``branch`` of ``full_name``; returns the new head sha."""
    if n < 1:
        raise ValueError("n must be at least 1")
    with store.lock:
        sha = ""
        for _ in range(n):
            log = (store.read_file(full_name, f"refs/heads/{branch}", "CHANGES.md") or b"").decode()
            number = log.count("\n") + 1
            log += f"- change {number}\n"
            sha = store.commit_files(
                full_name, branch, {"CHANGES.md": log}, f"{full_name}: change {number}"
            )
        return sha


def tag_upstream(
    store: Store, full_name: str, branch: str, name: str, *, annotated: bool = False
) -> str:
    """A new commit on ``branch`` of ``full_name``, tagged ``name`` (an annotated tag object
    when ``annotated``, else a lightweight ref); returns the commit sha."""
    with store.lock:
        sha = advance_upstream(store, full_name, branch)
        if annotated:
            store.git(full_name, "tag", "-a", "-m", f"release {name}", name, sha)
        else:
            store.git(full_name, "update-ref", f"refs/tags/{name}", sha)
        return sha


def _seed_upstream(store: Store, up: Upstream) -> str:
    """Create the upstream repository; returns the sha the target pins."""
    owner, name = up.repository.split("/")
    store.create_repo(owner, name, default_branch=up.branch, description=f"Upstream {name}")
    store.commit_files(
        up.repository,
        up.branch,
        {"README.md": f"# {name}\n", "CHANGES.md": ""},
        "Initial commit",
    )
    pinned = advance_upstream(store, up.repository, up.branch, _BASE_COMMITS)
    # A branch whose name starts with the tracked one: `ref-prefix` matches it too.
    store.git(up.repository, "branch", f"{up.branch}-old", pinned)
    # Release tags, one annotated: look-ups must not confuse them with branches.
    store.git(up.repository, "tag", "b1000", pinned)
    store.git(up.repository, "tag", "-a", "-m", "release v1.0", "v1.0", pinned)
    if up.behind:
        advance_upstream(store, up.repository, up.branch, up.behind)
    return pinned


def seed_demo(store: Store) -> None:
    """Create the demo organisation ``acme`` and its upstreams; a no-op if already seeded."""
    with store.lock:
        if store.exists(TARGET):
            return
        pins = {up.variable: _seed_upstream(store, up) for up in UPSTREAMS}
        files: dict[str, str | bytes | None] = {
            "README.md": "# inference\n\nBackends built from pinned upstream commits.\n",
            "Makefile": "BACKENDS?=llama whisper\n\nall:\n\t$(MAKE) -C backend/cpp/llama\n",
        }
        for up in UPSTREAMS:
            if up.file.endswith(".sh"):
                files[up.file] = _prepare_sh(up.variable, pins[up.variable], up.repository)
            else:
                files[up.file] = _makefile(up.variable, pins[up.variable], up.repository)
        owner, name = TARGET.split("/")
        store.create_repo(owner, name, default_branch=TARGET_BRANCH, description="Demo target")
        store.commit_files(TARGET, TARGET_BRANCH, files, "Pin backend sources")


def demo_config_yaml(sandbox_url: str, token_env: str = "BUMPER_SANDBOX_TOKEN") -> str:
    """The bumper config for the demo data, pointed at a sandbox (``http://HOST:PORT``)."""
    base = sandbox_url.rstrip("/")
    lines = [
        "# bumper config for the sandbox demo (bumper sandbox --seed demo)",
        "github:",
        f"  api_url: {base}/api/v3",
        f"  git_url: {base}",
        f"  token_env: {token_env}",
        "  # a local sandbox has no secondary rate limits: no pause between requests",
        "  seconds_between_requests: 0",
        "  seconds_between_writes: 0",
        "target:",
        f"  repository: {TARGET}",
        f"  base: {TARGET_BRANCH}",
        "lookup:",
        "  allow_http: true",
        "matrix:",
    ]
    for up in UPSTREAMS:
        if not up.tracked:
            continue
        lines += [
            f"  - repository: {up.repository}",
            f"    variable: {up.variable}",
            f"    branch: {up.branch}",
            f"    file: {up.file}",
        ]
    return "\n".join(lines) + "\n"
