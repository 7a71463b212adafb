"""What every importer shares: the result it returns, rejected rows, structural errors, and
reading helpers that turn unreadable files into clear messages."""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ..clean import BIDI_CHARACTERS, BIDI_SQL_PATTERN, is_missing

Progress = Callable[[str, float], None]
"""progress(message, fraction 0..1): importers call it while reading large files."""


def no_progress(message: str, fraction: float) -> None:
    """The default progress callback: says nothing."""


class StructuralError(Exception):
    """The file as a whole cannot be imported (wrong format, missing columns, unreadable).

    The message names the file and, where it can, the sheet and column, and says why."""


class TooLarge(StructuralError):
    """The file would expand beyond an import limit (settings.ImportLimits); the message names the limit
    and the environment variable that raises it."""


@dataclass(frozen=True)
class Rejection:
    """One rejected row: where it is in the file, which column, and why."""

    file: str
    row: int | None  # 1-based line in a CSV (header = line 1) or 1-based sheet row (header = row 1)
    column: str | None
    reason: str
    sheet: str | None = None
    value: str | None = None
    unit: str | None = None  # what `row` counts when not a line or sheet row: "record" (Parquet), "feature"
    layer: str | None = None  # a spatial file's layer (a GeoPackage's incidents, a KML folder)

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.layer:
            parts.append(f"layer {self.layer}")
        if self.row is not None:
            parts.append(f"{self.unit or ('row' if self.sheet else 'line')} {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Staged:
    """Rows an importer has validated and staged in a DuckDB database file (a table or view in its canonical column
    types, without provenance, its text already without bidi controls): committed by DuckDB from there, never
    loaded into Python."""

    database: Path
    table: str
    rows: int
    # the rows already come in the table's CLUSTER_BY order, block by block (ascending or descending): written
    # alone, they need no sort (see canonical_sql.Check.clustered)
    clustered: bool = False

    def __len__(self) -> int:
        return self.rows

    def query(self, sql: str) -> pa.Table:
        """A read-only query on the staged database (the rows are the table named `self.table`)."""
        con = duckdb.connect(str(self.database), read_only=True)
        try:
            return con.sql(sql).to_arrow_table()
        finally:
            con.close()

    def head(self, n: int = 20) -> pd.DataFrame:
        """The first n rows, for a preview."""
        return self.query(f'SELECT * FROM "{self.table}" LIMIT {int(n)}').to_pandas()

    def distinct(self, column: str) -> list:
        """The column's distinct non-NULL values, sorted."""
        table = self.query(f'SELECT DISTINCT "{column}" AS v FROM "{self.table}" WHERE v IS NOT NULL ORDER BY v')
        return table.column("v").to_pylist()

    def discard(self) -> None:
        """Remove the staged rows (after a commit, or when the import is abandoned)."""
        shutil.rmtree(self.database.parent, ignore_errors=True)


@dataclass
class ImportResult:
    """What an importer read from one file, mapped to canonical tables (no provenance columns)."""

    format: str  # the importer's name, e.g. "home_office_small_boats"
    source: str  # the `source` value of every row it produced; a later release of it supersedes these
    # canonical table -> rows (columns as dashboard.schema, no provenance); a large file's rows stay on disk (Staged)
    tables: Mapping[str, pd.DataFrame | Staged]
    rows_read: int  # data rows seen in the file (all sheets)
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things the analyst should know (e.g. unknown labels kept)
    totals_by_year: pd.DataFrame | None = None  # columns: year, <main count name> — for the summary
    as_of: str | None = None  # the file's own as-of date (ISO), if it states one

    @property
    def rows_accepted(self) -> int:
        return sum(len(df) for df in self.tables.values())


class Importer(Protocol):
    """What an importer module provides (dashboard/sources/<format>.py); ingest.IMPORTERS lists them,
    most specific first, and detection asks each in turn."""

    NAME: str  # the --source name, e.g. "iom_missing_migrants"
    LABEL: str  # what the analyst reads: the publisher's name for the file

    def detect(self, path: Path) -> bool:
        """True when the file is in this format, judged from its sheets or header alone (cheap)."""
        ...

    def read(self, path: Path, *, regions: pd.DataFrame | None, progress: Progress = ...) -> ImportResult:
        """Read and validate the whole file: StructuralError for the file, Rejections for rows."""
        ...


HEAD_BYTES = 65536  # how much of a file format detection and header checks read


# What a file that is not text starts with, and what it then is (checked on the first bytes only).
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 (.xls) or other old Office file"),
    (b"PAR1", "a Parquet file (give the file the .parquet extension)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF-", "a PDF document"),
)
BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
SAVE_AS_UTF8 = "save the file as UTF-8 CSV and import it again"


