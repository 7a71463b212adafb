"""Briefing: a saved view computed into a slide, and the sequence exported as one self-contained
HTML pack (plotly.js and every figure inlined; nothing is fetched when it is opened offline).

Pure core: no streamlit. The pack prints to PDF from a browser one view per A4 landscape page,
with the classification marking at the top and bottom of every page.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qs

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from . import charts, fmt, maps, queries
from .filters import FilterState, format_period
from .store import Store
from .views import PAGES, SavedView, default_sequence

SYNTHETIC_SOURCE = "Synthetic demo data (Tideline), not real figures"
# The theatre: Dakar to the Baltic, the Atlantic to the Black Sea (the x range widens to fit the width).
MAP_LON, MAP_LAT = (-26.0, 44.0), (11.0, 61.0)
BASEMAP_CLIP = (-120.0, -20.0, 150.0, 80.0)  # lon/lat box kept from the basemap: wide enough for any screen
BASEMAP_TOLERANCE = 0.02  # degrees (~2 km): below a pixel at the theatre's scale
OPERATIONS_SHOWN = 15  # timeline rows: readable on one printed page
SCREEN_HEIGHT = {"map": 640}  # figure heights in the pack, px (others: DEFAULT_HEIGHT)
DEFAULT_HEIGHT = 520
# On paper (A4 landscape minus margins, at 96 px per inch), below the title, note and KPI row.
PRINT_WIDTH = 1020
PRINT_HEIGHT = {"map": 430}  # others: DEFAULT_PRINT_HEIGHT
DEFAULT_PRINT_HEIGHT = 380


@dataclass
class Slide:
    """Everything one view shows, computed from the store."""

    view: SavedView
    state: FilterState
    notices: list[str]
    description: str
    kpis: pd.DataFrame
    figure: go.Figure
    source: str
    synthetic: bool


# -- slides ---------------------------------------------------------------------------------------
def default_state(store: Store) -> FilterState:
    """The default filters on the current data version."""
    ids = tuple(v.id for v in store.versions())
    con = store.connect()
    try:
        return FilterState.default(queries.filter_options(con, ids, store.current_id()))
    finally:
        con.close()


def default_views(store: Store) -> list[SavedView]:
    """The default briefing sequence at the default filters of the current version."""
    return default_sequence(default_state(store))


def build_slide(store: Store, view: SavedView,
                connections: dict[int, duckdb.DuckDBPyConnection] | None = None) -> Slide:
    """Compute a view against its pinned data version (`connections` lets a pack reuse them)."""
    params = parse_qs(view.query, keep_blank_values=True)
    ids = tuple(v.id for v in store.versions())
    current = store.current_id()
    pinned = params.get("version", [])
    version = int(pinned[-1]) if pinned and pinned[-1].isdigit() and int(pinned[-1]) in ids else current
    own = connections is None
    connections = {} if own else connections
    if version not in connections:
        connections[version] = store.connect(version)
    con = connections[version]
    try:
        options = queries.filter_options(con, ids, current)
        state, notices = FilterState.from_query_params(params, options)
        synthetic = queries.is_synthetic(con)
        page = view.page
        if page not in PAGES:
            notices.append(f"unknown page {page[:40]!r}: showing the Overview")
            page = ""
        figure, source = _figure(con, state, page, synthetic)
        return Slide(view=view, state=state, notices=notices, description=state.describe(),
                     kpis=queries.kpis(con, state), figure=figure, source=source, synthetic=synthetic)
    finally:
        if own:
            con.close()


def _figure(con: duckdb.DuckDBPyConnection, state: FilterState, page: str,
            synthetic: bool) -> tuple[go.Figure, str]:
    """The main chart of a page and its source line."""
    if page == "map":
        source = source_text(con, synthetic, {"incidents": "IOM counts are minimum estimates",
                                              "route_flows": "route widths: detections, not people"})
        kind, incidents = queries.map_incidents(con, state)
        return map_figure(queries.routes_with_flows(con, state), kind, incidents, source), source
    if page == "funding":
        source = source_text(con, synthetic, {"funding": "national: region and route filters do not apply"})
        burn = queries.funding_burnup(con, queries.BSC)
        title = f"{queries.BSC}: cumulative spend against plan (£ million)"
        if burn.empty:
            return empty_figure(title, "No funding data in this data version", source), source
        return charts.make_burnup_figure(burn, source, title), source
    if page == "operations":
        source = source_text(con, synthetic, {"operations": f"the {OPERATIONS_SHOWN} most recent"})
        ops = queries.operations(con, state)
        if ops.empty:
            return empty_figure("Operations timeline (start to end)",
                                "No operations active in this period for these filters", source), source
        recent = ops.sort_values("start_date", ascending=False).head(OPERATIONS_SHOWN)
        return charts.make_timeline_figure(recent, source, pd.Timestamp(state.end)), source
    if page == "data":
        return _data_figure(con, state, synthetic)
    source = source_text(con, synthetic, {"crossings_daily": "English Channel"})
    trend = queries.weekly_trend(con, state)
    if not trend["people"].notna().any():
        return empty_figure("People arrived by small boat, per week (people)",
                            "No Channel arrivals recorded for these filters", source), source
    return charts.make_weekly_trend_figure(trend, source), source


def source_text(con: duckdb.DuckDBPyConnection, synthetic: bool, tables: dict[str, str]) -> str:
    """'Source: X · as of 31 Oct 2026 (what)' for figures from these tables, each source named once."""
    as_of = queries.table_as_of(con).set_index("table")["as_of"]
    names = queries.sources(con)
    groups: dict[str, dict[str, list[str]]] = {}
    for table, what in tables.items():
        src = SYNTHETIC_SOURCE if synthetic else "; ".join(names.loc[names["table"] == table, "source"]) or "no data"
        groups.setdefault(src, {}).setdefault(fmt.as_of(as_of.get(table)), []).append(what)
    parts = []
    for src, by_day in groups.items():
        days = "; ".join(day + (f" ({', '.join(w for w in whats if w)})" if any(whats) else "")
                         for day, whats in by_day.items())
        parts.append(f"Source: {src} · as of {days}")
    return " · ".join(parts)


def empty_figure(title: str, message: str, source: str) -> go.Figure:
    """A titled, sourced figure that says there is nothing to draw."""
    fig = charts.figure()
    fig.add_annotation(text=fmt.esc(message), x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font={"size": charts.FONT + 3, "color": "#444444"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return charts._layout(fig, title, source, legend=False)


def _data_figure(con: duckdb.DuckDBPyConnection, state: FilterState, synthetic: bool) -> tuple[go.Figure, str]:
    """Data & sources: per table and source, the rows, the as-of and the version that loaded them."""
    prov = queries.provenance(con)
    latest = fmt.as_of(prov["as_of"].max()) if prov["as_of"].notna().any() else "–"
    source = f"Source: Tideline data store, data version {state.version} · as of {latest} (latest date in any table)"
    if synthetic:
        source += f" · {SYNTHETIC_SOURCE}"
    fig = charts.figure(go.Table(
        columnwidth=[2, 4, 1.2, 1.6, 1.2],
        header={"values": ["Table", "Source", "Rows", "As of", "Loaded in version"], "align": "left",
                "font": {"size": charts.FONT, "color": "white"}, "fill_color": charts.BLUE, "height": 30},
        cells={"values": [_esc_list(prov["table_name"]), _esc_list(prov["source"]),
                          [fmt.number(v) for v in prov["rows"]], [fmt.as_of(v) for v in prov["as_of"]],
                          [fmt.number(v) for v in prov["loaded_version"]]],
               "align": "left", "font": {"size": charts.FONT - 1}, "height": 26},
    ))
    title = f"What is in data version {state.version} (rows per table and source)"
    fig = charts._layout(fig, title, source, legend=False, height=150 + 26 * len(prov))
    return fig.update_layout(margin={"t": 60}), source


def _esc_list(values: pd.Series) -> list[str]:
    return [fmt.esc(v) for v in values]


# -- the offline map ------------------------------------------------------------------------------
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


MARKER_SYMBOLS = {"launch": "triangle-up", "arrival": "circle", "interception": "square", "rescue": "diamond",
                  "dead or missing": "x"}


def map_figure(routes: pd.DataFrame, kind: str, incidents: pd.DataFrame, source: str) -> go.Figure:
    """Routes (width by flow) and incidents (points or cells) over the offline basemap, as plain
    x/y traces: plotly's geo traces would fetch their topojson from a CDN."""
    light = maps.STYLES["light"]
    lx, ly, bx, by = _basemap_xy()
    fig = charts.figure()
    fig.add_scatter(x=lx, y=ly, mode="lines", fill="toself", fillcolor=maps.to_hex(light["land"]),
                    line={"color": maps.to_hex(light["coast"]), "width": 0.8}, hoverinfo="skip",
                    showlegend=False, name="Land")
    fig.add_scatter(x=bx, y=by, mode="lines", line={"color": maps.to_hex(light["border"]), "width": 0.7},
                    hoverinfo="skip", showlegend=False, name="Borders")
    flows = pd.to_numeric(routes["people_or_flow"], errors="coerce").fillna(0) if len(routes) else pd.Series()
    top = float(flows.max()) if len(flows) else 0.0
    for (_, r), flow in zip(routes.iterrows(), flows, strict=True):
        path = list(r["path"]) if r["path"] is not None else []
        if not path:
            continue
        xs, ys = [float(p[0]) for p in path], [float(p[1]) for p in path]
        # sqrt: width reads as magnitude without the largest route swamping the rest (as on the Map page).
        width = 3.0 + 11.0 * math.sqrt(flow / top) if top > 0 and flow > 0 else 2.0
        name = fmt.esc(r["route"])
        tip = f"<b>{name}</b><br>{fmt.esc(r['region'])}<br>" + (
            f"Flow in period: {flow:,.0f}" if flow > 0 else "No recorded flow in period")
        fig.add_scatter(x=xs, y=ys, mode="lines", line={"color": "#1e1e1e", "width": width + 2.5},
                        hoverinfo="skip", showlegend=False)  # dark casing lifts light hues off the land
        fig.add_scatter(x=xs, y=ys, mode="lines", name=name, legendgroup="routes",
                        legendgrouptitle_text="Routes (width by flow)",
                        line={"color": maps.to_hex(maps.route_colour(str(r["route"]))), "width": width,
                              "dash": "solid" if flow > 0 else "dot"},
                        hovertext=[tip] * len(xs), hoverinfo="text")
    if kind == "cells":
        _add_cells(fig, incidents)
    else:
        _add_points(fig, incidents)
    fig = charts._layout(fig, "Routes and incidents in the period (width by flow; one mark per incident)"
                         if kind != "cells" else "Routes and incidents in the period (incidents per grid cell)",
                         source, height=SCREEN_HEIGHT["map"])
    mid = math.radians((MAP_LAT[0] + MAP_LAT[1]) / 2)
    fig.update_xaxes(range=list(MAP_LON), showgrid=False, zeroline=False, ticksuffix="°", title_text="Longitude")
    # One degree of latitude is 1/cos(lat) times longer than one of longitude at the theatre's middle.
    fig.update_yaxes(range=list(MAP_LAT), showgrid=False, zeroline=False, ticksuffix="°", title_text="Latitude",
                     scaleanchor="x", scaleratio=1 / math.cos(mid))
    fig.update_layout(plot_bgcolor=maps.to_hex(light["sea"]), hovermode="closest",
                      legend={"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1, "yanchor": "top",
                              "font": {"size": charts.FONT - 2}, "groupclick": "toggleitem", "itemsizing": "constant"},
                      margin={"r": 10})
    return fig


