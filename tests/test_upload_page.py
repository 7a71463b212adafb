"""The upload flow on Data & sources, through AppTest: detect, preview, report, confirm, new version."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.store import Store

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
FIX = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def demo_store(tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(tmp_path / "store"))
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    return store


def data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(registry.page("data").script)
    at.run()
    return at


def upload(at: AppTest, fixture: str) -> AppTest:
    path = FIX / fixture
    at.file_uploader(key="data_upload").set_value((path.name, path.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> str:
    return " ".join(str(e.value) for e in getattr(at, kind))


def test_upload_preview_confirm_and_new_version(demo_store):
    at = upload(data_page(), "iom/current.csv")
    assert "Detected format: **IOM Missing Migrants Project (CSV download)**" in texts(at, "success")
    assert "15 rows read, 15 accepted, 0 rejected" in texts(at, "success")
    assert "synthetic demo data" in texts(at, "warning")
    button = at.button(key="data_import")
    assert button.disabled  # the demo drop must be confirmed first
    at.checkbox(key="data_drop_demo").check().run()
    assert not at.button(key="data_import").disabled
    at.button(key="data_import").click().run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    assert demo_store.current_id() == 2
    assert "data version 2 is now current" in texts(at, "success")
    assert not any("Synthetic demo data" in i.value for i in at.info)  # the page now shows real data only
    # the same file again is a no-op
    at = upload(at, "iom/current.csv")
    assert "already in data version 2" in texts(at, "info")
    assert demo_store.current_id() == 2


def test_rejected_rows_are_listed_and_need_consent(demo_store):
    at = upload(data_page(), "frontex/bad_rows.csv")
    assert "8 rows were rejected" in texts(at, "warning")
    report = at.dataframe[-1].value
    assert list(report["row"])[:2] == [3, 4] and "negative count" in report["reason"].iloc[1]
    assert at.button(key="data_import").disabled
    at.checkbox(key="data_accept_partial").check().run()
    at.checkbox(key="data_drop_demo").check().run()
    at.button(key="data_import").click().run()
    assert demo_store.current_id() == 2
    con = demo_store.connect()
    assert con.execute("SELECT sum(detections) FROM route_flows").fetchone()[0] == 108


@pytest.mark.parametrize(
    ("fixture", "fragment"),
    [
        ("frontex/garbage.csv", "garbage.csv: binary content (NUL bytes), not a text CSV"),
        ("iom/latin1.csv", "not UTF-8"),
        ("home_office/truncated.ods", "truncated.ods"),
    ],
)
def test_unreadable_files_get_a_clear_message(demo_store, fixture, fragment):
    at = upload(data_page(), fixture)
    assert "File refused" in texts(at, "error") and fragment in texts(at, "error").replace("\\", "")
    assert demo_store.current_id() == 1
