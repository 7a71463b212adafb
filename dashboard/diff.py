"""What changed between two data versions: per table and source, the rows added, removed and changed; the
totals by year (and by month for the last year present) before and after; the largest revisions.

Pure: no streamlit. Rows are matched on the table's key (schema.KEYS) plus `source` when the key does not hold
it; a row is "changed" when any other column differs, NULL and NULL being equal. The provenance columns
(source_sha256, loaded_version) never count: a release re-stamps every row it carries.

The work is done in DuckDB, one table at a time, on one connection that reads both versions' files in place
(Store.connect(new, beside=old): the earlier version's tables in the schema `before`); only the results come
back as pandas frames. Always DuckDB, whatever TIDELINE_ENGINE says: the comparison is not a named query. Table
and column names come from schema.py; every value is a named parameter.

`revises` reads the manifest alone: which import superseded an earlier release of the same source.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from . import fmt, schema
from .store import Store, Version

TOP = 20  # the largest revisions listed per table and source


@dataclass(frozen=True)
class Measure:
    """A table's date column and main count (the sum of `counts`, each NULL read as 0 when there are several)."""

    date: str
    counts: tuple[str, ...]
    label: str  # what the count counts, in words

    def sql(self, alias: str) -> str:
        cols = [f'{alias}."{c}"' for c in self.counts]
        return cols[0] if len(cols) == 1 else " + ".join(f"coalesce({c}, 0)" for c in cols)


MEASURES: dict[str, Measure] = {
    "crossings_daily": Measure("date", ("people",), "people arrived"),
    "preventions_weekly": Measure("week_ending", ("people_prevented",), "people prevented"),
    "incidents": Measure("date", ("dead", "missing"), "dead and missing"),
    "route_flows": Measure("month", ("detections",), "detections"),
    "funding": Measure("month", ("spent_gbp",), "spent (£)"),
    "staffing": Measure("month", ("in_post_headcount",), "in post"),
    "irregular_arrivals": Measure("quarter_start", ("detections",), "irregular arrivals"),
    "small_boat_asylum": Measure("quarter_start", ("applications",), "asylum applications"),
}

# The frames of a Diff, column by column (also the command line's CSV headers).
CHANGE_COLUMNS = (
    "table",
    "source",
    "rows_before",
    "rows_after",
    "added",
    "removed",
    "changed",
    "as_of_before",  # the latest date of the table's measure (NULL for tables without one)
    "as_of_after",
)
TOTAL_COLUMNS = ("table", "source", "measure", "period_type", "period", "before", "after", "difference")
REVISION_COLUMNS = (
    "table",
    "source",
    "date",
    "key",
    "measure",
    "before",
    "after",
    "change",
    "columns_changed",
)


@dataclass(frozen=True)
class Diff:
    """Data version `old` against `new`.

    changes: one row per table and source present in either version (CHANGE_COLUMNS).
    totals: per measured table and source, the measure by year ('year', '2024') and by month for the last
        year present in either version ('month', '2024-03'): before, after and after - before (a missing
        side counts as 0 when the other has a total; both missing: NULL) (TOTAL_COLUMNS).
    revisions: changed rows of measured tables, the largest change of the measure first, at most `top` per
        table and source; `change` is after - before with NULL read as 0 (REVISION_COLUMNS).
    """

    old: Version
    new: Version
    changes: pd.DataFrame
    totals: pd.DataFrame
    revisions: pd.DataFrame
    top: int = TOP

    @property
    def same(self) -> bool:
        return self.old.id == self.new.id

    def changed(self) -> pd.DataFrame:
        """The rows of `changes` where anything was added, removed or changed."""
        c = self.changes
        return c[(c["added"] + c["removed"] + c["changed"]) > 0].reset_index(drop=True)

    def summary(self) -> str:
        """'2 rows added, 1 removed and 3 changed in 1 table' (or 'No rows differ')."""
        c = self.changed()
        if c.empty:
            return "No rows differ"
        added, removed, changed = (int(c[k].sum()) for k in ("added", "removed", "changed"))
        tables = c["table"].nunique()
        return (
            f"{added:,} row{'' if added == 1 else 's'} added, {removed:,} removed and {changed:,} changed "
            f"in {tables} table{'' if tables == 1 else 's'}"
        )


