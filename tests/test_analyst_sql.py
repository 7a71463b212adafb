"""Analyst SQL in-process (dashboard.analyst_sql): the read-only check at every depth, the time limit, the spill
folder, the limits' parsing, and the store's connections spilling nowhere by default. The command line's own
tests are in test_cli.py."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dashboard import analyst_sql
from dashboard.analyst_sql import Limits, SqlError, SqlRefused, TimeLimitExceeded, check_read_only
from dashboard.store import Store

COUNTS = (
    "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM crossings_daily), (SELECT sum(dead) FROM incidents)"
)

# Statements that write, in every place a write can hide. Each must be refused before anything runs.
WRITES = {
    # whole statements
    "delete": "DELETE FROM incidents",
    "insert": "INSERT INTO incidents SELECT * FROM incidents",
    "update": "UPDATE incidents SET dead = 0",
    "merge": "MERGE INTO incidents USING (SELECT 1 AS x) s ON s.x = incidents.dead WHEN MATCHED THEN DELETE",
    "create table": "CREATE TABLE x AS SELECT 1",
    "create view": "CREATE VIEW v AS SELECT 1",
    "create macro": "CREATE MACRO m() AS 1",
    "drop": "DROP TABLE incidents",
    "alter": "ALTER TABLE incidents ADD COLUMN z INTEGER",
    "attach": "ATTACH ':memory:' AS m",
    "detach": "DETACH memory",
    "copy to": "COPY incidents TO 'x.csv'",
    "copy query to": "COPY (SELECT 1) TO 'x.csv'",
    "export": "EXPORT DATABASE 'x'",
    "pragma": "PRAGMA database_list",
    "set": "SET threads = 1",
    "reset": "RESET threads",
    "set variable": "SET VARIABLE x = 1",
    "install": "INSTALL httpfs",
    "load": "LOAD httpfs",
    "call": "CALL checkpoint()",
    "checkpoint": "CHECKPOINT",
    "vacuum": "VACUUM",
    "begin": "BEGIN TRANSACTION",
    "prepare": "PREPARE p AS SELECT 1",
    "use": "USE memory",
    # data-modifying CTEs: SELECT statements to DuckDB
    "CTE delete": "WITH d AS (DELETE FROM incidents RETURNING *) SELECT count(*) FROM d",
    "CTE update": "WITH d AS (UPDATE incidents SET dead = 0 RETURNING *) SELECT count(*) FROM d",
    "CTE insert": "WITH d AS (INSERT INTO incidents SELECT * FROM incidents RETURNING *) SELECT count(*) FROM d",
    "CTE copy": "WITH d AS (COPY incidents TO 'x.csv') SELECT 1",
    "CTE materialized": "WITH d AS MATERIALIZED (DELETE FROM incidents RETURNING *) SELECT 1",
    "CTE second of two": "WITH a AS (SELECT 1 AS x), d AS (DELETE FROM incidents RETURNING 1 AS x) SELECT x FROM d",
    "CTE in a union": "WITH d AS (DELETE FROM incidents RETURNING 1 AS x) SELECT 1 AS x UNION ALL SELECT x FROM d",
    "CTE recursive beside": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3), "
    "d AS (DELETE FROM incidents RETURNING *) SELECT count(*) FROM r, d",
    "CTE create": "WITH d AS (CREATE TABLE x AS SELECT 1) SELECT 1",
    "CTE attach": "WITH d AS (ATTACH 'x.db') SELECT 1",
    "CTE pragma": "WITH d AS (PRAGMA database_list) SELECT 1",
    "CTE set": "WITH d AS (SET threads = 1) SELECT 1",
    # deeper: subqueries, nested CTEs
    "subquery in FROM": "SELECT * FROM (WITH d AS (DELETE FROM incidents RETURNING *) SELECT * FROM d)",
    "subquery in WHERE": "SELECT * FROM incidents WHERE dead IN "
    "(WITH d AS (DELETE FROM incidents RETURNING dead) SELECT dead FROM d)",
    "scalar subquery": "SELECT (WITH d AS (UPDATE incidents SET dead = 0 RETURNING 1) SELECT count(*) FROM d)",
    "CTE in a CTE": "WITH a AS (WITH d AS (DELETE FROM incidents RETURNING *) SELECT * FROM d) SELECT * FROM a",
    "in a union branch": "SELECT 1 UNION ALL (WITH d AS (DELETE FROM incidents RETURNING 1) SELECT * FROM d)",
    "query() of a write": "SELECT * FROM query('DELETE FROM incidents RETURNING *')",
    "query() of a CTE write": "SELECT * FROM query('WITH d AS (DELETE FROM incidents RETURNING *) SELECT * FROM d')",
    # several statements, comments, casing
    "second statement": "SELECT 1; DELETE FROM incidents",
    "second statement CTE": "SELECT 1; WITH d AS (DELETE FROM incidents RETURNING *) SELECT count(*) FROM d",
    "after a comment": "/* monthly */ dElEtE FrOm incidents",
    "after a line comment": "-- totals\nWiTh d As (uPdAtE incidents SeT dead = 0 rEtUrNiNg *) sElEcT 1",
    "comment hiding a semicolon": "SELECT 1 /* ; */ ; -- x\n UPDATE incidents SET dead = 1",
    "quoted names": 'WITH "d" AS (DELETE FROM "incidents" RETURNING *) SELECT * FROM "d"',
}

READS = {
    "constant": "SELECT 1",
    "from first": "FROM incidents",
    "group by all": "select route, sum(people) from crossings_daily group by all order by all",
    "set operations": "SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3",
    "CTEs": "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM b",
    "materialized CTE": "WITH d AS MATERIALIZED (SELECT 1 AS x) SELECT x FROM d",
    "recursive CTE": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
    "window, qualify": "SELECT route, sum(people) OVER (PARTITION BY route ORDER BY date) FROM crossings_daily "
    "QUALIFY row_number() OVER () < 3",
    "exclude": "SELECT * EXCLUDE (source) FROM routes",
    "columns()": "SELECT COLUMNS('people|boats') FROM crossings_daily",
    "lambda": "SELECT list_transform([1, 2], lambda x: x + 1)",
    "describe": "DESCRIBE incidents",
    "describe in FROM": "SELECT * FROM (DESCRIBE incidents)",
    "summarize": "SUMMARIZE crossings_daily",
    "show tables": "SHOW TABLES",
    "values": "VALUES (1), (2)",
    "pragma table function": "SELECT * FROM pragma_table_info('incidents')",
    "settings": "SELECT * FROM duckdb_settings() WHERE name = 'threads'",
    "query() of a read": "SELECT * FROM query('SELECT 1 AS x')",
    "unpivot": "SELECT * FROM crossings_daily UNPIVOT (v FOR k IN (people, boats))",
    "words that look like writes": "SELECT 'DELETE FROM incidents' AS s, 'DELETE_QUERY_NODE' AS type, 1 AS \"update\"",
    "comments": "SELECT /* DELETE */ 1 -- ; DROP TABLE incidents",
    "snapshots": "SELECT * FROM snapshots",
    "two statements": "SELECT 1; SELECT 2",
}


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One tiny store for the many read-only cases (nothing they run can change it)."""
    import tiny

    store = Store(tmp_path_factory.mktemp("shared") / "store")
    store.commit(tiny.frames(), source_name="tiny")
    return store


