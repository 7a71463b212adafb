"""Map builders: pydeck layers and decks over an offline Natural Earth basemap (pure, no streamlit).

Nothing here requests anything over the network: the basemap is committed GeoJSON drawn as
deck.gl layers, the sea is the view's clear colour, and no tile provider is configured.

Every pickable layer's rows carry `tip_title` and `tip_body` strings, because Streamlit leaves a
tooltip placeholder whose field is missing as literal "{field}" text: one tooltip template then
reads well for routes, incidents and cells alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pydeck as pdk
import pydeck.bindings.deck as _pydeck_deck
from pydeck.bindings.json_tools import default_serialize
from pydeck.types import String

from dashboard import fmt
from dashboard.clean import is_missing
from dashboard.schema import INCIDENT_TYPES, ROUTES

# pydeck's Deck() asks has_jupyter_extra() several times per deck, each a failing import of its
# Jupyter widget (4% of a busy server's CPU in benchmarks/bench_load.py); the answer is fixed per process.
_pydeck_deck.has_jupyter_extra = lru_cache(maxsize=1)(_pydeck_deck.has_jupyter_extra)

BASEMAP_PATH = Path(__file__).resolve().parents[1] / "data" / "basemap" / "basemap.geojson"

VIEW_EUROPE = dict(lat=41.4, lon=4.9, zoom=2.7)  # Dakar to the Baltic and Finland in the Map page's 1460x640 px map
VIEW_OVERVIEW = dict(lat=41, lon=4, zoom=2.8)  # the whole theatre in a short (420 px) map
MIN_ZOOM, MAX_ZOOM = 1.5, 11
# The map page's "Focus" choices: with the zoom buttons, the way round the map without dragging.
FOCUS_VIEWS = {
    "Europe & Mediterranean": VIEW_EUROPE,
    "English Channel": dict(lat=50.9, lon=1.5, zoom=7.5),
    "Central Mediterranean": dict(lat=35.0, lon=14.0, zoom=5.3),
    "Eastern Mediterranean": dict(lat=35.9, lon=25.7, zoom=5.4),
    "Western Mediterranean": dict(lat=36.5, lon=-3.0, zoom=5.6),
    "Atlantic (Canary Islands)": dict(lat=21.9, lon=-15.5, zoom=4.6),  # Dakar to Lanzarote
    "Western Balkans": dict(lat=43.5, lon=19.5, zoom=5.6),
    "Eastern Borders": dict(lat=56.6, lon=24.4, zoom=4.6),  # Poland to the Finnish border
}
ZOOM_STEP = 1.0  # one step doubles (or halves) the scale


def zoomed(view: dict, steps: int) -> dict:
    """The view ``steps`` zoom steps in (negative: out), kept within the map's zoom limits."""
    return {**view, "zoom": round(min(max(view["zoom"] + steps * ZOOM_STEP, MIN_ZOOM), MAX_ZOOM), 2)}


RGB = list[int]

# pydeck turns every plain string argument into a JS accessor ("@@=pixels"), which deck.gl then
# reads as units 0 (common): sizes grow with 2**zoom. String() keeps a literal string literal.
PIXELS = String("pixels")

# Okabe & Ito (2008), the colour-blind-safe categorical set the product uses everywhere.
OKABE_ITO: dict[str, RGB] = {
    "orange": [230, 159, 0],
    "sky blue": [86, 180, 233],
    "bluish green": [0, 158, 115],
    "yellow": [240, 228, 66],
    "blue": [0, 114, 178],
    "vermillion": [213, 94, 0],
    "reddish purple": [204, 121, 167],
    "black": [0, 0, 0],
}
_O = OKABE_ITO

# Neighbouring routes (Channel pair, the three Mediterranean routes, Atlantic next to Western Med,
# Balkans next to Eastern Med) get clearly different hues.
ROUTE_COLOURS: dict[str, RGB] = {
    "English Channel": _O["vermillion"],
    "Channel ports (HGV)": _O["reddish purple"],
    "Central Mediterranean": _O["blue"],
    "Eastern Mediterranean": _O["bluish green"],
    "Western Mediterranean": _O["sky blue"],
    "Atlantic (Canary Islands)": _O["orange"],
    "Western Balkans": _O["yellow"],
    "Eastern Borders": _O["black"],
}
# Points always carry a dark or light ring, so yellow is safe here; orange is left out because it is
# too close to vermillion (deaths) at point size.
TYPE_COLOURS: dict[str, RGB] = {
    "launch": _O["yellow"],
    "arrival": _O["bluish green"],
    "interception": _O["blue"],
    "rescue": _O["sky blue"],
    "dead or missing": _O["vermillion"],
}
UNKNOWN_COLOUR: RGB = [150, 150, 150]
CASING_EXTRA_PX = 2.5  # the dark casing under a route is this much wider than the route
ZERO_FLOW_WIDTH_PX = 2.5  # a route with no recorded flow in the period: thin (and drawn faded or dotted)
DEFAULT_CELL_DEG = 0.25  # used only when a cells frame lacks cell_size_deg

