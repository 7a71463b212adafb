"""Home Office "Irregular migration to the UK — detailed dataset" (XLSX, quarterly): the data sheets
Irr_D01 (detected irregular arrivals) -> irregular_arrivals and Irr_D02 (asylum applications from
small-boat arrivals) -> small_boat_asylum.

A data sheet is found by its header (the row under the title, searched in the first rows of every
sheet), not by its name: the cover, contents, notes and pivot-table sheets are passed over, and a
renamed data sheet is still read. Rows run from the header to the "End of table" row (its first filled cell
says so); what follows it (footnotes) is not read.

A sheet is read column by column (base.TextBook: each distinct label, quarter and count judged once) when every
row of it can be vouched for that way; a sheet with a row that cannot (a bad value, a repeated key, an error
cell) is read row by row, as it always was, so that each rejection names its sheet row. Both readings give the
same result: tests compare them on files with traps."""

from __future__ import annotations

import functools
import itertools
import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import nationality, schema
from ..clean import is_missing
from .base import (
    DATE_FORMATS,
    NOT_VOUCHED,
    Book,
    ImportResult,
    Progress,
    Rejection,
    StructuralError,
    TextBook,
    TextSheet,
    Unvouched,
    blank,
    by_value,
    cell_number,
    columns_frame,
    count_maxima,
    cover_as_of,
    from_first_filled,
    header_key,
    no_progress,
    parse_count,
    plain_text,
    read_as_text,
    records_frame,
    shown,
    text_as_of,
    unknown_labels,
    vouched,
    workbook_errors,
)

NAME = "home_office_irregular_migration"
LABEL = "Home Office irregular migration to the UK, detailed dataset (Irr_D01 arrivals, Irr_D02 small-boat asylum)"
SOURCE = "Home Office: irregular migration to the UK, detailed dataset"

HEADER_SEARCH_ROWS = 10  # a title row (or a few) sits above each data sheet's header (after any empty rows)
COVER_SEARCH_ROWS = 60  # how far down the cover sheet the publication date is looked for
PROGRESS_EVERY = 5000  # rows between progress reports

END_OF_TABLE = re.compile(r"(?:this is the )?end of (?:the )?table\.?", re.IGNORECASE)
QUARTER = (
    re.compile(r"(?P<year>\d{4})\s*[-/ ]?\s*Q(?P<q>[1-4])", re.IGNORECASE),  # "2018 Q1", "2018-Q1"
    re.compile(r"Q(?P<q>[1-4])\s*[-/ ]?\s*(?P<year>\d{4})", re.IGNORECASE),  # "Q1 2018"
)
FORMATS = DATE_FORMATS + ("%Y-%m-%d %H:%M:%S",)


@dataclass(frozen=True)
class Table:
    """One data sheet of the dataset and how its columns map to a canonical table."""

    code: str  # the publisher's table code, e.g. "Irr_D01"
    table: str  # canonical table
    columns: dict[str, str]  # the file's column -> canonical column ("Year" -> "" : checked, not stored)
    count: str  # the file's count column
    distinctive: tuple[str, ...]  # columns only this table has: a header needs one of them to be this table

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.columns)


D01 = Table(
    "Irr_D01",
    "irregular_arrivals",
    {
        "Year": "",
        "Quarter": "quarter_start",
        "Method of entry": "method",
        "Nationality": "nationality",
        "Region": "nationality_region",
        "Sex": "sex",
        "Age Group": "age_group",
        "Number of detections": "detections",
    },
    "Number of detections",
    ("Method of entry", "Number of detections"),
)
D02 = Table(
    "Irr_D02",
    "small_boat_asylum",
    {
        "Year": "",
        "Quarter": "quarter_start",
        "Asylum application": "application",
        "Nationality": "nationality",
        "Region": "nationality_region",
        "Applicant type": "applicant_type",
        "UASC": "uasc",
        "Sex": "sex",
        "Age Group": "age_group",
        "Applications": "applications",
    },
    "Applications",
    ("Asylum application", "Applicant type", "UASC", "Applications"),
)
TABLES = (D01, D02)
MAXIMA = {t.table: count_maxima(schema.TABLES[t.table]) for t in TABLES}  # table -> count column -> maximum
REQUIRED_VALUES = {c.name for t in TABLES for c in schema.TABLES[t.table] if not c.nullable}
# How many of a table's columns a header row may lack and still be that table's header (then the import
# is refused, naming what is missing); a row with fewer of them is not a data sheet's header at all.
MAX_MISSING = 2


