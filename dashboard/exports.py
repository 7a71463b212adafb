"""Data exports (CSV and XLSX) that are safe to open in a spreadsheet and carry their marking.

Pure: no streamlit. Every text cell that a spreadsheet could read as a formula is neutralised with a
leading apostrophe (OWASP CSV-injection guidance); numbers stay numbers, so negative numbers are intact.
Each file carries the classification marking, the filter description, the data version, the source and
the time it was made, and the classification leads the file name (stamped to the second, in UTC).

CSV: the facts are '#' comment lines above the table, written as they are (never CSV-quoted), so
``pandas.read_csv(path, comment="#")`` reads the table with its own header; a value holding '#' is quoted,
so such readers never cut a record there. ``skiprows=CSV_HEADER_LINES`` works too. Dates are ISO text.

XLSX typing rule: numbers stay numbers, text is neutralised text, and dates are real dates: a datetime
column (whole days as dates), date objects, and a text column named as a date column (``date``, ``month``,
``week_ending``, ``period`` or ending in ``_date``) whose every value is an ISO date (YYYY-MM-DD) or missing,
as the incidents' ``date`` arrives from queries.POINT_COLUMNS.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import unicodedata
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from .clean import is_missing, text

# Characters that make a spreadsheet read a cell as a formula (or, for tab/CR/LF, that some importers
# strip before looking). The full-width forms are included because some locales' spreadsheets fold
# them to their ASCII equivalents.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Lines before the table's header row in a CSV: marking, description and version, source, generated,
# and one blank line. pd.read_csv(..., comment="#") or pd.read_csv(..., skiprows=CSV_HEADER_LINES) reads the table.
CSV_HEADER_LINES = 5
# CSV fields written in quotes: what csv.QUOTE_MINIMAL quotes, and '#' (see the module docstring).
_CSV_QUOTED = (",", '"', "\r", "\n", "#")
# Text columns whose ISO-date values are written to XLSX as dates (see the module docstring).
DATE_COLUMN = re.compile(r"date|month|week_ending|period|.+_date", re.IGNORECASE)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Decimals of a KPI in an export, as fmt.kpi_value writes it on the cards: people per boat to one decimal; the
# other KPIs are whole counts and pounds already.
KPI_DECIMALS = {"people_per_boat": 1}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
NEUTRALISED_NOTE = "Text that a spreadsheet could read as a formula starts with an apostrophe (')."
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def neutralise(value: object) -> object:
    """Text a spreadsheet could run as a formula gets a leading ' ; missing → ''; anything else unchanged.

    Bidi embedding/override/isolate characters are dropped from text (clean.text), as everywhere the
    app shows it: in a spreadsheet they would reorder the cell ("Trojan Source")."""
    if isinstance(value, str):
        value = text(value)
        # Spaces and invisible characters in front are skipped before the check, because some importers
        # (and users' trim steps) remove them and would expose the formula; the text itself is untouched.
        i = 0
        while i < len(value) and _skippable(value[i]):
            i += 1
        if value[i : i + 1] in FORMULA_PREFIXES:
            return "'" + value
        return value
    if is_missing(value):
        return ""
    return value


def _skippable(ch: str) -> bool:
    # Tab, CR and LF are triggers in their own right, so they are never skipped past.
    return ch not in "\t\r\n" and (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs"))


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, complex | bool | np.bool_)


def _plain(value: object) -> object:
    # numpy scalars as Python ones: the csv module writes a float by repr(), which for np.float64 is
    # 'np.float64(-3.25)'.
    return value.item() if isinstance(value, np.generic) else value


def _all_midnight(s: pd.Series) -> bool:
    values = s.dropna()
    return bool((values == values.dt.normalize()).all())


def _iso(value: date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def _text_cell(value: object) -> object:
    """One cell of a text/mixed column for the CSV: numbers kept, dates ISO, everything else neutralised text."""
    if is_missing(value):
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool | np.bool_) or _is_number(value):
        return _plain(value)
    if isinstance(value, date):
        return _iso(value)
    return neutralise(str(value))  # lists, arrays, other objects: as text, then made safe


def header_names(df: pd.DataFrame) -> list[str]:
    """Column headers as neutralised text (headers are text cells too)."""
    return [str(neutralise(str(c))) for c in df.columns]


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy safe for a spreadsheet: text neutralised, numeric columns untouched, dates as ISO text."""
    columns: list[pd.Series] = []
    for _, s in df.items():
        if pd.api.types.is_datetime64_any_dtype(s):
            fmt = "%Y-%m-%d" if _all_midnight(s) and s.dt.tz is None else None
            values = [("" if pd.isna(v) else (v.strftime(fmt) if fmt else v.isoformat(timespec="seconds"))) for v in s]
            columns.append(pd.Series(values, dtype=object))
        elif (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)) and s.dtype != object:
            columns.append(s.reset_index(drop=True))
        else:
            columns.append(pd.Series([_text_cell(v) for v in s.astype(object)], dtype=object))
    out = pd.concat(columns, axis=1) if columns else pd.DataFrame(index=range(len(df)))
    out.columns = header_names(df)
    return out


