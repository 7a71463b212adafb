"""The Home Office importers read a workbook column by column (base.TextBook: fastexcel, each distinct value judged
once) when every row can be vouched for that way, and row by row otherwise. Both readings must give the same tables,
notes, rejections, row counts and as-of date: each trap below is read both ways (`by_row=True` forces the row-by-row
reading) and compared, on workbooks written as openpyxl writes them (each string in its cell) and as Excel does (a
shared-strings table, by XlsxWriter); and where it matters, which reading was used is checked too."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import fixture_modules
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from test_source_home_office_irregular import D01_HEADER, D01_ROWS, D01_TITLE, D02_HEADER, D02_ROWS, D02_TITLE

from dashboard.sources import home_office as ho
from dashboard.sources import home_office_irregular as hoi
from dashboard.sources.base import TextBook, blank, blank_mask, cell_number, no_progress, plain_text

HO = fixture_modules.load("home_office")


def same_both_ways(read, path: Path):
    """read(path) column by column (when it can) and row by row: every part of the result equal."""
    fast, slow = read(path), read(path, by_row=True)
    assert fast.rows_read == slow.rows_read
    assert fast.rejected == slow.rejected
    assert fast.notes == slow.notes
    assert fast.as_of == slow.as_of
    assert fast.tables.keys() == slow.tables.keys()
    for name in slow.tables:
        pd.testing.assert_frame_equal(fast.tables[name], slow.tables[name])
    pd.testing.assert_frame_equal(fast.totals_by_year, slow.totals_by_year)
    return fast


def write(path: Path, sheets: dict[str, list[list]], *, top: int = 0, left: int = 0, excel: bool = False) -> Path:
    """The sheets by openpyxl, each below `top` empty rows and right of `left` empty columns; or as Excel writes it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for _ in range(top):
            ws.append([])
        for cells in rows:
            ws.append([None] * left + [HO._workbook_value(v) for v in cells] if cells else [])  # a Serial: its number
    wb.save(path)
    return HO.excel_written(path, path.with_name(f"excel-{path.name}")) if excel else path


# --------------------------------------------------------------------------------- irregular migration


def irregular(path: Path, rows: list[list] = D01_ROWS, header: list = D01_HEADER, **layout) -> Path:
    after = [["End of table"], [], ["Source: a footnote"], [2020, "2020 Q1", "Small boat arrivals", "Iran"]]
    return write(
        path,
        {
            "Cover": [["Irregular migration to the UK, detailed dataset"], ["Published: 21 August 2025"]],
            "Notes": [["Note number", "Note text"], ["[note 2]", "Nationality as recorded."]],
            "Data - Irr_D01": [[D01_TITLE], header, *rows, *after],
            "Data - Irr_D02": [[D02_TITLE], D02_HEADER, *D02_ROWS, ["End of table"]],
        },
        **layout,
    )


def by_columns(path: Path) -> bool:
    return hoi._read_text(path, no_progress) is not None


def row(**changes) -> list:
    """D01's first row with some cells changed (by column name)."""
    cells = list(D01_ROWS[0])
    names = ["Year", "Quarter", "Method", "Nationality", "Region", "Sex", "Age", "Count"]
    for name, value in changes.items():
        cells[names.index(name)] = value
    return cells


@pytest.mark.parametrize("excel", [False, True], ids=["openpyxl", "excel"])
@pytest.mark.parametrize(
    "layout",
    [{}, {"top": 3, "left": 2}, {"top": 12}],
    ids=["as published", "empty rows and columns first", "header below twelve empty rows"],
)
def test_a_clean_irregular_workbook_is_read_column_by_column_as_row_by_row(tmp_path, excel, layout):
    """The dataset's rows (blank row, 'NA', '1,234', '-', '[x]', 1500.0, an unknown nationality, Türkiye and
    Turkey as one): read column by column, the result the row-by-row reading gives. Empty rows above the table do
    not count towards the ten searched for the header; with an empty column A, 'End of table' is in column C and
    still ends the table (the footnote row below it is not read)."""
    path = irregular(tmp_path / "irr.xlsx", **layout, excel=excel)
    assert by_columns(path)
    result = same_both_ways(hoi.read, path)
    assert result.rows_read == 12 + len(D02_ROWS) and not result.rejected
    assert 999 not in result.tables["irregular_arrivals"]["detections"].dropna().tolist()


