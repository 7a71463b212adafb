"""IOM Missing Migrants importer: layouts, dates, coordinates, labels, rejections and structural errors.

Fixtures are in tests/fixtures/iom (built by make_fixtures.py there); expected totals are worked out
by hand below from the rows in that script.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard import schema, store
from dashboard.sources import iom
from dashboard.sources.base import Rejection, StructuralError

FIX = Path(__file__).parent / "fixtures" / "iom"
ROOT = Path(__file__).parent.parent
INCIDENT_COLUMNS = [c.name for c in schema.columns("incidents", provenance=False)]

_spec = importlib.util.spec_from_file_location("iom_make_fixtures", FIX / "make_fixtures.py")
mk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mk)

# Dead + missing (blank = 0) by year, summed by hand from the rows in make_fixtures.py:
LITERAL_TOTALS = {
    "current.csv": {
        2023: 602,  # 3+10, 6+blank, 82+500, 1+0 = 13+6+582+1
        2024: 76,  # 4+0, 12+40, 5+blank, 12+0, 1+blank, 2+blank = 4+52+5+12+1+2
        2025: 16,  # 2+8, blank+blank, 1+0, 0+3, 0+2 = 10+0+1+3+2
    },
    "older.csv": {
        2018: 10,  # 5+2, 1+blank, 2+0 = 7+1+2
        2019: 115,  # 12+30, 0+4, 30+blank, 39+0 = 42+4+30+39
        2020: 97,  # 3+91, 2+1 (its Total column says 5; the separate counts win) = 94+3
    },
    "split.csv": {
        2022: 11,  # 2+5, 4+0 (25/12/2022) = 7+4
        2023: 25,  # 1+2 (05/01/2023 = 5 Jan), blank+20, 1+blank, 1+0 = 3+20+1+1
        2024: 3,  # 3+0
    },
    "bad_rows.csv": {
        2023: 4,  # line 8: 0+4
        2024: 5,  # line 2: 2+1, line 7 (no coordinates, still counted): 1+0, line 11: 1+blank = 3+1+1
    },
}


def read(name: str | Path, regions: pd.DataFrame | None = None, **kw):
    """Import a fixture (by name) or any path."""
    return iom.read(FIX / name if isinstance(name, str) else name, regions=regions, **kw)


def by_id(result) -> pd.DataFrame:
    """The imported incidents indexed by id."""
    return result.tables["incidents"].set_index("incident_id")


def write_current(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    """A current-layout CSV with the given rows (built with make_fixtures.current)."""
    path.write_text(mk.csv_text(header or mk.CURRENT_HEADER, rows), encoding="utf-8", newline="")
    return path


def one_row(
    date: str = "2024-05-01",
    coords: str = "50.9, 1.6",
    dead: str = "1",
    main_id: str = "X1",
    route: str = "English Channel to the UK",
) -> list[str]:
    """A valid current-layout row with one field changed."""
    return mk.current(main_id, "Europe", date, dead, "0", "", "Drowning", "Off Calais", coords, route)


# --- fixtures ----------------------------------------------------------------------------------


def test_committed_fixtures_are_make_fixtures_output(tmp_path: Path):
    mk.main(tmp_path)
    for made in sorted(tmp_path.iterdir()):
        assert made.read_bytes() == (FIX / made.name).read_bytes(), made.name


# --- detect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["current.csv", "older.csv", "split.csv", "bad_rows.csv"])
def test_detect_layouts(name: str):
    assert iom.detect(FIX / name) is True


@pytest.mark.parametrize("name", ["wrong_header.csv", "garbage.bin.csv", "empty.csv", "no_such_file.csv"])
def test_detect_other_files_false(name: str):
    assert iom.detect(FIX / name) is False


def test_detect_directory_is_false():
    assert iom.detect(FIX) is False


def test_detect_latin1_with_iom_header_is_true_so_read_can_explain():
    # the header is plain ASCII: claiming the file lets read() say "not UTF-8" instead of "unknown format"
    assert iom.detect(FIX / "latin1.csv") is True


def test_detect_normalises_header_case_and_spacing(tmp_path: Path):
    header = [f"  {h.upper()} " for h in mk.CURRENT_HEADER]
    path = write_current(tmp_path / "shouty.csv", [one_row()], header=header)
    assert iom.detect(path) is True
    result = iom.read(path, regions=None)
    assert list(by_id(result).index) == ["IOM-X1"]


# --- totals and columns ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["current.csv", "older.csv", "split.csv", "bad_rows.csv"])
def test_totals_by_year(name: str):
    totals = read(name).totals_by_year
    assert list(totals.columns) == ["year", "dead_and_missing"]
    assert dict(zip(totals["year"], totals["dead_and_missing"], strict=True)) == LITERAL_TOTALS[name]


@pytest.mark.parametrize("name", ["current.csv", "older.csv", "split.csv", "bad_rows.csv"])
def test_frames_are_canonical(name: str):
    frame = read(name).tables["incidents"]
    assert list(frame.columns) == INCIDENT_COLUMNS
    table = store.typed_table("incidents", frame, sha256=None, version_id=1)
    assert table.num_rows == len(frame)
    assert frame["incident_id"].is_unique
    assert set(frame["incident_type"]) == {"dead or missing"}
    assert set(frame["source"]) == {iom.SOURCE}


@pytest.mark.parametrize("name,rows", [("current.csv", 15), ("older.csv", 9), ("split.csv", 7)])
def test_every_row_of_the_good_fixtures_is_kept(name: str, rows: int):
    result = read(name)
    assert (result.rows_read, result.rows_accepted, result.rejected) == (rows, rows, [])
    assert (result.format, result.source) == (iom.NAME, iom.SOURCE)


# --- current layout ----------------------------------------------------------------------------


def test_current_routes_and_regions_mapped():
    df = by_id(read("current.csv"))
    assert df.loc["IOM-2023.MMP0001", ["route", "region"]].tolist() == ["Central Mediterranean", "Mediterranean"]
    assert df.loc["IOM-2023.MMP0002", ["route", "region"]].tolist() == ["English Channel", "UK & Channel"]
    assert df.loc["IOM-2024.MMP0006", ["route", "region"]].tolist() == ["Atlantic (Canary Islands)", "Atlantic"]
    assert df.loc["IOM-2024.MMP0009", ["route", "region"]].tolist() == ["Western Balkans", "Balkans & Eastern Europe"]
    assert df.loc["IOM-2025.MMP0013", ["route", "region"]].tolist() == ["English Channel", "UK & Channel"]
    # no route label: kept with a marker; the Region label "Mediterranean" is a Tideline region
    assert df.loc["IOM-2025.MMP0014", ["route", "region"]].tolist() == ["(not stated)", "Mediterranean"]


def test_unknown_labels_kept_and_listed():
    result = read("current.csv")
    df = by_id(result)
    assert df.loc["IOM-2023.MMP0004", ["route", "region"]].tolist() == ["Sahara Desert crossing", "Northern Africa"]
    assert df.loc["IOM-2024.MMP0005", ["route", "region"]].tolist() == ["Sahara Desert crossing", "Northern Africa"]
    assert df.loc["IOM-2024.MMP0010", ["route", "region"]].tolist() == ["US-Mexico border crossing", "North America"]
    assert (
        "unknown route labels kept as-is: 'Sahara Desert crossing' (2 rows), "
        "'US-Mexico border crossing' (1 row); 3 rows"
    ) in result.notes
    assert (
        "unknown region labels kept as-is: 'North America' (1 row), 'Northern Africa' (2 rows); 3 rows"
    ) in result.notes
    assert "1 row(s) give no migration route: route set to '(not stated)'." in result.notes


def test_blank_counts_are_null_and_people_sums_known_counts():
    df = by_id(read("current.csv"))
    row = df.loc["IOM-2023.MMP0002"]  # 6 dead, missing blank, 50 survivors
    assert (row["dead"], row["survivors"], row["people"]) == (6, 50, 56)
    assert pd.isna(row["missing"])
    row = df.loc["IOM-2025.MMP0012"]  # only survivors known
    assert pd.isna(row["dead"]) and pd.isna(row["missing"])
    assert row["people"] == 15
    assert df.loc["IOM-2023.MMP0001", "people"] == 3 + 10 + 25


def test_people_null_when_no_count_is_known(tmp_path: Path):
    row = one_row(dead="")
    row[7] = ""  # Minimum Estimated Number of Missing
    df = by_id(iom.read(write_current(tmp_path / "c.csv", [row]), regions=None))
    assert df[["people", "dead", "missing", "survivors"]].isna().all(axis=None)


def test_coordinates_spacing_and_other_fields():
    df = by_id(read("current.csv"))
    assert df.loc["IOM-2023.MMP0003", ["lat", "lon"]].tolist() == [36.9, 21.3]  # "36.9,21.3"
    assert df.loc["IOM-2024.MMP0005", ["lat", "lon"]].tolist() == [17.0, 8.0]  # " 17.0 ,  8.0 "
    row = df.loc["IOM-2023.MMP0001"]
    assert row["date"] == pd.Timestamp("2023-02-14")
    assert (row["cause"], row["location"]) == ("Drowning", "Off Lampedusa, Italy")
    assert (row["source_url"], row["source_quality"]) == ("https://example.org/iom/2023.MMP0001", "3")


def test_incident_id_falls_back_to_incident_id_column():
    assert "IOM-2025.MMP0015" in by_id(read("current.csv")).index


def test_wkt_point_is_lon_lat(tmp_path: Path):
    path = write_current(tmp_path / "c.csv", [one_row(coords="POINT (1.6 50.9)")])
    assert by_id(iom.read(path, regions=None)).loc["IOM-X1", ["lat", "lon"]].tolist() == [50.9, 1.6]


@pytest.mark.parametrize(
    "coords,reason",
    [
        ("-91, 200", "latitude -91.0 is outside -90..90"),
        ("12.5, 190", "longitude 190.0 is outside -180..180"),
        ("50.9 1.6", "coordinates are not 'lat, lon': '50.9 1.6'"),
        ("50.9, 1.6, 3", "coordinates are not 'lat, lon': '50.9, 1.6, 3'"),
        ("north, east", "latitude is not a number: 'north'"),
    ],
)
def test_bad_coordinates_rejected(tmp_path: Path, coords: str, reason: str):
    result = iom.read(write_current(tmp_path / "c.csv", [one_row(coords=coords)]), regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [(2, "Coordinates", reason)]


def test_swapped_pair_hinted_only_when_swapping_fits(tmp_path: Path):
    # "150, 1.6": latitude 150 is impossible, but read the other way round it is a valid place
    result = iom.read(write_current(tmp_path / "c.csv", [one_row(coords="150, 1.6")]), regions=None)
    assert result.rejected[0].reason == "latitude 150.0 is outside -90..90 (latitude and longitude swapped?)"
    result = iom.read(write_current(tmp_path / "c.csv", [one_row(coords="95, 200")]), regions=None)
    assert result.rejected[0].reason == "latitude 95.0 is outside -90..90"


# --- dates -------------------------------------------------------------------------------------


def test_older_us_style_and_weekday_dates():
    dates = by_id(read("older.csv"))["date"].dt.strftime("%Y-%m-%d").to_dict()
    assert dates == {
        "IOM-40001": "2018-01-05",  # Fri, 01/05/2018 - 12:00
        "IOM-40002": "2018-03-12",  # March 12, 2018
        "IOM-40003": "2018-10-13",  # 10/13/2018
        "IOM-40004": "2019-06-08",  # Sat, 06/08/2019 - 12:00
        "IOM-40005": "2019-03-04",  # 03/04/2019, month first in older files
        "IOM-40006": "2019-07-24",  # Wed, 07/24/2019 - 12:00
        "IOM-40007": "2019-11-23",  # 11/23/2019
        "IOM-40008": "2020-02-16",  # ISO
        "IOM-40009": "2020-09-15",  # Tue, 09/15/2020 - 12:00
    }


def test_split_day_first_order_proved_by_the_file():
    result = read("split.csv")
    dates = result.tables["incidents"].set_index("incident_id")["date"].dt.strftime("%Y-%m-%d")
    assert dates["IOM-line-3"] == "2022-12-25"  # 25/12/2022
    assert dates["IOM-line-4"] == "2023-01-05"  # 05/01/2023: day first, as 25/12 shows
    assert dates["IOM-line-5"] == "2023-03-14"  # 14 March 2023
    assert "2 date(s) written dd/dd/yyyy read as day/month/year." in result.notes


def test_current_month_first_order_proved_by_the_file(tmp_path: Path):
    path = write_current(tmp_path / "c.csv", [one_row("12/31/2023", main_id="A"), one_row("02/03/2024", main_id="B")])
    dates = by_id(iom.read(path, regions=None))["date"].dt.strftime("%Y-%m-%d").to_dict()
    assert dates == {"IOM-A": "2023-12-31", "IOM-B": "2024-02-03"}


def test_weekday_must_match_date(tmp_path: Path):
    path = write_current(tmp_path / "c.csv", [one_row("Mon, 01/05/2018 - 12:00")])
    result = iom.read(path, regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (
            2,
            "Incident Date",
            "weekday Mon does not match 2018-01-05 (read as month/day/year): 'Mon, 01/05/2018 - 12:00'",
        )
    ]


@pytest.mark.parametrize(
    "text,reason",
    [
        ("yesterday", "not a date in a known form: 'yesterday'"),
        ("2024-02-30", "not a valid date: '2024-02-30'"),
        ("", "date is missing"),
    ],
)
def test_bad_dates_rejected(tmp_path: Path, text: str, reason: str):
    result = iom.read(write_current(tmp_path / "c.csv", [one_row(text)]), regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [(2, "Incident Date", reason)]


# --- older layout ------------------------------------------------------------------------------


def test_older_bom_and_crlf_handled():
    raw = (FIX / "older.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfWeb ID,") and b"\r\n" in raw
    df = by_id(read("older.csv"))
    assert list(df.index[:2]) == ["IOM-40001", "IOM-40002"]  # the BOM is not part of the first header
    assert df.loc["IOM-40001", ["route", "region"]].tolist() == ["Central Mediterranean", "Mediterranean"]
    assert df.loc["IOM-40009", ["route", "region"]].tolist() == ["Atlantic (Canary Islands)", "Atlantic"]
    assert df.loc["IOM-40003", "location"] == "Off Dunkirk, France"  # Location Description
    assert pd.isna(df.loc["IOM-40002", "missing"])


def test_older_total_mismatch_noted():
    notes = read("older.csv").notes
    assert (
        "Total Dead and Missing differs from dead + missing on 1 row(s) (line 10); the separate counts are used."
    ) in notes
    assert "3 date(s) written dd/dd/yyyy read as month/day/year." in notes


def test_bom_on_current_layout(tmp_path: Path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + mk.csv_text(mk.CURRENT_HEADER, [one_row()]).encode())
    assert iom.detect(path) is True
    assert list(by_id(iom.read(path, regions=None)).index) == ["IOM-X1"]


# --- split layout ------------------------------------------------------------------------------


def test_split_layout_mapping_and_ids():
    result = read("split.csv")
    df = by_id(result)
    assert list(df.index) == [f"IOM-line-{n}" for n in range(2, 9)]
    assert df.loc["IOM-line-3", ["route", "region"]].tolist() == ["English Channel", "UK & Channel"]
    assert df.loc["IOM-line-7", ["route", "region"]].tolist() == ["Eastern Borders", "Balkans & Eastern Europe"]
    assert df.loc["IOM-line-8", ["route", "region"]].tolist() == ["Eastern Route", "Horn of Africa"]
    assert df.loc["IOM-line-2", ["lat", "lon", "dead", "missing"]].tolist() == [33.2, 11.9, 2, 5]
    assert df["survivors"].isna().all()
    assert any(n.startswith("No Main ID, Web ID or Incident ID column") for n in result.notes)


def test_split_missing_longitude_rejected(tmp_path: Path):
    path = tmp_path / "s.csv"
    row = ["2024-01-01", "Europe", "English Channel", "1", "0", "1", "51.0", "", "Drowning", "Calais", ""]
    path.write_text(mk.csv_text(mk.SPLIT_HEADER, [row]), encoding="utf-8")
    result = iom.read(path, regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (2, "Longitude", "longitude is missing but the other is given")
    ]


# --- regions table -----------------------------------------------------------------------------


def test_regions_table_from_store_lists_and_from_csv_json():
    demo = pd.read_csv(ROOT / "data" / "demo" / "regions.csv")  # iom_labels as JSON text
    stored = demo.assign(iom_labels=demo["iom_labels"].map(json.loads))  # iom_labels as lists
    expected = by_id(read("current.csv"))[["route", "region"]]
    for regions in (demo, stored):
        pd.testing.assert_frame_equal(by_id(read("current.csv", regions))[["route", "region"]], expected)


def test_regions_table_maps_extra_labels():
    regions = pd.DataFrame(
        {"region": ["Sahel", "Mediterranean"], "iom_labels": [["Sahara Desert crossing"], ["Central Mediterranean"]]}
    )
    result = read("current.csv", regions)
    df = by_id(result)
    # the analyst's table files the label under a region; the route label itself is still kept as-is
    assert df.loc["IOM-2023.MMP0004", ["route", "region"]].tolist() == ["Sahara Desert crossing", "Sahel"]
    assert df.loc["IOM-2024.MMP0010", ["route", "region"]].tolist() == ["US-Mexico border crossing", "North America"]
    # a route the table does not list still takes its region from schema.REGIONS
    assert df.loc["IOM-2023.MMP0002", ["route", "region"]].tolist() == ["English Channel", "UK & Channel"]
    assert "unknown region labels kept as-is: 'North America' (1 row); 1 row" in result.notes


# --- bad rows ----------------------------------------------------------------------------------


def test_bad_rows_exact_rejections():
    result = read("bad_rows.csv")
    f = "bad_rows.csv"
    assert result.rejected == [
        Rejection(f, 3, "Incident Date", "not a valid date: '2024-13-45'", value="2024-13-45"),
        Rejection(
            f, 4, "Coordinates", "latitude 95.0 is outside -90..90 (latitude and longitude swapped?)", value="95, 12.5"
        ),
        Rejection(f, 5, "Number Dead", "negative count: -2", value="-2"),
        Rejection(
            f, 6, "Incident ID", "duplicate incident id 'IOM-2024.MMP0101' (first on line 2)", value="2024.MMP0101"
        ),
        Rejection(f, 9, "Incident Date", "date 2099-01-01 is in the future", value="2099-01-01"),
        Rejection(
            f,
            10,
            "Incident Date",
            "ambiguous day/month order in '05/01/2024': nothing in this file shows which comes first; use YYYY-MM-DD",
            value="05/01/2024",
        ),
    ]
    assert list(by_id(result).index) == [
        "IOM-2024.MMP0101",
        "IOM-2024.MMP0106",
        "IOM-2023.MMP0107",
        "IOM-2024.MMP0110",
    ]
    assert (result.rows_read, result.rows_accepted) == (10, 4)
    unplaced = by_id(result).loc["IOM-2024.MMP0106"]
    assert pd.isna(unplaced["lat"]) and pd.isna(unplaced["lon"]) and unplaced["dead"] == 1  # kept, counted
    assert any(n.startswith("1 incident(s) give no coordinates: kept without a position") for n in result.notes)


def test_duplicate_of_a_rejected_row_is_kept(tmp_path: Path):
    path = write_current(tmp_path / "c.csv", [one_row("nope", main_id="D"), one_row(main_id="D")])
    result = iom.read(path, regions=None)
    assert [(r.row, r.column) for r in result.rejected] == [(2, "Incident Date")]
    assert list(by_id(result).index) == ["IOM-D"]


def test_fractional_count_rejected(tmp_path: Path):
    result = iom.read(write_current(tmp_path / "c.csv", [one_row(dead="2.5")]), regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [(2, "Number Dead", "not a whole number: '2.5'")]


def test_missing_id_rejected(tmp_path: Path):
    row = one_row(main_id="")
    row[1] = ""  # Incident ID too
    result = iom.read(write_current(tmp_path / "c.csv", [row]), regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [(2, "Incident ID", "incident id is missing")]


# --- structural errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,message",
    [
        ("empty.csv", "empty.csv: the file is empty"),
        ("garbage.bin.csv", "garbage.bin.csv: binary content (NUL bytes), not a text CSV"),
        ("latin1.csv", "latin1.csv: not UTF-8 text (invalid byte 0xf4 on line 2)"),
    ],
)
def test_unreadable_files(name: str, message: str):
    with pytest.raises(StructuralError) as err:
        read(name)
    assert str(err.value).startswith(message)


def test_wrong_header_names_each_layout_and_what_it_lacked():
    with pytest.raises(StructuralError) as err:
        read("wrong_header.csv")
    message = str(err.value)
    assert message.startswith("wrong_header.csv: the header matches no IOM Missing Migrants layout in full")
    for expected in (
        "current layout lacks Incident ID, Incident Date, Number Dead",
        "older layout lacks Web ID, Reported Date",
        "split layout lacks Incident date, No. dead, No. missing, Latitude, Longitude",
        "Found: date, route, people, boats",
    ):
        assert expected in message, message


def test_required_column_missing_named(tmp_path: Path):
    header = [h for h in mk.CURRENT_HEADER if h not in ("Coordinates", "Migration route")]
    path = tmp_path / "nocoords.csv"
    path.write_text(",".join(header) + "\n", encoding="utf-8")
    assert iom.detect(path) is True
    with pytest.raises(StructuralError) as err:
        iom.read(path, regions=None)
    message = str(err.value)
    assert message.startswith("nocoords.csv: the header matches no IOM Missing Migrants layout in full")
    assert "current layout lacks Coordinates, Migration route;" in message, message
    assert "split layout lacks No. dead, No. missing, Latitude, Longitude, Route" in message, message


def test_grouped_main_ids_are_one_incident_each_keyed_on_incident_id(tmp_path: Path):
    """IOM's Main ID groups related records (bodies found on two beaches): each record is its own
    incident under its Incident ID; only a repeated Incident ID is a duplicate."""
    rows = [
        mk.current("2026.MMP0100", "Europe", "2026-01-10", "3", "0", "", "Drowning", "Beach A", "50.9, 1.6",
                   "English Channel to the UK", incident_id="2026.MMP0100-1"),
        mk.current("2026.MMP0100", "Europe", "2026-01-11", "2", "1", "", "Drowning", "Beach B", "51.0, 1.8",
                   "English Channel to the UK", incident_id="2026.MMP0100-2"),
        mk.current("2026.MMP0101", "Europe", "2026-01-12", "1", "NA", "", "Drowning", "Off Calais", "50.95, 1.7",
                   "English Channel to the UK", incident_id="2026.MMP0101"),
        mk.current("2026.MMP0101", "Europe", "2026-01-12", "1", "0", "", "Drowning", "Off Calais", "50.95, 1.7",
                   "English Channel to the UK", incident_id="2026.MMP0101"),
    ]  # fmt: skip
    result = iom.read(write_current(tmp_path / "grouped.csv", rows), regions=None)
    ids = result.tables["incidents"]["incident_id"].tolist()
    assert ids == ["IOM-2026.MMP0100-1", "IOM-2026.MMP0100-2", "IOM-2026.MMP0101"]
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (5, "Incident ID", "duplicate incident id 'IOM-2026.MMP0101' (first on line 4)")
    ]
    incidents = result.tables["incidents"]
    assert incidents["dead"].sum() == 6 and incidents["missing"].sum() == 1  # 'NA' missing is NULL, not 0
    assert incidents["missing"].isna().tolist() == [False, False, True]
    # Main ID is kept as the group: the two beaches are one event's records
    assert incidents["group_id"].tolist() == ["IOM-2026.MMP0100", "IOM-2026.MMP0100", "IOM-2026.MMP0101"]
    assert any(n.startswith("2 records share a Main ID with another record (1 group(s)") for n in result.notes)


REPUBLISHED_HEADER = [
    "Main ID", "Incident ID", "Incident Type", "Region of Incident", "Incident date", "Year", "Month",
    "No. dead", "No. missing", "No. dead/missing", "No. survivors", "Latitude", "Longitude", "Route",
    "Country of Incident", "Location", "Cause of Death", "URL",
]  # fmt: skip


def test_a_republished_file_with_ids_and_the_split_columns_is_read_as_the_split_layout(tmp_path: Path):
    """Main ID and Incident ID (the current layout's keys) over the split layout's columns, with the text
    NA for not available: read by the layout the whole header fits, NA as NULL in counts and labels."""
    rows = [
        ["2025.MMP0001", "2025.MMP0001", "Incident", "Mediterranean", "2025-03-01", "2025", "Mar",
         "4", "NA", "4", "NA", "35.5", "12.6", "Central Mediterranean", "Italy", "Off Lampedusa", "Drowning", ""],
        ["2025.MMP0001", "2025.MMP0001-b", "Incident", "Mediterranean", "2025-03-02", "2025", "Mar",
         "NA", "7", "7", "10", "35.6", "12.5", "NA", "Italy", "N/A", "-", ""],
    ]  # fmt: skip
    path = tmp_path / "republished.csv"
    path.write_text(mk.csv_text(REPUBLISHED_HEADER, rows), encoding="utf-8", newline="")
    assert iom.detect(path)
    result = iom.read(path, regions=None)
    assert result.rejected == [] and result.notes[0] == "IOM split layout."
    df = result.tables["incidents"]
    assert df["incident_id"].tolist() == ["IOM-2025.MMP0001", "IOM-2025.MMP0001-b"]
    assert df["dead"].tolist()[0] == 4 and pd.isna(df["dead"].tolist()[1])
    assert pd.isna(df["missing"].tolist()[0]) and df["missing"].tolist()[1] == 7
    assert df["route"].tolist() == ["Central Mediterranean", iom.NOT_STATED]  # route 'NA': not stated
    assert pd.isna(df["location"].tolist()[1]) and pd.isna(df["cause"].tolist()[1])
    assert result.totals_by_year["dead_and_missing"].tolist() == [11]
    assert df["group_id"].tolist() == ["IOM-2025.MMP0001", "IOM-2025.MMP0001"]


def test_a_split_row_with_NA_coordinates_is_kept_without_a_position_and_counted(tmp_path: Path):
    """IOM publishes some incidents with no coordinates: they count in every total, and only the map
    leaves them out; the store holds NULL (not NaN) positions."""
    rows = [
        ["2025.MMP0002", "2025.MMP0002", "Incident", "Mediterranean", "2025-04-01", "2025", "Apr",
         "2", "3", "5", "NA", "NA", "NA", "Central Mediterranean", "Libya", "Unknown", "Drowning", ""],
        ["2025.MMP0003", "2025.MMP0003", "Incident", "Mediterranean", "2025-04-02", "2025", "Apr",
         "1", "0", "1", "NA", "35.6", "12.5", "Central Mediterranean", "Italy", "Lampedusa", "Drowning", ""],
    ]  # fmt: skip
    path = tmp_path / "unplaced.csv"
    path.write_text(mk.csv_text(REPUBLISHED_HEADER, rows), encoding="utf-8", newline="")
    result = iom.read(path, regions=None)
    assert result.rejected == []
    assert result.totals_by_year["dead_and_missing"].tolist() == [6]  # 2+3 + 1+0, the unplaced row included
    arrow = store.typed_table("incidents", result.tables["incidents"], sha256=None, version_id=1)
    lat = arrow.column("lat").to_pylist()
    assert lat.count(None) == 1 and 35.6 in lat  # NULL, which SQL leaves out of the map; never NaN


def test_header_only_file_gives_empty_canonical_frame(tmp_path: Path):
    path = tmp_path / "h.csv"
    path.write_text(",".join(mk.CURRENT_HEADER) + "\n", encoding="utf-8")
    result = iom.read(path, regions=None)
    assert (result.rows_read, result.rows_accepted, len(result.totals_by_year)) == (0, 0, 0)
    assert list(result.tables["incidents"].columns) == INCIDENT_COLUMNS
    assert store.typed_table("incidents", result.tables["incidents"], sha256=None, version_id=1).num_rows == 0


# --- progress ----------------------------------------------------------------------------------


def test_progress_reported_as_the_rows_are_read(tmp_path: Path):
    """Progress after the columns are read, then every 5,000 rows read one by one, then done."""
    rows = [one_row(f"2024-{1 + i % 12:02d}-01", main_id=f"P{i}") for i in range(12_000)]
    rows += [one_row("2024-01-01", main_id=f"Q{i}", coords="POINT (1 50)") for i in range(6_000)]  # per row
    calls = []
    result = iom.read(
        write_current(tmp_path / "big.csv", rows),
        regions=None,
        progress=lambda message, fraction: calls.append((fraction, message)),
    )
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 4, calls
    assert "12,000 of 18,000 rows read at once" in calls[1][1] and "5,000 rows read one by one" in calls[2][1]
    assert result.rows_accepted == 18_000
    assert result.totals_by_year.to_dict("list") == {"year": [2024], "dead_and_missing": [18_000]}


# --- counts that fit the store, totals that say unknown ----------------------------------------


@pytest.mark.parametrize(
    ("dead", "reason"),
    [
        ("1e20", "not a count written in digits: '1e20' (exponent form)"),
        ("1e308", "not a count written in digits: '1e308' (exponent form)"),
        ("99999999999999999999", "count 99999999999999999999 is too large for its column (at most 2,147,483,647)"),
        ("3000000000", "count 3000000000 is too large for its column (at most 2,147,483,647)"),
    ],
)
def test_counts_beyond_the_column_are_rejected_rows(tmp_path: Path, dead: str, reason: str):
    """These once ended the read with OverflowError, or failed at commit with DuckDB's conversion error."""
    path = write_current(tmp_path / "c.csv", [one_row(dead=dead, main_id="A"), one_row(main_id="B")])
    result = iom.read(path, regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [(2, "Number Dead", reason)]
    store.typed_table("incidents", result.tables["incidents"], sha256=None, version_id=1)


def test_people_is_the_sum_and_must_fit_too(tmp_path: Path):
    big = mk.current("A", "Europe", "2024-05-01", "2147483647", "1", "", "Drowning", "x", "50.9, 1.6", "Mainland")
    path = write_current(tmp_path / "c.csv", [big, one_row(main_id="B")])
    result = iom.read(path, regions=None)
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (
            2,
            "Minimum Estimated Number of Missing",
            "dead + missing + survivors makes 2147483648, too large for people (at most 2,147,483,647)",
        )
    ]
    store.typed_table("incidents", result.tables["incidents"], sha256=None, version_id=1)


def test_a_year_with_no_known_count_totals_null_not_zero(tmp_path: Path):
    unknown = mk.current("A", "Europe", "2023-05-01", "", "", "", "Unknown", "x", "50.9, 1.6", "Mainland")
    path = write_current(tmp_path / "c.csv", [unknown, one_row(main_id="B")])
    totals = iom.read(path, regions=None).totals_by_year
    assert totals["year"].tolist() == [2023, 2024]
    assert pd.isna(totals["dead_and_missing"][0]) and totals["dead_and_missing"][1] == 1


# --- column by column against row by row --------------------------------------------------------------------------

TRAP_IDS = ["A1", "A1", "A2", "NA", "n/a", "", "  ", "-", "B 7", "٣", "x"]
TRAP_DATES = [
    "2024-01-05",
    "2024-1-5",
    "2024-01-05 12:30",
    "2024-01-05T12:30:15.5",
    "2024-02-30",
    "2099-01-01",
    "1500-01-01",
    "05/01/2024",
    "13/01/2024",
    "01/13/2024",
    "13/13/2024",
    "5/1/2024",
    "Fri, 01/05/2018 - 12:00",
    "Mon, 01/05/2018",
    "Friday, 01/05/2018",
    "fri 01/05/2018 12:00",
    "March 12, 2018",
    "12 Mar 2018",
    "yesterday",
    "",
    "NA",
    "2024-01-05  12:30",
    "٢٠٢٤-٠١-٠٥",
    "0000-01-01",
    "2024/01/05",
]
TRAP_COORDS = [
    "50.9, 1.6",
    "50.9,1.6",
    "-33.5 , -70.25",
    "91, 10",
    "10, 181",
    "181, 10",
    "POINT (1.6 50.9)",
    "50.9 1.6",
    "north, east",
    "",
    "NA",
    "1e1, 2",
    "50.123456789012345678, 1.5",
    "0, 0",
    "-0.0, -0",
    "+50, 1",
    "50., 1",
    "١٢, 3",
]
TRAP_COUNTS = ["0", "1", "12", "007", "1,200", "2.0", "2.5", "-3", "", "NA", "-", "n/a", "999999999", "2147483647",
               "2147483648", "1e3", " 4 ", "٣"]  # fmt: skip
TRAP_ROUTES = [
    "English Channel to the UK",
    "Central Mediterranean",
    "central  mediterranean",
    "Unknown route",
    "",
    "NA",
]
TRAP_REGIONS = ["Europe", "Mediterranean", "Nowhere", "", "N/A"]


def trap_rows(n: int, seed: int) -> list[tuple]:
    """Rows of clean values, each field a trap one time in eight (so most rows carry one trap or none)."""
    import random

    rng = random.Random(seed)

    def pick(clean: str, traps: list[str]) -> str:
        return rng.choice(traps) if rng.random() < 0.125 else clean

    out = []
    for _ in range(n):
        day = f"2023-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        out.append(
            (
                pick(f"C{rng.randrange(10**6)}", TRAP_IDS),
                pick(day, TRAP_DATES),
                pick(str(rng.randrange(50)), TRAP_COUNTS),
                pick(str(rng.randrange(50)), TRAP_COUNTS),
                pick("", TRAP_COUNTS),
                pick(f"{rng.uniform(-60, 60):.4f}, {rng.uniform(-170, 170):.4f}", TRAP_COORDS),
                pick("Central Mediterranean", TRAP_ROUTES),
                pick("Mediterranean", TRAP_REGIONS),
            )
        )
    return out


