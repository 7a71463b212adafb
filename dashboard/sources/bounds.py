"""How big an import file really is, found before any importer reads it: rows, columns, cells and
uncompressed bytes, from the ZIP directory and a streaming pass over the sheet XML (XLSX, ODS), the
Parquet footer, or a count of a text file's lines. A file over a limit is refused with TooLarge,
naming the limit and the environment variable that raises it, before anything big is built.

ODS sheets are counted the way pandas will expand them: a repeated row or cell counts as many times
as it repeats, except trailing empty rows and cells (which pandas drops); that is where a tiny ODS
with number-rows-repeated="1000000000" is caught.

A sheet is also refused when its cells, however few, span a grid over the cell limit: the workbook
readers (calamine, under fastexcel and pandas) lay a sheet out as rows x columns with every cell held,
so one value typed at XFD1048576 asks for 17 billion cells and aborts the process. The grid runs from
A1 to the farthest column and row any reference names (XLSX), or to the widest row (ODS).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, XMLPullParser

from ..settings import ImportLimits
from . import spatial
from .base import StructuralError, TooLarge

CHUNK = 1 << 20
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def check(path: Path, limits: ImportLimits) -> None:
    """TooLarge when the file would expand beyond a limit; nothing for a file within them (or one this
    module cannot size: the importer then says what is wrong with it)."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(b"PK"):
        _check_zip(path, limits)
    elif head == b"PAR1":
        _check_parquet(path, limits)
    elif path.suffix.lower() not in BINARY_SPATIAL:
        _check_text(path, limits)
    if path.suffix.lower() in SPATIAL:
        _check_spatial(path, limits)


SPATIAL = {".gpkg", ".fgb", ".kml", ".zip", ".shp", ".geojson", ".json"}  # read through GDAL: counted by layer
BINARY_SPATIAL = {".gpkg", ".fgb", ".shp"}  # not text: their lines mean nothing


def _check_spatial(path: Path, limits: ImportLimits) -> None:
    """A spatial file's features and fields, from each layer's metadata (GDAL reads no feature to tell)."""
    try:
        layers = spatial.layers(path)
    except StructuralError:
        return  # unreadable: the importer says so, naming the file
    totals = _Totals(path, limits)
    for layer in layers:
        totals.where = f", layer {layer.name}"
        totals.add(layer.features, len(layer.fields) + 1)


def _refuse(path: Path, limits: ImportLimits, field: str, found: int | None, what: str, where: str = "") -> None:
    """Refuse the file; `found` is None when counting stopped at the limit ("more than …")."""
    limit = getattr(limits, field)
    unit = f"{limit >> 20:,} MB" if field == "max_bytes" else f"{limit:,}"
    amount = f"more than {unit}" if found is None else f"{found:,}{' bytes' if field == 'max_bytes' else ''}"
    raise TooLarge(
        f"{path.name}{where}: {what} ({amount}) is over the limit of {unit} for one import; nothing was read. "
        f"For a file this big, raise {limits.env_name(field)}"
    )


def _check_text(path: Path, limits: ImportLimits) -> None:
    size = path.stat().st_size
    if size > limits.max_bytes:
        _refuse(path, limits, "max_bytes", size, "the file's size")
    lines = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            lines += chunk.count(b"\n")
            if lines > limits.max_rows + 1:  # the header line is not a row; counting stops here
                _refuse(path, limits, "max_rows", None, "its number of lines")


def _check_parquet(path: Path, limits: ImportLimits) -> None:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception:  # not readable Parquet: the importer says so, with the file named
        return
    if meta.num_columns > limits.max_columns:
        _refuse(path, limits, "max_columns", meta.num_columns, "its number of columns")
    if meta.num_rows > limits.max_rows:
        _refuse(path, limits, "max_rows", meta.num_rows, "its number of records")
    if meta.num_rows * meta.num_columns > limits.max_cells:
        _refuse(path, limits, "max_cells", meta.num_rows * meta.num_columns, "its number of values")
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > limits.max_bytes:
        _refuse(path, limits, "max_bytes", unpacked, "its uncompressed size")


