"""Any CSV, XLSX, Parquet or GeoJSON file that already has a canonical table's columns, read as that table."""

from __future__ import annotations

import json
import math
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from .. import nationality, schema
from ..clean import text
from . import canonical_sql, spatial
from .base import (
    COUNT_MAX,
    DATE_FORMATS,
    ImportResult,
    Progress,
    Rejection,
    Staged,
    StructuralError,
    csv_header,
    no_progress,
    parse_coordinate,
    parse_count,
    parse_date,
    read_text_csv,
)

NAME = "canonical"
LABEL = (
    "A canonical Tideline table (CSV, XLSX, Parquet, or a GeoJSON, GeoPackage, Shapefile, FlatGeobuf, KML or "
    "File Geodatabase layer)"
)

KINDS = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    # spatial files, read through geopandas/pyogrio (GDAL): any CRS, reprojected to WGS84
    ".geojson": "spatial",
    ".json": "spatial",
    ".gpkg": "spatial",
    ".fgb": "spatial",
    ".kml": "spatial",
    ".zip": "spatial",  # a zipped Shapefile or File Geodatabase
    ".shp": "spatial",
}
PROVENANCE = {c.name for c in schema.PROVENANCE}
GEOMETRY = "\x00geometry"  # where a feature's geometry (as GeoJSON) waits in a record; no column can have this name

# Values the pages rely on, beyond the column types.
ALLOWED = {
    ("crossings_daily", "status"): schema.STATUSES,
    ("incidents", "incident_type"): schema.INCIDENT_TYPES,
    ("routes", "mode"): ("sea", "land", "air"),
    ("operations", "status"): ("active", "concluded", "suspended"),
}
ISO3 = re.compile(r"^[A-Z]{3}$")
FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
YEAR_QUARTER = re.compile(r"^(\d{4})\s*[- ]?\s*Q([1-4])$", re.IGNORECASE)  # a quarter_start may say "2018 Q1"
# Tables whose nationality is the name Tideline shows (dashboard/nationality.py), not an ISO-3 code
NAMED_NATIONALITY = ("irregular_arrivals", "small_boat_asylum")
RANGES = {"lat": (-90, 90), "center_lat": (-90, 90), "lon": (-180, 180), "center_lon": (-180, 180)}
SET_BASED_ROWS = 100_000  # a Parquet file this long (with a staging folder) is checked set-based (canonical_sql)
FORMATS = DATE_FORMATS + ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")  # dates saved with a midnight time

# Date bounds. No series Tideline holds starts before 1900 (small boats 2018, IOM 2014, Frontex 2009), and
# an earlier date is a typo or a spreadsheet's zero date (1899-12-30/31): EARLIEST catches both.
EARLIEST = date(1900, 1, 1)
# What happened (a crossing, an incident, an operation's start) is not in the future: today plus the slack
# the Home Office importer allows (a week ends up to six days after the day it is reported).
OBSERVED_SLACK_DAYS = {
    ("crossings_daily", "date"): 0,
    ("preventions_weekly", "week_ending"): 6,
    ("incidents", "date"): 0,
    ("route_flows", "month"): 0,
    ("operations", "start_date"): 0,
    # the first day of a quarter that has begun: never after today, however little of the quarter has passed
    ("irregular_arrivals", "quarter_start"): 0,
    ("small_boat_asylum", "quarter_start"): 0,
}
# Plans may look ahead (funding and staffing months, an operation's planned end), but not beyond a spending
# horizon: ten years is well past any published plan (the demo's run to March 2029) and still catches
# placeholders such as 9999-12-31.
PLAN_HORIZON_YEARS = 10

# Table -> (date column, count column) for the import summary; tables without dates have none.
TOTALS = {
    "crossings_daily": ("date", "people"),
    "preventions_weekly": ("week_ending", "people_prevented"),
    "incidents": ("date", "dead_and_missing"),
    "route_flows": ("month", "detections"),
    "operations": ("start_date", "arrests"),
    "funding": ("financial_year", "allocated_gbp"),
    "staffing": ("month", "planned_headcount"),
    "irregular_arrivals": ("quarter_start", "detections"),
    "small_boat_asylum": ("quarter_start", "applications"),
}


