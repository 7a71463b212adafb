"""`python -m dashboard ingest` and `init` as a user runs them, on the committed fixtures."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import schema
from dashboard.store import Store

REPO = Path(__file__).resolve().parent.parent
FIX = Path(__file__).resolve().parent / "fixtures"


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TIDELINE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )


def snapshot(data_dir: Path) -> tuple:
    """Versions and every table's row count: what 'the store is unchanged' means."""
    store = Store(data_dir)
    con = store.connect()
    counts = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in schema.DATA_TABLES)
    return tuple(v.id for v in store.versions()), counts, (data_dir / "manifest.json").read_bytes()


@pytest.fixture
def empty_store(tmp_path) -> Path:
    r = cli(tmp_path / "store", "init", "--empty")
    assert r.returncode == 0 and "Empty store created" in r.stdout, r.stderr
    return tmp_path / "store"


def test_init_empty_then_refuses_to_reinitialise(empty_store):
    r = cli(empty_store, "init", "--empty")
    assert r.returncode == 2 and "already has data versions" in r.stderr


@pytest.mark.parametrize(
    ("fixture", "fragment"),
    [
        ("home_office/truncated.ods", "truncated.ods: not a readable ODS workbook (damaged or truncated?)"),
        ("home_office/wrong_sheets.ods", "SB_01"),
        ("home_office/garbage.csv", "garbage.csv: binary content (NUL bytes), not a text CSV"),
        ("home_office/empty.csv", "empty"),
        ("home_office/latin1.csv", "UTF-8"),
        ("home_office/huge_line.csv", ""),
        ("iom/wrong_header.csv", ""),
        ("iom/latin1.csv", "UTF-8"),
        ("frontex/missing_column.csv", ""),
        ("canonical/nomatch.csv", ""),
    ],
)
def test_malformed_files_are_refused_whole_and_change_nothing(empty_store, fixture, fragment):
    before = snapshot(empty_store)
    r = cli(empty_store, "ingest", str(FIX / fixture))
    assert r.returncode == 2, (r.stdout, r.stderr)
    refusal = r.stderr.splitlines()[-1]  # after any progress lines
    assert refusal.startswith("refused: file refused: ") and Path(fixture).name in refusal
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(empty_store) == before


def test_bad_rows_refused_then_accepted_partially(empty_store, tmp_path):
    before = snapshot(empty_store)
    report = tmp_path / "report.csv"
    r = cli(empty_store, "ingest", str(FIX / "frontex/bad_rows.csv"), "--report", str(report))
    assert r.returncode == 2 and "8 row(s) of bad_rows.csv were rejected; nothing was imported" in r.stderr
    assert "line 4, column 'n': negative count: -4" in r.stderr
    assert snapshot(empty_store) == before
    rows = list(csv.DictReader(report.open()))
    assert len(rows) == 8 and rows[0]["file"] == "bad_rows.csv" and rows[0]["row"] == "3"
    r = cli(empty_store, "ingest", str(FIX / "frontex/bad_rows.csv"), "--accept-partial")
    assert r.returncode == 0 and "New data version: 2" in r.stdout
    out = cli(empty_store, "sql", "SELECT sum(detections) AS d FROM route_flows")
    assert out.stdout == "d\n108\n"  # the good rows' hand-computed total


def test_each_format_imports_with_the_publishers_totals(empty_store):
    r = cli(empty_store, "ingest", str(FIX / "iom/current.csv"))
    assert r.returncode == 0, r.stderr
    assert "Format: IOM Missing Migrants Project" in r.stdout and "(detected)" in r.stdout
    assert "2023: 602" in r.stdout and "New data version: 2" in r.stdout
    r = cli(empty_store, "ingest", str(FIX / "frontex/detections.csv"))
    assert r.returncode == 0 and "2023: 5,380" in r.stdout, r.stderr
    q = cli(
        empty_store,
        "sql",
        "SELECT extract(year FROM month) AS y, sum(detections) AS d FROM route_flows GROUP BY 1 ORDER BY 1",
    )
    assert q.stdout == "y,d\n2022,2150\n2023,5380\n2024,1425\n"
    q = cli(
        empty_store,
        "sql",
        "SELECT extract(year FROM date) AS y, sum(coalesce(dead,0)+coalesce(missing,0)) AS n "
        "FROM incidents GROUP BY 1 ORDER BY 1",
    )
    assert q.stdout == "y,n\n2023,602\n2024,76\n2025,16\n"


def test_reimport_is_a_no_op_and_says_so(empty_store):
    assert cli(empty_store, "ingest", str(FIX / "iom/older.csv")).returncode == 0
    before = snapshot(empty_store)
    r = cli(empty_store, "ingest", str(FIX / "iom/older.csv"))
    assert r.returncode == 0 and "No change: this exact file (same sha256) is already in data version 2" in r.stdout
    assert snapshot(empty_store) == before


