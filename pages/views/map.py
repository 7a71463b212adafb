"""Map: where are the routes and incidents? Offline basemap, playback, details, table."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import maps, queries, ui
from dashboard.filters import format_date

MAX_POINTS = 4000  # above this, incidents are aggregated into grid cells in DuckDB

state = ui.current_state()
ui.page_header("Map", state)

c1, c2, c3, c4, c5 = st.columns([1, 1, 1.4, 1.3, 1.3])
show_routes = c1.toggle("Routes", value=True, key="map_routes")
show_incidents = c2.toggle("Incidents", value=True, key="map_incidents")
style = c3.segmented_control("Map style", ["light", "dark"], default="light", key="map_style", required=True,
                             format_func=str.capitalize)
by_month = c4.toggle("Month by month", value=False, key="map_by_month",
                     help="Step through the period one month at a time.")
playing = by_month and c5.toggle("▶ Play", value=False, key="map_play", help="Advance one month every 2 seconds.")
months = pd.date_range(state.start.replace(day=1), state.end, freq="MS").date.tolist() or [state.start]


@st.fragment(run_every=2 if playing else None)
def map_view() -> None:
    view_state = state
    if by_month:
        if playing and "map_month" in st.session_state:
            i = months.index(st.session_state.map_month) if st.session_state.map_month in months else -1
            st.session_state.map_month = months[(i + 1) % len(months)]
        month = st.select_slider("Month", options=months, key="map_month",
                                 format_func=lambda d: d.strftime("%b %Y"))
        month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
        view_state = replace(state, period=(max(month, state.start), min(month_end, state.end)))
        st.markdown(f"**Showing {format_date(view_state.start)} – {format_date(view_state.end)}**")
    kind, incidents = ui.cached(queries.map_incidents, view_state, MAX_POINTS)
    routes = ui.cached(queries.routes_with_flows, view_state)
    deck = maps.build_map_deck(
        routes=routes if show_routes else None,
        points=incidents if show_incidents and kind == "points" else None,
        cells=incidents if show_incidents and kind == "cells" else None,
        view=maps.VIEW_EUROPE, style=style)
    event = st.pydeck_chart(deck, height=640, key="map_deck", on_select="rerun", selection_mode="single-object",
                            alt="Map of smuggling routes and incidents; the same data is in the table below.")
    st.caption(ui.source_line(view_state, "incidents", "IOM counts are minimum estimates")
               + (f" · {len(incidents):,} incidents shown as points" if kind == "points"
                  else f" · {int(incidents['incidents'].sum()):,} incidents aggregated into "
                       f"{len(incidents):,} grid cells of {incidents['cell_size_deg'].iloc[0]:g}°"))
    legend(kind, incidents)
    details(event, incidents if kind == "points" else None)
    table(kind, incidents, routes)


def legend(kind: str, incidents: pd.DataFrame) -> None:
    items = maps.legend_items("routes", style) if show_routes else []
    if show_incidents:
        items += (maps.legend_items("incident_types", style) if kind == "points" else
                  maps.legend_items("cells", style, int(incidents["incidents"].max()) if len(incidents) else 1))
    if not items:
        return
    with st.expander("Legend", expanded=True):
        st.caption("Route lines: width follows the flow in the period. Incident dots: size follows the number "
                   "of people; dead or missing have a thicker ring. Cells: size and shade follow the count.")
        n_routes = len(maps.legend_items("routes", style)) if show_routes else 0
        groups = [("Routes", items[:n_routes]), ("Incidents", items[n_routes:])]
        for col, (title, group) in zip(st.columns(len(groups)), groups, strict=True):
            if group:
                key = pd.DataFrame({"Key": ["●"] * len(group), title: [label for label, _ in group]})
                colours = [f"color: {maps.to_hex(rgb)}" for _, rgb in group]
                col.dataframe(key.style.apply(lambda _, c=colours: c, subset=["Key"]), hide_index=True,
                              width="stretch", height=38 + 35 * len(group))


def details(event, points: pd.DataFrame | None) -> None:
    objects = (getattr(event, "selection", None) or {}).get("objects", {}) if event else {}
    picked = objects.get("incidents") or []
    if picked and points is not None:
        row = points[points["incident_id"] == picked[0].get("incident_id")]
        if len(row):
            with st.container(border=True):
                st.markdown(f"**Incident {row.iloc[0]['incident_id']}**")
                st.dataframe(row.T.rename(columns={row.index[0]: "value"}).astype(str), width="stretch")
            return
    st.caption("Click an incident dot to see its details here.")


def table(kind: str, incidents: pd.DataFrame, routes: pd.DataFrame) -> None:
    st.subheader("What the map shows")
    tab_i, tab_r = st.tabs(["Incidents" if kind == "points" else "Incident grid cells", "Routes"])
    with tab_i:
        if incidents.empty:
            ui.empty_state("No incidents for these filters", "widen the period or clear the region, route or type")
        else:
            st.dataframe(incidents, hide_index=True, width="stretch", height=360)
    with tab_r:
        st.dataframe(routes.drop(columns=["path"]), hide_index=True, width="stretch")


map_view()
