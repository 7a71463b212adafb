"""Named queries on Apache Spark through Spark Connect: a data version's Parquet files as temp views, DuckDB SQL
translated (dashboard.engines.translate), results handed back as DuckDB hands back its own.

Results come from Spark as Arrow (`DataFrame.toArrow()`) and are turned into pandas or tuples by DuckDB itself
(an in-memory DuckDB reading the Arrow table), so dates, integers, decimals, lists and missing values get exactly
the pandas types DuckDB gives for the same SQL types. What still differs is what the two engines compute a type
as: DuckDB sums INTEGER into HUGEINT (float64 in pandas), Spark into BIGINT (int64); the comparison in
dashboard.engines treats integral floats and ints as equal, and the tests prove the values are."""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

from .. import schema
from ..store import Store
from .translate import to_spark

# DuckDB types of dashboard/schema.py → Spark SQL types; TIMESTAMP has no time zone on either side.
SPARK_TYPES = {
    "VARCHAR": "STRING",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "BOOLEAN": "BOOLEAN",
}


def spark_type(duckdb_type: str) -> str:
    """The Spark SQL type of a schema column's DuckDB type ('DOUBLE[][]' → 'ARRAY<ARRAY<DOUBLE>>')."""
    if duckdb_type.endswith("[]"):
        return f"ARRAY<{spark_type(duckdb_type[:-2])}>"
    return SPARK_TYPES[duckdb_type]


def probe(url: str, timeout: float = 5.0) -> None:
    """ConnectionError, saying so, when nothing accepts connections at the URL's host and port: pyspark itself
    retries an unreachable server for minutes before it gives up."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "", parts.port or 15002), timeout=timeout).close()
    except OSError as exc:
        raise ConnectionError(
            f"no Spark Connect server at {url} ({exc.strerror or exc}); locally: make spark (scripts/spark.sh start)"
        ) from exc


def new_session(url: str) -> Any:
    """A new Spark Connect session (its own temp views) on the server at `url` (sc://host:port)."""
    from pyspark.sql import SparkSession

    probe(url)
    return SparkSession.builder.remote(url).create()


def _typed_columns(table: str, present: set[str]) -> list[str]:
    """The SELECT list that gives a table exactly the schema's columns, types and order; a column the file lacks
    (one added to the schema later) is NULL, as Store.connect reads it."""
    cols = schema.SNAPSHOT_COLUMNS if table == "snapshots" else schema.columns(table)
    return [
        f"CAST({f'`{c.name}`' if c.name in present else 'NULL'} AS {spark_type(c.type)}) AS `{c.name}`" for c in cols
    ]


# Which connection's views a session holds now (by id): a connection re-registers its own before running SQL.
_VIEWS_OF: dict[int, int] = {}


def table_uri(store: Store, version_id: int, table: str, info: Mapping[str, Any], base_uri: str | None = None) -> str:
    """Where Spark reads a table's file: its absolute path, or base_uri + its path inside the data directory."""
    path = store.table_file(version_id, table, info)  # confined to the store's versions/ folder
    if base_uri:
        return f"{base_uri.rstrip('/')}/{path.relative_to(store.data_dir.resolve()).as_posix()}"
    return str(path)


class SparkResult:
    """What SparkConnection.execute returns: the rows, converted by DuckDB (.df(), .fetchone(), .fetchall())."""

    def __init__(self, table: pa.Table, converter: duckdb.DuckDBPyConnection) -> None:
        self.table = table
        self._rel = converter.from_arrow(table)

    def df(self) -> Any:
        return self._rel.df()

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._rel.limit(1).fetchall()
        return rows[0] if rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rel.fetchall()


class SparkConnection:
    """One data version on a Spark session: each table a temp view over the version's Parquet file (the same
    files DuckDB reads), absent tables empty views with the schema's columns, and `snapshots` as Store.connect
    builds it. `base_uri` (or $TIDELINE_SPARK_BASE_URI through the engine) replaces the data directory in the
    files' paths, for a cluster that sees the store elsewhere (a shared mount, s3a://bucket/tideline)."""

    def __init__(
        self,
        spark: Any,
        store: Store,
        version_id: int | None = None,
        base_uri: str | None = None,
        *,
        owns_session: bool = False,
    ) -> None:
        self.spark = spark
        self.store = store
        self.base_uri = base_uri
        self.owns_session = owns_session
        self.version_id = store.version(version_id).id
        self._lock = threading.Lock()
        self._converter = duckdb.connect(":memory:")  # only ever reads Arrow tables handed to it
        self._register()

    def _register(self) -> None:
        """(Re)create this version's views in the session: another connection on the same session replaces them."""
        spark, version = self.spark, self.store.version(self.version_id)
        # Dates go through timestamps in date_trunc; UTC has a midnight every day (some zones skip one at DST).
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        for table in schema.DATA_TABLES:
            info = version.tables.get(table)
            if info:
                frame = spark.read.parquet(table_uri(self.store, version.id, table, info, self.base_uri))
                frame = frame.selectExpr(*_typed_columns(table, set(frame.columns)))
            else:
                frame = spark.sql(f"SELECT {', '.join(_typed_columns(table, set()))} WHERE FALSE")
            frame.createOrReplaceTempView(table)
        self._snapshots(version.id)
        _VIEWS_OF[id(spark)] = id(self)

    def _snapshots(self, version_id: int) -> None:
        current = self.store.current_id()
        rows = [
            (
                v.id,
                datetime.fromisoformat(v.created_at.rstrip("Z")),
                v.source_name,
                v.file_name,
                v.sha256,
                v.rows,
                "current" if v.id == current else "superseded",
                v.note,
            )
            for v in self.store.versions()
            if v.id <= version_id
        ]
        ddl = ", ".join(f"`{c.name}` {spark_type(c.type)}" for c in schema.SNAPSHOT_COLUMNS)
        self.spark.createDataFrame(rows, schema=ddl).createOrReplaceTempView("snapshots")

    def cursor(self) -> SparkConnection:
        return self

    def execute(self, sql: str, parameters: Mapping[str, object] | None = None) -> SparkResult:
        """Run DuckDB SQL with named parameters ($name) on Spark (translated; :name) and fetch the result."""
        translated = to_spark(sql)
        with self._lock:  # one connection per session at a time (SparkEngine gives each its own session)
            if _VIEWS_OF.get(id(self.spark)) != id(self):
                self._register()
            converter = self._converter.cursor()
        table = self.spark.sql(translated, args=dict(parameters or {})).toArrow()
        return SparkResult(table, converter)

    def close(self) -> None:
        _VIEWS_OF.pop(id(self.spark), None)
        self._converter.close()
        if self.owns_session:
            self.spark.stop()