@pytest.fixture(scope="module")
def shared_con(shared_store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    c = shared_store.connect()
    yield c
    c.close()


@pytest.mark.parametrize("sql", WRITES.values(), ids=WRITES.keys())
def test_writes_are_refused_before_anything_runs(shared_con, sql):
    con = shared_con
    before = con.execute(COUNTS).fetchall()
    with pytest.raises((SqlRefused, duckdb.Error)) as caught:  # duckdb.Error: it cannot even be bound
        check_read_only(con, sql)
    if isinstance(caught.value, SqlRefused):
        assert str(caught.value).startswith(("only read-only SELECT queries are allowed", "could not parse the SQL"))
    assert con.execute(COUNTS).fetchall() == before


@pytest.mark.parametrize("sql", WRITES.values(), ids=WRITES.keys())
def test_run_refuses_writes(shared_store, sql):
    out = io.StringIO()
    with pytest.raises((SqlRefused, SqlError)):
        analyst_sql.run(shared_store, sql, out, limits=Limits(timeout=30))
    assert out.getvalue() == ""
    assert not (shared_store.data_dir / "tmp").exists()


@pytest.mark.parametrize("sql", READS.values(), ids=READS.keys())
def test_reads_pass_and_run(shared_store, sql):
    out = io.StringIO()
    analyst_sql.run(shared_store, sql, out, limits=Limits(timeout=30))
    assert out.getvalue().count("\n") >= 2  # a header and at least one row


def test_both_layers_see_a_data_modifying_cte(con):
    """The parse tree and the bound plan each catch it on their own. (snapshots: a base table; the data tables are
    views over the version's files, which DuckDB will not even bind a DELETE on.)"""
    sql = "WITH d AS (DELETE FROM snapshots RETURNING *) SELECT count(*) FROM d"
    assert analyst_sql.parse_tree_writes(con, sql) == ["DELETE_QUERY_NODE"]
    assert analyst_sql.plan_writes(con, sql) == ["DELETE"]
    assert analyst_sql.parse_tree_writes(con, "SELECT * FROM (DESCRIBE incidents)") == []
    assert analyst_sql.plan_writes(con, "SELECT * FROM pragma_table_info('incidents')") == []


def test_the_plan_layer_stands_alone(con, monkeypatch):
    """With the parse-tree layer switched off, the bound plan still refuses the data-modifying CTE."""
    monkeypatch.setattr(analyst_sql, "parse_tree_writes", lambda con, query: [])
    with pytest.raises(SqlRefused, match=r"whose plan writes \(DELETE\)"):
        check_read_only(con, "WITH d AS (DELETE FROM snapshots RETURNING *) SELECT count(*) FROM d")


def test_an_unknown_query_node_is_refused(con, monkeypatch):
    """An allow-list: a node type it does not know (here: SET_OPERATION_NODE, taken off the list) is refused."""
    monkeypatch.setattr(analyst_sql, "READ_ONLY_NODES", analyst_sql.READ_ONLY_NODES - {"SET_OPERATION_NODE"})
    with pytest.raises(SqlRefused, match="contains SET OPERATION"):
        check_read_only(con, "SELECT 1 UNION SELECT 2")


def test_reading_files_is_still_refused(con):
    for sql in ["SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM '/etc/hostname'"]:
        with pytest.raises(SqlRefused, match="not allowed"):
            check_read_only(con, sql)


def test_main_still_exports_the_check():
    from dashboard import __main__

    assert __main__.check_read_only is check_read_only


# -- time limit ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM range(1000000000000)",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c",
        "SELECT 1; SELECT count(*) FROM range(1000000000000)",
        "SELECT * FROM range(100000) a, range(100000) b",  # streams: stopped while fetching
    ],
)
def test_runaway_queries_stop_at_the_limit(tiny_store, sql):
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match=r"time limit of 1 s .*--timeout.*TIDELINE_SQL_TIMEOUT"):
        analyst_sql.run(tiny_store, sql, io.StringIO(), limits=Limits(timeout=1))
    assert time.monotonic() - started < 15
    assert not (tiny_store.data_dir / "tmp").exists()