def _signature(head: bytes) -> str | None:
    """What the first bytes say the file is, when they are another format's: a workbook, Parquet, …"""
    if head.startswith(b"PK\x03\x04"):
        # the entry names near a zip's start tell the workbooks apart (an ODS names its mimetype first)
        if b"mimetype" in head[:64] and b"opendocument.spreadsheet" in head[:200]:
            return "an ODS workbook (give the file the .ods extension)"
        if b"[Content_Types].xml" in head or b"xl/" in head:
            return "an XLSX workbook (give the file the .xlsx extension)"
        return "a zip archive"
    return next((kind for signature, kind in SIGNATURES if head.startswith(signature)), None)


def text_problem(head: bytes, what: str = "a text CSV") -> str | None:
    """Why a file starting with `head` is not UTF-8 text, or None: another format's bytes, UTF-16/32
    (by byte-order mark, or by the NUL byte beside every ASCII character), or NUL bytes.

    The reason comes without the file name; the caller puts the name first."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return f"not UTF-8 text ({encoding} detected: byte-order mark {mark.hex(' ').upper()}); {SAVE_AS_UTF8}"
    kind = _signature(head)
    if kind:
        return f"binary content, not {what}: the bytes are {kind}"
    if b"\x00" not in head:
        return None
    sample = head[:512]
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    for nuls, other, order in ((odd, even, "little-endian"), (even, odd, "big-endian")):
        # ASCII text in UTF-16 without a byte-order mark: a NUL beside nearly every character
        if len(nuls) >= 4 and nuls.count(0) >= 0.9 * len(nuls) and other.count(0) == 0:
            return f"not UTF-8 text (UTF-16 detected: {order}, no byte-order mark); {SAVE_AS_UTF8}"
    line = head[: head.index(b"\x00")].count(b"\n") + 1
    return f"binary content (NUL bytes), not {what} (the first NUL byte is on line {line})"


def _not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    line = raw[: exc.start].count(b"\n") + 1
    return f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} on line {line}); {SAVE_AS_UTF8}"


def csv_header(path: Path, *, errors: str = "strict") -> list[str]:
    """A CSV's header: the fields of its first line, read from the file's first 64 KB.

    StructuralError for binary content, UTF-16 and (with errors="strict") a header that is not UTF-8;
    errors="replace" reads any bytes, for detectors that leave the encoding to read()."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    problem = text_problem(head)
    if problem:
        raise StructuralError(f"{path.name}: {problem}")
    try:
        first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors)
    except UnicodeDecodeError as exc:
        raise StructuralError(f"{path.name}: the header is not UTF-8 text") from exc
    return next(csv.reader([first]), [])


WORKBOOKS = {".ods": "ODS", ".xlsx": "XLSX", ".xlsm": "XLSX"}
TEXTS = {".csv": "a text CSV", ".geojson": "JSON text", ".json": "JSON text"}


def unreadable(path: Path) -> str | None:
    """Why a file no importer recognised cannot be read as what its extension says, or None (then it is
    readable but simply not a known format). Cheap: the first 64 KB, a workbook's zip directory, the
    last bytes of a Parquet file. The reason comes without the file name."""
    import zipfile

    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
            f.seek(max(0, f.seek(0, io.SEEK_END) - 4))
            tail = f.read(4)
    except OSError as exc:
        return f"cannot open the file: {exc}"
    suffix = path.suffix.lower()
    if suffix in WORKBOOKS:
        kind = WORKBOOKS[suffix]
        if not head.startswith(b"PK\x03\x04"):
            other = _signature(head)
            return f"not a readable {kind} workbook ({f'the bytes are {other}' if other else 'not a zip archive'})"
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            return f"not a readable {kind} workbook (damaged or truncated?): {exc}"
        if "content.xml" not in names and "xl/workbook.xml" not in names:
            return "a zip file but neither an ODS nor an XLSX workbook"
        return None
    if suffix in (".parquet", ".pq"):
        if head.startswith(b"PAR1") and tail != b"PAR1":
            return "not a readable Parquet file (damaged or truncated?): no Parquet footer at the end"
        if not head.startswith(b"PAR1"):
            other = _signature(head)
            return f"not a readable Parquet file ({f'the bytes are {other}' if other else 'no Parquet header'})"
        return None
    if suffix in TEXTS:
        problem = text_problem(head, TEXTS[suffix])
        if problem:
            return problem
        try:
            head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 3:  # not just a character cut in two at the end of the 64 KB read
                return _not_utf8(head, exc)
    return None


