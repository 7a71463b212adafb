"""The canonical-table importer: CSV, XLSX, Parquet and GeoJSON files shaped like a Tideline table."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from dashboard import schema
from dashboard.sources import canonical
from dashboard.sources.base import StructuralError
from dashboard.store import DEMO_DIR, typed_table

FIX = Path(__file__).parent / "fixtures" / "canonical"
FRONTEX = Path(__file__).parent / "fixtures" / "frontex"

TABLE_OF = {
    "crossings.csv": "crossings_daily",
    "bad_rows.csv": "route_flows",
    "operations.xlsx": "operations",
    "incidents.parquet": "incidents",
    "incidents.geojson": "incidents",
    "routes.geojson": "routes",
}


def rejections(result) -> list[tuple]:
    return [(r.row, r.column, r.reason) for r in result.rejected]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_module_contract():
    assert canonical.NAME == "canonical"
    assert "CSV, XLSX, Parquet, or a GeoJSON, GeoPackage, Shapefile" in canonical.LABEL


@pytest.mark.parametrize("name", sorted(TABLE_OF))
def test_detect_and_table_for(name):
    assert canonical.detect(FIX / name)
    assert canonical.table_for(FIX / name) == TABLE_OF[name]


@pytest.mark.parametrize(
    "path",
    [
        FIX / "nomatch.csv",
        FRONTEX / "detections.csv",
        FRONTEX / "garbage.csv",
        FRONTEX / "empty.csv",
        FIX / "no_such_file.csv",
        FIX / "make_fixtures.py",
    ],
)
def test_detect_false(path):
    assert canonical.detect(path) is False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("crossings.csv", [(2023, 120), (2024, 52), (2025, 300)]),  # 120 (+NULL) · 45 + 7 · 300
        ("bad_rows.csv", [(2024, 100)]),  # line 2 only; line 9's NULL is not 0
        ("operations.xlsx", [(2023, 5), (2024, 12)]),  # arrests by start year; row 6 blank, row 4 rejected
        ("incidents.parquet", [(2023, 5), (2024, 1)]),  # 3 + 2 · 1 (record 2 all NULL, record 3 rejected)
        ("incidents.geojson", [(2024, 2), (2025, 4)]),  # 2 + 0 · NULL + 4
    ],
)
def test_totals_by_year_equal_hand_sums(name, expected):
    totals = canonical.read(FIX / name).totals_by_year
    assert list(totals.itertuples(index=False, name=None)) == expected


@pytest.mark.parametrize("name", sorted(TABLE_OF))
def test_frames_fit_the_canonical_table_in_schema_order(name):
    result = canonical.read(FIX / name)
    ((table, frame),) = result.tables.items()
    assert table == TABLE_OF[name]
    assert list(frame.columns) == [c.name for c in schema.TABLES[table]]
    assert typed_table(table, frame, sha256=None, version_id=1).num_rows == len(frame) > 0
    assert result.format == canonical.NAME


def test_csv_nulls_dates_and_extra_columns():
    result = canonical.read(FIX / "crossings.csv")
    frame = result.tables["crossings_daily"]
    assert frame["people"].isna().tolist() == [False, True, False, False, False]
    assert frame["boats"].isna().sum() == 1
    assert frame["date"].tolist()[-1] == date(2025, 1, 5)  # "05/01/2025" is day-first
    assert result.source == "Home Office small boats (fixture)"
    assert result.notes == ["columns not in table crossings_daily ignored: notes"]
    assert result.totals_by_year.columns.tolist() == ["year", "people"]
    assert result.rejected == [] and result.rows_read == 5


def test_csv_rejections_exact_and_good_rows_kept():
    result = canonical.read(FIX / "bad_rows.csv")
    assert rejections(result) == [
        (3, "month", "month 2024-01-15 is not the first day of a month"),
        (4, "detections", "negative count: -3"),
        (5, "nationality", "'Sudan' is not an ISO 3166-1 alpha-3 code or 'UNK'"),
        (6, "source", "source is required but empty"),
        (7, "month", "not a date in a known form: 'not a date'"),
        (8, "route", "route is required but empty"),
    ]
    assert result.rejected[0].where() == "bad_rows.csv, line 3, column 'month'"
    frame = result.tables["route_flows"]
    assert frame["month"].tolist() == [date(2024, 1, 1), date(2024, 4, 1)]  # "2024-04" is a month too
    assert frame["detections"].isna().tolist() == [False, True]
    assert result.rows_read == 8


def test_xlsx_rows_numbered_as_in_the_sheet():
    result = canonical.read(FIX / "operations.xlsx")
    assert rejections(result) == [(4, "status", "'paused' is not one of active, concluded, suspended")]
    assert result.rejected[0].sheet == "operations"
    assert result.rejected[0].where() == "operations.xlsx, sheet operations, row 4, column 'status'"
    frame = result.tables["operations"]
    assert frame["operation_id"].tolist() == ["OP-1", "OP-2", "1004"]  # a numeric id becomes text, not 1004.0
    assert frame["start_date"].tolist() == [date(2023, 3, 1), date(2024, 6, 15), date(2024, 11, 2)]
    assert frame["seizures_gbp"].tolist()[:2] == [2_500_000, 0]
    assert frame["partners"].tolist()[1] is None
    assert result.rows_read == 4  # the blank row 5 is not a row


def test_parquet_records_and_provenance():
    result = canonical.read(FIX / "incidents.parquet")
    assert rejections(result) == [(3, "lat", "lat 95.0 is outside -90..90")]
    assert result.rejected[0].where() == "incidents.parquet, record 3, column 'lat'"
    assert "provenance columns ignored: the store stamps its own" in result.notes
    assert result.tables["incidents"]["incident_id"].tolist() == ["P-1", "P-2", "P-4"]
    assert result.source == "Test series (fixture)"


def test_geojson_points_give_lat_lon_and_mixed_sources_name_the_file():
    result = canonical.read(FIX / "incidents.geojson")
    assert rejections(result) == [(2, "geometry", "a LineString geometry where incidents takes a Point")]
    assert result.rejected[0].where() == "incidents.geojson, feature 2, column 'geometry'"
    frame = result.tables["incidents"]
    assert frame[["lat", "lon"]].values.tolist() == [[50.95, 1.6], [35.5, 12.6]]
    assert result.source == "incidents.geojson"
    assert any("2 sources" in n for n in result.notes)
    assert "columns not in table incidents ignored: comment" in result.notes


def test_geojson_linestrings_give_paths():
    result = canonical.read(FIX / "routes.geojson")
    assert rejections(result) == [(3, "geometry", "a Point geometry where routes takes a LineString")]
    frame = result.tables["routes"]
    assert frame["path"].tolist()[0] == [[1.58, 50.75], [1.32, 51.12]]
    assert result.totals_by_year is None
    assert result.notes == []


def test_list_columns_from_json_text(tmp_path):
    regions = write(
        tmp_path,
        "regions.csv",
        'region,iom_labels,frontex_labels,source\nA,"[""x"",""y""]",[],S\nB,not json,[],S\nC,"[1, 2]",,S\n',
    )
    result = canonical.read(regions)
    assert result.tables["regions"]["iom_labels"].tolist() == [["x", "y"]]
    assert rejections(result) == [
        (3, "iom_labels", "iom_labels is not a JSON list: 'not json'"),
        (4, "iom_labels", "iom_labels is not a list of text labels"),
    ]
    typed_table("regions", result.tables["regions"], sha256=None, version_id=1)
    routes = write(
        tmp_path,
        "routes.csv",
        "route,region,mode,path,source\n"
        'R,A,sea,"[[1,50],[2,51]]",S\n'
        'S,A,sea,"[[1,50]]",S\n'
        'T,A,sea,"[[1,95],[2,51]]",S\n'
        'U,A,boat,"[[1,50],[2,51]]",S\n',
    )
    result = canonical.read(routes)
    assert result.tables["routes"]["path"].tolist() == [[[1.0, 50.0], [2.0, 51.0]]]
    assert rejections(result) == [
        (3, "path", "path needs at least two [lon, lat] waypoints"),
        (4, "path", "latitude 95.0 is outside -90..90"),
        (5, "mode", "'boat' is not one of sea, land, air"),
    ]


def test_headers_match_in_any_case_and_missing_nullable_columns_are_null(tmp_path):
    p = write(tmp_path, "x.csv", "Date,ROUTE,Source,Status\n2024-01-01,English Channel,S,final\n")
    result = canonical.read(p)
    frame = result.tables["crossings_daily"]
    assert frame["people"].isna().all() and frame["boats"].isna().all()
    assert "columns absent from the file, left NULL: people, boats" in result.notes
    assert result.totals_by_year["people"].isna().tolist() == [True]  # a year of NULLs totals NULL, not 0


@pytest.mark.parametrize("marker", ["n/a", "N/A", "NA", "-", "–", ".."])
def test_not_available_counts_are_null_not_a_crash(tmp_path, marker):
    """A publisher's not-available marker in a count column is NULL (never 0); it once raised TypeError
    (None > int) and ended the whole import."""
    p = write(
        tmp_path,
        "x.csv",
        "date,route,people,boats,source,status\n"
        f"2024-01-01,English Channel,{marker},3,S,final\n"
        "2024-01-02,English Channel,5,1,S,final\n",
    )
    frame = canonical.read(p).tables["crossings_daily"]
    assert frame["people"].isna().tolist() == [True, False] and frame["boats"].tolist() == [3, 1]
    routes = write(
        tmp_path,
        "incidents.csv",
        "incident_id,date,lat,lon,region,route,incident_type,people,source\n"
        f"A,2024-01-01,50,1,UK & Channel,English Channel,arrival,{marker},S\n",
    )
    assert canonical.read(routes).tables["incidents"]["people"].isna().all()


def test_funding_totals_by_financial_year_and_staffing_by_year_end(tmp_path):
    funding = write(
        tmp_path,
        "funding.csv",
        "programme,funding_line,category,financial_year,month,allocated_gbp,source\n"
        "P,L,staff,2024-25,2024-04-01,100,S\n"
        "P,L,staff,2024-25,2025-03-01,50,S\n"  # calendar 2025, financial year 2024
        "P,L,staff,2025-26,2025-04-01,7,S\n"
        "P,L,staff,2025-27,2025-05-01,1,S\n",
    )
    result = canonical.read(funding)
    assert list(result.totals_by_year.itertuples(index=False, name=None)) == [(2024, 150), (2025, 7)]
    assert rejections(result) == [(5, "financial_year", "'2025-27' is not a financial year written like '2024-25'")]
    staffing = write(
        tmp_path,
        "staffing.csv",
        "organisation,unit,role,month,planned_headcount,source\n"
        "BSC,U,R,2024-11-01,10,S\nBSC,U,R,2024-12-01,12,S\nBSC,V,R,2024-12-01,3,S\n"
        "BSC,U,R,2025-01-01,20,S\n",
    )
    totals = canonical.read(staffing).totals_by_year
    assert list(totals.itertuples(index=False, name=None)) == [(2024, 15), (2025, 20)]  # 12 + 3 in December


def test_explicit_table(tmp_path):
    p = FIX / "routes.geojson"
    assert set(canonical.read(p, table="regions").tables) == {"regions"}
    with pytest.raises(StructuralError, match="table incidents needs column\\(s\\) incident_id, date"):
        canonical.read(p, table="incidents")
    with pytest.raises(StructuralError, match="'nope' is not a canonical table"):
        canonical.read(p, table="nope")


def test_structural_no_match_names_the_closest_table():
    with pytest.raises(StructuralError) as err:
        canonical.read(FIX / "nomatch.csv")
    assert str(err.value) == (
        "nomatch.csv: the columns match no canonical table; closest is crossings_daily, "
        "missing required column(s) status (found: boats, date, people, route, source)"
    )


def test_structural_ambiguous(tmp_path):
    p = write(tmp_path, "both.csv", "date,route,source,status,month,nationality\n2024-01-01,R,S,final,2024-01-01,AFG\n")
    with pytest.raises(StructuralError, match=r"match more than one canonical table \(crossings_daily, route_flows\)"):
        canonical.table_for(p)
    assert not canonical.detect(p)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.xlsx", b"not a zip", "bad.xlsx: not a readable XLSX workbook"),
        ("bad.parquet", b"not parquet", "bad.parquet: not a readable Parquet file"),
        ("bad.geojson", b"{nope", "bad.geojson: not a readable spatial file (bad.geojson not recognized"),
        ("list.geojson", b"[]", "list.geojson: not a readable spatial file"),
        ("bad.gpkg", b"SQLite format 3\x00 but cut short", "bad.gpkg: not a readable spatial file"),
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("binary.csv", bytes(range(256)), "binary.csv: binary content"),
        ("dup.csv", b"month,route,Route,nationality,source\n", "dup.csv: column(s) route appear more than once"),
        ("data.txt", b"a,b\n", "data.txt: not a CSV, XLSX, Parquet, GeoJSON, GeoPackage, FlatGeobuf, KML or zipped"),
    ],
)
def test_structural_unreadable(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(StructuralError) as err:
        canonical.read(p)
    assert message in str(err.value)
    assert not canonical.detect(p)


def test_header_without_rows_is_detected_but_structural(tmp_path):
    p = write(tmp_path, "header.csv", "month,route,nationality,source\n")
    assert canonical.detect(p)  # it is shaped like route_flows; it just holds nothing
    with pytest.raises(StructuralError, match="header.csv: the header has no data rows"):
        canonical.read(p)


def test_every_demo_csv_reads_back_as_its_own_table():
    for table in schema.DATA_TABLES:
        path = DEMO_DIR / f"{table}.csv"
        assert canonical.table_for(path) == table
        result = canonical.read(path)
        assert result.rejected == [], (table, result.rejected[:3])
        assert len(result.tables[table]) == len(pd.read_csv(path, dtype=str))


# -- counts that fit their column, dates Python can hold and that can be true, one row per key ---------------


@pytest.mark.parametrize(
    ("people", "reason"),
    [
        ("1e20", "not a count written in digits: '1e20' (exponent form)"),
        ("1e308", "not a count written in digits: '1e308' (exponent form)"),
        ("99999999999999999999", "count 99999999999999999999 is too large for its column (at most 2,147,483,647)"),
        ("2147483648", "count 2147483648 is too large for its column (at most 2,147,483,647)"),
    ],
)
def test_counts_beyond_their_column_are_rejected_rows(tmp_path, people, reason):
    p = write(
        tmp_path,
        "x.csv",
        "date,route,people,boats,source,status\n"
        f"2024-01-01,English Channel,{people},1,S,final\n"
        "2024-01-02,English Channel,2147483647,1,S,final\n",
    )
    result = canonical.read(p)
    assert rejections(result) == [(2, "people", reason)]
    frame = result.tables["crossings_daily"]
    assert frame["people"].tolist() == [2**31 - 1]
    typed_table("crossings_daily", frame, sha256=None, version_id=1)


def test_bigint_columns_take_counts_to_their_own_maximum(tmp_path):
    header = "operation_id,name,lead_agency,region,start_date,status,seizures_gbp,arrests,source\n"
    p = write(
        tmp_path,
        "ops.csv",
        header + f"A,N,NCA,R,2024-01-01,active,{2**63 - 1},1,S\n"
        f"B,N,NCA,R,2024-01-01,active,{2**63},1,S\n"
        f"C,N,NCA,R,2024-01-01,active,{2**40},1,S\n",
    )
    result = canonical.read(p)
    assert rejections(result) == [
        (3, "seizures_gbp", "count 9223372036854775808 is too large for its column (at most 9,223,372,036,854,775,807)")
    ]
    typed_table("operations", result.tables["operations"], sha256=None, version_id=1)


def test_xlsx_number_cells_beyond_the_column_are_rejected(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "crossings"
    ws.append(["date", "route", "people", "boats", "source", "status"])
    ws.append([date(2024, 1, 1), "English Channel", 1e308, 1, "S", "final"])
    ws.append([date(2024, 1, 2), "English Channel", 3_000_000_000, 1, "S", "final"])
    ws.append([date(2024, 1, 3), "English Channel", 5, 1, "S", "final"])
    wb.save(tmp_path / "c.xlsx")
    result = canonical.read(tmp_path / "c.xlsx")
    assert [(r.row, r.column, r.reason[:30]) for r in result.rejected] == [
        (2, "people", "count 100000000000… (309 digit"),
        (3, "people", "count 3000000000 is too large "),
    ]
    assert result.tables["crossings_daily"]["people"].tolist() == [5]


def test_parquet_dates_python_cannot_hold_are_rejected_records(tmp_path):
    """A date32 in year 10000 or before year 1 once ended the read with OverflowError."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    days = [19_723, 3_000_000, -800_000]  # 2024-01-01; about year 10183; about 221 BC
    pq.write_table(
        pa.table(
            {
                "date": pa.array(days, pa.date32()),
                "route": ["English Channel"] * 3,
                "people": [5, 6, 7],
                "source": ["S"] * 3,
                "status": ["final"] * 3,
            }
        ),
        tmp_path / "d.parquet",
    )
    result = canonical.read(tmp_path / "d.parquet")
    reason = "a date32[day] value outside the dates Python can hold (years 1 to 9999)"
    assert rejections(result) == [(2, "date", reason), (3, "date", reason)]
    assert [r.value for r in result.rejected] == ["3000000", "-800000"]
    assert result.rejected[0].where() == "d.parquet, record 2, column 'date'"
    assert result.tables["crossings_daily"]["date"].tolist() == [date(2024, 1, 1)]