def _add_points(fig: go.Figure, points: pd.DataFrame) -> None:
    """One trace per incident type: colour and symbol both differ, so colour is never alone."""
    if points.empty:
        return
    order = [t for t in MARKER_SYMBOLS if t in set(points["incident_type"])]
    order += sorted(set(points["incident_type"]) - set(order))
    for t in order:
        d = points[points["incident_type"] == t]
        people = pd.to_numeric(d["people"], errors="coerce").fillna(0)
        tips = [
            "<br>".join(fmt.esc(x) for x in (
                f"{str(t).capitalize()} · {fmt.as_of(pd.Timestamp(r['date']))}", r["location"], r["route"],
                f"People: {fmt.number(r['people'])} · dead: {fmt.number(r['dead'])} · "
                f"missing: {fmt.number(r['missing'])}") if not fmt.is_missing(x))
            for _, r in d.iterrows()]
        fig.add_scatter(x=d["lon"].round(3), y=d["lat"].round(3), mode="markers",
                        name=fmt.esc(str(t).capitalize()), legendgroup="incidents",
                        legendgrouptitle_text="Incidents (size by people)",
                        marker={"symbol": MARKER_SYMBOLS.get(t, "circle-open"),
                                "color": maps.to_hex(maps.TYPE_COLOURS.get(t, maps.UNKNOWN_COLOUR)),
                                "size": (5 + 0.5 * people.clip(lower=0) ** 0.5).clip(upper=16).round(1),
                                "line": {"color": "#191919", "width": 1.5 if t == "dead or missing" else 0.6},
                                "opacity": 0.85},
                        hovertext=tips, hoverinfo="text")