def _check_zip(path: Path, limits: ImportLimits) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            # The sizes the ZIP declares bound what zipfile will ever hand to a parser.
            unpacked = sum(m.file_size for m in members)
            if unpacked > limits.max_bytes:
                _refuse(path, limits, "max_bytes", unpacked, "its uncompressed size")
            names = {m.filename for m in members}
            if "content.xml" in names:
                with zf.open("content.xml") as f:
                    _count_ods(path, f, limits)
            titles = _sheet_titles(zf, names)
            for sheet in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
                with zf.open(sheet) as f:
                    _count_xlsx(path, f, limits, titles.get(sheet) or sheet.rsplit("/", 1)[-1].removesuffix(".xml"))
    except (zipfile.BadZipFile, OSError, EOFError):
        return  # damaged or truncated: the importer refuses it, naming the file
    except StructuralError:
        raise
    except Exception:  # XML the pull parser cannot read: the importer's own reader reports it
        return


class _Totals:
    def __init__(self, path: Path, limits: ImportLimits, where: str = "") -> None:
        self.path, self.limits, self.where = path, limits, where
        self.rows = self.cells = 0

    def add(self, rows: int, width: int) -> None:
        self.rows += rows
        self.cells += rows * max(width, 1)
        if width > self.limits.max_columns:
            _refuse(self.path, self.limits, "max_columns", width, "a row's number of cells", self.where)
        if self.rows > self.limits.max_rows:
            _refuse(self.path, self.limits, "max_rows", self.rows, "its number of rows", self.where)
        if self.cells > self.limits.max_cells:
            _refuse(self.path, self.limits, "max_cells", self.cells, "its number of cells", self.where)


def _count_ods(path: Path, f: IO[bytes], limits: ImportLimits) -> None:
    totals = _Totals(path, limits)
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    row_repeat = 1
    width = pending_cells = grid_rows = grid_columns = 0
    where = ""
    pending_rows = 0  # empty rows: they count only when a row with content follows
    for chunk in iter(lambda: f.read(CHUNK), b""):
        parser.feed(chunk)
        for event, el in _elements(parser):
            tag = el.tag
            if event == "start" and tag == f"{{{TABLE_NS}}}table":
                pending_rows = grid_rows = grid_columns = 0
                where = f", sheet '{el.get(f'{{{TABLE_NS}}}name', '')}'"
            elif event == "start" and tag == f"{{{TABLE_NS}}}table-row":
                row_repeat = _repeat(el.get(f"{{{TABLE_NS}}}number-rows-repeated"))
                width = pending_cells = 0
            elif event == "end" and tag in (f"{{{TABLE_NS}}}table-cell", f"{{{TABLE_NS}}}covered-table-cell"):
                repeat = _repeat(el.get(f"{{{TABLE_NS}}}number-columns-repeated"))
                if el.get(f"{{{OFFICE_NS}}}value-type") or "".join(el.itertext()).strip():
                    width += pending_cells + repeat
                    pending_cells = 0
                else:
                    pending_cells += repeat
                el.clear()
            elif event == "end" and tag == f"{{{TABLE_NS}}}table-row":
                if width:
                    totals.add(pending_rows + row_repeat, width)
                    grid_rows += pending_rows + row_repeat
                    grid_columns = max(grid_columns, width)
                    if grid_rows * grid_columns > limits.max_cells:  # rows by the widest row, as a reader lays it out
                        _refuse_grid(path, limits, where, grid_rows, grid_columns)
                    pending_rows = 0
                else:
                    pending_rows += row_repeat
                el.clear()


