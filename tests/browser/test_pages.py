"""Every page in the real browser: renders, no exception, nothing leaves the host; filters
round-trip through the URL; the share link pins the version."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .harness import assert_no_exception, goto_app, screenshot, wait_for_app_idle

PAGES = {
    "/": "Overview",
    "/map": "Map",
    "/funding": "Funding & resources",
    "/operations": "Operations",
    "/data": "Data & sources",
}


def kpi_values(page) -> list[str]:
    cards = page.locator('[data-testid="stMetricValue"]')
    expect(cards).to_have_count(8, timeout=30_000)
    return cards.all_inner_texts()


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders(page, base_url, browser_log, path):
    goto_app(page, base_url, path)
    assert_no_exception(page)
    app = page.locator('[data-testid="stApp"]')
    expect(page.locator("h1").first).to_have_text(PAGES[path])
    expect(app).to_contain_text("Synthetic demo data")
    expect(app).to_contain_text("data version 1")
    assert page.get_by_text("OFFICIAL", exact=True).count() == 2  # top and bottom
    if path == "/map":
        expect(page.locator("canvas").first).to_be_visible()
        page.wait_for_timeout(3000)  # deck.gl paints after the script run
    if path == "/data":  # the tables lay out after the script run (a busy CI machine caught them 40 px wide)
        expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].slice(0, 2)
                     .every(g => g.getBoundingClientRect().width > 400)""",
            timeout=30_000,
        )
    screenshot(page, "page_" + (path.strip("/") or "overview"))
    assert not browser_log.page_errors, browser_log.page_errors
    assert not browser_log.unexpected_console_errors(), browser_log.unexpected_console_errors()


def test_filter_change_updates_url_and_the_url_reopens_the_same_view(browser, page, base_url):
    goto_app(page, base_url, "/")
    before = kpi_values(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
    page.get_by_role("option", name="Mediterranean").click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"region=Mediterranean"))
    # the filter changes the numbers: Channel arrivals drop out of a Mediterranean view
    expect(page.locator('[data-testid="stMetricValue"]').first).not_to_have_text(before[0], timeout=30_000)
    wait_for_app_idle(page)
    after = kpi_values(page)
    assert after[0] == "–" and after != before
    url = page.url
    fresh = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        other = fresh.new_page()
        goto_app(other, base_url, url[len(base_url) :])
        assert kpi_values(other) == after
        expect(other.locator('[data-testid="stSidebar"]')).to_contain_text("Mediterranean")
    finally:
        fresh.close()


def test_share_link_pins_the_version_and_every_filter(browser, page, base_url):
    goto_app(page, base_url, "/operations", query={"route": ["English Channel"]})
    page.get_by_role("button", name=re.compile("Share this view")).click()
    link = page.locator('[data-testid="stCode"] code').first.inner_text().strip()
    # An absolute link (item 3 of issue 12): on the browser's origin when TIDELINE_PUBLIC_URL is unset.
    assert link.startswith(f"{base_url}/operations?period=") and "route=English+Channel" in link
    assert "version=1" in link
    link = link.removeprefix(base_url)
    fresh = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        other = fresh.new_page()
        goto_app(other, base_url, link)
        assert_no_exception(other)
        expect(other.locator("h1").first).to_have_text("Operations")
        expect(other.locator('[data-testid="stSidebar"]')).to_contain_text("English Channel")
    finally:
        fresh.close()


def test_junk_link_shows_a_notice(page, base_url):
    goto_app(page, base_url, "/map", query={"region": ["Atlantis"], "version": ["99"]})
    assert_no_exception(page)
    expect(page.locator('[data-testid="stApp"]')).to_contain_text("unknown region ignored: 'Atlantis'")
    expect(page.locator('[data-testid="stApp"]')).to_contain_text("data version '99' not found")
