"""Benchmark: a store with 1M / 3M / 10M incidents (the demo data around them), read in place against the
old way of opening a version (every table copied into an in-memory DuckDB), in the same run.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 1000000 3000000 10000000] [--repeats 3]

For each size: the synthetic incidents are written to a canonical Parquet file and imported through the import
path (`python -m dashboard ingest FILE`, a child process: its wall time and peak RSS), against a plain DuckDB
`COPY (SELECT * FROM read_parquet(FILE)) TO …` of the same file in the same run, and the same rows written in date
order imported into a second store (the store then skips its sort); then the time and memory to
open the new version both ways,
the Overview's and the Map's queries cold (first run on a fresh connection) and warm (median of the
repeats), and the map payload at the widest filter. Memory is this process's RSS growth (a connection
lives in the app server, so that is what it costs there). A benchmark to run on demand, not a test:
this machine is shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb
import pyarrow.parquet as pq

from dashboard import maps, schema
from dashboard import queries as q
from dashboard.filters import FilterState
from dashboard.store import Store


def rss_mb() -> float:
    """Current resident memory of this process (not the peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def incidents(n: int):
    """n synthetic incidents over the demo's routes and regions, 2018–2026, as an Arrow table."""
    con = duckdb.connect(":memory:")
    routes = [(r, reg) for reg, rs in schema.REGIONS.items() for r in rs]
    con.execute("CREATE TABLE rr AS SELECT * FROM (VALUES " + ", ".join(f"({i}, '{r}', '{g}')" for i, (r, g) in
                enumerate(routes)) + ") t(i, route, region)")  # fmt: skip
    types = ", ".join(f"'{t}'" for t in schema.INCIDENT_TYPES)
    table = con.execute(
        f"""
        SELECT 'S' || g.i AS incident_id, DATE '2018-01-01' + CAST(floor(random() * 3226) AS INTEGER) AS date,
               30 + random() * 25 AS lat, -20 + random() * 45 AS lon, rr.region, rr.route,
               [{types}][1 + CAST(floor(random() * {len(schema.INCIDENT_TYPES)}) AS INTEGER)] AS incident_type,
               CAST(floor(random() * 60) AS INTEGER) AS people, CAST(floor(random() * 3) AS INTEGER) AS dead,
               NULL::INTEGER AS missing, NULL::INTEGER AS survivors, 'Drowning' AS cause, 'At sea' AS location,
               'Synthetic scale test' AS source, NULL AS source_url, NULL AS source_quality
        FROM range({n}) g(i) JOIN rr ON rr.i = g.i % {len(routes)}"""
    ).to_arrow_table()
    con.close()
    return table


def copied(store: Store, version: int) -> duckdb.DuckDBPyConnection:
    """The old Store.connect: every table of the version copied into an in-memory database."""
    con = duckdb.connect(":memory:")
    con.execute("SET threads = 2")
    for table, info in store.version(version).tables.items():
        path = store.table_file(version, table, info)
        con.execute(f"CREATE TABLE \"{table}\" AS SELECT * FROM read_parquet('{path}')")
    return con


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


PAGE_QUERIES: dict[str, Callable[[duckdb.DuckDBPyConnection, FilterState], object]] = {
    "kpis": q.kpis,
    "weekly_trend": q.weekly_trend,
    "by_route": q.by_route,
    "map_incidents": q.map_incidents,
    "routes_with_flows": q.routes_with_flows,
}


REPO = Path(__file__).resolve().parent.parent


def imported(store: Store, path: Path) -> tuple[float, float]:
    """Import the file with the command line, as a scheduled job would: (wall seconds, peak RSS MB)."""
    env = dict(
        os.environ,
        TIDELINE_DATA_DIR=str(store.data_dir),
        TIDELINE_AUDIT_DIR=str(store.data_dir),
        TIDELINE_IMPORT_MAX_ROWS="100000000",
        TIDELINE_IMPORT_MAX_CELLS="4000000000",
        TIDELINE_IMPORT_MAX_BYTES="64G",
    )
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "ingest", str(path)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    # The child's own peak (VmHWM, reset at exec), not ru_maxrss: that counts this process's memory, which
    # the child shares between fork and exec.
    peak = 0.0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak = max(peak, next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM:")) / 1024)
        except (OSError, StopIteration):
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else proc.returncode}")
    return seconds, peak


def plain_copy(path: Path, out: Path) -> float:
    """The baseline: DuckDB copying the same Parquet file to Parquet, nothing checked."""
    con = duckdb.connect(":memory:")
    t0 = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM read_parquet('{path}')) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
    con.close()
    return time.perf_counter() - t0


