"""Spatial files through geopandas/pyogrio (dashboard/sources/spatial.py): GeoPackage with a layer per table,
zipped Shapefile, KML, FlatGeobuf, any CRS reprojected to WGS84; a file without a CRS whose coordinates cannot be
degrees is refused. The fixtures are written here with geopandas, as a QGIS colleague's files would be."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

from dashboard import ingest
from dashboard.sources import canonical
from dashboard.sources.base import StructuralError
from dashboard.store import Store

# British National Grid positions (metres) around the Channel and Kent; the expected WGS84 comes from pyproj
BNG = [(631000.0, 130000.0), (640500.0, 141200.0), (598000.0, 121000.0)]
TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def incidents_frame(points, crs: str | None) -> gpd.GeoDataFrame:
    n = len(points)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"K{i}" for i in range(n)],
            "date": [date(2024, 5, 1 + i).isoformat() for i in range(n)],
            "region": ["UK & Channel"] * n,
            "route": ["Channel"] * n,
            "incident_type": ["launch"] * n,
            "people": list(range(10, 10 + n)),
            "source": ["Field team KML"] * n,
        },
        geometry=points,
        crs=crs,
    )


def routes_frame(crs: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"route": ["Dover strait"], "mode": ["sea"], "region": ["UK & Channel"], "source": ["QGIS export"]},
        geometry=[LineString(BNG[:2])],
        crs=crs,
    )


def bng_geopackage(path: Path) -> Path:
    """Two layers in EPSG:27700: incidents (points, one empty, one a polygon) and routes (a line)."""
    points = [Point(x, y) for x, y in BNG] + [Point(), Polygon([(0, 0), (1, 0), (1, 1)])]
    incidents_frame(points, "EPSG:27700").to_file(path, layer="incidents", driver="GPKG")
    routes_frame("EPSG:27700").to_file(path, layer="routes", driver="GPKG")
    return path


def test_a_british_national_grid_geopackage_is_reprojected_layer_by_layer(tmp_path):
    result = canonical.read(bng_geopackage(tmp_path / "kent.gpkg"))
    assert set(result.tables) == {"incidents", "routes"}
    incidents = result.tables["incidents"]
    for (x, y), (lat, lon) in zip(BNG, incidents[["lat", "lon"]].itertuples(index=False), strict=True):
        want_lon, want_lat = TO_WGS84.transform(x, y)
        assert lon == pytest.approx(want_lon, abs=1e-6) and lat == pytest.approx(want_lat, abs=1e-6)
    assert 50 < incidents["lat"].min() and incidents["lon"].max() < 2  # Kent and the Channel, not off Africa
    path = result.tables["routes"]["path"].iloc[0]
    assert path[0] == pytest.approx(list(TO_WGS84.transform(*BNG[0])), abs=1e-6)
    assert [(r.row, r.column, r.reason, r.layer) for r in result.rejected] == [
        (4, "geometry", "an empty Point geometry", "incidents"),
        (5, "geometry", "a Polygon geometry where incidents takes a Point", "incidents"),
    ]
    assert result.rejected[0].where() == "kent.gpkg, layer incidents, feature 4, column 'geometry'"
    reprojected = "coordinates reprojected from OSGB36 / British National Grid (EPSG:27700) to WGS84 (EPSG:4326)"
    assert f"layer incidents: {reprojected}" in result.notes and f"layer routes: {reprojected}" in result.notes


def test_the_geopackage_imports_as_one_version_with_both_tables(tmp_path):
    store = Store(tmp_path / "store")
    store.ensure_initialised()
    plan = ingest.plan(store, bng_geopackage(tmp_path / "kent.gpkg"))
    assert plan.importer is canonical and plan.rejected == 2
    version = ingest.apply(store, plan, accept_partial=True)
    con = store.connect(version.id)
    assert con.execute("SELECT count(*) FROM incidents").fetchone() == (3,)
    assert con.execute("SELECT route FROM routes WHERE source = 'QGIS export'").fetchall() == [("Dover strait",)]
    report = ingest.rejection_report(plan)
    assert report["sheet"].tolist() == ["layer incidents", "layer incidents"] and report["row"].tolist() == [4, 5]


def test_a_zipped_shapefile_in_web_mercator_with_cut_field_names(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    points = [Point(TO_WGS84.transform(x, y)) for x, y in BNG]
    frame = incidents_frame(points, "EPSG:4326").to_crs("EPSG:3857")
    frame.to_file(folder / "incidents.shp", driver="ESRI Shapefile")  # incident_type -> incident_t, …
    archive = tmp_path / "incidents.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    assert canonical.detect(archive) and canonical.table_for(archive) == "incidents"
    result = canonical.read(archive)
    assert not result.rejected
    got = result.tables["incidents"]
    for (x, y), (lat, lon) in zip(BNG, got[["lat", "lon"]].itertuples(index=False), strict=True):
        want_lon, want_lat = TO_WGS84.transform(x, y)
        assert lon == pytest.approx(want_lon, abs=1e-6) and lat == pytest.approx(want_lat, abs=1e-6)
    assert got["incident_type"].tolist() == ["launch"] * 3
    assert any("WGS 84 / Pseudo-Mercator (EPSG:3857)" in n and "incident_t → incident_type" in n for n in result.notes)


def test_a_kml_from_a_field_team(tmp_path):
    path = tmp_path / "patrol.kml"
    incidents_frame([Point(1.35, 51.05), Point(1.6, 50.95)], "EPSG:4326").to_file(path, driver="KML")
    result = canonical.read(path)
    assert not result.rejected, result.rejected
    assert result.tables["incidents"][["lat", "lon"]].values.tolist() == [[51.05, 1.35], [50.95, 1.6]]
    assert not any("reprojected" in n for n in result.notes)


def test_a_file_without_a_crs_in_metres_is_refused_not_put_in_the_sea_off_africa(tmp_path):
    path = tmp_path / "nocrs.fgb"
    incidents_frame([Point(x, y) for x, y in BNG], None).to_file(path, driver="FlatGeobuf")
    with pytest.raises(StructuralError) as err:
        canonical.read(path)
    assert "states no coordinate reference system" in str(err.value) and "EPSG:27700" in str(err.value)
    assert "x 598,000 to 640,500" in str(err.value)


def test_a_file_without_a_crs_in_degrees_is_read_as_wgs84_and_says_so(tmp_path):
    path = tmp_path / "nocrs.fgb"
    incidents_frame([Point(1.35, 51.05)], None).to_file(path, driver="FlatGeobuf")
    result = canonical.read(path)
    assert result.tables["incidents"][["lat", "lon"]].values.tolist() == [[51.05, 1.35]]
    assert "no coordinate reference system stated: coordinates read as WGS84 longitude/latitude" in result.notes


def test_several_layers_none_named_like_a_table(tmp_path):
    path = tmp_path / "misc.gpkg"
    incidents_frame([Point(1, 51)], "EPSG:4326").to_file(path, layer="field_notes", driver="GPKG")
    routes_frame("EPSG:27700").to_file(path, layer="lines", driver="GPKG")
    with pytest.raises(StructuralError, match=r"2 layers \(field_notes, lines\) and none is named like a canonical"):
        canonical.read(path)
    assert not canonical.detect(path)


def test_the_import_limits_count_a_geopackage_s_features_by_layer(tmp_path):
    from dashboard.settings import ImportLimits
    from dashboard.sources import bounds
    from dashboard.sources.base import TooLarge

    path = bng_geopackage(tmp_path / "kent.gpkg")
    bounds.check(path, ImportLimits())
    with pytest.raises(TooLarge, match=r"kent.gpkg, layer incidents: its number of rows \(5\) is over the limit of 4"):
        bounds.check(path, ImportLimits(max_rows=4))


def test_a_zipped_file_geodatabase_from_arcgis(tmp_path):
    gdb = tmp_path / "field.gdb"
    frame = incidents_frame([Point(x, y) for x, y in BNG], "EPSG:27700")
    with pytest.warns(RuntimeWarning, match="Float64"):  # ArcGIS's older format keeps whole numbers as doubles
        frame.to_file(gdb, layer="incidents", driver="OpenFileGDB")
    archive = tmp_path / "field.gdb.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in gdb.iterdir():
            zf.write(part, f"field.gdb/{part.name}")
    result = canonical.read(archive)
    assert not result.rejected
    got = result.tables["incidents"]
    assert got["people"].tolist() == [10, 11, 12]
    for (x, y), (lat, lon) in zip(BNG, got[["lat", "lon"]].itertuples(index=False), strict=True):
        want_lon, want_lat = TO_WGS84.transform(x, y)
        assert lon == pytest.approx(want_lon, abs=1e-6) and lat == pytest.approx(want_lat, abs=1e-6)


def test_layers_not_named_like_a_table_are_ignored_and_said(tmp_path):
    path = tmp_path / "mixed.gpkg"
    incidents_frame([Point(1.35, 51.05)], "EPSG:4326").to_file(path, layer="incidents", driver="GPKG")
    routes_frame("EPSG:27700").to_file(path, layer="sketch_lines", driver="GPKG")
    result = canonical.read(path)
    assert set(result.tables) == {"incidents"}
    assert "layers not named like a canonical table ignored: sketch_lines" in result.notes


# -- regions from coordinates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lon", "lat", "region"),
    [
        (1.6, 50.95, "UK & Channel"),  # off Calais
        (-5.3, 50.1, "UK & Channel"),  # Cornwall
        (12.6, 35.5, "Mediterranean"),  # off Lampedusa
        (26.3, 39.1, "Mediterranean"),  # off Lesbos
        (-15.4, 28.1, "Atlantic"),  # Gran Canaria
        (-17.4, 14.7, "Atlantic"),  # off Dakar
        (20.4, 44.8, "Balkans & Eastern Europe"),  # Belgrade
        (23.9, 52.1, "Balkans & Eastern Europe"),  # the Polish-Belarusian border
    ],
)
def test_hand_placed_points_fall_in_their_region(lon, lat, region):
    from dashboard.sources import region_shapes

    frame = pd.DataFrame({"region": ["Somewhere IOM"], "lat": [lat], "lon": [lon]})
    placed, counts, outside = region_shapes.place(frame, known={"UK & Channel"})
    assert placed["region"].tolist() == [region] and counts == {("Somewhere IOM", region): 1} and outside == 0


def test_known_labels_and_positions_outside_every_region_are_kept():
    from dashboard.sources import region_shapes

    frame = pd.DataFrame(
        {
            "region": ["Mediterranean", "Central America", "Western Asia", "Northern Africa"],
            "lat": [50.9, 14.6, 33.3, None],  # a known label is kept even where another region lies
            "lon": [1.6, -90.5, 44.4, None],
        }
    )
    placed, counts, outside = region_shapes.place(frame, known={"Mediterranean"})
    assert placed["region"].tolist() == frame["region"].tolist()  # Guatemala, Baghdad, no position: kept
    assert not counts and outside == 2


def test_an_iom_style_import_places_unknown_labels_by_position_and_says_how_many(tmp_path):
    store = Store(tmp_path / "store")
    ingest.init_empty(store)
    frame = incidents_frame([Point(12.6, 35.5), Point(13.0, 36.0), Point(-90.5, 14.6), Point(1.5, 51.0)], "EPSG:4326")
    frame["region"] = ["Northern Africa", "Northern Africa", "Central America", "UK & Channel"]
    path = tmp_path / "iom-like.geojson"
    frame.to_file(path, driver="GeoJSON")
    plan = ingest.plan(store, path)
    got = plan.result.tables["incidents"]
    assert got["region"].tolist() == ["Mediterranean", "Mediterranean", "Central America", "UK & Channel"]
    assert (
        "2 incidents with a region label Tideline does not know placed in the region that contains them: "
        "'Northern Africa' → Mediterranean (2)"
    ) in plan.result.notes
    assert "1 incident with an unknown region label lies outside every Tideline region and keeps its own label" in (
        plan.result.notes
    )


def test_a_geopackage_with_an_attribute_table_beside_a_point_layer(tmp_path):
    path = tmp_path / "mixed.gpkg"
    incidents_frame([Point(1.35, 51.05)], "EPSG:4326").to_file(path, layer="incidents", driver="GPKG")
    crossings = pd.DataFrame(
        {
            "date": ["2024-01-05"],
            "route": ["English Channel"],
            "people": [40],
            "status": ["provisional"],
            "source": ["S"],
        }
    )
    import pyogrio

    pyogrio.write_dataframe(crossings, path, layer="crossings_daily", driver="GPKG", append=True)
    result = canonical.read(path)
    assert set(result.tables) == {"incidents", "crossings_daily"} and not result.rejected
    assert result.tables["crossings_daily"]["people"].tolist() == [40]
