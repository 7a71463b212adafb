"""Map: where are the routes and incidents? Offline basemap, playback, details, table."""

import time
from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import maps, queries
from dashboard.filters import format_period
from dashboard.ui import layout, mapview, session

MAX_POINTS = 4000  # above this, incidents are aggregated into grid cells in DuckDB
STEP_S = 2  # playback: seconds per month
INCIDENT_NOTE = "IOM counts are minimum estimates"


def _play_started() -> None:
    # The click on Play reruns the whole script: the first step comes STEP_S later, not at once.
    st.session_state["_map_stepped_at"] = time.monotonic()


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


state = session.current_state()
layout.page_header("Map", state)

c1, c2, c3, c4, c5 = st.columns([1, 1, 1.4, 1.3, 1.3])
# These widgets start from the link (dashboard/viewstate.py) or their defaults, set before the page runs.
show_routes = c1.toggle("Routes", key="map_routes")
show_incidents = c2.toggle("Incidents", key="map_incidents")
style = c3.segmented_control("Map style", ["light", "dark"], key="map_style", required=True, format_func=str.capitalize)
by_month = c4.toggle("Month by month", key="map_by_month", help="Step through the period one month at a time.")
playing = by_month and c5.toggle(
    "▶ Play", value=False, key="map_play", on_change=_play_started, help=f"Advance one month every {STEP_S} seconds."
)
months = pd.date_range(state.start.replace(day=1), state.end, freq="MS").date.tolist() or [state.start]
if st.session_state.get("map_month") not in months:  # a month from a link outside this period, or none
    st.session_state.pop("map_month", None)


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
        month = st.select_slider("Month", options=months, key="map_month", format_func=lambda d: d.strftime("%b %Y"))
        month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
        view_state = replace(state, period=(max(month, state.start), min(month_end, state.end)))
        st.markdown(f"**Showing {format_period(view_state.start, view_state.end)}**")
    view = mapview.view_controls()
    kind, incidents = session.cached(queries.map_incidents, view_state, MAX_POINTS)
    routes = session.cached(queries.routes_with_flows, view_state)
    deck = maps.build_map_deck(
        routes=routes if show_routes else None,
        points=incidents if show_incidents and kind == "points" else None,
        cells=incidents if show_incidents and kind == "cells" else None,
        view=view,
        style=style,
    )
    frame = mapview.map_frame()  # the deck, with the legend box over its corner
    event = frame.pydeck_chart(
        deck,
        height=640,
        key="map_deck",
        on_select="rerun",
        selection_mode="single-object",
        alt="Map of smuggling routes and incidents; the same data is in the table below.",
    )
    with frame:
        mapview.legend(kind, incidents, style, show_routes, show_incidents)
    source = layout.source_line(view_state, "incidents", INCIDENT_NOTE)
    # Points hold every incident in the filters (the table lists them all); cells only those with a position.
    unplaced = (
        int(incidents[["lat", "lon"]].isna().any(axis=1).sum())
        if kind == "points"
        else session.cached(queries.unplaced_count, view_state)
    )
    shown = (
        f"{_n(len(incidents) - unplaced, 'incident')} shown as points"
        if kind == "points"
        else f"{_n(int(incidents['incidents'].sum()), 'incident')} aggregated into "
        f"{_n(len(incidents), 'grid cell')} of {incidents['cell_size_deg'].iloc[0]:g}°"
    )
    st.caption(layout.plain(f"{source} · {shown}"))
    if unplaced:
        st.caption(
            f"{_n(unplaced, 'incident')} in the filters {'has' if unplaced == 1 else 'have'} no position: "
            "counted, not mapped (listed in the table below)."
        )
    # Details right under the map, where the click was; with the other records of its group, if any.
    picked = mapview.picked_incident(event)
    group = session.cached_version(queries.incident_group, state.version, picked) if picked else None
    mapview.details(event, incidents if kind == "points" else None, MAX_POINTS, group)
    mapview.table(kind, incidents, routes, picked=picked)
    layout.download_buttons(
        incidents,
        "map-incidents" if kind == "points" else "map-incident-cells",
        view_state,
        source,
        key="map_export",
        gis={
            # the points as a file carries them: every column, with its source, so the file imports back
            "incidents": session.cached(queries.incidents_for_export, view_state) if kind == "points" else None,
            "cells": incidents if kind == "cells" else None,
            "routes": routes if show_routes else None,
        },
    )
    session.write_url(state, "map")  # a focus, zoom or month change reruns only this fragment: keep the URL whole


map_view()