# Cividis (Nuñez et al. 2018; the stops plotly ships): sequential, colour-blind-safe, for counts.
CIVIDIS: list[RGB] = [
    [0, 34, 78],
    [18, 53, 112],
    [59, 73, 108],
    [87, 93, 109],
    [112, 113, 115],
    [138, 134, 120],
    [165, 156, 116],
    [195, 179, 105],
    [225, 204, 85],
    [254, 232, 56],
]

STYLES: dict[str, dict[str, Any]] = {
    "light": {
        "sea": [198, 216, 229],
        "land": [242, 239, 231],
        "coast": [112, 128, 144],
        "border": [168, 160, 148],
        "outline": [25, 25, 25],  # around points and cells
        "tooltip": {"backgroundColor": "#ffffff", "color": "#1a1a1a"},
    },
    "dark": {
        "sea": [12, 22, 35],
        "land": [43, 52, 64],
        "coast": [118, 138, 158],
        "border": [86, 100, 116],
        "outline": [240, 240, 240],
        "tooltip": {"backgroundColor": "#1b2430", "color": "#f2f2f2"},
    },
}
# Routes get a dark casing in both styles: it lifts yellow off light land and costs nothing on dark.
CASING_COLOUR: RGB = [30, 30, 30]

TOOLTIP_HTML = "<b>{tip_title}</b><br/>{tip_body}"


def _style(style: str) -> dict[str, Any]:
    """The colours of a map style; unknown names fall back to light."""
    return STYLES.get(style, STYLES["light"])


def route_colour(route: str, style: str = "light") -> RGB:
    """A route's colour; Okabe–Ito black (the neutral) becomes light grey on the dark style."""
    rgb = ROUTE_COLOURS.get(route, UNKNOWN_COLOUR)
    return [225, 225, 225] if style == "dark" and rgb == _O["black"] else list(rgb)


def cividis(t: float) -> RGB:
    """Cividis colour at t in [0, 1] (linear between the stops)."""
    t = min(max(t, 0.0), 1.0) * (len(CIVIDIS) - 1)
    i = min(int(t), len(CIVIDIS) - 2)
    f = t - i
    return [round(a + (b - a) * f) for a, b in zip(CIVIDIS[i], CIVIDIS[i + 1], strict=True)]


def to_hex(rgb: RGB) -> str:
    """'#rrggbb' for an [r, g, b(, a)] colour (for legends drawn in plain Streamlit)."""
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


@lru_cache(maxsize=1)
def load_basemap() -> dict:
    """The committed basemap GeoJSON (land polygons and country borders); callers must not mutate it."""
    return json.loads(BASEMAP_PATH.read_text(encoding="utf-8"))


def _features(kind: str) -> dict:
    """A FeatureCollection of the basemap features of one kind ('land' or 'border')."""
    features = [f for f in load_basemap()["features"] if f["properties"]["kind"] == kind]
    return {"type": "FeatureCollection", "features": features}


def basemap_layers(style: str = "light") -> list[pdk.Layer]:
    """Land (filled, outlined by the coastline) and country borders; the sea is the deck background."""
    s = _style(style)
    land = pdk.Layer(
        "GeoJsonLayer",
        _features("land"),
        id="basemap-land",
        filled=True,
        stroked=True,
        # The fill is set on the fill sublayer, not as getFillColor: Streamlit fades every layer's
        # getFillColor while a selection is active, which would wash the land into the sea.
        _sub_layer_props={"polygons-fill": {"getFillColor": s["land"]}},
        get_line_color=s["coast"],
        line_width_units=PIXELS,
        get_line_width=1.2,
        pickable=False,
    )
    borders = pdk.Layer(
        "GeoJsonLayer",
        _features("border"),
        id="basemap-borders",
        stroked=True,
        get_line_color=s["border"],
        line_width_units=PIXELS,
        get_line_width=0.8,
        pickable=False,
    )
    return [land, borders]


def _num(value: Any) -> float | None:
    """A finite float, or None for missing or non-numeric values."""
    if is_missing(value):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _count(value: Any) -> str:
    """A count with thousands separators, or '–' (the app's sign for not available)."""
    return fmt.number(_num(value))


TIP_MAX = 120  # characters of one data value in a tooltip; the details panel shows it whole


def _tip(value: Any) -> str:
    """A data value for a tooltip line: cut at TIP_MAX so one long value cannot fill the map."""
    return fmt.short(_text(value), TIP_MAX)


