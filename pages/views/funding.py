"""Funding & resources: where do the money and the staff go, against plan?"""

import streamlit as st

from dashboard import charts, fmt, queries
from dashboard.ui import layout, session

state = session.current_state()
layout.page_header("Funding & resources", state)
st.caption(
    "Funding and staffing are national programmes: the region, route and type filters do not apply; "
    "the period sets the outcomes shown next to spend."
)

funding = session.cached_version(queries.funding_by_year, state.version)
if funding.empty:
    layout.empty_state("No funding data in this data version", "import a funding table on Data & sources")
else:
    programmes = sorted(funding["programme"].unique())
    programme = st.segmented_control(
        "Programme", programmes, default=programmes[0], key="funding_programme", required=True
    )
    chosen = funding[funding["programme"] == programme]
    left, right = st.columns(2, gap="large")
    with left:
        layout.chart(charts.make_funding_figure(chosen, layout.source_line(state, "funding")), key="funding_years")
    with right:
        burn = session.cached_version(queries.funding_burnup, state.version, programme)
        layout.chart(
            charts.make_burnup_figure(
                burn, layout.source_line(state, "funding"), f"{programme}: cumulative spend against plan (£ million)"
            ),
            key="funding_burnup",
        )
    with st.expander("Allocation and spend by funding line and financial year (table)"):
        st.dataframe(
            chosen,
            hide_index=True,
            placeholder="–",
            width="stretch",
            # The programme is the one chosen above: not repeated on every row.
            column_order=[
                "funding_line",
                "category",
                "financial_year",
                "allocated_gbp",
                "spent_gbp",
                "months_reported",
            ],
            column_config={
                "funding_line": st.column_config.TextColumn("Funding line", width=360),
                "category": st.column_config.TextColumn("Category", width=140),
                "financial_year": st.column_config.TextColumn("Financial year", width=130),
                "allocated_gbp": st.column_config.NumberColumn("Allocated (£)", format="£%,d", width=160),
                "spent_gbp": st.column_config.NumberColumn("Spent to date (£)", format="£%,d", width=160),
                "months_reported": st.column_config.NumberColumn(
                    "Months reported", format="%d", width=140, help="Months with spend reported in the year"
                ),
            },
        )

st.subheader("Staffing: planned and in post")
staff = session.cached_version(queries.staffing_series, state.version)
if staff.empty:
    layout.empty_state("No staffing data in this data version", "import a staffing table on Data & sources")
else:
    left, right = st.columns(2, gap="large")
    with left:
        layout.chart(charts.make_staffing_figure(staff, layout.source_line(state, "staffing")), key="staff_series")
    with right:
        units = session.cached_version(queries.staffing_by_unit, state.version, state.end)
        if units.empty:
            layout.empty_state("No staff in post reported by the end of the period", "move the period later")
        else:
            layout.chart(
                charts.make_staffing_units_figure(
                    units, layout.source_line(state, "staffing"), fmt.as_of(units["month"].iloc[0])
                ),
                key="staff_units",
            )

st.subheader("Spend next to outcomes")
outcomes = session.cached(queries.spend_and_outcomes, state)
if outcomes["spent_gbp"].notna().any() or outcomes["networks_disrupted"].sum() > 0:
    layout.chart(
        charts.make_spend_outcomes_figure(
            outcomes, layout.source_line(state, "funding", "outcomes: operations and preventions in the same filters")
        ),
        key="spend_outcomes",
    )
else:
    layout.empty_state("No spend or outcomes in this period", "widen the period (BSC funding starts Sep 2024)")
st.warning(
    "Spend and outcomes are shown side by side, not as cause and effect: outcomes depend on partners, "
    "weather and criminal adaptation as well as funding, and often lag spend by months.",
    icon="⚠️",
)
