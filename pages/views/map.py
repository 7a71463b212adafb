"""Map: where are the routes and incidents? Offline basemap, playback, details, table."""

import time
from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import fmt, maps, queries, ui
from dashboard.filters import format_date, format_period

MAX_POINTS = 4000  # above this, incidents are aggregated into grid cells in DuckDB
STEP_S = 2  # playback: seconds per month
# The details panel: (label, column, formatter) in reading order; empty values are left out.
DETAIL_FIELDS = [
    ("Date", "date", lambda v: format_date(pd.Timestamp(v).date())), ("Type", "incident_type", str.capitalize),
    ("Location", "location", str), ("Route", "route", str), ("Region", "region", str),
    ("People", "people", fmt.number), ("Dead", "dead", fmt.number), ("Missing", "missing", fmt.number),
    ("Survivors", "survivors", fmt.number), ("Cause", "cause", str),
    ("Position", "lat", None),  # lat, lon together
]


def _zoom(step: int) -> None:
    steps = st.session_state.get("map_zoom_steps", 0) + step
    base = maps.FOCUS_VIEWS[st.session_state.get("map_focus", next(iter(maps.FOCUS_VIEWS)))]
    if maps.zoomed(base, steps) != maps.zoomed(base, steps - step):  # not already at the limit
        st.session_state["map_zoom_steps"] = steps


def view_controls() -> dict:
    """Focus and zoom buttons: the way round the map without dragging (the table below is the other)."""
    c1, c2, c3, c4 = st.columns([2.2, 1, 1, 3.5], vertical_alignment="bottom")
    focus = c1.selectbox("Focus", list(maps.FOCUS_VIEWS), key="map_focus",
                         on_change=lambda: st.session_state.pop("map_zoom_steps", None))
    view = maps.zoomed(maps.FOCUS_VIEWS[focus], st.session_state.get("map_zoom_steps", 0))
    c2.button("Zoom out", icon=":material/zoom_out:", key="map_zoom_out", on_click=_zoom, args=(-1,),
              disabled=view["zoom"] <= maps.MIN_ZOOM, width="stretch")
    c3.button("Zoom in", icon=":material/zoom_in:", key="map_zoom_in", on_click=_zoom, args=(1,),
              disabled=view["zoom"] >= maps.MAX_ZOOM, width="stretch")
    c4.caption(f"Zoom level {view['zoom']:g}. On the map itself: drag or scroll, or focus it (Tab) and use the "
               "arrow keys and + / −.")
    return view


def _play_started() -> None:
    # The click on Play reruns the whole script: the first step comes STEP_S later, not at once.
    st.session_state["_map_stepped_at"] = time.monotonic()


state = ui.current_state()
ui.page_header("Map", state)

c1, c2, c3, c4, c5 = st.columns([1, 1, 1.4, 1.3, 1.3])
show_routes = c1.toggle("Routes", value=True, key="map_routes")
show_incidents = c2.toggle("Incidents", value=True, key="map_incidents")
style = c3.segmented_control("Map style", ["light", "dark"], default="light", key="map_style", required=True,
                             format_func=str.capitalize)
by_month = c4.toggle("Month by month", value=False, key="map_by_month",
                     help="Step through the period one month at a time.")
playing = by_month and c5.toggle("▶ Play", value=False, key="map_play", on_change=_play_started,
                                 help=f"Advance one month every {STEP_S} seconds.")
months = pd.date_range(state.start.replace(day=1), state.end, freq="MS").date.tolist() or [state.start]


