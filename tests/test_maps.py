"""dashboard.maps: offline basemap, layers, deck JSON (no tiles, pixel units, payload) and one real render."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
import pytest
from shapely.geometry import Point, shape

from dashboard import maps
from dashboard.schema import INCIDENT_TYPES, ROUTES

REPO = Path(__file__).resolve().parents[1]

# Waypoints in the shape DuckDB returns DOUBLE[][] (numpy arrays), to prove they serialise.
ROUTES_FRAME = pd.DataFrame(
    {
        "route": ["English Channel", "Central Mediterranean", "Eastern Borders"],
        "region": ["UK & Channel", "Mediterranean", "Balkans & Eastern Europe"],
        "mode": ["sea", "sea", "land"],
        "path": [
            [np.array([1.9, 50.98]), np.array([1.35, 51.1])],
            [np.array([13.2, 32.9]), np.array([12.6, 35.5]), np.array([14.5, 37.0])],
            [np.array([27.6, 53.9]), np.array([21.0, 52.2])],
        ],
        "people_or_flow": [41472.0, 66000.0, float("nan")],
    }
)


def points_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """n incidents around the Channel, with the nullable columns partly null."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "incident_id": [f"INC-{i:05d}" for i in range(n)],
            "date": pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "lat": 50.9 + rng.normal(0, 0.2, n),
            "lon": 1.6 + rng.normal(0, 0.3, n),
            "route": "English Channel",
            "incident_type": [INCIDENT_TYPES[i % len(INCIDENT_TYPES)] for i in range(n)],
            "people": pd.array(
                [None if i % 7 == 0 else int(x) for i, x in enumerate(rng.integers(1, 90, n))], dtype="Int64"
            ),
            "dead": pd.array([1 if i % 5 == 4 else None for i in range(n)], dtype="Int64"),
            "missing": pd.array([None] * n, dtype="Int64"),
            "location": [f"Beach <b>{i}</b>" for i in range(n)],
        }
    )


CELLS_FRAME = pd.DataFrame(
    {
        "cell_lat": [50.75, 50.75, 35.25],
        "cell_lon": [1.75, 1.25, 12.75],
        "cell_size_deg": [0.5, 0.5, 0.5],
        "incidents": [120, 3, 40],
        "people": [4000, 60, 2500],
        "dead_missing": [2, 0, float("nan")],
    }
)