def test_an_interrupt_between_statements_is_not_lost(con):
    """DuckDB forgets an interrupt that lands while no query runs: the deadline keeps interrupting."""
    with analyst_sql.Deadline(con, 0.1) as deadline:
        time.sleep(0.3)  # the limit passes between two queries
        assert deadline.expired.is_set()
        with pytest.raises(duckdb.InterruptException):
            con.execute("SELECT count(*) FROM range(1000000000000)").fetchall()
        with pytest.raises(TimeLimitExceeded):
            deadline.check()
    assert con.execute("SELECT 42").fetchall() == [(42,)]  # stopped: later queries are not interrupted


def test_a_query_within_the_limit_is_untouched(con):
    with analyst_sql.Deadline(con, 30) as deadline:
        assert con.execute("SELECT count(*) FROM range(1000000)").fetchall() == [(1_000_000,)]
    assert not deadline.expired.is_set()
    assert not any(t.name == "sql-time-limit" for t in threading.enumerate())


# -- spilling -------------------------------------------------------------------------------------------------------
def test_spilling_goes_into_a_fresh_folder_in_the_store(tiny_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen: list[Path] = []
    real = analyst_sql.spill_folder

    def spy(data_dir: Path):  # records the folder while it exists
        with real(data_dir) as folder:
            assert folder is not None and folder.is_dir()
            seen.append(folder)
            yield folder

    monkeypatch.setattr(analyst_sql, "spill_folder", analyst_sql.contextlib.contextmanager(spy))
    out = io.StringIO()
    sql = "SELECT count(DISTINCT range) AS n, current_setting('temp_directory') AS d FROM range(20000000)"
    analyst_sql.run(tiny_store, sql, out, limits=Limits(memory_bytes=100_000_000))
    n, folder = out.getvalue().splitlines()[1].split(",")
    assert n == "20000000" and Path(folder) == seen[0]
    assert seen[0].parent == tiny_store.data_dir / "tmp" and seen[0].name.startswith("sql-")
    assert not seen[0].exists() and not seen[0].parent.exists()
    assert not (tmp_path / ".tmp").exists()


def test_the_spill_folder_is_removed_after_an_error(tiny_store):
    with pytest.raises(RuntimeError), analyst_sql.spill_folder(tiny_store.data_dir) as folder:
        assert folder is not None
        (folder / "block.tmp").write_bytes(b"x" * 1000)
        raise RuntimeError("boom")
    assert not (tiny_store.data_dir / "tmp").exists()


def test_other_runs_keep_their_folder(tiny_store):
    with analyst_sql.spill_folder(tiny_store.data_dir) as a:
        with analyst_sql.spill_folder(tiny_store.data_dir) as b:
            assert a != b and a is not None and b is not None
        assert a.is_dir()  # b's clean-up left a (and tmp/) alone
    assert not (tiny_store.data_dir / "tmp").exists()


def test_a_store_that_cannot_be_written_runs_without_spilling(tiny_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tiny_store.data_dir / "tmp").write_text("not a folder")  # mkdir fails, as on a read-only store
    out = io.StringIO()
    analyst_sql.run(tiny_store, "SELECT current_setting('temp_directory') AS d", out)
    assert out.getvalue() == 'd\n""\n'
    with pytest.raises(SqlRefused, match="spilling to disk is off"):
        sql = "SELECT count(DISTINCT range) FROM range(20000000)"
        analyst_sql.run(tiny_store, sql, io.StringIO(), limits=Limits(memory_bytes=50_000_000))
    assert not (tmp_path / ".tmp").exists()


def test_spilling_is_bounded(tiny_store):
    sql = "SELECT count(DISTINCT range) FROM range(20000000)"
    with pytest.raises(SqlRefused, match=r"temp space limit of 5 MB \(TIDELINE_SQL_TEMP_LIMIT\)"):
        analyst_sql.run(tiny_store, sql, io.StringIO(), limits=Limits(memory_bytes=100_000_000, temp_bytes=5_000_000))
    assert not (tiny_store.data_dir / "tmp").exists()


def test_store_connections_spill_nowhere_by_default(tiny_store, tmp_path, monkeypatch):
    """The app's connections: spilling off, so never DuckDB's default <cwd>/.tmp (and nothing in the store)."""
    monkeypatch.chdir(tmp_path)
    con = tiny_store.connect(memory_limit="50MB")
    assert con.execute("SELECT current_setting('temp_directory')").fetchone() == ("",)
    with pytest.raises(duckdb.OutOfMemoryException):
        con.execute("SELECT count(DISTINCT range) FROM range(20000000)").fetchall()
    with pytest.raises(duckdb.Error):
        con.execute("SET temp_directory = '.tmp'")  # frozen
    con.close()
    assert not (tmp_path / ".tmp").exists()


def test_store_connect_spills_where_it_is_told(tiny_store, tmp_path):
    folder = tmp_path / "spill"
    folder.mkdir()
    con = tiny_store.connect(memory_limit="100MB", temp_directory=folder, temp_limit_bytes=3_000_000_000)
    assert con.execute("SELECT current_setting('temp_directory')").fetchone() == (str(folder),)
    assert con.execute("SELECT count(DISTINCT range) FROM range(20000000)").fetchone() == (20_000_000,)
    con.close()


# -- limits ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("2GB", 2_000_000_000), ("500 mb", 500_000_000), ("1GiB", 2**30), ("1.5KB", 1500), ("1048576", 2**20), ("0", 0)],
)
def test_sizes(text, expected):
    assert analyst_sql.parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "2 parsecs", "-1GB", "1e9", "GB"])
