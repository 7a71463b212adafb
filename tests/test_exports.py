"""Data exports: formula neutralisation, numbers kept numeric, marking/description/version on every file,
and the download buttons on Overview, Map and Operations (AppTest, with the bytes actually served)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pandas as pd
import pytest
import tiny
from conftest import open_page
from openpyxl import Workbook
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from dashboard.exports import (
    CSV_HEADER_LINES,
    export_filename,
    neutralise,
    safe_frame,
    to_csv_bytes,
    to_xlsx_bytes,
)
from dashboard.store import Store

PREFIXES = ["=", "+", "-", "@", "\t", "\r", "\n"]
WHEN = datetime(2026, 11, 28, 10, 30, tzinfo=UTC)
META = {
    "classification": "OFFICIAL-SENSITIVE",
    "description": "English Channel · 1 – 31 Jan 2025",
    "version": 7,
    "source": "Source: Home Office, small boats · as of 31 Jan 2025",
    "generated_at": WHEN,
}


def frame(prefix: str = "=") -> pd.DataFrame:
    return pd.DataFrame(
        {
            f"{prefix}header": [f"{prefix}1+1", "plain"],
            "count": [-5, 3],
            "amount": [-3.25, 1.5],
            "day": pd.to_datetime(["2025-01-10", "2025-01-20"]),
            "note": ["ok", None],
        }
    )


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


# -- neutralise -----------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", PREFIXES)
def test_neutralise_prefixes_each_dangerous_start_with_a_quote(prefix):
    assert neutralise(f"{prefix}cmd|' /C calc'!A0") == f"'{prefix}cmd|' /C calc'!A0"


@pytest.mark.parametrize("value", ["plain", "Op One", "1+1", "50%", "a=b", "'=already", ""])
def test_neutralise_leaves_safe_text_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [" =1+1", "\u00a0@SUM(A1)", "\u200b-2+3", "\x01=1+1", "\uff1d1+1"])
def test_neutralise_also_covers_formulas_behind_blanks_or_invisible_characters(value):
    # Importers and trim steps may drop these in front, exposing the formula: neutralised too.
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [-5, -3.25, 0, 12, True])
def test_neutralise_keeps_numbers_as_numbers(value):
    out = neutralise(value)
    assert out == value and type(out) is type(value)


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_neutralise_makes_missing_values_empty(value):
    assert neutralise(value) == ""


def test_safe_frame_neutralises_text_and_headers_keeps_numbers_and_writes_iso_dates():
    safe = safe_frame(frame())
    assert list(safe.columns) == ["'=header", "count", "amount", "day", "note"]
    assert safe["'=header"].tolist() == ["'=1+1", "plain"]
    assert safe["count"].tolist() == [-5, 3] and pd.api.types.is_integer_dtype(safe["count"])
    assert safe["amount"].tolist() == [-3.25, 1.5]
    assert safe["day"].tolist() == ["2025-01-10", "2025-01-20"]
    assert safe["note"].tolist() == ["ok", ""]


# -- CSV ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", PREFIXES)
def test_csv_neutralises_text_cells_and_headers(prefix):
    rows = csv_rows(to_csv_bytes(frame(prefix), **META))
    header, first = rows[CSV_HEADER_LINES], rows[CSV_HEADER_LINES + 1]
    assert header[0] == f"'{prefix}header"
    assert first[0] == f"'{prefix}1+1"


def test_csv_keeps_negative_numbers_numeric():
    rows = csv_rows(to_csv_bytes(frame(), **META))
    first = rows[CSV_HEADER_LINES + 1]
    assert first[1:3] == ["-5", "-3.25"]  # no quote: a spreadsheet reads them as numbers
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame(), **META)), skiprows=CSV_HEADER_LINES)
    assert back["count"].tolist() == [-5, 3] and back["amount"].tolist() == [-3.25, 1.5]


def test_csv_header_lines_carry_marking_description_version_source_and_time():
    data = to_csv_bytes(frame(), **META)
    assert data.startswith("\ufeff".encode())  # BOM: Excel opens UTF-8 correctly
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "# OFFICIAL-SENSITIVE"
    assert csv_rows(data)[1] == ["# English Channel · 1 – 31 Jan 2025 · data version 7"]
    assert lines[2] == "# Source: Home Office, small boats · as of 31 Jan 2025"  # a comment line: never quoted
    assert lines[3] == "# Generated 2026-11-28T10:30:00Z by Tideline"
    assert lines[4] == ""


def test_csv_header_values_are_neutralised_and_stay_one_line_each():
    data = to_csv_bytes(frame(), **{**META, "description": "=evil()\nsecond line", "source": "@x\r\ny"})
    rows = csv_rows(data)
    assert rows[1] == ["# '=evil() second line · data version 7"]
    assert rows[2] == ["# '@x y"]
    assert rows[CSV_HEADER_LINES][0] == "'=header"


def test_csv_round_trips_through_pandas_with_neutralised_text():
    df = frame()
    back = pd.read_csv(io.BytesIO(to_csv_bytes(df, **META)), skiprows=CSV_HEADER_LINES)
    back["note"] = back["note"].fillna("")  # an empty CSV field reads back as missing
    pd.testing.assert_frame_equal(back, safe_frame(df), check_dtype=False)
    assert back["day"].tolist() == ["2025-01-10", "2025-01-20"]  # ISO dates


def test_csv_version_unknown_is_said():
    rows = csv_rows(to_csv_bytes(frame(), **{**META, "version": None}))
    assert rows[1][0].endswith("· data version unknown")


# -- XLSX -----------------------------------------------------------------------------------------
def test_openpyxl_would_store_unneutralised_text_as_a_formula():
    # The control for the next test: without neutralisation the cell is a formula.
    ws = Workbook().active
    ws["A1"] = "=1+1"
    assert ws["A1"].data_type == "f"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_xlsx_neutralises_text_cells_and_headers_and_stores_them_as_text(prefix):
    ws = xlsx(to_xlsx_bytes(frame(prefix), **META))["Data"]
    header, cell = ws.cell(row=2, column=1), ws.cell(row=3, column=1)
    stored = prefix.replace("\r", "\n")  # XML normalises a CR in text to LF when the file is read
    assert header.value == f"'{stored}header" and header.data_type == "s"
    assert cell.value == f"'{stored}1+1" and cell.data_type == "s"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_keeps_negative_numbers_numeric_and_dates_as_dates():
    ws = xlsx(to_xlsx_bytes(frame(), **META))["Data"]
    count, amount, day = ws.cell(row=3, column=2), ws.cell(row=3, column=3), ws.cell(row=3, column=4)
    assert count.value == -5 and count.data_type == "n"
    assert amount.value == -3.25 and amount.data_type == "n"
    assert day.is_date and day.value.date() == date(2025, 1, 10)
    assert ws.cell(row=4, column=5).value is None  # missing text is an empty cell


def test_xlsx_carries_marking_on_about_sheet_and_first_row_of_data():
    wb = xlsx(to_xlsx_bytes(frame(), **META))
    assert wb.sheetnames == ["About", "Data"]
    about = {r[0]: r[1] for r in wb["About"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert wb["About"]["A1"].value == "OFFICIAL-SENSITIVE"
    assert about["Classification"] == "OFFICIAL-SENSITIVE"
    assert about["Description"] == "English Channel · 1 – 31 Jan 2025"
    assert about["Data version"] == 7
    assert about["Source"] == "Source: Home Office, small boats · as of 31 Jan 2025"
    assert about["Generated (UTC)"].startswith("2026-11-28T10:30:00Z")
    data = wb["Data"]
    assert data["A1"].value == "OFFICIAL-SENSITIVE" and data["A1"].font.bold
    assert [c.value for c in data[2]] == ["'=header", "count", "amount", "day", "note"]


def test_xlsx_control_characters_cannot_hide_a_formula():
    df = pd.DataFrame({"text": ["\x01=1+1", "\x1f@cmd"]})
    ws = xlsx(to_xlsx_bytes(df, **META))["Data"]
    assert [ws.cell(row=r, column=1).value for r in (3, 4)] == ["'\ufffd=1+1", "'\ufffd@cmd"]
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in (3, 4))


# -- file names -----------------------------------------------------------------------------------
def test_file_name_starts_with_the_marking_and_is_safe():
    assert export_filename("incidents", "OFFICIAL", "csv", WHEN) == "OFFICIAL-tideline-incidents-20261128T103000Z.csv"
    assert export_filename("map-incidents", "OFFICIAL-SENSITIVE", "xlsx", WHEN).startswith(
        "OFFICIAL-SENSITIVE-tideline-map-incidents-"
    )
    name = export_filename("../x y", "OFFICIAL SENSITIVE [LE]/..", ".csv", WHEN)
    assert name == "OFFICIAL_SENSITIVE_LE-tideline-x_y-20261128T103000Z.csv"
    naive = export_filename("a", "OFFICIAL", "csv", datetime(2026, 11, 28, 10, 30))
    assert naive.endswith("20261128T103000Z.csv")


# -- the pages ------------------------------------------------------------------------------------
@pytest.fixture
def served(monkeypatch) -> dict[str, tuple[bytes, str | None]]:
    """The bytes (and file name) behind every file the app hands to the browser, by media file id."""
    files: dict[str, tuple[bytes, str | None]] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        files[file_id] = (path_or_data, filename)
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)

    # Files built on click (download_button with a callable) are registered, not stored: keep the
    # callable and call it when the test "clicks", as the download endpoint does.
    add_deferred = MediaFileManager.add_deferred

    def record_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        files[file_id] = (data_callable, file_name)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return files


@pytest.fixture
def hostile_store(tmp_path, monkeypatch) -> Store:
    """The tiny dataset with formula-like text in operations and incidents."""
    frames = tiny.frames()
    frames["operations"] = frames["operations"].assign(
        name=['=HYPERLINK("http://x","y")', "Op Two", "Op Three"], partners=["-2+3", None, "@SUM(A1)"]
    )
    frames["incidents"] = frames["incidents"].assign(location=["=cmd|' /C calc'!A0", "Off Libya", "+1", "x"])
    store = Store(tmp_path / "store")
    store.commit(frames, source_name="tiny")
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(store.data_dir))
    monkeypatch.setenv("TIDELINE_CLASSIFICATION", "OFFICIAL-SENSITIVE")
    return store


def _download(at, served, label: str) -> tuple[bytes, str]:
    (button,) = [b for b in at.get("download_button") if b.proto.label == label]
    assert button.proto.deferred_file_id, "exports are built on click, not on every rerun"
    build, file_name = served[button.proto.deferred_file_id]
    return build(), file_name


@pytest.mark.parametrize(
    ("page", "name"), [("overview", "overview-kpis"), ("map", "map-incidents"), ("operations", "operations")]
)
def test_pages_offer_marked_neutralised_csv_and_xlsx(hostile_store, served, page, name):
    at = open_page(page, {"period": ["2025-01-01", "2025-01-31"]})
    assert not at.exception, [e.stack_trace for e in at.exception]
    buttons = at.get("download_button")
    assert len(buttons) >= 2
    assert {b.proto.label for b in buttons} >= {"Download CSV", "Download XLSX"}

    data, file_name = _download(at, served, "Download CSV")
    assert file_name.startswith(f"OFFICIAL-SENSITIVE-tideline-{name}-") and file_name.endswith(".csv")
    rows = csv_rows(data)
    assert rows[0] == ["# OFFICIAL-SENSITIVE"]
    assert rows[1] == ["# All regions and routes · 1 – 31 Jan 2025 · data version 1"]
    cells = [c for row in rows[CSV_HEADER_LINES:] for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r", "\n")]

    book, xlsx_name = _download(at, served, "Download XLSX")
    assert xlsx_name.startswith(f"OFFICIAL-SENSITIVE-tideline-{name}-") and xlsx_name.endswith(".xlsx")
    wb = xlsx(book)
    assert wb["About"]["B3"].value == "OFFICIAL-SENSITIVE" and wb["Data"]["A1"].value == "OFFICIAL-SENSITIVE"
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
    if page == "operations":
        assert '\'=HYPERLINK("http://x","y")' in cells and "'-2+3" in cells and "'@SUM(A1)" in cells
    if page == "map":
        assert "'=cmd|' /C calc'!A0" in cells and "'+1" in cells


def test_operations_export_follows_the_page_filters(hostile_store, served):
    at = open_page("operations", {"period": ["2025-01-01", "2025-01-31"]})
    at.multiselect(key="operations_status").select("active").run()
    rows = csv_rows(_download(at, served, "Download CSV")[0])
    assert rows[1] == ["# All regions and routes · 1 – 31 Jan 2025 · status: active · data version 1"]
    assert len(rows) == CSV_HEADER_LINES + 2  # header row and the one active operation


def test_neutralise_drops_bidi_controls_then_checks_the_start():
    assert neutralise("\u202egnp.exe\u202c") == "gnp.exe"
    assert neutralise("\u2066=1+1\u2069") == "'=1+1"  # the control no longer hides the formula's start
    assert neutralise("لندن\u200d") == "لندن\u200d"  # right-to-left text and joiners untouched


# -- reading exports back (issue item 14) ---------------------------------------------------------
def test_csv_reads_back_with_comment_lines_skipped():
    df = pd.DataFrame({"name": ["Op #3, north", "#hashtag", 'say "hi"'], "count": [1, -2, 3]})
    meta = {**META, "source": "Source: Home Office, small boats · as of 31 Jan 2025 (arrivals, boats)"}
    data = to_csv_bytes(df, **meta)
    back = pd.read_csv(io.BytesIO(data), comment="#")
    assert list(back.columns) == ["name", "count"]  # not one column named '# Source: Home Office'
    assert back["name"].tolist() == ["Op #3, north", "#hashtag", 'say "hi"']  # a '#' in a value is quoted
    assert back["count"].tolist() == [1, -2, 3]
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[2] == "# Source: Home Office, small boats · as of 31 Jan 2025 (arrivals, boats)"
    assert all(line.startswith("# ") for line in lines[: CSV_HEADER_LINES - 1])  # never quoted
    back = pd.read_csv(io.BytesIO(data), skiprows=CSV_HEADER_LINES)  # the documented other way still works
    assert back["name"].tolist() == ["Op #3, north", "#hashtag", 'say "hi"']


def test_csv_header_lines_stay_formula_neutralised_comments():
    data = to_csv_bytes(frame(), **{**META, "classification": "=X", "source": "+1, @SUM(A1)"})
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "# '=X" and lines[2] == "# '+1, @SUM(A1)"
    assert list(pd.read_csv(io.BytesIO(data), comment="#").columns) == ["'=header", "count", "amount", "day", "note"]


@pytest.mark.parametrize(
    "values",
    [["a,b", 'q"uote', "line\nbreak", "cr\rhere", "#x", "", "plain", -3.25, 7]],
)
def test_csv_records_read_back_as_the_csv_module_reads_them(values):
    df = pd.DataFrame([values], columns=[f"c{i}" for i in range(len(values))])
    rows = csv_rows(to_csv_bytes(df, **META))
    assert rows[CSV_HEADER_LINES + 1] == ["a,b", 'q"uote', "line\nbreak", "cr\rhere", "#x", "", "plain", "-3.25", "7"]


def test_csv_single_empty_cell_is_a_record_not_a_blank_line():
    rows = csv_rows(to_csv_bytes(pd.DataFrame({"note": [None, "x"]}), **META))
    assert rows[CSV_HEADER_LINES:] == [["note"], [""], ["x"]]


def test_xlsx_writes_iso_date_text_in_date_columns_as_dates():
    df = pd.DataFrame(
        {
            "date": ["2025-01-10", None],  # as queries.POINT_COLUMNS hands incidents over
            "start_date": ["2024-11-01", "2024-12-31"],
            "week_ending": ["2025-01-05", ""],
            "date_text": ["2025-01-10", "x"],  # not a date column by name
            "month": ["2025-01-10", "soon"],  # a date column holding other text: stays text
            "note": ["2025-01-10", "y"],
        }
    )
    ws = xlsx(to_xlsx_bytes(df, **META))["Data"]
    cells = {ws.cell(row=2, column=j).value: (ws.cell(row=3, column=j), ws.cell(row=4, column=j)) for j in range(1, 7)}
    first, missing = cells["date"]
    assert first.is_date and first.value.date() == date(2025, 1, 10) and first.number_format == "yyyy-mm-dd"
    assert missing.value is None
    assert all(c.is_date for c in cells["start_date"]) and cells["week_ending"][0].is_date
    assert cells["week_ending"][1].value is None
    for name in ("date_text", "month", "note"):
        assert cells[name][0].value == "2025-01-10" and cells[name][0].data_type == "s", name


def test_xlsx_dates_are_dates_whatever_the_dtype():
    df = pd.DataFrame(
        {
            "day": pd.to_datetime(["2025-01-10"]),
            "as_date": [date(2025, 1, 11)],
            "date": ["2025-01-12"],
        }
    )
    ws = xlsx(to_xlsx_bytes(df, **META))["Data"]
    assert [ws.cell(row=3, column=j).value.date() for j in (1, 2, 3)] == [
        date(2025, 1, 10),
        date(2025, 1, 11),
        date(2025, 1, 12),
    ]


def test_kpi_export_rounds_people_per_boat_as_the_cards_do():
    from dashboard import fmt
    from dashboard.exports import kpi_export

    kpis = pd.DataFrame(
        {
            "key": ["people", "people_per_boat"],
            "value": [150, 64.63651050080776],
            "previous": [30, None],
            "target": [None, None],
        },
        dtype=object,
    )
    out = kpi_export(kpis)
    assert out["value"].tolist() == [150, 64.6] and pd.isna(out["previous"].iloc[1])
    assert fmt.kpi_value("people_per_boat", 64.63651050080776) == "64.6"  # the card says the same
    assert kpis["value"].iloc[1] == 64.63651050080776  # the query's frame is left alone


def test_file_names_are_stamped_to_the_second():
    a = export_filename("incidents", "OFFICIAL", "csv", datetime(2026, 11, 28, 10, 30, 5, tzinfo=UTC))
    b = export_filename("incidents", "OFFICIAL", "csv", datetime(2026, 11, 28, 10, 30, 6, tzinfo=UTC))
    assert a == "OFFICIAL-tideline-incidents-20261128T103005Z.csv" and a != b


@pytest.fixture
def fractional_store(tmp_path, monkeypatch) -> Store:
    """The tiny dataset with 7 boats in January: 150 people / 7 boats = 21.43 people per boat."""
    frames = tiny.frames()
    frames["crossings_daily"] = frames["crossings_daily"].assign(boats=[1, 1, 3, 0, 4, None])
    store = Store(tmp_path / "store")
    store.commit(frames, source_name="tiny")
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(store.data_dir))
    return store


def test_overview_kpi_export_reads_back_with_rounded_people_per_boat(fractional_store, served):
    at = open_page("overview", {"period": ["2025-01-01", "2025-01-31"]})
    assert not at.exception, [e.stack_trace for e in at.exception]
    data, _ = _download(at, served, "Download CSV")
    back = pd.read_csv(io.BytesIO(data), comment="#")
    assert list(back.columns) == ["key", "label", "unit", "value", "previous", "target", "target_label"]
    assert back.set_index("key").loc["people_per_boat", "value"] == 21.4
    ws = xlsx(_download(at, served, "Download XLSX")[0])["Data"]
    row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "people_per_boat")
    assert row[3] == 21.4


def test_map_xlsx_export_has_incident_dates_as_dates(hostile_store, served):
    at = open_page("map", {"period": ["2025-01-01", "2025-01-31"]})
    ws = xlsx(_download(at, served, "Download XLSX")[0])["Data"]
    headers = [c.value for c in ws[2]]
    column = headers.index("date") + 1
    days = [ws.cell(row=r, column=column) for r in range(3, ws.max_row + 1)]
    assert days and all(c.is_date for c in days)
    assert sorted(c.value.date() for c in days) == [date(2025, 1, 1), date(2025, 1, 10), date(2025, 1, 20)]
