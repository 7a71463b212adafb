"""The briefing on the big screen: slides by URL, arrow keys, auto-advance, marking, no filters."""

from __future__ import annotations

import re
from dataclasses import replace
from io import BytesIO

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from dashboard import maps, queries
from dashboard.saved_views import ViewStore
from dashboard.slides import build_slide, default_state
from dashboard.store import Store
from dashboard.ui.briefing import SLIDE_MAP_FIT_PX

from . import harness
from .harness import assert_no_exception, goto_app, screenshot, wait_for_app_idle
from .test_map_render import project


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


# -- one slide, one screen: every slide at a big screen's and a laptop's size ------------------------
SCREENS = [(1920, 1080), (1366, 768)]
DEFAULT_SLIDES = ["Overview", "Map", "Funding & resources", "Operations"]
CHANNEL_TITLE = "Channel crossings"

# Everything a slide shows, as boxes in the window, and how far the page scrolls (Streamlit scrolls stMain).
SLIDE_BOXES_JS = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const main = document.querySelector('[data-testid="stMain"]');
  const markings = Array.from(document.querySelectorAll('[data-testid="stMarkdownContainer"]'))
    .filter(e => e.innerText.trim() === 'OFFICIAL').map(e => box(e.querySelector('span') || e));
  const one = sel => { const e = document.querySelector(sel); return e ? box(e) : null; };
  const size = sel => { const e = document.querySelector(sel);
                        return e ? parseFloat(getComputedStyle(e).fontSize) : null; };
  const prev = document.querySelector('.st-key-brief_prev button');
  return {
    scroll: Math.max(document.scrollingElement.scrollHeight, main.scrollHeight),
    width: innerWidth, height: innerHeight, markings,
    parts: {nav: one('.st-key-brief_nav'), title: one('h1'), kpis: one('.st-key-brief_kpis'),
            chart: one('.st-key-brief_chart'), source: one('.st-key-brief_source p'), legend: one('.brief-legend')},
    prevCut: prev.scrollWidth > prev.clientWidth + 1,
    titlePx: size('.st-key-brief_chart .gtitle'), sourcePx: size('.st-key-brief_source p'),
  };
}"""


@pytest.fixture(scope="module")
def channel_server(tmp_path_factory: pytest.TempPathFactory):
    """The app with one saved view: the Map filtered to the English Channel, with a note."""
    data = tmp_path_factory.mktemp("tideline-channel")
    store = Store(data)
    store.ensure_initialised()
    state = replace(default_state(store), route=("English Channel",))
    ViewStore(data).add(CHANNEL_TITLE, "Small boats in the Channel: where they land", "map", state)
    server = harness.start_app(data)
    yield server
    server.stop()


def open_slide(page, url: str, n: int, title: str) -> None:
    goto_app(page, url, "/briefing", {"slide": str(n)})
    assert_no_exception(page)
    expect(page.locator("h1").first).to_have_text(title)
    chart = page.locator(".st-key-brief_chart")
    expect(chart.locator(".js-plotly-plot .main-svg, canvas").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)  # plotly re-lays out to its box; deck.gl paints on the next frames


def slide_problems(m: dict, name: str, wide: bool) -> list[str]:
    """What keeps a slide from being one screen, both markings in view, type readable across the room."""
    w, h = m["width"], m["height"]
    problems = []
    if m["scroll"] > h:
        problems.append(f"{name}: the page is {m['scroll']} px tall in a {h} px window (it scrolls)")
    if len(m["markings"]) != 2:
        problems.append(f"{name}: {len(m['markings'])} markings")
    boxes = [("marking", b) for b in m["markings"]] + [(k, b) for k, b in m["parts"].items() if b]
    for part, b in boxes:
        if b["top"] < 0 or b["bottom"] > h + 0.5 or b["left"] < 0 or b["right"] > w + 0.5:
            problems.append(f"{name}: {part} not inside the {w}x{h} window: {b}")
    parts = m["parts"]
    for part in ("nav", "title", "kpis", "chart", "source"):
        if parts[part] is None:
            problems.append(f"{name}: no {part}")
    if parts["chart"] and parts["source"] and parts["source"]["top"] < parts["chart"]["bottom"] - 0.5:
        problems.append(f"{name}: the source overlaps the chart")
    if parts["source"] and m["markings"] and parts["source"]["bottom"] > m["markings"][-1]["top"] + 0.5:
        problems.append(f"{name}: the source runs under the bottom marking")
    if parts["chart"] and parts["chart"]["bottom"] - parts["chart"]["top"] < (0.4 if wide else 0.35) * h:
        problems.append(f"{name}: the chart is only {parts['chart']['bottom'] - parts['chart']['top']:.0f} px tall")
    if m["prevCut"]:
        problems.append(f"{name}: the '◀ Previous' label is cut")
    title_min, source_min = (28, 18) if wide else (22, 15)
    if m["titlePx"] is not None and m["titlePx"] < title_min:
        problems.append(f"{name}: chart title {m['titlePx']} px (< {title_min})")
    if m["sourcePx"] is None or m["sourcePx"] < source_min:
        problems.append(f"{name}: source line {m['sourcePx']} px (< {source_min})")
    return problems


@pytest.mark.parametrize("screen", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_every_slide_is_one_screen_with_both_markings_in_view(page, base_url, channel_server, browser_log, screen):
    """The default briefing's four slides and a saved Channel map view: no scrolling, both markings, the
    navigation, title, KPIs, chart and source inside the window; titles and sources big enough for a room."""
    width, height = screen
    page.set_viewport_size({"width": width, "height": height})
    slides = [(base_url, n, title) for n, title in enumerate(DEFAULT_SLIDES, start=1)]
    slides.append((channel_server.base_url, 1, CHANNEL_TITLE))
    problems, heights = [], []
    for url, n, title in slides:
        open_slide(page, url, n, title)
        m = page.evaluate(SLIDE_BOXES_JS)
        heights.append(f"{title}: {m['scroll']:.0f}/{height}")
        problems += slide_problems(m, title, wide=width >= 1900)
        screenshot(page, f"briefing_fit_{width}x{height}_{n}_{title}")
    print(f"\nslide heights at {width}x{height}: " + "; ".join(heights))
    assert not problems, "\n".join(problems)
    assert not browser_log.page_errors, browser_log.page_errors


def incident_colour_mask(pixels: np.ndarray, tol: int = 30) -> np.ndarray:
    colours = np.array([c[:3] for c in maps.TYPE_COLOURS.values()])
    return (np.abs(pixels[:, :, None, :] - colours[None, None, :, :]).max(axis=3) <= tol).any(axis=2)


@pytest.mark.parametrize("screen", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_map_slide_is_fitted_to_the_views_data_with_a_legend(page, channel_server, screen):
    """A Channel-filtered map: its incidents and route fill the map (not a blob at the edge of Europe), at
    both screen sizes, and the legend names what is drawn."""
    width, height = screen
    page.set_viewport_size({"width": width, "height": height})
    open_slide(page, channel_server.base_url, 1, CHANNEL_TITLE)
    canvas = page.locator(".st-key-brief_chart canvas").first
    page.wait_for_timeout(1500)
    box = canvas.bounding_box()
    w, h = round(box["width"]), round(box["height"])

    store = Store(channel_server.data_dir)
    (view,) = ViewStore(store.data_dir).list()
    con = store.connect()
    try:
        state = build_slide(store, view).state
        kind, incidents = queries.map_incidents(con, state)
        routes = queries.routes_with_flows(con, state)
    finally:
        con.close()
    assert kind == "points" and set(routes["route"]) == {"English Channel"}
    fitted = maps.fit_view(incidents, routes, *SLIDE_MAP_FIT_PX)
    west, south, east, north = maps.data_bounds(incidents, routes)
    (x0, y0), (x1, y1) = project(north, west, fitted, w, h), project(south, east, fitted, w, h)
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, (x0, y0, x1, y1, w, h)  # the whole view on the map
    assert max((x1 - x0) / w, (y1 - y0) / h) > (0.5 if width < 1900 else 0.35), (x0, y0, x1, y1, w, h)

    pixels = np.asarray(Image.open(BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    mask = incident_colour_mask(pixels)
    inner = mask[max(y0 - 12, 0) : y1 + 12, max(x0 - 12, 0) : x1 + 12].sum()
    assert mask.sum() > 200 and inner / mask.sum() > 0.9, (int(mask.sum()), int(inner))  # drawn where expected

    legend = page.locator(".brief-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("English Channel")
    assert "Central Mediterranean" not in legend.inner_text()  # only what the map shows
    for t in sorted(set(incidents["incident_type"])):
        expect(legend).to_contain_text(t.capitalize())
    lb = legend.bounding_box()
    assert lb["y"] >= 0 and lb["y"] + lb["height"] <= height and lb["x"] + lb["width"] <= width
    screenshot(page, f"briefing_fit_channel_map_{width}x{height}")
