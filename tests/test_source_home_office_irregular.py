"""Home Office "Irregular migration to the UK — detailed dataset" importer: detection by header, the
Irr_D01 and Irr_D02 data sheets, quarters, nationalities, not-available counts, rejections and the
command line, on a workbook built here (build()) with the traps the real file has. Expected values
are worked out by hand from the rows below, not by reading the workbook again."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import __main__ as cli
from dashboard import ingest, schema
from dashboard.sources import home_office_irregular as hoi
from dashboard.sources.base import StructuralError
from dashboard.store import Store, typed_table

HO = Path(__file__).parent / "fixtures" / "home_office"

D01_TITLE = "Irregular migration detailed dataset: detected arrivals by method of entry, nationality, sex and age"
D01_HEADER = [
    "Year",
    "Quarter",
    "Method of entry",
    "Nationality [note 2]",
    "Region",
    "Sex",
    " Age  Group ",
    "Number of detections [note 3]",
]
D01_ROWS = [  # sheet rows 3.. (row 1 the title, row 2 the header)
    [2018, "2018 Q1", "Small boat arrivals", "Iran", "Middle East", "Male", "18 to 24", 120],  # row 3
    [2018, "2018 Q1", "Small boat arrivals", "Iran, Islamic Republic of", "Middle East", "Female", "18 to 24", 15],
    [2018, "2018 Q2", "Inadequately documented air arrivals", "Albania", "Europe Other", "Male", "25 to 39", "1,234"],
    [2018, "2018 Q3", "Recorded detections at UK ports", "Türkiye", "Europe Other", "Male", "25 to 39", "NA"],  # 6
    [2018, "2018 Q4", "Recorded detections at UK ports", "Turkey", "Europe Other", "Male", "25 to 39", 40],  # row 7
    [],  # row 8: blank, skipped
    [2019, "2019 Q1", "Small boat arrivals", "Narnia", "Other", "Not known", "Not known", 7],  # row 9
    [2019, "2019 Q2", "Small boat arrivals", "Syria", "Middle East", "Male", "Under 18", "-"],  # row 10
    [2019, "2019 Q3", "Recorded detections in the UK", "Vietnam", "Asia East", "Female", "40 and over", 9],
    [2019, "2019 Q4", "Small boat arrivals", "Narnia", "Other", "Male", "18 to 24", 3],  # row 12
    [2019, "2019 Q4", "Small boat arrivals", "Eritrea", "Africa North", "Male", "18 to 24", 1500.0],  # row 13
    [2024, "2024 Q1", "Recorded detections in the UK", "Unknown", "Unknown", "Not known", "Not known", "[x]"],
    [2025, "2025 Q2", "Small boat arrivals", "Stateless", "Other", "Male", "18 to 24", 20],  # row 15
]
D01_DATA_ROWS = 12  # the rows above less the blank one
# Detections by year and method of entry ('NA', '-' and '[x]' are NULL and add nothing):
#   2018: Small boat arrivals 120 + 15 = 135; Inadequately documented air arrivals 1234;
#         Recorded detections at UK ports NULL + 40 = 40                          -> 1409
#   2019: Small boat arrivals 7 + NULL + 3 + 1500 = 1510; Recorded detections in the UK 9 -> 1519
#   2024: Recorded detections in the UK NULL (only a not-available count)         -> NULL
#   2025: Small boat arrivals 20                                                  -> 20
BY_METHOD = {
    (2018, "Inadequately documented air arrivals"): 1234,
    (2018, "Recorded detections at UK ports"): 40,
    (2018, "Small boat arrivals"): 135,
    (2019, "Recorded detections in the UK"): 9,
    (2019, "Small boat arrivals"): 1510,
    (2024, "Recorded detections in the UK"): None,
    (2025, "Small boat arrivals"): 20,
}
BY_YEAR = {2018: 1409, 2019: 1519, 2024: None, 2025: 20}
ALL_DETECTIONS = 1409 + 1519 + 20  # 2948

D02_TITLE = "Irregular migration detailed dataset: asylum applications from small boat arrivals"
D02_HEADER = [
    "Year",
    "Quarter",
    "Asylum application",
    "Nationality",
    "Region",
    "Applicant type",
    "UASC [note 4]",
    "Sex",
    "Age Group",
    "Applications",
]
D02_ROWS = [
    [
        2023,
        "2023 Q1",
        "Asylum application raised",
        "Afghanistan",
        "Asia Central",
        "Main applicant",
        "Non-UASC",
        "Male",
        "18 to 24",
        "2,500",
    ],  # fmt: skip
    [
        2023,
        "2023 Q1",
        "Asylum application raised",
        "Afghanistan",
        "Asia Central",
        "Main applicant",
        "UASC",
        "Male",
        "Under 18",
        300,
    ],  # fmt: skip
    [
        2023,
        "2023 Q2",
        "No asylum application raised",
        "Albania",
        "Europe Other",
        "Main applicant",
        "Not applicable",
        "Male",
        "25 to 39",
        "N/A",
    ],  # fmt: skip
    [
        2024,
        "2024 Q3",
        "Asylum application raised",
        "British overseas citizen",
        "Other",
        "Dependant",
        "Not applicable",
        "Female",
        "Under 18",
        2,
    ],  # fmt: skip
]
# Applications: 2023: 2500 + 300 + NULL = 2800; 2024: 2


def data_sheet(title: str, header: list, rows: list[list]) -> list[list]:
    """A data sheet as the publisher lays it out: title, header, rows, 'End of table', then a footnote and
    a row that looks like data (neither may be read)."""
    after = [
        ["End of table"],
        [],
        ["Source: Home Office, Irregular migration to the UK (a footnote below the table)"],
        [2020, "2020 Q1", "Small boat arrivals", "Albania", "Europe Other", "Male", "18 to 24", 999],
    ]
    return [[title], header, *rows, *after]


def pivot_sheet() -> list[list]:
    """A pivot table's layout: a filter cell, a tabular pivot header lacking 'Method of entry', totals."""
    return [
        ["Method of entry", "(All)"],
        [],
        ["Year", "Quarter", "Nationality", "Region", "Sex", "Age Group", "Sum of Number of detections"],
        [2018, "2018 Q1", "Iran", "Middle East", "Male", "18 to 24", 120],
        ["Grand Total", None, None, None, None, None, 120],
    ]


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for cells in rows:
            ws.append(cells)
    wb.save(path)
    return path


