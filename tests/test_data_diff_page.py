"""Data & sources' "Compare two data versions" through AppTest, on the two Home Office releases of test_diff.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest
from test_diff import RELEASE_1, RELEASE_2, import_file, write_release

from dashboard import diff, ingest
from dashboard.store import Store


@pytest.fixture
def releases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    store = Store(tmp_path / "store")
    ingest.init_empty(store)
    import_file(store, write_release(tmp_path / "sb01-release-1.csv", RELEASE_1))
    import_file(store, write_release(tmp_path / "sb01-release-2.csv", RELEASE_2))
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(store.data_dir))
    return store


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.stack_trace for e in at.exception]
    return at


# The comparison's tables by their first columns (AppTest does not expose a dataframe's key); the years' and the
# months' tables share theirs, and are drawn in that order.
FIRST_COLUMNS = {
    "changes": ["table", "source", "rows_before", "rows_after"],
    "years": ["period", "before", "after", "difference"],
    "months": ["period", "before", "after", "difference"],
    "revisions": ["date", "key", "before", "after"],
}


def frame(at: AppTest, name: str) -> pd.DataFrame:
    """One of the comparison's tables as drawn."""
    found = [df.value for df in at.dataframe if list(df.value.columns)[:4] == FIRST_COLUMNS[name]]
    return found[1 if name == "months" else 0]


def text(at: AppTest, kind: str) -> str:
    return " ".join(str(e.value) for e in getattr(at, kind))


def test_compare_defaults_to_the_version_before_current_and_current(releases):
    at = ok(open_page("data"))
    assert at.selectbox(key="data_diff_old").value == 2
    assert at.selectbox(key="data_diff_new").value == 3
    assert "**Data version 2 → 3:** 2 rows added, 1 removed and 3 changed in 1 table." in text(at, "markdown")
    changes = frame(at, "changes")
    assert changes[["table", "added", "removed", "changed"]].values.tolist() == [["crossings_daily", 2, 1, 3]]
    years = frame(at, "years")
    assert years.values.tolist() == [["2024", 150, 165, 15], ["2025", 350, 337, -13]]
    months = frame(at, "months")
    assert months["difference"].tolist() == [-98, 25, 60]
    revisions = frame(at, "revisions")
    first = revisions.iloc[0]
    assert (first["date"].date(), first["before"], first["after"], first["change"]) == (date(2025, 1, 1), 200, 170, -30)
    assert len(revisions) == 3
    # the chart, with its source line; the captions name the source and both as-of dates
    assert len(at.get("plotly_chart")) == 1
    line = "data version 3 as of 5 Mar 2025; data version 2 as of 10 Feb 2025"
    assert any(line in c.value for c in at.caption), [c.value for c in at.caption]
    # the exports: three parts, each CSV and XLSX
    assert len(at.get("download_button")) == 6


def test_versions_list_says_which_release_is_revised(releases):
    at = ok(open_page("data"))
    (versions,) = [df.value for df in at.dataframe if "revises" in df.value.columns]
    revises = dict(zip(versions["version"], versions["revises"], strict=True))
    assert revises[3] == diff.revises(releases.versions())[3]
    assert revises[3].startswith("revises release of sb01-release-1.csv (version 2, ")
    assert pd.isna(revises[2]) and pd.isna(revises[1])


def test_other_choices_the_same_version_and_the_first_import(releases):
    at = ok(open_page("data"))
    at.selectbox(key="data_diff_old").set_value(3)
    ok(at.run())
    assert "Both choices are data version 3" in text(at, "info")
    assert not at.get("plotly_chart")
    at.selectbox(key="data_diff_old").set_value(1)
    ok(at.run())
    assert "8 rows added, 0 removed and 0 changed in 1 table" in text(at, "markdown")
    years = frame(at, "years")
    assert years["before"].isna().all() and years["after"].tolist() == [165, 337]
    assert years["difference"].tolist() == [165, 337]
    assert "No changed rows" in text(at, "info")  # rows were only added


def test_one_version_says_so(store):
    at = ok(open_page("data"))
    assert "Only one data version: import a release to compare." in text(at, "info")
    assert not [s for s in at.selectbox if s.key in ("data_diff_old", "data_diff_new")]
