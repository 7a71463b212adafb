"""The command line, run as a user runs it: a subprocess with TIDELINE_DATA_DIR set."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    before = sorted((tiny_store.data_dir).rglob("*"))
    manifest = (tiny_store.data_dir / "manifest.json").read_bytes()
    r = run(tiny_store, "sql", statement)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("refused: only read-only SELECT queries are allowed")
    assert r.stdout == ""
    assert sorted(tiny_store.data_dir.rglob("*")) == before
    assert (tiny_store.data_dir / "manifest.json").read_bytes() == manifest


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
    assert rows[0]["rows"] == "29"
