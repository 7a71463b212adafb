"""Regions from coordinates: an imported incident with a position but a region label Tideline does not know
gets the region whose polygon contains it (data/regions/regions.geojson: coarse shapes drawn for Tideline,
see its README). Incidents outside every polygon keep their own label."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import pandas as pd

SHAPES = Path(__file__).resolve().parent.parent.parent / "data" / "regions" / "regions.geojson"


@functools.cache
def shapes() -> tuple[tuple[str, object], ...]:
    """(region, polygon) in the file's order: the first that contains a point names its region."""
    import geopandas as gpd

    frame = gpd.read_file(SHAPES, engine="pyogrio")
    return tuple(zip(frame["region"], frame.geometry, strict=True))


def place(frame: pd.DataFrame, known: Collection[str]) -> tuple[pd.DataFrame, Counter[tuple[str, str]], int]:
    """The incidents with each unknown region label that has a position replaced by the region containing it.
    Returns the frame, (label, region) -> how many were placed, and how many stayed outside every region."""
    if not len(frame) or not {"region", "lat", "lon"} <= set(frame.columns):
        return frame, Counter(), 0
    import shapely

    todo = ~frame["region"].isin(list(known)) & frame["lat"].notna() & frame["lon"].notna()
    if not todo.any():
        return frame, Counter(), 0
    rows = frame.index[todo]
    xs = frame.loc[rows, "lon"].astype(float).to_numpy()
    ys = frame.loc[rows, "lat"].astype(float).to_numpy()
    found: list[str | None] = [None] * len(rows)
    for region, polygon in shapes():
        for i in shapely.contains_xy(polygon, xs, ys).nonzero()[0]:
            if found[i] is None:
                found[i] = region
    out = frame.copy()
    placed: Counter[tuple[str, str]] = Counter()
    for row, name in zip(rows, found, strict=True):
        if name is not None:
            placed[(str(frame.at[row, "region"]), name)] += 1
            out.at[row, "region"] = name
    return out, placed, len(rows) - sum(placed.values())
