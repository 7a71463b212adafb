"""Where the named queries run: DuckDB in process (the default) or Apache Spark through Spark Connect.

An engine hands out a connection-like object for one data version that every function of dashboard.queries
accepts unchanged (`.cursor().execute(sql, params).df()` / `.fetchone()`). Also here: the registry of named
queries with the arguments to call them with, the recorder that collects the SQL they run (for the start-up
translation check), and the comparison that proves an engine's results equal to DuckDB's."""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .. import queries, schema, settings
from ..filters import FilterOptions, FilterState
from ..store import Store
from . import translate
from .translate import OVERRIDES, Override, Statement, TranslationError, to_spark

__all__ = [
    "NAMED_QUERIES",
    "DuckDBEngine",
    "Engine",
    "EngineError",
    "NamedQuery",
    "Outcome",
    "RecordingConnection",
    "SparkEngine",
    "Statement",
    "TranslationError",
    "check_translations",
    "compare_engines",
    "difference",
    "engine_from_env",
    "query_functions",
    "record_named_queries",
    "rows_of",
    "sample_states",
    "to_spark",
]

ENGINE_ENV = "TIDELINE_ENGINE"
BASE_URI_ENV = "TIDELINE_SPARK_BASE_URI"


class EngineError(Exception):
    """An engine that cannot be configured or reached; the message says why."""


# -- engines ----------------------------------------------------------------------------------------
class Engine(Protocol):
    name: str

    def connect(self, store: Store, version_id: int | None = None) -> Any:
        """A connection-like object holding one data version (None = current) for dashboard.queries."""

    def close(self) -> None:
        """Release what the engine holds."""


class DuckDBEngine:
    """The default: the store's own in-process DuckDB connection."""

    name = "duckdb"

    def connect(self, store: Store, version_id: int | None = None) -> Any:
        return store.connect(version_id)

    def close(self) -> None:
        pass


class SparkEngine:
    """Spark Connect at `url` (sc://host:port); each connection is its own Spark session, so the temp views of
    two data versions never meet. The named queries' translations are checked when the engine is made."""

    def __init__(self, url: str, base_uri: str | None = None, *, check: bool = True) -> None:
        self.name = url
        self.url = url
        self.base_uri = base_uri if base_uri is not None else (os.environ.get(BASE_URI_ENV, "").strip() or None)
        if check:
            check_translations()  # fail loudly at start-up, not on the first page that runs the query

    def connect(self, store: Store, version_id: int | None = None) -> Any:
        from .spark import SparkConnection, new_session  # pyspark is optional: only this engine needs it

        return SparkConnection(new_session(self.url), store, version_id, base_uri=self.base_uri, owns_session=True)

    def close(self) -> None:
        pass