@dataclass
class _File:
    """A file's columns (lower case) and records as (row number, {column: raw value})."""

    columns: list[str]
    records: list[tuple[int, dict]]
    derived: tuple[str, ...] = ()  # columns a GeoJSON file gives through its geometries (lat, lon, path)
    sheet: str | None = None
    unit: str = "line"  # what a row number counts: line (CSV), row (XLSX sheet), record, feature
    layer: str | None = None  # a spatial file's layer (GeoPackage, KML folder, File Geodatabase feature class)


@dataclass(frozen=True)
class _Unreadable:
    """A Parquet value Python cannot hold (a date32 in year 10000): rejected with its row, not a crash."""

    reason: str
    raw: str


class _BadCell(Exception):
    def __init__(self, column: str, reason: str, value: object) -> None:
        super().__init__(reason)
        self.column, self.reason, self.value = column, reason, value


def detect(path: Path) -> bool:
    """True when the file's columns hold the required columns of exactly one canonical table."""
    try:
        table_for(path)
        return True
    except Exception:  # detect must never raise: any unreadable or unmatched file is not this format
        return False


def table_for(path: Path) -> str:
    """The canonical table the file's columns match; StructuralError when none or several do."""
    path = Path(path)
    return _choose(path, set(_header(path, _kind(path))))


def read(
    path: Path,
    *,
    regions: pd.DataFrame | None = None,
    progress: Progress = no_progress,
    table: str | None = None,
    staging: Path | None = None,
    set_based: bool | None = None,
) -> ImportResult:
    """Read the file as its canonical table (or `table`), rejecting rows whose values do not fit the schema.

    With a `staging` folder, a Parquet file of SET_BASED_ROWS rows or more (or any, with set_based=True) is
    checked set-based by DuckDB and its rows staged on disk there (canonical_sql); the same rules, the same
    rejections, in bounded memory."""
    del regions  # part of the importer contract; canonical rows already name their own region
    path = Path(path)
    kind = _kind(path)
    progress(f"Reading {path.name}", 0.0)
    if kind == "parquet" and staging is not None and set_based is not False:
        import pyarrow.parquet as pq

        chosen = _table(path, set(_header(path, kind)), table)
        try:
            big = pq.ParquetFile(path).metadata.num_rows >= SET_BASED_ROWS
        except Exception as exc:
            raise StructuralError(f"{path.name}: not a readable Parquet file ({exc})") from exc
        file_columns = _header(path, kind)
        if (set_based or big) and chosen not in NAMED_NATIONALITY and canonical_sql.supports(chosen, file_columns):
            return _read_set_based(path, chosen, progress, staging)
    if kind == "spatial":
        return _read_spatial(path, table, progress)
    data = _load(path, kind)
    table, out, rejected, notes = _checked(path, data, table, progress)
    source = _source(path, sorted(set(out["source"])), notes)
    progress(f"Read {path.name}", 1.0)
    return ImportResult(
        format=NAME,
        source=source,
        tables={table: out},
        rows_read=len(data.records),
        rejected=rejected,
        notes=notes,
        totals_by_year=_totals(table, out),
    )


def _checked(
    path: Path, data: _File, table: str | None, progress: Progress
) -> tuple[str, pd.DataFrame, list[Rejection], list[str]]:
    """The file's (or layer's) records checked against their table: (table, accepted rows, rejections, notes)."""
    found = set(data.columns) | set(data.derived)
    table = _table(path, found, table, data.columns)
    if not data.records:
        where = f", layer {data.layer}" if data.layer else ""
        raise StructuralError(f"{path.name}{where}: the header has no data rows under it")

    spec = schema.TABLES[table]
    bounds = _date_bounds(table, date.today())
    key = schema.KEYS[table]
    first: dict[tuple, int] = {}  # an accepted row's key -> its row number, to name the first of a duplicate
    rows, rejected = [], []
    total = len(data.records)
    unit = data.unit if data.unit in ("record", "feature") else None
    for i, (number, record) in enumerate(data.records):
        if i % 5000 == 0:
            progress(f"Checking rows of {path.name}", i / total)
        try:
            row = _row(table, spec, record, bounds)
            seen = tuple(row[c] for c in key)
            if seen in first:
                # only accepted rows claim a key, so a bad first copy does not block a good second one
                raise _BadCell(
                    ", ".join(key),
                    f"duplicate of {data.unit} {first[seen]} (same {_and(key)})",
                    ", ".join(str(v) for v in seen),
                )
        except _BadCell as bad:
            value = None if bad.value is None else str(bad.value)[:80]
            rejected.append(
                Rejection(
                    path.name,
                    number,
                    bad.column,
                    bad.reason,
                    sheet=data.sheet,
                    value=value,
                    unit=unit,
                    layer=data.layer,
                )
            )
            continue
        first[seen] = number
        rows.append(row)

    out = _frame(spec, rows)
    notes = _column_notes(table, data.columns, found)
    if table in NAMED_NATIONALITY:
        unknown = Counter(v for v in out["nationality"] if nationality.resolve(v) is None)
        if unknown:
            listed = ", ".join(f"{label!r} ({k} row{'s' * (k != 1)})" for label, k in sorted(unknown.items()))
            total = sum(unknown.values())
            notes.append(f"unknown nationality labels kept as-is: {listed}; {total} row{'s' * (total != 1)}")
    return table, out, rejected, notes


