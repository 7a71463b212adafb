"""Benchmark: the query layer (DuckDB) against a straightforward pandas implementation of the
same queries (the incident queries the pages run), on 1M and 10M synthetic incidents, in the same run.

    .venv/bin/python benchmarks/bench_queries.py [--sizes 1000000 10000000] [--repeats 5]

Prints the median time of each query for both engines, the ratio, and peak memory (RSS).
A benchmark to run on demand, not a test: this machine is shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb

from dashboard import queries as q
from dashboard import schema
from dashboard.filters import FilterState

STATE = FilterState(
    period=(date(2023, 1, 1), date(2024, 12, 31)),
    region=("Mediterranean", "UK & Channel"),
    type=("rescue", "dead or missing", "arrival"),
)
CELL = 0.25


def build(n: int) -> duckdb.DuckDBPyConnection:
    """A connection with the canonical tables and n random incidents spread 2018–2026."""
    # 2 threads: the machine (and a typical analyst server) has 2 cores.
    con = duckdb.connect(":memory:")
    con.execute("SET threads = 2")
    for table in schema.DATA_TABLES:
        con.execute(schema.create_sql(table))
    routes = [(r, reg) for reg, rs in schema.REGIONS.items() for r in rs]
    con.execute("CREATE TEMP TABLE rr (i INTEGER, route VARCHAR, region VARCHAR)")
    con.executemany("INSERT INTO rr VALUES (?, ?, ?)", [(i, r, g) for i, (r, g) in enumerate(routes)])
    con.execute("INSERT INTO routes SELECT route, region, 'sea', [[0.0, 0.0]], NULL, 'bench', NULL, NULL FROM rr")
    con.execute("CREATE TEMP TABLE tt (i INTEGER, t VARCHAR)")
    con.executemany("INSERT INTO tt VALUES (?, ?)", list(enumerate(schema.INCIDENT_TYPES)))
    con.execute(
        """
        INSERT INTO incidents
        SELECT 'B' || g.i, DATE '2018-01-01' + CAST(floor(random() * 3226) AS INTEGER),
               30 + random() * 25, -20 + random() * 45, rr.region, rr.route, tt.t,
               CAST(floor(random() * 60) AS INTEGER), CAST(floor(random() * 3) AS INTEGER),
               CASE WHEN random() < 0.5 THEN NULL ELSE CAST(floor(random() * 3) AS INTEGER) END,
               NULL, NULL, NULL, 'bench', NULL, NULL, NULL, NULL
        FROM (SELECT range AS i, hash(range) AS h FROM range(?)) g
        JOIN rr ON rr.i = g.h % 8 JOIN tt ON tt.i = (g.h // 8) % 5
        ORDER BY 2""",
        [n],
    )  # sorted by date, as the store keeps it (schema.CLUSTER_BY)
    return con


# -- the same queries in plain pandas ------------------------------------------------------------
def pd_filter(df: pd.DataFrame) -> pd.DataFrame:
    m = (df["date"] >= pd.Timestamp(STATE.start)) & (df["date"] <= pd.Timestamp(STATE.end))
    m &= df["region"].isin(STATE.region) & df["incident_type"].isin(STATE.type)
    return df[m]


def pd_count(df: pd.DataFrame) -> int:
    return len(pd_filter(df))


def pd_points(df: pd.DataFrame) -> pd.DataFrame:
    return pd_filter(df).sort_values(["date", "incident_id"], ascending=[False, True])


def pd_cells(df: pd.DataFrame) -> pd.DataFrame:
    f = pd_filter(df)
    f = f.assign(
        gy=np.floor(f["lat"] / CELL), gx=np.floor(f["lon"] / CELL), dm=f["dead"].fillna(0) + f["missing"].fillna(0)
    )
    out = (
        f.groupby(["gy", "gx"])
        .agg(incidents=("incident_id", "size"), people=("people", "sum"), dead_missing=("dm", "sum"))
        .reset_index()
    )
    out["cell_lat"], out["cell_lon"] = (out["gy"] + 0.5) * CELL, (out["gx"] + 0.5) * CELL
    return out.sort_values("incidents", ascending=False)


def pd_by_route(df: pd.DataFrame) -> pd.DataFrame:
    f = pd_filter(df)
    f = f.assign(dm=f["dead"].fillna(0) + f["missing"].fillna(0))
    return f.groupby("route").agg(incidents=("incident_id", "size"), dead_missing=("dm", "sum")).reset_index()


QUERIES = {
    "filter + count": (lambda con: q.incident_count(con, STATE), pd_count),
    "map points (newest first)": (lambda con: q.map_points(con, STATE), pd_points),
    "map grid cells (0.25°)": (lambda con: q.map_cells(con, STATE, CELL), pd_cells),
    "by route": (lambda con: q.by_route(con, STATE), pd_by_route),
}


def median_seconds(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_same(name: str, a, b) -> None:
    """Both engines must give the same answer, or the timing means nothing."""
    if isinstance(a, int):
        assert a == b, (name, a, b)
        return
    assert len(a) == len(b), (name, len(a), len(b))
    for col in ("incidents", "dead_missing"):
        if col in a.columns:
            assert int(a[col].sum()) == int(b[col].sum()), (name, col)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(
        f"duckdb {duckdb.__version__}, pandas {pd.__version__}, numpy {np.__version__}; "
        f"median of {args.repeats} runs; filter: {STATE.describe(with_version=False)}"
    )
    for n in args.sizes:
        t0 = time.perf_counter()
        con = build(n)
        df = con.execute(
            "SELECT incident_id, date, lat, lon, region, route, incident_type, people, dead, missing FROM incidents"
        ).df()
        df["date"] = pd.to_datetime(df["date"])
        print(
            f"\n== {n:,} incidents (built in {time.perf_counter() - t0:.1f} s; "
            f"pandas frame {df.memory_usage(deep=True).sum() / 2**20:,.0f} MiB) =="
        )
        print(f"{'query':<26}{'duckdb ms':>11}{'pandas ms':>11}{'ratio':>8}")
        ratios = []
        for name, (duck_fn, pandas_fn) in QUERIES.items():
            gc.collect()
            td, a = median_seconds(lambda fn=duck_fn, c=con: fn(c), args.repeats)
            tp, b = median_seconds(lambda fn=pandas_fn, d=df: fn(d), args.repeats)
            check_same(name, a, b)
            ratios.append(tp / td)
            print(f"{name:<26}{td * 1000:>11.1f}{tp * 1000:>11.1f}{tp / td:>7.1f}×")
        geo = statistics.geometric_mean(ratios)
        print(f"{'geometric mean ratio':<48}{geo:>7.1f}×   peak RSS so far {peak_rss_mb():,.0f} MiB")
        del df
        con.close()


if __name__ == "__main__":
    main()