# The bidi controls (clean.BIDI_CHARACTERS) in UTF-8: a CSV's text is read without them, as the store keeps it, so
# two ids that differ only by one are the same id (U+202A-U+202E, U+2066-U+2069)
BIDI_BYTES = re.compile(rb"\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
CSV_FIELD_LIMIT = 1 << 20  # the longest CSV field read, in characters (csv.field_size_limit)


def read_text_csv(path: Path, *, dtype=str) -> tuple[pd.DataFrame, list[int]]:
    """A CSV as text columns (empty field = NULL), UTF-8 with or without a byte-order mark.

    Returns the frame and, per frame row, its 1-based line number in the file (header = 1), so
    rejections can point at the line. Raises StructuralError for anything unreadable.

    Arrow's CSV reader parses a file whose records are one line each (no line break inside a quoted value, no
    lone carriage return): 2.6 M cells a second here, against 0.6 M for Python's csv module, which reads every
    other file and words every refusal (the two give the same frame and lines: tests/test_source_base.py).
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise StructuralError(f"{path.name}: the file is empty")
    problem = text_problem(raw[:HEAD_BYTES])
    if problem:
        raise StructuralError(f"{path.name}: {problem}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StructuralError(f"{path.name}: {_not_utf8(raw, exc)}") from exc
    if dtype is str:
        fast = _arrow_csv(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
        if fast is not None:
            header, columns, lines = fast
            import pyarrow.compute as pc

            frame = pd.DataFrame({i: pd.Series(pc.fill_null(c, ""), dtype=str) for i, c in enumerate(columns)})
            frame.columns = header
            return frame.replace({"": None}), lines.tolist()  # as Python's csv module's frame is made
    return _python_csv(path, text, dtype)


def read_text_columns(path: Path) -> tuple[list[str], list[pa.Array], np.ndarray]:
    """read_text_csv as Arrow text columns: (header, columns, 1-based line of each row), for importers that work
    column by column (nothing goes through pandas when Arrow reads the file)."""
    raw = path.read_bytes()
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    # Arrow checks the text is UTF-8 as it reads (a file that is not is read again below, and refused in words)
    fast = _arrow_csv(body) if raw and not raw.isspace() and text_problem(raw[:HEAD_BYTES]) is None else None
    if fast is not None:
        return fast
    frame, lines = read_text_csv(path)  # it refuses what Arrow did not read, in words
    columns = [pa.array(frame.iloc[:, i].array, type=pa.string()) for i in range(frame.shape[1])]
    return list(frame.columns), columns, np.asarray(lines, dtype=np.int64)


def _arrow_csv(raw: bytes) -> tuple[list[str], list[pa.Array], np.ndarray] | None:
    """read_text_csv by Arrow, for a file whose records are its non-empty lines: (header, text columns with
    NULL for empty fields, 1-based line of each row); None for any other file (or one Arrow refuses), which
    Python's csv module then reads and, if need be, refuses in words."""
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    data = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(data == 10)  # \n
    returns = np.flatnonzero(data == 13)  # \r
    if len(ends) == 0 or (len(returns) and (returns[-1] + 1 >= len(data) or (data[returns + 1] != 10).any())):
        return None  # one line, or a carriage return alone (Python's csv module ends a line there)
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(data)]))
    quotes = np.flatnonzero(data == 34)
    if len(quotes):  # a quoted value spanning lines leaves an odd number of quotes on its first line
        if ((np.searchsorted(quotes, stops) - np.searchsorted(quotes, starts)) % 2).any():
            return None
    lengths = stops - starts - (data[np.maximum(stops - 1, 0)] == 13) * (stops > starts)  # without a \r
    if lengths.max() > CSV_FIELD_LIMIT:
        return None  # a line that may hold a field beyond the limit: refused by Python's csv module
    filled = np.flatnonzero(lengths > 0)  # Arrow skips empty lines
    if len(filled) == 0 or filled[0] != 0:
        return None  # the header is not on the first line
    try:
        header = next(csv.reader([raw[: stops[0]].decode("utf-8").rstrip("\r")]), [])
    except UnicodeDecodeError:
        return None  # Python's csv module's reading refuses it in words
    width = len(header)
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=[f"c{i}" for i in range(width)]),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None  # a row of another width, a stray quote: Python's csv module says what is wrong
    lines = filled[1:] + 1  # 1-based line of each record
    if table.num_rows != len(lines):
        return None

    # stripped as pandas' str.strip() strips (the same Arrow kernel), an empty field NULL; Arrow's kernels let go
    # of Python's lock, so the columns are tidied on two threads
    bidi = BIDI_BYTES.search(raw) is not None

    def tidy(i: int) -> pa.Array:
        column = table.column(i).combine_chunks()
        if bidi:
            column = pc.replace_substring_regex(column, BIDI_SQL_PATTERN, "")
        column = pc.utf8_trim_whitespace(column)
        return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)

    with ThreadPoolExecutor(max_workers=2) as pool:
        columns = list(pool.map(tidy, range(width)))
    if width and len(lines):
        blank = columns[0].is_null()
        for column in columns[1:]:
            blank = pc.and_(blank, column.is_null())
        if pc.any(blank).as_py():  # a row of empty fields is not data
            keep = pc.invert(blank)
            columns = [c.filter(keep) for c in columns]
            lines = lines[keep.to_numpy(zero_copy_only=False)]
    return [h.strip() for h in header], columns, lines