def _text(value: Any) -> str:
    """A display string (without bidi controls); '' for missing values."""
    return "" if is_missing(value) else fmt.text(value)


def _uk_date(value: Any) -> str:
    """'1 Jan 2025' for a date, ISO string or timestamp; '' when missing."""
    if is_missing(value):
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, (datetime, date)):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def _iso(value: Any) -> str:
    """'2025-01-31' for a date, ISO string or timestamp; '' when missing."""
    if is_missing(value):
        return ""
    return value.isoformat()[:10] if isinstance(value, (datetime, date)) else str(value)[:10]


def _path(path: Any) -> list[list[float]]:
    """[[lon, lat], …] as plain floats (DuckDB hands back numpy arrays, which JSON cannot take)."""
    if is_missing(path):
        return []
    return [[round(float(p[0]), 4), round(float(p[1]), 4)] for p in path]


def route_width_px(flow: float, top: float) -> float:
    """A route's line width in pixels for its flow, the period's largest flow being `top`."""
    if flow <= 0 or top <= 0:
        return ZERO_FLOW_WIDTH_PX
    # sqrt: width reads as magnitude without the largest route swamping the rest.
    return round(3.0 + 11.0 * math.sqrt(flow / top), 1)


def _route_rows(routes: pd.DataFrame, style: str) -> list[dict]:
    """One row per route: path, colour and pixel width from the flow, tooltip text."""
    records = routes.to_dict("records")
    flows = [_num(r.get("people_or_flow")) or 0.0 for r in records]
    top = max(flows, default=0.0)
    rows = []
    for r, flow in zip(records, flows, strict=True):
        mode = _text(r.get("mode"))
        rows.append(
            {
                "route": r["route"],
                "path": _path(r.get("path")),
                "flow": flow,
                "width_px": route_width_px(flow, top),
                "colour": route_colour(r["route"], style) + ([255] if flow > 0 else [170]),
                "tip_title": _tip(r["route"]),
                "tip_body": "\n".join(
                    filter(
                        None,
                        [
                            " · ".join(filter(None, [_tip(r.get("region")), f"{_tip(mode)} route" if mode else ""])),
                            f"Flow in period: {flow:,.0f}" if flow > 0 else "No recorded flow in period",
                        ],
                    )
                ),
            }
        )
    return rows


def route_layer(routes: pd.DataFrame, style: str = "light") -> pdk.Layer:
    """Routes as paths coloured by route, width by flow in the period (thin and faded when zero)."""
    return pdk.Layer(
        "PathLayer",
        _route_rows(routes, style),
        id="routes",
        get_path="path",
        get_color="colour",
        get_width="width_px",
        width_units=PIXELS,
        width_min_pixels=2,
        cap_rounded=True,
        joint_rounded=True,
        pickable=True,
        auto_highlight=False,  # deck.gl drops clicks that land while a hover highlight re-renders
    )


def route_casing_layer(routes: pd.DataFrame) -> pdk.Layer:
    """A dark outline under the routes (draw it just before route_layer) so every hue stands out."""
    rows = [
        # Zero-flow routes are drawn faded, so their casing fades too.
        {
            "path": r["path"],
            "width_px": r["width_px"] + CASING_EXTRA_PX,
            "colour": CASING_COLOUR + [200 if r["flow"] > 0 else 90],
        }
        for r in _route_rows(routes, "light")
    ]
    return pdk.Layer(
        "PathLayer",
        rows,
        id="routes-casing",
        get_path="path",
        get_color="colour",
        get_width="width_px",
        width_units=PIXELS,
        width_min_pixels=4,
        cap_rounded=True,
        joint_rounded=True,
        pickable=False,
    )


def incident_radius_px(people: Any) -> float:
    """Point radius in pixels: grows with sqrt(people) on a fixed scale, so sizes compare across filters."""
    n = _num(people) or 0.0
    return round(min(2.5 + 0.4 * math.sqrt(max(n, 0.0)), 8.0), 1)


