"""Operations: which operations ran where and when, with what result?"""

import pandas as pd
import streamlit as st

from dashboard import charts, fmt, maps, queries
from dashboard.filters import FilterState, format_date
from dashboard.ui import layout, session

OUTCOMES = {
    "arrests": "Arrests",
    "charges": "Charges",
    "convictions": "Convictions",
    "networks_disrupted": "Networks disrupted",
    "boats_engines_seized": "Boats and engines seized",
    "seizures_gbp": "Seized (£)",
}


def _name(op: pd.Series) -> str:
    return str(op["operation_id"] if fmt.is_missing(op["name"]) else op["name"])


def operations_view(state: FilterState, ops: pd.DataFrame) -> None:
    """The table with its own filters, the selected operation's details and map, and two charts."""
    f1, f2, f3 = st.columns([1, 1, 2])
    status = f1.multiselect("Status", sorted(ops["status"].unique()), key="operations_status", placeholder="Any status")
    agency = f2.multiselect(
        "Lead agency", sorted(ops["lead_agency"].unique()), key="operations_agency", placeholder="Any agency"
    )
    text = f3.text_input(
        "Search name, description, partners",
        key="operations_search",
        max_chars=100,
        placeholder="e.g. Kestrel, engines, Europol",
    )
    shown = ops
    if status:
        shown = shown[shown["status"].isin(status)]
    if agency:
        shown = shown[shown["lead_agency"].isin(agency)]
    if text.strip():
        haystack = shown[["name", "description", "partners", "operation_id"]].fillna("").agg(" ".join, axis=1)
        shown = shown[haystack.str.contains(text.strip(), case=False, regex=False)]
    st.caption(
        layout.plain(
            f"{len(shown):,} of {len(ops):,} operations active in the period · "
            + layout.source_line(state, "operations", "select a row for details")
        )
    )

    # A selection is a row position in the table as it was drawn: once a filter changes the rows, it would
    # point at another operation (or past the end). A new key per filter combination starts with none.
    table_key = "operations_table_" + str(abs(hash((state, tuple(status), tuple(agency), text.strip().lower()))))
    event = st.dataframe(
        shown,
        key=table_key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        placeholder="–",
        width="stretch",
        height=380,
        column_order=[
            "operation_id",
            "name",
            "status",
            "lead_agency",
            "region",
            "route",
            "start_date",
            "end_date",
            "arrests",
            "charges",
            "convictions",
            "networks_disrupted",
            "boats_engines_seized",
            "seizures_gbp",
        ],
        column_config={
            "seizures_gbp": st.column_config.NumberColumn("Seized (£)", format="£%,d"),
            "start_date": st.column_config.DateColumn("Start", format="D MMM YYYY"),
            "end_date": st.column_config.DateColumn("End", format="D MMM YYYY"),
        },
    )
    layout.download_buttons(
        shown,
        "operations",
        state,
        layout.source_line(state, "operations"),
        key="operations_export",
        detail="; ".join(
            f"{label}: {', '.join(values)}"
            for label, values in (
                ("status", status),
                ("lead agency", agency),
                ("search", [f"'{text.strip()}'"] if text.strip() else []),
            )
            if values
        ),
    )

    rows = [r for r in (event.selection.rows if event else []) if 0 <= r < len(shown)]
    if rows:
        op = shown.iloc[rows[0]]
        with st.container(border=True):
            st.subheader(f"{layout.plain(op['name'])} ({layout.plain(op['operation_id'])})")
            left, right = st.columns([2, 3], gap="large")
            with left:
                end = "ongoing" if pd.isna(op["end_date"]) else format_date(op["end_date"])
                st.markdown(
                    f"**Lead:** {layout.plain(op['lead_agency'])}  \n"
                    f"**Partners:** {layout.plain(op['partners'])}  \n"
                    f"**Region / route:** {layout.plain(op['region'])} / {layout.plain(op['route'])}  \n"
                    f"**Dates:** {format_date(op['start_date'])} – {end} ({layout.plain(op['status'])})"
                )
                st.text("" if fmt.is_missing(op["description"]) else str(op["description"]))
                outcomes = pd.DataFrame(
                    {
                        "Outcome": list(OUTCOMES.values()),
                        "Value": [fmt.gbp(op[k]) if k == "seizures_gbp" else fmt.number(op[k]) for k in OUTCOMES],
                    }
                )
                st.dataframe(
                    outcomes, hide_index=True, placeholder="–", width="stretch", height=38 + 35 * len(outcomes)
                )
            with right:
                nearby = session.cached(queries.operation_incidents, state, str(op["operation_id"]))
                routes = session.cached(queries.routes_with_flows, state)
                deck = maps.build_map_deck(
                    routes=routes[routes["route"] == op["route"]],
                    points=nearby,
                    view={"lat": float(op["lat"]), "lon": float(op["lon"]), "zoom": 6},
                    focus=(op["lat"], op["lon"], f"{_name(op)} · focus"),
                )
                st.pydeck_chart(
                    deck,
                    height=360,
                    key="operations_map",
                    alt=f"Map of the operation's area with {len(nearby)} incidents nearby.",
                )
                st.caption(
                    layout.plain(
                        f"The ring marks the operation's focus; {len(nearby):,} incidents within 1.5° "
                        "of it during the operation and the period · " + layout.source_line(state, "incidents")
                    )
                )
            if len(nearby):
                st.dataframe(nearby, hide_index=True, placeholder="–", width="stretch", height=240)
    else:
        st.caption("Select an operation in the table to see its details, map and nearby incidents.")

    left, right = st.columns(2, gap="large")
    with left:
        layout.chart(
            charts.make_timeline_figure(
                shown, layout.source_line(state, "operations", "60 most recent"), pd.Timestamp(state.end)
            ),
            key="operations_timeline",
        )
    with right:
        layout.chart(
            charts.make_outcomes_by_region_figure(shown, layout.source_line(state, "operations")),
            key="operations_outcomes",
        )


state = session.current_state()
layout.page_header("Operations", state)
ops = session.cached(queries.operations, state)
if ops.empty:  # no st.stop(): the share control and the bottom marking still follow the page
    layout.empty_state(
        "No operations active in this period for these filters",
        "widen the period or clear the region and route filters",
    )
else:
    operations_view(state, ops)