def strict_json(text: str):
    """Parse as the browser does: NaN and Infinity are errors."""

    def refuse(name):
        raise ValueError(f"non-JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def full_deck(n_points: int = 2000, style: str = "light"):
    return maps.build_map_deck(ROUTES_FRAME, points_frame(n_points), CELLS_FRAME, maps.VIEW_EUROPE, style)


# --- basemap -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def land():
    features = [f for f in maps.load_basemap()["features"] if f["properties"]["kind"] == "land"]
    assert len(features) == 1
    return shape(features[0]["geometry"])


@pytest.mark.parametrize(
    ("place", "lat", "lon", "is_land"),
    [
        ("London", 51.5, -0.12, True),
        ("Paris", 48.86, 2.35, True),
        ("Dover (inland)", 51.14, 1.28, True),
        ("Calais (inland)", 50.94, 1.86, True),
        ("Lampedusa", 35.51, 12.6, True),  # 1:10m tier: absent from 1:50m
        ("Tripoli (inland)", 32.85, 13.2, True),
        ("Las Palmas", 28.1, -15.43, True),
        ("Lesbos", 39.2, 26.3, True),
        ("mid-Channel", 50.5, 0.0, False),
        ("Strait of Dover", 51.0, 1.45, False),
        ("Ionian Sea", 36.0, 18.0, False),
        ("Atlantic off Mauritania", 20.0, -20.0, False),
    ],
)
def test_basemap_land_and_sea(land, place, lat, lon, is_land):
    assert land.contains(Point(lon, lat)) is is_land, place


def test_basemap_has_borders_and_is_small():
    kinds = [f["properties"]["kind"] for f in maps.load_basemap()["features"]]
    assert sorted(kinds) == ["border", "land"]
    # Sent to the browser on every render, so it must stay far below the 2 MB payload budget.
    assert maps.BASEMAP_PATH.stat().st_size < 600_000
    total = sum(p.stat().st_size for p in maps.BASEMAP_PATH.parent.iterdir())
    assert total < 3_000_000


def test_basemap_is_cached():
    assert maps.load_basemap() is maps.load_basemap()


# --- deck JSON: offline, compact, pixel units ----------------------------------------------------


@pytest.mark.parametrize("style", ["light", "dark"])
def test_deck_requests_no_tiles(style):
    deck = full_deck(50, style)
    text = deck.to_json()
    spec = strict_json(text)
    for needle in ("mapbox", "carto", "http", "maplibre", "tile"):
        assert needle not in text.lower(), needle
    assert deck.map_provider is None and "mapProvider" not in spec
    # Streamlit swaps an absent or None mapStyle for Carto tiles from the web; pydeck's sentinel
    # is the only value that makes it draw no basemap at all.
    assert spec["mapStyle"] == "__MAP_STYLE__"
    view = spec["views"][0]
    assert view["@@type"] == "MapView" and view["clear"] is True
    assert view["clearColor"] == maps.STYLES[style]["sea"]


def test_units_are_literal_pixels():
    # pydeck turns a plain string into an accessor ("@@=pixels"): deck.gl then sizes in common
    # units, which grow with 2**zoom (seen in the browser: 4 px points became 1,000 px discs).
    spec = strict_json(full_deck(20).to_json())
    units = {
        (layer["id"], key): value for layer in spec["layers"] for key, value in layer.items() if key.endswith("Units")
    }
    assert units, "no *Units props found"
    assert set(units.values()) == {"pixels"}, units


def test_layer_order_ids_and_types():
    spec = strict_json(full_deck(20).to_json())
    assert [(layer["id"], layer["@@type"]) for layer in spec["layers"]] == [
        ("basemap-land", "GeoJsonLayer"),
        ("basemap-borders", "GeoJsonLayer"),
        ("routes-casing", "PathLayer"),
        ("routes", "PathLayer"),
        ("incident_cells", "PolygonLayer"),
        ("routes-arrows", "TextLayer"),
        ("incidents", "ScatterplotLayer"),
        ("place-labels", "TextLayer"),
    ]


def test_land_fill_is_not_a_top_level_fill_colour():
    # Streamlit fades every layer's getFillColor while a selection is active; the land must not fade.
    land = maps.basemap_layers("dark")[0]
    spec = strict_json(land.to_json())
    assert "getFillColor" not in spec
    assert spec["_subLayerProps"]["polygons-fill"]["getFillColor"] == maps.STYLES["dark"]["land"]


def test_payload_of_2000_points_under_2mb():
    deck = full_deck(2000)
    size = maps.payload_bytes(deck)
    assert size == len(deck.to_json().encode())
    assert size < 2_000_000, size
    assert "\n" not in deck.to_json()[:1000]  # compact, not pydeck's indent=2
    assert strict_json(deck.to_json()) == json.loads(pdk.Deck.to_json(deck))  # same content as pydeck's


def test_tooltip_is_placeholders_only_and_every_pickable_row_fills_them():
    deck = full_deck(30)
    tip = deck._tooltip
    assert tip["html"] == "<b>{tip_title}</b><br/>{tip_body}"
    spec = strict_json(deck.to_json())
    pickable = [layer for layer in spec["layers"] if layer.get("pickable")]
    assert {layer["id"] for layer in pickable} == {"routes", "incident_cells", "incidents"}
    for layer in pickable:
        for row in layer["data"]:
            # A missing field would show as the literal text "{tip_body}" in Streamlit.
            assert isinstance(row["tip_title"], str) and row["tip_title"]
            assert isinstance(row["tip_body"], str)
    assert all(not layer.get("pickable") for layer in spec["layers"] if layer["id"].startswith(("basemap", "routes-")))


# --- layers --------------------------------------------------------------------------------------


def test_route_width_follows_flow_and_zero_flow_stays_visible():
    rows = {r["route"]: r for r in maps.route_layer(ROUTES_FRAME).data}
    assert rows["Central Mediterranean"]["width_px"] > rows["English Channel"]["width_px"] > 3
    no_flow = rows["Eastern Borders"]
    assert no_flow["width_px"] >= 2 and no_flow["colour"][3] < 255
    assert no_flow["tip_body"].endswith("No recorded flow in period")
    assert rows["English Channel"]["path"] == [[1.9, 50.98], [1.35, 51.1]]
    assert all(isinstance(x, float) for x in rows["English Channel"]["path"][0])


def test_incident_points_rows():
    frame = points_frame(10)
    frame.loc[3, "lat"] = np.nan  # cannot be drawn: dropped, not sent as NaN
    rows = maps.incident_point_layer(frame).data
    assert len(rows) == 9
    first = next(r for r in rows if r["incident_id"] == "INC-00001")
    assert first["date"] == frame.loc[1, "date"].date().isoformat()
    assert first["tip_title"].startswith("Arrival · ") and first["tip_title"][-4:] == "2025"
    assert first["colour"][:3] == maps.TYPE_COLOURS["arrival"]
    assert rows[-1]["incident_type"] == "dead or missing"  # deaths drawn on top
    assert maps.incident_radius_px(None) == 2.5 < maps.incident_radius_px(50) <= 8.0


def test_cells_are_squares_of_their_size_coloured_by_count():
    rows = {(r["cell_lat"], r["cell_lon"]): r for r in maps.incident_cell_layer(CELLS_FRAME).data}
    hot = rows[(50.75, 1.75)]
    assert hot["polygon"] == [[1.5, 50.5], [2.0, 50.5], [2.0, 51.0], [1.5, 51.0]]
    assert hot["colour"][:3] == maps.CIVIDIS[-1]
    assert sum(rows[(50.75, 1.25)]["colour"][:3]) < sum(hot["colour"][:3])  # fewer = darker
    assert "Dead or missing: –" in rows[(35.25, 12.75)]["tip_body"]


def test_empty_frames_give_empty_layers():
    empty = pd.DataFrame(columns=["route", "region", "mode", "path", "people_or_flow"])
    assert maps.route_layer(empty).data == []
    assert maps.incident_point_layer(points_frame(0)).data == []
    deck = maps.build_map_deck(routes=empty, view=maps.FOCUS_VIEWS["English Channel"])
    assert [layer.id for layer in deck.layers] == ["basemap-land", "basemap-borders", "place-labels"]


# --- colours and legends -------------------------------------------------------------------------


def _valid(rgb):
    return len(rgb) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in rgb)


