"""Home Office small-boats importer: detection, mapping, validation and errors, on the fixtures in
tests/fixtures/home_office (built by make_fixtures.py; expected values worked out by hand from its rows)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import schema
from dashboard.sources import home_office as ho
from dashboard.sources.base import Rejection, StructuralError
from dashboard.store import typed_table

F = Path(__file__).parent / "fixtures" / "home_office"
WORKBOOKS = ("small_boats.ods", "small_boats.xlsx")
SB01_FILES = (*WORKBOOKS, "sb01.csv")
SB02_FILES = (*WORKBOOKS, "sb02.csv")

# People arrived by year (SB_01; '-' and blank are NULL and add nothing):
#   2023: 120 + 0 = 120
#   2024: 55 + NULL + 1234 + NULL + 0 + 341 + 88 + 0 + 12 + 0 = 1730
#   2025: 0 + 150 + 431 = 581          (2431 in all, the sheet's own Total row)
PEOPLE_BY_YEAR = {2023: 120, 2024: 1730, 2025: 581}
# Boats: 2023: 3 + 0 = 3; 2024: 1 + NULL + 25 + 2 + 0 + 7 + 2 + 1 + 1 + 0 = 39; 2025: 0 + 3 + 8 = 11 (53 in all)
BOATS_BY_YEAR = {2023: 3, 2024: 39, 2025: 11}
# SB_02 people prevented: 2024: NULL + 512 + 1020 + 0 + 230 = 1762; 2025: 145   (1907 in all)
PREVENTED_BY_YEAR = {2024: 1762, 2025: 145}
# SB_02 events prevented: 2024: NULL + 9 + 21 + 0 + 6 = 36; 2025: 4   (40 in all)
EVENTS_BY_YEAR = {2024: 36, 2025: 4}


def read(name: str, **kwargs) -> ho.ImportResult:
    return ho.read(F / name, **kwargs)


def by_year(frame: pd.DataFrame, date_col: str, count_col: str) -> dict[int, int]:
    return {int(y): int(v) for y, v in frame.groupby(frame[date_col].dt.year)[count_col].sum().items()}


def row(frame: pd.DataFrame, date_col: str, day: str) -> pd.Series:
    (match,) = frame.index[frame[date_col] == pd.Timestamp(day)]
    return frame.loc[match]


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for cells in rows:
            ws.append(cells)
    wb.save(path)
    return path


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SB01_HEADER = "Date,Migrants arrived,Boats arrived,Boats arrived - involved in uncontrolled landings,Notes\n"


# ---------------------------------------------------------------------------------------- detect


@pytest.mark.parametrize(
    "name",
    [
        *WORKBOOKS,
        "sb01.csv",
        "sb02.csv",
        "bad_rows.ods",
        "missing_column.xlsx",
        # ours but broken: read() says what is wrong, which beats "unknown format"
        "latin1.csv",
        "huge_line.csv",
    ],
)
def test_detect_accepts_small_boats_files(name):
    assert ho.detect(F / name) is True


@pytest.mark.parametrize(
    "name",
    [
        "truncated.ods",
        "wrong_sheets.ods",
        "garbage.csv",
        "empty.csv",
        "make_fixtures.py",
        "no_such_file.ods",
        "no_such_file.csv",
    ],
)
def test_detect_rejects_other_files(name):
    assert ho.detect(F / name) is False


@pytest.mark.parametrize(
    "text",
    [
        "date,route,people,boats,source,status\n2024-01-01,English Channel,5,1,x,final\n",  # canonical table
        "Incident ID,Incident Date,Number Dead\n1,2024-01-01,3\n",  # IOM-like
        "Date,Notes\n2024-01-01,x\n",  # a date but none of the count columns
    ],
)
def test_detect_rejects_other_csvs(tmp_path, text):
    assert ho.detect(write_csv(tmp_path / "other.csv", text)) is False


def test_detect_finds_sheets_case_insensitively(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {" sb_02 ": [["Week ending", "Migrants prevented", "Events prevented"]]})
    assert ho.detect(path) is True


# ------------------------------------------------------------------------------------ mapping


@pytest.mark.parametrize("name", SB01_FILES)
def test_people_and_boats_by_year(name):
    result = read(name)
    daily = result.tables["crossings_daily"]
    assert dict(zip(result.totals_by_year["year"], result.totals_by_year["people"], strict=True)) == PEOPLE_BY_YEAR
    assert by_year(daily, "date", "people") == PEOPLE_BY_YEAR
    assert by_year(daily, "date", "boats") == BOATS_BY_YEAR
    assert len(daily) == 15  # 17 data rows in the sheet minus the blank row and the Total row
    assert result.rejected == []


@pytest.mark.parametrize("name", SB02_FILES)
def test_preventions_by_year(name):
    weekly = read(name).tables["preventions_weekly"]
    assert by_year(weekly, "week_ending", "people_prevented") == PREVENTED_BY_YEAR
    assert by_year(weekly, "week_ending", "events_prevented") == EVENTS_BY_YEAR
    assert weekly["week_ending"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-04-28",
        "2024-05-05",
        "2024-05-12",
        "2024-05-19",
        "2024-12-29",
        "2025-01-05",
    ]


def test_all_formats_give_identical_frames():
    ods, xlsx = read("small_boats.ods").tables, read("small_boats.xlsx").tables
    assert set(ods) == set(xlsx) == {"crossings_daily", "preventions_weekly"}
    for table in ods:
        pd.testing.assert_frame_equal(ods[table], xlsx[table])
    pd.testing.assert_frame_equal(ods["crossings_daily"], read("sb01.csv").tables["crossings_daily"])
    pd.testing.assert_frame_equal(ods["preventions_weekly"], read("sb02.csv").tables["preventions_weekly"])


@pytest.mark.parametrize("name", SB01_FILES)
def test_not_available_and_blank_are_null_not_zero(name):
    daily = read(name).tables["crossings_daily"]
    dash = row(daily, "date", "2024-01-02")  # '-' in both columns
    assert pd.isna(dash["people"]) and pd.isna(dash["boats"])
    blank = row(daily, "date", "2024-01-04")  # people left blank, 2 boats
    assert pd.isna(blank["people"]) and blank["boats"] == 2
    zero = row(daily, "date", "2023-12-31")
    assert (zero["people"], zero["boats"]) == (0, 0)
    assert row(daily, "date", "2024-01-03")["people"] == 1234  # "1,234" stored as text
    empty_boat = row(daily, "date", "2024-01-08")  # an Excel serial date in the workbooks
    assert (empty_boat["people"], empty_boat["boats"]) == (0, 1)


@pytest.mark.parametrize("name", SB02_FILES)
def test_preventions_before_may_2024_are_null(name):
    first = row(read(name).tables["preventions_weekly"], "week_ending", "2024-04-28")
    assert pd.isna(first["people_prevented"]) and pd.isna(first["events_prevented"])


@pytest.mark.parametrize("name", [*WORKBOOKS, "sb01.csv", "sb02.csv"])
def test_route_source_status(name):
    result = read(name)
    assert result.format == ho.NAME and result.source == ho.SOURCE
    for frame in result.tables.values():
        assert set(frame["route"]) == {"English Channel"}
        assert set(frame["source"]) == {"Home Office: small boats time series"}
    if "crossings_daily" in result.tables:
        assert set(result.tables["crossings_daily"]["status"]) == {"provisional"}


@pytest.mark.parametrize("name", [*WORKBOOKS, "sb01.csv", "sb02.csv", "bad_rows.ods"])
def test_columns_in_schema_order_and_castable_by_the_store(name):
    for table, frame in read(name).tables.items():
        assert list(frame.columns) == [c.name for c in schema.columns(table, provenance=False)]
        typed = typed_table(table, frame, sha256=None, version_id=1)
        assert typed.num_rows == len(frame)


def test_as_of_from_the_cover_sheet():
    assert read("small_boats.ods").as_of == read("small_boats.xlsx").as_of == "2025-03-20"
    assert read("sb01.csv").as_of is None


def test_total_rows_are_notes_not_rejections_and_headers_need_no_notes():
    result = read("small_boats.ods")
    assert result.notes == [
        "small_boats.ods, sheet SB_01, row 18: 'Total' row skipped (a total, not data)",
        "small_boats.ods, sheet SB_02, row 10: 'Total' row skipped (a total, not data)",
    ]
    assert result.rows_read == 15 + 6


def test_sb02_alone_notes_that_arrivals_are_not_loaded():
    result = read("sb02.csv")
    assert set(result.tables) == {"preventions_weekly"}  # an absent table must not supersede stored rows
    assert any("no SB_01" in n and "weekly arrivals are not loaded" in n for n in result.notes)
    assert dict(zip(result.totals_by_year["year"], result.totals_by_year["people"], strict=True)) == PREVENTED_BY_YEAR


def test_progress_is_reported_per_sheet():
    seen = []
    read("small_boats.ods", progress=lambda message, fraction: seen.append((message, fraction)))
    assert ("Reading SB_01", 0.0) in seen and ("Reading SB_02", 0.5) in seen
    assert all(0.0 <= f <= 1.0 for _, f in seen)


# -------------------------------------------------------------------------------- validation


def test_bad_rows_are_rejected_with_row_column_and_reason():
    result = read("bad_rows.ods")
    r = lambda n, col, reason, value: Rejection("bad_rows.ods", n, col, reason, sheet="SB_01", value=value)  # noqa: E731
    assert result.rejected == [
        r(3, "Date", "not a date in a known form: '31/02/2024'", "31/02/2024"),
        r(5, "Migrants arrived", "negative count: -5", "-5"),  # row 4 is blank and still counted
        r(6, "Date", "duplicate date 2024-02-01: first on row 2", "2024-02-01"),
        r(7, "Date", "date 2099-01-01 is in the future", "2099-01-01"),
        r(8, "Boats arrived", "not a whole number: '2.5'", "2.5"),
        r(10, "Date", "date is missing", None),
        r(11, "Migrants arrived", "not a number: 'abc'", "abc"),
    ]
    daily = result.tables["crossings_daily"]
    assert daily["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-02-04"]
    assert daily["people"].tolist() == [10, 7] and daily["boats"].tolist() == [1, 1]
    assert result.rows_read == 9 and result.rows_accepted == 2


def test_csv_rejections_give_the_line(tmp_path):
    # line 3 is blank and still counted
    text = SB01_HEADER + "2024-01-01,5,1,0,\n\n2024-01-01,6,1,0,\n2024-01-02,lots,1,0,\n"
    path = write_csv(tmp_path / "sb01.csv", text)
    assert ho.read(path).rejected == [
        Rejection("sb01.csv", 4, "Date", "duplicate date 2024-01-01: first on line 2", value="2024-01-01"),
        Rejection("sb01.csv", 5, "Migrants arrived", "not a number: 'lots'", value="lots"),
    ]


def test_dates_after_the_stated_as_of_are_rejected_and_title_rows_count(tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            "Cover_sheet": [
                ["Small boats"],
                ["This series was first published on 10 May 2018."],
                ["Published: 1 January 2025"],
                ["Next update", date(2025, 1, 8)],
            ],
            "SB_01": [
                ["Table SB_01"],
                [],
                ["Date", "Migrants arrived", "Boats arrived"],
                [date(2024, 12, 31), 5, 1],
                [date(2025, 1, 5), 7, 1],
            ],
        },
    )
    result = ho.read(path)
    assert result.as_of == "2025-01-01"
    assert result.rejected == [
        Rejection(
            "book.xlsx",
            5,
            "Date",
            "date 2025-01-05 is after the file's as-of date 2025-01-01",
            sheet="SB_01",
            value="2025-01-05",
        )
    ]
    assert len(result.tables["crossings_daily"]) == 1


def test_unknown_columns_and_footnote_rows_are_notes(tmp_path):
    text = (
        "Date,Migrants arrived ,Boats  arrived [note 3],Rolling average\n2024-01-01,5,1,2.5\nSource: Home Office,,,\n"
    )
    result = ho.read(write_csv(tmp_path / "sb01.csv", text))
    assert result.rejected == [] and len(result.tables["crossings_daily"]) == 1
    assert result.notes == [
        "sb01.csv: column(s) not part of SB_01, ignored: Rolling average",
        "sb01.csv, line 3: row with no date and no counts skipped ('Source: Home Office')",
    ]


# --------------------------------------------------------------------------- structural errors


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("truncated.ods", "truncated.ods: not a readable ODS workbook (damaged or truncated?)"),
        ("wrong_sheets.ods", "wrong_sheets.ods: no SB_01 or SB_02 sheet; sheets found: Data1, Data2"),
        ("garbage.csv", "garbage.csv: binary content"),
        ("empty.csv", "empty.csv: the file is empty"),
        ("latin1.csv", "latin1.csv: not UTF-8 text"),
        ("huge_line.csv", "field larger than field limit"),
        (
            "missing_column.xlsx",
            "missing_column.xlsx, sheet SB_01: missing column 'Boats arrived'; "
            "columns found: Date, Migrants arrived [note 2], Notes",
        ),
    ],
)
def test_structural_errors_name_the_problem(name, fragment):
    with pytest.raises(StructuralError) as err:
        read(name)
    assert fragment in str(err.value)


def test_empty_workbook_file(tmp_path):
    (tmp_path / "empty.ods").write_bytes(b"")
    with pytest.raises(StructuralError, match=r"empty\.ods: the file is empty \(0 bytes\)"):
        ho.read(tmp_path / "empty.ods")


def test_sheet_without_its_date_column(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"SB_02": [["Week", "Migrants prevented", "Events prevented"]]})
    with pytest.raises(StructuralError, match="sheet SB_02: missing column 'Week ending'.*Week, Migrants prevented"):
        ho.read(path)


def test_csv_with_neither_table(tmp_path):
    with pytest.raises(StructuralError, match="neither 'Date' .* nor 'Week ending'.*columns found: a, b"):
        ho.read(write_csv(tmp_path / "x.csv", "a,b\n1,2\n"))


def test_no_streamlit_import():
    code = "import sys, dashboard.sources.home_office; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


# ------------------------------------------------------------------- counts that fit the store


def test_counts_beyond_the_column_are_rejected_rows_not_overflows(tmp_path):
    """These once raised OverflowError (1e20, 1e308, 99999999999999999999) or passed validation and failed
    at commit with DuckDB's conversion error (3000000000 in an INTEGER column)."""
    text = (
        SB01_HEADER + "2024-01-01,1e20,1,0,\n"
        "2024-01-02,99999999999999999999,1,0,\n"
        "2024-01-03,5,1e308,0,\n"
        "2024-01-04,3000000000,1,0,\n"
        "2024-01-05,2147483647,1,0,\n"
    )
    result = ho.read(write_csv(tmp_path / "sb01.csv", text))
    too_large = "is too large for its column (at most 2,147,483,647)"
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (2, "Migrants arrived", "not a count written in digits: '1e20' (exponent form)"),
        (3, "Migrants arrived", f"count 99999999999999999999 {too_large}"),
        (4, "Boats arrived", "not a count written in digits: '1e308' (exponent form)"),
        (5, "Migrants arrived", f"count 3000000000 {too_large}"),
    ]
    daily = result.tables["crossings_daily"]
    assert daily["people"].tolist() == [2**31 - 1]
    typed_table("crossings_daily", daily, sha256=None, version_id=1)


