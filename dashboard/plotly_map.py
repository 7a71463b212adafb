"""Routes and incidents as a plotly figure over the offline basemap, for the briefing pack (pure).

The pack is one HTML file opened offline, so the map is plain x/y traces: plotly's geo traces would
fetch their topojson from a CDN. Widths, sizes and colours follow maps.py (the app's deck.gl map), so
a route or an incident reads the same in the app and in the pack.
"""

from __future__ import annotations

import math
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go

from . import charts, fmt, maps

# The theatre, for a map with nothing on it: Dakar to the Baltic, the Atlantic to the Black Sea (the x range
# widens to fit the width). A map with data is fitted to it (fitted_ranges).
MAP_LON, MAP_LAT = (-26.0, 44.0), (11.0, 61.0)
BASEMAP_CLIP = (-120.0, -20.0, 150.0, 80.0)  # lon/lat box kept from the basemap: wide enough for any screen
BASEMAP_TOLERANCE = 0.02  # degrees (~2 km): below a pixel at the theatre's scale
HEIGHT = 640  # px on screen
FIT_MARGIN = 0.06  # of the data's span, each side
MIN_SPAN = (4.0, 2.5)  # degrees of longitude and latitude: the least a fitted map shows


@lru_cache(maxsize=1)
def _basemap_xy() -> tuple[tuple, tuple, tuple, tuple]:
    """Land outlines and borders as x/y sequences (None between parts), clipped and simplified."""
    from shapely.geometry import box, shape

    area = box(*BASEMAP_CLIP)
    features = {f["properties"]["kind"]: f["geometry"] for f in maps.load_basemap()["features"]}
    land = shape(features["land"]).intersection(area).simplify(BASEMAP_TOLERANCE)
    borders = shape(features["border"]).intersection(area).simplify(BASEMAP_TOLERANCE)
    lx: list = []
    ly: list = []
    for part in getattr(land, "geoms", [land]):
        if part.geom_type == "Polygon" and part.area > 0.02:  # islets below ~15 km across are invisible
            # Exteriors only: the fill would paint lakes over anyway, and it keeps the figure small.
            xs, ys = part.exterior.xy
            lx += [round(x, 2) for x in xs] + [None]
            ly += [round(y, 2) for y in ys] + [None]
    bx: list = []
    by: list = []
    for part in getattr(borders, "geoms", [borders]):
        if part.geom_type == "LineString":
            xs, ys = part.xy
            bx += [round(x, 2) for x in xs] + [None]
            by += [round(y, 2) for y in ys] + [None]
    return tuple(lx), tuple(ly), tuple(bx), tuple(by)


MARKER_SYMBOLS = {
    "launch": "triangle-up",
    "arrival": "circle",
    "interception": "square",
    "rescue": "diamond",
    "dead or missing": "x",
}


def map_figure(routes: pd.DataFrame, kind: str, incidents: pd.DataFrame, source: str) -> go.Figure:
    """Routes (width by flow) and incidents (points or cells) over the offline basemap, as plain
    x/y traces: plotly's geo traces would fetch their topojson from a CDN."""
    light = maps.STYLES["light"]
    lx, ly, bx, by = _basemap_xy()
    fig = charts.figure()
    fig.add_scatter(
        x=lx,
        y=ly,
        mode="lines",
        fill="toself",
        fillcolor=maps.to_hex(light["land"]),
        line={"color": maps.to_hex(light["coast"]), "width": 0.8},
        hoverinfo="skip",
        showlegend=False,
        name="Land",
    )
    fig.add_scatter(
        x=bx,
        y=by,
        mode="lines",
        line={"color": maps.to_hex(light["border"]), "width": 0.7},
        hoverinfo="skip",
        showlegend=False,
        name="Borders",
    )
    flows = pd.to_numeric(routes["people_or_flow"], errors="coerce").fillna(0) if len(routes) else pd.Series()
    top = float(flows.max()) if len(flows) else 0.0
    for (_, r), flow in zip(routes.iterrows(), flows, strict=True):
        path = list(r["path"]) if r["path"] is not None else []
        if not path:
            continue
        xs, ys = [float(p[0]) for p in path], [float(p[1]) for p in path]
        width = maps.route_width_px(flow, top)
        name = fmt.esc(r["route"])
        tip = f"<b>{name}</b><br>{fmt.esc(r['region'])}<br>" + (
            f"Flow in period: {flow:,.0f}" if flow > 0 else "No recorded flow in period"
        )
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "#1e1e1e", "width": width + maps.CASING_EXTRA_PX},
            hoverinfo="skip",
            showlegend=False,
        )  # dark casing lifts light hues off the land
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=name,
            legendgroup="routes",
            legendgrouptitle_text="Routes (width by flow)",
            line={
                "color": maps.to_hex(maps.route_colour(str(r["route"]))),
                "width": width,
                "dash": "solid" if flow > 0 else "dot",
            },
            hovertext=[tip] * len(xs),
            hoverinfo="text",
        )
    if kind == "cells":
        _add_cells(fig, incidents)
    else:
        _add_points(fig, incidents)
    fig = charts.layout(
        fig,
        "Routes and incidents in the period (width by flow; one mark per incident)"
        if kind != "cells"
        else "Routes and incidents in the period (incidents per grid cell)",
        source,
        height=HEIGHT,
    )
    lon_range, lat_range = fitted_ranges(maps.data_bounds(incidents, routes))
    mid = math.radians((lat_range[0] + lat_range[1]) / 2)
    fig.update_xaxes(range=list(lon_range), showgrid=False, zeroline=False, ticksuffix="°", title_text="Longitude")
    # One degree of latitude is 1/cos(lat) times longer than one of longitude at the map's middle; with the
    # scale anchored, plotly widens one range to the plot's shape, so the fitted box is always shown whole.
    fig.update_yaxes(
        range=list(lat_range),
        showgrid=False,
        zeroline=False,
        ticksuffix="°",
        title_text="Latitude",
        scaleanchor="x",
        scaleratio=1 / math.cos(mid),
    )
    fig.update_layout(
        plot_bgcolor=maps.to_hex(light["sea"]),
        hovermode="closest",
        legend={
            "orientation": "v",
            "x": 1.01,
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
            "font": {"size": charts.FONT - 2},
            "groupclick": "toggleitem",
            "itemsizing": "constant",
        },
        margin={"r": 10},
    )
    return fig