def test_every_route_and_type_has_a_distinct_colour():
    assert set(maps.ROUTE_COLOURS) == set(ROUTES)
    assert set(maps.TYPE_COLOURS) == set(INCIDENT_TYPES)
    for palette in (maps.ROUTE_COLOURS, maps.TYPE_COLOURS):
        assert all(_valid(c) for c in palette.values())
        assert len({tuple(c) for c in palette.values()}) == len(palette)
        assert all(c in maps.OKABE_ITO.values() for c in palette.values())


@pytest.mark.parametrize("style", ["light", "dark"])
def test_route_colours_contrast_with_the_sea(style):
    sea = maps.STYLES[style]["sea"]
    for route in ROUTES:
        colour = maps.route_colour(route, style)
        assert sum(abs(a - b) for a, b in zip(colour, sea, strict=True)) > 120, (route, style)


def test_legend_items():
    routes = maps.legend_items("routes")
    assert [label for label, _ in routes] == list(ROUTES) and all(_valid(c) for _, c in routes)
    types = maps.legend_items("incident_types", "dark")
    assert [label for label, _ in types] == [t.capitalize() for t in INCIDENT_TYPES]
    cells = maps.legend_items("cells", max_count=400)
    assert [label for label, _ in cells] == ["1 incident", "20 incidents", "400 incidents"]
    assert cells[-1][1] == maps.CIVIDIS[-1]
    assert maps.to_hex([0, 114, 178]) == "#0072b2"
    with pytest.raises(ValueError):
        maps.legend_items("nope")


def test_module_does_not_import_streamlit():
    code = "import sys, dashboard.maps; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tooltips_drop_bidi_controls_and_wrap_long_values():
    frame = points_frame(3).assign(location="\u202egnp.exe\u202c Calais", route="\u2066English Channel\u2069")
    rows = maps.incident_point_layer(frame).data
    assert all(r["tip_body"].startswith("gnp.exe Calais\nEnglish Channel") for r in rows)
    routes = ROUTES_FRAME.assign(route="\u202eEnglish Channel")
    assert all(r["tip_title"] == "English Channel" for r in maps.route_layer(routes).data)
    long_rows = maps.incident_point_layer(frame.assign(location="W" * 5000)).data
    assert all(r["tip_body"].startswith("W" * 119 + "…\n") for r in long_rows)  # whole in the details panel
    style = maps.build_map_deck(points=frame)._tooltip["style"]
    assert style["maxWidth"] == "380px" and style["overflowWrap"] == "anywhere"


