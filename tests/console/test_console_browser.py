"""The console in a real browser: Playwright for Python driving Debian's Chromium headless (never a
downloaded browser build). One twin and one browser for the module; screenshots of each page are saved under
the run's temporary folder (`console-screenshots*`), and with CONSOLE_README_SCREENSHOT=1 the execution page
is also written to docs/images/console-execution.png for the README.

Every page is checked with axe-core (vendored in tests/console/vendor) for WCAG 2 A/AA rules: colour contrast,
labelled controls, names of buttons and links.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.console.twin_runs import MissingTable, wait_done
from workflow.config import REPO_ROOT
from workflow.console.app import ConsoleApp
from workflow.console.sources import for_twin
from workflow.twin.endpoint import ServerThread
from workflow.twin.twin import Twin

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (apt-get install chromium)"
    ),
]
SAMPLES = REPO_ROOT / "sample_data"
DASH = "\N{EN DASH}"  # the pages write row ranges as 2\N{EN DASH}21
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTH = 1280


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    with Twin.ephemeral() as running:
        yield running


@pytest.fixture(scope="module")
def console_url(twin: Twin) -> Iterator[str]:
    app = ConsoleApp(for_twin(twin))
    server = ServerThread(app, "127.0.0.1", 0, name="console").start()
    yield server.url
    app.close()
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    folder = tmp_path_factory.mktemp("console-screenshots")

    def save(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


def accessible(page: Any) -> None:
    """axe-core finds no WCAG 2 A/AA violation on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    problems = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert not problems, problems


def held_writer(twin: Twin, release: threading.Event) -> Callable[[Any, Any], Any]:
    """The real writer, once `release` is set (30 s at most): the execution stays RUNNING until the test has
    watched it run, however slowly the page comes up."""
    real = twin.runtime.handler(twin.config.function("writer"))  # type: ignore[union-attr]

    def handler(event: Any, context: Any) -> Any:
        release.wait(30)
        return real(event, context)

    return handler


def node_status(page: Any, node: str) -> str:
    return str(page.evaluate(f"() => window.consoleGraph.getElementById({node!r}).data('status')"))


def test_upload_through_files_page_watch_it_succeed_then_the_map_run(
    twin: Twin, console_url: str, page: Any, shots: Callable[[Any, str], Path]
) -> None:
    release = threading.Event()
    twin.runtime.overrides["writer"] = held_writer(twin, release)  # type: ignore[union-attr]
    try:
        page.goto(console_url + "/files")
        page.wait_for_selector("#files table")
        accessible(page)
        page.evaluate("() => { window.__sameDocument = true; }")
        page.set_input_files("#upload", str(SAMPLES / "data.csv"))
        page.wait_for_url("**/executions/**")
        page.wait_for_selector("#states button[data-node='ProcessRows/Enqueue'][data-status='running']")
        assert page.locator("#exec-status .badge").inner_text() == "RUNNING"
        shots(page, "execution-running")
        release.set()
        done = "#states button[data-node='Summarize'][data-status='succeeded']"
        page.wait_for_selector(done, timeout=30_000)
    finally:
        release.set()
        twin.runtime.overrides.clear()  # type: ignore[union-attr]
    assert page.evaluate("() => window.__sameDocument") is True, "the page updated without a reload"
    assert node_status(page, "Summarize") == "succeeded" and node_status(page, "ProcessRows") == "succeeded"
    page.wait_for_selector("#exec-status .badge.SUCCEEDED")
    page.click("#states button[data-node='ProcessRows/Transform']")
    page.wait_for_selector("#details .logs")
    assert "START RequestId" in page.locator("#details .logs").first.inner_text()
    accessible(page)
    path = shots(page, "execution")
    if os.environ.get("CONSOLE_README_SCREENSHOT") == "1":
        page.set_viewport_size({"width": WIDTH, "height": 1200})
        page.evaluate(
            "() => { window.scrollTo(0, 0); window.consoleGraph.fit(undefined, 20);"
            " document.getElementById('toast').replaceChildren(); }"
        )
        page.screenshot(path=str(REPO_ROOT / "docs/images/console-execution.png"))
        page.set_viewport_size({"width": WIDTH, "height": 900})
    assert path.stat().st_size > 10_000

    # keyboard: the tabs move with the arrow keys, a table row opens its state with Enter
    page.focus("#tab-graph")
    page.keyboard.press("ArrowRight")
    assert page.locator("#tab-table").get_attribute("aria-selected") == "true"
    page.wait_for_selector("#panel-table .timeline span")
    shots(page, "execution-table")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#events table tbody tr")
    page.fill("#event-type", "StateEntered")
    page.wait_for_function("() => document.querySelectorAll('#events tbody tr').length === 5")
    entered = page.locator("#events tbody tr").all_inner_texts()
    first_upload = ["Configure", "IsReplay", "RegisterObject", "ProcessRows", "Summarize"]
    assert [next(n for n in first_upload if n in row) for row in entered] == first_upload
    shots(page, "execution-events")

    page.click("#maprun-link")
    page.wait_for_selector("#maprun-counts")
    items = page.locator("#maprun-counts tbody tr").nth(0).locator("td")
    batches = page.locator("#maprun-counts tbody tr").nth(1).locator("td")
    assert items.nth(2).inner_text() == "20" and items.nth(6).inner_text() == "20", "20 rows succeeded"
    assert batches.nth(2).inner_text() == "1" and batches.nth(6).inner_text() == "1", "in 1 batch"
    page.wait_for_selector("#children tbody tr .badge.SUCCEEDED")
    assert f"2{DASH}21" in page.locator("#children tbody tr").first.inner_text()
    accessible(page)
    shots(page, "map-run")


