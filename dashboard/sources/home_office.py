"""Home Office "Migrants detected crossing the English Channel in small boats" (ODS, XLSX or one
table per CSV): SB_01 daily arrivals -> crossings_daily, SB_02 weekly preventions -> preventions_weekly.

A workbook is read column by column (base.TextBook: each distinct date and count judged once) when every row of
its data sheets can be vouched for that way; a workbook with a row that cannot (a bad or repeated date, a bad
count, a total row, an error cell) is read row by row, as it always was, so that each rejection and note names its
sheet row. Both readings give the same result: tests compare them on files with traps."""

from __future__ import annotations

import html
import numbers
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import schema
from .base import (
    DATE_FORMATS,
    NOT_VOUCHED,
    TEXT_EARLIEST,
    ImportResult,
    Progress,
    Rejection,
    StructuralError,
    TextBook,
    TextSheet,
    Unvouched,
    blank,
    blank_mask,
    by_value,
    cell_number,
    columns_frame,
    count_maxima,
    cover_as_of,
    csv_header,
    header_key,
    no_progress,
    parse_count,
    parse_date,
    plain_text,
    read_as_text,
    read_text_csv,
    records_frame,
    shown,
    text_as_of,
    vouched,
    workbook_errors,
)

NAME = "home_office_small_boats"
LABEL = "Home Office small boats time series (SB_01 daily, SB_02 weekly)"
SOURCE = "Home Office: small boats time series"
ROUTE = "English Channel"
STATUS = "provisional"  # the whole series is published as provisional

HEADER_SEARCH_ROWS = 10  # real releases may put a few title rows above the header
MAX_CONTENT_XML = 64 * 2**20  # detect reads an ODS's content.xml to list its sheets; cap it

# Spreadsheet-exported date texts also carry a time; Excel serials cover 2000-01-01..2099-12-31.
FORMATS = DATE_FORMATS + ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_RANGE = (36526, 73050)


@dataclass(frozen=True)
class Table:
    """One Home Office data table and how its columns map to a canonical table."""

    sheet: str
    table: str
    key: str  # the date column; finding it locates the header row
    date_column: str  # canonical column the key maps to
    counts: dict[str, str]  # file column -> canonical column
    ignored: tuple[str, ...]  # known columns Tideline does not load
    slack_days: int  # how far past the as-of date a row's date may be (a week ends after it starts)
    fixed: dict[str, str]  # canonical columns with one value for every row


SB_01 = Table(
    "SB_01",
    "crossings_daily",
    "Date",
    "date",
    {"Migrants arrived": "people", "Boats arrived": "boats"},
    ("Boats arrived - involved in uncontrolled landings", "Notes"),
    0,
    {"route": ROUTE, "source": SOURCE, "status": STATUS},
)
# SB_02's weekly arrivals are SB_01's daily arrivals by week, so only its preventions are loaded.
SB_02 = Table(
    "SB_02",
    "preventions_weekly",
    "Week ending",
    "week_ending",
    {"Migrants prevented": "people_prevented", "Events prevented": "events_prevented"},
    ("Migrants arrived", "Boats arrived", "Boats arrived - involved in uncontrolled landings", "Notes"),
    6,
    {"route": ROUTE, "source": SOURCE},
)
TABLES = (SB_01, SB_02)
MAXIMA = {t.table: count_maxima(schema.TABLES[t.table]) for t in TABLES}  # table -> count column -> its maximum


def _table_for(header: Sequence[object], *, strict: bool) -> Table | None:
    """The table a header row belongs to: its date column, plus (strict) one of its count columns."""
    names = {header_key(h) for h in header if not blank(h)}
    for spec in (SB_02, SB_01):  # SB_02 first: "Week ending" is the more specific key
        others = {header_key(c) for c in (*spec.counts, *spec.ignored) if c != "Notes"}
        if header_key(spec.key) in names and (not strict or names & others):
            return spec
    return None


