"""The Operations page's widgets: the table's own filters, the table, and a selected operation's
details with its map of nearby incidents. Each takes what it draws as parameters."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from .. import fmt, maps, queries
from ..filters import FilterState, format_date
from . import session
from .layout import incident_columns, plain, row_picker, source_line

OUTCOMES = {
    "arrests": "Arrests",
    "charges": "Charges",
    "convictions": "Convictions",
    "networks_disrupted": "Networks disrupted",
    "boats_engines_seized": "Boats and engines seized",
    "seizures_gbp": "Seized (£)",
}
SELECTED_KEY = "operations_selected"
COLUMNS = [
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
]


def table_filters(ops: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Status, lead agency and free-text search over the operations: (the rows kept, what was chosen)."""
    f1, f2, f3 = st.columns([1, 1, 2])
    statuses, agencies = sorted(ops["status"].unique()), sorted(ops["lead_agency"].unique())
    _only_offered("operations_status", statuses, "status")
    _only_offered("operations_agency", agencies, "lead agency")
    status = f1.multiselect("Status", statuses, key="operations_status", placeholder="Any status")
    agency = f2.multiselect("Lead agency", agencies, key="operations_agency", placeholder="Any agency")
    text = f3.text_input(
        "Search name, description, partners",
        key="operations_search",
        max_chars=100,
        placeholder="e.g. Kestrel, engines, Europol",
    ).strip()
    shown = ops
    if status:
        shown = shown[shown["status"].isin(status)]
    if agency:
        shown = shown[shown["lead_agency"].isin(agency)]
    if text:
        haystack = shown[["name", "description", "partners", "operation_id"]].fillna("").agg(" ".join, axis=1)
        shown = shown[haystack.str.contains(text, case=False, regex=False)]
    return shown, {"status": status, "lead agency": agency, "search": [f"'{text}'"] if text else []}


def _only_offered(key: str, offered: list[str], label: str) -> None:
    """Values from a link that this table does not offer (for these filters) are dropped, with a notice."""
    chosen = st.session_state.get(key) or []
    kept = [v for v in chosen if v in offered]
    if len(kept) != len(chosen):
        st.session_state[key] = kept
        dropped = ", ".join(repr(v[:40]) for v in chosen if v not in offered)
        st.caption(f"Not among the operations in these filters, so not applied: {label} {plain(dropped)}")


def selected(shown: pd.DataFrame, event: Any) -> pd.Series | None:
    """The operation selected in the table, remembered by id (SELECTED_KEY, in the URL as ops.op), or None."""
    rows = [r for r in (event.selection.rows if event else []) if 0 <= r < len(shown)]
    if rows:
        st.session_state[SELECTED_KEY] = str(shown.iloc[rows[0]]["operation_id"])
        return shown.iloc[rows[0]]
    st.session_state.pop(SELECTED_KEY, None)  # deselected, or not in the table for these filters
    return None


def table(shown: pd.DataFrame, state: FilterState, chosen: dict[str, list[str]]) -> Any:
    """The operations as a table with one selectable row; returns the selection event. The selection is kept
    by operation id, so it survives a change of filters (and opens from a link)."""
    # A selection is a row position in the table as it was drawn: a new key per filter combination starts
    # from the remembered operation's position in the new rows.
    key = "operations_table_" + str(abs(hash((state, repr(sorted(chosen.items())).lower()))))
    return row_picker(
        shown,
        key,
        "operation_id",
        st.session_state.get(SELECTED_KEY),
        height=380,
        column_order=COLUMNS,
        # Sized to fit the main column at 1920 px with the sidebar open (~1,460 px with the row markers): no
        # sideways scrolling on the big screen; long names are cut with an ellipsis (the details show them).
        column_config={
            "operation_id": st.column_config.TextColumn("ID", width=75),
            "name": st.column_config.TextColumn("Operation", width=185),
            "status": st.column_config.TextColumn("Status", width=80),
            "lead_agency": st.column_config.TextColumn("Lead agency", width=135),
            "region": st.column_config.TextColumn("Region", width=115),
            "route": st.column_config.TextColumn("Route", width=140),
            "start_date": st.column_config.DateColumn("Start", format="D MMM YYYY", width=105),
            "end_date": st.column_config.DateColumn("End", format="D MMM YYYY", width=105),
            "arrests": st.column_config.NumberColumn("Arrests", format="%,d", width=62),
            "charges": st.column_config.NumberColumn("Charges", format="%,d", width=66),
            "convictions": st.column_config.NumberColumn("Convictions", format="%,d", width=86),
            "networks_disrupted": st.column_config.NumberColumn(
                "Networks", format="%,d", width=76, help="Organised crime networks disrupted"
            ),
            "boats_engines_seized": st.column_config.NumberColumn(
                "Boats/engines", format="%,d", width=100, help="Boats and engines seized"
            ),
            "seizures_gbp": st.column_config.NumberColumn(
                "Seized £", format="£%,d", width=80, help="Cash and assets seized (£)"
            ),
        },
    )


def details(op: pd.Series, state: FilterState) -> None:
    """One operation: lead, partners, dates, outcomes; its focus on a map with the incidents near it."""
    with st.container(border=True):
        st.subheader(f"{plain(op['name'])} ({plain(op['operation_id'])})")
        left, right = st.columns([2, 3], gap="large")
        with left:
            end = "ongoing" if pd.isna(op["end_date"]) else format_date(op["end_date"])
            st.markdown(
                f"**Lead:** {plain(op['lead_agency'])}  \n**Partners:** {plain(op['partners'])}  \n"
                f"**Region / route:** {plain(op['region'])} / {plain(op['route'])}  \n"
                f"**Dates:** {format_date(op['start_date'])} – {end} ({plain(op['status'])})"
            )
            st.text("" if fmt.is_missing(op["description"]) else str(op["description"]))
            outcomes = pd.DataFrame(
                {
                    "Outcome": list(OUTCOMES.values()),
                    "Value": [fmt.gbp(op[k]) if k == "seizures_gbp" else fmt.number(op[k]) for k in OUTCOMES],
                }
            )
            st.dataframe(outcomes, hide_index=True, placeholder="–", width="stretch", height=38 + 35 * len(outcomes))
        with right:
            nearby = session.cached(queries.operation_incidents, state, str(op["operation_id"]))
            routes = session.cached(queries.routes_with_flows, state)
            name = op["operation_id"] if fmt.is_missing(op["name"]) else op["name"]
            deck = maps.build_map_deck(
                routes=routes[routes["route"] == op["route"]],
                points=nearby,
                view={"lat": float(op["lat"]), "lon": float(op["lon"]), "zoom": 6},
                focus=(op["lat"], op["lon"], f"{name} · focus"),
            )
            st.pydeck_chart(
                deck,
                height=360,
                key="operations_map",
                alt=f"Map of the operation's area with {len(nearby)} incidents nearby.",
            )
            st.caption(
                plain(
                    f"The ring marks the operation's focus; {len(nearby):,} incidents within 1.5° of it "
                    f"during the operation and the period · {source_line(state, 'incidents')}"
                )
            )
        if len(nearby):
            st.dataframe(
                nearby,
                hide_index=True,
                placeholder="–",
                width="stretch",
                height=240,
                column_config=incident_columns(),
            )