def _add_cells(fig: go.Figure, cells: pd.DataFrame) -> None:
    """Aggregated cells as squares coloured by count (cividis, log scale) with a colour bar."""
    if cells.empty:
        return
    counts = pd.to_numeric(cells["incidents"], errors="coerce").fillna(0)
    tips = [f"{n:,.0f} incidents<br>People: {fmt.number(p)}<br>Dead or missing: {fmt.number(dm)}"
            for n, p, dm in zip(counts, cells["people"], cells["dead_missing"], strict=True)]
    ticks = [v for v in (1, 10, 100, 1000, 10000) if v <= max(counts.max(), 1)]
    # The colour bar sits below the route legend (top right), so the two never overlap.
    colorbar = {"title": {"text": "Incidents per cell"}, "tickvals": [math.log10(v) for v in ticks],
                "ticktext": [f"{v:,}" for v in ticks], "x": 1.01, "xanchor": "left", "y": 0, "yanchor": "bottom",
                "len": 0.4}
    fig.add_scatter(x=cells["cell_lon"], y=cells["cell_lat"], mode="markers", name="Incidents per cell",
                    showlegend=False,
                    marker={"symbol": "square", "size": 9, "color": [math.log10(max(n, 1)) for n in counts],
                            "colorscale": "Cividis", "line": {"color": "#191919", "width": 0.4},
                            "colorbar": colorbar},
                    hovertext=tips, hoverinfo="text")