def test_a_focus_is_a_hollow_ring_on_top_with_a_tooltip():
    deck = maps.build_map_deck(points=points_frame(3), focus=(51.05, 1.6, "Op Kestrel · focus"))
    spec = strict_json(deck.to_json())
    top = spec["layers"][-1]
    assert top["id"] == "focus" and top["filled"] is False and top["stroked"] is True and top["pickable"]
    assert top["data"] == [
        {"lon": 1.6, "lat": 51.05, "tip_title": "Op Kestrel · focus", "tip_body": "Focus at 51.05, 1.60"}
    ]
    no_place = maps.build_map_deck(points=points_frame(3), focus=(float("nan"), 1.6, "x"))
    assert "focus" not in [layer["id"] for layer in strict_json(no_place.to_json())["layers"]]


# --- fitting a map to its data (maps.fit_view) ----------------------------------------------------


def pixel(lat: float, lon: float, view: dict, width: float, height: float) -> tuple[float, float]:
    """Where deck.gl's MapView draws (lat, lon) in a width x height canvas centred on `view` (Web Mercator)."""
    size = maps.TILE_PX * 2 ** view["zoom"]

    def xy(la: float, lo: float) -> tuple[float, float]:
        phi = np.radians(la)
        return (lo + 180) / 360 * size, (1 - np.log(np.tan(np.pi / 4 + phi / 2)) / np.pi) / 2 * size

    cx, cy = xy(view["lat"], view["lon"])
    px, py = xy(lat, lon)
    return width / 2 + px - cx, height / 2 + py - cy


def corners(bounds) -> list[tuple[float, float]]:
    west, south, east, north = bounds
    return [(south, west), (south, east), (north, west), (north, east)]


def inside(view: dict, bounds, width: float, height: float, margin: float = 0.0) -> bool:
    return all(
        margin - 0.5 <= x <= width - margin + 0.5 and margin - 0.5 <= y <= height - margin + 0.5
        for x, y in (pixel(la, lo, view, width, height) for la, lo in corners(bounds))
    )


def test_fit_view_of_nothing_is_the_europe_view():
    assert maps.fit_view(None, None, 1000, 400) == maps.VIEW_EUROPE
    empty = points_frame(0)
    assert maps.fit_view(empty, ROUTES_FRAME.iloc[:0], 1000, 400) == maps.VIEW_EUROPE
    nowhere = points_frame(3).assign(lat=[None, float("nan"), 95.0], lon=["x", 1.0, 1.0])
    assert maps.data_bounds(nowhere, None) is None  # missing, non-numeric and impossible positions skipped


@pytest.mark.parametrize(("width", "height"), [(1060, 400), (1594, 657), (1460, 640), (420, 900)])
def test_fit_view_shows_every_point_and_route_whole_and_fills_the_map(width, height):
    points, routes = points_frame(300, seed=3), ROUTES_FRAME.iloc[:1]  # the Channel's incidents and route
    view = maps.fit_view(points, routes, width, height)
    bounds = maps.data_bounds(points, routes)
    assert inside(view, bounds, width, height, margin=maps.FIT_PADDING_PX)
    # Tight: a tenth of a zoom step closer and the box no longer fits with its padding (or the zoom is capped).
    closer = {**view, "zoom": view["zoom"] + 0.1}
    assert view["zoom"] == maps.FIT_MAX_ZOOM or not inside(closer, bounds, width, height, maps.FIT_PADDING_PX)
    assert maps.MIN_ZOOM <= view["zoom"] <= maps.FIT_MAX_ZOOM
    assert set(view) == {"lat", "lon", "zoom"}


