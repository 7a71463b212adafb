"""Briefing slides: a saved view computed against its pinned data version into what a slide and
the pack show (title, filters, KPIs, the page's main figure, source). Pure: no streamlit.

Which KPIs and which figure a page's slide shows is the registry's (``registry.SlideSpec``); the
figures themselves are built here, one function per ``SlideSpec.figure`` key in ``FIGURES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

import duckdb
import pandas as pd
import plotly.graph_objects as go

from . import charts, fmt, plotly_map, queries, registry, viewstate
from .filters import FilterState, small_int
from .saved_views import SavedView, default_sequence
from .store import Store

OPERATIONS_SHOWN = 15  # timeline rows: readable on one printed page


@dataclass
class Slide:
    """Everything one view shows, computed from the store."""

    view: SavedView
    page: registry.Page  # the view's page (the Overview when the saved page no longer exists)
    state: FilterState
    notices: list[str]
    description: str
    kpis: pd.DataFrame  # every KPI (queries.kpis)
    figure: go.Figure
    source: str
    synthetic: bool

    @property
    def shown_kpis(self) -> pd.DataFrame:
        """The four KPIs this page's slide shows, in the registry's order."""
        assert self.page.slide is not None
        return self.kpis.set_index("key").loc[list(self.page.slide.kpis)].reset_index()


def default_state(store: Store) -> FilterState:
    """The default filters on the current data version."""
    ids = tuple(v.id for v in store.versions())
    con = store.connect()
    try:
        return FilterState.default(queries.filter_options(con, ids, store.current_id()))
    finally:
        con.close()


def default_views(store: Store) -> list[SavedView]:
    """The default briefing sequence at the default filters of the current version."""
    return default_sequence(default_state(store))


def build_slide(
    store: Store, view: SavedView, connections: dict[int, duckdb.DuckDBPyConnection] | None = None
) -> Slide:
    """Compute a view against its pinned data version (`connections` lets a pack reuse them)."""
    params = parse_qs(view.query, keep_blank_values=True)
    ids = tuple(v.id for v in store.versions())
    current = store.current_id()
    assert current is not None, "an initialised store has a current version"
    pinned = small_int(params.get("version", [""])[-1])
    version = pinned if pinned in ids else current
    own = connections is None
    connections = {} if connections is None else connections
    if version not in connections:
        connections[version] = store.connect(version)
    con = connections[version]
    try:
        options = queries.filter_options(con, ids, current)
        state, notices = FilterState.from_query_params(params, options, known=viewstate.keys(view.page))
        synthetic = queries.is_synthetic(con)
        page = registry.SAVEABLE.get(view.page)
        if page is None:
            notices.append(f"unknown page {view.page[:40]!r}: showing the {registry.DEFAULT.title}")
            page = registry.DEFAULT
        assert page.slide is not None
        figure, source = FIGURES[page.slide.figure](con, state, synthetic)
        return Slide(
            view=view,
            page=page,
            state=state,
            notices=notices,
            description=state.describe(),
            kpis=queries.kpis(con, state),
            figure=figure,
            source=source,
            synthetic=synthetic,
        )
    finally:
        if own:
            con.close()


# -- the main figure of each page -------------------------------------------------------------
Con = duckdb.DuckDBPyConnection
FigureBuilder = Callable[[Con, FilterState, bool], tuple[go.Figure, str]]


def weekly_trend(con: Con, state: FilterState, synthetic: bool) -> tuple[go.Figure, str]:
    source = queries.source_text(con, synthetic, {"crossings_daily": "English Channel"})
    trend = queries.weekly_trend(con, state)
    if not trend["people"].notna().any():
        return charts.make_empty_figure(
            "People arrived by small boat, per week (people)", "No Channel arrivals recorded for these filters", source
        ), source
    return charts.make_weekly_trend_figure(trend, source), source


def routes_map(con: Con, state: FilterState, synthetic: bool) -> tuple[go.Figure, str]:
    source = queries.source_text(
        con,
        synthetic,
        {"incidents": "IOM counts are minimum estimates", "route_flows": "route widths: detections, not people"},
    )
    kind, incidents = queries.map_incidents(con, state)
    return plotly_map.map_figure(queries.routes_with_flows(con, state), kind, incidents, source), source


def funding_burnup(con: Con, state: FilterState, synthetic: bool) -> tuple[go.Figure, str]:
    source = queries.source_text(con, synthetic, {"funding": "national: region and route filters do not apply"})
    burn = queries.funding_burnup(con, queries.BSC)
    title = f"{queries.BSC}: cumulative spend against plan (£ million)"
    if burn.empty:
        return charts.make_empty_figure(title, "No funding data in this data version", source), source
    return charts.make_burnup_figure(burn, source, title), source


def operations_timeline(con: Con, state: FilterState, synthetic: bool) -> tuple[go.Figure, str]:
    source = queries.source_text(con, synthetic, {"operations": f"the {OPERATIONS_SHOWN} most recent"})
    ops = queries.operations(con, state)
    if ops.empty:
        return charts.make_empty_figure(
            "Operations timeline (start to end)", "No operations active in this period for these filters", source
        ), source
    recent = ops.sort_values("start_date", ascending=False).head(OPERATIONS_SHOWN)
    return charts.make_timeline_figure(recent, source, pd.Timestamp(state.end)), source


def provenance_table(con: Con, state: FilterState, synthetic: bool) -> tuple[go.Figure, str]:
    """Data & sources: per table and source, the rows, the as-of and the version that loaded them."""
    prov = queries.provenance(con)
    latest = fmt.as_of(prov["as_of"].max()) if prov["as_of"].notna().any() else "–"
    source = f"Source: Tideline data store, data version {state.version} · as of {latest} (latest date in any table)"
    if synthetic:
        source += f" · {queries.SYNTHETIC_SOURCE}"
    title = f"What is in data version {state.version} (rows per table and source)"
    return charts.make_provenance_figure(prov, title, source), source


FIGURES: dict[str, FigureBuilder] = {
    "weekly_trend": weekly_trend,
    "routes_map": routes_map,
    "funding_burnup": funding_burnup,
    "operations_timeline": operations_timeline,
    "provenance_table": provenance_table,
}