# ---------------------------------------------------------------------------------------- detect


def _workbook_engine(path: Path) -> Literal["odf", "openpyxl"] | None:
    """'odf' or 'openpyxl' from the zip's contents (not the suffix); None if it is neither."""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    if "content.xml" in names:
        return "odf"
    if "xl/workbook.xml" in names:
        return "openpyxl"
    return None


def _sheet_names(path: Path) -> list[str]:
    """Sheet names straight from the zip, without parsing the workbook."""
    with zipfile.ZipFile(path) as zf:
        if "content.xml" in zf.namelist():
            with zf.open("content.xml") as f:
                xml = f.read(MAX_CONTENT_XML).decode("utf-8", "replace")
            found = re.findall(r'<table:table\b[^>]*?\btable:name="([^"]*)"', xml)
        else:
            xml = zf.read("xl/workbook.xml").decode("utf-8", "replace")
            found = re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"', xml)
    return [html.unescape(n) for n in found]


def detect(path: Path) -> bool:
    """True for an ODS/XLSX with an SB_01 or SB_02 sheet, or a CSV with an SB_01 or SB_02 header."""
    try:
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".ods", ".xlsx", ".xlsm"):
            wanted = {t.sheet for t in TABLES}
            return any(n.strip().upper() in wanted for n in _sheet_names(path))
        if suffix == ".csv":
            # Decode loosely: a non-UTF-8 SB_01 CSV is still ours, and read() explains the encoding.
            return _table_for(csv_header(path, errors="replace"), strict=True) is not None
        return False
    except Exception:  # detect must never raise: any unreadable file is simply not this format
        return False


# ------------------------------------------------------------------------------------------ read


def _parse_date(value: object) -> date:
    """A date cell, text date, or Excel serial number (a date cell that lost its format)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        serial = float(value)  # exact for every whole number in SERIAL_RANGE
        if SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1] and serial == int(serial):
            return EXCEL_EPOCH + timedelta(days=int(serial))
        raise ValueError(f"not a date: {shown(value)!r}")
    return parse_date(value, FORMATS)


@dataclass
class _Sheet:
    """What one data table yielded."""

    frame: pd.DataFrame
    rows_read: int
    rejected: list[Rejection]
    notes: list[str]


class _Skip(Exception):
    """A row that is not data (a total, a footnote): skipped with a note, not rejected."""


class _Bad(Exception):
    """A bad row: args are (column, reason)."""


def _cell(cells: list[object], i: int) -> object:
    """A cell's value, stripped, with blanks as None."""
    value = cells[i] if i < len(cells) else None
    if blank(value):
        return None
    if isinstance(value, float):
        return cell_number(value)
    return value.strip() if isinstance(value, str) else value


def _record(
    spec: Table, values: dict[str, object], limit: date, as_of: date | None, seen: dict[date, int], unit: str
) -> dict:
    """One row's canonical record; raises _Skip or _Bad."""
    key = values[spec.key]
    if isinstance(key, str) and re.search(r"\btotal\b", key, re.IGNORECASE):
        raise _Skip(f"{shown(key)!r} row skipped (a total, not data)")
    try:
        day = _parse_date(key)
    except ValueError as exc:
        if all(values[c] is None for c in spec.counts):
            raise _Skip(f"row with no date and no counts skipped ({shown(key)!r})") from exc
        raise _Bad(spec.key, str(exc)) from exc
    if day > limit:
        raise _Bad(
            spec.key, f"date {day} is after the file's as-of date {as_of}" if as_of else f"date {day} is in the future"
        )
    if day in seen:
        raise _Bad(spec.key, f"duplicate date {day}: first on {unit} {seen[day]}")
    counts = {}
    for col, canonical in spec.counts.items():
        try:
            counts[canonical] = parse_count(values[col], MAXIMA[spec.table][canonical])
        except ValueError as exc:
            raise _Bad(col, str(exc)) from exc
    return {spec.date_column: day, **counts, **spec.fixed}


