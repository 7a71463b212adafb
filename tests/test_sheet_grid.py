"""The grid check of import limits (dashboard/sources/bounds.py) on workbooks written the ways XML and calamine allow
but spreadsheet programs do not: cells with no reference, prefixed tags, odd part names, repeats with a "+", values
without a type, namespaces bound elsewhere, XML a strict parser refuses. calamine, the workbook reader, would lay each
of these out as billions of cells and abort the process; each must be refused before any reader opens it. Sheets
whose far references hold nothing (a formatted empty row or cell) are not."""

from __future__ import annotations

import zipfile
from pathlib import Path

import bombs
import pytest

from dashboard.settings import ImportLimits
from dashboard.sources import bounds
from dashboard.sources.base import StructuralError, TooLarge

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKBOOK = (
    f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
    '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
A1 = '<row r="1"><c r="A1"><v>1</v></c></row>'


def xlsx(path: Path, rows: str, *, target: str = "worksheets/sheet1.xml", part: str = "", workbook: str = WORKBOOK):
    """A one-sheet XLSX whose sheet data is `rows`, the sheet at `part` (default: where `target` points)."""
    rels = (
        f'<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
        f'Type="{DOC_RELS}/worksheet" Target="{target}"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr(
            part or "xl/" + target,
            f'<?xml version="1.0"?><worksheet xmlns="{MAIN}" xmlns:x="{MAIN}">'
            f"<sheetData>{rows}</sheetData></worksheet>",
        )
    return path


def ods(path: Path, rows: str, head: str = bombs.ODS_HEAD) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", bombs.ODS_MANIFEST)
        zf.writestr("content.xml", head + rows + bombs.ODS_TAIL)
    return path


def ods_row(cells: str, repeat: str = "") -> str:
    attribute = f' table:number-rows-repeated="{repeat}"' if repeat else ""
    return f"<table:table-row{attribute}>{cells}</table:table-row>"


WIDE = '<table:table-cell table:number-columns-repeated="{n}" {value}/>'
FAR = "its cells reach column XFD and row 1,048,576"
XLSX_CASES = {
    # name: (sheet data and options, what the refusal says)
    "no reference: 16,383 empty cells then a value, in row 1,048,576": (
        (A1 + '<row r="1048576">' + "<c/>" * 16_383 + "<c><v>1</v></c></row>", {}),
        FAR,
    ),
    "no reference: the cells after XFD1": (
        (
            '<row r="1"><c r="XFD1"><v>1</v></c><c><v>1</v></c></row><row r="999999"><c r="A999999"><v>1</v></c></row>',
            {},
        ),
        "its cells reach column XFE and row 999,999",
    ),
    "a row with no reference after row 1,048,575, its empty cells taking no room": (
        (A1 + '<row r="1048575"><c r="A1048575"><v>1</v></c></row><row><c><v>1</v></c>' + "<c/>" * 40 + "</row>", {}),
        "",  # within the limit: 41 columns in the last row, but empty ones take no room
    ),
    "the reference written r = '…'": ((A1 + "<row r=\"1048576\"><c r = 'XFD1048576'><v>1</v></c></row>", {}), FAR),
    "prefixed tags": ((A1 + '<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>', {}), FAR),
    "the sheet's part in capitals": (
        (A1 + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', {"part": "XL/WORKSHEETS/SHEET1.XML"}),
        FAR,
    ),
    "the sheet's part with no extension": (
        (A1 + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', {"target": "worksheets/sheet1"}),
        FAR,
    ),
    "a workbook.xml in an encoding Python does not know": (
        (
            A1 + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
            {"workbook": WORKBOOK.replace('version="1.0"', 'version="1.0" encoding="x-bogus"')},
        ),
        "sheet1: " + FAR,  # named by its part: the tab names do not read
    ),
}


@pytest.mark.parametrize("case", list(XLSX_CASES))
def test_xlsx_grids_a_reader_would_lay_out_are_refused(tmp_path, case):
    (rows, options), says = XLSX_CASES[case]
    path = xlsx(tmp_path / "book.xlsx", rows, **options)
    if not says:
        bounds.check(path, ImportLimits())
        return
    with pytest.raises(TooLarge, match=says):
        bounds.check(path, ImportLimits())


@pytest.mark.parametrize(
    "rows",
    [
        A1.replace("</row>", '<c r="AO1"><v>1</v></c></row>') + '<row r="1048576" ht="30" customHeight="1"/>',
        A1 + '<row r="1048576"><c r="XFD1048576" s="1"/></row>',  # formatted, no value
    ],
    ids=["an empty formatted row 1,048,576", "an empty formatted cell XFD1048576"],
)
def test_far_references_that_hold_nothing_take_no_room(tmp_path, rows):
    bounds.check(xlsx(tmp_path / "book.xlsx", rows), ImportLimits())


def test_a_sheet_whose_xml_a_strict_parser_refuses_is_not_read_when_its_reach_must_be_checked(tmp_path):
    path = xlsx(tmp_path / "book.xlsx", A1 + '<row r="1048576"><c s="0"r="XFD1048576"><v>1</v></c></row>')
    with pytest.raises(StructuralError, match=r"book.xlsx, sheet 'Data': its XML does not read \(not well-formed"):
        bounds.check(path, ImportLimits())


ODS_CASES = {
    "a '+' before the repeats": ods_row(bombs._cell("a") + WIDE.format(n="+300", value='office:value-type="float"')),
    "a value with no type": ods_row(bombs._cell("a") + WIDE.format(n="300", value='office:value="1"')),
    "a formula only": ods_row(bombs._cell("a") + WIDE.format(n="300", value='table:formula="of:=1"')),
}


@pytest.mark.parametrize("case", list(ODS_CASES))
def test_ods_cells_a_reader_keeps_are_counted(tmp_path, case):
    with pytest.raises(TooLarge, match=r"a row's number of cells \(301\) is over the limit of 256"):
        bounds.check(ods(tmp_path / "book.ods", ODS_CASES[case]), ImportLimits())


def test_ods_elements_count_whatever_namespace_their_prefix_is_bound_to(tmp_path):
    """calamine reads the prefixes (table:table-row) literally."""
    head = bombs.ODS_HEAD.replace("urn:oasis:names:tc:opendocument:xmlns:table:1.0", "urn:example:elsewhere")
    rows = ods_row(bombs._cell("a") + WIDE.format(n="300", value='office:value-type="float"'))
    with pytest.raises(TooLarge, match=r"a row's number of cells \(301\)"):
        bounds.check(ods(tmp_path / "book.ods", rows, head), ImportLimits())


def test_ods_xml_a_strict_parser_refuses_is_not_read(tmp_path):
    rows = '<table:table-row><table:table-cell office:value-type="string"><text:p>a</text:x></table:table-cell>'
    with pytest.raises(StructuralError, match=r"book.ods, sheet 'SB_01': its XML does not read \(mismatched tag"):
        bounds.check(ods(tmp_path / "book.ods", rows + "</table:table-row>"), ImportLimits())


def test_the_quick_exact_count_lays_a_sheet_out_as_the_parser_does(tmp_path):
    """_referenced_grid (a pattern over the bytes, for sheets whose every tag starts with its reference) against
    _grid (the XML parsed, calamine's placement) on sheets with the cells that take no room and those that do."""
    import io
    import random

    rng = random.Random(7)
    kinds = [
        '<c r="{ref}"><v>1</v></c>',
        '<c r="{ref}" t="inlineStr"><is><t>x</t></is></c>',
        '<c r="{ref}"><f>1+1</f></c>',  # a formula with no cached value: kept (a reader may compute it)
        '<c r="{ref}" s="1"/>',  # formatted, empty: no room
        '<c r="{ref}" s="1"></c>',  # the same, written open and closed
    ]
    for _ in range(40):
        rows = []
        for r in sorted(rng.sample(range(1, 2_000_000), 6)):
            cells = "".join(
                rng.choice(kinds).format(ref=f"{bounds._column_name(c)}{r}")
                for c in sorted(rng.sample(range(1, 20_000), 3))
            )
            rows.append(f'<row r="{r}">{cells}</row>')
        xml = (f'<worksheet xmlns="{MAIN}"><sheetData>' + "".join(rows) + "</sheetData></worksheet>").encode()
        assert bounds._referenced_grid(io.BytesIO(xml)) == bounds._grid(io.BytesIO(xml)), xml
    odd = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="1"><v>1</v></c></row></sheetData></worksheet>'
    assert bounds._referenced_grid(io.BytesIO(odd.encode())) is None  # a reference with no letters: the parser's
