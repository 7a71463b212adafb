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
from typing import IO, NoReturn, cast
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from ..settings import ImportLimits
from . import spatial
from .base import StructuralError, TooLarge

CHUNK = 1 << 20


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
            for sheet in _worksheet_parts(names, titles):
                with zf.open(sheet) as f:
                    _count_xlsx(path, f, limits, titles.get(sheet.lower()) or _part_stem(sheet))
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
    """Rows and cells of each table, and the grid it spans (rows by its widest row). Elements and attributes go by
    their local names, whatever namespace a prefix is bound to (calamine reads the prefixes literally)."""
    totals = _Totals(path, limits)
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    row_repeat = 1
    width = pending_cells = grid_rows = grid_columns = 0
    where = ""
    pending_rows = 0  # empty rows: they count only when a row with content follows
    try:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            parser.feed(chunk)
            for event, el in _elements(parser):
                tag = el.tag.rsplit("}", 1)[-1]
                if event == "start" and tag == "table":
                    pending_rows = grid_rows = grid_columns = 0
                    where = f", sheet '{_attribute(el, 'name') or ''}'"
                elif event == "start" and tag == "table-row":
                    row_repeat = _repeat(_attribute(el, "number-rows-repeated"))
                    width = pending_cells = 0
                elif event == "end" and tag in ("table-cell", "covered-table-cell"):
                    repeat = _repeat(_attribute(el, "number-columns-repeated"))
                    if _ods_valued(el):
                        width += pending_cells + repeat
                        pending_cells = 0
                    else:
                        pending_cells += repeat
                    el.clear()
                elif event == "end" and tag == "table-row":
                    if width:
                        totals.add(pending_rows + row_repeat, width)
                        grid_rows += pending_rows + row_repeat
                        grid_columns = max(grid_columns, width)
                        if grid_rows * grid_columns > limits.max_cells:  # rows by the widest row, as read
                            _refuse_grid(path, limits, where, grid_rows, grid_columns)
                        pending_rows = 0
                    else:
                        pending_rows += row_repeat
                    el.clear()
        parser.close()
    except ParseError as exc:  # a reader more lenient than expat might still expand it: not read
        _unchecked(path, where, exc)


