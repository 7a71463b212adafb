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


def open_page(page: str, params: dict | None = None) -> AppTest:
    """Run the entry script with these query parameters, then switch to the page (AppTest)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if page != "overview":
        at.switch_page(script(page))
        at.run()
    return at
