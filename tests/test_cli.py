"""The command line, run as a user runs it: a subprocess with TIDELINE_DATA_DIR set."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard import audit

REPO = Path(__file__).resolve().parent.parent


def run(store, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TIDELINE_DATA_DIR": str(store.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_sql_prints_csv_with_header(tiny_store):
    r = run(
        tiny_store,
        "sql",
        "SELECT extract(year FROM date) AS y, sum(people) AS people FROM crossings_daily GROUP BY 1 ORDER BY 1",
    )
    assert r.returncode == 0, r.stderr
    assert list(csv.reader(io.StringIO(r.stdout))) == [["y", "people"], ["2024", "40"], ["2025", "150"]]


def test_sql_at_an_older_version(tiny_store):
    import tiny

    frames = tiny.frames()
    tiny_store.commit({"crossings_daily": frames["crossings_daily"].assign(people=1)}, source_name="rev")
    assert run(tiny_store, "sql", "SELECT sum(people) AS p FROM crossings_daily").stdout == "p\n6\n"
    assert run(tiny_store, "sql", "SELECT sum(people) AS p FROM crossings_daily", "--version", "1").stdout == "p\n190\n"


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM crossings_daily",
        "INSERT INTO crossings_daily SELECT * FROM crossings_daily",
        "UPDATE incidents SET dead = 0",
        "DROP TABLE incidents",
        "CREATE TABLE x AS SELECT 1",
        "ATTACH 'other.db'",
        "COPY crossings_daily TO 'out.csv'",
        "SELECT 1; DELETE FROM crossings_daily",
        "SET enable_external_access = true",
        "INSTALL httpfs",
        "PRAGMA database_list",
    ],
)
def test_writes_and_attachments_are_refused(tiny_store, statement):
    before = store_files(tiny_store)
    manifest = (tiny_store.data_dir / "manifest.json").read_bytes()
    r = run(tiny_store, "sql", statement)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("refused: only read-only SELECT queries are allowed")
    assert r.stdout == ""
    assert store_files(tiny_store) == before
    assert (tiny_store.data_dir / "manifest.json").read_bytes() == manifest
    (refusal,) = audit.JsonlAuditLog(tiny_store.data_dir).records()  # the attempt itself is recorded
    assert refusal.event == "sql" and refusal.details["result"].startswith("refused: only read-only")


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/hostname'",
        "SELECT * FROM read_text('/etc/hostname')",
    ],
)
def test_reading_files_is_refused(tiny_store, statement):
    r = run(tiny_store, "sql", statement)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "not allowed" in r.stderr and r.stdout == ""


def test_unknown_version_exits_2(tiny_store):
    r = run(tiny_store, "sql", "SELECT 1", "--version", "42")
    assert r.returncode == 2 and "data version 42 does not exist" in r.stderr


def test_sql_error_is_reported(tiny_store):
    r = run(tiny_store, "sql", "SELECT nonsense FROM crossings_daily")
    assert r.returncode == 1 and "SQL error" in r.stderr


def test_versions_lists_every_version(tiny_store):
    r = run(tiny_store, "versions")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.returncode == 0 and len(rows) == 1
    assert rows[0]["id"] == "1" and rows[0]["current"] == "*" and rows[0]["source_name"] == "tiny"
    assert rows[0]["rows"] == "41"


# -- analyst SQL: time limit, confined spilling, writes anywhere in a statement -------------------------------------
RUNAWAY = {
    "range": "SELECT count(*) FROM range(1000000000000)",
    "recursive CTE": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
    "3-way cross join": "SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c",
}


def run_sql(store, *args: str, cwd: Path = REPO, timeout: float = 90, **env: str) -> subprocess.CompletedProcess:
    """`run` with extra environment variables, another working directory and a shorter patience."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "TIDELINE_DATA_DIR": str(store.data_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory for the command, next to (not around) the store."""
    (tmp_path / "cwd").mkdir()
    return tmp_path / "cwd"


def store_files(store) -> list[Path]:
    """Every file of the store but the audit trail, which records each command (refusals too)."""
    trail = {store.data_dir / audit.FILE_NAME, store.data_dir / audit.LOCK_NAME}
    return sorted(p for p in store.data_dir.rglob("*") if p not in trail)


def store_state(store) -> tuple[list[Path], bytes]:
    return store_files(store), (store.data_dir / "manifest.json").read_bytes()


@pytest.mark.parametrize("query", RUNAWAY.values(), ids=RUNAWAY.keys())
def test_runaway_queries_stop_at_the_time_limit(tiny_store, workdir, query):
    before = store_state(tiny_store)
    started = time.monotonic()
    r = run_sql(tiny_store, "sql", query, "--timeout", "2", cwd=workdir)
    elapsed = time.monotonic() - started
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("refused: the query was stopped at the time limit of 2 s"), r.stderr
    assert "--timeout" in r.stderr and "TIDELINE_SQL_TIMEOUT" in r.stderr
    assert elapsed < 30  # start-up plus 2 s, not until killed
    assert store_state(tiny_store) == before  # the spill folder is gone too
    assert list(workdir.iterdir()) == []  # nothing in the working directory (DuckDB's default .tmp)


