"""Benchmark: each page's script run time on the demo data, through AppTest from the entry script.

    .venv/bin/python benchmarks/bench_pages.py [--repeats 5] [--data-dir STORE]

"cold" clears the query caches before the run (the data version stays loaded, as on a running
server); "warm" is a rerun with the caches filled (what an analyst gets when moving between
pages or toggling a page-local control). Prints medians in seconds. Run on demand, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dashboard import registry  # noqa: E402

PAGES = [p for p in registry.PAGES if p.shared_filters]  # the briefing has no filters to change


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--data-dir", help="an existing store (e.g. ten million incidents imported); default: the demo")
    args = ap.parse_args()
    os.environ["TIDELINE_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="tideline-bench-")
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)

    from dashboard.store import Store

    t0 = time.perf_counter()
    Store().ensure_initialised()
    print(f"demo data loaded into a new store in {time.perf_counter() - t0:.2f} s")
    print(f"{'page':<22}{'cold s':>9}{'warm s':>9}")
    for page in PAGES:
        cold, warm = [], []
        for _ in range(args.repeats):
            at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=120)
            at.run()
            if page is not registry.DEFAULT:
                at.switch_page(page.script)
            st.cache_data.clear()
            t = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t)
            assert not at.exception, [e.stack_trace for e in at.exception]
        print(f"{page.title:<22}{statistics.median(cold):>9.2f}{statistics.median(warm):>9.2f}")


if __name__ == "__main__":
    main()
