"""The briefing on the big screen: slides by URL, arrow keys, auto-advance, marking, no filters."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .harness import assert_no_exception, goto_app, screenshot, wait_for_app_idle


def test_slides_by_url_keys_and_auto_advance(page, base_url, browser_log):
    goto_app(page, base_url, "/briefing", {"slide": "2"})
    assert_no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Slide 2 of 4")
    expect(page.locator("h1").first).to_have_text("Map")  # the default sequence: one view per page
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    assert page.get_by_text("OFFICIAL", exact=True).count() == 2
    expect(main).to_contain_text("Synthetic demo data — not real figures")
    page.wait_for_timeout(2500)  # the map paints
    screenshot(page, "briefing_slide_2")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"slide=3"))
    expect(page.locator("h1").first).to_have_text("Funding & resources")
    wait_for_app_idle(page)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=15_000)  # the burn-up chart
    page.wait_for_timeout(1000)
    screenshot(page, "briefing_slide_3")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(re.compile(r"slide=2"))
    goto_app(page, base_url, "/briefing", {"slide": "4", "auto": "5"})
    expect(page.locator("h1").first).to_have_text("Operations")
    page.wait_for_url(re.compile(r"slide=1"), timeout=15_000)  # wrapped round after ~5 s
    expect(page.locator("h1").first).to_have_text("Overview")
    assert not browser_log.page_errors, browser_log.page_errors


def test_manager_lists_the_sequence_and_offers_the_pack(page, base_url):
    goto_app(page, base_url, "/briefing")
    assert_no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("No saved views yet")
    expect(main).to_contain_text("1. Overview")
    page.get_by_role("button", name=re.compile("Prepare the briefing pack")).click()
    expect(page.get_by_role("button", name=re.compile("Download the pack"))).to_be_visible(timeout=30_000)
    screenshot(page, "briefing_manager")