def fitted_ranges(bounds: maps.Bounds | None) -> tuple[tuple[float, float], tuple[float, float]]:
    """(lon range, lat range) around a map's data (maps.data_bounds) with a margin, never smaller than
    MIN_SPAN (a single beach is shown with its coasts); the theatre (MAP_LON, MAP_LAT) when empty."""
    if bounds is None:
        return MAP_LON, MAP_LAT
    west, south, east, north = bounds
    ranges = []
    for lo, hi, least, limit in ((west, east, MIN_SPAN[0], 180.0), (south, north, MIN_SPAN[1], 89.0)):
        pad = max((hi - lo) * FIT_MARGIN, (least - (hi - lo)) / 2, 0.0)
        ranges.append((round(max(lo - pad, -limit), 2), round(min(hi + pad, limit), 2)))
    return ranges[0], ranges[1]


def _add_points(fig: go.Figure, points: pd.DataFrame) -> None:
    """One trace per incident type: colour and symbol both differ, so colour is never alone."""
    if points.empty:
        return
    order = [t for t in MARKER_SYMBOLS if t in set(points["incident_type"])]
    order += sorted(set(points["incident_type"]) - set(order))
    for t in order:
        d = points[points["incident_type"] == t]
        tips = [
            "<br>".join(
                fmt.esc(x)
                for x in (
                    f"{str(t).capitalize()} · {fmt.as_of(pd.Timestamp(r['date']))}",
                    r["location"],
                    r["route"],
                    f"People: {fmt.number(r['people'])} · dead: {fmt.number(r['dead'])} · "
                    f"missing: {fmt.number(r['missing'])}",
                )
                if not fmt.is_missing(x)
            )
            for _, r in d.iterrows()
        ]
        fig.add_scatter(
            x=d["lon"].round(3),
            y=d["lat"].round(3),
            mode="markers",
            name=fmt.esc(str(t).capitalize()),
            legendgroup="incidents",
            legendgrouptitle_text="Incidents (size by people)",
            marker={
                "symbol": MARKER_SYMBOLS.get(t, "circle-open"),
                "color": maps.to_hex(maps.TYPE_COLOURS.get(t, maps.UNKNOWN_COLOUR)),
                # plotly sizes a marker by its diameter; deck.gl by its radius
                "size": [2 * maps.incident_radius_px(n) for n in d["people"]],
                "line": {"color": "#191919", "width": 1.5 if t == "dead or missing" else 0.6},
                "opacity": 0.85,
            },
            hovertext=tips,
            hoverinfo="text",
        )


def _add_cells(fig: go.Figure, cells: pd.DataFrame) -> None:
    """Aggregated cells as squares coloured by count (cividis, log scale) with a colour bar."""
    if cells.empty:
        return
    counts = pd.to_numeric(cells["incidents"], errors="coerce").fillna(0)
    tips = [
        f"{n:,.0f} incidents<br>People: {fmt.number(p)}<br>Dead or missing: {fmt.number(dm)}"
        for n, p, dm in zip(counts, cells["people"], cells["dead_missing"], strict=True)
    ]
    ticks = [v for v in (1, 10, 100, 1000, 10000) if v <= max(counts.max(), 1)]
    # The colour bar sits below the route legend (top right), so the two never overlap.
    colorbar = {
        "title": {"text": "Incidents per cell"},
        "tickvals": [math.log10(v) for v in ticks],
        "ticktext": [f"{v:,}" for v in ticks],
        "x": 1.01,
        "xanchor": "left",
        "y": 0,
        "yanchor": "bottom",
        "len": 0.4,
    }
    fig.add_scatter(
        x=cells["cell_lon"],
        y=cells["cell_lat"],
        mode="markers",
        name="Incidents per cell",
        showlegend=False,
        marker={
            "symbol": "square",
            "size": 9,
            "color": [math.log10(max(n, 1)) for n in counts],
            "colorscale": "Cividis",
            "line": {"color": "#191919", "width": 0.4},
            "colorbar": colorbar,
        },
        hovertext=tips,
        hoverinfo="text",
    )