def _header_index(spec: Table, header: Sequence[object], where: str) -> tuple[dict[str, int], list[str]]:
    """The header's column positions (file column -> position) and the note naming columns it ignores;
    StructuralError when it lacks the date or a count column."""
    wanted = {header_key(c): c for c in (spec.key, *spec.counts, *spec.ignored)}
    index: dict[str, int] = {}
    unknown = []
    for i, cell in enumerate(header):
        if blank(cell):
            continue
        name = wanted.get(header_key(cell))
        if name is None:
            unknown.append(shown(cell))
        else:
            index.setdefault(name, i)
    missing = [c for c in (spec.key, *spec.counts) if c not in index]
    if missing:
        found = ", ".join(shown(h) for h in header if not blank(h))
        raise StructuralError(f"{where}: missing column {', '.join(repr(c) for c in missing)}; columns found: {found}")
    return index, [f"{where}: column(s) not part of {spec.sheet}, ignored: {', '.join(unknown)}"] if unknown else []


def _limit(spec: Table, as_of: date | None) -> date:
    """The latest date a row may have: today bounds a file that states no as-of date; a stated one is stricter."""
    return (as_of or date.today()) + timedelta(days=spec.slack_days)


def _parse_table(
    spec: Table,
    file: str,
    sheet: str | None,
    header: Sequence[object],
    rows: list[tuple[int, list[object]]],
    as_of: date | None,
    progress: Progress,
    span: tuple[float, float],
) -> _Sheet:
    """Map one table's rows (with their sheet row / CSV line numbers) to canonical records."""
    where = f"{file}, sheet {sheet}" if sheet else file
    unit = "row" if sheet else "line"
    index, notes = _header_index(spec, header, where)
    limit = _limit(spec, as_of)
    records, rejected = [], []
    seen: dict[date, int] = {}
    for done, (n, cells) in enumerate(rows):
        if done % 1000 == 0:
            progress(f"Reading {spec.sheet}", span[0] + (span[1] - span[0]) * done / len(rows))
        if all(blank(c) for c in cells):
            continue
        values = {col: _cell(cells, i) for col, i in index.items()}
        try:
            record = _record(spec, values, limit, as_of, seen, unit)
        except _Skip as skip:
            notes.append(f"{where}, {unit} {n}: {skip}")
            continue
        except _Bad as bad:
            col, reason = bad.args
            value = values[col]
            rejected.append(Rejection(file, n, col, reason, sheet=sheet, value=None if value is None else shown(value)))
            continue
        seen[record[spec.date_column]] = n
        records.append(record)
    return _Sheet(
        records_frame(schema.columns(spec.table, provenance=False), records),
        len(records) + len(rejected),
        rejected,
        notes,
    )


# The texts pandas' read_excel takes for empty (its default na_values, pandas._libs.parsers.STR_NA_VALUES), as the
# row-by-row reading does: the column-wise reading leaves a header or cover cell holding one to it.
PANDAS_NA_TEXT = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                            "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})  # fmt: skip


ISO_FORMS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")  # how TextBook writes a date cell, and plain


def _iso_days(texts: pa.Array) -> np.ndarray:
    """The day of each text written "2025-03-19", "2025-03-19 00:00:00" or "2025-03-19T00:00:00" (NaT for any other),
    as parse_date reads it with FORMATS, without a strptime call per value: a daily series has a distinct date on
    every row. Only a text numpy writes back as it was counts: a day or time the calendar lacks (2023-02-29,
    24:00:00), a padding or a sign is left to parse_date, whatever Arrow's strptime made of it."""
    days = pa.nulls(len(texts), pa.timestamp("s"))
    for form in ISO_FORMS:
        days = pc.coalesce(days, pc.strptime(texts, format=form, unit="s", error_is_null=True))
    stamps = days.to_numpy(zero_copy_only=False).copy()  # written to below
    written = pa.array(np.datetime_as_string(stamps, unit="s"))  # "2025-03-19T00:00:00"
    expected = pc.if_else(pc.equal(pc.utf8_length(texts), 10), pc.utf8_slice_codeunits(written, 0, 10), written)
    same = pc.equal(pc.replace_substring(texts, " ", "T", max_replacements=1), expected)
    stamps[~same.fill_null(False).to_numpy(zero_copy_only=False)] = np.datetime64("NaT")
    return stamps.astype("datetime64[D]").astype("datetime64[s]")