# -- formatting -----------------------------------------------------------------------------------
def kpi_text(key: str, value: object) -> str:
    """A KPI value as the app writes it: £ with k/m/bn for spend, one decimal for people per boat."""
    if key == "spent_gbp":
        return fmt.gbp(value)
    return fmt.number(value, 1 if key == "people_per_boat" else 0)


def _e(text: object) -> str:
    return fmt.esc(text, quote=True)


def _utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment.day} {moment:%b %Y %H:%M} UTC"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "view"


# -- the pack -------------------------------------------------------------------------------------
def build_pack(store: Store, views: list[SavedView], classification: str,
               generated_at: datetime | None = None) -> str:
    """The briefing pack: one self-contained HTML document (cover, then one section per view)."""
    generated = _utc(generated_at or datetime.now(UTC))
    connections: dict[int, duckdb.DuckDBPyConnection] = {}
    try:
        slides = [build_slide(store, v, connections) for v in views]
    finally:
        for con in connections.values():
            con.close()
    marking = f'<div class="marking" role="note">{_e(classification)}</div>'
    sections = [_cover(store, slides, generated, marking)]
    sections += [_section(s, i, len(slides), generated, marking) for i, s in enumerate(slides, start=1)]
    return PAGE.format(title=_e(f"Tideline briefing pack · {generated}"), css=CSS + _page_css(classification),
                       plotlyjs=get_plotlyjs(), body="\n".join(sections), script=PRINT_SCRIPT)