def spark_url(value: str) -> str | None:
    """The value when it is a Spark Connect URL (sc://host:port[/;params]), else None."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    return value if parts.scheme == "sc" and parts.hostname and port else None


def engine_from_env(environ: Mapping[str, str] | None = None, *, check: bool = True) -> Engine:
    """The engine $TIDELINE_ENGINE names: unset or 'duckdb' → DuckDB; 'sc://host:port' → Spark Connect."""
    env = os.environ if environ is None else environ
    value = env.get(ENGINE_ENV, "").strip()
    if value.lower() in ("", "duckdb"):
        return DuckDBEngine()
    if spark_url(value):
        base = env.get(BASE_URI_ENV, "").strip() or None
        return SparkEngine(value, base, check=check)
    raise EngineError(
        f"{ENGINE_ENV}={value[:80]!r} is not an engine: use 'duckdb' (the default) or a Spark Connect URL "
        "such as sc://spark-host:15002"
    )


# -- the named queries --------------------------------------------------------------------------------
Call = Callable[[Any, FilterState], object]


@dataclass(frozen=True)
class NamedQuery:
    """One way of calling a function of dashboard.queries: `name` is the function's name, with ':variant' for a
    second set of arguments; `filtered` when the result depends on the filter state; `ordered` when the rows come
    in a meaningful order (compared as they come) rather than in any order (compared sorted). `rows`, for a query
    with a row per incident that the app runs only on a bounded set (the map's points, the map's file export): its
    row count, so a comparison can decline to collect millions of rows from an engine."""

    name: str
    call: Call
    filtered: bool = True
    ordered: bool = True
    rows: Callable[[Any, FilterState], int] | None = None

    @property
    def function(self) -> str:
        return self.name.split(":")[0]


def _first(con: Any, sql: str) -> object:
    """One value from a helper statement (run through the same connection, so also through the translation)."""
    row = con.cursor().execute(sql, {}).fetchone()
    return None if row is None else row[0]


# What the pages call each query with (the page scripts); every SQL branch of each function is reached by one
# entry. map_incidents:cells passes max_points=-1: every count is above it, so the grid path runs.
NAMED_QUERIES: tuple[NamedQuery, ...] = (
    NamedQuery("filter_options", lambda con, s: queries.filter_options(con, (1,), 1), filtered=False),
    NamedQuery("data_range", lambda con, s: queries.data_range(con), filtered=False),
    NamedQuery("table_as_of", lambda con, s: queries.table_as_of(con), filtered=False, ordered=False),
    NamedQuery("sources", lambda con, s: queries.sources(con), filtered=False),
    NamedQuery("provenance", lambda con, s: queries.provenance(con), filtered=False),
    NamedQuery("is_synthetic", lambda con, s: queries.is_synthetic(con), filtered=False),
    NamedQuery(
        "source_text",
        lambda con, s: queries.source_text(con, False, {t: "" for t in schema.DATA_TABLES}),
        filtered=False,
    ),
    NamedQuery("kpis", lambda con, s: queries.kpis(con, s)),
    NamedQuery("crossings_series", lambda con, s: queries.crossings_series(con, s, "week")),
    NamedQuery("crossings_series:month", lambda con, s: queries.crossings_series(con, s, "month")),
    NamedQuery("weekly_trend", lambda con, s: queries.weekly_trend(con, s)),
    NamedQuery("by_route", lambda con, s: queries.by_route(con, s)),
    NamedQuery("incident_count", lambda con, s: queries.incident_count(con, s)),
    NamedQuery("unplaced_count", lambda con, s: queries.unplaced_count(con, s)),
    NamedQuery(
        "incident_group",
        lambda con, s: queries.incident_group(
            con, str(_first(con, "SELECT min(incident_id) FROM incidents WHERE group_id IS NOT NULL"))
        ),
        filtered=False,
    ),
    NamedQuery("map_points", lambda con, s: queries.map_points(con, s), rows=queries.incident_count),
    NamedQuery(
        "incidents_for_export", lambda con, s: queries.incidents_for_export(con, s), rows=queries.incident_count
    ),
    NamedQuery("map_cells", lambda con, s: queries.map_cells(con, s)),
    NamedQuery("map_incidents", lambda con, s: queries.map_incidents(con, s, 4000)),
    NamedQuery("map_incidents:cells", lambda con, s: queries.map_incidents(con, s, -1)),
    NamedQuery("routes_with_flows", lambda con, s: queries.routes_with_flows(con, s)),
    NamedQuery("operations", lambda con, s: queries.operations(con, s)),
    NamedQuery(
        "operation_incidents",
        lambda con, s: queries.operation_incidents(
            con, s, str(_first(con, "SELECT min(operation_id) FROM operations"))
        ),
    ),
    NamedQuery("funding_by_year", lambda con, s: queries.funding_by_year(con), filtered=False),
    NamedQuery("funding_burnup", lambda con, s: queries.funding_burnup(con), filtered=False),
    NamedQuery("funding_burnup:programme", lambda con, s: queries.funding_burnup(con, queries.BSC), filtered=False),
    NamedQuery("staffing_series", lambda con, s: queries.staffing_series(con), filtered=False),
    NamedQuery("staffing_by_unit", lambda con, s: queries.staffing_by_unit(con, s.end)),
    NamedQuery("spend_and_outcomes", lambda con, s: queries.spend_and_outcomes(con, s)),
    NamedQuery("arrivals_by_method", lambda con, s: queries.arrivals_by_method(con, s)),
    NamedQuery("arrivals_top_nationalities", lambda con, s: queries.arrivals_top_nationalities(con, s)),
    NamedQuery("arrivals_by_sex_age", lambda con, s: queries.arrivals_by_sex_age(con, s)),
    NamedQuery("arrivals_by_sex_age:method", lambda con, s: queries.arrivals_by_sex_age(con, s, queries.SMALL_BOATS)),
    NamedQuery("asylum_against_arrivals", lambda con, s: queries.asylum_against_arrivals(con, s)),
    NamedQuery("frontex_nationalities", lambda con, s: queries.frontex_nationalities(con, s)),
)


def query_functions() -> set[str]:
    """Every public function of dashboard.queries whose first parameter is `con`: the named queries."""
    import inspect

    found = set()
    for name, fn in vars(queries).items():
        if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != queries.__name__:
            continue
        params = list(inspect.signature(fn).parameters)
        if params and params[0] == "con":
            found.add(name)
    return found


# Filter states that reach every WHERE-fragment shape FilterState.where() builds: none, and every filter at once.
RECORD_STATES = (
    FilterState(period=(date(2025, 1, 1), date(2025, 3, 31))),
    FilterState(
        period=(date(2025, 1, 1), date(2025, 3, 31)),
        region=("UK & Channel", "Mediterranean"),
        route=("English Channel",),
        type=("arrival", "rescue"),
        nationality=("Albania", "Iran"),
    ),
)


class _RecordingCursor:
    def __init__(self, owner: RecordingConnection) -> None:
        self.owner = owner

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> Any:
        values = dict(params or {})
        self.owner.statements.append(Statement(self.owner.query, sql, values))
        return self.owner.con.cursor().execute(sql, values)


class RecordingConnection:
    """Wraps a connection: every statement run through it is recorded under the current query name."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.query = "?"
        self.statements: list[Statement] = []

    def cursor(self) -> _RecordingCursor:
        return _RecordingCursor(self)


