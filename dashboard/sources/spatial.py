"""Spatial files read through geopandas and pyogrio (GDAL, bundled in pyogrio's wheel: nothing downloaded):
GeoJSON, GeoPackage, zipped Shapefile, FlatGeobuf, KML and zipped File Geodatabase, in any coordinate reference
system, reprojected to WGS84 longitude/latitude (EPSG:4326). The canonical importer turns the features into rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .base import StructuralError

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Layer:
    """One layer of a spatial file, from its metadata alone."""

    name: str
    fields: tuple[str, ...]  # attribute columns as the file names them
    geometry_type: str | None  # GDAL's: "Point", "LineString", "MultiPolygon", "Unknown" (mixed), None
    crs: str | None  # "EPSG:27700", or None when the file states none
    features: int

    def derived(self) -> tuple[str, ...]:
        """The canonical columns its geometries can give: lat/lon (points), path (lines); mixed: any."""
        kind = (self.geometry_type or "").replace("3D ", "").replace(" Z", "").replace(" M", "")
        if kind == "Point":
            return ("lat", "lon")
        if kind == "LineString":
            return ("path",)
        if kind in ("Unknown", "Geometry", "GeometryCollection"):
            return ("lat", "lon", "path")
        return ()


@dataclass
class Features:
    """A layer's features: attributes (None for missing), geometries as GeoJSON mappings in WGS84 (None when
    a feature has none; {"type": …, "problem": why} when empty or invalid), and what was done to the CRS."""

    properties: pd.DataFrame
    geometries: list[dict | None]
    crs_note: str | None


def _why(exc: Exception, path: Path | None = None) -> str:
    """GDAL's reason, short: without the file's full path, its first sentence."""
    text = " ".join(str(exc).split())
    if path is not None:
        text = text.replace(f"'{path}'", path.name).replace(str(path), path.name)
    return text.split("; ")[0][:200]


def layers(path: Path) -> list[Layer]:
    """The file's layers (StructuralError when GDAL cannot open it)."""
    import pyogrio

    try:
        listed = pyogrio.list_layers(path)
        found = []
        for name, geometry_type in listed:
            info = pyogrio.read_info(path, layer=str(name))
            found.append(
                Layer(str(name), tuple(info["fields"]), geometry_type, info.get("crs"), int(info.get("features", 0)))
            )
    except Exception as exc:  # pyogrio's DataSourceError, DataLayerError, GDAL errors: one message for the analyst
        raise StructuralError(f"{path.name}: not a readable spatial file ({_why(exc, path)})") from exc
    if not found:
        raise StructuralError(f"{path.name}: the file has no layers")
    return found


def _is_wgs84(crs) -> bool:
    from pyproj import CRS

    return bool(crs.equals(CRS.from_user_input(WGS84)) or crs.equals(CRS.from_user_input("OGC:CRS84")))


def _crs_name(crs) -> str:
    code = crs.to_authority()
    return f"{crs.name} ({':'.join(code)})" if code else crs.name


def read(path: Path, layer: Layer) -> Features:
    """A layer's features in WGS84. StructuralError when the file states no CRS and its coordinates cannot be
    longitude/latitude degrees: placing them as if they were would put them somewhere wrong."""
    import geopandas
    import shapely

    try:
        frame = geopandas.read_file(path, layer=layer.name, engine="pyogrio")
    except Exception as exc:
        raise StructuralError(f"{path.name}, layer {layer.name}: not readable ({_why(exc, path)})") from exc
    if not isinstance(frame, geopandas.GeoDataFrame):  # a table without geometry (a GeoPackage's attribute table)
        attributes = pd.DataFrame(frame).astype(object)
        return Features(attributes.where(attributes.notna(), None), [None] * len(frame), None)
    note = None
    present = frame.geometry[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.crs is None:
        if len(present):
            minx, miny, maxx, maxy = present.total_bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                raise StructuralError(
                    f"{path.name}, layer {layer.name}: the file states no coordinate reference system and its "
                    f"coordinates (x {minx:,.0f} to {maxx:,.0f}, y {miny:,.0f} to {maxy:,.0f}) are not longitude/"
                    "latitude degrees; save it with its CRS (for British National Grid, EPSG:27700) and import again"
                )
        note = "no coordinate reference system stated: coordinates read as WGS84 longitude/latitude"
    elif not _is_wgs84(frame.crs):
        note = f"coordinates reprojected from {_crs_name(frame.crs)} to WGS84 (EPSG:4326)"
        try:
            frame = frame.to_crs(WGS84)
        except Exception as exc:  # a CRS pyproj cannot transform offline
            raise StructuralError(
                f"{path.name}, layer {layer.name}: cannot reproject from {_crs_name(frame.crs)} ({_why(exc)})"
            ) from exc
    geometries: list[dict | None] = []
    for geom in frame.geometry:
        if geom is None:
            geometries.append(None)
        elif geom.is_empty:
            geometries.append({"type": geom.geom_type, "problem": f"an empty {geom.geom_type} geometry"})
        elif not shapely.is_valid(geom):
            reason = shapely.is_valid_reason(geom)
            geometries.append({"type": geom.geom_type, "problem": f"an invalid {geom.geom_type} geometry ({reason})"})
        else:
            geometries.append(json.loads(shapely.to_geojson(geom)))
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    attributes = attributes.astype(object).where(attributes.notna(), None)
    return Features(attributes, geometries, note)