def test_bad_sizes(text):
    with pytest.raises(ValueError, match="not a size"):
        analyst_sql.parse_size(text)


@pytest.mark.parametrize("text", ["0", "-1", "soon", "nan", "inf", "1e300"])
def test_bad_timeouts(text):
    with pytest.raises(ValueError, match="seconds"):
        analyst_sql.parse_timeout(text)


def test_limits_from_the_environment(monkeypatch):
    assert Limits.from_env() == Limits(timeout=60, memory_bytes=2_000_000_000, temp_bytes=2_000_000_000)
    monkeypatch.setenv("TIDELINE_SQL_TIMEOUT", "2.5")
    monkeypatch.setenv("TIDELINE_SQL_TEMP_LIMIT", "1GiB")
    monkeypatch.setenv("TIDELINE_SQL_MEMORY_LIMIT", "500MB")
    assert Limits.from_env() == Limits(timeout=2.5, memory_bytes=500_000_000, temp_bytes=2**30)
    assert Limits.from_env(timeout=7).timeout == 7  # --timeout wins
    monkeypatch.setenv("TIDELINE_SQL_TIMEOUT", "never")
    with pytest.raises(SqlRefused, match="TIDELINE_SQL_TIMEOUT"):
        Limits.from_env()


def test_unknown_version(tiny_store):
    from dashboard.store import UnknownVersionError

    with pytest.raises(UnknownVersionError):
        analyst_sql.run(tiny_store, "SELECT 1", io.StringIO(), version_id=42)
    assert not (tiny_store.data_dir / "tmp").exists()


def test_sql_errors_are_not_refusals(tiny_store):
    with pytest.raises(SqlError, match="nonsense"):
        analyst_sql.run(tiny_store, "SELECT nonsense FROM crossings_daily", io.StringIO())