def test_fit_view_takes_in_the_routes_and_cells_extent():
    channel = maps.fit_view(points_frame(50), None, 1000, 400)
    with_routes = maps.fit_view(points_frame(50), ROUTES_FRAME, 1000, 400)  # Channel, Central Med, Belarus
    assert with_routes["zoom"] < channel["zoom"] - 2
    assert inside(with_routes, maps.data_bounds(None, ROUTES_FRAME), 1000, 400, maps.FIT_PADDING_PX)
    # A cell reaches half its size either side of its centre.
    assert maps.data_bounds(CELLS_FRAME, None) == (1.0, 35.0, 13.0, 51.0)
    half = maps.DEFAULT_CELL_DEG / 2  # a frame without cell_size_deg
    assert maps.data_bounds(CELLS_FRAME.drop(columns="cell_size_deg"), None) == pytest.approx(
        (1.25 - half, 35.25 - half, 12.75 + half, 50.75 + half)
    )


def test_fit_view_of_one_place_is_capped_and_zoom_clamped():
    one = points_frame(1).assign(lat=[51.0], lon=[1.5])
    assert maps.fit_view(one, None, 1000, 400) == {"lat": 51.0, "lon": 1.5, "zoom": maps.FIT_MAX_ZOOM}
    world = maps.fit_bounds((-179.0, -80.0, 179.0, 80.0), 300, 200)
    assert world["zoom"] == maps.MIN_ZOOM


def demo_route_boxes() -> dict[str, tuple[float, float, float, float]]:
    """Each demo route's waypoints and places (departures, arrivals) as a box."""
    from dashboard import demo

    boxes = {}
    for name, spec in demo.ROUTE_SPECS.items():
        lons = [p[0] for p in spec.path] + [p.lon for p in spec.departures + spec.arrivals]
        lats = [p[1] for p in spec.path] + [p.lat for p in spec.departures + spec.arrivals]
        boxes[name] = (min(lons), min(lats), max(lons), max(lats))
    return boxes


def test_europe_view_holds_the_whole_theatre_dakar_and_the_canaries_included():
    """The Map page's default view (its 1460x640 px map on a 1920x1080 screen) shows every route whole."""
    boxes = demo_route_boxes()
    for name, box in boxes.items():
        assert inside(maps.VIEW_EUROPE, box, 1460, 640, margin=8), name
    dakar = pixel(14.69, -17.45, maps.VIEW_EUROPE, 1460, 640)
    assert 0 < dakar[0] < 1460 and 0 < dakar[1] < 640 - 8


def test_each_focus_view_holds_its_routes_places():
    boxes = demo_route_boxes()
    for name, view in maps.FOCUS_VIEWS.items():
        if name in boxes:
            assert inside(view, boxes[name], 1460, 640), name


def test_pack_map_ranges_fit_the_data():
    from dashboard import plotly_map

    assert plotly_map.fitted_ranges(None) == (plotly_map.MAP_LON, plotly_map.MAP_LAT)
    (x0, x1), (y0, y1) = plotly_map.fitted_ranges(maps.data_bounds(points_frame(200), ROUTES_FRAME.iloc[:1]))
    assert x0 < 0.8 and x1 > 2.4 and y0 < 50.2 and y1 > 51.5  # the Channel's incidents with sea round them
    assert x1 - x0 < 6 and y1 - y0 < 4  # and not the theatre
    (x0, x1), (y0, y1) = plotly_map.fitted_ranges((1.5, 51.0, 1.5, 51.0))  # one place: its coasts around it
    assert x1 - x0 == pytest.approx(plotly_map.MIN_SPAN[0]) and y1 - y0 == pytest.approx(plotly_map.MIN_SPAN[1])


# --- direction arrows, place labels ----------------------------------------------------------------


def screen_direction(a: list[float], b: list[float]) -> tuple[float, float]:
    """Unit vector (east, north) of a segment as deck.gl draws it: straight in Web Mercator."""
    (x0, y0), (x1, y1) = maps._mercator(*a), maps._mercator(*b)
    dx, dy = x1 - x0, y0 - y1  # Mercator y points south
    n = math.hypot(dx, dy)
    return dx / n, dy / n