@dataclass(frozen=True)
class _Header:
    """A header row found in a sheet's first rows."""

    spec: Table
    row: int  # 1-based sheet row
    cells: tuple[object, ...]
    missing: tuple[str, ...]  # the table's columns the row lacks


def _match(cells: Sequence[object]) -> tuple[Table, tuple[str, ...]] | None:
    """The table a row is the header of, with the columns it lacks; None when it is no data header."""
    names = {header_key(c) for c in cells if not blank(c)}
    best = None
    for spec in TABLES:
        if not any(header_key(c) in names for c in spec.distinctive):
            continue
        missing = tuple(c for c in spec.required if header_key(c) not in names)
        if len(missing) <= MAX_MISSING and (best is None or len(missing) < len(best[1])):
            best = (spec, missing)
    return best


def _find_header(rows: Iterator[Sequence[object]]) -> _Header | None:
    """The best data header among a sheet's first rows from its first filled one (the one lacking fewest columns)."""
    best: _Header | None = None
    searched = 0
    for n, cells in enumerate(rows, start=1):
        if searched == 0 and all(blank(c) for c in cells):
            continue  # empty rows above the table do not count
        searched += 1
        if searched > HEADER_SEARCH_ROWS:
            break
        found = _match(cells)
        if found and (best is None or len(found[1]) < len(best.missing)):
            best = _Header(found[0], n, tuple(cells), found[1])
    return best


# ---------------------------------------------------------------------------------------- detect


def _is_xlsx(path: Path) -> bool:
    with zipfile.ZipFile(path) as zf:
        return "xl/workbook.xml" in zf.namelist()


def _open(path: Path):
    """The workbook by calamine (base.Book), or by openpyxl when it holds an error cell (base.workbook_errors)."""
    if not workbook_errors(path):
        return Book(path)
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True, data_only=True)


def detect(path: Path) -> bool:
    """True for an XLSX with a sheet whose first rows hold an Irr_D01 or Irr_D02 header (by its columns,
    whatever the sheet is called)."""
    try:
        path = Path(path)
        if not _is_xlsx(path):
            return False
        book = _open(path)
        try:
            for sheet in book.worksheets:
                # a header lacking a column or two is still this format: read() then names what is missing
                if _find_header(sheet.iter_rows(values_only=True)) is not None:
                    return True
            return False
        finally:
            book.close()
    except Exception:  # detect must never raise: any unreadable file is simply not this format
        return False


# ------------------------------------------------------------------------------------------ read


class _Bad(Exception):
    """A bad row: args are (column, reason, value)."""


def _quarter(value: object) -> tuple[int, int]:
    """(year, quarter) from a Quarter cell such as "2018 Q1"."""
    text = " ".join(str(value).split())
    for pattern in QUARTER:
        m = pattern.fullmatch(text)
        if m:
            return int(m["year"]), int(m["q"])
    raise ValueError(f"not a quarter written like '2018 Q1': {shown(value)!r}")


def _year(value: object) -> int:
    """A Year cell: 2018, 2018.0 or "2018"."""
    if isinstance(value, bool):
        raise ValueError(f"not a year: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}(?:\.0+)?", text):
        return int(float(text))
    raise ValueError(f"not a year: {shown(value)!r}")


@functools.lru_cache(maxsize=65536)  # a long sheet repeats its labels: each is tidied once
def _label_of(value: object) -> str | None:
    return _label(value)


@functools.lru_cache(maxsize=65536)
def _nationality_of(value: str) -> str:
    return nationality.name_of(value) or value  # an unknown label is kept (and listed in a note)


@functools.lru_cache(maxsize=65536)
def _known(name: str | None) -> bool:
    return nationality.resolve(name) is not None