def test_failed_batch_shows_the_real_cause_then_redrive_succeeds_the_same_execution(
    twin: Twin, console_url: str, page: Any, shots: Callable[[Any, str], Path]
) -> None:
    with MissingTable(twin) as table:
        twin.upload(SAMPLES / "data.csv", "incoming/broken.csv")
        arn = twin.execution_for_key("incoming/broken.csv")
        assert wait_done(twin, arn)["status"] == "FAILED"
        page.goto(console_url + "/executions/" + quote(arn, safe=""))
        page.wait_for_selector("#problem")
        assert page.locator("#failing-state").inner_text() == "ProcessRows"
        problem = page.locator("#problem").inner_text()
        assert "Writer.WriteFailed" in problem and "ResourceNotFound" in problem
        assert f"2{DASH}21 (20)" in problem
        assert node_status(page, "ProcessRows") == "failed"
        assert node_status(page, "ProcessRows/Enqueue") == "failed"
        accessible(page)
        shots(page, "execution-failed")
        page.locator("#problem a").first.click()  # the failed batch: its rows, error and cause
        page.wait_for_selector(f"text=Rows this batch carried (2{DASH}21, 20 rows)")
        assert "redrive the parent execution" in page.locator("#next-step").inner_text()
        shots(page, "batch-failed")
        page.go_back()
        page.wait_for_selector("#action-redrive")
        table.recreate()
    page.click("#action-redrive")
    page.wait_for_selector("dialog#confirm[open]")
    page.click("#confirm-ok")
    page.wait_for_selector("#exec-status .badge.SUCCEEDED", timeout=30_000)
    assert page.url.endswith(quote(arn, safe="")), "the same execution, redriven"
    page.wait_for_selector("#states button[data-node='Summarize'][data-status='succeeded']")
    assert "redrives" in page.locator("#header").inner_text()
    assert page.locator("#action-redrive").count() == 0, "no Redrive for a SUCCEEDED execution"
    page.wait_for_selector("#states button[data-node='ProcessRows/Enqueue'][data-status='succeeded']")
    shots(page, "execution-redriven")


def test_rejects_of_data_bad_msg_show_its_three_reasons(
    twin: Twin, console_url: str, page: Any, shots: Callable[[Any, str], Path]
) -> None:
    twin.upload(SAMPLES / "data_bad_msg.csv")
    wait_done(twin, twin.execution_for_key("incoming/data_bad_msg.csv"))
    page.goto(console_url + "/files")
    row = page.locator("#files tbody tr", has_text="incoming/data_bad_msg.csv")
    assert "SUCCEEDED" in row.inner_text()
    first = row.locator("a", has_text="first")
    assert first.count() == 1 and "/executions/arn%3Aaws%3Astates" in str(first.get_attribute("href"))
    shots(page, "files")
    row.locator("a", has_text="rejects").click()
    page.wait_for_selector("#rejects tbody tr")
    text = page.locator("#rejects tbody").inner_text()
    lines = [line.split("\t") for line in text.splitlines()]
    assert lines == [
        ["2", "timestamp", "not a number", "not_a_timestamp!"],
        ["2", "local_avg", "not a number", "not_a_number"],
        ["2", "remote_avg", "empty or missing", ""],
    ], "one problem per line, its value from the original column"
    page.fill("#rejects-q", "empty")
    page.wait_for_function("() => document.querySelectorAll('#rejects tbody tr').length === 1")
    accessible(page)
    shots(page, "rejects")
    page.goto(console_url + "/executions")
    page.wait_for_selector("#executions tbody tr")
    page.select_option("#exec-status", "SUCCEEDED")
    page.fill("#exec-q", "data_bad_msg")
    page.wait_for_function("() => document.querySelectorAll('#executions tbody .badge').length === 1")
    row = page.locator("#executions tbody tr").first.inner_text()
    assert "incoming/data_bad_msg.csv" in row and "SUCCEEDED" in row
    page.select_option("#exec-status", "FAILED")
    page.wait_for_selector("#executions tbody td >> text=No executions match.")
    page.fill("#exec-q", "")
    page.select_option("#exec-status", "")
    page.wait_for_function("() => document.querySelectorAll('#executions tbody .badge').length >= 1")
    accessible(page)
    shots(page, "executions")
