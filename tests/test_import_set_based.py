"""A big canonical Parquet file checked set-based (dashboard/sources/canonical_sql.py): the same accepted rows,
the same rejections (record, column, reason, value), notes and totals as the per-row reader, on files built
with the traps real files carry; staged on disk, committed by DuckDB, removed after."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard import ingest, reader, schema
from dashboard.sources import canonical, canonical_sql
from dashboard.sources.base import Staged
from dashboard.store import Store, typed_table, write_parts

TODAY = date.today()


def incidents_file(path: Path, *, extra_rows: int = 0) -> Path:
    """Incidents with traps, columns typed the way writers type them (text ids, dates as date32, counts as
    int64 or text), then `extra_rows` clean rows."""
    rows = [
        # id, date, lat, lon, region, route, type, people, dead, location, source
        ("A1", date(2024, 1, 5), 50.9, 1.4, "UK & Channel", "Channel", "launch", 40, 0, "Calais", "S1"),
        ("A2", date(2024, 1, 6), None, None, "UK & Channel", "Channel", "arrival", None, None, None, "S1"),  # no lat
        ("A3", date(1899, 12, 30), 50.0, 1.0, "UK & Channel", "Channel", "launch", 1, 0, "x", "S1"),  # spreadsheet zero
        ("A4", TODAY + timedelta(days=3), 50.0, 1.0, "UK & Channel", "Channel", "launch", 1, 0, "x", "S1"),  # future
        ("A5", date(2024, 2, 1), 95.0, 1.0, "UK & Channel", "Channel", "launch", 1, 0, "x", "S1"),  # latitude
        ("A6", date(2024, 2, 2), 50.0, 1.0, "UK & Channel", "Channel", "sunk", 1, 0, "x", "S1"),  # unknown type
        ("A7", date(2024, 2, 3), 50.0, 1.0, "  UK & Channel ", "Channel", "launch", 1, 0, "x", "S1"),  # padded: kept
        ("A8", date(2024, 2, 4), 50.0, 1.0, "UK & Channel", "Channel\u00a0", "launch", 1, 0, "x", "S1"),  # NBSP
        ("A9", date(2024, 2, 5), 50.0, 1.0, "UK & Channel", "Channel", "launch", -3, 0, "x", "S1"),  # negative
        ("A1", date(2024, 2, 6), 50.0, 1.0, "UK & Channel", "Channel", "launch", 2, 0, "x", "S1"),  # repeated id
        ("B1", date(2024, 2, 7), 50.0, 1.0, "UK & Channel", "Channel", "launch", 2, 0, "x", "S1"),
        ("B1", date(2024, 2, 8), 50.0, 1.0, "UK & Channel", "Channel", "launch", 2, 0, "x", "S2"),  # other source
        ("B2", date(2024, 2, 9), 50.0, 1.0, None, "Channel", "launch", 2, 0, "x", "S1"),  # region required
        ("", date(2024, 2, 9), 50.0, 1.0, "UK & Channel", "Channel", "launch", 2, 0, "x", "S1"),  # empty id
        ("B3", None, 50.0, 1.0, "UK & Channel", "Channel", "launch", 2, 0, "x", "S1"),  # no date
        ("B4", date(2024, 3, 1), 50.0, 1.0, "UK & Channel", "Channel", "launch", 2**40, 0, "x", "S1"),  # > INTEGER
        ("B5", date(2024, 3, 2), 50.0, 1.0, "UK & Channel", "Channel", "launch", 2, 0, "a\u202eb", "S1"),  # bidi
        ("B6", date(2024, 3, 3), 50.0, 1.0, "UK & Channel", "Channel", "launch", 2, 0, "   ", "S1"),  # blank text
    ]
    clean = [
        (f"C{i}", date(2020, 1, 1) + timedelta(days=i % 2000), 50.0 + (i % 7) / 10, 1.0, "UK & Channel", "Channel",
         "arrival", i % 50, 0, "Dover", "S1")
        for i in range(extra_rows)
    ]  # fmt: skip
    cols = list(zip(*(rows + clean), strict=True))
    table = pa.table(
        {
            "Incident_ID": pa.array(cols[0], pa.string()),  # a header in another case
            "date": pa.array(cols[1], pa.date32()),
            "lat": pa.array(cols[2], pa.float64()),
            "lon": pa.array(cols[3], pa.float64()),
            "region": pa.array(cols[4], pa.string()),
            "route": pa.array(cols[5], pa.string()),
            "incident_type": pa.array(cols[6], pa.string()),
            "people": pa.array(cols[7], pa.int64()),
            "dead": pa.array(cols[8], pa.int64()),
            "location": pa.array(cols[9], pa.string()),
            "source": pa.array(cols[10], pa.string()),
            "notes": pa.array(["ignored"] * len(cols[0]), pa.string()),  # not a column of the table
        }
    )
    pq.write_table(table, path)
    return path


def text_typed_file(path: Path) -> Path:
    """Crossings with every column as text, the way a CSV converted to Parquet arrives: counts with commas,
    'NA', dates in other forms, a month column on a daily table, whitespace."""
    rows = [
        ("2024-01-05", "Channel", "120", "published", "S"),
        ("05/01/2024", "Central Med", "1,234", "published", "S"),  # another date form, thousands comma
        ("2024-01-06", "Channel", "NA", "published", "S"),  # not available: NULL, never 0
        ("2024-01-07", "Channel", "12.0", "provisional", "S"),  # a spreadsheet's 12.0
        ("2024-01-08", "Channel", "12.5", "published", "S"),  # not whole
        ("2024-13-01", "Channel", "3", "published", "S"),  # not a date
        ("2024-01-09", " Channel", "3", "published", "S"),  # padded
        ("2024-01-05", "Channel", "7", "published", "S"),  # repeated date and route
        ("2024-01-10", "Channel", "1e3", "published", "S"),  # exponent form
        ("2024-01-11", "Channel", "3", "draft", "S"),  # unknown status
    ]
    cols = list(zip(*rows, strict=True))
    names = ["date", "route", "people", "status", "source"]
    pq.write_table(pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, cols, strict=True)}), path)
    return path


def funding_file(path: Path) -> Path:
    """Funding with financial years right and wrong, months as timestamps (one not the first of its month)."""
    rows = [
        ("2024-25", datetime(2024, 4, 1), "BSC", "Staff", 1_000_000, "S"),
        ("2024-26", datetime(2024, 5, 1), "BSC", "Staff", 5, "S"),  # not a financial year
        ("2024-25", datetime(2024, 5, 2, 10, 30), "BSC", "Staff", 5, "S"),  # not the first of the month
        ("2025-26", datetime(2025, 4, 1), "BSC", "Kit", None, "S"),
    ]
    cols = list(zip(*rows, strict=True))
    table = pa.table(
        {
            "financial_year": pa.array(cols[0], pa.string()),
            "month": pa.array(cols[1], pa.timestamp("us")),
            "programme": pa.array(cols[2], pa.string()),
            "funding_line": pa.array(cols[3], pa.string()),
            "category": pa.array(["staff"] * len(rows), pa.string()),
            "allocated_gbp": pa.array(cols[4], pa.int64()),
            "source": pa.array(cols[5], pa.string()),
        }
    )
    pq.write_table(table, path)
    return path


def rows_of(table: str, frame: pd.DataFrame | Staged) -> list[dict]:
    """Accepted rows as the store would write them, as plain values in a stable order, whichever way they
    were read (staged rows through the commit's writer, a frame through typed_table)."""
    if isinstance(frame, Staged):
        out = frame.database.parent / "written.parquet"
        spill = frame.database.parent / "spill"
        write_parts(table, [frame], out, previous=None, sha256=None, version_id=1, spill=spill)
        arrow = pq.read_table(out)
    else:
        arrow = typed_table(table, frame, sha256=None, version_id=None)
    names = [c.name for c in schema.TABLES[table]]
    out = [{k: r[k] for k in names} for r in arrow.to_pylist()]
    return sorted(out, key=lambda r: json.dumps(r, default=str, sort_keys=True))


def both_ways(path: Path, tmp_path: Path):
    per_row = canonical.read(path)
    set_based = canonical.read(path, staging=tmp_path / "staging", set_based=True)
    return per_row, set_based


@pytest.mark.parametrize("distinct_text", [canonical_sql.DISTINCT_TEXT, 0], ids=["by-distinct-value", "by-regex"])
@pytest.mark.parametrize(
    "make,table",
    [(incidents_file, "incidents"), (text_typed_file, "crossings_daily"), (funding_file, "funding")],
)
def test_set_based_reads_exactly_as_the_per_row_reader(tmp_path, monkeypatch, make, table, distinct_text):
    """Text columns are checked by their distinct values when they have few, else row by row with a regular
    expression: either way the same rows are vouched for, rejected and written as the per-row reader's."""
    monkeypatch.setattr(canonical_sql, "DISTINCT_TEXT", distinct_text)
    path = make(tmp_path / f"{table}.parquet")
    per_row, set_based = both_ways(path, tmp_path)
    assert isinstance(set_based.tables[table], Staged) and isinstance(per_row.tables[table], pd.DataFrame)
    assert set_based.rejected == per_row.rejected  # record, column, reason and value, in record order
    assert per_row.rejected, "the fixture has bad rows"
    assert rows_of(table, set_based.tables[table]) == rows_of(table, per_row.tables[table])
    assert set_based.rows_read == per_row.rows_read
    assert set_based.rows_accepted == per_row.rows_accepted > 0
    assert set_based.notes == per_row.notes and set_based.source == per_row.source
    pd.testing.assert_frame_equal(set_based.totals_by_year, per_row.totals_by_year)


def test_the_traps_land_where_they_should(tmp_path):
    """Independent of the per-row reader: the set-based read names each trap's record, column and reason."""
    result = canonical.read(incidents_file(tmp_path / "i.parquet"), staging=tmp_path / "s", set_based=True)
    got = {(r.row, r.column): r.reason for r in result.rejected}
    assert got[(3, "date")] == "date 1899-12-30 is before 1900-01-01"
    assert got[(4, "date")].endswith("is in the future")
    assert got[(5, "lat")] == "lat 95.0 is outside -90..90"
    assert got[(6, "incident_type")].startswith("'sunk' is not one of")
    assert got[(9, "people")] == "negative count: -3"
    assert got[(10, "source, incident_id")] == "duplicate of record 1 (same source and incident_id)"
    assert got[(13, "region")] == "region is required but empty"
    assert got[(14, "incident_id")] == "incident_id is required but empty"
    assert got[(16, "people")].startswith("count 1099511627776 is too large")
    assert len(got) == len(result.rejected) == 10
    rows = {r["incident_id"]: r for r in rows_of("incidents", result.tables["incidents"])}
    assert rows["A7"]["region"] == "UK & Channel" and rows["A8"]["route"] == "Channel"  # stripped as strip() does
    assert rows["A2"]["lat"] is None and rows["A2"]["people"] is None
    assert rows["B6"]["location"] is None  # blank text is NULL
    assert rows["B1"]["source"] in ("S1", "S2") and len([r for r in result.rejected if r.row == 12]) == 0
    assert result.notes[0] == "columns not in table incidents ignored: notes"


def test_unvouched_rows_are_the_only_ones_read_per_row(tmp_path):
    """Clean rows are vouched for in SQL; only the trap rows are fetched for the per-row rules."""
    path = incidents_file(tmp_path / "i.parquet", extra_rows=5000)
    names = {c: c for c in ("date", "lat", "lon", "region", "route", "incident_type", "people", "dead", "location")}
    check = canonical_sql.Check(
        path, "incidents", tmp_path / "c", names | {"source": "source", "incident_id": "Incident_ID"}
    )
    try:
        rules = canonical_sql.Rules(
            bounds=canonical._date_bounds("incidents", TODAY),
            allowed={c: v for (t, c), v in canonical.ALLOWED.items() if t == "incidents"},
            ranges=canonical.RANGES,
        )
        assert check.stage(rules) == 5018
        slow = check.unvouched()
        # A1/B1 repeats are caught by the grouping; B5's bidi control (17) goes per row, to be staged without it
        assert slow == [3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 18]
        fetched = [n for numbers, _ in check.raw_batches(slow, batch_size=4) for n in numbers]
        assert fetched == slow
    finally:
        check.close()


def test_a_small_file_or_no_staging_folder_is_read_per_row(tmp_path):
    path = incidents_file(tmp_path / "i.parquet")
    assert isinstance(canonical.read(path).tables["incidents"], pd.DataFrame)
    assert isinstance(canonical.read(path, staging=tmp_path / "s").tables["incidents"], pd.DataFrame)  # < 100k
    assert canonical_sql.supports("incidents") and not canonical_sql.supports("routes")


def test_import_commits_staged_rows_and_removes_them(tmp_path, monkeypatch):
    """Through ingest: the staged rows land in the new version with provenance, bidi controls removed, the
    other sources' rows kept; the staging folder is gone afterwards."""
    monkeypatch.setattr(canonical, "SET_BASED_ROWS", 1)
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    first = ingest.apply(store, ingest.plan(store, funding_file(tmp_path / "f.parquet")), accept_partial=True)
    plan = ingest.plan(store, incidents_file(tmp_path / "i.parquet", extra_rows=50))
    staged = plan.result.tables["incidents"]
    assert isinstance(staged, Staged) and staged.database.exists()
    assert staged.database.is_relative_to(store.data_dir / "tmp" / "import")
    assert len(staged.head(5)) == 5
    with pytest.raises(ingest.ImportRefused):  # rejected rows without accept_partial: nothing changes
        ingest.apply(store, plan)
    assert store.current_id() == first.id and staged.database.exists()  # still there for "import the good rows"
    version = ingest.apply(store, plan, accept_partial=True)
    assert not staged.database.parent.exists()
    con = store.connect(version.id)
    got = con.execute(
        "SELECT count(*), count(DISTINCT source_sha256), min(loaded_version), max(loaded_version) FROM incidents"
    ).fetchone()
    assert got == (staged.rows, 1, version.id, version.id)
    assert con.execute("SELECT location FROM incidents WHERE incident_id = 'B5'").fetchone() == ("ab",)
    assert con.execute("SELECT count(*) FROM funding").fetchone()[0] == 2  # the earlier import is kept
    assert version.tables["incidents"]["rows"] == staged.rows


def test_the_rows_committed_are_the_rows_checked_whatever_happens_to_the_file(tmp_path, monkeypatch):
    """The staged rows are read from a copy of the file in the staging folder: an upload removed after it is read,
    or a file overwritten before the analyst confirms, still commits exactly the rows that were checked."""
    monkeypatch.setattr(canonical, "SET_BASED_ROWS", 1)
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    path = incidents_file(tmp_path / "i.parquet", extra_rows=50)
    plan = ingest.plan(store, path)
    staged = plan.result.tables["incidents"]
    expected = rows_of("incidents", staged)
    funding_file(path)  # overwritten with another table's rows
    path.unlink()
    version = ingest.apply(store, plan, accept_partial=True)
    con = store.connect(version.id)
    assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == len(expected) == staged.rows
    got = {r[0] for r in con.execute("SELECT incident_id FROM incidents").fetchall()}
    assert got == {r["incident_id"] for r in expected}


def test_abandoned_plan_is_discarded(tmp_path, monkeypatch):
    monkeypatch.setattr(canonical, "SET_BASED_ROWS", 1)
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    plan = ingest.plan(store, incidents_file(tmp_path / "i.parquet"))
    folder = plan.result.tables["incidents"].database.parent
    assert folder.exists()
    plan.discard()
    assert not folder.exists()
    old = store.data_dir / "tmp" / "import" / "left-by-a-closed-tab"
    old.mkdir(parents=True)
    import os

    os.utime(old, (0, 0))
    ingest.staging_dir(store)
    assert not old.exists()  # a day-old staged read nobody confirmed


def test_the_apps_reader_process_stages_a_big_file(tmp_path):
    """The app reads uploads in a separate process: a file over the threshold comes back staged in the
    store and commits from there."""
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    path = incidents_file(tmp_path / "big.parquet", extra_rows=canonical.SET_BASED_ROWS)
    plan = reader.plan_in_child(store, path)
    staged = plan.result.tables["incidents"]
    assert isinstance(staged, Staged) and staged.rows == canonical.SET_BASED_ROWS + 8
    version = ingest.apply(store, plan, accept_partial=True)
    assert version.tables["incidents"]["rows"] == staged.rows


def test_check_memory_is_bounded(tmp_path):
    """The checking connection has a memory limit and spills only into the staging folder."""
    check = canonical_sql.Check(incidents_file(tmp_path / "i.parquet"), "incidents", tmp_path / "c", {})
    try:
        limit = check.con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')")
        memory, temp = limit.fetchall()[0]
        assert memory.startswith("488") or "MiB" in memory or "MB" in memory
        assert temp == str(tmp_path / "c" / "spill")
    finally:
        check.close()


def float_ids_file(path: Path) -> Path:
    """Ids written as float64 with a gap (what pandas writes for numeric ids with a missing one), and a column
    type with no set-based rule (DECIMAL) holding the people: every such row is judged per row."""
    table = pa.table(
        {
            "incident_id": pa.array([1.0, None, 3.0, 4.0], pa.float64()),
            "date": pa.array([date(2024, 1, d) for d in (1, 2, 3, 4)], pa.date32()),
            "region": ["UK & Channel"] * 4,
            "route": ["Channel"] * 4,
            "incident_type": ["launch"] * 4,
            "people": pa.array([1, 2, None, 4], pa.decimal128(10, 0)),
            "source": ["S"] * 4,
        }
    )
    pq.write_table(table, path)
    return path


def test_a_required_column_of_a_type_sql_does_not_judge_is_judged_per_row(tmp_path):
    per_row, set_based = both_ways(float_ids_file(tmp_path / "ids.parquet"), tmp_path)
    assert [(r.row, r.column, r.reason) for r in set_based.rejected] == [
        (2, "incident_id", "incident_id is required but empty")
    ]
    assert set_based.rejected == per_row.rejected
    assert rows_of("incidents", set_based.tables["incidents"]) == rows_of("incidents", per_row.tables["incidents"])


def test_a_file_with_its_own_file_row_number_column_is_read_per_row(tmp_path):
    path = tmp_path / "numbered.parquet"
    table = pq.read_table(incidents_file(tmp_path / "i.parquet"))
    pq.write_table(table.append_column("file_row_number", pa.array(range(table.num_rows))), path)
    result = canonical.read(path, staging=tmp_path / "s", set_based=True)
    assert isinstance(result.tables["incidents"], pd.DataFrame)  # not staged: DuckDB's own column would clash
    assert "columns not in table incidents ignored: notes, file_row_number" in result.notes


def test_the_commit_refuses_a_staged_null_in_a_required_column(tmp_path):
    """A backstop under the checks: staged rows with a NULL where the schema requires a value never land."""
    import duckdb

    from dashboard.store import StoreError

    folder = tmp_path / "stage"
    folder.mkdir()
    con = duckdb.connect(str(folder / "rows.duckdb"))
    con.execute(schema.create_sql("crossings_daily", provenance=False).replace(" NOT NULL", ""))
    con.execute("INSERT INTO crossings_daily (date, route, people, status, source) VALUES "
                "(DATE '2024-01-01', 'Channel', 3, 'published', NULL)")  # fmt: skip
    con.close()
    staged = Staged(folder / "rows.duckdb", "crossings_daily", 1)
    with pytest.raises(StoreError, match="source is required but NULL"):
        write_parts("crossings_daily", [staged], tmp_path / "out.parquet", previous=None, sha256=None, version_id=1,
                    spill=tmp_path / "spill")  # fmt: skip
    staged.discard()
    with pytest.raises(StoreError, match="the checked rows of this import are gone"):
        write_parts("crossings_daily", [staged], tmp_path / "out.parquet", previous=None, sha256=None, version_id=1,
                    spill=tmp_path / "spill")  # fmt: skip


def dated_file(path: Path, days: list[date]) -> Path:
    """Clean incidents, one per day given, in the order given."""
    n = len(days)
    pq.write_table(
        pa.table(
            {
                "incident_id": [f"D{i}" for i in range(n)],
                "date": pa.array(days, pa.date32()),
                "lat": [50.0] * n,
                "lon": [1.0] * n,
                "region": ["UK & Channel"] * n,
                "route": ["Channel"] * n,
                "incident_type": ["arrival"] * n,
                "people": [i % 40 for i in range(n)],
                "source": ["S1"] * n,
            }
        ),
        path,
    )
    return path


def date_ranges(store: Store, version) -> list[tuple[date, date]]:
    """(min, max) of `date` in each row group of the version's incidents file, in file order."""
    meta = pq.ParquetFile(store.table_file(version.id, "incidents", version.tables["incidents"])).metadata
    col = meta.schema.names.index("date")
    return [(meta.row_group(g).column(col).statistics.min, meta.row_group(g).column(col).statistics.max)
            for g in range(meta.num_row_groups)]  # fmt: skip


@pytest.mark.parametrize("order", ["rising", "falling", "shuffled"])
def test_a_file_already_in_date_order_is_written_as_it_comes(tmp_path, order):
    """250,000 incidents over 2,500 days: in date order (either way) the store skips its sort and each row group
    still holds a narrow range of dates; shuffled, the store sorts them. The rows are the same either way."""
    days = [date(2010, 1, 1) + timedelta(days=i // 100) for i in range(250_000)]
    if order == "falling":
        days.reverse()
    elif order == "shuffled":
        import random

        random.Random(0).shuffle(days)
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    plan = ingest.plan(store, dated_file(tmp_path / "d.parquet", days))
    staged = plan.result.tables["incidents"]
    assert isinstance(staged, Staged) and staged.clustered is (order != "shuffled")
    version = ingest.apply(store, plan)
    ranges = date_ranges(store, version)
    assert len(ranges) >= 2
    span = (max(days) - min(days)).days
    spans = sum((hi - lo).days for lo, hi in ranges)
    if order == "shuffled":  # sorted by the store: the row groups follow one another
        assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert spans <= 1.5 * span, ranges  # a period filter skips most row groups, whichever way the file came
    con = store.connect(version.id)
    got = con.execute("SELECT count(*), min(date), max(date), sum(people) FROM incidents").fetchall()
    assert got == [(250_000, min(days), max(days), sum(i % 40 for i in range(250_000)))]


def test_kept_rows_and_rows_in_order_are_written_without_a_sort(tmp_path):
    """A second source imported in date order beside the first: the kept rows and the new ones are written as
    they come; the row groups still hold narrow ranges but where the two meet."""
    first = [date(2010, 1, 1) + timedelta(days=i // 100) for i in range(250_000)]
    second = [date(2017, 1, 1) + timedelta(days=i // 100) for i in range(250_000)]
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    ingest.apply(store, ingest.plan(store, dated_file(tmp_path / "one.parquet", first)))
    path = dated_file(tmp_path / "two.parquet", second)
    pq.write_table(pq.read_table(path).set_column(8, "source", pa.array(["S2"] * len(second))), path)
    plan = ingest.plan(store, path)
    assert plan.result.tables["incidents"].clustered
    version = ingest.apply(store, plan)
    ranges = date_ranges(store, version)
    span = (max(second) - min(first)).days
    assert len(ranges) >= 4 and sum((hi - lo).days for lo, hi in ranges) <= 1.5 * span, ranges
    got = store.connect(version.id).execute("SELECT source, count(*) FROM incidents GROUP BY 1 ORDER BY 1").fetchall()
    assert got == [("S1", 250_000), ("S2", 250_000)]


def test_rows_accepted_one_by_one_are_judged_where_they_will_be_written(tmp_path):
    """The rows the per-row rules accept are written after the others: an early date among them breaks the
    order (the store sorts); a late one keeps it."""
    days = [date(2010, 1, 1) + timedelta(days=i // 100) for i in range(250_000)]
    for where, clustered in ((10, False), (249_990, True)):
        path = dated_file(tmp_path / f"d{where}.parquet", days)
        table = pq.read_table(path)
        region = table.column("region").to_pylist()
        region[where] = "  UK & Channel "  # padded: SQL cannot vouch for it, the per-row rules strip and keep it
        pq.write_table(table.set_column(4, "region", pa.array(region)), path)
        store = Store(tmp_path / f"store{where}")
        store.ensure_initialised()
        plan = ingest.plan(store, path)
        staged = plan.result.tables["incidents"]
        assert staged.rows == 250_000 and staged.clustered is clustered, where
        plan.discard()


def test_kept_rows_and_shuffled_new_rows_are_sorted_together(tmp_path, monkeypatch):
    """A second source out of date order beside the first: the parts are written together, then sorted in one
    scan (DuckDB ran out of its 1 GB sorting a UNION ALL of ten million new rows and the demo's kept ones; at this
    size the failure does not reproduce reliably, so this checks what the detour writes). Every row is kept with
    its own provenance, in date order, and the parts' temporary file is gone."""
    import random

    first = [date(2010, 1, 1) + timedelta(days=i // 100) for i in range(150_000)]
    second = [date(2009, 1, 1) + timedelta(days=i // 100) for i in range(150_000)]
    random.Random(1).shuffle(second)
    monkeypatch.setattr(canonical, "SET_BASED_ROWS", 1)
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    one = ingest.apply(store, ingest.plan(store, dated_file(tmp_path / "one.parquet", first)))
    path = dated_file(tmp_path / "two.parquet", second)
    pq.write_table(pq.read_table(path).set_column(8, "source", pa.array(["S2"] * len(second))), path)
    plan = ingest.plan(store, path)
    assert not plan.result.tables["incidents"].clustered
    version = ingest.apply(store, plan)
    ranges = date_ranges(store, version)
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:], strict=False)), ranges
    con = store.connect(version.id)
    got = con.execute(
        "SELECT source, count(*), min(loaded_version), max(loaded_version), count(DISTINCT source_sha256) "
        "FROM incidents GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert got == [("S1", 150_000, one.id, one.id, 1), ("S2", 150_000, version.id, version.id, 1)]
    shas = dict(con.execute("SELECT source, any_value(source_sha256) FROM incidents GROUP BY 1").fetchall())
    assert shas == {"S1": one.sha256, "S2": version.sha256}
    assert not list(store.spill_dir().parent.rglob("union-*.parquet"))


def test_a_key_that_differs_only_by_a_bidi_control_is_a_repeat_both_ways(tmp_path):
    """The store keeps text without bidi controls: 'A1' and 'A\u202a1' are one key, set-based and per row."""
    rows = incidents_file(tmp_path / "base.parquet", extra_rows=0)
    table = pq.read_table(rows).slice(0, 2)
    ids = ["Q1", "Q\u202a1"]
    pq.write_table(table.set_column(0, "Incident_ID", pa.array(ids)), tmp_path / "bidi.parquet")
    per_row, set_based = both_ways(tmp_path / "bidi.parquet", tmp_path)
    assert set_based.rejected == per_row.rejected
    assert [(r.row, r.reason) for r in set_based.rejected] == [
        (2, "duplicate of record 1 (same source and incident_id)")
    ]


def test_a_clean_file_with_one_repeated_key_still_has_it_refused(tmp_path, monkeypatch):
    """Every row vouched for in the one scan, but two rows share a key: the distinct key hashes fall one short of
    the rows, so the repeat is looked for and refused."""
    monkeypatch.setattr(canonical, "SET_BASED_ROWS", 1)
    days = [date(2015, 1, 1) + timedelta(days=i % 3000) for i in range(5000)]
    path = dated_file(tmp_path / "d.parquet", days)
    table = pq.read_table(path)
    ids = table.column("incident_id").to_pylist()
    ids[4321] = ids[17]
    pq.write_table(table.set_column(0, "incident_id", pa.array(ids)), path)
    result = canonical.read(path, staging=tmp_path / "s", set_based=True)
    assert [(r.row, r.reason) for r in result.rejected] == [
        (4322, "duplicate of record 18 (same source and incident_id)")
    ]
    assert result.tables["incidents"].rows == 4999
    clean = canonical.read(dated_file(tmp_path / "c.parquet", days), staging=tmp_path / "s2", set_based=True)
    assert clean.rejected == [] and clean.tables["incidents"].rows == 5000
