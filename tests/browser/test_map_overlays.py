"""What the Map draws over its data, in a real browser: the legend box over the map's corner (text,
keyboard), route direction arrows that paint where and which way they should, and place labels from
the committed places file, all offline (the ``page`` fixture fails on any request off the app)."""

from __future__ import annotations

import textwrap
from io import BytesIO

import numpy as np
from PIL import Image
from playwright.sync_api import expect

from dashboard import maps
from dashboard.schema import INCIDENT_TYPES, ROUTES

from .harness import REPO_ROOT, assert_no_exception, goto_app, screenshot, wait_for_app_idle
from .test_map_render import project

CHANNEL = maps.FOCUS_VIEWS["English Channel"]
DECK = '[data-testid="stDeckGlJsonChart"]'
LEGEND = ".st-key-map_legend"


def deck_pixels(page, settle_ms: int = 2500) -> np.ndarray:
    """The deck's pixels as shown (RGB); deck.gl draws on the animation frames after the script run."""
    canvas = page.locator(f"{DECK} canvas").first
    canvas.wait_for(timeout=30_000)
    page.wait_for_timeout(settle_ms)
    return np.asarray(Image.open(BytesIO(canvas.screenshot())).convert("RGB")).astype(int)


def settle(page) -> None:
    """Wait for the rerun an interaction started (as tests/browser/test_interactions.py does: restart the
    idle clock first, or wait_for_app_idle can return before the rerun has begun)."""
    page.evaluate("window.__tidelineIdleSince = undefined")
    wait_for_app_idle(page)


def flip(page, name: str) -> None:
    """Toggle a layer switch by keyboard and wait for the rerun."""
    switch = page.get_by_role("switch", name=name, exact=True)
    was = switch.is_checked()
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).to_be_checked(checked=not was)
    settle(page)


