"""Session glue: the store, one read-only connection per data version, cached named queries and
source lines, the shared filters bound to the URL, and messages kept across a rerun.

Every cache lives here, keyed by the data directory and the (immutable) data version, with every
input an argument and bounded sizes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar, cast
from urllib.parse import urlsplit

import duckdb
import streamlit as st

from .. import audit, diff, engines, fmt, queries, settings, viewstate
from ..filters import COMPARE, QUICK_PERIODS, FilterOptions, FilterState, small_int
from ..store import Store, Version, data_dir_from_env

STATE_KEY = "_tideline_state"
NOTICES_KEY = "_tideline_notices"
FLASH_KEY = "_tideline_flash"
T = TypeVar("T")


# -- store and connections ----------------------------------------------------------------------
def store() -> Store:
    """The app's data store (initialised with the demo data on first use)."""
    return _store(str(data_dir_from_env()))


@st.cache_resource(show_spinner="Preparing the data store…")
def _store(data_dir: str) -> Store:
    s = Store(data_dir)
    s.ensure_initialised()
    return s


def audit_log() -> audit.AuditLog:
    """The audit trail: PostgreSQL when $TIDELINE_DATABASE_URL is set, else audit.jsonl in the data directory."""
    env = (os.environ.get(audit.DATABASE_URL_ENV, "").strip(), os.environ.get(audit.AUDIT_DIR_ENV, "").strip())
    return _audit_log(str(data_dir_from_env()), *env)


@st.cache_resource(show_spinner=False)
def _audit_log(data_dir: str, database_url: str, audit_dir: str) -> audit.AuditLog:
    return audit.open_log(audit_dir or data_dir, database_url or None)


@st.cache_resource(show_spinner=False)
def sign_ins_seen() -> set[tuple[str, object]]:
    """(sub, sign-in time) pairs already recorded as a sign-in by this server process."""
    return set()


