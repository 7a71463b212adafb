"""Each query against the tiny hand-made dataset (tests/tiny.py), answers worked out by hand."""

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from conftest import JAN

from dashboard import queries as q


def kpi(df: pd.DataFrame, key: str, col: str = "value"):
    return df.set_index("key").loc[key, col]


def test_kpis_january_against_december(con):
    df = q.kpis(con, replace(JAN, compare="previous"))  # the previous period of the same length
    expected = {  # key: (Jan 2025, Dec 2024)
        "people": (150, 30),
        "boats": (3, 1),
        "people_per_boat": (50, 30),
        "prevented": (40, 20),
        "dead_missing": (5, 1),
        "active_operations": (2, 2),
        "spent_gbp": (1500, 800),
        "in_post": (9, 8),
    }
    for key, (now, before) in expected.items():
        assert kpi(df, key) == now, key
        assert kpi(df, key, "previous") == before, key
    assert kpi(df, "spent_gbp", "target") == 2000
    assert kpi(df, "in_post", "target") == 12


def test_kpis_follow_route_and_region_filters(con):
    med = q.kpis(con, replace(JAN, route=("Central Mediterranean",)))
    assert pd.isna(kpi(med, "people")) and kpi(med, "dead_missing") == 5 and kpi(med, "active_operations") == 1
    uk = q.kpis(con, replace(JAN, region=("UK & Channel",)))
    assert kpi(uk, "people") == 150 and kpi(uk, "dead_missing") == 0 and kpi(uk, "active_operations") == 1
    rescue = q.kpis(con, replace(JAN, type=("rescue",)))
    assert kpi(rescue, "dead_missing") == 0


def test_not_available_is_null_not_zero(con):
    feb = replace(JAN, period=(date(2025, 2, 1), date(2025, 2, 28)))
    assert pd.isna(kpi(q.kpis(con, feb), "people"))


def test_crossings_series_by_grain(con):
    day = q.crossings_series(con, JAN, "day")
    assert list(day["people"]) == [100, 0, 50]
    month = q.crossings_series(con, JAN, "month")
    assert month["people"].tolist() == [150] and month["boats"].tolist() == [3]
    with pytest.raises(ValueError, match="grain"):
        q.crossings_series(con, JAN, "hour; DROP TABLE x")


def test_weekly_trend_overlays_previous_year(con):
    df = q.weekly_trend(con, JAN)
    row = df[df["period"] == pd.Timestamp("2024-12-30")].iloc[0]  # week of 1 Jan 2025
    assert row["people"] == 100 and row["people_previous_year"] == 10  # 3 Jan 2024 = same week a year back


def test_by_route(con):
    r = q.by_route(con, JAN).set_index("route")
    assert r.loc["Central Mediterranean", "detections"] == 200 and r.loc["English Channel", "detections"] == 100
    assert r.loc["English Channel", "people_arrived"] == 150 and r.loc["Central Mediterranean", "dead_missing"] == 5
    assert list(r.index) == ["Central Mediterranean", "English Channel"]  # ranked by volume


def test_map_points_and_cells(con):
    kind, df = q.map_incidents(con, JAN, max_points=10)
    assert kind == "points" and sorted(df["incident_id"]) == ["INC1", "INC2", "INC3"]
    kind, cells = q.map_incidents(con, JAN, max_points=2, max_cells=3)
    assert kind == "cells" and cells["incidents"].sum() == 3 and cells["cell_size_deg"].iloc[0] == 0.25
    kind, coarse = q.map_incidents(con, JAN, max_points=2, max_cells=2)  # INC2, INC3 share a 2° cell
    assert len(coarse) == 2 and coarse["cell_size_deg"].iloc[0] == 2.0
    cells = q.map_cells(con, JAN, 1.0)
    c = cells.set_index(["cell_lat", "cell_lon"])
    assert c.loc[(51.5, 1.5), "people"] == 50  # INC1 at 51.08, 1.18
    assert c.loc[(34.5, 12.5), "dead_missing"] == 5