def _sheet_titles(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Each worksheet part's tab name, by the part's lower-case name ("xl/worksheets/sheet5.xml": "sheet 'Data'"), from
    the workbook and its relationships as calamine resolves them; empty when they do not read (the parts are still
    checked, named by file)."""
    lower = {n.lower(): n for n in names}
    rels_part, book_part = lower.get("xl/_rels/workbook.xml.rels"), lower.get("xl/workbook.xml")
    if rels_part is None or book_part is None:
        return {}
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        if max(zf.getinfo(rels_part).file_size, zf.getinfo(book_part).file_size) > TITLES_MAX_BYTES:
            return {}
        targets = {
            r.get("Id"): r.get("Target") or ""
            for r in ElementTree.fromstring(zf.read(rels_part))
            if r.tag.endswith("Relationship")
        }
        sheets = [el for el in ElementTree.fromstring(zf.read(book_part)).iter() if el.tag.endswith("}sheet")]
    except Exception:  # unreadable, or a declared encoding Python does not know: named by file instead
        return {}
    return {_target_part(targets.get(sheet.get(rel), "")): f"sheet '{sheet.get('name', '')}'" for sheet in sheets}


TITLES_MAX_BYTES = 16 << 20  # a workbook's sheet list and relationships: a few KB in practice


def _target_part(target: str) -> str:
    """A relationship target as a part's lower-case name, as calamine resolves it: from the root when it starts with
    "/" or "xl/", else from xl/."""
    target = target.lower()
    if target.startswith("/"):
        return target[1:]
    return target if target.startswith("xl/") else "xl/" + target


def _worksheet_parts(names: set[str], titles: dict[str, str]) -> list[str]:
    """The parts to check as worksheets: under xl/worksheets/ (any case, any extension, not relationships), and any
    part a sheet of the workbook points to."""
    return sorted(
        n
        for n in names
        if (n.lower().startswith("xl/worksheets/") and "/_rels/" not in n.lower() and not n.endswith("/"))
        or n.lower() in titles
    )


def _part_stem(part: str) -> str:
    return part.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _count_xlsx(path: Path, f: IO[bytes], limits: ImportLimits, sheet: str) -> None:
    """Rows and cells of a worksheet, counted as tags in the raw XML (a million rows in about a second), and the
    grid its cells span (_Span)."""
    totals = _Totals(path, limits, f", {sheet}")
    span = _Span()
    for body in _bodies(f):
        rows = body.count(b"<row ") + body.count(b"<row>")
        cells = body.count(b"<c ") + body.count(b"<c>")
        totals.add(rows, 0)
        totals.cells += cells - rows  # add() counted one cell per row; the tags say how many there are
        if totals.cells > limits.max_cells:
            _refuse(path, limits, "max_cells", totals.cells, "its number of cells", totals.where)
        span.bound(body, rows + cells)
    if span.rows * span.columns > limits.max_cells:  # a bound: lay the cells out exactly before refusing
        f.seek(0)
        exact = _referenced_grid(f) if span.regular else None
        if exact is None:
            f.seek(0)
            try:
                exact = _grid(f)
            except ParseError as exc:  # a reader more lenient than expat might still lay it out: not read
                _unchecked(path, totals.where, exc)
        rows, columns = exact
        if rows * columns > limits.max_cells:
            _refuse_grid(path, limits, totals.where, rows, columns)


# A reference past column Z or row 999,999, rare in a sheet (r="XFD1048576"; a row's r="1000000"): its letters, digits.
BIG_REF = re.compile(rb"""r="(?=[A-Za-z]{2}|[A-Za-z]*\d{7})([A-Za-z]*)(\d+)""")  # as <c r="…" writes it
UNBOUNDED = 1 << 40
PREFIXED = re.compile(rb":(?:c|row)[\s>/]")  # a prefixed cell or row tag (<x:c …>)


class _Span:
    """Upper bounds of the grid a worksheet's cells span from A1, kept cheaply. The reader lays a sheet out as rows x
    columns with every cell of it held: one value at XFD1048576 is 17 billion cells, and calamine aborts the whole
    process asking for them. The bounds start at 26 columns by 999,999 rows and grow with what BIG_REF finds. They
    hold when every cell and row tag starts with its reference (<c r="…", as Excel, LibreOffice and openpyxl write);
    a sheet with any other tag (no reference: placed after the one before; a prefixed name) has no bound, and is laid
    out exactly (_grid)."""

    def __init__(self) -> None:
        self.columns, self.rows = 26, 999_999
        self.regular = True  # every cell and row tag starts with its reference

    def bound(self, body: bytes, tags: int) -> None:
        """`tags`: how many <c and <row tags with a value or attributes `body` holds (<c/> and <row/> take no room)."""
        if tags != body.count(b'<c r="') + body.count(b'<row r="') or PREFIXED.search(body):
            self.columns = self.rows = UNBOUNDED
            self.regular = False
            return
        big = BIG_REF.findall(body)
        if big:
            self.columns = max(self.columns, max(_column_number(c) for c, _ in set(big)))
            self.rows = max(self.rows, max(int(r) for _, r in big))


# A cell tag as <c r="…" writes it: its reference, and whether it closes at once (<c …/>, <c …></c>: empty).
CELL_TAG = re.compile(rb"""<c r="([A-Za-z]+)(\d+)"[^>]*?(/?)>(</c>)?""")


def _referenced_grid(f: IO[bytes]) -> tuple[int, int] | None:
    """_grid for a sheet whose every cell tag starts with its reference (_Span.regular), by one pattern over the bytes:
    about 20 times the speed of parsing. None when a cell tag's reference does not read as letters and digits (then
    _grid decides)."""
    top = right = 0
    for body in _bodies(f, b"<c "):
        tags = CELL_TAG.findall(body)
        if len(tags) != body.count(b'<c r="'):
            return None
        for letters, digits, slash, close in tags:
            if not slash and not close:  # the cell has something inside: a value, an inline string, a formula
                top, right = max(top, int(digits)), max(right, _column_number(letters))
    return top, right