def _label(value: object) -> str | None:
    """A label cell as tidy text (one space between words); None when blank."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


@dataclass
class _State:
    """What reading the data sheets has gathered so far, shared across sheets of one table."""

    file: str
    limit: date
    as_of: date | None
    records: dict[str, list[dict]]
    seen: dict[str, dict[tuple, tuple[str, int]]]  # table -> key -> (sheet, row) of its first accepted row
    rejected: list[Rejection]
    unknown: Counter[str]  # nationality labels nationality.resolve does not know -> accepted rows
    rows_read: int = 0
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # table -> its rows, read column by column


def _record(spec: Table, index: dict[str, int], cells: Sequence[object], state: _State) -> dict:
    """One data row as a canonical record; _Bad for the first value that does not fit."""

    def cell(column: str) -> object:
        i = index[column]
        value = cells[i] if i < len(cells) else None
        return cell_number(value) if type(value) is float else value  # openpyxl's reading too (an error cell)

    quarter = cell("Quarter")
    if blank(quarter):
        raise _Bad("Quarter", "Quarter is empty", None)
    try:
        year, q = _quarter(quarter)
    except ValueError as exc:
        raise _Bad("Quarter", str(exc), quarter) from None
    if not 1 <= year <= 9999:  # a year no calendar date has: the row is refused, not the file
        raise _Bad("Quarter", f"quarter {year} Q{q}: no such year", quarter)
    start = date(year, 3 * q - 2, 1)
    named = cell("Year")
    if blank(named):
        raise _Bad("Year", f"Year is empty (the quarter is {year} Q{q})", None)
    try:
        stated = _year(named)
    except ValueError as exc:
        raise _Bad("Year", str(exc), named) from None
    if stated != year:
        raise _Bad("Year", f"Year {stated} does not match Quarter {shown(quarter)!r}", f"{stated} / {shown(quarter)}")
    if start > state.limit:
        when = f"the file's publication date {state.as_of}" if state.as_of else "today"
        raise _Bad("Quarter", f"quarter {year} Q{q} starts after {when}", quarter)

    record: dict[str, object] = {"quarter_start": start, "source": SOURCE}
    for column, canonical in spec.columns.items():
        if canonical in record or not canonical or column == spec.count:
            continue
        raw = cell(column)
        value = _label_of(raw) if type(raw) in (str, int, type(None)) else _label(raw)  # cached: hashable, 1 != True
        if value is None and canonical in REQUIRED_VALUES:
            raise _Bad(column, f"{column} is empty", None)
        if canonical == "nationality" and value is not None:
            value = _nationality_of(value)
        record[canonical] = value
    raw = cell(spec.count)
    try:
        record[spec.columns[spec.count]] = parse_count(raw, MAXIMA[spec.table][spec.columns[spec.count]])
    except ValueError as exc:
        raise _Bad(spec.count, str(exc), raw) from None
    return record


def _columns(header: _Header, where: str) -> tuple[dict[str, int], list[str]]:
    """The header's column positions (file column -> position) and the note naming columns it ignores."""
    spec = header.spec
    wanted = {header_key(c): c for c in spec.required}
    index: dict[str, int] = {}
    extra = []
    for i, cell in enumerate(header.cells):
        if blank(cell):
            continue
        column = wanted.get(header_key(cell))
        if column is None:
            extra.append(shown(cell))
        elif column not in index:
            index[column] = i
    return index, [f"{where}: column(s) not part of {spec.code}, ignored: {', '.join(extra)}"] if extra else []


def _ends_table(cell: object) -> bool:
    """Whether a row's first filled cell says the table ends there."""
    return isinstance(cell, str) and END_OF_TABLE.fullmatch(" ".join(cell.split())) is not None


