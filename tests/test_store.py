"""The versioned store: types enforced, versions pinned, loads atomic even when killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import tiny

from dashboard import schema
from dashboard.store import Store, StoreError, UnknownVersionError

REPO = Path(__file__).resolve().parent.parent


def people_total(store: Store, version: int | None = None) -> int:
    return store.connect(version).execute("SELECT sum(people) FROM crossings_daily").fetchone()[0]


def test_every_canonical_table_exists_with_its_types(tiny_store):
    con = tiny_store.connect()
    for table in schema.ALL_TABLES:
        cols = con.execute(f"DESCRIBE {table}").df().set_index("column_name")["column_type"]
        expected = schema.SNAPSHOT_COLUMNS if table == "snapshots" else schema.columns(table)
        assert [(c.name, c.type) for c in expected] == list(cols.items()), table


def test_provenance_is_stamped(tiny_store):
    row = tiny_store.connect().execute("SELECT DISTINCT source_sha256, loaded_version FROM incidents").fetchall()
    assert row == [("0" * 64, 1)]


def test_snapshots_table_lists_versions(tiny_store):
    tiny_store.commit({"routes": tiny.frames()["routes"]}, source_name="again")
    snaps = tiny_store.connect().execute("SELECT snapshot_id, source_name, status FROM snapshots").fetchall()
    assert snaps == [(1, "tiny", "superseded"), (2, "again", "current")]
    old = tiny_store.connect(1).execute("SELECT snapshot_id, status FROM snapshots").fetchall()
    assert old == [(1, "superseded")]


def test_a_new_load_leaves_older_versions_readable(tiny_store):
    frames = tiny.frames()
    frames["crossings_daily"] = frames["crossings_daily"].assign(people=[1, 1, 1, 1, 1, 1])
    v2 = tiny_store.commit({"crossings_daily": frames["crossings_daily"]}, source_name="revision")
    assert v2.id == 2 and tiny_store.current_id() == 2
    assert people_total(tiny_store) == 6
    assert people_total(tiny_store, 1) == 190  # the pinned version still gives the old numbers
    # untouched tables are shared, not copied
    assert v2.tables["incidents"]["file"] == "versions/1/incidents.parquet"


def test_unknown_version_is_a_clear_error(tiny_store):
    with pytest.raises(UnknownVersionError, match=r"data version 7 does not exist \(known versions: 1\)"):
        tiny_store.connect(7)


@pytest.mark.parametrize(
    ("table", "column", "bad", "message"),
    [
        ("crossings_daily", "people", "lots", "crossings_daily"),
        ("crossings_daily", "date", "yesterday", "crossings_daily"),
        ("incidents", "date", None, "NOT NULL"),
        ("routes", "path", "not a path", "routes"),
    ],
)
def test_bad_types_are_refused_and_change_nothing(tiny_store, table, column, bad, message):
    frames = tiny.frames()
    frames[table] = frames[table].astype({column: object})
    frames[table].loc[0, column] = bad
    with pytest.raises(StoreError, match=message):
        tiny_store.commit({table: frames[table]}, source_name="bad")
    assert tiny_store.current_id() == 1 and len(tiny_store.versions()) == 1
    assert not list((tiny_store.data_dir / "versions").glob(".staging-*"))
    assert people_total(tiny_store) == 190


def test_missing_columns_and_unknown_tables_are_refused(tiny_store):
    with pytest.raises(StoreError, match="missing column"):
        tiny_store.commit({"routes": pd.DataFrame({"route": ["x"]})}, source_name="bad")
    with pytest.raises(StoreError, match="not a canonical table: nonsense"):
        tiny_store.commit({"nonsense": pd.DataFrame()}, source_name="bad")
    assert tiny_store.current_id() == 1


def test_connection_cannot_touch_files(tiny_store, tmp_path):
    con = tiny_store.connect()
    with pytest.raises(duckdb.Error):
        con.execute(f"COPY crossings_daily TO '{tmp_path / 'x.csv'}'")
    with pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")
    assert not (tmp_path / "x.csv").exists()


def test_a_version_is_read_in_place_not_copied(tiny_store):
    """Each table is a view over the version's Parquet file: opening costs no copy, whatever the row count."""
    con = tiny_store.connect()
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert set(schema.DATA_TABLES) <= views and "snapshots" in tables and not set(schema.DATA_TABLES) & tables


def test_a_version_reads_its_own_files_and_no_other(tiny_store):
    """The sandbox holds with files read in place: another version's files, or any other file, stay refused."""
    frames = tiny.frames()
    tiny_store.commit({"incidents": frames["incidents"]}, source_name="again")
    old = tiny_store.data_dir / "versions" / "1" / "incidents.parquet"
    new = tiny_store.data_dir / "versions" / "2" / "incidents.parquet"
    con = tiny_store.connect(2)
    assert con.execute(f"SELECT count(*) FROM read_parquet('{new}')").fetchone() == (len(frames["incidents"]),)
    for query in (f"SELECT * FROM read_parquet('{old}')", f"SELECT * FROM '{tiny_store.manifest_path}'"):
        with pytest.raises(duckdb.PermissionException, match="Cannot access file"):
            con.execute(query)
    with pytest.raises(duckdb.Error):
        con.execute("SET allowed_paths = ['/']")