def choose_focus(page, focus: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Focus").locator("input")
    box.focus()
    page.keyboard.type(focus)
    page.keyboard.press("Enter")
    settle(page)


def inside(inner: dict, outer: dict) -> bool:
    return (
        outer["x"] <= inner["x"]
        and outer["y"] <= inner["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


# -- the legend -----------------------------------------------------------------------------------
def test_legend_is_a_text_box_over_the_map_that_follows_the_layers(page, base_url, browser_log):
    goto_app(page, base_url, "/map")
    deck = page.locator(DECK).first
    legend = page.locator(LEGEND)
    expect(deck.locator("canvas").first).to_be_visible()
    expect(legend).to_be_visible()
    canvas_box = deck.locator("canvas").first.bounding_box()
    box = legend.bounding_box()
    assert inside(box, canvas_box), f"legend {box} not over the map {canvas_box}"
    assert box["width"] < 0.3 * canvas_box["width"] and box["height"] < 0.75 * canvas_box["height"], box
    # As text, in lists: every route and incident type by name, the key to widths and sizes.
    items = legend.get_by_role("listitem")
    expect(items).to_have_count(len(ROUTES) + len(INCIDENT_TYPES))
    assert items.all_inner_texts() == list(ROUTES) + [t.capitalize() for t in INCIDENT_TYPES]
    expect(legend).to_contain_text("width = flow in the period")
    expect(legend).to_contain_text("size = people")
    assert page.locator(DECK).count() == 1 and page.locator(LEGEND).count() == 1

    # Keyboard: the legend folds away (to see the corner of the map) and back with Enter, and stays folded
    # when the map is drawn again.
    wait_for_app_idle(page, stable=1500)
    summary = legend.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(items.first).to_be_hidden(timeout=10_000)  # Streamlit animates the fold (slowly, headless)
    assert legend.bounding_box()["height"] < 60
    page.get_by_role("button", name="Zoom in").focus()
    page.keyboard.press("Enter")
    settle(page)
    expect(items.first).to_be_hidden()
    summary.focus()
    page.keyboard.press("Enter")
    expect(items.first).to_be_visible()

    flip(page, "Routes")  # only the incident types are left to explain
    expect(items).to_have_count(len(INCIDENT_TYPES))
    expect(legend).not_to_contain_text("Central Mediterranean")
    flip(page, "Incidents")  # nothing left to explain: no box
    expect(legend).to_have_count(0)
    flip(page, "Routes")
    expect(items).to_have_count(len(ROUTES))
    assert_no_exception(page)
    assert not browser_log.page_errors


def test_legend_reads_on_the_dark_style(page, base_url):
    goto_app(page, base_url, "/map")
    page.get_by_role("radio", name="Dark").click()
    settle(page)
    legend = page.locator(LEGEND)
    expect(legend.locator(".tl-legend.tl-dark")).to_be_attached()
    # Read at once: the "Legend" title's own light background must not fade out while its text is
    # already light (Streamlit's 150 ms transition, which a busy browser stretches to seconds: axe
    # once caught 1.09:1 in CI).
    colours = legend.evaluate(
        """e => [getComputedStyle(e).backgroundColor,
                 getComputedStyle(e.querySelector('li')).color,
                 getComputedStyle(e.querySelector('summary')).color,
                 getComputedStyle(e.querySelector('summary')).backgroundColor]"""
    )
    back, text, summary = ([float(x) for x in c[c.index("(") + 1 : -1].split(",")][:3] for c in colours[:3])
    assert sum(back) < 200 and sum(text) > 600 and sum(summary) > 600, colours  # light text on a dark box
    assert colours[3] == "rgba(0, 0, 0, 0)", colours  # the title shows the dark box through


# -- arrows ---------------------------------------------------------------------------------------
ARROW_APP = """
import sys
sys.path.insert(0, {repo!r})
import pandas as pd
import streamlit as st
from dashboard import maps

# Three straight routes, going east, west and north: one arrow each, half way along.
routes = pd.DataFrame({{
    "route": ["Atlantic (Canary Islands)", "Western Mediterranean", "Central Mediterranean"],
    "path": [[[-2.0, 37.5], [4.0, 37.5]], [[4.0, 41.5], [-2.0, 41.5]], [[9.0, 37.5], [9.0, 42.5]]],
    "people_or_flow": [1000.0, 1000.0, 1000.0],
}})
arrows = st.query_params.get("arrows", "1") == "1"
deck = maps.build_map_deck(routes=routes, view=dict(lat=40.0, lon=4.0, zoom=5), arrows=arrows, labels=False)
st.pydeck_chart(deck, height=600, key="map")
"""
ARROW_VIEW = dict(lat=40.0, lon=4.0, zoom=5)
ARROW_PATHS = {  # as in ARROW_APP
    "east": [[-2.0, 37.5], [4.0, 37.5]],
    "west": [[4.0, 41.5], [-2.0, 41.5]],
    "north": [[9.0, 37.5], [9.0, 42.5]],
}


def centred(mask: np.ndarray, size: int = 121) -> np.ndarray:
    """The mask's pixels moved so their centroid is the middle of a size x size square."""
    ys, xs = np.nonzero(mask)
    out = np.zeros((size, size), bool)
    out[ys - round(ys.mean()) + size // 2, xs - round(xs.mean()) + size // 2] = True
    return out


def turned(mask: np.ndarray, degrees: float) -> np.ndarray:
    """The mask turned counter-clockwise on screen (PIL's sense, and deck.gl's getAngle's)."""
    image = Image.fromarray(mask.astype(np.uint8) * 255).rotate(degrees, resample=Image.Resampling.NEAREST)
    return centred(np.asarray(image) > 127)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_arrows_paint_on_their_route_pointing_the_way_of_travel(page, start_app, tmp_path):
    """Each arrow paints where arrow_marks puts it, and looks like the eastward one turned by its angle,
    counter-clockwise: not turned the other way, not reversed (the glyph's head is only at one end)."""
    script = tmp_path / "arrow_app.py"
    script.write_text(textwrap.dedent(ARROW_APP.format(repo=str(REPO_ROOT))))
    server = start_app(script=script)
    goto_app(page, server.base_url, "/", {"arrows": "0"})
    bare = deck_pixels(page)
    goto_app(page, server.base_url, "/", {"arrows": "1"})
    drawn = deck_pixels(page)
    h, w = drawn.shape[:2]
    changed = np.abs(drawn - bare).max(axis=2) > 40
    size = maps.arrow_size_px(maps.route_width_px(1000, 1000))
    seen = np.zeros_like(changed)
    arrows = {}
    for name, path in ARROW_PATHS.items():
        ((lon, lat, angle),) = maps.arrow_marks(path, ARROW_VIEW["zoom"], size)
        x, y = project(lat, lon, ARROW_VIEW, w, h)
        r = round(size)
        window = np.zeros_like(changed)
        window[y - r : y + r + 1, x - r : x + r + 1] = True
        assert (changed & window).sum() > 100, f"{name}: no arrow painted at {x},{y}"
        seen |= window
        arrows[name] = (centred(changed & window), angle)
    assert changed[~seen].sum() < 20, "pixels changed away from the arrows"
    east = arrows["east"][0]
    for name, (mask, angle) in arrows.items():
        right, reversed_, mirrored = (iou(turned(east, a), mask) for a in (angle, angle + 180, -angle))
        assert right > 0.6, f"{name}: the arrow is not the eastward one turned by {angle}° ({right:.2f})"
        assert right > reversed_ + 0.15, f"{name}: the arrow points backwards ({right:.2f} vs {reversed_:.2f})"
        if angle % 180:
            assert right > mirrored + 0.15, f"{name}: turned clockwise ({right:.2f} vs {mirrored:.2f})"
    screenshot(page, "map_overlays_arrows")


# -- labels and the page at two screen sizes -------------------------------------------------------
def label_pixels(pixels: np.ndarray, place: str, view: dict) -> tuple[int, int]:
    """(dark text pixels, near-white halo pixels) in a place's label box on the light style."""
    h, w = pixels.shape[:2]
    p = next(p for p in maps.load_places() if p["name"] == place)
    x, y = project(p["lat"], p["lon"], view, w, h)
    wx, wy = (v * maps.TILE_PX * 2 ** view["zoom"] for v in maps._mercator(p["lon"], p["lat"]))
    left, top, right, bottom = maps.label_box(p, view["zoom"])  # world pixels: shift to the canvas
    box = pixels[round(top - wy + y) : round(bottom - wy + y), round(left - wx + x) : round(right - wx + x)]
    assert box.size, f"{place}'s label box is off the map"
    dark = int((box.max(axis=2) <= 90).sum())
    halo = int((box.min(axis=2) >= 245).sum())
    return dark, halo


def test_place_labels_paint_at_their_places_and_the_page_at_two_sizes(page, base_url, browser_log):
    goto_app(page, base_url, "/map")
    choose_focus(page, "English Channel")
    expect(page.locator('[data-testid="stMain"]')).to_contain_text(f"Zoom level {CHANNEL['zoom']:g}")
    for layer in ("Incidents", "Routes"):  # basemap and labels only: no dark casing, no white rings
        flip(page, layer)
    pixels = deck_pixels(page)
    legend = page.locator(LEGEND)
    expect(legend).to_have_count(0)
    for place in ("Calais", "Dover", "Dunkirk", "Boulogne-sur-Mer"):
        dark, halo = label_pixels(pixels, place, CHANNEL)
        assert dark > 25 and halo > 25, f"{place}: label not drawn ({dark} text px, {halo} halo px)"
    # Nowhere else is there text: the basemap alone has no near-black and no near-white pixels.
    assert (pixels.max(axis=2) <= 90).mean() < 0.01 and (pixels.min(axis=2) >= 245).mean() < 0.02

    for layer in ("Incidents", "Routes"):
        flip(page, layer)
    deck = page.locator(DECK).first
    deck.scroll_into_view_if_needed()
    deck_pixels(page, settle_ms=2000)
    assert inside(legend.bounding_box(), deck.bounding_box())
    screenshot(page, "map_overlays_1920_channel")
    choose_focus(page, "Europe & Mediterranean")
    deck.scroll_into_view_if_needed()
    deck_pixels(page, settle_ms=2000)
    screenshot(page, "map_overlays_1920")

    page.set_viewport_size({"width": 1366, "height": 768})
    wait_for_app_idle(page)
    deck.scroll_into_view_if_needed()
    deck_pixels(page, settle_ms=2000)
    box, canvas = legend.bounding_box(), deck.locator("canvas").first.bounding_box()
    assert inside(box, canvas) and box["width"] < 0.3 * canvas["width"], (box, canvas)
    screenshot(page, "map_overlays_1366")
    page.get_by_role("radio", name="Dark").click()
    settle(page)
    deck.scroll_into_view_if_needed()
    deck_pixels(page, settle_ms=2000)
    screenshot(page, "map_overlays_1366_dark")
    assert_no_exception(page)
    assert not browser_log.page_errors
    assert not [e for e in browser_log.console_errors if "Missing character" in e]


def test_no_glyph_is_missing_from_the_font_atlases(page, base_url):
    """deck.gl leaves out (and warns about) a character its atlas lacks: the arrow and every label's."""
    warnings: list[str] = []
    page.on("console", lambda msg: warnings.append(msg.text) if "Missing character" in msg.text else None)
    goto_app(page, base_url, "/map")
    choose_focus(page, "English Channel")
    deck_pixels(page)
    choose_focus(page, "Eastern Borders")  # "Kuźnica"
    deck_pixels(page)
    assert not warnings, warnings
    assert maps.ARROW_GLYPH in page.locator(LEGEND).inner_text()  # the legend's key is the same glyph
