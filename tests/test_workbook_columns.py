"""The Home Office importers read a workbook column by column (base.TextBook: fastexcel, each distinct value judged
once) when every row can be vouched for that way, and row by row otherwise. Both readings must give the same tables,
notes, rejections, row counts and as-of date: each trap below is read both ways (`by_row=True` forces the row-by-row
reading) and compared, on workbooks written as openpyxl writes them (each string in its cell) and as Excel does (a
shared-strings table, by XlsxWriter); and where it matters, which reading was used is checked too."""

from __future__ import annotations

import sys
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
from dashboard.sources.base import (
    StructuralError,
    TextBook,
    Unvouched,
    blank,
    blank_mask,
    cell_number,
    no_progress,
    plain_text,
)

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


def handed_over(read_book, path: Path) -> bool:
    """Whether the column-wise reading, read_book(path, book, progress), hands the workbook over to the row-by-row one
    on purpose (Unvouched), not by failing."""
    book = TextBook(path)
    try:
        read_book(path, book, no_progress)
    except Unvouched:
        return True
    finally:
        book.close()
    return False


def left_to_row_by_row(path: Path) -> bool:
    return handed_over(hoi._read_book, path)


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
        [row(Quarter="0000 Q1", Year=0)],  # no such year: the row refused (it failed the whole file)
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
        "year 0",
        "year as text with .0",
    ],  # fmt: skip
)
def test_a_row_the_column_wise_reading_cannot_vouch_for_sends_the_sheet_row_by_row(tmp_path, rows):
    path = irregular(tmp_path / "irr.xlsx", [*D01_ROWS[1:4], *rows], excel=True)
    assert left_to_row_by_row(path) and not by_columns(path)
    same_both_ways(hoi.read, path)


def test_a_header_cell_that_is_no_text_sends_the_sheet_row_by_row(tmp_path):
    """An extra column headed 2024 (a number) is named in the note as the row-by-row reading writes it."""
    path = irregular(tmp_path / "irr.xlsx", [r + [1] for r in D01_ROWS[:3]], [*D01_HEADER, 2024])
    assert left_to_row_by_row(path)
    result = same_both_ways(hoi.read, path)
    assert any("ignored: 2024" in n for n in result.notes)


def test_an_error_cell_sends_the_workbook_to_openpyxl(tmp_path):
    """TextBook reads an error cell (#N/A) as empty; `lossy` says there is one, so the count is refused in words by
    openpyxl's reading, as before."""
    path = irregular(tmp_path / "irr.xlsx", [row(Count="#N/A"), row(Sex="Female")])
    book = TextBook(path)
    try:
        assert book.lossy
    finally:
        book.close()
    assert left_to_row_by_row(path)
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


def sb_left_to_row_by_row(path: Path) -> bool:
    return handed_over(ho._text_workbook, path)


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
        ["2024-02-02 24:00:00", 1, 1, 0, None],  # no such time
        [datetime(2024, 2, 1), 2.5, 1, 0, None],
        [time(10, 30), 1, 1, 0, None],  # a time-of-day cell reads as 1899-12-31 10:30:00
    ],
    ids=[
        "serial",
        "total",
        "repeated",
        "future",
        "31 February",
        "ISO 29 February",
        "hour 24",
        "fraction",
        "time of day",
    ],
)
@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_small_boats_row_the_column_wise_reading_cannot_vouch_for(tmp_path, extra, suffix):
    path = small_boats(tmp_path / f"sb{suffix}", [*SB01_CLEAN, extra])
    assert sb_left_to_row_by_row(path) and not sb_by_columns(path)
    same_both_ways(ho.read, path)


def test_small_boats_values_the_column_wise_reading_vouches_for(tmp_path):
    """A count with spreadsheet noise is the whole number both ways; a date cell with a time is its day."""
    rows = [*SB01_CLEAN, [datetime(2024, 2, 1, 13, 4, 5), 12.0000000001, 1, 0, None]]
    path = small_boats(tmp_path / "sb.xlsx", rows, excel=True)
    assert sb_by_columns(path)
    result = same_both_ways(ho.read, path)
    assert result.tables["crossings_daily"]["people"].iloc[-1] == 12


def ods(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An ODS written cell by cell with odfpy, so that a time is a time cell (pandas' odf writer makes it text)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for cells in rows:
            out = TableRow()
            for v in cells:
                if v is None:
                    cell = TableCell()
                elif isinstance(v, time):
                    cell = TableCell(valuetype="time", timevalue=f"PT{v.hour}H{v.minute}M{v.second}S")
                elif isinstance(v, datetime):
                    cell = TableCell(valuetype="date", datevalue=v.isoformat())
                elif isinstance(v, (int, float)):
                    cell = TableCell(valuetype="float", value=repr(v))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(v)))
                out.addElement(cell)
            table.addElement(out)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