def test_workbook_number_cells_beyond_the_column_are_rejected(tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            "SB_01": [
                ["Date", "Migrants arrived", "Boats arrived"],
                [date(2024, 1, 1), 1e308, 1],
                [date(2024, 1, 2), 3_000_000_000, 1],
                [date(2024, 1, 3), 7, 1],
            ],
            "SB_02": [
                ["Week ending", "Migrants prevented", "Events prevented"],
                [date(2024, 1, 7), 5, 2**40],
            ],
        },
    )
    result = ho.read(path)
    too_large = "is too large for its column (at most 2,147,483,647)"
    assert [(r.sheet, r.row, r.column, r.reason) for r in result.rejected] == [
        ("SB_01", 2, "Migrants arrived", f"count 100000000000… (309 digits) {too_large}"),
        ("SB_01", 3, "Migrants arrived", f"count 3000000000 {too_large}"),
        ("SB_02", 2, "Events prevented", f"count 1099511627776 {too_large}"),
    ]
    for table, frame in result.tables.items():
        typed_table(table, frame, sha256=None, version_id=1)


def test_a_year_of_not_available_counts_totals_null(tmp_path):
    result = ho.read(write_csv(tmp_path / "sb01.csv", SB01_HEADER + "2024-01-01,-,-,-,\n2024-01-02,-,-,-,\n"))
    assert result.rejected == [] and len(result.tables["crossings_daily"]) == 2
    assert result.totals_by_year["people"].isna().tolist() == [True]  # unknown, not 0