def test_parquet_timestamps_out_of_range_are_rejected_records(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    millis = [1_704_067_200_000, 2**62]  # 2024-01-01 00:00; far beyond year 9999
    pq.write_table(
        pa.table(
            {
                "month": pa.array(millis, pa.timestamp("ms")),
                "route": ["R", "R"],
                "nationality": ["AFG", "IRQ"],
                "detections": [1, 2],
                "source": ["S", "S"],
            }
        ),
        tmp_path / "t.parquet",
    )
    result = canonical.read(tmp_path / "t.parquet")
    assert rejections(result) == [
        (2, "month", "a timestamp[ms] value outside the dates Python can hold (years 1 to 9999)")
    ]
    assert len(result.tables["route_flows"]) == 1


@pytest.mark.parametrize("table", schema.DATA_TABLES)
def test_a_repeated_key_is_a_rejected_row_naming_the_line_it_repeats(tmp_path, table):
    """Every table's natural key (schema.KEYS), on the demo's own first row written twice: the repeat was
    accepted and summed (20 people where the file says 10)."""
    header, first = (DEMO_DIR / f"{table}.csv").read_text(encoding="utf-8").splitlines()[:2]
    p = write(tmp_path, f"{table}.csv", f"{header}\n{first}\n{first}\n")
    result = canonical.read(p)
    key = schema.KEYS[table]
    ((row, column, reason),) = rejections(result)
    assert (row, column) == (3, ", ".join(key))
    named = " and ".join(key) if len(key) < 3 else ", ".join(key[:-1]) + " and " + key[-1]
    assert reason == f"duplicate of line 2 (same {named})"
    assert len(result.tables[table]) == 1


def test_duplicates_are_told_by_the_whole_key_in_any_unit(tmp_path):
    p = write(
        tmp_path,
        "c.csv",
        "date,route,people,boats,source,status\n"
        "2024-01-01,English Channel,10,1,S,final\n"
        "2024-01-01,Channel ports (HGV),3,1,S,final\n"  # another route: not a duplicate
        "01/01/2024,English Channel,10,1,T,provisional\n",  # the same day written otherwise, another source
    )
    result = canonical.read(p)
    assert rejections(result) == [(4, "date, route", "duplicate of line 2 (same date and route)")]
    assert result.rejected[0].value == "2024-01-01, English Channel"
    assert list(result.totals_by_year.itertuples(index=False, name=None)) == [(2024, 13)]  # not 23


def test_duplicate_rows_in_a_sheet_and_a_bad_first_copy(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "ops"
    ws.append(["operation_id", "name", "lead_agency", "region", "start_date", "status", "source"])
    ws.append(["OP-1", "A", "NCA", "R", date(2024, 1, 1), "paused", "S"])  # row 2: bad, claims nothing
    ws.append(["OP-1", "A", "NCA", "R", date(2024, 1, 1), "active", "S"])  # row 3: kept
    ws.append(["OP-1", "B", "NCA", "R", date(2024, 2, 1), "active", "S"])  # row 4: repeats row 3
    wb.save(tmp_path / "ops.xlsx")
    result = canonical.read(tmp_path / "ops.xlsx")
    assert rejections(result) == [
        (2, "status", "'paused' is not one of active, concluded, suspended"),
        (4, "operation_id", "duplicate of row 3 (same operation_id)"),
    ]
    assert result.rejected[1].where() == "ops.xlsx, sheet ops, row 4, column 'operation_id'"


def test_incident_ids_are_unique_within_their_source(tmp_path):
    row = "{id},2024-01-01,50,1,UK & Channel,English Channel,arrival,{source}\n"
    p = write(
        tmp_path,
        "i.csv",
        "incident_id,date,lat,lon,region,route,incident_type,source\n"
        + row.format(id="1", source="IOM")
        + row.format(id="1", source="UNHCR")  # the same id under another source: another incident
        + row.format(id="1", source="IOM"),
    )
    result = canonical.read(p)
    assert rejections(result) == [(4, "source, incident_id", "duplicate of line 2 (same source and incident_id)")]
    assert len(result.tables["incidents"]) == 2


def test_dates_must_be_plausible(tmp_path):
    today = date.today()
    rows = [
        "0001-01-01",  # line 2
        "1899-12-30",  # line 3: a spreadsheet's zero date
        "1900-01-01",  # line 4: the earliest accepted
        "9999-12-31",  # line 5
        (today + timedelta(days=1)).isoformat(),  # line 6
        today.isoformat(),  # line 7
    ]
    text = "date,route,people,source,status\n" + "".join(f"{d},English Channel,1,S,final\n" for d in rows)
    result = canonical.read(write(tmp_path, "c.csv", text))
    assert rejections(result) == [
        (2, "date", "date 0001-01-01 is before 1900-01-01"),
        (3, "date", "date 1899-12-30 is before 1900-01-01"),
        (5, "date", "date 9999-12-31 is in the future"),
        (6, "date", f"date {(today + timedelta(days=1)).isoformat()} is in the future"),
    ]
    assert result.tables["crossings_daily"]["date"].tolist() == [date(1900, 1, 1), today]


def test_a_week_may_end_up_to_six_days_ahead_and_plans_ten_years(tmp_path):
    today = date.today()
    weeks = [today + timedelta(days=6), today + timedelta(days=7)]
    text = "week_ending,route,people_prevented,source\n" + "".join(f"{d},English Channel,1,S\n" for d in weeks)
    result = canonical.read(write(tmp_path, "w.csv", text))
    assert rejections(result) == [(3, "week_ending", f"week_ending {weeks[1].isoformat()} is in the future")]
    plan = date(today.year + 3, 4, 1).isoformat()
    far = date(today.year + 11, 4, 1).isoformat()
    text = (
        "organisation,unit,role,month,planned_headcount,source\n"
        f"BSC,U,R,{plan},10,S\nBSC,U,R,{far},10,S\nBSC,U,R,9999-12-01,10,S\n"
    )
    result = canonical.read(write(tmp_path, "s.csv", text))
    assert rejections(result) == [
        (3, "month", f"month {far} is more than 10 years ahead"),
        (4, "month", "month 9999-12-01 is more than 10 years ahead"),
    ]


def test_a_year_total_beyond_int64_is_not_wrapped_negative(tmp_path):
    """Two BIGINT amounts of 2**62 in one year: pandas summed them to -9223372036854775808."""
    text = "programme,funding_line,category,financial_year,month,allocated_gbp,source\n" + "".join(
        f"P,L,staff,2024-25,2024-0{m}-01,{2**62},S\n" for m in (4, 5)
    )
    totals = canonical.read(write(tmp_path, "f.csv", text)).totals_by_year
    ((year, total),) = totals.itertuples(index=False, name=None)
    assert year == 2024 and total == float(2**63) and total > 0


def test_a_canonical_irregular_arrivals_csv(tmp_path):
    """quarter_start is the first day of a quarter (or '2018 Q1'); nationalities take Tideline's names."""
    text = (
        "quarter_start,method,nationality,nationality_region,sex,age_group,detections,source\n"
        "2018-01-01,Small boat arrivals,Iran,Middle East,Male,18 to 24,120,HO\n"  # line 2
        "2018 Q2,Small boat arrivals,IRN,Middle East,Male,18 to 24,30,HO\n"  # line 3: ISO-3 -> Iran
        "2018-07-01,Small boat arrivals,Türkiye,Europe Other,Female,25 to 39,NA,HO\n"  # line 4: NULL count
        "2018-02-01,Small boat arrivals,Albania,Europe Other,Male,18 to 24,5,HO\n"  # line 5: not a quarter's start
        '2019-10-01,Small boat arrivals,Narnia,Other,Male,18 to 24,"1,500",HO\n'  # line 6: unknown, kept
        "2018-01-01,Small boat arrivals,Iran,Middle East,Male,18 to 24,7,HO\n"  # line 7: repeats line 2
        f"{date.today().year + 1}-01-01,Small boat arrivals,Iran,Middle East,Male,18 to 24,1,HO\n"  # line 8
    )
    path = write(tmp_path, "arrivals.csv", text)
    assert canonical.detect(path) and canonical.table_for(path) == "irregular_arrivals"
    result = canonical.read(path)
    assert rejections(result) == [
        (
            5,
            "quarter_start",
            "quarter_start 2018-02-01 is not the first day of a quarter (1 January, 1 April, 1 July or 1 October)",
        ),
        (
            7,
            "quarter_start, method, nationality, nationality_region, sex, age_group",
            "duplicate of line 2 (same quarter_start, method, nationality, nationality_region, sex and age_group)",
        ),
        (8, "quarter_start", f"quarter_start {date.today().year + 1}-01-01 is in the future"),
    ]
    frame = result.tables["irregular_arrivals"]
    assert frame["quarter_start"].tolist() == [date(2018, 1, 1), date(2018, 4, 1), date(2018, 7, 1), date(2019, 10, 1)]
    assert frame["nationality"].tolist() == ["Iran", "Iran", "Turkey", "Narnia"]
    assert frame["detections"].tolist()[:2] == [120, 30] and pd.isna(frame["detections"].iloc[2])
    assert "unknown nationality labels kept as-is: 'Narnia' (1 row); 1 row" in result.notes
    totals = {int(y): int(v) for y, v in result.totals_by_year.itertuples(index=False, name=None)}
    assert list(result.totals_by_year.columns) == ["year", "detections"] and totals == {2018: 150, 2019: 1500}
    typed_table("irregular_arrivals", frame, sha256=None, version_id=1)