def _python_csv(path: Path, text: str, dtype) -> tuple[pd.DataFrame, list[int]]:
    """read_text_csv by Python's csv module."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        rows, lines = [], []
        header = next(reader)
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise StructuralError(f"{path.name}: unreadable CSV near line {reader.line_num}: {exc}") from exc
    header = [h.strip() for h in header]
    width = len(header)
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise StructuralError(f"{path.name}, line {line}: {len(row)} fields where the header has {width}")
    frame = pd.DataFrame(rows, columns=header, dtype=dtype)
    if any(ch in text for ch in BIDI_CHARACTERS):
        frame = frame.apply(lambda s: s.str.replace(BIDI_SQL_PATTERN, "", regex=True))
    frame = frame.apply(lambda s: s.str.strip()).replace({"": None})
    return frame, lines


def per_value(values: pa.Array, judge: Callable[[Any], Any], dtype: Any = object) -> np.ndarray:
    """judge(value) for each value of an Arrow column (None for null), computed once per distinct value: a long
    release repeats its months, labels and counts."""

    distinct, where = by_value(values)
    results = np.array([judge(v) for v in distinct], dtype=dtype)
    return results[where]


def by_value(values: pa.Array) -> tuple[list[Any], np.ndarray]:
    """An Arrow column's distinct values (None for null) and, for each row, its value's position among them."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = values.dictionary_encode(null_encoding="encode")
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)


NOT_AVAILABLE = {"-", "–", "—", "..", "n/a", "N/A", "NA", "x", "[x]", "[z]", "[c]"}
"""Markers publishers use for 'not available': they become NULL, never 0."""


COUNT_MAX: dict[str, int] = {"INTEGER": 2**31 - 1, "BIGINT": 2**63 - 1}
"""The largest value each integer column type of the store holds (schema.Column.type -> maximum)."""
COUNT_TEXT = re.compile(r"([+-]?)(\d+)(?:\.(\d*))?")
EXPONENT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)e[+-]?\d+", re.IGNORECASE)


class _Typed(Protocol):
    """A column as schema.Column describes it (base sits beside schema, so it does not import it)."""

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...


def count_maxima(columns: Iterable[_Typed]) -> dict[str, int]:
    """Column name -> the largest count it holds, for a table's columns (schema.TABLES[table])."""
    return {c.name: COUNT_MAX[c.type] for c in columns if c.type in COUNT_MAX}


def _digits(n: int) -> str:
    """A count for a message: in full up to 24 digits, else its first digits and its length."""
    s = str(n)
    return s if len(s) <= 24 else f"{s[:12]}… ({len(s)} digits)"