def _table(path: Path, found: set[str], table: str | None, columns: Iterable[str] | None = None) -> str:
    """The table the file is read as: the one its columns match, or the one given (which must be known and whose
    required columns the file must have)."""
    if table is None:
        return _choose(path, found)
    if table not in schema.TABLES:
        raise StructuralError(f"{path.name}: {table!r} is not a canonical table (known: {', '.join(schema.TABLES)})")
    missing = [c for c in _required(table) if c not in found]
    if missing:
        listed = ", ".join(columns if columns is not None else sorted(found))
        raise StructuralError(f"{path.name}: table {table} needs column(s) {', '.join(missing)} (found: {listed})")
    return table


def _column_notes(table: str, columns: Iterable[str], found: set[str]) -> list[str]:
    """What the import report says about the file's columns: ignored, provenance, absent."""
    names = {c.name for c in schema.TABLES[table]}
    notes = []
    extra = [c for c in columns if c not in names and c not in PROVENANCE]
    if extra:
        notes.append(f"columns not in table {table} ignored: {', '.join(extra)}")
    if found & PROVENANCE:
        notes.append("provenance columns ignored: the store stamps its own")
    absent = [c.name for c in schema.TABLES[table] if c.name not in found]
    if absent:
        notes.append(f"columns absent from the file, left NULL: {', '.join(absent)}")
    return notes


def _source(path: Path, sources: list[str], notes: list[str]) -> str:
    """The import's source: the one its rows name, or (several series in one file) the file's name, noted."""
    if len(sources) == 1:
        return sources[0]
    if sources:
        notes.append(
            f"rows name {len(sources)} sources ({'; '.join(sources[:5])}"
            f"{'; …' if len(sources) > 5 else ''}); the import is labelled {path.name!r}"
        )
    return path.name