def _bodies(f: IO[bytes], start: bytes = b"<") -> Iterator[bytes]:
    """A part's bytes in pieces of about CHUNK, each cut before the last `start` (a tag) so that no tag is cut in two;
    where none starts, the last 64 bytes go with the next piece (a tag longer than that is not one <c r="… writes)."""
    tail = b""
    for chunk in iter(lambda: f.read(CHUNK), b""):
        data = tail + chunk
        cut = data.rfind(start)
        cut = cut if cut > 0 else max(len(data) - 64, 0)
        yield data[:cut]
        tail = data[cut:]
    yield tail


def _grid(f: IO[bytes]) -> tuple[int, int]:
    """The rows and columns from A1 to the farthest cell with a value, placing cells as calamine does: by a cell's
    reference, else one column after the cell before it (the first of a row in column A), in its row (by the row's
    reference, else the row after the one before). Empty cells and rows (formatting only) take no room."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    row = col = -1
    top = right = 0
    valued = False
    for chunk in iter(lambda: f.read(CHUNK), b""):
        parser.feed(chunk)
        for event, el in _elements(parser):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "row":
                reference = _attribute(el, "r")
                row = int(reference) - 1 if reference and reference.isdigit() else row + 1
                col = -1
            elif event == "start" and tag == "c":
                reference = _attribute(el, "r")
                if reference and (cell := CELL_REF.fullmatch(reference.strip())):
                    col, row = _column_number(cell[1].encode()) - 1, int(cell[2]) - 1
                else:
                    col += 1
                valued = False
            elif event == "end" and tag in ("v", "is", "f"):  # a formula: a reader may compute its value
                valued = True
            elif event == "end" and tag == "c":
                if valued:
                    top, right = max(top, row + 1), max(right, col + 1)
                el.clear()
            elif event == "end" and tag == "row":
                el.clear()
    parser.close()
    return top, right


CELL_REF = re.compile(r"([A-Za-z]+)(\d+)")


def _attribute(el: Element, name: str) -> str | None:
    """An attribute by its local name, with or without a namespace."""
    for key, value in el.attrib.items():
        if key == name or key.endswith("}" + name):
            return value
    return None


def _unchecked(path: Path, where: str, exc: ParseError) -> NoReturn:
    raise StructuralError(
        f"{path.name}{where}: its XML does not read ({exc}), so how far its cells reach cannot be checked; nothing "
        "was read. Open the workbook in a spreadsheet program and save it again"
    )


def _refuse_grid(path: Path, limits: ImportLimits, where: str, rows: int, columns: int) -> NoReturn:
    """Refuse a sheet whose cells, however few, span a grid over the cell limit (as a reader lays it out)."""
    raise TooLarge(
        f"{path.name}{where}: its cells reach column {_column_name(columns)} and row {rows:,}, so it is read as a "
        f"grid of {rows:,} rows by {columns:,} columns ({rows * columns:,} cells), over the limit of "
        f"{limits.max_cells:,} cells for one import; nothing was read. Is there a value far outside the table? "
        f"Delete it, save the workbook and import it again; for a sheet this big, raise {limits.env_name('max_cells')}"
    )


def _column_number(letters: bytes) -> int:
    """A column's number from its letters: A 1, Z 26, AA 27, XFD 16,384, and on past Excel's last column, as a hostile
    reference goes (openpyxl's column_index_from_string stops at ZZZ)."""
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
    """A repeat count as calamine reads it (Rust's parse: a leading "+" allowed), 1 when it does not read."""
    value = value.strip().removeprefix("+") if value else value
    return int(value) if value and value.isascii() and value.isdigit() else 1


def _ods_valued(el: Element) -> bool:
    """Whether an ODS cell holds something a reader keeps: a value or its type (office:value, value-type, date-value…),
    a formula, or text."""
    return any("value" in key or key.endswith("formula") for key in el.attrib) or bool("".join(el.itertext()).strip())