def _read_sheet(sheet, header: _Header, state: _State, progress: Progress, span: tuple[float, float]) -> list[str]:
    """Read one data sheet's rows into `state`; returns its notes."""
    if isinstance(sheet, TextSheet):
        return _read_text_sheet(sheet, header, state)
    spec, name = header.spec, sheet.title
    where = f"{state.file}, sheet {name}"
    index, notes = _columns(header, where)
    key = schema.KEYS[spec.table]
    seen = state.seen.setdefault(spec.table, {})
    records = state.records.setdefault(spec.table, [])
    size = max(sheet.max_row or 0, 1)  # the sheet's own idea of its size: only for progress
    sheet.reset_dimensions()  # some writers record a wrong sheet size; read every row there is
    ended = False
    for n, cells in enumerate(sheet.iter_rows(min_row=header.row + 1, values_only=True), start=header.row + 1):
        if n % PROGRESS_EVERY == 0:
            progress(f"Reading {name}", span[0] + (span[1] - span[0]) * min(n / size, 1.0))
        if not cells or all(blank(c) for c in cells):
            continue
        if _ends_table(next(c for c in cells if not blank(c))):
            ended = True
            break
        state.rows_read += 1
        try:
            record = _record(spec, index, cells, state)
            k = tuple(record[c] for c in key)
            if k in seen:
                first_sheet, first_row = seen[k]
                there = f"row {first_row}" if first_sheet == name else f"sheet {first_sheet}, row {first_row}"
                raise _Bad(
                    ", ".join(c for c in spec.required if spec.columns[c] in key),
                    f"duplicate of {there} (same {_and([_what(c) for c in key])})",
                    ", ".join("" if v is None else str(v) for v in k),
                )
        except _Bad as bad:
            column, reason, value = bad.args
            state.rejected.append(
                Rejection(state.file, n, column, reason, sheet=name, value=None if value is None else shown(value, 80))
            )
            continue
        seen[k] = (name, n)
        records.append(record)
        if not _known(record["nationality"]):
            state.unknown[str(record["nationality"])] += 1
    if not ended:
        notes.append(f"{where}: no 'End of table' row; read to the last row of the sheet")
    return notes


YEAR_TEXT = re.compile(r"\d{4}")


def _text_label(value: str | None) -> object:
    if value is None:
        return None
    return _label_of(value) if plain_text(value) else NOT_VOUCHED


def _read_text_sheet(sheet: TextSheet, header: _Header, state: _State) -> list[str]:
    """Read one data sheet into state.frames column by column, each distinct value judged once by the row-by-row
    rules; Unvouched when any row needs them row by row (a bad or ambiguous value, a repeated key)."""
    spec, name = header.spec, sheet.title
    if spec.table in state.records or spec.table in state.frames:
        raise Unvouched("a second sheet of the table: its keys are compared row by row")
    if not all(blank(c) or plain_text(c) for c in header.cells):
        raise Unvouched("a header cell that is not text is named as the row-by-row reading writes it")
    index, notes = _columns(header, f"{state.file}, sheet {name}")
    coded = [by_value(c.slice(header.row)) for c in sheet.columns]  # each column's distinct values, and where
    filled = np.stack([~np.array([blank(v) for v in distinct], dtype=bool)[where] for distinct, where in coded])
    first = filled.argmax(axis=0)  # each row's first filled cell ends the table when it says so
    ends = np.zeros(filled.shape[1], dtype=bool)
    for j, (distinct, where) in enumerate(coded):
        says = np.array([_ends_table(v) for v in distinct], dtype=bool)[where]
        ends |= says & (first == j) & filled[j]
    stop = int(ends.argmax()) if ends.any() else len(ends)
    if not ends.any():
        notes.append(f"{state.file}, sheet {name}: no 'End of table' row; read to the last row of the sheet")
    rows = np.flatnonzero(filled[:, :stop].any(axis=0))

    def judged(column: str, judge, unused: object = None) -> tuple[list, np.ndarray]:
        """The column's values in `rows` judged (once each), and each row's position among them (`unused` for a value
        no such row holds; Unvouched for a value not vouched for)."""
        distinct, where = coded[index[column]]
        at = where[rows]
        return vouched(distinct, at, judge, unused), at

    def quarter(value: str | None) -> object:
        try:
            year, q = _quarter(value) if value is not None else (0, 0)
        except ValueError:
            return NOT_VOUCHED
        start = date(year, 3 * q - 2, 1) if year else None
        return (year, start) if start and start <= state.limit else NOT_VOUCHED

    quarters, at = judged("Quarter", quarter, (-1, None))

    def year(value: str | None) -> object:
        return int(value) if value is not None and YEAR_TEXT.fullmatch(value) else NOT_VOUCHED

    years, year_at = judged("Year", year, -1)
    if (np.array(years, dtype=np.int64)[year_at] != np.array([y for y, _ in quarters], dtype=np.int64)[at]).any():
        raise Unvouched("a Year that is not its Quarter's")
    starts = [s for _, s in quarters]
    data: dict[str, object] = {"quarter_start": np.array(starts, dtype="datetime64[s]")[at], "source": SOURCE}
    codes = {"quarter_start": pd.factorize(np.array(starts, dtype=object))[0][at]}
    for column, canonical in spec.columns.items():
        if canonical in data or not canonical or column == spec.count:
            continue
        values, where = judged(column, _text_label)
        if canonical in REQUIRED_VALUES and any(values[i] is None for i in np.unique(where).tolist()):
            raise Unvouched(f"an empty {column}")
        if canonical == "nationality":
            values = [None if v is None else _nationality_of(v) for v in values]
            rows_of = np.bincount(where, minlength=len(values))
            for value, k in zip(values, rows_of, strict=True):
                if k and not _known(value):
                    state.unknown[str(value)] += int(k)
        data[canonical] = pa.array(values, pa.large_string()).take(pa.array(where))
        codes[canonical] = pd.factorize(np.array(values, dtype=object))[0][where]
    maximum = MAXIMA[spec.table][spec.columns[spec.count]]

    def count(value: str | None) -> object:
        try:
            return parse_count(value, maximum)
        except ValueError:
            return NOT_VOUCHED

    counts, count_at = judged(spec.count, count)
    data[spec.columns[spec.count]] = pd.arrays.IntegerArray(
        np.array([n or 0 for n in counts], dtype=np.int64)[count_at],
        np.array([n is None for n in counts], dtype=bool)[count_at],
    )
    if pd.DataFrame({k: codes[k] for k in schema.KEYS[spec.table]}).duplicated().any():
        raise Unvouched("a repeated key")
    columns = schema.columns(spec.table, provenance=False)
    state.frames[spec.table] = columns_frame(columns, {**data, "source": [SOURCE] * len(rows)})
    state.rows_read += len(rows)
    return notes


