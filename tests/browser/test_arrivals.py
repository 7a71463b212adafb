"""Who arrives (issue 13) in the real browser: the page opens from a link naming a nationality by its ISO-3
code, the shared nationality filter is written back to the address bar by name, and the copied address
reopens the same numbers in a new tab."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from .harness import assert_no_exception, goto_app, screenshot, wait_for_app_idle

PERIOD = {"period": ["2025-01-01", "2025-12-31"]}


def metrics(page) -> list[str]:
    cards = page.locator('[data-testid="stMetricValue"]')
    expect(cards).to_have_count(4, timeout=30_000)
    return cards.all_inner_texts()


def test_a_link_with_an_iso3_nationality_opens_the_page_filtered(page, base_url):
    goto_app(page, base_url, "/arrivals", query={**PERIOD, "nationality": ["ALB"]})
    assert_no_exception(page)
    assert page.title() == "Who arrives · Tideline"
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Nationality")).to_contain_text("Albania")
    expect(page).to_have_url(re.compile(r"nationality=Albania"), timeout=30_000)  # the code written back as the name
    expect(page.locator(".js-plotly-plot")).to_have_count(5, timeout=30_000)
    assert all(v.strip() not in ("", "–") for v in metrics(page))
    page.wait_for_timeout(1500)
    screenshot(page, "arrivals_albania", full_page=True)


def test_choosing_a_nationality_round_trips_through_the_address_bar(browser, page, base_url):
    goto_app(page, base_url, "/arrivals", query=PERIOD)
    everyone = metrics(page)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Nationality")
    # The box sits below the fold of the sidebar: a click that scrolls to it closes the list it opens.
    box.scroll_into_view_if_needed()
    wait_for_app_idle(page)
    box.locator("input").click()
    page.get_by_role("option", name="Afghanistan", exact=True).click()
    page.keyboard.press("Escape")
    expect(box).to_contain_text("Afghanistan")
    expect(page).to_have_url(re.compile(r"nationality=Afghanistan"), timeout=30_000)
    wait_for_app_idle(page)
    afghans = metrics(page)
    assert afghans != everyone
    address = page.url
    assert parse_qs(urlsplit(address).query)["nationality"] == ["Afghanistan"]
    fresh = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        other = fresh.new_page()
        goto_app(other, base_url, address[len(base_url) :])
        assert_no_exception(other)
        assert metrics(other) == afghans
        screenshot(other, "arrivals_afghanistan_reopened")
    finally:
        fresh.close()