def incident_point_layer(points: pd.DataFrame, style: str = "light") -> pdk.Layer:
    """Incidents as outlined points coloured by type, sized by people; dead or missing drawn on top."""
    rows: list[dict[str, Any]] = []
    for r in points.to_dict("records"):
        lat, lon = _num(r.get("lat")), _num(r.get("lon"))
        if lat is None or lon is None:
            continue
        kind = _text(r.get("incident_type"))
        counts = [
            f"{label}: {_count(r.get(col))}"
            for label, col in (("People", "people"), ("Dead", "dead"), ("Missing", "missing"))
            if _num(r.get(col)) is not None
        ]
        rows.append(
            {
                "incident_id": _text(r.get("incident_id")),
                "incident_type": kind,
                "route": _text(r.get("route")),
                "date": _iso(r.get("date")),
                "lon": round(lon, 4),
                "lat": round(lat, 4),
                "radius": incident_radius_px(r.get("people")),
                # A thicker ring marks deaths without relying on colour.
                "line_px": 2.5 if kind == "dead or missing" else 1.0,
                "colour": TYPE_COLOURS.get(kind, UNKNOWN_COLOUR) + [230],
                "tip_title": " · ".join(filter(None, [_tip(kind).capitalize(), _uk_date(r.get("date"))])),
                "tip_body": "\n".join(
                    filter(
                        None,
                        [
                            _tip(r.get("location")),
                            _tip(r.get("route")),
                            " · ".join(counts),
                        ],
                    )
                ),
            }
        )
    # Big points first so small ones stay visible; deaths last so they are never hidden.
    rows.sort(key=lambda x: (x["incident_type"] == "dead or missing", -x["radius"]))
    return pdk.Layer(
        "ScatterplotLayer",
        rows,
        id="incidents",
        get_position=["lon", "lat"],
        get_fill_color="colour",
        get_line_color=_style(style)["outline"],
        get_radius="radius",
        radius_units=PIXELS,
        get_line_width="line_px",
        line_width_units=PIXELS,
        stroked=True,
        filled=True,
        pickable=True,
        auto_highlight=False,  # deck.gl drops clicks that land while a hover highlight re-renders
    )


def incident_cell_layer(cells: pd.DataFrame, style: str = "light") -> pdk.Layer:
    """Aggregated grid cells as square tiles of their true extent, coloured by count (cividis, log scale)."""
    records = cells.to_dict("records")
    counts = [_num(r.get("incidents")) or 0.0 for r in records]
    top = max(counts, default=0.0)
    rows = []
    for r, n in zip(records, counts, strict=True):
        lat, lon = _num(r.get("cell_lat")), _num(r.get("cell_lon"))
        if lat is None or lon is None or n <= 0:
            continue
        half = (_num(r.get("cell_size_deg")) or DEFAULT_CELL_DEG) / 2
        # log scale: a few hot cells (Channel beaches) would otherwise flatten everything else.
        t = math.log1p(n) / math.log1p(top)
        rows.append(
            {
                "cell_lat": round(lat, 4),
                "cell_lon": round(lon, 4),
                "incidents": int(n),
                "polygon": [
                    [round(lon + dx, 4), round(lat + dy, 4)]
                    for dx, dy in ((-half, -half), (half, -half), (half, half), (-half, half))
                ],
                "colour": cividis(t) + [215],
                "tip_title": f"{n:,.0f} incident{'s' if n != 1 else ''}",
                "tip_body": "\n".join(
                    [
                        f"People: {_count(r.get('people'))}",
                        f"Dead or missing: {_count(r.get('dead_missing'))}",
                        f"{2 * half:g}° cell around {lat:.2f}, {lon:.2f}",
                    ]
                ),
            }
        )
    return pdk.Layer(
        "PolygonLayer",
        rows,
        id="incident_cells",
        get_polygon="polygon",
        get_fill_color="colour",
        # A faint ring separates neighbouring tiles and keeps the darkest ones visible on a dark sea.
        get_line_color=_style(style)["outline"] + [110],
        get_line_width=0.75,
        line_width_units=PIXELS,
        stroked=True,
        filled=True,
        pickable=True,
        auto_highlight=False,  # deck.gl drops clicks that land while a hover highlight re-renders
    )


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by 2, which makes GeoJSON ~6x larger."""

    def to_json(self) -> str:
        """Compact JSON; NaN is refused because the browser's JSON.parse rejects it."""
        # pydeck's own encoder hook, without its indent=2 (8x faster than re-encoding its output).
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"), allow_nan=False)


def build_deck(layers: list[pdk.Layer], view: dict, style: str = "light") -> pdk.Deck:
    """A deck over the offline basemap style: no tile provider, sea as the view's clear colour."""
    s = _style(style)
    tip = {
        "html": TOOLTIP_HTML,
        # pre-line turns the "\n" in tip_body into line breaks; values themselves stay escaped.
        "style": {
            **s["tooltip"],
            "fontSize": "16px",
            "whiteSpace": "pre-line",
            "maxWidth": "380px",
            "overflowWrap": "anywhere",
        },  # a long unbroken value wraps inside the tooltip
    }
    return CompactDeck(
        layers=layers,
        views=[pdk.View(type="MapView", controller={"dragRotate": False}, clear=True, clear_color=s["sea"])],
        initial_view_state=pdk.ViewState(
            latitude=view["lat"], longitude=view["lon"], zoom=view["zoom"], min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM
        ),
        # map_provider=None with pydeck's default map_style sentinel ("__MAP_STYLE__") is what makes
        # Streamlit draw no basemap: with map_style=None it falls back to Carto tiles from the web.
        map_provider=None,
        tooltip=tip,
    )


