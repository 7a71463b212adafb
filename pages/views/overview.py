"""Overview: how are we doing in this period against the previous one?"""

import streamlit as st

from dashboard import charts, exports, maps, queries
from dashboard.ui import layout, session

state = session.current_state()
layout.page_header("Overview", state)

kpis = session.cached(queries.kpis, state)
layout.kpi_cards(kpis, state)
kpi_sources = layout.sources_caption(
    state,
    {
        "crossings_daily": "arrivals and boats: English Channel",
        "preventions_weekly": "preventions: French-reported",
        "incidents": "dead and missing: minimum estimates",
        "operations": "active operations",
        "funding": "BSC spend: national, not by region",
        "staffing": "staff in post: national",
    },
)
st.caption(layout.plain(kpi_sources))
# Rounded as the cards write them (people per boat to one decimal); the cards' changes use the raw values.
layout.download_buttons(exports.kpi_export(kpis), "overview-kpis", state, kpi_sources, key="overview_export")

trend_col, routes_col = st.columns([3, 2], gap="large")
with trend_col:
    trend = session.cached(queries.weekly_trend, state)
    if trend["people"].notna().any():
        layout.chart(
            charts.make_weekly_trend_figure(trend, layout.source_line(state, "crossings_daily")), key="overview_trend"
        )
    else:
        layout.empty_state(
            "No Channel arrivals recorded for these filters", "widen the period or clear the route and region filters"
        )
with routes_col:
    routes = session.cached(queries.by_route, state)
    if routes["detections"].sum() > 0:
        layout.chart(
            charts.make_routes_figure(
                routes,
                "detections",
                "detections",
                layout.source_line(state, "route_flows", "detections, not people"),
                "Routes ranked by detections in the period (detections)",
            ),
            key="overview_routes",
            filter_by="route",  # click a route's bar to filter every page to it
        )
    else:
        layout.empty_state("No route detections for these filters", "widen the period or clear the route filter")

st.subheader("Where it happened")
kind, incidents = session.cached(queries.map_incidents, state)
flows = session.cached(queries.routes_with_flows, state)
deck = maps.build_map_deck(
    routes=flows,
    points=incidents if kind == "points" else None,
    cells=incidents if kind == "cells" else None,
    view=maps.VIEW_OVERVIEW,
)
st.pydeck_chart(
    deck,
    height=420,
    key="overview_map",
    alt="Map of routes (width by flow) and incidents in the period; details on the Map page.",
)
shown_as = "aggregated cells" if kind == "cells" else "one dot per incident"
st.caption(
    layout.plain(
        layout.source_line(state, "incidents", f"{shown_as}; open the Map page for layers, details and a table")
    )
)