def _page_css(classification: str) -> str:
    """On paper the marking is in the page margin boxes, so it is on every printed page, even when a
    long note pushes a view onto a second page."""
    mark = _css_string(classification)
    box = "font: 700 10pt Arial, Helvetica, sans-serif; letter-spacing: .12em; color: #6b0000;"
    return (f"@page {{ size: A4 landscape; margin: 12mm 9mm;"
            f" @top-center {{ content: {mark}; {box} }}"
            f" @bottom-center {{ content: {mark}; {box} }}"
            f' @bottom-right {{ content: counter(page) " / " counter(pages); font: 9pt Arial, sans-serif; }} }}\n')


def _css_string(text: str) -> str:
    """A quoted CSS string; anything but plain characters as a hex escape (so no '</style>')."""
    return '"' + "".join(ch if ch.isalnum() or ch in " -_.,:;()/&" else f"\\{ord(ch):x} " for ch in text) + '"'


def _cover(store: Store, slides: list[Slide], generated: str, marking: str) -> str:
    used = sorted({s.state.version for s in slides if s.state.version is not None})
    versions = []
    for vid in used:
        v = store.version(vid)
        created = datetime.fromisoformat(v.created_at.replace("Z", "+00:00"))
        label = f"data version {v.id}: {v.source_name}, loaded {_utc(created)}" + (
            " (current)" if v.id == store.current_id() else " (not the current version)")
        versions.append(f"<li>{_e(label)}</li>")
    items = "".join(
        f'<li><a href="#view-{i}">{_e(s.view.title)}</a> <span class="muted">· {_e(PAGES.get(s.view.page, ""))}'
        f" · {_e(s.description)}</span></li>" for i, s in enumerate(slides, start=1)) or "<li>No views</li>"
    synthetic = ('<p class="synthetic">Synthetic demo data — not real figures</p>'
                 if any(s.synthetic for s in slides) else "")
    return f"""<section class="sheet cover">
{marking}
<div class="body">
<p class="kicker">Tideline · organised immigration crime</p>
<h1>Briefing pack</h1>
<p class="generated">Generated {_e(generated)} · {len(slides)} view{"s" if len(slides) != 1 else ""}</p>
{synthetic}
<h2>Data</h2>
<ul class="versions">{"".join(versions) or "<li>No data</li>"}</ul>
<h2>Contents</h2>
<ol class="contents">{items}</ol>
<p class="muted screen-only">Charts are interactive: hover for values, drag to zoom, double-click to reset.
Print to PDF from the browser for one view per A4 landscape page.</p>
</div>
{marking}
</section>"""


