"""The map really draws, offline: land and sea pixels where they should be, pixel-sized points."""

from __future__ import annotations

import math
import textwrap
from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from dashboard import maps

from .harness import REPO_ROOT, assert_no_exception, goto_app, wait_for_app_idle

APP = """
import sys
sys.path.insert(0, {repo!r})
import pandas as pd
import streamlit as st
from dashboard import maps

style = st.query_params.get("style", "light")
point = pd.DataFrame({{"incident_id": ["X"], "date": ["2025-06-01"], "lat": [50.6], "lon": [1.1],
                      "route": ["English Channel"], "incident_type": ["dead or missing"], "people": [50],
                      "dead": [1], "missing": [0], "location": ["x"]}})
deck = maps.build_deck(maps.basemap_layers(style) + [maps.incident_point_layer(point, style)],
                       dict(lat=50.9, lon=1.5, zoom=8), style)
st.pydeck_chart(deck, height=600, on_select="rerun", key="map")
"""


def share(pixels: np.ndarray, rgb, tol: int = 6) -> float:
    return float((np.abs(pixels - np.array(rgb[:3])).max(axis=2) <= tol).mean())


def canvas_pixels(page) -> np.ndarray:
    canvas = page.locator("canvas").first
    canvas.wait_for(timeout=30_000)
    page.wait_for_timeout(3000)  # deck.gl draws on the next animation frames
    return np.asarray(Image.open(BytesIO(canvas.screenshot())).convert("RGB")).astype(int)


def project(lat: float, lon: float, view: dict, width: int, height: int) -> tuple[int, int]:
    """Web Mercator, as deck.gl's MapView: pixel (x, y) of a point in a canvas centred on view."""
    size = 512 * 2 ** view["zoom"]

    def xy(la: float, lo: float) -> tuple[float, float]:
        phi = math.radians(la)
        return (lo + 180) / 360 * size, (1 - math.log(math.tan(math.pi / 4 + phi / 2)) / math.pi) / 2 * size

    cx, cy = xy(view["lat"], view["lon"])
    px, py = xy(lat, lon)
    return round(width / 2 + px - cx), round(height / 2 + py - cy)


@pytest.mark.parametrize("style", ["light", "dark"])
def test_basemap_land_sea_and_pixel_sized_points(page, start_app, tmp_path, style):
    script = tmp_path / "map_app.py"
    script.write_text(textwrap.dedent(APP.format(repo=str(REPO_ROOT))))
    server = start_app(script=script)
    goto_app(page, server.base_url, "/", {"style": style})
    pixels = canvas_pixels(page)
    colours = maps.STYLES[style]
    assert share(pixels, colours["land"]) > 0.15, f"{style}: no land drawn"
    assert share(pixels, colours["sea"]) > 0.15, f"{style}: no sea drawn"
    # A ~5 px dot (50 people) is ~90 px²; in broken units it would cover a large part of the map.
    dot = share(pixels, maps.TYPE_COLOURS["dead or missing"], tol=30) * pixels.shape[0] * pixels.shape[1]
    assert 10 < dot < 400, f"{style}: point covers {dot:.0f} px"


def test_map_page_draws_land_where_the_coast_is(page, base_url):
    """On the app's own Map page: France is land, the Bay of Biscay is sea (routes off)."""
    goto_app(page, base_url, "/map")
    assert_no_exception(page)
    for layer in ("Incidents", "Routes"):  # layers off, by keyboard: the bare basemap
        page.get_by_role("switch", name=layer, exact=True).focus()
        page.keyboard.press("Space")
        wait_for_app_idle(page)
    page.wait_for_timeout(1500)
    pixels = canvas_pixels(page)
    h, w = pixels.shape[:2]
    colours = maps.STYLES["light"]
    for name, lat, lon, expected in [
        ("central France", 46.8, 2.4, "land"),
        ("Bay of Biscay", 45.5, -4.5, "sea"),
        ("Sahara", 26.0, 5.0, "land"),
        ("Tyrrhenian Sea", 40.0, 12.0, "sea"),
    ]:
        x, y = project(lat, lon, maps.VIEW_EUROPE, w, h)
        patch = pixels[y - 3 : y + 4, x - 3 : x + 4].reshape(-1, 3)
        assert (np.abs(patch - np.array(colours[expected][:3])).max(axis=1) <= 8).mean() > 0.8, (
            f"{name} ({lat}, {lon}) at pixel {x},{y} is not {expected}: {patch[len(patch) // 2]}"
        )
