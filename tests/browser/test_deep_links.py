"""A shared link opened first on a fresh server: legacy pages/ mode answers that first run, so every
registered url path needs its launcher (pages/<path>.py). Each case starts its own server and opens
the link before anything else has run on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard import registry
from dashboard.store import Store

from .harness import assert_no_exception, goto_app, screenshot

CASES = [(p.link, {}) for p in registry.PAGES if p.launcher] + [
    ("/operations", {"route": ["English Channel"], "period": ["2025-01-01", "2025-12-31"]}),
    ("/map", {"region": ["Mediterranean"], "version": ["1"]}),
]


@pytest.fixture(scope="module")
def ready_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the demo data already loaded, so each fresh server starts quickly."""
    data_dir = tmp_path_factory.mktemp("deep-links")
    Store(data_dir).ensure_initialised()
    return data_dir


@pytest.mark.parametrize(("path", "query"), CASES, ids=[f"{p}{'?' + '&'.join(q) if q else ''}" for p, q in CASES])
def test_deep_link_is_the_first_request_on_a_fresh_server(page, start_app, ready_data, path, query):
    server = start_app(data_dir=ready_data)
    goto_app(page, server.base_url, path, query=query)  # fails on Streamlit's "Page not found" dialog
    assert_no_exception(page)
    expected = registry.page(path.strip("/"))
    expect(page.locator("h1").first).to_have_text(expected.title)
    assert page.url.split("?")[0].rstrip("/").endswith(path.rstrip("/")), page.url
    sidebar = page.locator('[data-testid="stSidebar"]')
    for key, wanted in query.items():
        if key in {"route", "region"}:
            expect(sidebar).to_contain_text(wanted[0])
    if expected.url_path == "map":
        expect(page.locator("canvas").first).to_be_visible()
        page.wait_for_timeout(2000)  # deck.gl paints after the script run
    if query.get("period"):
        expect(page.locator('[data-testid="stApp"]')).to_contain_text("1 Jan – 31 Dec 2025")
    screenshot(page, "deep_link_first" + path.replace("/", "_") + ("_query" if query else ""))