def focus_layer(lat: float, lon: float, title: str, style: str = "light") -> pdk.Layer:
    """A place of interest (an operation's focus) as a large hollow ring: a shape, not a colour."""
    s = _style(style)
    return pdk.Layer(
        "ScatterplotLayer",
        [
            {
                "lon": round(float(lon), 4),
                "lat": round(float(lat), 4),
                "tip_title": _tip(title),
                "tip_body": f"Focus at {float(lat):.2f}, {float(lon):.2f}",
            }
        ],
        id="focus",
        get_position=["lon", "lat"],
        get_radius=14,
        radius_units=PIXELS,
        get_line_color=s["outline"],
        get_line_width=4,
        line_width_units=PIXELS,
        stroked=True,
        filled=False,
        pickable=True,
    )


def build_map_deck(
    routes: pd.DataFrame | None = None,
    points: pd.DataFrame | None = None,
    cells: pd.DataFrame | None = None,
    view: dict = VIEW_EUROPE,
    style: str = "light",
    focus: tuple[float, float, str] | None = None,
    arrows: bool = True,
    labels: bool = True,
) -> pdk.Deck:
    """The map page's deck: basemap, routes (cased), cells, the routes' direction arrows, points, place
    labels (on decks that open at LABELS_MIN_ZOOM or closer) and a focus ring on top."""
    layers = basemap_layers(style)
    if routes is not None and len(routes):
        layers += [route_casing_layer(routes), route_layer(routes, style)]
    if cells is not None and len(cells):
        layers.append(incident_cell_layer(cells, style))
    # Arrows over the routes but under the incidents (a decoration never hides a data point); place labels
    # on top, as basemaps put them, so they stay readable. Labels are not pickable: a click reaches the dot.
    if arrows and routes is not None and len(routes):
        layers.append(route_arrow_layer(routes, style, view))
    if points is not None and len(points):
        layers.append(incident_point_layer(points, style))
    if labels and view["zoom"] >= LABELS_MIN_ZOOM:
        layers.append(place_label_layer(style, view["zoom"]))
    if focus is not None and not (is_missing(focus[0]) or is_missing(focus[1])):
        layers.append(focus_layer(*focus, style=style))
    return build_deck(layers, view, style)


# The details panel of a clicked incident: (label, column, formatter) in reading order.
DETAIL_FIELDS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("Date", "date", lambda v: fmt.as_of(pd.Timestamp(v))),
    ("Type", "incident_type", lambda v: str(v).capitalize()),
    ("Location", "location", str),
    ("Route", "route", str),
    ("Region", "region", str),
    ("People", "people", fmt.number),
    ("Dead", "dead", fmt.number),
    ("Missing", "missing", fmt.number),
    ("Survivors", "survivors", fmt.number),
    ("Cause", "cause", str),
)


def incident_details(row: Mapping[Any, Any]) -> list[tuple[str, str]]:
    """(field, value) pairs for an incident's details panel; empty values are left out."""
    fields = [
        (label, show(row[col]))
        for label, col, show in DETAIL_FIELDS
        if col in row and not is_missing(row[col]) and str(row[col]).strip()
    ]
    lat, lon = _num(row.get("lat")), _num(row.get("lon"))
    if lat is not None and lon is not None:
        fields.append(("Position", f"{lat:.4f}, {lon:.4f}"))
    return fields


def legend_items(kind: str, style: str = "light", max_count: int | None = None) -> list[tuple[str, RGB]]:
    """(label, rgb) pairs for a legend: kind is 'routes', 'incident_types' or 'cells' (needs max_count)."""
    if kind == "routes":
        return [(r, route_colour(r, style)) for r in ROUTES]
    if kind == "incident_types":
        return [(t.capitalize(), list(TYPE_COLOURS[t])) for t in INCIDENT_TYPES]
    if kind == "cells":
        top = max(int(max_count or 1), 1)
        stops = sorted({1, round(math.sqrt(top)), top})
        return [(f"{n:,} incident{'s' if n != 1 else ''}", cividis(math.log1p(n) / math.log1p(top))) for n in stops]
    raise ValueError(f"unknown legend kind: {kind!r}")


def payload_bytes(deck: pdk.Deck) -> int:
    """Size of the JSON sent to the browser for this deck, in bytes."""
    return len(deck.to_json().encode("utf-8"))


# -- fitting a map to what it shows ---------------------------------------------------------------
Bounds = tuple[float, float, float, float]  # west, south, east, north, in degrees
TILE_PX = 512  # deck.gl's MapView: the world is 512 * 2**zoom pixels wide
MERCATOR_MAX_LAT = 85.0511  # Web Mercator's square world: latitudes beyond are cut
FIT_PADDING_PX = 40  # sea round the data: the largest point (8 px), a route's width and some coast
FIT_MAX_ZOOM = 8.0  # one beach is shown with its coasts around it, never at street level


