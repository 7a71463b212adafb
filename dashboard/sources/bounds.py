"""How big an import file really is, found before any importer reads it: rows, columns, cells and
uncompressed bytes, from the ZIP directory and a streaming pass over the sheet XML (XLSX, ODS), the
Parquet footer, or a count of a text file's lines. A file over a limit is refused with TooLarge,
naming the limit and the environment variable that raises it, before anything big is built.

ODS sheets are counted the way pandas will expand them: a repeated row or cell counts as many times
as it repeats, except trailing empty rows and cells (which pandas drops); that is where a tiny ODS
with number-rows-repeated="1000000000" is caught.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast
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
            for sheet in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
                with zf.open(sheet) as f:
                    _count_xlsx(path, f, limits, sheet)
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
    width = pending_cells = 0
    pending_rows = 0  # empty rows: they count only when a row with content follows
    for chunk in iter(lambda: f.read(CHUNK), b""):
        parser.feed(chunk)
        for event, el in _elements(parser):
            tag = el.tag
            if event == "start" and tag == f"{{{TABLE_NS}}}table":
                pending_rows = 0
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
                    pending_rows = 0
                else:
                    pending_rows += row_repeat
                el.clear()


def _count_xlsx(path: Path, f: IO[bytes], limits: ImportLimits, sheet: str) -> None:
    """Rows and cells of a worksheet, counted as tags in the raw XML (a million rows in about a second)."""
    totals = _Totals(path, limits, f", {sheet.rsplit('/', 1)[-1].removesuffix('.xml')}")
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


def _elements(parser: XMLPullParser[Element]) -> Iterator[tuple[str, Element]]:
    """The parser's (event, element) pairs so far ("start"/"end" events carry elements)."""
    for item in parser.read_events():
        event, el = cast(tuple[str, object], item)
        if isinstance(el, Element):
            yield event, el


def _repeat(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() else 1
