"""Session glue: the store, one read-only connection per data version, cached named queries and
source lines, the shared filters bound to the URL, and messages kept across a rerun.

Every cache lives here, keyed by the data directory and the (immutable) data version, with every
input an argument and bounded sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar, cast

import duckdb
import streamlit as st

from .. import fmt, queries
from ..filters import FilterOptions, FilterState, small_int
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


def connection(version_id: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per data version (versions are immutable); queries take cursors."""
    return _connection(str(data_dir_from_env()), version_id)


@st.cache_resource(max_entries=8, show_spinner="Loading data version…")
def _connection(data_dir: str, version_id: int) -> duckdb.DuckDBPyConnection:
    return _store(data_dir).connect(version_id)


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


def source_text(version_id: int, items: dict[str, str]) -> str:
    """queries.source_text for a version, cached: 'Source: X · as of 31 Oct 2026 (what)'."""
    return _source_text(str(data_dir_from_env()), version_id, tuple(items.items()))


@st.cache_data(max_entries=256, show_spinner=False)
def _source_text(data_dir: str, version_id: int, items: tuple[tuple[str, str], ...]) -> str:
    return queries.source_text(_connection(data_dir, version_id), _is_synthetic(data_dir, version_id), dict(items))


# -- shared filters -----------------------------------------------------------------------------
def _raw_query_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


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
        pinned = small_int(raw.get("version", [""])[-1])
        opts = filter_options(pinned if pinned in ids else current, ids, current)
        _, notices = FilterState.from_query_params(raw, opts)
        st.session_state[NOTICES_KEY] = notices
    with st.sidebar:
        st.header("Filters")
        version_id = st.selectbox(
            "Data version",
            options=list(reversed(ids)),
            index=0,
            key="version",
            bind="query-params",
            format_func=lambda i: f"{i} (current)" if i == current else f"{i}",
            help="Share links pin the version, so the numbers do not move under the reader.",
        )
        opts = filter_options(version_id, ids, current)
        start, end = opts.default_period()
        period = _period(
            st.date_input(
                "Period",
                value=(start, end),
                min_value=date(2000, 1, 1),
                max_value=date(2100, 12, 31),
                key="period",
                bind="query-params",
                format="DD/MM/YYYY",
                help=f"Default: the latest 12 full months of data ({fmt.as_of(start)} – {fmt.as_of(end)}).",
            ),
            (start, end),
        )
        region = st.multiselect("Region", opts.regions, key="region", bind="query-params", placeholder="All regions")
        route = st.multiselect("Route", opts.routes, key="route", bind="query-params", placeholder="All routes")
        # No format_func: a bound widget writes its labels to the URL, and the URL must hold values.
        types = st.multiselect(
            "Incident type", opts.types, key="type", bind="query-params", placeholder="All incident types"
        )
    state = FilterState(period=period, region=tuple(region), route=tuple(route), type=tuple(types), version=version_id)
    st.session_state[STATE_KEY] = state
    return state


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
