"""Decompression bombs and oversize files: refused before anything big is built, naming the limit and
the setting that raises it, with the reading process's memory bounded; the app reads uploads in a
separate process that is stopped past its memory limit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import bombs
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.reader import resident_bytes
from dashboard.store import Store

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "streamlit_app.py")
GIB = 1 << 30
HO = REPO / "tests/fixtures/home_office"


def ingest(store: Store, path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """`python -m dashboard ingest PATH` with its peak resident memory (polled from /proc)."""
    full = {**os.environ, "TIDELINE_DATA_DIR": str(store.data_dir), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "ingest", str(path)],
        cwd=REPO,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, resident_bytes(proc.pid))
        time.sleep(0.02)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), peak


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "store")
    s.ensure_initialised()
    return s


BOMBS = {
    # name: (make(tmp_path) -> path, words of the refusal, environment)
    "ODS, a data row repeated a billion times": (
        lambda d: bombs.ods(d / "repeat.ods", repeated_rows=1_000_000_000),
        "its number of rows (1,000,000,001) is over the limit of 2,000,000",
        {},
    ),
    "ODS, a billion empty rows between two data rows": (
        lambda d: bombs.ods(d / "gap.ods", empty_gap=1_000_000_000),
        "its number of rows (1,000,000,003) is over the limit of 2,000,000",
        {},
    ),
    "Parquet, 30 million records in under 1 MB": (
        lambda d: bombs.parquet(d / "many.parquet", 30_000_000),
        "its number of records (30,000,000) is over the limit of 2,000,000",
        {},
    ),
    "XLSX, 20,000 x 30 cells with a 100,000-cell limit": (
        lambda d: bombs.xlsx(d / "wide.xlsx", 20_000, 30),
        "its number of cells",
        {"TIDELINE_IMPORT_MAX_CELLS": "100000"},
    ),
    "XLSX, a Home Office release with one stray value at cell XFD1048576": (
        lambda d: bombs.stray_cell(HO / "small_boats.xlsx", d / "stray.xlsx", "SB_01"),
        "stray.xlsx, sheet 'SB_01': its cells reach column XFD and row 1,048,576, so it is read as a grid of "
        "1,048,576 rows by 16,384 columns (17,179,869,184 cells), over the limit of 40,000,000 cells",
        {},
    ),
    "XLSX, a stray value at ZZZZZZ3, written r = '…'": (
        lambda d: bombs.stray_cell(
            HO / "small_boats.xlsx", d / "spaced.xlsx", "SB_01", "XFD3", written_as="r = 'ZZZZZZ3'"
        ),
        "spaced.xlsx, sheet 'SB_01': its cells reach column ZZZZZZ and row 18, so it is read as a grid of 18 rows",
        {},
    ),
    "ODS, a header 250 cells wide over 200,000 one-cell rows": (
        lambda d: bombs.ods_wide_header(d / "wide.ods", width=250, rows=200_000),
        "wide.ods, sheet 'SB_01': its cells reach column IP and row 200,001, so it is read as a grid of 200,001 rows "
        "by 250 columns",
        {},
    ),
    "CSV, 150,000 lines with a 100,000-row limit": (
        lambda d: bombs.csv_lines(d / "long.csv", 150_000),
        "its number of lines (more than 100,000) is over the limit of 100,000",
        {"TIDELINE_IMPORT_MAX_ROWS": "100000"},
    ),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_bombs_are_refused_naming_the_limit_with_memory_bounded(store, tmp_path, case):
    make, words, env = BOMBS[case]
    path = make(tmp_path)
    assert path.stat().st_size < 8 << 20  # a small file…
    r, peak = ingest(store, path, **env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert words in r.stderr and "TIDELINE_IMPORT_MAX_" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert store.current_id() == 1  # nothing changed
    print(f"\n{case}: {path.stat().st_size:,} bytes on disk; refused with peak RSS {peak / 2**20:,.0f} MiB")
    assert 0 < peak < GIB  # …refused by a process that never grew past 1 GiB (about 140 MiB here)


def test_zip_members_declaring_more_than_the_byte_limit_are_refused(store, tmp_path):
    path = bombs.xlsx(tmp_path / "big.xlsx", 10_000, 10)
    r, _ = ingest(store, path, TIDELINE_IMPORT_MAX_BYTES="1M")
    assert r.returncode == 2 and "its uncompressed size" in r.stderr and "TIDELINE_IMPORT_MAX_BYTES" in r.stderr


def test_limits_are_configurable_for_big_legitimate_files(store, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(
        "date,route,people,boats,source,status\n"
        + "".join(
            f"{date.fromordinal(date(2005, 1, 1).toordinal() + i)},English Channel,{i % 9},1,S,final\n"
            for i in range(5_000)
        )
    )
    r, _ = ingest(store, path, TIDELINE_IMPORT_MAX_ROWS="1000")
    assert r.returncode == 2 and "its number of lines (more than 1,000) is over the limit of 1,000" in r.stderr
    r, _ = ingest(store, path, TIDELINE_IMPORT_MAX_ROWS="100000")
    assert r.returncode == 0 and "New data version: 2" in r.stdout, r.stderr


def test_an_unparseable_limit_keeps_the_default_and_says_so(store, tmp_path):
    r, _ = ingest(store, bombs.ods(tmp_path / "repeat.ods", repeated_rows=10_000_000), TIDELINE_IMPORT_MAX_ROWS="lots")
    assert r.returncode == 2 and "over the limit of 2,000,000" in r.stderr
    assert "TIDELINE_IMPORT_MAX_ROWS='lots' is not a positive whole number: default kept" in r.stderr


# -- the app: uploads are read in a separate process -------------------------------------------
def upload(at: AppTest, path: Path) -> AppTest:
    at.file_uploader(key="data_upload").set_value((path.name, path.read_bytes(), "application/octet-stream"))
    return at.run()


def data_page(monkeypatch: pytest.MonkeyPatch, store: Store, **env: str) -> AppTest:
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(store.data_dir))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(APP, default_timeout=120).run()
    return at.switch_page(registry.page("data").script).run()


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error).replace("\\", "")


def test_the_upload_page_refuses_a_bomb_without_reading_it(store, tmp_path, monkeypatch):
    at = upload(data_page(monkeypatch, store), bombs.ods(tmp_path / "repeat.ods", repeated_rows=1_000_000_000))
    assert not at.exception
    assert "File refused — repeat.ods: its number of rows (1,000,000,001)" in errors(at)
    assert store.current_id() == 1


def test_the_upload_reader_is_stopped_past_its_memory_limit(store, tmp_path, monkeypatch):
    """The reader process (python, pandas, DuckDB: ~100 MiB before reading anything) with a 60 MB limit."""
    path = REPO / "tests/fixtures/frontex/detections.csv"
    at = upload(data_page(monkeypatch, store, TIDELINE_IMPORT_MAX_MEMORY="60M"), path)
    assert not at.exception
    assert "detections.csv: reading it took more than 60 MB of memory, the limit for one import" in errors(at)
    assert "TIDELINE_IMPORT_MAX_MEMORY" in errors(at) and store.current_id() == 1


def test_uploads_are_read_in_another_process_and_named_as_uploaded(store, tmp_path, monkeypatch):
    at = data_page(monkeypatch, store)
    source = REPO / "tests/fixtures/frontex/detections.csv"
    named = tmp_path / "Frontex release (Nov 2026).csv"
    named.write_bytes(source.read_bytes())
    at = upload(at, named)
    assert not at.exception and not at.error
    assert any("Frontex" in s.value for s in at.success)
    plan, error = next(at.session_state[k] for k in at.session_state if str(k).startswith("_plan_"))
    assert error is None and plan.path.name == "Frontex release (Nov 2026).csv"
    assert not (store.data_dir / "uploads").exists()  # no copy kept in the store


def test_the_upload_page_refuses_a_stray_far_cell_without_reading_it(store, tmp_path, monkeypatch):
    """A reader given such a sheet asks for its whole grid and aborts the process: the page names the sheet and the
    cell's column and row instead."""
    path = bombs.stray_cell(HO / "small_boats.xlsx", tmp_path / "release.xlsx", "SB_01", "XFD1048576")
    at = upload(data_page(monkeypatch, store), path)
    assert not at.exception
    assert "release.xlsx, sheet 'SB_01': its cells reach column XFD and row 1,048,576" in errors(at)
    assert "Is there a value far outside the table?" in errors(at) and store.current_id() == 1


