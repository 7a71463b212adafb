"""Streamlit glue: the only module of the package that imports streamlit. Cached loaders,
the shared filter widgets bound to the URL, and the page furniture (marking, caption, sources)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

import duckdb
import pandas as pd
import streamlit as st

from . import fmt, queries
from .filters import FilterOptions, FilterState
from .store import Store, Version, data_dir_from_env

STATE_KEY = "_tideline_state"
NOTICES_KEY = "_tideline_notices"


def classification() -> str:
    """The protective marking shown top and bottom of every page."""
    return os.environ.get("TIDELINE_CLASSIFICATION", "").strip() or "OFFICIAL"


def get_store() -> Store:
    return _store(str(data_dir_from_env()))


@st.cache_resource(show_spinner="Preparing the data store…")
def _store(data_dir: str) -> Store:
    store = Store(data_dir)
    store.ensure_initialised()
    return store


def get_connection(version_id: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per data version (versions are immutable); queries take cursors."""
    return _connection(str(data_dir_from_env()), version_id)


@st.cache_resource(max_entries=8, show_spinner="Loading data version…")
def _connection(data_dir: str, version_id: int) -> duckdb.DuckDBPyConnection:
    return _store(data_dir).connect(version_id)


def versions() -> list[Version]:
    return get_store().versions()


def filter_options(version_id: int, version_ids: tuple[int, ...], current: int) -> FilterOptions:
    return _filter_options(str(data_dir_from_env()), version_id, version_ids, current)


@st.cache_data(max_entries=16, show_spinner=False)
def _filter_options(data_dir: str, version_id: int, version_ids: tuple[int, ...], current: int) -> FilterOptions:
    return queries.filter_options(_connection(data_dir, version_id), version_ids, current)


def version_facts(version_id: int) -> tuple[bool, pd.DataFrame]:
    """(synthetic?, per-table rows and as-of) for a version."""
    return _version_facts(str(data_dir_from_env()), version_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _version_facts(data_dir: str, version_id: int) -> tuple[bool, pd.DataFrame]:
    con = _connection(data_dir, version_id)
    return queries.is_synthetic(con), queries.table_as_of(con)


def cached(fn: Callable[..., pd.DataFrame], state: FilterState, *args: object) -> pd.DataFrame:
    """Run a named query for a state, cached by (query, state, args): versions never change."""
    return _cached_query(str(data_dir_from_env()), fn.__name__, state, args)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_query(data_dir: str, name: str, state: FilterState, args: tuple) -> pd.DataFrame:
    return getattr(queries, name)(_connection(data_dir, state.version), state, *args)


# -- shared filters -----------------------------------------------------------------------------
def _raw_query_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}  # noqa: SIM118


def sidebar_filters() -> FilterState:
    """Draw the shared filters (bound to the URL) and return the FilterState they describe.

    On the first run of a session the raw URL is parsed first, because bound widgets silently
    drop values they cannot accept: this is how the analyst learns what was ignored.
    """
    all_versions = versions()
    ids = tuple(v.id for v in all_versions)
    current = ids[-1]
    if NOTICES_KEY not in st.session_state:
        raw = _raw_query_params()
        pinned = raw.get("version", [])
        pinned_id = int(pinned[-1]) if pinned and pinned[-1].isdigit() and int(pinned[-1]) in ids else current
        opts = filter_options(pinned_id, ids, current)
        parsed, notices = FilterState.from_query_params(raw, opts)
        st.session_state[NOTICES_KEY] = notices
        # Values the widgets cannot take from the URL (e.g. a reversed period) are set through
        # session state, before the widgets exist.
        if any(n.startswith("period") and "swapped" in n for n in notices):
            st.session_state["period"] = parsed.period
    with st.sidebar:
        st.header("Filters")
        version_id = st.selectbox(
            "Data version", options=list(reversed(ids)), index=0, key="version", bind="query-params",
            format_func=lambda i: f"{i} (current)" if i == current else f"{i}",
            help="Share links pin the version, so the numbers do not move under the reader.")
        opts = filter_options(version_id, ids, current)
        start, end = opts.default_period()
        period = st.date_input(
            "Period", value=(start, end), min_value=date(2000, 1, 1), max_value=date(2100, 12, 31),
            key="period", bind="query-params", format="DD/MM/YYYY",
            help=f"Default: the latest 12 full months of data ({fmt.as_of(start)} – {fmt.as_of(end)}).")
        if not isinstance(period, tuple | list) or len(period) != 2:
            st.caption("Pick an end date to complete the period; until then the default period is used.")
            period = (start, end)
        region = st.multiselect("Region", opts.regions, key="region", bind="query-params",
                                placeholder="All regions")
        route = st.multiselect("Route", opts.routes, key="route", bind="query-params", placeholder="All routes")
        types = st.multiselect("Incident type", opts.types, key="type", bind="query-params",
                               placeholder="All incident types", format_func=str.capitalize)
    state = FilterState(period=(period[0], period[1]), region=tuple(region), route=tuple(route),
                        type=tuple(types), version=version_id)
    st.session_state[STATE_KEY] = state
    return state