def parse_count(value: object, maximum: int = COUNT_MAX["BIGINT"]) -> int | None:
    """A non-negative whole count no larger than `maximum` (give the column's: COUNT_MAX[column.type]);
    '' and not-available markers -> None. ValueError says why.

    Text must be digits (thousands commas allowed, a '.0' tail too): an exponent form such as 1e20 is
    refused, because a spreadsheet writes a large number that way after rounding it."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):  # a spreadsheet cell's number
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"not a whole number: {str(value)[:40]!r}")
        n = int(value)
    else:
        text = str(value).strip().replace(",", "").replace("\u00a0", "")
        if text == "" or text in NOT_AVAILABLE:
            return None
        m = COUNT_TEXT.fullmatch(text)
        if m is None:
            if EXPONENT.fullmatch(text):
                raise ValueError(f"not a count written in digits: {str(value)[:40]!r} (exponent form)")
            try:
                float(text)
            except ValueError:
                raise ValueError(f"not a number: {str(value)[:40]!r}") from None
            raise ValueError(f"not a whole number: {str(value)[:40]!r}")
        sign, digits, fraction = m[1], m[2].lstrip("0") or "0", m[3] or ""
        if fraction.strip("0"):
            raise ValueError(f"not a whole number: {str(value)[:40]!r}")
        if len(digits) > len(str(maximum)):  # out of range whatever the digits: no need to convert them
            digits = digits[:40] + "…" if len(digits) > 40 else digits
            if sign == "-":
                raise ValueError(f"negative count: -{digits}")
            raise ValueError(f"count {digits} is too large for its column (at most {maximum:,})")
        n = -int(digits) if sign == "-" else int(digits)
    if n < 0:
        raise ValueError(f"negative count: {_digits(n)}")
    if n > maximum:
        raise ValueError(f"count {_digits(n)} is too large for its column (at most {maximum:,})")
    return n


DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%d.%m.%Y",
)


def parse_date(value: object, formats: tuple[str, ...] = DATE_FORMATS):
    """A date from a date/datetime/Timestamp or text in one of `formats`. ValueError says why."""
    from datetime import date, datetime

    if is_missing(value):
        raise ValueError("date is missing")
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            raise ValueError("date is missing")
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = " ".join(str(value).split())
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date in a known form: {text[:40]!r}")


def parse_coordinate(value: object, low: float, high: float, name: str) -> float:
    """A finite number within [low, high]. ValueError says why."""
    try:
        f = float(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not (low <= f <= high):
        raise ValueError(f"{name} {f} is outside {low:g}..{high:g}")
    return f


# --- what the workbook importers share -----------------------------------------------------------------

AS_OF_LABEL = re.compile(
    r"(?:date (?:of )?publi\w*|publi\w*(?: date| on)?|release date|(?:data )?as (?:of|at))"
    r"\s*:?\s*(?P<date>.*)",
    re.IGNORECASE,
)
"""A cover sheet's publication label: "Published: 21 August 2025", "Date of publication", "Data as at"."""


def header_key(text: object) -> str:
    """A header cell compared loosely: no [note n] markers, one kind of dash, single spaces, lower case."""
    s = re.sub(r"\[[^\]]*\]", " ", str(text)).replace("\u2013", "-").replace("\u2014", "-")
    s = re.sub(r"\s*-\s*", " - ", s)
    return " ".join(s.split()).rstrip("*").strip().lower()


def blank_mask(values: pa.Array) -> np.ndarray:
    """blank() of each value of an Arrow text column, without a Python object per value: Arrow's utf8_is_space
    agrees with str.isspace on every character (tested)."""
    import pyarrow.compute as pc

    blanks = pc.or_kleene(pc.equal(pc.utf8_length(values), 0), pc.utf8_is_space(values))
    return blanks.fill_null(True).to_numpy(zero_copy_only=False)


def blank(value: object) -> bool:
    """True for an empty cell: None, NaN/NaT/NA, or only whitespace."""
    return is_missing(value) or (isinstance(value, str) and not value.strip())


def shown(value: object, width: int = 40) -> str:
    """A cell as text for messages: one line, at most `width` characters, date cells without 00:00:00."""
    if isinstance(value, datetime) and value.time() == time(0):
        value = value.date()
    return " ".join(str(value).split())[:width]