def run(n: int, repeats: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="tideline-scale-"))
    try:
        store = Store(tmp / "store")
        store.ensure_initialised()  # the demo data as version 1
        source = tmp / f"incidents-{n}.parquet"
        pq.write_table(incidents(n), source, compression="zstd")
        gc.collect()
        copy_s = plain_copy(source, tmp / "copy.parquet")
        import_s, import_mb = imported(store, source)
        vid = store.current_id()
        assert vid == 2, "the import made no new version"
        # the same rows in date order (a release written by date, an export): the store skips its sort
        ordered = tmp / f"incidents-{n}-by-date.parquet"
        duckdb.sql(f"COPY (SELECT * FROM read_parquet('{source}') ORDER BY date) TO '{ordered}' (FORMAT parquet)")
        second = Store(tmp / "store-ordered")
        second.ensure_initialised()
        ordered_s, ordered_mb = imported(second, ordered)
        shutil.rmtree(second.data_dir, ignore_errors=True)
        gc.collect()
        opts = q.filter_options(store.connect(vid), (vid,), vid)
        state = FilterState.default(opts)
        out: dict[str, float] = {
            "rows": n,
            "file MB": source.stat().st_size / 1e6,
            "plain COPY_s": copy_s,
            "import_s": import_s,
            "import / COPY": import_s / copy_s,
            "import peak RSS MB": import_mb,
            "import, file in date order_s": ordered_s,
            "import in date order / COPY": ordered_s / copy_s,
            "import in date order peak RSS MB": ordered_mb,
        }
        for how, opener in (("in place", lambda: store.connect(vid)), ("copied", lambda: copied(store, vid))):
            gc.collect()
            before = rss_mb()
            open_s, con = timed(opener)
            out[f"open_s {how}"] = open_s
            out[f"open_mb {how}"] = rss_mb() - before
            cold = warm = 0.0
            for fn in PAGE_QUERIES.values():
                times = []
                for _ in range(repeats + 1):
                    t0 = time.perf_counter()
                    fn(con, state)
                    times.append(time.perf_counter() - t0)
                cold += times[0]
                warm += statistics.median(times[1:])
            out[f"pages cold_s {how}"] = cold
            out[f"pages warm_s {how}"] = warm
            out[f"after_mb {how}"] = rss_mb() - before
            if how == "in place":
                kind, inc = q.map_incidents(con, state)
                deck = maps.build_map_deck(routes=q.routes_with_flows(con, state), points=inc if kind == "points"
                                           else None, cells=inc if kind == "cells" else None)  # fmt: skip
                out["map payload MB"] = maps.payload_bytes(deck) / 1e6
            con.close()
            del con
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = [run(n, args.repeats) for n in args.sizes]
    keys = list(rows[0])
    print("| measure | " + " | ".join(f"{int(r['rows']):,}" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for k in keys[1:]:
        print(f"| {k} | " + " | ".join(f"{r[k]:.2f}" for r in rows) + " |")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(f"\ngrowth {int(first['rows']):,} → {int(last['rows']):,} rows:")
        for k in ("import_s", "import peak RSS MB", "open_s in place", "pages warm_s in place", "after_mb in place",
                  "open_s copied", "after_mb copied"):  # fmt: skip
            print(f"  {k}: {first[k]:.2f} → {last[k]:.2f}")


if __name__ == "__main__":
    main()