def record_named_queries(states: Sequence[FilterState] = RECORD_STATES) -> list[Statement]:
    """Every statement the named queries run, recorded on an empty DuckDB store (empty tables take every branch
    that has SQL in it: the empty-data source line, both tiers of the data range, the map grid)."""
    with tempfile.TemporaryDirectory(prefix="tideline-engine-") as tmp:
        store = Store(Path(tmp) / "store")
        store.commit({}, source_name="engine check")
        con = store.connect()
        try:
            rec = RecordingConnection(con)
            for state in states:
                for q in NAMED_QUERIES:
                    if q.filtered or state is states[0]:
                        rec.query = q.name
                        q.call(rec, state)
            return rec.statements
        finally:
            con.close()


def check_translations(
    statements: Sequence[Statement] | None = None, overrides: Sequence[Override] = OVERRIDES
) -> list[Statement]:
    """The start-up check: every statement of every named query (recorded on an empty DuckDB store when not given)
    translated; a TranslationError naming the query that has neither a correct translation nor an override."""
    return translate.check_translations(record_named_queries() if statements is None else statements, overrides)


def sample_states(options: FilterOptions, con: Any = None) -> dict[str, FilterState]:
    """The filter states results are compared on: all the data, one region, one route, the last full month. With a
    connection, the region with the most incidents and the route with the most arrivals (so neither compares empty
    results), else the first region and the last route."""
    region, route = options.regions[:1], options.routes[-1:]
    if con is not None:
        busiest = _first(con, "SELECT region FROM incidents GROUP BY region ORDER BY count(*) DESC, region LIMIT 1")
        region = (str(busiest),) if busiest is not None else region
        busiest = _first(con, "SELECT route FROM crossings_daily GROUP BY route ORDER BY count(*) DESC, route LIMIT 1")
        route = (str(busiest),) if busiest is not None else route
    everything = FilterState(period=(options.data_start, options.data_end), version=options.current_version)
    return {
        "all": everything,
        "region": replace(everything, region=region),
        "route": replace(everything, route=route),
        "period": replace(everything, period=options.quick_period("last-month")),
    }