# DuckDB's memory for a comparison, beyond which it spills into its own <data dir>/tmp/diff-<uuid> (removed after):
# two ten-million-row versions with every row revised took 2.3 GB of the app server's memory at the connection's
# default (2 GB), 1.2 GB with this, in the same 30 s
MEMORY = "1GB"
SPILL_BYTES = 10_000_000_000  # on disk: joining two such versions row by row spilled a few GB beyond MEMORY


def compare(store: Store, old_id: int, new_id: int, *, top: int = TOP) -> Diff:
    """Data version `old_id` against `new_id` (UnknownVersionError from the store for an unknown id)."""
    old, new = store.version(old_id), store.version(new_id)
    spill = store.data_dir / "tmp" / f"diff-{uuid.uuid4().hex}"  # its own: DuckDB names spill files alike
    try:
        con = store.connect(
            new.id, beside=old.id, memory_limit=MEMORY, temp_directory=spill, temp_limit_bytes=SPILL_BYTES
        )
        try:
            return compare_connection(con, old, new, top=top)
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def compare_connection(con: duckdb.DuckDBPyConnection, old: Version, new: Version, *, top: int = TOP) -> Diff:
    """`compare` on a connection already open on `new` with `old` beside it (Store.connect(new, beside=old)): both
    versions are read in place by DuckDB, nothing copied into Python; the joins are bounded by the connection's
    memory limit (and spill beyond it)."""
    changes, totals, revisions = [], [], []
    for table in schema.DATA_TABLES:
        cur = con.cursor()
        try:
            before_file, after_file = (v.tables.get(table, {}).get("file") for v in (old, new))
            shared = before_file is not None and before_file == after_file
            counted = _unchanged(cur, table) if shared else _changes(cur, table)
            if counted is None:  # a key repeated among the matched rows: the counts need the full join
                counted = _changes_joined(cur, table)
            changes.append(counted)
            if table in MEASURES:
                totals.append(_totals(cur, table))
                if counted["changed"].sum():  # the largest revisions: only where a row changed
                    revisions.append(_revisions(cur, table, top))
        finally:
            cur.close()
    return Diff(
        old=old,
        new=new,
        changes=_concat(changes, CHANGE_COLUMNS),
        totals=_concat(totals, TOTAL_COLUMNS),
        revisions=_concat(revisions, REVISION_COLUMNS),
        top=top,
    )


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)[list(columns)]


def _key(table: str) -> tuple[str, ...]:
    """The columns rows are matched on: the table's key, and `source` when the key does not hold it."""
    key = schema.KEYS[table]
    return key if "source" in key else (*key, "source")


def _joined(table: str, select: str) -> str:
    """`select` over the two sides joined on the key: b (before: the table in the schema `before`) and a (after:
    the connection's table), each with `_present`, which is NULL on the side a row is missing from."""
    cols = ", ".join(f'"{c.name}"' for c in schema.columns(table, provenance=False))
    on = " AND ".join(f'b."{k}" IS NOT DISTINCT FROM a."{k}"' for k in _key(table))
    return (
        f'WITH b AS (SELECT true AS _present, {cols} FROM before."{table}"), '
        f'a AS (SELECT true AS _present, {cols} FROM "{table}") '
        f"{select} FROM b FULL OUTER JOIN a ON {on}"
    )


def _same(table: str) -> str:
    """SQL true when a matched pair of rows has every non-key column equal (NULL equal to NULL)."""
    key = set(_key(table))
    parts = [
        f'b."{c.name}" IS NOT DISTINCT FROM a."{c.name}"'
        for c in schema.columns(table, provenance=False)
        if c.name not in key
    ]
    return " AND ".join(parts) or "true"


def _status(table: str) -> str:
    return (
        "CASE WHEN b._present IS NULL THEN 'added' WHEN a._present IS NULL THEN 'removed' "
        f"WHEN {_same(table)} THEN 'same' ELSE 'changed' END"
    )


def _as_of(table: str) -> str:
    """SQL for a side's latest date (per group): the table's measure date, or a typed NULL."""
    m = MEASURES.get(table)
    return f'CAST(max("{m.date}") AS DATE)' if m else "CAST(NULL AS DATE)"


