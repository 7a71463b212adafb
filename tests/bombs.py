"""Small files that expand enormously ("decompression bombs"), written without ever holding the
expansion in memory: each is a few KB to a few MB on disk."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""
ODS_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 office:version="1.2"><office:body><office:spreadsheet><table:table table:name="SB_01">"""
ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"


def _cell(text: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def ods(path: Path, *, repeated_rows: int = 0, empty_gap: int = 0) -> Path:
    """A Home Office-shaped ODS (sheet SB_01): a header, then one data row repeated `repeated_rows`
    times, or an empty row repeated `empty_gap` times between two data rows."""
    header = "<table:table-row>" + _cell("Date") + _cell("Migrants detected") + _cell("Boats") + "</table:table-row>"
    data = "<table:table-row{}>" + _cell("2024-01-01") + _cell("5") + _cell("1") + "</table:table-row>"
    rows = header
    if repeated_rows:
        rows += data.format(f' table:number-rows-repeated="{repeated_rows}"')
    if empty_gap:
        rows += data.format("")
        rows += f'<table:table-row table:number-rows-repeated="{empty_gap}"><table:table-cell/></table:table-row>'
        rows += data.format("")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        zf.writestr("content.xml", ODS_HEAD + rows + ODS_TAIL)
    return path


XLSX_PARTS = {
    "[Content_Types].xml": """<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>""",  # noqa: E501
    "_rels/.rels": """<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>""",  # noqa: E501
    "xl/workbook.xml": """<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="incidents" sheetId="1" r:id="rId1"/></sheets></workbook>""",  # noqa: E501
    "xl/_rels/workbook.xml.rels": """<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>""",  # noqa: E501
}


def xlsx(path: Path, rows: int, columns: int) -> Path:
    """An XLSX whose one sheet has rows x columns numeric cells, streamed into the ZIP."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in XLSX_PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            cells = b"".join(b"<c><v>1</v></c>" for _ in range(columns))
            block = b"".join(b"<row>" + cells + b"</row>" for _ in range(1000))
            for _ in range(rows // 1000):
                f.write(block)
            f.write(b"</sheetData></worksheet>")
    return path


def parquet(path: Path, rows: int) -> Path:
    """A canonical-looking incidents Parquet of `rows` identical records: tiny on disk (dictionary + RLE)."""
    chunk = 1_000_000
    schema = pa.schema(
        [
            ("incident_id", pa.string()),
            ("date", pa.date32()),
            ("lat", pa.float64()),
            ("lon", pa.float64()),
            ("region", pa.string()),
            ("route", pa.string()),
            ("incident_type", pa.string()),
            ("source", pa.string()),
        ]
    )
    n = min(chunk, rows)
    block = pa.table(
        {
            "incident_id": pa.array(np.full(n, "X", dtype=object)),
            "date": pa.array(np.full(n, 19723, dtype=np.int32), pa.int32()).cast(pa.date32()),
            "lat": np.full(n, 50.0),
            "lon": np.full(n, 1.0),
            "region": pa.array(np.full(n, "UK & Channel", dtype=object)),
            "route": pa.array(np.full(n, "English Channel", dtype=object)),
            "incident_type": pa.array(np.full(n, "arrival", dtype=object)),
            "source": pa.array(np.full(n, "S", dtype=object)),
        },
        schema=schema,
    )
    with pq.ParquetWriter(path, schema, compression="zstd") as w:
        for start in range(0, rows, chunk):
            w.write_table(block.slice(0, min(chunk, rows - start)))
    return path


def csv_lines(path: Path, rows: int) -> Path:
    """A crossings_daily CSV of `rows` short lines."""
    with path.open("w") as f:
        f.write("date,route,people,boats,source,status\n")
        line = "2024-01-01,English Channel,1,1,S,final\n"
        for _ in range(rows // 10_000):
            f.write(line * 10_000)
    return path


def stray_cell(source: Path, path: Path, sheet: str, cell: str = "XFD1048576", *, written_as: str = "") -> Path:
    """A copy of the workbook `source` with one value typed far outside the table of its sheet `sheet`, as a slip of
    the keyboard leaves one: a few bytes more, but a reader lays the sheet out up to that cell. `written_as` replaces
    the reference's attribute as openpyxl writes it (r="XFD1048576"), e.g. with r = 'ZZZZZZ3' (XML allows the
    spaces and quotes, and calamine reads them; openpyxl writes no column past XFD)."""
    import openpyxl

    book = openpyxl.load_workbook(source)
    book[sheet][cell] = "x"
    part = f"xl/worksheets/sheet{book.sheetnames.index(sheet) + 1}.xml"
    book.save(path)
    if written_as:
        with zipfile.ZipFile(path) as zf:
            parts = {info.filename: zf.read(info) for info in zf.infolist()}
        assert parts[part].count(f'r="{cell}"'.encode()) == 1
        parts[part] = parts[part].replace(f'r="{cell}"'.encode(), written_as.encode())
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in parts.items():
                zf.writestr(name, data)
    return path


def ods_wide_header(path: Path, *, width: int, rows: int) -> Path:
    """An SB_01-shaped ODS whose header has a value in column `width` (empty cells before it, repeated), over `rows`
    one-cell data rows (one row repeated): few cells, but `rows + 1` by `width` as a grid."""
    header = (
        "<table:table-row>"
        + _cell("Date")
        + f'<table:table-cell table:number-columns-repeated="{width - 2}"/>'
        + _cell("note")
        + "</table:table-row>"
    )
    data = f'<table:table-row table:number-rows-repeated="{rows}">' + _cell("2024-01-01") + "</table:table-row>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        zf.writestr("content.xml", ODS_HEAD + header + data + ODS_TAIL)
    return path
