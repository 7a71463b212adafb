"""dashboard.maps: offline basemap, layers, deck JSON (no tiles, pixel units, payload) and one real render."""

from __future__ import annotations

import json
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
        ("incidents", "ScatterplotLayer"),
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
    assert [layer.id for layer in deck.layers] == ["basemap-land", "basemap-borders"]


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