def _section(slide: Slide, n: int, total: int, generated: str, marking: str) -> str:
    view, state = slide.view, slide.state
    prev = state.previous()
    note = f'<p class="note">{_e(view.note)}</p>' if view.note else ""
    notices = "".join(f"<li>{_e(x)}</li>" for x in slide.notices)
    notices = f'<ul class="notices" aria-label="Link parameters ignored">{notices}</ul>' if notices else ""
    synthetic = '<span class="badge">Synthetic demo data — not real figures</span>' if slide.synthetic else ""
    fig = go.Figure(slide.figure)
    # The source is written under the figure in the page, so not a second time inside it.
    wrapped = charts.wrap(slide.source)
    fig.layout.annotations = [a for a in fig.layout.annotations if a.text != wrapped]
    height = fig.layout.height if view.page == "data" else SCREEN_HEIGHT.get(view.page, DEFAULT_HEIGHT)
    fig.update_layout(height=height, margin={"b": 60 if view.page != "data" else 10})
    plot = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False, div_id=f"plot-{n}",
                       config={"displaylogo": False, "responsive": True,
                               "modeBarButtonsToRemove": ["lasso2d", "select2d"],
                               "toImageButtonOptions": {"format": "png", "scale": 2,
                                                        "filename": f"tideline-{n}-{_slug(view.title)}"}})
    print_height = PRINT_HEIGHT.get(view.page, DEFAULT_PRINT_HEIGHT)
    print_size = f'data-print-width="{PRINT_WIDTH}" data-print-height="{print_height}"'
    return f"""<section class="sheet view" id="view-{n}">
{marking}
<header>
<p class="kicker">View {n} of {total} · {_e(PAGES.get(view.page, view.page))} {synthetic}</p>
<h2>{_e(view.title)}</h2>
{note}
<p class="filters">{_e(slide.description)} <span class="muted">· compared with
{_e(format_period(prev.start, prev.end))}</span></p>
{notices}
</header>
<div class="kpis">{_kpi_tiles(slide.kpis)}</div>
<figure class="chart"><div class="plot" {print_size}>{plot}</div>
<figcaption class="source">{_e(slide.source)}</figcaption></figure>
<p class="foot">Data version {_e(state.version)} · Generated {_e(generated)} · Link in Tideline:
<span class="link">{_e(view.link())}</span></p>
{marking}
</section>"""


def _kpi_tiles(kpis: pd.DataFrame) -> str:
    tiles = []
    for r in kpis.to_dict("records"):
        delta = fmt.change(r["value"], r["previous"])
        lines = [f'{_e(delta)}<span class="vs"> vs previous period</span>' if delta else "no comparison",
                 f"previous: {_e(kpi_text(r['key'], r['previous']))}"]
        if r["target_label"] and not fmt.is_missing(r["value"]) and not fmt.is_missing(r["target"]) \
                and float(r["target"]):
            share = fmt.percent(float(r["value"]) / float(r["target"]) * 100)
            lines[1] = f"{_e(share)} of {_e(r['target_label'])} ({_e(kpi_text(r['key'], r['target']))})"
        tiles.append(f'<div class="kpi"><div class="label">{_e(r["label"])}</div>'
                     f'<div class="value">{_e(kpi_text(r["key"], r["value"]))}</div>'
                     f'<div class="delta">{lines[0]}</div><div class="delta muted">{lines[1]}</div></div>')
    return "".join(tiles)


