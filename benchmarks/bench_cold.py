"""Benchmark: a cold server's first view of each page: a fresh app server per page, the page opened once by a
websocket client speaking Streamlit's protocol (bench_load's session), timed from the request to the end of the
script run. This is what the first analyst after a restart waits for: the data version is opened and every query
of the page runs with empty caches.

    .venv/bin/python benchmarks/bench_cold.py [--data-dir STORE] [--pages overview data …]

Without --data-dir, the demo data in a temporary store. A benchmark to run on demand, not a test: this machine is
shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from bench_load import PAGES, start_server, tree_usage, warm_up  # noqa: E402

from dashboard.store import Store  # noqa: E402

TARGET_S = 2.0  # issue 15: a cold server's first view
NAMES = {path or "overview": path for path in PAGES}  # the overview's url path is empty


async def first_view(base_url: str, page: str) -> float:
    seconds, errors = await warm_up(base_url, page)
    if errors:
        kind, messages = next(iter(errors.items()))
        raise RuntimeError(f"{page or 'overview'}: {kind}: {messages[0]}")
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, help="an existing store (kept), e.g. ten million incidents imported")
    ap.add_argument("--pages", nargs="+", default=list(NAMES), choices=list(NAMES))
    args = ap.parse_args()
    store = args.data_dir or Path(tempfile.mkdtemp(prefix="tideline-coldbench-"))
    Store(store).ensure_initialised()  # the demo written now, not timed as the first page's work
    rows = []
    try:
        for page in args.pages:
            started = time.monotonic()
            server = start_server(store)
            if server is None:
                return 2
            try:
                up = time.monotonic() - started
                seconds = asyncio.run(first_view(server.base_url, NAMES[page]))
                rss = tree_usage(server.process.pid)[0]
            finally:
                server.stop()
            rows.append((page, up, seconds, rss))
            print(f"{page}: server up in {up:.1f} s; first view {seconds:.2f} s; server RSS {rss:.0f} MB", flush=True)
    finally:
        if not args.data_dir:
            shutil.rmtree(store, ignore_errors=True)
    print("\n| page | first view on a cold server | server RSS after |\n|---|---|---|")
    for page, _, seconds, rss in rows:
        print(f"| {page} | {seconds:.2f} s | {rss:.0f} MB |")
    worst = max(r[2] for r in rows)
    print(f"{'PASS' if worst <= TARGET_S else 'FAIL'}: slowest first view {worst:.2f} s (target <= {TARGET_S} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