@pytest.mark.parametrize(
    ("path", "angle"),
    [
        ([[0.0, 0.0], [1.0, 0.0]], 0.0),  # east
        ([[0.0, 0.0], [0.0, 1.0]], 90.0),  # north
        ([[1.0, 0.0], [0.0, 0.0]], 180.0),  # west
        ([[0.0, 1.0], [0.0, 0.0]], -90.0),  # south
        ([[0.0, -0.5], [1.0, 0.5]], 45.0),  # north-east across the equator (Mercator is conformal)
    ],
)
def test_an_arrow_points_the_way_of_travel(path, angle):
    ((lon, lat, a),) = maps.arrow_marks(path, 7.0, 20)
    assert a == pytest.approx(angle, abs=0.2)
    assert lon == pytest.approx((path[0][0] + path[1][0]) / 2, abs=1e-3)  # one arrow: half way


@pytest.mark.parametrize("route", ["Central Mediterranean", "Eastern Mediterranean", "Western Balkans"])
@pytest.mark.parametrize("zoom", [4.0, 5.5, 7.0])
def test_arrows_lie_on_their_segment_and_point_along_it(route, zoom):
    from dashboard import demo

    path = [list(p) for p in demo.ROUTE_SPECS[route].path]
    marks = maps.arrow_marks(path, zoom, 20)
    assert marks
    for lon, lat, angle in marks:
        # The segment the arrow is on: where the arrow lies on the line from a to b (in Mercator).
        on = []
        for a, b in zip(path, path[1:], strict=False):
            (x0, y0), (x1, y1), (x, y) = maps._mercator(*a), maps._mercator(*b), maps._mercator(lon, lat)
            length = math.hypot(x1 - x0, y1 - y0)
            off = abs((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)) / length  # distance from the line
            t = ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / length**2
            if off < 1e-6 and -1e-6 <= t <= 1 + 1e-6:  # 1e-6 of the world: ~40 m, coordinates are rounded
                on.append((a, b))
        assert on, (lon, lat)
        east, north = screen_direction(*on[0])
        assert math.cos(math.radians(angle)) == pytest.approx(east, abs=0.01)
        assert math.sin(math.radians(angle)) == pytest.approx(north, abs=0.01)


def test_arrows_are_spaced_for_the_zoom_and_left_off_routes_too_short_to_carry_one():
    from dashboard import demo

    channel = [list(p) for p in demo.ROUTE_SPECS["English Channel"].path]
    atlantic = [list(p) for p in demo.ROUTE_SPECS["Atlantic (Canary Islands)"].path]
    assert maps.arrow_marks(channel, maps.VIEW_EUROPE["zoom"], 30) == []  # ~6 px long there: it would hide it
    assert len(maps.arrow_marks(channel, maps.FOCUS_VIEWS["English Channel"]["zoom"], 30)) == 1
    counts = [len(maps.arrow_marks(atlantic, z, 20)) for z in (3, 4, 5, 6)]
    assert counts == sorted(counts) and counts[0] >= 1 and counts[-1] > 4 * counts[0]  # ~one per 200 px
    assert maps.arrow_marks([[1.0, 50.0]], 8, 20) == maps.arrow_marks([], 8, 20) == []
    assert maps.arrow_marks([[1.0, 50.0], [float("nan"), 51.0], [1.0, 51.0]], 8, 20)  # a bad waypoint is skipped


def test_arrow_layer_follows_the_route_colours_in_pixels():
    view = maps.FOCUS_VIEWS["Central Mediterranean"]
    for style in ("light", "dark"):
        layer = maps.route_arrow_layer(ROUTES_FRAME, style, view)
        spec = strict_json(maps.build_deck([layer], maps.VIEW_EUROPE).to_json())["layers"][0]
        assert spec["@@type"] == "TextLayer" and spec["id"] == "routes-arrows" and not spec["pickable"]
        assert spec["sizeUnits"] == "pixels" and spec["characterSet"] == maps.ARROW_GLYPH  # not "@@=…"
        assert spec["fontSettings"]["sdf"] and spec["outlineWidth"] > 0
        assert spec["outlineColor"][:3] == maps.CASING_COLOUR  # the dark casing, as under the routes
        routes = {r["route"]: r for r in maps.route_layer(ROUTES_FRAME, style).data}
        by_colour = {tuple(r["colour"]): r for r in routes.values()}
        for row in layer.data:
            assert row["text"] == maps.ARROW_GLYPH
            route = by_colour.get(tuple(row["colour"])) or routes["Eastern Borders"]  # black drawn white
            assert row["size"] > route["width_px"] + maps.CASING_EXTRA_PX  # the head stands out of the casing
    wide = dict(lat=42, lon=15, zoom=4.5)
    light = {tuple(r["colour"][:3]) for r in maps.route_arrow_layer(ROUTES_FRAME, "light", wide).data}
    assert tuple(maps.route_colour("Central Mediterranean")) in light
    assert (255, 255, 255) in light and (0, 0, 0) not in light  # Eastern Borders: black on black would vanish
    faded = [r for r in maps.route_arrow_layer(ROUTES_FRAME, "light", wide).data if r["colour"][:3] == [255] * 3]
    assert faded and all(r["colour"][3] < 255 for r in faded)  # no flow: faded like its route


