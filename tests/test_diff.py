"""What changed between two data versions (dashboard/diff.py and `python -m dashboard diff`), on two Home Office
small-boats releases imported through the real pipeline, the second revising the first by known amounts."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import diff, ingest
from dashboard.sources import home_office
from dashboard.store import Store, UnknownVersionError, Version

REPO = Path(__file__).resolve().parent.parent
HO = home_office.SOURCE
HEADER = "Date,Migrants arrived,Boats arrived\n"

# Release 1, then release 2: 2024-12-29 is '-' (not available) in both, so NULL = NULL, not a change;
# three days revised (people), one removed (3 Jan), two added (11 Feb, 5 Mar).
RELEASE_1 = {
    "29/12/2024": ("-", "-"),
    "30/12/2024": ("100", "2"),
    "31/12/2024": ("50", "1"),
    "01/01/2025": ("200", "4"),
    "02/01/2025": ("30", "1"),
    "03/01/2025": ("80", "2"),
    "10/02/2025": ("40", "1"),
}
RELEASE_2 = {
    "29/12/2024": ("-", "-"),
    "30/12/2024": ("100", "2"),
    "31/12/2024": ("65", "1"),  # +15
    "01/01/2025": ("170", "4"),  # -30: the largest revision
    "02/01/2025": ("42", "1"),  # +12
    "10/02/2025": ("40", "1"),
    "11/02/2025": ("25", "1"),  # added
    "05/03/2025": ("60", "2"),  # added
}
# People by year, by hand:  before 2024: 100 + 50 = 150; 2025: 200 + 30 + 80 + 40 = 350
#                           after  2024: 100 + 65 = 165; 2025: 170 + 42 + 40 + 25 + 60 = 337
YEARS = {"2024": (150, 165, 15), "2025": (350, 337, -13)}
# 2025 by month:  Jan 200 + 30 + 80 = 310 → 170 + 42 = 212; Feb 40 → 40 + 25 = 65; Mar none → 60
MONTHS = {"2025-01": (310, 212, -98), "2025-02": (40, 65, 25), "2025-03": (None, 60, 60)}


def write_release(path: Path, rows: dict[str, tuple[str, str]]) -> Path:
    path.write_text(HEADER + "".join(f"{day},{people},{boats}\n" for day, (people, boats) in rows.items()))
    return path


def import_file(store: Store, path: Path) -> Version:
    return ingest.apply(store, ingest.plan(store, path))


@pytest.fixture
def releases(tmp_path: Path) -> Store:
    """Version 1: the empty store's reference tables; 2: release 1; 3: release 2 (superseding release 1)."""
    store = Store(tmp_path / "store")
    ingest.init_empty(store)
    assert import_file(store, write_release(tmp_path / "sb01-release-1.csv", RELEASE_1)).id == 2
    assert import_file(store, write_release(tmp_path / "sb01-release-2.csv", RELEASE_2)).id == 3
    return store


def crossings(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["table"] == "crossings_daily"].reset_index(drop=True)


def test_rows_added_removed_and_changed(releases):
    d = diff.compare(releases, 2, 3)
    assert (d.old.id, d.new.id) == (2, 3) and not d.same
    rows = d.changes.set_index(["table", "source"])
    assert rows.loc[("crossings_daily", HO)][["rows_before", "rows_after", "added", "removed", "changed"]].tolist() == [
        7,
        8,
        2,
        1,
        3,
    ]
    assert rows.loc[("crossings_daily", HO), "as_of_before"] == pd.Timestamp("2025-02-10")
    assert rows.loc[("crossings_daily", HO), "as_of_after"] == pd.Timestamp("2025-03-05")
    # the reference tables were carried over untouched (their provenance too): no change
    others = d.changes[d.changes["table"] != "crossings_daily"]
    assert set(others["table"]) == {"routes", "regions"}
    assert (others[["added", "removed", "changed"]] == 0).all().all()
    assert list(d.changed()["table"]) == ["crossings_daily"]
    assert d.summary() == "2 rows added, 1 removed and 3 changed in 1 table"


def test_provenance_never_counts_and_null_equals_null(releases):
    """Release 2 re-stamps every row it carries (sha256, loaded_version): unchanged days, the '-' one included,
    are not changes."""
    con = releases.connect(3)
    stamped = con.execute("SELECT DISTINCT loaded_version FROM crossings_daily").fetchall()
    assert stamped == [(3,)]
    d = diff.compare(releases, 2, 3)
    assert crossings(d.changes)["changed"].tolist() == [3]
    assert date(2024, 12, 29) not in {r.date() for r in d.revisions["date"]}