@st.fragment(run_every=STEP_S if playing else None)
def map_view() -> None:
    view_state = state
    if by_month:
        # Step on the fragment's timer only: other reruns (Play itself, a click on the map) keep the month.
        due = time.monotonic() - st.session_state.get("_map_stepped_at", 0.0) >= 0.75 * STEP_S
        if playing and due and "map_month" in st.session_state:
            i = months.index(st.session_state.map_month) if st.session_state.map_month in months else -1
            st.session_state.map_month = months[(i + 1) % len(months)]
            st.session_state["_map_stepped_at"] = time.monotonic()
        month = st.select_slider("Month", options=months, key="map_month",
                                 format_func=lambda d: d.strftime("%b %Y"))
        month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
        view_state = replace(state, period=(max(month, state.start), min(month_end, state.end)))
        st.markdown(f"**Showing {format_period(view_state.start, view_state.end)}**")
    view = view_controls()
    kind, incidents = ui.cached(queries.map_incidents, view_state, MAX_POINTS)
    routes = ui.cached(queries.routes_with_flows, view_state)
    deck = maps.build_map_deck(
        routes=routes if show_routes else None,
        points=incidents if show_incidents and kind == "points" else None,
        cells=incidents if show_incidents and kind == "cells" else None,
        view=view, style=style)
    event = st.pydeck_chart(deck, height=640, key="map_deck", on_select="rerun", selection_mode="single-object",
                            alt="Map of smuggling routes and incidents; the same data is in the table below.")
    st.caption(ui.plain(ui.source_line(view_state, "incidents", "IOM counts are minimum estimates")
                        + (f" · {_n(len(incidents), 'incident')} shown as points" if kind == "points"
                           else f" · {_n(int(incidents['incidents'].sum()), 'incident')} aggregated into "
                                f"{_n(len(incidents), 'grid cell')} of {incidents['cell_size_deg'].iloc[0]:g}°")))
    # Details right under the map, where the click was; the legend follows.
    details(event, incidents if kind == "points" else None)
    legend(kind, incidents)
    table(kind, incidents, routes)
    ui.download_buttons(incidents, "map-incidents" if kind == "points" else "map-incident-cells", view_state,
                        ui.source_line(view_state, "incidents", "IOM counts are minimum estimates"), key="map_export")


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def legend(kind: str, incidents: pd.DataFrame) -> None:
    items = maps.legend_items("routes", style) if show_routes else []
    if show_incidents:
        items += (maps.legend_items("incident_types", style) if kind == "points" else
                  maps.legend_items("cells", style, int(incidents["incidents"].max()) if len(incidents) else 1))
    if not items:
        return
    notes = ["Route lines: width follows the flow in the period."] if show_routes else []
    if show_incidents and kind == "points":
        notes.append("Incident dots: size follows the number of people; dead or missing have a thicker ring.")
    elif show_incidents and len(incidents):
        notes.append(f"Cells: {incidents['cell_size_deg'].iloc[0]:g}° grid squares shaded by the number of "
                     "incidents (log scale).")
    with st.expander("Legend", expanded=True):
        st.caption(" ".join(notes))
        n_routes = len(maps.legend_items("routes", style)) if show_routes else 0
        groups = [("Routes", items[:n_routes]), ("Incidents", items[n_routes:])]
        for col, (title, group) in zip(st.columns(len(groups)), groups, strict=True):
            if group:
                # A filled swatch, not a coloured "●": a small yellow or light-grey glyph is lost on white.
                key = pd.DataFrame({"Key": [""] * len(group), title: [label for label, _ in group]})
                swatches = [f"background-color: {maps.to_hex(rgb)}" for _, rgb in group]
                col.dataframe(key.style.apply(lambda _, c=swatches: c, subset=["Key"]), hide_index=True,
                              width="content", height=38 + 35 * len(group))


def details(event, points: pd.DataFrame | None) -> None:
    if points is None:
        st.caption(f"More than {MAX_POINTS:,} incidents, so the map shows grid cells: narrow the period, "
                   "region, route or type to click individual incidents.")
        return
    objects = (getattr(event, "selection", None) or {}).get("objects", {}) if event else {}
    picked = objects.get("incidents") or []
    rows = points[points["incident_id"] == picked[0].get("incident_id")] if picked else points.iloc[:0]
    if rows.empty:
        st.caption("Click an incident dot to see its details here.")
        return
    r = rows.iloc[0]
    fields = []
    for label, col, show in DETAIL_FIELDS:
        if col == "lat":
            if not fmt.is_missing(r["lat"]) and not fmt.is_missing(r["lon"]):
                fields.append((label, f"{r['lat']:.4f}, {r['lon']:.4f}"))
        elif col in r and not fmt.is_missing(r[col]) and str(r[col]).strip():
            fields.append((label, show(r[col])))
    with st.container(border=True):
        st.markdown(f"**Incident {ui.plain(r['incident_id'])}** · click it again, or anywhere else on the map, "
                    "to clear")
        st.dataframe(pd.DataFrame(fields, columns=["Field", "Value"]), hide_index=True, width="content",
                     height=38 + 35 * len(fields))


def table(kind: str, incidents: pd.DataFrame, routes: pd.DataFrame) -> None:
    st.subheader("What the map shows")
    tab_i, tab_r = st.tabs(["Incidents" if kind == "points" else "Incident grid cells", "Routes"])
    with tab_i:
        if incidents.empty:
            ui.empty_state("No incidents for these filters", "widen the period or clear the region, route or type")
        else:
            st.dataframe(incidents, hide_index=True, placeholder="–", width="stretch", height=360)
    with tab_r:
        st.dataframe(routes.drop(columns=["path"]), hide_index=True, placeholder="–", width="stretch")


map_view()