def build(
    path: Path,
    *,
    d01_header: list | None = None,
    d01_rows: list[list] | None = None,
    d02: bool = True,
    d02_sheet: str = "Small boat asylum",  # renamed from 'Data - Irr_D02': found by its header
) -> Path:
    """The dataset's workbook: cover (publication date), contents, notes, a pivot sheet, the two data sheets."""
    sheets: dict[str, list[list]] = {
        "Cover": [
            ["Irregular migration to the UK, detailed dataset, year ending June 2025"],
            ["Published: 21 August 2025"],
            ["Next update: November 2025"],
        ],
        "Contents": [["Sheet", "Contents"], ["Data - Irr_D01", "Detected arrivals"], ["Irr_D01 pivot", "Pivot"]],
        "Notes": [
            ["Note number", "Note text"],
            ["[note 2]", "Nationality is as recorded at the time of detection."],
            ["[note 3]", "Figures are published quarterly and revised each quarter."],
        ],
        "Irr_D01 pivot": pivot_sheet(),
        "Data - Irr_D01": data_sheet(D01_TITLE, d01_header or D01_HEADER, D01_ROWS if d01_rows is None else d01_rows),
    }
    if d02:
        sheets[d02_sheet] = data_sheet(D02_TITLE, D02_HEADER, D02_ROWS)
    return write_xlsx(path, sheets)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return build(tmp_path / "irregular-migration-detailed-dataset-jun-2025.xlsx")


def rejections(result) -> list[tuple]:
    return [(r.sheet, r.row, r.column, r.reason) for r in result.rejected]


