"""The map's data as GIS files a QGIS or ArcGIS colleague opens as they are: GeoPackage (a layer per kind:
incidents as points, grid cells as polygons, routes as lines), GeoJSON and KML, in WGS84 (EPSG:4326), written by
geopandas/pyogrio (GDAL bundled in the wheel: nothing downloaded).

Each file carries the classification marking and the filter description: in the GeoPackage's metadata and a
`classification` field on every feature, in the GeoJSON's description and that field, as the KML document's
description and that field; and the marking leads the file name (exports.export_filename). Text is cleaned as
in the other exports (exports.safe_frame: no formula prefixes, no bidi controls). Pure: no streamlit.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from . import exports
from .clean import text

FORMATS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".kml": "KML"}
MIME = {
    ".gpkg": "application/geopackage+sqlite3",
    ".geojson": "application/geo+json",
    ".kml": "application/vnd.google-earth.kml+xml",
}
WGS84 = "EPSG:4326"


def layers(
    *,
    incidents: pd.DataFrame | None = None,
    cells: pd.DataFrame | None = None,
    routes: pd.DataFrame | None = None,
    operations: pd.DataFrame | None = None,
) -> dict[str, object]:
    """The page's frames as GeoDataFrames by layer name: incidents and operations as points (from lat/lon; a row
    without a position is left out: a feature needs one), incident_cells as squares (cell_lat, cell_lon,
    cell_size_deg), routes as lines (path)."""
    import geopandas as gpd
    from shapely.geometry import LineString, Point, box

    out: dict[str, object] = {}
    for name, points in (("incidents", incidents), ("operations", operations)):
        if points is not None:
            placed = points[points["lat"].notna() & points["lon"].notna()].reset_index(drop=True)
            geometry = [Point(float(x), float(y)) for x, y in zip(placed["lon"], placed["lat"], strict=True)]
            out[name] = gpd.GeoDataFrame(placed, geometry=geometry, crs=WGS84)
    if cells is not None:
        half = cells["cell_size_deg"].astype(float) / 2
        geometry = [
            box(float(lon) - h, float(lat) - h, float(lon) + h, float(lat) + h)
            for lat, lon, h in zip(cells["cell_lat"], cells["cell_lon"], half, strict=True)
        ]
        out["incident_cells"] = gpd.GeoDataFrame(cells.reset_index(drop=True), geometry=geometry, crs=WGS84)
    if routes is not None:
        kept = routes[[len(p) >= 2 for p in routes["path"]]].reset_index(drop=True)
        geometry = [LineString([(float(x), float(y)) for x, y in path]) for path in kept["path"]]
        out["routes"] = gpd.GeoDataFrame(kept.drop(columns=["path"]), geometry=geometry, crs=WGS84)
    return out


def build(ext: str, frames: Mapping[str, pd.DataFrame | None], **meta) -> bytes:
    """layers(**frames) written as `ext`: what a download button builds on click."""
    return to_bytes(ext, layers(**frames), **meta)


def _cleaned(frame, classification: str):
    """Attributes cleaned as the spreadsheet exports clean them, the marking as a field, the geometry kept."""
    import geopandas as gpd

    attributes = exports.safe_frame(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
    attributes.insert(0, "classification", str(exports.neutralise(text(" ".join(classification.split())))))
    for column in attributes.columns:  # a field is text or a number for GDAL, never a mix: NULL, not ""
        if attributes[column].dtype == object:
            values = [None if v is None or v == "" else v for v in attributes[column]]
            numbers = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values)
            attributes[column] = (
                pd.to_numeric(pd.Series(values, dtype=object))
                if numbers
                else pd.Series([None if v is None else str(v) for v in values], dtype=object)
            )
    return gpd.GeoDataFrame(attributes, geometry=frame.geometry.values, crs=frame.crs)


def to_bytes(
    ext: str,
    frames: Mapping[str, object],
    *,
    classification: str,
    description: str,
    version: int | None,
    source: str,
    generated_at: datetime,
    produced_by: str = "",
) -> bytes:
    """The layers (`layers()`) as one file of the format `ext` (.gpkg, .geojson, .kml). GeoJSON holds one
    layer: the incidents (or cells) with the routes as further features of the same collection."""
    import geopandas as gpd
    import pyogrio

    ext = ext.lower()
    if ext not in FORMATS:
        raise ValueError(f"not a GIS export format: {ext!r} (known: {', '.join(FORMATS)})")
    facts = exports.csv_header_lines(
        classification=classification,
        description=description,
        version=version,
        source=source,
        generated_at=generated_at,
        produced_by=produced_by,
    )
    about = " · ".join(line.lstrip("# ").strip() for line in facts)
    cleaned = {name: _cleaned(frame, classification) for name, frame in frames.items()}
    with tempfile.TemporaryDirectory(prefix="tideline-gis-") as tmp:
        path = Path(tmp) / f"export{ext}"
        if ext == ".geojson":
            parts = [g for g in cleaned.values() if len(g)]
            merged = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=WGS84) if parts else None
            if merged is None:
                merged = gpd.GeoDataFrame({"classification": []}, geometry=[], crs=WGS84)
            pyogrio.write_dataframe(merged, path, driver="GeoJSON", layer="tideline", layer_options={
                "DESCRIPTION": about, "RFC7946": "YES", "WRITE_NAME": "NO"})  # fmt: skip
        elif ext == ".kml":
            about = html.escape(about)  # Google Earth shows a KML description (and a placemark's) as HTML
            for i, (name, frame) in enumerate(cleaned.items()):
                for column in frame.columns:
                    if str(column).lower() in ("description", "name") and frame[column].dtype == object:
                        frame[column] = [None if v is None else html.escape(str(v)) for v in frame[column]]
                pyogrio.write_dataframe(frame, path, driver="LIBKML", layer=name, append=i > 0,
                                        dataset_options={"NAME": f"Tideline · {classification}", "DESCRIPTION": about}
                                        if i == 0 else None)  # fmt: skip
        else:
            for i, (name, frame) in enumerate(cleaned.items()):
                pyogrio.write_dataframe(frame, path, driver="GPKG", layer=name, append=i > 0,
                                        dataset_metadata={"CLASSIFICATION": classification, "DESCRIPTION": about}
                                        if i == 0 else None,
                                        layer_metadata={"CLASSIFICATION": classification, "DESCRIPTION": about},
                                        layer_options={"DESCRIPTION": about})  # fmt: skip
        return path.read_bytes()