def _one_line(value: object) -> str:
    # Header lines must stay one physical line each, or CSV_HEADER_LINES would no longer hold.
    return " ".join(str("" if is_missing(value) else value).split())


def _meta(
    description: str, version: int | None, source: str, generated_at: datetime, produced_by: str = ""
) -> dict[str, str]:
    by = _one_line(produced_by)
    return {
        "description": _one_line(description),
        "version": "unknown" if version is None else str(version),
        "source": _one_line(source),
        "generated": _utc(generated_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        # Who asked for the file (the signed-in user), next to the marking and the time.
        "by": f"by Tideline for {by}" if by else "by Tideline",
    }


def _utc(moment: datetime) -> datetime:
    # A naive time is taken as UTC: exports are stamped in UTC whatever the server's zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def csv_header_lines(
    *,
    classification: str,
    description: str,
    version: int | None,
    source: str,
    generated_at: datetime,
    produced_by: str = "",
) -> list[str]:
    """The '#' comment lines written above the table (each value neutralised, then '# ' in front): written
    as they are, never CSV-quoted, so readers that skip comment lines skip them whole."""
    m = _meta(description, version, source, generated_at, produced_by)
    return [
        "# " + str(neutralise(_one_line(classification))),
        "# " + str(neutralise(f"{m['description']} · data version {m['version']}")),
        "# " + str(neutralise(m["source"])),
        "# " + str(neutralise(f"Generated {m['generated']} {m['by']}")),
    ]