def _read_set_based(path: Path, table: str, progress: Progress, staging: Path) -> ImportResult:
    """A Parquet file checked by DuckDB (canonical_sql), its accepted rows staged on disk in `staging`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    file_names = pq.read_schema(path).names
    columns = _names(file_names, path)
    spec = schema.TABLES[table]
    folder = staging / uuid.uuid4().hex
    given = dict(zip(columns, file_names, strict=True))
    check = canonical_sql.Check(path, table, folder, {c.name: given[c.name] for c in spec if c.name in given})
    try:
        progress(f"Checking the rows of {path.name}", 0.05)
        bounds = _date_bounds(table, date.today())
        allowed = {c: v for (t, c), v in ALLOWED.items() if t == table}
        total = check.stage(canonical_sql.Rules(bounds=bounds, allowed=allowed, ranges=RANGES))
        if total == 0:
            raise StructuralError(f"{path.name}: the header has no data rows under it")
        slow = check.unvouched()
        rejected: list[Rejection] = []
        for numbers, raw in check.raw_batches(slow):  # batch by batch: memory stays bounded however many
            progress(f"Checking rows of {path.name} one by one", 0.1 + 0.6 * numbers[0] / total)
            values = [_parquet_values(raw.column(i)) for i in range(raw.num_columns)]
            rows: list[dict] = []
            for number, record in zip(numbers, zip(*values, strict=True), strict=True):
                try:
                    rows.append({"_n": number, **_row(table, spec, dict(zip(columns, record, strict=True)), bounds)})
                except _BadCell as bad:
                    value = None if bad.value is None else str(bad.value)[:80]
                    rejected.append(Rejection(path.name, number, bad.column, bad.reason, value=value, unit="record"))
            if rows:
                frame = _frame(spec, rows).assign(_n=[r["_n"] for r in rows])
                check.add_accepted(pa.Table.from_pandas(frame, preserve_index=False))
        progress(f"Looking for repeated keys in {path.name}", 0.8)
        key = schema.KEYS[table]
        for number, first, seen in check.duplicates(key):
            rejected.append(
                Rejection(
                    path.name,
                    number,
                    ", ".join(key),
                    f"duplicate of record {first} (same {_and(key)})",
                    value=seen[:80],
                    unit="record",
                )
            )
        rejected.sort(key=lambda r: r.row or 0)
        kept = check.finish()
        clustered = check.clustered(schema.CLUSTER_BY[table])
        notes = _column_notes(table, columns, set(columns))
        sources = [r[0] for r in check.query(f"SELECT DISTINCT source FROM {canonical_sql.TABLE} ORDER BY 1")]
        source = _source(path, sources, notes)
        totals = None
        if table in TOTALS:
            when, count = TOTALS[table]
            sums = {
                int(y): (None if v is None else int(v))
                for y, v in check.query(canonical_sql.year_totals_sql(table, when, count))
            }
            totals = _year_frame(count, sums)
    except BaseException:
        check.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    check.close()
    progress(f"Read {path.name}", 1.0)
    return ImportResult(
        format=NAME,
        source=source,
        tables={table: Staged(check.database, table, kept, clustered=clustered)},
        rows_read=total,
        rejected=rejected,
        notes=notes,
        totals_by_year=totals,
    )


def _and(names: tuple[str, ...]) -> str:
    """'date and route', 'month, route and nationality'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _date_bounds(table: str, today: date) -> dict[str, tuple[date, date, str]]:
    """Each DATE column's earliest and latest plausible value, and what a later one is called."""
    out = {}
    for col in schema.TABLES[table]:
        if col.type != "DATE":
            continue
        slack = OBSERVED_SLACK_DAYS.get((table, col.name))
        if slack is not None:
            out[col.name] = (EARLIEST, today + timedelta(days=slack), "is in the future")
        else:
            horizon = today.replace(year=today.year + PLAN_HORIZON_YEARS, day=min(today.day, 28))
            out[col.name] = (EARLIEST, horizon, f"is more than {PLAN_HORIZON_YEARS} years ahead")
    return out


# -- which table ------------------------------------------------------------------------------


def _required(table: str) -> list[str]:
    return [c.name for c in schema.TABLES[table] if not c.nullable]


def _choose(path: Path, found: set[str]) -> str:
    """The one table whose required columns are all in `found`; StructuralError otherwise."""
    fits = [t for t in schema.TABLES if set(_required(t)) <= found]
    # regions needs only region and source, which every routes/incidents/operations file has too:
    # a match whose required columns are a strict subset of another match's is not the file's table
    fits = [t for t in fits if not any(set(_required(t)) < set(_required(u)) for u in fits)]
    if len(fits) == 1:
        return fits[0]
    if fits:
        raise StructuralError(
            f"{path.name}: the columns match more than one canonical table "
            f"({', '.join(fits)}); choose the table explicitly"
        )
    closest = max(
        schema.TABLES, key=lambda t: (len(found & {c.name for c in schema.TABLES[t]}), -len(set(_required(t)) - found))
    )
    missing = [c for c in _required(closest) if c not in found]
    raise StructuralError(
        f"{path.name}: the columns match no canonical table; closest is {closest}, "
        f"missing required column(s) {', '.join(missing)} (found: {', '.join(sorted(found))})"
    )


# -- reading each format ----------------------------------------------------------------------


def _kind(path: Path) -> str:
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise StructuralError(
            f"{path.name}: not a CSV, XLSX, Parquet, GeoJSON, GeoPackage, FlatGeobuf, KML or zipped Shapefile/File "
            "Geodatabase file (by its extension)"
        )
    return kind


