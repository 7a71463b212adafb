"""Shared fixtures: a store in a temp dir holding the tiny hand-made dataset."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import tiny  # noqa: E402

from dashboard.filters import FilterState  # noqa: E402
from dashboard.store import Store  # noqa: E402

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
