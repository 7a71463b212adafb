"""Incidents without a position and IOM groups (issue 13): counted in every total and table, left off the
map with a line under it saying so; the details panel shows the other records of an incident's group."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import tiny
from conftest import open_page

from dashboard import maps, queries
from dashboard.filters import FilterState
from dashboard.store import Store

JAN = FilterState(period=(date(2025, 1, 1), date(2025, 1, 31)))


def with_unplaced() -> dict[str, pd.DataFrame]:
    """The tiny data plus two records of one IOM-style group, one of them without a position."""
    frames = tiny.frames()
    inc = frames["incidents"]
    extra = pd.DataFrame(
        [
            {**inc.iloc[0].to_dict(), "incident_id": "G1-a", "group_id": "G1", "lat": None, "lon": None, "dead": 2,
             "missing": 1, "date": date(2025, 1, 12), "location": "Beach A"},
            {**inc.iloc[0].to_dict(), "incident_id": "G1-b", "group_id": "G1", "lat": 50.9, "lon": 1.7, "dead": 1,
             "missing": 0, "date": date(2025, 1, 13), "location": "Beach B"},
        ]
    )  # fmt: skip
    frames["incidents"] = pd.concat([inc.assign(group_id=None), extra], ignore_index=True)
    return frames


@pytest.fixture
def unplaced_store(tmp_path, monkeypatch) -> Store:
    s = Store(tmp_path / "store")
    s.commit(with_unplaced(), source_name="tiny")
    monkeypatch.setenv("TIDELINE_DATA_DIR", str(s.data_dir))
    return s


def test_an_unplaced_incident_counts_everywhere_but_on_the_map(unplaced_store):
    con = unplaced_store.connect()
    points = queries.map_points(con, JAN)
    assert "G1-a" in set(points["incident_id"])  # the table lists it
    assert queries.unplaced_count(con, JAN) == 1
    assert queries.incident_count(con, JAN) == len(points)
    layers = maps.build_map_deck(points=points, view=maps.VIEW_EUROPE).layers
    drawn = {
        d["incident_id"] for layer in layers for d in (layer.data or []) if isinstance(d, dict) and "incident_id" in d
    }
    assert "G1-b" in drawn and "G1-a" not in drawn
    kpis = queries.kpis(con, JAN).set_index("key")["value"]
    dead_missing = int(kpis["dead_missing"])
    con.close()
    # the unplaced record's 2 dead and 1 missing are in the total
    tiny_store = Store(unplaced_store.data_dir.parent / "plain")
    tiny_store.commit(tiny.frames(), source_name="tiny")
    plain = tiny_store.connect()
    assert dead_missing == int(queries.kpis(plain, JAN).set_index("key")["value"]["dead_missing"]) + 3 + 1
    plain.close()


def test_cells_leave_out_incidents_without_a_position(unplaced_store):
    con = unplaced_store.connect()
    cells = queries.map_cells(con, JAN, 1.0)
    assert int(cells["incidents"].sum()) == queries.incident_count(con, JAN) - 1
    assert cells[["cell_lat", "cell_lon"]].notna().all().all()
    points = queries.map_points(con, JAN)
    west, south, east, north = maps.data_bounds(points)  # NULL positions are left out of the fit
    placed = points.dropna(subset=["lat", "lon"])
    assert (west, south, east, north) == (
        placed["lon"].min(),
        placed["lat"].min(),
        placed["lon"].max(),
        placed["lat"].max(),
    )
    con.close()


def test_the_group_holds_both_records(unplaced_store):
    con = unplaced_store.connect()
    group = queries.incident_group(con, "G1-b")
    assert group["incident_id"].tolist() == ["G1-a", "G1-b"] and set(group["group_id"]) == {"G1"}
    assert queries.incident_group(con, "INC1").empty  # no group
    con.close()


def test_the_map_page_says_what_it_cannot_place(unplaced_store):
    at = open_page("map", {"period": ["2025-01-01", "2025-01-31"]})
    assert not at.exception, [e.stack_trace for e in at.exception]
    captions = [c.value for c in at.caption]
    assert any(c.startswith("1 incident in the filters has no position: counted, not mapped") for c in captions), (
        captions
    )
    assert any("4 incidents shown as points" in c for c in captions), captions  # 5 in the filters, 1 unplaced