def _names(header: Iterable[object], path: Path) -> list[str]:
    """Header cells as lower-case column names; StructuralError when two cells name the same column."""
    names = ["" if h is None else str(h).strip().lower() for h in header]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise StructuralError(f"{path.name}: column(s) {', '.join(twice)} appear more than once")
    return names


def _header(path: Path, kind: str) -> list[str]:
    """The file's column names, reading as little as the format allows."""
    if kind == "csv":
        return [n for n in _names(csv_header(path), path) if n]
    if kind == "xlsx":
        workbook = _workbook(path)
        try:
            sheet = workbook.worksheets[0]
            first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
            return [n for n in _names(first, path) if n]
        finally:
            workbook.close()
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return _names(pq.read_schema(path).names, path)
        except Exception as exc:
            raise StructuralError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    layer, _ = _spatial_layers(path, None)[0]
    return [n for n in _untruncated(_names(layer.fields, path))[0] if n] + list(layer.derived())


def _load(path: Path, kind: str) -> _File:
    if kind == "csv":
        frame, lines = read_text_csv(path)
        columns = _names(frame.columns, path)
        frame.columns = columns
        records = [
            (line, dict(zip(columns, values, strict=True)))
            for line, values in zip(lines, frame.itertuples(index=False, name=None), strict=True)
        ]
        return _File([c for c in columns if c], records)
    if kind == "xlsx":
        return _load_xlsx(path)
    return _load_parquet(path)


def _workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl errors all mean the same to the analyst
        raise StructuralError(f"{path.name}: not a readable XLSX workbook ({exc})") from exc


def _load_xlsx(path: Path) -> _File:
    workbook = _workbook(path)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong sheet size; read every row there is
        rows = sheet.iter_rows(min_row=1, values_only=True)
        columns = _names(next(rows, ()), path)
        if not any(columns):
            raise StructuralError(f"{path.name}, sheet {sheet.title}: row 1 (the header) is empty")
        records = []
        for number, values in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            records.append((number, {c: v for c, v in zip(columns, values, strict=False) if c}))
        return _File([c for c in columns if c], records, sheet=sheet.title, unit="row")
    finally:
        workbook.close()


def _load_parquet(path: Path) -> _File:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise StructuralError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    columns = _names(table.column_names, path)
    values = [_parquet_values(table.column(i)) for i in range(len(columns))]
    records = [(i + 1, dict(zip(columns, row, strict=True))) for i, row in enumerate(zip(*values, strict=True))]
    return _File(columns, records, unit="record")


def _parquet_values(column) -> list:
    """A Parquet column as Python values; one Python cannot hold (a date beyond year 9999 or before year 1,
    a timestamp out of range) becomes an _Unreadable, rejected with its record rather than ending the read."""
    import pyarrow as pa

    try:
        return column.to_pylist()
    except (OverflowError, ValueError, ArithmeticError):
        pass
    temporal = pa.types.is_temporal(column.type)
    try:  # the stored number (days or ticks since 1970-01-01), to show in the report
        stored = column.cast(pa.int32() if pa.types.is_date32(column.type) else pa.int64()).to_pylist()
    except Exception:  # a type with no integer form: show nothing
        stored = [None] * len(column)
    out: list = []
    for i in range(len(column)):
        try:
            out.append(column[i].as_py())
        except (OverflowError, ValueError, ArithmeticError) as exc:
            reason = (
                f"a {column.type} value outside the dates Python can hold (years 1 to 9999)"
                if temporal
                else f"a {column.type} value that cannot be read ({exc})"
            )
            out.append(_Unreadable(reason, str(stored[i])))
    return out


def _spatial_layers(path: Path, table: str | None) -> list[tuple[spatial.Layer, str | None]]:
    """The layers to read and the table each is (None: chosen by its columns). One layer: that layer. Several:
    those named like a canonical table (a GeoPackage with an incidents and a routes layer), or StructuralError."""
    found = spatial.layers(path)
    if len(found) == 1:
        return [(found[0], table)]
    named = [(layer, layer.name.strip().lower()) for layer in found if layer.name.strip().lower() in schema.TABLES]
    if table is not None:
        named = [(layer, t) for layer, t in named if t == table]
    if not named:
        listed = ", ".join(layer.name for layer in found)
        raise StructuralError(
            f"{path.name}: {len(found)} layers ({listed}) and none is named like a canonical table"
            f"{f' ({table})' if table else ''}: name each layer after its table (incidents, routes, …), or save the "
            "layer to import as a file of its own"
        )
    return [(layer, t) for layer, t in named]


