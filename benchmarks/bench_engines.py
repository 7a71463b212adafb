"""Benchmark: every named query on DuckDB (in process) and on Spark Connect, over the same store, in the same run.

    make spark                                   # a local Spark Connect server on 127.0.0.1:15002
    .venv/bin/python benchmarks/bench_engines.py --data-dir /tmp/tideline-bench [--url sc://127.0.0.1:15002]

A --data-dir without a store gets the demo data (Store.ensure_initialised). Each query runs on the default
filter state (the latest 12 full months, no other filter): once cold, then --repeats times; the table gives the
first run and the median of the others, in seconds, for both engines, and the ratio of the medians. Also timed:
opening the data version (DuckDB: reading it into memory; Spark: a new session and its views) and the start-up
translation check. A benchmark to run on demand, not a test: this machine is shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import engines, queries
from dashboard.engines.spark import SparkConnection, new_session
from dashboard.filters import FilterState
from dashboard.store import Store


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="the store (made with the demo data when empty)")
    p.add_argument("--url", default=os.environ.get("TIDELINE_TEST_SPARK_URL") or "sc://127.0.0.1:15002")
    p.add_argument("--repeats", type=int, default=3, help="warm runs per query and engine (default 3)")
    args = p.parse_args(argv)

    store = Store(Path(args.data_dir))
    version = store.ensure_initialised()
    print(f"Store {store.data_dir}: data version {version.id}, {version.rows:,} rows; Spark Connect at {args.url}")
    _, t_check = timed(engines.check_translations)
    duck, t_duck_open = timed(store.connect, version.id)
    spark = new_session(args.url)
    other, t_spark_open = timed(SparkConnection, spark, store, version.id)
    options = queries.filter_options(duck, (version.id,), version.id)
    state = FilterState.default(options)
    print(f"Filter state: {state.describe()}")
    print(f"Translation check at start-up: {t_check:.2f} s (every named query's SQL recorded and translated)")
    print(f"Opening the version: DuckDB {t_duck_open:.2f} s; Spark (views over the Parquet files) {t_spark_open:.2f} s")
    print()
    header = f"{'query':<28} {'duckdb 1st':>10} {'duckdb med':>10} {'spark 1st':>10} {'spark med':>10} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    totals = {"duck": 0.0, "spark": 0.0}
    for q in engines.NAMED_QUERIES:
        runs: dict[str, list[float]] = {"duck": [], "spark": []}
        for _ in range(1 + args.repeats):
            for side, con in (("duck", duck), ("spark", other)):
                runs[side].append(timed(q.call, con, state)[1])
        med = {side: statistics.median(t[1:]) for side, t in runs.items()}
        for side in totals:
            totals[side] += med[side]
        print(
            f"{q.name:<28} {runs['duck'][0]:>10.3f} {med['duck']:>10.3f} {runs['spark'][0]:>10.3f} "
            f"{med['spark']:>10.3f} {med['spark'] / max(med['duck'], 1e-6):>6.0f}x"
        )
    print("-" * len(header))
    print(
        f"{'all named queries (medians)':<28} {'':>10} {totals['duck']:>10.3f} {'':>10} {totals['spark']:>10.3f} "
        f"{totals['spark'] / max(totals['duck'], 1e-6):>6.0f}x"
    )
    other.close()
    spark.stop()
    duck.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