def connection(version_id: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per data version (versions are immutable); queries take cursors."""
    return _connection(str(data_dir_from_env()), version_id)


@st.cache_resource(max_entries=8, show_spinner="Loading data version…")
def _connection(data_dir: str, version_id: int) -> duckdb.DuckDBPyConnection:
    # DuckDB on the version's files (the default), or Spark Connect when $TIDELINE_ENGINE is an sc:// URL
    return cast(duckdb.DuckDBPyConnection, engines.engine_from_env().connect(_store(data_dir), version_id))


def versions() -> list[Version]:
    return store().versions()


# -- cached results -------------------------------------------------------------------------------
def filter_options(version_id: int, version_ids: tuple[int, ...], current: int) -> FilterOptions:
    return _filter_options(str(data_dir_from_env()), version_id, version_ids, current)


@st.cache_data(max_entries=16, show_spinner=False)
def _filter_options(data_dir: str, version_id: int, version_ids: tuple[int, ...], current: int) -> FilterOptions:
    return queries.filter_options(_connection(data_dir, version_id), version_ids, current)


def is_synthetic(version_id: int) -> bool:
    """True when the version holds synthetic demo data."""
    return _is_synthetic(str(data_dir_from_env()), version_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _is_synthetic(data_dir: str, version_id: int) -> bool:
    return queries.is_synthetic(_connection(data_dir, version_id))


def cached(fn: Callable[..., T], state: FilterState, *args: object) -> T:
    """Run a named query of dashboard.queries for a state, cached by (query, state, args)."""
    return cast(T, _cached_query(str(data_dir_from_env()), fn.__name__, state, args))


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_query(data_dir: str, name: str, state: FilterState, args: tuple[object, ...]) -> object:
    assert state.version is not None, "the sidebar always pins a version"
    return getattr(queries, name)(_connection(data_dir, state.version), state, *args)


def cached_version(fn: Callable[..., T], version_id: int | None, *args: object) -> T:
    """Run a named query that depends on the data version only (not the filters), cached."""
    assert version_id is not None, "the sidebar always pins a version"
    return cast(T, _cached_version_query(str(data_dir_from_env()), fn.__name__, version_id, args))


@st.cache_data(max_entries=128, show_spinner=False)
def _cached_version_query(data_dir: str, name: str, version_id: int, args: tuple[object, ...]) -> object:
    return getattr(queries, name)(_connection(data_dir, version_id), *args)


def compare_versions(old_id: int, new_id: int) -> diff.Diff:
    """diff.compare of two data versions, cached by the two ids: versions never change."""
    return _compare_versions(str(data_dir_from_env()), old_id, new_id)


@st.cache_data(max_entries=8, show_spinner="Comparing the two data versions…")
def _compare_versions(data_dir: str, old_id: int, new_id: int) -> diff.Diff:
    return diff.compare(_store(data_dir), old_id, new_id)  # its own DuckDB connection on both versions


def source_text(version_id: int, items: dict[str, str]) -> str:
    """queries.source_text for a version, cached: 'Source: X · as of 31 Oct 2026 (what)'."""
    return _source_text(str(data_dir_from_env()), version_id, tuple(items.items()))


@st.cache_data(max_entries=256, show_spinner=False)
def _source_text(data_dir: str, version_id: int, items: tuple[tuple[str, str], ...]) -> str:
    return queries.source_text(_connection(data_dir, version_id), _is_synthetic(data_dir, version_id), dict(items))


# -- shared filters -----------------------------------------------------------------------------
def _raw_query_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def sidebar_filters(url_path: str) -> FilterState:
    """Draw the shared filters and return the FilterState they describe.

    The URL is read once, on the session's first run, into the widgets' state (and the page's own view
    state, dashboard/viewstate.py), with a notice for anything that could not be used; write_url then
    puts the whole view back into the address bar after every run, period and pinned version included,
    so the address bar is always as safe to copy as the share box.
    """
    ids = tuple(v.id for v in versions())
    current = ids[-1]
    if NOTICES_KEY not in st.session_state:
        raw = _raw_query_params()
        pinned = small_int(raw.get("version", [""])[-1])
        opts = filter_options(pinned if pinned in ids else current, ids, current)
        parsed, notices = FilterState.from_query_params(raw, opts, known=viewstate.keys(url_path) | RESERVED)
        page_values, page_notices = viewstate.parse(url_path, raw)
        st.session_state.update(
            version=parsed.version,
            period=parsed.period,
            region=list(parsed.region),
            route=list(parsed.route),
            type=list(parsed.type),
            nationality=list(parsed.nationality),
            compare=parsed.compare,
            **page_values,
        )
        st.session_state[NOTICES_KEY] = notices + page_notices
    if st.session_state.get("version") not in ids:  # after an import (show the new current one)
        st.session_state["version"] = current
    with st.sidebar:
        st.header("Filters")
        version_id = st.selectbox(
            "Data version",
            options=list(reversed(ids)),
            key="version",
            format_func=lambda i: f"{i} (current)" if i == current else f"{i}",
            help="Links pin the version, so the numbers do not move under the reader.",
        )
        opts = filter_options(version_id, ids, current)
        start, end = opts.default_period()
        st.session_state.setdefault("period", (start, end))
        period = _period(
            st.date_input(
                "Period",
                min_value=date(2000, 1, 1),
                max_value=date(2100, 12, 31),
                key="period",
                format="DD/MM/YYYY",
                help=f"Default: the latest 12 full months of data ({fmt.as_of(start)} – {fmt.as_of(end)}).",
            ),
            (start, end),
        )
        st.pills(
            "Quick periods",
            list(QUICK_PERIODS),
            format_func=QUICK_PERIODS.__getitem__,
            key="quick_period",
            on_change=_quick_period,
            args=(opts,),
            label_visibility="collapsed",
            help=f"Periods ending at the latest date in data version {version_id} ({fmt.as_of(opts.data_end)}).",
        )
        _keep_valid("region", opts.regions)
        region = st.multiselect("Region", opts.regions, key="region", placeholder="All regions")
        chosen_routes = [r for r in st.session_state.get("route", []) if r in opts.routes]
        # The routes of the chosen regions, plus any route already chosen (its conflict is then explained).
        routes = list(dict.fromkeys([*opts.routes_in(region), *chosen_routes]))
        _keep_valid("route", routes)
        route = st.multiselect(
            "Route",
            routes,
            key="route",
            placeholder="All routes"
            if not region
            else f"All routes of {len(region)} region{'s' if len(region) > 1 else ''}",
        )
        _keep_valid("type", opts.types)
        types = st.multiselect("Incident type", opts.types, key="type", placeholder="All incident types")
        _keep_valid("nationality", opts.nationalities)
        nationality = st.multiselect(
            "Nationality",
            opts.nationalities,
            key="nationality",
            placeholder="All nationalities",
            help="Applies wherever data has a nationality: the Home Office arrivals and asylum tables "
            "(Who arrives) and Frontex detections (route flows). Crossings and incidents have none.",
        )
        st.session_state.setdefault("compare", "year")
        compare = st.segmented_control(
            "Compare with",
            list(COMPARE),
            key="compare",
            required=True,
            format_func=lambda c: "Same period a year earlier" if c == "year" else "Previous period",
            help="What every change (KPI cards, slides, the pack) is measured against. Crossings are "
            "seasonal: a year earlier is the fair comparison.",
        )
    state = FilterState(
        period=period,
        region=tuple(region),
        route=tuple(route),
        type=tuple(types),
        nationality=tuple(nationality),
        version=version_id,
        compare=str(compare or "year"),
    )
    for conflict in state.conflicts(opts):
        st.sidebar.warning(f"Filters exclude each other — {conflict}.", icon=":material/filter_alt_off:")
    st.session_state[STATE_KEY] = state
    return state


RESERVED = {"embed", "embed_options"}  # Streamlit's own URL keys


def _quick_period(opts: FilterOptions) -> None:
    name = st.session_state.get("quick_period")
    if name:
        st.session_state["period"] = opts.quick_period(name)
        st.session_state["quick_period"] = None  # a one-off action, not a state to keep


def _keep_valid(key: str, options: Sequence[str]) -> None:
    """Drop chosen values the widget no longer offers (another version, another region)."""
    if key in st.session_state:
        st.session_state[key] = [v for v in st.session_state[key] if v in options]


def page_params(url_path: str) -> dict[str, list[str]]:
    """The page's own view state (viewstate.PARAMS) as its widgets hold it now, as URL parameters."""
    return viewstate.to_query(
        url_path, {p.widget: st.session_state.get(p.widget) for p in viewstate.PARAMS.get(url_path, ())}
    )


def view_params(state: FilterState, url_path: str) -> dict[str, list[str]]:
    """The whole view as URL parameters: every shared filter explicit, the version pinned, the page's state."""
    return {**state.to_query_params(), **page_params(url_path)}


def filter_from_chart(chart_key: str, filter_key: str) -> None:
    """A chart's on_select callback: the clicked bars' names (their customdata) become the shared filter
    `filter_key` ("route" or "region"). A route outside the chosen regions clears the regions."""
    event = st.session_state.get(chart_key) or {}
    points = (event.get("selection") or {}).get("points") or []
    names = list(dict.fromkeys(p.get("customdata") for p in points if isinstance(p.get("customdata"), str)))
    if not names:
        return
    st.session_state[filter_key] = names
    if filter_key == "route" and st.session_state.get("region"):
        opts: FilterOptions | None = None
        state = st.session_state.get(STATE_KEY)
        if isinstance(state, FilterState) and state.version is not None:
            ids = tuple(v.id for v in versions())
            opts = filter_options(state.version, ids, ids[-1])
        if opts is not None and any(opts.route_regions.get(n) not in st.session_state["region"] for n in names):
            st.session_state["region"] = []


def write_url(state: FilterState, url_path: str) -> None:
    """Put the whole view (view_params) into the address bar."""
    wanted = view_params(state, url_path)
    if _raw_query_params() != wanted:
        st.query_params.from_dict(wanted)


def base_url() -> str | None:
    """Where analysts reach the app: TIDELINE_PUBLIC_URL, else the origin the browser used; None if unknown."""
    configured = settings.public_url()
    if configured:
        return configured
    url = st.context.url or ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def page_defaults(url_path: str) -> None:
    """The page's view-state widgets start at their defaults unless the URL set them (no `value=` on those
    widgets: Streamlit warns when both a default and session state set one)."""
    for p in viewstate.PARAMS.get(url_path, ()):
        if p.default is not None:
            st.session_state.setdefault(p.widget, p.default)


def _period(value: object, default: tuple[date, date]) -> tuple[date, date]:
    """The date picker's value as (start, end): one day, a range half picked, or a reversed link."""
    if isinstance(value, tuple | list) and len(value) == 1:
        return (value[0], value[0])
    if not isinstance(value, tuple | list) or len(value) != 2:
        return default
    first, second = sorted(value)  # a reversed link: the notice says the dates were swapped
    return (first, second)


def current_state() -> FilterState:
    """The FilterState drawn by the entry script in this run."""
    state: FilterState = st.session_state[STATE_KEY]
    return state


def notices() -> list[str]:
    """What the link asked for that could not be used, parsed on the session's first run."""
    found: list[str] = st.session_state.get(NOTICES_KEY, [])
    return found


# -- messages across a rerun --------------------------------------------------------------------
def leave_message(message: str) -> None:
    """A success message for the next run to show (e.g. after an import), via layout.flash()."""
    st.session_state[FLASH_KEY] = message


def take_message() -> str | None:
    message: str | None = st.session_state.pop(FLASH_KEY, None)
    return message