@pytest.mark.parametrize(
    "rows",
    [
        [row(Count=12.0000000001), row(Sex="Female", Year=2018.0000000001)],  # spreadsheet arithmetic's noise
        [row(Method="  Small   boat arrivals ", Nationality=" Narnia")],  # padded labels, an unknown nationality
        [row(Count="1,234"), row(Sex="Female", Count="[c]"), row(Sex="Not known", Count=None)],
        [row(Region=None)],  # Region may be empty
    ],
    ids=["float noise", "padded labels", "count forms", "no region"],
)
def test_values_the_column_wise_reading_vouches_for(tmp_path, rows):
    path = irregular(tmp_path / "irr.xlsx", rows, excel=True)
    assert by_columns(path)
    same_both_ways(hoi.read, path)


@pytest.mark.parametrize(
    "rows",
    [
        [row(), row()],  # a repeated key: "duplicate of row 3"
        [row(), row(Sex="Female", Nationality="Iran, Islamic Republic of", Method="Small boat arrivals")],
        [row(Age=18)],  # a number where a label goes: the row-by-row reading names it "18"
        [row(Sex=True)],  # a boolean cell
        [row(Age=datetime(2018, 1, 24))],  # a date cell in a label column
        [row(Year=2019)],  # Year is not its Quarter's
        [row(Count=12.5)],  # not a whole number
        [row(Count=-3)],
        [row(Quarter="2026 Q1", Year=2026)],  # after the publication date
        [row(Nationality=None)],  # a required label empty
        [row(Quarter="2018 Q5")],
        [row(Year="2018.0")],  # a year the row-by-row reading takes and the column-wise one leaves to it
    ],
    ids=[
        "repeated key",
        "key repeated once labels are tidied",
        "numeric label",
        "boolean",
        "date label",
        "year not the quarter's",
        "fraction",
        "negative",
        "future",
        "no nationality",
        "no such quarter",
        "year as text with .0",
    ],  # fmt: skip
)
def test_a_row_the_column_wise_reading_cannot_vouch_for_sends_the_sheet_row_by_row(tmp_path, rows):
    path = irregular(tmp_path / "irr.xlsx", [*D01_ROWS[1:4], *rows], excel=True)
    assert not by_columns(path)
    same_both_ways(hoi.read, path)


def test_a_header_cell_that_is_no_text_sends_the_sheet_row_by_row(tmp_path):
    """An extra column headed 2024 (a number) is named in the note as the row-by-row reading writes it."""
    path = irregular(tmp_path / "irr.xlsx", [r + [1] for r in D01_ROWS[:3]], [*D01_HEADER, 2024])
    assert not by_columns(path)
    result = same_both_ways(hoi.read, path)
    assert any("ignored: 2024" in n for n in result.notes)


def test_an_error_cell_sends_the_workbook_to_openpyxl(tmp_path):
    """TextBook reads an error cell (#N/A) as empty; its `errors` says there is one, so the count is refused in
    words by openpyxl's reading, as before."""
    path = irregular(tmp_path / "irr.xlsx", [row(Count="#N/A"), row(Sex="Female")])
    book = TextBook(path)
    try:
        assert book.errors
    finally:
        book.close()
    assert not by_columns(path)
    result = hoi.read(path)
    assert [(r.row, r.reason) for r in result.rejected] == [(3, "not a number: '#N/A'")]


# ---------------------------------------------------------------------------------------- small boats


SB01_CLEAN = [r for r in HO.SB01 if not (r and (isinstance(r[0], HO.Serial) or r[0] == "Total"))]


def small_boats(path: Path, rows: list[list] = SB01_CLEAN, **layout) -> Path:
    sheets = {"Cover_sheet": HO.COVER, "Notes": HO.NOTES, "SB_01": rows}
    if path.suffix == ".ods":
        HO._workbook(path, {name: [[None] * layout.get("left", 0) + r for r in rows] for name, rows in sheets.items()})
        return path
    return write(path, sheets, **layout)


def sb_by_columns(path: Path) -> bool:
    return ho._read_text_workbook(path, no_progress) is not None