# ------------------------------------------------------------------------------------- detection


def test_module_contract():
    assert hoi.NAME == "home_office_irregular_migration"
    assert hoi.SOURCE == "Home Office: irregular migration to the UK, detailed dataset"
    assert "Irr_D01" in hoi.LABEL and "Irr_D02" in hoi.LABEL
    assert ingest.importer_named(hoi.NAME) is hoi
    names = [imp.NAME for imp in ingest.IMPORTERS]
    assert names.index(hoi.NAME) < names.index("canonical")


def test_detects_the_dataset_by_its_header(workbook, tmp_path):
    assert hoi.detect(workbook)
    assert ingest.detect(workbook) is hoi
    # only the renamed D02 sheet: still found by its header
    only_d02 = write_xlsx(tmp_path / "renamed.xlsx", {"Sheet 7": data_sheet(D02_TITLE, D02_HEADER, D02_ROWS)})
    assert hoi.detect(only_d02)


@pytest.mark.parametrize("name", ["small_boats.xlsx", "small_boats.ods", "sb01.csv", "garbage.csv"])
def test_other_files_are_not_detected(name):
    assert not hoi.detect(HO / name)


def test_an_unrelated_or_unreadable_file_is_not_detected(tmp_path):
    other = write_xlsx(tmp_path / "random.xlsx", {"Data": [["Name", "Value"], ["a", 1], ["b", 2]]})
    assert not hoi.detect(other)
    # the cover, notes and pivot sheets alone: no data header
    no_data = write_xlsx(tmp_path / "pivot.xlsx", {"Cover": [["Published: 21 August 2025"]], "P": pivot_sheet()})
    assert not hoi.detect(no_data)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert not hoi.detect(broken)
    assert not hoi.detect(tmp_path / "missing.xlsx")


# ---------------------------------------------------------------------------------------- reading


def test_whole_import_has_no_rejections(workbook):
    result = hoi.read(workbook)
    assert result.rejected == []
    assert result.format == hoi.NAME and result.source == hoi.SOURCE
    assert result.rows_read == D01_DATA_ROWS + len(D02_ROWS)  # no pivot, footnote or post-table rows
    arrivals, asylum = result.tables["irregular_arrivals"], result.tables["small_boat_asylum"]
    assert len(arrivals) == D01_DATA_ROWS and len(asylum) == len(D02_ROWS)
    assert result.rows_accepted == D01_DATA_ROWS + len(D02_ROWS)
    assert 999 not in arrivals["detections"].dropna().tolist()  # the row after 'End of table' was not read
    assert set(arrivals["source"]) == set(asylum["source"]) == {hoi.SOURCE}
    assert result.as_of == "2025-08-21"
    for table, frame in result.tables.items():  # the store can cast every column
        assert list(frame.columns) == [c.name for c in schema.columns(table, provenance=False)]
        typed_table(table, frame, sha256="0" * 64, version_id=1)


def test_totals_by_year_and_by_method_equal_the_hand_sums(workbook):
    result = hoi.read(workbook)
    totals = result.totals_by_year
    assert list(totals.columns) == ["year", "detections"]
    got = {int(y): (None if pd.isna(v) else int(v)) for y, v in totals.itertuples(index=False, name=None)}
    assert got == BY_YEAR
    by_method = hoi.totals_by_method(result.tables["irregular_arrivals"])
    assert list(by_method.columns) == ["year", "method", "detections"]
    got_m = {(int(y), m): (None if pd.isna(v) else int(v)) for y, m, v in by_method.itertuples(index=False, name=None)}
    assert got_m == BY_METHOD
    (note,) = [n for n in result.notes if n.startswith("detections by year and method of entry")]
    assert "2018: Inadequately documented air arrivals 1,234, Recorded detections at UK ports 40, " in note
    assert "Small boat arrivals 135; 2019:" in note and "Small boat arrivals 1,510" in note
    assert "2024: Recorded detections in the UK not available" in note
    asylum = result.tables["small_boat_asylum"]
    by_year = asylum.groupby(asylum["quarter_start"].dt.year)["applications"].sum(min_count=1)
    assert by_year.to_dict() == {2023: 2800, 2024: 2}


