"""Build the committed offline basemap (data/basemap/) from Natural Earth TopoJSON in `world-atlas`.

One-off build tool, not needed at run time. Get the npm package outside the repo, then run:

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python scripts/build_basemap.py /tmp/package

The output mixes three Natural Earth scales so the file stays small but zoomed-in views stay sharp:
1:10m inside the Channel box, 1:50m over the area the routes cross, 1:110m for the rest of the world
(so panning never runs off the edge of the land). Each feature is one of: land (polygons), coast
(lines) or border (lines between countries), with the scale it came from.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, box, mapping

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "basemap" / "basemap.geojson"

# (scale, boxes as (lon_min, lat_min, lon_max, lat_max), decimals, simplify tolerance in degrees).
# Finer tiers take precedence inside their boxes. A pixel is ~0.08° at the Europe view (zoom 3.2)
# and ~0.002° at the Channel view (zoom 8), so the tolerances stay below a pixel where each is seen.
TIERS = (
    # The Channel and its approaches; the Pelagie Islands (Lampedusa, a main Central Mediterranean
    # landing point, is missing from 1:50m).
    ("10m", ((-6.0, 48.3, 4.8, 52.6), (11.9, 35.3, 13.0, 35.95)), 3, 0.0015),
    # Everything the routes cross: Europe, North and West Africa, the Middle East, with margin.
    ("50m", ((-40.0, 0.0, 65.0, 72.0),), 3, 0.005),
    ("110m", ((-180.0, -85.0, 180.0, 85.0),), 2, 0.03),
)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat arcs from a quantized, delta-encoded TopoJSON topology."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list, indices: list[int]) -> list[tuple[float, float]]:
    """Join arcs into a ring; a negative index ~i means arc i reversed."""
    points: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])  # consecutive arcs share their end point
    return points


def polygons(arcs: list, geometry: dict) -> list[Polygon]:
    """Shapely polygons of one TopoJSON Polygon or MultiPolygon geometry."""
    parts = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry.get("arcs", [])
    out = []
    for part in parts:
        rings = [ring(arcs, r) for r in part]
        rings = [r for r in rings if len(r) >= 4]  # a few islets collapse under quantization
        if not rings:
            continue
        # Quantization makes a few rings self-intersect; make_valid may return polygons plus lines.
        out.extend(polygonal(shapely.make_valid(Polygon(rings[0], rings[1:]))).geoms)
    return out


def arc_ids(geometry: dict) -> set[int]:
    """Indices (non-negative) of every arc a Polygon/MultiPolygon geometry uses."""
    nested = geometry.get("arcs", [])
    depth = 2 if geometry["type"] == "Polygon" else 3
    flat = nested
    for _ in range(depth - 1):
        flat = [x for sub in flat for x in sub]
    return {i if i >= 0 else ~i for i in flat}


def load_scale(package: Path, scale: str):
    """(land, borders) of one Natural Earth scale: land polygons and lines between two countries."""
    topology = json.loads((package / f"countries-{scale}.json").read_text())
    arcs = decode_arcs(topology)
    land = shapely.union_all([p for g in topology["objects"]["land"]["geometries"] for p in polygons(arcs, g)])
    # An arc used by two different countries is a land border (topojson.mesh with a !== b).
    users: dict[int, int] = {}
    for g in topology["objects"]["countries"]["geometries"]:
        for i in arc_ids(g):
            users[i] = users.get(i, 0) + 1
    borders = shapely.line_merge(MultiLineString([arcs[i] for i, n in users.items() if n > 1]))
    return land, borders


def lines(geometry) -> list[LineString]:
    """The non-empty LineStrings inside any geometry."""
    parts = shapely.get_parts(geometry)
    out = []
    for g in parts:
        if isinstance(g, LineString) and not g.is_empty and len(g.coords) > 1:
            out.append(g)
        elif hasattr(g, "geoms"):
            out.extend(lines(g))
    return out


def rounded(geometry, decimals: int):
    """Coordinates rounded to `decimals` (a precision grid keeps polygons valid)."""
    snapped = shapely.set_precision(geometry, 10.0**-decimals)
    # Round again so JSON gets short decimals (51.132, not 51.132000000000005).
    return shapely.transform(snapped, lambda xy: np.round(xy, decimals))


def polygonal(geometry) -> MultiPolygon:
    """The polygons inside any geometry (clipping can leave stray lines and points)."""
    parts = [g for g in shapely.get_parts(geometry) if not g.is_empty]
    out: list[Polygon] = []
    for g in parts:
        if isinstance(g, Polygon):
            out.append(g)
        elif hasattr(g, "geoms"):
            out.extend(polygonal(g).geoms)
    return MultiPolygon(out)


def build(package: Path) -> dict:
    """The tiered basemap as a GeoJSON FeatureCollection: one land feature, one border feature."""
    land_parts, border_parts = [], []
    taken = Polygon()  # area already covered by a finer tier
    for scale, boxes, decimals, tolerance in TIERS:
        land, borders = load_scale(package, scale)
        area = shapely.union_all([box(*b) for b in boxes])
        region = area.difference(taken)
        taken = taken.union(area)
        tier_land = polygonal(shapely.make_valid(land.simplify(tolerance)).intersection(region))
        land_parts.append(rounded(tier_land, decimals))
        border_parts.extend(lines(rounded(borders.simplify(tolerance).intersection(region), decimals)))
    # One land polygon set: its outline is the coastline, so tier seams and box edges never get
    # stroked (the page draws land outlines as coasts). 3 decimals = ~100 m, below 1:10m detail.
    land = rounded(polygonal(shapely.union_all(land_parts)), 3)
    borders = rounded(shapely.line_merge(MultiLineString(border_parts)), 3)
    features = [
        {"type": "Feature", "properties": {"kind": "land"}, "geometry": mapping(land)},
        {"type": "Feature", "properties": {"kind": "border"}, "geometry": mapping(borders)},
    ]
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    """Build data/basemap/basemap.geojson from an unpacked world-atlas npm package."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="unpacked world-atlas package directory")
    args = parser.parse_args()
    collection = build(args.package)
    version = json.loads((args.package / "package.json").read_text())["version"]
    collection["metadata"] = {
        "source": f"Natural Earth 4.1.0 via world-atlas {version} (npm)",
        "licence": "Natural Earth: public domain; world-atlas: ISC",
        "tiers": [{"scale": s, "bboxes": b} for s, b, _, _ in TIERS],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # Compact separators: the file is committed and also sent to the browser on every rerun.
    text = json.dumps(collection, separators=(",", ":"))
    OUT.write_text(text + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(text):,} bytes, {len(collection['features'])} features")


if __name__ == "__main__":
    main()