# -- proving results equal ------------------------------------------------------------------------------
def canonical(value: object) -> object:
    """A value as plain Python, so the two engines' representations compare: NaN/None/NA/NaT → None, arrays and
    lists → tuples, numpy scalars → Python, timestamps at midnight → dates, integral floats and decimals → int."""
    if isinstance(value, pd.DataFrame):
        return (tuple(value.columns), tuple(tuple(canonical(v) for v in row) for row in value.itertuples(False, None)))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return canonical(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), canonical(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray | list | tuple | pd.Series):
        return tuple(canonical(v) for v in value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp | datetime):
        if pd.isna(value):
            return None
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_convert(None) if stamp.tzinfo else stamp  # an instant: compared in UTC
        return stamp.date() if stamp == stamp.normalize() else stamp.to_pydatetime()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    return value


def _same(a: object, b: object) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if (
        isinstance(a, float | int)
        and isinstance(b, float | int)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)  # float sums may be added up in another order
    return type(a) is type(b) and a == b


def _sort_key(row: tuple[object, ...]) -> tuple[tuple[bool, str, str], ...]:
    return tuple((v is not None, type(v).__name__, f"{v:.9g}" if isinstance(v, float) else str(v)) for v in row)


# Frames longer than this are compared column by column in numpy: canonical() per value costs about a
# microsecond, so a ten-million-row result (incidents_for_export on all the data) took minutes that way.
VECTOR_ROWS = 5_000


@dataclass(frozen=True)
class _Column:
    """One column reduced for a vectorised comparison: its kind, its values (missing ones filled) and which are
    missing. The kinds are the ones canonical() makes of its values: an instant (a date is its midnight),
    a number, a truth value, text."""

    kind: str
    values: np.ndarray
    missing: np.ndarray
    order: np.ndarray | None = None  # text: the values' ranks, to sort on (numpy does not sort objects)