def test_a_workbook_with_an_error_cell_reads_as_pandas_read_it_before(tmp_path, monkeypatch):
    """A workbook with an error cell (#DIV/0!) is read by pandas' openpyxl or odf engine, as before calamine; for an
    XLSX that engine already made the cell NaN (a NULL count), which calamine matches."""
    from dashboard.sources.base import workbook_errors

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "SB_01"
    ws.append(["Date", "Migrants arrived", "Boats arrived", "Boats arrived - involved in uncontrolled landings"])
    ws.append([date(2024, 1, 1), 10, 1, 0])
    ws.append([date(2024, 1, 2), "#DIV/0!", 1, 0])
    path = tmp_path / "errors.xlsx"
    wb.save(path)
    assert workbook_errors(path) and not workbook_errors(
        Path(__file__).parent / "fixtures/home_office/small_boats.xlsx"
    )
    before = ho.read(path)
    assert before.rejected == [] and before.tables["crossings_daily"]["people"].isna().tolist() == [False, True]
    monkeypatch.setattr(ho, "workbook_errors", lambda path: False)  # calamine
    after = ho.read(path)
    assert after.rejected == before.rejected and after.notes == before.notes
    pd.testing.assert_frame_equal(after.tables["crossings_daily"], before.tables["crossings_daily"])