def test_routes_with_flows(con):
    df = q.routes_with_flows(con, JAN).set_index("route")
    assert df.loc["English Channel", "people_or_flow"] == 150  # Channel: arrivals
    assert df.loc["Central Mediterranean", "people_or_flow"] == 200  # elsewhere: detections
    assert df.loc["English Channel", "path"] == [[1.8, 50.9], [1.2, 51.1]]


def test_operations_and_their_incidents(con):
    assert list(q.operations(con, JAN)["operation_id"]) == ["OP3", "OP1"]
    inc = q.operation_incidents(con, JAN, "OP3")
    assert sorted(inc["incident_id"]) == ["INC2", "INC3"]
    assert q.operation_incidents(con, JAN, "NOPE").empty


def test_funding_and_staffing(con):
    fy = q.funding_by_year(con)
    assert fy["allocated_gbp"].tolist() == [5000] and fy["spent_gbp"].tolist() == [2300]
    burn = q.funding_burnup(con)
    assert burn["cumulative_allocated_gbp"].tolist() == [1000, 3000, 5000]
    assert burn["cumulative_spent_gbp"].tolist()[:2] == [800, 2300] and pd.isna(burn["cumulative_spent_gbp"].iloc[2])
    unit = q.staffing_by_unit(con, date(2025, 3, 31))
    assert unit[["planned", "in_post"]].values.tolist() == [[12, 9]]  # latest month with in-post data
    assert q.staffing_series(con)["planned"].tolist() == [10, 12, 14]
    so = q.spend_and_outcomes(con, JAN)
    assert so[["spent_gbp", "networks_disrupted", "people_prevented"]].values.tolist() == [[1500, 1, 40]]


def test_options_and_metadata(con):
    opts = q.filter_options(con, (1,), 1)
    assert opts.routes == ("Central Mediterranean", "English Channel")
    assert opts.types == ("arrival", "rescue", "dead or missing")
    assert (opts.data_start, opts.data_end) == (date(2024, 1, 3), date(2025, 2, 1))
    assert not q.is_synthetic(con)
    asof = q.table_as_of(con).set_index("table")
    assert asof.loc["crossings_daily", "as_of"] == pd.Timestamp("2025-02-01")
    assert asof.loc["staffing", "as_of"] == pd.Timestamp("2025-01-31")


def test_counts_stay_integers(con):
    df = q.by_route(con, JAN)
    assert pd.api.types.is_integer_dtype(df["detections"]) and pd.api.types.is_integer_dtype(df["incidents"])


def test_map_payload_stays_under_2mb_whatever_the_data_size(tmp_path):
    """200k incidents spread over the whole map: cells coarsen until they fit; deck JSON ≤ 2 MB."""
    import numpy as np
    import tiny

    from dashboard import maps
    from dashboard.store import Store

    rng = np.random.default_rng(1)
    n = 200_000
    frames = tiny.frames()
    frames["incidents"] = pd.concat(
        [
            frames["incidents"],
            pd.DataFrame(
                {
                    "incident_id": [f"R{i}" for i in range(n)],
                    "date": date(2025, 1, 15),
                    "lat": rng.uniform(25, 60, n),
                    "lon": rng.uniform(-20, 40, n),
                    "region": "Mediterranean",
                    "route": "Central Mediterranean",
                    "incident_type": "rescue",
                    "people": rng.integers(1, 80, n),
                    "dead": None,
                    "missing": None,
                    "survivors": None,
                    "cause": None,
                    "location": "sea",
                    "source": "t",
                    "source_url": None,
                    "source_quality": None,
                }
            ),
        ]
    )
    store = Store(tmp_path / "big")
    store.commit(frames, source_name="big")
    con = store.connect()
    kind, cells = q.map_incidents(con, JAN)
    assert kind == "cells" and len(cells) <= 4000 and cells["incidents"].sum() == n + 3
    assert cells["cell_size_deg"].iloc[0] == 1.0  # 0.25° and 0.5° give > 4,000 cells here
    deck = maps.build_map_deck(routes=q.routes_with_flows(con, JAN), cells=cells)
    assert maps.payload_bytes(deck) <= 2_000_000
    kind, points = q.map_incidents(con, replace(JAN, period=(date(2025, 1, 1), date(2025, 1, 14))))
    assert kind == "points" and sorted(points["incident_id"]) == ["INC1", "INC2"]  # small sets stay points


