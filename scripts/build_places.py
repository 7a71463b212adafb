"""Build data/basemap/places.geojson: the place labels drawn on Tideline's maps.

One-off build tool, not needed at run time (the app reads the committed GeoJSON). The table below is
hand-compiled from public gazetteer coordinates (town centres; island centres for islands; the crossing
point for a border), rounded to 0.01° (~1 km, finer than a label can show). Names and positions are facts,
not creative work; the file is released with the repository (see data/basemap/README.md).

    .venv/bin/python scripts/build_places.py

Each place has a rank (1: shown first, a main departure, landing or crossing point; 2 and 3: shown
when there is room, as the map zooms in) and a placement: where the label sits relative to the point,
chosen so the label lies on land beside a port rather than on the water where incidents are drawn.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "basemap" / "places.geojson"

KINDS = ("port", "coast", "island", "crossing", "city")
PLACEMENTS = ("C", "N", "S", "E", "W")  # centred, or the label above, below, right or left of the point

# (name, lat, lon, kind, rank, placement), grouped by the route they belong to.
PLACES: tuple[tuple[str, float, float, str, int, str], ...] = (
    # English Channel and the Channel ports
    ("Calais", 50.95, 1.86, "port", 1, "S"),
    ("Dunkirk", 51.03, 2.38, "port", 1, "S"),
    ("Gravelines", 50.99, 2.13, "coast", 3, "S"),
    ("Boulogne-sur-Mer", 50.73, 1.61, "port", 2, "E"),
    ("Dover", 51.13, 1.31, "port", 1, "N"),
    ("Folkestone", 51.08, 1.17, "port", 2, "W"),
    # Central Mediterranean
    ("Tripoli", 32.89, 13.19, "port", 1, "S"),
    ("Zuwara", 32.93, 12.08, "coast", 2, "S"),
    ("Benghazi", 32.12, 20.07, "port", 2, "S"),
    ("Sfax", 34.74, 10.76, "port", 1, "W"),
    ("Lampedusa", 35.51, 12.60, "island", 1, "E"),
    ("Malta", 35.90, 14.51, "island", 2, "E"),
    ("Sicily", 37.60, 14.15, "island", 2, "C"),
    # Eastern Mediterranean
    ("Istanbul", 41.01, 28.98, "city", 1, "N"),
    ("Evros", 40.92, 26.32, "crossing", 1, "N"),
    ("Izmir", 38.42, 27.14, "port", 2, "E"),
    ("Lesbos", 39.20, 26.25, "island", 1, "C"),
    ("Chios", 38.38, 26.00, "island", 2, "C"),
    ("Samos", 37.73, 26.75, "island", 2, "C"),
    ("Kos", 36.80, 27.10, "island", 3, "C"),
    ("Athens", 37.98, 23.73, "city", 2, "W"),
    # Western Mediterranean
    ("Tangier", 35.76, -5.83, "port", 1, "W"),
    ("Ceuta", 35.89, -5.32, "port", 1, "E"),
    ("Melilla", 35.29, -2.94, "port", 1, "W"),
    ("Algeciras", 36.14, -5.46, "port", 2, "N"),
    ("Almería", 36.83, -2.46, "port", 1, "N"),
    ("Oran", 35.70, -0.63, "port", 2, "S"),
    # Atlantic (Canary Islands)
    ("Lanzarote", 29.04, -13.63, "island", 1, "E"),
    ("Fuerteventura", 28.40, -14.00, "island", 3, "E"),
    ("Gran Canaria", 27.96, -15.59, "island", 1, "S"),
    ("Tenerife", 28.27, -16.61, "island", 1, "N"),
    ("El Hierro", 27.74, -18.03, "island", 2, "W"),
    ("Laayoune", 27.15, -13.20, "city", 2, "E"),
    ("Dakhla", 23.68, -15.96, "port", 2, "E"),
    ("Nouadhibou", 20.93, -17.03, "port", 1, "E"),
    ("Nouakchott", 18.07, -15.96, "city", 2, "E"),
    ("Dakar", 14.72, -17.47, "port", 1, "E"),
    # Western Balkans
    ("Thessaloniki", 40.64, 22.94, "city", 2, "S"),
    ("Idomeni", 41.12, 22.51, "crossing", 2, "W"),
    ("Skopje", 42.00, 21.43, "city", 3, "W"),
    ("Belgrade", 44.79, 20.45, "city", 1, "E"),
    ("Subotica", 46.10, 19.67, "crossing", 2, "W"),
    ("Bihać", 44.82, 15.87, "crossing", 2, "W"),
    # Eastern Borders
    ("Minsk", 53.90, 27.56, "city", 2, "E"),
    ("Kuźnica", 53.51, 23.65, "crossing", 1, "W"),
    ("Brest", 52.10, 23.73, "crossing", 1, "E"),
    ("Warsaw", 52.23, 21.01, "city", 2, "W"),
)


def build() -> dict:
    """The places as a GeoJSON FeatureCollection of points (checked: unique names, known kinds)."""
    names = [p[0] for p in PLACES]
    assert len(set(names)) == len(names), "place names must be unique"
    features = []
    for name, lat, lon, kind, rank, placement in PLACES:
        assert kind in KINDS and rank in (1, 2, 3) and placement in PLACEMENTS, name
        assert -90 <= lat <= 90 and -180 <= lon <= 180, name
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "kind": kind, "rank": rank, "placement": placement},
                "geometry": {"type": "Point", "coordinates": [round(lon, 2), round(lat, 2)]},
            }
        )
    return {
        "type": "FeatureCollection",
        "metadata": {
            "source": "hand-compiled from public gazetteer coordinates, rounded to 0.01 degrees",
            "script": "scripts/build_places.py",
        },
        "features": features,
    }


def main() -> None:
    """Write data/basemap/places.geojson (one feature a line, so a diff shows the place that changed)."""
    collection = build()
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    head = json.dumps({"type": "FeatureCollection", "metadata": collection["metadata"]}, separators=(",", ":"))
    text = head[:-1] + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
    assert json.loads(text) == collection
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(text.encode()):,} bytes, {len(lines)} places")


if __name__ == "__main__":
    main()
