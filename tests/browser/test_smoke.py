"""Smoke test: the app starts, the home page renders, nothing leaves the host."""

from playwright.sync_api import expect

from .harness import assert_no_exception, goto_app, screenshot


def test_home_page_loads(page, base_url, browser_log):
    goto_app(page, base_url, "/")
    assert_no_exception(page)
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_contain_text("Tideline")
    expect(app).to_contain_text("OFFICIAL")
    screenshot(page, "smoke_home")
    assert not browser_log.page_errors, browser_log.page_errors
