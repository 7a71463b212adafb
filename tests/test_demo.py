"""The synthetic demo data: deterministic, calibrated to DATA.md, loadable with the enforced schema."""

from __future__ import annotations

import ast
import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard import demo, schema

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "data" / "demo"

CHANNEL_YEARS = {  # Home Office provisional (people, boats)
    2018: (299, 43),
    2019: (1_843, 164),
    2020: (8_462, 641),
    2021: (28_526, 1_034),
    2022: (45_755, 1_110),
    2023: (29_437, 602),
    2024: (36_816, 695),
    2025: (41_472, 672),
}
CHANNEL_2024_MONTHS = [1_335, 920, 3_180, 2_132, 2_881, 3_041, 3_414, 4_149, 4_192, 5_417, 2_901, 3_254]
CHANNEL_DEAD_MISSING = {2019: 50, 2021: 45, 2023: 24, 2024: 85, 2025: 36}  # IOM
FRONTEX_TOTALS = {2022: 326_217, 2023: 381_319, 2024: 240_021}
BBOX = {  # lat_min, lat_max, lon_min, lon_max
    "UK & Channel": (50.2, 51.6, 0.4, 2.6),
    "Mediterranean": (30.0, 41.0, -6.5, 28.5),
    "Atlantic": (13.0, 30.0, -19.5, -12.0),
    "Balkans & Eastern Europe": (40.0, 61.0, 13.0, 29.0),
}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return demo.build()


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    return demo.write(tmp_path_factory.mktemp("demo"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _year(frame: pd.DataFrame, column: str = "date") -> pd.Series:
    return frame[column].dt.year


# --- determinism and files -------------------------------------------------------------------------


def test_write_is_byte_identical_across_runs(written, tmp_path):
    again = demo.write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.csv" for t in schema.DATA_TABLES)
    assert {t: _sha256(p) for t, p in written.items()} == {t: _sha256(p) for t, p in again.items()}


def test_build_is_deterministic(frames):
    again = demo.build()
    assert list(again) == list(frames)
    for table, frame in frames.items():
        pd.testing.assert_frame_equal(again[table], frame)


def test_committed_files_match_a_fresh_write(written):
    for path in written.values():
        committed = COMMITTED / path.name
        assert committed.exists(), f"{committed} missing: run python -m dashboard demo"
        assert _sha256(committed) == _sha256(path), f"{committed.name} is stale: regenerate the demo data"


def test_csv_text_format(written):
    for table, path in written.items():
        raw = path.read_bytes()
        assert b"\r" not in raw
        text = raw.decode("utf-8")
        assert text.endswith("\n")
        for col in schema.columns(table, provenance=False):
            values = pd.read_csv(path, dtype=str, keep_default_na=False)[col.name]
            present = values[values != ""]
            if col.type == "DATE":
                assert present.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (table, col.name)
            elif col.type in ("INTEGER", "BIGINT"):
                assert present.str.fullmatch(r"-?\d+").all(), (table, col.name)
            elif col.type.endswith("[]"):
                assert all(isinstance(json.loads(v), list) for v in present), (table, col.name)


def test_total_size_is_small(written):
    assert sum(p.stat().st_size for p in written.values()) <= 12 * 1024 * 1024


def test_module_does_not_import_streamlit():
    tree = ast.parse(Path(demo.__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(name.split(".")[0] == "streamlit" for name in names)


# --- schema conformance ----------------------------------------------------------------------------


def test_tables_and_columns_follow_the_schema(frames):
    assert list(frames) == list(schema.TABLES)
    for table, frame in frames.items():
        assert list(frame.columns) == [c.name for c in schema.columns(table, provenance=False)]
        assert len(frame) > 0


@pytest.mark.parametrize("table", schema.DATA_TABLES)
def test_not_null_columns_and_demo_source(frames, table):
    frame = frames[table]
    for col in schema.columns(table, provenance=False):
        if not col.nullable:
            assert frame[col.name].notna().all(), col.name
    assert (frame["source"] == schema.DEMO_SOURCE).all()


@pytest.mark.parametrize("table", schema.DATA_TABLES)
def test_csv_loads_into_duckdb_with_enforced_types(frames, written, table):
    frame = frames[table]
    con = duckdb.connect()
    con.execute(schema.create_sql(table, provenance=False))
    con.execute(
        f'INSERT INTO "{table}" SELECT * FROM read_csv(?, header=true, all_varchar=true)', [str(written[table])]
    )
    assert con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == len(frame)
    for col in schema.columns(table, provenance=False):
        nulls = con.execute(f'SELECT count(*) - count("{col.name}") FROM "{table}"').fetchone()[0]
        expected = int(frame[col.name].isna().sum()) if not col.type.endswith("[]") else 0
        assert nulls == expected, col.name
    if table == "routes":
        paths = [row[0] for row in con.execute("SELECT path FROM routes").fetchall()]
        assert paths == list(frame["path"])
    if table == "regions":
        labels = con.execute("SELECT frontex_labels FROM regions WHERE region = 'UK & Channel'").fetchone()[0]
        assert labels == []


# --- English Channel -------------------------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(CHANNEL_YEARS))
def test_channel_annual_totals(frames, year):
    c = frames["crossings_daily"]
    rows = c[_year(c) == year]
    assert (int(rows["people"].sum()), int(rows["boats"].sum())) == CHANNEL_YEARS[year]


def test_channel_2024_months(frames):
    c = frames["crossings_daily"]
    rows = c[_year(c) == 2024]
    assert rows.groupby(rows["date"].dt.month)["people"].sum().tolist() == CHANNEL_2024_MONTHS


def test_channel_days_are_complete_and_consistent(frames):
    c = frames["crossings_daily"]
    assert c["date"].tolist() == list(pd.date_range(demo.DEMO_START, demo.DEMO_END))
    assert (c["route"] == "English Channel").all() and (c["status"] == "provisional").all()
    assert c[["people", "boats"]].notna().all().all()
    assert ((c["people"] > 0) == (c["boats"] > 0)).all()
    assert (c["people"] >= c["boats"]).all()
    assert 28_000 <= c.loc[_year(c) == 2026, "people"].sum() <= 38_000


def test_channel_many_zero_days(frames):
    c = frames["crossings_daily"]
    rows = c[_year(c).between(2019, 2025)]
    assert (rows["people"] == 0).mean() >= 0.30


def test_channel_people_per_boat_rises(frames):
    c = frames["crossings_daily"]
    per_boat = c.groupby(_year(c))["people"].sum() / c.groupby(_year(c))["boats"].sum()
    assert 5 <= per_boat[2018] <= 9 and 11 <= per_boat[2020] <= 15 and per_boat[2025] >= 58
    assert c["people"].max() <= 2_000  # no impossible single day


def test_channel_arrivals_match_daily_crossings(frames):
    c = frames["crossings_daily"]
    i = frames["incidents"]
    arrivals = i[(i["route"] == "English Channel") & (i["incident_type"] == "arrival")]
    per_day = arrivals.groupby("date")["people"].sum()
    boats = arrivals.groupby("date").size()
    daily = c.set_index("date")
    assert per_day.reindex(daily.index, fill_value=0).astype(int).tolist() == daily["people"].astype(int).tolist()
    assert boats.reindex(daily.index, fill_value=0).tolist() == daily["boats"].astype(int).tolist()


def test_preventions_weekly(frames):
    p = frames["preventions_weekly"]
    assert p["week_ending"].min() == pd.Timestamp("2024-05-05")
    assert p["week_ending"].max() <= pd.Timestamp(demo.DEMO_END)
    assert (p["week_ending"].dt.day_of_week == 6).all()
    assert p["week_ending"].diff().dropna().eq(pd.Timedelta(days=7)).all()
    assert 1 <= p["people_prevented"].isna().sum() <= 6
    assert (p["people_prevented"].isna() == p["events_prevented"].isna()).all()
    ratio = p["people_prevented"].sum() / p["events_prevented"].sum()
    assert 30 <= ratio <= 50


# --- incidents -------------------------------------------------------------------------------------


def test_incident_volume_ids_and_labels(frames):
    i = frames["incidents"]
    assert 15_000 <= len(i) <= 25_000
    assert i["incident_id"].is_unique and i["incident_id"].str.fullmatch(r"DEMO-INC-\d{6}").all()
    assert set(i["incident_type"]) == set(schema.INCIDENT_TYPES)
    assert set(i["route"]) == set(schema.ROUTES)
    region_of = {route: region for region, routes in schema.REGIONS.items() for route in routes}
    assert (i["region"] == i["route"].map(region_of)).all()
    assert i["date"].between(pd.Timestamp(demo.DEMO_START), pd.Timestamp(demo.DEMO_END)).all()
    assert (i["source_quality"] == "Synthetic").all() and i["source_url"].isna().all()


def test_incident_counts_are_consistent(frames):
    i = frames["incidents"]
    dm = i[i["incident_type"] == "dead or missing"]
    assert dm[["dead", "missing"]].notna().all().all()
    assert ((dm["dead"] + dm["missing"]) >= 1).all()
    assert dm["cause"].notna().all()
    known = dm["survivors"].notna()
    assert (dm.loc[known, "people"] == (dm["dead"] + dm["missing"] + dm["survivors"])[known]).all()
    other = i[i["incident_type"] != "dead or missing"]
    assert other[["dead", "missing"]].isna().all().all()
    assert (other["people"] >= 1).all()


@pytest.mark.parametrize(("year", "total"), sorted(CHANNEL_DEAD_MISSING.items()))
def test_channel_dead_and_missing(frames, year, total):
    i = frames["incidents"]
    dm = i[(i["route"] == "English Channel") & (i["incident_type"] == "dead or missing") & (_year(i) == year)]
    assert int((dm["dead"] + dm["missing"]).sum()) == total


def test_central_mediterranean_is_deadliest(frames):
    i = frames["incidents"]
    dm = i[i["incident_type"] == "dead or missing"]
    by_route = (dm["dead"] + dm["missing"]).groupby([dm["route"], _year(dm)]).sum().unstack()
    assert by_route.idxmax().eq("Central Mediterranean").all()
    assert by_route.loc["Central Mediterranean"].between(900, 2_500).all()


def test_incident_coordinates_inside_their_region(frames):
    i = frames["incidents"]
    for region, (lat0, lat1, lon0, lon1) in BBOX.items():
        rows = i[i["region"] == region]
        assert rows["lat"].between(lat0, lat1).all() and rows["lon"].between(lon0, lon1).all(), region


# --- flows, routes, regions ------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "total"), sorted(FRONTEX_TOTALS.items()))
def test_route_flow_totals(frames, year, total):
    f = frames["route_flows"]
    assert int(f.loc[_year(f, "month") == year, "detections"].sum()) == total


def test_route_flows_shape(frames):
    f = frames["route_flows"]
    assert (f["month"].dt.day == 1).all() and f["month"].max() == pd.Timestamp("2026-10-01")
    assert set(f["route"]) == set(schema.ROUTES)
    assert f["nationality"].str.fullmatch(r"[A-Z]{3}").all()
    assert (f["detections"] >= 0).all()
    assert not f.duplicated(["month", "route", "nationality"]).any()
    # Channel detections per month equal the month's small-boat arrivals.
    c = frames["crossings_daily"]
    arrivals = c.groupby(c["date"].dt.to_period("M"))["people"].sum()
    channel = f[f["route"] == "English Channel"].groupby(f["month"].dt.to_period("M"))["detections"].sum()
    assert channel.tolist() == arrivals.tolist()


def test_routes_and_regions(frames):
    routes, regions = frames["routes"], frames["regions"]
    assert routes["route"].tolist() == list(schema.ROUTES)
    region_of = {route: region for region, rs in schema.REGIONS.items() for route in rs}
    assert (routes["region"] == routes["route"].map(region_of)).all()
    assert set(routes["mode"]) <= {"sea", "land", "air"}
    assert routes.set_index("route").loc["Channel ports (HGV)", "mode"] == "land"
    for route, path in zip(routes["route"], routes["path"], strict=True):
        assert 4 <= len(path) <= 10, route
        region = region_of[route]
        lat0, lat1, lon0, lon1 = BBOX[region] if region != "Balkans & Eastern Europe" else (40, 61, 13, 29)
        assert all(len(p) == 2 and lon0 <= p[0] <= lon1 and lat0 <= p[1] <= lat1 for p in path), route
    assert regions["region"].tolist() == list(schema.REGIONS)
    for column in ("iom_labels", "frontex_labels", "home_office_labels"):
        labels = [label for row in regions[column] for label in row]
        assert len(labels) == len(set(labels)), column
    assert "Central Mediterranean" in regions.set_index("region").loc["Mediterranean", "frontex_labels"]


# --- operations, funding, staffing -----------------------------------------------------------------


def test_operations(frames):
    o = frames["operations"]
    assert 120 <= len(o) <= 180
    assert o["operation_id"].tolist() == [f"OP-{k:04d}" for k in range(1, len(o) + 1)]
    assert o["name"].is_unique and o["name"].str.fullmatch(r"Operation [A-Z][a-z]+ [A-Z][a-z]+").all()
    assert set(o["status"]) == {"active", "concluded", "suspended"}
    active = o["status"] == "active"
    assert o.loc[active, "end_date"].isna().all() and o.loc[~active, "end_date"].notna().all()
    assert (o.loc[active, "start_date"] >= pd.Timestamp("2025-01-01")).all()
    assert (o.loc[~active, "end_date"] >= o.loc[~active, "start_date"]).all()
    assert (o["convictions"] <= o["charges"]).all() and (o["charges"] <= o["arrests"]).all()
    assert (o.loc[o["lead_agency"] == "BSC", "start_date"] >= pd.Timestamp("2024-09-17")).all()
    assert set(o["region"]) == set(schema.REGIONS)
    assert o["route"].dropna().isin(schema.ROUTES).all()
    for region, (lat0, lat1, lon0, lon1) in BBOX.items():
        rows = o[o["region"] == region]
        assert rows["lat"].between(lat0, lat1).all() and rows["lon"].between(lon0, lon1).all(), region


def test_operation_outcomes_are_calibrated(frames):
    o = frames["operations"]
    fy = o["start_date"].between(pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    assert o.loc[fy, "networks_disrupted"].sum() == 351
    assert 100 <= o.loc[fy & (o["lead_agency"] == "NCA"), "networks_disrupted"].sum() < 351
    window = (
        o["start_date"].between(pd.Timestamp("2023-01-01"), pd.Timestamp("2024-08-31"))
        & (o["region"] == "UK & Channel")
        & (o["route"] != "Channel ports (HGV)")
    )
    assert o.loc[window, "boats_engines_seized"].sum() == 400


def _fy_sum(f: pd.DataFrame, programme: str, years: list[str]) -> int:
    rows = f[(f["programme"] == programme) & f["financial_year"].isin(years)]
    return int(rows["allocated_gbp"].sum())


def test_funding_totals(frames):
    f = frames["funding"]
    assert _fy_sum(f, "Border Security Command", ["2024-25", "2025-26"]) == 150_000_000
    assert _fy_sum(f, "Border Security Command", ["2026-27", "2027-28", "2028-29"]) == 280_000_000
    assert _fy_sum(f, "NCA uplift", ["2025-26", "2026-27", "2027-28"]) == 100_000_000
    bsc = f[f["programme"] == "Border Security Command"]
    assert bsc.loc[bsc["allocated_gbp"] > 0, "month"].min() == pd.Timestamp("2024-09-01")
    nca = f[f["programme"] == "NCA uplift"]
    assert nca.loc[nca["allocated_gbp"] > 0, "month"].min() == pd.Timestamp("2025-09-01")


def test_funding_months_and_spend(frames):
    f = frames["funding"]
    assert f["month"].min() == pd.Timestamp("2024-04-01") and f["month"].max() == pd.Timestamp("2029-03-01")
    assert set(f["category"]) == {"staff", "technology", "international", "operations"}
    fy_start = np.where(f["month"].dt.month >= 4, f["month"].dt.year, f["month"].dt.year - 1)
    assert (f["financial_year"] == [f"{y}-{(y + 1) % 100:02d}" for y in fy_start]).all()
    future = f["month"] > pd.Timestamp(demo.DEMO_END)
    assert f.loc[future, "spent_gbp"].isna().all() and f.loc[~future, "spent_gbp"].notna().all()
    past = f[~future]
    assert (past["spent_gbp"] <= past["allocated_gbp"]).all()
    assert (past["spent_gbp"] >= 0.79 * past["allocated_gbp"]).all()


def test_staffing(frames):
    s = frames["staffing"]
    planned = s.groupby(["organisation", "month"])["planned_headcount"].sum()
    assert planned[("BSC", pd.Timestamp("2026-01-01"))] == 300
    assert planned[("NCA", pd.Timestamp("2025-07-01"))] == 100
    assert planned[("NCA", pd.Timestamp("2029-03-01"))] == 400
    future = s["month"] > pd.Timestamp(demo.DEMO_END)
    assert s.loc[future, "in_post_headcount"].isna().all()
    past = s[~future]
    assert past["in_post_headcount"].notna().all()
    assert (past["in_post_headcount"] <= past["planned_headcount"]).all()
    in_post = past.groupby("month")["in_post_headcount"].sum()
    assert in_post.is_monotonic_increasing and in_post.iloc[-1] > 0


def test_dates_cover_the_demo_period():
    assert demo.DEMO_START == date(2018, 1, 1) and demo.DEMO_END == date(2026, 10, 31)
    assert isinstance(demo.SEED, int)