def data_bounds(points: pd.DataFrame | None = None, routes: pd.DataFrame | None = None) -> Bounds | None:
    """(west, south, east, north) of what a map shows, or None when it shows nothing.

    `points` are incidents (``lat``/``lon``) or grid cells (``cell_lat``/``cell_lon``, each reaching
    half its ``cell_size_deg`` either side); `routes` carry their ``path`` of [lon, lat] waypoints.
    Missing, non-numeric and out-of-range positions are left out. Boxes never cross the antimeridian
    (the theatre is Europe and Africa)."""
    lons: list[pd.Series] = []
    lats: list[pd.Series] = []
    if points is not None and len(points):
        cells = "cell_lat" in points.columns
        lat = pd.to_numeric(points["cell_lat" if cells else "lat"], errors="coerce")
        lon = pd.to_numeric(points["cell_lon" if cells else "lon"], errors="coerce")
        half = pd.Series(0.0, index=points.index)
        if cells:
            size = points["cell_size_deg"] if "cell_size_deg" in points.columns else DEFAULT_CELL_DEG
            half = pd.to_numeric(pd.Series(size, index=points.index), errors="coerce").fillna(DEFAULT_CELL_DEG) / 2
        lons += [lon - half, lon + half]
        lats += [lat - half, lat + half]
    if routes is not None and len(routes) and "path" in routes.columns:
        waypoints = [p for path in routes["path"] for p in _path(path)]
        lons.append(pd.Series([p[0] for p in waypoints], dtype=float))
        lats.append(pd.Series([p[1] for p in waypoints], dtype=float))
    if not lons:
        return None
    x, y = pd.concat(lons, ignore_index=True), pd.concat(lats, ignore_index=True)
    ok = x.between(-180, 180) & y.between(-90, 90)  # NaN is never between: dropped too
    if not ok.any():
        return None
    return float(x[ok].min()), float(y[ok].min()), float(x[ok].max()), float(y[ok].max())


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator (x, y) in [0, 1], x east and y south, as deck.gl's MapView."""
    phi = math.radians(min(max(lat, -MERCATOR_MAX_LAT), MERCATOR_MAX_LAT))
    return (lon + 180) / 360, (1 - math.log(math.tan(math.pi / 4 + phi / 2)) / math.pi) / 2


def fit_bounds(
    bounds: Bounds, width_px: float, height_px: float, padding: float = FIT_PADDING_PX, max_zoom: float = FIT_MAX_ZOOM
) -> dict:
    """{"lat", "lon", "zoom"}: the Web-Mercator view that shows `bounds` whole in a `width_px` x
    `height_px` map with `padding` px to spare on every side (centred on the box in Mercator space,
    zoom rounded down to 0.01 and clamped to MIN_ZOOM..min(max_zoom, MAX_ZOOM))."""
    west, south, east, north = bounds
    x0, y0 = _mercator(west, north)
    x1, y1 = _mercator(east, south)
    inner_w, inner_h = max(width_px - 2 * padding, 1.0), max(height_px - 2 * padding, 1.0)
    zoom = min(max_zoom, MAX_ZOOM)
    if x1 > x0:
        zoom = min(zoom, math.log2(inner_w / (TILE_PX * (x1 - x0))))
    if y1 > y0:
        zoom = min(zoom, math.log2(inner_h / (TILE_PX * (y1 - y0))))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return {
        "lat": round(math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * cy)))), 4),
        "lon": round(cx * 360 - 180, 4),
        "zoom": max(math.floor(zoom * 100) / 100, MIN_ZOOM),
    }


def fit_view(
    points: pd.DataFrame | None,
    routes: pd.DataFrame | None,
    width_px: float,
    height_px: float,
    padding: float = FIT_PADDING_PX,
    max_zoom: float = FIT_MAX_ZOOM,
) -> dict:
    """The view that fits a map's incidents (points or cells) and routes in a map of that size
    (see fit_bounds); VIEW_EUROPE when there is nothing to fit."""
    bounds = data_bounds(points, routes)
    return dict(VIEW_EUROPE) if bounds is None else fit_bounds(bounds, width_px, height_px, padding, max_zoom)


# -- direction arrows and place labels ------------------------------------------------------------
PLACES_PATH = BASEMAP_PATH.parent / "places.geojson"

