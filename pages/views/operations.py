"""Operations: which operations ran where and when, with what result?"""

import pandas as pd
import streamlit as st

from dashboard import charts, queries
from dashboard.ui import layout, opsview, session

state = session.current_state()
layout.page_header("Operations", state)
ops = session.cached(queries.operations, state)
if ops.empty:  # no st.stop(): the share control and the bottom marking still follow the page
    layout.empty_state(
        "No operations running in this period for these filters",
        "widen the period or clear the region and route filters",
    )
else:
    shown, chosen = opsview.table_filters(ops)
    st.caption(
        layout.plain(
            f"{len(shown):,} of {len(ops):,} operations running at any time in the period · "
            + layout.source_line(state, "operations", "select a row for details")
        )
    )
    event = opsview.table(shown, state, chosen)
    layout.download_buttons(
        shown,
        "operations",
        state,
        layout.source_line(state, "operations"),
        key="operations_export",
        detail="; ".join(f"{label}: {', '.join(v)}" for label, v in chosen.items() if v),
        gis={"operations": shown},
    )

    op = opsview.selected(shown, event)
    if op is not None:
        opsview.details(op, state)
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
            filter_by="region",  # click a region's bars to filter every page to it
        )