def test_totals_by_year_and_by_month_for_the_last_year(releases):
    totals = crossings(diff.compare(releases, 2, 3).totals)
    assert set(totals["measure"]) == {"people arrived"} and set(totals["source"]) == {HO}
    years = totals[totals["period_type"] == "year"]
    assert {r.period: (r.before, r.after, r.difference) for r in years.itertuples()} == YEARS
    months = totals[totals["period_type"] == "month"]
    got = {r.period: (None if pd.isna(r.before) else r.before, r.after, r.difference) for r in months.itertuples()}
    assert got == MONTHS


def test_largest_revision_first_with_date_and_values(releases):
    rev = crossings(diff.compare(releases, 2, 3).revisions)
    assert [(r.date.date(), r.before, r.after, r.change) for r in rev.itertuples()] == [
        (date(2025, 1, 1), 200, 170, -30),
        (date(2024, 12, 31), 50, 65, 15),
        (date(2025, 1, 2), 30, 42, 12),
    ]
    assert set(rev["key"]) == {"English Channel"} and set(rev["columns_changed"]) == {"people"}
    assert set(rev["measure"]) == {"people arrived"}
    top = diff.compare(releases, 2, 3, top=1).revisions
    assert crossings(top)["date"].tolist() == [pd.Timestamp("2025-01-01")]


def test_the_other_way_round_and_a_version_against_itself(releases):
    back = diff.compare(releases, 3, 2)
    assert crossings(back.changes)[["added", "removed", "changed"]].values.tolist() == [[1, 2, 3]]
    same = diff.compare(releases, 3, 3)
    assert same.same and same.changed().empty and same.summary() == "No rows differ"


def test_unknown_version(releases):
    with pytest.raises(UnknownVersionError, match=r"data version 9 does not exist \(known versions: 1, 2, 3\)"):
        diff.compare(releases, 2, 9)


def test_the_first_import_replaces_the_empty_stores_nothing(releases):
    d = diff.compare(releases, 1, 2)
    assert crossings(d.changes)[["rows_before", "rows_after", "added", "removed", "changed"]].values.tolist() == [
        [0, 7, 7, 0, 0]
    ]
    years = crossings(d.totals)
    assert years[years["period_type"] == "year"]["before"].isna().all()


def test_a_version_written_before_a_table_existed_reads_it_as_empty(tmp_path):
    store = Store(tmp_path / "store")
    ingest.init_empty(store)
    manifest_path = store.data_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for table in ("irregular_arrivals", "small_boat_asylum"):  # as a store written before they existed
        del manifest["versions"][0]["tables"][table]
    manifest_path.write_text(json.dumps(manifest))
    rows = pd.DataFrame(
        {
            "quarter_start": [date(2024, 1, 1), date(2024, 4, 1), date(2025, 1, 1)],
            "method": ["Small boat arrivals"] * 3,
            "nationality": ["Eritrea", "Eritrea", "Iran"],
            "nationality_region": ["Africa North", "Africa North", None],  # a NULL in the key
            "sex": ["Male"] * 3,
            "age_group": ["18 to 24"] * 3,
            "detections": [10, 20, 5],
            "source": ["Home Office: irregular migration"] * 3,
        }
    )
    store.commit({"irregular_arrivals": rows}, source_name="test", sha256="1" * 64)
    d = diff.compare(store, 1, 2)
    arrivals = d.changes[d.changes["table"] == "irregular_arrivals"]
    assert arrivals[["rows_before", "rows_after", "added", "removed", "changed"]].values.tolist() == [[0, 3, 3, 0, 0]]
    years = d.totals[(d.totals["table"] == "irregular_arrivals") & (d.totals["period_type"] == "year")]
    assert years[["period", "after"]].values.tolist() == [["2024", 30], ["2025", 5]]
    # the NULL in the key matches itself: revising that row is a change, not a removal and an addition
    store.commit({"irregular_arrivals": rows.assign(detections=[10, 20, 7])}, source_name="test", sha256="2" * 64)
    d = diff.compare(store, 2, 3)
    arrivals = d.changes[d.changes["table"] == "irregular_arrivals"]
    assert arrivals[["added", "removed", "changed"]].values.tolist() == [[0, 0, 1]]
    assert d.revisions[["key", "before", "after", "change"]].values.tolist() == [
        ["Small boat arrivals · Iran · – · Male · 18 to 24", 5, 7, 2]
    ]