@pytest.mark.parametrize(
    "rows",
    [
        [*SB01_CLEAN, [datetime(2024, 2, 1), time(10, 30), 1, 0, None]],  # refused: not a number, '10:30:00'
        [*SB01_CLEAN, [None, None, None, None, time(10, 30)]],  # a row with no date and no counts: a note
        [[*SB01_CLEAN[0], time(10, 30)], *[[*r, None] if r else r for r in SB01_CLEAN[1:]]],  # named in a note
    ],
    ids=["in a count", "alone in Notes", "in the header"],
)
def test_an_ods_time_cell_sends_the_workbook_row_by_row(tmp_path, rows):
    """TextBook reads an ODS time cell as empty; `lossy` says there is one."""
    path = ods(tmp_path / "sb.ods", {"Cover_sheet": HO.COVER, "Notes": HO.NOTES, "SB_01": rows})
    assert sb_left_to_row_by_row(path)
    same_both_ways(ho.read, path)


def test_an_ods_written_cell_by_cell_is_read_column_by_column(tmp_path):
    path = ods(tmp_path / "sb.ods", {"Cover_sheet": HO.COVER, "Notes": HO.NOTES, "SB_01": SB01_CLEAN})
    assert sb_by_columns(path)
    assert same_both_ways(ho.read, path).as_of == "2025-03-20"


@pytest.mark.parametrize(
    "published",
    [datetime(2025, 3, 20, 10, 15, 30, 250000), time(10, 30), "N/A"],
    ids=["fractions of a second", "time of day", "pandas' empty text between label and date"],
)
def test_a_cover_date_text_cannot_read_is_left_to_its_type(tmp_path, published):
    cover = [HO.COVER[0], ["Date published", published, datetime(2025, 3, 20)], *HO.COVER[2:]]
    path = write(tmp_path / "sb.xlsx", {"Cover_sheet": cover, "SB_01": SB01_CLEAN})
    same_both_ways(ho.read, path)
    irr_cover = [["Irregular migration to the UK, detailed dataset"], ["Published:", published]]
    irr = write(tmp_path / "irr.xlsx", {"Cover": irr_cover, "Data - Irr_D01": [[D01_TITLE], D01_HEADER, *D01_ROWS]})
    same_both_ways(hoi.read, irr)


