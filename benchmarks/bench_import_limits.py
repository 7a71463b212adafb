"""Benchmark: decompression bombs against the import limits, and what a heavy read does to the app.

    .venv/bin/python benchmarks/bench_import_limits.py

1. Each bomb (tests/bombs.py: small on disk, enormous once expanded) through `python -m dashboard ingest`,
   with the process's peak resident memory (polled from /proc) and time to the refusal, next to a normal
   import of a small real-shaped file in the same run (the baseline).
2. A heavy legitimate file read the old way (ingest.plan on the app's own interpreter) and the new way
   (reader.plan_in_child): the longest stall of a 10 ms ticker thread standing in for other analysts'
   sessions, which share the interpreter.
A benchmark to run on demand, not a test: this machine is shared and timings are noisy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import bombs  # noqa: E402

from dashboard import ingest, reader  # noqa: E402
from dashboard.store import Store  # noqa: E402


def run_ingest(data_dir: Path, path: Path) -> tuple[int, float, float, str]:
    """(exit code, peak RSS MiB, seconds, last stderr line) of one `dashboard ingest`."""
    env = {**os.environ, "TIDELINE_DATA_DIR": str(data_dir)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "ingest", str(path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, reader.resident_bytes(proc.pid))
        time.sleep(0.01)
    err = proc.stderr.read() if proc.stderr else ""
    last = (err.strip().splitlines() or [""])[-1]
    return proc.returncode, peak / 2**20, time.perf_counter() - t0, last


def longest_stall(work) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(longest gap between 10 ms ticks in ms, seconds the work took) while `work()` runs."""
    gaps: list[float] = []
    done = threading.Event()

    def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    t0 = time.perf_counter()
    try:
        work()
    finally:
        took = time.perf_counter() - t0
        done.set()
        ticker.join()
    return max(gaps) * 1000, took


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tideline-bench-bombs-") as tmp:
        root = Path(tmp)
        store = Store(root / "store")
        store.ensure_initialised()
        cases = {
            "baseline: Frontex CSV, 108 rows (imported)": REPO / "tests/fixtures/frontex/detections.csv",
            "ODS, a row repeated 1e9 times": bombs.ods(root / "repeat.ods", repeated_rows=1_000_000_000),
            "ODS, 1e9 empty rows between two": bombs.ods(root / "gap.ods", empty_gap=1_000_000_000),
            "Parquet, 30M records": bombs.parquet(root / "many.parquet", 30_000_000),
            "XLSX, 1M x 60 cells": bombs.xlsx(root / "wide.xlsx", 1_000_000, 60),
            "CSV, 3M lines": bombs.csv_lines(root / "long.csv", 3_000_000),
        }
        print(f"{'file':<44}{'on disk':>14}{'exit':>6}{'peak RSS':>11}{'seconds':>9}  message")
        for name, path in cases.items():
            code, peak, took, last = run_ingest(store.data_dir, path)
            print(f"{name:<44}{path.stat().st_size:>14,}{code:>6}{peak:>8,.0f} MiB{took:>9.1f}  {last[:110]}")

        csv_file = root / "incidents.csv"  # 150,000 valid incidents: big, legitimate canonical files
        rows = ["incident_id,date,lat,lon,region,route,incident_type,people,source"]
        rows += [
            f"B{i},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{35 + i % 10},{14 + i % 10},Mediterranean,"
            f"Central Mediterranean,rescue,{i % 50},Bench"
            for i in range(150_000)
        ]
        csv_file.write_text("\n".join(rows) + "\n")
        geojson = root / "incidents.geojson"
        features = ",".join(
            f'{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{14 + i % 10},{35 + i % 10}]}},'
            f'"properties":{{"incident_id":"G{i}","date":"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",'
            f'"region":"Mediterranean","route":"Central Mediterranean","incident_type":"rescue",'
            f'"people":{i % 50},"source":"Bench","location":"{"x" * 200}"}}}}'
            for i in range(150_000)
        )
        geojson.write_text('{"type":"FeatureCollection","features":[' + features + "]}")
        print("\nA big legitimate file read while a 10 ms ticker runs (other sessions share the interpreter):")
        for heavy in (csv_file, geojson):
            size = heavy.stat().st_size / 2**20
            for label, work in (
                ("in the app's interpreter (before)", lambda h=heavy: ingest.plan(store, h)),
                ("in a separate process (now)", lambda h=heavy: reader.plan_in_child(store, h)),
            ):
                stall, took = longest_stall(work)
                print(
                    f"  {heavy.name} ({size:.0f} MB) {label:<36} read in {took:5.1f} s; "
                    f"longest stall of the other thread {stall:7.0f} ms"
                )


if __name__ == "__main__":
    main()