@pytest.mark.parametrize(
    "name, layout",
    [("sb.ods", {}), ("sb.xlsx", {}), ("sb.xlsx", {"excel": True}), ("sb.xlsx", {"top": 4, "left": 1})],
    ids=["ods", "openpyxl", "excel", "empty rows and columns first"],
)
def test_a_clean_small_boats_workbook_is_read_column_by_column_as_row_by_row(tmp_path, name, layout):
    """SB_01 with date cells, text dates in three forms, '-', a blank count, '1,234', a blank row and notes."""
    path = small_boats(tmp_path / name, **layout)
    assert sb_by_columns(path)
    result = same_both_ways(ho.read, path)
    assert result.rows_read == len([r for r in SB01_CLEAN[1:] if r]) and result.as_of == "2025-03-20"


@pytest.mark.parametrize(
    "extra",
    [
        [HO.Serial(date(2024, 1, 8)), 0, 1, 0, None],  # an Excel serial: a number the column-wise reading leaves
        ["Total", 2431, 53, 4, None],  # skipped with a note naming its row
        [datetime(2024, 1, 9), 1, 1, 0, None],  # a repeated date
        [datetime(2025, 3, 21), 1, 1, 0, None],  # after the cover's date
        ["29/02/2023", 1, 1, 0, None],  # no such day
        ["2023-02-29", 1, 1, 0, None],  # no such day, in the form read without strptime
        [datetime(2024, 2, 1), 2.5, 1, 0, None],
        [time(10, 30), 1, 1, 0, None],  # a time-of-day cell reads as 1899-12-31 10:30:00
    ],
    ids=["serial", "total", "repeated", "future", "31 February", "ISO 29 February", "fraction", "time of day"],
)
@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_small_boats_row_the_column_wise_reading_cannot_vouch_for(tmp_path, extra, suffix):
    path = small_boats(tmp_path / f"sb{suffix}", [*SB01_CLEAN, extra])
    assert not sb_by_columns(path)
    same_both_ways(ho.read, path)


def test_small_boats_values_the_column_wise_reading_vouches_for(tmp_path):
    """A count with spreadsheet noise is the whole number both ways; a date cell with a time is its day."""
    rows = [*SB01_CLEAN, [datetime(2024, 2, 1, 13, 4, 5), 12.0000000001, 1, 0, None]]
    path = small_boats(tmp_path / "sb.xlsx", rows, excel=True)
    assert sb_by_columns(path)
    result = same_both_ways(ho.read, path)
    assert result.tables["crossings_daily"]["people"].iloc[-1] == 12


# -------------------------------------------------------------------------------------------- TextBook


def test_textbook_reads_cells_as_text(tmp_path):
    values = ["label", 2018, 12.5, 12.0000000001, True, datetime(2025, 3, 19), date(2025, 3, 20), " padded ", None]
    path = write(tmp_path / "cells.xlsx", {"S": [[v] for v in values]}, top=2, left=1)
    book = TextBook(path)
    try:
        [sheet] = book.worksheets
        assert not book.errors
        assert [r[0] for r in sheet.iter_rows()] == [
            "label",
            "2018",
            "12.5",
            "12",
            "true",
            "2025-03-19 00:00:00",
            "2025-03-20 00:00:00",
            " padded ",
        ]  # fmt: skip  (the empty rows and column before the cells are left out, the empty last row too)
    finally:
        book.close()


def test_cell_number_takes_a_whole_number_as_textbook_writes_it():
    assert cell_number(12.0000000001) == 12 and type(cell_number(12.0000000001)) is int
    assert cell_number(12.000000001) == 12.000000001 and cell_number(2.5) == 2.5
    assert cell_number(1e20) == 10**20 and cell_number(float("inf")) == float("inf")


def test_plain_text_is_text_no_other_cell_reads_as():
    assert plain_text("Small boat arrivals") and plain_text("TRUE") and plain_text("18 to 24")
    for text in ["true", "false", "2018", "12.5", "2025-03-19 00:00:00", "PT10H30M", "", "  ", None, 5]:
        assert not plain_text(text), text


def test_blank_mask_is_blank_for_every_value():
    values = ["", " ", "\t\n", "\x1c", "\u3000", "\u00a0x", "\u200b", "a", None, " a "]
    assert blank_mask(pa.array(values)).tolist() == [blank(v) for v in values]
    assert np.array_equal(blank_mask(pa.array([], pa.string())), np.array([], dtype=bool))
