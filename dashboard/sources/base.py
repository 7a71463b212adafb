"""What every importer shares: the result it returns, rejected rows, structural errors, and
reading helpers that turn unreadable files into clear messages."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from ..clean import is_missing

Progress = Callable[[str, float], None]
"""progress(message, fraction 0..1): importers call it while reading large files."""


def no_progress(message: str, fraction: float) -> None:
    """The default progress callback: says nothing."""


class StructuralError(Exception):
    """The file as a whole cannot be imported (wrong format, missing columns, unreadable).

    The message names the file and, where it can, the sheet and column, and says why."""


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

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"{self.unit or ('row' if self.sheet else 'line')} {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


@dataclass
class ImportResult:
    """What an importer read from one file, mapped to canonical tables (no provenance columns)."""

    format: str  # the importer's name, e.g. "home_office_small_boats"
    source: str  # the `source` value of every row it produced; a later release of it supersedes these
    tables: dict[str, pd.DataFrame]  # canonical table -> rows (columns as dashboard.schema, no provenance)
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


def csv_header(path: Path, *, errors: str = "strict") -> list[str]:
    """A CSV's header: the fields of its first line, read from the file's first 64 KB.

    StructuralError for binary content or (with errors="strict") a header that is not UTF-8;
    errors="replace" reads any bytes, for detectors that leave the encoding to read()."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if b"\x00" in head:
        raise StructuralError(f"{path.name}: binary content (NUL bytes), not a text CSV")
    try:
        first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors)
    except UnicodeDecodeError as exc:
        raise StructuralError(f"{path.name}: the header is not UTF-8 text") from exc
    return next(csv.reader([first]), [])


def read_text_csv(path: Path, *, dtype=str) -> tuple[pd.DataFrame, list[int]]:
    """A CSV as text columns (empty field = NULL), UTF-8 with or without a byte-order mark.

    Returns the frame and, per frame row, its 1-based line number in the file (header = 1), so
    rejections can point at the line. Raises StructuralError for anything unreadable.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise StructuralError(f"{path.name}: the file is empty")
    if b"\x00" in raw[:HEAD_BYTES]:
        raise StructuralError(f"{path.name}: binary content (NUL bytes), not a text CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StructuralError(
            f"{path.name}: not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} on line {line}); "
            "save the file as UTF-8 CSV and import it again"
        ) from exc
    csv.field_size_limit(1 << 20)
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
    frame = frame.apply(lambda s: s.str.strip()).replace({"": None})
    return frame, lines


NOT_AVAILABLE = {"-", "–", "—", "..", "n/a", "N/A", "NA", "x", "[x]", "[z]", "[c]"}
"""Markers publishers use for 'not available': they become NULL, never 0."""


def parse_count(value: object) -> int | None:
    """A non-negative whole count; '' and not-available markers -> None. ValueError says why."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip().replace(",", "").replace("\u00a0", "")
        if text == "" or text in NOT_AVAILABLE:
            return None
        try:
            f = float(text)
        except ValueError:
            raise ValueError(f"not a number: {str(value)[:40]!r}") from None
        if f != f or f in (float("inf"), float("-inf")) or f != int(f):
            raise ValueError(f"not a whole number: {str(value)[:40]!r}")
        n = int(f)
    if n < 0:
        raise ValueError(f"negative count: {n}")
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