def from_first_filled(rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
    """A sheet's rows from its first with a filled cell: how far down a search reaches does not depend on empty rows
    above the table (which TextBook leaves out and Book keeps)."""
    rows = iter(rows)
    for row in rows:
        if not all(blank(c) for c in row):
            yield row
            break
    yield from rows


def cover_as_of(
    rows: Iterable[Sequence[object]], formats: tuple[str, ...] = DATE_FORMATS, *, strict: bool = False
) -> date | None:
    """The publication date a cover sheet states: "Published: 20 March 2025", or a label cell then a date cell.

    Only a cell that is just a label (and maybe the date) counts: a sentence that mentions publishing and
    some other date must not become the as-of date. A label whose date does not read is passed over, or with
    `strict` refused (ValueError): the same cell read with its type might have been the date."""
    for row in rows:
        cells = [c for c in row if not blank(c)]
        for i, cell in enumerate(cells):
            label = AS_OF_LABEL.fullmatch(" ".join(str(cell).split())) if isinstance(cell, str) else None
            if label is None:
                continue
            value = label["date"] or (cells[i + 1] if i + 1 < len(cells) else None)
            try:
                return parse_date(value, formats)
            except ValueError:
                if strict:
                    raise
                continue
    return None


def unknown_labels(kind: str, counts: Counter[str]) -> str:
    """The import note listing labels that matched no Tideline mapping (kept as they are)."""
    listed = ", ".join(f"{label!r} ({k} row{'s' * (k != 1)})" for label, k in sorted(counts.items()))
    total = sum(counts.values())
    return f"unknown {kind} labels kept as-is: {listed}; {total} row{'s' * (total != 1)}"


def records_frame(columns: Iterable[_Typed], records: list[dict]) -> pd.DataFrame:
    """Records as a frame with these columns (a table's schema columns, in order) in store-castable dtypes:
    DATE as datetime64[s], INTEGER as nullable Int64, the rest as text with NULL kept."""
    columns = list(columns)
    return columns_frame(columns, {col.name: [r[col.name] for r in records] for col in columns})


def columns_frame(columns: Iterable[_Typed], data: Mapping[str, Any]) -> pd.DataFrame:
    """Columns of values as records_frame makes them (records_frame's, when the values come column by column)."""
    out = {}
    for col in columns:
        values = data[col.name]
        if col.type == "DATE":
            out[col.name] = pd.Series(pd.to_datetime(values), dtype="datetime64[s]")
        elif col.type == "INTEGER":
            out[col.name] = pd.Series(pd.array(values, dtype="Int64"))
        else:  # from an Arrow array too, without a Python object per value
            out[col.name] = pd.Series(pd.array(values, dtype="str"))
    return pd.DataFrame(out)


# --- workbooks ----------------------------------------------------------------------------------------------------


def cell_number(value: float) -> float | int:
    """A workbook's number as the importers take it: a whole number int (a workbook stores numbers as floats), and so
    is a number that rounds to one at 9 decimals (within 5e-10 of it), as a spreadsheet shows it (0.1 * 3 * 10 is
    3.0000000000000004). TextBook reads numbers to 9 decimals: this keeps both readings of a cell one value."""
    whole = round(value, 9)
    return int(whole) if math.isfinite(whole) and whole.is_integer() else value


def _cell_value(value: object) -> object:
    """A cell as openpyxl gives it: an empty cell None, a whole number int (cell_number)."""
    if value == "":
        return None
    if type(value) is float:
        return cell_number(value)
    return value


class Book:
    """An XLSX or ODS workbook read by calamine (Rust: 10-60 times openpyxl's and odfpy's speed here), with the
    few parts of openpyxl's read-only interface the importers use: `worksheets` (each with `title`, `max_row` and
    `iter_rows(min_row, max_row, values_only=True)`) and `close()`. Cells come as openpyxl gives them (_cell_value);
    row numbers are the sheet's own (leading empty rows kept)."""

    def __init__(self, path: Path) -> None:
        from python_calamine import CalamineWorkbook

        self._book = CalamineWorkbook.from_path(str(path))
        self.worksheets = [Sheet(self._book, name) for name in self._book.sheet_names]

    def close(self) -> None:
        self._book.close()


class Sheet:
    """One sheet of a Book, its cells read when first asked for."""

    def __init__(self, book, title: str) -> None:
        self._book, self.title = book, title
        self._grid: list[list[object]] | None = None  # the sheet as calamine reads it (once)

    def _cells(self) -> list[list[object]]:
        if self._grid is None:
            self._grid = self._book.get_sheet_by_name(self.title).to_python(skip_empty_area=False)
        return self._grid

    @property
    def max_row(self) -> int:
        return len(self._cells())

    def reset_dimensions(self) -> None:
        """openpyxl's, for a sheet whose recorded size is wrong: calamine reads every row there is anyway."""

    def iter_rows(
        self, min_row: int = 1, max_row: int | None = None, values_only: bool = True
    ) -> Iterator[tuple[object, ...]]:
        """The rows from min_row to max_row (1-based, inclusive) as tuples of values."""
        if not values_only:
            raise ValueError("only values are read")
        for row in self._cells()[min_row - 1 : max_row]:
            yield tuple(_cell_value(v) for v in row)


def _unreadable() -> tuple[type[Exception], ...]:
    """What TextBook raises for a workbook it cannot read (damaged, truncated): its importer reads it by Book instead,
    which says what is wrong in words. (fastexcel is imported when a workbook is read, not with this module.)"""
    import fastexcel

    return (fastexcel.FastExcelError, zipfile.BadZipFile, OSError)


T = TypeVar("T")


class Unvouched(Exception):
    """A workbook read as text (TextBook) holds something only the row-by-row reading judges, names the sheet row of,
    or refuses in its own words: its importer reads it that way instead."""


NOT_VOUCHED = object()  # what a judge returns for a value the column-wise reading leaves to the row-by-row one
TEXT_EARLIEST = date(1900, 3, 1)  # TextBook writes an elapsed time as a date in Jan-Feb 1900 (a time of day in 1899)


def read_as_text(path: Path, read: Callable[[TextBook], T]) -> T | None:
    """read(TextBook(path)), or None when the workbook is to be read row by row: Unvouched, or a fault the row-by-row
    reading words (StructuralError, an unreadable workbook)."""
    try:
        book = TextBook(path)
    except Exception:  # unreadable: the row-by-row reading says so in words
        return None
    try:
        return read(book)
    except (Unvouched, StructuralError):
        return None
    except _unreadable():
        return None
    finally:
        book.close()


def vouched(distinct: list[Any], at: np.ndarray, judge: Callable[[Any], Any], unused: object = None) -> list[Any]:
    """judge(value) for each of a column's distinct values that a row holds (`at`: each row's position among them),
    once each; `unused` for the others. Unvouched when the judge gives NOT_VOUCHED for one."""
    values = [unused] * len(distinct)
    for i in np.flatnonzero(np.bincount(at, minlength=len(distinct))).tolist():
        values[i] = judge(distinct[i])
        if values[i] is NOT_VOUCHED:
            raise Unvouched(f"a value the row-by-row reading judges: {distinct[i]!r}")
    return values


def text_as_of(rows: Iterable[Sequence[object]], formats: tuple[str, ...]) -> date | None:
    """cover_as_of for a cover read as text: Unvouched when a label's date does not read as text, or reads as an
    elapsed time or a time of day would (the cell's type decides, by the row-by-row reading)."""
    try:
        as_of = cover_as_of(rows, formats, strict=True)
    except ValueError:
        raise Unvouched("a publication date that does not read as text") from None
    if as_of is not None and as_of < TEXT_EARLIEST:
        raise Unvouched("an elapsed time or a time of day reads as a date in early 1900")
    return as_of


class TextBook:
    """An XLSX or ODS workbook's sheets as columns of text, read by fastexcel (calamine straight into Arrow, with no
    Python object per cell: 1.5-2 times Book's speed on a long sheet here), for importers that vouch for a sheet
    column by column and read it by Book, row by row, when they cannot.

    A cell reads as text: a number in digits to at most 9 decimals (12.0000000001 reads "12", as cell_number takes
    it), a date or time "2025-03-19 00:00:00" (in an ODS "2025-03-19T00:00:00"; fractions of a second after a dot),
    an elapsed time as a date in early 1900 ("1900-01-01 12:00:00" for 36 hours), a boolean "true"/"false", an empty
    cell and "" None. Some cells text cannot show: an error cell (#N/A: None in an XLSX, its cached number in an ODS),
    an ODS time cell and a date beyond calamine's range (None), an elapsed time ([h]:mm:ss: a date in 1900) or any
    time in a workbook counting from 1904 (a date in 1904); `lossy` says whether the workbook may have one, or a
    sheet that is not a worksheet (which Book and pandas do not list). Leading empty rows and columns are left out,
    so a row's position is not its sheet row: an importer that must name a row reads the sheet by Book. `worksheets`
    and `close()` as Book's.

    The sheets are read one after another in the background by one reader (fastexcel lets go of the GIL while it
    parses), and the zip is searched for cells text cannot show beside them (_lossy)."""

    def __init__(self, path: Path) -> None:
        import fastexcel

        reader = fastexcel.read_excel(str(path))
        names = reader.sheet_names  # before a sheet is read: the reader is not to be touched while it reads one
        self._search = ThreadPoolExecutor(1, thread_name_prefix="textbook-search")
        self._lossy = self._search.submit(_lossy, Path(path))
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="textbook")  # one reader parses one sheet at a time
        self._sheets = [self._reader.submit(_text_columns, reader, name) for name in names]
        self.worksheets = [TextSheet(sheet, name) for sheet, name in zip(self._sheets, names, strict=True)]

    @property
    def lossy(self) -> bool:
        """Whether a cell's text may not say what the cell is (an error cell, a time, a date out of range), or a sheet
        is not a worksheet."""
        return any(sheet.result()[1] for sheet in self._sheets) or self._lossy.result()

    def close(self) -> None:
        self._reader.shutdown(cancel_futures=True)
        self._search.shutdown(cancel_futures=True)