# -- revises: which import superseded an earlier release -----------------------------------------------------------
def v(
    id_: int,
    source: str,
    file: str | None,
    sha: str | None,
    *,
    synthetic: bool = False,
    day: str = "01",
    wrote: tuple[str, ...] = ("crossings_daily",),
) -> Version:
    tables = {t: {"file": f"versions/{id_}/{t}.parquet", "rows": 1} for t in wrote}
    return Version(id_, f"2026-10-{day}T09:00:00.000000Z", source, file, sha, None, synthetic, tables)


def test_revises_wording(releases):
    created = releases.version(2).created_at[:10]
    day = date.fromisoformat(created)
    assert diff.revises(releases.versions()) == {
        3: f"revises release of sb01-release-1.csv (version 2, {day.day} {day.strftime('%b')} {day.year})"
    }


def test_revises_the_latest_earlier_release_of_the_same_source():
    versions = [
        v(1, "demo", "data/demo", "d", synthetic=True),
        v(2, "home_office_small_boats", "r1.ods", "a", day="02"),
        v(3, "iom_missing_migrants", "iom.csv", "b", day="03"),
        v(4, "home_office_small_boats", "r2.ods", "c", day="19"),
        v(5, "home_office_small_boats", None, "e", day="20"),
        v(6, "demo", "data/demo", "f", synthetic=True),  # demo data revises nothing
        v(7, "iom_missing_migrants", "iom.csv", "b", day="21"),  # the same file again: not a revision
        v(8, "canonical", "operations.csv", "g", day="22", wrote=("operations",)),
        v(9, "canonical", "funding.csv", "h", day="23", wrote=("funding",)),  # another table: not a revision
        v(10, "canonical", "operations-2.csv", "i", day="24", wrote=("operations",)),
    ]
    assert diff.revises(versions) == {
        4: "revises release of r1.ods (version 2, 2 Oct 2026)",
        5: "revises release of r2.ods (version 4, 19 Oct 2026)",
        10: "revises release of operations.csv (version 8, 22 Oct 2026)",
    }
    assert diff.revises([v(1, "demo", "x", "d", synthetic=True), v(2, "demo", "y", "e", synthetic=True)]) == {}