def _load_layer(path: Path, layer: spatial.Layer, named: bool) -> tuple[_File, str | None]:
    """A spatial layer's features as records (geometry as GeoJSON, in WGS84), and the CRS note. `named`: the file
    has several layers, so a rejection names its layer."""
    features = spatial.read(path, layer)
    columns, renamed = _untruncated(_names(features.properties.columns, path))
    records = []
    for number, (values, geometry) in enumerate(
        zip(features.properties.itertuples(index=False, name=None), features.geometries, strict=True), start=1
    ):
        record = dict(zip(columns, values, strict=True))
        record[GEOMETRY] = geometry
        records.append((number, record))
    kinds = {g.get("type") for g in features.geometries if isinstance(g, dict)}
    derived = {c for kind in kinds for c in {"Point": ("lat", "lon"), "LineString": ("path",)}.get(str(kind), ())}
    data = _File([c for c in columns if c], records, derived=tuple(sorted(derived | set(layer.derived()))),
                 unit="feature", layer=layer.name if named else None)  # fmt: skip
    note = features.crs_note
    if renamed:
        cut = ", ".join(f"{a} → {b}" for a, b in renamed)
        note = "; ".join(x for x in (note, f"field names cut to 10 characters (a Shapefile's) read as: {cut}") if x)
    return data, note


SHAPEFILE_NAME = 10  # characters a Shapefile's (dBASE) field name keeps
CANONICAL_COLUMNS = sorted({c.name for spec in schema.TABLES.values() for c in spec})