def small_boats_by_xlsxwriter(path: Path, last: list, number_format: str | int, date_1904: bool = False) -> Path:
    """SB_01 with a last row whose first cell is `last[0]` (a number) in `number_format`."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"date_1904": date_1904})
    day, special = book.add_format({"num_format": "yyyy-mm-dd"}), book.add_format({"num_format": number_format})
    for name, rows in {"Cover_sheet": HO.COVER, "SB_01": SB01_CLEAN}.items():
        sheet = book.add_worksheet(name)
        for r, cells in enumerate(rows):
            for c, v in enumerate(cells):
                if isinstance(v, datetime):
                    sheet.write_datetime(r, c, v, day)
                elif v is not None:
                    sheet.write(r, c, v)
    sheet.write_number(len(SB01_CLEAN), 0, last[0], special)
    sheet.write_row(len(SB01_CLEAN), 1, last[1:])
    book.close()
    return path


@pytest.mark.parametrize(
    "value, number_format, date_1904",
    [(1.5, "[h]:mm:ss", False), (61, "[h]:mm:ss", False), (70, 46, False), (0.4375, "hh:mm", True)],
    ids=["36 hours", "61 days", "built-in [h]:mm:ss", "a time in a workbook counting from 1904"],
)
def test_an_elapsed_time_is_no_date(tmp_path, value, number_format, date_1904):
    """An elapsed time reads as text like a date in 1900 (36 hours: "1900-01-01 12:00:00"), and any time in a workbook
    counting from 1904 like a date in 1904: TextBook.lossy sends such a workbook row by row, which refuses the row."""
    path = small_boats_by_xlsxwriter(tmp_path / "sb.xlsx", [value, 5, 1, 0], number_format, date_1904)
    assert sb_left_to_row_by_row(path)
    assert same_both_ways(ho.read, path).rejected


def test_a_count_formatted_as_a_date_beyond_calamines_range(tmp_path):
    """calamine has no date for 1e10 days (TextBook reads it as empty, and says so): refused as too large."""
    path = small_boats_by_xlsxwriter(tmp_path / "sb.xlsx", [45000, 1, 1, 0], "yyyy-mm-dd")
    book = openpyxl.load_workbook(path)
    book["SB_01"].cell(len(SB01_CLEAN) + 1, 2).value = 1e10
    book["SB_01"].cell(len(SB01_CLEAN) + 1, 2).number_format = "yyyy-mm-dd"
    book.save(path)
    assert sb_left_to_row_by_row(path)
    assert same_both_ways(ho.read, path).rejected


def test_a_damaged_part_no_sheet_uses_is_refused_in_the_same_words(tmp_path):
    """A sheet part the workbook does not list, its compressed data damaged: fastexcel never reads it, the search for
    cells text cannot show does (and fails): the row-by-row reading refuses the file as damaged, in its words."""
    import zipfile

    path = small_boats(tmp_path / "sb.xlsx")
    name = "xl/worksheets/sheet9.xml"
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, b"<worksheet>" + bytes(range(256)) * 40 + b"</worksheet>")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + 4 : start + 40] = b"\xff" * 36
    path.write_bytes(bytes(raw))
    messages = []
    for by_row in (False, True):
        with pytest.raises(StructuralError) as refused:
            ho.read(path, by_row=by_row)
        messages.append(str(refused.value))
    assert messages[0] == messages[1] and "damaged" in messages[0]


def test_a_header_or_cover_cell_pandas_reads_as_empty(tmp_path):
    """The row-by-row small-boats reading goes through pandas, which reads 'NULL', 'NA', 'None'… as empty."""
    rows = [[*SB01_CLEAN[0], "NULL"], *[[*r, None] if r else r for r in SB01_CLEAN[1:]]]
    path = write(tmp_path / "sb.xlsx", {"Cover_sheet": HO.COVER, "SB_01": rows})
    assert sb_left_to_row_by_row(path)
    assert not any("NULL" in n for n in same_both_ways(ho.read, path).notes)


def test_the_pandas_empty_texts_are_pandas_own():
    from pandas._libs.parsers import STR_NA_VALUES

    assert ho.PANDAS_NA_TEXT == STR_NA_VALUES


@pytest.mark.parametrize("label_row", [62, 70])
def test_the_cover_is_searched_from_its_first_filled_row(tmp_path, label_row):
    """Sixty rows from the first filled one (five empty rows above: the label on row 62 is found, on 70 not)."""
    cover = (
        [["Irregular migration to the UK, detailed dataset"]]
        + [[]] * (label_row - 7)
        + [["Published:", date(2025, 8, 21)]]
    )
    path = write(tmp_path / "irr.xlsx", {"Cover": cover, "Data - Irr_D01": [[D01_TITLE], D01_HEADER, *D01_ROWS]}, top=5)
    assert same_both_ways(hoi.read, path).as_of == ("2025-08-21" if label_row == 62 else None)


def test_a_chart_sheet_sends_the_workbook_row_by_row(tmp_path):
    """Book and pandas list worksheets only; fastexcel lists a chart sheet too (here one called a cover)."""
    import xlsxwriter

    path = tmp_path / "sb.xlsx"
    book = xlsxwriter.Workbook(path)
    chart_sheet = book.add_chartsheet("Cover chart")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in {"Cover_sheet": HO.COVER, "SB_01": SB01_CLEAN}.items():
        sheet = book.add_worksheet(name)
        for r, cells in enumerate(rows):
            for c, v in enumerate(cells):
                if isinstance(v, datetime):
                    sheet.write_datetime(r, c, v, day)
                elif v is not None:
                    sheet.write(r, c, v)
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "=SB_01!$B$2:$B$5"})
    chart_sheet.set_chart(chart)
    book.close()
    assert sb_left_to_row_by_row(path)
    assert same_both_ways(ho.read, path).as_of == "2025-03-20"


def test_a_data_sheet_with_no_rows(tmp_path):
    path = write(
        tmp_path / "irr.xlsx", {"Cover": [["Published: 21 August 2025"]], "Data - Irr_D01": [[D01_TITLE], D01_HEADER]}
    )
    assert by_columns(path)
    assert same_both_ways(hoi.read, path).rows_read == 0


# -------------------------------------------------------------------------------------------- TextBook


def test_textbook_reads_cells_as_text(tmp_path):
    values = ["label", 2018, 12.5, 12.0000000001, True, datetime(2025, 3, 19), date(2025, 3, 20), " padded ", None]
    path = write(tmp_path / "cells.xlsx", {"S": [[v] for v in values]}, top=2, left=1)
    book = TextBook(path)
    try:
        [sheet] = book.worksheets
        assert not book.lossy
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
    for text in ["true", "false", "NaN", "inf", "-inf", "2018", "12.5", "2025-03-19 00:00:00", "PT10H30M", "", None, 5]:
        assert not plain_text(text), text


def test_blank_mask_agrees_with_python_on_every_character():
    """blank_mask leans on Arrow's utf8_is_space, blank on str.strip: the same answer for each of Unicode's
    characters, alone and padded by a space."""
    chars = [chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i <= 0xDFFF]  # no lone surrogates in UTF-8
    for values in (chars, [f" {c} " for c in chars]):
        assert blank_mask(pa.array(values)).tolist() == [blank(v) for v in values]


def test_blank_mask_is_blank_for_every_value():
    values = ["", " ", "\t\n", "\x1c", "\u3000", "\u00a0x", "\u200b", "a", None, " a "]
    assert blank_mask(pa.array(values)).tolist() == [blank(v) for v in values]
    assert np.array_equal(blank_mask(pa.array([], pa.string())), np.array([], dtype=bool))