def to_csv_bytes(
    df: pd.DataFrame,
    *,
    classification: str,
    description: str,
    version: int | None,
    source: str,
    generated_at: datetime,
    produced_by: str = "",
) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads the encoding): '#' header lines, a blank line, then the table."""
    lines = csv_header_lines(
        classification=classification,
        description=description,
        version=version,
        source=source,
        generated_at=generated_at,
        produced_by=produced_by,
    )
    lines.append("")
    safe = safe_frame(df)
    lines.append(_csv_record(list(safe.columns)))
    for row in safe.itertuples(index=False, name=None):
        lines.append(_csv_record(["" if is_missing(v) else _plain(v) for v in row]))
    return ("\ufeff" + "".join(line + "\r\n" for line in lines)).encode("utf-8")


def _csv_record(values: list[object]) -> str:
    """One CSV record, quoted as csv.QUOTE_MINIMAL quotes it, and a field holding '#' quoted too."""
    fields = ["" if v is None else str(v) for v in values]
    if fields == [""]:
        return '""'  # a lone empty field, not a blank line (which readers skip)
    return ",".join(_csv_field(f) for f in fields)


def _csv_field(field: str) -> str:
    if any(c in field for c in _CSV_QUOTED):
        return '"' + field.replace('"', '""') + '"'
    return field


def _xlsx_text(value: str) -> str:
    # Neutralised first, with the original characters (as in the CSV); then the control characters XML
    # cannot hold are replaced, never deleted, so nothing can move a formula prefix to the front.
    # (XML itself stores a CR as LF: a CR-led text reads back LF-led, still text and still quoted.)
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(neutralise(value)))


def _xlsx_cell(value: object) -> object:
    """One value as openpyxl should store it: text neutralised, numbers numeric, dates as dates."""
    if is_missing(value):
        return None
    if isinstance(value, str):
        return _xlsx_text(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if _is_number(value):
        number = _plain(value)
        # Excel cannot store NaN or infinity: an empty cell, as in the CSV.
        return None if isinstance(number, float) and not math.isfinite(number) else number
    if isinstance(value, datetime):
        return _naive_utc(value)
    if isinstance(value, date):
        return value
    return _xlsx_text(str(value))


def _naive_utc(value: datetime) -> datetime:
    # Excel has no time zones: aware times are stored as UTC.
    moment = pd.Timestamp(value)
    if moment.tzinfo is not None:
        moment = moment.tz_convert(UTC).tz_localize(None)
    return moment.to_pydatetime()


def _xlsx_column(s: pd.Series, name: object = "") -> list[object]:
    """A column's values for openpyxl; a datetime column of whole days is written as dates, and so is a
    text column named as a date column holding ISO dates (the module docstring's typing rule)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        days = _all_midnight(s) and s.dt.tz is None
        return [None if pd.isna(v) else (v.date() if days else _naive_utc(v)) for v in s]
    if DATE_COLUMN.fullmatch(str(name)):
        dates = _iso_dates(s)
        if dates is not None:
            return dates
    return [_xlsx_cell(v) for v in s.astype(object)]


def _iso_dates(s: pd.Series) -> list[object] | None:
    """The values as dates when every one is an ISO date text (YYYY-MM-DD), a date or missing; else None."""
    out: list[object] = []
    for v in s.astype(object):
        if is_missing(v) or v == "":
            out.append(None)
        elif isinstance(v, date):
            out.append(_xlsx_cell(v))
        elif isinstance(v, str) and _ISO_DATE.fullmatch(v):
            try:
                out.append(date.fromisoformat(v))
            except ValueError:  # '2025-02-30': not a date, so the column stays text
                return None
        else:
            return None
    return out


def _put(ws, row: int, col: int, value: object, bold: bool = False):
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # belt and braces: never a formula, whatever the text
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet_title(name: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31]
    return title if title and title != "About" else "Data"


def to_xlsx_bytes(
    df: pd.DataFrame,
    *,
    classification: str,
    description: str,
    version: int | None,
    source: str,
    generated_at: datetime,
    sheet_name: str = "Data",
    produced_by: str = "",
) -> bytes:
    """XLSX: an 'About' sheet (marking, description, version, source, time), then the data sheet with the
    marking in row 1, the header in row 2 and the data below."""
    m = _meta(description, version, source, generated_at, produced_by)
    marking = _xlsx_text(_one_line(classification))
    wb = Workbook()
    about = wb.active
    about.title = "About"
    _put(about, 1, 1, marking, bold=True)
    facts = [
        ("Classification", marking),
        ("Description", _xlsx_text(m["description"])),
        ("Data version", version if version is not None else "unknown"),
        ("Source", _xlsx_text(m["source"])),
        ("Generated (UTC)", _xlsx_text(f"{m['generated']} {m['by']}")),
        ("Rows", len(df)),
        ("Note", NEUTRALISED_NOTE),
    ]
    for i, (label, value) in enumerate(facts, start=3):
        _put(about, i, 1, label, bold=True)
        _put(about, i, 2, value)
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 90

    ws = wb.create_sheet(_sheet_title(sheet_name))
    _put(ws, 1, 1, marking, bold=True)
    headers = header_names(df)
    for j, name in enumerate(headers, start=1):
        _put(ws, 2, j, _xlsx_text(name), bold=True)
        ws.column_dimensions[ws.cell(row=2, column=j).column_letter].width = min(max(len(name) + 2, 10), 50)
    for j, (column, s) in enumerate(df.items(), start=1):
        for row, cell in enumerate(_xlsx_column(s, column), start=3):
            _put(ws, row, j, cell)
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_filename(base: str, classification: str, ext: str, generated_at: datetime) -> str:
    """'OFFICIAL-tideline-incidents-20261128T103005Z.csv': the marking first, only [A-Za-z0-9_-] in each part,
    stamped to the second (UTC), so two exports in the same minute do not collide."""
    marking = _UNSAFE_NAME.sub("_", classification).strip("_-")[:60] or "UNMARKED"
    name = _UNSAFE_NAME.sub("_", base).strip("_-")[:80] or "export"
    suffix = re.sub(r"[^A-Za-z0-9]", "", ext).lower() or "dat"
    return f"{marking}-tideline-{name}-{_utc(generated_at).strftime('%Y%m%dT%H%M%SZ')}.{suffix}"


def kpi_export(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPI frame (queries.kpis) as exported: value, previous and target rounded as the KPI cards write
    them (KPI_DECIMALS). Rounded here, not in the query: the changes against the baseline are computed
    from the unrounded values."""
    out = kpis.copy()
    for key, decimals in KPI_DECIMALS.items():
        rows = out["key"] == key
        for col in ("value", "previous", "target"):
            if col in out:
                out.loc[rows, col] = [v if is_missing(v) else round(float(v), decimals) for v in out.loc[rows, col]]
    return out