def _parse_text_table(spec: Table, file: str, sheet: TextSheet, header: int, as_of: date | None) -> _Sheet:
    """_parse_table's result for a sheet read as text, its rows after the header at position `header`, each distinct
    date and count judged once by the same rules; Unvouched for a row those rules reject, skip or cannot see."""
    cells = next(sheet.iter_rows(min_row=header + 1, max_row=header + 1))
    if not all(blank(c) or (plain_text(c) and c not in PANDAS_NA_TEXT) for c in cells):
        raise Unvouched("a header cell that is not text, or that pandas reads as empty, is named as the row-by-row "
                         "reading writes it")  # fmt: skip
    index, notes = _header_index(spec, cells, f"{file}, sheet {sheet.title}")
    filled = np.stack([~blank_mask(c.slice(header + 1)) for c in sheet.columns])
    rows = np.flatnonzero(filled.any(axis=0))
    limit = _limit(spec, as_of)

    def judged(column: str, judge) -> np.ndarray:
        """The column's value in each of `rows`, judged once per distinct value (Unvouched for one not vouched)."""
        distinct, where = by_value(sheet.columns[index[column]].slice(header + 1))
        at = where[rows]
        return np.array(vouched(distinct, at, judge), dtype=object)[at]

    def day(value: str | None) -> object:
        try:
            found = parse_date(value, FORMATS) if value is not None and "total" not in value.lower() else None
        except ValueError:
            return NOT_VOUCHED
        return found if found is not None and TEXT_EARLIEST <= found <= limit else NOT_VOUCHED

    texts = sheet.columns[index[spec.key]].slice(header + 1).take(pa.array(rows))
    days = _iso_days(texts)
    rest = np.flatnonzero(np.isnat(days))  # not written "2025-03-19" (with or without a time): judged one by one
    if len(rest):
        distinct, where = by_value(texts.take(pa.array(rest)))
        days[rest] = np.array(vouched(distinct, where, day), dtype="datetime64[s]")[where]
    if (days < np.datetime64(TEXT_EARLIEST, "s")).any() or (days > np.datetime64(limit, "s")).any():
        raise Unvouched("a date out of range")
    if len(np.unique(days)) != len(days):
        raise Unvouched("a repeated date")
    data: dict[str, object] = {spec.date_column: days}
    for column, canonical in spec.counts.items():
        maximum = MAXIMA[spec.table][canonical]

        def count(value: str | None, maximum: int = maximum) -> object:
            try:
                return parse_count(value, maximum)
            except ValueError:
                return NOT_VOUCHED

        data[canonical] = judged(column, count)
    data |= {column: [value] * len(rows) for column, value in spec.fixed.items()}
    return _Sheet(columns_frame(schema.columns(spec.table, provenance=False), data), len(rows), [], notes)


def _header_row(rows: Iterable[Sequence[object]], spec: Table, where: str) -> int:
    """Position of the header row: the first with the table's date column among the top rows (from the first
    filled one)."""
    key = header_key(spec.key)
    top: list[Sequence[object]] = []
    for i, row in enumerate(rows):
        if not top and all(blank(c) for c in row):
            continue  # empty rows above the table do not count
        if any(not blank(c) and header_key(c) == key for c in row):
            return i
        top.append(row)
        if len(top) == HEADER_SEARCH_ROWS:
            break
    widest = max(top, key=lambda r: sum(not blank(c) for c in r), default=())
    found = ", ".join(shown(c) for c in widest if not blank(c)) or "none"
    raise StructuralError(
        f"{where}: missing column {spec.key!r} (no header row with it in the first "
        f"{HEADER_SEARCH_ROWS} filled rows); columns found: {found}"
    )


