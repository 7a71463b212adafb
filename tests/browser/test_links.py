"""Links in the real browser (issue 12): the address bar always holds the whole view and reopens it after
a new import; page state (map focus and style) round trips through the address bar; the share link is
absolute; each tab is titled after its page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from .harness import REPO_ROOT, assert_no_exception, goto_app, screenshot, wait_for_app_idle


def kpis(page) -> list[str]:
    cards = page.locator('[data-testid="stMetricValue"]')
    expect(cards).to_have_count(8, timeout=30_000)
    return cards.all_inner_texts()


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_the_address_bar_reopens_the_same_numbers_after_a_new_import(browser, page, start_app, tmp_path):
    server = start_app(data_dir=tmp_path / "store")
    goto_app(page, server.base_url, "/")
    before = kpis(page)
    q = query(page)
    assert q["version"] == ["1"] and len(q["period"]) == 2 and q["compare"] == ["year"], page.url  # defaults too
    address = page.url
    csv = tmp_path / "crossings.csv"
    csv.write_text("date,route,people,boats,source,status\n2025-06-01,English Channel,999,9,P,final\n")
    env = {**os.environ, "TIDELINE_DATA_DIR": str(tmp_path / "store")}
    r = subprocess.run(
        [sys.executable, "-m", "dashboard", "ingest", str(csv)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "New data version: 2" in r.stdout, r.stderr
    fresh = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        other = fresh.new_page()
        goto_app(other, server.base_url, address[len(server.base_url) :])
        assert_no_exception(other)
        assert kpis(other) == before  # version 1's numbers, not version 2's
        assert query(other)["version"] == ["1"]
        expect(other.locator('[data-testid="stSidebar"]')).to_contain_text("1")
    finally:
        fresh.close()


def test_map_focus_and_style_round_trip_through_the_address_bar(browser, page, base_url):
    goto_app(page, base_url, "/map")
    page.get_by_role("radio", name="Dark").click()
    wait_for_app_idle(page)
    focus = page.locator('[data-testid="stSelectbox"]').filter(has_text="Focus")
    focus.click()
    page.get_by_role("option", name="English Channel").click()
    page.wait_for_url(re.compile(r"map\.focus=English\+Channel"))
    wait_for_app_idle(page)
    q = query(page)
    assert q["map.style"] == ["dark"] and q["map.focus"] == ["English Channel"] and q["view"] == ["1"]
    address = page.url
    fresh = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        other = fresh.new_page()
        goto_app(other, base_url, address[len(base_url) :])
        assert_no_exception(other)
        expect(other.get_by_role("combobox", name="Focus")).to_have_value("English Channel")
        expect(other.get_by_role("radio", name="Dark")).to_be_checked()
        expect(other.locator("canvas").first).to_be_visible()
        other.wait_for_timeout(2000)
        screenshot(other, "links_map_state_reopened")
    finally:
        fresh.close()


def test_the_share_link_is_absolute_and_tabs_are_titled_by_page(page, base_url):
    goto_app(page, base_url, "/operations", query={"route": ["English Channel"]})
    assert page.title() == "Operations · Tideline"
    page.get_by_role("button", name=re.compile("Share this view")).click()
    link = page.locator('[data-testid="stCode"] code').first.inner_text().strip()
    assert link.startswith(f"{base_url}/operations?period="), link
    assert "route=English+Channel" in link and "version=1" in link and "compare=year" in link
    goto_app(page, base_url, "/map")
    assert page.title() == "Map · Tideline"
