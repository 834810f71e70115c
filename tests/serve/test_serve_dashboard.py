"""`bumper serve` keeps the dashboard too: one issue, and scheduled passes that find nothing
new write nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from serving import Served
from test_daemon import demo_sandbox, sandbox_config, serve

__all__ = ["demo_sandbox", "serve"]  # fixtures


def _issues(sandbox: Any) -> list[dict[str, Any]]:
    url = f"{sandbox.api_url}/repos/acme/inference/issues?state=all&per_page=100"
    return [i for i in httpx.get(url, timeout=5).json() if "pull_request" not in i]


def test_serve_keeps_one_dashboard_and_quiet_passes_write_nothing(
    serve: Callable[..., Served], demo_sandbox: Any
) -> None:
    text = sandbox_config(demo_sandbox, schedule="interval_seconds: 0.5")
    served = serve(text + "dashboard: {title: Pins of acme}\n")
    first = served.wait_for_pass()
    assert first["last_pass"]["outcome"] == "ok", first["last_pass"]
    second = served.wait_for_pass(after=first["last_pass"]["id"])
    demo_sandbox.clear_requests()
    served.wait_for_pass(after=second["last_pass"]["id"])
    [issue] = _issues(demo_sandbox)
    assert issue["title"] == "Pins of acme" and issue["state"] == "open"
    assert "### Pull request open (3)" in issue["body"]
    writes = [
        r
        for r in demo_sandbox.requests()
        if r["method"] in ("POST", "PATCH", "PUT", "DELETE") and r.get("graphql") != "query"
    ]
    assert writes == []