def _read_text_workbook(path: Path, progress: Progress) -> tuple[list[tuple[Table, _Sheet]], date | None] | None:
    """The workbook's tables read column by column (base.TextBook); None when the row-by-row reading decides (a cell
    text cannot show, such as an error cell: openpyxl's or odf's reading gives its text)."""
    return read_as_text(path, lambda book: _text_workbook(path, book, progress))


def _text_workbook(path: Path, book: TextBook, progress: Progress) -> tuple[list[tuple[Table, _Sheet]], date | None]:
    """_read_workbook's result, from the workbook read as text; Unvouched for anything the row-by-row reading
    decides."""
    by_key = {sheet.title.strip().upper(): sheet for sheet in book.worksheets}
    specs = [t for t in TABLES if t.sheet in by_key]
    if not specs:
        raise Unvouched("no SB_01 or SB_02 sheet: the row-by-row reading says what there is")
    cover = next((s for s in book.worksheets if "cover" in s.title.lower()), None)
    as_of = text_as_of(cover.iter_rows(), FORMATS) if cover else None
    out = []
    for i, spec in enumerate(specs):
        progress(f"Reading {spec.sheet}", i / len(specs))
        sheet = by_key[spec.sheet]
        rows = (tuple(None if c in PANDAS_NA_TEXT else c for c in row) for row in sheet.iter_rows())
        h = _header_row(rows, spec, f"{path.name}, sheet {sheet.title}")
        out.append((spec, _parse_text_table(spec, path.name, sheet, h, as_of)))
    if book.lossy:
        raise Unvouched("a cell text cannot show")
    return out, as_of


