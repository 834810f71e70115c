"""The status page in a real browser: headless Chromium (Debian's) loads it from a running daemon.

Checks what a person sees: one row per matrix entry, PR links that open the PR, why an entry
is held, and the last error. Run with BUMPER_UPDATE_SCREENSHOT=1 to refresh
docs/status-page.png (the README's screenshot).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import NEVER, Daemons, Served, config_yaml, demo_matrix

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "status-page.png"
# Long, as real hold reasons are, with an unbroken URL that used to squeeze columns.
HOLD = (
    "piper's C API changed; the Go wrapper needs updating first, see "
    "https://github.com/acme/inference/issues/4242#issuecomment-1234567890abcdef and the "
    "upstream discussion; re-enable once the wrapper builds against the new header"
)


def _browser_missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return None
    install = "apt-get install chromium chromium-driver; pip install selenium"
    return f"needs {', '.join(missing)}: {install}"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    reason = _browser_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test; {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--window-size=1500,900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    # An explicit driver path: Selenium Manager never looks anything up or downloads.
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def served_demo(tmp_path: Path) -> Iterator[tuple[Served, Any]]:
    """A daemon that has run one pass on the demo sandbox: bumped, up to date, failed, held."""
    from bumper.sandbox.app import Sandbox

    with Sandbox(seed="demo") as sandbox, Daemons(tmp_path) as daemons:
        matrix = demo_matrix(held={"PIPER_VERSION": HOLD}).replace(
            "branch: master\n    file: backend/go/whisper/Makefile",
            "branch: no-such-branch\n    file: backend/go/whisper/Makefile",
        )
        text = config_yaml(sandbox.url, schedule=f'cron: "{NEVER}"', matrix=matrix)
        text = text.replace(
            "  token_env:",
            "  seconds_between_requests: 0\n  seconds_between_writes: 0\n  token_env:",
        )
        served = daemons.start(text, "--run-now")
        served.wait_for_pass()
        yield served, sandbox


def _rows(browser: Any) -> list[dict[str, Any]]:
    """The entries table as a person reads it: header text -> cell, per row."""
    from selenium.webdriver.common.by import By

    table = browser.find_element(By.ID, "entries")
    headers = [th.text.strip() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = []
    for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = tr.find_elements(By.TAG_NAME, "td")
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows


def _variable(row: dict[str, Any]) -> str:
    return str(row["Variable"].text.splitlines()[0])


def test_status_page_shows_every_entry_its_pr_hold_and_error(
    browser: Any, served_demo: tuple[Served, Any]
) -> None:
    from selenium.webdriver.common.by import By

    served, sandbox = served_demo
    status = served.status()
    expected = {e["variable"]: e for e in status["entries"]}

    browser.get(served.url + "/")
    assert browser.title == "bumper: acme/inference"
    rows = {_variable(r): r for r in _rows(browser)}

    # One row per entry, nothing else.
    assert sorted(rows) == sorted(expected)
    assert len(rows) == len(status["entries"]) == 5

    held = rows["PIPER_VERSION"]
    assert held["Status"].text.startswith("held")
    assert held["Held because"].text == HOLD

    failed = rows["WHISPER_CPP_VERSION"]
    assert failed["Status"].text.startswith("failed")
    error = failed["Last error"].text
    assert expected["WHISPER_CPP_VERSION"]["last_error"] in error
    assert "no-such-branch" in error
    assert "failing since" in error

    current = rows["STABLEDIFFUSION_GGML_VERSION"]
    assert current["Behind"].text == "up to date"
    assert current["PR"].text == ""

    bumped = rows["LLAMA_VERSION"]
    assert bumped["Status"].text.startswith("bumped")
    pinned, upstream = expected["LLAMA_VERSION"]["pinned"], expected["LLAMA_VERSION"]["upstream"]
    assert bumped["Pinned"].text == pinned[:12]
    assert bumped["Upstream head"].text == upstream[:12]
    assert bumped["Behind"].text == "3 commits"
    link = bumped["PR"].find_element(By.TAG_NAME, "a")
    number = expected["LLAMA_VERSION"]["pr"]
    assert link.text == f"#{number}"

    if os.environ.get("BUMPER_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        # The whole page: headless window size is the viewport, so grow it to fit.
        for _ in range(2):
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(1500, int(height) + 140)
        browser.save_screenshot(str(SCREENSHOT))

    # The PR link works: it opens the pull request's page on the (sandbox) GitHub.
    link.click()
    assert browser.current_url == expected["LLAMA_VERSION"]["pr_url"]
    assert browser.find_element(By.TAG_NAME, "h1").text == "acme/inference"
    answer = httpx.get(f"{sandbox.api_url}/repos/acme/inference/pulls/{number}", timeout=5)
    pull = answer.json()
    assert pull["state"] == "open" and pull["head"]["ref"].endswith("LLAMA_VERSION")


def test_every_column_stays_readable_at_1400_px_with_a_long_hold_reason(
    browser: Any, served_demo: tuple[Served, Any], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    served, _ = served_demo
    browser.set_window_size(1400, 900)
    browser.get(served.url + "/")
    widths = {
        th.text: th.size["width"]
        for th in browser.find_elements(By.CSS_SELECTOR, "#entries thead th")
    }
    assert min(widths.values()) >= 32, widths  # the narrowest holds a PR number
    assert widths["Last error"] >= 150 and widths["Held because"] >= 150, widths
    # and the table fits: nothing is cut off at the right
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{overflow} px cut off at the right"
    # no letter-by-letter wrapping: the long texts take a few lines, not one per letter
    rows = {_variable(r): r for r in _rows(browser)}
    assert rows["WHISPER_CPP_VERSION"]["Last error"].size["height"] < 400
    assert rows["PIPER_VERSION"]["Held because"].size["height"] < 400
    shot = tmp_path / "status-1400.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
