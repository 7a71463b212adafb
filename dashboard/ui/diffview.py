"""The Data & sources page's "Compare two data versions": two version pickers, the rows added, removed and
changed per table and source, one table and source in detail (totals by year before and after, as a table
and a chart; the last year by month; the largest revisions), and the comparison as CSV/XLSX."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from .. import charts, diff, exports, fmt
from . import layout, session

DATE_PX = 110  # "19 Oct 2026" whole
ONE_VERSION = "Only one data version: import a release to compare."


def compare_section() -> None:
    """The whole section: pickers, then the comparison (or why there is none)."""
    versions = session.versions()
    if len(versions) < 2:
        st.info(ONE_VERSION, icon=":material/compare_arrows:")
        return
    by_id = {v.id: v for v in versions}
    current = versions[-1].id
    ids = [v.id for v in reversed(versions)]  # newest first, as in the sidebar

    def label(i: int) -> str:
        v = by_id[i]
        what = v.file_name or v.source_name
        return f"{i}{' (current)' if i == current else ''} · {fmt.text(what)} · {diff.created_day(v)}"

    left, right = st.columns(2)
    old_id = left.selectbox("Earlier version", ids, index=1, key="data_diff_old", format_func=label)
    new_id = right.selectbox("Later version", ids, index=0, key="data_diff_new", format_func=label)
    if old_id is None or new_id is None:
        return
    if old_id == new_id:
        st.info(
            f"Both choices are data version {old_id}: nothing to compare. Choose two different versions.",
            icon=":material/info:",
        )
        return
    if old_id > new_id:
        st.caption(
            f"The earlier choice is the newer version: the changes read from data version {old_id} back to "
            f"data version {new_id}."
        )
    result = session.compare_versions(old_id, new_id)
    show(result)


def show(result: diff.Diff) -> None:
    """The comparison: the counts per table and source, one of them in detail, and the exports."""
    old, new = result.old.id, result.new.id
    st.markdown(f"**Data version {old} → {new}:** {result.summary()}.")
    changed = result.changed()
    if changed.empty:
        st.info(
            f"Every table holds the same rows in data versions {old} and {new} (the provenance columns aside).",
            icon=":material/check:",
        )
        return
    st.caption(
        "Rows matched on each table's key and source; a row is changed when any column other than the provenance "
        "(file checksum, loading version) differs. Tables and sources not listed are the same in both versions."
    )
    st.dataframe(
        changed,
        hide_index=True,
        placeholder="–",
        width="stretch",
        key="data_diff_changes",
        column_config={
            "table": st.column_config.TextColumn("Table", width=170),
            "source": st.column_config.TextColumn("Source", width=330),
            "rows_before": st.column_config.NumberColumn(f"Rows in {old}", format="%,d", width=100),
            "rows_after": st.column_config.NumberColumn(f"Rows in {new}", format="%,d", width=100),
            "added": st.column_config.NumberColumn("Added", format="%,d", width=90),
            "removed": st.column_config.NumberColumn("Removed", format="%,d", width=90),
            "changed": st.column_config.NumberColumn("Changed", format="%,d", width=90),
            "as_of_before": st.column_config.DateColumn(
                f"As of in {old}", format="D MMM YYYY", width=DATE_PX, help="The latest date in the data"
            ),
            "as_of_after": st.column_config.DateColumn(
                f"As of in {new}", format="D MMM YYYY", width=DATE_PX, help="The latest date in the data"
            ),
        },
    )
    _downloads(result.changes, "version-changes", "data_diff_changes_dl", "Rows added, removed and changed", result)
    measured = changed[changed["table"].isin(list(diff.MEASURES))].reset_index(drop=True)
    if measured.empty:
        st.caption("None of the changed tables has a main count to total by year.")
        return
    pairs = list(zip(measured["table"], measured["source"], strict=True))
    pick = st.selectbox(
        "Show in detail",
        range(len(pairs)),
        key="data_diff_pick",
        format_func=lambda i: f"{pairs[i][0]} · {fmt.text(pairs[i][1])}",
        help="One table and source: its totals before and after, and its largest revisions.",
    )
    table, source = pairs[pick or 0]
    detail(result, measured.iloc[pick or 0], table, source)
    _downloads(result.totals, "version-totals", "data_diff_totals_dl", "Totals before and after", result)
    _downloads(result.revisions, "version-revisions", "data_diff_revisions_dl", "Largest revisions", result)


def _source(result: diff.Diff, row: pd.Series, source: str) -> str:
    """'Source: X · data version 3 as of 19 Mar 2025; data version 2 as of 12 Mar 2025'."""
    return (
        f"Source: {fmt.text(source)} · data version {result.new.id} as of {fmt.as_of(row['as_of_after'])}; "
        f"data version {result.old.id} as of {fmt.as_of(row['as_of_before'])}"
    )


def detail(result: diff.Diff, row: pd.Series, table: str, source: str) -> None:
    """One table and source: counts, totals by year (table and chart), the last year by month, revisions."""
    old, new = result.old.id, result.new.id
    measure = diff.MEASURES[table].label
    line = _source(result, row, source)
    st.markdown(
        f"**{layout.plain(table)}** · {int(row['added']):,} added, {int(row['removed']):,} removed, "
        f"{int(row['changed']):,} changed · {int(row['rows_before']):,} rows in data version {old}, "
        f"{int(row['rows_after']):,} in data version {new}"
    )
    totals = result.totals[(result.totals["table"] == table) & (result.totals["source"] == source)]
    years = totals[totals["period_type"] == "year"].reset_index(drop=True)
    months = totals[totals["period_type"] == "month"].reset_index(drop=True)
    counts = {
        "before": st.column_config.NumberColumn(f"Data version {old}", format="%,d", width=150),
        "after": st.column_config.NumberColumn(f"Data version {new}", format="%,d", width=150),
        "difference": st.column_config.NumberColumn("Difference", format="%,d", width=120),
    }
    if years.empty:
        layout.empty_state(f"No {measure} totals", "neither version has a dated row of this table and source")
    else:
        left, right = st.columns([2, 3])
        with left:
            st.markdown(f"**{measure.capitalize()} by year**")
            st.dataframe(
                years[["period", "before", "after", "difference"]],
                hide_index=True,
                placeholder="–",
                width="stretch",
                key="data_diff_years",
                column_config={"period": st.column_config.TextColumn("Year", width=80), **counts},
            )
            last = months["period"].iloc[0][:4] if len(months) else ""
            st.markdown(f"**{last} by month**" if last else "**By month**")
            st.dataframe(
                months.assign(period=pd.to_datetime(months["period"] + "-01", errors="coerce"))[
                    ["period", "before", "after", "difference"]
                ],
                hide_index=True,
                placeholder="–",
                width="stretch",
                key="data_diff_months",
                column_config={"period": st.column_config.DateColumn("Month", format="MMM YYYY", width=110), **counts},
            )
        with right:
            layout.chart(year_figure(years, measure, old, new, line), key="data_diff_chart")
    st.caption(layout.plain(line))
    revisions = result.revisions[(result.revisions["table"] == table) & (result.revisions["source"] == source)]
    st.markdown(f"**Largest revisions** · {measure}")
    if revisions.empty:
        layout.empty_state("No changed rows", "rows were only added or removed")
        return
    st.caption(
        f"Changed rows, the largest change in {measure} first (at most {result.top}); the change is the later "
        "version's figure less the earlier one's, a figure not available counted as 0. 'Columns changed' names "
        "every column that differs."
    )
    st.dataframe(
        revisions[["date", "key", "before", "after", "change", "columns_changed"]],
        hide_index=True,
        placeholder="–",
        width="stretch",
        key="data_diff_revisions",
        column_config={
            "date": st.column_config.DateColumn("Date", format="D MMM YYYY", width=DATE_PX),
            "key": st.column_config.TextColumn("Row", width=300, help="The row's key besides its date and source"),
            **counts,
            "change": st.column_config.NumberColumn("Change", format="%,d", width=120),
            "columns_changed": st.column_config.TextColumn("Columns changed", width=300),
        },
    )


def year_figure(years: pd.DataFrame, measure: str, old: int, new: int, source: str) -> go.Figure:
    """Totals by year in both versions: the earlier muted and hatched, the later with the difference written on."""
    x = years["period"].astype(str).tolist()
    fig = charts.figure()
    fig.add_bar(
        x=x,
        y=years["before"].astype(float),
        name=f"Data version {old}",
        marker={"color": charts.PREVIOUS, "pattern": {"shape": "/"}},
        hovertemplate=f"%{{x}}: %{{y:,}} in data version {old}<extra></extra>",
    )
    fig.add_bar(
        x=x,
        y=years["after"].astype(float),
        name=f"Data version {new}",
        marker={"color": charts.NOW},
        text=["–" if fmt.is_missing(d) else f"{int(d):+,}" for d in years["difference"]],
        textposition="outside",
        cliponaxis=False,
        hovertemplate=f"%{{x}}: %{{y:,}} in data version {new} (%{{text}})<extra></extra>",
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero")
    title = f"{measure.capitalize()} by year, data version {old} and {new}"
    return charts.layout(fig, title, source, yaxis=measure.capitalize(), height=380)


def _downloads(df: pd.DataFrame, name: str, key: str, what: str, result: diff.Diff) -> None:
    """CSV and XLSX of one part of the comparison, described by the two versions (the sidebar's filters do not
    apply to a comparison)."""
    sources = "; ".join(dict.fromkeys(str(s) for s in df["source"])) if "source" in df else ""
    st.caption(f"{what}, every table and source ({len(df):,} rows):")
    layout.export_buttons(
        df,
        name,
        key,
        description=f"{what}: data version {result.old.id} against data version {result.new.id}, every date",
        version=result.new.id,
        source=f"Source: {sources}" if sources else "Source: –",
        tip=f"{what}: {len(df):,} rows, with the classification marking and both data versions. "
        f"{exports.NEUTRALISED_NOTE}",
    )