def _what(column: str) -> str:
    return {"quarter_start": "quarter", "nationality_region": "region", "age_group": "age group"}.get(
        column, column.replace("_", " ")
    )


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _by_year(frame: pd.DataFrame, count: str, by: str | None = None) -> pd.DataFrame:
    """The count by calendar year (and `by`); a group with only NULL counts is NULL, not 0."""
    keys = [frame["quarter_start"].dt.year.rename("year")] + ([frame[by]] if by else [])
    sums = frame.groupby(keys, sort=True)[count].sum(min_count=1)
    return sums.reset_index().astype({"year": "int64", count: "Int64"})


def _number(value: object) -> str:
    return "not available" if is_missing(value) else f"{value:,}"


def totals_by_method(frame: pd.DataFrame) -> pd.DataFrame:
    """Detections by calendar year and method of entry (columns year, method, detections)."""
    return _by_year(frame, "detections", "method")


def read(
    path: Path, *, regions: pd.DataFrame | None = None, progress: Progress = no_progress, by_row: bool = False
) -> ImportResult:
    """Read the Irr_D01 and Irr_D02 data sheets into irregular_arrivals and small_boat_asylum: column by column when
    every row can be vouched for that way, else (or with by_row) row by row."""
    del regions  # part of the importer contract; nationalities need no Tideline region
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise StructuralError(f"{path.name}: the file is empty (0 bytes)")
        xlsx = _is_xlsx(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise StructuralError(f"{path.name}: not a readable XLSX workbook (damaged or truncated?): {exc}") from exc
    if not xlsx:
        raise StructuralError(f"{path.name}: a zip file but not an XLSX workbook")
    progress(f"Opening {path.name}", 0.0)
    result = None if by_row else _read_text(path, progress)
    if result is not None:
        return result
    try:
        book = _open(path)
    except Exception as exc:  # the zip/XML parsers raise many types; all mean "unreadable"
        raise StructuralError(
            f"{path.name}: cannot read the XLSX workbook (damaged or truncated?): {type(exc).__name__}: {exc}"
        ) from exc
    try:
        return _read_book(path, book, progress)
    except StructuralError:
        raise
    except Exception as exc:  # a sheet's XML that breaks part-way: the file, not a row, is at fault
        raise StructuralError(
            f"{path.name}: cannot read the XLSX workbook (damaged?): {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        book.close()


def _read_text(path: Path, progress: Progress) -> ImportResult | None:
    """The workbook read column by column (base.TextBook); None when the row-by-row reading decides (a cell text
    cannot show, such as an error cell, refused in words by openpyxl's reading: _open)."""
    return read_as_text(path, lambda book: _read_book(path, book, progress))


def _read_book(path: Path, book, progress: Progress) -> ImportResult:
    sheets = []  # (sheet, header) of each data sheet
    for sheet in book.worksheets:
        header = _find_header(sheet.iter_rows(values_only=True))
        if header is not None:
            sheets.append((sheet, header))
    if not sheets:
        names = ", ".join(s.title for s in book.worksheets) or "none"
        raise StructuralError(
            f"{path.name}: no Irr_D01 or Irr_D02 data sheet (no sheet has the header row of either in its first "
            f"{HEADER_SEARCH_ROWS} filled rows); sheets found: {names}"
        )
    notes: list[str] = []
    chosen = []
    for spec in TABLES:
        found = [(s, h) for s, h in sheets if h.spec is spec]
        whole = [(s, h) for s, h in found if not h.missing]
        if whole:
            # a sheet that nearly has the header (a pivot table's field list, say) beside the real one is passed over
            for s, h in found:
                if h.missing:
                    read_instead = ", ".join(w.title for w, _ in whole)
                    notes.append(
                        f"{path.name}, sheet {s.title}: looks like {spec.code} but lacks "
                        f"{', '.join(repr(c) for c in h.missing)}; not read ({read_instead} was)"
                    )
            chosen += whole
        elif found:
            s, h = found[0]
            columns = ", ".join(shown(c) for c in h.cells if not blank(c))
            raise StructuralError(
                f"{path.name}, sheet {s.title}: missing column {', '.join(repr(c) for c in h.missing)} "
                f"({spec.code}, header on row {h.row}); columns found: {columns}"
            )

    cover = next((s for s in book.worksheets if "cover" in s.title.lower()), None)
    if cover is None:
        as_of = None
    else:  # the first rows from the first filled one; read as text, a date only its cell's type can tell is left to it
        top = itertools.islice(from_first_filled(cover.iter_rows(values_only=True)), COVER_SEARCH_ROWS)
        as_of = text_as_of(top, FORMATS) if isinstance(book, TextBook) else cover_as_of(top, FORMATS)
    state = _State(
        file=path.name,
        limit=as_of or date.today(),
        as_of=as_of,
        records={},
        seen={},
        rejected=[],
        unknown=Counter(),
    )
    for i, (sheet, header) in enumerate(chosen):
        span = (i / len(chosen), (i + 1) / len(chosen))
        progress(f"Reading {sheet.title} ({header.spec.code})", span[0])
        notes += _read_sheet(sheet, header, state, progress, span)

    tables = {
        spec.table: state.frames[spec.table]
        if spec.table in state.frames
        else records_frame(schema.columns(spec.table, provenance=False), state.records.get(spec.table, []))
        for spec in TABLES
    }
    tables = {t: f for t, f in tables.items() if t in state.records or t in state.frames}
    if state.unknown:
        notes.append(unknown_labels("nationality", state.unknown))
    if "irregular_arrivals" in tables:
        arrivals = tables["irregular_arrivals"]
        totals = _by_year(arrivals, "detections")
        if len(arrivals):
            by_method = totals_by_method(arrivals)
            years = "; ".join(
                f"{year}: " + ", ".join(f"{m} {_number(v)}" for _, m, v in group.itertuples(index=False, name=None))
                for year, group in by_method.groupby("year", sort=True)
            )
            notes.append(f"detections by year and method of entry (Irr_D01): {years}")
    else:
        notes.append(
            f"{path.name} has no Irr_D01 (detected arrivals) sheet: only Irr_D02 small-boat asylum applications "
            "were loaded."
        )
        totals = _by_year(tables["small_boat_asylum"], "applications")
    if "small_boat_asylum" not in tables:
        notes.append(f"{path.name} has no Irr_D02 (small-boat asylum applications) sheet: only Irr_D01 was loaded.")
    if isinstance(book, TextBook) and book.lossy:
        raise Unvouched("a cell text cannot show")
    progress("Done", 1.0)
    return ImportResult(
        format=NAME,
        source=SOURCE,
        tables=tables,
        rows_read=state.rows_read,
        rejected=state.rejected,
        notes=notes,
        totals_by_year=totals,
        as_of=as_of.isoformat() if as_of else None,
    )