def _sheet_titles(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Each worksheet part's tab name ("xl/worksheets/sheet5.xml": "sheet 'Data - Irr_D01'"), from the workbook and its
    relationships; empty when they do not read."""
    rels_part, book_part = "xl/_rels/workbook.xml.rels", "xl/workbook.xml"
    if rels_part not in names or book_part not in names:
        return {}
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        targets = {
            r.get("Id"): r.get("Target", "")
            for r in ElementTree.fromstring(zf.read(rels_part))
            if r.tag.endswith("Relationship")
        }
        sheets = [el for el in ElementTree.fromstring(zf.read(book_part)).iter() if el.tag.endswith("}sheet")]
    except ElementTree.ParseError:
        return {}
    titles = {}
    for sheet in sheets:
        target = targets.get(sheet.get(rel), "")
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        titles[part] = f"sheet '{sheet.get('name', '')}'"
    return titles


def _count_xlsx(path: Path, f: IO[bytes], limits: ImportLimits, sheet: str) -> None:
    """Rows and cells of a worksheet, counted as tags in the raw XML (a million rows in about a second), and the
    grid its cell references span (_Span)."""
    totals = _Totals(path, limits, f", {sheet}")
    span = _Span()
    tail = b""
    for chunk in iter(lambda: f.read(CHUNK), b""):
        data = tail + chunk
        cut = data.rfind(b"<")  # a tag cut by the chunk boundary is counted with the next chunk
        cut = cut if cut > 0 else len(data)
        body, tail = data[:cut], data[cut:]
        rows = body.count(b"<row ") + body.count(b"<row>")
        cells = body.count(b"<c ") + body.count(b"<c>")
        totals.add(rows, 0)
        totals.cells += cells - rows  # add() counted one cell per row; the tags say how many there are
        if totals.cells > limits.max_cells:
            _refuse(path, limits, "max_cells", totals.cells, "its number of cells", totals.where)
        span.bound(body)
    span.bound(tail)
    if span.rows * span.columns > limits.max_cells:  # a bound: count exactly before refusing
        f.seek(0)
        span, tail = _Span(0, 0), b""
        for chunk in iter(lambda: f.read(CHUNK), b""):
            data = tail + chunk
            cut = data.rfind(b"<")
            cut = cut if cut > 0 else len(data)
            span.exact(data[:cut])
            tail = data[cut:]
        span.exact(tail)
        if span.rows * span.columns > limits.max_cells:
            _refuse_grid(path, limits, totals.where, span.rows, span.columns)


def _refuse_grid(path: Path, limits: ImportLimits, where: str, rows: int, columns: int) -> None:
    """Refuse a sheet whose cells, however few, span a grid over the cell limit (as a reader lays it out)."""
    raise TooLarge(
        f"{path.name}{where}: its cells reach column {_column_name(columns)} and row {rows:,}, so it is read as a "
        f"grid of {rows:,} rows by {columns:,} columns ({rows * columns:,} cells), over the limit of "
        f"{limits.max_cells:,} cells for one import; nothing was read. Is there a value far outside the table? "
        f"Delete it, save the workbook and import it again; for a sheet this big, raise {limits.env_name('max_cells')}"
    )


# A cell's or row's reference (r="XFD1048576", r="12"), in any element (a row's r places the cells without one): its
# column letters and row digits. BIG_REF only finds those past column Z or row 999,999, rare in a sheet.
REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]*)(\d+)""")
BIG_REF = re.compile(rb"""r\s*=\s*["'](?=[A-Za-z]{2}|[A-Za-z]*\d{7})([A-Za-z]*)(\d+)""")


class _Span:
    """The grid a worksheet's cell references span from A1. The reader lays a sheet out as rows x columns with every
    cell of it held: one value at XFD1048576 is 17 billion cells, and calamine aborts the whole process asking for
    them. `bound` keeps upper bounds in one quick search (BIG_REF); `exact` reads every reference, for a sheet whose
    bounds are over the limit."""

    def __init__(self, columns: int = 26, rows: int = 999_999) -> None:
        self.columns, self.rows = columns, rows  # bounds to start with: A to Z, fewer than 7 digits

    def bound(self, body: bytes) -> None:
        big = BIG_REF.findall(body)
        if big:
            self.columns = max(self.columns, max(_column_number(c) for c, _ in set(big)))
            self.rows = max(self.rows, max(int(r) for _, r in big))

    def exact(self, body: bytes) -> None:
        for letters, digits in REF.findall(body):
            self.rows = max(self.rows, int(digits))
            if letters:
                self.columns = max(self.columns, _column_number(letters))


def _column_number(letters: bytes) -> int:
    """A column's number from its letters: A 1, Z 26, AA 27, XFD 16,384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _column_name(n: int) -> str:
    name = ""
    while n:
        n, rem = divmod(n - 1, 26)
        name = chr(65 + rem) + name
    return name


def _elements(parser: XMLPullParser[Element]) -> Iterator[tuple[str, Element]]:
    """The parser's (event, element) pairs so far ("start"/"end" events carry elements)."""
    for item in parser.read_events():
        event, el = cast(tuple[str, object], item)
        if isinstance(el, Element):
            yield event, el


def _repeat(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() else 1