def test_a_column_added_since_a_version_was_written_reads_as_null(tiny_store):
    """An older Tideline's file lacks incidents.group_id (issue 13): the view gives NULL with the schema's type."""
    import pyarrow.parquet as pq

    path = tiny_store.data_dir / "versions" / "1" / "incidents.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["group_id"]), path)
    con = tiny_store.connect()
    assert con.execute("SELECT count(*), count(group_id) FROM incidents").fetchone() == (4, 0)
    kinds = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE incidents)").fetchall())
    assert kinds["group_id"] == "VARCHAR"


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import pandas as pd
    sys.path.insert(0, {tests!r})
    import tiny
    from dashboard.store import Store
    store, marker, phase = Store(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    frames = tiny.frames()
    n = 3_000_000 if phase == "writing" else 10
    frames["crossings_daily"] = pd.DataFrame({{
        "date": pd.date_range("1990-01-01", periods=n, freq="min").date, "route": "English Channel",
        "people": 1, "boats": 1, "source": "crash", "status": "final"}})
    def hold():
        marker.write_text("published data, manifest not yet written")
        time.sleep(120)
    store.commit(frames, source_name="crash", _before_publish=hold if phase == "manifest" else None)
    marker.write_text("finished")
""")


@pytest.mark.parametrize("phase", ["manifest", "writing"])
def test_a_killed_import_leaves_the_previous_version_current_and_intact(tiny_store, tmp_path, phase):
    before = {t: len(tiny_store.connect().execute(f"SELECT * FROM {t}").fetchall()) for t in schema.DATA_TABLES}
    marker = tmp_path / "marker"
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=str(Path(__file__).parent)))
    child = subprocess.Popen(
        [sys.executable, str(script), str(tiny_store.data_dir), str(marker), phase],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 120
    staging = tiny_store.data_dir / "versions"
    while time.monotonic() < deadline:  # kill while it is still working
        if phase == "manifest" and marker.exists():
            break
        if phase == "writing" and any(staging.glob(".staging-*/*.parquet")):
            break
        assert child.poll() is None, "the import finished before it could be killed"
        time.sleep(0.01)
    else:
        pytest.fail("the child never reached the point to kill it")
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not marker.exists() or marker.read_text() != "finished"
    assert tiny_store.current_id() == 1 and [v.id for v in tiny_store.versions()] == [1]
    after = {t: len(tiny_store.connect().execute(f"SELECT * FROM {t}").fetchall()) for t in schema.DATA_TABLES}
    assert after == before
    assert people_total(tiny_store) == 190
    # the next load works and takes the next id, replacing anything the dead load left behind
    v = tiny_store.commit({"routes": tiny.frames()["routes"]}, source_name="after crash")
    assert v.id == 2 and people_total(tiny_store) == 190


def test_empty_store_loads_the_demo_as_version_one(tmp_path):
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    for table, frame in tiny.frames().items():
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].map(lambda v: isinstance(v, list)).any():
                frame[col] = frame[col].map(lambda v: str(v).replace("'", '"'))
        frame.assign(source=schema.DEMO_SOURCE).to_csv(demo_dir / f"{table}.csv", index=False)
    store = Store(tmp_path / "store", demo_dir=demo_dir)
    v = store.ensure_initialised()
    assert v.id == 1 and v.synthetic and v.source_name == "demo" and len(v.sha256) == 64
    assert store.ensure_initialised().id == 1  # second use: no new version
    con = store.connect()
    assert con.execute("SELECT sum(people) FROM crossings_daily").fetchone()[0] == 190
    assert con.execute("SELECT count(*) FROM crossings_daily WHERE people IS NULL").fetchone()[0] == 1


def test_text_is_stored_without_bidi_controls(tiny_store):
    frames = tiny.frames()
    incidents = frames["incidents"].copy()
    incidents["location"] = "\u202egnp.exe\u202c Calais \u2067لندن\u2069"
    incidents["cause"] = "Drowning\u200d"  # a zero-width joiner is not a bidi control: kept
    tiny_store.commit({"incidents": incidents}, source_name="hostile")
    rows = tiny_store.connect().execute("SELECT DISTINCT location, cause FROM incidents").fetchall()
    assert rows == [("gnp.exe Calais لندن", "Drowning\u200d")]
    counts = tiny_store.connect().execute("SELECT count(*), sum(people) FROM incidents").fetchone()
    assert counts == tiny_store.connect(1).execute("SELECT count(*), sum(people) FROM incidents").fetchone()


def test_label_lists_and_version_notes_are_stored_without_bidi_controls(tiny_store):
    regions = tiny.frames()["regions"].copy()
    regions["iom_labels"] = [["\u202eNorth Africa", None], *([[]] * (len(regions) - 1))]
    version = tiny_store.commit(
        {"regions": regions}, source_name="\u2066iom\u2069", file_name="\u202ea.csv", note="\u202dnote"
    )
    assert (version.source_name, version.file_name, version.note) == ("iom", "a.csv", "note")
    labels = tiny_store.connect().execute("SELECT iom_labels FROM regions").fetchall()
    assert ["North Africa", None] in [row[0] for row in labels]
