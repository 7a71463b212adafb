"""Who arrives, and how: the Home Office's quarterly irregular-migration detailed dataset (arrivals by method
of entry, nationality, sex and age; small-boat arrivals' asylum applications) and Frontex's nationalities."""

import streamlit as st

from dashboard import charts, fmt, queries
from dashboard.ui import layout, session

state = session.current_state()
layout.page_header("Who arrives", state)
st.caption(
    "Quarterly figures: the quarters that overlap the period are shown. The nationality filter applies here; "
    "region, route and incident type do not (the Home Office publishes arrivals for the UK as a whole)."
)

by_method = session.cached(queries.arrivals_by_method, state)
if by_method.empty:
    layout.empty_state(
        "No irregular-arrivals data for these filters",
        "import the Home Office 'Irregular migration to the UK, detailed dataset' (XLSX) on Data & sources, "
        "widen the period, or clear the nationality filter",
    )
else:
    source = layout.source_line(state, "irregular_arrivals", "detections of people, quarterly")
    total = int(by_method["detections"].sum())
    boats = int(by_method.loc[by_method["method"] == queries.SMALL_BOATS, "detections"].sum())
    share = f"small boats {fmt.number(100 * boats / total, 0)}% of the total" if total else "no detections"
    asylum = session.cached(queries.asylum_against_arrivals, state)
    first, last = by_method["quarter_start"].min(), by_method["quarter_start"].max()
    quarters = (
        f"{charts.quarter_label(first)} – {charts.quarter_label(last)}"
        if first != last
        else charts.quarter_label(first)
    )

    c1, c2, c3, c4 = st.columns(4)
    c1.metric(f"Detected irregular arrivals, {quarters}", fmt.number(total), border=True)
    c2.metric(
        "Small-boat arrivals",
        fmt.number(boats),
        border=True,
        help=f"{share.capitalize()} detected in these quarters (Irr_D01). The daily small-boats series differs "
        "slightly (another extraction date).",
    )
    applications = asylum["applications"].sum(min_count=1) if len(asylum) else None
    uasc = asylum["uasc"].sum(min_count=1) if len(asylum) else None
    c3.metric("Asylum applications from small-boat arrivals", fmt.number(applications), border=True)
    c4.metric("of which unaccompanied children (UASC)", fmt.number(uasc), border=True)

    layout.chart(charts.make_arrivals_by_method_figure(by_method, source, share), key="arrivals_by_method")
    layout.download_buttons(by_method, "arrivals-by-method", state, source, key="arrivals_by_method_export")

    st.subheader("Top nationalities by method of entry")
    methods = list(dict.fromkeys(by_method["method"]))
    st.session_state.setdefault(
        "arrivals_method", queries.SMALL_BOATS if queries.SMALL_BOATS in methods else methods[0]
    )
    if st.session_state["arrivals_method"] not in methods:
        st.session_state["arrivals_method"] = methods[0]
    method = st.segmented_control(
        "Method of entry", methods, key="arrivals_method", required=True, format_func=layout.plain
    )
    top = session.cached(queries.arrivals_top_nationalities, state)
    chosen = top[top["method"] == method]
    left, right = st.columns(2, gap="large")
    with left:
        if chosen.empty:
            layout.empty_state(f"No {layout.plain(method)} in the latest quarter", "widen the period")
        else:
            q = charts.quarter_label(chosen["quarter_start"].iloc[0])
            layout.chart(
                charts.make_top_nationalities_figure(
                    chosen, source, f"Top nationalities, {q}, against a year earlier (people)"
                ),
                key="arrivals_top",
            )
            table = chosen[["rank", "nationality", "detections", "year_earlier", "change"]]
            st.dataframe(
                table,
                hide_index=True,
                placeholder="–",
                width="stretch",
                column_config={
                    "rank": st.column_config.NumberColumn("Rank", format="%d", width=60),
                    "nationality": st.column_config.TextColumn("Nationality"),
                    "detections": st.column_config.NumberColumn(f"{q} (people)", format="%,d"),
                    "year_earlier": st.column_config.NumberColumn("A year earlier", format="%,d"),
                    "change": st.column_config.NumberColumn(
                        "Change", format="%+,d", help="Against the same quarter a year earlier; – where it had none"
                    ),
                },
            )
            layout.download_buttons(chosen, "arrivals-top-nationalities", state, source, key="arrivals_top_export")
    with right:
        sex_age = session.cached(queries.arrivals_by_sex_age, state, method)
        if sex_age.empty:
            layout.empty_state(f"No {layout.plain(method)} by sex and age for these filters", "widen the period")
        else:
            layout.chart(
                charts.make_sex_age_figure(sex_age, source, f"{method} by sex and age group, {quarters} (people)"),
                key="arrivals_sex_age",
            )
            layout.download_buttons(sex_age, "arrivals-sex-age", state, source, key="arrivals_sex_age_export")

    st.subheader("Asylum applications from small-boat arrivals")
    asylum_source = layout.sources_caption(
        state,
        {
            "irregular_arrivals": "arrivals (Irr_D01)",
            "small_boat_asylum": "applications raised, main applicants and dependants (Irr_D02)",
        },
    )
    if asylum["applications"].isna().all() if len(asylum) else True:
        layout.empty_state(
            "No asylum applications from small-boat arrivals for these filters",
            "the Home Office dataset's Irr_D02 sheet holds them: import it on Data & sources",
        )
    else:
        layout.chart(charts.make_asylum_figure(asylum, asylum_source), key="arrivals_asylum")
        rate = asylum.dropna(subset=["applications", "small_boat_arrivals"])
        if len(rate) and rate["small_boat_arrivals"].sum():
            pct = 100 * rate["applications"].sum() / rate["small_boat_arrivals"].sum()
            st.caption(
                f"Applications raised equal {fmt.number(pct, 0)}% "
                "of small-boat arrivals over these quarters (an application can be raised in a later quarter "
                "than the arrival, and dependants are counted)."
            )
        layout.download_buttons(asylum, "small-boat-asylum", state, asylum_source, key="arrivals_asylum_export")

st.subheader("Frontex: detections by nationality")
frontex = session.cached(queries.frontex_nationalities, state)
if frontex.empty:
    layout.empty_state("No Frontex detections for these filters", "widen the period or clear the route filter")
else:
    fx_source = layout.source_line(state, "route_flows", "detections, not people")
    layout.chart(
        charts.make_top_nationalities_figure(
            frontex,
            fx_source,
            "Frontex detections by nationality, top 10 in the period (detections, not people)",
            bar_name="In the period",
            unit="detections",
        ),
        key="arrivals_frontex",
    )
    layout.download_buttons(frontex, "frontex-nationalities", state, fx_source, key="arrivals_frontex_export")