def test_importing_into_the_demo_store_drops_the_demo(tmp_path):
    store_dir = tmp_path / "demo-store"
    r = cli(store_dir, "ingest", str(FIX / "iom/split.csv"))
    assert r.returncode == 0, r.stderr
    assert "drops every demo row" in r.stdout and "New data version: 2" in r.stdout
    q = cli(store_dir, "sql", "SELECT count(*) AS n FROM incidents WHERE source LIKE 'Synthetic%'")
    assert q.stdout == "n\n0\n"
    q = cli(store_dir, "sql", "SELECT count(*) AS n FROM incidents WHERE source LIKE 'Synthetic%'", "--version", "1")
    assert q.stdout != "n\n0\n"  # the demo version itself is still there, readable by id


SB01 = "Date,Migrants arrived,Boats arrived\n"
CROSSINGS = "date,route,people,boats,source,status\n"


def half(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("cut.xlsx", lambda: half(FIX / "home_office/small_boats.xlsx"), "not a readable XLSX workbook (damaged or"),
        ("cut.ods", lambda: half(FIX / "home_office/small_boats.ods"), "not a readable ODS workbook (damaged or"),
        ("utf16.csv", lambda: (SB01 + "2024-01-01,5,1\n").encode("utf-16"), "not UTF-8 text (UTF-16 detected"),
        ("nul.csv", lambda: b"Date,Migrants\x00 arrived,Boats arrived\n2024-01-01,5,1\n", "binary content (NUL"),
        ("book.csv", lambda: (FIX / "home_office/small_boats.xlsx").read_bytes(), "the bytes are an XLSX workbook"),
    ],
)
def test_unreadable_files_are_refused_saying_why(empty_store, tmp_path, name, content, fragment):
    """Each once said only "not a format Tideline can import"."""
    path = tmp_path / name
    path.write_bytes(content())
    before = snapshot(empty_store)
    r = cli(empty_store, "ingest", str(path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    refusal = r.stderr.splitlines()[-1]
    assert refusal.startswith(f"refused: file refused: {name}: ") and fragment in refusal, refusal
    assert "not a format Tideline can import" not in r.stderr and "Traceback" not in r.stderr
    assert snapshot(empty_store) == before


def test_the_report_neutralises_a_file_name_a_spreadsheet_would_run(empty_store, tmp_path):
    path = tmp_path / "=2+5 x.csv"
    path.write_text(CROSSINGS + "2024-01-01,English Channel,-3,1,S,final\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    r = cli(empty_store, "ingest", str(path), "--report", str(report))
    assert r.returncode == 2 and "line 2, column 'people': negative count: -3" in r.stderr, r.stderr
    ((row,),) = [list(csv.DictReader(report.open(encoding="utf-8")))]
    assert row["file"] == "'=2+5 x.csv" and row["row"] == "2" and row["column"] == "people"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("sb01.csv", SB01 + "2024-01-01,-,-\n2024-01-02,-,-\n2025-01-01,7,1\n"),  # Home Office: 2024 all '-'
        (
            "incidents.csv",  # a canonical incidents file without dead or missing
            "incident_id,date,lat,lon,region,route,incident_type,people,source\n"
            "A,2024-01-01,50,1,UK & Channel,English Channel,arrival,3,S\n",
        ),
    ],
)
def test_a_year_whose_count_is_all_null_totals_a_dash(empty_store, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    r = cli(empty_store, "ingest", str(path))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "  2024: –\n" in r.stdout and "New data version: 2" in r.stdout


def test_a_count_too_large_for_the_store_is_a_rejected_row_not_a_failed_commit(empty_store, tmp_path):
    """3,000,000,000 passed validation and failed at commit with DuckDB's 'Conversion Error'."""
    path = tmp_path / "sb01.csv"
    path.write_text(SB01 + "2024-01-01,3000000000,1\n2024-01-02,5,1\n", encoding="utf-8")
    before = snapshot(empty_store)
    r = cli(empty_store, "ingest", str(path))
    assert r.returncode == 2 and "Conversion Error" not in r.stderr, r.stderr
    assert (
        "Rejected: sb01.csv, line 2, column 'Migrants arrived': count 3000000000 is too large for its column "
        "(at most 2,147,483,647)" in r.stderr
    )
    assert snapshot(empty_store) == before
    r = cli(empty_store, "ingest", str(path), "--accept-partial")
    assert r.returncode == 0, r.stderr
    assert cli(empty_store, "sql", "SELECT sum(people) AS n FROM crossings_daily").stdout == "n\n5\n"


def test_a_repeated_key_is_rejected_not_summed(empty_store, tmp_path):
    path = tmp_path / "crossings.csv"
    row = "2024-01-01,English Channel,10,1,S,final\n"
    path.write_text(CROSSINGS + row + row, encoding="utf-8")
    r = cli(empty_store, "ingest", str(path), "--accept-partial")
    assert r.returncode == 0, r.stderr
    assert "crossings.csv, line 3, column 'date, route': duplicate of line 2 (same date and route)" in r.stderr
    assert cli(empty_store, "sql", "SELECT sum(people) AS n FROM crossings_daily").stdout == "n\n10\n"  # not 20