def test_places_file_is_valid_and_matches_its_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_places", REPO / "scripts" / "build_places.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert json.loads(maps.PLACES_PATH.read_text(encoding="utf-8")) == script.build()  # regenerated, not edited
    places = maps.load_places()
    names = [p["name"] for p in places]
    assert len(names) == len(set(names)) >= 40
    for must in ("Calais", "Dunkirk", "Dover", "Lampedusa", "Tripoli", "Sfax", "Lesbos", "Chios", "Samos", "Ceuta",
                 "Melilla", "Tangier", "Almería", "Lanzarote", "Gran Canaria", "Tenerife", "Nouadhibou", "Dakar",
                 "Istanbul", "Evros", "Brest"):  # fmt: skip
        assert must in names, must
    for p in places:
        assert p["rank"] in maps.RANK_MIN_ZOOM and p["placement"] in maps.PLACEMENTS, p
        assert -20 <= p["lon"] <= 30 and 14 <= p["lat"] <= 54, p  # the routes' theatre
        assert round(p["lon"], 2) == p["lon"] and round(p["lat"], 2) == p["lat"], p
    assert maps.load_places() is places


def test_islands_and_inland_places_are_on_the_basemap_land(land):
    for p in maps.load_places():
        if p["kind"] in ("island", "crossing"):
            assert land.contains(Point(p["lon"], p["lat"])), p["name"]
        else:  # ports, coasts, cities: on land or within a few km of the coast (1:50m generalisation)
            assert land.buffer(0.05).contains(Point(p["lon"], p["lat"])), p["name"]


def test_labels_by_zoom_never_overlap():
    europe = [p["name"] for p in maps.label_places(maps.VIEW_EUROPE["zoom"])]
    assert {"Calais", "Lampedusa", "Lesbos", "Ceuta", "Lanzarote", "Dakar", "Brest"} <= set(europe)
    assert "Chios" not in europe and "Gravelines" not in europe  # rank 2 and 3: not on the whole theatre
    channel = [p["name"] for p in maps.label_places(maps.FOCUS_VIEWS["English Channel"]["zoom"])]
    assert {"Calais", "Dover", "Dunkirk", "Boulogne-sur-Mer", "Folkestone"} <= set(channel)
    assert [p["name"] for p in maps.label_places(maps.LABELS_MIN_ZOOM - 0.1)] == []
    for zoom in (2.5, 2.7, 3.3, 4.6, 5.3, 5.6, 7.5, 9):
        kept = maps.label_places(zoom)
        assert [p["rank"] for p in kept] == sorted(p["rank"] for p in kept)  # better ranks placed first
        boxes = [maps.label_box(p, zoom) for p in kept]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not maps._overlap(a, b, 0), (zoom, a, b)
    # "N" sits above its place, "E" to its right
    dover = next(p for p in maps.load_places() if p["name"] == "Dover")
    x, y = (v * maps.TILE_PX * 2**8 for v in maps._mercator(dover["lon"], dover["lat"]))
    assert maps.label_box(dover, 8)[3] == pytest.approx(y - 4)
    assert maps.label_box({**dover, "placement": "E"}, 8)[0] == pytest.approx(x + 6)