def test_time_limit_from_the_environment(tiny_store, workdir):
    r = run_sql(tiny_store, "sql", RUNAWAY["range"], cwd=workdir, TIDELINE_SQL_TIMEOUT="1.5")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "time limit of 1.5 s" in r.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--timeout", "0"], {}, "argument --timeout: not a number of seconds above 0: '0'"),
        (["--timeout", "soon"], {}, "argument --timeout: not a number of seconds above 0: 'soon'"),
        ([], {"TIDELINE_SQL_TIMEOUT": "-1"}, "refused: TIDELINE_SQL_TIMEOUT: not a number of seconds above 0"),
        ([], {"TIDELINE_SQL_TEMP_LIMIT": "lots"}, "refused: TIDELINE_SQL_TEMP_LIMIT: not a size: 'lots'"),
        ([], {"TIDELINE_SQL_MEMORY_LIMIT": "2 parsecs"}, "refused: TIDELINE_SQL_MEMORY_LIMIT: not a size"),
    ],
)
def test_bad_limits_are_refused(tiny_store, args, env, message):
    r = run_sql(tiny_store, "sql", "SELECT 1", *args, **env)
    assert r.returncode == 2 and message in r.stderr and r.stdout == "", (r.stdout, r.stderr)


def test_spilling_goes_into_the_store_and_is_removed(tiny_store, workdir):
    """A count(DISTINCT) that does not fit in memory spills into <data_dir>/tmp/sql-<uuid>, never <cwd>/.tmp."""
    before = store_state(tiny_store)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TIDELINE_DATA_DIR": str(tiny_store.data_dir)}
    env["TIDELINE_SQL_MEMORY_LIMIT"] = "100MB"
    query = "SELECT count(DISTINCT range) AS n FROM range(30000000)"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "sql", query],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    spilled: dict[Path, int] = {}
    while proc.poll() is None:
        for f in (tiny_store.data_dir / "tmp").glob("sql-*/*"):
            try:
                spilled[f] = max(spilled.get(f, 0), f.stat().st_size)
            except FileNotFoundError:
                pass
        time.sleep(0.02)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out == "n\n30000000\n"
    assert sum(spilled.values()) > 10_000_000, spilled  # it did spill, into the store's temp folder
    assert list(workdir.iterdir()) == []  # no .tmp in the working directory
    assert store_state(tiny_store) == before  # the spill folder (and tmp/) removed afterwards


def test_the_temp_folder_is_fresh_inside_the_store(tiny_store, workdir):
    r = run_sql(tiny_store, "sql", "SELECT current_setting('temp_directory') AS d", cwd=workdir)
    assert r.returncode == 0, r.stderr
    folder = Path(r.stdout.splitlines()[1])
    assert folder.parent == tiny_store.data_dir / "tmp" and folder.name.startswith("sql-")
    assert not folder.exists() and not folder.parent.exists()


def test_spilling_is_bounded(tiny_store, workdir):
    before = store_state(tiny_store)
    r = run_sql(
        tiny_store,
        "sql",
        "SELECT count(DISTINCT range) AS n FROM range(30000000)",
        cwd=workdir,
        TIDELINE_SQL_MEMORY_LIMIT="100MB",
        TIDELINE_SQL_TEMP_LIMIT="5MB",
    )
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("refused: the query needs more") and "TIDELINE_SQL_TEMP_LIMIT" in r.stderr
    assert store_state(tiny_store) == before and list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    "statement",
    [
        "WITH d AS (DELETE FROM incidents RETURNING *) SELECT count(*) FROM d",
        "with d as (update incidents set dead = 0 returning *) select * from d",
        "WITH d AS (INSERT INTO crossings_daily SELECT * FROM crossings_daily RETURNING *) SELECT count(*) FROM d",
        "/* weekly */ WiTh d As MaTeRiAlIzEd (dElEtE fRoM incidents ReTuRnInG *) SeLeCt 1",
        "WITH a AS (SELECT 1 AS x), d AS (DELETE FROM incidents RETURNING 1 AS x) SELECT x FROM a UNION ALL "
        "SELECT x FROM d",
        "SELECT 1; WITH d AS (DELETE FROM incidents RETURNING *) SELECT count(*) FROM d",
        "SELECT * FROM (WITH d AS (DELETE FROM incidents RETURNING *) SELECT * FROM d)",
        "SELECT * FROM incidents WHERE dead IN (WITH d AS (DELETE FROM incidents RETURNING dead) SELECT dead FROM d)",
        "WITH d AS (COPY incidents TO 'out.csv') SELECT 1",
    ],
)
def test_writes_anywhere_in_a_statement_are_refused(tiny_store, workdir, statement):
    before = store_state(tiny_store)
    r = run_sql(tiny_store, "sql", statement, cwd=workdir)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("refused: only read-only SELECT queries are allowed"), r.stderr
    assert r.stdout == ""
    assert store_state(tiny_store) == before and list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("select COUNT(*) as n from INCIDENTS -- the total", "n\n4\n"),
        ("/* two */ SELECT 1 AS n; SELECT 2 AS n", "n\n2\n"),
        (
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT sum(n) AS n FROM r",
            "n\n6\n",
        ),
        ("WITH d AS MATERIALIZED (SELECT 'DELETE FROM incidents' AS n) SELECT n FROM d", "n\nDELETE FROM incidents\n"),
        ("SELECT count(*) AS n FROM (DESCRIBE incidents) WHERE column_name = 'dead'", "n\n1\n"),
    ],
)
def test_read_only_queries_still_run(tiny_store, workdir, query, expected):
    r = run_sql(tiny_store, "sql", query, cwd=workdir)
    assert (r.returncode, r.stdout) == (0, expected), r.stderr
    assert list(workdir.iterdir()) == []