def assert_same_reading(path: Path):
    fast = iom.read(path, regions=None)
    slow = iom.read(path, regions=None, vectorised=False)
    assert fast.rejected == slow.rejected
    assert fast.notes == slow.notes
    assert fast.rows_read == slow.rows_read
    pd.testing.assert_frame_equal(fast.tables["incidents"], slow.tables["incidents"])
    pd.testing.assert_frame_equal(fast.totals_by_year, slow.totals_by_year)
    return fast


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_column_by_column_reads_exactly_as_row_by_row_current_layout(tmp_path: Path, seed: int):
    """Every trap (ids repeated or not given, dates in every form and out of range, coordinates odd or swapped,
    counts with commas, signs, exponents, Unicode digits, labels unknown or missing) read both ways: the same
    rows, values, rejections (line, column, reason, value), notes and totals."""
    rows = [
        mk.current(i, region, when, dead, missing, surv, "Drowning", "Off Calais", coords, route)
        for i, when, dead, missing, surv, coords, route, region in trap_rows(3000, seed)
    ]
    result = assert_same_reading(write_current(tmp_path / "traps.csv", rows))
    assert len(result.rejected) > 500 and result.rows_accepted > 1000  # both kinds of row are there


@pytest.mark.parametrize("layout", ["older", "split", "no id"])
def test_column_by_column_reads_exactly_as_row_by_row_other_layouts(tmp_path: Path, layout: str):
    traps = trap_rows(2000, 7)
    if layout == "older":
        rows = [
            mk.older(i, region, when, dead, missing, dead, surv, "Drowning", "Off Libya", coords, route)
            for i, when, dead, missing, surv, coords, route, region in traps
        ]
        text = mk.csv_text(mk.OLDER_HEADER, rows, newline="\r\n")
    else:
        rows = []
        for _, when, dead, missing, _, coords, route, region in traps:
            lat, _, lon = coords.partition(",")
            rows.append([when, region, route, dead, missing, "", lat.strip(), lon.strip(), "Drowning", "x", ""])
        text = mk.csv_text(mk.SPLIT_HEADER, rows)
    path = tmp_path / f"{layout}.csv"
    path.write_text(("\ufeff" if layout == "older" else "") + text, encoding="utf-8", newline="")
    result = assert_same_reading(path)
    assert len(result.rejected) > 300 and result.rows_accepted > 600


def test_every_fixture_reads_alike_both_ways():
    for name in ("current.csv", "older.csv", "split.csv", "bad_rows.csv"):
        assert_same_reading(FIX / name)


def test_an_id_that_differs_only_by_a_bidi_control_is_a_repeat(tmp_path: Path):
    rows = [one_row(main_id="A1"), one_row(main_id="A\u202a1")]
    result = assert_same_reading(write_current(tmp_path / "bidi.csv", rows))
    assert [(r.row, r.reason) for r in result.rejected] == [(3, "duplicate incident id 'IOM-A1' (first on line 2)")]