def current_state() -> FilterState:
    """The FilterState drawn by the entry script in this run."""
    return st.session_state[STATE_KEY]


def share_link(state: FilterState, page_path: str) -> str:
    """A relative link with every filter explicit and the version pinned."""
    return f"{page_path}?{state.query_string()}"


def notices() -> list[str]:
    return st.session_state.get(NOTICES_KEY, [])


# -- page furniture -----------------------------------------------------------------------------
def marking() -> None:
    """Classification marking, plain text (never HTML)."""
    st.markdown(f"**:red-background[{_escape_md(classification())}]**")


def _escape_md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$:" else ch for ch in text)


def page_header(title: str, state: FilterState) -> None:
    """Title, the one-line filter description and, for demo data, the synthetic label."""
    st.title(title)
    synthetic, _ = version_facts(state.version)
    st.caption(f"{state.describe()} · compared with {fmt.as_of(state.previous().start)} – "
               f"{fmt.as_of(state.previous().end)}")
    if synthetic:
        st.info("**Synthetic demo data** — not real figures. Shapes follow public releases; "
                "import the official files on *Data & sources* to replace it.", icon="ℹ️")


def source_line(state: FilterState, table: str, extra: str = "") -> str:
    """'Source: … · as of 31 Oct 2026' for figures drawn from one table of this version."""
    return sources_caption(state, {table: extra})


def sources_caption(state: FilterState, items: dict[str, str]) -> str:
    """One source line for figures from several tables, each source named once:
    'Source: X · as of 31 Oct 2026 (arrivals); 25 Oct 2026 (preventions)'."""
    synthetic, as_of = version_facts(state.version)
    dates = as_of.set_index("table")["as_of"]
    groups: dict[str, dict[str, list[str]]] = {}
    for table, what in items.items():
        src = ("Synthetic demo data (Tideline), not real figures" if synthetic
               else _sources_of(str(data_dir_from_env()), state.version, table))
        groups.setdefault(src, {}).setdefault(fmt.as_of(dates.get(table)), []).append(what)
    parts = []
    for src, by_day in groups.items():
        days = "; ".join(day + (f" ({', '.join(w for w in whats if w)})" if any(whats) else "")
                         for day, whats in by_day.items())
        parts.append(f"Source: {src} · as of {days}")
    return " · ".join(parts)


@st.cache_data(max_entries=64, show_spinner=False)
def _sources_of(data_dir: str, version_id: int, table: str) -> str:
    df = queries.sources(_connection(data_dir, version_id))
    names = df.loc[df["table"] == table, "source"].tolist()
    return "; ".join(names) or "no data"


def empty_state(what: str, hint: str) -> None:
    st.info(f"{what} — {hint}", icon="🔎")


def share_control(state: FilterState, url_path: str) -> None:
    """'Share this view': a link with every filter explicit and the data version pinned."""
    with st.sidebar.popover("Share this view", icon=":material/link:", use_container_width=True):
        st.caption("This link opens this page with these filters on data version "
                   f"{state.version}, so the numbers stay the same after new imports.")
        st.code(share_link(state, "/" + url_path), language=None, wrap_lines=True)


# Which way is good for each KPI: "normal" (up is good), "inverse" (up is bad), "off" (neither).
KPI_DIRECTION = {"people": "inverse", "boats": "inverse", "people_per_boat": "off", "prevented": "normal",
                 "dead_missing": "inverse", "active_operations": "normal", "spent_gbp": "off", "in_post": "normal"}


def kpi_value(key: str, value: object) -> str:
    if key == "spent_gbp":
        return fmt.gbp(value)
    return fmt.number(value, 1 if key == "people_per_boat" else 0)


def kpi_cards(df: pd.DataFrame, per_row: int = 4) -> None:
    """KPI cards with the change against the previous equal-length period (and targets)."""
    rows = df.to_dict("records")
    for i in range(0, len(rows), per_row):
        for col, r in zip(st.columns(per_row), rows[i:i + per_row], strict=False):
            with col.container(border=True):
                delta = fmt.change(r["value"], r["previous"])
                st.metric(r["label"], kpi_value(r["key"], r["value"]),
                          delta=f"{delta} vs previous period" if delta else None,
                          delta_color=KPI_DIRECTION.get(r["key"], "off"),
                          help=f"Previous period: {kpi_value(r['key'], r['previous'])} ({r['unit']})")
                if r["target_label"]:
                    share = (fmt.percent(float(r["value"]) / float(r["target"]) * 100)
                             if not fmt.is_missing(r["value"]) and not fmt.is_missing(r["target"])
                             and float(r["target"]) else "–")
                    st.caption(f"{share} of {r['target_label']} ({kpi_value(r['key'], r['target'])})")