# Direction arrows are a text glyph in a TextLayer: deck.gl draws its font atlas on a canvas from the fonts on
# the analyst's machine (nothing is fetched), sizes it in pixels and turns each one with getAngle. An
# IconLayer was the alternative, but loaders.gl fetch()es an icon atlas even from a data: URL, and the
# deployment's CSP refuses that fetch (connect-src 'self', deploy/README.md). TextLayer's default character
# set is ASCII: any other character is left out (deck.gl logs "Missing character") unless characterSet
# names it, as here. An arrow with a shaft, not a bare arrowhead: turned by 30°, a near-equilateral ▶
# reads as turned by -90°, and the back corners of ➤ read as tips.
ARROW_GLYPH = "\u2794"  # ➔ (Dingbats): in DejaVu Sans, Segoe UI Symbol and Zapf Dingbats
ARROW_SPACING_PX = 200  # about one arrow per this many pixels of route, at the zoom the deck opens at
ARROW_MIN_ROUTE = 1.2  # none on a route drawn shorter than this many arrows: it would hide the route
ARROW_WINDOW_PX = 3000  # arrows further than this from the view's centre are not sent (far off any screen)
# SDF glyphs for the dark outline (the arrows' casing, the labels' halo): a wider distance field than
# deck.gl's default (radius 12, buffer 4) so the outline can be 2-3 px thick at label size.
SDF_FONT = {"sdf": True, "fontSize": 64, "buffer": 10, "radius": 16, "cutoff": 0.25}
LABEL_FONT = '"Source Sans", "Source Sans Pro", "Helvetica Neue", Arial, sans-serif'  # Streamlit's own font
# A place is labelled on decks that open at this zoom or closer, by its rank (1: the main ports, islands
# and crossings, on every map; 2 and 3 once a region fills the map), and only if its label does not
# overlap a better-ranked one at that zoom (label_places). Zooming the open map by hand keeps the set.
RANK_MIN_ZOOM = {1: 2.5, 2: 4.5, 3: 6.0}
LABELS_MIN_ZOOM = min(RANK_MIN_ZOOM.values())
LABEL_SIZE_PX = {1: 14, 2: 13, 3: 12}  # by the place's rank
LABEL_EM = 0.56  # average glyph width / size of the label font at weight 600 (for the overlap test)
LABEL_GAP_PX = 4  # labels closer than this count as overlapping (the halo is ~2 px)
LABEL_COLOURS = {  # text and halo: dark on light land and sea, light on dark
    "light": ([30, 30, 30], [255, 255, 255, 230]),
    "dark": ([240, 240, 240], [12, 22, 35, 235]),
}
# Where a label sits relative to its place ("N": above it, …): text anchor, baseline, pixel offset.
PLACEMENTS: dict[str, tuple[str, str, list[int]]] = {
    "C": ("middle", "center", [0, 0]),
    "N": ("middle", "bottom", [0, -4]),
    "S": ("middle", "top", [0, 4]),
    "E": ("start", "center", [6, 0]),
    "W": ("end", "center", [-6, 0]),
}


def _lon_lat(x: float, y: float) -> tuple[float, float]:
    """The inverse of _mercator: (lon, lat) of a Web Mercator (x, y) in [0, 1]."""
    return x * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


def arrow_size_px(width_px: float) -> float:
    """An arrow's glyph size for a route of this width: its head wider than the route and its casing."""
    return round(min(16 + 1.7 * width_px, 40), 1)


def arrow_colour(colour: list[int]) -> list[int]:
    """An arrow's colour: its route's, except white on a near-black route (the dark outline would vanish)."""
    return ([255, 255, 255] if sum(colour[:3]) < 150 else colour[:3]) + colour[3:]


def arrow_marks(path: list[list[float]], zoom: float, size_px: float) -> list[tuple[float, float, float]]:
    """(lon, lat, angle) of the arrows along a path of [lon, lat] waypoints in travel order, drawn at
    `zoom`: spread evenly over its drawn length, each on its segment (straight in Web Mercator, as deck.gl
    draws paths) and turned to point along it, in degrees counter-clockwise from east (deck.gl's getAngle)."""
    scale = TILE_PX * 2**zoom  # pixels per Mercator unit
    xy = [_mercator(lon, lat) for lon, lat in path if math.isfinite(lon) and math.isfinite(lat)]
    segments = [(a, b, math.dist(a, b) * scale) for a, b in zip(xy, xy[1:], strict=False) if a != b]
    total = sum(length for _, _, length in segments)
    if not segments or total < ARROW_MIN_ROUTE * size_px:
        return []
    n = max(1, round(total / ARROW_SPACING_PX))
    marks = []
    done = 0.0  # drawn length of the segments already passed
    it = iter(segments)
    (x0, y0), (x1, y1), length = next(it)
    for i in range(n):
        at = (i + 0.5) * total / n
        while done + length < at:
            done += length
            (x0, y0), (x1, y1), length = next(it)
        f = (at - done) / length
        lon, lat = _lon_lat(x0 + f * (x1 - x0), y0 + f * (y1 - y0))
        angle = math.degrees(math.atan2(y0 - y1, x1 - x0))  # Mercator y points south, the angle's north
        marks.append((round(lon, 4), round(lat, 4), round(angle, 1) + 0.0))  # + 0.0: no "-0.0"
    return marks