def _read_workbook(
    path: Path, progress: Progress, by_row: bool = False
) -> tuple[list[tuple[Table, _Sheet]], date | None]:
    kind = "ODS" if path.suffix.lower() == ".ods" else "XLSX"
    try:
        engine = _workbook_engine(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise StructuralError(f"{path.name}: not a readable {kind} workbook (damaged or truncated?): {exc}") from exc
    if engine is None:
        raise StructuralError(f"{path.name}: a zip file but neither an ODS nor an XLSX workbook")
    progress(f"Opening {path.name}", 0.0)
    read = None if by_row else _read_text_workbook(path, progress)
    if read is not None:
        return read
    try:
        # calamine (Rust) reads a workbook 3-25 times faster than openpyxl and odfpy, but an error cell (#N/A) as empty:
        # a workbook with one is read by them, which give its text (refused as not a number)
        book = pd.ExcelFile(path, engine=engine if workbook_errors(path) else "calamine")
    except Exception as exc:  # the zip/XML parsers raise many types; all mean "unreadable"
        raise StructuralError(
            f"{path.name}: cannot read the {kind} workbook (damaged or truncated?): {type(exc).__name__}: {exc}"
        ) from exc
    with book:
        sheet_names = [str(n) for n in book.sheet_names]  # already text from odf/openpyxl; the stubs allow int
        by_key = {n.strip().upper(): n for n in sheet_names}
        specs = [t for t in TABLES if t.sheet in by_key]
        if not specs:
            raise StructuralError(
                f"{path.name}: no SB_01 or SB_02 sheet; sheets found: {', '.join(sheet_names) or 'none'}"
            )

        def grid(name: str) -> pd.DataFrame:
            try:
                return pd.read_excel(book, sheet_name=name, header=None, dtype=object)
            except Exception as exc:  # as above: any parser failure means the sheet is unreadable
                raise StructuralError(
                    f"{path.name}, sheet {name}: cannot read the sheet: {type(exc).__name__}: {exc}"
                ) from exc

        cover = next((n for n in sheet_names if "cover" in n.lower()), None)
        as_of = cover_as_of(grid(cover).itertuples(index=False, name=None), FORMATS) if cover else None
        out = []
        for i, spec in enumerate(specs):
            name = by_key[spec.sheet]
            span = (i / len(specs), (i + 1) / len(specs))
            progress(f"Reading {spec.sheet}", span[0])
            cells = grid(name)
            h = _header_row(cells.itertuples(index=False, name=None), spec, f"{path.name}, sheet {name}")
            values = cells.to_numpy(dtype=object).tolist()
            rows = [(r + 1, values[r]) for r in range(h + 1, len(values))]  # sheet rows are 1-based
            out.append((spec, _parse_table(spec, path.name, name, values[h], rows, as_of, progress, span)))
    return out, as_of


def _read_csv(path: Path, progress: Progress) -> list[tuple[Table, _Sheet]]:
    progress(f"Reading {path.name}", 0.0)
    frame, lines = read_text_csv(path)
    header = list(frame.columns)
    spec = _table_for(header, strict=False)
    if spec is None:
        raise StructuralError(
            f"{path.name}: the header has neither 'Date' (SB_01) nor 'Week ending' (SB_02); "
            f"columns found: {', '.join(shown(h) for h in header if h)}"
        )
    progress(f"Reading {spec.sheet}", 0.0)
    rows = [(n, list(cells)) for n, cells in zip(lines, frame.itertuples(index=False, name=None), strict=True)]
    return [(spec, _parse_table(spec, path.name, None, header, rows, None, progress, (0.0, 1.0)))]


def _totals(frame: pd.DataFrame, date_col: str, count_col: str) -> pd.DataFrame:
    """People by calendar year; a year with only NULL counts is NULL, not 0."""
    sums = frame.groupby(frame[date_col].dt.year.rename("year"))[count_col].sum(min_count=1)
    return sums.rename("people").reset_index().astype({"year": "int64", "people": "Int64"})


def read(
    path: Path, *, regions: pd.DataFrame | None = None, progress: Progress = no_progress, by_row: bool = False
) -> ImportResult:
    """Read SB_01 and/or SB_02 into crossings_daily / preventions_weekly, rejecting bad rows. A workbook is read
    column by column when every row can be vouched for that way, else (or with by_row) row by row."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise StructuralError(f"{path.name}: cannot open the file: {exc}") from exc
    if size == 0:
        raise StructuralError(f"{path.name}: the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    as_of = None
    if suffix == ".csv":
        sheets = _read_csv(path, progress)
    elif suffix in (".ods", ".xlsx", ".xlsm"):
        sheets, as_of = _read_workbook(path, progress, by_row)
    else:
        raise StructuralError(f"{path.name}: not an ODS, XLSX or CSV file")

    tables = {spec.table: sheet.frame for spec, sheet in sheets}
    notes = [n for _, sheet in sheets for n in sheet.notes]
    if "crossings_daily" not in tables:
        # Without SB_01 nothing about arrivals is loaded, and the analyst should know why.
        notes.append(
            f"{path.name} has no SB_01 (daily arrivals): only SB_02 preventions were loaded. SB_02's "
            "weekly arrivals are not loaded because SB_01's daily series is Tideline's arrival series; "
            "import SB_01 for arrivals."
        )
        totals = _totals(tables["preventions_weekly"], "week_ending", "people_prevented")
    else:
        totals = _totals(tables["crossings_daily"], "date", "people")
    progress("Done", 1.0)
    return ImportResult(
        format=NAME,
        source=SOURCE,
        tables=tables,
        rows_read=sum(sheet.rows_read for _, sheet in sheets),
        rejected=[r for _, sheet in sheets for r in sheet.rejected],
        notes=notes,
        totals_by_year=totals,
        as_of=as_of.isoformat() if as_of else None,
    )
