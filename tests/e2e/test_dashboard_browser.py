"""The dashboard in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium, against `uvicorn` over the warehouse built from
the sample sessions.

Without Chromium these tests skip and say why; CI sets ACHILLES_REQUIRE_BROWSER=1,
which turns the skip into a failure. Screenshots of every page go to
$ACHILLES_TEST_ARTIFACTS (default: test-artifacts/dashboard, git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ACHILLES_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("ACHILLES_CHROMEDRIVER", "/usr/bin/chromedriver"))
ARTIFACTS = Path(os.environ.get("ACHILLES_TEST_ARTIFACTS", ROOT / "test-artifacts" / "dashboard"))
PAGES = {
    "overview": "/ui",
    "sessions": "/ui/sessions",
    "session-timeline": "/ui/sessions/sample-breakfix",
    # prompts, LLM calls and the tokens-and-cost chart
    "session-with-llm-calls": "/ui/sessions/sample-refactor-1",
    "clusters": "/ui/clusters",
    "agents": "/ui/agents",
    "incidents": "/ui/incidents",
}
WAIT_S = 20


def _missing_browser() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} not found: apt-get install -y chromium chromium-driver"
    return None


_PROBLEM = _missing_browser()
# Skip before any fixture runs (the warehouse build would be wasted), unless CI asks.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        _PROBLEM is not None and os.environ.get("ACHILLES_REQUIRE_BROWSER") != "1",
        reason=f"no browser for the dashboard tests: {_PROBLEM}",
    ),
]


@pytest.fixture(scope="module")
def server(built) -> Iterator[str]:
    from achilles.server import ServerProcess

    with ServerProcess(built.settings.data_dir) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    problem = _missing_browser()
    if problem:
        if os.environ.get("ACHILLES_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ACHILLES_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(f"no browser for the dashboard tests: {problem}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="achilles-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def signed_in(browser, server):
    """Signs in through the login page, as a person would."""
    from selenium.webdriver.common.by import By

    browser.get(server + "/ui")
    assert "/ui/login" in browser.current_url
    browser.find_element(By.ID, "key").send_keys("dev-key")
    browser.find_element(By.ID, "sign-in").click()
    _wait(browser, lambda d: d.current_url.rstrip("/") == server + "/ui")
    browser.get_log("browser")  # start the console checks from here
    return browser


def _wait(driver, condition) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_S).until(condition)


def _open(driver, url: str) -> None:
    """Load a page and wait until every chart on it is drawn."""
    driver.get(url)
    _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    _wait(
        driver,
        lambda d: d.execute_script(
            "return [...document.querySelectorAll('[data-figure]')]"
            ".every(el => el.getAttribute('data-drawn') === 'true')"
        ),
    )


def _screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height + 40, 700), 4000))
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    print(f"screenshot: {path}")
    return path


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_loads_without_console_errors(signed_in, server, name):
    _open(signed_in, server + PAGES[name])
    assert "/ui/login" not in signed_in.current_url
    errors = [e for e in signed_in.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors
    assert _screenshot(signed_in, name).stat().st_size > 10_000


def _published(built, sql: str, params: list) -> list[tuple]:
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_the_timeline_shows_the_sessions_edits_and_red_runs(signed_in, server, built):
    session = next(s for s in built.sessions if s["start"]["session_id"] == "sample-breakfix")
    edits = [e for e in session["events"] if e["event_type"] == "agent_action"]
    red = [
        e for e in session["events"] if e["event_type"] == "test_run" and e["status"] == "failed"
    ]
    green = [
        e for e in session["events"] if e["event_type"] == "test_run" and e["status"] == "passed"
    ]
    (links,) = _published(
        built,
        "select count(*) from event_correlations where project_id = 'default' "
        "and session_id = ? and attribution_rank = 1 and method in ('time_window', 'change_set')",
        ["sample-breakfix"],
    )[0]
    assert links > 0
    _open(signed_in, server + "/ui/sessions/sample-breakfix")
    drawn = signed_in.execute_script(
        "const gd = document.getElementById('timeline');"
        "return JSON.stringify({traces: gd.data.map(t => [t.name, t.x.length]),"
        " arrows: (gd.layout.annotations || []).length,"
        " points: gd.querySelectorAll('.scatterlayer .point').length,"
        " lanes: gd.layout.yaxis.ticktext})"
    )
    drawn = json.loads(drawn)
    traces = dict(drawn["traces"])
    assert traces["edit"] == len(edits)
    assert traces["run failed"] == len(red)
    assert traces["run passed"] == len(green)
    # every edit and run is an SVG mark on the page, not only data
    assert drawn["points"] >= len(edits) + len(red) + len(green)
    assert "edit pkg/cache/lru.go" in drawn["lanes"]
    assert drawn["arrows"] == links
    red_color = signed_in.execute_script(
        "return document.getElementById('timeline').data"
        ".find(t => t.name === 'run failed').marker.color"
    )
    assert red_color.lower() == "#d6453d"


def test_a_filter_narrows_the_session_list(signed_in, server, built):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(signed_in, server + "/ui/sessions")
    rows = signed_in.find_elements(By.CSS_SELECTOR, "#sessions tbody tr[data-session]")
    assert len(rows) == len(built.sessions)
    Select(signed_in.find_element(By.ID, "filter-agent")).select_by_value("codex")
    _wait(signed_in, lambda d: "agent=codex" in d.current_url)
    _open(signed_in, signed_in.current_url)
    rows = signed_in.find_elements(By.CSS_SELECTOR, "#sessions tbody tr[data-session]")
    expected = [s["start"]["session_id"] for s in built.sessions if s["start"]["agent"] == "codex"]
    assert [r.get_attribute("data-session") for r in rows] == expected
    assert signed_in.find_element(By.ID, "session-total").text == str(len(expected))
    _screenshot(signed_in, "sessions-filtered")