def test_quarters_map_to_their_first_day(workbook):
    arrivals = hoi.read(workbook).tables["irregular_arrivals"]
    starts = [d.date() for d in arrivals["quarter_start"]]
    assert starts[:5] == [date(2018, 1, 1), date(2018, 1, 1), date(2018, 4, 1), date(2018, 7, 1), date(2018, 10, 1)]
    assert starts[5:] == [
        date(2019, 1, 1),
        date(2019, 4, 1),
        date(2019, 7, 1),
        date(2019, 10, 1),
        date(2019, 10, 1),
        date(2024, 1, 1),
        date(2025, 4, 1),
    ]


def test_not_available_counts_are_null_never_zero(workbook):
    result = hoi.read(workbook)
    arrivals = result.tables["irregular_arrivals"].set_index(["quarter_start", "nationality", "sex"])
    assert pd.isna(arrivals.loc[(pd.Timestamp("2018-07-01"), "Turkey", "Male"), "detections"])  # NA
    assert pd.isna(arrivals.loc[(pd.Timestamp("2019-04-01"), "Syria", "Male"), "detections"])  # -
    assert pd.isna(arrivals.loc[(pd.Timestamp("2024-01-01"), "Unknown", "Not known"), "detections"])  # [x]
    assert arrivals.loc[(pd.Timestamp("2018-04-01"), "Albania", "Male"), "detections"] == 1234  # "1,234"
    assert arrivals.loc[(pd.Timestamp("2019-10-01"), "Eritrea", "Male"), "detections"] == 1500  # 1500.0
    assert 0 not in result.tables["irregular_arrivals"]["detections"].dropna().tolist()
    asylum = result.tables["small_boat_asylum"]
    (na,) = asylum.index[asylum["application"] == "No asylum application raised"]
    assert pd.isna(asylum.loc[na, "applications"])  # N/A
    assert asylum["applications"].dropna().tolist() == [2500, 300, 2]


def test_nationalities_are_named_as_tideline_names_them(workbook):
    result = hoi.read(workbook)
    arrivals = result.tables["irregular_arrivals"]
    assert arrivals["nationality"].tolist() == [
        "Iran",
        "Iran",  # 'Iran, Islamic Republic of'
        "Albania",
        "Turkey",  # 'Türkiye'
        "Turkey",
        "Narnia",  # unknown: kept as the publisher wrote it
        "Syria",
        "Vietnam",
        "Narnia",
        "Eritrea",
        "Unknown",
        "Stateless",
    ]
    assert arrivals["nationality_region"].iloc[0] == "Middle East"
    assert result.tables["small_boat_asylum"]["nationality"].iloc[3] == "British overseas citizen"
    unknown = [n for n in result.notes if "nationality" in n and "kept as-is" in n]
    assert unknown == [
        "unknown nationality labels kept as-is: 'British overseas citizen' (1 row), 'Narnia' (2 rows); 3 rows"
    ]


def test_d02_columns(workbook):
    asylum = hoi.read(workbook).tables["small_boat_asylum"]
    first = asylum.iloc[0]
    assert first["quarter_start"] == pd.Timestamp("2023-01-01")
    assert (first["application"], first["applicant_type"], first["uasc"]) == (
        "Asylum application raised",
        "Main applicant",
        "Non-UASC",
    )
    assert (first["sex"], first["age_group"], first["applications"]) == ("Male", "18 to 24", 2500)
    assert asylum["uasc"].tolist() == ["Non-UASC", "UASC", "Not applicable", "Not applicable"]