def test_map_points_have_a_byte_budget_not_only_a_row_cap(tmp_path):
    """3,999 points fit the row cap, but with 120-character locations they would make a 2 MB map: cells instead."""
    import numpy as np
    import tiny

    from dashboard import maps
    from dashboard.store import Store

    rng = np.random.default_rng(2)
    n = 3_999
    frames = tiny.frames()
    many = pd.DataFrame(
        {
            "incident_id": [f"LONG{i}" for i in range(n)],
            "date": date(2025, 1, 20),
            "lat": rng.uniform(30, 50, n),
            "lon": rng.uniform(-10, 30, n),
            "region": "Mediterranean",
            "route": "Central Mediterranean",
            "incident_type": "rescue",
            "people": 5,
            "dead": None,
            "missing": None,
            "survivors": None,
            "cause": "Drowning",
            "location": "x" * 120,
            "source": "t",
            "source_url": None,
            "source_quality": None,
        }
    )
    frames["incidents"] = many
    store = Store(tmp_path / "long")
    store.commit(frames, source_name="long")
    con = store.connect()
    kind, cells = q.map_incidents(con, JAN)
    assert kind == "cells" and cells["incidents"].sum() == n
    routes = q.routes_with_flows(con, JAN)  # the map page draws both
    assert maps.payload_bytes(maps.build_map_deck(routes=routes, cells=cells)) <= 2_000_000
    # the same rows with short locations stay points, within the budget
    short = many.assign(location="sea")
    frames["incidents"] = short
    store.commit(frames, source_name="short")
    kind, points = q.map_incidents(store.connect(), JAN)
    assert kind == "points" and len(points) == n
    assert maps.payload_bytes(maps.build_map_deck(routes=routes, points=points)) <= 2_000_000
    # the budget is what decided: the long texts as points would take more than the points' share of the payload
    empty = maps.payload_bytes(maps.build_map_deck(routes=routes, points=q.map_points(con, JAN).iloc[:0]))
    as_points = maps.payload_bytes(maps.build_map_deck(routes=routes, points=q.map_points(con, JAN)))
    assert as_points - empty > q.MAX_POINT_BYTES


def test_provenance_lists_each_source_with_its_as_of_and_import(con):
    p = q.provenance(con).set_index("table_name")
    assert p.loc["crossings_daily", "as_of"] == pd.Timestamp("2025-02-01")
    assert p.loc["staffing", "as_of"] == pd.Timestamp("2025-01-31")  # last month with staff in post
    assert set(p["loaded_version"]) == {1} and set(p["file_name"]) == {"tiny.py"}
    assert p["imported_at"].notna().all() and set(p["sha256"]) == {"0" * 64}


# -- the default period and source lines when tables are empty (issue items 13 and 14) -------------------
def _store_with(tmp_path, **tables: pd.DataFrame):
    import tiny

    from dashboard.store import Store

    store = Store(tmp_path / "partial")
    store.commit({name: tiny.frames()[name] for name in tables} | tables, source_name="partial")
    return store.connect()


def test_default_period_comes_from_operations_when_there_are_no_crossings(tmp_path):
    import tiny

    con = _store_with(tmp_path, operations=tiny.frames()["operations"])
    assert q.data_range(con) == (date(2024, 6, 1), date(2025, 1, 20))  # first start, last end
    opts = q.filter_options(con, (1,), 1)
    assert opts.default_period() == (date(2024, 6, 1), date(2024, 12, 31))  # not one day (today)


def test_default_period_from_funding_and_staffing_months_with_figures(tmp_path):
    import tiny

    f = tiny.frames()
    con = _store_with(tmp_path, funding=f["funding"], staffing=f["staffing"])
    # Feb 2025 carries a planned allocation and headcount but nothing reported: not data yet.
    assert q.data_range(con) == (date(2024, 12, 1), date(2025, 1, 31))