def _untruncated(columns: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Field names a Shapefile cut to 10 characters, given back their canonical names where exactly one canonical
    column starts so (incident_t → incident_type); others as they are. Returns the names and what was renamed."""
    out, renamed = [], []
    for name in columns:
        matches = [c for c in CANONICAL_COLUMNS if len(name) == SHAPEFILE_NAME and c != name and c.startswith(name)]
        if len(matches) == 1 and name not in CANONICAL_COLUMNS and matches[0] not in columns:
            out.append(matches[0])
            renamed.append((name, matches[0]))
        else:
            out.append(name)
    return out, renamed


def _read_spatial(path: Path, table: str | None, progress: Progress) -> ImportResult:
    """A spatial file: each layer read (reprojected to WGS84) and checked as its table; several tables from a
    GeoPackage with a layer per table land in one version."""
    chosen = _spatial_layers(path, table)
    several = len(chosen) > 1
    tables: dict[str, pd.DataFrame] = {}
    rejected: list[Rejection] = []
    notes: list[str] = []
    taken = {layer.name for layer, _ in chosen}
    ignored = [layer.name for layer in spatial.layers(path) if layer.name not in taken]
    if ignored:
        notes.append(f"layers not named like a canonical table ignored: {', '.join(ignored)}")
    rows_read = 0
    for layer, wanted in chosen:
        progress(f"Reading {path.name}, layer {layer.name}", 0.0)
        data, crs_note = _load_layer(path, layer, several)
        name, out, bad, layer_notes = _checked(path, data, wanted, progress)
        if name in tables:
            raise StructuralError(f"{path.name}: two layers are both table {name}; keep one")
        tables[name] = out
        rejected += bad
        rows_read += len(data.records)
        for note in ([crs_note] if crs_note else []) + layer_notes:
            notes.append(f"layer {layer.name}: {note}" if several else note)
    sources = sorted({str(v) for out in tables.values() for v in out["source"].dropna()})
    source = _source(path, sources, notes)
    main = next((t for t in TOTALS if t in tables), None)
    progress(f"Read {path.name}", 1.0)
    return ImportResult(
        format=NAME,
        source=source,
        tables=tables,
        rows_read=rows_read,
        rejected=rejected,
        notes=notes,
        totals_by_year=None if main is None else _totals(main, tables[main]),
    )


# -- one row ----------------------------------------------------------------------------------


def _row(table: str, spec: tuple[schema.Column, ...], record: dict, bounds: dict[str, tuple[date, date, str]]) -> dict:
    """The record as canonical values; _BadCell for the first value that does not fit."""
    record = _with_geometry(table, spec, record)
    out = {}
    for col in spec:
        raw = record.get(col.name)
        if isinstance(raw, _Unreadable):
            raise _BadCell(col.name, raw.reason, raw.raw)
        try:
            value = _value(table, col, raw)
            if col.name in bounds and isinstance(value, date):
                earliest, latest, later = bounds[col.name]
                if value < earliest:
                    raise ValueError(f"{col.name} {value.isoformat()} is before {earliest.isoformat()}")
                if value > latest:
                    raise ValueError(f"{col.name} {value.isoformat()} {later}")
        except ValueError as exc:
            raise _BadCell(col.name, str(exc), raw) from None
        if value is None and not col.nullable:
            raise _BadCell(col.name, f"{col.name} is required but empty", raw)
        out[col.name] = value
    return out


def _with_geometry(table: str, spec: tuple[schema.Column, ...], record: dict) -> dict:
    """A GeoJSON record with its geometry as lat/lon (Point) or path (LineString), as the table takes."""
    if GEOMETRY not in record or record[GEOMETRY] is None:
        return record
    names = {c.name for c in spec}
    wanted = "LineString" if "path" in names else "Point" if "lat" in names else None
    if wanted is None:
        return record  # the table has no place for a geometry
    geometry = record[GEOMETRY]
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if isinstance(geometry, dict) and geometry.get("problem"):  # empty or invalid: said by the reader
        raise _BadCell("geometry", str(geometry["problem"]), kind)
    if kind != wanted:
        raise _BadCell("geometry", f"a {kind or 'malformed'} geometry where {table} takes a {wanted}", kind)
    coords = geometry.get("coordinates")
    record = dict(record)
    if wanted == "Point":
        if not isinstance(coords, list) or len(coords) < 2:
            raise _BadCell("geometry", "a Point without [lon, lat] coordinates", coords)
        record["lon"], record["lat"] = coords[0], coords[1]
    else:
        record["path"] = coords
    return record


def _value(table: str, col: schema.Column, raw: object) -> object:
    """One raw cell as its canonical value (None for blank); ValueError says why it does not fit."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = col.type
    value: object
    if kind == "DATE":
        value = _date(col.name, raw)
    elif kind in COUNT_MAX:
        # None for a not-available marker ('n/a', '-'): stored as NULL, never 0
        value = parse_count(raw, COUNT_MAX[kind])
    elif kind == "DOUBLE":
        if col.name in RANGES:
            value = parse_coordinate(raw, *RANGES[col.name], col.name)
        else:
            value = _number(raw, col.name)
    elif kind == "VARCHAR[]":
        value = _json(raw, col.name)
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ValueError(f"{col.name} is not a list of text labels")
    elif kind == "DOUBLE[][]":
        value = _path(_json(raw, col.name), col.name)
    else:
        value = _text(raw)
    return _check(table, col.name, value)


def _date(name: str, raw: object) -> date:
    if name == "month" and isinstance(raw, str) and YEAR_MONTH.match(raw.strip()):
        raw = raw.strip() + "-01"  # a month column may say just YYYY-MM
    if name == "quarter_start" and isinstance(raw, str):
        m = YEAR_QUARTER.match(" ".join(raw.split()))
        if m:
            return date(int(m[1]), 3 * int(m[2]) - 2, 1)
    value = parse_date(raw, FORMATS)
    if name == "month" and value.day != 1:
        raise ValueError(f"month {value.isoformat()} is not the first day of a month")
    if name == "quarter_start" and (value.day != 1 or value.month not in (1, 4, 7, 10)):
        raise ValueError(
            f"quarter_start {value.isoformat()} is not the first day of a quarter "
            "(1 January, 1 April, 1 July or 1 October)"
        )
    return value


def _number(raw: object, name: str) -> float:
    try:
        value = float(str(raw).strip()) if not isinstance(raw, bool) else math.nan
    except ValueError:
        raise ValueError(f"{name} is not a number: {str(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} is not a finite number: {str(raw)[:40]!r}")
    return value


def _json(raw: object, name: str) -> object:
    """A list cell: native in Parquet and GeoJSON, JSON text in CSV and XLSX."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError(f"{name} is not a JSON list: {raw[:40]!r}") from None


def _path(value: object, name: str) -> list[list[float]]:
    """Ordered [lon, lat] waypoints, at least two."""
    if not isinstance(value, list) or len(value) < 2:
        raise ValueError(f"{name} needs at least two [lon, lat] waypoints")
    points = []
    for point in value:
        if (
            not isinstance(point, list | tuple)
            or len(point) < 2
            or any(isinstance(x, bool) or not isinstance(x, int | float) for x in point[:2])
        ):
            raise ValueError(f"{name} waypoint {str(point)[:40]} is not [lon, lat]")
        points.append(
            [parse_coordinate(point[0], -180, 180, "longitude"), parse_coordinate(point[1], -90, 90, "latitude")]
        )
    return points


def _text(raw: object) -> str | None:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a spreadsheet stores an id like 1001 as 1001.0
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    # without bidi controls, as the store keeps text: two keys that differ only by one are the same key
    return text(str(raw)).strip() or None


def _check(table: str, name: str, value: object) -> object:
    """Values the pages rely on beyond their type: enumerations, ISO-3 codes, financial years."""
    if value is None:
        return None
    allowed = ALLOWED.get((table, name))
    if allowed and value not in allowed:
        raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
    # Both columns below are VARCHAR, so a value that reaches here is text.
    if name == "nationality" and table in NAMED_NATIONALITY and isinstance(value, str):
        return nationality.name_of(value) or value  # Tideline's name for a known one; an unknown one kept, noted
    if name == "nationality" and isinstance(value, str) and not (value == "UNK" or ISO3.match(value)):
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-3 code or 'UNK'")
    if name == "financial_year" and isinstance(value, str):
        m = FINANCIAL_YEAR.match(value)
        if not m or (int(m[1]) + 1) % 100 != int(m[2]):
            raise ValueError(f"{value!r} is not a financial year written like '2024-25'")
    return value


# -- the result -------------------------------------------------------------------------------


def _frame(spec: tuple[schema.Column, ...], rows: list[dict]) -> pd.DataFrame:
    """Rows as a frame in schema column order: nullable Int64/Float64 numbers, None (never NaN) elsewhere."""
    frame = pd.DataFrame({c.name: pd.Series([r[c.name] for r in rows], dtype=object) for c in spec})
    for col in spec:
        if col.type in COUNT_MAX:
            frame[col.name] = frame[col.name].astype("Int64")
        elif col.type == "DOUBLE":
            frame[col.name] = frame[col.name].astype("Float64")
    return frame


def _totals(table: str, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The table's main count by year: calendar year, or financial year start for funding."""
    if table not in TOTALS:
        return None
    when, count = TOTALS[table]
    if table == "funding":
        years = pd.Series([int(fy[:4]) for fy in frame[when]], index=frame.index, dtype="int64")
    else:
        years = pd.Series([d.year for d in frame[when]], index=frame.index, dtype="int64")
    if count == "dead_and_missing":
        values = (frame["dead"].fillna(0) + frame["missing"].fillna(0)).mask(
            frame["dead"].isna() & frame["missing"].isna()
        )
    else:
        values = frame[count]
    if table == "staffing":
        # headcount is a stock, not a flow: a year's figure is its last month's, not the sum of its months
        keep = frame["month"] == frame["month"].groupby(years).transform("max")
        values, years = values[keep], years[keep]
    # Summed as Python integers: a year of a BIGINT column can pass what int64 holds, where pandas would
    # wrap round to a negative total. Such a year is shown as a (rounded) float rather than wrong.
    sums: dict[int, int | None] = {}
    for year, value in zip(years, values, strict=True):
        sums.setdefault(int(year), None)
        if not pd.isna(value):
            sums[int(year)] = (sums[int(year)] or 0) + int(value)
    return _year_frame(count, sums)


def _year_frame(count: str, sums: dict[int, int | None]) -> pd.DataFrame:
    """Totals by year as the import summary shows them: Int64, or Float64 when a year passes BIGINT."""
    ordered = sorted(sums)
    column = [sums[y] for y in ordered]
    fits = all(v is None or v <= COUNT_MAX["BIGINT"] for v in column)
    return pd.DataFrame(
        {
            "year": pd.Series(ordered, dtype="int64"),
            count: pd.Series(column if fits else [None if v is None else float(v) for v in column]).astype(
                "Int64" if fits else "Float64"
            ),
        }
    )