def test_repeated_key_is_rejected_naming_both_rows(tmp_path):
    rows = [
        [2018, "2018 Q1", "Small boat arrivals", "Iran", "Middle East", "Male", "18 to 24", 120],  # row 3
        [2018, "2018 Q1", "Small boat arrivals", "Albania", "Europe Other", "Male", "18 to 24", 5],  # row 4
        [2018, "2018 Q1", "Small boat arrivals", "Iran, Islamic Republic of", "Middle East", "Male", "18 to 24", 9],
    ]
    result = hoi.read(build(tmp_path / "dup.xlsx", d01_rows=rows))
    ((sheet, row, column, reason),) = rejections(result)
    assert (sheet, row) == ("Data - Irr_D01", 5)
    assert reason == "duplicate of row 3 (same quarter, method, nationality, region, sex and age group)"
    assert "Quarter" in column and "Nationality" in column
    assert result.rejected[0].value == "2018-01-01, Small boat arrivals, Iran, Middle East, Male, 18 to 24"
    assert result.tables["irregular_arrivals"]["detections"].tolist() == [120, 5]  # the first copy stays


def test_year_and_quarter_that_disagree_are_rejected(tmp_path):
    rows = [
        [2019, "2018 Q4", "Small boat arrivals", "Iran", "Middle East", "Male", "18 to 24", 120],  # row 3
        [2018, "2018 Q5", "Small boat arrivals", "Iran", "Middle East", "Male", "18 to 24", 1],  # row 4
        [2018, "2018 Q2", "Small boat arrivals", "Iran", "Middle East", "Male", "18 to 24", -3],  # row 5
        [2018, "2018 Q3", "Small boat arrivals", "", "Middle East", "Male", "18 to 24", 4],  # row 6
        [2030, "2030 Q1", "Small boat arrivals", "Iran", "Middle East", "Male", "18 to 24", 4],  # row 7
        [2018, "2018 Q1", "Small boat arrivals", "Iran", "Middle East", "Male", "18 to 24", 6],  # row 8: good
    ]
    result = hoi.read(build(tmp_path / "bad.xlsx", d01_rows=rows))
    assert rejections(result) == [
        ("Data - Irr_D01", 3, "Year", "Year 2019 does not match Quarter '2018 Q4'"),
        ("Data - Irr_D01", 4, "Quarter", "not a quarter written like '2018 Q1': '2018 Q5'"),
        ("Data - Irr_D01", 5, "Number of detections", "negative count: -3"),
        ("Data - Irr_D01", 6, "Nationality", "Nationality is empty"),
        ("Data - Irr_D01", 7, "Quarter", "quarter 2030 Q1 starts after the file's publication date 2025-08-21"),
    ]
    assert result.rejected[0].value == "2019 / 2018 Q4"
    assert result.rejected[0].where() == "bad.xlsx, sheet Data - Irr_D01, row 3, column 'Year'"
    assert result.tables["irregular_arrivals"]["detections"].tolist() == [6]


def test_a_missing_column_is_refused_naming_sheet_and_column(tmp_path):
    header = [h for h in D01_HEADER if "Age" not in h]
    path = build(tmp_path / "missing.xlsx", d01_header=header)
    assert hoi.detect(path)  # still this format: read() says what is wrong
    with pytest.raises(StructuralError) as exc:
        hoi.read(path)
    message = str(exc.value)
    assert message.startswith("missing.xlsx, sheet Data - Irr_D01: missing column 'Age Group'")
    assert "Number of detections" in message  # the columns it found


def test_a_workbook_with_neither_data_sheet_is_refused(tmp_path):
    path = write_xlsx(
        tmp_path / "none.xlsx", {"Cover": [["Published: 21 August 2025"]], "Irr_D01 pivot": pivot_sheet()}
    )
    with pytest.raises(StructuralError, match=r"none\.xlsx: no Irr_D01 or Irr_D02 data sheet.*Cover, Irr_D01 pivot"):
        hoi.read(path)


def test_one_data_sheet_alone_is_read_with_a_note(tmp_path):
    result = hoi.read(build(tmp_path / "d01.xlsx", d02=False))
    assert set(result.tables) == {"irregular_arrivals"}
    assert any("no Irr_D02" in n for n in result.notes)
    only_d02 = write_xlsx(tmp_path / "d02.xlsx", {"Data": data_sheet(D02_TITLE, D02_HEADER, D02_ROWS)})
    result = hoi.read(only_d02)
    assert set(result.tables) == {"small_boat_asylum"} and result.as_of is None
    assert list(result.totals_by_year.columns) == ["year", "applications"]
    assert result.totals_by_year["applications"].tolist() == [2800, 2]