def _text_columns(reader: Any, title: str) -> tuple[list[pa.Array], bool]:
    """A sheet's columns as text, and whether a cell did not read as text (an XLSX error cell, a date out of range)."""
    sheet = reader.load_sheet_by_name(title, header_row=None, dtypes="string")
    if not sheet.height:  # a sheet with no cell has no columns either
        return [], False
    batch, unread = sheet.to_arrow_with_errors()
    return [c.cast(pa.string()) for c in batch.columns], unread is not None


class TextSheet:
    """One sheet of a TextBook: `columns` (Arrow string arrays) and Sheet's `title`, `max_row` and `iter_rows` over
    its text."""

    def __init__(self, columns: Future[tuple[list[pa.Array], bool]], title: str) -> None:
        self._columns, self.title = columns, title

    @property
    def columns(self) -> list[pa.Array]:
        return self._columns.result()[0]

    @property
    def max_row(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def reset_dimensions(self) -> None:
        """As Sheet's: every row there is is read."""

    def iter_rows(
        self, min_row: int = 1, max_row: int | None = None, values_only: bool = True
    ) -> Iterator[tuple[object, ...]]:
        """The rows from min_row to max_row (1-based positions, inclusive) as tuples of text."""
        if not values_only:
            raise ValueError("only values are read")
        start = min_row - 1
        stop = self.max_row if max_row is None else min(max_row, self.max_row)
        for first in range(start, stop, 1000):
            chunk = [c.slice(first, min(1000, stop - first)).to_pylist() for c in self.columns]
            yield from zip(*chunk, strict=True)


SPREADSHEET_TEXT = re.compile(r"(?:true|false|NaN|-?inf|-?P(?:\d|T\d)[\dYMDTHS.]*)")  # a boolean's, a duration's…


def plain_text(value: object) -> bool:
    """Whether a TextBook cell's text can only be a text cell's: it has a letter, and it is not how TextBook writes a
    boolean, a number that is not one, or an ISO duration (a number or date has no letter). Such a value reads the
    same by Book."""
    return isinstance(value, str) and any(ch.isalpha() for ch in value) and SPREADSHEET_TEXT.fullmatch(value) is None


ERROR_CELL = re.compile(  # an XLSX error cell; an ODS one (LibreOffice)
    rb"""\bt\s*=\s*["']e["']|calcext:value-type\s*=\s*["']error["']"""
)
ERROR_VALUES = (b'"e"', b"'e'", b'"error"', b"'error'")  # the patterns' quoted values, looked for first
ODS_LOSSY_CELL = re.compile(rb"""calcext:value-type\s*=\s*["']error["']|office:value-type\s*=\s*["']time["']""")
ODS_LOSSY_VALUES = (b'"error"', b"'error'", b'"time"', b"'time'")
NOT_WORKSHEETS = ("xl/chartsheets/", "xl/dialogsheets/", "xl/macrosheets/")
DATE_1904 = re.compile(rb"""date1904\s*=\s*["'](?:1|true)["']""")
# an elapsed-time number format: built in (45-47) or written with [h], [m] or [s]
ELAPSED_FORMAT = re.compile(rb"""numFmtId\s*=\s*["']4[5-7]["']|formatCode\s*=\s*["'][^"']*\[(?:h+|m+|s+)\]""", re.I)


def _lossy(path: Path) -> bool:
    """TextBook.lossy's search of the zip: a sheet that is not a worksheet, a workbook counting from 1904, an
    elapsed-time format; in an ODS an error or time cell (fastexcel reports an XLSX error cell itself). A zip it
    cannot read is lossy (Book says why)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if any(n.startswith(NOT_WORKSHEETS) for n in names):
                return True
            if "xl/workbook.xml" in names and DATE_1904.search(zf.read("xl/workbook.xml")):
                return True
            if "xl/styles.xml" in names and ELAPSED_FORMAT.search(zf.read("xl/styles.xml")):
                return True
        if "content.xml" in names:
            return workbook_errors(path, ODS_LOSSY_CELL, ODS_LOSSY_VALUES)
        # an XLSX's sheets only inflated (no value looked for): a damaged part the row-by-row reading refuses fails here
        return workbook_errors(path, ERROR_CELL, ())
    except Exception:
        return True


def workbook_errors(
    path: Path, markers: re.Pattern[bytes] = ERROR_CELL, values: tuple[bytes, ...] = ERROR_VALUES
) -> bool:
    """Whether an XLSX or ODS workbook holds a formula error cell (#N/A, #DIV/0!, #REF!, …). calamine reads one as an
    empty cell, openpyxl and odfpy as its text, which the importers refuse in words: such a workbook is read by them.
    Streams the sheets' XML from the zip (a bounded window), without parsing it, for `markers` (where one of their
    quoted `values` is: a scan of bytes, brief, where a pattern holds the GIL long)."""
    with zipfile.ZipFile(path) as zf:
        names = [
            n for n in zf.namelist() if n == "content.xml" or (n.startswith("xl/worksheets/") and n.endswith(".xml"))
        ]
        for name in names:
            with zf.open(name) as f:
                tail = b""
                while chunk := f.read(1 << 20):
                    window = tail + chunk
                    if any(v in window for v in values) and markers.search(window):
                        return True
                    tail = window[-64:]
    return False
