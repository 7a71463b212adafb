"""Page furniture: the accessibility stylesheet, classification marking, page header, source
lines, empty states, KPI cards, charts, CSV/XLSX downloads and the sidebar's share and save-view
controls; ``plain`` makes data-derived text inert for markdown."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from .. import exports, fmt, gis_export, queries, registry, settings
from ..auth import Forbidden, Permission
from ..filters import COMPARE, FilterState, format_period
from ..saved_views import ViewError, ViewStore
from . import access, session

ACCESSIBILITY_CSS = """<style>
/* WCAG 1.4.3: Streamlit fades captions with opacity 0.6 (3.9:1 on white); solid #5c5a58 is 6.9:1
   (6.5:1 on the sidebar). `body`, not `.stApp`: popovers are drawn outside the app root. */
body [data-testid="stCaptionContainer"] {opacity: 1; color: #5c5a58;}
body [data-testid="stCaptionContainer"] :is(p, em, strong, li, span) {color: #5c5a58;}
/* WCAG 2.4.7 / 1.4.11: the nav links' own focus style is a 1.1:1 tint; give every control a ring. */
body a:focus-visible, body [data-testid="stSidebarNavLink"]:focus-visible {
  outline: 3px solid #005A8C; outline-offset: 1px; border-radius: 4px;}
/* WCAG 2.5.8: the date fields' day/month/year segments are 18x20 px targets; make them 24x24. */
body [data-testid="stDateInputField"] [role="spinbutton"] {
  min-width: 24px; min-height: 24px; line-height: 24px; text-align: center;}
</style>"""
"""Fixes for what axe and the keyboard tests find in Streamlit's own styles: a constant, never data."""


def accessibility_css() -> None:
    # With an (empty, hidden) element besides the <style>, st.html puts it in the page like any other
    # element rather than in Streamlit's event container (a CI run once showed a page without it). In
    # the sidebar, first: present on every page (hidden with the sidebar on the big screen, still
    # applied), and before any page can st.stop().
    st.sidebar.html(ACCESSIBILITY_CSS + '<span aria-hidden="true" hidden></span>')


def marking() -> None:
    """Classification marking, plain text (never HTML)."""
    st.markdown(f"**:red-background[{fmt.md_escape(settings.classification())}]**")


def plain(value: object) -> str:
    """Data-derived text made inert for st.markdown (no links, HTML, maths or formatting)."""
    return "–" if fmt.is_missing(value) else fmt.md_escape(fmt.text(value))


def page_header(title: str, state: FilterState) -> None:
    """Title, the one-line filter description and, for demo data, the synthetic label."""
    st.title(title)
    st.caption(f"{state.describe()} · compared with {state.baseline_words()}")
    if state.version is not None and session.is_synthetic(state.version):
        st.info(
            "**Synthetic demo data** — not real figures. Shapes follow public releases; "
            "import the official files on *Data & sources* to replace it.",
            icon="ℹ️",
        )


def source_line(state: FilterState, table: str, extra: str = "") -> str:
    """'Source: … · as of 31 Oct 2026' for figures drawn from one table of this version."""
    return sources_caption(state, {table: extra})


def sources_caption(state: FilterState, items: dict[str, str]) -> str:
    """One source line for figures from several tables, each source named once:
    'Source: X · as of 31 Oct 2026 (arrivals); 25 Oct 2026 (preventions)'."""
    assert state.version is not None
    return session.source_text(state.version, items)


def store_problem(exc: Exception) -> None:
    """The data store cannot be read: say what is damaged and what to do, instead of a traceback."""
    st.error(f"**The data store cannot be read.** {plain(str(exc))}", icon="⛔")
    st.caption(
        "Nothing has been changed. An administrator can run `python -m dashboard check` on the server to "
        "see which data versions are affected; links pinned to other versions still open."
    )


def empty_state(what: str, hint: str) -> None:
    """Nothing to show, and what to change. A Material icon: the 🔎 emoji drew as a box without an emoji font."""
    st.info(f"{what} — {hint}", icon=":material/search_off:")


def flash() -> None:
    """A one-off success message left by the previous run (e.g. after an import)."""
    message = session.take_message()
    if message:
        st.success(plain(message), icon="✅")


def kpi_cards(df: pd.DataFrame, state: FilterState, per_row: int = 4) -> None:
    """KPI cards with the change against the baseline (state.baseline(): a year earlier by default), named in
    words on every card, and targets. No change is neutral: no coloured arrow for "+0%"."""
    rows = df.to_dict("records")
    base = state.baseline()
    vs = state.vs_words()
    for i in range(0, len(rows), per_row):
        for col, r in zip(st.columns(per_row), rows[i : i + per_row], strict=False):
            with col.container(border=True):
                delta = fmt.change(r["value"], r["previous"])
                same = (
                    not fmt.is_missing(r["value"])
                    and not fmt.is_missing(r["previous"])
                    and float(r["value"]) == float(r["previous"])
                )
                st.metric(
                    r["label"],
                    fmt.kpi_value(r["key"], r["value"]),
                    delta=("no change " + vs) if same else f"{delta} {vs}" if delta else None,
                    delta_color="off" if same else queries.KPI_DIRECTION.get(r["key"], "off"),
                    delta_arrow="off" if same else "auto",
                    help=f"{format_period(base.start, base.end)} ({COMPARE[state.compare]}): "
                    f"{fmt.kpi_value(r['key'], r['previous'])} ({r['unit']})",
                )
                if r["target_label"]:
                    st.caption(
                        f"{fmt.target_share(r['value'], r['target'])} of {r['target_label']} "
                        f"({fmt.kpi_value(r['key'], r['target'])})"
                    )


def chart(fig: go.Figure, key: str, filter_by: str | None = None) -> None:
    """A plotly figure as built (our fonts and colours, not Streamlit's theme); PNG export offline. With
    `filter_by` ("route" or "region"), clicking a bar sets that shared filter to the bar's name (its
    customdata), as in Grafana or Superset: the URL and every page follow."""
    st.plotly_chart(
        fig,
        key=key,
        theme=None,
        on_select=(lambda: session.filter_from_chart(key, filter_by)) if filter_by else "ignore",
        selection_mode="points",
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "scale": 2, "filename": f"tideline-{key}"},
        },
    )
    if filter_by:
        st.caption(f"Click a bar to show only that {filter_by} on every page; clear it in the sidebar.")


def download_buttons(
    df: pd.DataFrame,
    name: str,
    state: FilterState,
    source: str,
    key: str,
    detail: str = "",
    gis: Mapping[str, pd.DataFrame | None] | None = None,
) -> None:
    """'Download CSV' and 'Download XLSX' of the filtered data behind a view, marked and described; with `gis`
    (gis_export.layers' frames: incidents, cells, routes, operations) GeoPackage, GeoJSON and KML too."""
    description = state.describe(with_version=False) + (f" · {detail}" if detail else "")
    tip = (
        f"The {len(df):,} rows behind this view, with the classification marking, the filters and the data "
        f"version. {exports.NEUTRALISED_NOTE}"
    )
    export_buttons(df, name, key, description=description, version=state.version, source=source, tip=tip)
    if gis is not None:
        what = ", ".join(k.replace("_", " ") for k, f in gis.items() if f is not None)
        gis_tip = (
            f"For QGIS or ArcGIS, in WGS84 (EPSG:4326): {what} as the page shows them, each feature with the "
            "classification marking, the file with the filters"
        )
        _download_row(
            f"{key}_gis",
            name,
            sum(len(f) for f in gis.values() if f is not None),
            [
                (ext, label, gis_export.MIME[ext], functools.partial(gis_export.build, ext, dict(gis)))
                for ext, label in ((".gpkg", "GeoPackage"), (".geojson", "GeoJSON"), (".kml", "KML"))
            ],
            description=description,
            version=state.version,
            source=source,
            tip=gis_tip,
            icon=":material/map:",
            button_key=lambda ext: f"{key}_{ext.lstrip('.')}",
        )


def export_buttons(
    df: pd.DataFrame, name: str, key: str, *, description: str, version: int | None, source: str, tip: str
) -> None:
    """The CSV and XLSX buttons themselves: each file marked, described (`description`: what the rows are
    and which filters or versions they follow), built only when clicked."""
    _download_row(
        key,
        name,
        len(df),
        [
            ("csv", "Download CSV", exports.CSV_MIME, functools.partial(exports.to_csv_bytes, df)),
            ("xlsx", "Download XLSX", exports.XLSX_MIME, functools.partial(exports.to_xlsx_bytes, df)),
        ],
        description=description,
        version=version,
        source=source,
        tip=tip,
        icon=":material/download:",
        button_key=lambda ext: f"{key}_{ext}",
    )


def _download_row(
    key: str,
    name: str,
    rows: int,
    files: list[tuple[str, str, str, Callable[..., bytes]]],
    *,
    description: str,
    version: int | None,
    source: str,
    tip: str,
    icon: str,
    button_key: Callable[[str], str],
) -> None:
    """A row of download buttons, one per (extension, label, mime, builder): each file marked, described and
    named with the marking first, built only when clicked."""
    if not access.can(Permission.EXPORT):  # viewers: no buttons (and the builder would refuse them anyway)
        return
    marking = settings.classification()
    now = datetime.now(UTC)  # the moment the view was drawn: in the file name and the file
    with st.container(horizontal=True, key=f"{key}_downloads"):
        for ext, label, mime, build in files:
            file_name = exports.export_filename(name, marking, ext, now)
            # Built on click, on Streamlit's download thread: a rerun never pays for a file nobody asked for.
            # The builder checks the role again and records the export in the audit trail.
            data = access.audited_build(
                access.current(),
                file_name,
                rows,
                version,
                build,
                generated_at=now,
                classification=marking,
                description=description,
                version=version,
                source=source,
                produced_by=access.produced_by(),
            )
            st.download_button(
                label,
                data,
                file_name=file_name,
                mime=mime,
                key=button_key(ext),
                help=tip,
                on_click="ignore",
                icon=icon,
            )


# -- the sidebar's controls under every page ----------------------------------------------------
def share_link(state: FilterState, url_path: str) -> str:
    """The whole view as a link: absolute (TIDELINE_PUBLIC_URL, or the browser's origin) when known."""
    query = urlencode(session.view_params(state, url_path), doseq=True)
    return f"{session.base_url() or ''}{registry.page(url_path).link}?{query}"


def share_control(state: FilterState, url_path: str) -> None:
    """'Share this view': a link to this page as it is now, on this data version."""
    with st.sidebar.popover("Share this view", icon=":material/link:", use_container_width=True):
        st.caption(
            f"This link opens this page as you see it, on data version {state.version}, so the numbers stay the "
            "same after new imports. Copy it with the button at the right of the box."
        )
        st.code(share_link(state, url_path), language=None, wrap_lines=True)


def view_store() -> ViewStore:
    return ViewStore(session.store().data_dir)


def save_view_control(state: FilterState, url_path: str) -> None:
    """'Save this view' for the briefing: title and note, stored in the data directory."""
    with st.sidebar.popover("Save view for briefing", icon=":material/bookmark_add:", use_container_width=True):
        with st.form("save_view_form", clear_on_submit=True, border=False):
            title = st.text_input("Title", max_chars=120, key="save_view_title")
            note = st.text_area("Why this matters (optional)", max_chars=2000, key="save_view_note")
            shared = st.checkbox(
                "Share with the command",
                value=True,
                key="save_view_shared",
                help="Shared views are in everyone's briefing; unshared ones only in yours (and an admin's).",
            )
            if st.form_submit_button("Save view", type="primary"):
                who = access.current()
                try:
                    view = view_store().add(
                        title, note, url_path, state, session.page_params(url_path), owner=who, shared=shared
                    )
                except (ViewError, Forbidden) as exc:
                    st.error(plain(str(exc)))
                else:
                    access.record(
                        "saved_view",
                        who,
                        {
                            "action": "add",
                            "id": view.id,
                            "title": view.title,
                            "link": view.link(),
                            "shared": view.shared,
                        },
                    )
                    position = [v.id for v in view_store().visible(who)].index(view.id) + 1
                    st.success(f"Saved “{plain(view.title)}” as slide {position} of the briefing.")


def incident_columns() -> dict[str, Any]:
    """Friendly labels and formats for incident points (queries.POINT_COLUMNS) and grid cells
    (queries.map_cells), wherever they are tabled."""
    return {
        "incident_id": st.column_config.TextColumn("Incident", width=110),
        "date": st.column_config.DateColumn("Date", format="D MMM YYYY", width=110),
        "lat": st.column_config.NumberColumn("Latitude", format="%.3f"),
        "lon": st.column_config.NumberColumn("Longitude", format="%.3f"),
        "region": st.column_config.TextColumn("Region"),
        "route": st.column_config.TextColumn("Route"),
        "incident_type": st.column_config.TextColumn("Type"),
        "people": st.column_config.NumberColumn("People", format="%,d"),
        "dead": st.column_config.NumberColumn("Dead", format="%,d"),
        "missing": st.column_config.NumberColumn("Missing", format="%,d"),
        "survivors": st.column_config.NumberColumn("Survivors", format="%,d"),
        "cause": st.column_config.TextColumn("Cause"),
        "location": st.column_config.TextColumn("Location"),
        "cell_lat": st.column_config.NumberColumn("Cell centre latitude", format="%.3f"),
        "cell_lon": st.column_config.NumberColumn("Cell centre longitude", format="%.3f"),
        "cell_size_deg": st.column_config.NumberColumn("Cell size (°)", format="%g"),
        "incidents": st.column_config.NumberColumn("Incidents", format="%,d"),
        "dead_missing": st.column_config.NumberColumn("Dead and missing", format="%,d"),
    }


def row_picker(df: pd.DataFrame, key: str, id_column: str, selected: str | None, **options: Any) -> Any:
    """A table with one selectable row, drawn with the row whose `id_column` is `selected` already selected
    (Streamlit keeps a selection by row position, so give a new `key` whenever the rows may have moved).
    Returns the selection event; `options` go to st.dataframe (height, column_config, …)."""
    ids = df[id_column].astype(str).tolist() if selected is not None and id_column in df else []
    rows = [i for i, v in enumerate(ids) if v == selected][:1]
    return st.dataframe(
        df,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        selection_default={"selection": {"rows": rows, "columns": []}} if rows else None,
        hide_index=True,
        placeholder="–",
        width="stretch",
        **options,
    )