@pytest.mark.parametrize("style", ["light", "dark"])
def test_place_label_layer(style):
    layer = maps.place_label_layer(style, maps.FOCUS_VIEWS["English Channel"]["zoom"])
    spec = strict_json(maps.build_deck([layer], maps.VIEW_EUROPE).to_json())["layers"][0]
    assert spec["@@type"] == "TextLayer" and spec["id"] == "place-labels" and not spec["pickable"]
    assert spec["characterSet"] == "auto"  # "Almería", "Kuźnica": outside deck.gl's default ASCII set
    assert spec["sizeUnits"] == "pixels" and spec["fontFamily"] == maps.LABEL_FONT and spec["fontSettings"]["sdf"]
    text, halo = maps.LABEL_COLOURS[style]
    assert spec["getColor"] == text and spec["outlineColor"] == halo and spec["outlineWidth"] > 0
    sea, land = maps.STYLES[style]["sea"], maps.STYLES[style]["land"]
    for ground in (sea, land):  # text and halo far apart, and the halo is the ground's side
        assert sum(abs(a - b) for a, b in zip(text, halo[:3], strict=True)) > 500
        assert sum(abs(a - b) for a, b in zip(halo[:3], ground, strict=True)) < sum(
            abs(a - b) for a, b in zip(text, ground, strict=True)
        )
    rows = {r["name"]: r for r in spec["data"]}
    assert rows["Calais"] == {
        "name": "Calais",
        "lon": 1.86,
        "lat": 50.95,
        "size": maps.LABEL_SIZE_PX[1],
        "anchor": "middle",
        "baseline": "top",
        "offset": [0, 4],
    }


def test_map_deck_draws_arrows_under_the_points_and_labels_over_them():
    deck = maps.build_map_deck(ROUTES_FRAME, points_frame(20), view=maps.FOCUS_VIEWS["Central Mediterranean"],
                               focus=(35.5, 12.6, "x"))  # fmt: skip
    ids = [layer.id for layer in deck.layers]
    assert ids[-6:] == ["routes-casing", "routes", "routes-arrows", "incidents", "place-labels", "focus"]
    arrows = deck.layers[ids.index("routes-arrows")].data
    assert arrows and all(-180 <= r["angle"] <= 180 for r in arrows)
    plain = maps.build_map_deck(ROUTES_FRAME, points_frame(20), arrows=False, labels=False)
    assert "routes-arrows" not in [x.id for x in plain.layers] and "place-labels" not in [x.id for x in plain.layers]
    overview = maps.build_map_deck(ROUTES_FRAME, view=dict(lat=41, lon=4, zoom=maps.LABELS_MIN_ZOOM - 0.5))
    assert "place-labels" not in [x.id for x in overview.layers]
    no_routes = maps.build_map_deck(points=points_frame(5), view=maps.FOCUS_VIEWS["English Channel"])
    assert "routes-arrows" not in [x.id for x in no_routes.layers]


def test_payload_with_arrows_and_labels_stays_small():
    for view in (maps.VIEW_EUROPE, maps.FOCUS_VIEWS["English Channel"], dict(lat=50.9, lon=1.5, zoom=maps.MAX_ZOOM)):
        kw = dict(routes=ROUTES_FRAME, points=points_frame(2000), cells=CELLS_FRAME, view=view)
        with_all = maps.payload_bytes(maps.build_map_deck(**kw))
        without = maps.payload_bytes(maps.build_map_deck(**kw, arrows=False, labels=False))
        assert with_all < 2_000_000
        assert 0 < with_all - without < 25_000, (view, with_all - without)  # labels ~5 KB, arrows ~100 B each


def test_legend_html_is_constants_escaped_with_swatches_hidden_from_screen_readers():
    from dashboard.ui import mapview

    groups = [
        ("Routes", "width = flow", "line", maps.legend_items("routes")),
        ("Incidents", "size = people", "dot", maps.legend_items("incident_types")),
        ("<b>x</b>", "a & b", "cell", [("<img src=x>", [1, 2, 3])]),
    ]
    html = mapview._legend_html(groups, "light")
    assert html.startswith('<div class="tl-legend">') and html.endswith("</div>")
    assert "<img" not in html and "&lt;img src=x&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html and "a &amp; b" in html
    assert html.count('aria-hidden="true"') == len(ROUTES) + len(INCIDENT_TYPES) + 1
    assert f"background: {maps.to_hex(maps.ROUTE_COLOURS['Atlantic (Canary Islands)'])}" in html
    assert html.count("tl-ring") == 1  # dead or missing: the thick ring, as on the map
    assert html.count("<li>") == len(ROUTES) + len(INCIDENT_TYPES) + 1
    assert 'class="tl-legend tl-dark"' in mapview._legend_html(groups, "dark")
