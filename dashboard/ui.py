"""Streamlit glue: the only module of the package that imports streamlit."""

from __future__ import annotations

import os

import duckdb
import streamlit as st

from .store import Store, Version


def classification() -> str:
    """The protective marking shown top and bottom of every page."""
    return os.environ.get("TIDELINE_CLASSIFICATION", "").strip() or "OFFICIAL"


@st.cache_resource(show_spinner="Preparing the data store…")
def get_store() -> Store:
    store = Store()
    store.ensure_initialised()
    return store


@st.cache_resource(max_entries=8, show_spinner="Loading data version…")
def get_connection(version_id: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per data version; queries take a cursor from it."""
    return get_store().connect(version_id)


def current_version() -> Version:
    return get_store().version()


def marking() -> None:
    """Classification marking, as a plain caption (no HTML)."""
    st.caption(f"**{classification()}**")
