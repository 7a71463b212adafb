"""GIS exports (dashboard/gis_export.py, `python -m dashboard export`): GeoPackage, GeoJSON and KML read back
with pyogrio as QGIS would (no browser): the same rows, WGS84, the marking on every feature and in the file's
metadata; a round trip through a GeoPackage imports back as the same incidents."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import gis_export, ingest, queries, registry
from dashboard.filters import FilterState
from dashboard.store import Store

REPO = Path(__file__).resolve().parent.parent
LINK = "http://tideline.local/map?version=1&route=English+Channel&period=2025-01-01&period=2025-06-30"
MARKING = "OFFICIAL-SENSITIVE"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("gis") / "store")
    store.ensure_initialised()
    return store


def export(store: Store, out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TIDELINE_DATA_DIR": str(store.data_dir), "TIDELINE_CLASSIFICATION": MARKING}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "export", "incidents", "--out", str(out), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def expected(store: Store) -> pd.DataFrame:
    con = store.connect(1)
    state, notices = FilterState.from_query_params(
        {"version": ["1"], "route": ["English Channel"], "period": ["2025-01-01", "2025-06-30"]},
        queries.filter_options(con, (1,), 1),
    )
    assert not notices
    return queries.incidents_for_export(con, state)


@pytest.mark.parametrize("ext", [".gpkg", ".geojson", ".kml"])
def test_each_gis_format_reads_back_with_the_rows_in_wgs84_and_marked(demo, tmp_path, ext):
    out = tmp_path / f"channel{ext}"
    r = export(demo, out, "--link", LINK)
    assert r.returncode == 0, r.stderr
    want = expected(demo)
    placed = want[want["lat"].notna()]
    assert len(placed) > 20
    layers = [str(name) for name, _ in pyogrio.list_layers(out)]
    incidents_layer = "incidents" if ext != ".geojson" else layers[0]
    info = pyogrio.read_info(out, layer=incidents_layer)
    assert info["crs"] == "EPSG:4326"
    got = gpd.read_file(out, layer=incidents_layer)
    got = got[got["incident_id"].notna()]  # GeoJSON: the routes are features of the same collection
    assert sorted(got["incident_id"]) == sorted(placed["incident_id"])
    assert set(got["classification"]) == {MARKING}
    by_id = got.set_index("incident_id")
    for row in placed.itertuples():
        point = by_id.loc[row.incident_id, "geometry"]
        assert point.x == pytest.approx(row.lon, abs=1e-9) and point.y == pytest.approx(row.lat, abs=1e-9)
    text = out.read_bytes()
    assert b"English Channel" in text and b"1 Jan \xe2\x80\x93 30 Jun 2025" in text  # the filters, in the file
    if ext == ".gpkg":  # as QGIS sees it: layers and geometry types, the marking in the dataset's metadata
        assert dict(pyogrio.list_layers(out).tolist()) == {"incidents": "Point", "routes": "LineString"}
        assert info["dataset_metadata"]["CLASSIFICATION"] == MARKING
        assert "data version 1" in info["layer_metadata"]["DESCRIPTION"]
    if ext == ".kml":
        assert b"<description>OFFICIAL-SENSITIVE" in text and b"<name>Tideline \xc2\xb7 OFFICIAL-SENSITIVE" in text
        assert set(layers) == {"incidents", "routes"}


def test_a_geopackage_round_trips_into_another_store(demo, tmp_path):
    """Export from one command's store, import into a colleague's: the same incidents, nothing converted."""
    out = tmp_path / "channel.gpkg"
    assert export(demo, out, "--link", LINK).returncode == 0
    other = Store(tmp_path / "other")
    ingest.init_empty(other)
    plan = ingest.plan(other, out)
    assert set(plan.result.tables) == {"incidents", "routes"} and not plan.rejected
    assert "layer incidents: columns not in table incidents ignored: classification" in plan.result.notes
    ingest.apply(other, plan)
    want = expected(demo)
    want = want[want["lat"].notna()].sort_values("incident_id").reset_index(drop=True)
    con = other.connect()
    got = con.execute(f"SELECT {queries.EXPORT_COLUMNS} FROM incidents ORDER BY incident_id").df()
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


@pytest.mark.parametrize(
    ("out", "link", "message"),
    [
        ("x.shp", None, "unknown export format .shp"),
        ("x", None, "unknown export format (no extension)"),
        ("x.gpkg", "a=b&&=&", "the link does not parse"),
        ("x.gpkg", "region=Atlantis", "unknown region ignored: 'Atlantis'"),
        ("x.gpkg", "version=99", "pins data version '99'"),
    ],
)
def test_bad_formats_and_links_exit_2(demo, tmp_path, out, link, message):
    r = export(demo, tmp_path / out, *(["--link", link] if link else []))
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not (tmp_path / out).exists()


def test_cells_are_squares_and_text_is_cleaned(tmp_path):
    cells = pd.DataFrame({"cell_lat": [51.125], "cell_lon": [1.375], "cell_size_deg": [0.25], "incidents": [7]})
    points = pd.DataFrame(
        {"incident_id": ['=HYPERLINK("http://x")'], "lat": [51.0], "lon": [1.4], "location": ["a\u202eb"]}
    )
    frames = gis_export.layers(incidents=points, cells=cells)
    data = gis_export.to_bytes(".gpkg", frames, classification=MARKING, description="test", version=1, source="s",
                               generated_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    path = tmp_path / "c.gpkg"
    path.write_bytes(data)
    square = gpd.read_file(path, layer="incident_cells").geometry[0]
    assert square.bounds == pytest.approx((1.25, 51.0, 1.5, 51.25))
    row = gpd.read_file(path, layer="incidents").iloc[0]
    assert row["incident_id"].startswith("'=") and row["location"] == "ab"  # formula neutralised, bidi removed


def test_the_map_page_offers_the_gis_downloads(store):
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=120).run()
    at.switch_page(registry.page("map").script).run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"GeoPackage", "GeoJSON", "KML", "Download CSV", "Download XLSX"} <= set(labels)


def test_kml_descriptions_are_text_not_html(tmp_path):
    """Google Earth shows a KML description as HTML: a route's imported description is escaped."""
    routes = pd.DataFrame(
        {"route": ["R"], "description": ["<script>alert(1)</script> & more"], "path": [[[1.0, 51.0], [2.0, 51.5]]]}
    )
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    data = gis_export.to_bytes(".kml", gis_export.layers(routes=routes), classification=MARKING,
                               description="<b>x</b>", version=1, source="s", generated_at=moment)  # fmt: skip
    assert b"<script>" not in data and b"<b>x</b>" not in data
    assert b"&lt;script&gt;" in data