def plain(value: object) -> str:
    """Data-derived text made inert for st.markdown (no links, HTML, maths or formatting)."""
    return "–" if fmt.is_missing(value) else _escape_md(str(value))


# -- import (Data & sources page) ---------------------------------------------------------------
def plan_upload(upload) -> tuple[object | None, str | None]:
    """Read and validate an uploaded file once per upload: (plan, None) or (None, error)."""
    from . import ingest
    from .sources.base import StructuralError

    key = f"_plan_{upload.file_id}"
    if key not in st.session_state:
        folder = get_store().data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in upload.name)[-120:] or "upload"
        path = folder / f"{upload.file_id[:12]}-{safe}"
        path.write_bytes(upload.getvalue())
        bar = st.progress(0.0, text="Reading the file…")
        try:
            plan = ingest.plan(get_store(), path, progress=lambda msg, f: bar.progress(min(max(f, 0.0), 1.0),
                                                                                        text=msg))
            st.session_state[key] = (plan, None)
        except StructuralError as exc:
            st.session_state[key] = (None, str(exc))
        except Exception as exc:  # an unexpected reader failure is still a refusal, never a crash
            st.session_state[key] = (None, f"{upload.name}: could not be read ({type(exc).__name__}: {exc})")
        finally:
            bar.empty()
    return st.session_state[key]


def show_plan(plan) -> None:
    """Detected format, preview, validation report and the confirm step of an import."""
    from . import ingest

    r = plan.result
    st.success(f"Detected format: **{plan.importer.LABEL}** · {r.rows_read:,} rows read, {r.rows_accepted:,} "
               f"accepted, {plan.rejected:,} rejected", icon="🔎")
    for note in r.notes:
        st.caption(f"Note: {plain(note)}")
    if r.totals_by_year is not None and len(r.totals_by_year):
        st.dataframe(r.totals_by_year, hide_index=True, width="content")
    for table, frame in r.tables.items():
        st.markdown(f"**Preview: {plain(table)}** ({len(frame):,} rows; first 20)")
        st.dataframe(frame.head(20), hide_index=True, width="stretch")
    if plan.rejected:
        st.warning(f"{plan.rejected:,} rows were rejected (file, row, column and reason below).", icon="⚠️")
        report = pd.DataFrame([{"file": x.file, "sheet": x.sheet, "row": x.row, "column": x.column,
                                "reason": x.reason, "value": ingest._inert(x.value)} for x in r.rejected])
        st.dataframe(report, hide_index=True, width="stretch", height=240)
        st.download_button("Download the rejection report (CSV)", report.to_csv(index=False).encode("utf-8"),
                           file_name=f"{plan.path.stem}-rejected.csv", mime="text/csv", key="data_report")
    if plan.duplicate_of is not None:
        st.info(f"This exact file (same sha256) is already in data version {plan.duplicate_of}: nothing to do.")
        return
    ok = True
    if plan.rejected:
        ok = st.checkbox(f"Import the {r.rows_accepted:,} good rows and leave the {plan.rejected:,} rejected ones "
                         "out", key="data_accept_partial")
    if plan.drops_demo:
        st.warning("This store holds **synthetic demo data**. Importing real data removes every demo row in the "
                   "new version, so synthetic and real figures never appear together.", icon="⚠️")
        ok = st.checkbox("Remove the demo data and import", key="data_drop_demo") and ok
    if st.button("Import as a new data version", type="primary", disabled=not ok, key="data_import"):
        try:
            version = ingest.apply(get_store(), plan, accept_partial=bool(plan.rejected))
        except ingest.ImportRefused as exc:
            st.error(plain(str(exc)))
            return
        st.session_state.pop("version", None)  # show the new current version
        st.session_state[FLASH_KEY] = f"Imported {plan.path.name}: data version {version.id} is now current."
        for key in [k for k in st.session_state if str(k).startswith("_plan_")]:
            del st.session_state[key]  # re-read on display: the same file is now a no-op
        st.rerun()


FLASH_KEY = "_tideline_flash"


def flash() -> None:
    """A one-off success message left by the previous run (e.g. after an import)."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(plain(message), icon="✅")