def route_arrow_layer(routes: pd.DataFrame, style: str = "light", view: dict = VIEW_EUROPE) -> pdk.Layer:
    """Arrows along each route pointing the way of travel, in the route's colour with a dark outline;
    pixel-sized, spaced for the view the deck opens at (and sent only near it), faded like a route with no flow."""
    scale = TILE_PX * 2 ** view["zoom"]
    cx, cy = _mercator(view["lon"], view["lat"])
    rows = []
    for r in _route_rows(routes, style):
        size, colour = arrow_size_px(r["width_px"]), arrow_colour(r["colour"])
        for lon, lat, angle in arrow_marks(r["path"], view["zoom"], size):
            x, y = _mercator(lon, lat)
            if max(abs(x - cx), abs(y - cy)) * scale <= ARROW_WINDOW_PX:
                rows.append(dict(text=ARROW_GLYPH, lon=lon, lat=lat, angle=angle, size=size, colour=colour))
    return pdk.Layer(
        "TextLayer",
        rows,
        id="routes-arrows",
        get_text="text",
        get_position=["lon", "lat"],
        get_angle="angle",
        get_size="size",
        size_units=PIXELS,
        get_color="colour",
        character_set=String(ARROW_GLYPH),
        font_settings=SDF_FONT,
        outline_width=8,
        outline_color=CASING_COLOUR + [230],
        pickable=False,
    )


@lru_cache(maxsize=1)
def load_places() -> tuple[dict[str, Any], ...]:
    """The committed place labels (data/basemap/places.geojson): name, kind, rank, placement, lon, lat."""
    collection = json.loads(PLACES_PATH.read_text(encoding="utf-8"))
    return tuple(
        {**f["properties"], "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
        for f in collection["features"]
    )


def label_box(place: Mapping[str, Any], zoom: float) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a place's label in world pixels at `zoom` (an estimate from its length)."""
    size = LABEL_SIZE_PX[place["rank"]]
    w, h = LABEL_EM * size * len(place["name"]) + 4, 1.25 * size + 4
    anchor, baseline, (dx, dy) = PLACEMENTS[place["placement"]]
    x, y = (v * TILE_PX * 2**zoom for v in _mercator(place["lon"], place["lat"]))
    left = x + dx - {"start": 0, "middle": w / 2, "end": w}[anchor]
    top = y + dy - {"top": 0, "center": h / 2, "bottom": h}[baseline]
    return left, top, left + w, top + h


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float], gap: float) -> bool:
    """Whether two (left, top, right, bottom) boxes come closer than `gap` pixels."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def label_places(zoom: float) -> list[dict[str, Any]]:
    """The places labelled on a deck that opens at `zoom`: those of a rank shown there (RANK_MIN_ZOOM),
    best rank first, leaving out any whose label would overlap one already placed."""
    kept: list[dict[str, Any]] = []
    boxes: list[tuple[float, float, float, float]] = []
    for place in sorted(load_places(), key=lambda p: p["rank"]):  # stable: the file's order within a rank
        if zoom < RANK_MIN_ZOOM[place["rank"]]:
            continue
        box = label_box(place, zoom)
        if any(_overlap(box, other, LABEL_GAP_PX) for other in boxes):
            continue
        kept.append(place)
        boxes.append(box)
    return kept


def place_label_layer(style: str = "light", zoom: float = VIEW_EUROPE["zoom"]) -> pdk.Layer:
    """Names of the main ports, coasts, islands and crossings for a deck that opens at `zoom` (see
    label_places), pixel-sized with a halo that reads on both styles. Not pickable: clicks reach the data."""
    text, halo = LABEL_COLOURS.get(style, LABEL_COLOURS["light"])
    rows = []
    for p in label_places(zoom):
        anchor, baseline, offset = PLACEMENTS[p["placement"]]
        rows.append(
            {
                "name": p["name"],
                "lon": p["lon"],
                "lat": p["lat"],
                "size": LABEL_SIZE_PX[p["rank"]],
                "anchor": anchor,
                "baseline": baseline,
                "offset": offset,
            }
        )
    return pdk.Layer(
        "TextLayer",
        rows,
        id="place-labels",
        get_text="name",
        get_position=["lon", "lat"],
        get_size="size",
        size_units=PIXELS,
        get_color=text,
        get_text_anchor="anchor",
        get_alignment_baseline="baseline",
        get_pixel_offset="offset",
        character_set=String("auto"),
        font_family=String(LABEL_FONT),
        font_weight=600,
        font_settings=SDF_FONT,
        outline_width=12,
        outline_color=halo,
        pickable=False,
    )
