"""Benchmark: what one audit record costs, against what one page view costs without it, in the same run.

    .venv/bin/python benchmarks/audit_overhead.py [--appends 500] [--repeats 30]

JSONL: appends to <tmp>/audit.jsonl (file lock, one write, fsync). PostgreSQL: appends to a fresh database on
$TIDELINE_TEST_DATABASE_URL's server, else on a server started here with scripts/postgres.sh (skipped when
neither works). Baseline: queries.kpis (the KPI cards every page shows) on the demo data, the store opened as
the app opens it. Prints mean/median/p95 µs per append and the median append as a share of the median page
view. A benchmark to run on demand, not a test: this machine is shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dashboard import audit  # noqa: E402

TEMP = Path(tempfile.mkdtemp(prefix="tideline-bench-audit-"))  # removed at the end
DETAILS = {"page": "overview", "query": "period=2025-01-01..2025-12-31&region=Mediterranean", "version": 1}


def timings_us(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e6)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def page_view_us(repeats: int) -> float:
    """Median µs of queries.kpis on the demo data (no audit)."""
    from dashboard import queries
    from dashboard.filters import FilterState
    from dashboard.store import Store

    store = Store(TEMP / "store")
    t0 = time.perf_counter()
    store.ensure_initialised()
    print(f"demo data loaded into a new store in {time.perf_counter() - t0:.2f} s")
    con = store.connect()
    current = store.current_id()
    state = FilterState.default(queries.filter_options(con, (current,), current))
    queries.kpis(con, state)  # warm: the connection's first query pays for loading
    return statistics.median(timings_us(lambda: queries.kpis(con, state), repeats))


def append_timings(log: audit.AuditLog, n: int) -> list[float]:
    log.append("sign_in", sub="bench")  # connection and table set up outside the timing
    return timings_us(lambda: log.append("page_view", sub="bench", email="bench@example.org", details=DETAILS), n)


def postgres_url() -> tuple[str | None, Callable[[], None]]:
    """A server URL and how to stop it (when started here); (None, …) when there is none."""
    url = os.environ.get("TIDELINE_TEST_DATABASE_URL", "").strip()
    if url:
        return url, lambda: None
    folder = tempfile.mkdtemp(prefix="tideline-pg-")
    script = str(REPO / "scripts" / "postgres.sh")
    r = subprocess.run(["bash", script, "start", folder], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"PostgreSQL: skipped ({(r.stderr.strip().splitlines() or ['no server'])[-1]})")
        return None, lambda: None

    def stop() -> None:
        subprocess.run(["bash", script, "stop", folder], capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)

    return r.stdout.strip().splitlines()[-1], stop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--appends", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=30, help="page views timed for the baseline")
    args = ap.parse_args()
    try:
        run(args)
    finally:
        shutil.rmtree(TEMP, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    page = page_view_us(args.repeats)
    results: dict[str, list[float]] = {}
    results["JSONL (fsync)"] = append_timings(audit.JsonlAuditLog(TEMP / "audit"), args.appends)

    url, stop = postgres_url()
    if url:
        import psycopg
        from psycopg.conninfo import make_conninfo

        name = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        try:
            log = audit.PostgresAuditLog(make_conninfo(url, dbname=name))
            results["PostgreSQL"] = append_timings(log, args.appends)
            log.close()
        finally:
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
            stop()

    print(f"page view without audit (queries.kpis, demo data): median {page:,.0f} µs over {args.repeats} runs")
    print(f"{'store':<16}{'appends':>8}{'mean µs':>10}{'median µs':>11}{'p95 µs':>9}{'median/page view':>18}")
    for store, t in results.items():
        med = statistics.median(t)
        print(f"{store:<16}{len(t):>8}{statistics.mean(t):>10,.0f}{med:>11,.0f}{p95(t):>9,.0f}{med / page:>17.1%}")


if __name__ == "__main__":
    main()