# -- the grid a sheet's references span: bounds looked for cheaply, counted exactly when over the limit --------------
def grid_xlsx(path: Path, cells: list[str]) -> Path:
    """An XLSX whose one sheet holds a value at each of `cells` (written by openpyxl, rows in order)."""
    import openpyxl

    book = openpyxl.Workbook()
    for cell in cells:
        book.active[cell] = 1
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("cells", "max_cells", "refused"),
    [
        (["A1", "Z999999"], 40_000_000, None),  # within the bounds looked for: no exact count
        (["A1", "AB1000000"], 40_000_000, None),  # 28 x 1,000,000: found by the quick search, under the limit
        (["A1", "AO1000000"], 40_000_000, "column AO and row 1,000,000"),  # 41 x 1,000,000
        (["A1", "BH2000"], 40_000_000, None),  # 60 columns: bounds over the limit, the exact count under it
        (["A1", "BH2000"], 100_000, "column BH and row 2,000"),
        (["A1", "XFD1"], 40_000_000, None),  # one long row
        (["A1", "C5000000"], 40_000_000, None),  # beyond Excel's last row, but 3 columns wide: 15 million
        (["A1", "J5000000"], 40_000_000, "column J and row 5,000,000"),
    ],
)
def test_a_sheets_grid_is_bounded_by_its_farthest_references(tmp_path, cells, max_cells, refused):
    from dashboard.settings import ImportLimits
    from dashboard.sources import bounds
    from dashboard.sources.base import TooLarge

    if any(int("".join(filter(str.isdigit, c))) > 1_048_576 for c in cells):  # openpyxl writes no such row
        path = grid_xlsx(tmp_path / "grid.xlsx", [c if i == 0 else "A2" for i, c in enumerate(cells)])
        with zipfile.ZipFile(path) as zf:
            parts = {info.filename: zf.read(info) for info in zf.infolist()}
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
            b'r="A2"', f'r="{cells[-1]}"'.encode()
        )
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in parts.items():
                zf.writestr(name, data)
    else:
        path = grid_xlsx(tmp_path / "grid.xlsx", cells)
    limits = ImportLimits(max_cells=max_cells)
    if refused is None:
        bounds.check(path, limits)
    else:
        with pytest.raises(TooLarge, match=re.escape(refused)):
            bounds.check(path, limits)


RUST_ABORT = """memory allocation of 549755813888 bytes failed
stack backtrace:
   0: std::alloc::rust_oom
   1: __rustc::__rust_alloc_error_handler
  30: _start
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.
"""


@pytest.mark.parametrize(
    ("stderr", "returncode", "said"),
    [
        (RUST_ABORT, -6, "stopped by SIGABRT: memory allocation of 549755813888 bytes failed"),  # not the note
        ("Could not determine dtype for column 1, falling back to string\n", -9, "stopped by SIGKILL"),  # a warning
        ("Traceback (most recent call last):\n  File ...\nMemoryError\n", 1, "MemoryError"),
        ("", -9, "stopped by SIGKILL"),
        ("", 7, "exit code 7"),
    ],
)
def test_a_reader_process_that_dies_is_said_in_its_last_words(stderr, returncode, said):
    from dashboard.reader import died_of

    assert died_of(stderr, returncode) == said