def test_default_period_from_preventions_alone(tmp_path):
    import tiny

    con = _store_with(tmp_path, preventions_weekly=tiny.frames()["preventions_weekly"])
    assert q.data_range(con) == (date(2024, 12, 23), date(2025, 1, 5))  # the first week's Monday


def test_event_tables_set_the_period_when_they_have_data(con):
    # Operations, funding and staffing end earlier or later: the event tables decide, as before.
    assert q.data_range(con) == (date(2024, 1, 3), date(2025, 2, 1))


def test_source_line_says_in_words_that_a_table_has_no_data(tmp_path):
    import tiny

    con = _store_with(tmp_path, operations=tiny.frames()["operations"])
    assert q.source_text(con, False, {"crossings_daily": ""}) == "No arrivals data in data version 1"
    assert q.source_text(con, True, {"funding": "national"}) == "No funding data in data version 1"
    line = q.source_text(
        con, False, {"crossings_daily": "arrivals", "operations": "", "incidents": "x", "funding": "", "staffing": ""}
    )
    assert line == (
        "Source: Test fixture · as of 20 Jan 2025 · No arrivals, incidents, funding or staffing data in data version 1"
    )
    assert "no data" not in line and "as of –" not in line


def test_source_line_labels_every_as_of_date(con):
    line = q.source_text(con, False, {"crossings_daily": "arrivals", "operations": ""})
    assert line == "Source: Test fixture · as of 1 Feb 2025 (arrivals); 20 Jan 2025 (operations)"
    line = q.source_text(con, False, {"crossings_daily": "", "preventions_weekly": "", "staffing": "national"})
    assert (
        line == "Source: Test fixture · as of 1 Feb 2025 (arrivals); 5 Jan 2025 (preventions); 31 Jan 2025 (national)"
    )
    # One date: nothing to tell apart, so no label (as every single-table figure's source line).
    assert q.source_text(con, False, {"operations": ""}) == "Source: Test fixture · as of 20 Jan 2025"
    assert q.source_text(con, False, {"operations": "60 most recent"}) == (
        "Source: Test fixture · as of 20 Jan 2025 (60 most recent)"
    )


@pytest.fixture(scope="module")
def demo_con(tmp_path_factory):
    from dashboard.store import Store

    store = Store(tmp_path_factory.mktemp("demo") / "store")
    store.ensure_initialised()
    c = store.connect()
    yield c
    c.close()


@pytest.mark.parametrize("max_cells", [4000, 600, 150, 40, 10, 1])
def test_map_cells_from_one_pass_are_map_cells_at_the_chosen_size(demo_con, max_cells):
    """The demo's ~20,000 incidents (west and east of Greenwich, some without people counts): the grid
    map_incidents sums from its one pass is map_cells' grid, at the finest size that fits."""
    from dashboard import engines

    opts = q.filter_options(demo_con, (1,), 1)
    state = replace(q.FilterState.default(opts), period=(opts.data_start, opts.data_end))
    kind, cells = q.map_incidents(demo_con, state, max_points=0, max_cells=max_cells)
    assert kind == "cells"
    size = float(cells["cell_size_deg"].iloc[0])
    assert engines.difference(cells, q.map_cells(demo_con, state, size)) is None
    finer = [s for s in q.CELL_SIZES if s < size]
    assert len(cells) <= max_cells or size == q.CELL_SIZES[-1]
    assert not finer or len(q.map_cells(demo_con, state, finer[-1])) > max_cells
    assert cells["incidents"].sum() == q.incident_count(demo_con, state) - q.unplaced_count(demo_con, state)


def test_map_cells_of_nothing_placed(demo_con):
    """A filter no incident meets, forced onto the grid: no cells, with map_cells' columns."""
    opts = q.filter_options(demo_con, (1,), 1)
    state = replace(q.FilterState.default(opts), route=("No such route",))
    kind, cells = q.map_incidents(demo_con, state, max_points=-1)
    assert kind == "cells" and cells.empty
    assert list(cells.columns) == list(q.map_cells(demo_con, state).columns)
