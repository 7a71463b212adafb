"""Shared fixtures: a store in a temp dir holding the tiny hand-made dataset, and the app on it
through AppTest."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).parent))

import tiny

from dashboard import registry
from dashboard.filters import FilterState
from dashboard.store import Store

JAN = FilterState(period=(date(2025, 1, 1), date(2025, 1, 31)))


@pytest.fixture
def tiny_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "store")
    store.commit(tiny.frames(), source_name="tiny", file_name="tiny.py", sha256="0" * 64)
    return store


@pytest.fixture
def con(tiny_store: Store):
    c = tiny_store.connect()
    yield c
    c.close()


APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The tiny dataset as the app's data directory (TIDELINE_DATA_DIR)."""
    s = Store(tmp_path / "store")
    s.commit(tiny.frames(), source_name="tiny")
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(s.data_dir))
    return s


def script(page: str) -> str:
    """A page's script from the registry; 'overview' names the default page (url path '')."""
    return registry.page("" if page == "overview" else page).script


_HASHES: dict[str, str] = {}


def page_hash(page: str) -> str:
    """The script hash a real session uses for a page (st.Page hashes its url path), for deep links."""
    if page not in _HASHES:
        _HASHES[page] = AppTest.from_file(APP, default_timeout=60).run().switch_page(script(page))._page_hash
    return _HASHES[page]


def open_page(page: str, params: dict | None = None) -> AppTest:
    """Like opening /<page>?<params> in a new tab: the session's first run is on that page (AppTest)."""
    at = AppTest.from_file(APP, default_timeout=60)
    if page != "overview":
        at._page_hash = page_hash(page)  # what switch_page sets; AppTest has no public deep-link API
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.run()