# The CSP is a second line of defence: even a stray URL in a figure cannot make the pack fetch anything.
PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; \
style-src 'unsafe-inline'; img-src data: blob:; font-src data:">
<title>{title}</title>
<style>{css}</style>
<script>{plotlyjs}</script>
</head>
<body>
{body}
<script>{script}</script>
</body>
</html>
"""

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --line: #d0d7de; --accent: #0072B2; }
* { box-sizing: border-box; }
html { font-size: 18px; }
body { margin: 0; background: #eef1f4; color: var(--ink);
       font-family: "Source Sans Pro", "Segoe UI", Arial, Helvetica, sans-serif; line-height: 1.35; }
.sheet { background: white; max-width: 1800px; margin: 24px auto; padding: 0 32px;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.marking { text-align: center; font-weight: 700; letter-spacing: .12em; font-size: 1rem; padding: 6px 0;
           margin: 0 -32px; background: #f8d7d7; color: #6b0000; border-bottom: 1px solid #e2b4b4;
           -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.marking:last-child { border-bottom: 0; border-top: 1px solid #e2b4b4; }
.cover .body { padding: 40px 0 32px; }
h1 { font-size: 2.6rem; margin: 0 0 8px; }
h2 { font-size: 1.9rem; margin: 4px 0 6px; }
.cover h2 { font-size: 1.4rem; margin-top: 28px; }
.kicker { margin: 14px 0 0; color: var(--muted); font-size: .95rem; text-transform: uppercase; letter-spacing: .06em; }
.generated { font-size: 1.2rem; margin: 0; }
.synthetic, .badge { background: #fff3cd; border: 1px solid #e0c36a; color: #5c4400; font-weight: 700;
                     -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.synthetic { display: inline-block; padding: 6px 14px; margin: 14px 0 0; font-size: 1.1rem; }
.badge { padding: 1px 8px; margin-left: 8px; text-transform: none; letter-spacing: 0; font-size: .85rem; }
.contents li, .versions li { margin: 6px 0; font-size: 1.1rem; }
.contents a { color: var(--accent); font-weight: 600; }
.note { white-space: pre-line; font-size: 1.15rem; margin: 2px 0 6px; max-width: 75em;
        border-left: 4px solid var(--accent); padding-left: 12px; }
.filters { font-size: 1.05rem; margin: 4px 0; }
.muted { color: var(--muted); }
.notices { color: #7a4a00; margin: 4px 0; font-size: .95rem; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 10px; margin: 12px 0; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.kpi .label { font-size: .9rem; color: var(--muted); }
.kpi .value { font-size: 2rem; font-weight: 700; line-height: 1.15; }
.kpi .delta { font-size: .8rem; }
.chart { margin: 0; }
.source { font-size: .85rem; color: #444; margin: 2px 0 0; }
.foot { font-size: .8rem; color: var(--muted); margin: 6px 0 10px; }
.link { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: .75rem; word-break: break-all; }
@media print {
  html { font-size: 11pt; }
  body { background: white; }
  .sheet { max-width: none; margin: 0; padding: 0 4mm; box-shadow: none; break-after: page; page-break-after: always; }
  .sheet:last-child { break-after: auto; page-break-after: auto; }
  .sheet > .marking { display: none; }  /* the page margin boxes carry it (see _page_css) */
  .vs { display: none; }
  .screen-only { display: none; }
  h2 { font-size: 1.6rem; }
  .kpis { grid-template-columns: repeat(8, 1fr); gap: 6px; margin: 6px 0; }
  .kpi { padding: 4px 6px; break-inside: avoid; }
  .kpi .value { font-size: 1.35rem; }
  .kpi .delta { font-size: .72rem; }
  .chart, header { break-inside: avoid; }
}
"""

# Plotly sizes figures to the screen; printing re-lays them out to fit the page width and height.
PRINT_SCRIPT = """
(function () {
  function plots() { return Array.prototype.slice.call(document.querySelectorAll('.js-plotly-plot')); }
  function toPrint() {
    plots().forEach(function (p) {
      if (!p.dataset.screenHeight) { p.dataset.screenHeight = p.layout.height; }
      if (!p.dataset.legendFont) {
        var legend = p.layout.legend || {};
        p.dataset.legendFont = JSON.stringify((legend.font && legend.font.size) || null);
      }
      var size = p.closest('.plot').dataset;
      var height = Math.min(+p.dataset.screenHeight, +size.printHeight);
      p.parentElement.style.height = height + 'px';  // to_html's wrapper has the screen height
      Plotly.relayout(p, {width: +size.printWidth, height: height, 'legend.font.size': 11,
                          'legend.grouptitlefont.size': 12, 'legend.tracegroupgap': 2});
    });
  }
  function toScreen() {
    plots().forEach(function (p) {
      if (!p.dataset.screenHeight) { return; }
      p.parentElement.style.height = p.dataset.screenHeight + 'px';
      Plotly.relayout(p, {width: null, height: +p.dataset.screenHeight,
                          'legend.font.size': JSON.parse(p.dataset.legendFont), 'legend.grouptitlefont.size': null,
                          'legend.tracegroupgap': null});
    });
  }
  window.addEventListener('beforeprint', toPrint);
  window.addEventListener('afterprint', toScreen);
  var media = window.matchMedia('print');
  media.addEventListener('change', function (e) { if (e.matches) { toPrint(); } else { toScreen(); } });
})();
"""
