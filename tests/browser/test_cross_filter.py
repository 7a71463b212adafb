"""Cross-filtering in the real browser (issue 12, item 16), as analysts know it from Grafana and Superset:
a click on a route's bar (Overview) or a region's bars (Operations) sets that shared filter, in the
sidebar, the caption and the address bar, and every page follows; a click on a map dot selects its row
in the table under the map."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from dashboard import maps

from .harness import assert_no_exception, goto_app, screenshot
from .test_interactions import (
    PERIOD,
    click_dot,
    map_canvas,
    period_query,
    project,
    quiet_window,
    scroll_to_centre,
    settle,
)

# Each bar of a chart with its customdata (the raw name a click filters by) and its box on the page.
BARS_JS = """(key) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const out = [];
  gd.querySelectorAll('g.trace.bars').forEach((trace) => {
    const t = trace.__data__[0].trace.index;  // d3 binds each trace's calcdata to its group
    trace.querySelectorAll('g.point').forEach((point) => {
      const r = point.getBoundingClientRect();
      out.push({trace: t, name: gd.data[t].customdata[point.__data__.i], x: r.x, y: r.y, width: r.width,
                height: r.height});
    });
  });
  return out;
}"""


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def bars(page, key: str) -> list[dict]:
    chart = page.locator(f".st-key-{key} .js-plotly-plot")
    expect(chart.locator("g.trace.bars g.point").first).to_be_visible(timeout=30_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    return [b for b in page.evaluate(BARS_JS, key) if b["width"] > 2 and b["height"] > 2]


def click_bar(page, bar: dict) -> None:
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    settle(page)


def test_a_click_on_a_route_bar_filters_every_page_to_that_route(page, base_url, browser_log):
    goto_app(page, base_url, "/", period_query(*PERIOD))
    main, sidebar = page.locator('[data-testid="stMain"]'), page.locator('[data-testid="stSidebar"]')
    expect(main).to_contain_text("Click a bar to show only that route")
    routes = bars(page, "overview_routes")
    assert len(routes) >= 4, routes
    bar = next(b for b in routes if b["name"] == "Central Mediterranean")
    click_bar(page, bar)

    expect(page).to_have_url(re.compile(r"route=Central\+Mediterranean"), timeout=30_000)
    q = query(page)
    assert q["route"] == ["Central Mediterranean"] and q["period"] == [d.isoformat() for d in PERIOD], page.url
    expect(sidebar.get_by_role("button", name=re.compile("Central Mediterranean"))).to_have_count(1)
    expect(main.locator('[data-testid="stCaptionContainer"]').first).to_contain_text("Central Mediterranean")
    after = bars(page, "overview_routes")
    assert [b["name"] for b in after] == ["Central Mediterranean"], after  # the chart follows its own filter
    screenshot(page, "cross_filter_overview_route")

    # Every page follows: the Operations page opens on the same route.
    page.get_by_role("link", name="Operations").click()
    expect(page.locator("h1").first).to_have_text("Operations", timeout=30_000)
    settle(page)
    assert query(page)["route"] == ["Central Mediterranean"], page.url
    assert_no_exception(page)
    assert not browser_log.page_errors, browser_log.page_errors


def test_a_click_on_a_regions_bars_filters_every_page_to_that_region(page, base_url, browser_log):
    goto_app(page, base_url, "/operations", period_query(*PERIOD))
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Click a bar to show only that region")
    regions = bars(page, "operations_outcomes")
    names = sorted({b["name"] for b in regions})
    assert len(names) >= 2, regions
    target = names[-1]
    click_bar(page, next(b for b in regions if b["name"] == target))

    expect(page).to_have_url(re.compile(r"region="), timeout=30_000)
    assert query(page)["region"] == [target], page.url
    after = {b["name"] for b in bars(page, "operations_outcomes")}
    assert after == {target}, after
    screenshot(page, "cross_filter_operations_region")
    assert_no_exception(page)
    assert not browser_log.page_errors, browser_log.page_errors


def test_a_click_on_a_map_dot_selects_its_row_in_the_table(page, base_url, browser_log):
    start, end, window = quiet_window()
    goto_app(page, base_url, "/map", period_query(start, end))
    canvas = map_canvas(page)
    scroll_to_centre(canvas)
    box = canvas.bounding_box()
    r = window.iloc[-1]
    x, y = project(r.lat, r.lon, maps.VIEW_EUROPE, round(box["width"]), round(box["height"]))
    heading = page.locator('[data-testid="stMain"]').get_by_text(re.compile(r"^Incident DEMO-INC-\d+"))
    page.mouse.move(box["x"] + x, box["y"] + y)  # as a user does: point at the dot, see its tooltip, click
    expect(page.locator(".deck-tooltip")).to_contain_text(r.location, timeout=20_000)
    click_dot(page, box["x"] + x, box["y"] + y, heading, f"Incident {r.incident_id}")

    table = page.get_by_role("tabpanel", name="Incidents").locator('[data-testid="stDataFrame"]')
    table.scroll_into_view_if_needed()
    selected = table.locator('[role="row"][aria-selected="true"]')
    expect(selected).to_have_count(1, timeout=30_000)
    expect(selected).to_contain_text(r.incident_id)
    screenshot(page, "cross_filter_map_row")
    assert_no_exception(page)
    assert not browser_log.page_errors, browser_log.page_errors
