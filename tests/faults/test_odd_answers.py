"""Answers PyGithub does not turn into a GithubException, through `bumper run-once --json`.

A 301 to another host, a ``Link: next`` pointing at another host, a GraphQL 200 with no body:
PyGithub raises RuntimeError, AssertionError or TypeError for those. Each must fail only the
entry it hit, with a message a person can act on (never the URL's token or a traceback); the
other entries go on and the JSON report of what was written is printed, exit 1, never 3.
"""

from __future__ import annotations

from faults.conftest import PR_BRANCH, TARGET, InProcess, Run, World

ELSEWHERE = "http://elsewhere.invalid:9"


def _push_to_fork(world: World) -> None:
    """Branches in the fork bot/app: closed PRs are then looked up through the REST listing."""
    world.store.fork(TARGET, "bot")
    text = world.config.read_text(encoding="utf-8")
    world.config.write_text(
        text.replace(f"  repository: {TARGET}\n", f"  repository: {TARGET}\n  push_to: bot\n"),
        encoding="utf-8",
    )


def _only_lib_failed(world: World, run: Run, call: str) -> str:
    """The pass went on past LIB_VERSION's odd answer: its message names ``call`` and says
    what was odd, never where it pointed; the report is printed, exit 1. Its message."""
    assert run.code == 1, run.describe()
    assert "Traceback" not in run.err, run.describe()
    world.check_no_token(run)
    results = run.results
    assert run.failed == {"LIB_VERSION"}, run.describe()
    message = str(results["LIB_VERSION"]["message"])
    assert call in message and "another host" in message, message
    assert "elsewhere.invalid" not in message
    assert results["TOOL_VERSION"]["status"] == "bumped", run.describe()
    assert results["CORE_VERSION"]["status"] == "up-to-date", run.describe()
    return message


def test_a_redirect_to_another_host_on_a_write_fails_that_entry_only(
    world: World, run: InProcess
) -> None:
    for variable in ("LIB_VERSION", "TOOL_VERSION"):
        world.advance(variable)
    # the branch and its PR are one GraphQL document (a mutation)
    location = f"{ELSEWHERE}/api/graphql?access_token=leak"
    world.sb.add_fault(
        r"^/api/graphql$", "POST", 301, times=1, headers={"Location": location}, graphql="mutation"
    )
    message = _only_lib_failed(world, run(), "open a PR from update/LIB_VERSION")
    assert "leak" not in message
    # what was written is what the report says: one PR, from TOOL_VERSION's branch
    assert [pr["head"]["ref"] for pr in world.pulls("open")] == [PR_BRANCH.format("TOOL_VERSION")]
    world.check_converged(run())


def test_a_next_page_on_another_host_fails_that_entry_only(world: World, run: InProcess) -> None:
    _push_to_fork(world)
    for variable in ("LIB_VERSION", "TOOL_VERSION"):
        world.advance(variable)
    link = f'<{ELSEWHERE}/repos/{TARGET}/pulls?page=2>; rel="next"'
    world.sb.add_fault(r"/pulls$", "GET", 200, times=1, body="[]", headers={"Link": link})
    _only_lib_failed(world, run(), "list closed PRs from update/LIB_VERSION")


def test_a_graphql_answer_with_no_body_is_read_another_way(world: World, run: InProcess) -> None:
    for variable in ("LIB_VERSION", "TOOL_VERSION"):
        world.advance(variable)
    world.sb.add_fault(r"^/api/graphql$", "POST", 200, times=-1, body="")
    done = run()
    assert "Traceback" not in done.err, done.describe()
    assert done.code == 0, done.describe()
    statuses = {v: r["status"] for v, r in done.results.items()}
    assert statuses == {
        "LIB_VERSION": "bumped",
        "TOOL_VERSION": "bumped",
        "CORE_VERSION": "up-to-date",
    }, done.describe()
    world.check_converged(done)
