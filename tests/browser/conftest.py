"""Fixtures for the real-browser tests; see harness.py for usage and the helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from . import harness
from .harness import AppServer, BrowserLog

BROWSER_TESTS = Path(__file__).resolve().parent


def _is_browser_test(item: pytest.Item) -> bool:
    return BROWSER_TESTS in Path(item.path).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: touch only those under tests/browser.
    missing = not harness.chromium_available()
    skip = pytest.mark.skip(reason=harness.missing_chromium_message())
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)
            if missing and not harness.browser_required():
                item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _is_browser_test(item) and harness.browser_required() and not harness.chromium_available():
        pytest.fail(
            harness.missing_chromium_message() + " (browser tests are mandatory: CI=true or "
            "TIDELINE_REQUIRE_BROWSER=1)",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)  # read by the page fixture's teardown
    if report.failed and report.when in {"setup", "call"} and _is_browser_test(item):
        for server in harness.running_servers():
            report.sections.append((f"streamlit server log {server.log_path} (tail)", server.log_tail(40)))
    return report


@pytest.fixture(scope="package")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app from the repo root on a free port, with a fresh (empty) data dir."""
    server = harness.start_app(tmp_path_factory.mktemp("tideline-data"))
    yield server
    server.stop()


@pytest.fixture(scope="package")
def base_url(app_server: AppServer) -> str:
    return app_server.base_url


@pytest.fixture
def start_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., AppServer]]:
    """Factory for an extra server: ``start_app(env={...}, data_dir=None, script=None)``.

    Use it as a context manager or not: whatever it started is stopped after the test.
    """
    started: list[AppServer] = []

    def _start(
        env: dict[str, str | None] | None = None,
        data_dir: Path | None = None,
        script: Path | None = None,
        timeout: float = 90,
        args: list[str] | None = None,
        port: int | None = None,
    ) -> AppServer:
        server = harness.start_app(
            data_dir or tmp_path_factory.mktemp("tideline-extra-data"),
            env=env,
            script=script,
            timeout=timeout,
            args=args,
            port=port,
        )
        started.append(server)
        return server

    yield _start
    for server in started:
        server.stop()


# "package" = all of tests/browser: Playwright's sync API refuses to start while another sync
# instance is running, so the browser must be gone before tests elsewhere start their own.
@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=harness.chromium_path(), headless=True, args=harness.CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(browser, browser_log: BrowserLog, request: pytest.FixtureRequest):
    """A fresh 1920x1080 page; fails the test at teardown if any request left the app."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(30_000)
    context.on("request", lambda req: browser_log.requests.append(req.url))

    def on_console(msg) -> None:
        if msg.type == "error":
            where = (msg.location or {}).get("url")
            browser_log.console_errors.append(f"{msg.text} [{where}]" if where else msg.text)

    def watch(pg) -> None:
        pg.on("websocket", lambda ws: browser_log.requests.append(ws.url))
        pg.on("pageerror", lambda err: browser_log.page_errors.append(str(err)))
        pg.on("console", on_console)

    context.on("page", watch)  # fires for new_page() too, before it returns
    pg = context.new_page()
    yield pg

    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            harness.screenshot(pg, "FAILED-" + re.sub(r"\W+", "_", request.node.nodeid))
        except Exception:  # a dead page must not hide the real failure
            pass
    context.close()
    harness.assert_only_app_requests(browser_log)