def test_progress_is_reported(workbook):
    seen: list[tuple[str, float]] = []
    hoi.read(workbook, progress=lambda message, fraction: seen.append((message, fraction)))
    assert seen[0][1] == 0.0 and seen[-1] == ("Done", 1.0)
    assert any("Irr_D02" in m for m, _ in seen)
    assert all(0.0 <= f <= 1.0 for _, f in seen)


# ----------------------------------------------------------------------------------- command line


def test_cli_ingest_imports_the_whole_file(workbook, tmp_path, monkeypatch, capsys):
    data_dir = tmp_path / "store"
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(data_dir))
    assert cli.main(["init", "--empty"]) == 0
    assert cli.main(["ingest", str(workbook)]) == 0  # whole: no --accept-partial needed
    out = capsys.readouterr().out
    assert f"[{hoi.NAME}] (detected)" in out
    assert "Rows read: 16 · accepted: 16 · rejected: 0" in out
    assert "Totals by year (detections):" in out and "2018: 1,409" in out and "2019: 1,519" in out
    assert "New data version:" in out
    con = Store(data_dir).connect()
    try:
        total = con.execute("SELECT sum(detections), count(*) FROM irregular_arrivals").fetchone()
        asylum = con.execute("SELECT sum(applications), count(*) FROM small_boat_asylum").fetchone()
        sources = con.execute("SELECT DISTINCT source FROM irregular_arrivals").fetchall()
    finally:
        con.close()
    assert total == (ALL_DETECTIONS, D01_DATA_ROWS)
    assert asylum == (2802, len(D02_ROWS))
    assert sources == [(hoi.SOURCE,)]


def test_the_workbook_is_read_by_calamine_and_an_error_cell_is_still_refused(tmp_path):
    """calamine reads an error cell (#N/A, #DIV/0!) as empty: a workbook with one is read by openpyxl instead, so
    the count is refused in words as before, not taken as not available."""
    from dashboard.sources.base import Book, workbook_errors

    clean = build(tmp_path / "clean.xlsx")
    assert not workbook_errors(clean) and isinstance(hoi._open(clean), Book)
    rows = [
        [2018, "2018 Q1", "Small boat arrivals", "Iran", "Middle East", "Male", "18 to 24", "#N/A"],
        [2018, "2018 Q1", "Small boat arrivals", "Iran", "Middle East", "Female", "18 to 24", 5],
    ]
    broken = build(tmp_path / "broken.xlsx", d01_rows=rows)
    assert openpyxl.load_workbook(broken)["Data - Irr_D01"]["H3"].data_type == "e"  # a real error cell
    assert workbook_errors(broken)
    result = hoi.read(broken)
    assert [(r.row, r.reason, r.value) for r in result.rejected] == [(3, "not a number: '#N/A'", "#N/A")]
    assert len(result.tables["irregular_arrivals"]) == 1


def _padded(rows: list[tuple], width: int) -> list[tuple]:
    return [tuple(r) + (None,) * (width - len(r)) for r in rows]


def test_calamine_gives_the_cells_openpyxl_gives(tmp_path):
    """base.Book against openpyxl's read-only reader, sheet by sheet, on the dataset's workbook."""
    from dashboard.sources.base import Book

    path = build(tmp_path / "w.xlsx")
    book, reference = Book(path), openpyxl.load_workbook(path, read_only=True, data_only=True)
    assert [s.title for s in book.worksheets] == reference.sheetnames
    for sheet in book.worksheets:
        theirs = [tuple(row) for row in reference[sheet.title].iter_rows(values_only=True)]
        ours = list(sheet.iter_rows())
        width = max((len(r) for r in theirs + ours), default=0)
        assert _padded(ours, width) == _padded(theirs, width), sheet.title
    book.close()
