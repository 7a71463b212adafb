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

VIEW_EUROPE = dict(lat=39, lon=6, zoom=3.3)  # Dakar to the Baltic on a 1920 px screen
VIEW_OVERVIEW = dict(lat=41, lon=4, zoom=2.8)  # the whole theatre in a short (420 px) map
MIN_ZOOM, MAX_ZOOM = 1.5, 11
# The map page's "Focus" choices: with the zoom buttons, the way round the map without dragging.
FOCUS_VIEWS = {
    "Europe & Mediterranean": VIEW_EUROPE,
    "English Channel": dict(lat=50.9, lon=1.5, zoom=7.5),
    "Central Mediterranean": dict(lat=35.0, lon=14.0, zoom=5.3),
    "Eastern Mediterranean": dict(lat=37.5, lon=27.0, zoom=5.6),
    "Western Mediterranean": dict(lat=36.5, lon=-3.0, zoom=5.6),
    "Atlantic (Canary Islands)": dict(lat=24.5, lon=-15.5, zoom=4.6),
    "Western Balkans": dict(lat=43.5, lon=19.5, zoom=5.6),
    "Eastern Borders": dict(lat=53.0, lon=25.0, zoom=5.3),
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
) -> pdk.Deck:
    """The map page's deck: basemap, routes (cased), then cells and points, and a focus ring on top."""
    layers = basemap_layers(style)
    if routes is not None and len(routes):
        layers += [route_casing_layer(routes), route_layer(routes, style)]
    if cells is not None and len(cells):
        layers.append(incident_cell_layer(cells, style))
    if points is not None and len(points):
        layers.append(incident_point_layer(points, style))
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