def _reduced(s: pd.Series) -> _Column | None:
    """The column as canonical() would see it, in arrays; None for what only the per-value way compares
    (lists, mixed types, instants outside what nanoseconds hold)."""
    missing = s.isna().to_numpy(dtype=bool)
    dtype = s.dtype
    try:
        if pd.api.types.is_bool_dtype(dtype):
            return _Column("bool", s.to_numpy(dtype=object, na_value=False).astype(bool), missing)
        if pd.api.types.is_datetime64_any_dtype(dtype):
            stamps = s.dt.tz_convert(None) if getattr(dtype, "tz", None) is not None else s
            return _Column("instant", _nanoseconds(stamps), missing)
        if pd.api.types.is_numeric_dtype(dtype):
            return _Column("number", s.astype("Float64").to_numpy(dtype=float, na_value=np.nan), missing)
        inferred = pd.api.types.infer_dtype(s, skipna=True)
        if inferred in ("string", "empty"):
            codes = pd.factorize(s.to_numpy(dtype=object, na_value=""), sort=True)[0]
            return _Column("text", s.to_numpy(dtype=object, na_value=""), missing, codes)
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
            return _Column("number", s.astype(float).to_numpy(dtype=float, na_value=np.nan), missing)
        if inferred in ("date", "datetime", "datetime64"):
            stamps = pd.to_datetime(s, utc=True).dt.tz_convert(None)
            return _Column("instant", _nanoseconds(stamps), missing)
    except (TypeError, ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None
    return None


def _nanoseconds(stamps: pd.Series) -> np.ndarray:
    return stamps.astype("datetime64[ns]").to_numpy().view("int64")


def _equal_values(x: _Column, y: _Column) -> np.ndarray:
    """Per row: the two values are the same as _same() judges them (missing on both sides is the same)."""
    both = x.missing & y.missing
    if x.kind == "number":
        a, b = x.values, y.values
        with np.errstate(invalid="ignore"):
            bounded = np.isfinite(a) & np.isfinite(b)  # math.isclose: an infinity is close only to itself
            close = (a == b) | (bounded & (np.abs(a - b) <= np.maximum(1e-9 * np.maximum(np.abs(a), np.abs(b)), 1e-9)))
        same = close
    else:
        same = x.values == y.values
    return both | (~x.missing & ~y.missing & same)


def _sort_keys(c: _Column) -> list[np.ndarray]:
    """np.lexsort keys that order a column as _sort_key does closely enough: missing first, numbers to nine
    significant digits (sums added up in another order still pair up)."""
    values = c.values
    if c.kind == "number":
        finite = np.isfinite(values) & (values != 0)
        magnitude = np.zeros_like(values)
        magnitude[finite] = np.floor(np.log10(np.abs(values[finite])))
        scale = np.power(10.0, 8 - magnitude)
        with np.errstate(invalid="ignore", over="ignore"):
            values = np.where(finite, np.round(values * scale) / scale, np.nan_to_num(values))
    return [~c.missing, c.order if c.order is not None else values]


class _PerValue(Exception):
    """A column only the per-value comparison handles (lists, mixed types, two kinds)."""


def _vector_difference(a: pd.DataFrame, b: pd.DataFrame, ordered: bool) -> str | None:
    """frame_difference for long frames, in numpy; _PerValue when a column needs the per-value way."""
    columns = []
    for name in a.columns:
        x, y = _reduced(a[name]), _reduced(b[name])
        if x is not None and y is not None and x.missing.all():  # an all-NULL column has no kind of its own
            x = dataclasses.replace(y, missing=x.missing)
        elif x is not None and y is not None and y.missing.all():
            y = dataclasses.replace(x, missing=y.missing)
        if x is None or y is None or x.kind != y.kind:
            raise _PerValue(name)
        columns.append((name, x, y))
    order_a = order_b = None
    if not ordered:  # the same rows in any order: both sorted on every column, first column first
        keys_a = [k for _, x, _ in reversed(columns) for k in reversed(_sort_keys(x))]
        keys_b = [k for _, _, y in reversed(columns) for k in reversed(_sort_keys(y))]
        order_a, order_b = np.lexsort(keys_a), np.lexsort(keys_b)
    first: tuple[int, str] | None = None
    for name, x, y in columns:
        if order_a is not None and order_b is not None:
            x = _Column(x.kind, x.values[order_a], x.missing[order_a])
            y = _Column(y.kind, y.values[order_b], y.missing[order_b])
        unequal = np.flatnonzero(~_equal_values(x, y))
        if unequal.size and (first is None or unequal[0] < first[0]):
            first = (int(unequal[0]), name)
    if first is None:
        return None
    row, name = first
    i = row if order_a is None else int(order_a[row])
    j = row if order_b is None else int(order_b[row])
    return f"row {row} column {name}: {canonical(a[name].iloc[i])!r} vs {canonical(b[name].iloc[j])!r}"


def frame_difference(a: pd.DataFrame, b: pd.DataFrame, ordered: bool = True) -> str | None:
    """None when the frames hold the same values (after canonical()), else the first difference in words."""
    if list(a.columns) != list(b.columns):
        return f"columns {list(a.columns)} vs {list(b.columns)}"
    if len(a) != len(b):
        return f"{len(a)} rows vs {len(b)}"
    if len(a) > VECTOR_ROWS:
        try:
            return _vector_difference(a, b, ordered)
        except _PerValue:
            pass
    rows_a = [tuple(canonical(v) for v in row) for row in a.itertuples(index=False, name=None)]
    rows_b = [tuple(canonical(v) for v in row) for row in b.itertuples(index=False, name=None)]
    if not ordered:
        rows_a, rows_b = sorted(rows_a, key=_sort_key), sorted(rows_b, key=_sort_key)
    for i, (x, y) in enumerate(zip(rows_a, rows_b, strict=True)):
        for column, v, w in zip(a.columns, x, y, strict=True):
            if not _same(v, w):
                return f"row {i} column {column}: {v!r} vs {w!r}"
    return None


def difference(a: object, b: object, ordered: bool = True) -> str | None:
    """None when two results of a named query are equal (frames, (kind, frame) pairs, options, scalars)."""
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return frame_difference(a, b, ordered)
    if isinstance(a, tuple) and isinstance(b, tuple) and any(isinstance(v, pd.DataFrame) for v in a):
        if len(a) != len(b):
            return f"{len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = difference(x, y, ordered)
            if found:
                return f"item {i}: {found}"
        return None
    ca, cb = canonical(a), canonical(b)
    return None if _same(ca, cb) else f"{ca!r} vs {cb!r}"[:500]


def rows_of(result: object) -> int:
    """Rows in a result: a frame's rows (of the frame in a (kind, frame) pair); 1 for anything else."""
    if isinstance(result, pd.DataFrame):
        return len(result)
    if isinstance(result, tuple):
        return sum(len(v) for v in result if isinstance(v, pd.DataFrame)) or 1
    return 1


# The most rows a comparison collects from each engine for one result. The app asks the row-per-incident
# queries only for a bounded set (4,000 points); on all of a ten-million-incident store they return every row,
# which a Spark Connect server on one machine ran out of memory collecting (4 GB heap).
COMPARE_MAX_ROWS = settings.COMPARE_MAX_ROWS


@dataclass(frozen=True)
class Outcome:
    """One named query on one filter state, on DuckDB and on the other engine. `compared` is False when the result
    was too long to collect (NamedQuery.rows above the limit): `difference` then says so, and `equal` is False."""

    query: str
    state: str
    equal: bool
    rows_duckdb: int
    rows_engine: int
    seconds_duckdb: float
    seconds_engine: float
    difference: str
    compared: bool = True


def _timed(q: NamedQuery, con: Any, state: FilterState) -> tuple[object, float, BaseException | None]:
    started = time.perf_counter()
    try:
        result = q.call(con, state)
    except Exception as exc:  # reported as a difference, so one failing query does not hide the others
        return None, time.perf_counter() - started, exc
    return result, time.perf_counter() - started, None


def compare_engines(
    duck: Any,
    other: Any,
    states: Mapping[str, FilterState],
    named: Sequence[NamedQuery] = NAMED_QUERIES,
    max_rows: int = COMPARE_MAX_ROWS,
) -> Iterator[Outcome]:
    """Every named query on DuckDB and on the other engine, per state (a query that ignores the filters: once);
    a row-per-incident query whose result would be longer than `max_rows` is not run, and says so."""
    first = next(iter(states))
    for q in named:
        for label, state in states.items():
            if not q.filtered and label != first:
                continue
            try:
                n = None if q.rows is None else q.rows(duck, state)
            except Exception:  # the query itself will fail the same way below, and be reported there
                n = None
            if n is not None and n > max_rows:
                yield Outcome(
                    q.name,
                    label,
                    False,
                    n,
                    0,
                    0.0,
                    0.0,
                    f"not compared: {n:,} rows, more than the {max_rows:,} a comparison collects "
                    "(the app runs this query only on a bounded set)",
                    compared=False,
                )
                continue
            a, ta, ea = _timed(q, duck, state)
            b, tb, eb = _timed(q, other, state)
            if ea or eb:
                diff = "; ".join(
                    f"{side} failed: {type(e).__name__}: {' '.join(str(e).split())[:300]}"
                    for side, e in (("duckdb", ea), ("engine", eb))
                    if e
                )
            else:
                diff = difference(a, b, q.ordered) or ""
            yield Outcome(
                q.name,
                label if q.filtered else "-",
                not diff,
                0 if ea else rows_of(a),
                0 if eb else rows_of(b),
                ta,
                tb,
                diff,
            )