def _unchanged(cur: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """_changes for a table both versions read from the same file (a later import left it as it was): nothing
    added, removed or changed, without joining the rows to themselves."""
    as_of = _as_of(table)
    sql = f"""
        SELECT $table AS "table", source, count(*) AS rows_before, count(*) AS rows_after, 0 AS added,
               0 AS removed, 0 AS changed, {as_of} AS as_of_before, {as_of} AS as_of_after
        FROM "{table}" GROUP BY source ORDER BY source"""
    return cur.execute(sql, {"table": table}).df()


def _changes(cur: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame | None:
    """Rows before and after, added, removed and changed, and the latest date on each side, per source. A key
    matches at most one row on each side and holds the source, so added = rows after - matched and removed =
    rows before - matched; only matched pairs are compared column by column (DuckDB fetches the columns of
    those rows only: 15 ms where joining every column of ten million rows took 0.55 s). None when a key is
    repeated among the matched rows (more pairs than keys): then only the full join counts right."""
    as_of = _as_of(table)
    on = " AND ".join(f'b."{k}" IS NOT DISTINCT FROM a."{k}"' for k in _key(table))
    keys_a = ", ".join(f'a."{k}"' for k in _key(table)) + ("" if len(_key(table)) > 1 else ", NULL")  # a row value
    sql = f"""
        WITH nb AS (SELECT source, count(*) AS n, {as_of} AS as_of FROM before."{table}" GROUP BY source),
             na AS (SELECT source, count(*) AS n, {as_of} AS as_of FROM "{table}" GROUP BY source),
             m AS (SELECT a.source, count(*) AS matched, count(DISTINCT ({keys_a})) AS keys,
                          count(*) FILTER (WHERE NOT ({_same(table)})) AS changed
                   FROM before."{table}" b JOIN "{table}" a ON {on} GROUP BY a.source),
             s AS (SELECT coalesce(na.source, nb.source) AS source, coalesce(nb.n, 0) AS rows_before,
                          coalesce(na.n, 0) AS rows_after, nb.as_of AS as_of_before, na.as_of AS as_of_after
                   FROM nb FULL JOIN na ON nb.source IS NOT DISTINCT FROM na.source)
        SELECT $table AS "table", s.source, s.rows_before, s.rows_after,
               s.rows_after - coalesce(m.matched, 0) AS added, s.rows_before - coalesce(m.matched, 0) AS removed,
               coalesce(m.changed, 0) AS changed, s.as_of_before, s.as_of_after,
               coalesce(m.matched, 0) <> coalesce(m.keys, 0) AS _repeated
        FROM s LEFT JOIN m ON m.source IS NOT DISTINCT FROM s.source
        ORDER BY s.source"""
    df = cur.execute(sql, {"table": table}).df()
    if df["_repeated"].any():
        return None
    return df.drop(columns="_repeated")


def _changes_joined(cur: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """_changes by joining every row of the two sides: right whatever the keys (a key repeated on one side counts
    each of its rows), slower at scale."""
    as_of = _as_of(table)
    joined = _joined(table, f"SELECT coalesce(a.source, b.source) AS source, {_status(table)} AS status")
    sql = f"""
        WITH j AS ({joined}),
        s AS (
            SELECT source,
                   count(*) FILTER (WHERE status = 'added') AS added,
                   count(*) FILTER (WHERE status = 'removed') AS removed,
                   count(*) FILTER (WHERE status = 'changed') AS changed
            FROM j GROUP BY source),
        nb AS (SELECT source, count(*) AS n, {as_of} AS as_of FROM before."{table}" GROUP BY source),
        na AS (SELECT source, count(*) AS n, {as_of} AS as_of FROM "{table}" GROUP BY source)
        SELECT $table AS "table", s.source, coalesce(nb.n, 0) AS rows_before, coalesce(na.n, 0) AS rows_after,
               s.added, s.removed, s.changed, nb.as_of AS as_of_before, na.as_of AS as_of_after
        FROM s LEFT JOIN nb ON nb.source IS NOT DISTINCT FROM s.source
             LEFT JOIN na ON na.source IS NOT DISTINCT FROM s.source
        ORDER BY s.source"""
    return cur.execute(sql, {"table": table}).df()


def _totals(cur: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    m = MEASURES[table]
    value = m.sql("r")
    # each side summed by source and month first (one pass over each), then years and the last year's months
    # from those sums: a month's sum is NULL only when none of its rows has a value, as a year's is
    month = f'year(r."{m.date}") AS y, month(r."{m.date}") AS mo, sum({value}) AS v'
    sql = f"""
        WITH rows AS (
            SELECT 0 AS side, r.source, {month} FROM before."{table}" r GROUP BY ALL
            UNION ALL
            SELECT 1 AS side, r.source, {month} FROM "{table}" r GROUP BY ALL),
        last AS (SELECT source, max(y) AS y FROM rows GROUP BY source),
        periods AS (
            SELECT source, 'year' AS period_type, CAST(y AS VARCHAR) AS period, side, v FROM rows
            UNION ALL
            SELECT rows.source, 'month', strftime(make_date(rows.y, rows.mo, 1), '%Y-%m'), side, v
            FROM rows JOIN last ON rows.source = last.source AND rows.y = last.y)
        SELECT $table AS "table", source, $measure AS measure, period_type, period,
               CAST(sum(v) FILTER (WHERE side = 0) AS BIGINT) AS before,
               CAST(sum(v) FILTER (WHERE side = 1) AS BIGINT) AS after
        FROM periods
        GROUP BY source, period_type, period
        ORDER BY source, period_type DESC, period"""
    df = cur.execute(sql, {"table": table, "measure": m.label}).df()
    both_missing = df["before"].isna() & df["after"].isna()
    df["difference"] = (df["after"].fillna(0) - df["before"].fillna(0)).astype("Int64").mask(both_missing)
    return df


def _revisions(cur: duckdb.DuckDBPyConnection, table: str, top: int) -> pd.DataFrame:
    m = MEASURES[table]
    shown = [k for k in _key(table) if k not in (m.date, "source")]
    key = (
        "concat_ws(' · ', " + ", ".join(f"coalesce(CAST(a.\"{k}\" AS VARCHAR), '–')" for k in shown) + ")"
        if shown
        else "''"
    )
    key_cols = set(_key(table))
    columns_changed = (
        "concat_ws(', ', "
        + ", ".join(
            f'CASE WHEN b."{c.name}" IS DISTINCT FROM a."{c.name}" THEN \'{c.name}\' END'
            for c in schema.columns(table, provenance=False)
            if c.name not in key_cols
        )
        + ")"
    )
    select = (
        f'SELECT a.source, coalesce(a."{m.date}", b."{m.date}") AS date, {key} AS key, '
        f"{m.sql('b')} AS before, {m.sql('a')} AS after, {columns_changed} AS columns_changed, "
        f"{_status(table)} AS status"
    )
    sql = f"""
        WITH j AS ({_joined(table, select)})
        SELECT $table AS "table", source, date, key, $measure AS measure,
               CAST(before AS BIGINT) AS before, CAST(after AS BIGINT) AS after,
               CAST(coalesce(after, 0) - coalesce(before, 0) AS BIGINT) AS change, columns_changed
        FROM j WHERE status = 'changed'
        QUALIFY row_number() OVER (
            PARTITION BY source ORDER BY abs(coalesce(after, 0) - coalesce(before, 0)) DESC, date, key) <= $top
        ORDER BY source, abs(change) DESC, date, key"""
    return cur.execute(sql, {"table": table, "measure": m.label, "top": int(top)}).df()


# -- which import revised which release (from the manifest) -------------------------------------------------------
def _is_release(v: Version) -> bool:
    """An import of a source's file: not the synthetic demo data, not the empty store's reference tables."""
    return not v.synthetic and v.source_name not in ("demo", "empty")


def created_day(v: Version) -> str:
    """The day a version was created, '19 Oct 2026'."""
    try:
        return fmt.as_of(date.fromisoformat(v.created_at[:10]))
    except ValueError:
        return v.created_at[:10] or "date unknown"


def _written(v: Version) -> set[str]:
    """The tables a version wrote (the others point at an earlier version's files)."""
    return {t for t, info in v.tables.items() if str(info.get("file", "")).startswith(f"versions/{v.id}/")}


def revises(versions: Sequence[Version]) -> dict[int, str]:
    """For each version whose import superseded an earlier release of the same source: 'revises release of
    <file name> (version N, <date>)'. A later version revises the latest earlier one with the same
    `source_name` (the importer's name), another sha256 and a table both wrote, neither of them demo data."""
    found: dict[int, str] = {}
    ordered = sorted(versions, key=lambda v: v.id)
    for i, v in enumerate(ordered):
        if not _is_release(v):
            continue
        earlier = [
            u
            for u in ordered[:i]
            if _is_release(u)
            and u.source_name == v.source_name
            and u.sha256 != v.sha256
            and _written(u) & _written(v)  # the same tables: two canonical files of other tables revise nothing
        ]
        if earlier:
            u = earlier[-1]
            found[v.id] = f"revises release of {u.file_name or 'an unnamed file'} (version {u.id}, {created_day(u)})"
    return found