# -- the command line ----------------------------------------------------------------------------------------------
def cli(store: Store, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TIDELINE_DATA_DIR": str(store.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )


def test_cli_prints_the_changes_as_csv(releases):
    r = cli(releases, "diff", "2", "3")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == list(diff.CHANGE_COLUMNS)
    (ho,) = [row for row in rows if row["table"] == "crossings_daily"]
    assert ho == {
        "table": "crossings_daily",
        "source": HO,
        "rows_before": "7",
        "rows_after": "8",
        "added": "2",
        "removed": "1",
        "changed": "3",
        "as_of_before": "2025-02-10",
        "as_of_after": "2025-03-05",
    }
    assert {row["table"] for row in rows} == {"crossings_daily", "routes", "regions"}


def test_cli_totals_and_revisions(releases, tmp_path):
    r = cli(releases, "diff", "2", "3", "--totals")
    assert r.returncode == 0, r.stderr
    rows = [row for row in csv.DictReader(io.StringIO(r.stdout)) if row["table"] == "crossings_daily"]
    years = {
        row["period"]: (row["before"], row["after"], row["difference"]) for row in rows if row["period_type"] == "year"
    }
    assert years == {p: tuple(str(x) for x in t) for p, t in YEARS.items()}
    march = [row for row in rows if row["period"] == "2025-03"]
    assert [(m["before"], m["after"], m["difference"]) for m in march] == [("", "60", "60")]
    out = tmp_path / "revisions.csv"
    r = cli(releases, "diff", "2", "3", "--revisions", "--out", str(out))
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert "2 rows added, 1 removed and 3 changed in 1 table" in r.stderr and str(out) in r.stderr
    first = next(csv.DictReader(out.open(encoding="utf-8")))
    assert (first["date"], first["key"], first["before"], first["after"], first["change"]) == (
        "2025-01-01",
        "English Channel",
        "200",
        "170",
        "-30",
    )


def test_cli_cells_are_formula_safe(tmp_path):
    store = Store(tmp_path / "store")
    ingest.init_empty(store)
    evil = '=HYPERLINK("http://x")'
    rows = pd.DataFrame(
        {"date": [date(2025, 1, 1)], "route": ["English Channel"], "people": [3], "boats": [1], "source": [evil]}
    )
    store.commit({"crossings_daily": rows.assign(status="final")}, source_name="test", sha256="1" * 64)
    r = cli(store, "diff", "1", "2")
    assert r.returncode == 0, r.stderr
    (row,) = [x for x in csv.DictReader(io.StringIO(r.stdout)) if x["table"] == "crossings_daily"]
    assert row["source"] == "'" + evil and row["added"] == "1"


def test_cli_unknown_version_exits_2(releases):
    r = cli(releases, "diff", "2", "42")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == ["refused: data version 42 does not exist (known versions: 1, 2, 3)"]


def test_cli_versions_say_which_release_is_revised(releases):
    r = cli(releases, "versions")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.returncode == 0 and [row["revises"] for row in rows][:2] == ["", ""]
    assert rows[2]["revises"].startswith("revises release of sb01-release-1.csv (version 2, ")


def test_a_table_both_versions_share_is_counted_without_joining_it_to_itself(store: Store, tmp_path: Path):
    """After an import of crossings, every other table of the new version is the previous version's own file: the
    shortcut for those gives what joining the two sides gives (the demo data: thousands of rows per table)."""
    v2 = import_file(store, write_release(tmp_path / "sb01-release-1.csv", RELEASE_1))
    v1 = store.version(v2.id - 1)
    shared = [t for t in v2.tables if v1.tables.get(t, {}).get("file") == v2.tables[t]["file"]]
    assert "incidents" in shared and "crossings_daily" not in shared
    con = store.connect(v2.id, beside=v1.id)
    try:
        for table in shared:
            quick, joined = diff._unchanged(con.cursor(), table), diff._changes(con.cursor(), table)
            assert len(quick) and quick.astype(str).equals(joined.astype(str)), table
    finally:
        con.close()
    d = diff.compare(store, v1.id, v2.id)
    assert set(d.changed()["table"]) == {"crossings_daily"}


def test_comparing_reads_both_versions_in_place(releases: Store, tmp_path: Path):
    """One connection reads the two versions' files, and no others: the earlier version's rows are not copied
    into Python to be compared (a ten-million-row version would be gigabytes)."""
    con = releases.connect(3, beside=2)
    try:
        assert con.execute('SELECT count(*) FROM before."crossings_daily"').fetchall() == [(7,)]
        assert con.execute('SELECT count(*) FROM "crossings_daily"').fetchall() == [(8,)]
        other = releases.table_file(1, "routes", releases.version(1).tables["routes"])
        with pytest.raises(duckdb.Error, match="Permission Error"):
            con.execute(f"SELECT count(*) FROM read_parquet('{other.parent / 'nothing.parquet'}')").fetchall()
    finally:
        con.close()


def test_a_key_repeated_on_both_sides_is_counted_row_by_row(tmp_path: Path):
    """Keys are unique in what Tideline imports, but a version written by other means may repeat one: the counts
    then come from the full join (each row counted once), never negative."""
    store = Store(tmp_path / "store")
    rows = pd.DataFrame(
        {
            "date": [date(2025, 1, 1)] * 2 + [date(2025, 1, 2)],
            "route": ["English Channel"] * 3,
            "people": [10, 10, 5],
            "boats": [1, 1, 1],
            "status": ["published"] * 3,
            "source": [HO] * 3,
        }
    )
    store.commit({"crossings_daily": rows}, source_name="test", sha256="1" * 64)
    store.commit({"crossings_daily": rows.assign(people=[10, 10, 6])}, source_name="test", sha256="2" * 64)
    con = store.connect(2, beside=1)
    try:
        assert diff._changes(con.cursor(), "crossings_daily") is None  # 4 pairs for the repeated key: refused
    finally:
        con.close()
    c = crossings(diff.compare(store, 1, 2).changes)
    assert c[["rows_before", "rows_after", "added", "removed", "changed"]].values.tolist() == [[3, 3, 0, 0, 1]]
